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
 *   race_control send-races-parked-recv
 *                          main parks in goc_chan_recv() on an unbuffered
 *                          channel; a task sends &handed_v to it while
 *                          another task writes handed_v. The sender copies
 *                          handed_v into main's element under the channel
 *                          lock: that read is checked all the same, as Go's
 *                          race detector checks a send's element.
 *   race_control recv-races-parked-send
 *                          main parks in goc_chan_send(&parked_v) on an
 *                          unbuffered channel; a task receives, copying
 *                          parked_v out of main's element under the lock,
 *                          while another task writes parked_v.
 *   race_control close-races-parked-recv
 *                          main parks in goc_chan_recv(&closed_dst) on an
 *                          unbuffered channel; a task closes it while
 *                          another writes closed_dst: the receive's zero
 *                          value is a write of closed_dst.
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
 *   race_control send-to-parked-recv
 *                          main writes handed_dst, then parks receiving
 *                          into it; a task writes handed_v and sends it:
 *                          the sender's copy comes after main's write, and
 *                          main's read of handed_dst after the copy.
 *   race_control recv-from-parked-send
 *                          main writes parked_v, sends it and parks, then
 *                          writes parked_v again; a task receives it: the
 *                          receiver's copy comes between main's two writes.
 *   race_control close-to-parked-recv
 *                          main writes closed_dst, parks receiving into it,
 *                          and reads the zero value after a task's close.
 *
 * A control that needs a peer parked waits until its waiter is queued on
 * the channel (wait_parked(): white-box, read under the channel lock, which
 * orders nothing for TSan), not for a while: on a slow machine a sleep may
 * end before the peer parks, and the operation would take the fast path.
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
#include "goc_internal.h"

/* reuse: tries until the second task lands on the first one's thread (it normally does at once). */
#define REUSE_ATTEMPTS 20

/*
 * Wait until a waiter of direction dir is queued on ch: the operation that
 * follows finds a parked peer. Read under the channel lock, which orders
 * nothing for TSan and hides nothing (lock.c): the poll is timing only.
 */
static void wait_parked(goc_chan *ch, goc_dir dir)
{
	for (;;) {
		goc__lock_acquire(&ch->mu);
		bool queued = (dir == GOC_SEND ? ch->sendq.head : ch->recvq.head) != NULL;
		goc__lock_release(&ch->mu);
		if (queued)
			return;
		goc_sleep(100000);
	}
}

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

static goc_chan *handed;     /* parked-sends: the receiver's channel */
static atomic_bool first_sent; /* parked-sends: relaxed, an observation, not an edge */

static void send_first(void *ch)
{
	x = 1;
	goc_chan_send(ch, &(int){ 0 }, GOC_FOREVER);
	atomic_store_explicit(&first_sent, true, memory_order_relaxed);
	goc_wg_done(&senders);
}

static void send_later(void *ch)
{
	if (ch == handed) {
		/* parked-sends: after the first send, once the receiver parked again. */
		while (!atomic_load_explicit(&first_sent, memory_order_relaxed))
			goc_sleep(100000);
		wait_parked(ch, GOC_RECV);
	} else {
		goc_sleep(50 * 1000000);
	}
	goc_chan_send(ch, &(int){ 0 }, GOC_FOREVER);
	x = 2;
	goc_wg_done(&senders);
}

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

/* Deliberately unguarded: the user memory that the parked-peer controls copy. */
int handed_v, handed_dst, parked_v, closed_dst;
static goc_wg writer_done; /* the racing writer is done */
static bool racing;        /* *-races-parked-*: a task writes the copied memory meanwhile */

/* The racing writer: 2 into the int at p, one of the globals above. */
static void write_racing(void *p)
{
	*(int *)p = 2;
	goc_wg_done(&writer_done);
}

/* send-*-parked-recv: send &handed_v to main, parked; racing: while a task writes it. */
static void send_to_parked(void *ch)
{
	wait_parked(ch, GOC_RECV);
	if (racing)
		goc_go(write_racing, &handed_v);
	else
		handed_v = 1;
	goc_chan_send(ch, &handed_v, GOC_FOREVER);
	goc_wg_done(&senders);
}

/* recv-*-parked-send: receive from main, parked on &parked_v; racing: while a task writes it. */
static void recv_from_parked(void *ch)
{
	wait_parked(ch, GOC_SEND);
	if (racing)
		goc_go(write_racing, &parked_v);
	int v = 0;
	goc_chan_recv(ch, &v, GOC_FOREVER);
	printf("received %d\n", v);
	goc_wg_done(&receiver_done);
}

/* close-*-parked-recv: close main's channel, main parked; racing: while a task writes closed_dst. */
static void close_parked(void *ch)
{
	wait_parked(ch, GOC_RECV);
	if (racing)
		goc_go(write_racing, &closed_dst);
	goc_chan_close(ch);
	goc_wg_done(&senders);
}

/* A WaitGroup that expects n dones; waited for and destroyed by wg_finish(). */
static void wg_expect(goc_wg *wg, int n)
{
	goc_wg_init(wg);
	goc_wg_add(wg, n);
}

static void wg_finish(goc_wg *wg)
{
	goc_wg_wait(wg, GOC_FOREVER);
	goc_wg_destroy(wg);
}

int main(int argc, char **argv)
{
	goc_chan *done = goc_chan_make(0, 2);
	if (argc == 2 && strcmp(argv[1], "counter") == 0) {
		wg_expect(&bumped, 2);
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
		wg_expect(&senders, 2);
		goc_go(send_first, ch);
		goc_go(send_later, ch);
		wg_finish(&senders);
		goc_chan_recv(ch, NULL, GOC_FOREVER);
		goc_chan_recv(ch, NULL, GOC_FOREVER);
		printf("x = %d\n", x);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "parked-sends") == 0) {
		handed = goc_chan_make(sizeof(int), 2);
		wg_expect(&senders, 2);
		wg_expect(&receiver_done, 1);
		goc_go(receive_twice, handed);
		wait_parked(handed, GOC_RECV);
		goc_go(send_first, handed);
		goc_go(send_later, handed);
		wg_finish(&senders);
		wg_finish(&receiver_done);
		printf("x = %d\n", x);
		goc_chan_free(handed);
	} else if (argc == 2 && (strcmp(argv[1], "close-races-send") == 0 ||
	                         strcmp(argv[1], "close-after-sends") == 0)) {
		bool ordered = strcmp(argv[1], "close-after-sends") == 0;
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		wg_expect(&senders, 1);
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
		wg_expect(&senders, 1);
		wg_expect(&receiver_done, 1);
		goc_go(write_recv, ch);
		wait_parked(ch, GOC_RECV);
		goc_go(send_write, ch);
		wg_finish(&senders);
		wg_finish(&receiver_done);
		printf("z = %d\n", z);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "handoff-to-receiver") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 2);
		wg_expect(&receiver_done, 1);
		goc_go(recv_read, ch);
		wait_parked(ch, GOC_RECV);
		goc_go(write_send, ch);
		wg_finish(&receiver_done);
		goc_chan_free(ch);
	} else if (argc == 2 && strcmp(argv[1], "handoff-from-sender") == 0) {
		goc_chan *ch = goc_chan_make(sizeof(int), 1);
		wg_expect(&senders, 1);
		goc_go(fill_then_send, ch);
		wait_parked(ch, GOC_SEND); /* on the full ring */
		int a = 0, b = 0;
		goc_chan_recv(ch, &a, GOC_FOREVER);
		goc_chan_recv(ch, &b, GOC_FOREVER);
		printf("y = %d, a = %d, b = %d\n", y, a, b);
		wg_finish(&senders);
		goc_chan_free(ch);
	} else if (argc == 2 && (strcmp(argv[1], "send-races-parked-recv") == 0 ||
	                         strcmp(argv[1], "send-to-parked-recv") == 0)) {
		racing = strcmp(argv[1], "send-races-parked-recv") == 0;
		goc_chan *ch = goc_chan_make(sizeof(int), 0);
		wg_expect(&senders, 1);
		wg_expect(&writer_done, racing);
		goc_go(send_to_parked, ch);
		handed_dst = -1; /* after the task's start: only the hand-off orders it before the copy */
		goc_chan_recv(ch, &handed_dst, GOC_FOREVER);
		if (!racing)
			printf("handed_dst = %d\n", handed_dst);
		wg_finish(&senders);
		wg_finish(&writer_done);
		goc_chan_free(ch);
	} else if (argc == 2 && (strcmp(argv[1], "recv-races-parked-send") == 0 ||
	                         strcmp(argv[1], "recv-from-parked-send") == 0)) {
		racing = strcmp(argv[1], "recv-races-parked-send") == 0;
		goc_chan *ch = goc_chan_make(sizeof(int), 0);
		wg_expect(&receiver_done, 1);
		wg_expect(&writer_done, racing);
		goc_go(recv_from_parked, ch);
		if (!racing)
			parked_v = 1; /* after the task's start: only the hand-off orders it before the copy */
		goc_chan_send(ch, &parked_v, GOC_FOREVER);
		if (!racing)
			parked_v = 3; /* the receiver's copy must come before this */
		wg_finish(&receiver_done);
		wg_finish(&writer_done);
		goc_chan_free(ch);
	} else if (argc == 2 && (strcmp(argv[1], "close-races-parked-recv") == 0 ||
	                         strcmp(argv[1], "close-to-parked-recv") == 0)) {
		racing = strcmp(argv[1], "close-races-parked-recv") == 0;
		goc_chan *ch = goc_chan_make(sizeof(int), 0);
		wg_expect(&senders, 1);
		wg_expect(&writer_done, racing);
		goc_go(close_parked, ch);
		if (!racing)
			closed_dst = -1; /* after the task's start: the receive's zeroing must come after it */
		goc_status st = goc_chan_recv(ch, &closed_dst, GOC_FOREVER);
		if (!racing)
			printf("%s, closed_dst = %d\n", goc_status_str(st), closed_dst);
		wg_finish(&senders);
		wg_finish(&writer_done);
		goc_chan_free(ch);
	} else {
		fprintf(stderr, "usage: race_control counter|no-edge|reuse|buffered-sends|parked-sends|"
		                "close-races-send|waker-gets-nothing|send-races-parked-recv|"
		                "recv-races-parked-send|close-races-parked-recv|close-after-sends|"
		                "handoff-to-receiver|handoff-from-sender|send-to-parked-recv|"
		                "recv-from-parked-send|close-to-parked-recv\n");
		return 2;
	}
	printf("done %s\n", argv[1]);
	goc_chan_free(done);
	return 0;
}
