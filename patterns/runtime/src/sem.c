/*
 * sem.c - a counting semaphore with first-come, first-served hand-off, like
 * golang.org/x/sync/semaphore: a release with waiters queued gives its unit
 * straight to the oldest waiter instead of returning it to the pool, so a
 * stream of fresh acquirers cannot starve a waiter, and each waiter parks
 * on its own op (park.c), so a release wakes exactly the one task it
 * served. The invariant that makes this simple: waiters are queued only
 * while every unit is held (held == capacity), because a release either
 * hands its unit over (held unchanged) or, with nobody queued, frees it.
 * The mutex gives sem.h its ordering: a release and the acquire that takes
 * its unit both run under it.
 *
 * Lock order: sem->mu is a leaf (waits park and wake with it released).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "goc_internal.h"

struct goc_sem {
	pthread_mutex_t mu;
	size_t capacity;          /* immutable */
	size_t held;              /* units taken and not released; guarded by mu */
	goc__opq waiters;         /* FIFO of blocked acquirers (park.c); guarded by mu */
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
	} else if (deadline != GOC_FOREVER && goc_now() >= deadline) {
		st = GOC_TIMEOUT; /* after the one try above */
	} else {
		/*
		 * Wait for a release to hand us a unit. Exactly one of the
		 * release's claim and our timeout wins the op (park.c): a
		 * hand-off that raced with the deadline is kept, as the acquire
		 * did happen, and taking it is what leaves the unit accounted for.
		 */
		goc__opq_entry e;
		goc__opq_push(&sem->waiters, &e);
		GOC_PT(pthread_mutex_unlock(&sem->mu));
		goc__blocked_enter(GOC__SEM_ACQUIRE, sem);
		bool granted = goc__op_park(&e.op, deadline);
		goc__blocked_leave();
		/* Taken again after a grant too: the release's unlock happens-before our return. */
		GOC_PT(pthread_mutex_lock(&sem->mu));
		if (!granted) {
			goc__opq_remove(&sem->waiters, &e);
			st = GOC_TIMEOUT;
		}
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
	/* Hand the unit over if anyone waits: `held` stays the same, the oldest waiter owns it now. */
	goc__opq_entry *e = goc__opq_claim(&sem->waiters);
	if (!e)
		sem->held--;
	GOC_PT(pthread_mutex_unlock(&sem->mu));
	if (e)
		goc__opq_wake_chain(e); /* claimed: its `next` is NULL */
}

size_t goc_sem_held(goc_sem *sem)
{
	GOC_PT(pthread_mutex_lock(&sem->mu));
	size_t held = sem->held;
	GOC_PT(pthread_mutex_unlock(&sem->mu));
	return held;
}
