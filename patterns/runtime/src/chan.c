/*
 * chan.c - channels: make, free, close, len, cap, and send/receive as
 * one-case selects; the wait queues and the park/wake protocol that select.c
 * builds on.
 *
 * The design is Go's runtime's: one mutex per channel guards its ring buffer,
 * its closed flag and two queues of blocked operations (goc__waiter, Go's
 * sudog), which live on the blocked threads' stacks. A thread that finds its
 * peer queued completes the transfer itself, copying straight into or out of
 * the peer's element, then wakes it. A blocked operation may sit on several
 * queues (a select); whoever moves it first claims it with a CAS on its
 * state (a waker, or the owner when its deadline passes), so exactly one
 * outcome wins.
 *
 * Parking (goc__op_park): the owner spins a while on the op's `woken` word,
 * since a peer on the other CPU usually answers within a microsecond and a
 * kernel wake-up costs tens of them here, then sleeps on a futex in that
 * word. A waker wakes the peer only after releasing every channel lock,
 * and a woken op touches only channels that still hold its other waiters:
 * either side may free a channel as soon as its own call returns
 * (receive-then-free of a done channel is safe).
 *
 * ThreadSanitizer sees every edge: channel state goes through the channel
 * lock (annotated as a mutex, lock.c), and the wake-up through the seq_cst
 * atomics on `woken` (the futex itself carries no data, so it needs no
 * annotation).
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

goc_chan *goc_chan_make(size_t elem_size, size_t cap)
{
	if (cap != 0 && elem_size > (SIZE_MAX - sizeof(goc_chan)) / cap)
		goc__panic("makechan: size out of range");
	goc_chan *ch = calloc(1, sizeof *ch + elem_size * cap);
	if (!ch)
		return NULL;
	goc__lock_init(&ch->mu);
	ch->elem_size = elem_size;
	ch->cap = cap;
	ch->buf = (unsigned char *)(ch + 1);
	return ch;
}

void goc_chan_free(goc_chan *ch)
{
	if (!ch)
		return;
	if (ch->timer)
		goc__timer_release_chan(ch);
	goc__lock_destroy(&ch->mu);
	free(ch);
}

goc_status goc_chan_send(goc_chan *ch, const void *elem, int64_t deadline)
{
	goc_case c = GOC_SEND_CASE(ch, elem);
	return goc__select(&c, 1, deadline, NULL, GOC__CHAN_SEND);
}

goc_status goc_chan_recv(goc_chan *ch, void *elem, int64_t deadline)
{
	goc_case c = GOC_RECV_CASE(ch, elem);
	return goc__select(&c, 1, deadline, NULL, GOC__CHAN_RECV);
}

void goc_chan_close(goc_chan *ch)
{
	if (!ch)
		goc__panic("close of nil channel");
	goc__lock_acquire(&ch->mu);
	if (ch->closed) {
		goc__lock_release(&ch->mu);
		goc__panic("close of closed channel");
	}
	ch->closed = true;
	/*
	 * Claim every blocked receiver (they get the zero value and ok == false)
	 * and sender (they wake to panic, as in Go), chained through their
	 * unused `next`, and wake them after unlocking: a woken peer may free
	 * the channel at once.
	 */
	goc__waiter *wake = NULL, *w;
	while ((w = goc__waitq_claim(ch, &ch->recvq))) {
		if (w->elem && ch->elem_size)
			memset(w->elem, 0, ch->elem_size);
		w->next = wake;
		wake = w;
	}
	while ((w = goc__waitq_claim(ch, &ch->sendq))) {
		w->next = wake;
		wake = w;
	}
	goc__lock_release(&ch->mu);
	while ((w = wake)) {
		wake = w->next; /* read first: w lives on a stack that the wake-up releases */
		goc__op_wake(w->op, w->case_index, GOC_CLOSED);
	}
}

size_t goc_chan_len(goc_chan *ch)
{
	if (!ch)
		return 0;
	goc__lock_acquire(&ch->mu);
	size_t n = ch->count;
	goc__lock_release(&ch->mu);
	return n;
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
		/* seq_cst: races only with other wakers and the owner's timeout. */
		if (!atomic_compare_exchange_strong(&w->op->state, &expected, GOC__OP_CLAIMED))
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
	op->fired = fired;
	op->result = result;
	/*
	 * seq_cst: publishes fired and result to the owner's load of `woken`
	 * (TSan sees this edge: the futex below carries no data). From here on
	 * the op may vanish with the owner's stack frame: futex_wake gets only
	 * its address, and a wake on a stale address is harmless (the futex
	 * protocol tolerates spurious wake-ups, as glibc's mutex unlock does).
	 */
	if (atomic_exchange(&op->woken, GOC__WAKE_DONE) == GOC__WAKE_SLEEPING)
		goc__futex_wake(&op->woken, 1);
}

/*
 * Spin, then sleep. A wake-up through the kernel costs tens of microseconds
 * on a virtual machine (the sleeping CPU must be woken too), while a peer
 * running on another CPU usually answers within a microsecond: so watch
 * `woken` for a while first. The watch yields the CPU every few dozen
 * spins: when tasks outnumber CPUs the peer may be waiting for this very
 * CPU, and a yield with nothing else runnable costs well under a
 * microsecond. With one usable CPU there is nothing to spin for.
 */
#define GOC__SPIN_NS 20000
#define GOC__SPINS_PER_YIELD 64

static bool woken(goc__op *op)
{
	/* Acquire: pairs with the claimer's exchange, publishing fired and result. */
	return atomic_load_explicit(&op->woken, memory_order_acquire) == GOC__WAKE_DONE;
}

static bool woken_soon(goc__op *op)
{
	int64_t give_up = goc_now() + GOC__SPIN_NS;
	bool spin = goc__usable_cpus() > 1;
	do {
		for (int i = 0; spin && i < GOC__SPINS_PER_YIELD; i++) {
			if (woken(op))
				return true;
			goc__cpu_relax();
		}
		sched_yield();
		if (woken(op))
			return true;
	} while (spin && goc_now() < give_up);
	return false;
}

bool goc__op_park(goc__op *op, int64_t deadline)
{
	if (woken_soon(op))
		return true;
	/* Announce the sleep, so that the claimer's exchange sees it and wakes us. */
	int expected = GOC__WAKE_NONE;
	if (!atomic_compare_exchange_strong(&op->woken, &expected, GOC__WAKE_SLEEPING))
		return true; /* DONE meanwhile; the failed seq_cst CAS acquired it */
	for (;;) {
		int rc = goc__futex_wait_until(&op->woken, GOC__WAKE_SLEEPING, deadline);
		/* Re-checked after every return: futexes wake spuriously. */
		if (atomic_load(&op->woken) == GOC__WAKE_DONE)
			return true;
		if (rc != ETIMEDOUT)
			continue;
		int waiting = GOC__OP_WAITING;
		if (atomic_compare_exchange_strong(&op->state, &waiting, GOC__OP_TIMEDOUT))
			return false;
		/* A waker claimed the op just in time and is completing it. */
		deadline = GOC_FOREVER;
	}
}
