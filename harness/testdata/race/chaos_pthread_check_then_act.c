#define _DEFAULT_SOURCE
/*
 * Check-then-act with a lock released in between, in plain pthreads: each
 * worker checks under the lock that the one-slot mailbox is empty, unlocks
 * to prepare its message, then locks again and fills the slot, assuming it
 * is still empty. The program checks that and exits 1 when it was not.
 * The window is the gap between two lock calls, in a run of milliseconds.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#define ROUNDS 10

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool full;
static int overwritten;

static void *worker(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		usleep(200);
		pthread_mutex_lock(&mu);
		bool empty = !full;
		pthread_mutex_unlock(&mu);
		if (!empty)
			continue;
		/* The message is made here, outside the lock. */
		pthread_mutex_lock(&mu);
		if (full)
			overwritten++; /* the check said empty */
		full = true;
		pthread_mutex_unlock(&mu);
		pthread_mutex_lock(&mu);
		full = false; /* the mailbox is read at once */
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (overwritten) {
		fprintf(stderr, "check failed: %d message(s) overwritten after the check said the mailbox was empty\n",
		        overwritten);
		return 1;
	}
	return 0;
}
