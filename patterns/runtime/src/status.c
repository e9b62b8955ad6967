/*
 * status.c - status names, the monotonic clock that deadlines are measured
 * on, and condition-variable waits bounded by such a deadline.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include "goc_internal.h"

const char *goc_status_str(goc_status status)
{
	switch (status) {
	case GOC_OK: return "ok";
	case GOC_CLOSED: return "channel closed";
	case GOC_WOULDBLOCK: return "would block";
	case GOC_TIMEOUT: return "timed out";
	case GOC_NOMEM: return "out of memory";
	case GOC_CANCELED: return "context canceled";
	case GOC_DEADLINE_EXCEEDED: return "context deadline exceeded";
	}
	return "unknown status";
}

int64_t goc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* +1 keeps the result away from GOC_NOWAIT (0), even on a fresh boot. */
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + 1;
}

int64_t goc_deadline_after(int64_t ns)
{
	int64_t now = goc_now();
	if (ns <= 0)
		return now;
	if (ns > INT64_MAX - now)
		return INT64_MAX;
	return now + ns;
}

void goc__cond_init(pthread_cond_t *cv)
{
	pthread_condattr_t attr;
	GOC_PT(pthread_condattr_init(&attr));
	GOC_PT(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
	GOC_PT(pthread_cond_init(cv, &attr));
	GOC_PT(pthread_condattr_destroy(&attr));
}

int goc__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline)
{
	if (deadline == GOC_FOREVER) {
		GOC_PT(pthread_cond_wait(cv, mu));
		return 0;
	}
	/*
	 * A deadline below 1 (GOC_NOWAIT, or any other negative time) is long
	 * past, and as a timespec it would be invalid: time out at once.
	 */
	if (deadline < 1)
		return ETIMEDOUT;
	/* goc_now() is CLOCK_MONOTONIC + 1 ns; undo that for the condvar's clock. */
	int64_t abs = deadline - 1;
	struct timespec ts = { .tv_sec = (time_t)(abs / 1000000000), .tv_nsec = (long)(abs % 1000000000) };
	int rc = pthread_cond_timedwait(cv, mu, &ts);
	if (rc != 0 && rc != ETIMEDOUT)
		goc__die("pthread_cond_timedwait", rc);
	if (rc == 0 && goc_now() >= deadline)
		return ETIMEDOUT;
	return rc;
}
