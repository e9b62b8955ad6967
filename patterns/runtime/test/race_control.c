/*
 * race_control.c - negative controls for the race detector: deliberately
 * racy programs whose ctest entries pass only if ThreadSanitizer reports the
 * race, proving the detector is awake in the tsan build (with
 * halt_on_error=1 TSan exits 66 at the first report).
 *
 *   race_control counter   two tasks increment one plain int, no lock
 *   race_control no-edge   a task writes, main reads after a sleep: timing,
 *                          not a channel, orders them, which is no order
 */
#include <stdio.h>
#include <string.h>

#include "goc/goc.h"

static int counter;       /* deliberately unguarded */
static long published;    /* deliberately unguarded */

static void bump(void *done)
{
	for (int i = 0; i < 100000; i++)
		counter++;
	goc_chan_send(done, NULL, GOC_FOREVER);
}

static void publish(void *done)
{
	published = 42;
	goc_chan_send(done, NULL, GOC_FOREVER);
}

int main(int argc, char **argv)
{
	goc_chan *done = goc_chan_make(0, 2);
	if (argc == 2 && strcmp(argv[1], "counter") == 0) {
		goc_go(bump, done);
		goc_go(bump, done);
		goc_chan_recv(done, NULL, GOC_FOREVER);
		goc_chan_recv(done, NULL, GOC_FOREVER);
		printf("counter = %d\n", counter);
	} else if (argc == 2 && strcmp(argv[1], "no-edge") == 0) {
		goc_go(publish, done);
		goc_sleep(50 * 1000000);
		printf("published = %ld\n", published);
		goc_chan_recv(done, NULL, GOC_FOREVER);
	} else {
		fprintf(stderr, "usage: race_control counter|no-edge\n");
		return 2;
	}
	goc_chan_free(done);
	return 0;
}
