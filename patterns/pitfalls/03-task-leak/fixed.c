/*
 * 03-task-leak, fixed: the channel has room for every answer.
 *
 * With a buffer of REPLICAS, each replica's send completes at once whether
 * anyone receives it or not, and the task ends. (Go's idiom: make(chan T, n)
 * for n senders and one receiver; or cancel the losers through a context.)
 * main waits for the replicas before it frees the channel, so none is still
 * running at exit.
 *
 * Clean under: ThreadSanitizer, libgoc's leak check, ASan+UBSan.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { REPLICAS = 3 };

static goc_chan *answers; /* room for every replica's answer */
static goc_wg replicas;

static void ask_replica(void *arg)
{
	int answer = 42;
	goc_sleep((int64_t)(intptr_t)arg * 1000000); /* replica r answers after r ms */
	goc_chan_send(answers, &answer, GOC_FOREVER); /* never waits: there is a free slot */
	goc_wg_done(&replicas);
}

static int fastest(void)
{
	for (intptr_t r = 0; r < REPLICAS; r++) {
		goc_wg_add(&replicas, 1);
		goc_go(ask_replica, (void *)r);
	}
	int answer;
	goc_chan_recv(answers, &answer, GOC_FOREVER);
	return answer;
}

int main(void)
{
	answers = goc_chan_make(sizeof(int), REPLICAS);
	goc_wg_init(&replicas);
	int answer = fastest();
	goc_wg_wait(&replicas, GOC_FOREVER); /* every replica has sent and returned */
	printf("answer = %d\n", answer);
	goc_wg_destroy(&replicas);
	goc_chan_free(answers);
	return 0;
}
