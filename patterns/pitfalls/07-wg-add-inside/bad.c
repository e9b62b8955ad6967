/*
 * 07-wg-add-inside, bad: each task adds itself to the WaitGroup.
 *
 * The story: `go func() { wg.Add(1); defer wg.Done(); ... }()`. It reads
 * well, but the Add runs whenever the task gets going, and main's Wait may
 * come first: it finds the counter at 0 and returns at once, and main sums
 * results the tasks have not written yet. That read and the tasks' writes
 * are unordered: a data race, and a wrong sum.
 *
 * Detector: ThreadSanitizer (data race); the program's own check (the sum)
 * fails in the same runs.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { TASKS = 4 };

static goc_wg wg;
static long squares[TASKS]; /* written by task i, read by main after the wait */

static void square(void *arg)
{
	goc_wg_add(&wg, 1); /* BUG: too late if main's wait came first */
	intptr_t i = (intptr_t)arg;
	squares[i] = (long)(i * i);
	goc_wg_done(&wg);
}

int main(void)
{
	goc_wg_init(&wg);
	for (intptr_t i = 0; i < TASKS; i++)
		goc_go(square, (void *)i);
	goc_wg_wait(&wg, GOC_FOREVER); /* may see 0 before any task has added */
	long sum = 0;
	for (int i = 0; i < TASKS; i++)
		sum += squares[i];
	if (sum != 14) {
		fprintf(stderr, "check failed: sum of squares %ld, want 14\n", sum);
		return 1;
	}
	printf("sum of squares %ld\n", sum);
	return 0;
}
