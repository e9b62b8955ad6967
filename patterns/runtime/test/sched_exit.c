/*
 * sched_exit.c - a program on the M:N scheduler that exits just as the
 * scheduler's monitor goes to sleep. TSan builds join the scheduler's
 * threads at exit (sched.c goc__sched_retire()); the monitor once slept
 * through that, and the exit hung. The monitor looks again about 50 us
 * after the spawn woke it, sees every processor idle and sleeps: so the
 * program ends 0 to 200 us after its task did, and the test runs it many
 * times under PCT chaos, which stretches the monitor's way to its sleep
 * (CMakeLists.txt, which builds it for TSan builds only: the others do not
 * retire).
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "goc/goc.h"

static goc_wg wg;

static void finish(void *arg)
{
	(void)arg;
	goc_wg_done(&wg);
}

int main(void)
{
	/* TSan builds run on x86-64 or AArch64, which have it: a refusal fails rather than passes unseen. */
	if (goc_tasks_use(GOC_TASKS_MN, 0) != GOC_OK) {
		fprintf(stderr, "sched_exit: the M:N scheduler refused\n");
		return 1;
	}
	goc_wg_init(&wg);
	goc_wg_add(&wg, 1);
	if (goc_go(finish, NULL) != GOC_OK) {
		fprintf(stderr, "sched_exit: goc_go failed\n");
		return 1;
	}
	goc_wg_wait(&wg, GOC_FOREVER);
	/* A different pause each run: the exit lands at a different point of the monitor's way. */
	srand((unsigned)(goc_now() ^ (int64_t)getpid()));
	int64_t until = goc_now() + (int64_t)(rand() % 200) * 1000;
	while (goc_now() < until)
		;
	return 0;
}
