/*
 * 13-cond-no-loop, fixed: the wait is a loop that re-checks its condition.
 *
 * `while (len == 0) pthread_cond_wait(...)`: a consumer that wakes to an
 * empty queue (the other took the job, or the wakeup was spurious) goes
 * back to waiting, and pops only when the condition holds with the lock
 * held. Every condition-variable wait is written this way.
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; the check holds.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

enum { CONSUMERS = 2 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER;
static int queue[CONSUMERS]; /* guarded by mu */
static int len;              /* guarded by mu */
static int waiting;          /* guarded by mu: consumers inside the wait */
static int empty_pops;       /* guarded by mu: the check */

static void *consume(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	waiting++;
	while (len == 0) /* re-check after every wakeup */
		pthread_cond_wait(&nonempty, &mu);
	waiting--;
	if (len == 0)
		empty_pops++; /* the queue's own check: pop from an empty queue */
	else
		len--; /* take queue[len] */
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Once the queue is empty and `ready` consumers wait, publish a job and wake them all. */
static void publish(int job, int ready)
{
	for (;;) {
		pthread_mutex_lock(&mu);
		if (len == 0 && waiting >= ready)
			break;
		pthread_mutex_unlock(&mu);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	queue[len++] = job;
	pthread_cond_broadcast(&nonempty);
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	pthread_t t[CONSUMERS];
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&t[i], NULL, consume, NULL);
	publish(1, 2); /* both consumers wake; one goes back to waiting */
	publish(2, 0);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(t[i], NULL);
	if (empty_pops != 0) {
		fprintf(stderr, "check failed: %d pop(s) from an empty queue\n", empty_pops);
		return 1;
	}
	printf("2 jobs consumed\n");
	return 0;
}
