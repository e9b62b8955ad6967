/*
 * status.h - what libgoc's calls return, and the deadlines blocking calls take.
 *
 * Runtime outcomes are a goc_status, never errno. GOC_OK is 0, so `if (st)`
 * reads as "if it did not happen". On a status other than GOC_OK a call leaves
 * its outputs untouched, except where its header says otherwise (a receive
 * that returns GOC_CLOSED stores the zero value, as Go's `v, ok := <-ch` does).
 *
 * Every blocking call takes a deadline (an int64_t):
 *   GOC_NOWAIT   try once; GOC_WOULDBLOCK if the call would have to wait;
 *   GOC_FOREVER  wait as long as it takes;
 *   any other    an absolute CLOCK_MONOTONIC time in nanoseconds (goc_now()
 *                and goc_deadline_after() make one); GOC_TIMEOUT once it has
 *                passed. A deadline already in the past still tries once.
 * So Go's select-with-default is a select with GOC_NOWAIT, and a timeout is a
 * deadline. The functions here are thread-safe and never block.
 */
#ifndef GOC_STATUS_H
#define GOC_STATUS_H

#include <stdint.h>

typedef enum goc_status {
	GOC_OK = 0,            /* it happened */
	GOC_CLOSED,            /* receive from a closed, drained channel */
	GOC_WOULDBLOCK,        /* GOC_NOWAIT, and the call would have waited */
	GOC_TIMEOUT,           /* the deadline passed first */
	GOC_NOMEM,             /* out of memory, or of threads */
	GOC_CANCELED,          /* a context was canceled */
	GOC_DEADLINE_EXCEEDED  /* a context's deadline passed */
} goc_status;

#define GOC_NOWAIT ((int64_t)0)
#define GOC_FOREVER ((int64_t)-1)

/* A short, static, lower-case description; never NULL, even for junk. */
const char *goc_status_str(goc_status status);

/* CLOCK_MONOTONIC now, in nanoseconds; always greater than 0. */
int64_t goc_now(void);

/*
 * The absolute deadline `ns` nanoseconds from now, saturating at INT64_MAX.
 * ns <= 0 gives now (a deadline that has passed, not GOC_NOWAIT).
 */
int64_t goc_deadline_after(int64_t ns);

#endif /* GOC_STATUS_H */
