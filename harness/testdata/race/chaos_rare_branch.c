#define _DEFAULT_SOURCE
/*
 * A race on a rarely taken branch: two workers share a counter of slow
 * receives, written without a lock only when a receive took over 200 us.
 * The race exists only in a run where both workers take that branch, which
 * a plain run seldom does; schedule chaos makes slow receives common.
 */
#include <stdio.h>

#include "goc/goc.h"

#define ITEMS 200

static goc_chan *work;
static goc_wg wg;
static long slow_recvs; /* plain, and racy: the bug */

static void worker(void *arg)
{
	(void)arg;
	for (;;) {
		int64_t t0 = goc_now();
		long v;
		if (goc_chan_recv(work, &v, GOC_FOREVER) != GOC_OK)
			break;
		if (goc_now() - t0 > 200000)
			slow_recvs++;
	}
	goc_wg_done(&wg);
}

int main(void)
{
	work = goc_chan_make(sizeof(long), 1024); /* room for every item: no edge back to main */
	goc_wg_init(&wg);
	goc_wg_add(&wg, 2);
	goc_go(worker, NULL);
	goc_go(worker, NULL);
	for (long i = 0; i < ITEMS; i++)
		goc_chan_send(work, &i, GOC_FOREVER);
	goc_chan_close(work);
	goc_wg_wait(&wg, GOC_FOREVER);
	printf("%ld slow receives\n", slow_recvs);
	goc_chan_free(work);
	return 0;
}
