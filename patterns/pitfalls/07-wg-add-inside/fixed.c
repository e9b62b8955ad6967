/*
 * 07-wg-add-inside, fixed: main adds before it starts each task.
 *
 * The Add happens in main, before goc_go(), so it happens-before the Wait:
 * the counter cannot be 0 until every task has called done, and done
 * happens-before the Wait returns, so main reads every result written.
 * (Go's rule, in its WaitGroup docs: calls with a positive delta that start
 * from zero must happen before a Wait.)
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; the sum is right every run.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { TASKS = 4 };

static goc_wg wg;
static long squares[TASKS]; /* written by task i, read by main after the wait */

static void square(void *arg)
{
	intptr_t i = (intptr_t)arg;
	squares[i] = (long)(i * i);
	goc_wg_done(&wg);
}

int main(void)
{
	goc_wg_init(&wg);
	for (intptr_t i = 0; i < TASKS; i++) {
		goc_wg_add(&wg, 1); /* before the task exists */
		goc_go(square, (void *)i);
	}
	goc_wg_wait(&wg, GOC_FOREVER);
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
