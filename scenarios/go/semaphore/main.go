// Command semaphore is the Go baseline for goc's semaphore target
// (patterns/semaphore/semaphore_main.c), standard workload W8: T tasks (16)
// share N (1,000,000) acquire / critical section / release cycles on a
// semaphore of K units (4); inside, an in-flight gauge is bumped, its
// maximum recorded, and dropped. A run is timed from the start gate, opened
// once every goroutine waits at it, to the last one's end.
//
// The variants are the C program's, less posix (Go has no sem_t):
//   - chan: Go's idiom, a buffered channel of capacity K: send to acquire,
//     receive to release;
//   - goc: golang.org/x/sync/semaphore's Weighted with weight 1 (a mutex
//     and a FIFO of waiters, each released by closing its channel), written
//     out here since the module uses the standard library only; libgoc's
//     goc_sem is the same design.
//
// --form spawn limits goroutine creation instead: T spawners each acquire
// before starting a goroutine, which releases when it ends (N goroutines in
// all; 100,000 by default). As in C, a task entering while the maximum is
// still below K lingers (runtime.Gosched, after 100 us time.Sleep) until K
// were seen at once or 5 s have passed, so that reaching K is checked, not left to the scheduler.
//
// Same command line, same checks, same JSON line (byte for byte in format)
// as the C program. Only the standard library is used, nothing newer than
// Go 1.19.
//
// Usage: semaphore [--variant V] [--form F] [--size N] [--tasks T] [--limit K];
// see --help. Exit status: 0 ok, 1 check failed, 2 usage error.
package main

import (
	"container/list"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "semaphore"

	// The C program's bounds and defaults, so that both take the same command lines.
	maxSize          = 1000000000
	maxTasks         = 1024
	maxLimit         = 1024
	defaultSize      = 1000000
	defaultSpawnSize = 100000
	defaultTasks     = 16
	defaultLimit     = 4

	lingerFor  = 5 * time.Second
	lingerSpin = 100 * time.Microsecond
	lingerNap  = 50 * time.Microsecond
)

// limiter is what the workload acquires and releases.
type limiter interface {
	acquire()
	release()
	held() int
}

// chanSem is Go's idiom: a buffered channel of capacity K.
type chanSem chan struct{}

func (s chanSem) acquire() { s <- struct{}{} }
func (s chanSem) release() {
	select {
	case <-s:
	default:
		panic("semaphore: released more than held")
	}
}
func (s chanSem) held() int { return len(s) }

// weighted is golang.org/x/sync/semaphore.Weighted for weight 1: a release
// with waiters queued hands its unit to the oldest one.
type weighted struct {
	size    int
	mu      sync.Mutex
	cur     int       // guarded by mu
	waiters list.List // of chan struct{}; guarded by mu
}

func (s *weighted) acquire() {
	s.mu.Lock()
	if s.cur < s.size && s.waiters.Len() == 0 {
		s.cur++
		s.mu.Unlock()
		return
	}
	ready := make(chan struct{})
	s.waiters.PushBack(ready)
	s.mu.Unlock()
	<-ready
}

func (s *weighted) release() {
	s.mu.Lock()
	if s.cur < 1 {
		s.mu.Unlock()
		panic("semaphore: released more than held")
	}
	s.cur--
	// notifyWaiters: hand units to the oldest waiters while there are some.
	for s.cur < s.size {
		next := s.waiters.Front()
		if next == nil {
			break
		}
		s.cur++
		s.waiters.Remove(next)
		close(next.Value.(chan struct{}))
	}
	s.mu.Unlock()
}

func (s *weighted) held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// stats is goc_limit_stats.
type stats struct {
	cycles    uint64
	max       uint64
	heldAfter uint64
	elapsed   time.Duration
}

// gauge is the in-flight count and its maximum, apart on their own cache lines as in C.
type gauge struct {
	inFlight    atomic.Uint64
	_           [56]byte
	max         atomic.Uint64
	_           [56]byte
	reach       uint64
	lingerUntil time.Time
}

func (g *gauge) critical() {
	v := g.inFlight.Add(1)
	for m := g.max.Load(); v > m && !g.max.CompareAndSwap(m, v); m = g.max.Load() {
	}
	var since time.Time
	for g.max.Load() < g.reach {
		now := time.Now()
		if !now.Before(g.lingerUntil) {
			break
		}
		if since.IsZero() {
			since = now
		}
		if now.Sub(since) < lingerSpin {
			runtime.Gosched()
		} else {
			time.Sleep(lingerNap)
		}
	}
	g.inFlight.Add(^uint64(0))
}

// reach is goc_limit_reach: K, or fewer when fewer could be in at once.
func reach(spawn bool, tasks, cycles, limit uint64) uint64 {
	could := cycles
	if !spawn && tasks < cycles {
		could = tasks
	}
	if could < limit {
		return could
	}
	return limit
}

// run is goc_limit_run. The clock starts when every worker or spawner waits
// at the gate, as in C. Each counts what it did: a worker the cycles it
// completed, a spawner the goroutines it started; every goroutine started
// runs to the end before children.Wait returns, so the cycles are their
// sum, without a shared count in the spawned goroutines' path.
func run(l limiter, spawn bool, tasks, cycles, limit uint64) stats {
	g := &gauge{reach: reach(spawn, tasks, cycles, limit)}
	gate := make(chan struct{})
	var ready, wg, children sync.WaitGroup
	done := make([]struct {
		n uint64
		_ [56]byte
	}, tasks)
	share, extra := cycles/tasks, cycles%tasks
	for i := uint64(0); i < tasks; i++ {
		n := share
		if i < extra {
			n++
		}
		ready.Add(1)
		wg.Add(1)
		go func(i, n uint64) {
			defer wg.Done()
			ready.Done()
			<-gate
			var did uint64
			for c := uint64(0); c < n; c++ {
				l.acquire()
				if spawn {
					children.Add(1)
					go func() {
						g.critical()
						l.release()
						children.Done()
					}()
				} else {
					g.critical()
					l.release()
				}
				did++
			}
			done[i].n = did
		}(i, n)
	}
	ready.Wait()
	t0 := time.Now()
	g.lingerUntil = t0.Add(lingerFor)
	close(gate)
	wg.Wait()
	children.Wait()
	s := stats{elapsed: time.Since(t0), max: g.max.Load(), heldAfter: uint64(l.held())}
	for i := range done {
		s.cycles += done[i].n
	}
	return s
}

// verify is goc_limit_verify, with its messages.
func verify(s stats, spawn bool, tasks, cycles, limit uint64) bool {
	if !probe.Expect("cycles done", cycles, s.cycles) {
		return false
	}
	if s.max > limit {
		probe.CheckFailed("%d in flight at once, more than the limit %d", s.max, limit)
		return false
	}
	if r := reach(spawn, tasks, cycles, limit); s.max < r {
		probe.CheckFailed("at most %d in flight at once, never %d (limit %d): the semaphore admits too few", s.max, r, limit)
		return false
	}
	return probe.Expect("units still held after every task returned", 0, s.heldAfter)
}

var (
	variantOpt = &probe.Option{Name: "--variant", Metavar: "V", Choices: []string{"chan", "goc"}, Str: "chan",
		Help: "the semaphore (default chan)"}
	formOpt = &probe.Option{Name: "--form", Metavar: "F", Choices: []string{"workers", "spawn"}, Str: "workers",
		Help: "workers cycle, or spawners limit task creation (default workers)"}
	sizeOpt = &probe.Option{Name: "--size", Metavar: "N", Min: 1, Max: maxSize, Num: defaultSize,
		Help: "acquire/release cycles in all (default 1000000; 100000 with --form spawn)"}
	tasksOpt = &probe.Option{Name: "--tasks", Metavar: "T", Min: 1, Max: maxTasks, Num: defaultTasks,
		Help: "worker or spawner tasks sharing the cycles (default 16)"}
	limitOpt = &probe.Option{Name: "--limit", Metavar: "K", Min: 1, Max: maxLimit, Num: defaultLimit,
		Help: "the semaphore's capacity (default 4)"}

	cli = probe.CLI{
		Prog:    prog,
		Summary: "Go baseline of goc's semaphore: limiting concurrency to K (goc's standard workload W8)",
		Options: []*probe.Option{variantOpt, formOpt, sizeOpt, tasksOpt, limitOpt},
		Epilog: "Variants: chan is Go's idiom, a buffered channel of capacity K (send to acquire,\n" +
			"receive to release); goc is golang.org/x/sync/semaphore's design (mutex, FIFO of\n" +
			"waiters), as libgoc's goc_sem is. Forms: workers runs T goroutines each doing\n" +
			"N/T cycles; spawn runs T spawners that each acquire before starting a goroutine,\n" +
			"which releases when it ends. check is the maximum in flight, verified to be at\n" +
			"most K and to reach K (or T, if fewer could be in at once). patterns/semaphore/\n" +
			"semaphore is the libgoc program with this command line and output (and posix).",
	}
)

func main() {
	cli.Parse(os.Args[1:])
	spawn := formOpt.Str == "spawn"
	size, tasks, limit := sizeOpt.Num, tasksOpt.Num, limitOpt.Num
	if spawn && !sizeOpt.Given {
		size = defaultSpawnSize
	}
	var l limiter
	if variantOpt.Str == "goc" {
		l = &weighted{size: int(limit)}
	} else {
		l = make(chanSem, limit)
	}
	s := run(l, spawn, tasks, size, limit)
	if !verify(s, spawn, tasks, size, limit) {
		os.Exit(probe.ExitCheck)
	}
	os.Exit(probe.Emit(probe.JSONLine(prog, variantOpt.Str, size, s.elapsed, probe.Check(s.max),
		probe.Field{Name: "tasks", Value: tasks}, probe.Field{Name: "limit", Value: limit},
		probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})))
}
