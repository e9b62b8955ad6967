/*
 * hello_goc.c - the smallest outside user of the installed libgoc: a task
 * sends 1..100 over an unbuffered channel and closes it, main receives until
 * the channel is closed and checks that the sum is 5050. Built by
 * install_test.cmake with the system cc and `pkg-config --cflags --libs goc`
 * against an installed copy, it proves that the installed headers, library
 * and goc.pc are enough to build a program. Exit 0 on success, 1 otherwise.
 */
#include <stdio.h>

#include <goc/goc.h>

enum { N = 100 };

/* Send 1..N, then close: the channel is the task's only output. */
static void producer(void *arg)
{
	goc_chan *ch = arg;
	for (int i = 1; i <= N; i++)
		goc_chan_send(ch, &i, GOC_FOREVER);
	goc_chan_close(ch);
}

int main(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	if (ch == NULL) {
		fprintf(stderr, "hello_goc: goc_chan_make: out of memory\n");
		return 1;
	}
	goc_status st = goc_go(producer, ch);
	if (st != GOC_OK) {
		fprintf(stderr, "hello_goc: goc_go: %s\n", goc_status_str(st));
		return 1;
	}

	long sum = 0;
	int v;
	while ((st = goc_chan_recv(ch, &v, GOC_FOREVER)) == GOC_OK)
		sum += v;
	/* The close happens-before this GOC_CLOSED, so the task is done with ch. */
	goc_chan_free(ch);

	if (st != GOC_CLOSED || sum != (long)N * (N + 1) / 2) {
		fprintf(stderr, "hello_goc: got sum %ld (%s), want %d (closed)\n",
			sum, goc_status_str(st), N * (N + 1) / 2);
		return 1;
	}
	printf("hello_goc: sum of 1..%d over a channel = %ld\n", N, sum);
	return 0;
}
