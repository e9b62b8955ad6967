/*
 * 14-relaxed-publish, bad: a pointer published with a relaxed atomic store.
 *
 * The story: a loader thread builds a config and publishes it through an
 * atomic pointer, and a reader spins until the pointer is set, then reads
 * the config. The pointer is atomic, so it "cannot race". But the store and
 * the load are memory_order_relaxed: they order nothing else, so the reader
 * may see the pointer before the fields it points to are written (on ARM
 * and POWER it does; x86 hides it, the compiler need not). The fields are a
 * data race.
 *
 * Detector: ThreadSanitizer (data race on the config's fields), every run.
 * (helgrind and drd do not model C11 atomics, so they apply to neither
 * version.)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct config { int port; int workers; };

static _Atomic(struct config *) current;

static void *load(void *arg)
{
	(void)arg;
	struct config *c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	c->port = 8080;
	c->workers = 4;
	atomic_store_explicit(&current, c, memory_order_relaxed); /* BUG: orders nothing before it */
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, load, NULL);
	struct config *c;
	while ((c = atomic_load_explicit(&current, memory_order_relaxed)) == NULL)
		; /* spin until published */
	int port = c->port, workers = c->workers; /* may see the fields unwritten */
	pthread_join(t, NULL);
	free(c);
	if (port != 8080 || workers != 4) {
		fprintf(stderr, "check failed: port %d, workers %d\n", port, workers);
		return 1;
	}
	printf("port %d, workers %d\n", port, workers);
	return 0;
}
