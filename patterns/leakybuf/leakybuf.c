/*
 * leakybuf.c - the three buffer pools of leakybuf.h and the W9 run.
 *
 * The counters live on cache lines of their own: in W9 the client allocates
 * and takes from the list while the server frees and puts back, and
 * counting should not make the two threads share a line they would not
 * share anyway. They are relaxed atomics: exact counts (every increment is
 * a read-modify-write), read once the threads that count have been joined.
 *
 * GOC_POOL_STACK is a Treiber stack whose nodes are the free buffers
 * themselves (the link in their first 8 bytes). Pops come from one thread
 * at a time (the header's rule), so a node on the stack cannot be popped,
 * reused and pushed back between a pop's load of the head and its
 * compare-and-swap: the ABA problem needs two poppers. Pushes come from
 * anywhere. Its bound is a counter reserved before a push (and given back
 * when the stack is full), so the stack never holds more than `cap`.
 *
 * Lock order: none of our own; the free list's channel locks inside libgoc.
 */
#include "leakybuf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE 64
/* An odd multiplier, so that the pattern of different buffers differs in every word. */
#define FILL_K UINT64_C(0x9e3779b97f4a7c15)

typedef struct stack_node {
	struct stack_node *next; /* written by the pusher before it publishes the node; read-only on the stack */
} stack_node;

struct goc_bufpool {
	goc_pool_kind kind;                 /* read-only */
	size_t buf_size;                    /* read-only */
	size_t cap;                         /* read-only */
	goc_chan *list;                     /* GOC_POOL_FREELIST: void * elements */
	_Alignas(LINE) _Atomic(stack_node *) head;  /* GOC_POOL_STACK: acquire/release, see stack_pop/push */
	_Alignas(LINE) _Atomic size_t depth;        /* GOC_POOL_STACK: relaxed, a reservation count for the bound */
	_Alignas(LINE) _Atomic uint64_t allocs;     /* relaxed: counts, read after the counters are joined */
	_Atomic uint64_t reused;                    /* relaxed: likewise; both written by getters */
	_Alignas(LINE) _Atomic uint64_t frees;      /* relaxed: likewise; written by putters */
};

goc_bufpool *goc_bufpool_make(goc_pool_kind kind, size_t buf_size, size_t cap)
{
	if (buf_size < sizeof(uint64_t) || buf_size % sizeof(uint64_t) != 0)
		return NULL;
	goc_bufpool *p = aligned_alloc(LINE, (sizeof *p + LINE - 1) / LINE * LINE);
	if (!p)
		return NULL;
	memset(p, 0, sizeof *p);
	p->kind = kind;
	p->buf_size = buf_size;
	p->cap = cap;
	atomic_init(&p->head, NULL);
	if (kind == GOC_POOL_FREELIST && cap > 0) {
		p->list = goc_chan_make(sizeof(void *), cap);
		if (!p->list) {
			free(p);
			return NULL;
		}
	}
	return p;
}

static void *pool_alloc(goc_bufpool *p)
{
	void *b = malloc(p->buf_size);
	if (b)
		atomic_fetch_add_explicit(&p->allocs, 1, memory_order_relaxed); /* relaxed: a count */
	return b;
}

static void pool_release(goc_bufpool *p, void *b)
{
	free(b);
	atomic_fetch_add_explicit(&p->frees, 1, memory_order_relaxed); /* relaxed: a count */
}

/* Pop one node; one popper at a time (file comment). NULL when empty. */
static stack_node *stack_pop(goc_bufpool *p)
{
	/* acquire: the pusher's link and buffer contents, published by its release CAS. */
	stack_node *h = atomic_load_explicit(&p->head, memory_order_acquire);
	while (h && !atomic_compare_exchange_weak_explicit(&p->head, &h, h->next, memory_order_acquire,
	                                                   memory_order_acquire))
		;
	if (h)
		atomic_fetch_sub_explicit(&p->depth, 1, memory_order_relaxed); /* relaxed: the bound only */
	return h;
}

/* Push b unless the stack already holds cap; false (b untouched) when full. */
static bool stack_push(goc_bufpool *p, void *b)
{
	/* relaxed: a reservation; the bound needs atomicity, not ordering. */
	if (atomic_fetch_add_explicit(&p->depth, 1, memory_order_relaxed) >= p->cap) {
		atomic_fetch_sub_explicit(&p->depth, 1, memory_order_relaxed);
		return false;
	}
	stack_node *n = b;
	n->next = atomic_load_explicit(&p->head, memory_order_relaxed);
	/* release: publishes n->next and everything written into the buffer to the popper. */
	while (!atomic_compare_exchange_weak_explicit(&p->head, &n->next, n, memory_order_release,
	                                              memory_order_relaxed))
		;
	return true;
}

void *goc_bufpool_get(goc_bufpool *p)
{
	void *b = NULL;
	switch (p->kind) {
	case GOC_POOL_FREELIST:
		/* Go's  select { case b = <-freeList: default: b = new(Buffer) }  */
		if (p->list && goc_chan_recv(p->list, &b, GOC_NOWAIT) == GOC_OK)
			break;
		b = NULL;
		break;
	case GOC_POOL_STACK:
		b = stack_pop(p);
		break;
	case GOC_POOL_MALLOC:
		break;
	}
	if (b) {
		atomic_fetch_add_explicit(&p->reused, 1, memory_order_relaxed); /* relaxed: a count */
		return b;
	}
	return pool_alloc(p);
}

void goc_bufpool_put(goc_bufpool *p, void *buf)
{
	if (!buf)
		return;
	switch (p->kind) {
	case GOC_POOL_FREELIST:
		/* Go's  select { case freeList <- b: default: }  (and the GC frees b) */
		if (p->list && goc_chan_send(p->list, &buf, GOC_NOWAIT) == GOC_OK)
			return;
		break;
	case GOC_POOL_STACK:
		if (stack_push(p, buf))
			return;
		break;
	case GOC_POOL_MALLOC:
		break;
	}
	pool_release(p, buf);
}

void goc_bufpool_drain(goc_bufpool *p)
{
	void *b;
	switch (p->kind) {
	case GOC_POOL_FREELIST:
		while (p->list && goc_chan_recv(p->list, &b, GOC_NOWAIT) == GOC_OK)
			pool_release(p, b);
		break;
	case GOC_POOL_STACK:
		while ((b = stack_pop(p)) != NULL)
			pool_release(p, b);
		break;
	case GOC_POOL_MALLOC:
		break;
	}
}

void goc_bufpool_free(goc_bufpool *p)
{
	if (!p)
		return;
	goc_bufpool_drain(p);
	goc_chan_free(p->list);
	free(p);
}

goc_pool_counts goc_bufpool_counts(const goc_bufpool *p)
{
	goc_bufpool *q = (goc_bufpool *)p; /* atomic loads take non-const pointers in C17 */
	return (goc_pool_counts){
		.allocs = atomic_load_explicit(&q->allocs, memory_order_relaxed),
		.frees = atomic_load_explicit(&q->frees, memory_order_relaxed),
		.reused = atomic_load_explicit(&q->reused, memory_order_relaxed),
	};
}

/* ---- buffer contents ------------------------------------------------------------ */

void goc_leaky_fill(uint64_t *words, size_t nwords, uint64_t seq)
{
	uint64_t base = seq * (uint64_t)nwords;
	for (size_t j = 0; j < nwords; j++)
		words[j] = (base + j) * FILL_K;
}

uint64_t goc_leaky_sum(const uint64_t *words, size_t nwords)
{
	uint64_t s = 0;
	for (size_t j = 0; j < nwords; j++)
		s += words[j];
	return s;
}

/* (a * b) / 2 without losing the bit the halving needs: one of them is even, or the product is. */
static uint64_t half_product(uint64_t a, uint64_t b)
{
	return a % 2 == 0 ? a / 2 * b : b / 2 * a;
}

/* All arithmetic is modulo 2^64, as the sums are. */
uint64_t goc_leaky_expected_one(size_t nwords, uint64_t seq)
{
	uint64_t w = nwords;
	/* sum over j of (seq*w + j) = seq*w*w + w(w-1)/2 */
	return (seq * w * w + half_product(w, w - 1)) * FILL_K;
}

uint64_t goc_leaky_expected_all(size_t nwords, uint64_t n)
{
	uint64_t w = nwords;
	/* sum over seq < n: w*w * n(n-1)/2 + n * w(w-1)/2 */
	return (w * w * half_product(n, n - 1) + n * half_product(w, w - 1)) * FILL_K;
}

/* ---- the W9 run -------------------------------------------------------------------- */

typedef struct leaky_msg {
	uint64_t seq;
	uint64_t *buf;
} leaky_msg;

typedef struct leaky_run {
	const goc_leaky_opts *o;   /* read-only */
	goc_bufpool *pool;         /* read-only pointer; the pool is thread-safe as the header says */
	goc_chan *work;            /* client -> server, leaky_msg elements */
	goc_chan *gate;            /* closed once both tasks wait at it */
	goc_wg ready;              /* counts tasks not yet at the gate */
	goc_wg done;
	bool nomem;                /* written by the client, read after the wg */
	_Alignas(LINE) uint64_t checked, bad, checksum; /* written by the server, read after the wg */
} leaky_run;

/* Say this task is at the gate, then wait for it to open (GOC_CLOSED: it opened). */
static void pass_gate(leaky_run *r)
{
	goc_wg_done(&r->ready);
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
}

/* The client: get, fill, send; then close the channel. */
static void client_task(void *arg)
{
	leaky_run *r = arg;
	pass_gate(r);
	size_t nwords = r->o->buf_size / sizeof(uint64_t);
	for (uint64_t i = 0; i < r->o->buffers; i++) {
		uint64_t *b = goc_bufpool_get(r->pool);
		if (!b) {
			r->nomem = true;
			break;
		}
		goc_leaky_fill(b, nwords, i);
		leaky_msg m = { i, b };
		(void)goc_chan_send(r->work, &m, GOC_FOREVER);
	}
	goc_chan_close(r->work);
	goc_wg_done(&r->done);
}

/* The server: check each buffer, add its checksum, put it back. */
static void server_task(void *arg)
{
	leaky_run *r = arg;
	pass_gate(r);
	size_t nwords = r->o->buf_size / sizeof(uint64_t);
	uint64_t checked = 0, bad = 0, total = 0;
	leaky_msg m;
	while (goc_chan_recv(r->work, &m, GOC_FOREVER) == GOC_OK) {
		uint64_t s = goc_leaky_sum(m.buf, nwords);
		if (s != goc_leaky_expected_one(nwords, m.seq))
			bad++;
		total += s;
		checked++;
		goc_bufpool_put(r->pool, m.buf);
	}
	r->checked = checked;
	r->bad = bad;
	r->checksum = total;
	goc_wg_done(&r->done);
}

static void wait_or_panic(goc_wg *wg)
{
	goc_status st = goc_wg_wait(wg, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("leakybuf: goc_wg_wait(GOC_FOREVER) returned %s", goc_status_str(st));
}

goc_status goc_leaky_run(const goc_leaky_opts *o, goc_leaky_stats *out)
{
	memset(out, 0, sizeof *out);
	leaky_run *r = aligned_alloc(LINE, (sizeof *r + LINE - 1) / LINE * LINE);
	goc_bufpool *pool = goc_bufpool_make(o->kind, o->buf_size, o->free_cap);
	goc_chan *work = goc_chan_make(sizeof(leaky_msg), o->chan_cap);
	goc_chan *gate = goc_chan_make(0, 0);
	if (!r || !pool || !work || !gate) {
		free(r);
		goc_bufpool_free(pool);
		goc_chan_free(work);
		goc_chan_free(gate);
		return GOC_NOMEM;
	}
	memset(r, 0, sizeof *r);
	r->o = o;
	r->pool = pool;
	r->work = work;
	r->gate = gate;
	goc_wg_init(&r->ready);
	goc_wg_init(&r->done);

	goc_status st = GOC_OK;
	goc_wg_add(&r->ready, 2);
	goc_wg_add(&r->done, 2);
	if (goc_go(server_task, r) != GOC_OK) {
		goc_wg_add(&r->ready, -2);
		goc_wg_add(&r->done, -2);
		st = GOC_NOMEM;
	} else if (goc_go(client_task, r) != GOC_OK) {
		/* No client: close the channel for it, so that the server ends. */
		goc_chan_close(work);
		goc_wg_add(&r->ready, -1);
		goc_wg_add(&r->done, -1);
		st = GOC_NOMEM;
	}
	/* Both tasks are parked at the gate: the clock starts as they start. */
	wait_or_panic(&r->ready);
	int64_t t0 = goc_now();
	goc_chan_close(gate);
	wait_or_panic(&r->done);
	out->elapsed_ns = goc_now() - t0;
	if (r->nomem)
		st = GOC_NOMEM;

	goc_bufpool_drain(pool);
	out->counts = goc_bufpool_counts(pool);
	out->buffers = r->checked;
	out->bad = r->bad;
	out->checksum = r->checksum;
	goc_wg_destroy(&r->ready);
	goc_wg_destroy(&r->done);
	goc_chan_free(gate);
	goc_chan_free(work);
	goc_bufpool_free(pool);
	free(r);
	return st;
}

bool goc_leaky_verify(const goc_leaky_stats *s, const goc_leaky_opts *o, char *why, size_t len)
{
	size_t nwords = o->buf_size / sizeof(uint64_t);
	if (s->buffers != o->buffers) {
		snprintf(why, len, "buffers checked: expected %llu, got %llu", (unsigned long long)o->buffers,
		         (unsigned long long)s->buffers);
		return false;
	}
	if (s->bad != 0) {
		snprintf(why, len, "buffers that did not hold what the client wrote into them: expected 0, got %llu",
		         (unsigned long long)s->bad);
		return false;
	}
	uint64_t want = goc_leaky_expected_all(nwords, o->buffers);
	if (s->checksum != want) {
		snprintf(why, len, "checksum: expected %llu, got %llu", (unsigned long long)want,
		         (unsigned long long)s->checksum);
		return false;
	}
	if (s->counts.allocs != s->counts.frees) {
		snprintf(why, len, "allocations %llu != frees %llu at the end", (unsigned long long)s->counts.allocs,
		         (unsigned long long)s->counts.frees);
		return false;
	}
	if (s->counts.allocs + s->counts.reused != o->buffers) {
		snprintf(why, len, "buffers got (%llu allocated + %llu reused): expected %llu, got %llu",
		         (unsigned long long)s->counts.allocs, (unsigned long long)s->counts.reused,
		         (unsigned long long)o->buffers,
		         (unsigned long long)(s->counts.allocs + s->counts.reused));
		return false;
	}
	return true;
}
