/*
 * 04-double-close, fixed: one owner closes the channel, once.
 *
 * The rule is Go's: the sender closes, and only when it is done sending;
 * a receiver never closes. main only receives until the channel reports
 * closed (GOC_CLOSED, Go's ok == false), then frees it. Where two paths
 * really may both want to close, wrap the close in a goc_once.
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; no panic.
 */
#include <stdio.h>

#include "goc/goc.h"

static goc_wg producers;

static void produce(void *arg)
{
	goc_chan *results = arg;
	for (int i = 1; i <= 3; i++)
		goc_chan_send(results, &i, GOC_FOREVER);
	goc_chan_close(results); /* the only close */
	goc_wg_done(&producers);
}

int main(void)
{
	goc_chan *results = goc_chan_make(sizeof(int), 0);
	goc_wg_init(&producers);
	goc_wg_add(&producers, 1);
	goc_go(produce, results);
	int v, sum = 0;
	while (goc_chan_recv(results, &v, GOC_FOREVER) == GOC_OK)
		sum += v;
	printf("sum = %d\n", sum);
	goc_wg_wait(&producers, GOC_FOREVER); /* the producer is past its last use of the channel */
	goc_wg_destroy(&producers);
	goc_chan_free(results);
	return 0;
}
