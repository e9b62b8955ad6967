/*
 * 01-counter, fixed: the counter has a mutex, and every access takes it.
 *
 * Each `hits++` now runs with the mutex held, so the increments are ordered
 * one after another and none is lost; pthread_join() orders them all before
 * main reads the total. (An atomic_int with atomic_fetch_add would do as
 * well for a lone counter; a mutex is what guards several fields at once.)
 *
 * Clean under: ThreadSanitizer, helgrind, drd, ASan+UBSan; the check holds.
 */
#include <pthread.h>
#include <stdio.h>

enum { THREADS = 2, PER_THREAD = 1000 };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int hits; /* guarded by mu */

static void *worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < PER_THREAD; i++) {
		pthread_mutex_lock(&mu);
		hits++;
		pthread_mutex_unlock(&mu);
	}
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
