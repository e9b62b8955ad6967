/*
 * chan_test.c - channels, one test per rule of chan.h: rendezvous, FIFO,
 * blocking at the edges, deadlines, close and drain, nil channels, element
 * sizes, and the happens-before edges (plain data TSan would flag).
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "goc/goc.h"
#include "goc_test.h"

/* ---- helpers run as tasks --------------------------------------------- */

typedef struct sender {
	goc_chan *ch;
	int value;
	atomic_bool sent;     /* set once goc_chan_send returned */
	goc_status status;    /* read by the test after `done` */
	goc_chan *done;       /* receives one int when the task ends */
} sender;

static void send_task(void *p)
{
	sender *s = p;
	s->status = goc_chan_send(s->ch, &s->value, GOC_FOREVER);
	atomic_store(&s->sent, true);
	int one = 1;
	goc_chan_send(s->done, &one, GOC_FOREVER);
}

typedef struct receiver {
	goc_chan *ch;
	int value;
	goc_status status;
	goc_chan *done;
} receiver;

static void recv_task(void *p)
{
	receiver *r = p;
	r->status = goc_chan_recv(r->ch, &r->value, GOC_FOREVER);
	int one = 1;
	goc_chan_send(r->done, &one, GOC_FOREVER);
}

static void wait_done(goc_chan *done, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(10000)), GOC_OK);
}

/* ---- tests -------------------------------------------------------------- */

static void test_chan_make_reports_cap_and_elem_size(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(double), 7);
	assert_non_null(ch);
	assert_int_equal(goc_chan_cap(ch), 7);
	assert_int_equal(goc_chan_elem_size(ch), sizeof(double));
	assert_int_equal(goc_chan_len(ch), 0);
	goc_chan_free(ch);
	goc_chan_free(NULL);
}

static void test_chan_unbuffered_send_waits_for_receiver(void **state)
{
	(void)state;
	sender s = { .ch = goc_chan_make(sizeof(int), 0), .value = 42, .done = goc_chan_make(sizeof(int), 1) };
	assert_int_equal(goc_go(send_task, &s), GOC_OK);
	goc_sleep(50 * 1000000);
	/* No receiver yet: a rendezvous send must still be waiting. */
	assert_false(atomic_load(&s.sent));
	assert_int_equal(goc_chan_len(s.ch), 0);
	int got = 0;
	assert_int_equal(goc_chan_recv(s.ch, &got, GOC_FOREVER), GOC_OK);
	assert_int_equal(got, 42);
	wait_done(s.done, 1);
	assert_true(atomic_load(&s.sent));
	assert_int_equal(s.status, GOC_OK);
	goc_chan_free(s.ch);
	goc_chan_free(s.done);
}

static void test_chan_unbuffered_recv_waits_for_sender(void **state)
{
	(void)state;
	receiver r = { .ch = goc_chan_make(sizeof(int), 0), .done = goc_chan_make(sizeof(int), 1) };
	assert_int_equal(goc_go(recv_task, &r), GOC_OK);
	goc_sleep(20 * 1000000);
	int v = 7;
	assert_int_equal(goc_chan_send(r.ch, &v, GOC_FOREVER), GOC_OK);
	wait_done(r.done, 1);
	assert_int_equal(r.status, GOC_OK);
	assert_int_equal(r.value, 7);
	goc_chan_free(r.ch);
	goc_chan_free(r.done);
}

/* Retry an unbuffered GOC_NOWAIT operation until a peer completes it; its last status. */
static goc_status nowait_until_done(goc_chan *ch, goc_dir dir, int *v)
{
	int64_t give_up = goc_deadline_after(10 * 1000000000LL);
	goc_status st;
	while ((st = dir == GOC_SEND ? goc_chan_send(ch, v, GOC_NOWAIT) : goc_chan_recv(ch, v, GOC_NOWAIT)) ==
	       GOC_WOULDBLOCK && goc_now() < give_up)
		sched_yield();
	return st;
}

/*
 * GOC_NOWAIT on an unbuffered channel: blocks (WOULDBLOCK, element
 * untouched) with no peer queued, completes with a queued one, and reports
 * a close, whichever way the channel is found (the lock, or the check
 * before it).
 */
static void test_chan_unbuffered_nowait_needs_a_queued_peer(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	int v = 5;
	assert_int_equal(goc_chan_send(ch, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(goc_chan_recv(ch, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(v, 5);

	receiver r = { .ch = ch, .done = goc_chan_make(sizeof(int), 1) };
	assert_int_equal(goc_go(recv_task, &r), GOC_OK);
	v = 11;
	assert_int_equal(nowait_until_done(ch, GOC_SEND, &v), GOC_OK);
	wait_done(r.done, 1);
	assert_int_equal(r.status, GOC_OK);
	assert_int_equal(r.value, 11);

	sender s = { .ch = ch, .value = 12, .done = r.done };
	assert_int_equal(goc_go(send_task, &s), GOC_OK);
	v = 0;
	assert_int_equal(nowait_until_done(ch, GOC_RECV, &v), GOC_OK);
	assert_int_equal(v, 12);
	wait_done(s.done, 1);
	assert_int_equal(s.status, GOC_OK);

	goc_chan_close(ch);
	v = 99;
	assert_int_equal(goc_chan_recv(ch, &v, GOC_NOWAIT), GOC_CLOSED);
	assert_int_equal(v, 0);
	goc_chan_free(ch);
	goc_chan_free(r.done);
}

typedef struct counting_peer {
	goc_chan *ch;
	int n;
	long long sum;     /* a receiver's sum of what it got; read after `done` */
	bool in_order;     /* a receiver's: got 1..n in order */
	goc_chan *done;
} counting_peer;

static void count_send_task(void *p)
{
	counting_peer *c = p;
	for (int i = 1; i <= c->n; i++)
		goc_chan_send(c->ch, &i, GOC_FOREVER);
	goc_chan_send(c->done, NULL, GOC_FOREVER);
}

static void count_recv_task(void *p)
{
	counting_peer *c = p;
	c->in_order = true;
	for (int i = 1; i <= c->n; i++) {
		int v = 0;
		goc_chan_recv(c->ch, &v, GOC_FOREVER);
		c->sum += v;
		c->in_order &= v == i;
	}
	goc_chan_send(c->done, NULL, GOC_FOREVER);
}

/*
 * Every GOC_NOWAIT attempt against a peer that parks and unparks each
 * time either completes with it or leaves both sides as they were: nothing
 * lost, repeated or reordered, whichever side polls.
 */
static void test_chan_unbuffered_nowait_polling_loses_nothing(void **state)
{
	(void)state;
	int n = (int)goc_test_scaled(20000);
	counting_peer c = { .ch = goc_chan_make(sizeof(int), 0), .n = n, .done = goc_chan_make(0, 1) };
	assert_int_equal(goc_go(count_send_task, &c), GOC_OK);
	for (int i = 1; i <= n; i++) {
		int v = 0;
		assert_int_equal(nowait_until_done(c.ch, GOC_RECV, &v), GOC_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(goc_chan_recv(c.done, NULL, goc_test_ms(10000)), GOC_OK);

	assert_int_equal(goc_go(count_recv_task, &c), GOC_OK);
	for (int i = 1; i <= n; i++)
		assert_int_equal(nowait_until_done(c.ch, GOC_SEND, &i), GOC_OK);
	assert_int_equal(goc_chan_recv(c.done, NULL, goc_test_ms(10000)), GOC_OK);
	assert_true(c.in_order);
	assert_int_equal(c.sum, (long long)n * (n + 1) / 2);
	int v = 0;
	assert_int_equal(goc_chan_send(c.ch, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	goc_chan_free(c.ch);
	goc_chan_free(c.done);
}

static void test_chan_buffered_keeps_fifo_order(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 6);
	/* Up to 6 in flight, 22 through: the ring wraps several times. */
	int next_in = 0, next_out = 0;
	for (int round = 0; round < 7; round++) {
		for (int i = 0; i < 3 + round % 3; i++) {
			assert_int_equal(goc_chan_send(ch, &next_in, GOC_NOWAIT), GOC_OK);
			next_in++;
		}
		while (goc_chan_len(ch) > 1) {
			int v;
			assert_int_equal(goc_chan_recv(ch, &v, GOC_NOWAIT), GOC_OK);
			assert_int_equal(v, next_out++);
		}
	}
	goc_chan_free(ch);
}

static void test_chan_buffered_full_nowait_wouldblock(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 2);
	int v = 1;
	assert_int_equal(goc_chan_send(ch, &v, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_chan_send(ch, &v, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_chan_send(ch, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(goc_chan_len(ch), 2);
	goc_chan_free(ch);
}

static void test_chan_full_send_deadline_times_out(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 1);
	int v = 1;
	assert_int_equal(goc_chan_send(ch, &v, GOC_FOREVER), GOC_OK);
	int64_t start = goc_now();
	int64_t deadline = goc_deadline_after(30 * 1000000);
	assert_int_equal(goc_chan_send(ch, &v, deadline), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	assert_true(goc_now() - start >= 30 * 1000000);
	assert_int_equal(goc_chan_len(ch), 1);
	goc_chan_free(ch);
}

static void test_chan_empty_recv_deadline_times_out_untouched(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	int v = 1234;
	int64_t deadline = goc_deadline_after(20 * 1000000);
	assert_int_equal(goc_chan_recv(ch, &v, deadline), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	assert_int_equal(v, 1234);
	assert_int_equal(goc_chan_recv(ch, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(v, 1234);
	goc_chan_free(ch);
}

static void test_chan_past_deadline_still_tries_once(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 1);
	int v = 5, got = 0;
	int64_t past = goc_now() - 1000;
	assert_int_equal(goc_chan_send(ch, &v, past), GOC_OK);
	assert_int_equal(goc_chan_send(ch, &v, past), GOC_TIMEOUT);
	assert_int_equal(goc_chan_recv(ch, &got, past), GOC_OK);
	assert_int_equal(got, 5);
	assert_int_equal(goc_chan_recv(ch, &got, past), GOC_TIMEOUT);
	goc_chan_free(ch);
}

static void test_chan_closed_drains_then_returns_zero_and_closed(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 3);
	for (int i = 1; i <= 3; i++)
		assert_int_equal(goc_chan_send(ch, &i, GOC_NOWAIT), GOC_OK);
	goc_chan_close(ch);
	for (int i = 1; i <= 3; i++) {
		int v = 0;
		assert_int_equal(goc_chan_recv(ch, &v, GOC_NOWAIT), GOC_OK);
		assert_int_equal(v, i);
	}
	for (int i = 0; i < 3; i++) {
		int v = 99;
		assert_int_equal(goc_chan_recv(ch, &v, GOC_FOREVER), GOC_CLOSED);
		assert_int_equal(v, 0);
	}
	goc_chan_free(ch);
}

static void test_chan_recv_null_elem_discards_value(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(int), 1);
	int v = 3;
	assert_int_equal(goc_chan_send(ch, &v, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_chan_recv(ch, NULL, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_chan_len(ch), 0);
	goc_chan_free(ch);
}

static void test_chan_nil_never_proceeds(void **state)
{
	(void)state;
	int v = 1;
	assert_int_equal(goc_chan_send(NULL, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(goc_chan_recv(NULL, &v, GOC_NOWAIT), GOC_WOULDBLOCK);
	int64_t deadline = goc_deadline_after(10 * 1000000);
	assert_int_equal(goc_chan_send(NULL, &v, deadline), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	deadline = goc_deadline_after(10 * 1000000);
	assert_int_equal(goc_chan_recv(NULL, &v, deadline), GOC_TIMEOUT);
	assert_true(goc_now() >= deadline);
	assert_int_equal(goc_chan_len(NULL), 0);
	assert_int_equal(goc_chan_cap(NULL), 0);
}

static void signal_task(void *p)
{
	goc_chan_send(p, NULL, GOC_FOREVER);
}

static void test_chan_zero_size_elements_signal(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(0, 0);
	assert_int_equal(goc_go(signal_task, ch), GOC_OK);
	assert_int_equal(goc_chan_recv(ch, NULL, goc_test_ms(10000)), GOC_OK);
	goc_chan *buffered = goc_chan_make(0, 2);
	assert_int_equal(goc_chan_send(buffered, NULL, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_chan_len(buffered), 1);
	goc_chan_free(ch);
	goc_chan_free(buffered);
}

typedef struct big {
	unsigned char bytes[1000];
} big;

static void big_sender(void *p)
{
	goc_chan *ch = p;
	for (int i = 0; i < 50; i++) {
		big b;
		memset(b.bytes, i, sizeof b.bytes);
		goc_chan_send(ch, &b, GOC_FOREVER);
	}
}

static void test_chan_large_elements_copied_whole(void **state)
{
	(void)state;
	for (size_t cap = 0; cap <= 3; cap += 3) {
		goc_chan *ch = goc_chan_make(sizeof(big), cap);
		assert_int_equal(goc_go(big_sender, ch), GOC_OK);
		for (int i = 0; i < 50; i++) {
			big b;
			assert_int_equal(goc_chan_recv(ch, &b, GOC_FOREVER), GOC_OK);
			for (size_t k = 0; k < sizeof b.bytes; k++)
				assert_int_equal(b.bytes[k], i);
		}
		goc_test_assert_no_leaks();
		goc_chan_free(ch);
	}
}

static void test_chan_close_wakes_every_blocked_receiver(void **state)
{
	(void)state;
	enum { N = 8 };
	for (size_t cap = 0; cap <= 1; cap++) {
		goc_chan *ch = goc_chan_make(sizeof(int), cap);
		goc_chan *done = goc_chan_make(sizeof(int), N);
		receiver rs[N];
		for (int i = 0; i < N; i++) {
			rs[i] = (receiver){ .ch = ch, .value = -1, .done = done };
			assert_int_equal(goc_go(recv_task, &rs[i]), GOC_OK);
		}
		goc_sleep(30 * 1000000);
		goc_chan_close(ch);
		wait_done(done, N);
		for (int i = 0; i < N; i++) {
			assert_int_equal(rs[i].status, GOC_CLOSED);
			assert_int_equal(rs[i].value, 0);
		}
		goc_chan_free(ch);
		goc_chan_free(done);
	}
}

/*
 * The timed waits of test_chan_full_send_deadline_times_out and
 * test_chan_empty_recv_deadline_times_out_untouched, made by a task (on the
 * M:N scheduler a task waits on a buffered channel through a path of its
 * own), then a send and a receive that would find a waiter left queued.
 */
typedef struct timed_waits {
	goc_chan *ch; /* capacity 1 */
	goc_chan *done;
	goc_status fill, full_send, empty_recv, send_after, recv_after;
	int64_t send_waited, recv_waited;
	size_t len_after_send;
	int first, untouched, after;
} timed_waits;

static void timed_waits_task(void *p)
{
	timed_waits *t = p;
	int one = 1, two = 2, three = 3;
	t->fill = goc_chan_send(t->ch, &one, GOC_NOWAIT);
	int64_t start = goc_now();
	t->full_send = goc_chan_send(t->ch, &two, goc_deadline_after(20 * 1000000));
	t->send_waited = goc_now() - start;
	t->len_after_send = goc_chan_len(t->ch);
	goc_chan_recv(t->ch, &t->first, GOC_NOWAIT);
	t->untouched = 1234;
	start = goc_now();
	t->empty_recv = goc_chan_recv(t->ch, &t->untouched, goc_deadline_after(20 * 1000000));
	t->recv_waited = goc_now() - start;
	/* The receive's waiting flag outlives it: this send must find no waiter behind it. */
	t->send_after = goc_chan_send(t->ch, &three, GOC_NOWAIT);
	t->recv_after = goc_chan_recv(t->ch, &t->after, GOC_NOWAIT);
	goc_chan_send(t->done, NULL, GOC_FOREVER);
}

static void test_chan_task_timed_waits_time_out_and_leave_nothing(void **state)
{
	(void)state;
	timed_waits t = { .ch = goc_chan_make(sizeof(int), 1), .done = goc_chan_make(0, 1) };
	assert_int_equal(goc_go(timed_waits_task, &t), GOC_OK);
	assert_int_equal(goc_chan_recv(t.done, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(t.fill, GOC_OK);
	assert_int_equal(t.full_send, GOC_TIMEOUT);
	assert_true(t.send_waited >= 20 * 1000000);
	assert_int_equal(t.len_after_send, 1);
	assert_int_equal(t.first, 1);
	assert_int_equal(t.empty_recv, GOC_TIMEOUT);
	assert_true(t.recv_waited >= 20 * 1000000);
	assert_int_equal(t.untouched, 1234);
	assert_int_equal(t.send_after, GOC_OK);
	assert_int_equal(t.recv_after, GOC_OK);
	assert_int_equal(t.after, 3);
	goc_test_assert_no_leaks();
	goc_chan_free(t.ch);
	goc_chan_free(t.done);
}

/* Plain (non-atomic) data published by a send: TSan reports a race if the edge is missing. */
typedef struct publish {
	goc_chan *ch;
	long payload[16];
} publish;

static void publisher(void *p)
{
	publish *pub = p;
	for (int i = 0; i < 16; i++)
		pub->payload[i] = i * 3;
	int token = 1;
	goc_chan_send(pub->ch, &token, GOC_FOREVER);
}

static void test_chan_send_happens_before_recv(void **state)
{
	(void)state;
	for (size_t cap = 0; cap <= 1; cap++) {
		publish pub = { .ch = goc_chan_make(sizeof(int), cap) };
		assert_int_equal(goc_go(publisher, &pub), GOC_OK);
		int token;
		assert_int_equal(goc_chan_recv(pub.ch, &token, GOC_FOREVER), GOC_OK);
		for (int i = 0; i < 16; i++)
			assert_int_equal(pub.payload[i], i * 3);
		goc_test_assert_no_leaks();
		goc_chan_free(pub.ch);
	}
}

static void closer(void *p)
{
	publish *pub = p;
	pub->payload[0] = 77;
	goc_chan_close(pub->ch);
}

static void test_chan_close_happens_before_closed_recv(void **state)
{
	(void)state;
	publish pub = { .ch = goc_chan_make(sizeof(int), 4) };
	assert_int_equal(goc_go(closer, &pub), GOC_OK);
	assert_int_equal(goc_chan_recv(pub.ch, NULL, GOC_FOREVER), GOC_CLOSED);
	assert_int_equal(pub.payload[0], 77);
	goc_test_assert_no_leaks();
	goc_chan_free(pub.ch);
}

/* Unbuffered: the receive happens-before the send completes. */
typedef struct ack {
	goc_chan *ch;
	long seen; /* written by the receiver before its receive */
} ack;

static void acker(void *p)
{
	ack *a = p;
	a->seen = 5;
	goc_chan_recv(a->ch, NULL, GOC_FOREVER);
}

static void test_chan_unbuffered_recv_happens_before_send_completes(void **state)
{
	(void)state;
	ack a = { .ch = goc_chan_make(sizeof(int), 0) };
	assert_int_equal(goc_go(acker, &a), GOC_OK);
	int v = 1;
	assert_int_equal(goc_chan_send(a.ch, &v, GOC_FOREVER), GOC_OK);
	assert_int_equal(a.seen, 5);
	goc_test_assert_no_leaks();
	goc_chan_free(a.ch);
}

/* Capacity C: the k-th receive happens-before the (k+C)-th send completes. */
static void test_chan_buffered_recv_happens_before_send_cap_later(void **state)
{
	(void)state;
	ack a = { .ch = goc_chan_make(sizeof(int), 1) };
	int v = 1;
	assert_int_equal(goc_chan_send(a.ch, &v, GOC_FOREVER), GOC_OK);
	assert_int_equal(goc_go(acker, &a), GOC_OK);
	/* Completes only after acker's receive freed the slot. */
	assert_int_equal(goc_chan_send(a.ch, &v, GOC_FOREVER), GOC_OK);
	assert_int_equal(a.seen, 5);
	goc_test_assert_no_leaks();
	goc_chan_free(a.ch);
}

static void test_status_str_never_null(void **state)
{
	(void)state;
	for (int s = -3; s < 20; s++) {
		const char *str = goc_status_str((goc_status)s);
		assert_non_null(str);
		assert_true(strlen(str) > 0);
	}
	assert_string_equal(goc_status_str(GOC_TIMEOUT), "timed out");
}

static void test_deadline_after_saturates(void **state)
{
	(void)state;
	assert_true(goc_now() > 0);
	assert_int_equal(goc_deadline_after(INT64_MAX), INT64_MAX);
	int64_t before = goc_now();
	int64_t d = goc_deadline_after(0);
	assert_true(d >= before && d != GOC_NOWAIT && d != GOC_FOREVER);
}


/*
 * Every deadline below the clock's epoch is long past: the call tries once
 * and times out (negative times once reached the kernel as invalid ones).
 */
static void test_chan_negative_deadline_tries_once(void **state)
{
	(void)state;
	static const int64_t deadlines[] = { -2, -1000, INT64_MIN, 1 };
	for (size_t k = 0; k < sizeof deadlines / sizeof *deadlines; k++) {
		for (size_t cap = 0; cap < 2; cap++) {
			goc_chan *ch = goc_chan_make(sizeof(int), cap);
			int v = 5, got = 0;
			assert_int_equal(goc_chan_recv(ch, &got, deadlines[k]), GOC_TIMEOUT);
			assert_int_equal(goc_chan_send(ch, &v, deadlines[k]), cap ? GOC_OK : GOC_TIMEOUT);
			assert_int_equal(goc_chan_send(ch, &v, deadlines[k]), GOC_TIMEOUT);
			goc_case cs[] = { GOC_SEND_CASE(ch, &v), GOC_RECV_CASE(NULL, &got) };
			assert_int_equal(goc_select(cs, 2, deadlines[k], NULL), GOC_TIMEOUT);
			goc_chan_free(ch);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_chan_make_reports_cap_and_elem_size),
		GOC_TEST(test_chan_unbuffered_send_waits_for_receiver),
		GOC_TEST(test_chan_unbuffered_recv_waits_for_sender),
		GOC_TEST(test_chan_unbuffered_nowait_needs_a_queued_peer),
		GOC_TEST(test_chan_unbuffered_nowait_polling_loses_nothing),
		GOC_TEST(test_chan_buffered_keeps_fifo_order),
		GOC_TEST(test_chan_buffered_full_nowait_wouldblock),
		GOC_TEST(test_chan_full_send_deadline_times_out),
		GOC_TEST(test_chan_empty_recv_deadline_times_out_untouched),
		GOC_TEST(test_chan_past_deadline_still_tries_once),
		GOC_TEST(test_chan_negative_deadline_tries_once),
		GOC_TEST(test_chan_closed_drains_then_returns_zero_and_closed),
		GOC_TEST(test_chan_recv_null_elem_discards_value),
		GOC_TEST(test_chan_nil_never_proceeds),
		GOC_TEST(test_chan_zero_size_elements_signal),
		GOC_TEST(test_chan_large_elements_copied_whole),
		GOC_TEST(test_chan_close_wakes_every_blocked_receiver),
		GOC_TEST(test_chan_task_timed_waits_time_out_and_leave_nothing),
		GOC_TEST(test_chan_send_happens_before_recv),
		GOC_TEST(test_chan_close_happens_before_closed_recv),
		GOC_TEST(test_chan_unbuffered_recv_happens_before_send_completes),
		GOC_TEST(test_chan_buffered_recv_happens_before_send_cap_later),
		GOC_TEST(test_status_str_never_null),
		GOC_TEST(test_deadline_after_saturates),
	};
	return cmocka_run_group_tests_name("chan", tests, NULL, NULL);
}
