/*
 * pipeline_test.c - the pipeline pattern of pipeline.h, one test per
 * promise: the exact sum of even squares over small and large inputs for
 * every variant (unbuffered, buffered, batched with partial batches), the
 * 128-bit sum past 2^64, order kept through many composed stages; take the
 * first K and cancel (every stage returns, with an endless source), cancel
 * with every stage blocked, a parent context's deadline, free while
 * running; a failed item reaching the sink with its id, its error and its
 * stage (from a middle stage, from the square stage's overflow, from a
 * source), skipping the later stages' work; a partial batch sent before a
 * stage waits; the reader's deadlines; and the panic for a foreign channel.
 * Stage functions run on tasks, so they only record; the test thread
 * asserts after goc_pipe_wait(). Every test runs under GOC_TEST: a hang
 * trips the watchdog and a task outliving its test fails it.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc/goc.h"
#include "goc_test.h"
#include "pipeline.h"

#define MS ((int64_t)1000000)

/* One pipeline shape: capacity and batch. */
typedef struct shape {
	size_t cap, batch;
} shape;

/* The three variants of the target, and odd batch sizes that leave partial batches. */
static const shape variants[] = {
	{ 0, 1 },    /* unbuffered */
	{ 128, 1 },  /* buffered */
	{ 1, 1 },    /* buffered, smallest */
	{ 0, 128 },  /* batched over unbuffered channels */
	{ 4, 128 },  /* batched */
	{ 2, 7 },    /* batched, odd */
	{ 0, 3 },
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

/* The sum of squares of the even values of from..to, by walking them: independent of the closed form. */
static goc_pipe_u128 walk_even_squares(uint64_t from, uint64_t to)
{
	goc_pipe_u128 s = 0;
	for (uint64_t v = from; v <= to; v++)
		if (v % 2 == 0)
			s += (goc_pipe_u128)v * v;
	return s;
}

/* generate from..to -> square -> even; the channel the sink reads. */
static goc_chan *build_w6(goc_pipe *p, uint64_t from, uint64_t to)
{
	goc_chan *gen, *sq, *even;
	assert_int_equal(goc_pipe_generate(p, from, to, &gen), GOC_OK);
	assert_int_equal(goc_pipe_square(p, gen, &sq), GOC_OK);
	assert_int_equal(goc_pipe_filter_even(p, sq, &even), GOC_OK);
	return even;
}

/* Run the W6 pipeline over 1..n in shape s to its end, and check it exactly. */
static void check_w6(shape s, uint64_t n)
{
	goc_pipe *p = goc_pipe_make(NULL, s.cap, s.batch);
	assert_non_null(p);
	goc_chan *out = build_w6(p, 1, n);
	goc_pipe_totals t;
	assert_int_equal(goc_pipe_sum(p, out, 0, NULL, NULL, &t), GOC_OK);
	assert_int_equal(goc_pipe_wait(p, goc_test_ms(30000)), GOC_OK);
	goc_pipe_free(p);
	if (t.sum != goc_pipe_even_squares(n) || t.sum != walk_even_squares(1, n))
		fail_msg("cap %zu batch %zu n %llu: wrong sum", s.cap, s.batch, (unsigned long long)n);
	assert_true(t.ok == n / 2);
	assert_true(t.failed == 0);
	assert_true(t.last_id == n - n % 2);
	assert_false(t.limited);
}

/* ---- correctness --------------------------------------------------------------- */

static void test_pipe_small_inputs_every_variant_sum_exact(void **state)
{
	(void)state;
	static const uint64_t sizes[] = { 1, 2, 3, 7, 8, 127, 128, 129, 1000 };
	for (size_t v = 0; v < NVARIANTS; v++)
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			check_w6(variants[v], sizes[i]);
	goc_test_assert_no_leaks();
}

static void test_pipe_large_inputs_every_variant_sum_exact(void **state)
{
	(void)state;
	/* Unbuffered hand-offs park a thread each, so its input is the smaller one. */
	check_w6((shape){ 0, 1 }, (uint64_t)goc_test_scaled(20000));
	check_w6((shape){ 128, 1 }, (uint64_t)goc_test_scaled(200000));
	check_w6((shape){ 128, 128 }, (uint64_t)goc_test_scaled(1000000));
	check_w6((shape){ 0, 100 }, (uint64_t)goc_test_scaled(500000));
	goc_test_assert_no_leaks();
}

/* Squares near 2^64: their sum needs the 128 bits. */
static void test_pipe_sum_past_64_bits_exact(void **state)
{
	(void)state;
	uint64_t to = UINT32_MAX, from = to - (uint64_t)goc_test_scaled(4000);
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_pipe_totals t;
		assert_int_equal(goc_pipe_sum(p, build_w6(p, from, to), 0, NULL, NULL, &t), GOC_OK);
		goc_pipe_free(p);
		assert_true(t.sum > UINT64_MAX);
		assert_true(t.sum == walk_even_squares(from, to));
		assert_true(t.sum == goc_pipe_even_squares(to) - goc_pipe_even_squares(from - 1));
		assert_true(t.failed == 0);
	}
	/* The literal is Python's sum(v * v for v in range(2, 10**7 + 1, 2)). */
	char buf[40];
	assert_string_equal(goc_pipe_u128_str(goc_pipe_even_squares(10000000), buf, sizeof buf),
	                    "166666716666670000000");
	assert_string_equal(goc_pipe_u128_str(0, buf, sizeof buf), "0");
	goc_test_assert_no_leaks();
}

static void test_pipe_empty_source_ends_cleanly(void **state)
{
	(void)state;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_pipe_totals t;
		assert_int_equal(goc_pipe_sum(p, build_w6(p, 5, 4), 0, NULL, NULL, &t), GOC_OK);
		assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
		assert_true(t.sum == 0);
		assert_true(t.ok == 0 && t.failed == 0 && t.last_id == 0 && !t.limited);
		assert_int_equal(goc_pipe_err(p), GOC_OK);
		goc_pipe_free(p);
	}
	goc_test_assert_no_leaks();
}

/* A stage adding 1: values grow by one per stage, ids stay. */
static goc_pipe_verdict add_one(void *arg, goc_pipe_item *item)
{
	(void)arg;
	item->value++;
	return GOC_PIPE_KEEP;
}

static void test_pipe_many_stages_compose_in_order(void **state)
{
	(void)state;
	enum { STAGES = 10 };
	/* Eleven hand-offs per item, each parking a thread when unbuffered: a modest n. */
	uint64_t n = (uint64_t)goc_test_scaled(2000);
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_chan *ch;
		assert_int_equal(goc_pipe_generate(p, 1, n, &ch), GOC_OK);
		for (int s = 0; s < STAGES; s++)
			assert_int_equal(goc_pipe_stage(p, ch, "add1", add_one, NULL, &ch), GOC_OK);
		goc_pipe_reader r;
		assert_int_equal(goc_pipe_reader_init(&r, p, ch), GOC_OK);
		goc_pipe_item it;
		uint64_t want = 1, bad = 0;
		goc_status st;
		while ((st = goc_pipe_read(&r, &it, GOC_FOREVER)) == GOC_OK) {
			if (it.id != want || it.value != want + STAGES || it.err)
				bad++;
			want++;
		}
		assert_int_equal(st, GOC_CLOSED);
		goc_pipe_reader_destroy(&r);
		goc_pipe_free(p);
		assert_true(bad == 0);
		assert_true(want == n + 1);
	}
	goc_test_assert_no_leaks();
}

/* ---- cancellation ---------------------------------------------------------------- */

/* The source never ends (ids up to 2^64 - 1): only the cancellation can stop it. */
static void test_pipe_take_first_k_cancels_every_stage_returns(void **state)
{
	(void)state;
	static const uint64_t takes[] = { 1, 10, 1000 };
	for (size_t v = 0; v < NVARIANTS; v++) {
		for (size_t k = 0; k < sizeof takes / sizeof takes[0]; k++) {
			uint64_t take = takes[k];
			goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
			assert_non_null(p);
			goc_pipe_totals t;
			assert_int_equal(goc_pipe_sum(p, build_w6(p, 1, UINT64_MAX), take, NULL, NULL, &t), GOC_OK);
			/* Nobody drains the channels: the stages return because done is closed. */
			assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
			assert_int_equal(goc_pipe_err(p), GOC_CANCELED);
			goc_pipe_free(p);
			assert_true(t.limited);
			assert_true(t.ok == take && t.failed == 0);
			assert_true(t.last_id == 2 * take);
			/* The first K results are the squares of 2, 4, ..., 2K. */
			assert_true(t.sum == walk_even_squares(1, 2 * take));
		}
	}
	goc_test_assert_no_leaks();
}

static void test_pipe_limit_beyond_the_end_is_a_normal_end(void **state)
{
	(void)state;
	goc_pipe *p = goc_pipe_make(NULL, 8, 1);
	assert_non_null(p);
	goc_pipe_totals t;
	assert_int_equal(goc_pipe_sum(p, build_w6(p, 1, 100), 51, NULL, NULL, &t), GOC_OK);
	assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_pipe_err(p), GOC_OK);
	goc_pipe_free(p);
	assert_false(t.limited);
	assert_true(t.ok == 50 && t.sum == goc_pipe_even_squares(100));
	goc_test_assert_no_leaks();
}

/*
 * Nobody reads: every stage ends up blocked (sending, or receiving from a
 * stage that is), and the cancel alone must bring them all back.
 */
static void test_pipe_cancel_with_stages_blocked_all_return(void **state)
{
	(void)state;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_chan *out = build_w6(p, 1, UINT64_MAX);
		goc_sleep(10 * MS);
		assert_int_equal(goc_pipe_wait(p, GOC_NOWAIT), GOC_WOULDBLOCK);
		goc_pipe_cancel(p);
		goc_pipe_cancel(p); /* idempotent */
		assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
		/* A reader of a canceled pipeline hears of it rather than waiting. */
		goc_pipe_reader r;
		assert_int_equal(goc_pipe_reader_init(&r, p, out), GOC_OK);
		goc_pipe_item it;
		goc_status st;
		while ((st = goc_pipe_read(&r, &it, goc_test_ms(10000))) == GOC_OK)
			assert_true(it.err == NULL && it.value == it.id * it.id);
		assert_true(st == GOC_CANCELED || st == GOC_CLOSED);
		goc_pipe_reader_destroy(&r);
		goc_pipe_totals t;
		assert_int_equal(goc_pipe_sum(p, out, 0, NULL, NULL, &t), GOC_CANCELED);
		goc_pipe_free(p);
	}
	goc_test_assert_no_leaks();
}

static void test_pipe_parent_deadline_cancels_with_deadline_exceeded(void **state)
{
	(void)state;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 20 * MS);
		assert_non_null(parent);
		goc_pipe *p = goc_pipe_make(parent, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_pipe_totals t = { .ok = 12345 };
		assert_int_equal(goc_pipe_sum(p, build_w6(p, 1, UINT64_MAX), 0, NULL, NULL, &t),
		                 GOC_DEADLINE_EXCEEDED);
		assert_true(t.ok == 12345); /* untouched */
		assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
		assert_int_equal(goc_pipe_err(p), GOC_DEADLINE_EXCEEDED);
		goc_pipe_free(p);
		goc_ctx_free(parent);
	}
	goc_test_assert_no_leaks();
}

static void test_pipe_free_while_running_cancels_and_joins(void **state)
{
	(void)state;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		goc_pipe_reader r;
		assert_int_equal(goc_pipe_reader_init(&r, p, build_w6(p, 1, UINT64_MAX)), GOC_OK);
		goc_pipe_item it;
		for (uint64_t i = 1; i <= 3; i++) {
			assert_int_equal(goc_pipe_read(&r, &it, goc_test_ms(10000)), GOC_OK);
			assert_true(it.id == 2 * i && it.value == 4 * i * i);
		}
		goc_pipe_reader_destroy(&r);
		goc_pipe_free(p);
		/* free joined every stage: their fn has returned or is returning. */
		goc_test_assert_no_leaks();
	}
	goc_pipe_free(NULL);
}

/* ---- errors ------------------------------------------------------------------------ */

/* A stage that fails the items whose id is a multiple of 7, and counts the items it saw. */
typedef struct sevens {
	atomic_uint_fast64_t seen; /* relaxed: read after goc_pipe_wait(), which orders it */
} sevens;

static const char seven_err[] = "a multiple of seven";

static goc_pipe_verdict fail_sevens(void *arg, goc_pipe_item *item)
{
	sevens *s = arg;
	/* Relaxed: a count published by the stage's return (see sevens.seen). */
	atomic_fetch_add_explicit(&s->seen, 1, memory_order_relaxed);
	if (item->id % 7 == 0) {
		item->err = seven_err;
		return GOC_PIPE_FAIL;
	}
	return GOC_PIPE_KEEP;
}

/* What the sink reported of failed items (on the test thread). */
typedef struct fail_record {
	uint64_t n;             /* ids 1..n */
	unsigned char *times;   /* times[id]: how often id was reported */
	uint64_t count;
	uint64_t wrong;         /* wrong error, stage or value */
	const char *want_err, *want_stage;
	bool squared;           /* the value must be id * id (failed after square) */
} fail_record;

static void record_fail(void *arg, const goc_pipe_item *item)
{
	fail_record *f = arg;
	f->count++;
	if (item->id >= 1 && item->id <= f->n && f->times[item->id] < 255)
		f->times[item->id]++;
	else
		f->wrong++;
	if (strcmp(item->err, f->want_err) != 0 || !item->stage || strcmp(item->stage, f->want_stage) != 0)
		f->wrong++;
	if (f->squared && item->value != item->id * item->id)
		f->wrong++;
}

/*
 * generate -> square -> fail7 -> even -> sum: each multiple of 7 reaches the
 * sink once, failed by "fail7", with its squared value; odd ones too, since
 * a failed item skips the even filter; and the rest sum exactly.
 */
static void test_pipe_stage_failure_reaches_sink_with_identity(void **state)
{
	(void)state;
	uint64_t n = (uint64_t)goc_test_scaled(7000);
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		sevens s;
		atomic_init(&s.seen, 0);
		goc_chan *gen, *sq, *failed, *even;
		assert_int_equal(goc_pipe_generate(p, 1, n, &gen), GOC_OK);
		assert_int_equal(goc_pipe_square(p, gen, &sq), GOC_OK);
		assert_int_equal(goc_pipe_stage(p, sq, "fail7", fail_sevens, &s, &failed), GOC_OK);
		assert_int_equal(goc_pipe_filter_even(p, failed, &even), GOC_OK);
		fail_record f = { .n = n, .times = calloc(n + 1, 1), .want_err = seven_err,
		                  .want_stage = "fail7", .squared = true };
		assert_non_null(f.times);
		goc_pipe_totals t;
		assert_int_equal(goc_pipe_sum(p, even, 0, record_fail, &f, &t), GOC_OK);
		assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
		goc_pipe_free(p);

		assert_true(f.wrong == 0);
		assert_true(f.count == n / 7 && t.failed == n / 7);
		for (uint64_t id = 1; id <= n; id++)
			if (f.times[id] != (id % 7 == 0))
				fail_msg("id %llu reported %u times", (unsigned long long)id, f.times[id]);
		free(f.times);
		goc_pipe_u128 want = walk_even_squares(1, n);
		for (uint64_t id = 14; id <= n; id += 14)
			want -= (goc_pipe_u128)id * id;
		assert_true(t.sum == want);
		assert_true(t.ok == n / 2 - n / 14);
		assert_true(atomic_load_explicit(&s.seen, memory_order_relaxed) == n);
	}
	goc_test_assert_no_leaks();
}

/* A stage that only counts the items it is given. */
static goc_pipe_verdict count_seen(void *arg, goc_pipe_item *item)
{
	(void)item;
	/* Relaxed: read after goc_pipe_wait(), which orders it. */
	atomic_fetch_add_explicit((atomic_uint_fast64_t *)arg, 1, memory_order_relaxed);
	return GOC_PIPE_KEEP;
}

static void test_pipe_failed_items_skip_later_stage_functions(void **state)
{
	(void)state;
	uint64_t n = 700;
	goc_pipe *p = goc_pipe_make(NULL, 4, 5);
	assert_non_null(p);
	sevens s;
	atomic_init(&s.seen, 0);
	atomic_uint_fast64_t after;
	atomic_init(&after, 0);
	goc_chan *gen, *failed, *counted;
	assert_int_equal(goc_pipe_generate(p, 1, n, &gen), GOC_OK);
	assert_int_equal(goc_pipe_stage(p, gen, "fail7", fail_sevens, &s, &failed), GOC_OK);
	assert_int_equal(goc_pipe_stage(p, failed, "count", count_seen, &after, &counted), GOC_OK);
	goc_pipe_totals t;
	assert_int_equal(goc_pipe_sum(p, counted, 0, NULL, NULL, &t), GOC_OK);
	assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
	goc_pipe_free(p);
	assert_true(atomic_load_explicit(&after, memory_order_relaxed) == n - n / 7);
	assert_true(t.failed == n / 7 && t.ok == n - n / 7);
	goc_test_assert_no_leaks();
}

/* 2^32 squared does not fit in 64 bits: the square stage fails it, "overflow". */
static void test_pipe_square_overflow_fails_item_in_square(void **state)
{
	(void)state;
	uint64_t from = (uint64_t)UINT32_MAX - 3, to = (uint64_t)UINT32_MAX + 3;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		fail_record f = { .n = to - from + 1, .times = calloc(to - from + 2, 1), .want_err = "overflow",
		                  .want_stage = "square" };
		assert_non_null(f.times);
		/* record_fail indexes by id; shift the window to 1..7 through the ids it sees. */
		goc_pipe_totals t;
		goc_pipe_reader r;
		assert_int_equal(goc_pipe_reader_init(&r, p, build_w6(p, from, to)), GOC_OK);
		goc_pipe_item it;
		goc_status st;
		t = (goc_pipe_totals){ 0 };
		while ((st = goc_pipe_read(&r, &it, goc_test_ms(10000))) == GOC_OK) {
			if (it.err) {
				it.id -= from - 1;
				record_fail(&f, &it);
				assert_true(it.value == it.id + from - 1); /* left as it was */
				t.failed++;
			} else {
				t.sum += it.value;
				t.ok++;
			}
		}
		assert_int_equal(st, GOC_CLOSED);
		goc_pipe_reader_destroy(&r);
		goc_pipe_free(p);
		assert_true(f.wrong == 0);
		/* from + 4 .. from + 6 are 2^32 .. 2^32 + 2, ids 5..7 in the window. */
		for (uint64_t i = 1; i <= 7; i++)
			assert_int_equal(f.times[i], i >= 5);
		free(f.times);
		assert_true(t.failed == 3 && t.ok == 2);
		assert_true(t.sum == walk_even_squares(from, UINT32_MAX));
	}
	goc_test_assert_no_leaks();
}

/* A source failing item 3 of 1..5 (a record it could not parse, say). */
typedef struct five {
	uint64_t next; /* the source task's own */
} five;

static bool five_next(void *arg, goc_pipe_item *item)
{
	five *f = arg;
	if (f->next > 5)
		return false;
	item->id = item->value = f->next++;
	if (item->id == 3)
		item->err = "unparsable";
	return true;
}

static void test_pipe_source_failure_reaches_sink_named_source(void **state)
{
	(void)state;
	for (size_t v = 0; v < NVARIANTS; v++) {
		goc_pipe *p = goc_pipe_make(NULL, variants[v].cap, variants[v].batch);
		assert_non_null(p);
		five src = { 1 };
		goc_chan *gen, *sq;
		assert_int_equal(goc_pipe_source(p, five_next, &src, &gen), GOC_OK);
		assert_int_equal(goc_pipe_square(p, gen, &sq), GOC_OK);
		fail_record f = { .n = 5, .times = calloc(6, 1), .want_err = "unparsable", .want_stage = "source" };
		assert_non_null(f.times);
		goc_pipe_totals t;
		assert_int_equal(goc_pipe_sum(p, sq, 0, record_fail, &f, &t), GOC_OK);
		goc_pipe_free(p);
		assert_true(f.wrong == 0 && f.count == 1 && f.times[3] == 1);
		free(f.times);
		assert_true(t.ok == 4 && t.sum == 1 + 4 + 16 + 25);
	}
	goc_test_assert_no_leaks();
}

/* ---- batching and the reader ----------------------------------------------------- */

/* A source that sends 1..5, then waits for its gate to close, then ends. */
typedef struct gated {
	goc_chan *gate;
	uint64_t next; /* the source task's own */
} gated;

static bool gated_next(void *arg, goc_pipe_item *item)
{
	gated *g = arg;
	if (g->next == 6)
		(void)goc_chan_recv(g->gate, NULL, GOC_FOREVER);
	if (g->next > 5)
		return false;
	item->id = item->value = g->next++;
	return true;
}

/*
 * Batch 4: the source sends [1 2 3 4] and then stalls holding 5. The even
 * stage keeps [2 4], half a batch, and must send it before it waits for
 * more input, or the reader would wait as long as the source does.
 */
static void test_pipe_partial_batch_sent_before_stage_waits(void **state)
{
	(void)state;
	goc_pipe *p = goc_pipe_make(NULL, 0, 4);
	assert_non_null(p);
	gated g = { goc_chan_make(0, 0), 1 };
	assert_non_null(g.gate);
	goc_chan *src, *even;
	assert_int_equal(goc_pipe_source(p, gated_next, &g, &src), GOC_OK);
	assert_int_equal(goc_pipe_filter_even(p, src, &even), GOC_OK);
	goc_pipe_reader r;
	assert_int_equal(goc_pipe_reader_init(&r, p, even), GOC_OK);
	goc_pipe_item it;
	assert_int_equal(goc_pipe_read(&r, &it, goc_test_ms(10000)), GOC_OK);
	assert_true(it.id == 2);
	assert_int_equal(goc_pipe_read(&r, &it, goc_test_ms(10000)), GOC_OK);
	assert_true(it.id == 4);
	/* Nothing more until the source moves: the reader's deadlines. */
	assert_int_equal(goc_pipe_read(&r, &it, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(goc_pipe_read(&r, &it, goc_test_ms(20)), GOC_TIMEOUT);
	assert_true(it.id == 4); /* untouched */
	goc_chan_close(g.gate);
	assert_int_equal(goc_pipe_read(&r, &it, goc_test_ms(10000)), GOC_CLOSED);
	goc_pipe_reader_destroy(&r);
	assert_int_equal(goc_pipe_wait(p, goc_test_ms(10000)), GOC_OK);
	goc_pipe_free(p);
	goc_chan_free(g.gate);
	goc_test_assert_no_leaks();
}

static void test_pipe_make_reports_its_shape(void **state)
{
	(void)state;
	goc_pipe *p = goc_pipe_make(NULL, 3, 0);
	assert_non_null(p);
	assert_int_equal(goc_pipe_cap(p), 3);
	assert_int_equal(goc_pipe_batch(p), 1);
	goc_pipe_free(p);
	p = goc_pipe_make(NULL, 0, GOC_PIPE_MAX_BATCH);
	assert_non_null(p);
	assert_int_equal(goc_pipe_batch(p), GOC_PIPE_MAX_BATCH);
	assert_int_equal(goc_pipe_err(p), GOC_OK);
	goc_pipe_free(p);
}

/* ---- programmer errors ----------------------------------------------------------- */

/* A channel of another pipeline's batch size given to a stage. */
static void child_foreign_channel(void)
{
	goc_pipe *a = goc_pipe_make(NULL, 1, 1), *b = goc_pipe_make(NULL, 1, 8);
	goc_chan *gen, *out;
	if (!a || !b || goc_pipe_generate(a, 1, 10, &gen) != GOC_OK)
		return;
	(void)goc_pipe_square(b, gen, &out);
}

static void child_batch_too_large(void)
{
	(void)goc_pipe_make(NULL, 0, GOC_PIPE_MAX_BATCH + 1);
}

static void test_pipe_stage_on_foreign_channel_panics(void **state)
{
	(void)state;
	/* Batch 1: 8 + 32 bytes an element; batch 8: 8 + 8 * 32. */
	goc_test_expect_panic("foreign_channel",
	                      "pipeline: input channel does not carry this pipeline's elements "
	                      "(element size 40, want 264)");
}

static void test_pipe_make_batch_too_large_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("batch_too_large", "pipeline: batch too large (65537, at most 65536)");
}

static const goc_test_child children[] = {
	{ "foreign_channel", child_foreign_channel },
	{ "batch_too_large", child_batch_too_large },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_pipe_small_inputs_every_variant_sum_exact),
		GOC_TEST(test_pipe_large_inputs_every_variant_sum_exact),
		GOC_TEST(test_pipe_sum_past_64_bits_exact),
		GOC_TEST(test_pipe_empty_source_ends_cleanly),
		GOC_TEST(test_pipe_many_stages_compose_in_order),
		GOC_TEST(test_pipe_take_first_k_cancels_every_stage_returns),
		GOC_TEST(test_pipe_limit_beyond_the_end_is_a_normal_end),
		GOC_TEST(test_pipe_cancel_with_stages_blocked_all_return),
		GOC_TEST(test_pipe_parent_deadline_cancels_with_deadline_exceeded),
		GOC_TEST(test_pipe_free_while_running_cancels_and_joins),
		GOC_TEST(test_pipe_stage_failure_reaches_sink_with_identity),
		GOC_TEST(test_pipe_failed_items_skip_later_stage_functions),
		GOC_TEST(test_pipe_square_overflow_fails_item_in_square),
		GOC_TEST(test_pipe_source_failure_reaches_sink_named_source),
		GOC_TEST(test_pipe_partial_batch_sent_before_stage_waits),
		GOC_TEST(test_pipe_make_reports_its_shape),
		GOC_TEST(test_pipe_stage_on_foreign_channel_panics),
		GOC_TEST(test_pipe_make_batch_too_large_panics),
	};
	return cmocka_run_group_tests_name("pipeline", tests, NULL, NULL);
}
