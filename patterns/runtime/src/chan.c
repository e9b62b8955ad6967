/*
 * chan.c - channels: make, free, close, len, cap, and send/receive.
 *
 * An unbuffered channel follows Go's runtime: one lock per channel guards
 * its closed flag and two queues of blocked operations (goc__waiter, Go's
 * sudog), which live on the blocked threads' stacks. A thread that finds
 * its peer queued completes the transfer itself, copying straight into or
 * out of the peer's element, then wakes it. A buffered channel moves
 * elements through a lock-free ring (ring.c) and takes its lock only to
 * queue or wake waiters at the edges (full, empty, close), completing their
 * cases for them when it can. goc_chan_send() and goc_chan_recv() try the
 * ring directly and fall back to a one-case select (select.c), whose first
 * phase watches the ring for a while; a task of the M:N scheduler, which
 * never watches, does the select engine's work for its one case itself
 * (buffered_wait()), as both do on an unbuffered channel (unbuffered_op(),
 * Go's chansend and chanrecv), where a GOC_NOWAIT operation that finds no
 * peer queued fails without the lock (unbuffered_would_block()). Queuing,
 * the claim of a blocked operation, waking and parking are park.c's; the
 * channel's lock guards its queues.
 *
 * A waker wakes its peer only after releasing every channel lock, and a
 * woken op touches only channels that still hold its other waiters (or
 * the buffered channel it retries): either side may free a channel as soon
 * as its own call returns (receive-then-free of a done channel is safe;
 * goc_chan_free() also waits for the lock, which a buffered channel's
 * waker holds until it is done with the channel, see ring.c).
 *
 * ThreadSanitizer sees exactly Go's edges, and nothing of libgoc's own
 * synchronization: the channel lock orders nothing (lock.c), nor do the
 * claim and the wake-up (park.c). The edges are published
 * explicitly instead, through atomics that exist for TSan alone, on each
 * waiter (tsan_edge, park.c) and channel (tsan_close):
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
#include <stdlib.h>
#include <string.h>

#include "goc_internal.h"

/*
 * The largest capacity: positions must leave room for 2^20 and more laps
 * in 64 bits. (A ring this large would not fit in memory anyway.)
 */
#define GOC__CHAN_MAX_CAP (UINT64_C(1) << 40)

/* Set once by timer.c (goc_internal.h); NULL until then. */
void (*goc__chan_free_hook)(goc_chan *ch);

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
	/* A hook, not a call: timer.c sits above channels (it sends on them), so they must not call into it. */
	if (ch->attached)
		goc__chan_free_hook(ch);
	/*
	 * A peer whose move let our last receive (or send) return may still be
	 * waking waiters under the lock, or a close may be (see ring.c): wait
	 * for the lock, so that its touches of ch happen-before the free.
	 */
	goc__lock_acquire(&ch->mu);
	goc__lock_release(&ch->mu);
	goc__lock_destroy(&ch->mu);
	free(ch);
}

/*
 * Complete claimed waiter w's unbuffered case with one copy from src to
 * dst, one of them w's element (dst NULL: a receive that drops the value),
 * and chain w onto *wake. TSan: the copy is checked (goc__elem_copy()), so
 * it takes the owner's history first (ordered after what the owner did to
 * its element before it queued) and gives ours after (what the owner does
 * once woken is ordered after it): the hand-off orders both sides, as Go's.
 */
static void hand_off(goc__waiter *w, void *dst, const void *src, size_t size, goc__waiter **wake)
{
	goc__tsan_waiter_take(w);
	if (dst && size)
		goc__elem_copy(dst, src, size);
	goc__tsan_waiter_give(w);
	w->result = GOC_OK;
	w->next = *wake;
	*wake = w;
}

goc_status goc__unbuffered_try(const goc_case *c, goc__waiter **wake)
{
	goc_chan *ch = c->ch;
	goc__waiter *w;
	if (c->dir == GOC_SEND) {
		if (ch->closed)
			return GOC_CLOSED;
		/* A queued receiver: hand the value over directly. */
		if ((w = goc__waitq_claim(&ch->recvq, &ch->sendq))) {
			hand_off(w, w->elem, c->elem, ch->elem_size, wake);
			return GOC_OK;
		}
		return GOC_WOULDBLOCK;
	}
	if ((w = goc__waitq_claim(&ch->sendq, &ch->recvq))) {
		hand_off(w, c->elem, w->elem, ch->elem_size, wake);
		return GOC_OK;
	}
	if (ch->closed) {
		goc__tsan_close_acquire(ch); /* the close happens-before this receive reports it */
		if (c->elem && ch->elem_size)
			goc__elem_zero(c->elem, ch->elem_size);
		return GOC_CLOSED;
	}
	return GOC_WOULDBLOCK;
}

/* goc__op_park_unlock()'s unlock for one channel: arg is its mu. */
static void unlock_chan(void *arg)
{
	goc__lock_release(arg);
}

/*
 * Park w's op until woken (true) or the deadline (false). w is queued on
 * ch's queue q, and ch->mu held: the park releases it. Timed out, the op
 * is ours, so nobody claims w now: unqueue it.
 */
static bool park_queued(goc_chan *ch, goc__waitq *q, goc__waiter *w, int64_t deadline, goc__blocked what)
{
	goc__blocked_enter(what, ch);
	bool woken = goc__op_park_unlock(w->op, deadline, unlock_chan, &ch->mu);
	GOC__CHAOS();
	goc__blocked_leave();
	if (!woken) {
		goc__lock_acquire(&ch->mu);
		if (w->queued)
			goc__waitq_remove(q, w);
		goc__lock_release(&ch->mu);
	}
	return woken;
}

/* Relaxed, without the lock: a channel is never reopened, so true stays true. */
static bool chan_closed_unlocked(const goc_chan *ch)
{
	return __atomic_load_n(&ch->closed, __ATOMIC_RELAXED);
}

/*
 * Whether an operation on unbuffered ch that may not wait would block, seen
 * without the lock (Go's fast fail for a select with a default): no peer
 * queued, then the channel open. The queue was empty at the moment it was
 * read, and the channel was open then too, since it is open later and a
 * channel is never reopened: the operation would have blocked at that
 * moment. A queue that holds only ops already claimed elsewhere fails the
 * test, and the lock decides.
 */
static bool unbuffered_would_block(const goc_chan *ch, goc_dir dir)
{
	const goc__waitq *peers = dir == GOC_SEND ? &ch->recvq : &ch->sendq;
	return goc__waitq_empty_unlocked(peers) && !chan_closed_unlocked(ch);
}

/*
 * A send or receive on unbuffered ch, Go's chansend/chanrecv: the select
 * engine's path for one unbuffered case, without its bookkeeping. Under
 * the lock, complete a queued peer's case, or queue a waiter and park
 * until a peer completes ours (or a close, or the deadline).
 */
static goc_status unbuffered_op(goc_chan *ch, goc_dir dir, void *elem, int64_t deadline, goc__blocked what)
{
	if (deadline == GOC_NOWAIT && unbuffered_would_block(ch, dir))
		return GOC_WOULDBLOCK;
	goc_case c = { .ch = ch, .dir = dir, .elem = elem };
	goc__waiter *wake = NULL;
	goc__lock_acquire(&ch->mu);
	goc_status st = goc__unbuffered_try(&c, &wake);
	if (st != GOC_WOULDBLOCK || deadline == GOC_NOWAIT || (deadline != GOC_FOREVER && goc_now() >= deadline)) {
		goc__lock_release(&ch->mu);
		/* After unlocking: a woken peer may free the channel. */
		goc__wake_chain(wake);
		return st != GOC_WOULDBLOCK || deadline == GOC_NOWAIT ? st : GOC_TIMEOUT;
	}
	goc__op op;
	goc__op_init(&op, false, deadline == GOC_FOREVER);
	goc__waiter w = { .op = &op, .elem = elem };
	if (dir == GOC_RECV)
		w.closed_zero = ch->elem_size;
	goc__tsan_waiter_give(&w); /* our history, for the claimer */
	goc__waitq *q = dir == GOC_SEND ? &ch->sendq : &ch->recvq;
	goc__waitq_push(q, &w);
	if (!park_queued(ch, q, &w, deadline, what))
		return GOC_TIMEOUT;
	/* The claimer completed our case (or a close ended it), and unqueued us: the channel may be gone. */
	goc__tsan_waiter_take(&w);
	if (op.result == GOC_CLOSED && elem && w.closed_zero)
		goc__elem_zero(elem, w.closed_zero);
	return op.result;
}

/* A ring operation of direction dir on buffered ch, in context ctx (ring.c). */
static goc_status ring_op(goc_chan *ch, goc_dir dir, void *elem, goc__ring_ctx *ctx)
{
	return dir == GOC_SEND ? goc__ring_send(ch, elem, NULL, ctx) : goc__ring_recv(ch, elem, NULL, ctx);
}

/*
 * A send or receive on buffered ch by a task of the M:N scheduler, which
 * found the ring full or empty and will wait: the select engine's path for
 * one buffered case, without its bookkeeping (a task never watches a ring,
 * select.c). Under the lock, try the ring again, else queue a waiter and
 * arm the ring (ring.c); park until a peer's move completes our case, or
 * wakes us to retry it (a fast-path peer took the slot, or a close), or
 * the deadline passes.
 */
static goc_status buffered_wait(goc_chan *ch, goc_dir dir, void *elem, int64_t deadline, goc__blocked what)
{
	goc__waitq *q = dir == GOC_SEND ? &ch->sendq : &ch->recvq;
	for (;;) {
		goc__ring_ctx ctx = { .exact = true, .locked = true };
		goc__op op;
		goc__waiter w;
		goc__lock_acquire(&ch->mu);
		for (;;) {
			goc_status st = ring_op(ch, dir, elem, &ctx);
			if (st != GOC_WOULDBLOCK || (deadline != GOC_FOREVER && goc_now() >= deadline)) {
				goc__lock_release(&ch->mu);
				/* After unlocking: a woken peer may free the channel. */
				goc__wake_chain(ctx.wake);
				return st != GOC_WOULDBLOCK ? st : GOC_TIMEOUT;
			}
			goc__op_init(&op, false, deadline == GOC_FOREVER);
			w = (goc__waiter){ .op = &op, .elem = elem };
			goc__tsan_waiter_give(&w); /* our history, for the claimer */
			goc__waitq_push(q, &w);
			if (goc__ring_arm(ch, dir))
				break;
			/* The ring moved since the poll: nobody can have claimed us (that takes the lock). */
			goc__waitq_remove(q, &w);
		}
		if (!park_queued(ch, q, &w, deadline, what))
			return GOC_TIMEOUT;
		/* The claimer unqueued us. Our case done (or closed): take its edge. */
		if (op.result != GOC_WOULDBLOCK) {
			goc__tsan_waiter_take(&w);
			return op.result;
		}
		goc__ring_ctx retry = { .exact = true };
		goc_status st = ring_op(ch, dir, elem, &retry);
		if (st != GOC_WOULDBLOCK)
			return st;
	}
}

/*
 * A send or receive on ch: an unbuffered channel's one-case path, or a
 * buffered one's ring and, if that would block and the caller waits, the
 * wait that fits the caller; a nil channel's select. A send may return
 * GOC_CLOSED: its caller panics.
 */
static goc_status chan_op(goc_chan *ch, goc_dir dir, void *elem, int64_t deadline, goc__blocked what)
{
	if (ch && ch->cap == 0)
		return unbuffered_op(ch, dir, elem, deadline, what);
	if (ch) {
		/* The fast path: straight through the ring; only a full or empty one waits. */
		goc__ring_ctx ctx = { .exact = deadline == GOC_NOWAIT };
		goc_status st = ring_op(ch, dir, elem, &ctx);
		if (st != GOC_WOULDBLOCK || deadline == GOC_NOWAIT)
			return st;
		if (goc__g_self())
			return buffered_wait(ch, dir, elem, deadline, what);
	}
	goc_case c = { .ch = ch, .dir = dir, .elem = elem };
	return goc__select(&c, 1, deadline, NULL, what);
}

/* Schedule chaos (chaos.h) on the way in and out of every channel operation. */
goc_status goc_chan_send(goc_chan *ch, const void *elem, int64_t deadline)
{
	GOC__CHAOS();
	if (ch)
		GOC__TSAN_SEND_READ(ch);
	goc_status st = chan_op(ch, GOC_SEND, (void *)elem, deadline, GOC__CHAN_SEND);
	if (st == GOC_CLOSED)
		goc__panic("send on closed channel");
	GOC__CHAOS();
	return st;
}

goc_status goc_chan_recv(goc_chan *ch, void *elem, int64_t deadline)
{
	GOC__CHAOS();
	goc_status st = chan_op(ch, GOC_RECV, elem, deadline, GOC__CHAN_RECV);
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
	/*
	 * Receivers see a buffered channel's close without the lock, and may
	 * free it at once: goc_chan_free() waits for the lock.
	 */
	goc__lock_acquire(&ch->mu);
	if (ch->closed) {
		goc__lock_release(&ch->mu);
		goc__panic("close of closed channel");
	}
	__atomic_store_n(&ch->closed, true, __ATOMIC_RELAXED); /* an atomic store: see chan_closed_unlocked() */
	/* Before the claims below empty the queues: an unlocked check that sees them empty sees closed. */
	atomic_thread_fence(memory_order_release);
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
	while ((w = goc__waitq_claim(&ch->recvq, &ch->sendq))) {
		/* An unbuffered receiver zeroes its own element once woken (select.c). */
		if (!buffered)
			goc__tsan_waiter_give(w);
		w->result = buffered ? GOC_WOULDBLOCK : GOC_CLOSED;
		w->next = wake;
		wake = w;
	}
	while ((w = goc__waitq_claim(&ch->sendq, &ch->recvq))) {
		w->result = buffered ? GOC_WOULDBLOCK : GOC_CLOSED;
		w->next = wake;
		wake = w;
	}
	goc__lock_release(&ch->mu);
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
