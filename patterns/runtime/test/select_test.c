/*
 * select_test.c - goc_select(), one test per rule of select.h: default,
 * timeout, ready cases, NULL and closed channels, repeated channels, send and
 * receive cases, no cases, many cases, and wake-ups of a blocked select.
 */
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

static void test_select_nothing_ready_nowait_wouldblock(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 1);
	int x = 5, y = 6;
	goc_case cs[] = { GOC_RECV_CASE(a, &x), GOC_RECV_CASE(b, &y) };
	size_t chosen = 99;
	assert_int_equal(goc_select(cs, 2, GOC_NOWAIT, &chosen), GOC_WOULDBLOCK);
	assert_int_equal(chosen, 99);
	assert_int_equal(x, 5);
	assert_int_equal(y, 6);
	goc_chan_free(a);
	goc_chan_free(b);
}

static void test_select_nothing_ready_deadline_times_out(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 0);
	int v = 1;
	goc_case cs[] = { GOC_RECV_CASE(a, NULL), GOC_SEND_CASE(a, &v) };
	int64_t deadline = goc_deadline_after(20 * 1000000);
	assert_int_equal(goc_select(cs, 2, deadline, NULL), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	/* The timed-out select left no waiter behind: a NOWAIT send finds no receiver. */
	assert_int_equal(goc_chan_send(a, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	goc_chan_free(a);
}

static void test_select_ready_recv_chosen_with_value(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 1), *b = goc_chan_make(sizeof(int), 1);
	int v = 17, x = 0, y = 0;
	assert_int_equal(goc_chan_send(b, &v, GOC_NOWAIT), GOC_OK);
	goc_case cs[] = { GOC_RECV_CASE(a, &x), GOC_RECV_CASE(b, &y) };
	size_t chosen = 99;
	assert_int_equal(goc_select(cs, 2, GOC_NOWAIT, &chosen), GOC_OK);
	assert_int_equal(chosen, 1);
	assert_int_equal(y, 17);
	assert_int_equal(x, 0);
	goc_chan_free(a);
	goc_chan_free(b);
}

static void test_select_ready_send_chosen(void **state)
{
	(void)state;
	goc_chan *full = goc_chan_make(sizeof(int), 1), *room = goc_chan_make(sizeof(int), 1);
	int v = 3, got = 0;
	assert_int_equal(goc_chan_send(full, &v, GOC_NOWAIT), GOC_OK);
	int w = 4;
	goc_case cs[] = { GOC_SEND_CASE(full, &w), GOC_SEND_CASE(room, &w) };
	size_t chosen = 99;
	assert_int_equal(goc_select(cs, 2, GOC_NOWAIT, &chosen), GOC_OK);
	assert_int_equal(chosen, 1);
	assert_int_equal(goc_chan_recv(room, &got, GOC_NOWAIT), GOC_OK);
	assert_int_equal(got, 4);
	goc_chan_free(full);
	goc_chan_free(room);
}

static void test_select_nil_case_never_ready(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 1);
	int v = 8, x = 0;
	assert_int_equal(goc_chan_send(a, &v, GOC_NOWAIT), GOC_OK);
	goc_case cs[] = { GOC_RECV_CASE(NULL, &x), GOC_SEND_CASE(NULL, &v), GOC_RECV_CASE(a, &x) };
	for (int i = 0; i < 50; i++) {
		size_t chosen = 99;
		goc_status st = goc_select(cs, 3, GOC_NOWAIT, &chosen);
		if (i == 0) {
			assert_int_equal(st, GOC_OK);
			assert_int_equal(chosen, 2);
			assert_int_equal(x, 8);
		} else {
			assert_int_equal(st, GOC_WOULDBLOCK);
		}
	}
	goc_chan_free(a);
}

static void test_select_closed_recv_always_ready(void **state)
{
	(void)state;
	goc_chan *open = goc_chan_make(sizeof(int), 0), *closed = goc_chan_make(sizeof(int), 0);
	goc_chan_close(closed);
	for (int i = 0; i < 20; i++) {
		int x = 123;
		goc_case cs[] = { GOC_RECV_CASE(open, NULL), GOC_RECV_CASE(closed, &x) };
		size_t chosen = 99;
		assert_int_equal(goc_select(cs, 2, GOC_FOREVER, &chosen), GOC_CLOSED);
		assert_int_equal(chosen, 1);
		assert_int_equal(x, 0);
	}
	goc_chan_free(open);
	goc_chan_free(closed);
}

static void test_select_no_cases_waits_for_deadline(void **state)
{
	(void)state;
	assert_int_equal(goc_select(NULL, 0, GOC_NOWAIT, NULL), GOC_WOULDBLOCK);
	int64_t deadline = goc_deadline_after(15 * 1000000);
	assert_int_equal(goc_select(NULL, 0, deadline, NULL), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	goc_case nils[] = { GOC_RECV_CASE(NULL, NULL) };
	deadline = goc_deadline_after(15 * 1000000);
	assert_int_equal(goc_select(nils, 1, deadline, NULL), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
}

static void test_select_same_channel_in_several_cases(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 4);
	int one = 1, two = 2, got = 0;
	goc_case cs[] = { GOC_SEND_CASE(a, &one), GOC_SEND_CASE(a, &two), GOC_RECV_CASE(a, &got) };
	int seen_send[2] = { 0, 0 };
	int sum_sent = 0, sum_got = 0, recvs = 0;
	for (int i = 0; i < 200; i++) {
		size_t chosen = 99;
		assert_int_equal(goc_select(cs, 3, GOC_NOWAIT, &chosen), GOC_OK);
		if (chosen < 2) {
			seen_send[chosen]++;
			sum_sent += chosen == 0 ? 1 : 2;
		} else {
			sum_got += got;
			recvs++;
		}
	}
	int rest;
	while (goc_chan_recv(a, &rest, GOC_NOWAIT) == GOC_OK)
		sum_got += rest;
	assert_int_equal(sum_got, sum_sent);
	assert_true(seen_send[0] > 0 && seen_send[1] > 0 && recvs > 0);
	goc_chan_free(a);
}

typedef struct feeder {
	goc_chan *ch;
	int value;
	int64_t delay_ns;
} feeder;

static void feed_later(void *p)
{
	feeder *f = p;
	goc_sleep(f->delay_ns);
	goc_chan_send(f->ch, &f->value, GOC_FOREVER);
}

static void test_select_blocked_woken_by_sender_on_one_channel(void **state)
{
	(void)state;
	enum { N = 6 };
	goc_chan *chans[N];
	goc_case cs[N];
	int vals[N] = { 0 };
	for (int i = 0; i < N; i++) {
		chans[i] = goc_chan_make(sizeof(int), (size_t)(i % 2));
		cs[i] = GOC_RECV_CASE(chans[i], &vals[i]);
	}
	feeder f = { .ch = chans[4], .value = 444, .delay_ns = 20 * 1000000 };
	assert_int_equal(goc_go(feed_later, &f), GOC_OK);
	size_t chosen = 99;
	assert_int_equal(goc_select(cs, N, goc_test_ms(10000), &chosen), GOC_OK);
	assert_int_equal(chosen, 4);
	assert_int_equal(vals[4], 444);
	goc_test_assert_no_leaks();
	/* The other channels hold no stale waiter of ours. */
	for (int i = 0; i < N; i++) {
		int v = 1;
		if (i % 2 == 0)
			assert_int_equal(goc_chan_send(chans[i], &v, GOC_NOWAIT), GOC_WOULDBLOCK);
		goc_chan_free(chans[i]);
	}
}

typedef struct taker {
	goc_chan *ch;
	int got;
	goc_chan *done;
} taker;

static void take_later(void *p)
{
	taker *t = p;
	goc_sleep(20 * 1000000);
	goc_chan_recv(t->ch, &t->got, GOC_FOREVER);
	goc_chan_send(t->done, NULL, GOC_FOREVER);
}

static void test_select_blocked_send_woken_by_receiver(void **state)
{
	(void)state;
	taker t = { .ch = goc_chan_make(sizeof(int), 0), .done = goc_chan_make(0, 1) };
	goc_chan *never = goc_chan_make(sizeof(int), 0);
	assert_int_equal(goc_go(take_later, &t), GOC_OK);
	int v = 99;
	goc_case cs[] = { GOC_RECV_CASE(never, NULL), GOC_SEND_CASE(t.ch, &v) };
	size_t chosen = 9;
	assert_int_equal(goc_select(cs, 2, goc_test_ms(10000), &chosen), GOC_OK);
	assert_int_equal(chosen, 1);
	assert_int_equal(goc_chan_recv(t.done, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(t.got, 99);
	goc_test_assert_no_leaks();
	goc_chan_free(t.ch);
	goc_chan_free(t.done);
	goc_chan_free(never);
}

static void closer_later(void *p)
{
	goc_sleep(20 * 1000000);
	goc_chan_close(p);
}

static void test_select_blocked_recv_woken_by_close(void **state)
{
	(void)state;
	goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 3);
	int x = 5, y = 6;
	assert_int_equal(goc_go(closer_later, b), GOC_OK);
	goc_case cs[] = { GOC_RECV_CASE(a, &x), GOC_RECV_CASE(b, &y) };
	size_t chosen = 9;
	assert_int_equal(goc_select(cs, 2, goc_test_ms(10000), &chosen), GOC_CLOSED);
	assert_int_equal(chosen, 1);
	assert_int_equal(y, 0);
	assert_int_equal(x, 5);
	goc_test_assert_no_leaks();
	goc_chan_free(a);
	goc_chan_free(b);
}

typedef struct dup_select {
	goc_chan *ch;
	goc_chan *done;
} dup_select;

/* One select sending and receiving on the same unbuffered channel. */
static void select_send_recv_same(void *p)
{
	dup_select *d = p;
	int v = 1, got;
	goc_case cs[] = { GOC_SEND_CASE(d->ch, &v), GOC_RECV_CASE(d->ch, &got) };
	goc_select(cs, 2, GOC_FOREVER, NULL);
	goc_chan_send(d->done, NULL, GOC_FOREVER);
}

/*
 * The peer of a select with two cases on one channel may free the channel
 * as soon as its own call returns: the woken select must not touch it
 * again (ASan and TSan see it if it does).
 */
static void test_select_two_cases_one_channel_peer_frees_at_once(void **state)
{
	(void)state;
	goc_chan *done = goc_chan_make(0, 1);
	for (int i = 0; i < 200; i++) {
		dup_select d = { goc_chan_make(sizeof(int), 0), done };
		assert_int_equal(goc_go(select_send_recv_same, &d), GOC_OK);
		/* Let the select queue itself first, most of the time. */
		goc_sleep(i % 2 * 200000);
		/* A rendezvous either way: the select fired its send or its receive case. */
		int got = 0, v = 2;
		if (i % 3 == 0) {
			assert_int_equal(goc_chan_send(d.ch, &v, goc_test_ms(10000)), GOC_OK);
		} else {
			assert_int_equal(goc_chan_recv(d.ch, &got, goc_test_ms(10000)), GOC_OK);
			assert_int_equal(got, 1);
		}
		goc_chan_free(d.ch);
		assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(10000)), GOC_OK);
	}
	goc_test_assert_no_leaks();
	goc_chan_free(done);
}

typedef struct one_shot {
	goc_chan *ch;    /* unbuffered; this task frees it */
	bool sends;      /* send 7 on ch, else receive from it */
	int got;         /* what it received; read after `done` */
	goc_chan *done;
} one_shot;

/* One send or receive on ch, then free ch at once: its own call has returned. */
static void one_shot_then_free(void *p)
{
	one_shot *o = p;
	int v = 7;
	if (o->sends)
		goc_chan_send(o->ch, &v, GOC_FOREVER);
	else
		goc_chan_recv(o->ch, &o->got, GOC_FOREVER);
	goc_chan_free(o->ch);
	goc_chan_send(o->done, NULL, GOC_FOREVER);
}

/*
 * A select over a blocked buffered case and an unbuffered one watches the
 * ring and polls the unbuffered case now and then before it queues: a peer
 * arriving at any point of that (no delay here, so every phase is hit over
 * the rounds) completes the unbuffered case exactly once, in both
 * directions, and may free its channel as soon as its call returns (ASan
 * and TSan see a select that touches it after).
 */
static void test_select_mixed_cases_peer_on_unbuffered_frees_at_once(void **state)
{
	(void)state;
	goc_chan *done = goc_chan_make(0, 1);
	goc_chan *empty = goc_chan_make(sizeof(int), 4); /* a receive from it blocks */
	goc_chan *full = goc_chan_make(sizeof(int), 1);  /* a send to it blocks */
	int filler = 1;
	assert_int_equal(goc_chan_send(full, &filler, GOC_NOWAIT), GOC_OK);
	long rounds = goc_test_scaled(2000);
	for (long i = 0; i < rounds; i++) {
		one_shot o = { .ch = goc_chan_make(sizeof(int), 0), .sends = i % 2 == 0, .done = done };
		assert_int_equal(goc_go(one_shot_then_free, &o), GOC_OK);
		int got = 0, v = 9, untouched = -1;
		goc_case recv_cases[] = { GOC_RECV_CASE(empty, &untouched), GOC_RECV_CASE(o.ch, &got) };
		goc_case send_cases[] = { GOC_SEND_CASE(full, &v), GOC_SEND_CASE(o.ch, &v) };
		size_t chosen = 9;
		assert_int_equal(goc_select(o.sends ? recv_cases : send_cases, 2, goc_test_ms(10000), &chosen), GOC_OK);
		assert_int_equal(chosen, 1);
		assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(10000)), GOC_OK);
		if (o.sends)
			assert_int_equal(got, 7);
		else
			assert_int_equal(o.got, 9);
		assert_int_equal(untouched, -1);
	}
	assert_int_equal(goc_chan_len(empty), 0);
	assert_int_equal(goc_chan_len(full), 1);
	goc_test_assert_no_leaks();
	goc_chan_free(done);
	goc_chan_free(empty);
	goc_chan_free(full);
}

/* More cases than fit the stack bookkeeping: the heap path. */
static void test_select_many_cases_uses_every_case(void **state)
{
	(void)state;
	enum { N = 40 };
	goc_chan *chans[N];
	goc_case cs[N];
	int slot = 0;
	for (int i = 0; i < N; i++) {
		chans[i] = goc_chan_make(sizeof(int), 1);
		cs[i] = GOC_RECV_CASE(chans[i], &slot);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_chan_send(chans[i], &i, GOC_NOWAIT), GOC_OK);
	bool seen[N] = { false };
	for (int k = 0; k < N; k++) {
		size_t chosen = 999;
		assert_int_equal(goc_select(cs, N, GOC_NOWAIT, &chosen), GOC_OK);
		assert_true(chosen < N);
		assert_false(seen[chosen]);
		assert_int_equal(slot, (int)chosen);
		seen[chosen] = true;
	}
	assert_int_equal(goc_select(cs, N, GOC_NOWAIT, NULL), GOC_WOULDBLOCK);
	feeder f = { .ch = chans[33], .value = 33, .delay_ns = 10 * 1000000 };
	assert_int_equal(goc_go(feed_later, &f), GOC_OK);
	size_t chosen = 0;
	assert_int_equal(goc_select(cs, N, goc_test_ms(10000), &chosen), GOC_OK);
	assert_int_equal(chosen, 33);
	goc_test_assert_no_leaks();
	for (int i = 0; i < N; i++)
		goc_chan_free(chans[i]);
}

/*
 * Deadlines at the edge, over a full buffered channel and an unbuffered one
 * (Go's `select { case work <- v: case <-ctx.Done(): }` with a timeout):
 * nothing is ever ready, so every call must time out, whether its deadline
 * is already past, passes while the select decides, or is a few hundred ns
 * ahead. Deadlines that pass between two reads of the clock once sent such
 * a select down the all-buffered path, which read the unbuffered channel's
 * (absent) ring.
 */
static void test_select_mixed_deadline_edge_times_out(void **state)
{
	(void)state;
	goc_chan *work = goc_chan_make(sizeof(long), 1), *done = goc_chan_make(0, 0);
	long v = 1;
	assert_int_equal(goc_chan_send(work, &v, GOC_NOWAIT), GOC_OK);
	for (int send_first = 0; send_first < 2; send_first++) {
		goc_case cs[2] = { GOC_SEND_CASE(work, &v), GOC_RECV_CASE(done, NULL) };
		if (!send_first) {
			goc_case t = cs[0];
			cs[0] = cs[1];
			cs[1] = t;
		}
		long failures = 0;
		for (long i = 0; i < goc_test_scaled(100000); i++) {
			size_t chosen = 99;
			if (goc_select(cs, 2, goc_now() + (int64_t)(i % 400), &chosen) != GOC_TIMEOUT || chosen != 99)
				failures++;
		}
		assert_int_equal(failures, 0);
	}
	assert_int_equal(goc_chan_len(work), 1);
	goc_chan_free(work);
	goc_chan_free(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_select_nothing_ready_nowait_wouldblock),
		GOC_TEST(test_select_nothing_ready_deadline_times_out),
		GOC_TEST(test_select_ready_recv_chosen_with_value),
		GOC_TEST(test_select_ready_send_chosen),
		GOC_TEST(test_select_nil_case_never_ready),
		GOC_TEST(test_select_closed_recv_always_ready),
		GOC_TEST(test_select_no_cases_waits_for_deadline),
		GOC_TEST(test_select_same_channel_in_several_cases),
		GOC_TEST(test_select_blocked_woken_by_sender_on_one_channel),
		GOC_TEST(test_select_blocked_send_woken_by_receiver),
		GOC_TEST(test_select_blocked_recv_woken_by_close),
		GOC_TEST(test_select_two_cases_one_channel_peer_frees_at_once),
		GOC_TEST(test_select_many_cases_uses_every_case),
		GOC_TEST(test_select_mixed_cases_peer_on_unbuffered_frees_at_once),
		GOC_TEST(test_select_mixed_deadline_edge_times_out),
	};
	return cmocka_run_group_tests_name("select", tests, NULL, NULL);
}
