/*
 * semaphore.h - limiting concurrency to K, three ways behind one interface
 * (a goc_limiter), and the W8 workload that checks the limit is kept.
 *
 * A limiter has K units. goc_limiter_acquire() takes one, waiting while all
 * K are held; goc_limiter_release() gives it back. Three implementations:
 *   GOC_LIMIT_CHAN   Go's idiom: a buffered channel of capacity K (elements
 *                    of zero bytes, Go's chan struct{}); a send acquires, a
 *                    receive releases;
 *   GOC_LIMIT_SEM    libgoc's goc_sem (goc/sem.h): a mutex and a FIFO of
 *                    waiters, golang.org/x/sync/semaphore's design;
 *   GOC_LIMIT_POSIX  a POSIX sem_t (sem_wait / sem_post).
 * Each acquire takes a deadline (GOC_NOWAIT, GOC_FOREVER or an absolute
 * monotonic time) or a context (goc_limiter_acquire_ctx()).
 *
 * Overlap: acquire, acquire_ctx, release and held on one limiter from any
 * number of threads at once; free last, after every other use.
 *
 * Panics "semaphore: released more than held" on a release with no unit
 * held (GOC_LIMIT_POSIX sees it only when no other release overlaps, since
 * sem_t has no bound of its own to check against). Acquire, release and
 * held panic "semaphore: unknown limiter kind N" on a limiter whose kind is
 * none of the three (never one that goc_limiter_make() returned, unless
 * its memory was overwritten).
 *
 * Ordering: a release happens-before the acquire that takes its unit
 * returns GOC_OK (for GOC_LIMIT_CHAN through the channel's k-th receive
 * before its (k+K)-th send; for the others through their lock or futex).
 *
 * Ownership: what goc_limiter_make() returns, goc_limiter_free() releases.
 *
 * The workload (W8): goc_limit_run() runs N acquire / critical section /
 * release cycles, either on T tasks each doing its share (GOC_FORM_WORKERS),
 * or as N short tasks started by T spawners, each spawner acquiring before
 * it starts a task and the task releasing when it ends (GOC_FORM_SPAWN, Go's
 * "limit task creation"). Inside the critical section a shared in-flight
 * gauge is bumped, its maximum recorded, and dropped. goc_limit_verify()
 * then fails the run if the maximum ever exceeded K, and also if it never
 * reached K when more than K could have been in at once: a semaphore that
 * serializes everything is as wrong as one that lets too many in. So that
 * reaching K does not depend on luck with the scheduler (on two CPUs at most
 * two holders run at once), a task entering while the maximum is still
 * below K lingers (yielding its CPU, after 100 us sleeping between looks)
 * until the maximum reaches K or the run's linger time (5 s by default) is
 * used up; once K was seen, nobody lingers. A correct limiter reaches K
 * within the first K acquires, so only a wrong one waits the linger out.
 */
#ifndef GOC_SEMAPHORE_H
#define GOC_SEMAPHORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

typedef enum goc_limit_kind {
	GOC_LIMIT_CHAN,   /* a buffered channel of capacity K: send acquires, receive releases */
	GOC_LIMIT_SEM,    /* libgoc's goc_sem */
	GOC_LIMIT_POSIX   /* POSIX sem_t */
} goc_limit_kind;

typedef struct goc_limiter goc_limiter;

/*
 * A limiter of `limit` units, all free; limit must be 1..GOC_LIMIT_MAX.
 * NULL when out of memory (or sem_init() refused the value).
 */
#define GOC_LIMIT_MAX ((size_t)1 << 20)
goc_limiter *goc_limiter_make(goc_limit_kind kind, size_t limit);

/* Release the limiter; NULL is a no-op. Units still held are forgotten. */
void goc_limiter_free(goc_limiter *l);

/*
 * Take one unit, waiting until one is free or `deadline` passes. Returns
 * GOC_OK, GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT; on anything but
 * GOC_OK nothing was taken, so no release is owed.
 */
goc_status goc_limiter_acquire(goc_limiter *l, int64_t deadline);

/*
 * Take one unit, waiting until one is free or `ctx` is done. Returns GOC_OK,
 * or the context's err (GOC_CANCELED or GOC_DEADLINE_EXCEEDED) with nothing
 * taken. A context already done returns its err at once, taking nothing,
 * as golang.org/x/sync/semaphore's Acquire does. GOC_LIMIT_CHAN waits in a
 * select on the channel and the context's done channel, as Go code does;
 * goc_sem and sem_t cannot wait on a channel, so GOC_LIMIT_SEM and
 * GOC_LIMIT_POSIX wait in slices of at most 1 ms, looking at the context
 * between them: a cancellation is seen within about a millisecond.
 */
goc_status goc_limiter_acquire_ctx(goc_limiter *l, goc_ctx *ctx);

/* Give one unit back. Panics "semaphore: released more than held". */
void goc_limiter_release(goc_limiter *l);

/* Units held now; a snapshot. */
size_t goc_limiter_held(goc_limiter *l);

/* K, as made. */
size_t goc_limiter_limit(const goc_limiter *l);

/* ---- the W8 workload ---------------------------------------------------------- */

typedef enum goc_limit_form {
	GOC_FORM_WORKERS,  /* T tasks, each doing its share of the cycles */
	GOC_FORM_SPAWN     /* T spawners; each cycle is a task started after an acquire */
} goc_limit_form;

typedef struct goc_limit_opts {
	goc_limit_form form;
	size_t tasks;              /* T: workers or spawners, >= 1 */
	uint64_t cycles;           /* N: acquire/release cycles in all, >= 1 */
	int64_t linger_ns;         /* the most the run may linger waiting to see K in (0: 5 s) */
	void (*critical)(void *arg); /* called inside the critical section (NULL: nothing); any thread */
	void *arg;
} goc_limit_opts;

typedef struct goc_limit_stats {
	uint64_t cycles;           /* cycles completed (critical sections entered) */
	uint64_t max_in_flight;    /* the gauge's maximum */
	uint64_t held_after;       /* units held once every task has returned (must be 0) */
	int64_t elapsed_ns;        /* from the start gate's opening (every task waiting at it) to the last task's return */
} goc_limit_stats;

/*
 * Run the workload on `l` (which must have no unit held) and fill *out.
 * Returns GOC_OK, or GOC_NOMEM when the tasks could not be started (then
 * *out is filled as far as the run went and the run is not to be trusted:
 * do not verify it). Blocks until every task it started has returned.
 * Panics when o->tasks is 0.
 */
goc_status goc_limit_run(goc_limiter *l, const goc_limit_opts *o, goc_limit_stats *out);

/*
 * What the maximum in flight must reach with K = `limit`: K, or fewer when
 * fewer could be in at once (fewer workers, or fewer cycles, than K).
 */
uint64_t goc_limit_reach(const goc_limit_opts *o, size_t limit);

/*
 * True if a run that returned GOC_OK kept `limit`: every cycle done, the maximum in flight at
 * most `limit` and at least goc_limit_reach(), no unit left held. Otherwise
 * false, with one line saying what was wrong in why[0..len).
 */
bool goc_limit_verify(const goc_limit_stats *s, const goc_limit_opts *o, size_t limit,
                      char *why, size_t len);

#endif /* GOC_SEMAPHORE_H */
