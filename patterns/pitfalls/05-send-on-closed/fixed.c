/*
 * 05-send-on-closed, fixed: the channel is closed once every sender is done.
 *
 * Go's idiom for many senders: they only send, and a WaitGroup counts them;
 * one closer task waits for the WaitGroup and then closes. No send can come
 * after the close, because the close comes after every sender's done.
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; no panic, all 11 lines arrive.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

static goc_chan *lines;
static goc_wg senders, closer_done;

static void produce(void *arg)
{
	int n = (int)(intptr_t)arg;
	for (int i = 0; i < n; i++) {
		goc_sleep(5 * 1000000); /* reading a line takes 5 ms */
		goc_chan_send(lines, &i, GOC_FOREVER);
	}
	goc_wg_done(&senders); /* a sender never closes */
}

static void close_when_done(void *arg)
{
	(void)arg;
	goc_wg_wait(&senders, GOC_FOREVER);
	goc_chan_close(lines); /* after every send */
	goc_wg_done(&closer_done);
}

int main(void)
{
	lines = goc_chan_make(sizeof(int), 0);
	goc_wg_init(&senders);
	goc_wg_init(&closer_done);
	goc_wg_add(&senders, 2);
	goc_wg_add(&closer_done, 1);
	goc_go(produce, (void *)1);
	goc_go(produce, (void *)10);
	goc_go(close_when_done, NULL);
	int v, n = 0;
	while (goc_chan_recv(lines, &v, GOC_FOREVER) == GOC_OK)
		n++;
	goc_wg_wait(&closer_done, GOC_FOREVER); /* the closer is past its last use of lines */
	if (n != 11) {
		fprintf(stderr, "check failed: %d lines, want 11\n", n);
		return 1;
	}
	printf("%d lines\n", n);
	goc_wg_destroy(&senders);
	goc_wg_destroy(&closer_done);
	goc_chan_free(lines);
	return 0;
}
