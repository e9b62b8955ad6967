/*
 * 08-shared-map, fixed: the map has a mutex, and map_put() takes it.
 *
 * The lock lives with the map it guards and every insert holds it while it
 * links its node and bumps the count, so inserts happen one at a time and
 * none is lost. (In Go: a map plus a sync.Mutex, or sync.Map for a cache
 * that is mostly read. A map sharded by key, one lock per shard, scales
 * further; the rule is the same.)
 *
 * Clean under: ThreadSanitizer, helgrind, drd, ASan+UBSan; the check holds.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { BUCKETS = 16, PER_THREAD = 500 };

struct node { int key; struct node *next; };
struct map {
	pthread_mutex_t mu;
	struct node *bucket[BUCKETS]; /* guarded by mu */
	int count;                    /* guarded by mu */
};

static struct map cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void map_put(struct map *m, int key)
{
	struct node *n = malloc(sizeof *n);
	if (n == NULL)
		abort();
	n->key = key;
	pthread_mutex_lock(&m->mu);
	n->next = m->bucket[key % BUCKETS];
	m->bucket[key % BUCKETS] = n;
	m->count++;
	pthread_mutex_unlock(&m->mu);
}

/* Only after the loaders are joined: no lock needed then. */
static int map_has(const struct map *m, int key)
{
	for (const struct node *n = m->bucket[key % BUCKETS]; n; n = n->next)
		if (n->key == key)
			return 1;
	return 0;
}

static void map_free(struct map *m)
{
	for (int b = 0; b < BUCKETS; b++) {
		for (struct node *n = m->bucket[b], *next; n; n = next) {
			next = n->next;
			free(n);
		}
	}
}

static void *loader(void *arg)
{
	int first = *(int *)arg;
	for (int k = first; k < first + PER_THREAD; k++)
		map_put(&cache, k);
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	int first[2] = { 0, PER_THREAD };
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, loader, &first[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	int found = 0;
	for (int k = 0; k < 2 * PER_THREAD; k++)
		found += map_has(&cache, k);
	if (found != 2 * PER_THREAD || cache.count != 2 * PER_THREAD) {
		fprintf(stderr, "check failed: %d keys found, count %d, want %d\n", found, cache.count, 2 * PER_THREAD);
		return 1;
	}
	printf("%d keys\n", found);
	map_free(&cache);
	return 0;
}
