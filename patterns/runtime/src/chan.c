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
 * outcome wins. A waker wakes the peer only after releasing every channel
 * lock, and a woken op touches only channels that still hold its other
 * waiters: either side may free a channel as soon as its own call returns
 * (receive-then-free of a done channel is safe). Every happens-before edge goes through a pthread mutex (the
 * channel's, then the parker's), which ThreadSanitizer sees without
 * annotations.
 *
 * Lock order: channel locks in ascending address order (select.c), then a
 * task's parker lock. A parker lock is never held while taking a channel's.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
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
	GOC_PT(pthread_mutex_init(&ch->mu, NULL));
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
	GOC_PT(pthread_mutex_destroy(&ch->mu));
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
	GOC_PT(pthread_mutex_lock(&ch->mu));
	if (ch->closed) {
		GOC_PT(pthread_mutex_unlock(&ch->mu));
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
	while ((w = goc__waitq_claim(&ch->recvq))) {
		if (w->elem && ch->elem_size)
			memset(w->elem, 0, ch->elem_size);
		w->next = wake;
		wake = w;
	}
	while ((w = goc__waitq_claim(&ch->sendq))) {
		w->next = wake;
		wake = w;
	}
	GOC_PT(pthread_mutex_unlock(&ch->mu));
	while ((w = wake)) {
		wake = w->next; /* read first: w lives on a stack that the wake-up releases */
		goc__op_wake(w->op, w->case_index, GOC_CLOSED);
	}
}

size_t goc_chan_len(goc_chan *ch)
{
	if (!ch)
		return 0;
	GOC_PT(pthread_mutex_lock(&ch->mu));
	size_t n = ch->count;
	GOC_PT(pthread_mutex_unlock(&ch->mu));
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

goc__waiter *goc__waitq_claim(goc__waitq *q)
{
	goc__waiter *w;
	while ((w = q->head)) {
		goc__waitq_remove(q, w);
		int expected = GOC__OP_WAITING;
		/* seq_cst: races only with other wakers and the owner's timeout. */
		if (atomic_compare_exchange_strong(&w->op->state, &expected, GOC__OP_CLAIMED))
			return w;
	}
	return NULL;
}

void goc__op_wake(goc__op *op, size_t fired, goc_status result)
{
	goc__task *t = op->task;
	/* Written before the parker lock is taken: the owner reads them after it. */
	op->fired = fired;
	op->result = result;
	GOC_PT(pthread_mutex_lock(&t->mu));
	op->woken = true;
	GOC_PT(pthread_cond_signal(&t->cv));
	GOC_PT(pthread_mutex_unlock(&t->mu));
}

bool goc__op_park(goc__op *op, int64_t deadline)
{
	goc__task *t = op->task;
	GOC_PT(pthread_mutex_lock(&t->mu));
	/* Re-checked after every wake-up: condvars wake spuriously. */
	while (!op->woken) {
		if (goc__cond_wait_until(&t->cv, &t->mu, deadline) != ETIMEDOUT)
			continue;
		int expected = GOC__OP_WAITING;
		if (atomic_compare_exchange_strong(&op->state, &expected, GOC__OP_TIMEDOUT)) {
			GOC_PT(pthread_mutex_unlock(&t->mu));
			return false;
		}
		/* A waker claimed the op just in time and is completing it. */
		deadline = GOC_FOREVER;
	}
	GOC_PT(pthread_mutex_unlock(&t->mu));
	return true;
}
