/*
 * 09-close-races-send, fixed: main asks the ticker to stop; the ticker closes.
 *
 * Stopping is a message of its own: main closes a `stop` channel (which
 * only main ever closes), and the ticker selects between sending a reading
 * and seeing stop closed. Once it sees stop, the ticker, the only sender,
 * closes `readings` itself, and main drains it until GOC_CLOSED. No send
 * can follow the close of the channel it is on. (Go: a done channel or a
 * context, and "only the sender closes".)
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; no panic.
 */
#include <stdio.h>

#include "goc/goc.h"

static goc_chan *readings, *stop;
static goc_wg ticking;

static void ticker(void *arg)
{
	(void)arg;
	for (int r = 0;; r++) {
		goc_case cs[] = { GOC_SEND_CASE(readings, &r), GOC_RECV_CASE(stop, NULL) };
		size_t chosen;
		goc_select(cs, 2, GOC_FOREVER, &chosen);
		if (chosen == 1)
			break; /* stop is closed */
	}
	goc_chan_close(readings); /* the sender closes, after its last send */
	goc_wg_done(&ticking);
}

int main(void)
{
	readings = goc_chan_make(sizeof(int), 4);
	stop = goc_chan_make(0, 0);
	goc_wg_init(&ticking);
	goc_wg_add(&ticking, 1);
	goc_go(ticker, NULL);
	int r;
	for (int i = 0; i < 100; i++)
		goc_chan_recv(readings, &r, GOC_FOREVER);
	goc_chan_close(stop); /* "please stop": only main closes stop */
	while (goc_chan_recv(readings, NULL, GOC_FOREVER) == GOC_OK)
		; /* drain what the ticker sent before it saw stop */
	goc_wg_wait(&ticking, GOC_FOREVER);
	printf("last reading %d\n", r);
	goc_wg_destroy(&ticking);
	goc_chan_free(readings);
	goc_chan_free(stop);
	return 0;
}
