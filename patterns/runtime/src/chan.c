/*
 * chan.c - channels: make, free, close, len, cap, and send/receive; the
 * wait queues and the park/wake protocol that select.c builds on.
 *
 * An unbuffered channel follows Go's runtime: one lock per channel guards
 * its closed flag and two queues of blocked operations (goc__waiter, Go's
 * sudog), which live on the blocked threads' stacks. A thread that finds its
 * peer queued completes the transfer itself, copying straight into or out
 * of the peer's element, then wakes it. A buffered channel moves elements
 * through a lock-free ring (ring.c) and takes its lock only to queue or
 * wake waiters at the edges (full, empty, close), completing their cases
 * for them when it can. goc_chan_send() and goc_chan_recv() try the ring
 * directly and fall back to a one-case select (select.c).
 *
 * A blocked operation may sit on several queues (a select); whoever moves
 * it first claims it with a CAS on its state (a waker, or the owner when its
 * deadline passes), so exactly one outcome wins.
 *
 * Parking (goc__op_park): the owner spins a while on the op's `woken` word,
 * since a peer on the other CPU usually answers within a microsecond and a
 * kernel wake-up costs tens of them here, then sleeps on a futex in that
 * word. A waker wakes the peer only after releasing every channel lock, and
 * a woken op touches only channels that still hold its other waiters (or
 * the buffered channel it retries): either side may free a channel as soon
 * as its own call returns (receive-then-free of a done channel is safe; for
 * a buffered channel goc_chan_free() also waits out ch->busy, see ring.c).
 *
 * ThreadSanitizer sees exactly Go's edges, and nothing of libgoc's own
 * synchronization: the channel lock orders nothing (lock.c), and the claim
 * CAS on an op's state, the wake-up word `woken` and ch->busy run with TSan
 * ignoring synchronization, and the waker's touches of a waiter with TSan
 * ignoring memory accesses (GOC__TSAN_PRIVATE). The edges are published
 * explicitly instead, through atomics that exist for TSan alone, on each
 * waiter (tsan_edge) and channel (tsan_close); atomics, not
 * __tsan_release(), because a release store replaces what an address
 * carried, where __tsan_release() would merge into it what earlier users
 * of that stack address left there:
 *   - an unbuffered hand-off is both ways (the send happens-before the
 *     receive completes, and the receive before the send completes): the
 *     owner releases its waiter's tsan_edge when queuing it; the claimer
 *     that completes the case acquires it before it copies the element
 *     and releases it after (the copy is checked: goc__elem_copy()), and
 *     the owner, woken with its case done, acquires it;
 *   - a buffered channel's ring carries its own per-slot edges (ring.c),
 *     also when a waker completes a waiter's case through it (ring.c's
 *     hand_over(), which acts in a TSan fiber of its own, so that it hands
 *     the waiter the slot's edge without taking the waiter's history into
 *     the waker's);
 *   - close happens-before a receive that reports it: close releases
 *     ch->tsan_close, which an unbuffered receive finding the channel
 *     closed acquires, and gives its history to each unbuffered waiter it
 *     wakes, which then zeroes its own element; a buffered receive
 *     acquires the closed flag in tail (ring.c).
 * A select that times out, or a waiter woken to retry its case, acquires
 * nothing. And, as Go's race detector does, every send reports a read of
 * the channel and close a write (GOC__TSAN_SEND_READ), so that a close
 * concurrent with a send is a race.
 *
 * Lock order: channel locks in ascending address order (select.c). Parking
 * takes no lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "goc_internal.h"

/*
 * The largest capacity: positions must leave room for 2^20 and more laps
 * in 64 bits. (A ring this large would not fit in memory anyway.)
 */
#define GOC__CHAN_MAX_CAP (UINT64_C(1) << 40)

goc_chan *goc_chan_make(size_t elem_size, size_t cap)
{
	size_t slot_size = 0;
	if (cap != 0) {
		/* A slot is an 8-byte stamp, then the element rounded up to 8 bytes. */
		if (elem_size > SIZE_MAX / 2 || (uint64_t)cap > GOC__CHAN_MAX_CAP)
			goc__panic("makechan: size out of range");
		slot_size = sizeof(uint64_t) + (elem_size + 7) / 8 * 8;
		if (slot_size > (SIZE_MAX - sizeof(goc_chan) - 64) / cap)
			goc__panic("makechan: size out of range");
	}
	/* Cache-line aligned, so that head and tail each own a line (and the ring starts on one). */
	size_t size = (sizeof(goc_chan) + slot_size * cap + 63) / 64 * 64;
	goc_chan *ch = aligned_alloc(64, size);
	if (!ch)
		return NULL;
	memset(ch, 0, sizeof *ch);
	goc__lock_init(&ch->mu);
	ch->elem_size = elem_size;
	ch->cap = cap;
	atomic_init(&ch->busy, 0);
	atomic_init(&ch->shut, false);
	atomic_init(&ch->head, 0);
	atomic_init(&ch->tail, 0);
	if (cap != 0) {
		uint64_t mark = 1;
		while (mark <= (uint64_t)cap)
			mark <<= 1;
		ch->mark = mark;
		ch->one_lap = mark * 4; /* index, then the closed and waiting flags, then the lap */
		ch->slot_size = slot_size;
		ch->ring = (unsigned char *)(ch + 1);
		/* Slot i starts out waiting for the sender of position i (lap 0). */
		for (size_t i = 0; i < cap; i++)
			atomic_init((_Atomic(uint64_t) *)(void *)(ch->ring + i * slot_size), (uint64_t)i);
	}
	return ch;
}

void goc_chan_free(goc_chan *ch)
{
	if (!ch)
		return;
	if (ch->timer)
		goc__timer_release_chan(ch);
	/*
	 * A peer whose move let our last receive (or send) return may still be
	 * waking waiters or unlocking (see ring.c). Acquire: pairs with its
	 * release of busy, so its touches of ch happen-before the free.
	 */
	GOC__TSAN_NOSYNC_BEGIN(); /* see ring.c: busy orders nothing for TSan */
	while (atomic_load_explicit(&ch->busy, memory_order_acquire) != 0)
		sched_yield();
	GOC__TSAN_NOSYNC_END();
	goc__lock_destroy(&ch->mu);
	free(ch);
}

static goc_status chan_send(goc_chan *ch, const void *elem, int64_t deadline)
{
	if (ch)
		GOC__TSAN_SEND_READ(ch);
	if (ch && ch->cap) {
		/* The fast path: straight into the ring; only a full ring needs the select engine. */
		goc__ring_ctx ctx = { .exact = deadline == GOC_NOWAIT };
		goc_status st = goc__ring_send(ch, elem, NULL, &ctx);
		if (st == GOC_OK)
			return GOC_OK;
		if (st == GOC_CLOSED)
			goc__panic("send on closed channel");
		if (deadline == GOC_NOWAIT)
			return GOC_WOULDBLOCK;
	}
	goc_case c = GOC_SEND_CASE(ch, elem);
	return goc__select(&c, 1, deadline, NULL, GOC__CHAN_SEND);
}

/* Schedule chaos (chaos.h) on the way in and out of every channel operation. */
goc_status goc_chan_send(goc_chan *ch, const void *elem, int64_t deadline)
{
	GOC__CHAOS();
	goc_status st = chan_send(ch, elem, deadline);
	GOC__CHAOS();
	return st;
}

static goc_status chan_recv(goc_chan *ch, void *elem, int64_t deadline)
{
	if (ch && ch->cap) {
		/* The fast path: straight from the ring; only an empty one needs the select engine. */
		goc__ring_ctx ctx = { .exact = deadline == GOC_NOWAIT };
		goc_status st = goc__ring_recv(ch, elem, NULL, &ctx);
		if (st != GOC_WOULDBLOCK || deadline == GOC_NOWAIT)
			return st;
	}
	goc_case c = GOC_RECV_CASE(ch, elem);
	return goc__select(&c, 1, deadline, NULL, GOC__CHAN_RECV);
}

goc_status goc_chan_recv(goc_chan *ch, void *elem, int64_t deadline)
{
	GOC__CHAOS();
	goc_status st = chan_recv(ch, elem, deadline);
	GOC__CHAOS();
	return st;
}

void goc_chan_close(goc_chan *ch)
{
	if (!ch)
		goc__panic("close of nil channel");
	GOC__CHAOS();
	GOC__TSAN_CLOSE_WRITE(ch);
	bool buffered = ch->cap != 0;
	/* Receivers see a buffered channel's close without the lock, and may free it at once. */
	if (buffered)
		goc__chan_busy(ch);
	goc__lock_acquire(&ch->mu);
	if (ch->closed) {
		goc__lock_release(&ch->mu);
		if (buffered)
			goc__chan_unbusy(ch);
		goc__panic("close of closed channel");
	}
	ch->closed = true;
	goc__tsan_close_release(ch);
	if (buffered)
		goc__ring_close(ch);
	/*
	 * Claim every blocked receiver and sender, chained through their unused
	 * `next`, and wake them after unlocking: a woken peer may free the
	 * channel at once. Unbuffered: receivers get the zero value and
	 * GOC_CLOSED, senders wake to panic, as in Go. Buffered: all retry (a
	 * receiver may still have elements to drain).
	 */
	goc__waiter *wake = NULL, *w;
	while ((w = goc__waitq_claim(ch, &ch->recvq))) {
		/* An unbuffered receiver zeroes its own element once woken (select.c). */
		if (!buffered)
			goc__tsan_waiter_give(w);
		w->result = buffered ? GOC_WOULDBLOCK : GOC_CLOSED;
		w->next = wake;
		wake = w;
	}
	while ((w = goc__waitq_claim(ch, &ch->sendq))) {
		w->result = buffered ? GOC_WOULDBLOCK : GOC_CLOSED;
		w->next = wake;
		wake = w;
	}
	goc__lock_release(&ch->mu);
	if (buffered)
		goc__chan_unbusy(ch);
	goc__wake_chain(wake);
}

size_t goc_chan_len(goc_chan *ch)
{
	/* An unbuffered channel never holds an element. */
	size_t len = ch && ch->cap ? goc__ring_len(ch) : 0;
	GOC__CHAOS(); /* a length is checked, then acted on: widen that window */
	return len;
}

size_t goc_chan_cap(const goc_chan *ch)
{
	return ch ? ch->cap : 0;
}

size_t goc_chan_elem_size(const goc_chan *ch)
{
	return ch ? ch->elem_size : 0;
}

void goc__waitq_push(goc__waitq *q, goc__waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
	w->queued = true;
}

void goc__waitq_remove(goc__waitq *q, goc__waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->prev = w->next = NULL;
	w->queued = false;
}

/* Unlink every waiter of op from q. */
static void waitq_drop_op(goc__waitq *q, const goc__op *op)
{
	for (goc__waiter *w = q->head, *next; w; w = next) {
		next = w->next;
		if (w->op == op)
			goc__waitq_remove(q, w);
	}
}

goc__waiter *goc__waitq_claim(goc_chan *ch, goc__waitq *q)
{
	goc__waiter *w;
	while ((w = q->head)) {
		goc__waitq_remove(q, w);
		int expected = GOC__OP_WAITING;
		/* seq_cst: races only with other wakers and the owner's timeout. Orders nothing for TSan. */
		GOC__TSAN_NOSYNC_BEGIN();
		bool claimed = atomic_compare_exchange_strong(&w->op->state, &expected, GOC__OP_CLAIMED);
		GOC__TSAN_NOSYNC_END();
		if (!claimed)
			continue;
		/* Its owner will skip ch after the wake-up: its peer may free ch. */
		if (w->op->shares_chan) {
			waitq_drop_op(&ch->sendq, w->op);
			waitq_drop_op(&ch->recvq, w->op);
		}
		return w;
	}
	return NULL;
}

void goc__op_wake(goc__op *op, size_t fired, goc_status result)
{
	/* Private for TSan: the edges of the case were published under the lock (see the top). */
	GOC__TSAN_PRIVATE_BEGIN();
	op->fired = fired;
	op->result = result;
#ifdef GOC__CHECKS
	/* The owner is no longer blocked for good, whenever it gets to run (deadlock.c). */
	if (atomic_exchange(&op->forever_counted, false))
		goc__forever_end();
	else
		goc__progress();
#endif
	GOC__TSAN_PRIVATE_END();
	/*
	 * seq_cst: publishes fired and result to the owner's load of `woken`.
	 * From here on the op may vanish with the owner's stack frame:
	 * futex_wake gets only its address, and a wake on a stale address is
	 * harmless (the futex protocol tolerates spurious wake-ups, as glibc's
	 * mutex unlock does).
	 */
	GOC__TSAN_PRIVATE_BEGIN();
	if (atomic_exchange(&op->woken, GOC__WAKE_DONE) == GOC__WAKE_SLEEPING)
		goc__futex_wake(&op->woken, 1);
	GOC__TSAN_PRIVATE_END();
}

void goc__wake_chain(goc__waiter *chain)
{
	while (chain) {
		goc__waiter *w = chain;
		/* Private for TSan: the waiter is another thread's, reached through the lock alone. */
		GOC__TSAN_PRIVATE_BEGIN();
		chain = w->next; /* read first: w lives on a stack that the wake-up releases */
		goc__op *op = w->op;
		size_t fired = w->case_index;
		goc_status result = w->result;
		GOC__TSAN_PRIVATE_END();
		goc__op_wake(op, fired, result);
	}
}

#ifdef GOC__TSAN
void goc__tsan_waiter_give(goc__waiter *w)
{
	/*
	 * Release, a store: it replaces what w carried, so that the owner's
	 * history goes to the claimer alone, and the claimer's to the owner.
	 */
	atomic_store_explicit(&w->tsan_edge, 1, memory_order_release);
}

void goc__tsan_waiter_take(goc__waiter *w)
{
	/* Acquire: pairs with the last give (the owner's, for a claimer; the claimer's, for the owner). */
	(void)atomic_load_explicit(&w->tsan_edge, memory_order_acquire);
}

void goc__tsan_close_release(goc_chan *ch)
{
	/* Release: close happens-before an unbuffered receive that finds it closed. */
	atomic_store_explicit(&ch->tsan_close, 1, memory_order_release);
}

void goc__tsan_close_acquire(goc_chan *ch)
{
	/* Acquire: pairs with the close's release. */
	(void)atomic_load_explicit(&ch->tsan_close, memory_order_acquire);
}
#endif

/*
 * Spin, then sleep. A wake-up through the kernel costs tens of microseconds
 * on a virtual machine (the sleeping CPU must be woken too), while a peer
 * running on another CPU usually answers within a microsecond: so watch
 * `woken` for a while first. The watch yields the CPU every few dozen
 * spins: when tasks outnumber CPUs the peer may be waiting for this very
 * CPU, and a yield with nothing else runnable costs well under a
 * microsecond. A thread whose recent watches were answered only after a
 * yield stops spinning for a while and only yields (park_ended()): its
 * peers wait for CPUs, and every spin keeps one from them (W6 and W7
 * unbuffered, 4 to 6 tasks on 2 CPUs, run about 1.5x faster so). With
 * one usable CPU there is nothing to spin for.
 */
#define GOC__SPIN_NS 20000
#define GOC__SPINS_PER_YIELD 64

static bool woken(goc__op *op)
{
	/* Acquire: pairs with the claimer's exchange, publishing fired and result. Orders nothing for TSan. */
	GOC__TSAN_NOSYNC_BEGIN();
	bool done = atomic_load_explicit(&op->woken, memory_order_acquire) == GOC__WAKE_DONE;
	GOC__TSAN_NOSYNC_END();
	return done;
}

bool goc__streak_skip(goc__streak *s)
{
	/* Relaxed: only the owner thread touches a streak (atomic for TSan: see goc__task). */
	unsigned skips = atomic_load_explicit(&s->skips, memory_order_relaxed);
	if (skips)
		atomic_store_explicit(&s->skips, skips - 1, memory_order_relaxed);
	return skips != 0;
}

void goc__streak_record(goc__streak *s, bool missed, unsigned misses_to_skip, unsigned skips)
{
	/* Relaxed: as in goc__streak_skip(). */
	unsigned misses = missed ? atomic_load_explicit(&s->misses, memory_order_relaxed) + 1 : 0;
	if (misses >= misses_to_skip) {
		/* One short of a run: after the skips, one more miss starts the next run. */
		misses = misses_to_skip - 1;
		atomic_store_explicit(&s->skips, skips, memory_order_relaxed);
	}
	atomic_store_explicit(&s->misses, misses, memory_order_relaxed);
}

/*
 * How a park's watch ended, for the next ones (a streak): a wake-up seen
 * while spinning is a hit, as the peer runs beside us; one seen only after
 * a yield (or none) is a miss, as the peer waits for a CPU, maybe ours.
 * After GOC__PARK_MISSES_TO_SKIP misses in a row, the thread's next
 * GOC__PARK_SKIPS parks only yield while they watch.
 */
#define GOC__PARK_MISSES_TO_SKIP 8
#define GOC__PARK_SKIPS 32

static void park_ended(goc__task *self, bool spun)
{
	goc__streak_record(&self->park, !spun, GOC__PARK_MISSES_TO_SKIP, GOC__PARK_SKIPS);
}

static bool woken_soon(goc__op *op)
{
	if (goc__usable_cpus() < 2) {
		sched_yield();
		return woken(op);
	}
	goc__task *self = goc__task_self();
	bool spin = !goc__streak_skip(&self->park);
	int64_t give_up = goc_now() + GOC__SPIN_NS;
	do {
		for (int i = 0; spin && i < GOC__SPINS_PER_YIELD; i++) {
			if (woken(op)) {
				park_ended(self, true);
				return true;
			}
			goc__cpu_relax();
		}
		sched_yield();
		if (woken(op)) {
			if (spin)
				park_ended(self, false);
			return true;
		}
	} while (goc_now() < give_up);
	if (spin)
		park_ended(self, false);
	return false;
}

bool goc__op_park(goc__op *op, int64_t deadline)
{
	GOC__CHAOS();
	if (woken_soon(op))
		return true;
	/* Announce the sleep, so that the claimer's exchange sees it and wakes us. */
	int expected = GOC__WAKE_NONE;
	GOC__TSAN_NOSYNC_BEGIN(); /* libgoc's protocol: orders nothing for TSan */
	bool sleeping = atomic_compare_exchange_strong(&op->woken, &expected, GOC__WAKE_SLEEPING);
	GOC__TSAN_NOSYNC_END();
	if (!sleeping)
		return true; /* DONE meanwhile; the failed seq_cst CAS acquired it */
	/* With no deadline, sleep in slices and check for a deadlock after each (deadlock.c). */
	bool forever = deadline == GOC_FOREVER;
#ifdef GOC__CHECKS
	if (forever) {
		goc__forever_begin();
		GOC__TSAN_PRIVATE_BEGIN();
		atomic_store(&op->forever_counted, true);
		GOC__TSAN_PRIVATE_END();
	}
#endif
	for (;;) {
		int rc = goc__futex_wait_until(&op->woken, GOC__WAKE_SLEEPING, forever ? goc__forever_slice() : deadline);
		/* Re-checked after every return: futexes wake spuriously. */
		GOC__TSAN_NOSYNC_BEGIN();
		bool done = atomic_load(&op->woken) == GOC__WAKE_DONE;
		GOC__TSAN_NOSYNC_END();
		if (done) {
#ifdef GOC__CHECKS
			/* Uncounted here unless the waker did (goc__op_wake()). */
			GOC__TSAN_PRIVATE_BEGIN();
			bool counted = atomic_exchange(&op->forever_counted, false);
			GOC__TSAN_PRIVATE_END();
			if (counted)
				goc__forever_end();
#endif
			return true;
		}
		if (rc != ETIMEDOUT)
			continue;
		if (forever) {
			goc__deadlock_check();
			continue;
		}
		int waiting = GOC__OP_WAITING;
		GOC__TSAN_NOSYNC_BEGIN(); /* a select that times out acquires nothing */
		bool timed_out = atomic_compare_exchange_strong(&op->state, &waiting, GOC__OP_TIMEDOUT);
		GOC__TSAN_NOSYNC_END();
		if (timed_out)
			return false;
		/* A waker claimed the op just in time and is completing it. */
		deadline = GOC_FOREVER;
	}
}
