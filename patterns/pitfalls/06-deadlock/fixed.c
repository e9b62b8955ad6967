/*
 * 06-deadlock, fixed: the send has a receiver, in another task.
 *
 * A worker task receives the job and sends back its result, so main's send
 * meets the worker's receive. (A channel used as a queue by one task needs a
 * buffer instead: goc_chan_make(sizeof(int), 1) would let the send complete
 * with nobody waiting.)
 *
 * Clean under: ThreadSanitizer, libgoc's deadlock detector, ASan+UBSan.
 */
#include <stdio.h>

#include "goc/goc.h"

static goc_chan *jobs, *results;
static goc_wg workers;

static void worker(void *arg)
{
	(void)arg;
	int job;
	goc_chan_recv(jobs, &job, GOC_FOREVER);
	job *= 10;
	goc_chan_send(results, &job, GOC_FOREVER);
	goc_wg_done(&workers);
}

int main(void)
{
	jobs = goc_chan_make(sizeof(int), 0);
	results = goc_chan_make(sizeof(int), 0);
	goc_wg_init(&workers);
	goc_wg_add(&workers, 1);
	goc_go(worker, NULL);
	int job = 1;
	goc_chan_send(jobs, &job, GOC_FOREVER); /* the worker receives it */
	goc_chan_recv(results, &job, GOC_FOREVER);
	if (job != 10) {
		fprintf(stderr, "check failed: result %d, want 10\n", job);
		return 1;
	}
	printf("result %d\n", job);
	goc_wg_wait(&workers, GOC_FOREVER); /* the worker is past its last use of the channels */
	goc_wg_destroy(&workers);
	goc_chan_free(jobs);
	goc_chan_free(results);
	return 0;
}
