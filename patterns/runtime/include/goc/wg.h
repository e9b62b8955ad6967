/*
 * wg.h - Go's sync.WaitGroup: wait for a collection of tasks to finish.
 *
 * goc_wg lives in the caller's storage: goc_wg_init() before use,
 * goc_wg_destroy() after the last goc_wg_wait() has returned.
 *
 * Overlap: add/done/wait from any number of threads at once. As in Go, an
 * add with a positive delta that starts from zero must happen-before the
 * wait it is meant for (call add before goc_go(), not inside the task).
 *
 * Panics "sync: negative WaitGroup counter" when the counter drops below 0,
 * and "sync: WaitGroup counter overflow" past INT64_MAX.
 *
 * Ordering: every goc_wg_done() (and add) happens-before the goc_wg_wait()
 * it unblocks returns GOC_OK.
 */
#ifndef GOC_WG_H
#define GOC_WG_H

#include <pthread.h>
#include <stdint.h>

#include "status.h"

#ifndef GOC__OPQ_DEFINED
#define GOC__OPQ_DEFINED
/* libgoc's queue of blocked waits (internal; also in once.h). */
struct goc__opq {
	struct goc__opq_entry *head, *tail;
};
#endif

typedef struct goc_wg {
	pthread_mutex_t mu;
	int64_t count;           /* guarded by mu */
	struct goc__opq waiters; /* blocked waits, woken when count reaches 0; guarded by mu */
} goc_wg;

void goc_wg_init(goc_wg *wg);
void goc_wg_destroy(goc_wg *wg);

/* Add delta (may be negative) to the counter; waking waiters at 0. */
void goc_wg_add(goc_wg *wg, int64_t delta);

/* goc_wg_add(wg, -1). */
void goc_wg_done(goc_wg *wg);

/*
 * Block until the counter is 0 or `deadline` passes. Returns GOC_OK,
 * GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT.
 */
goc_status goc_wg_wait(goc_wg *wg, int64_t deadline);

#endif /* GOC_WG_H */
