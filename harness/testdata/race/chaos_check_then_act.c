#define _DEFAULT_SOURCE
/*
 * Check-then-act on a channel's length: two tasks see room in a one-slot
 * channel with goc_chan_len(), then send without blocking, assuming the
 * send must succeed. Between the check and the act the other task may
 * take the slot; the program checks its assumption and exits 1 when it
 * failed. The window is a microsecond in a run of a few milliseconds.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "goc/goc.h"

#define ROUNDS 10

static goc_chan *slot;
static goc_wg wg;
static atomic_int failed;

static void user(void *arg)
{
	(void)arg;
	int v = 1;
	for (int i = 0; i < ROUNDS; i++) {
		goc_sleep(200000);
		if (goc_chan_len(slot) == 0) {
			if (goc_chan_send(slot, &v, GOC_NOWAIT) != GOC_OK)
				atomic_fetch_add(&failed, 1); /* the check said there was room */
			else
				goc_chan_recv(slot, NULL, GOC_FOREVER);
		}
	}
	goc_wg_done(&wg);
}

int main(void)
{
	slot = goc_chan_make(sizeof(int), 1);
	goc_wg_init(&wg);
	goc_wg_add(&wg, 2);
	goc_go(user, NULL);
	goc_go(user, NULL);
	goc_wg_wait(&wg, GOC_FOREVER);
	goc_chan_free(slot);
	if (atomic_load(&failed)) {
		fprintf(stderr, "check-then-act: %d send(s) found the slot taken after len() said it was free\n",
		        atomic_load(&failed));
		return 1;
	}
	return 0;
}
