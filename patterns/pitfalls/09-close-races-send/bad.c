/*
 * 09-close-races-send, bad: main stops a producer by closing its channel.
 *
 * The story: a ticker task sends readings on `readings` for as long as it
 * runs. When main has seen enough, it "stops" the ticker by closing the
 * channel from the receiving side. Nothing orders that close with the
 * ticker's next send: the ticker is always about to send, or blocked in a
 * send, and a send on a closed channel panics. (Go's race detector reports
 * the close and the send as a race too, and so does a TSan build of libgoc
 * when it sees the race before the panic ends the run.)
 *
 * Detector: libgoc's panic: "panic: send on closed channel", then abort()
 * (SIGABRT), in practically every run.
 */
#include <stdio.h>

#include "goc/goc.h"

static goc_chan *readings;

static void ticker(void *arg)
{
	(void)arg;
	for (int r = 0;; r++)
		goc_chan_send(readings, &r, GOC_FOREVER); /* panics once main has closed */
}

int main(void)
{
	readings = goc_chan_make(sizeof(int), 4);
	goc_go(ticker, NULL);
	int r;
	for (int i = 0; i < 100; i++)
		goc_chan_recv(readings, &r, GOC_FOREVER);
	goc_chan_close(readings); /* BUG: the receiver closes, racing the next send */
	goc_sleep(100 * 1000000);
	printf("last reading %d\n", r);
	return 0;
}
