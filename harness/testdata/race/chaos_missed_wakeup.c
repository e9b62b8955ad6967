#define _DEFAULT_SOURCE
/*
 * A missed wake-up: the waiter checks a flag, then waits for a
 * notification; the notifier sets the flag, then notifies without blocking
 * (Go's select with default), which drops the notification when nobody is
 * receiving yet. If the notifier comes between the waiter's check and its
 * receive, the waiter waits forever and the notifier waits for its
 * acknowledgement: libgoc's deadlock check reports it. The notifier waits
 * 200 us each round, and the window is a few microseconds.
 */
#include <stdatomic.h>
#include <stdbool.h>

#include "goc/goc.h"

#define ROUNDS 20

static goc_chan *done, *ack;
static atomic_bool ready;

static void waiter(void *arg)
{
	(void)arg;
	for (int r = 0; r < ROUNDS; r++) {
		if (!atomic_load(&ready))
			goc_chan_recv(done, NULL, GOC_FOREVER); /* the bug: ready may have been set meanwhile */
		atomic_store(&ready, false);
		goc_chan_send(ack, NULL, GOC_FOREVER);
	}
}

int main(void)
{
	done = goc_chan_make(0, 0);
	ack = goc_chan_make(0, 1);
	goc_go(waiter, NULL);
	for (int r = 0; r < ROUNDS; r++) {
		goc_sleep(200000);
		atomic_store(&ready, true);
		goc_case notify[] = { GOC_SEND_CASE(done, NULL) };
		(void)goc_select(notify, 1, GOC_NOWAIT, NULL);
		goc_chan_recv(ack, NULL, GOC_FOREVER);
	}
	goc_chan_free(done);
	goc_chan_free(ack);
	return 0;
}
