/*
 * 05-send-on-closed, bad: one of two senders closes the shared channel.
 *
 * The story: a single producer closed `lines` when it was done, correctly.
 * Then a second producer was added on the same channel, and the first one's
 * close stayed. The quick producer finishes and closes while the slow one
 * still has lines to send: its next send is on a closed channel, which
 * panics, in Go and in libgoc.
 *
 * Detector: libgoc's panic, every run: "panic: send on closed channel",
 * then abort() (SIGABRT).
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

static goc_chan *lines;

static void produce(void *arg)
{
	int n = (int)(intptr_t)arg;
	for (int i = 0; i < n; i++) {
		goc_sleep(5 * 1000000); /* reading a line takes 5 ms */
		goc_chan_send(lines, &i, GOC_FOREVER);
	}
	goc_chan_close(lines); /* BUG: closes while the other producer still sends */
}

int main(void)
{
	lines = goc_chan_make(sizeof(int), 0);
	goc_go(produce, (void *)1);  /* a short file */
	goc_go(produce, (void *)10); /* a long one */
	int v, n = 0;
	while (goc_chan_recv(lines, &v, GOC_FOREVER) == GOC_OK)
		n++;
	goc_sleep(100 * 1000000); /* the long producer sends again, and panics */
	printf("%d lines\n", n);
	return 0;
}
