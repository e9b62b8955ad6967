/*
 * fanin_stress_test.c - merges and fan-outs under random shapes and random
 * cancellation, round after round: 1 to 12 producers, capacities 0, 1, 3
 * and 64, both merges, and in each round one of: run to the end; the
 * consumer cancels after a random number of values and stops reading;
 * another task cancels after a random pause while the consumer reads on; a
 * context deadline of 0-2 ms; a tree (merges of merges); a chain (fan-out
 * to squaring workers, then a merge) canceled by its consumer. Each round
 * checks what the header promises whatever the timing: a merge that ends
 * with GOC_OK delivered exactly the values in; one that was canceled
 * delivered of each input a prefix, in order, and dropped at most one value
 * per task; the counts add up with what was read; every output ends closed;
 * and, through the fixture and the sanitizers, no task or memory leaks and
 * no race.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fanin.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

enum {
	MAX_K = 12,          /* producers (inputs) per round */
	MAX_N = 400,         /* values per round */
	TREE_GROUPS = 3,     /* inner merges in a tree round */
	CHAIN_WORKERS = 3,   /* fan-out workers in a chain round */
};

typedef enum mode {
	MODE_FULL,           /* no context; everything delivered */
	MODE_CONSUMER,       /* the consumer cancels after `take` values and stops reading */
	MODE_OTHER,          /* another task cancels after a pause; the consumer reads to the end */
	MODE_DEADLINE,       /* the context's deadline ends it, or the inputs do first */
	MODE_TREE,           /* inner merges feed an outer one; no context */
	MODE_CHAIN,          /* fan-out then merge, canceled by the consumer */
	NMODES
} mode;

/* A small PRNG for the test thread only; tasks never draw. */
static uint64_t rng_state;

static uint32_t draw(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* ---- tasks -------------------------------------------------------------------- */

typedef struct producer {
	goc_chan *ch;
	int64_t from, to;   /* set before goc_go(), read-only after */
	goc_chan *done;     /* NULL: no cancellation; read-only */
	int64_t sent;       /* written by the task, read by the test after the wg */
	goc_wg *wg;
} producer;

/*
 * Send from..to, each send a select with done when there is one; then close,
 * canceled or not. So a merge may see every input closed, and end with
 * GOC_OK, having delivered all that was sent, if less than the ranges.
 */
static void produce_task(void *arg)
{
	producer *p = arg;
	int64_t sent = 0;
	for (int64_t v = p->from; v <= p->to; v++, sent++) {
		if (!p->done) {
			(void)goc_chan_send(p->ch, &v, GOC_FOREVER);
			continue;
		}
		goc_case cs[] = { GOC_SEND_CASE(p->ch, &v), GOC_RECV_CASE(p->done, NULL) };
		size_t i = 0;
		(void)goc_select(cs, 2, GOC_FOREVER, &i);
		if (i == 1)
			break;
	}
	p->sent = sent;
	goc_chan_close(p->ch);
	goc_wg_done(p->wg);
}

static bool square(void *arg, const void *in, void *out)
{
	(void)arg;
	int64_t v;
	memcpy(&v, in, sizeof v);
	v *= v;
	memcpy(out, &v, sizeof v);
	return true;
}

/* ---- one round ------------------------------------------------------------------ */

typedef struct round {
	mode md;
	goc_merge_how how;
	size_t k, cap;
	uint64_t n;
	size_t take;             /* MODE_CONSUMER, MODE_CHAIN: values read before the cancel */
	int64_t pause_ns;        /* MODE_OTHER, MODE_DEADLINE */

	goc_chan *ins[MAX_K];
	producer prod[MAX_K];
	goc_wg wg;               /* the producers */
	goc_test_canceler cn;    /* MODE_OTHER: cancels after pause_ns */
	int64_t vals[MAX_N];     /* what the consumer read, in order */
	size_t nvals;
} round;

/* Producer p's range of 1..n, split as the target splits it. */
static void plan_inputs(round *r, goc_chan *done)
{
	uint64_t share = r->n / r->k;
	for (size_t p = 0; p < r->k; p++) {
		r->ins[p] = goc_chan_make(sizeof(int64_t), r->cap);
		assert_non_null(r->ins[p]);
		uint64_t to = p == r->k - 1 ? r->n : (p + 1) * share;
		r->prod[p] = (producer){ r->ins[p], (int64_t)(p * share + 1), (int64_t)to, done, 0, &r->wg };
	}
}

static void start_inputs(round *r)
{
	goc_wg_add(&r->wg, (int64_t)r->k);
	for (size_t p = 0; p < r->k; p++)
		assert_int_equal(goc_go(produce_task, &r->prod[p]), GOC_OK);
}

/* Read until closed, keeping the values; a value past MAX_N fails the round. */
static void read_rest(round *r, goc_chan *out)
{
	int64_t v;
	while (goc_chan_recv(out, &v, goc_test_ms(30000)) == GOC_OK) {
		assert_true(r->nvals < MAX_N);
		r->vals[r->nvals++] = v;
	}
}

/*
 * Of each producer's values, those read form a prefix of its range, in
 * order, and all it sent when `complete`; nothing else was read. The
 * producers must have been joined (their `sent` is read).
 */
static void assert_prefixes(const round *r, bool complete)
{
	int64_t next[MAX_K];
	for (size_t p = 0; p < r->k; p++)
		next[p] = r->prod[p].from;
	for (size_t i = 0; i < r->nvals; i++) {
		int64_t v = r->vals[i];
		size_t p = 0;
		while (p < r->k && !(v >= r->prod[p].from && v <= r->prod[p].to))
			p++;
		if (p == r->k)
			fail_msg("value %lld belongs to no producer", (long long)v);
		if (v != next[p])
			fail_msg("producer %zu: read %lld, its next is %lld (mode %d, how %d)",
			         p, (long long)v, (long long)next[p], (int)r->md, (int)r->how);
		next[p]++;
	}
	if (complete)
		for (size_t p = 0; p < r->k; p++)
			assert_int_equal(next[p], r->prod[p].from + r->prod[p].sent);
}

/* Values the producers sent between them; after they were joined. */
static uint64_t total_sent(const round *r)
{
	uint64_t n = 0;
	for (size_t p = 0; p < r->k; p++)
		n += (uint64_t)r->prod[p].sent;
	return n;
}

/* What the merge's counts must say, given what was read and how it ended. */
static void assert_counts(const round *r, goc_fan_counts c, goc_status st, size_t tasks)
{
	assert_int_equal(c.sent, r->nvals);
	assert_int_equal(c.received, c.sent + c.dropped);
	assert_true(c.dropped <= tasks);
	if (st == GOC_OK)
		assert_int_equal(c.dropped, 0);
}

/* Join the producers (and the canceler); free their channels, the merges being done. */
static void finish_inputs(round *r)
{
	assert_int_equal(goc_wg_wait(&r->wg, goc_test_ms(30000)), GOC_OK);
	assert_int_equal(goc_test_canceler_wait(&r->cn, goc_test_ms(30000)), GOC_OK);
	for (size_t p = 0; p < r->k; p++)
		goc_chan_free(r->ins[p]);
}

/* One merge over k producers, with the round's kind of cancellation. */
static void run_merge_round(round *r)
{
	goc_ctx *ctx = NULL;
	if (r->md == MODE_DEADLINE)
		ctx = goc_ctx_with_timeout(goc_ctx_background(), r->pause_ns);
	else if (r->md != MODE_FULL)
		ctx = goc_ctx_with_cancel(goc_ctx_background());
	if (r->md != MODE_FULL)
		assert_non_null(ctx);
	plan_inputs(r, ctx ? goc_ctx_done(ctx) : NULL);
	goc_chan *out = goc_chan_make(sizeof(int64_t), r->cap);
	assert_non_null(out);

	goc_merge *m = NULL;
	assert_int_equal(goc_merge_start(&m, r->how, ctx, r->ins, r->k, out), GOC_OK);
	start_inputs(r);
	if (r->md == MODE_OTHER)
		assert_int_equal(goc_test_cancel_later(&r->cn, ctx, r->pause_ns), GOC_OK);
	if (r->md == MODE_CONSUMER) {
		for (; r->nvals < r->take; r->nvals++)
			if (goc_chan_recv(out, &r->vals[r->nvals], goc_test_ms(30000)) != GOC_OK)
				break;
		goc_ctx_cancel(ctx);
		/* Stop reading until the merge has ended: it must end by itself. */
		goc_status st = goc_merge_wait(m, goc_test_ms(30000));
		assert_true(st == GOC_OK || st == GOC_CANCELED);
	}
	read_rest(r, out);

	goc_status st = goc_merge_wait(m, goc_test_ms(30000));
	switch (r->md) {
	case MODE_FULL: assert_int_equal(st, GOC_OK); break;
	case MODE_DEADLINE: assert_true(st == GOC_OK || st == GOC_DEADLINE_EXCEEDED); break;
	default: assert_true(st == GOC_OK || st == GOC_CANCELED); break;
	}
	assert_counts(r, goc_merge_counts(m), st, r->how == GOC_MERGE_TASKS ? r->k : 1);
	assert_int_equal(goc_chan_recv(out, NULL, GOC_NOWAIT), GOC_CLOSED);
	finish_inputs(r);
	assert_prefixes(r, st == GOC_OK);
	if (st == GOC_OK)
		assert_int_equal(r->nvals, total_sent(r));
	if (r->md == MODE_FULL)
		assert_int_equal(r->nvals, r->n);

	goc_merge_free(m);
	goc_chan_free(out);
	goc_ctx_free(ctx);
}

/*
 * A tree: the producers split into TREE_GROUPS groups, each merged by an
 * inner merge (of either kind), whose outputs an outer merge combines. No
 * context: every value must come out, each producer's in order.
 */
static void run_tree_round(round *r)
{
	plan_inputs(r, NULL);
	goc_chan *mid[TREE_GROUPS], *out = goc_chan_make(sizeof(int64_t), r->cap);
	assert_non_null(out);
	goc_merge *inner[TREE_GROUPS], *outer = NULL;
	size_t per = (r->k + TREE_GROUPS - 1) / TREE_GROUPS;
	for (size_t g = 0; g < TREE_GROUPS; g++) {
		mid[g] = goc_chan_make(sizeof(int64_t), r->cap);
		assert_non_null(mid[g]);
		size_t lo = g * per < r->k ? g * per : r->k;
		size_t hi = lo + per < r->k ? lo + per : r->k;
		goc_merge_how how = draw(2) ? GOC_MERGE_TASKS : GOC_MERGE_SELECT;
		assert_int_equal(goc_merge_start(&inner[g], how, NULL, r->ins + lo, hi - lo, mid[g]), GOC_OK);
	}
	assert_int_equal(goc_merge_start(&outer, r->how, NULL, mid, TREE_GROUPS, out), GOC_OK);
	start_inputs(r);
	read_rest(r, out);
	assert_int_equal(goc_merge_wait(outer, goc_test_ms(30000)), GOC_OK);
	for (size_t g = 0; g < TREE_GROUPS; g++)
		assert_int_equal(goc_merge_wait(inner[g], goc_test_ms(30000)), GOC_OK);
	assert_counts(r, goc_merge_counts(outer), GOC_OK, 0);
	finish_inputs(r);
	assert_prefixes(r, true);
	assert_int_equal(r->nvals, r->n);

	goc_merge_free(outer);
	for (size_t g = 0; g < TREE_GROUPS; g++) {
		goc_merge_free(inner[g]);
		goc_chan_free(mid[g]);
	}
	goc_chan_free(out);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/*
 * A chain: one producer of 1..n, a fan-out to CHAIN_WORKERS squaring
 * workers, their outputs merged; the consumer reads `take` values (or all)
 * and cancels. What was read is squares of distinct values of 1..n; all of
 * them when both stages ended with GOC_OK.
 */
static void run_chain_round(round *r)
{
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	r->k = 1;
	plan_inputs(r, goc_ctx_done(ctx));
	goc_chan *outs[CHAIN_WORKERS], *out = goc_chan_make(sizeof(int64_t), r->cap);
	assert_non_null(out);
	for (int i = 0; i < CHAIN_WORKERS; i++) {
		outs[i] = goc_chan_make(sizeof(int64_t), r->cap);
		assert_non_null(outs[i]);
	}
	goc_fanout *f = NULL;
	goc_merge *m = NULL;
	assert_int_equal(goc_fanout_start(&f, ctx, r->ins[0], outs, CHAIN_WORKERS, square, NULL), GOC_OK);
	assert_int_equal(goc_merge_start(&m, r->how, ctx, outs, CHAIN_WORKERS, out), GOC_OK);
	start_inputs(r);
	for (; r->nvals < r->take; r->nvals++)
		if (goc_chan_recv(out, &r->vals[r->nvals], goc_test_ms(30000)) != GOC_OK)
			break;
	goc_ctx_cancel(ctx);
	read_rest(r, out);
	goc_status mst = goc_merge_wait(m, goc_test_ms(30000));
	goc_status fst = goc_fanout_wait(f, goc_test_ms(30000));
	assert_true(mst == GOC_OK || mst == GOC_CANCELED);
	assert_true(fst == GOC_OK || fst == GOC_CANCELED);
	assert_counts(r, goc_merge_counts(m), mst, CHAIN_WORKERS);
	goc_fan_counts fc = goc_fanout_counts(f);
	assert_int_equal(fc.received, fc.sent + fc.dropped);
	assert_true(goc_merge_counts(m).received <= fc.sent);

	qsort(r->vals, r->nvals, sizeof r->vals[0], cmp_i64);
	for (size_t i = 0; i < r->nvals; i++) {
		int64_t root = 1;
		while (root * root < r->vals[i])
			root++;
		assert_int_equal(root * root, r->vals[i]);
		assert_true(root <= (int64_t)r->n);
		if (i > 0)
			assert_true(r->vals[i] > r->vals[i - 1]);
	}
	finish_inputs(r);
	if (mst == GOC_OK && fst == GOC_OK)
		assert_int_equal(r->nvals, total_sent(r));

	goc_merge_free(m);
	goc_fanout_free(f);
	for (int i = 0; i < CHAIN_WORKERS; i++)
		goc_chan_free(outs[i]);
	goc_chan_free(out);
	goc_ctx_free(ctx);
}

static void run_rounds(long rounds, uint64_t seed, bool only_select)
{
	static const size_t caps[] = { 0, 1, 3, 64 };
	round *r = calloc(1, sizeof *r);
	assert_non_null(r);
	for (long i = 0; i < rounds; i++) {
		rng_state = seed + (uint64_t)i * 0x9e3779b97f4a7c15u;
		if (rng_state == 0)
			rng_state = 1;
		memset(r, 0, sizeof *r);
		r->md = (mode)draw(NMODES);
		r->how = only_select || draw(2) ? GOC_MERGE_SELECT : GOC_MERGE_TASKS;
		r->k = 1 + draw(MAX_K);
		r->cap = caps[draw(4)];
		r->n = 1 + draw(MAX_N);
		r->take = draw((uint32_t)r->n + 1);
		r->pause_ns = (int64_t)draw(2000) * 1000;
		goc_wg_init(&r->wg);
		switch (r->md) {
		case MODE_TREE: run_tree_round(r); break;
		case MODE_CHAIN: run_chain_round(r); break;
		default: run_merge_round(r); break;
		}
		goc_wg_destroy(&r->wg);
		/* The tasks' arguments live in *r: none may still be running. */
		goc_test_assert_no_leaks();
	}
	free(r);
}

static void test_fanin_random_rounds_both_merges_invariants_hold(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(400), 0x5eed1234u, false);
}

/* The select merge alone, for its nil-case bookkeeping under cancellation. */
static void test_fanin_random_rounds_select_merge_invariants_hold(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(200), 0xfa41u, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_fanin_random_rounds_both_merges_invariants_hold),
		GOC_TEST(test_fanin_random_rounds_select_merge_invariants_hold),
	};
	return cmocka_run_group_tests_name("fanin_stress", tests, NULL, NULL);
}
