/*
 * 04-double-close, bad: two code paths each think they own the close.
 *
 * The story: a producer task closes `results` when it has sent them all,
 * as it should. Later someone adds a shutdown path to main that also closes
 * `results`, "to be safe". Closing a closed channel is a programmer error in
 * Go, and in libgoc: the second close panics and the program dies.
 *
 * Detector: libgoc's panic, every run: "panic: close of closed channel",
 * then abort() (SIGABRT).
 */
#include <stdio.h>

#include "goc/goc.h"

static void produce(void *arg)
{
	goc_chan *results = arg;
	for (int i = 1; i <= 3; i++)
		goc_chan_send(results, &i, GOC_FOREVER);
	goc_chan_close(results); /* the producer's close: the right one */
}

int main(void)
{
	goc_chan *results = goc_chan_make(sizeof(int), 0);
	goc_go(produce, results);
	int v, sum = 0;
	while (goc_chan_recv(results, &v, GOC_FOREVER) == GOC_OK)
		sum += v;
	goc_chan_close(results); /* BUG: "shutdown" closes it again: panics */
	printf("sum = %d\n", sum);
	goc_chan_free(results);
	return 0;
}
