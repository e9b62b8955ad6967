// Command fanin is the Go baseline for goc's fanin target
// (patterns/fanin/fanin_main.c), standard workload W7: P producers (4) each
// send their share of the ints 1..N (1,000,000) on their own channel and
// close it; a merge copies the P channels into one, closing it after the
// last input; the main goroutine receives until it is closed, counting,
// summing and xor-ing what it got. Every channel has capacity C (128).
//
// The variants are the C program's:
//   - merge-tasks: one forwarding goroutine per input and a closer that waits
//     on a WaitGroup, then closes the output (the Go blog's merge);
//   - merge-select: one goroutine selecting over every input, setting a
//     closed input's channel to nil so that its case is never ready again.
//     A select statement has a fixed set of cases, so for up to 8 inputs it
//     is one select over 8 channel variables, the unused ones nil (Go skips
//     nil cases, so this costs what a select over the live ones does); past
//     8 it is reflect.Select, Go's only select over a run-time number of
//     cases, with a closed input's case set to the zero Value (ignored);
//   - merge-batch: merge-tasks over channels of []int64, each a fresh slice
//     of up to --batch ints, as Go code batching a channel would write it.
//
// Same command line, same checks, same JSON line (byte for byte in format)
// as the C program, so that the two run side by side. Only the standard
// library is used, and nothing newer than Go 1.19.
//
// Usage: fanin [--variant V] [--size N] [--producers N] [--cap N] [--batch B]; see
// --help. Exit status: 0 ok (the JSON line was printed), 1 check failed
// (one line on stderr, no JSON line), 2 usage error (one line on stderr).
package main

import (
	"os"
	"reflect"
	"sync"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "fanin"

	// The C program's bounds, so that both reject the same command lines.
	maxSize      = 1000000000
	maxProducers = 256
	maxCap       = 1048576
	maxBatch     = 4096
	maxChanInts  = maxCap // ints buffered per channel: --cap times --batch for merge-batch

	defaultSize      = 1000000
	defaultProducers = 4
	defaultCap       = 128
	defaultBatch     = 128

	// merge-select's static select has this many cases.
	staticCases = 8
)

// What a merge did: the C library's goc_fan_counts, less dropped (nothing
// cancels W7).
type counts struct {
	received uint64 // channel elements taken from the inputs
	sent     uint64 // channel elements delivered to the output
}

// A running merge: exited counts its goroutines until their last touch of
// it, so that counts may be read once exited.Wait() returned.
type merge struct {
	exited sync.WaitGroup
	counts []counts
}

func (m *merge) total() counts {
	var t counts
	for _, c := range m.counts {
		t.received += c.received
		t.sent += c.sent
	}
	return t
}

// mergeTasks: one forwarder per input and a WaitGroup closer.
func mergeTasks[T any](ins []chan T, out chan T) *merge {
	m := &merge{counts: make([]counts, len(ins))}
	var forwarders sync.WaitGroup
	forwarders.Add(len(ins))
	m.exited.Add(len(ins) + 1)
	go func() {
		forwarders.Wait()
		close(out)
		m.exited.Done()
	}()
	for i, in := range ins {
		go func(i int, in chan T) {
			var n counts
			for v := range in {
				n.received++
				out <- v
				n.sent++
			}
			m.counts[i] = n
			forwarders.Done()
			m.exited.Done()
		}(i, in)
	}
	return m
}

// mergeSelect: one goroutine, a closed input's case disabled with nil.
func mergeSelect(ins []chan int64, out chan int64) *merge {
	m := &merge{counts: make([]counts, 1)}
	m.exited.Add(1)
	go func() {
		if len(ins) <= staticCases {
			m.counts[0] = selectStatic(ins, out)
		} else {
			m.counts[0] = selectReflect(ins, out)
		}
		close(out)
		m.exited.Done()
	}()
	return m
}

func selectStatic(ins []chan int64, out chan int64) counts {
	var c [staticCases]chan int64
	copy(c[:], ins)
	var n counts
	for open := len(ins); open > 0; {
		var v int64
		var ok bool
		var i int
		select {
		case v, ok = <-c[0]:
			i = 0
		case v, ok = <-c[1]:
			i = 1
		case v, ok = <-c[2]:
			i = 2
		case v, ok = <-c[3]:
			i = 3
		case v, ok = <-c[4]:
			i = 4
		case v, ok = <-c[5]:
			i = 5
		case v, ok = <-c[6]:
			i = 6
		case v, ok = <-c[7]:
			i = 7
		}
		if !ok {
			c[i] = nil
			open--
			continue
		}
		n.received++
		out <- v
		n.sent++
	}
	return n
}

func selectReflect(ins []chan int64, out chan int64) counts {
	cases := make([]reflect.SelectCase, len(ins))
	for i, in := range ins {
		cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(in)}
	}
	var n counts
	for open := len(ins); open > 0; {
		i, v, ok := reflect.Select(cases)
		if !ok {
			cases[i].Chan = reflect.Value{}
			open--
			continue
		}
		n.received++
		out <- v.Int()
		n.sent++
	}
	return n
}

// sumTo is 1 + 2 + ... + n.
func sumTo(n uint64) uint64 {
	if n%2 == 0 {
		return n / 2 * (n + 1)
	}
	return (n + 1) / 2 * n
}

// xorTo is 1 ^ 2 ^ ... ^ n, which repeats with period 4.
func xorTo(n uint64) uint64 {
	switch n % 4 {
	case 0:
		return n
	case 1:
		return 1
	case 2:
		return n + 1
	}
	return 0
}

type run struct {
	elements        uint64 // channel elements the producers sent
	bad             bool   // merge-batch: a batch came with a length outside 1..batch
	badBatch        int    // the last such length
	count, sum, xor uint64
	counts          counts
	elapsed         time.Duration
}

func (r *run) add(v int64) {
	r.count++
	r.sum += uint64(v)
	r.xor ^= uint64(v)
}

// Producer p's share of 1..n: the last one takes the remainder, so with
// more producers than values the others send nothing, as in C.
func share(p, nprod int, n uint64) (from, to uint64) {
	each := n / uint64(nprod)
	from, to = uint64(p)*each+1, uint64(p+1)*each
	if p == nprod-1 {
		to = n
	}
	return from, to
}

// A way to run W7 over channels of T: how the merge starts, what a
// producer of from..to sends (and how many elements that is), and how the
// main goroutine drains the output into r.
type fanin[T any] struct {
	merge    func(ins []chan T, out chan T) *merge
	produce  func(ch chan T, from, to uint64)
	elements func(from, to uint64) uint64
	drain    func(r *run, out chan T)
}

// run times one W7 run, from the merge's start to every goroutine done, the
// same window for every variant.
func (f fanin[T]) run(n uint64, nprod, capacity int) run {
	ins := make([]chan T, nprod)
	for p := range ins {
		ins[p] = make(chan T, capacity)
	}
	out := make(chan T, capacity)
	var produced sync.WaitGroup
	var r run

	start := time.Now()
	m := f.merge(ins, out)
	produced.Add(nprod)
	for p := 0; p < nprod; p++ {
		from, to := share(p, nprod, n)
		r.elements += f.elements(from, to)
		go func(ch chan T, from, to uint64) {
			f.produce(ch, from, to)
			close(ch)
			produced.Done()
		}(ins[p], from, to)
	}
	f.drain(&r, out)
	produced.Wait()
	m.exited.Wait()
	r.elapsed = time.Since(start)
	r.counts = m.total()
	return r
}

func ints(from, to uint64) uint64 {
	if to < from {
		return 0
	}
	return to - from + 1
}

// merge-tasks and merge-select: one int per element.
func runFanin(variant string, n uint64, nprod int, capacity int) run {
	f := fanin[int64]{
		merge: mergeTasks[int64],
		produce: func(ch chan int64, from, to uint64) {
			for i := from; i <= to; i++ {
				ch <- int64(i)
			}
		},
		elements: ints,
		drain: func(r *run, out chan int64) {
			for v := range out {
				r.add(v)
			}
		},
	}
	if variant == "merge-select" {
		f.merge = mergeSelect
	}
	return f.run(n, nprod, capacity)
}

// merge-batch: merge-tasks, the ints sent in slices of up to batch.
func runFaninBatch(n uint64, nprod, capacity, batch int) run {
	return fanin[[]int64]{
		merge: mergeTasks[[]int64],
		produce: func(ch chan []int64, from, to uint64) {
			buf := make([]int64, 0, batch)
			for i := from; i <= to; i++ {
				buf = append(buf, int64(i))
				if len(buf) == batch || i == to {
					ch <- buf
					buf = make([]int64, 0, batch)
				}
			}
		},
		elements: func(from, to uint64) uint64 {
			return (ints(from, to) + uint64(batch) - 1) / uint64(batch)
		},
		drain: func(r *run, out chan []int64) {
			for b := range out {
				if len(b) == 0 || len(b) > batch {
					r.bad, r.badBatch = true, len(b) // as the C program checks its batches
					continue
				}
				for _, v := range b {
					r.add(v)
				}
			}
		},
	}.run(n, nprod, capacity)
}

// The values out must be the values in, as a multiset: count, sum and xor
// of 1..n, and the merge's own counts, in channel elements, as the C
// program checks.
func verify(r run, n uint64) bool {
	if r.bad {
		probe.CheckFailed("fanin received a batch of %d ints, expected 1 to the batch size", r.badBatch)
		return false
	}
	return probe.Expect("fanin values received", n, r.count) &&
		probe.Expect("fanin sum of received", sumTo(n), r.sum) &&
		probe.Expect("fanin xor of received", xorTo(n), r.xor) &&
		probe.Expect("fanin elements the merge took from its inputs", r.elements, r.counts.received) &&
		probe.Expect("fanin elements the merge delivered", r.elements, r.counts.sent)
}

// The command line: five options and the --help text.
var (
	variantOpt = &probe.Option{Name: "--variant", Metavar: "V", Choices: []string{"merge-tasks", "merge-select", "merge-batch"}, Str: "merge-tasks",
		Help: "how the inputs are merged (default merge-tasks)"}
	sizeOpt = &probe.Option{Name: "--size", Metavar: "N", Min: 1, Max: maxSize, Num: defaultSize,
		Help: "ints sent, 1..N, split among the producers (default 1000000)"}
	producersOpt = &probe.Option{Name: "--producers", Metavar: "N", Min: 1, Max: maxProducers, Num: defaultProducers,
		Help: "producer tasks, each with its own input channel (default 4)"}
	capOpt = &probe.Option{Name: "--cap", Metavar: "N", Min: 0, Max: maxCap, Num: defaultCap,
		Help: "capacity of every channel, inputs and output, in elements; 0 = unbuffered (default 128)"}
	batchOpt = &probe.Option{Name: "--batch", Metavar: "B", Min: 1, Max: maxBatch, Num: defaultBatch,
		Help: "ints per channel element, merge-batch only (default 128)"}

	cli = probe.CLI{
		Prog:    prog,
		Summary: "Go baseline of goc's fan-in: P producers' channels merged into one (goc's standard workload W7)",
		Options: []*probe.Option{variantOpt, sizeOpt, producersOpt, capOpt, batchOpt},
		Epilog: "Variants: merge-tasks runs one forwarding goroutine per input and a closer that\n" +
			"waits on a WaitGroup, then closes the output (the Go blog's merge); merge-select\n" +
			"runs one goroutine selecting over every input, each closed input's channel set\n" +
			"to nil (up to 8 inputs a static select; past 8, reflect.Select); merge-batch is\n" +
			"merge-tasks over channels of slices of up to B ints. check is the sum of the\n" +
			"values received, after their count, sum and xor were verified; producers, cap\n" +
			"and batch echo the knobs (batch 1 but for merge-batch); peak_rss_kb is the\n" +
			"process's peak resident set. patterns/fanin/fanin is the libgoc program with\n" +
			"this same command line and output; here a task is a goroutine.",
	}
)

func main() {
	cli.Parse(os.Args[1:])
	variant, size, nprod, capacity := variantOpt.Str, sizeOpt.Num, producersOpt.Num, capOpt.Num
	batch := uint64(1)
	if variant == "merge-batch" {
		batch = batchOpt.Num
	} else if batchOpt.Given {
		probe.UsageError("--batch applies only to the merge-batch variant")
	}
	if capacity > maxChanInts/batch {
		probe.UsageError("--cap %d of --batch %d buffers more than %d ints per channel", capacity, batch, maxChanInts)
	}

	var r run
	if variant == "merge-batch" {
		r = runFaninBatch(size, int(nprod), int(capacity), int(batch))
	} else {
		r = runFanin(variant, size, int(nprod), int(capacity))
	}
	if !verify(r, size) {
		os.Exit(probe.ExitCheck)
	}
	os.Exit(probe.Emit(probe.JSONLine("fanin", variant, size, r.elapsed, probe.Check(r.sum),
		probe.Field{Name: "producers", Value: nprod}, probe.Field{Name: "cap", Value: capacity},
		probe.Field{Name: "batch", Value: batch},
		probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})))
}
