/*
 * race_control.c - negative controls for the race detector: deliberately
 * racy programs whose ctest entries pass only if ThreadSanitizer reports the
 * race, proving the detector is awake in the tsan build (with
 * halt_on_error=1 TSan exits 66 at the first report).
 *
 *   race_control counter   two tasks increment one plain int, no lock
 *   race_control no-edge   a task writes, main reads after a sleep: timing,
 *                          not a channel, orders them, which is no order
 *   race_control buffered-sends
 *                          on a channel of capacity 2, task A writes x then
 *                          sends; task B sends 50 ms later, then writes x.
 *                          The two sends fill different slots, and Go's
 *                          memory model orders neither before the other
 *                          (Go's -race reports this program): only the
 *                          per-slot edges of the lock-free ring let TSan
 *                          see the race, where one channel lock hid it.
 */
#include <stdio.h>
#include <string.h>

#include "goc/goc.h"

static int counter;       /* deliberately unguarded */
static long published;    /* deliberately unguarded */
static int x;             /* deliberately unguarded */
static goc_wg senders;    /* both buffered-sends tasks are done */

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

static void send_first(void *ch)
{
	x = 1;
	goc_chan_send(ch, &(int){ 0 }, GOC_FOREVER);
	goc_wg_done(&senders);
}

static void send_later(void *ch)
{
	goc_sleep(50 * 1000000);
	goc_chan_send(ch, &(int){ 0 }, GOC_FOREVER);
	x = 2;
	goc_wg_done(&senders);
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
	} else if (argc == 2 && strcmp(argv[1], "buffered-sends") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		goc_wg_init(&senders);
		goc_wg_add(&senders, 2);
		goc_go(send_first, ch);
		goc_go(send_later, ch);
		goc_wg_wait(&senders, GOC_FOREVER);
		goc_chan_recv(ch, NULL, GOC_FOREVER);
		goc_chan_recv(ch, NULL, GOC_FOREVER);
		printf("x = %d\n", x);
		goc_wg_destroy(&senders);
		goc_chan_free(ch);
	} else {
		fprintf(stderr, "usage: race_control counter|no-edge|buffered-sends\n");
		return 2;
	}
	goc_chan_free(done);
	return 0;
}
