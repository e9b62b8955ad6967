/*
 * 13-cond-no-loop, bad: a consumer waits on a condition variable with `if`.
 *
 * The story: two consumers take jobs from a queue; each waits with
 * `if (len == 0) pthread_cond_wait(...)`, then pops. The producer announces
 * new work with pthread_cond_broadcast. One job, one broadcast: both
 * consumers wake, one takes the job, and the other pops from an empty queue,
 * because waking up is not the same as the condition being true. A stolen
 * wakeup like this, or a spurious one (POSIX allows them), breaks any wait
 * that does not re-check its condition in a loop.
 *
 * Detector: the program's own check (a pop from an empty queue); the
 * producer waits until both consumers are waiting before it publishes, so it
 * fires in practically every run. No race detector sees it: every access is
 * under the lock.
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
	if (len == 0) /* BUG: `if`, not `while`: wakes up and assumes a job is there */
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
	publish(1, 2); /* both consumers wake for this one job */
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
