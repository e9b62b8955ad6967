// Command counters is the Go baseline for goc's counters target
// (patterns/counters/counters_main.c), standard workload W4: T goroutines
// (4) share N operations (4,000,000) on one counter, each an increment, or,
// with --reads P, a read for P in every hundred. They wait at a start gate
// (a channel closed once every one of them is there), as the C tasks do,
// and the run is timed from the gate's opening to the count read after the
// last one finished.
//
// The variants are those of the C program that Go has:
//   - mutex: a sync.Mutex around the count;
//   - rwlock: a sync.RWMutex, Lock for an increment, RLock for a read;
//   - atomic: atomic.AddUint64 and atomic.LoadUint64;
//   - chan: an owner goroutine ranges over a channel of capacity 1024 and
//     adds what it receives; the others send their increments on it;
//   - sharded: a slot per goroutine, padded to a 64-byte cache line, each
//     incremented by its goroutine alone and summed after the join;
//   - unsafe: a plain counter++ from every goroutine, the data race the
//     others avoid (go run -race reports it); it reports how many updates
//     it lost and exits 1 when it lost any.
//
// C's adaptive, spin and rwspin are glibc's spinning mutex and hand-built
// locks shaped like sync.Mutex and sync.RWMutex, which Go has no second
// kind of.
//
// Same command line, same checks, same JSON line (byte for byte in format)
// as the C program. Only the standard library, nothing newer than Go 1.19.
// Exit status: 0 ok (the JSON line was printed), 1 check failed (one line on
// stderr, no JSON line), 2 usage error (one line on stderr).
package main

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "counters"

	// The C program's bounds and defaults, so that both take the same command lines.
	maxSize        = 10000000000
	maxThreads     = 256
	defaultSize    = 4000000
	defaultThreads = 4
	chanCap        = 1024
	cacheLine      = 64
)

// slot is one goroutine's share of the sharded counter, a cache line of its own.
type slot struct {
	n uint64
	_ [cacheLine - 8]byte
}

// taskOps is task k's share of the operations, as in C.
func taskOps(ops, tasks, k uint64) uint64 {
	n := ops / tasks
	if k < ops%tasks {
		n++
	}
	return n
}

// expectedWrites is goc_counters_expected_writes: of a task's first j
// operations, j * (100 - reads) / 100 are increments.
func expectedWrites(ops, tasks, reads uint64) uint64 {
	var w uint64
	for k := uint64(0); k < tasks; k++ {
		n := taskOps(ops, tasks, k)
		w += n/100*(100-reads) + n%100*(100-reads)/100
	}
	return w
}

// taskResult is what one goroutine did; it writes it once, as it finishes.
type taskResult struct {
	writes, reads, badReads, readSum uint64
	last                             uint64 // the previous read
}

// mixer spreads the increments of the read-mostly form evenly, as C's
// COUNT_LOOP does: op j is an increment when (j+1)*wpct crosses a hundred.
type mixer struct {
	acc, wpct uint64
}

// write says whether the next operation is an increment.
func (m *mixer) write() bool {
	m.acc += m.wpct
	if m.acc >= 100 {
		m.acc -= 100
		return true
	}
	return false
}

// saw records a read: it must not go backwards, fall below this goroutine's
// own increments, or pass the run's total.
func (r *taskResult) saw(v, bound uint64) {
	r.reads++
	r.readSum += v
	if v < r.last || v < r.writes || v > bound {
		r.badReads++
	}
	r.last = v
}

// run is goc_counters_run: the counter of the variant, tasks goroutines at a
// gate, then their operations; it returns the count, the goroutines' tallies
// and the time from the gate's opening to the count.
func run(variant string, tasks, ops, reads uint64) (count uint64, sum taskResult, elapsed time.Duration) {
	wpct, bound := 100-reads, expectedWrites(ops, tasks, reads)
	var (
		mu      sync.Mutex
		rw      sync.RWMutex
		n       uint64 // guarded by mu or rw; atomic for atomic; unguarded for unsafe
		slots   = make([]slot, tasks)
		ch      = make(chan uint64, chanCap)
		owned   = make(chan uint64)
		results = make([]taskResult, tasks)
		ready   sync.WaitGroup
		done    sync.WaitGroup
		start   = make(chan struct{})
	)
	if variant == "chan" {
		go func() { // the owner: the count is its own
			var c uint64
			for d := range ch {
				c += d
			}
			owned <- c
		}()
	}

	ready.Add(int(tasks))
	done.Add(int(tasks))
	for k := uint64(0); k < tasks; k++ {
		go func(k uint64) {
			defer done.Done()
			ops := taskOps(ops, tasks, k)
			ready.Done()
			<-start
			// Each variant's loops are written out, as C's are expanded
			// from one macro, so that no call through a func value sits
			// between an operation and the next.
			var r taskResult
			m := mixer{wpct: wpct}
			switch {
			case variant == "mutex" && reads == 0:
				for j := uint64(0); j < ops; j++ {
					mu.Lock()
					n++
					mu.Unlock()
				}
				r.writes = ops
			case variant == "mutex":
				for j := uint64(0); j < ops; j++ {
					if m.write() {
						mu.Lock()
						n++
						mu.Unlock()
						r.writes++
					} else {
						mu.Lock()
						v := n
						mu.Unlock()
						r.saw(v, bound)
					}
				}
			case variant == "rwlock" && reads == 0:
				for j := uint64(0); j < ops; j++ {
					rw.Lock()
					n++
					rw.Unlock()
				}
				r.writes = ops
			case variant == "rwlock":
				for j := uint64(0); j < ops; j++ {
					if m.write() {
						rw.Lock()
						n++
						rw.Unlock()
						r.writes++
					} else {
						rw.RLock()
						v := n
						rw.RUnlock()
						r.saw(v, bound)
					}
				}
			case variant == "atomic" && reads == 0:
				for j := uint64(0); j < ops; j++ {
					atomic.AddUint64(&n, 1)
				}
				r.writes = ops
			case variant == "atomic":
				for j := uint64(0); j < ops; j++ {
					if m.write() {
						atomic.AddUint64(&n, 1)
						r.writes++
					} else {
						r.saw(atomic.LoadUint64(&n), bound)
					}
				}
			case variant == "chan":
				for j := uint64(0); j < ops; j++ {
					ch <- 1
				}
				r.writes = ops
			case variant == "sharded":
				s := &slots[k]
				for j := uint64(0); j < ops; j++ {
					s.n++
				}
				r.writes = ops
			case variant == "unsafe":
				for j := uint64(0); j < ops; j++ {
					n++ // the pitfall: a data race, and lost updates
				}
				r.writes = ops
			}
			results[k] = r
		}(k)
	}

	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	switch variant {
	case "chan":
		close(ch)
		count = <-owned
	case "sharded":
		for i := range slots {
			count += slots[i].n
		}
	default:
		count = n
	}
	elapsed = time.Since(t0)

	for _, r := range results {
		sum.writes += r.writes
		sum.reads += r.reads
		sum.badReads += r.badReads
		sum.readSum += r.readSum
	}
	return count, sum, elapsed
}

// ---- the command line and the JSON line --------------------------------------------

var opts = []*probe.Option{
	{Name: "--variant", Metavar: "V", Help: "the counter (default mutex)",
		Choices: []string{"mutex", "rwlock", "atomic", "chan", "sharded", "unsafe"}, Str: "mutex"},
	{Name: "--size", Metavar: "N", Help: "operations in all, shared among the threads (default 4000000)",
		Min: 1, Max: maxSize, Num: defaultSize},
	{Name: "--threads", Metavar: "T", Help: "goroutines sharing the counter (default 4)",
		Min: 1, Max: maxThreads, Num: defaultThreads},
	{Name: "--reads", Metavar: "P", Help: "percent of operations that read the counter; mutex, rwlock, atomic (default 0)",
		Min: 0, Max: 99, Num: 0},
}

const (
	optVariant = iota
	optSize
	optThreads
	optReads
)

var cli = probe.CLI{
	Prog:    prog,
	Summary: "Go baseline of goc's counters: one counter shared by T goroutines (goc's standard workload W4)",
	Options: opts,
	Epilog: "Variants: mutex (sync.Mutex), rwlock (sync.RWMutex: increments Lock, reads RLock),\n" +
		"atomic (sync/atomic), chan (an owner goroutine holds the count; the others send\n" +
		"increments over a channel of capacity 1024), sharded (a slot of its own cache\n" +
		"line per goroutine, summed at the end), and unsafe: a plain counter++ from every\n" +
		"goroutine, the data race the others avoid. unsafe reports the updates it lost\n" +
		"and exits 1 when it lost any; it is a demonstration, not a benchmark.\n" +
		"Operations: goroutine k does N/T (one more for k < N%T); with --reads P, op j is\n" +
		"an increment when (j+1)*(100-P)/100 steps up, else a read, which must not go\n" +
		"backwards. check is the final count, verified to be exactly the increments done;\n" +
		"threads and reads echo the knobs, writes is the increments, peak_rss_kb the\n" +
		"process's peak resident set. ns_per_op is per operation.\n" +
		"patterns/counters/counters is the libgoc program with this same command line and\n" +
		"output (and three more variants, adaptive, spin and rwspin); here a task is a goroutine.",
}

func main() {
	cli.Parse(os.Args[1:])
	variant := opts[optVariant].Str
	size, threads, reads := opts[optSize].Num, opts[optThreads].Num, opts[optReads].Num
	if reads > 0 && variant != "mutex" && variant != "rwlock" && variant != "atomic" {
		probe.UsageError("--reads applies to the mutex, rwlock and atomic variants only")
	}

	count, r, elapsed := run(variant, threads, size, reads)

	expected := expectedWrites(size, threads, reads)
	if variant == "unsafe" && count < r.writes {
		lost := r.writes - count
		os.Exit(probe.CheckFailed("unsafe lost %d of %d updates (%.2f%%): counter++ from %d goroutines is a data race",
			lost, r.writes, 100*float64(lost)/float64(r.writes), threads))
	}
	if !probe.Expect("increments the tasks did", expected, r.writes) ||
		!probe.Expect("final count", r.writes, count) ||
		!probe.Expect("reads the tasks did", size-expected, r.reads) ||
		!probe.Expect("reads that went backwards, below the task's own increments or past the total", 0, r.badReads) {
		os.Exit(probe.ExitCheck)
	}
	os.Exit(probe.Emit(probe.JSONLine("counter", variant, size, elapsed, probe.Check(count),
		probe.Field{Name: "threads", Value: threads}, probe.Field{Name: "reads", Value: reads},
		probe.Field{Name: "writes", Value: r.writes}, probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})))
}
