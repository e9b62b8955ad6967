/*
 * 03-task-leak, bad: the tasks that lose a race block forever on their send.
 *
 * The story: fastest() asks three replicas at once and returns the first
 * answer. Each replica task sends its answer on an unbuffered channel, but
 * fastest() receives only one. The other two senders wait for a receiver
 * that never comes: two tasks (two threads, in libgoc) leak per call, until
 * the service runs out of them. Nothing fails; it just grows.
 *
 * Detector: libgoc's leak check (tsan and debug builds): at exit it reports
 * "goc: task leak: 2 task(s) still running at exit" and where they wait.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

enum { REPLICAS = 3 };

static goc_chan *answers; /* unbuffered: a send waits for its receiver */

static void ask_replica(void *arg)
{
	int answer = 42; /* every replica knows the answer */
	goc_sleep((int64_t)(intptr_t)arg * 1000000); /* replica r answers after r ms */
	goc_chan_send(answers, &answer, GOC_FOREVER); /* BUG: the losers wait here forever */
}

static int fastest(void)
{
	for (intptr_t r = 0; r < REPLICAS; r++)
		goc_go(ask_replica, (void *)r);
	int answer;
	goc_chan_recv(answers, &answer, GOC_FOREVER); /* the first answer; the rest are never taken */
	return answer;
}

int main(void)
{
	answers = goc_chan_make(sizeof(int), 0);
	int answer = fastest();
	goc_sleep(20 * 1000000); /* the other replicas have answered by now, into the void */
	printf("answer = %d, tasks still running: %zu\n", answer, goc_tasks_live());
	return 0; /* the channel is not freed: two tasks still wait on it */
}
