/*
 * posix_sem.c - a sem_t with libgoc's deadlines (posix_sem.h says why it is
 * a file of its own). The only file of the pattern that includes POSIX's
 * <semaphore.h>.
 *
 * Lock order: none; sem_t is a futex word inside libc.
 */
#define _GNU_SOURCE
#include "posix_sem.h"

#include <errno.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goc/panic.h>

#define NS_PER_SEC INT64_C(1000000000)

struct goc__psem {
	sem_t sem;
};

goc__psem *goc__psem_make(unsigned value)
{
	goc__psem *s = malloc(sizeof *s);
	if (!s)
		return NULL;
	if (sem_init(&s->sem, 0, value) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

void goc__psem_free(goc__psem *s)
{
	if (!s)
		return;
	(void)sem_destroy(&s->sem);
	free(s);
}

goc_status goc__psem_acquire(goc__psem *s, int64_t deadline)
{
	if (deadline == GOC_NOWAIT) {
		while (sem_trywait(&s->sem) != 0) {
			if (errno != EINTR)
				return GOC_WOULDBLOCK;
		}
		return GOC_OK;
	}
	if (deadline == GOC_FOREVER) {
		while (sem_wait(&s->sem) != 0) {
			if (errno != EINTR)
				goc_panic("sem_wait: %s", strerror(errno));
		}
		return GOC_OK;
	}
	/* Wait loop: sem_timedwait() until a unit comes or the monotonic deadline has passed. */
	for (;;) {
		int64_t left = deadline - goc_now();
		if (left < 0)
			left = 0;
		struct timespec at;
		clock_gettime(CLOCK_REALTIME, &at);
		int64_t ns = (int64_t)at.tv_nsec + left % NS_PER_SEC;
		at.tv_sec += (time_t)(left / NS_PER_SEC + ns / NS_PER_SEC);
		at.tv_nsec = (long)(ns % NS_PER_SEC);
		if (sem_timedwait(&s->sem, &at) == 0)
			return GOC_OK;
		if (errno == ETIMEDOUT) {
			if (goc_now() >= deadline)
				return GOC_TIMEOUT;
		} else if (errno != EINTR) {
			goc_panic("sem_timedwait: %s", strerror(errno));
		}
	}
}

void goc__psem_release(goc__psem *s, size_t limit)
{
	/* Racy by nature (sem_t has no bound): two overlapping extra releases may both pass. */
	if (goc__psem_free_units(s) >= limit)
		goc_panic("semaphore: released more than held");
	if (sem_post(&s->sem) != 0)
		goc_panic("sem_post: %s", strerror(errno));
}

size_t goc__psem_free_units(goc__psem *s)
{
	int v = 0;
	if (sem_getvalue(&s->sem, &v) != 0 || v < 0)
		return 0;
	return (size_t)v;
}
