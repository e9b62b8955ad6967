// Command chanbench is the Go baseline for libgoc's chanbench
// (patterns/chanbench/chanbench.c): the standard workloads W1 pingpong,
// W2 spsc, W3 mpmc and W10 spawn (and its million form), the scheduler
// checks starve and blocking, and the select microbenchmarks select and
// selectnb, written the idiomatic Go way with the same command line, the
// same checks and the same JSON line, byte for byte in format, so that
// the harness (goc bench --with go) can run the two side by side. Only
// the standard library is used, and nothing newer than Go 1.19.
//
// Usage: chanbench WORKLOAD [--size N] [--cap N] [--cases K]; see --help.
// Exit status:
// 0 ok (the JSON line was printed), 1 check failed or the work could not be
// done (one line on stderr, no JSON line), 2 usage error (one line on stderr).
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "chanbench"

	// Sizes past this would overflow the uint64 sum of 1..N; the same
	// bounds as the C program, so that both reject the same command lines.
	maxSize  = 1000000000
	maxCap   = 16777216
	maxCases = 8

	// selectnb's channels: buffered, as a real queue would be, and always
	// empty.
	selectnbCap = 1024

	mpmcProducers = 4
	mpmcConsumers = 4
)

// A workload: its name, its --help line, its default size, capacity and
// number of select cases (0: --cases does not apply).
type workload struct {
	name         string
	help         string
	defaultSize  uint64
	defaultCap   uint64
	defaultCases uint64
}

var workloads = []workload{
	{"pingpong", "W1: two tasks pass an int back and forth over two channels; size = round trips (200000), cap 0", 200000, 0, 0},
	{"spsc", "W2: 1 producer sends 1..size to 1 consumer; size = messages (2000000), cap 0 (also run 1, 1024)", 2000000, 0, 0},
	{"mpmc", "W3: 4 producers, 4 consumers share 1..size; size = messages (4000000), cap 1024", 4000000, 1024, 0},
	{"spawn", "W10: start size tasks that each call wg.Done(), wait; size = tasks (100000); no --cap", 100000, 0, 0},
	{"million", "W10, million form: size tasks block on one channel, then its close releases them; size = tasks (1000000); M:N scheduler; no --cap", 1000000, 0, 0},
	{"starve", "a ping-pong pair holds one processor while main sleeps 100 us size times: ns per op = mean lateness; size = sleeps (1000); M:N, 1 processor; no --cap", 1000, 0, 0},
	{"blocking", "main blocks its thread in nanosleep(20 ms) size times beside a ping-pong pair: ns per op = mean stall of the pair; size = calls (20); M:N, 1 processor; no --cap", 20, 0, 0},
	{"select", "1 task selects over K channels (--cases, 4; also run 8), each fed 1/K of 1..size; size = messages (2000000), cap 1024", 2000000, 1024, 4},
	{"selectnb", "selects with default over K empty channels (--cases, 8); size = selects (10000000); no --cap", 10000000, selectnbCap, 8},
	{"linepingpong", "the floor under W1: two tasks pass a counter through two cache lines, spinning; size = round trips (1000000); no --cap", 1000000, 0, 0},
}

// One run's verified result: what the JSON line says.
type result struct {
	workload string
	variant  string
	ops      uint64
	elapsed  time.Duration
	check    uint64
	extra    []probe.Field // after check, before peak_rss_kb
}

// sumTo is 1 + 2 + ... + n, what the workloads' senders send between them.
func sumTo(n uint64) uint64 {
	if n%2 == 0 {
		return n / 2 * (n + 1)
	}
	return (n + 1) / 2 * n
}

// The main goroutine is the other side, as in the C program. It sends back
// what it received, so after n round trips the value is n exactly when every
// message was delivered once and in turn.
func runPingpong(n, capacity uint64) (result, bool) {
	ping := make(chan int64, capacity)
	pong := make(chan int64, capacity)
	var done sync.WaitGroup
	done.Add(1)

	start := time.Now()
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		done.Done()
	}()
	var v int64
	for i := uint64(0); i < n; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	done.Wait()
	elapsed := time.Since(start)

	if !probe.Expect("pingpong final value", n, uint64(v)) {
		return result{}, false
	}
	return result{"pingpong", fmt.Sprintf("cap%d", capacity), n, elapsed, uint64(v), nil}, true
}

// One producer sends 1..n and closes; the main goroutine consumes. The
// channel is a FIFO, so each value must also be the one after the last.
func runSpsc(n, capacity uint64) (result, bool) {
	ch := make(chan int64, capacity)
	var done sync.WaitGroup
	done.Add(1)

	var count, sum, outOfOrder, firstBadAt uint64
	var firstBad int64
	start := time.Now()
	go func() {
		for i := uint64(1); i <= n; i++ {
			ch <- int64(i)
		}
		close(ch)
		done.Done()
	}()
	for v := range ch {
		count++
		sum += uint64(v)
		if uint64(v) != count {
			if outOfOrder == 0 {
				firstBadAt, firstBad = count, v
			}
			outOfOrder++
		}
	}
	done.Wait()
	elapsed := time.Since(start)

	if !probe.Expect("spsc messages received", n, count) || !probe.Expect("spsc sum of received", sumTo(n), sum) {
		return result{}, false
	}
	if outOfOrder != 0 {
		probe.CheckFailed("spsc: %d messages out of order; message %d was %d", outOfOrder, firstBadAt, firstBad)
		return result{}, false
	}
	return result{"spsc", fmt.Sprintf("cap%d", capacity), n, elapsed, sum, nil}, true
}

// Producer p sends its share of 1..n (the last one takes the remainder);
// the main goroutine closes the channel once every producer is done.
// Consumers sum in locals and publish once, after their loop.
func runMpmc(n, capacity uint64) (result, bool) {
	ch := make(chan int64, capacity)
	var produced, consumed sync.WaitGroup
	var counts, sums [mpmcConsumers]uint64
	share := n / mpmcProducers

	consumed.Add(mpmcConsumers)
	produced.Add(mpmcProducers)
	start := time.Now()
	for c := 0; c < mpmcConsumers; c++ {
		go func(c int) {
			var count, sum uint64
			for v := range ch {
				count++
				sum += uint64(v)
			}
			counts[c], sums[c] = count, sum
			consumed.Done()
		}(c)
	}
	for p := uint64(0); p < mpmcProducers; p++ {
		from, to := p*share+1, (p+1)*share
		if p == mpmcProducers-1 {
			to = n
		}
		go func(from, to uint64) {
			for i := from; i <= to; i++ {
				ch <- int64(i)
			}
			produced.Done()
		}(from, to)
	}
	produced.Wait()
	close(ch)
	consumed.Wait()
	elapsed := time.Since(start)

	var count, sum uint64
	for c := 0; c < mpmcConsumers; c++ {
		count += counts[c]
		sum += sums[c]
	}
	if !probe.Expect("mpmc messages received", n, count) || !probe.Expect("mpmc sum of received", sumTo(n), sum) {
		return result{}, false
	}
	return result{"mpmc", fmt.Sprintf("cap%d", capacity), n, elapsed, sum, nil}, true
}

// One wg.Add(n) before the loop, as the C program does, so the figure is
// the cost of starting and finishing a goroutine.
func runSpawn(n uint64) (result, bool) {
	var wg sync.WaitGroup
	var ran uint64
	wg.Add(int(n))
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		go func() {
			atomic.AddUint64(&ran, 1)
			wg.Done()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	got := atomic.LoadUint64(&ran)
	if !probe.Expect("spawn tasks that ran", n, got) {
		return result{}, false
	}
	return result{"spawn", "wg", n, elapsed, got, nil}, true
}

// Go's select statement has as many cases as its source text, so a select
// over K channels, K from the command line, is written out here once for
// each power of two up to maxCases (8: the 4 and 8 cases the standard
// comparison measures); K channels use the smallest that holds them, with
// nil channels (never ready) in the cases past K. For K = 1, 2, 4 and 8 the
// select is exactly what a Go programmer would write; for other K, Go also
// pays for the nil cases up to the next power of two, which the C program
// does not have. reflect.Select would take any
// K, but it allocates and converts on every call, which is no baseline.
type selectFuncs struct {
	cases int
	// recv blocks until a case proceeds: its index and what the receive
	// gave (v, ok), as in `case v, ok := <-c[i]:`.
	recv func(c []chan int64) (int, int64, bool)
	// empty is a select with default: true when it took the default.
	empty func(c []chan int64) bool
}

var selects = []selectFuncs{
	{1, recvSelect1, emptySelect1},
	{2, recvSelect2, emptySelect2},
	{4, recvSelect4, emptySelect4},
	{8, recvSelect8, emptySelect8},
}

// The million form of W10: n goroutines each block receiving from one
// unbuffered channel; main closes it once all are started and waits for
// every one to have seen the close.
func runMillion(n uint64) (result, bool) {
	gate := make(chan int64)
	var wg sync.WaitGroup
	var released uint64
	wg.Add(int(n))
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		go func() {
			if v, ok := <-gate; !ok && v == 0 {
				atomic.AddUint64(&released, 1)
			}
			wg.Done()
		}()
	}
	close(gate)
	wg.Wait()
	elapsed := time.Since(start)

	got := atomic.LoadUint64(&released)
	if !probe.Expect("million tasks released by the close", n, got) {
		return result{}, false
	}
	return result{"million", "gate", n, elapsed, got, nil}, true
}

// The scheduler checks run on one processor, with a ping-pong pair handing
// an int back and forth until told to stop, while main, a third goroutine,
// measures how long it waits for its turn.
type pair struct {
	ping, pong chan int64
	stop       atomic.Bool
	callAt     atomic.Int64 // blocking: when main's call began (0: none)
	firstAfter atomic.Int64 // and the pair's first round trip after it (0: none yet)
	rounds     uint64
	ok         bool
	done       sync.WaitGroup
}

func startPair() *pair {
	runtime.GOMAXPROCS(1)
	p := &pair{ping: make(chan int64), pong: make(chan int64), ok: true}
	p.done.Add(2)
	go func() {
		for v := range p.ping {
			p.pong <- v + 1
		}
		p.done.Done()
	}()
	go func() {
		var v int64
		var i uint64
		for !p.stop.Load() {
			p.ping <- v
			sent := v
			v = <-p.pong
			p.ok = p.ok && v == sent+1
			i++
			if p.callAt.Load() != 0 && p.firstAfter.Load() == 0 {
				p.firstAfter.Store(time.Now().UnixNano())
			}
		}
		p.rounds = i
		close(p.ping)
		p.done.Done()
	}()
	return p
}

// stopPair stops the pair and checks it: at least minRounds round trips,
// each answered right.
func (p *pair) stopPair(minRounds uint64) bool {
	p.stop.Store(true)
	p.done.Wait()
	if !p.ok {
		probe.CheckFailed("ping-pong pair: an answer was not the value sent plus one")
		return false
	}
	if p.rounds < minRounds {
		probe.CheckFailed("ping-pong pair: %d round trips, fewer than the %d the check needs", p.rounds, minRounds)
		return false
	}
	return true
}

// runBesidePair runs the pair while main takes wait n times, each
// returning what it measured (ok false: it failed, reported): the result's
// time is their sum (ns/op their mean), worstField the largest. The pair
// must have run meanwhile, or nothing was measured: a round trip per wait
// at least.
func runBesidePair(n uint64, workload, variant, worstField string, wait func(p *pair) (time.Duration, bool)) (result, bool) {
	p := startPair()
	var sum, worst time.Duration
	for i := uint64(0); i < n; i++ {
		d, ok := wait(p)
		if !ok {
			p.stopPair(0)
			return result{}, false
		}
		sum += d
		if d > worst {
			worst = d
		}
	}
	if !p.stopPair(n) {
		return result{}, false
	}
	return result{workload, variant, n, sum, n, []probe.Field{
		{Name: worstField, Value: uint64(worst.Nanoseconds())},
		{Name: "pair_round_trips", Value: p.rounds}}}, true
}

const starveSleep = 100 * time.Microsecond

// sleepLateness sleeps 100 us and returns how late its wake-up ran, from
// its deadline, while the pair holds the processor.
func sleepLateness(p *pair) (time.Duration, bool) {
	deadline := time.Now().Add(starveSleep)
	time.Sleep(starveSleep)
	return time.Since(deadline), true
}

func runStarve(n uint64) (result, bool) {
	return runBesidePair(n, "starve", "sleep100us", "late_max_ns", sleepLateness)
}

const (
	blockingCall = 20 * time.Millisecond
	blockingGap  = time.Millisecond
)

// blockedStall sleeps 1 ms, then blocks its thread in nanosleep(20 ms) and
// returns how long the pair stalled, from the call to its next round trip
// (the whole call if none came before it returned).
func blockedStall(p *pair) (time.Duration, bool) {
	time.Sleep(blockingGap)
	call := time.Now().UnixNano()
	p.firstAfter.Store(0)
	p.callAt.Store(call)
	ts := syscall.NsecToTimespec(blockingCall.Nanoseconds())
	err := syscall.Nanosleep(&ts, &ts)
	for err == syscall.EINTR {
		err = syscall.Nanosleep(&ts, &ts)
	}
	first := p.firstAfter.Load()
	if first == 0 {
		first = time.Now().UnixNano()
	}
	p.callAt.Store(0)
	if err != nil {
		probe.CheckFailed("nanosleep: %v", err)
		return 0, false
	}
	return time.Duration(first - call), true
}

func runBlocking(n uint64) (result, bool) {
	return runBesidePair(n, "blocking", "nanosleep20ms", "stall_max_ns", blockedStall)
}

// selectFor returns the smallest written-out select with at least k cases.
func selectFor(k uint64) selectFuncs {
	for _, s := range selects {
		if uint64(s.cases) >= k {
			return s
		}
	}
	panic("chanbench: no select with enough cases")
}

// Sender k sends values k*n/K+1 .. (k+1)*n/K of 1..n on channel k, then
// closes it; the main goroutine selects over every channel still open and
// sets a closed one to nil, which disables its case, until none is left, as
// the C program does. Each channel has one sender, so a value must also be
// the one after the last taken from the same case.
func runSelect(n, k, capacity uint64) (result, bool) {
	sel := selectFor(k)
	c := make([]chan int64, sel.cases)
	next := make([]uint64, k)
	var done sync.WaitGroup
	for i := uint64(0); i < k; i++ {
		c[i] = make(chan int64, capacity)
		next[i] = i*n/k + 1
	}

	var count, sum, outOfOrder, firstBadAt, firstBadWant uint64
	var firstBad int64
	var firstBadCase int
	done.Add(int(k))
	start := time.Now()
	for i := uint64(0); i < k; i++ {
		go func(ch chan int64, from, to uint64) {
			for v := from; v <= to; v++ {
				ch <- int64(v)
			}
			close(ch)
			done.Done()
		}(c[i], i*n/k+1, (i+1)*n/k)
	}
	for open := k; open > 0; {
		i, v, ok := sel.recv(c)
		if !ok {
			c[i] = nil
			open--
			continue
		}
		count++
		sum += uint64(v)
		if uint64(v) != next[i] {
			if outOfOrder == 0 {
				firstBadAt, firstBadCase, firstBad, firstBadWant = count, i, v, next[i]
			}
			outOfOrder++
		}
		next[i]++
	}
	done.Wait()
	elapsed := time.Since(start)

	if !probe.Expect("select messages received", n, count) || !probe.Expect("select sum of received", sumTo(n), sum) {
		return result{}, false
	}
	if outOfOrder != 0 {
		probe.CheckFailed("select: %d messages out of order; message %d (case %d) was %d, expected %d",
			outOfOrder, firstBadAt, firstBadCase, firstBad, firstBadWant)
		return result{}, false
	}
	return result{"select", fmt.Sprintf("cases%d-cap%d", k, capacity), n, elapsed, sum, nil}, true
}

// Nobody sends, so every select must take its default: the figure is what a
// select with default costs when it finds nothing, on one goroutine.
func runSelectnb(n, k uint64) (result, bool) {
	sel := selectFor(k)
	c := make([]chan int64, sel.cases)
	for i := uint64(0); i < k; i++ {
		c[i] = make(chan int64, selectnbCap)
	}

	var wouldBlock uint64
	start := time.Now()
	for i := uint64(0); i < n; i++ {
		if sel.empty(c) {
			wouldBlock++
		}
	}
	elapsed := time.Since(start)

	if !probe.Expect("selectnb selects that would block", n, wouldBlock) {
		return result{}, false
	}
	return result{"selectnb", fmt.Sprintf("cases%d-empty", k), n, elapsed, wouldBlock, nil}, true
}

// linePingpong is two cache lines, each a counter that one side writes and
// the other spins on.
type linePingpong struct {
	_       [64]byte
	ping    atomic.Uint64 // main -> peer: the round
	payload uint64        // main -> peer: written before ping, in its line
	_       [48]byte
	pong    atomic.Uint64 // peer -> main
	intact  uint64        // the peer's until done: payloads that arrived whole
	_       [48]byte
}

// linePayload is round i's payload: one that a stale or torn line would
// not show.
func linePayload(i uint64) uint64 {
	return i * 0x9E3779B97F4A7C15
}

// The spinner yields its thread's CPU every lineSpinsPerYield polls, as
// the C program does, with the kernel's sched_yield (osYield): runtime.Gosched
// would hand the locked goroutine's P to another thread, a far costlier
// switch. Only every lineSpinsPerGosched polls does it do that too, so
// that with one P (GOMAXPROCS 1, or one CPU) the peer still gets to run.
const (
	lineSpinsPerYield   = 64
	lineSpinsPerGosched = 4096
)

func lineWaitFor(line *atomic.Uint64, v uint64) {
	for spins := 1; line.Load() != v; spins++ {
		if spins%lineSpinsPerGosched == 0 {
			runtime.Gosched()
		} else if spins%lineSpinsPerYield == 0 {
			osYield()
		}
	}
}

// Two goroutines pass a counter back and forth through two cache lines,
// spinning: no channel. Each is locked to its own thread, as a libgoc task
// is one: otherwise the scheduler may run both on one thread, switching at
// each yield, and this would time goroutine switches rather than what the
// C program's linepingpong measures, the cost of moving each line between
// CPUs once. The two should agree within the noise (the C spinner pauses,
// x86 PAUSE, between polls; Go has no such hint and polls back to back).
func runLinePingpong(n uint64) (result, bool) {
	lp := new(linePingpong)
	var done sync.WaitGroup
	done.Add(1)

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := uint64(1); i <= n; i++ {
			lineWaitFor(&lp.ping, i)
			if lp.payload == linePayload(i) {
				lp.intact++
			}
			lp.pong.Store(i)
		}
		done.Done()
	}()
	for i := uint64(1); i <= n; i++ {
		lp.payload = linePayload(i)
		lp.ping.Store(i)
		lineWaitFor(&lp.pong, i)
	}
	done.Wait()
	elapsed := time.Since(start)

	got := lp.pong.Load()
	// The final value only says the loops ended; the payloads say the data
	// crossed with them.
	if !probe.Expect("linepingpong final value", n, got) ||
		!probe.Expect("linepingpong payloads that arrived intact", n, lp.intact) {
		return result{}, false
	}
	return result{"linepingpong", "spin", n, elapsed, got, nil}, true
}

// The command line: the workloads above, three options and the --help text.
var (
	sizeOpt = &probe.Option{Name: "--size", Metavar: "N", Min: 1, Max: maxSize,
		Help: "operations: round trips, messages, tasks or selects (default: the workload's, above)"}
	capOpt = &probe.Option{Name: "--cap", Metavar: "N", Min: 0, Max: maxCap,
		Help: "channel capacity, 0 = unbuffered (default: the workload's, above)"}
	casesOpt = &probe.Option{Name: "--cases", Metavar: "K", Min: 1, Max: maxCases,
		Help: "select and selectnb: channels, one case each, 1..8 (default: the workload's, above)"}

	cli = probe.CLI{
		Prog:    prog,
		Summary: "Go baseline of libgoc's channel and task benchmarks (goc's standard workloads W1, W2, W3, W10; select)",
		Options: []*probe.Option{sizeOpt, capOpt, casesOpt},
		Epilog: "The variant field is \"cap<N>\" (\"wg\" for spawn, \"cases<K>-cap<N>\" for select,\n" +
			"\"cases<K>-empty\" for selectnb, \"spin\" for linepingpong); peak_rss_kb is\n" +
			"the process's peak resident set. patterns/chanbench/chanbench is the\n" +
			"libgoc program with this same command line and output; here a task is a\n" +
			"goroutine. A select over K channels is written with the next power of two\n" +
			"cases, those past K on nil channels.",
	}
)

func main() {
	for _, wl := range workloads {
		cli.Workloads = append(cli.Workloads, probe.Workload{Name: wl.name, Help: wl.help})
	}
	cli.Parse(os.Args[1:])
	wl := cli.Workload

	size, capacity, cases := sizeOpt.Num, capOpt.Num, casesOpt.Num
	if !sizeOpt.Given {
		size = workloads[wl].defaultSize
	}
	if !capOpt.Given {
		capacity = workloads[wl].defaultCap
	} else if name := workloads[wl].name; name == "spawn" || name == "million" || name == "starve" ||
		name == "blocking" || name == "selectnb" || name == "linepingpong" {
		probe.UsageError("--cap does not apply to %s", name)
	}
	if !casesOpt.Given {
		cases = workloads[wl].defaultCases
	} else if workloads[wl].defaultCases == 0 {
		probe.UsageError("--cases does not apply to %s", workloads[wl].name)
	}

	var r result
	var ok bool
	switch workloads[wl].name {
	case "pingpong":
		r, ok = runPingpong(size, capacity)
	case "spsc":
		r, ok = runSpsc(size, capacity)
	case "mpmc":
		r, ok = runMpmc(size, capacity)
	case "spawn":
		r, ok = runSpawn(size)
	case "million":
		r, ok = runMillion(size)
	case "starve":
		r, ok = runStarve(size)
	case "blocking":
		r, ok = runBlocking(size)
	case "select":
		r, ok = runSelect(size, cases, capacity)
	case "selectnb":
		r, ok = runSelectnb(size, cases)
	case "linepingpong":
		r, ok = runLinePingpong(size)
	}
	if !ok {
		os.Exit(probe.ExitCheck)
	}
	extra := append(r.extra, probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})
	os.Exit(probe.Emit(probe.JSONLine(r.workload, r.variant, r.ops, r.elapsed, probe.Check(r.check), extra...)))
}

// The selects of selectFuncs, written out: recvSelectM blocks in a select
// over c[0..M), emptySelectM adds a default.

func recvSelect1(c []chan int64) (int, int64, bool) {
	select {
	case v, ok := <-c[0]:
		return 0, v, ok
	}
}

func recvSelect2(c []chan int64) (int, int64, bool) {
	select {
	case v, ok := <-c[0]:
		return 0, v, ok
	case v, ok := <-c[1]:
		return 1, v, ok
	}
}

func recvSelect4(c []chan int64) (int, int64, bool) {
	select {
	case v, ok := <-c[0]:
		return 0, v, ok
	case v, ok := <-c[1]:
		return 1, v, ok
	case v, ok := <-c[2]:
		return 2, v, ok
	case v, ok := <-c[3]:
		return 3, v, ok
	}
}

func recvSelect8(c []chan int64) (int, int64, bool) {
	select {
	case v, ok := <-c[0]:
		return 0, v, ok
	case v, ok := <-c[1]:
		return 1, v, ok
	case v, ok := <-c[2]:
		return 2, v, ok
	case v, ok := <-c[3]:
		return 3, v, ok
	case v, ok := <-c[4]:
		return 4, v, ok
	case v, ok := <-c[5]:
		return 5, v, ok
	case v, ok := <-c[6]:
		return 6, v, ok
	case v, ok := <-c[7]:
		return 7, v, ok
	}
}

func emptySelect1(c []chan int64) bool {
	select {
	case <-c[0]:
	default:
		return true
	}
	return false
}

func emptySelect2(c []chan int64) bool {
	select {
	case <-c[0]:
	case <-c[1]:
	default:
		return true
	}
	return false
}

func emptySelect4(c []chan int64) bool {
	select {
	case <-c[0]:
	case <-c[1]:
	case <-c[2]:
	case <-c[3]:
	default:
		return true
	}
	return false
}

func emptySelect8(c []chan int64) bool {
	select {
	case <-c[0]:
	case <-c[1]:
	case <-c[2]:
	case <-c[3]:
	case <-c[4]:
	case <-c[5]:
	case <-c[6]:
	case <-c[7]:
	default:
		return true
	}
	return false
}
