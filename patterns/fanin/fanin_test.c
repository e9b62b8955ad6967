/*
 * fanin_test.c - the fan-in and fan-out of fanin.h, each rule of the header
 * a test, for both merges (tasks and select): the values out are exactly
 * the values in and each input's order is kept, on small and large inputs,
 * unbuffered and buffered, with one, few and many inputs (past the select's
 * on-stack case limit), none, already closed ones, a nil one, and elements of
 * every size; the select's choice among ready inputs is fair; cancellation
 * from a consumer that stops early, of a merge whose producers are silent,
 * by a deadline, and before the start, each ending with every output closed,
 * the right status, honest counts and no leaked task; a fan-out feeding a
 * merge, filtering, sharing its input among all workers, and canceled with
 * the whole chain; and the panics for misuse, as death tests.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fanin.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* Each test runs for both merges; the name says which. */
static const goc_merge_how hows[] = { GOC_MERGE_TASKS, GOC_MERGE_SELECT };
#define NHOWS (sizeof hows / sizeof hows[0])

/* ---- producers and a consumer ----------------------------------------------- */

/*
 * A producer sends from..to (to == INT64_MAX: until canceled) on its own
 * channel, each send a select with the done channel when there is one, and
 * closes the channel when it stops, as Go's `defer close(out)` does.
 */
typedef struct producer {
	goc_chan *ch;
	int64_t from, to;   /* set before goc_go(), read-only after */
	goc_chan *done;     /* NULL: no cancellation; read-only */
	bool no_close;      /* leave the channel open (a producer that goes silent) */
	uint64_t sent;      /* written by the task, read by the test after the wg */
	goc_wg *wg;
} producer;

static void produce_task(void *arg)
{
	producer *p = arg;
	uint64_t sent = 0;
	for (int64_t v = p->from; v <= p->to; v++) {
		if (p->done) {
			goc_case cs[] = { GOC_SEND_CASE(p->ch, &v), GOC_RECV_CASE(p->done, NULL) };
			size_t i = 0;
			(void)goc_select(cs, 2, GOC_FOREVER, &i);
			if (i == 1)
				break;
		} else {
			(void)goc_chan_send(p->ch, &v, GOC_FOREVER);
		}
		sent++;
		if (v == INT64_MAX)
			break;
	}
	p->sent = sent;
	if (!p->no_close)
		goc_chan_close(p->ch);
	goc_wg_done(p->wg);
}

/* K producers on K channels of capacity cap, sharing 1..n as the target does. */
typedef struct inputs {
	size_t k;
	uint64_t n;
	goc_chan **ch;
	producer *prod;
	goc_wg wg;
} inputs;

static void inputs_make(inputs *in, size_t k, uint64_t n, size_t cap)
{
	in->k = k;
	in->n = n;
	in->ch = calloc(k ? k : 1, sizeof *in->ch);
	in->prod = calloc(k ? k : 1, sizeof *in->prod);
	assert_non_null(in->ch);
	assert_non_null(in->prod);
	goc_wg_init(&in->wg);
	uint64_t share = k ? n / k : 0;
	for (size_t p = 0; p < k; p++) {
		in->ch[p] = goc_chan_make(sizeof(int64_t), cap);
		assert_non_null(in->ch[p]);
		uint64_t to = p == k - 1 ? n : (p + 1) * share;
		in->prod[p] = (producer){ in->ch[p], (int64_t)(p * share + 1), (int64_t)to, NULL, false, 0, &in->wg };
	}
}

static void inputs_start(inputs *in, goc_chan *done)
{
	goc_wg_add(&in->wg, (int64_t)in->k);
	for (size_t p = 0; p < in->k; p++) {
		in->prod[p].done = done;
		assert_int_equal(goc_go(produce_task, &in->prod[p]), GOC_OK);
	}
}

static void inputs_join_free(inputs *in)
{
	assert_int_equal(goc_wg_wait(&in->wg, goc_test_ms(30000)), GOC_OK);
	goc_wg_destroy(&in->wg);
	for (size_t p = 0; p < in->k; p++)
		goc_chan_free(in->ch[p]);
	free(in->ch);
	free(in->prod);
}

/* Receive everything until the channel is closed; returns the count. */
static size_t drain(goc_chan *out, int64_t *vals, size_t room)
{
	size_t n = 0;
	int64_t v;
	while (goc_chan_recv(out, &v, goc_test_ms(30000)) == GOC_OK) {
		if (n < room)
			vals[n] = v;
		n++;
	}
	return n;
}

/*
 * The values out are exactly the producers' values, and each producer's in
 * its order: value v belongs to the producer whose range holds it and must
 * be the one after that producer's previous value, and at the end every
 * producer's range must be used up.
 */
static void assert_exact_in_order(const inputs *in, const int64_t *vals, size_t count)
{
	assert_int_equal(count, in->n);
	int64_t *next = calloc(in->k, sizeof *next);
	assert_non_null(next);
	for (size_t p = 0; p < in->k; p++)
		next[p] = in->prod[p].from;
	for (size_t i = 0; i < count; i++) {
		int64_t v = vals[i];
		size_t p = 0;
		while (p < in->k && !(v >= in->prod[p].from && v <= in->prod[p].to))
			p++;
		if (p == in->k)
			fail_msg("value %lld at %zu belongs to no producer", (long long)v, i);
		if (v != next[p])
			fail_msg("value %zu is %lld, producer %zu's next is %lld", i, (long long)v, p, (long long)next[p]);
		next[p]++;
	}
	for (size_t p = 0; p < in->k; p++)
		assert_int_equal(next[p], in->prod[p].to + 1);
	free(next);
}

/* Merge n values from k producers through channels of capacity cap; check all. */
static void merge_exact(goc_merge_how how, size_t k, uint64_t n, size_t cap)
{
	inputs in;
	inputs_make(&in, k, n, cap);
	goc_chan *out = goc_chan_make(sizeof(int64_t), cap);
	assert_non_null(out);
	int64_t *vals = calloc(n ? n : 1, sizeof *vals);
	assert_non_null(vals);

	goc_merge *m = NULL;
	assert_int_equal(goc_merge_start(&m, how, NULL, in.ch, k, out), GOC_OK);
	inputs_start(&in, NULL);
	size_t count = drain(out, vals, n);
	assert_int_equal(goc_merge_wait(m, goc_test_ms(30000)), GOC_OK);
	goc_fan_counts c = goc_merge_counts(m);
	assert_int_equal(c.received, n);
	assert_int_equal(c.sent, n);
	assert_int_equal(c.dropped, 0);
	/* The ranges are read-only after the start: check them, then free them. */
	assert_exact_in_order(&in, vals, count);
	inputs_join_free(&in);

	goc_merge_free(m);
	goc_chan_free(out);
	free(vals);
	goc_test_assert_no_leaks();
}

/* ---- exactness ---------------------------------------------------------------- */

static void test_merge_small_inputs_unbuffered_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 3, 30, 0);
}

static void test_merge_small_inputs_buffered_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 3, 31, 4);
}

static void test_merge_large_inputs_buffered_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 4, (uint64_t)goc_test_scaled(200000), 128);
}

static void test_merge_large_inputs_unbuffered_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 4, (uint64_t)goc_test_scaled(8000), 0);
}

static void test_merge_one_input_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 1, 1000, 1);
}

/* 40 inputs: the select's cases no longer fit its on-stack arrays. */
static void test_merge_many_inputs_exact_in_order(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 40, (uint64_t)goc_test_scaled(20000), 4);
}

/* More producers than values: most send nothing and just close. */
static void test_merge_more_inputs_than_values_exact(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		merge_exact(hows[h], 8, 5, 0);
}

static void test_merge_no_inputs_closes_output(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_chan *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(out);
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, NULL, 0, out), GOC_OK);
		int64_t v = 7;
		assert_int_equal(goc_chan_recv(out, &v, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(v, 0);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		/* A final status repeats. */
		assert_int_equal(goc_merge_wait(m, GOC_NOWAIT), GOC_OK);
		goc_merge_free(m);
		goc_chan_free(out);
	}
}

static void test_merge_closed_empty_inputs_close_output(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_chan *ins[3], *out = goc_chan_make(sizeof(int64_t), 2);
		assert_non_null(out);
		for (int i = 0; i < 3; i++) {
			ins[i] = goc_chan_make(sizeof(int64_t), (size_t)i);
			assert_non_null(ins[i]);
			goc_chan_close(ins[i]);
		}
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, ins, 3, out), GOC_OK);
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		goc_fan_counts c = goc_merge_counts(m);
		assert_int_equal(c.received + c.sent + c.dropped, 0);
		goc_merge_free(m);
		for (int i = 0; i < 3; i++)
			goc_chan_free(ins[i]);
		goc_chan_free(out);
	}
}

/* An element bigger than a word is copied whole through both hops. */
typedef struct triple {
	int64_t a, b, c;    /* c == a * b + 1 for every element sent */
} triple;

static void test_merge_struct_elements_copied_whole(void **state)
{
	(void)state;
	enum { K = 3, EACH = 200 };
	for (size_t h = 0; h < NHOWS; h++) {
		goc_chan *ins[K], *out = goc_chan_make(sizeof(triple), 0);
		assert_non_null(out);
		for (int i = 0; i < K; i++) {
			ins[i] = goc_chan_make(sizeof(triple), EACH);
			assert_non_null(ins[i]);
			for (int64_t j = 0; j < EACH; j++) {
				triple t = { i, j, i * j + 1 };
				assert_int_equal(goc_chan_send(ins[i], &t, GOC_NOWAIT), GOC_OK);
			}
			goc_chan_close(ins[i]);
		}
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, ins, K, out), GOC_OK);
		int64_t next[K] = { 0 };
		triple t;
		size_t count = 0;
		while (goc_chan_recv(out, &t, goc_test_ms(10000)) == GOC_OK) {
			assert_true(t.a >= 0 && t.a < K);
			assert_int_equal(t.b, next[t.a]);
			assert_int_equal(t.c, t.a * t.b + 1);
			next[t.a]++;
			count++;
		}
		assert_int_equal(count, K * EACH);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		goc_merge_free(m);
		for (int i = 0; i < K; i++)
			goc_chan_free(ins[i]);
		goc_chan_free(out);
	}
}

/* Elements of size 0 (Go's chan struct{}): only their number can be checked. */
static void test_merge_zero_size_elements_counted(void **state)
{
	(void)state;
	enum { K = 4, EACH = 50 };
	for (size_t h = 0; h < NHOWS; h++) {
		goc_chan *ins[K], *out = goc_chan_make(0, 1);
		assert_non_null(out);
		for (int i = 0; i < K; i++) {
			ins[i] = goc_chan_make(0, EACH);
			assert_non_null(ins[i]);
			for (int j = 0; j < EACH; j++)
				assert_int_equal(goc_chan_send(ins[i], NULL, GOC_NOWAIT), GOC_OK);
			goc_chan_close(ins[i]);
		}
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, ins, K, out), GOC_OK);
		size_t count = 0;
		while (goc_chan_recv(out, NULL, goc_test_ms(10000)) == GOC_OK)
			count++;
		assert_int_equal(count, K * EACH);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		goc_merge_free(m);
		for (int i = 0; i < K; i++)
			goc_chan_free(ins[i]);
		goc_chan_free(out);
	}
}

/*
 * Two inputs, both full for the whole run: the select picks between ready
 * cases uniformly, so among the first EACH values out each input has about
 * half. The bounds are 9 standard deviations wide; an unfair select (always
 * the first ready case) gives EACH and 0.
 */
static void test_merge_select_ready_inputs_served_fairly(void **state)
{
	(void)state;
	enum { EACH = 1000 };
	goc_chan *ins[2], *out = goc_chan_make(sizeof(int64_t), 2 * EACH);
	assert_non_null(out);
	for (int i = 0; i < 2; i++) {
		ins[i] = goc_chan_make(sizeof(int64_t), EACH);
		assert_non_null(ins[i]);
		for (int64_t j = 0; j < EACH; j++) {
			int64_t v = i;
			assert_int_equal(goc_chan_send(ins[i], &v, GOC_NOWAIT), GOC_OK);
		}
		goc_chan_close(ins[i]);
	}
	goc_merge *m = NULL;
	assert_int_equal(goc_merge_start(&m, GOC_MERGE_SELECT, NULL, ins, 2, out), GOC_OK);
	assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
	int firsts = 0;
	for (int j = 0; j < EACH; j++) {
		int64_t v;
		assert_int_equal(goc_chan_recv(out, &v, GOC_NOWAIT), GOC_OK);
		firsts += v == 0;
	}
	assert_in_range(firsts, EACH / 2 - 150, EACH / 2 + 150);
	goc_merge_free(m);
	for (int i = 0; i < 2; i++)
		goc_chan_free(ins[i]);
	goc_chan_free(out);
}

/* The background context has no done channel: the merge runs as with none. */
static void test_merge_background_context_exact(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		inputs in;
		inputs_make(&in, 2, 100, 0);
		goc_chan *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(out);
		int64_t vals[100];
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], goc_ctx_background(), in.ch, 2, out), GOC_OK);
		inputs_start(&in, NULL);
		size_t count = drain(out, vals, 100);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		assert_exact_in_order(&in, vals, count);
		inputs_join_free(&in);
		goc_merge_free(m);
		goc_chan_free(out);
	}
}

/* ---- waiting and freeing ---------------------------------------------------- */

/* While inputs are open, wait reports that the merge still runs. */
static void test_merge_wait_before_inputs_close_times_out(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_chan *in = goc_chan_make(sizeof(int64_t), 0), *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(in);
		assert_non_null(out);
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, &in, 1, out), GOC_OK);
		assert_int_equal(goc_merge_wait(m, GOC_NOWAIT), GOC_WOULDBLOCK);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(20)), GOC_TIMEOUT);
		goc_chan_close(in);
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
		goc_merge_free(m);
		goc_chan_free(in);
		goc_chan_free(out);
	}
}

/* Free without a wait first: it waits for the tasks itself. */
static void test_merge_free_without_wait_joins_tasks(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		inputs in;
		inputs_make(&in, 3, 300, 1);
		goc_chan *out = goc_chan_make(sizeof(int64_t), 1);
		assert_non_null(out);
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], NULL, in.ch, 3, out), GOC_OK);
		inputs_start(&in, NULL);
		assert_int_equal(drain(out, NULL, 0), 300);
		goc_merge_free(m);
		/* No task may outlive free: the leak check polls, but free joined them. */
		inputs_join_free(&in);
		goc_chan_free(out);
		goc_test_assert_no_leaks();
	}
}

/* ---- cancellation ------------------------------------------------------------ */

/*
 * Producers that never stop on their own; the consumer takes the first
 * TAKE values, cancels and stops reading. Every task must end: producers
 * and the merge through the done channel, and the merge closes the output.
 * Nothing is lost silently: what the merge took is what it delivered plus
 * what it dropped, and what it delivered is what was read.
 */
static void test_merge_consumer_cancels_after_first_values_all_exit(void **state)
{
	(void)state;
	enum { K = 4, TAKE = 100 };
	for (size_t h = 0; h < NHOWS; h++) {
		for (size_t cap = 0; cap <= 8; cap += 8) {
			goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
			assert_non_null(ctx);
			inputs in;
			inputs_make(&in, K, 0, cap);
			for (size_t p = 0; p < K; p++) {
				/* Disjoint endless ranges: producer p sends p * 2^40 + 1, + 2, ... */
				in.prod[p].from = (int64_t)p * ((int64_t)1 << 40) + 1;
				in.prod[p].to = INT64_MAX;
				/*
				 * Left open, so that only the cancel can end the merge
				 * (inputs all closed would end it with GOC_OK).
				 */
				in.prod[p].no_close = true;
			}
			goc_chan *out = goc_chan_make(sizeof(int64_t), cap);
			assert_non_null(out);
			goc_merge *m = NULL;
			assert_int_equal(goc_merge_start(&m, hows[h], ctx, in.ch, K, out), GOC_OK);
			inputs_start(&in, goc_ctx_done(ctx));

			int64_t last[K] = { 0 };
			for (int i = 0; i < TAKE; i++) {
				int64_t v;
				assert_int_equal(goc_chan_recv(out, &v, goc_test_ms(10000)), GOC_OK);
				size_t p = (size_t)(v >> 40);
				assert_true(p < K);
				assert_true(v > last[p]);
				last[p] = v;
			}
			goc_ctx_cancel(ctx);
			/* Stop reading: the merge must end without anyone draining it. */
			assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_CANCELED);
			size_t rest = drain(out, NULL, 0);
			goc_fan_counts c = goc_merge_counts(m);
			assert_int_equal(c.sent, TAKE + rest);
			assert_int_equal(c.received, c.sent + c.dropped);
			assert_true(c.dropped <= (hows[h] == GOC_MERGE_TASKS ? K : 1));
			inputs_join_free(&in);
			goc_merge_free(m);
			goc_chan_free(out);
			goc_ctx_free(ctx);
			goc_test_assert_no_leaks();
		}
	}
}

/* Inputs nobody writes or closes: only the cancel ends the merge. */
static void test_merge_silent_inputs_cancel_ends_merge(void **state)
{
	(void)state;
	enum { K = 3 };
	for (size_t h = 0; h < NHOWS; h++) {
		goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
		assert_non_null(ctx);
		goc_chan *ins[K], *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(out);
		for (int i = 0; i < K; i++) {
			ins[i] = goc_chan_make(sizeof(int64_t), 0);
			assert_non_null(ins[i]);
		}
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], ctx, ins, K, out), GOC_OK);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(20)), GOC_TIMEOUT);
		goc_ctx_cancel(ctx);
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_CANCELED);
		goc_fan_counts c = goc_merge_counts(m);
		assert_int_equal(c.received + c.sent + c.dropped, 0);
		goc_merge_free(m);
		for (int i = 0; i < K; i++)
			goc_chan_free(ins[i]);
		goc_chan_free(out);
		goc_ctx_free(ctx);
	}
}

/* A NULL input is Go's nil channel: never ready, never closed. */
static void test_merge_nil_input_keeps_merge_open_until_cancel(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
		assert_non_null(ctx);
		goc_chan *ins[2] = { goc_chan_make(sizeof(int64_t), 10), NULL };
		goc_chan *out = goc_chan_make(sizeof(int64_t), 10);
		assert_non_null(ins[0]);
		assert_non_null(out);
		for (int64_t v = 1; v <= 10; v++)
			assert_int_equal(goc_chan_send(ins[0], &v, GOC_NOWAIT), GOC_OK);
		goc_chan_close(ins[0]);
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], ctx, ins, 2, out), GOC_OK);
		for (int64_t want = 1; want <= 10; want++) {
			int64_t v;
			assert_int_equal(goc_chan_recv(out, &v, goc_test_ms(10000)), GOC_OK);
			assert_int_equal(v, want);
		}
		/* The closed input is done; the nil one keeps the output open. */
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(30)), GOC_TIMEOUT);
		assert_int_equal(goc_merge_wait(m, GOC_NOWAIT), GOC_WOULDBLOCK);
		goc_ctx_cancel(ctx);
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_CANCELED);
		goc_fan_counts c = goc_merge_counts(m);
		assert_int_equal(c.sent, 10);
		assert_int_equal(c.dropped, 0);
		goc_merge_free(m);
		goc_chan_free(ins[0]);
		goc_chan_free(out);
		goc_ctx_free(ctx);
	}
}

/* A deadline ends the merge with the context's own cause. */
static void test_merge_context_deadline_ends_with_deadline_exceeded(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 30 * MS);
		assert_non_null(ctx);
		goc_chan *in = goc_chan_make(sizeof(int64_t), 0), *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(in);
		assert_non_null(out);
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], ctx, &in, 1, out), GOC_OK);
		assert_int_equal(goc_chan_recv(out, NULL, goc_test_ms(10000)), GOC_CLOSED);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_DEADLINE_EXCEEDED);
		goc_merge_free(m);
		goc_chan_free(in);
		goc_chan_free(out);
		goc_ctx_free(ctx);
	}
}

/*
 * A context canceled before the start: the merge still closes its output,
 * at once, and may forward a few values first (select picks among ready
 * cases), never more than the inputs held.
 */
static void test_merge_canceled_before_start_closes_output(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
		assert_non_null(ctx);
		goc_ctx_cancel(ctx);
		goc_chan *ins[2], *out = goc_chan_make(sizeof(int64_t), 8);
		assert_non_null(out);
		for (int i = 0; i < 2; i++) {
			ins[i] = goc_chan_make(sizeof(int64_t), 4);
			assert_non_null(ins[i]);
			for (int64_t v = 0; v < 4; v++)
				assert_int_equal(goc_chan_send(ins[i], &v, GOC_NOWAIT), GOC_OK);
		}
		goc_merge *m = NULL;
		assert_int_equal(goc_merge_start(&m, hows[h], ctx, ins, 2, out), GOC_OK);
		assert_true(drain(out, NULL, 0) <= 8);
		assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_CANCELED);
		goc_fan_counts c = goc_merge_counts(m);
		assert_int_equal(c.received, c.sent + c.dropped);
		goc_merge_free(m);
		for (int i = 0; i < 2; i++)
			goc_chan_free(ins[i]);
		goc_chan_free(out);
		goc_ctx_free(ctx);
	}
}

/* ---- fan-out ------------------------------------------------------------------ */

/* Square an int64_t; keep it only if the argument says all, or it is even. */
static bool square(void *arg, const void *in, void *out)
{
	const bool *evens_only = arg;
	int64_t v;
	memcpy(&v, in, sizeof v);
	int64_t sq = v * v;
	memcpy(out, &sq, sizeof sq);
	return !(evens_only && *evens_only) || sq % 2 == 0;
}

/*
 * A barrier in the work: the first `parties` calls wait until all of them
 * have arrived. A worker is inside the function for one element at a time,
 * so `parties` calls inside at once are `parties` different workers, each
 * holding an element of the one input.
 */
typedef struct meet {
	int parties;             /* read-only */
	atomic_int arrivals;     /* seq_cst: the only shared state; polled */
	atomic_int gave_up;      /* set if the others never came; the test asserts 0 */
} meet;

static bool meet_then_copy(void *arg, const void *in, void *out)
{
	meet *mt = arg;
	if (atomic_fetch_add(&mt->arrivals, 1) < mt->parties) {
		int64_t give_up = goc_deadline_after(20000 * MS);
		/* Poll: the workers are blocked nowhere else, so a sleep is enough. */
		while (atomic_load(&mt->arrivals) < mt->parties) {
			if (goc_now() > give_up) {
				atomic_store(&mt->gave_up, 1);
				break;
			}
			goc_sleep(MS / 10);
		}
	}
	memcpy(out, in, sizeof(int64_t));
	return true;
}

/*
 * 1..n in, M workers squaring, their outputs merged: the sum and count of
 * squares out are those of 1..n (only even ones with the filter on), and the
 * counts add up.
 */
static void fanout_merge_exact(goc_merge_how how, size_t workers, uint64_t n, size_t cap, bool evens_only)
{
	inputs in;
	inputs_make(&in, 1, n, cap);
	goc_chan **outs = calloc(workers, sizeof *outs);
	assert_non_null(outs);
	for (size_t i = 0; i < workers; i++) {
		outs[i] = goc_chan_make(sizeof(int64_t), cap);
		assert_non_null(outs[i]);
	}
	goc_chan *out = goc_chan_make(sizeof(int64_t), cap);
	assert_non_null(out);

	goc_fanout *f = NULL;
	goc_merge *m = NULL;
	assert_int_equal(goc_fanout_start(&f, NULL, in.ch[0], outs, workers, square, &evens_only), GOC_OK);
	assert_int_equal(goc_merge_start(&m, how, NULL, outs, workers, out), GOC_OK);
	inputs_start(&in, NULL);
	uint64_t count = 0, sum = 0, want_count = 0, want_sum = 0;
	int64_t v;
	while (goc_chan_recv(out, &v, goc_test_ms(30000)) == GOC_OK) {
		count++;
		sum += (uint64_t)v;
	}
	for (uint64_t i = 1; i <= n; i++) {
		if (evens_only && i % 2)
			continue;
		want_count++;
		want_sum += i * i;
	}
	assert_int_equal(count, want_count);
	assert_int_equal(sum, want_sum);
	assert_int_equal(goc_fanout_wait(f, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_merge_wait(m, goc_test_ms(10000)), GOC_OK);
	goc_fan_counts fc = goc_fanout_counts(f), mc = goc_merge_counts(m);
	assert_int_equal(fc.received, n);
	assert_int_equal(fc.sent, want_count);
	assert_int_equal(fc.dropped, 0);
	assert_int_equal(mc.sent, want_count);
	inputs_join_free(&in);
	goc_merge_free(m);
	goc_fanout_free(f);
	for (size_t i = 0; i < workers; i++)
		goc_chan_free(outs[i]);
	free(outs);
	goc_chan_free(out);
	goc_test_assert_no_leaks();
}

static void test_fanout_into_merge_exact(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++) {
		fanout_merge_exact(hows[h], 4, 100, 0, false);
		fanout_merge_exact(hows[h], 3, (uint64_t)goc_test_scaled(60000), 64, false);
	}
}

static void test_fanout_filter_drops_odd_squares(void **state)
{
	(void)state;
	for (size_t h = 0; h < NHOWS; h++)
		fanout_merge_exact(hows[h], 4, 1001, 2, true);
}

/* Every worker reads the one input: all M of them hold an element at once. */
static void test_fanout_every_worker_takes_part(void **state)
{
	(void)state;
	enum { M = 4, N = 40 };
	meet mt = { .parties = M };
	atomic_init(&mt.arrivals, 0);
	atomic_init(&mt.gave_up, 0);
	goc_chan *in = goc_chan_make(sizeof(int64_t), N), *outs[M];
	assert_non_null(in);
	for (int i = 0; i < M; i++) {
		outs[i] = goc_chan_make(sizeof(int64_t), N);
		assert_non_null(outs[i]);
	}
	for (int64_t v = 1; v <= N; v++)
		assert_int_equal(goc_chan_send(in, &v, GOC_NOWAIT), GOC_OK);
	goc_chan_close(in);
	goc_fanout *f = NULL;
	assert_int_equal(goc_fanout_start(&f, NULL, in, outs, M, meet_then_copy, &mt), GOC_OK);
	assert_int_equal(goc_fanout_wait(f, goc_test_ms(30000)), GOC_OK);
	int64_t sum = 0;
	size_t total = 0;
	for (int i = 0; i < M; i++) {
		size_t got = 0;
		int64_t v, last = 0;
		while (goc_chan_recv(outs[i], &v, GOC_NOWAIT) == GOC_OK) {
			/* One worker takes its elements in the input's order. */
			assert_true(v > last);
			last = v;
			sum += v;
			got++;
		}
		assert_true(got >= 1);
		total += got;
	}
	assert_int_equal(atomic_load(&mt.gave_up), 0);
	assert_int_equal(total, N);
	assert_int_equal(sum, N * (N + 1) / 2);
	goc_fanout_free(f);
	goc_chan_free(in);
	for (int i = 0; i < M; i++)
		goc_chan_free(outs[i]);
}

/* Without a function, elements pass unchanged; with no workers, nothing runs. */
static void test_fanout_no_function_copies_no_workers_returns(void **state)
{
	(void)state;
	goc_chan *in = goc_chan_make(sizeof(int64_t), 3), *out = goc_chan_make(sizeof(int64_t), 3);
	assert_non_null(in);
	assert_non_null(out);
	for (int64_t v = 5; v < 8; v++)
		assert_int_equal(goc_chan_send(in, &v, GOC_NOWAIT), GOC_OK);
	goc_chan_close(in);
	goc_fanout *f = NULL;
	assert_int_equal(goc_fanout_start(&f, NULL, in, &out, 1, NULL, NULL), GOC_OK);
	assert_int_equal(goc_fanout_wait(f, goc_test_ms(10000)), GOC_OK);
	for (int64_t want = 5; want < 8; want++) {
		int64_t v;
		assert_int_equal(goc_chan_recv(out, &v, GOC_NOWAIT), GOC_OK);
		assert_int_equal(v, want);
	}
	assert_int_equal(goc_chan_recv(out, NULL, GOC_NOWAIT), GOC_CLOSED);
	goc_fanout_free(f);

	goc_fanout *none = NULL;
	assert_int_equal(goc_fanout_start(&none, NULL, in, NULL, 0, NULL, NULL), GOC_OK);
	assert_int_equal(goc_fanout_wait(none, GOC_NOWAIT), GOC_OK);
	goc_fan_counts c = goc_fanout_counts(none);
	assert_int_equal(c.received, 0);
	goc_fanout_free(none);
	goc_chan_free(in);
	goc_chan_free(out);
}

/* An input that never closes: the cancel stops the workers and closes every output. */
static void test_fanout_cancel_stops_workers_closes_outputs(void **state)
{
	(void)state;
	enum { M = 3 };
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	inputs in;
	inputs_make(&in, 1, 0, 0);
	in.prod[0].from = 1;
	in.prod[0].to = INT64_MAX;
	in.prod[0].no_close = true;  /* only the cancel can end the workers */
	goc_chan *outs[M];
	for (int i = 0; i < M; i++) {
		outs[i] = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(outs[i]);
	}
	goc_fanout *f = NULL;
	assert_int_equal(goc_fanout_start(&f, ctx, in.ch[0], outs, M, square, NULL), GOC_OK);
	inputs_start(&in, goc_ctx_done(ctx));
	/* Read a little from each output, then stop reading and cancel. */
	for (int i = 0; i < M; i++)
		assert_int_equal(goc_chan_recv(outs[i], NULL, goc_test_ms(10000)), GOC_OK);
	goc_ctx_cancel(ctx);
	assert_int_equal(goc_fanout_wait(f, goc_test_ms(10000)), GOC_CANCELED);
	for (int i = 0; i < M; i++)
		assert_int_equal(goc_chan_recv(outs[i], NULL, GOC_NOWAIT), GOC_CLOSED);
	goc_fan_counts c = goc_fanout_counts(f);
	assert_int_equal(c.sent, M);
	assert_int_equal(c.received, c.sent + c.dropped);
	inputs_join_free(&in);
	goc_fanout_free(f);
	for (int i = 0; i < M; i++)
		goc_chan_free(outs[i]);
	goc_ctx_free(ctx);
	goc_test_assert_no_leaks();
}

/*
 * The whole chain, Go's "explicit cancellation": an endless producer, a
 * fan-out to M squaring workers, their outputs merged, and a consumer that
 * takes TAKE squares and cancels. Every stage must end on its own, with no
 * value read twice.
 */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void test_fanout_merge_chain_first_values_then_cancel(void **state)
{
	(void)state;
	enum { M = 4, TAKE = 64 };
	for (size_t h = 0; h < NHOWS; h++) {
		goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
		assert_non_null(ctx);
		inputs in;
		inputs_make(&in, 1, 0, 2);
		in.prod[0].from = 1;
		in.prod[0].to = INT64_MAX;
		in.prod[0].no_close = true;  /* only the cancel can end the workers */
		goc_chan *outs[M], *out = goc_chan_make(sizeof(int64_t), 0);
		assert_non_null(out);
		for (int i = 0; i < M; i++) {
			outs[i] = goc_chan_make(sizeof(int64_t), 1);
			assert_non_null(outs[i]);
		}
		goc_fanout *f = NULL;
		goc_merge *m = NULL;
		assert_int_equal(goc_fanout_start(&f, ctx, in.ch[0], outs, M, square, NULL), GOC_OK);
		assert_int_equal(goc_merge_start(&m, hows[h], ctx, outs, M, out), GOC_OK);
		inputs_start(&in, goc_ctx_done(ctx));
		int64_t got[TAKE];
		for (int i = 0; i < TAKE; i++)
			assert_int_equal(goc_chan_recv(out, &got[i], goc_test_ms(10000)), GOC_OK);
		goc_ctx_cancel(ctx);
		assert_int_equal(goc_fanout_wait(f, goc_test_ms(10000)), GOC_CANCELED);
		/* The merge may see every worker's output closed before done: either ending is right. */
		goc_status st = goc_merge_wait(m, goc_test_ms(10000));
		assert_true(st == GOC_CANCELED || st == GOC_OK);
		inputs_join_free(&in);
		qsort(got, TAKE, sizeof got[0], cmp_i64);
		for (int i = 0; i < TAKE; i++) {
			int64_t r = 1;
			while (r * r < got[i])
				r++;
			assert_int_equal(r * r, got[i]);
			if (i > 0)
				assert_true(got[i] > got[i - 1]);
		}
		goc_merge_free(m);
		goc_fanout_free(f);
		for (int i = 0; i < M; i++)
			goc_chan_free(outs[i]);
		goc_chan_free(out);
		goc_ctx_free(ctx);
		goc_test_assert_no_leaks();
	}
}

/* ---- panics ------------------------------------------------------------------ */

static void child_merge_elem_size_mismatch(void)
{
	goc_chan *ins[2] = { goc_chan_make(sizeof(int64_t), 0), goc_chan_make(sizeof(int32_t), 0) };
	goc_chan *out = goc_chan_make(sizeof(int64_t), 0);
	goc_merge *m = NULL;
	(void)goc_merge_start(&m, GOC_MERGE_SELECT, NULL, ins, 2, out);
}

static void child_merge_nil_output(void)
{
	goc_chan *in = goc_chan_make(sizeof(int64_t), 0);
	goc_merge *m = NULL;
	(void)goc_merge_start(&m, GOC_MERGE_TASKS, NULL, &in, 1, NULL);
}

static void child_fanout_output_twice(void)
{
	goc_chan *in = goc_chan_make(sizeof(int64_t), 0), *out = goc_chan_make(sizeof(int64_t), 0);
	goc_chan *outs[3] = { out, goc_chan_make(sizeof(int64_t), 0), out };
	goc_fanout *f = NULL;
	(void)goc_fanout_start(&f, NULL, in, outs, 3, NULL, NULL);
}

static void child_fanout_copy_size_mismatch(void)
{
	goc_chan *in = goc_chan_make(sizeof(int64_t), 0), *out = goc_chan_make(sizeof(int32_t), 0);
	goc_fanout *f = NULL;
	(void)goc_fanout_start(&f, NULL, in, &out, 1, NULL, NULL);
}

static const goc_test_child children[] = {
	{ "merge_elem_size_mismatch", child_merge_elem_size_mismatch },
	{ "merge_nil_output", child_merge_nil_output },
	{ "fanout_output_twice", child_fanout_output_twice },
	{ "fanout_copy_size_mismatch", child_fanout_copy_size_mismatch },
	{ NULL, NULL },
};

static void test_merge_elem_size_mismatch_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("merge_elem_size_mismatch",
	                      "merge: input 1 has 4-byte elements, the output 8-byte ones");
}

static void test_merge_nil_output_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("merge_nil_output", "merge: nil output channel");
}

static void test_fanout_output_given_twice_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("fanout_output_twice",
	                      "fanout: outputs 0 and 2 are the same channel (it would be closed twice)");
}

static void test_fanout_copy_with_size_mismatch_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("fanout_copy_size_mismatch",
	                      "fanout: no function, and the input has 8-byte elements, the outputs 4-byte ones");
}

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_merge_small_inputs_unbuffered_exact_in_order),
		GOC_TEST(test_merge_small_inputs_buffered_exact_in_order),
		GOC_TEST(test_merge_large_inputs_buffered_exact_in_order),
		GOC_TEST(test_merge_large_inputs_unbuffered_exact_in_order),
		GOC_TEST(test_merge_one_input_exact_in_order),
		GOC_TEST(test_merge_many_inputs_exact_in_order),
		GOC_TEST(test_merge_more_inputs_than_values_exact),
		GOC_TEST(test_merge_no_inputs_closes_output),
		GOC_TEST(test_merge_closed_empty_inputs_close_output),
		GOC_TEST(test_merge_struct_elements_copied_whole),
		GOC_TEST(test_merge_zero_size_elements_counted),
		GOC_TEST(test_merge_select_ready_inputs_served_fairly),
		GOC_TEST(test_merge_background_context_exact),
		GOC_TEST(test_merge_wait_before_inputs_close_times_out),
		GOC_TEST(test_merge_free_without_wait_joins_tasks),
		GOC_TEST(test_merge_consumer_cancels_after_first_values_all_exit),
		GOC_TEST(test_merge_silent_inputs_cancel_ends_merge),
		GOC_TEST(test_merge_nil_input_keeps_merge_open_until_cancel),
		GOC_TEST(test_merge_context_deadline_ends_with_deadline_exceeded),
		GOC_TEST(test_merge_canceled_before_start_closes_output),
		GOC_TEST(test_fanout_into_merge_exact),
		GOC_TEST(test_fanout_filter_drops_odd_squares),
		GOC_TEST(test_fanout_every_worker_takes_part),
		GOC_TEST(test_fanout_no_function_copies_no_workers_returns),
		GOC_TEST(test_fanout_cancel_stops_workers_closes_outputs),
		GOC_TEST(test_fanout_merge_chain_first_values_then_cancel),
		GOC_TEST(test_merge_elem_size_mismatch_panics),
		GOC_TEST(test_merge_nil_output_panics),
		GOC_TEST(test_fanout_output_given_twice_panics),
		GOC_TEST(test_fanout_copy_with_size_mismatch_panics),
	};
	return cmocka_run_group_tests_name("fanin", tests, NULL, NULL);
}
