/*
 * 06-deadlock, bad: a send on an unbuffered channel with nobody to receive.
 *
 * The story: main sends a job on `jobs` and means to receive it back a line
 * later, treating the channel as a queue. But an unbuffered channel is a
 * rendezvous: the send waits for a receiver, and the only would-be receiver
 * is main itself, stuck in the send. Every task is asleep: a deadlock. Go's
 * runtime notices and dies with "all goroutines are asleep"; a C program
 * would hang silently.
 *
 * Detector: libgoc's deadlock detector (tsan and debug builds): "fatal
 * error: all goroutines are asleep - deadlock!", a dump, exit status 2.
 */
#include <stdio.h>

#include "goc/goc.h"

int main(void)
{
	goc_chan *jobs = goc_chan_make(sizeof(int), 0);
	int job = 1;
	goc_chan_send(jobs, &job, GOC_FOREVER); /* BUG: waits for a receiver that is us */
	goc_chan_recv(jobs, &job, GOC_FOREVER);
	printf("job %d\n", job);
	goc_chan_free(jobs);
	return 0;
}
