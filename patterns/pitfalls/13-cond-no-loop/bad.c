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
 * Detector: the program's own check (a pop from an empty queue), every run:
 * the producer publishes the first job only once both consumers wait, and
 * the second only once both have woken from the first broadcast. No race
 * detector sees the bug: every access is under the lock.
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
static int arrived;          /* guarded by mu: consumers that got to their wait */
static int wakeups;          /* guarded by mu: returns from pthread_cond_wait */
static int empty_pops;       /* guarded by mu: the check */

static void *consume(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	arrived++;
	if (len == 0) { /* BUG: `if`, not `while`: wakes up and assumes a job is there */
		pthread_cond_wait(&nonempty, &mu);
		wakeups++;
	}
	if (len == 0)
		empty_pops++; /* the queue's own check: pop from an empty queue */
	else
		len--; /* take queue[len] */
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Pace the producer: poll until *count reaches n (both are guarded by mu). */
static void wait_until(const int *count, int n)
{
	pthread_mutex_lock(&mu);
	while (*count < n) {
		pthread_mutex_unlock(&mu);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
}

/* Queue one job and wake every consumer. */
static void publish(int job)
{
	pthread_mutex_lock(&mu);
	queue[len++] = job;
	pthread_cond_broadcast(&nonempty);
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	pthread_t t[CONSUMERS];
	for (int i = 0; i < CONSUMERS; i++)
		pthread_create(&t[i], NULL, consume, NULL);
	wait_until(&arrived, CONSUMERS); /* both consumers wait */
	publish(1);                       /* and both wake, for one job */
	wait_until(&wakeups, CONSUMERS);  /* both have woken and looked */
	publish(2);
	for (int i = 0; i < CONSUMERS; i++)
		pthread_join(t[i], NULL);
	if (empty_pops != 0) {
		fprintf(stderr, "check failed: %d pop(s) from an empty queue\n", empty_pops);
		return 1;
	}
	printf("2 jobs consumed\n");
	return 0;
}
