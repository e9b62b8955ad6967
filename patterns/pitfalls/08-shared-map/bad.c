/*
 * 08-shared-map, bad: two threads insert into one hash map with no lock.
 *
 * The story: a cache is a chained hash map; at first only one thread filled
 * it. A second loader thread was added "since the keys are distinct". But
 * the threads share more than keys: the bucket heads they both link into and
 * the map's entry count. Two inserts into one bucket can each link their
 * node to the same old head, and one node is lost; both bump the count.
 * (Go's runtime kills such a program: "fatal error: concurrent map writes".)
 *
 * Detector: ThreadSanitizer (data race), every run; also helgrind and drd.
 * The program's own check (every key found, the count right) fails when an
 * insert was lost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { BUCKETS = 16, PER_THREAD = 500 };

struct node { int key; struct node *next; };
struct map { struct node *bucket[BUCKETS]; int count; };

static struct map cache; /* BUG: written by both threads, guarded by nothing */

static void map_put(struct map *m, int key)
{
	struct node *n = malloc(sizeof *n);
	if (n == NULL)
		abort();
	n->key = key;
	n->next = m->bucket[key % BUCKETS];
	m->bucket[key % BUCKETS] = n;
	m->count++;
}

static int map_has(const struct map *m, int key)
{
	for (const struct node *n = m->bucket[key % BUCKETS]; n; n = n->next)
		if (n->key == key)
			return 1;
	return 0;
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
	return 0; /* the nodes are left to the exit, as a cache's would be */
}
