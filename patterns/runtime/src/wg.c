/*
 * wg.c - Go's sync.WaitGroup as a counter under a mutex, with a queue of
 * blocked waits (park.c) that the transition to zero wakes. The mutex is
 * what gives wg.h its ordering: every add and done writes the counter under
 * it, and a wait reads the counter under it (a woken wait takes it once
 * more), so whatever a task did before its goc_wg_done() happens-before
 * the wait that saw zero returns.
 *
 * A wait woken by a zero returns GOC_OK even if an add raised the counter
 * again before it ran, as in Go: the zero is the event it waited for.
 *
 * Lock order: wg->mu is a leaf (waits park and wake with it released).
 */
#include "goc_internal.h"

void goc_wg_init(goc_wg *wg)
{
	GOC_PT(pthread_mutex_init(&wg->mu, NULL));
	wg->count = 0;
	wg->waiters = (goc__opq){ NULL, NULL };
}

void goc_wg_destroy(goc_wg *wg)
{
	GOC_PT(pthread_mutex_destroy(&wg->mu));
}

void goc_wg_add(goc_wg *wg, int64_t delta)
{
	GOC__CHAOS();
	GOC_PT(pthread_mutex_lock(&wg->mu));
	/*
	 * Compare before adding, so that a huge negative delta cannot overflow
	 * into a positive count. Overflowing upwards has no Go message (Go's
	 * counter is 32 bits and wraps into its misuse checks), but it is as
	 * much a programmer error, and letting it wrap would be undefined.
	 */
	if (delta < 0 && delta < -wg->count)
		goc__panic("sync: negative WaitGroup counter");
	if (delta > 0 && wg->count > INT64_MAX - delta)
		goc__panic("sync: WaitGroup counter overflow");
	wg->count += delta;
	/* Every waiter is released by the same zero; woken after unlocking (park.c). */
	goc__opq_entry *zeroed = NULL;
	if (wg->count == 0) {
		goc__opq_entry *e;
		while ((e = goc__opq_claim(&wg->waiters))) {
			e->next = zeroed;
			zeroed = e;
		}
	}
	GOC_PT(pthread_mutex_unlock(&wg->mu));
	goc__opq_wake_chain(zeroed);
}

void goc_wg_done(goc_wg *wg)
{
	goc_wg_add(wg, -1);
}

goc_status goc_wg_wait(goc_wg *wg, int64_t deadline)
{
	GOC__CHAOS();
	goc_status st = GOC_OK;
	GOC_PT(pthread_mutex_lock(&wg->mu));
	if (wg->count == 0) {
		/* Done: the one try status.h promises. */
	} else if (deadline == GOC_NOWAIT) {
		st = GOC_WOULDBLOCK;
	} else if (deadline != GOC_FOREVER && goc_now() >= deadline) {
		st = GOC_TIMEOUT;
	} else {
		goc__opq_entry e;
		goc__opq_push(&wg->waiters, &e);
		GOC_PT(pthread_mutex_unlock(&wg->mu));
		goc__blocked_enter(GOC__WG_WAIT, wg);
		bool woken = goc__op_park(&e.op, deadline);
		goc__blocked_leave();
		GOC_PT(pthread_mutex_lock(&wg->mu));
		/* Timed out: a zero that came just as the deadline passed still counts. */
		if (!woken) {
			goc__opq_remove(&wg->waiters, &e);
			if (wg->count != 0)
				st = GOC_TIMEOUT;
		}
	}
	GOC_PT(pthread_mutex_unlock(&wg->mu));
	return st;
}
