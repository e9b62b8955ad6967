/*
 * sem.h - a counting semaphore: at most `capacity` holders at once.
 *
 * The same contract as Go's golang.org/x/sync/semaphore with weight 1 (and
 * as the Go idiom of a channel of capacity n): acquire takes one unit,
 * waiting for one to be free, release returns it.
 *
 * Waiters are served in arrival order: a release hands its unit to the
 * oldest waiter, so a stream of acquirers cannot starve an earlier one.
 *
 * Overlap: acquire/release from any number of threads at once; free last.
 * Panics "semaphore: released more than held" on a release with no unit held.
 * Ordering: a release happens-before the acquire that takes its unit returns.
 * Ownership: goc_sem_make() returns what goc_sem_free() releases.
 */
#ifndef GOC_SEM_H
#define GOC_SEM_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct goc_sem goc_sem;

/*
 * A semaphore with `capacity` units, all free (0 is allowed: then no acquire
 * ever succeeds, as with Go's NewWeighted(0)). NULL when out of memory.
 */
goc_sem *goc_sem_make(size_t capacity);
void goc_sem_free(goc_sem *sem);

/*
 * Take one unit, waiting until one is free or `deadline` passes. Returns
 * GOC_OK, GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT (nothing taken).
 */
goc_status goc_sem_acquire(goc_sem *sem, int64_t deadline);

/* Give one unit back. Panics "semaphore: released more than held". */
void goc_sem_release(goc_sem *sem);

/* Units held now; a snapshot. */
size_t goc_sem_held(goc_sem *sem);

#endif /* GOC_SEM_H */
