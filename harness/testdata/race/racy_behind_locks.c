#define _DEFAULT_SOURCE
/*
 * A race between two threads that each take a lock of their own: main
 * writes x, then locks m1; the other thread, told by a relaxed flag, locks
 * m2 and reads x. Nothing orders the write before the read, so TSan must
 * report it, whatever goc race preloads beneath the lock calls.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static atomic_int written;
static int x; /* racy: the bug */

static void *reader(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&written, memory_order_relaxed)) {
	}
	pthread_mutex_lock(&m2);
	int v = x;
	pthread_mutex_unlock(&m2);
	printf("%d\n", v);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);
	x = 1;
	pthread_mutex_lock(&m1);
	pthread_mutex_unlock(&m1);
	atomic_store_explicit(&written, 1, memory_order_relaxed);
	pthread_join(t, NULL);
	return 0;
}
