/*
 * ring.c - the ring of a buffered channel: send and receive without a lock
 * while the ring is neither full nor empty, and the protocol that lets an
 * operation that finds it full or empty sleep without losing its wake-up.
 *
 * The ring is Vyukov's bounded MPMC queue with crossbeam-channel's lap
 * encoding. A position is lap + index (index < cap <= mark - 1, lap a
 * multiple of one_lap = 4 * mark): tail is the next position to send, head
 * the next to receive; the two bits between index and lap hold flags (in
 * tail: closed, receivers waiting; in head: senders waiting). Each slot's
 * stamp says whose turn it is: p while it waits for the sender of position
 * p, p + 1 while it holds that element for the receiver of p, who moves it
 * on to p + one_lap (the same slot, a lap later). A sender reserves a
 * position with a CAS on tail, copies its element in, then *publishes* the
 * slot by storing its new stamp; a receiver likewise with head. Positions
 * and stamps only grow (2^64 positions do not wrap in practice).
 *
 * Memory order, chosen so that TSan sees exactly Go's edges: the CAS on
 * head or tail is relaxed, so that sends do not order one another; the data
 * rides on the stamp, stored with release and loaded with acquire by the
 * slot's next owner once it has reserved the slot. So send k happens-before
 * receive k completes, and receive k happens-before send k + cap completes
 * (the slot's reuse), and nothing else. Close sets its flag in tail with a
 * release RMW, and a receive that reports GOC_CLOSED acquires tail: close
 * happens-before it. The loads that only decide what to try are relaxed.
 *
 * Blocking at the edges. An operation that finds the ring full (send) or
 * empty (receive) and must wait goes to the select engine, which queues a
 * waiter on the channel under ch->mu and then *arms* the counter its peers
 * reserve with: a receiver sets the waiting flag in tail if tail is still
 * where it waits (head == tail: nothing reserved), a sender sets it in head
 * if head is still where it waits (the ring exactly full). The waiter parks
 * only if that CAS succeeded. A peer's reservation is a CAS on the same
 * word, and clears the flag: this is the Dekker handshake of every sleeping
 * queue (the waiter publishes itself, then re-checks the ring; the other
 * side moves the ring, then checks for waiters) folded into RMWs on one
 * word, which are totally ordered. If the arming comes first, the peer
 * sees the flag, takes ch->mu (after the waiter released it, so the waiter
 * is queued), and only then reserves, publishes and claims a waiter; if
 * the reservation comes first, the arming CAS fails on the moved counter,
 * and the waiter polls again (spinning, if need be, until the reserved
 * slot is published) instead of parking. So no wake-up is lost, and the
 * fast path pays nothing for it: it reserves only a position without the
 * flag (its CAS expects the word it loaded, so a flag set meanwhile fails
 * it), publishes with a plain release store, and touches nothing after.
 *
 * Hand-off, and several waiters. A flagged reservation, once published,
 * claims one waiter (FIFO) and completes its case on its behalf, as Go
 * hands a value to a blocked peer: it receives into the waiter's element,
 * or sends the waiter's element, through the ring (the waiter's own
 * sends stay in order: it is blocked meanwhile). While more waiters are
 * queued, it arms for the position they need next or, if that one is
 * reserved already, claims and serves another, and so on. If a fast-path
 * peer took the slot first, the claimed waiter is woken to retry its case
 * instead, and queues and arms again if need be; nothing is lost, since
 * that peer used the slot. Close claims every waiter; they retry and
 * drain, get GOC_CLOSED, or panic.
 *
 * Freeing. A receiver may free the channel as soon as its receive returns,
 * while the sender whose element it took is still inside its call (and
 * likewise the other way round). The fast path touches nothing after its
 * publish; a flagged move holds ch->mu from before its reservation until
 * it is done with the channel, and so does close from before it sets the
 * closed flag, and goc_chan_free() takes the lock first. (Nobody who holds
 * the lock waits for a slot reserved by somebody waiting for it.)
 *
 * ThreadSanitizer sees the atomics above, hence Go's edges, on every path:
 * ch->mu orders nothing for TSan (lock.c), so an operation that takes it
 * (to queue, or for a flagged move) is ordered with others only through the
 * slots and the closed flag, as on the fast path. A waiter whose case a
 * waker completes (hand_over()) must get the slot's edge, and the slot its
 * history, but the waker must get neither: in TSan builds hand_over() runs
 * its ring operation in a fresh TSan fiber that starts with no history,
 * takes the waiter's (released when it queued, park.c), does the operation
 * (acquiring and releasing the slot's stamp), and gives the result to the
 * waiter, who takes it once woken, as Go's runtime acquires on a blocked
 * goroutine's behalf (raceacquireg). The element copies are checked on
 * every path, under ch->mu and in that fiber too (goc__elem_copy(),
 * lock.c), as Go's race detector checks them. Nor does goc_chan_free()'s
 * taking of the lock order the free after the waker: what a waker does
 * under the lock goes unchecked.
 *
 * Lock order: a ring operation takes ch->mu only when its caller holds no
 * channel lock (`locked` false); with `locked` the caller already holds it.
 */
#define _GNU_SOURCE
#include <sched.h>

#include "goc_internal.h"

#ifdef GOC__TSAN
#include <sanitizer/tsan_interface.h>
#endif

/* PAUSE rounds before backoff() yields instead: 1 + 2 + ... + 64 in all. */
#define GOC__BACKOFF_SPIN_STEPS 6

/*
 * Exponential backoff for a thread waiting on a peer that is mid-operation:
 * PAUSE 2^*step times while *step is small and a second CPU can run the
 * peer, else yield the CPU. Increments *step (start it at 0).
 */
static void backoff(unsigned *step)
{
	if (*step <= GOC__BACKOFF_SPIN_STEPS && goc__usable_cpus() > 1) {
		for (unsigned i = 0; i < 1u << *step; i++)
			goc__cpu_relax();
		(*step)++;
	} else {
		sched_yield();
	}
}

typedef _Atomic(uint64_t) stamp_t;

/* Flags in the bits between a position's index and its lap (see goc_chan_make()). */
static uint64_t closed_bit(const goc_chan *ch)
{
	return ch->mark; /* in tail: the channel is closed */
}

static uint64_t waiting_bit(const goc_chan *ch)
{
	return ch->mark << 1; /* in tail: receivers are armed; in head: senders are */
}

static uint64_t flag_bits(const goc_chan *ch)
{
	return closed_bit(ch) | waiting_bit(ch);
}

static stamp_t *stamp_of(goc_chan *ch, uint64_t pos)
{
	return (stamp_t *)(void *)(ch->ring + (size_t)(pos & (ch->mark - 1)) * ch->slot_size);
}

static unsigned char *elem_of(goc_chan *ch, uint64_t pos)
{
	return ch->ring + (size_t)(pos & (ch->mark - 1)) * ch->slot_size + sizeof(stamp_t);
}

/* The position after pos: the next index, or index 0 of the next lap. */
static uint64_t next_pos(const goc_chan *ch, uint64_t pos)
{
	if ((pos & (ch->mark - 1)) + 1 < ch->cap)
		return pos + 1;
	return (pos & ~(ch->one_lap - 1)) + ch->one_lap;
}

/*
 * Batching at the full edge: how many slots further on a sender that found
 * the ring full watches first (0: none). It would otherwise resume as soon
 * as the receivers freed one slot, and from then on it would write in the
 * cache lines they are reading, each move costing the other side a cache
 * miss; waiting until they are a few dozen slots on lets them run ahead
 * undisturbed, and the sender catch up in a burst. A full ring holds a
 * backlog of cap elements, so the wait costs the sender nothing it would
 * not wait anyway, and the select engine watches the far slot for a few
 * microseconds at most before it watches the near one. (Receivers finding
 * the ring empty do not batch: a request-response exchange over a buffered
 * channel would pay the whole delay on every message.) Rings below 16
 * slots have no room for it.
 */
#define GOC__RING_BATCH_MAX 128

static size_t batch_of(const goc_chan *ch)
{
	size_t k = ch->cap / 8;
	return ch->cap < 16 ? 0 : k < GOC__RING_BATCH_MAX ? k : GOC__RING_BATCH_MAX;
}

/* Fill in the far slot of an inexact send blocked at pos (see batch_of()). */
static void watch_far(goc_chan *ch, uint64_t pos, goc__ring_obs *obs)
{
	size_t k = batch_of(ch);
	if (!k)
		return;
	uint64_t index = ((pos & (ch->mark - 1)) + k) % ch->cap;
	obs->far_index = index;
	/* Relaxed: only watched for a change. */
	obs->far_stamp = atomic_load_explicit((stamp_t *)(void *)(ch->ring + (size_t)index * ch->slot_size),
	                                      memory_order_relaxed);
}

/*
 * Set the waiting flag in *word (head or tail) if the word is still at
 * position pos, with no other flag: true if the flag is set now, false if
 * the word moved on (or, for tail, the channel was closed). Relaxed: ch->mu
 * orders us after a close; the flag carries no data.
 */
static bool arm_word(goc_chan *ch, _Atomic(uint64_t) *word, uint64_t pos)
{
	uint64_t v = pos;
	if (atomic_compare_exchange_strong_explicit(word, &v, pos | waiting_bit(ch), memory_order_relaxed,
	                                            memory_order_relaxed))
		return true;
	return v == (pos | waiting_bit(ch));
}

/*
 * Arm for blocked receivers: they need position `from` next. If nobody has
 * reserved it yet (tail is there), set the waiting flag in tail, so that its
 * sender sees the flag when it reserves it. True if armed; false if `from`
 * is reserved already (its element is coming, or there) or the channel is
 * closed with nothing more to come: retry rather than park. ch->mu is held.
 */
static bool arm_recv(goc_chan *ch, uint64_t from)
{
	return arm_word(ch, &ch->tail, from);
}

/*
 * Arm for blocked senders: they need the slot of tail position `from` next.
 * If it holds the element of a lap ago and no receiver has reserved that
 * yet (head is there), set the waiting flag in head, so that its receiver
 * sees the flag when it reserves it. True if armed; false if the slot is
 * free or being freed, or the channel is closed: retry rather than park.
 * ch->mu is held.
 */
static bool arm_send(goc_chan *ch, uint64_t from)
{
	/* Relaxed: as in arm_word(). */
	if ((atomic_load_explicit(&ch->tail, memory_order_relaxed) & closed_bit(ch)) || from < ch->one_lap)
		return false;
	return arm_word(ch, &ch->head, from - ch->one_lap);
}

static bool arm(goc_chan *ch, goc_dir dir, uint64_t from)
{
	return dir == GOC_RECV ? arm_recv(ch, from) : arm_send(ch, from);
}

bool goc__ring_arm(goc_chan *ch, goc_dir dir)
{
	/* Relaxed: a stale position only makes the arming fail, and the caller poll again. */
	if (dir == GOC_RECV)
		return arm_recv(ch, atomic_load_explicit(&ch->head, memory_order_relaxed) & ~waiting_bit(ch));
	return arm_send(ch, atomic_load_explicit(&ch->tail, memory_order_relaxed) & ~flag_bits(ch));
}

/*
 * Complete claimed waiter w's case on its behalf (ch->mu held),
 * as Go hands a value straight to a blocked peer: the waiter then need not
 * run again to move its element, which matters when it is not running (one
 * CPU, or more tasks than CPUs). Returns what to wake it with: GOC_OK or
 * GOC_CLOSED, or GOC_WOULDBLOCK if a fast-path peer took the slot first
 * (it retries). Waiters that this operation's own move wakes are chained
 * onto *wake, to retry.
 */
static goc_status hand_over(goc_chan *ch, goc_dir dir, goc__waiter *w, goc__waiter **wake)
{
	goc__ring_ctx ctx = { .exact = true, .locked = true, .nested = true, .wake = *wake };
#ifdef GOC__TSAN
	/*
	 * On the waiter's behalf (see the top): a fresh fiber, made with sync
	 * ignored so that it inherits nothing from us, entered and left without
	 * sync. Its accesses go unchecked (the thread's stack is ours), but for
	 * the element's copy (goc__elem_copy()), between the waiter's take and
	 * give: ordered after what the waiter did before it queued, and before
	 * what it does once woken.
	 */
	void *self = __tsan_get_current_fiber();
	GOC__TSAN_NOSYNC_BEGIN();
	void *fiber = __tsan_create_fiber(0);
	GOC__TSAN_NOSYNC_END();
	__tsan_switch_to_fiber(fiber, __tsan_switch_to_fiber_no_sync);
	GOC__TSAN_UNCHECKED_BEGIN();
	goc__tsan_waiter_take(w);
#endif
	goc_status st = dir == GOC_RECV ? goc__ring_recv(ch, w->elem, NULL, &ctx)
	                                : goc__ring_send(ch, w->elem, NULL, &ctx);
#ifdef GOC__TSAN
	goc__tsan_waiter_give(w);
	GOC__TSAN_UNCHECKED_END();
	__tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
	__tsan_destroy_fiber(fiber);
#endif
	*wake = ctx.wake;
	return st;
}

/*
 * A reservation found the waiting flag (and cleared it): after publishing,
 * wake waiters of direction `dir`. `from` is the position the others need
 * after the one this move serves. Claim one waiter and, if `hand_off`,
 * complete its case; then, while more are queued, arm for the position
 * they need next or, if that one is reserved already, claim another for it.
 * ch->mu is held. Claimed waiters are chained onto *wake.
 */
static void claim_for_move(goc_chan *ch, goc_dir dir, uint64_t from, goc__waiter **wake, bool hand_off)
{
	goc__waitq *q = dir == GOC_RECV ? &ch->recvq : &ch->sendq;
	goc__waitq *other = dir == GOC_RECV ? &ch->sendq : &ch->recvq;
	goc__waiter *w;
	while ((w = goc__waitq_claim(q, other))) {
		w->result = hand_off ? hand_over(ch, dir, w, wake) : GOC_WOULDBLOCK;
		w->next = *wake;
		*wake = w;
		if (!q->head || arm(ch, dir, from))
			return;
		from = next_pos(ch, from);
	}
}

/*
 * The operations proper. Unlocked (ctx->locked false), they reserve only a
 * position whose word carries no waiting flag: one that does would oblige
 * them to wake its waiters, so they return with *needs_lock set, having
 * done nothing, and the caller redoes them under ch->mu (locked_op()).
 */
static goc_status ring_send(goc_chan *ch, const void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx,
                            bool *needs_lock)
{
	unsigned step = 0;
	/* Relaxed: where to start; the CAS decides. */
	uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
	for (;;) {
		if (tail & closed_bit(ch))
			return GOC_CLOSED;
		uint64_t pos = tail & ~waiting_bit(ch);
		stamp_t *stamp = stamp_of(ch, pos);
		/* Relaxed: only says whether to try; the slot is acquired once reserved. */
		uint64_t s = atomic_load_explicit(stamp, memory_order_relaxed);
		if (s == pos) {
			if ((tail & waiting_bit(ch)) && !ctx->locked) {
				*needs_lock = true;
				return GOC_WOULDBLOCK;
			}
			/*
			 * Relaxed both ways: reserving a position orders nothing (see
			 * the top). Locked, it may clear the waiting flag: then we wake
			 * the receivers.
			 */
			if (atomic_compare_exchange_weak_explicit(&ch->tail, &tail, next_pos(ch, pos),
			                                          memory_order_relaxed, memory_order_relaxed)) {
				/* Read before the publish, after which an unlocked caller's ch may be freed. */
				bool flagged = (tail & waiting_bit(ch)) != 0;
				/* Acquire: the receive that emptied this slot a lap ago happens-before this send completes. */
				(void)atomic_load_explicit(stamp, memory_order_acquire);
				if (ch->elem_size)
					goc__elem_copy(elem_of(ch, pos), elem, ch->elem_size);
				/* Release: the element goes to its receiver. */
				atomic_store_explicit(stamp, pos + 1, memory_order_release);
				if (flagged)
					claim_for_move(ch, GOC_RECV, next_pos(ch, pos), &ctx->wake, !ctx->nested);
				return GOC_OK;
			}
			backoff(&step); /* lost the position to another sender */
			continue;
		}
		if (s + ch->one_lap == pos + 1) {
			/* The element of a lap ago is still there: full, unless its receiver is mid-copy. */
			if (!ctx->exact) {
				if (obs) {
					*obs = (goc__ring_obs){ .tail = pos, .stamp = s };
					watch_far(ch, pos, obs);
				}
				return GOC_WOULDBLOCK;
			}
			atomic_thread_fence(memory_order_acquire); /* the stamp load before the head load */
			uint64_t head = atomic_load_explicit(&ch->head, memory_order_relaxed) & ~waiting_bit(ch);
			if (head + ch->one_lap == pos) {
				if (obs)
					*obs = (goc__ring_obs){ .head = head, .tail = pos, .stamp = s };
				return GOC_WOULDBLOCK;
			}
		}
		/* A peer is mid-operation on this slot, or tail moved on: look again. */
		backoff(&step);
		tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
	}
}

static goc_status ring_recv(goc_chan *ch, void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx, bool *needs_lock)
{
	unsigned step = 0;
	/* Relaxed: where to start; the CAS decides. */
	uint64_t head = atomic_load_explicit(&ch->head, memory_order_relaxed);
	for (;;) {
		uint64_t pos = head & ~waiting_bit(ch);
		stamp_t *stamp = stamp_of(ch, pos);
		/* Relaxed: only says whether to try; the slot is acquired once reserved. */
		uint64_t s = atomic_load_explicit(stamp, memory_order_relaxed);
		if (s == pos + 1) {
			if ((head & waiting_bit(ch)) && !ctx->locked) {
				*needs_lock = true;
				return GOC_WOULDBLOCK;
			}
			/*
			 * Relaxed both ways: reserving a position orders nothing (see
			 * the top). Locked, it may clear the waiting flag: then we wake
			 * the senders.
			 */
			if (atomic_compare_exchange_weak_explicit(&ch->head, &head, next_pos(ch, pos),
			                                          memory_order_relaxed, memory_order_relaxed)) {
				/* Read before the publish, after which an unlocked caller's ch may be freed. */
				bool flagged = (head & waiting_bit(ch)) != 0;
				uint64_t lap = ch->one_lap;
				/* Acquire: the send of this element happens-before this receive completes. */
				(void)atomic_load_explicit(stamp, memory_order_acquire);
				if (elem && ch->elem_size)
					goc__elem_copy(elem, elem_of(ch, pos), ch->elem_size);
				/* Release: the emptied slot goes to its next sender, a lap later. */
				atomic_store_explicit(stamp, pos + lap, memory_order_release);
				if (flagged)
					claim_for_move(ch, GOC_SEND, next_pos(ch, pos + lap), &ctx->wake, !ctx->nested);
				return GOC_OK;
			}
			backoff(&step); /* lost the element to another receiver */
			continue;
		}
		if (s == pos) {
			/* Nothing published at head: empty, unless a sender is mid-copy there. */
			/* Relaxed: a hint; the mark in tail decides, and carries the edge. */
			if (!ctx->exact && !atomic_load_explicit(&ch->shut, memory_order_relaxed)) {
				if (obs)
					*obs = (goc__ring_obs){ .head = pos, .stamp = s };
				return GOC_WOULDBLOCK;
			}
			atomic_thread_fence(memory_order_acquire); /* the stamp load before the tail load */
			uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
			if ((tail & ~flag_bits(ch)) == pos) {
				if (tail & closed_bit(ch)) {
					/* Acquire: the close happens-before this receive reports it. */
					(void)atomic_load_explicit(&ch->tail, memory_order_acquire);
					if (elem && ch->elem_size)
						goc__elem_zero(elem, ch->elem_size);
					return GOC_CLOSED;
				}
				if (obs)
					*obs = (goc__ring_obs){ .head = pos, .tail = tail & ~waiting_bit(ch), .stamp = s };
				return GOC_WOULDBLOCK;
			}
		}
		/* A peer is mid-operation on this slot, or head moved on: look again. */
		backoff(&step);
		head = atomic_load_explicit(&ch->head, memory_order_relaxed);
	}
}

/*
 * An unlocked operation that found the waiting flag: redo it under ch->mu,
 * reserving and publishing there, then wake the waiters it claimed once
 * the lock is released. Holding the lock across the move is what lets a
 * peer whose call the move ends free the channel: goc_chan_free() takes
 * the lock first, so it waits until this thread is done with ch. (Nobody
 * holding the lock can be waiting for our publish: we reserve only once
 * we hold it.) TSan: the lock orders nothing, and the accesses under it
 * go unchecked (lock.c); the ring's edges are the stamps', as unlocked.
 */
static goc_status locked_op(goc_chan *ch, goc_dir dir, void *elem, goc__ring_obs *obs, bool exact)
{
	goc__ring_ctx locked = { .exact = exact, .locked = true };
	bool needs_lock = false; /* never set: locked */
	goc__lock_acquire(&ch->mu);
	goc_status st = dir == GOC_SEND ? ring_send(ch, elem, obs, &locked, &needs_lock)
	                                : ring_recv(ch, elem, obs, &locked, &needs_lock);
	goc__lock_release(&ch->mu);
	/* Not ch: the waiters live on the stacks of their blocked threads. */
	goc__wake_chain(locked.wake);
	return st;
}

goc_status goc__ring_send(goc_chan *ch, const void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx)
{
	bool needs_lock = false;
	goc_status st = ring_send(ch, elem, obs, ctx, &needs_lock);
	return needs_lock ? locked_op(ch, GOC_SEND, (void *)elem, obs, ctx->exact) : st;
}

goc_status goc__ring_recv(goc_chan *ch, void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx)
{
	bool needs_lock = false;
	goc_status st = ring_recv(ch, elem, obs, ctx, &needs_lock);
	return needs_lock ? locked_op(ch, GOC_RECV, elem, obs, ctx->exact) : st;
}

bool goc__ring_ready(goc_chan *ch, goc_dir dir, goc__ring_obs *obs)
{
	/* Relaxed throughout, as the decisions in the operations above (no data is read). */
	if (dir == GOC_SEND) {
		uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
		if (tail & closed_bit(ch))
			return true;
		uint64_t pos = tail & ~waiting_bit(ch);
		uint64_t s = atomic_load_explicit(stamp_of(ch, pos), memory_order_relaxed);
		if (s + ch->one_lap != pos + 1)
			return true; /* free, or tail moved on: trying will tell */
		atomic_thread_fence(memory_order_acquire); /* the stamp load before the head load */
		uint64_t head = atomic_load_explicit(&ch->head, memory_order_relaxed) & ~waiting_bit(ch);
		if (head + ch->one_lap != pos)
			return true; /* its receiver is mid-copy */
		*obs = (goc__ring_obs){ .head = head, .tail = pos, .stamp = s };
		return false;
	}
	uint64_t pos = atomic_load_explicit(&ch->head, memory_order_relaxed) & ~waiting_bit(ch);
	uint64_t s = atomic_load_explicit(stamp_of(ch, pos), memory_order_relaxed);
	if (s != pos)
		return true; /* an element, or head moved on: trying will tell */
	atomic_thread_fence(memory_order_acquire); /* the stamp load before the tail load */
	uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
	if ((tail & ~flag_bits(ch)) != pos || (tail & closed_bit(ch)))
		return true; /* a sender is mid-copy, or closed and drained */
	*obs = (goc__ring_obs){ .head = pos, .tail = tail & ~waiting_bit(ch), .stamp = s };
	return false;
}

bool goc__ring_unmoved(goc_chan *ch, goc_dir dir, const goc__ring_obs *obs)
{
	/*
	 * Relaxed: the caller's acquire fence separates these loads from the
	 * ones that made *obs; all three values only grow (the waiting flags
	 * aside), so equal means unchanged in between. (Acquire would hand
	 * TSan edges Go does not have.)
	 */
	stamp_t *stamp = stamp_of(ch, dir == GOC_SEND ? obs->tail : obs->head);
	uint64_t head = atomic_load_explicit(&ch->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
	return (head & ~waiting_bit(ch)) == obs->head && (tail & ~waiting_bit(ch)) == obs->tail &&
	       atomic_load_explicit(stamp, memory_order_relaxed) == obs->stamp;
}

bool goc__ring_stirred(goc_chan *ch, goc_dir dir, const goc__ring_obs *obs, bool near)
{
	/* Relaxed: only says when to poll again; the poll decides. */
	if (dir == GOC_RECV && atomic_load_explicit(&ch->shut, memory_order_relaxed))
		return true;
	if (!near && dir == GOC_SEND && batch_of(ch)) {
		stamp_t *far = (stamp_t *)(void *)(ch->ring + (size_t)obs->far_index * ch->slot_size);
		return atomic_load_explicit(far, memory_order_relaxed) != obs->far_stamp;
	}
	stamp_t *stamp = stamp_of(ch, dir == GOC_SEND ? obs->tail : obs->head);
	return atomic_load_explicit(stamp, memory_order_relaxed) != obs->stamp;
}

void goc__ring_close(goc_chan *ch)
{
	/* Relaxed: a hint for receivers (see goc_chan); the mark below is what counts. */
	atomic_store_explicit(&ch->shut, true, memory_order_relaxed);
	/* Release: close happens-before a receive that reports GOC_CLOSED (it acquires tail). */
	atomic_fetch_or_explicit(&ch->tail, closed_bit(ch), memory_order_release);
}

size_t goc__ring_len(goc_chan *ch)
{
	for (;;) {
		/* Relaxed: len is a snapshot and orders nothing (Go's len does not either). */
		uint64_t tail = atomic_load_explicit(&ch->tail, memory_order_relaxed);
		uint64_t head = atomic_load_explicit(&ch->head, memory_order_relaxed);
		if (atomic_load_explicit(&ch->tail, memory_order_relaxed) != tail)
			continue; /* a consistent pair: tail did not move around the head load */
		tail &= ~flag_bits(ch);
		head &= ~flag_bits(ch);
		uint64_t hix = head & (ch->mark - 1), tix = tail & (ch->mark - 1);
		if (hix < tix)
			return (size_t)(tix - hix);
		if (hix > tix)
			return (size_t)(ch->cap - hix + tix);
		return tail == head ? 0 : ch->cap;
	}
}
