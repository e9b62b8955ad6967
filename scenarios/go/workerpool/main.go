// Command workerpool is the Go baseline for goc's workerpool target
// (patterns/workerpool/workerpool_main.c), standard workload W5: a producer
// feeds the ints 1..N to N workers through a jobs channel (capacity 100),
// the workers send results on a results channel (capacity 100), a closer
// closes the results once wg.Wait() returns, and the main goroutine sums
// them. Job A (--job square) squares the int; job B (--job xorshift) runs
// 2,000 rounds of xorshift64 on it.
//
// The pool is written the way the Go tutorials write one with error
// propagation (errgroup's shape, by hand): it runs under a context that the
// first failing job cancels; the producer and every send select on
// ctx.Done() (after trying the send alone, as the C pool does), and a
// worker checks it before each job. The benchmark never fails a job, but it
// pays for that structure, as the C pool does.
//
// Variants, as in C: chan (the idiom above), mutexq (two bounded queues
// made of a sync.Mutex and two sync.Conds, what one writes without
// channels, with a watcher goroutine that passes a cancellation on to
// them) and batch (chan []uint64, up to --batch jobs per slice, a fresh
// slice per batch as Go code would write it).
//
// The same command line, the same checks and the same JSON line, byte for
// byte in format, as the C program. Only the standard library is used, and
// nothing newer than Go 1.19. Exit status: 0 ok (the JSON line was
// printed), 1 check failed, 2 usage error (one line on stderr).
package main

import (
	"context"
	"os"
	"sync"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "workerpool"

	// The same bounds as the C program, so that both reject the same
	// command lines.
	maxJobs    = 1000000000
	maxWorkers = 4096
	maxQueue   = 16777216
	maxBatch   = 65536

	xorshiftRounds = 2000
)

// ---- the pool ---------------------------------------------------------------

// config is goc_workerpool_config: how the pool runs and its callbacks.
// next runs on the producer goroutine, work on the workers, collect on the
// calling goroutine.
type config struct {
	variant string
	workers int
	queue   int
	batch   int
	next    func() (uint64, bool)
	work    func(ctx context.Context, job uint64) (uint64, error)
	collect func(result uint64) error
}

// report is goc_workerpool_report: what a run did, whatever its outcome.
type report struct {
	produced, run, failed, collected uint64
	err                              error
}

// pool is one run's shared state.
type pool struct {
	cfg    config
	ctx    context.Context
	cancel context.CancelFunc

	errMu    sync.Mutex
	firstErr error // the error that canceled the pool; guarded by errMu

	produced  uint64 // written by the producer, read after tasks.Wait()
	exhausted bool   // likewise
	runs      []workerCounts

	workers sync.WaitGroup // the workers; the closer waits on it
	tasks   sync.WaitGroup // every goroutine of the pool

	jobq, resq *queue // mutexq only
}

// workerCounts is written once by its worker as it exits.
type workerCounts struct {
	run, failed uint64
}

// fail makes err the pool's error and cancels it, unless something
// canceled the pool first (the first cause wins).
func (p *pool) fail(err error) {
	p.errMu.Lock()
	if p.firstErr == nil && p.ctx.Err() == nil {
		p.firstErr = err
	}
	p.errMu.Unlock()
	p.cancelAll()
}

func (p *pool) cancelAll() {
	p.cancel()
	if p.jobq != nil {
		p.jobq.cancelQueue()
		p.resq.cancelQueue()
	}
}

// canceled is the non-blocking poll of ctx.Done() Go code uses between jobs.
func canceled(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// sendOrDone is `select { case ch <- v: return true; case <-done: return
// false }`, with the send tried alone first, as the C pool does: a send that
// can proceed at once then never touches done, the channel every goroutine
// of the pool shares. Both programs run the same algorithm, so the figures
// compare the runtimes, not two ways of writing the pool.
func sendOrDone[T any](ch chan<- T, v T, done <-chan struct{}) bool {
	select {
	case ch <- v:
		return true
	default:
	}
	select {
	case ch <- v:
		return true
	case <-done:
		return false
	}
}

// run is goc_workerpool_run: it returns once every goroutine it started
// has finished, with nil, the first job's or collect's error, or the
// context's error.
func run(parent context.Context, cfg config) (report, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	p := &pool{cfg: cfg, ctx: ctx, cancel: cancel, runs: make([]workerCounts, cfg.workers)}
	var collected uint64
	switch cfg.variant {
	case "chan":
		collected = p.runChan()
	case "batch":
		collected = p.runBatch()
	case "mutexq":
		collected = p.runMutexq()
	}
	p.tasks.Wait()

	r := report{produced: p.produced, collected: collected}
	for _, c := range p.runs {
		r.run += c.run
		r.failed += c.failed
	}
	p.errMu.Lock()
	r.err = p.firstErr
	p.errMu.Unlock()
	switch {
	case r.err != nil:
		return r, r.err
	case p.exhausted && r.collected == r.produced && r.failed == 0:
		return r, nil
	case ctx.Err() != nil:
		return r, ctx.Err()
	default:
		return r, context.Canceled
	}
}

// collector calls collect on each result until collect fails, then drops
// the rest.
type collector struct {
	p         *pool
	collected uint64
	failed    bool
}

func (k *collector) take(r uint64) {
	if k.failed {
		return
	}
	if k.p.cfg.collect != nil {
		if err := k.p.cfg.collect(r); err != nil {
			k.failed = true
			k.p.fail(err)
			return
		}
	}
	k.collected++
}

func (p *pool) runChan() uint64 {
	jobs := make(chan uint64, p.cfg.queue)
	results := make(chan uint64, p.cfg.queue)
	done := p.ctx.Done()

	p.workers.Add(p.cfg.workers)
	p.tasks.Add(p.cfg.workers + 2)
	for i := 0; i < p.cfg.workers; i++ {
		go func(i int) {
			defer p.tasks.Done()
			defer p.workers.Done()
			var run, failed uint64
			defer func() { p.runs[i] = workerCounts{run, failed} }()
			for j := range jobs {
				if canceled(done) {
					return
				}
				run++
				r, err := p.cfg.work(p.ctx, j)
				if err != nil {
					failed++
					p.fail(err)
					return
				}
				if !sendOrDone(results, r, done) {
					return
				}
			}
		}(i)
	}
	go func() { // the producer
		defer p.tasks.Done()
		defer close(jobs)
		for !canceled(done) {
			j, ok := p.cfg.next()
			if !ok {
				p.exhausted = true
				return
			}
			if !sendOrDone(jobs, j, done) {
				return
			}
			p.produced++
		}
	}()
	go func() { // the closer
		defer p.tasks.Done()
		p.workers.Wait()
		close(results)
	}()

	k := collector{p: p}
	for r := range results {
		k.take(r)
	}
	return k.collected
}

func (p *pool) runBatch() uint64 {
	jobs := make(chan []uint64, p.cfg.queue)
	results := make(chan []uint64, p.cfg.queue)
	done := p.ctx.Done()

	p.workers.Add(p.cfg.workers)
	p.tasks.Add(p.cfg.workers + 2)
	for i := 0; i < p.cfg.workers; i++ {
		go func(i int) {
			defer p.tasks.Done()
			defer p.workers.Done()
			var run, failed uint64
			defer func() { p.runs[i] = workerCounts{run, failed} }()
			for batch := range jobs {
				out := make([]uint64, 0, len(batch))
				for _, j := range batch {
					if canceled(done) {
						return
					}
					run++
					r, err := p.cfg.work(p.ctx, j)
					if err != nil {
						failed++
						p.fail(err)
						return
					}
					out = append(out, r)
				}
				if !sendOrDone(results, out, done) {
					return
				}
			}
		}(i)
	}
	go func() { // the producer
		defer p.tasks.Done()
		defer close(jobs)
		for !p.exhausted && !canceled(done) {
			batch := make([]uint64, 0, p.cfg.batch)
			for len(batch) < p.cfg.batch {
				j, ok := p.cfg.next()
				if !ok {
					p.exhausted = true
					break
				}
				batch = append(batch, j)
			}
			if len(batch) == 0 {
				return
			}
			if !sendOrDone(jobs, batch, done) {
				return
			}
			p.produced += uint64(len(batch))
		}
	}()
	go func() { // the closer
		defer p.tasks.Done()
		p.workers.Wait()
		close(results)
	}()

	k := collector{p: p}
	for batch := range results {
		for _, r := range batch {
			k.take(r)
		}
	}
	return k.collected
}

// queue is the hand-written bounded FIFO of the C program's mutexq: a ring
// under a mutex, a condition variable for each direction, and counts of
// the waiters so that put and get signal only when someone sleeps.
type queue struct {
	mu                sync.Mutex
	notEmpty, notFull *sync.Cond
	buf               []uint64 // guarded by mu
	head, count       int      // guarded by mu
	getters, putters  int      // guarded by mu
	closed, canceled  bool     // guarded by mu
}

func newQueue(capacity int) *queue {
	if capacity == 0 {
		capacity = 1
	}
	q := &queue{buf: make([]uint64, capacity)}
	q.notEmpty = sync.NewCond(&q.mu)
	q.notFull = sync.NewCond(&q.mu)
	return q
}

// put appends v, waiting while the ring is full; false once canceled.
func (q *queue) put(v uint64) bool {
	q.mu.Lock()
	for q.count == len(q.buf) && !q.canceled {
		q.putters++
		q.notFull.Wait()
		q.putters--
	}
	if q.canceled {
		q.mu.Unlock()
		return false
	}
	q.buf[(q.head+q.count)%len(q.buf)] = v
	q.count++
	if q.getters > 0 {
		q.notEmpty.Signal()
	}
	q.mu.Unlock()
	return true
}

// get takes the oldest value, waiting while the ring is empty; ok is false
// once closed and drained, or once canceled when stopOnCancel.
func (q *queue) get(stopOnCancel bool) (v uint64, ok bool) {
	q.mu.Lock()
	for q.count == 0 && !q.closed && !(stopOnCancel && q.canceled) {
		q.getters++
		q.notEmpty.Wait()
		q.getters--
	}
	if (stopOnCancel && q.canceled) || q.count == 0 {
		q.mu.Unlock()
		return 0, false
	}
	v = q.buf[q.head]
	q.head = (q.head + 1) % len(q.buf)
	q.count--
	if q.putters > 0 {
		q.notFull.Signal()
	}
	q.mu.Unlock()
	return v, true
}

func (q *queue) closeQueue() {
	q.mu.Lock()
	q.closed = true
	q.notEmpty.Broadcast()
	q.mu.Unlock()
}

func (q *queue) cancelQueue() {
	q.mu.Lock()
	q.canceled = true
	q.notEmpty.Broadcast()
	q.notFull.Broadcast()
	q.mu.Unlock()
}

func (p *pool) runMutexq() uint64 {
	p.jobq, p.resq = newQueue(p.cfg.queue), newQueue(p.cfg.queue)
	done := p.ctx.Done()
	stop := make(chan struct{})

	p.workers.Add(p.cfg.workers)
	p.tasks.Add(p.cfg.workers + 3)
	for i := 0; i < p.cfg.workers; i++ {
		go func(i int) {
			defer p.tasks.Done()
			defer p.workers.Done()
			var run, failed uint64
			defer func() { p.runs[i] = workerCounts{run, failed} }()
			for {
				j, ok := p.jobq.get(true)
				if !ok || canceled(done) {
					return
				}
				run++
				r, err := p.cfg.work(p.ctx, j)
				if err != nil {
					failed++
					p.fail(err)
					return
				}
				if !p.resq.put(r) {
					return
				}
			}
		}(i)
	}
	go func() { // the producer
		defer p.tasks.Done()
		defer p.jobq.closeQueue()
		for !canceled(done) {
			j, ok := p.cfg.next()
			if !ok {
				p.exhausted = true
				return
			}
			if !p.jobq.put(j) {
				return
			}
			p.produced++
		}
	}()
	go func() { // the watcher: condition variables cannot wait on ctx.Done()
		defer p.tasks.Done()
		select {
		case <-done:
			p.cancelAll()
		case <-stop:
		}
	}()
	go func() { // the closer
		defer p.tasks.Done()
		p.workers.Wait()
		p.resq.closeQueue()
	}()

	k := collector{p: p}
	for {
		r, ok := p.resq.get(false)
		if !ok {
			break
		}
		k.take(r)
	}
	close(stop)
	return k.collected
}

// ---- the workload -------------------------------------------------------------

// xorshift64 is Marsaglia's xorshift64 (13, 7, 17), rounds times.
func xorshift64(x uint64, rounds int) uint64 {
	for i := 0; i < rounds; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func workSquare(ctx context.Context, v uint64) (uint64, error) {
	return v * v, nil
}

func workXorshift(ctx context.Context, v uint64) (uint64, error) {
	return xorshift64(v, xorshiftRounds), nil
}

// expectedSquareSum is 1^2 + 2^2 + ... + n^2 mod 2^64, one term at a time.
func expectedSquareSum(n uint64) uint64 {
	var sum uint64
	for v := uint64(1); v <= n; v++ {
		sum += v * v
	}
	return sum
}

// expectedXorshiftSum sums xorshift64(x, rounds) for x in 1..n without
// running the rounds: they are linear over GF(2), one 64x64 bit matrix
// whose column j is xorshift64(1<<j), applied a byte at a time through 8
// tables of 256 precomputed combinations of columns.
func expectedXorshiftSum(n uint64) uint64 {
	var column [64]uint64
	for j := range column {
		column[j] = xorshift64(1<<uint(j), xorshiftRounds)
	}
	var table [8][256]uint64
	for b := 0; b < 8; b++ {
		for v := 0; v < 256; v++ {
			var x uint64
			for k := 0; k < 8; k++ {
				if v>>uint(k)&1 != 0 {
					x ^= column[b*8+k]
				}
			}
			table[b][v] = x
		}
	}
	var sum uint64
	for v := uint64(1); v <= n; v++ {
		var x uint64
		for b := 0; b < 8; b++ {
			x ^= table[b][(v>>(8*uint(b)))&0xff]
		}
		sum += x
	}
	return sum
}

// ---- the command line and the JSON line ------------------------------------------

// The options, in the order of --help; opt* index them.
var opts = []*probe.Option{
	{Name: "--variant", Metavar: "V", Help: "how jobs and results move (default chan; see below)",
		Choices: []string{"chan", "mutexq", "batch"}, Str: "chan"},
	{Name: "--job", Metavar: "J", Help: "job A squares v, job B runs 2000 rounds of xorshift64 on v (default square)",
		Choices: []string{"square", "xorshift"}, Str: "square"},
	{Name: "--workers", Metavar: "N", Help: "worker tasks (default 4)", Min: 1, Max: maxWorkers, Num: 4},
	{Name: "--jobs", Metavar: "N", Help: "jobs, the ints 1..N (default 1000000 for square, 200000 for xorshift)",
		Min: 1, Max: maxJobs},
	{Name: "--size", Metavar: "N", Help: "the same as --jobs (every target's size flag)", Min: 1, Max: maxJobs},
	{Name: "--queue", Metavar: "N", Help: "capacity of the jobs and of the results queue, in elements (batches for " +
		"batch); 0 = unbuffered, which mutexq takes as 1 (default 100)", Min: 0, Max: maxQueue, Num: 100},
	{Name: "--batch", Metavar: "N", Help: "jobs per channel element, for --variant batch only (default 64)",
		Min: 1, Max: maxBatch, Num: 64},
}

const (
	optVariant = iota
	optJob
	optWorkers
	optJobs
	optSize
	optQueue
	optBatch
)

var cli = probe.CLI{
	Prog:    prog,
	Summary: "Go baseline of goc's worker pool (goc's standard workload W5)",
	Options: opts,
	Epilog: "Variants: chan, Go channels (the idiom); mutexq, hand-written sync.Mutex and\n" +
		"sync.Cond queues; batch, channels whose elements are slices of --batch jobs.\n\n" +
		"W5: a producer sends the ints 1..N as jobs to the workers, which send results to\n" +
		"the main goroutine; a closer closes the results when the workers are done. Checks:\n" +
		"every job run and collected once, and the exact sum of the results mod 2^64\n" +
		"(the check field). Extra fields: workers, queue, batch (batch only), rounds\n" +
		"(xorshift rounds per job: 0 for square) and peak_rss_kb.\n" +
		"patterns/workerpool/workerpool is the libgoc program with this same command line\n" +
		"and output; here a task is a goroutine.",
}

func main() {
	cli.Parse(os.Args[1:])
	variant := opts[optVariant].Str
	xorshift := opts[optJob].Str == "xorshift"
	if opts[optJobs].Given && opts[optSize].Given {
		probe.UsageError("--jobs and --size both set the number of jobs; give one")
	}
	if opts[optBatch].Given && variant != "batch" {
		probe.UsageError("--batch applies to --variant batch only")
	}
	n := uint64(1000000)
	switch {
	case opts[optJobs].Given:
		n = opts[optJobs].Num
	case opts[optSize].Given:
		n = opts[optSize].Num
	case xorshift:
		n = 200000
	}
	workers, queue, batch := opts[optWorkers].Num, opts[optQueue].Num, opts[optBatch].Num

	// The producer's counter and the collector's sums are each touched by
	// one goroutine only, as in the C program.
	next := uint64(1)
	var sum, count uint64
	cfg := config{
		variant: variant,
		workers: int(workers),
		queue:   int(queue),
		batch:   int(batch),
		next: func() (uint64, bool) {
			if next > n {
				return 0, false
			}
			next++
			return next - 1, true
		},
		work: workSquare,
		collect: func(r uint64) error {
			sum += r
			count++
			return nil
		},
	}
	if xorshift {
		cfg.work = workXorshift
	}

	start := time.Now()
	rep, err := run(context.Background(), cfg)
	elapsed := time.Since(start)

	if err != nil {
		os.Exit(probe.CheckFailed("run: expected ok, got %v", err))
	}
	expected := expectedSquareSum(n)
	rounds := 0
	if xorshift {
		expected = expectedXorshiftSum(n)
		rounds = xorshiftRounds
	}
	if !probe.Expect("jobs produced", n, rep.produced) ||
		!probe.Expect("jobs run", n, rep.run) ||
		!probe.Expect("results collected (pool's count)", n, rep.collected) ||
		!probe.Expect("results collected (our count)", n, count) ||
		!probe.Expect("sum of results mod 2^64", expected, sum) {
		os.Exit(probe.ExitCheck)
	}

	extra := []probe.Field{{Name: "workers", Value: workers}, {Name: "queue", Value: queue}}
	if variant == "batch" {
		extra = append(extra, probe.Field{Name: "batch", Value: batch})
	}
	extra = append(extra, probe.Field{Name: "rounds", Value: uint64(rounds)},
		probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})
	os.Exit(probe.Emit(probe.JSONLine("workerpool", variant, n, elapsed, probe.Check(sum), extra...)))
}
