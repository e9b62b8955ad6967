/*
 * 01-counter, bad: two threads count events into one plain int.
 *
 * The story: a request counter was a global `int hits`, bumped by every
 * worker thread with `hits++`. It looked right in tests on one core; in
 * production the total came out short. `hits++` is a load, an add and a
 * store; two threads interleave them and one increment overwrites the other.
 * It is a data race, undefined behaviour in C11, whether or not a count is
 * ever lost.
 *
 * Detector: ThreadSanitizer (data race), every run; also helgrind and drd.
 * The program's own check (the total) fails only when increments were lost.
 */
#include <pthread.h>
#include <stdio.h>

enum { THREADS = 2, PER_THREAD = 1000 };

static int hits; /* BUG: shared by both threads, guarded by nothing */

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		hits++;
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	if (hits != THREADS * PER_THREAD) {
		fprintf(stderr, "check failed: hits = %d, want %d\n", hits, THREADS * PER_THREAD);
		return 1;
	}
	printf("hits = %d\n", hits);
	return 0;
}
