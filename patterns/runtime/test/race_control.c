/*
 * race_control.c - negative controls for the race detector: deliberately
 * racy programs whose ctest entries pass only if ThreadSanitizer reports the
 * race, proving the detector is awake in the tsan build (with
 * halt_on_error=1 TSan exits 66 at the first report).
 *
 *   race_control counter   two tasks increment one plain int, no lock
 *   race_control no-edge   a task writes, main reads after a sleep: timing,
 *                          not a channel, orders them, which is no order
 *   race_control reuse     two tasks write one int in turn, ordered by time
 *                          alone, the second on the first one's thread (the
 *                          pool hands it the idle thread): sharing a thread
 *                          must not order them (each runs as a TSan fiber)
 *   race_control buffered-sends
 *                          on a channel of capacity 2, task A writes x then
 *                          sends; task B sends 50 ms later, then writes x.
 *                          The two sends fill different slots, and Go's
 *                          memory model orders neither before the other
 *                          (Go's -race reports this program): only the
 *                          per-slot edges of the lock-free ring let TSan
 *                          see the race, where one channel lock hid it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goc/goc.h"

/* reuse: tries until the second task lands on the first one's thread (it normally does at once). */
#define REUSE_ATTEMPTS 20

static int counter;       /* deliberately unguarded */
static long published;    /* deliberately unguarded */
/* Deliberately unguarded, one per attempt; not static, so that stores stay though nothing reads them. */
int in_turn[REUSE_ATTEMPTS];
/* The first task's kernel thread id (pthread_self() is handed on to a new thread once one exits). */
static atomic_int first_tid; /* relaxed: an observation, not an edge */
static atomic_bool reused;            /* relaxed: likewise */

static void write_first(void *p)
{
	atomic_store_explicit(&first_tid, (int)gettid(), memory_order_relaxed);
	in_turn[(uintptr_t)p] = 1;
}

/* Writes only on the first task's thread: elsewhere the race would prove nothing. */
static void write_second(void *p)
{
	if (atomic_load_explicit(&first_tid, memory_order_relaxed) != (int)gettid())
		return;
	atomic_store_explicit(&reused, true, memory_order_relaxed);
	fprintf(stderr, "race_control: the second task runs on the first task's thread\n");
	in_turn[(uintptr_t)p] = 2;
}

/* Wait until no task is live; the count orders nothing, so this is timing only. */
static void wait_idle(void)
{
	while (goc_tasks_live() != 0)
		goc_sleep(1000000);
	goc_sleep(10 * 1000000);
}
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
	} else if (argc == 2 && strcmp(argv[1], "reuse") == 0) {
		/* No read of in_turn here: only the two tasks' writes may race. */
		for (uintptr_t k = 0; k < REUSE_ATTEMPTS && !atomic_load(&reused); k++) {
			goc_go(write_first, (void *)k);
			wait_idle();
			goc_go(write_second, (void *)k);
			wait_idle();
		}
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
		fprintf(stderr, "usage: race_control counter|no-edge|reuse|buffered-sends\n");
		return 2;
	}
	goc_chan_free(done);
	return 0;
}
