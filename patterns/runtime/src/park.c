/*
 * park.c - where a task blocks and is woken: the wait queues of blocked
 * operations, the claim that picks one outcome for an operation, the
 * wake-up, and parking. Channels (chan.c), their rings (ring.c) and the
 * select engine (select.c) block and wake through it; it knows nothing of
 * them, only of queues, waiters and ops.
 *
 * Waits that are not a channel's (a WaitGroup's zero, a semaphore's grant,
 * a Once's end) park the same way, on one op queued on a goc__opq.
 *
 * A blocked operation (goc__op) owns one waiter (goc__waiter, Go's sudog)
 * per case, each queued on a wait queue that the caller's lock guards (a
 * channel's mu), and all living on the blocked thread's stack. A blocked
 * operation may sit on several queues (a select); whoever moves it first
 * claims it with a CAS on its state (a waker, or the owner when its
 * deadline passes), so exactly one outcome wins; an op with one waiter and
 * no deadline has no rival outside its queue's lock, and is claimed with a
 * plain store (op->sole). The claimer records the outcome on the waiter
 * and wakes the owner only after releasing every lock (goc__wake_chain()):
 * a woken owner may return and free what the queue belonged to at once.
 *
 * Parking (goc__op_park): the owner spins a while on the op's `woken`
 * word, since a peer on the other CPU usually answers within a microsecond
 * and a kernel wake-up costs tens of them here, then sleeps on a futex in
 * that word. A task of the M:N scheduler (op->g) parks by switching to the
 * next task instead (sched.c), and its waker makes it runnable rather than
 * waking a futex. A channel op's task with no deadline switches out with
 * its channel locks still held, and its worker releases them
 * (goc__op_park_unlock(), as Go's park_m does): no waker can see the op
 * before the park is committed, so neither the commit nor the wake-up
 * needs an atomic exchange. A woken op touches only queues that still hold
 * its other waiters: the claim unlinks the op's other waiters from the
 * claimed queue's channel, whose peer may free it as soon as its own call
 * returns.
 *
 * ThreadSanitizer sees none of this protocol: the claim CAS on an op's
 * state and the wake-up word `woken` run with TSan ignoring
 * synchronization, and the waker's touches of a waiter with TSan ignoring
 * memory accesses (GOC__TSAN_PRIVATE). What it publishes instead is one
 * edge per waiter, through an atomic that exists for TSan alone
 * (tsan_edge; an atomic, not __tsan_release(), because a release store
 * replaces what an address carried, where __tsan_release() would merge
 * into it what earlier users of that stack address left there): the owner
 * gives its history on each waiter when queuing it (goc__tsan_waiter_give),
 * whoever completes the case takes it before touching the element and
 * gives its own after (goc__tsan_waiter_take, then give), and the owner,
 * woken with its case done, takes that. Which cases carry the edge, and
 * the channels' own edges (a buffered ring's slots, close), are the
 * callers' (chan.c, ring.c, select.c). A select that times out, or a
 * waiter woken to retry its case, acquires nothing.
 *
 * Lock order: park.c takes no lock. The queue functions and the claim run
 * under the lock of the queue's owner, held by the caller; waking and
 * parking run with no lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include "goc_internal.h"

void goc__op_init(goc__op *op, bool shares_chan, bool sole)
{
	*op = (goc__op){ .state = GOC__OP_WAITING, .g = goc__g_self(), .shares_chan = shares_chan, .sole = sole,
	                 .woken = GOC__WAKE_NONE };
}

/* Relaxed, an atomic store: goc__waitq_empty_unlocked() reads head without the lock. */
static void set_head(goc__waitq *q, goc__waiter *w)
{
	__atomic_store_n(&q->head, w, __ATOMIC_RELAXED);
}

void goc__waitq_push(goc__waitq *q, goc__waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		set_head(q, w);
	q->tail = w;
	w->queued = true;
}

void goc__waitq_remove(goc__waitq *q, goc__waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		set_head(q, w->next);
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->prev = w->next = NULL;
	w->queued = false;
}

bool goc__waitq_empty_unlocked(const goc__waitq *q)
{
	/* Acquire: the caller's later loads (a channel's closed flag) are not done before this one. */
	return __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) == NULL;
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

goc__waiter *goc__waitq_claim(goc__waitq *q, goc__waitq *other)
{
	goc__waiter *w;
	while ((w = q->head)) {
		goc__waitq_remove(q, w);
		/* A sole op is ours alone now: its only rivals hold the lock we hold (op->sole). */
		if (w->op->sole) {
			atomic_store_explicit(&w->op->state, GOC__OP_CLAIMED, memory_order_relaxed);
			return w;
		}
		int expected = GOC__OP_WAITING;
		/* seq_cst: races only with other wakers and the owner's timeout. Orders nothing for TSan. */
		GOC__TSAN_NOSYNC_BEGIN();
		bool claimed = atomic_compare_exchange_strong(&w->op->state, &expected, GOC__OP_CLAIMED);
		GOC__TSAN_NOSYNC_END();
		if (!claimed)
			continue;
		/* Its owner will skip the channel after the wake-up: its peer may free it. */
		if (w->op->shares_chan) {
			waitq_drop_op(other, w->op);
			waitq_drop_op(q, w->op);
		}
		return w;
	}
	return NULL;
}

void goc__opq_push(goc__opq *q, goc__opq_entry *e)
{
	goc__op_init(&e->op, false, false);
	e->next = NULL;
	e->prev = q->tail;
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	e->queued = true;
}

void goc__opq_remove(goc__opq *q, goc__opq_entry *e)
{
	if (!e->queued)
		return;
	if (e->prev)
		e->prev->next = e->next;
	else
		q->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		q->tail = e->prev;
	e->prev = e->next = NULL;
	e->queued = false;
}

goc__opq_entry *goc__opq_claim(goc__opq *q)
{
	goc__opq_entry *e;
	while ((e = q->head)) {
		goc__opq_remove(q, e);
		int expected = GOC__OP_WAITING;
		/* As in goc__waitq_claim(): races only with the owner's timeout; orders nothing for TSan. */
		GOC__TSAN_NOSYNC_BEGIN();
		bool claimed = atomic_compare_exchange_strong(&e->op.state, &expected, GOC__OP_CLAIMED);
		GOC__TSAN_NOSYNC_END();
		if (claimed)
			return e;
	}
	return NULL;
}

void goc__opq_wake_chain(goc__opq_entry *chain)
{
	while (chain) {
		/* Private for TSan: e is on its owner's stack, which the owner reuses once woken. */
		GOC__TSAN_PRIVATE_BEGIN();
		goc__opq_entry *e = chain;
		chain = e->next; /* read first: the wake-up releases e */
		GOC__TSAN_PRIVATE_END();
		goc__op_wake(&e->op, 0, GOC_OK);
	}
}

void goc__op_wake(goc__op *op, size_t fired, goc_status result)
{
	/* Private for TSan: the edges of the case were published under the lock (see the top). */
	GOC__TSAN_PRIVATE_BEGIN();
	goc__g *g = op->g; /* read first: a thread's op may vanish once woken */
	bool quiet = op->quiet_wake;
	op->fired = fired;
	op->result = result;
#ifdef GOC__CHECKS
	/* The owner is no longer blocked for good, whenever it gets to run (deadlock.c). */
	if (atomic_exchange(&op->forever_counted, false))
		goc__forever_end();
	else
		goc__progress();
#endif
	/*
	 * seq_cst: publishes fired and result to the owner's load of `woken`.
	 * From here on the op may vanish with the owner's stack frame:
	 * futex_wake gets only its address, and a wake on a stale address is
	 * harmless (the futex protocol tolerates spurious wake-ups, as glibc's
	 * mutex unlock does).
	 */
	if (quiet) {
		/* The task is parked: it committed before we could see the op. */
		atomic_store_explicit(&op->woken, GOC__WAKE_DONE, memory_order_release);
		goc__g_ready(g);
	} else if (atomic_exchange(&op->woken, GOC__WAKE_DONE) == GOC__WAKE_SLEEPING) {
		/* A parked task cannot run (and drop the op) until made runnable here. */
		if (g)
			goc__g_ready(g);
		else
			goc__futex_wake(&op->woken, 1);
	}
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

#ifdef GOC__CHECKS
void goc__op_count_forever(goc__op *op)
{
	/* A task of the M:N scheduler waits without slices (deadlock.c installs SIGQUIT's dump for it). */
	if (op->g)
		goc__forever_park();
	else
		goc__forever_begin();
	GOC__TSAN_PRIVATE_BEGIN();
	atomic_store(&op->forever_counted, true);
	GOC__TSAN_PRIVATE_END();
}

void goc__op_uncount_forever(goc__op *op)
{
	GOC__TSAN_PRIVATE_BEGIN();
	bool counted = atomic_exchange(&op->forever_counted, false);
	GOC__TSAN_PRIVATE_END();
	if (counted)
		goc__forever_end();
}
#endif

bool goc__op_park(goc__op *op, int64_t deadline)
{
	GOC__CHAOS();
	/* A task of the M:N scheduler switches to the next task instead (sched.c). */
	if (op->g)
		return goc__g_park_op(op, deadline);
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
	if (forever)
		goc__op_count_forever(op);
	for (;;) {
		int rc = goc__futex_wait_until(&op->woken, GOC__WAKE_SLEEPING, forever ? goc__forever_slice() : deadline);
		/* Re-checked after every return: futexes wake spuriously. */
		GOC__TSAN_NOSYNC_BEGIN();
		bool done = atomic_load(&op->woken) == GOC__WAKE_DONE;
		GOC__TSAN_NOSYNC_END();
		if (done) {
			goc__op_uncount_forever(op);
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

bool goc__op_park_unlock(goc__op *op, int64_t deadline, void (*unlock)(void *arg), void *arg)
{
#ifndef GOC__TSAN
	if (op->g && deadline == GOC_FOREVER)
		return goc__g_park_locked(op, unlock, arg);
#endif
	unlock(arg);
	return goc__op_park(op, deadline);
}
