/*
 * sem.c - a counting semaphore with first-come, first-served hand-off, like
 * golang.org/x/sync/semaphore: a release with waiters queued gives its unit
 * straight to the oldest waiter instead of returning it to the pool, so a
 * stream of fresh acquirers cannot starve a waiter, and each waiter sleeps
 * on its own condition variable, so a release wakes exactly the one thread
 * it served. The invariant that makes this simple: waiters are queued only
 * while every unit is held (held == capacity), because a release either
 * hands its unit over (held unchanged) or, with nobody queued, frees it.
 * The mutex gives sem.h its ordering: a release and the acquire that takes
 * its unit both run under it.
 *
 * Lock order: sem->mu, then the task registry (goc__blocked_enter() may
 * register the calling thread).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "goc_internal.h"

/* One blocked goc_sem_acquire(); lives on the waiter's stack while queued. */
typedef struct sem_waiter {
	struct sem_waiter *next; /* guarded by sem->mu */
	pthread_cond_t cv;       /* signalled on hand-off; CLOCK_MONOTONIC */
	bool granted;            /* a release handed this waiter a unit; guarded by sem->mu */
	bool counted;            /* counted blocked for good (deadlock.c) until uncounted; guarded by sem->mu */
} sem_waiter;

struct goc_sem {
	pthread_mutex_t mu;
	size_t capacity;          /* immutable */
	size_t held;              /* units taken and not released; guarded by mu */
	sem_waiter *head, *tail;  /* FIFO of blocked acquirers; guarded by mu */
};

goc_sem *goc_sem_make(size_t capacity)
{
	/*
	 * sem.h asks for capacity > 0. A capacity of 0 is still a well-defined
	 * semaphore (no acquire ever succeeds, as with Go's NewWeighted(0)), so
	 * it is accepted rather than made a panic Go does not have.
	 */
	goc_sem *sem = calloc(1, sizeof *sem);
	if (!sem)
		return NULL;
	GOC_PT(pthread_mutex_init(&sem->mu, NULL));
	sem->capacity = capacity;
	return sem;
}

void goc_sem_free(goc_sem *sem)
{
	if (!sem)
		return;
	GOC_PT(pthread_mutex_destroy(&sem->mu));
	free(sem);
}

/* Unlink w from the queue; it must be queued. Called with sem->mu held. */
static void sem_unqueue(goc_sem *sem, sem_waiter *w)
{
	sem_waiter **link = &sem->head;
	sem_waiter *prev = NULL;
	while (*link != w) {
		prev = *link;
		link = &(*link)->next;
	}
	*link = w->next;
	if (sem->tail == w)
		sem->tail = prev;
}

goc_status goc_sem_acquire(goc_sem *sem, int64_t deadline)
{
	GOC__CHAOS();
	goc_status st = GOC_OK;
	GOC_PT(pthread_mutex_lock(&sem->mu));
	if (sem->held < sem->capacity) {
		/* A free unit means nobody is queued (see the invariant above). */
		sem->held++;
	} else if (deadline == GOC_NOWAIT) {
		st = GOC_WOULDBLOCK;
	} else {
		sem_waiter w = { .next = NULL, .granted = false };
		goc__cond_init(&w.cv);
		if (sem->tail)
			sem->tail->next = &w;
		else
			sem->head = &w;
		sem->tail = &w;
		goc__blocked_enter(GOC__SEM_ACQUIRE, sem);
		/*
		 * Wait for a release to hand us a unit. `granted` is re-checked
		 * after every wake-up (they may be spurious) and after a
		 * timeout: a hand-off that raced with the deadline is kept, as
		 * the acquire did happen, and taking it is what leaves the
		 * unit accounted for. A deadline already in the past times out
		 * at once, after the one try above.
		 */
		bool forever = deadline == GOC_FOREVER;
		if (forever) {
			goc__forever_begin();
			w.counted = true;
		}
		while (!w.granted) {
			/* With no deadline: slices, and a deadlock check after each (deadlock.c). */
			if (goc__cond_wait_until(&w.cv, &sem->mu, forever ? goc__forever_slice() : deadline) == ETIMEDOUT) {
				if (forever) {
					goc__deadlock_check();
					continue;
				}
				if (!w.granted) {
					sem_unqueue(sem, &w);
					st = GOC_TIMEOUT;
				}
				break;
			}
		}
		if (w.counted)
			goc__forever_end();
		goc__blocked_leave();
		/* The releaser signalled w.cv under sem->mu, which we hold: no one still uses it. */
		GOC_PT(pthread_cond_destroy(&w.cv));
	}
	GOC_PT(pthread_mutex_unlock(&sem->mu));
	return st;
}

void goc_sem_release(goc_sem *sem)
{
	GOC__CHAOS();
	GOC_PT(pthread_mutex_lock(&sem->mu));
	if (sem->held == 0)
		goc__panic("semaphore: released more than held");
	sem_waiter *w = sem->head;
	if (w) {
		/* Hand the unit over: `held` stays the same, the oldest waiter owns it now. */
		sem->head = w->next;
		if (!sem->head)
			sem->tail = NULL;
		w->granted = true;
		/* The waiter is no longer blocked for good, whenever it gets to run (deadlock.c). */
		if (w->counted)
			goc__forever_end();
		else
			goc__progress();
		w->counted = false;
		GOC_PT(pthread_cond_signal(&w->cv));
	} else {
		sem->held--;
	}
	GOC_PT(pthread_mutex_unlock(&sem->mu));
}

size_t goc_sem_held(goc_sem *sem)
{
	GOC_PT(pthread_mutex_lock(&sem->mu));
	size_t held = sem->held;
	GOC_PT(pthread_mutex_unlock(&sem->mu));
	return held;
}
