/*
 * select.c - the select engine, which goc_chan_send() and goc_chan_recv()
 * use too (as one-case selects) once their ring fast path cannot proceed,
 * but for a task of the M:N scheduler, which waits through chan.c's own
 * one-case path.
 *
 * As in Go's runtime: shuffle the cases (a uniform poll order is what makes
 * the choice among ready cases uniform) and take the first ready case in
 * poll order; if none is ready and the caller will wait, queue a waiter on
 * every case's channel, park, then unqueue whatever the waker did not.
 *
 * Buffered channels are polled through their lock-free rings (ring.c).
 * When every case is buffered, a select that will not wait first looks at
 * every case without any lock and does one of those that looked ready,
 * chosen uniformly. A select with a buffered case that will wait first
 * polls in shuffled order, an unbuffered case under that channel's lock
 * alone, then watches the slots that blocked it for a while (a peer on the
 * other CPU usually moves within microseconds; with one usable CPU it
 * does not watch), polling again when one moves, and its unbuffered cases
 * every few watches. (So a select on a buffered channel and a done channel,
 * Go's `select { case ch <- v: case <-ctx.Done(): }`, waits as one on the
 * buffered channel alone does; an unbuffered case found ready only while
 * watching makes the thread queue at once for a while instead, as its
 * peers are better served by a queued select.) Otherwise, and to queue
 * waiters, it locks every distinct channel in address order and polls
 * again; a buffered case then arms its ring (ring.c) after queuing, so
 * that the ring's next move wakes it, mostly with its case done (ring.c's
 * hand-off); a select woken to retry a buffered case (a fast-path peer
 * took the slot, or a close) tries that case again, and starts over if it
 * is still blocked.
 *
 * goc__select() drives those phases, a function each: poll_lock_free()
 * (watching in poll_and_watch()), poll_locked() (queuing in
 * queue_and_arm()), park() and dequeue_and_pick(). Each of the first two
 * decides once, with one read of the clock, whether it waits (will_wait());
 * the locked phase re-decides only after a lock-free poll has run.
 *
 * A select that finds nothing ready must have found every case blocked at
 * one moment, as Go's does by holding all its locks. The rings are not
 * locked, so after finding two or more buffered cases blocked it reads them
 * again, and answers "nothing ready" only if none moved in between (their
 * positions and stamps only grow), else it looks again.
 *
 * ThreadSanitizer: the channel locks order nothing (lock.c), so a locked
 * poll is ordered with other operations only through what its case does:
 * a buffered case through its ring's slots (ring.c), an unbuffered one
 * through the hand-off edge on the peer's waiter (taken before the
 * element's copy and given after it by whoever completes the case,
 * chan.c's hand_off()) or the channel's close edge. The copies of elements are
 * checked, locks held or not (goc__elem_copy()). A queued select releases
 * its history on each of its waiters (for the claimer) and, woken with its
 * case done, acquires what the claimer left on the waiter of the case that
 * fired; woken to retry, or timed out, it acquires nothing.
 *
 * See park.c for the claim protocol. Lock order: channel locks in ascending
 * address order; a ring operation in a locked poll takes no lock itself.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "goc_internal.h"

/* Selects with up to this many cases keep their bookkeeping on the stack (select_call). */
#define GOC__SELECT_SMALL 16

/*
 * How long a select over buffered channels that will wait watches its
 * blocked slots before it queues and parks, and how often it yields the CPU
 * meanwhile: every GOC__SELECT_WATCHES_PER_YIELD watches (of one PAUSE
 * each) while the peer runs beside it, down to every
 * GOC__SELECT_MIN_WATCHES_PER_YIELD while tasks outnumber CPUs and the
 * peer may be waiting for this one (see watch_ended()). A yield that takes
 * GOC__SELECT_SWITCH_NS or more ran another thread. With one usable CPU it
 * does not watch.
 */
#define GOC__SELECT_SPIN_NS 5000
#define GOC__SELECT_WATCHES_PER_YIELD 64
#define GOC__SELECT_MIN_WATCHES_PER_YIELD 2
#define GOC__SELECT_SWITCH_NS 1000

/* Watches that must end late, with nobody else running, before waits stop watching, and for how many. */
#define GOC__SELECT_MISSES_TO_SKIP 4
#define GOC__SELECT_SKIPS 32

/* A watching select that has unbuffered cases too polls them every this many watches. */
#define GOC__SELECT_UNBUFFERED_WATCHES 16

/* Watches (about 30 ns each) of a full ring that look at a slot further on first (ring.c's batching). */
#define GOC__SELECT_FAR_WATCHES 128

/* Looks after which a select that never saw all its cases blocked at once still gives up. */
#define GOC__SELECT_LOOKS 64

static void lock_all(goc_chan **locks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		goc__lock_acquire(&locks[i]->mu);
}

static void unlock_all(goc_chan **locks, size_t n)
{
	for (size_t i = n; i-- > 0;)
		goc__lock_release(&locks[i]->mu);
}

/* Insert ch into the ascending, duplicate-free locks[0..*n). */
static void lock_order_add(goc_chan **locks, size_t *n, goc_chan *ch)
{
	size_t i = *n;
	while (i > 0 && (uintptr_t)locks[i - 1] > (uintptr_t)ch)
		i--;
	if (i > 0 && locks[i - 1] == ch)
		return;
	memmove(&locks[i + 1], &locks[i], (*n - i) * sizeof *locks);
	locks[i] = ch;
	(*n)++;
}

/* A uniformly random permutation of order[0..n) in place (Fisher-Yates). */
static void shuffle(size_t *order, size_t n)
{
	if (n < 2)
		return;
	goc__task *self = goc__task_self();
	for (size_t k = n - 1; k > 0; k--) {
		size_t j = goc__rand_below(self, (uint32_t)k + 1);
		size_t t = order[k];
		order[k] = order[j];
		order[j] = t;
	}
}

/*
 * Try case c: a buffered one through its ring (ctx; *obs says what blocked
 * it), an unbuffered one under its held lock (wake: see goc__unbuffered_try()).
 */
static goc_status try_case(const goc_case *c, goc__ring_obs *obs, goc__ring_ctx *ctx, goc__waiter **wake)
{
	if (c->ch->cap == 0)
		return goc__unbuffered_try(c, wake);
	if (c->dir == GOC_SEND)
		return goc__ring_send(c->ch, c->elem, obs, ctx);
	return goc__ring_recv(c->ch, c->elem, obs, ctx);
}

/* Try the cases in poll order; the first that proceeds fires (*fired). */
static goc_status poll(const goc_case *cases, const size_t *order, size_t n, goc__ring_obs *obs,
                       goc__ring_ctx *ctx, goc__waiter **wake, size_t *fired)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		goc_status st = try_case(&cases[i], &obs[i], ctx, wake);
		if (st != GOC_WOULDBLOCK) {
			*fired = i;
			return st;
		}
	}
	return GOC_WOULDBLOCK;
}

/*
 * Try unbuffered case c under its own lock, taken for it alone (no other
 * lock held): what a locked poll does with that case at this moment.
 */
static goc_status try_unbuffered_alone(const goc_case *c)
{
	goc__waiter *wake = NULL;
	goc__lock_acquire(&c->ch->mu);
	goc_status st = goc__unbuffered_try(c, &wake);
	goc__lock_release(&c->ch->mu);
	/* After unlocking: a woken peer may free its channel (see the queued path). */
	goc__wake_chain(wake);
	return st;
}

/*
 * poll() for a waiting select that holds no lock (its first phase): a
 * buffered case through its ring (ctx), an unbuffered one under its own
 * lock alone, or (`only_unbuffered`) the unbuffered ones only. A case found
 * ready is done at once, which is what a locked poll would do at that
 * moment; a select that finds nothing ready here concludes nothing from
 * it, but watches or queues.
 */
static goc_status poll_unlocked(const goc_case *cases, const size_t *order, size_t n, goc__ring_obs *obs,
                                goc__ring_ctx *ctx, bool only_unbuffered, size_t *fired, bool *fired_unbuffered)
{
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		/* Read before the case proceeds: then its peer may free the channel. */
		bool unbuffered = cases[i].ch->cap == 0;
		goc_status st = GOC_WOULDBLOCK;
		if (unbuffered)
			st = try_unbuffered_alone(&cases[i]);
		else if (!only_unbuffered)
			st = try_case(&cases[i], &obs[i], ctx, NULL);
		if (st != GOC_WOULDBLOCK) {
			*fired = i;
			*fired_unbuffered = unbuffered;
			return st;
		}
	}
	return GOC_WOULDBLOCK;
}

/*
 * After the cases order[0..n) were all found blocked: true if they were all
 * blocked at one moment, i.e. (unbuffered channels being locked, if any)
 * no buffered case moved since it was seen. One buffered case alone was.
 */
static bool all_blocked_at_once(const goc_case *cases, const size_t *order, size_t n,
                                const goc__ring_obs *obs)
{
	size_t nbuffered = 0;
	for (size_t k = 0; k < n; k++)
		nbuffered += cases[order[k]].ch->cap != 0;
	if (nbuffered < 2)
		return true;
	/* The second reads come after every first one: loads only, so acquire orders them. */
	atomic_thread_fence(memory_order_acquire);
	for (size_t k = 0; k < n; k++) {
		const goc_case *c = &cases[order[k]];
		if (c->ch->cap && !goc__ring_unmoved(c->ch, c->dir, &obs[order[k]]))
			return false;
	}
	return true;
}

/*
 * A select over buffered channels only that will not wait: look at every
 * case without changing anything, and do one of those that looked ready,
 * chosen uniformly; if it lost its slot meanwhile, look again. Returns
 * GOC_WOULDBLOCK once every case was blocked at one moment (or after
 * GOC__SELECT_LOOKS looks that each saw them all blocked).
 */
static goc_status poll_nowait(const goc_case *cases, const size_t *live, size_t nlive, size_t *ready,
                              goc__ring_obs *obs, size_t *fired)
{
	goc__ring_ctx ctx = { .exact = true };
	for (unsigned looks = 1;; looks++) {
		size_t nready = 0;
		for (size_t k = 0; k < nlive; k++) {
			const goc_case *c = &cases[live[k]];
			if (goc__ring_ready(c->ch, c->dir, &obs[live[k]]))
				ready[nready++] = live[k];
		}
		if (nready == 0) {
			if (all_blocked_at_once(cases, live, nlive, obs) || looks >= GOC__SELECT_LOOKS)
				return GOC_WOULDBLOCK;
			continue;
		}
		size_t i = ready[nready > 1 ? goc__rand_below(goc__task_self(), (uint32_t)nready) : 0];
		goc_status st = try_case(&cases[i], &obs[i], &ctx, NULL);
		if (st != GOC_WOULDBLOCK) {
			*fired = i;
			return st;
		}
	}
}

/*
 * True if a buffered case's blocking slot moved since the poll; during the
 * first GOC__SELECT_FAR_WATCHES watches, a send on a large full ring only
 * once a slot further on moved too (see goc__ring_stirred()).
 */
static bool stirred(const goc_case *cases, const size_t *order, size_t n, const goc__ring_obs *obs,
                    unsigned watches)
{
	bool near = watches >= GOC__SELECT_FAR_WATCHES;
	for (size_t k = 0; k < n; k++) {
		const goc_case *c = &cases[order[k]];
		/* An unbuffered case has no slot to watch (see the caller). */
		if (c->ch->cap && goc__ring_stirred(c->ch, c->dir, &obs[order[k]], near))
			return true;
	}
	return false;
}

/* One watch of a waiting select: from a poll that found it blocked to the next poll or the queue. */
typedef struct watch {
	unsigned n;         /* watches so far */
	unsigned per_yield; /* yield every per_yield watches: a power of two (watches_per_yield()) */
	bool yielded;       /* the last watch followed a yield */
	bool switched;      /* a yield ran another thread */
} watch;

/*
 * Between two watches of a waiting select's blocked slots: pause, or yield
 * the CPU every w->per_yield watches. False once the select has watched
 * for GOC__SELECT_SPIN_NS or reached its deadline (the clock is read every
 * 16 watches), or at once with one usable CPU: queue and park instead (or
 * time out).
 */
static bool watch_more(int64_t *give_up, int64_t deadline, watch *w)
{
	/*
	 * With one usable CPU the peer cannot move while we watch: queue at
	 * once, so that when it moves it completes our case itself (ring.c's
	 * hand-off) and goes on without a switch back to us. A task of the
	 * M:N scheduler never watches: parking runs the next task at once.
	 */
	if (goc__usable_cpus() < 2 || goc__g_self())
		return false;
	unsigned n = ++w->n;
	if (n % 16 == 1) {
		int64_t now = goc_now();
		if (*give_up == 0) {
			*give_up = now + GOC__SELECT_SPIN_NS;
			if (deadline != GOC_FOREVER && deadline < *give_up)
				*give_up = deadline;
		} else if (now >= *give_up) {
			return false;
		}
	}
	w->yielded = (n & (w->per_yield - 1)) == 0;
	if (w->yielded) {
		int64_t before = goc_now();
		sched_yield();
		if (goc_now() - before >= GOC__SELECT_SWITCH_NS)
			w->switched = true;
	} else {
		goc__cpu_relax();
	}
	return true;
}

/* How many watches a waiting select of this thread makes between yields. */
static unsigned watches_per_yield(goc__task *self)
{
	/* Relaxed: only this thread touches it (atomic for TSan: see goc__task). */
	return GOC__SELECT_WATCHES_PER_YIELD >> atomic_load_explicit(&self->watch_shift, memory_order_relaxed);
}

/*
 * How a watch ended (`ran_out`: without the peer moving), for the next
 * ones. A watch whose yields ran other threads says that tasks outnumber
 * the CPUs free: the peer may be waiting for this CPU, so yield twice as
 * often next time (down to GOC__SELECT_MIN_WATCHES_PER_YIELD), handing the
 * CPU to the tasks with work rather than spinning. Watching on, with
 * yields, rather than queuing, spares the peer the locked hand-off and
 * this thread the spinning of a parked one. Any other watch says the peer
 * runs beside us: spin twice as long between yields (up to
 * GOC__SELECT_WATCHES_PER_YIELD). Among those, one that saw the peer move
 * only after it yielded, or ran out, says the peer is slow: after
 * GOC__SELECT_MISSES_TO_SKIP of those in a row, the thread's next
 * GOC__SELECT_SKIPS waits queue at once, so that the peer, when it moves,
 * completes them itself (ring.c's hand-off). A watch that sees the peer
 * move while it spins resets that count.
 */
static void watch_ended(goc__task *self, const watch *w, bool ran_out)
{
	/* Relaxed: only this thread touches it (atomic for TSan: see goc__task). */
	unsigned shift = atomic_load_explicit(&self->watch_shift, memory_order_relaxed);
	if (w->switched) {
		if ((GOC__SELECT_WATCHES_PER_YIELD >> shift) > GOC__SELECT_MIN_WATCHES_PER_YIELD)
			shift++;
	} else if (shift > 0) {
		shift--;
	}
	atomic_store_explicit(&self->watch_shift, shift, memory_order_relaxed);
	bool missed = !w->switched && (w->yielded || ran_out);
	goc__streak_record(&self->watch, missed, GOC__SELECT_MISSES_TO_SKIP, GOC__SELECT_SKIPS);
}

/*
 * A watching select found one of its unbuffered cases ready with a peer
 * (not closed): that peer came meanwhile and had to queue there and park,
 * where a select queued on its channel would have been handed the value at
 * once. Such a channel is in use, not a done channel that only ever
 * closes: the thread's next GOC__SELECT_SKIPS waits queue at once.
 */
static void unbuffered_came_late(goc__task *self)
{
	/* Relaxed: only this thread touches it (atomic for TSan: see goc__task). */
	atomic_store_explicit(&self->watch.skips, GOC__SELECT_SKIPS, memory_order_relaxed);
}

/*
 * Whether a select with this deadline waits: decided with one read of the
 * clock at the start of each phase, and held to for the whole phase, so
 * that a deadline passing meanwhile cannot send two steps of one phase
 * different ways (it once sent a select with an unbuffered case down the
 * lock-free path meant for buffered cases alone). A phase that decided to
 * wait and finds the deadline gone when it parks times out there.
 */
static bool will_wait(int64_t deadline)
{
	return deadline == GOC_FOREVER || (deadline != GOC_NOWAIT && goc_now() < deadline);
}

/* One goc__select() call: its cases and the bookkeeping that its phases share. */
typedef struct select_call {
	const goc_case *cases;
	size_t ncases;
	int64_t deadline;
	size_t *order;         /* the live cases' indices: in index order until shuffled, then in poll order */
	size_t nlive;
	bool all_buffered;     /* every live case is buffered (channel capacities never change) */
	bool any_buffered;
	bool shuffled;
	size_t *ready;         /* poll_nowait()'s scratch */
	goc_chan **locks;      /* the channels to lock: ascending, distinct */
	size_t nlocks;
	goc__waiter *waiters;  /* per case: queued on its channel while the select is parked */
	goc__ring_obs *obs;    /* per case: what blocked it when last polled */
	void *heap;            /* the arrays above, for more than GOC__SELECT_SMALL cases; else NULL */
	size_t fired;          /* the case that fired (SELECT_FIRED) */
	goc_status st;         /* and what it returned */
	/* Up to GOC__SELECT_SMALL cases keep the arrays here, on the stack (never zeroed: no need). */
	size_t order_small[GOC__SELECT_SMALL], ready_small[GOC__SELECT_SMALL];
	goc_chan *locks_small[GOC__SELECT_SMALL];
	goc__waiter waiters_small[GOC__SELECT_SMALL];
	goc__ring_obs obs_small[GOC__SELECT_SMALL];
} select_call;

/* What a phase of goc__select() leaves to do. */
typedef enum select_step {
	SELECT_FIRED, /* done: case s->fired proceeded, returning s->st */
	SELECT_NONE,  /* done: nothing fired; GOC_WOULDBLOCK for GOC_NOWAIT, else the deadline passed */
	SELECT_LOCK,  /* poll under every lock, and queue if the select waits (poll_locked()) */
	SELECT_PARK,  /* queued, every lock still held: park */
	SELECT_AGAIN  /* woken to retry a buffered case that is still blocked: start over */
} select_step;

/* The queue of case c's channel that its waiter goes on. */
static goc__waitq *case_queue(const goc_case *c)
{
	return c->dir == GOC_SEND ? &c->ch->sendq : &c->ch->recvq;
}

/* Set s up for a select on cases[0..ncases). False if its bookkeeping does not fit in memory. */
static bool select_begin(select_call *s, const goc_case *cases, size_t ncases, int64_t deadline)
{
	s->cases = cases;
	s->ncases = ncases;
	s->deadline = deadline;
	s->order = s->order_small;
	s->ready = s->ready_small;
	s->locks = s->locks_small;
	s->waiters = s->waiters_small;
	s->obs = s->obs_small;
	s->heap = NULL;
	if (ncases > GOC__SELECT_SMALL) {
		size_t each = sizeof *s->order + sizeof *s->ready + sizeof *s->locks + sizeof *s->waiters +
		              sizeof *s->obs;
		if (ncases > SIZE_MAX / each || ncases > UINT32_MAX)
			return false;
		s->heap = malloc(ncases * each);
		if (!s->heap)
			return false;
		s->waiters = s->heap;
		s->obs = (goc__ring_obs *)(s->waiters + ncases);
		s->order = (size_t *)(s->obs + ncases);
		s->ready = s->order + ncases;
		s->locks = (goc_chan **)(s->ready + ncases);
	}
	/* The live cases, in index order until the first poll that needs them shuffled. */
	size_t nlive = 0;
	bool all_buffered = true, any_buffered = false;
	for (size_t i = 0; i < ncases; i++) {
		if (cases[i].ch) {
			s->order[nlive++] = i;
			all_buffered = all_buffered && cases[i].ch->cap != 0;
			any_buffered = any_buffered || cases[i].ch->cap != 0;
		}
	}
	s->nlive = nlive;
	s->all_buffered = all_buffered;
	s->any_buffered = any_buffered;
	s->shuffled = false;
	return true;
}

static void shuffle_once(select_call *s)
{
	if (!s->shuffled)
		shuffle(s->order, s->nlive);
	s->shuffled = true;
}

/*
 * A waiting select's lock-free phase: poll, then watch the slots that
 * blocked us, and poll again when one moves. SELECT_FIRED, or SELECT_LOCK
 * once the watch ran out (or this thread's waits queue at once for now).
 */
static select_step poll_and_watch(select_call *s)
{
	goc__ring_ctx ctx = { .exact = false };
	goc__task *self = NULL;
	int64_t give_up = 0;
	for (;;) {
		bool fired_unbuffered = false;
		s->st = poll_unlocked(s->cases, s->order, s->nlive, s->obs, &ctx, false, &s->fired, &fired_unbuffered);
		if (s->st != GOC_WOULDBLOCK) {
			if (self && fired_unbuffered && s->st == GOC_OK)
				unbuffered_came_late(self);
			return SELECT_FIRED;
		}
		if (!self) {
			self = goc__task_self();
			if (goc__streak_skip(&self->watch))
				return SELECT_LOCK;
		}
		watch w = { .per_yield = watches_per_yield(self) };
		while (!stirred(s->cases, s->order, s->nlive, s->obs, w.n)) {
			if (!watch_more(&give_up, s->deadline, &w)) {
				watch_ended(self, &w, true);
				return SELECT_LOCK;
			}
			/*
			 * The unbuffered cases have no slot to watch: poll them
			 * now and then, so that a peer that queued there (or a
			 * close) is seen within a microsecond or so.
			 */
			if (!s->all_buffered && w.n % GOC__SELECT_UNBUFFERED_WATCHES == 0) {
				s->st = poll_unlocked(s->cases, s->order, s->nlive, s->obs, &ctx, true, &s->fired,
				                      &fired_unbuffered);
				if (s->st != GOC_WOULDBLOCK) {
					if (s->st == GOC_OK)
						unbuffered_came_late(self);
					return SELECT_FIRED;
				}
			}
		}
		watch_ended(self, &w, false);
	}
}

/*
 * 1. With a buffered case: no lock but an unbuffered case's own, taken for
 * that case alone. A select that will not wait needs every case blocked at
 * one moment: without a lock if every case is buffered (all_buffered),
 * else under every lock (poll_locked()).
 */
static select_step poll_lock_free(select_call *s, bool wait)
{
	if (!wait && !s->all_buffered)
		return SELECT_LOCK;
	if (!wait) {
		s->st = poll_nowait(s->cases, s->order, s->nlive, s->ready, s->obs, &s->fired);
		return s->st == GOC_WOULDBLOCK ? SELECT_NONE : SELECT_FIRED;
	}
	shuffle_once(s);
	return poll_and_watch(s);
}

/*
 * Queue a waiter of op on every live case, in poll order, so that when
 * several cases share a channel, the one a peer finds first is random too;
 * then arm the buffered cases (ring.c). Every lock is held. A ring that
 * moved since the poll cannot be armed, and its case may be ready now:
 * then unqueue (nobody can have claimed us: claiming takes a lock we hold)
 * and return false, to poll again.
 */
static bool queue_and_arm(select_call *s, goc__op *op)
{
	const goc_case *cases = s->cases;
	const size_t *order = s->order;
	size_t nlive = s->nlive;
	goc__waiter *waiters = s->waiters;
	goc__op_init(op, s->nlocks < nlive, nlive == 1 && s->deadline == GOC_FOREVER);
	for (size_t k = 0; k < nlive; k++) {
		size_t i = order[k];
		waiters[i] = (goc__waiter){ .op = op, .elem = cases[i].elem, .case_index = i };
		if (cases[i].dir == GOC_RECV && cases[i].ch->cap == 0)
			waiters[i].closed_zero = cases[i].ch->elem_size;
		goc__tsan_waiter_give(&waiters[i]); /* our history, for the claimer */
		goc__waitq_push(case_queue(&cases[i]), &waiters[i]);
	}
	bool armed = true;
	for (size_t k = 0; k < nlive && armed; k++) {
		const goc_case *c = &cases[order[k]];
		if (c->ch->cap)
			armed = goc__ring_arm(c->ch, c->dir);
	}
	if (armed)
		return true;
	for (size_t k = 0; k < nlive; k++) {
		size_t i = order[k];
		goc__waitq_remove(case_queue(&cases[i]), &waiters[i]);
	}
	return false;
}

/*
 * 2. Under every lock: poll again; if nothing is ready and the select
 * waits (`wait`, decided once for this phase), queue and arm every case,
 * and return SELECT_PARK with the locks still held. Otherwise unlock, wake
 * the peers whose cases the poll completed, and return SELECT_FIRED or
 * SELECT_NONE.
 */
static select_step poll_locked(select_call *s, bool wait, goc__op *op)
{
	shuffle_once(s);
	goc__ring_ctx ctx = { .exact = true, .locked = true };
	goc__waiter *wake = NULL;
	size_t nlocks = 0;
	for (size_t k = 0; k < s->nlive; k++)
		lock_order_add(s->locks, &nlocks, s->cases[s->order[k]].ch);
	s->nlocks = nlocks;
	lock_all(s->locks, nlocks);
	unsigned looks = 0;
	for (;;) {
		s->st = poll(s->cases, s->order, s->nlive, s->obs, &ctx, &wake, &s->fired);
		if (s->st != GOC_WOULDBLOCK)
			break;
		if (!wait) {
			if (all_blocked_at_once(s->cases, s->order, s->nlive, s->obs) || ++looks >= GOC__SELECT_LOOKS)
				break;
			continue;
		}
		if (queue_and_arm(s, op))
			return SELECT_PARK;
	}
	unlock_all(s->locks, s->nlocks);
	/*
	 * Wake peers only now: once awake one may free its channel, so
	 * nothing of the channel may be touched after this (Go's send()
	 * unlocks before goready() for the same reason).
	 */
	goc__wake_chain(wake);
	goc__wake_chain(ctx.wake);
	return s->st == GOC_WOULDBLOCK ? SELECT_NONE : SELECT_FIRED;
}

/*
 * goc__op_park_unlock()'s unlock for a select: arg is the select_call,
 * which lives on the parked task's stack, so every lock is read before
 * the first release (there are at most GOC__SELECT_SMALL, see park()).
 */
static void unlock_select(void *arg)
{
	select_call *s = arg;
	goc_chan *locks[GOC__SELECT_SMALL];
	size_t n = s->nlocks;
	memcpy(locks, s->locks, n * sizeof *locks);
	unlock_all(locks, n);
}

/* 3. Queued, every lock held: unlock and park until woken (true) or the deadline (false). */
static bool park(select_call *s, goc__op *op, goc__blocked what)
{
	goc__blocked_enter(s->nlive ? what : GOC__SELECT_NO_CASES, s->ncases ? (const void *)s->cases[0].ch : NULL);
	bool woken;
	if (s->nlocks <= GOC__SELECT_SMALL) {
		woken = goc__op_park_unlock(op, s->deadline, unlock_select, s);
	} else {
		unlock_all(s->locks, s->nlocks);
		woken = goc__op_park(op, s->deadline);
	}
	GOC__CHAOS();
	goc__blocked_leave();
	return woken;
}

/*
 * 4. After the park: unqueue the waiters the waker did not, and see which
 * case fired, and how. SELECT_NONE after a timeout; SELECT_AGAIN if woken
 * to retry a buffered case that is still blocked.
 */
static select_step dequeue_and_pick(select_call *s, const goc__op *op, bool woken)
{
	/*
	 * All of our waiters after a timeout. After a wake-up, the fired
	 * channel may be gone (its peer returned and may have freed it: a
	 * receive-then-free of a done channel), and the claimer unqueued all
	 * our waiters there, so lock only the other channels, which still
	 * hold waiters of ours.
	 */
	const goc_case *cases = s->cases;
	const size_t *order = s->order;
	size_t nlive = s->nlive;
	goc__waiter *waiters = s->waiters;
	size_t nlocks = s->nlocks;
	if (woken) {
		nlocks = 0;
		for (size_t k = 0; k < nlive; k++)
			if (cases[order[k]].ch != cases[op->fired].ch)
				lock_order_add(s->locks, &nlocks, cases[order[k]].ch);
	}
	lock_all(s->locks, nlocks);
	for (size_t k = 0; k < nlive; k++) {
		size_t i = order[k];
		if (waiters[i].queued)
			goc__waitq_remove(case_queue(&cases[i]), &waiters[i]);
	}
	unlock_all(s->locks, nlocks);

	if (!woken)
		return SELECT_NONE;
	size_t fired = s->fired = op->fired;
	s->st = op->result;
	if (s->st != GOC_WOULDBLOCK) {
		/* The case was completed by the waker (or closed): take its edge. */
		goc__tsan_waiter_take(&waiters[fired]);
		/*
		 * A close ended our unbuffered receive: its zero value, written
		 * here, not by the closer, so that TSan checks it as this
		 * receive's write, and the closer touches no memory of ours.
		 */
		if (s->st == GOC_CLOSED && cases[fired].elem && waiters[fired].closed_zero)
			goc__elem_zero(cases[fired].elem, waiters[fired].closed_zero);
		return SELECT_FIRED;
	}
	/*
	 * A buffered case's ring moved, but the waker did not complete the
	 * case: retry it, as Go's woken select performs the case that woke
	 * it. If it is still blocked, start over (the deadline is checked
	 * on the way).
	 */
	goc__ring_ctx retry = { .exact = true };
	s->st = try_case(&cases[fired], &s->obs[fired], &retry, NULL);
	return s->st != GOC_WOULDBLOCK ? SELECT_FIRED : SELECT_AGAIN;
}

goc_status goc__select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen,
                       goc__blocked what)
{
	select_call s;
	if (!select_begin(&s, cases, ncases, deadline))
		return GOC_NOMEM;
	bool lock_free = s.nlive && s.any_buffered;
	select_step step;
	do {
		step = SELECT_LOCK;
		bool wait = will_wait(deadline);
		if (lock_free)
			step = poll_lock_free(&s, wait);
		if (step != SELECT_LOCK)
			break;
		/* After a lock-free poll, whose watch may have run into the deadline, decide afresh. */
		goc__op op;
		step = poll_locked(&s, wait && (!lock_free || will_wait(deadline)), &op);
		if (step == SELECT_PARK)
			step = dequeue_and_pick(&s, &op, park(&s, &op, what));
	} while (step == SELECT_AGAIN);

	goc_status st = step == SELECT_NONE ? (deadline == GOC_NOWAIT ? GOC_WOULDBLOCK : GOC_TIMEOUT) : s.st;
	free(s.heap);
	if (st == GOC_CLOSED && cases[s.fired].dir == GOC_SEND)
		goc__panic("send on closed channel");
	if ((st == GOC_OK || st == GOC_CLOSED) && chosen)
		*chosen = s.fired;
	return st;
}

goc_status goc_select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen)
{
	GOC__CHAOS();
	/* As goc_chan_send(): a send case reads the channel, for TSan (close writes it); nothing in other builds. */
	for (size_t i = 0; i < ncases; i++)
		if (cases[i].ch && cases[i].dir == GOC_SEND)
			GOC__TSAN_SEND_READ(cases[i].ch);
	goc_status st = goc__select(cases, ncases, deadline, chosen, GOC__SELECT);
	GOC__CHAOS();
	return st;
}
