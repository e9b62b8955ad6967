/*
 * 02-loop-variable, fixed: each task gets its own copy of the shard number.
 *
 * The value, not the address, goes to the task: goc_go(process, (void *)i)
 * with the int carried in the pointer (an array of ints, one per task,
 * would do as well). That is what Go 1.22 made the default: a fresh i per
 * iteration. Nothing is shared, so there is nothing to race on.
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; the check holds.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { SHARDS = 8 };

static atomic_int seen[SHARDS]; /* how many tasks processed each shard */
static goc_wg wg;

static void process(void *arg)
{
	int shard = (int)(intptr_t)arg; /* the task's own copy */
	atomic_fetch_add(&seen[shard], 1);
	goc_wg_done(&wg);
}

int main(void)
{
	goc_wg_init(&wg);
	for (int i = 0; i < SHARDS; i++) {
		goc_wg_add(&wg, 1);
		goc_go(process, (void *)(intptr_t)i);
	}
	goc_wg_wait(&wg, GOC_FOREVER);
	goc_wg_destroy(&wg);
	for (int s = 0; s < SHARDS; s++) {
		if (atomic_load(&seen[s]) != 1) {
			fprintf(stderr, "check failed: shard %d processed %d times, want 1\n", s, atomic_load(&seen[s]));
			return 1;
		}
	}
	printf("%d shards processed once each\n", SHARDS);
	return 0;
}
