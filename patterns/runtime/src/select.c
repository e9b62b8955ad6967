/*
 * select.c - the select engine, which goc_chan_send() and goc_chan_recv()
 * use too (as one-case selects), so that every channel operation goes
 * through one place.
 *
 * As in Go's runtime: shuffle the cases (a uniform poll order is what makes
 * the choice among ready cases uniform), lock every distinct channel in
 * address order, take the first ready case in poll order; if none is ready
 * and the caller will wait, queue a waiter on every case's channel, unlock,
 * park, then relock and unqueue whatever the waker did not. See chan.c for
 * the claim protocol and the lock order.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "goc_internal.h"

/* Selects with up to this many cases keep their bookkeeping on the stack. */
#define GOC__SELECT_SMALL 16

static unsigned char *slot(goc_chan *ch, size_t i)
{
	return ch->buf + (i % ch->cap) * ch->elem_size;
}

static void copy_elem(void *dst, const void *src, size_t size)
{
	if (dst && size)
		memcpy(dst, src, size);
}

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

/*
 * Try case c on its locked channel. Returns GOC_OK or GOC_CLOSED when it
 * proceeded, GOC_WOULDBLOCK when it cannot yet. A peer whose blocked op it
 * completed is left in *wake, to be woken once every lock is released.
 * Panics on a send to a closed channel (after unlocking everything).
 */
static goc_status try_case(const goc_case *c, goc_chan **locks, size_t nlocks, goc__waiter **wake)
{
	goc_chan *ch = c->ch;
	goc__waiter *w;
	if (c->dir == GOC_SEND) {
		if (ch->closed) {
			unlock_all(locks, nlocks);
			goc__panic("send on closed channel");
		}
		/* A queued receiver means an empty buffer: hand the value over directly. */
		if ((w = goc__waitq_claim(ch, &ch->recvq))) {
			copy_elem(w->elem, c->elem, ch->elem_size);
			*wake = w;
			return GOC_OK;
		}
		if (ch->count < ch->cap) {
			copy_elem(slot(ch, ch->head + ch->count), c->elem, ch->elem_size);
			ch->count++;
			return GOC_OK;
		}
		return GOC_WOULDBLOCK;
	}
	/* A queued sender means a full buffer (or none): take the oldest value. */
	if ((w = goc__waitq_claim(ch, &ch->sendq))) {
		if (ch->cap == 0) {
			copy_elem(c->elem, w->elem, ch->elem_size);
		} else {
			/* Take the head, and the sender's value takes the freed slot at the tail. */
			copy_elem(c->elem, slot(ch, ch->head), ch->elem_size);
			copy_elem(slot(ch, ch->head), w->elem, ch->elem_size);
			ch->head = (ch->head + 1) % ch->cap;
		}
		*wake = w;
		return GOC_OK;
	}
	if (ch->count > 0) {
		copy_elem(c->elem, slot(ch, ch->head), ch->elem_size);
		ch->head = (ch->head + 1) % ch->cap;
		ch->count--;
		return GOC_OK;
	}
	if (ch->closed) {
		if (c->elem && ch->elem_size)
			memset(c->elem, 0, ch->elem_size);
		return GOC_CLOSED;
	}
	return GOC_WOULDBLOCK;
}

goc_status goc__select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen,
                       goc__blocked what)
{
	size_t order_small[GOC__SELECT_SMALL];
	goc_chan *locks_small[GOC__SELECT_SMALL];
	goc__waiter waiters_small[GOC__SELECT_SMALL];
	size_t *order = order_small;
	goc_chan **locks = locks_small;
	goc__waiter *waiters = waiters_small;
	void *heap = NULL;
	if (ncases > GOC__SELECT_SMALL) {
		size_t each = sizeof *order + sizeof *locks + sizeof *waiters;
		if (ncases > SIZE_MAX / each || ncases > UINT32_MAX)
			return GOC_NOMEM;
		heap = malloc(ncases * each);
		if (!heap)
			return GOC_NOMEM;
		waiters = heap;
		order = (size_t *)(waiters + ncases);
		locks = (goc_chan **)(order + ncases);
	}

	/* A uniformly random poll order over the live cases (inside-out Fisher-Yates). */
	size_t norder = 0, nlocks = 0;
	for (size_t i = 0; i < ncases; i++) {
		if (!cases[i].ch)
			continue;
		/* The first live case needs no draw: send and recv are one-case selects. */
		size_t j = norder ? goc__rand_below(goc__task_self(), (uint32_t)norder + 1) : 0;
		if (j != norder)
			order[norder] = order[j];
		order[j] = i;
		norder++;
		lock_order_add(locks, &nlocks, cases[i].ch);
	}

	goc_status st = GOC_WOULDBLOCK;
	size_t fired = 0;
	goc__waiter *wake = NULL;
	lock_all(locks, nlocks);
	for (size_t k = 0; k < norder; k++) {
		st = try_case(&cases[order[k]], locks, nlocks, &wake);
		if (st != GOC_WOULDBLOCK) {
			fired = order[k];
			break;
		}
	}
	if (st != GOC_WOULDBLOCK || deadline == GOC_NOWAIT ||
	    (deadline != GOC_FOREVER && goc_now() >= deadline)) {
		unlock_all(locks, nlocks);
		/*
		 * Wake the peer only now: once awake it may free the channel, so
		 * nothing of the channel may be touched after this (Go's send()
		 * unlocks before goready() for the same reason).
		 */
		if (wake)
			goc__op_wake(wake->op, wake->case_index, GOC_OK);
		if (st == GOC_WOULDBLOCK && deadline != GOC_NOWAIT)
			st = GOC_TIMEOUT;
		goto out;
	}

	/*
	 * Nothing ready: queue on every live case, then park. Queue in poll
	 * order, so that when several cases share a channel, the one a peer
	 * finds first is random too.
	 */
	goc__op op = { .state = GOC__OP_WAITING, .shares_chan = nlocks < norder, .woken = GOC__WAKE_NONE };
	for (size_t k = 0; k < norder; k++) {
		size_t i = order[k];
		goc_chan *ch = cases[i].ch;
		waiters[i] = (goc__waiter){ .op = &op, .elem = cases[i].elem, .case_index = i };
		goc__waitq_push(cases[i].dir == GOC_SEND ? &ch->sendq : &ch->recvq, &waiters[i]);
	}
	goc__blocked_enter(norder ? what : GOC__SELECT_NO_CASES, ncases ? (const void *)cases[0].ch : NULL);
	unlock_all(locks, nlocks);

	bool woken = goc__op_park(&op, deadline);
	goc__blocked_leave();

	/*
	 * Unqueue the waiters the waker did not: all of them after a timeout.
	 * After a wake-up, the fired channel may be gone (its peer returned and
	 * may have freed it: a receive-then-free of a done channel), and the
	 * claimer unqueued all our waiters there, so lock only the other
	 * channels, which still hold waiters of ours.
	 */
	if (woken) {
		nlocks = 0;
		for (size_t i = 0; i < ncases; i++)
			if (cases[i].ch && cases[i].ch != cases[op.fired].ch)
				lock_order_add(locks, &nlocks, cases[i].ch);
	}
	lock_all(locks, nlocks);
	for (size_t i = 0; i < ncases; i++) {
		goc_chan *ch = cases[i].ch;
		if (ch && waiters[i].queued)
			goc__waitq_remove(cases[i].dir == GOC_SEND ? &ch->sendq : &ch->recvq, &waiters[i]);
	}
	unlock_all(locks, nlocks);

	if (!woken) {
		st = GOC_TIMEOUT;
		goto out;
	}
	fired = op.fired;
	st = op.result;
	if (st == GOC_CLOSED && cases[fired].dir == GOC_SEND)
		goc__panic("send on closed channel");

out:
	free(heap);
	if ((st == GOC_OK || st == GOC_CLOSED) && chosen)
		*chosen = fired;
	return st;
}

goc_status goc_select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen)
{
	return goc__select(cases, ncases, deadline, chosen, GOC__SELECT);
}
