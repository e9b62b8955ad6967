/*
 * semaphore.c - the three limiters of semaphore.h and the W8 workload.
 *
 * The limiters are thin: each call forwards to the channel, the goc_sem or
 * the sem_t (posix_sem.c, which also turns libgoc's monotonic deadlines
 * into sem_timedwait()'s realtime ones). What takes care is the context
 * acquire of the two that cannot wait on a channel (slices of 1 ms, see
 * the header).
 *
 * The workload keeps one in-flight gauge and its maximum, each on its own
 * cache line. Relaxed atomics are enough for the gauge: the limiter orders
 * a release before the acquire that takes its unit, so the holder's
 * decrement comes before the next holder's increment in the gauge's
 * modification order, and a correct limiter never shows more than K.
 *
 * Lock order: none of our own; the limiters lock inside libgoc or libc.
 */
#define _GNU_SOURCE
#include "semaphore.h"
#include "posix_sem.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC INT64_C(1000000000)
/* The longest slice a context acquire of goc_sem or sem_t waits before looking at the context again. */
#define CTX_SLICE_NS INT64_C(1000000)
/*
 * The default linger time: how long a run may wait to see K holders at
 * once. Generous, since a correct limiter ends the wait as soon as the K-th
 * holder is in, and on an overloaded machine (sanitizer builds, parallel
 * tests) a thread that must run for that can be kept off the CPU for whole
 * seconds; only a wrong limiter pays it in full.
 */
#define DEFAULT_LINGER_NS (5 * NS_PER_SEC)
/* A lingering holder yields for this long, then sleeps between looks, leaving the CPUs to those it waits for. */
#define LINGER_SPIN_NS INT64_C(100000)
#define LINGER_NAP_NS 50000L
#define LINE 64

struct goc_limiter {
	goc_limit_kind kind;  /* read-only */
	size_t limit;         /* read-only */
	goc_chan *ch;         /* GOC_LIMIT_CHAN: capacity limit, zero-byte elements */
	goc_sem *sem;         /* GOC_LIMIT_SEM */
	goc__psem *psem;      /* GOC_LIMIT_POSIX */
};

goc_limiter *goc_limiter_make(goc_limit_kind kind, size_t limit)
{
	if (limit == 0 || limit > GOC_LIMIT_MAX)
		return NULL;
	goc_limiter *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->kind = kind;
	l->limit = limit;
	bool ok = false;
	switch (kind) {
	case GOC_LIMIT_CHAN:
		ok = (l->ch = goc_chan_make(0, limit)) != NULL;
		break;
	case GOC_LIMIT_SEM:
		ok = (l->sem = goc_sem_make(limit)) != NULL;
		break;
	case GOC_LIMIT_POSIX:
		ok = (l->psem = goc__psem_make((unsigned)limit)) != NULL;
		break;
	}
	if (!ok) {
		free(l);
		return NULL;
	}
	return l;
}

void goc_limiter_free(goc_limiter *l)
{
	if (!l)
		return;
	switch (l->kind) {
	case GOC_LIMIT_CHAN:
		goc_chan_free(l->ch);
		break;
	case GOC_LIMIT_SEM:
		goc_sem_free(l->sem);
		break;
	case GOC_LIMIT_POSIX:
		goc__psem_free(l->psem);
		break;
	}
	free(l);
}

goc_status goc_limiter_acquire(goc_limiter *l, int64_t deadline)
{
	switch (l->kind) {
	case GOC_LIMIT_CHAN:
		return goc_chan_send(l->ch, NULL, deadline);
	case GOC_LIMIT_SEM:
		return goc_sem_acquire(l->sem, deadline);
	case GOC_LIMIT_POSIX:
		return goc__psem_acquire(l->psem, deadline);
	}
	goc_panic("semaphore: unknown limiter kind %d", (int)l->kind);
}

goc_status goc_limiter_acquire_ctx(goc_limiter *l, goc_ctx *ctx)
{
	goc_status err = goc_ctx_err(ctx);
	if (err != GOC_OK)
		return err;
	if (l->kind == GOC_LIMIT_CHAN) {
		/* Go's  select { case sem <- struct{}{}: case <-ctx.Done(): }  */
		goc_case cs[2] = { GOC_SEND_CASE(l->ch, NULL), GOC_RECV_CASE(goc_ctx_done(ctx), NULL) };
		size_t chosen = 0;
		goc_status st = goc_select(cs, 2, GOC_FOREVER, &chosen);
		if (st == GOC_OK && chosen == 0)
			return GOC_OK;
		if (st == GOC_NOMEM)
			return st;
		err = goc_ctx_err(ctx);
		return err == GOC_OK ? GOC_CANCELED : err;
	}
	int64_t ctx_deadline = 0;
	bool has_deadline = goc_ctx_deadline(ctx, &ctx_deadline);
	if (!goc_ctx_done(ctx) && !has_deadline)
		return goc_limiter_acquire(l, GOC_FOREVER); /* the background: nothing can end the wait */
	/*
	 * Wait loop, in slices, looking at the context between them. A slice
	 * ends at the context's deadline at the latest, and the deadline having
	 * passed is the context's end even if its timer has not fired yet.
	 */
	for (;;) {
		int64_t until = goc_deadline_after(CTX_SLICE_NS);
		if (has_deadline && ctx_deadline < until)
			until = ctx_deadline;
		goc_status st = goc_limiter_acquire(l, until);
		if (st != GOC_TIMEOUT)
			return st;
		err = goc_ctx_err(ctx);
		if (err != GOC_OK)
			return err;
		if (has_deadline && goc_now() >= ctx_deadline)
			return GOC_DEADLINE_EXCEEDED;
	}
}

void goc_limiter_release(goc_limiter *l)
{
	switch (l->kind) {
	case GOC_LIMIT_CHAN:
		/* A receive that would block finds the channel empty: nothing was held. */
		if (goc_chan_recv(l->ch, NULL, GOC_NOWAIT) != GOC_OK)
			goc_panic("semaphore: released more than held");
		return;
	case GOC_LIMIT_SEM:
		goc_sem_release(l->sem);
		return;
	case GOC_LIMIT_POSIX:
		goc__psem_release(l->psem, l->limit);
		return;
	}
	goc_panic("semaphore: unknown limiter kind %d", (int)l->kind);
}

size_t goc_limiter_held(goc_limiter *l)
{
	switch (l->kind) {
	case GOC_LIMIT_CHAN:
		return goc_chan_len(l->ch);
	case GOC_LIMIT_SEM:
		return goc_sem_held(l->sem);
	case GOC_LIMIT_POSIX: {
		size_t free_units = goc__psem_free_units(l->psem);
		return free_units > l->limit ? 0 : l->limit - free_units;
	}
	}
	goc_panic("semaphore: unknown limiter kind %d", (int)l->kind);
}

size_t goc_limiter_limit(const goc_limiter *l)
{
	return l->limit;
}

/* ---- the workload -------------------------------------------------------------- */

typedef struct limit_run {
	_Alignas(LINE) _Atomic uint64_t in_flight;  /* relaxed: see the file comment */
	_Alignas(LINE) _Atomic uint64_t max;        /* relaxed: the gauge's maximum, statistics */
	_Alignas(LINE) goc_limiter *l;              /* read-only during the run */
	const goc_limit_opts *o;                    /* read-only */
	uint64_t reach;                             /* read-only */
	int64_t linger_until;                       /* read-only; set before the gate opens */
	goc_chan *gate;                             /* closed once every task waits at it */
	goc_wg ready;                               /* counts tasks not yet at the gate */
	goc_wg tasks;                               /* workers or spawners */
	goc_wg children;                            /* spawn form: started children */
	_Atomic int nomem;                          /* relaxed: a spawner could not start a child */
} limit_run;

/* One worker's or spawner's share; written by its task, read after the wg. */
typedef struct limit_slot {
	_Alignas(LINE) limit_run *r;
	uint64_t share;
	uint64_t done;  /* cycles a worker completed, or children a spawner started */
} limit_slot;

/*
 * The critical section: bump the gauge, record the maximum, linger while K
 * was never seen (see the header), call the hook, drop the gauge.
 */
static void critical_section(limit_run *r)
{
	/* relaxed: the limiter orders holders (file comment). */
	uint64_t g = atomic_fetch_add_explicit(&r->in_flight, 1, memory_order_relaxed) + 1;
	uint64_t m = atomic_load_explicit(&r->max, memory_order_relaxed);
	while (g > m && !atomic_compare_exchange_weak_explicit(&r->max, &m, g, memory_order_relaxed,
	                                                       memory_order_relaxed))
		;
	/* Wait loop: until K holders were seen at once, or the linger time is used up. */
	int64_t since = 0;
	while (atomic_load_explicit(&r->max, memory_order_relaxed) < r->reach) {
		int64_t now = goc_now();
		if (now >= r->linger_until)
			break;
		if (!since)
			since = now;
		if (now - since < LINGER_SPIN_NS) {
			sched_yield();
		} else {
			struct timespec nap = { 0, LINGER_NAP_NS };
			nanosleep(&nap, NULL);
		}
	}
	if (r->o->critical)
		r->o->critical(r->o->arg);
	atomic_fetch_sub_explicit(&r->in_flight, 1, memory_order_relaxed);
}

/* Say this task is at the gate, then wait for it to open (GOC_CLOSED: it opened). */
static void pass_gate(limit_run *r)
{
	goc_wg_done(&r->ready);
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
}

static void worker_task(void *arg)
{
	limit_slot *s = arg;
	limit_run *r = s->r;
	pass_gate(r);
	uint64_t done = 0;
	for (uint64_t c = 0; c < s->share; c++) {
		if (goc_limiter_acquire(r->l, GOC_FOREVER) != GOC_OK)
			break; /* cannot happen with GOC_FOREVER; the count then shows it */
		critical_section(r);
		goc_limiter_release(r->l);
		done++;
	}
	s->done = done;
	goc_wg_done(&r->tasks);
}

/*
 * A spawned task: one cycle whose unit its spawner acquired; it releases
 * when it ends. It counts nothing: every child started runs to the end
 * before the children's wg lets the run go on, so the cycles are the sum
 * of what the spawners started.
 */
static void child_task(void *arg)
{
	limit_run *r = arg;
	critical_section(r);
	goc_limiter_release(r->l);
	goc_wg_done(&r->children);
}

/* Go's  for ... { sem <- struct{}{}; wg.Add(1); go func() { defer func() { <-sem; wg.Done() }(); ... }() } */
static void spawner_task(void *arg)
{
	limit_slot *s = arg;
	limit_run *r = s->r;
	pass_gate(r);
	uint64_t started = 0;
	for (uint64_t c = 0; c < s->share; c++) {
		if (goc_limiter_acquire(r->l, GOC_FOREVER) != GOC_OK)
			break;
		goc_wg_add(&r->children, 1);
		if (goc_go(child_task, r) != GOC_OK) {
			goc_wg_add(&r->children, -1);
			goc_limiter_release(r->l);
			atomic_store_explicit(&r->nomem, 1, memory_order_relaxed); /* relaxed: read after the wg */
			break;
		}
		started++;
	}
	s->done = started;
	goc_wg_done(&r->tasks);
}

static void wait_or_panic(goc_wg *wg)
{
	goc_status st = goc_wg_wait(wg, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("semaphore: goc_wg_wait(GOC_FOREVER) returned %s", goc_status_str(st));
}

goc_status goc_limit_run(goc_limiter *l, const goc_limit_opts *o, goc_limit_stats *out)
{
	if (o->tasks == 0 || o->tasks > SIZE_MAX / sizeof(limit_slot))
		goc_panic("semaphore: a run needs 1 to %zu tasks, not %zu", SIZE_MAX / sizeof(limit_slot), o->tasks);
	memset(out, 0, sizeof *out);
	size_t k = goc_limiter_limit(l);
	limit_run *r = aligned_alloc(LINE, (sizeof *r + LINE - 1) / LINE * LINE);
	limit_slot *slots = aligned_alloc(LINE, o->tasks * sizeof *slots);
	goc_chan *gate = goc_chan_make(0, 0);
	if (!r || !slots || !gate) {
		free(r);
		free(slots);
		goc_chan_free(gate);
		return GOC_NOMEM;
	}
	memset(r, 0, sizeof *r);
	memset(slots, 0, o->tasks * sizeof *slots);
	r->l = l;
	r->o = o;
	r->gate = gate;
	goc_wg_init(&r->ready);
	goc_wg_init(&r->tasks);
	goc_wg_init(&r->children);
	r->reach = goc_limit_reach(o, k);

	uint64_t share = o->cycles / o->tasks, extra = o->cycles % o->tasks;
	goc_status st = GOC_OK;
	size_t started = 0;
	for (size_t i = 0; i < o->tasks; i++) {
		slots[i].r = r;
		slots[i].share = share + (i < extra ? 1 : 0);
		goc_wg_add(&r->ready, 1);
		goc_wg_add(&r->tasks, 1);
		if (goc_go(o->form == GOC_FORM_WORKERS ? worker_task : spawner_task, &slots[i]) != GOC_OK) {
			goc_wg_add(&r->ready, -1);
			goc_wg_add(&r->tasks, -1);
			st = GOC_NOMEM;
			/* The tasks already started do their shares; the run is reported as failed. */
			break;
		}
		started++;
	}
	/* Every task is parked at the gate: the clock starts as they all start. */
	wait_or_panic(&r->ready);
	int64_t linger = o->linger_ns > 0 ? o->linger_ns : DEFAULT_LINGER_NS;
	int64_t t0 = goc_now();
	r->linger_until = t0 + linger;
	goc_chan_close(gate); /* happens-before every task passes the gate: linger_until is set */
	wait_or_panic(&r->tasks);
	wait_or_panic(&r->children);
	out->elapsed_ns = goc_now() - t0;

	/* Workers: the cycles each completed; spawners: the children each started, all run to the end. */
	for (size_t i = 0; i < started; i++)
		out->cycles += slots[i].done;
	out->max_in_flight = atomic_load_explicit(&r->max, memory_order_relaxed);
	out->held_after = goc_limiter_held(l);
	if (atomic_load_explicit(&r->nomem, memory_order_relaxed))
		st = GOC_NOMEM;
	goc_wg_destroy(&r->ready);
	goc_wg_destroy(&r->tasks);
	goc_wg_destroy(&r->children);
	goc_chan_free(gate);
	free(slots);
	free(r);
	return st;
}

uint64_t goc_limit_reach(const goc_limit_opts *o, size_t limit)
{
	/* The most that can be in at once: every worker that has a cycle, or (spawn) every child. */
	uint64_t could = o->form == GOC_FORM_WORKERS ? (o->tasks < o->cycles ? o->tasks : o->cycles) : o->cycles;
	return could < limit ? could : limit;
}

bool goc_limit_verify(const goc_limit_stats *s, const goc_limit_opts *o, size_t limit, char *why, size_t len)
{
	if (s->cycles != o->cycles) {
		snprintf(why, len, "cycles done: expected %llu, got %llu", (unsigned long long)o->cycles,
		         (unsigned long long)s->cycles);
		return false;
	}
	if (s->max_in_flight > limit) {
		snprintf(why, len, "%llu in flight at once, more than the limit %zu", (unsigned long long)s->max_in_flight,
		         limit);
		return false;
	}
	uint64_t reach = goc_limit_reach(o, limit);
	if (s->max_in_flight < reach) {
		snprintf(why, len, "at most %llu in flight at once, never %llu (limit %zu): the semaphore admits too few",
		         (unsigned long long)s->max_in_flight, (unsigned long long)reach, limit);
		return false;
	}
	if (s->held_after != 0) {
		snprintf(why, len, "units still held after every task returned: expected 0, got %llu",
		         (unsigned long long)s->held_after);
		return false;
	}
	return true;
}
