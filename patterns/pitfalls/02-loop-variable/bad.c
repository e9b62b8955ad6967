/*
 * 02-loop-variable, bad: each task is handed &i, the loop's own variable.
 *
 * The story: a loop starts one task per shard, `goc_go(process, &i)`, the
 * way `go func() { process(i) }()` looked in Go before 1.22. Every task gets
 * the address of the same int, which the loop keeps incrementing: a task
 * reads it whenever it starts, by which time main may have moved it on. Some
 * shards are processed twice, some never. main's `i++` and the task's `*arg`
 * are unordered (goc_go() orders only what came before it), a data race.
 *
 * Detector: ThreadSanitizer (data race), every run; the program's own check
 * (each shard seen exactly once) fails in the runs where a task read late.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { SHARDS = 8 };

static atomic_int seen[SHARDS + 1]; /* how many tasks processed each shard */
static goc_wg wg;

static void process(void *arg)
{
	int shard = *(int *)arg; /* BUG: reads main's loop variable, maybe already moved on */
	atomic_fetch_add(&seen[shard], 1);
	goc_wg_done(&wg);
}

int main(void)
{
	int i; /* lives until every task is done: the bug is the sharing, not a dangling pointer */
	goc_wg_init(&wg);
	for (i = 0; i < SHARDS; i++) {
		goc_wg_add(&wg, 1);
		goc_go(process, &i);
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
