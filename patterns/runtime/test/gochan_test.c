/*
 * gochan_test.c - the behaviour Go's own runtime tests demand of channels
 * and select (chan_test.go's TestNonblockRecvRace, TestNonblockSelectRace
 * and ...Race2, TestSelfSelect, TestSelectStress, TestMultiConsumer,
 * TestPseudoRandomSend, TestSelectFairness), restated for libgoc.
 * Tasks record what they saw; only the test thread asserts.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

/* ---- non-blocking receive racing a close ---------------------------------- */

typedef struct nb_recv {
	goc_chan *c;
	goc_chan *done;      /* cap 1: the task's verdict, 1 = found c ready */
} nb_recv;

static void nonblock_recv_task(void *p)
{
	nb_recv *r = p;
	goc_case cs[] = { GOC_RECV_CASE(r->c, NULL) };
	int ready = goc_select(cs, 1, GOC_NOWAIT, NULL) != GOC_WOULDBLOCK;
	goc_chan_send(r->done, &ready, GOC_FOREVER);
}

/* A buffered value, then a close: a non-blocking receive must always find c ready. */
static void test_go_nonblock_recv_race_always_ready(void **state)
{
	(void)state;
	long n = goc_test_scaled(2000);
	goc_chan *done = goc_chan_make(sizeof(int), 1);
	for (long i = 0; i < n; i++) {
		nb_recv r = { .c = goc_chan_make(sizeof(int), 1), .done = done };
		int one = 1;
		goc_chan_send(r.c, &one, GOC_FOREVER);
		assert_int_equal(goc_go(nonblock_recv_task, &r), GOC_OK);
		goc_chan_close(r.c);
		goc_chan_recv(r.c, NULL, GOC_FOREVER);
		int ready = 0;
		assert_int_equal(goc_chan_recv(done, &ready, goc_test_ms(10000)), GOC_OK);
		assert_int_equal(ready, 1);
		goc_chan_free(r.c);
	}
	goc_chan_free(done);
}

/* ---- non-blocking select racing a send (or a close) ------------------------- */

typedef struct nb_sel {
	goc_chan *c1, *c2;
	goc_chan *done;
} nb_sel;

static void nonblock_select_task(void *p)
{
	nb_sel *s = p;
	goc_case cs[] = { GOC_RECV_CASE(s->c1, NULL), GOC_RECV_CASE(s->c2, NULL) };
	int ready = goc_select(cs, 2, GOC_NOWAIT, NULL) != GOC_WOULDBLOCK;
	goc_chan_send(s->done, &ready, GOC_FOREVER);
}

static void nonblock_select_race(bool close_c2)
{
	long n = goc_test_scaled(2000);
	goc_chan *done = goc_chan_make(sizeof(int), 1);
	for (long i = 0; i < n; i++) {
		nb_sel s = { goc_chan_make(sizeof(int), 1), goc_chan_make(sizeof(int), 1), done };
		int one = 1;
		goc_chan_send(s.c1, &one, GOC_FOREVER);
		assert_int_equal(goc_go(nonblock_select_task, &s), GOC_OK);
		/* c1 may be drained here, but only once c2 is ready: one of them always is. */
		if (close_c2)
			goc_chan_close(s.c2);
		else
			goc_chan_send(s.c2, &one, GOC_FOREVER);
		goc_chan_recv(s.c1, NULL, GOC_NOWAIT);
		int ready = 0;
		assert_int_equal(goc_chan_recv(done, &ready, goc_test_ms(10000)), GOC_OK);
		assert_int_equal(ready, 1);
		goc_chan_free(s.c1);
		goc_chan_free(s.c2);
	}
	goc_chan_free(done);
}

static void test_go_nonblock_select_race_always_ready(void **state)
{
	(void)state;
	nonblock_select_race(false);
}

static void test_go_nonblock_select_race2_close_always_ready(void **state)
{
	(void)state;
	nonblock_select_race(true);
}

/* ---- a select that sends and receives on one channel ------------------------ */

typedef struct self_sel {
	goc_chan *c;
	int p;                 /* this task's value */
	bool unbuffered;
	atomic_int *self_receives;
	goc_chan *done;
} self_sel;

static void self_select_task(void *arg)
{
	self_sel *s = arg;
	for (int i = 0; i < 1000; i++) {
		int v = -1;
		goc_case cs[2];
		/* Alternate the case order as Go's test does; the choice is random anyway. */
		if (s->p == 0 || i % 2 == 0) {
			cs[0] = GOC_SEND_CASE(s->c, &s->p);
			cs[1] = GOC_RECV_CASE(s->c, &v);
		} else {
			cs[0] = GOC_RECV_CASE(s->c, &v);
			cs[1] = GOC_SEND_CASE(s->c, &s->p);
		}
		size_t chosen;
		goc_select(cs, 2, GOC_FOREVER, &chosen);
		if (cs[chosen].dir == GOC_RECV && s->unbuffered && v == s->p)
			atomic_fetch_add(s->self_receives, 1);
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

/* Capacity 0: a select never pairs its own send with its own receive. */
static void test_go_self_select_never_receives_own_send(void **state)
{
	(void)state;
	size_t caps[] = { 0, 10 };
	for (int k = 0; k < 2; k++) {
		atomic_int self_receives = 0;
		goc_chan *c = goc_chan_make(sizeof(int), caps[k]);
		goc_chan *done = goc_chan_make(0, 2);
		self_sel s[2];
		for (int p = 0; p < 2; p++) {
			s[p] = (self_sel){ c, p, caps[k] == 0, &self_receives, done };
			assert_int_equal(goc_go(self_select_task, &s[p]), GOC_OK);
		}
		for (int p = 0; p < 2; p++)
			assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(60000)), GOC_OK);
		assert_int_equal(atomic_load(&self_receives), 0);
		goc_test_assert_no_leaks();
		goc_chan_free(c);
		goc_chan_free(done);
	}
}

/* ---- select stress: plain and select senders/receivers on 4 channels ---------- */

typedef struct stress {
	goc_chan *c[4];
	long n;
	goc_chan *done;
	atomic_long received;
} stress;

typedef struct stress_one {
	stress *s;
	int k;
} stress_one;

static void stress_sender(void *p)
{
	stress_one *o = p;
	for (long i = 0; i < o->s->n; i++) {
		int v = o->k;
		goc_chan_send(o->s->c[o->k], &v, GOC_FOREVER);
	}
	goc_chan_send(o->s->done, NULL, GOC_FOREVER);
}

static void stress_receiver(void *p)
{
	stress_one *o = p;
	for (long i = 0; i < o->s->n; i++) {
		int v;
		goc_chan_recv(o->s->c[o->k], &v, GOC_FOREVER);
		atomic_fetch_add(&o->s->received, 1);
	}
	goc_chan_send(o->s->done, NULL, GOC_FOREVER);
}

/* One select sending n on each channel, dropping a channel (nil) once it had n. */
static void stress_select_sender(void *p)
{
	stress *s = p;
	long sent[4] = { 0 };
	int vals[4] = { 0, 1, 2, 3 };
	goc_case cs[4];
	for (int k = 0; k < 4; k++)
		cs[k] = GOC_SEND_CASE(s->c[k], &vals[k]);
	for (long i = 0; i < 4 * s->n; i++) {
		size_t k;
		goc_select(cs, 4, GOC_FOREVER, &k);
		if (++sent[k] == s->n)
			cs[k].ch = NULL;
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

static void stress_select_receiver(void *p)
{
	stress *s = p;
	long got[4] = { 0 };
	int v;
	goc_case cs[4];
	for (int k = 0; k < 4; k++)
		cs[k] = GOC_RECV_CASE(s->c[k], &v);
	for (long i = 0; i < 4 * s->n; i++) {
		size_t k;
		goc_select(cs, 4, GOC_FOREVER, &k);
		atomic_fetch_add(&s->received, 1);
		if (++got[k] == s->n)
			cs[k].ch = NULL;
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

static void test_go_select_stress_no_deadlock_exact_count(void **state)
{
	(void)state;
	stress s = { .n = goc_test_scaled(20000), .done = goc_chan_make(0, 10) };
	size_t caps[4] = { 0, 0, 2, 3 };
	for (int k = 0; k < 4; k++)
		s.c[k] = goc_chan_make(sizeof(int), caps[k]);
	stress_one ones[4];
	for (int k = 0; k < 4; k++) {
		ones[k] = (stress_one){ &s, k };
		assert_int_equal(goc_go(stress_sender, &ones[k]), GOC_OK);
		assert_int_equal(goc_go(stress_receiver, &ones[k]), GOC_OK);
	}
	assert_int_equal(goc_go(stress_select_sender, &s), GOC_OK);
	assert_int_equal(goc_go(stress_select_receiver, &s), GOC_OK);
	for (int i = 0; i < 10; i++)
		assert_int_equal(goc_chan_recv(s.done, NULL, goc_test_ms(120000)), GOC_OK);
	assert_int_equal(atomic_load(&s.received), 8 * s.n);
	goc_test_assert_no_leaks();
	for (int k = 0; k < 4; k++)
		goc_chan_free(s.c[k]);
	goc_chan_free(s.done);
}

/* ---- select stress with random closes ---------------------------------------- */

typedef struct closes {
	goc_chan *c[4];
	long n;
	goc_chan *senders_done;  /* 5 senders report here */
	goc_chan *done;          /* receivers and the closer report here */
	atomic_llong sum_sent, sum_received;
	atomic_long count_received;
} closes;

typedef struct closes_one {
	closes *s;
	int k;
} closes_one;

static void closes_sender(void *p)
{
	closes_one *o = p;
	for (long i = 0; i < o->s->n; i++) {
		int v = o->k * 1000 + (int)(i % 997) + 1;
		goc_chan_send(o->s->c[o->k], &v, GOC_FOREVER);
		atomic_fetch_add(&o->s->sum_sent, v);
	}
	goc_chan_send(o->s->senders_done, NULL, GOC_FOREVER);
}

static void closes_select_sender(void *p)
{
	closes *s = p;
	long sent[4] = { 0 };
	int vals[4] = { 7, 8, 9, 10 };
	goc_case cs[4];
	for (int k = 0; k < 4; k++)
		cs[k] = GOC_SEND_CASE(s->c[k], &vals[k]);
	for (long i = 0; i < 4 * s->n; i++) {
		size_t k;
		goc_select(cs, 4, GOC_FOREVER, &k);
		atomic_fetch_add(&s->sum_sent, vals[k]);
		if (++sent[k] == s->n)
			cs[k].ch = NULL;
	}
	goc_chan_send(s->senders_done, NULL, GOC_FOREVER);
}

/* Receives until its channel is closed and drained. */
static void closes_receiver(void *p)
{
	closes_one *o = p;
	int v;
	while (goc_chan_recv(o->s->c[o->k], &v, GOC_FOREVER) == GOC_OK) {
		atomic_fetch_add(&o->s->sum_received, v);
		atomic_fetch_add(&o->s->count_received, 1);
	}
	goc_chan_send(o->s->done, NULL, GOC_FOREVER);
}

/* Receives from all four until each is closed (then that case goes nil). */
static void closes_select_receiver(void *p)
{
	closes *s = p;
	int v, open = 4;
	goc_case cs[4];
	for (int k = 0; k < 4; k++)
		cs[k] = GOC_RECV_CASE(s->c[k], &v);
	while (open > 0) {
		size_t k;
		if (goc_select(cs, 4, GOC_FOREVER, &k) == GOC_CLOSED) {
			cs[k].ch = NULL;
			open--;
			continue;
		}
		atomic_fetch_add(&s->sum_received, v);
		atomic_fetch_add(&s->count_received, 1);
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

/* Once every sender is done, closes the channels in a random order, at random moments. */
static void closes_closer(void *p)
{
	closes *s = p;
	for (int i = 0; i < 5; i++)
		goc_chan_recv(s->senders_done, NULL, GOC_FOREVER);
	int order[4] = { 0, 1, 2, 3 };
	uint64_t x = (uint64_t)goc_now() | 1;
	for (int i = 3; i > 0; i--) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int j = (int)(x % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < 4; i++) {
		goc_sleep((int64_t)(x % 3) * 100000);
		goc_chan_close(s->c[order[i]]);
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

static void test_go_select_stress_random_closes_sum_exact(void **state)
{
	(void)state;
	closes s = { .n = goc_test_scaled(10000), .senders_done = goc_chan_make(0, 5), .done = goc_chan_make(0, 6) };
	size_t caps[4] = { 0, 1, 2, 3 };
	for (int k = 0; k < 4; k++)
		s.c[k] = goc_chan_make(sizeof(int), caps[k]);
	closes_one ones[4];
	for (int k = 0; k < 4; k++) {
		ones[k] = (closes_one){ &s, k };
		assert_int_equal(goc_go(closes_sender, &ones[k]), GOC_OK);
		assert_int_equal(goc_go(closes_receiver, &ones[k]), GOC_OK);
	}
	assert_int_equal(goc_go(closes_select_sender, &s), GOC_OK);
	assert_int_equal(goc_go(closes_select_receiver, &s), GOC_OK);
	assert_int_equal(goc_go(closes_closer, &s), GOC_OK);
	for (int i = 0; i < 6; i++)
		assert_int_equal(goc_chan_recv(s.done, NULL, goc_test_ms(120000)), GOC_OK);
	assert_int_equal(atomic_load(&s.count_received), 8 * s.n);
	assert_true(atomic_load(&s.sum_received) == atomic_load(&s.sum_sent));
	goc_test_assert_no_leaks();
	for (int k = 0; k < 4; k++)
		goc_chan_free(s.c[k]);
	goc_chan_free(s.senders_done);
	goc_chan_free(s.done);
}

/* ---- many consumers, one channel: the sum and count come out exact --------------- */

enum { NWORK = 23 };
static const int pn[] = { 2, 3, 7, 11, 13, 17, 19, 23, 27, 31 };

typedef struct multi {
	goc_chan *q, *r, *workers_done;
	long niter;
	long long expect;   /* written by the feeder before it closes r */
} multi;

typedef struct multi_worker {
	multi *m;
	int w;
} multi_worker;

static void multi_worker_task(void *p)
{
	multi_worker *mw = p;
	int v;
	while (goc_chan_recv(mw->m->q, &v, GOC_FOREVER) == GOC_OK) {
		/* Mess with the FIFO-ish order of the workers, as Go's test does. */
		if (pn[mw->w % 10] == v)
			goc_sleep(1);
		goc_chan_send(mw->m->r, &v, GOC_FOREVER);
	}
	goc_chan_send(mw->m->workers_done, NULL, GOC_FOREVER);
}

static void multi_feeder(void *p)
{
	multi *m = p;
	for (long i = 0; i < m->niter; i++) {
		int v = pn[i % 10];
		m->expect += v;
		goc_chan_send(m->q, &v, GOC_FOREVER);
	}
	goc_chan_close(m->q);
	for (int i = 0; i < NWORK; i++)
		goc_chan_recv(m->workers_done, NULL, GOC_FOREVER);
	goc_chan_close(m->r);
}

static void test_go_multi_consumer_sum_and_count_exact(void **state)
{
	(void)state;
	multi m = {
		.q = goc_chan_make(sizeof(int), NWORK * 3),
		.r = goc_chan_make(sizeof(int), NWORK * 3),
		.workers_done = goc_chan_make(0, NWORK),
		.niter = goc_test_scaled(271828),
	};
	multi_worker ws[NWORK];
	for (int i = 0; i < NWORK; i++) {
		ws[i] = (multi_worker){ &m, i };
		assert_int_equal(goc_go(multi_worker_task, &ws[i]), GOC_OK);
	}
	assert_int_equal(goc_go(multi_feeder, &m), GOC_OK);
	long n = 0;
	long long sum = 0;
	int v;
	while (goc_chan_recv(m.r, &v, goc_test_ms(120000)) == GOC_OK) {
		n++;
		sum += v;
	}
	/* r is closed only after the feeder's last write to expect: the close orders it. */
	assert_int_equal(n, m.niter);
	assert_true(sum == m.expect);
	goc_test_assert_no_leaks();
	goc_chan_free(m.q);
	goc_chan_free(m.r);
	goc_chan_free(m.workers_done);
}

/* ---- a select sending on two ready cases chooses both ------------------------- */

typedef struct prs {
	goc_chan *c;
	int got[100];
	goc_chan *done;
} prs;

static void prs_receiver(void *p)
{
	prs *s = p;
	for (int i = 0; i < 100; i++) {
		goc_sleep(1);
		goc_chan_recv(s->c, &s->got[i], GOC_FOREVER);
	}
	goc_chan_send(s->done, NULL, GOC_FOREVER);
}

static void test_go_pseudo_random_send_uses_both_cases(void **state)
{
	(void)state;
	size_t caps[] = { 0, 100 };
	for (int k = 0; k < 2; k++) {
		prs s = { .c = goc_chan_make(sizeof(int), caps[k]), .done = goc_chan_make(0, 1) };
		assert_int_equal(goc_go(prs_receiver, &s), GOC_OK);
		int one = 1, zero = 0;
		goc_case cs[] = { GOC_SEND_CASE(s.c, &one), GOC_SEND_CASE(s.c, &zero) };
		for (int i = 0; i < 100; i++)
			assert_int_equal(goc_select(cs, 2, goc_test_ms(10000), NULL), GOC_OK);
		assert_int_equal(goc_chan_recv(s.done, NULL, goc_test_ms(10000)), GOC_OK);
		int n0 = 0, n1 = 0;
		for (int i = 0; i < 100; i++) {
			n0 += s.got[i] == 0;
			n1 += s.got[i] == 1;
		}
		assert_int_equal(n0 + n1, 100);
		assert_true(n0 > 10 && n1 > 10);
		goc_test_assert_no_leaks();
		goc_chan_free(s.c);
		goc_chan_free(s.done);
	}
}

/* ---- fairness: each of two always-ready cases is chosen about half the time ---- */

static void test_go_select_fairness_within_bound(void **state)
{
	(void)state;
	enum { TRIALS = 10000 };
	goc_chan *c1 = goc_chan_make(1, TRIALS + 1), *c2 = goc_chan_make(1, TRIALS + 1);
	goc_chan *c3 = goc_chan_make(1, 0), *c4 = goc_chan_make(1, 0);
	unsigned char one = 1, two = 2;
	for (int i = 0; i < TRIALS + 1; i++) {
		goc_chan_send(c1, &one, GOC_NOWAIT);
		goc_chan_send(c2, &two, GOC_NOWAIT);
	}
	unsigned char b = 0;
	goc_case cs[] = { GOC_RECV_CASE(c3, &b), GOC_RECV_CASE(c4, &b), GOC_RECV_CASE(c1, &b), GOC_RECV_CASE(c2, &b) };
	int cnt1 = 0, cnt2 = 0;
	for (int i = 0; i < TRIALS; i++) {
		assert_int_equal(goc_select(cs, 4, GOC_FOREVER, NULL), GOC_OK);
		cnt1 += b == 1;
		cnt2 += b == 2;
	}
	assert_int_equal(cnt1 + cnt2, TRIALS);
	/* Go's bound: a fair select fails it about once in a million runs. */
	double r = (double)cnt1 / (double)TRIALS;
	double bound = 4.891676 / (2 * sqrt((double)TRIALS));
	if (fabs(r - 0.5) > bound)
		fail_msg("unfair select: %d vs %d in %d trials (share %.4f, bound 0.5 +- %.4f)", cnt1, cnt2,
		         TRIALS, r, bound);
	goc_chan_free(c1);
	goc_chan_free(c2);
	goc_chan_free(c3);
	goc_chan_free(c4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_go_nonblock_recv_race_always_ready),
		GOC_TEST(test_go_nonblock_select_race_always_ready),
		GOC_TEST(test_go_nonblock_select_race2_close_always_ready),
		GOC_TEST(test_go_self_select_never_receives_own_send),
		GOC_TEST(test_go_select_stress_no_deadlock_exact_count),
		GOC_TEST(test_go_select_stress_random_closes_sum_exact),
		GOC_TEST(test_go_multi_consumer_sum_and_count_exact),
		GOC_TEST(test_go_pseudo_random_send_uses_both_cases),
		GOC_TEST(test_go_select_fairness_within_bound),
	};
	return cmocka_run_group_tests_name("gochan", tests, NULL, NULL);
}
