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
 *   race_control parked-sends
 *                          the same with a receiver parked in
 *                          goc_chan_recv() for each send, so that both
 *                          sends take the channel lock to hand it their
 *                          element: the lock must order nothing for TSan.
 *   race_control close-races-send
 *                          a task sends on a buffered channel with room;
 *                          main closes it 50 ms later, with no sync in
 *                          between. Go's -race reports it (close writes
 *                          the channel, send reads it); the send comes
 *                          first in time, so it does not panic.
 *   race_control waker-gets-nothing
 *                          a task writes z, then receives on an empty
 *                          buffered channel and parks; another sends
 *                          (completing the parked receive for it), then
 *                          writes z. In Go the receive is ordered before
 *                          send k + cap, not before this send: the sender
 *                          that completes a parked peer's case must not
 *                          take the peer's history.
 *
 * And their properly synchronized twins, which must stay clean (ctest
 * fails them on any TSan report):
 *   race_control close-after-sends
 *                          the sender is done (a WaitGroup) before close.
 *   race_control handoff-to-receiver
 *                          a task writes x and sends to a receiver parked
 *                          on a buffered channel, which reads x: the
 *                          sender's locked hand-off must carry the edge.
 *   race_control handoff-from-sender
 *                          a task writes y and sends on a full channel of
 *                          capacity 1, parking; main receives twice
 *                          (the first receive hands the parked element
 *                          into the ring) and reads y.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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

static goc_wg bumped; /* counter: both tasks did their increments */

static void bump(void *done)
{
	for (int i = 0; i < 100000; i++)
		counter++;
	/*
	 * Each task outlives the other's writes: TSan drops a report whose
	 * other access it can no longer trace, as when that task has ended
	 * (one preempted just before its first write finds only a finished
	 * task's writes). The edges come after every write, so they order none.
	 */
	goc_wg_done(&bumped);
	goc_wg_wait(&bumped, GOC_FOREVER);
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

static goc_chan *handed;     /* parked-sends: the receiver's channel */
static goc_wg receiver_done; /* parked-sends: the receiver got both */

/* Receives twice, parking each time (the senders come later). */
static void receive_twice(void *ch)
{
	goc_chan_recv(ch, NULL, GOC_FOREVER);
	goc_chan_recv(ch, NULL, GOC_FOREVER);
	goc_wg_done(&receiver_done);
}

static int y; /* handoff-*: written before a send, read after the receive */

static void write_send(void *ch)
{
	x = 1;
	goc_chan_send(ch, &(int){ 1 }, GOC_FOREVER);
}

static void recv_read(void *ch)
{
	int v = 0;
	goc_chan_recv(ch, &v, GOC_FOREVER);
	printf("x = %d, v = %d\n", x, v);
	goc_wg_done(&receiver_done);
}

static void fill_then_send(void *ch)
{
	goc_chan_send(ch, &(int){ 1 }, GOC_FOREVER);
	y = 2;
	goc_chan_send(ch, &(int){ 2 }, GOC_FOREVER); /* full: parks until main receives */
	goc_wg_done(&senders);
}

static int z; /* waker-gets-nothing: deliberately unguarded */

static void write_recv(void *ch)
{
	z = 1;
	goc_chan_recv(ch, NULL, GOC_FOREVER);
	goc_wg_done(&receiver_done);
}

static void send_write(void *ch)
{
	goc_chan_send(ch, &(int){ 1 }, GOC_FOREVER);
	z = 2;
	goc_wg_done(&senders);
}

static void send_once(void *ch)
{
	goc_chan_send(ch, &(int){ 7 }, GOC_FOREVER);
	goc_wg_done(&senders);
}

int main(int argc, char **argv)
{
	goc_chan *done = goc_chan_make(0, 2);
	if (argc == 2 && strcmp(argv[1], "counter") == 0) {
		goc_wg_init(&bumped);
		goc_wg_add(&bumped, 2);
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
	} else if (argc == 2 && strcmp(argv[1], "parked-sends") == 0) {
		handed = goc_chan_make(sizeof(int), 2);
		goc_wg_init(&senders);
		goc_wg_init(&receiver_done);
		goc_wg_add(&senders, 2);
		goc_wg_add(&receiver_done, 1);
		goc_go(receive_twice, handed);
		goc_sleep(20 * 1000000); /* let it park */
		goc_go(send_first, handed);
		goc_go(send_later, handed);
		goc_wg_wait(&senders, GOC_FOREVER);
		goc_wg_wait(&receiver_done, GOC_FOREVER);
		printf("x = %d\n", x);
		goc_wg_destroy(&senders);
		goc_wg_destroy(&receiver_done);
		goc_chan_free(handed);
	} else if (argc == 2 && (strcmp(argv[1], "close-races-send") == 0 ||
	                         strcmp(argv[1], "close-after-sends") == 0)) {
		bool ordered = strcmp(argv[1], "close-after-sends") == 0;
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		goc_wg_init(&senders);
		goc_wg_add(&senders, 1);
		goc_go(send_once, ch);
		if (ordered)
			goc_wg_wait(&senders, GOC_FOREVER);
		else
			goc_sleep(50 * 1000000); /* the send comes first in time only */
		goc_chan_close(ch);
		goc_wg_wait(&senders, GOC_FOREVER);
		int v = 0;
		goc_chan_recv(ch, &v, GOC_FOREVER);
		printf("v = %d\n", v);
		goc_wg_destroy(&senders);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "waker-gets-nothing") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		goc_wg_init(&senders);
		goc_wg_init(&receiver_done);
		goc_wg_add(&senders, 1);
		goc_wg_add(&receiver_done, 1);
		goc_go(write_recv, ch);
		goc_sleep(20 * 1000000); /* let it park */
		goc_go(send_write, ch);
		goc_wg_wait(&senders, GOC_FOREVER);
		goc_wg_wait(&receiver_done, GOC_FOREVER);
		printf("z = %d\n", z);
		goc_wg_destroy(&senders);
		goc_wg_destroy(&receiver_done);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "handoff-to-receiver") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		goc_wg_init(&receiver_done);
		goc_wg_add(&receiver_done, 1);
		goc_go(recv_read, ch);
		goc_sleep(20 * 1000000); /* let it park */
		goc_go(write_send, ch);
		goc_wg_wait(&receiver_done, GOC_FOREVER);
		goc_wg_destroy(&receiver_done);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "handoff-from-sender") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 1);
		goc_wg_init(&senders);
		goc_wg_add(&senders, 1);
		goc_go(fill_then_send, ch);
		goc_sleep(20 * 1000000); /* let it park on the full ring */
		int a = 0, b = 0;
		goc_chan_recv(ch, &a, GOC_FOREVER);
		goc_chan_recv(ch, &b, GOC_FOREVER);
		printf("y = %d, a = %d, b = %d\n", y, a, b);
		goc_wg_wait(&senders, GOC_FOREVER);
		goc_wg_destroy(&senders);
		goc_chan_free(ch);
	} else {
		fprintf(stderr, "usage: race_control counter|no-edge|reuse|buffered-sends|parked-sends|"
		                "close-races-send|waker-gets-nothing|close-after-sends|handoff-to-receiver|"
		                "handoff-from-sender\n");
		return 2;
	}
	printf("done %s\n", argv[1]);
	goc_chan_free(done);
	return 0;
}
