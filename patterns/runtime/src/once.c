/*
 * once.c - Go's sync.Once: an acquire load of `done` for the fast path
 * (every call after the first), and the mutex for the slow path, held while
 * fn runs so that concurrent callers wait for fn to return rather than
 * return early. This is the shape of Go's own Once; a spinning flag would
 * burn a core while fn runs, and pthread_once cannot take an argument.
 *
 * Lock order: once->mu, then whatever fn takes, then the task registry
 * (goc__blocked_enter() may register the calling thread).
 */
#include <errno.h>

#include "goc_internal.h"

void goc_once_init(goc_once *once)
{
	atomic_init(&once->done, 0);
	GOC_PT(pthread_mutex_init(&once->mu, NULL));
}

void goc_once_destroy(goc_once *once)
{
	GOC_PT(pthread_mutex_destroy(&once->mu));
}

/* The slow path, out of line so that the fast path stays a load and a branch. */
static void once_slow(goc_once *once, void (*fn)(void *arg), void *arg)
{
	/*
	 * Only a caller that finds the mutex taken (fn is running on another
	 * thread) is blocked in the sense of the task dump; the first caller,
	 * which is about to run fn, is not.
	 */
	int rc = pthread_mutex_trylock(&once->mu);
	if (rc == EBUSY) {
		goc__blocked_enter(GOC__ONCE, once);
		GOC_PT(pthread_mutex_lock(&once->mu));
		goc__blocked_leave();
	} else if (rc != 0) {
		goc__die("pthread_mutex_trylock(&once->mu)", rc);
	}
	/*
	 * Relaxed: `done` is only stored with mu held, and we hold mu, so the
	 * mutex already orders that store (and fn's effects) before this load.
	 */
	if (atomic_load_explicit(&once->done, memory_order_relaxed) == 0) {
		fn(arg);
		/* Release: publishes fn's effects to the acquire load of the fast path. */
		atomic_store_explicit(&once->done, 1, memory_order_release);
	}
	GOC_PT(pthread_mutex_unlock(&once->mu));
}

void goc_once_do(goc_once *once, void (*fn)(void *arg), void *arg)
{
	GOC__CHAOS();
	/* Acquire: pairs with the release store after fn, so fn's effects are visible here. */
	if (atomic_load_explicit(&once->done, memory_order_acquire) != 0)
		return;
	once_slow(once, fn, arg);
}
