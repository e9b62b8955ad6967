// Command leakybuf is the Go baseline for goc's leakybuf target
// (patterns/leakybuf/leakybuf_main.c), standard workload W9, the leaky
// buffer of "Effective Go": a client goroutine gets a 4 KiB buffer from a
// free list (non-blocking; else it allocates one), fills buffer i with a
// pattern of i and sends it to a server goroutine over a channel of
// capacity 16; the server checksums it and puts it back on the free list
// (non-blocking; else it drops it for the garbage collector), N times
// (500,000). A run is timed from a start gate, opened once both goroutines
// wait at it, to both ended, as in C.
//
// The variants are the C program's:
//   - freelist: a buffered channel of capacity 100 of free buffers, with
//     select-default on both sides, exactly as Effective Go writes it;
//   - malloc: no list: a new buffer every time, dropped after use;
//   - stack: a lock-free LIFO stack of at most 100 free buffers
//     (atomic.Pointer, compare-and-swap), as the C program's; with a garbage
//     collector it is free of the ABA problem for any number of takers.
//
// The program counts what it allocates and what it lets go of (dropped to
// the collector, or emptied from the list at the end) as the C program
// counts allocations and frees, so that the same check, allocations ==
// frees, holds for both. Same command line, same checks, same JSON line as
// the C program. Only the standard library is used, nothing newer than Go 1.19.
//
// Usage: leakybuf [--variant V] [--size N] [--free-cap N] [--cap N]; see
// --help. Exit status: 0 ok, 1 check failed, 2 usage error.
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"goc/scenarios/go/probe"
)

const (
	prog = "leakybuf"

	maxSize        = 1000000000
	maxCap         = 65536
	defaultSize    = 500000
	defaultFreeCap = 100
	defaultCap     = 16

	words = 4096 / 8
	fillK = 0x9e3779b97f4a7c15
)

// buffer is 4 KiB of words, and the link a stack threads through free buffers.
type buffer struct {
	w    [words]uint64
	next *buffer
}

// pool counts as the C pool does: allocations, frees (buffers let go of), reuses.
type pool struct {
	allocs   atomic.Uint64
	_        [56]byte
	reused   atomic.Uint64
	_        [56]byte
	frees    atomic.Uint64
	_        [56]byte
	list     chan *buffer           // freelist
	head     atomic.Pointer[buffer] // stack
	depth    atomic.Int64           // stack: a reservation count for the bound
	capacity int64
	kind     string
}

func (p *pool) alloc() *buffer {
	p.allocs.Add(1)
	return new(buffer)
}

func (p *pool) getBuf() *buffer {
	switch p.kind {
	case "freelist":
		select {
		case b := <-p.list:
			p.reused.Add(1)
			return b
		default:
		}
	case "stack":
		for {
			h := p.head.Load()
			if h == nil {
				break
			}
			if p.head.CompareAndSwap(h, h.next) {
				p.depth.Add(-1)
				p.reused.Add(1)
				return h
			}
		}
	}
	return p.alloc()
}

func (p *pool) putBuf(b *buffer) {
	switch p.kind {
	case "freelist":
		select {
		case p.list <- b:
			return
		default:
		}
	case "stack":
		if p.depth.Add(1) <= p.capacity {
			for {
				h := p.head.Load()
				b.next = h
				if p.head.CompareAndSwap(h, b) {
					return
				}
			}
		}
		p.depth.Add(-1)
	}
	p.frees.Add(1) // dropped: the collector frees it
}

// drain lets go of every buffer on the list, as goc_bufpool_drain() frees them.
func (p *pool) drain() {
	for {
		select {
		case <-p.list:
			p.frees.Add(1)
			continue
		default:
		}
		break
	}
	for b := p.head.Load(); b != nil; b = b.next {
		p.frees.Add(1)
	}
	p.head.Store(nil)
}

func fill(b *buffer, seq uint64) {
	base := seq * words
	for j := range b.w {
		b.w[j] = (base + uint64(j)) * fillK
	}
}

func sum(b *buffer) uint64 {
	var s uint64
	for _, v := range b.w {
		s += v
	}
	return s
}

func halfProduct(a, b uint64) uint64 {
	if a%2 == 0 {
		return a / 2 * b
	}
	return b / 2 * a
}

func expectedOne(seq uint64) uint64 {
	return (seq*words*words + halfProduct(words, words-1)) * fillK
}

func expectedAll(n uint64) uint64 {
	return (words*words*halfProduct(n, n-1) + n*halfProduct(words, words-1)) * fillK
}

type msg struct {
	seq uint64
	buf *buffer
}

type result struct {
	checked, bad, checksum uint64
	allocs, frees, reused  uint64
	elapsed                time.Duration
}

func run(kind string, n uint64, freeCap, chanCap int) result {
	p := &pool{kind: kind, capacity: int64(freeCap), list: make(chan *buffer, freeCap)}
	work := make(chan msg, chanCap)
	gate := make(chan struct{})
	var ready, wg sync.WaitGroup
	var r result
	ready.Add(2)
	wg.Add(2)
	go func() { // the server
		defer wg.Done()
		ready.Done()
		<-gate
		var checked, bad, total uint64
		for m := range work {
			s := sum(m.buf)
			if s != expectedOne(m.seq) {
				bad++
			}
			total += s
			checked++
			p.putBuf(m.buf)
		}
		r.checked, r.bad, r.checksum = checked, bad, total
	}()
	go func() { // the client
		defer wg.Done()
		ready.Done()
		<-gate
		for i := uint64(0); i < n; i++ {
			b := p.getBuf()
			fill(b, i)
			work <- msg{i, b}
		}
		close(work)
	}()
	// Both goroutines wait at the gate: the clock starts as they start, as in C.
	ready.Wait()
	t0 := time.Now()
	close(gate)
	wg.Wait()
	r.elapsed = time.Since(t0)
	p.drain()
	r.allocs, r.frees, r.reused = p.allocs.Load(), p.frees.Load(), p.reused.Load()
	return r
}

// verify is goc_leaky_verify, with its messages.
func verify(r result, n uint64) bool {
	if !probe.Expect("buffers checked", n, r.checked) ||
		!probe.Expect("buffers that did not hold what the client wrote into them", 0, r.bad) ||
		!probe.Expect("checksum", expectedAll(n), r.checksum) {
		return false
	}
	// Two measured counts, in the C program's words.
	if r.allocs != r.frees {
		probe.CheckFailed("allocations %d != frees %d at the end", r.allocs, r.frees)
		return false
	}
	return probe.Expect(fmt.Sprintf("buffers got (%d allocated + %d reused)", r.allocs, r.reused), n, r.allocs+r.reused)
}

var (
	variantOpt = &probe.Option{Name: "--variant", Metavar: "V", Choices: []string{"freelist", "malloc", "stack"}, Str: "freelist",
		Help: "the free list (default freelist)"}
	sizeOpt = &probe.Option{Name: "--size", Metavar: "N", Min: 1, Max: maxSize, Num: defaultSize,
		Help: "4 KiB buffers sent from client to server (default 500000)"}
	freeCapOpt = &probe.Option{Name: "--free-cap", Metavar: "N", Min: 0, Max: maxCap, Num: defaultFreeCap,
		Help: "free buffers the list keeps, freelist and stack (default 100)"}
	capOpt = &probe.Option{Name: "--cap", Metavar: "N", Min: 0, Max: maxCap, Num: defaultCap,
		Help: "capacity of the client-to-server channel (default 16)"}

	cli = probe.CLI{
		Prog:    prog,
		Summary: "Go baseline of goc's leakybuf: the leaky buffer free list (goc's standard workload W9)",
		Options: []*probe.Option{variantOpt, sizeOpt, freeCapOpt, capOpt},
		Epilog: "Variants: freelist is Effective Go's leaky buffer, a buffered channel of free\n" +
			"buffers (select-default on both sides); malloc makes a new buffer every time and\n" +
			"drops it after use; stack keeps free buffers on a lock-free LIFO stack. check is\n" +
			"the sum of every buffer's checksum, verified along with each buffer's contents\n" +
			"and allocations == frees (buffers let go of) at the end; allocs, frees and\n" +
			"reused are exact counts. patterns/leakybuf/leakybuf is the libgoc program with\n" +
			"this same command line and output.",
	}
)

func main() {
	cli.Parse(os.Args[1:])
	if variantOpt.Str == "malloc" && freeCapOpt.Given {
		probe.UsageError("--free-cap applies only to the freelist and stack variants")
	}
	freeCap := int(freeCapOpt.Num)
	if variantOpt.Str == "malloc" {
		freeCap = 0
	}
	n := sizeOpt.Num
	r := run(variantOpt.Str, n, freeCap, int(capOpt.Num))
	if !verify(r, n) {
		os.Exit(probe.ExitCheck)
	}
	os.Exit(probe.Emit(probe.JSONLine(prog, variantOpt.Str, n, r.elapsed, probe.Check(r.checksum),
		probe.Field{Name: "allocs", Value: r.allocs}, probe.Field{Name: "frees", Value: r.frees},
		probe.Field{Name: "reused", Value: r.reused},
		probe.Field{Name: "peak_rss_kb", Value: probe.PeakRSSKB()})))
}
