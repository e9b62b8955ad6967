/*
 * 14-relaxed-publish, fixed: a release store publishes, an acquire load
 * subscribes.
 *
 * The release store orders the config's field writes before it; the acquire
 * load that reads the pointer orders the reader's field reads after it. So
 * a reader that sees the pointer sees the fields it points to, on every CPU.
 * (Go's sync/atomic is sequentially consistent: atomic.Pointer.Store and
 * Load give this ordering without asking.)
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; the check holds.
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
	atomic_store_explicit(&current, c, memory_order_release); /* release: publishes the fields with it */
	return NULL;
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, load, NULL);
	struct config *c;
	while ((c = atomic_load_explicit(&current, memory_order_acquire)) == NULL)
		; /* acquire: pairs with the release store; spin until published */
	int port = c->port, workers = c->workers; /* written before the release store */
	pthread_join(t, NULL);
	free(c);
	if (port != 8080 || workers != 4) {
		fprintf(stderr, "check failed: port %d, workers %d\n", port, workers);
		return 1;
	}
	printf("port %d, workers %d\n", port, workers);
	return 0;
}
