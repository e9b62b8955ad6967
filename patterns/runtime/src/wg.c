/*
 * wg.c - Go's sync.WaitGroup as a counter under a mutex, with a condition
 * variable (on CLOCK_MONOTONIC, the clock of deadlines) that is broadcast
 * when the counter reaches zero. The mutex is what gives wg.h its ordering:
 * every add and done writes the counter under it, and a wait reads the
 * counter under it, so whatever a task did before its goc_wg_done()
 * happens-before the wait that saw zero returns.
 *
 * Lock order: wg->mu, then the task registry (goc__blocked_enter() may
 * register the calling thread). Nothing else is taken under wg->mu.
 */
#include <errno.h>

#include "goc_internal.h"

void goc_wg_init(goc_wg *wg)
{
	GOC_PT(pthread_mutex_init(&wg->mu, NULL));
	goc__cond_init(&wg->zero);
	wg->count = 0;
	wg->forever_waiters = 0;
}

void goc_wg_destroy(goc_wg *wg)
{
	GOC_PT(pthread_cond_destroy(&wg->zero));
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
	/*
	 * Broadcast, not signal: every waiter is released by the same zero.
	 * Only the transition to zero wakes anyone; an add of 0 at zero is a
	 * harmless extra wake-up that the wait loop absorbs.
	 */
	if (wg->count == 0) {
		/* The waiters are no longer blocked for good, whenever they get to run (deadlock.c). */
		goc__forever_end_n((size_t)wg->forever_waiters);
		wg->forever_waiters = 0;
		GOC_PT(pthread_cond_broadcast(&wg->zero));
	}
	GOC_PT(pthread_mutex_unlock(&wg->mu));
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
	if (wg->count != 0) {
		if (deadline == GOC_NOWAIT) {
			st = GOC_WOULDBLOCK;
		} else {
			goc__blocked_enter(GOC__WG_WAIT, wg);
			/*
			 * Wait until the counter is zero. The condition is
			 * re-checked after every wake-up, spurious or not, and
			 * once more after a timeout, so a done that lands just as
			 * the deadline passes still counts. A deadline already in
			 * the past makes the first wait return ETIMEDOUT at once:
			 * the check above was the one try status.h promises.
			 */
			bool forever = deadline == GOC_FOREVER;
			if (forever) {
				goc__forever_begin();
				wg->forever_waiters++;
			}
			while (wg->count != 0) {
				/* With no deadline: slices, and a deadlock check after each (deadlock.c). */
				if (goc__cond_wait_until(&wg->zero, &wg->mu, forever ? goc__forever_slice() : deadline) ==
				    ETIMEDOUT) {
					if (forever) {
						goc__deadlock_check();
						continue;
					}
					if (wg->count != 0)
						st = GOC_TIMEOUT;
					break;
				}
			}
			/* Uncounted here unless the zero already did it for every waiter. */
			if (forever && wg->forever_waiters > 0) {
				wg->forever_waiters--;
				goc__forever_end();
			}
			goc__blocked_leave();
		}
	}
	GOC_PT(pthread_mutex_unlock(&wg->mu));
	return st;
}
