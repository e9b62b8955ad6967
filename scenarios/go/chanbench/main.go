// Command chanbench is the Go baseline for libgoc's chanbench
// (patterns/runtime/bench/chanbench.c): the standard workloads W1 pingpong,
// W2 spsc, W3 mpmc and W10 spawn, written the idiomatic Go way with the
// same command line, the same checks and the same JSON line, byte for byte
// in format, so that scripts/bench-compare and the harness can run the two
// side by side. Only the standard library is used, and nothing newer than
// Go 1.19.
//
// Usage: chanbench WORKLOAD [--size N] [--cap N]; see --help. Exit status:
// 0 ok (the JSON line was printed), 1 check failed or the work could not be
// done (one line on stderr, no JSON line), 2 usage error (one line on stderr).
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	prog = "chanbench"

	exitOK    = 0
	exitCheck = 1
	exitUsage = 2

	// Sizes past this would overflow the uint64 sum of 1..N; the same
	// bounds as the C program, so that both reject the same command lines.
	maxSize = 1000000000
	maxCap  = 16777216

	mpmcProducers = 4
	mpmcConsumers = 4
)

// A workload: its name, its --help line, its default size and capacity.
type workload struct {
	name        string
	help        string
	defaultSize uint64
	defaultCap  uint64
}

var workloads = []workload{
	{"pingpong", "W1: two tasks pass an int back and forth over two channels; size = round trips (200000), cap 0", 200000, 0},
	{"spsc", "W2: 1 producer sends 1..size to 1 consumer; size = messages (2000000), cap 0 (also run 1, 1024)", 2000000, 0},
	{"mpmc", "W3: 4 producers, 4 consumers share 1..size; size = messages (4000000), cap 1024", 4000000, 1024},
	{"spawn", "W10: start size tasks that each call wg.Done(), wait; size = tasks (100000); no --cap", 100000, 0},
}

// One run's verified result: what the JSON line says.
type result struct {
	workload string
	variant  string
	ops      uint64
	elapsed  time.Duration
	check    uint64
}

// usageError reports a bad command line the way the C probe library does,
// then exits 2.
func usageError(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s (see %s --help)\n", prog, fmt.Sprintf(format, args...), prog)
	os.Exit(exitUsage)
}

// checkFailed reports a failed verification and returns the exit status.
func checkFailed(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, "%s: check failed: %s\n", prog, fmt.Sprintf(format, args...))
	return exitCheck
}

// expect is probe_expect_u64: true if got == expected, else a message.
func expect(what string, expected, got uint64) bool {
	if got == expected {
		return true
	}
	checkFailed("%s: expected %d, got %d", what, expected, got)
	return false
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

	if !expect("pingpong final value", n, uint64(v)) {
		return result{}, false
	}
	return result{"pingpong", fmt.Sprintf("cap%d", capacity), n, elapsed, uint64(v)}, true
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

	if !expect("spsc messages received", n, count) || !expect("spsc sum of received", sumTo(n), sum) {
		return result{}, false
	}
	if outOfOrder != 0 {
		checkFailed("spsc: %d messages out of order; message %d was %d", outOfOrder, firstBadAt, firstBad)
		return result{}, false
	}
	return result{"spsc", fmt.Sprintf("cap%d", capacity), n, elapsed, sum}, true
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
	if !expect("mpmc messages received", n, count) || !expect("mpmc sum of received", sumTo(n), sum) {
		return result{}, false
	}
	return result{"mpmc", fmt.Sprintf("cap%d", capacity), n, elapsed, sum}, true
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
	if !expect("spawn tasks that ran", n, got) {
		return result{}, false
	}
	return result{"spawn", "wg", n, elapsed, got}, true
}

// peakRSSKB is the process's largest resident set so far, in KiB (Linux).
func peakRSSKB() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss < 0 {
		return 0
	}
	return uint64(ru.Maxrss)
}

// jsonLine formats the result as probe_format() does in C: the same fields,
// order and number formats.
func jsonLine(r result, peakRSS uint64) string {
	ns := r.elapsed.Nanoseconds()
	return fmt.Sprintf("{\"workload\":%s,\"variant\":%s,\"ops\":%d,\"seconds\":%.9f,\"ns_per_op\":%.3f,\"check\":%d,\"peak_rss_kb\":%d}",
		strconv.Quote(r.workload), strconv.Quote(r.variant), r.ops,
		float64(ns)/1e9, float64(ns)/float64(r.ops), r.check, peakRSS)
}

func printHelp(w io.Writer) {
	width := len("--help")
	for _, wl := range workloads {
		if len(wl.name) > width {
			width = len(wl.name)
		}
	}
	flags := [][2]string{
		{"--size N", "operations: round trips, messages or tasks (default: the workload's, above)"},
		{"--cap N", "channel capacity, 0 = unbuffered (default: the workload's, above)"},
		{"--help", "print this help and exit"},
	}
	for _, f := range flags {
		if len(f[0]) > width {
			width = len(f[0])
		}
	}
	fmt.Fprintf(w, "%s - Go baseline of libgoc's channel and task benchmarks (goc's standard workloads W1, W2, W3, W10)\n\n", prog)
	fmt.Fprintf(w, "usage: %s WORKLOAD [--size N] [--cap N]\n\nworkloads:\n", prog)
	for _, wl := range workloads {
		fmt.Fprintf(w, "  %-*s  %s\n", width, wl.name, wl.help)
	}
	fmt.Fprintf(w, "\noptions:\n")
	for _, f := range flags {
		fmt.Fprintf(w, "  %-*s  %s\n", width, f[0], f[1])
	}
	fmt.Fprintf(w, "\nPrints one JSON line for a verified run. Exit status: 0 ok, 1 check failed\n"+
		"(or the work could not be done), 2 usage error.\n\n"+
		"The variant field is \"cap<N>\" (\"wg\" for spawn); peak_rss_kb is the process's\n"+
		"peak resident set. patterns/runtime/bench/chanbench is the libgoc program with\n"+
		"this same command line and output; here a task is a goroutine.\n")
}

// parseUint accepts decimal digits only, as the C probe does: no sign, no
// spaces, no 0x, so that a mistyped size is an error and not a surprise.
func parseUint(flag, text string, min, max uint64) uint64 {
	if text == "" || strings.Trim(text, "0123456789") != "" {
		usageError("%s: '%s' is not a non-negative integer", flag, text)
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		usageError("%s: '%s' is too large (at most %d)", flag, text, max)
	}
	if v < min || v > max {
		usageError("%s: %d is out of range (%d..%d)", flag, v, min, max)
	}
	return v
}

func main() {
	args := os.Args[1:]
	for _, a := range args {
		if a == "--help" || a == "-h" {
			printHelp(os.Stdout)
			os.Exit(exitOK)
		}
	}

	wl := -1
	var size, capacity uint64
	sizeGiven, capGiven := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			name, value, hasValue := strings.Cut(a, "=")
			if name != "--size" && name != "--cap" {
				usageError("unknown flag '%s'", name)
			}
			if !hasValue {
				if i+1 >= len(args) {
					usageError("%s needs a value (N)", name)
				}
				i++
				value = args[i]
			}
			if name == "--size" {
				size, sizeGiven = parseUint(name, value, 1, maxSize), true
			} else {
				capacity, capGiven = parseUint(name, value, 0, maxCap), true
			}
			continue
		}
		if wl >= 0 {
			usageError("unexpected argument '%s' (the workload is '%s')", a, workloads[wl].name)
		}
		for w := range workloads {
			if workloads[w].name == a {
				wl = w
			}
		}
		if wl < 0 {
			usageError("unknown workload '%s'", a)
		}
	}
	if wl < 0 {
		usageError("no workload given")
	}
	if !sizeGiven {
		size = workloads[wl].defaultSize
	}
	if !capGiven {
		capacity = workloads[wl].defaultCap
	} else if workloads[wl].name == "spawn" {
		usageError("--cap does not apply to spawn")
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
	}
	if !ok {
		os.Exit(exitCheck)
	}
	// A line the reader never got is no result: report a failed write.
	if _, err := fmt.Println(jsonLine(r, peakRSSKB())); err != nil {
		fmt.Fprintf(os.Stderr, "%s: writing the result line failed: %v\n", prog, err)
		os.Exit(exitCheck)
	}
}
