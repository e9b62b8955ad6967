/*
 * once.c - Go's sync.Once: an acquire load of `done` for the fast path
 * (every call after the first); on the slow path the first caller runs fn
 * with no lock held, and concurrent callers park (park.c) until it
 * returns, rather than return early. No lock is held across fn, so fn may
 * block, and a task of the M:N scheduler (which may move between threads)
 * never holds a pthread mutex while parked.
 *
 * Lock order: once->mu is a leaf.
 */
#include <errno.h>

#include "goc_internal.h"

void goc_once_init(goc_once *once)
{
	atomic_init(&once->done, 0);
	GOC_PT(pthread_mutex_init(&once->mu, NULL));
	once->running = false;
	once->waiters = (goc__opq){ NULL, NULL };
}

void goc_once_destroy(goc_once *once)
{
	GOC_PT(pthread_mutex_destroy(&once->mu));
}

/* The slow path, out of line so that the fast path stays a load and a branch. */
static void once_slow(goc_once *once, void (*fn)(void *arg), void *arg)
{
	GOC_PT(pthread_mutex_lock(&once->mu));
	/* Relaxed: `done` is only stored with mu held, and we hold mu. */
	if (atomic_load_explicit(&once->done, memory_order_relaxed) != 0) {
		GOC_PT(pthread_mutex_unlock(&once->mu));
		return;
	}
	if (once->running) {
		/* fn runs in another call: only this caller is blocked, in the sense of the task dump. */
		goc__opq_entry e;
		goc__opq_push(&once->waiters, &e);
		GOC_PT(pthread_mutex_unlock(&once->mu));
		goc__blocked_enter(GOC__ONCE, once);
		(void)goc__op_park(&e.op, GOC_FOREVER);
		goc__blocked_leave();
		/* Acquire: pairs with the release store after fn, so fn's effects are visible here. */
		(void)atomic_load_explicit(&once->done, memory_order_acquire);
		return;
	}
	once->running = true;
	GOC_PT(pthread_mutex_unlock(&once->mu));
	fn(arg);
	GOC_PT(pthread_mutex_lock(&once->mu));
	/* Release: publishes fn's effects to the acquire loads of the fast path and of the waiters. */
	atomic_store_explicit(&once->done, 1, memory_order_release);
	once->running = false;
	goc__opq_entry *waiting = NULL, *e;
	while ((e = goc__opq_claim(&once->waiters))) {
		e->next = waiting;
		waiting = e;
	}
	GOC_PT(pthread_mutex_unlock(&once->mu));
	goc__opq_wake_chain(waiting);
}

void goc_once_do(goc_once *once, void (*fn)(void *arg), void *arg)
{
	GOC__CHAOS();
	/* Acquire: pairs with the release store after fn, so fn's effects are visible here. */
	if (atomic_load_explicit(&once->done, memory_order_acquire) != 0)
		return;
	once_slow(once, fn, arg);
}
