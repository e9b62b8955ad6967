// Command pipeline is the Go baseline for goc's pipeline target
// (patterns/pipeline/pipeline_main.c), standard workload W6: generate 1..N
// -> square -> filter(even) -> sum, each stage a goroutine, written the
// idiomatic Go way (Go's "Pipelines and cancellation": a done channel in
// every send, `defer close(out)` in every stage), with the same command
// line, the same checks and the same JSON line, byte for byte in format.
//
// Variants: unbuffered (chan item), buffered (chan item of capacity --cap)
// and batched (chan []item of capacity --cap, each slice up to --batch
// items, a fresh slice per batch as Go code would write it). --take K makes
// the consumer take the first K results and close done; --fail-every K
// makes the square stage fail the items whose id is a multiple of K, and
// the errors must reach the sink with their ids. The sum is kept in 128 bits
// (math/bits) and compared exactly with the closed form (math/big).
//
// Only the standard library is used, and nothing newer than Go 1.19.
// Exit status: 0 ok (the JSON line was printed), 1 check failed, 2 usage
// error (one line on stderr).
package main

import (
	"errors"
	"math/big"
	"math/bits"
	"os"
	"strconv"
	"sync"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "pipeline"

	// The same bounds as the C program, so that both reject the same
	// command lines: squares of values above 2^32 - 1 overflow 64 bits.
	maxSize  = 4294967295
	maxCap   = 16777216
	maxBatch = 65536

	defaultSize  = 1000000
	defaultCap   = 128
	defaultBatch = 128
)

// An item carries its identity (id, set by the generator and never
// changed) and, once a stage failed it, an error naming that stage.
type item struct {
	id, value uint64
	err       error
}

// stageError is how a failed item names the stage that failed it.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

var (
	errInjected = errors.New("injected failure")
	errOverflow = errors.New("overflow")
)

// A stage's work on one item that has not failed: keep it (value possibly
// changed), drop it (keep == false, err == nil) or fail it (err != nil).
type stageFn func(it *item) (keep bool, err error)

func square(it *item) (bool, error) {
	if it.value > 0xffffffff {
		return false, errOverflow
	}
	it.value *= it.value
	return true, nil
}

func even(it *item) (bool, error) { return it.value%2 == 0, nil }

// apply runs f on an item that has not failed; a failed item skips it and
// travels on. It returns false when the item is dropped.
func apply(name string, f stageFn, it *item) bool {
	if it.err != nil {
		return true
	}
	keep, err := f(it)
	if err != nil {
		it.err = &stageError{name, err}
		return true
	}
	return keep
}

// ---- one item per channel element (unbuffered, buffered) --------------------

func generate(done <-chan struct{}, wg *sync.WaitGroup, n uint64, capacity int) <-chan item {
	out := make(chan item, capacity)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		for i := uint64(1); i <= n; i++ {
			select {
			case out <- item{id: i, value: i}:
			case <-done:
				return
			}
		}
	}()
	return out
}

func stage(done <-chan struct{}, wg *sync.WaitGroup, in <-chan item, capacity int, name string, f stageFn) <-chan item {
	out := make(chan item, capacity)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		for it := range in {
			if !apply(name, f, &it) {
				continue
			}
			select {
			case out <- it:
			case <-done:
				return
			}
		}
	}()
	return out
}

// ---- batches: a channel of slices ---------------------------------------------

// batcher fills a slice and sends it when full, at the end, and (for
// stages) before waiting for input, as the C writer does.
type batcher struct {
	out   chan<- []item
	done  <-chan struct{}
	size  int
	items []item
}

// flush sends what is batched; false once done is closed.
func (b *batcher) flush() bool {
	if len(b.items) == 0 {
		return true
	}
	select {
	case b.out <- b.items:
		b.items = make([]item, 0, b.size)
		return true
	case <-b.done:
		return false
	}
}

func (b *batcher) put(it item) bool {
	b.items = append(b.items, it)
	if len(b.items) < b.size {
		return true
	}
	return b.flush()
}

func generateBatched(done <-chan struct{}, wg *sync.WaitGroup, n uint64, capacity, size int) <-chan []item {
	out := make(chan []item, capacity)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		b := batcher{out, done, size, make([]item, 0, size)}
		for i := uint64(1); i <= n; i++ {
			if !b.put(item{id: i, value: i}) {
				return
			}
		}
		b.flush()
	}()
	return out
}

func stageBatched(done <-chan struct{}, wg *sync.WaitGroup, in <-chan []item, capacity, size int, name string, f stageFn) <-chan []item {
	out := make(chan []item, capacity)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(out)
		b := batcher{out, done, size, make([]item, 0, size)}
		for {
			var batch []item
			var ok bool
			select {
			case batch, ok = <-in:
			default:
				// About to wait for input: send what is batched first.
				if !b.flush() {
					return
				}
				batch, ok = <-in
			}
			if !ok {
				b.flush()
				return
			}
			for _, it := range batch {
				if apply(name, f, &it) && !b.put(it) {
					return
				}
			}
		}
	}()
	return out
}

// ---- the sink ----------------------------------------------------------------------

// What the sink saw. sum is 128 bits: hi, lo.
type totals struct {
	sumHi, sumLo uint64
	ok, failed   uint64
	lastID       uint64
	limited      bool
	idsHi, idsLo uint64 // the sum of the failed ids, 128 bits: with failed, their identity
	wrong        uint64 // failed items that were not the injected ones, or misattributed
	firstWrong   uint64
}

// take adds one item; it returns false once the limit is reached.
func (t *totals) take(it *item, limit, every uint64) bool {
	if it.err != nil {
		var carry uint64
		t.failed++
		t.idsLo, carry = bits.Add64(t.idsLo, it.id, 0)
		t.idsHi += carry
		var se *stageError
		right := every != 0 && it.id%every == 0 && errors.As(it.err, &se) && se.stage == "square" &&
			errors.Is(it.err, errInjected)
		if !right {
			if t.wrong == 0 {
				t.firstWrong = it.id
			}
			t.wrong++
		}
	} else {
		var carry uint64
		t.sumLo, carry = bits.Add64(t.sumLo, it.value, 0)
		t.sumHi += carry
		t.ok++
	}
	t.lastID = it.id
	if limit != 0 && t.ok+t.failed == limit {
		t.limited = true
		return false
	}
	return true
}

type config struct {
	variant               string
	size, capacity, batch uint64
	take, every           uint64
}

// run builds the pipeline, consumes it and joins it: the timed part.
func run(c config) (totals, time.Duration) {
	var t totals
	start := time.Now()
	done := make(chan struct{})
	var wg sync.WaitGroup
	sq := stageFn(square)
	if c.every != 0 {
		sq = func(it *item) (bool, error) {
			if it.id%c.every == 0 {
				return false, errInjected
			}
			return square(it)
		}
	}
	capacity := int(c.capacity)
	if c.variant == "batched" {
		size := int(c.batch)
		gen := generateBatched(done, &wg, c.size, capacity, size)
		squares := stageBatched(done, &wg, gen, capacity, size, "square", sq)
		evens := stageBatched(done, &wg, squares, capacity, size, "even", even)
	batches:
		for batch := range evens {
			for i := range batch {
				if !t.take(&batch[i], c.take, c.every) {
					break batches
				}
			}
		}
	} else {
		gen := generate(done, &wg, c.size, capacity)
		squares := stage(done, &wg, gen, capacity, "square", sq)
		evens := stage(done, &wg, squares, capacity, "even", even)
		for it := range evens {
			if !t.take(&it, c.take, c.every) {
				break
			}
		}
	}
	// Take the first K and cancel (or the end): every stage returns, nobody drains.
	close(done)
	wg.Wait()
	return t, time.Since(start)
}

// ---- the check --------------------------------------------------------------------

func big64(v uint64) *big.Int { return new(big.Int).SetUint64(v) }

// big128 is hi * 2^64 + lo.
func big128(hi, lo uint64) *big.Int {
	r := new(big.Int).Lsh(big64(hi), 64)
	return r.Add(r, big64(lo))
}

// squaresTo is 1^2 + ... + k^2 = k (k + 1)(2k + 1) / 6.
func squaresTo(k uint64) *big.Int {
	r := big64(k)
	r.Mul(r, big64(k+1))
	r.Mul(r, new(big.Int).Add(new(big.Int).Mul(big64(2), big64(k)), big64(1)))
	return r.Div(r, big64(6))
}

type expected struct {
	sum              big.Int
	ok, failed, last uint64
	limited          bool
	failedIDs        big.Int
}

// expect computes what the sink must see, independently of the pipeline,
// as the C program does: closed forms without --take, a walk over the ids
// in order with it.
func expect(n, take, every uint64) expected {
	var e expected
	if take == 0 {
		m := n / 2
		e.sum.Mul(squaresTo(m), big64(4))
		e.ok = m
		e.last = n - n%2
		if every != 0 {
			l := every
			if l%2 != 0 {
				l *= 2
			}
			l2 := new(big.Int).Mul(big64(l), big64(l))
			e.sum.Sub(&e.sum, l2.Mul(l2, squaresTo(n/l)))
			e.ok -= n / l
			e.failed = n / every
			k := n / every
			e.failedIDs.Mul(big64(every), new(big.Int).Div(new(big.Int).Mul(big64(k), big64(k+1)), big64(2)))
			if k*every > e.last {
				e.last = k * every
			}
		}
		return e
	}
	for id := uint64(1); id <= n && e.ok+e.failed < take; id++ {
		switch {
		case every != 0 && id%every == 0:
			e.failed++
			e.failedIDs.Add(&e.failedIDs, big64(id))
		case id%2 == 0:
			e.ok++
			sq := big64(id)
			e.sum.Add(&e.sum, sq.Mul(sq, sq))
		default:
			continue
		}
		e.last = id
	}
	e.limited = e.ok+e.failed == take
	return e
}

// checkFailed is probe.CheckFailed for a boolean verdict: always false.
func checkFailed(format string, args ...interface{}) bool {
	probe.CheckFailed(format, args...)
	return false
}

// expectBig is probe.Expect for the 128-bit sums.
func expectBig(what string, want, got *big.Int) bool {
	return want.Cmp(got) == 0 || checkFailed("%s: expected %s, got %s", what, want, got)
}

func boolU64(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func verify(c config, t *totals) bool {
	e := expect(c.size, c.take, c.every)
	if !expectBig("sum of the even squares", &e.sum, big128(t.sumHi, t.sumLo)) ||
		!probe.Expect("items summed", e.ok, t.ok) ||
		!probe.Expect("failed items at the sink", e.failed, t.failed) ||
		!expectBig("sum of the failed ids", &e.failedIDs, big128(t.idsHi, t.idsLo)) ||
		!probe.Expect("id of the last item taken", e.last, t.lastID) ||
		!probe.Expect("canceled after --take", boolU64(e.limited), boolU64(t.limited)) {
		return false
	}
	if t.wrong != 0 {
		return checkFailed("%d failed items with the wrong id, error or stage; the first is id %d", t.wrong, t.firstWrong)
	}
	return true
}

// ---- output -----------------------------------------------------------------------

// jsonLine formats the result as probe_format() does in C: the same fields,
// order and number formats; check is an integer, or a decimal string past
// 2^64 - 1.
func jsonLine(c config, t *totals, elapsed time.Duration) string {
	ops := c.size
	if t.limited {
		ops = t.lastID
	}
	check := strconv.FormatUint(t.sumLo, 10)
	if t.sumHi != 0 {
		check = strconv.Quote(big128(t.sumHi, t.sumLo).String())
	}
	return probe.JSONLine("pipeline", c.variant, ops, elapsed, check,
		probe.Field{Name: "cap", Value: c.capacity}, probe.Field{Name: "batch", Value: c.batch},
		probe.Field{Name: "take", Value: c.take}, probe.Field{Name: "fail_every", Value: c.every},
		probe.Field{Name: "failed", Value: t.failed}, probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})
}

// ---- the command line ----------------------------------------------------------

// The options, with their defaults; main builds the config from them.
var (
	variantOpt = &probe.Option{Name: "--variant", Metavar: "V", Choices: []string{"unbuffered", "buffered", "batched"}, Str: "buffered",
		Help: "the variant (default buffered); buffered takes --cap, batched --batch and --cap"}
	sizeOpt = &probe.Option{Name: "--size", Metavar: "N", Min: 1, Max: maxSize, Num: defaultSize,
		Help: "generate 1..N (default 1000000)"}
	capOpt = &probe.Option{Name: "--cap", Metavar: "N", Min: 0, Max: maxCap, Num: defaultCap,
		Help: "channel capacity: buffered 1 or more (default 128), batched 0 or more (default 128 batches)"}
	batchOpt = &probe.Option{Name: "--batch", Metavar: "N", Min: 1, Max: maxBatch, Num: defaultBatch,
		Help: "items per channel element, batched only (default 128)"}
	takeOpt = &probe.Option{Name: "--take", Metavar: "K", Min: 0, Max: maxSize,
		Help: "take the first K results, then cancel the pipeline (default 0: all)"}
	everyOpt = &probe.Option{Name: "--fail-every", Metavar: "K", Min: 0, Max: maxSize,
		Help: "the square stage fails the items whose id is a multiple of K (default 0: none)"}

	cli = probe.CLI{
		Prog:    prog,
		Summary: "W6 pipeline: generate 1..N -> square -> filter(even) -> sum, each stage a goroutine (Go baseline)",
		Options: []*probe.Option{variantOpt, sizeOpt, capOpt, batchOpt, takeOpt, everyOpt},
		Epilog: "The check is the sum of the even squares of 1..N (without the failed items; of the\n" +
			"first K results with --take), summed in 128-bit arithmetic and compared exactly with\n" +
			"its closed form (a walk over the ids with --take); it is a JSON integer, or a\n" +
			"decimal string past 2^64 - 1 (N above about 4.8 million). ops is N, or with\n" +
			"--take the ids the K results covered. Extra fields: cap, batch, take, fail_every,\n" +
			"failed (items that reached the sink failed), peak_rss_kb. patterns/pipeline is the\n" +
			"libgoc program with this same command line and output; here a stage is a\n" +
			"goroutine and a batch a freshly allocated slice.",
	}
)

func main() {
	cli.Parse(os.Args[1:])
	c := config{variant: variantOpt.Str, size: sizeOpt.Num, capacity: capOpt.Num, batch: batchOpt.Num,
		take: takeOpt.Num, every: everyOpt.Num}

	unbuffered, batched := c.variant == "unbuffered", c.variant == "batched"
	if unbuffered && capOpt.Given {
		probe.UsageError("--cap does not apply to the unbuffered variant (its capacity is 0)")
	}
	if !batched && batchOpt.Given {
		probe.UsageError("--batch applies only to the batched variant")
	}
	if !unbuffered && !batched && c.capacity == 0 {
		probe.UsageError("--cap: 0 is the unbuffered variant; buffered needs 1 or more")
	}
	if unbuffered {
		c.capacity = 0
	}
	if !batched {
		c.batch = 1
	}

	t, elapsed := run(c)
	if !verify(c, &t) {
		os.Exit(probe.ExitCheck)
	}
	os.Exit(probe.Emit(jsonLine(c, &t, elapsed)))
}
