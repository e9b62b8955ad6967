/*
 * workerpool_test.c - goc_workerpool_run(), one test per promise of
 * workerpool.h, each run for every variant (the _chan, _mutexq and _batch
 * suffixes): small and large inputs (every job run and collected exactly
 * once, with the right result), a failing job canceling the pool (the
 * producer stops, workers stop promptly, a job's ctx sees the cancellation,
 * the first cause wins), a failing collect(), cancellation from outside
 * (the caller's context canceled or past its deadline, the call's own
 * deadline, before or during the run) with partial results, pointer jobs
 * whose plain writes TSan checks are ordered, zero-size elements, and the
 * panics for a bad config. Every test runs under GOC_TEST (watchdog, and no
 * task may outlive it) and checks goc_tasks_live() itself after each call.
 *
 * The callbacks record what they see (work() runs on worker tasks, which
 * must not call cmocka); the test thread asserts after the call returns,
 * which every callback happens-before.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "workerpool.h"

#define MS ((int64_t)1000000)
#define ENDLESS UINT64_MAX
/* Job ids below this are checked for duplicates; an endless run stops far earlier. */
#define TRACKED (UINT64_C(1) << 25)
#define TEST_BATCH 8

/* ---- the test's jobs and its records ---------------------------------------- */

typedef struct job {
	uint64_t id;
} job;

typedef struct result {
	uint64_t id;
	uint64_t square;
} result;

typedef struct tstate {
	/* Set before the run; read-only during it. */
	uint64_t n;                 /* jobs are 1..n; ENDLESS: next() never runs out */
	uint64_t fail_at;           /* the job whose work() fails with fail_code; 0: none */
	int fail_code;
	bool fail_all;              /* every job fails, with its id as the code */
	int64_t job_ns;             /* every job first sleeps this long */
	bool others_wait_ctx;       /* jobs other than fail_at wait for the pool's ctx, then fail with 99 */
	uint64_t collect_fail_at;   /* collect() fails with 7 on this call; 0: never */

	uint64_t next;              /* the producer's */

	/* The workers' records, shared: relaxed, read after the call returns. */
	atomic_uint_fast64_t late_starts;  /* jobs begun when the pool's ctx was already canceled */
	atomic_uint_fast64_t ctx_waits;    /* others_wait_ctx jobs that saw the cancellation */

	/* The collector's (the test thread's). */
	uint64_t calls;             /* collect() calls */
	uint64_t taken;             /* of which returned 0 */
	uint64_t sum;               /* of the taken squares */
	uint64_t dups, wrong;       /* ids seen twice; results that are not id^2 */
	uint64_t max_id;            /* the largest id taken */
	uint8_t *seen;              /* bitmap of ids < TRACKED */
} tstate;

static void state_init(tstate *s, uint64_t n)
{
	memset(s, 0, sizeof *s);
	s->n = n;
	s->next = 1;
	atomic_init(&s->late_starts, 0);
	atomic_init(&s->ctx_waits, 0);
	s->seen = calloc(TRACKED / 8, 1);
	assert_non_null(s->seen);
}

static void state_destroy(tstate *s)
{
	free(s->seen);
}

static int next_job(void *arg, void *out)
{
	tstate *s = arg;
	if (s->n != ENDLESS && s->next > s->n)
		return 0;
	((job *)out)->id = s->next++;
	return 1;
}

static int work_job(void *arg, goc_ctx *ctx, const void *in, void *out)
{
	const tstate *cs = arg;
	tstate *s = arg;
	uint64_t id = ((const job *)in)->id;
	if (goc_ctx_err(ctx) != GOC_OK)
		/* Relaxed: a statistic read after the call, which orders it. */
		atomic_fetch_add_explicit(&s->late_starts, 1, memory_order_relaxed);
	if (cs->job_ns)
		goc_sleep(cs->job_ns);
	if (cs->fail_all)
		return (int)id;
	if (id == cs->fail_at)
		return cs->fail_code;
	if (cs->others_wait_ctx) {
		/* A long job that watches its ctx: it gives up once the pool is canceled. */
		if (goc_chan_recv(goc_ctx_done(ctx), NULL, goc_deadline_after(10000 * MS)) == GOC_CLOSED)
			atomic_fetch_add_explicit(&s->ctx_waits, 1, memory_order_relaxed);
		return 99;
	}
	((result *)out)->id = id;
	((result *)out)->square = id * id;
	return 0;
}

static int collect_result(void *arg, const void *in)
{
	tstate *s = arg;
	const result *r = in;
	s->calls++;
	if (s->collect_fail_at && s->calls == s->collect_fail_at)
		return 7;
	if (r->square != r->id * r->id || r->id == 0)
		s->wrong++;
	if (r->id < TRACKED) {
		uint8_t bit = (uint8_t)(1u << (r->id % 8));
		if (s->seen[r->id / 8] & bit)
			s->dups++;
		s->seen[r->id / 8] |= bit;
	}
	if (r->id > s->max_id)
		s->max_id = r->id;
	s->sum += r->square;
	s->taken++;
	return 0;
}

static goc_workerpool_config config_for(goc_workerpool_variant v, size_t workers, size_t queue, tstate *s)
{
	return (goc_workerpool_config){
		.variant = v,
		.workers = workers,
		.queue = queue,
		.batch = TEST_BATCH,
		.job_size = sizeof(job),
		.result_size = sizeof(result),
		.next = next_job,
		.work = work_job,
		.collect = collect_result,
		.arg = s,
	};
}

/* 1^2 + ... + n^2 mod 2^64. */
static uint64_t square_sum(uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t v = 1; v <= n; v++)
		sum += v * v;
	return sum;
}

/*
 * What holds after any run: each collected result is one produced job's,
 * right, and taken once; the report agrees with the collector; and no task
 * is left (goc_tasks_live() may lag the call by a task's return).
 */
static void assert_consistent(const tstate *s, const goc_workerpool_report *r)
{
	assert_int_equal(s->dups, 0);
	assert_int_equal(s->wrong, 0);
	assert_int_equal(r->collected, s->taken);
	assert_true(r->collected <= r->produced);
	assert_true(r->collected + r->failed <= r->run);
	assert_true(r->run <= r->produced);
	assert_true(s->max_id <= r->produced);
	goc_test_assert_no_leaks();
}

/* A run that must finish: OK, every job 1..n run and collected once. */
static void assert_complete(const tstate *s, const goc_workerpool_report *r, uint64_t n)
{
	assert_consistent(s, r);
	assert_int_equal(r->produced, n);
	assert_int_equal(r->run, n);
	assert_int_equal(r->collected, n);
	assert_int_equal(r->failed, 0);
	assert_int_equal(r->err, 0);
	assert_int_equal(s->max_id, n);
	assert_int_equal(s->sum, square_sum(n));
}

/* Register fn for every variant, as fn_chan, fn_mutexq and fn_batch. */
#define VARIANT_TESTS(fn)                                                     \
	static void fn##_chan(void **state)                                   \
	{                                                                     \
		(void)state;                                                  \
		fn(GOC_WORKERPOOL_CHAN);                                      \
	}                                                                     \
	static void fn##_mutexq(void **state)                                 \
	{                                                                     \
		(void)state;                                                  \
		fn(GOC_WORKERPOOL_MUTEXQ);                                    \
	}                                                                     \
	static void fn##_batch(void **state)                                  \
	{                                                                     \
		(void)state;                                                  \
		fn(GOC_WORKERPOOL_BATCH);                                     \
	}
#define GOC_VARIANT_TESTS(fn) GOC_TEST(fn##_chan), GOC_TEST(fn##_mutexq), GOC_TEST(fn##_batch)

/* ---- correctness ---------------------------------------------------------------- */

/* Every small size against every shape of pool, including unbuffered queues. */
static void test_workerpool_small_inputs_collected_once(goc_workerpool_variant v)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 7, 10, 100 };
	static const size_t workers[] = { 1, 2, 4 };
	static const size_t queues[] = { 0, 1, 100 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
			for (size_t q = 0; q < sizeof queues / sizeof queues[0]; q++) {
				tstate s;
				state_init(&s, sizes[i]);
				goc_workerpool_config cfg = config_for(v, workers[w], queues[q], &s);
				goc_workerpool_report r;
				goc_status st = goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r);
				if (st != GOC_OK)
					fail_msg("n %llu, workers %zu, queue %zu: %s", (unsigned long long)sizes[i],
					         workers[w], queues[q], goc_status_str(st));
				assert_complete(&s, &r, sizes[i]);
				state_destroy(&s);
			}
		}
	}
}
VARIANT_TESTS(test_workerpool_small_inputs_collected_once)

static void test_workerpool_large_input_collected_once(goc_workerpool_variant v)
{
	uint64_t n = (uint64_t)goc_test_scaled(200000);
	tstate s;
	state_init(&s, n);
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_OK);
	assert_complete(&s, &r, n);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_large_input_collected_once)

/* More workers than jobs, and more than cores: the idle ones still exit. */
static void test_workerpool_many_workers_few_jobs_complete(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, 5);
	goc_workerpool_config cfg = config_for(v, 32, 2, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_OK);
	assert_complete(&s, &r, 5);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_many_workers_few_jobs_complete)

/* No collect(): results are counted and dropped; the report may be NULL. */
static void test_workerpool_no_collect_counts_results(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, 1000);
	goc_workerpool_config cfg = config_for(v, 3, 10, &s);
	cfg.collect = NULL;
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_OK);
	assert_int_equal(r.collected, 1000);
	assert_int_equal(r.run, 1000);
	s.next = 1;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, NULL), GOC_OK);
	goc_test_assert_no_leaks();
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_no_collect_counts_results)

/*
 * Pointer jobs: next() allocates and fills a cell with plain writes, work()
 * writes its answer into the same cell, collect() reads it and frees it. Only
 * the pool's queues order those accesses, so TSan reports a race if one is
 * missing, and ASan a leak if a cell is lost.
 */
typedef struct cell {
	uint64_t in;
	uint64_t out;
} cell;

typedef struct cells {
	uint64_t next, n;   /* the producer's */
	uint64_t sum;       /* the collector's */
} cells;

static int next_cell(void *arg, void *out)
{
	cells *c = arg;
	if (c->next > c->n)
		return 0;
	cell *p = malloc(sizeof *p);
	if (!p)
		return 0;
	p->in = c->next++;
	p->out = 0;
	memcpy(out, &p, sizeof p);
	return 1;
}

static int work_cell(void *arg, goc_ctx *ctx, const void *in, void *out)
{
	(void)arg;
	(void)ctx;
	cell *p;
	memcpy(&p, in, sizeof p);
	p->out = p->in * 3;
	memcpy(out, &p, sizeof p);
	return 0;
}

static int collect_cell(void *arg, const void *in)
{
	cells *c = arg;
	cell *p;
	memcpy(&p, in, sizeof p);
	c->sum += p->out;
	free(p);
	return 0;
}

static void test_workerpool_pointer_jobs_ordered_and_freed(goc_workerpool_variant v)
{
	cells c = { .next = 1, .n = (uint64_t)goc_test_scaled(20000) };
	goc_workerpool_config cfg = {
		.variant = v, .workers = 4, .queue = 16, .batch = TEST_BATCH,
		.job_size = sizeof(cell *), .result_size = sizeof(cell *),
		.next = next_cell, .work = work_cell, .collect = collect_cell, .arg = &c,
	};
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_OK);
	assert_int_equal(r.collected, c.n);
	assert_int_equal(c.sum, 3 * (c.n * (c.n + 1) / 2));
	goc_test_assert_no_leaks();
}
VARIANT_TESTS(test_workerpool_pointer_jobs_ordered_and_freed)

/* Zero-size jobs and results (Go's chan struct{}): only the counts move. */
typedef struct ticks {
	uint64_t left;                  /* the producer's */
	atomic_uint_fast64_t worked;    /* relaxed: read after the call */
	uint64_t collected;             /* the collector's */
} ticks;

static int next_tick(void *arg, void *out)
{
	(void)out;
	ticks *t = arg;
	if (t->left == 0)
		return 0;
	t->left--;
	return 1;
}

static int work_tick(void *arg, goc_ctx *ctx, const void *in, void *out)
{
	(void)ctx;
	(void)in;
	(void)out;
	atomic_fetch_add_explicit(&((ticks *)arg)->worked, 1, memory_order_relaxed);
	return 0;
}

static int collect_tick(void *arg, const void *in)
{
	(void)in;
	((ticks *)arg)->collected++;
	return 0;
}

static void test_workerpool_zero_size_elements_complete(goc_workerpool_variant v)
{
	ticks t = { .left = 500 };
	atomic_init(&t.worked, 0);
	goc_workerpool_config cfg = {
		.variant = v, .workers = 3, .queue = 4, .batch = TEST_BATCH,
		.next = next_tick, .work = work_tick, .collect = collect_tick, .arg = &t,
	};
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_OK);
	assert_int_equal(atomic_load(&t.worked), 500);
	assert_int_equal(t.collected, 500);
	assert_int_equal(r.collected, 500);
	goc_test_assert_no_leaks();
}
VARIANT_TESTS(test_workerpool_zero_size_elements_complete)

/* ---- a failing job, a failing collect ---------------------------------------------- */

/*
 * An endless producer and one failing job: the call can only return if the
 * failure stopped the producer, and it reports the job's code.
 */
static void test_workerpool_job_error_cancels_pool(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	s.fail_at = 1000;
	s.fail_code = 42;
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_CANCELED);
	assert_int_equal(r.err, 42);
	assert_true(r.failed >= 1);
	assert_true(r.produced >= 1000);
	/* Results of jobs done before the failure were collected, not lost. */
	assert_true(r.collected > 0);
	/* A worker checks the context before each job, so each starts at most one late. */
	assert_true(atomic_load(&s.late_starts) <= 4);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_job_error_cancels_pool)

/*
 * Slow jobs (1 ms each) and an early failure: run to the end, 20,000 jobs
 * on 4 workers would take 5 s; stopped promptly, the call returns at once.
 */
static void test_workerpool_job_error_stops_workers_promptly(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, 20000);
	s.fail_at = 3;
	s.fail_code = 5;
	s.job_ns = 1 * MS;
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	int64_t t0 = goc_now();
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_CANCELED);
	int64_t took = goc_now() - t0;
	assert_int_equal(r.err, 5);
	assert_true(took < 2000 * MS);
	/*
	 * Jobs run: those begun before the failure showed, a handful on a quiet
	 * machine; the bound leaves room for a loaded one, where the failing
	 * worker may sleep while the others go on.
	 */
	assert_true(r.run < 2000);
	assert_true(atomic_load(&s.late_starts) <= 4);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_job_error_stops_workers_promptly)

/*
 * Long jobs that watch their ctx: job 1 fails, the others, blocked waiting
 * on the pool's done channel, see it closed and give up with error 99. The
 * first cause wins: the pool's error stays job 1's.
 */
static void test_workerpool_job_error_reaches_running_jobs_ctx(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	s.fail_at = 1;
	s.fail_code = 11;
	s.others_wait_ctx = true;
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	int64_t t0 = goc_now();
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_CANCELED);
	assert_true(goc_now() - t0 < 5000 * MS);
	assert_int_equal(r.err, 11);
	assert_int_equal(r.collected, 0);
	assert_int_equal(r.failed, r.run);
	/* Every job but the failing one waited on ctx and saw it canceled. */
	assert_int_equal(atomic_load(&s.ctx_waits), r.run - 1);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_job_error_reaches_running_jobs_ctx)

/* Every job fails: the pool's error is one of them, and no result appears. */
static void test_workerpool_every_job_fails_one_error_wins(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, 1000);
	s.fail_all = true;
	goc_workerpool_config cfg = config_for(v, 4, 10, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_CANCELED);
	assert_true(r.err >= 1 && (uint64_t)r.err <= r.produced);
	assert_true(r.failed >= 1 && r.failed <= 4);
	assert_int_equal(r.collected, 0);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_every_job_fails_one_error_wins)

/* collect() fails on its 50th call: the pool stops, later results are dropped. */
static void test_workerpool_collect_error_cancels_pool(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	s.collect_fail_at = 50;
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, &r), GOC_CANCELED);
	assert_int_equal(r.err, 7);
	assert_int_equal(s.calls, 50);
	assert_int_equal(r.collected, 49);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_collect_error_cancels_pool)

/* ---- cancellation from outside ---------------------------------------------------- */

/* The caller's context expires mid-run: partial results, and its own status. */
static void test_workerpool_ctx_deadline_returns_partial_results(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	/* Read the clock first: the context's 100 ms run from its making. */
	int64_t t0 = goc_now();
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 100 * MS);
	assert_non_null(ctx);
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	/* The call's own deadline is later: the context's is the one that fires. */
	assert_int_equal(goc_workerpool_run(&cfg, ctx, goc_test_ms(20000), &r), GOC_DEADLINE_EXCEEDED);
	int64_t took = goc_now() - t0;
	assert_true(took >= 100 * MS);
	assert_true(took < 5000 * MS);
	assert_int_equal(r.err, 0);
	assert_true(r.collected > 0);
	assert_consistent(&s, &r);
	goc_ctx_free(ctx);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_ctx_deadline_returns_partial_results)

/* The call's own deadline: GOC_TIMEOUT, with partial results. */
static void test_workerpool_deadline_returns_timeout(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	goc_workerpool_config cfg = config_for(v, 2, 100, &s);
	goc_workerpool_report r;
	int64_t t0 = goc_now();
	assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), goc_test_ms(100), &r), GOC_TIMEOUT);
	int64_t took = goc_now() - t0;
	assert_true(took >= 100 * MS);
	assert_true(took < 5000 * MS);
	assert_true(r.collected > 0);
	assert_int_equal(r.err, 0);
	assert_consistent(&s, &r);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_deadline_returns_timeout)

/* A deadline already past (GOC_NOWAIT included): the pool is canceled at once. */
static void test_workerpool_past_deadline_times_out_at_once(goc_workerpool_variant v)
{
	int64_t past[] = { GOC_NOWAIT, goc_now() };
	for (size_t i = 0; i < 2; i++) {
		tstate s;
		state_init(&s, ENDLESS);
		goc_workerpool_config cfg = config_for(v, 2, 10, &s);
		goc_workerpool_report r;
		assert_int_equal(goc_workerpool_run(&cfg, goc_ctx_background(), past[i], &r), GOC_TIMEOUT);
		assert_int_equal(r.produced, 0);
		assert_int_equal(r.collected, 0);
		assert_consistent(&s, &r);
		state_destroy(&s);
	}
}
VARIANT_TESTS(test_workerpool_past_deadline_times_out_at_once)

/* Another task cancels the caller's context mid-run: GOC_CANCELED, no job error. */
static void test_workerpool_ctx_canceled_midway_returns_canceled(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	goc_test_canceler c;
	assert_int_equal(goc_test_cancel_later(&c, ctx, 50 * MS), GOC_OK);
	goc_workerpool_config cfg = config_for(v, 4, 100, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, ctx, GOC_FOREVER, &r), GOC_CANCELED);
	assert_int_equal(r.err, 0);
	assert_true(r.collected > 0);
	assert_int_equal(goc_test_canceler_wait(&c, GOC_FOREVER), GOC_OK);
	assert_consistent(&s, &r);
	goc_ctx_free(ctx);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_ctx_canceled_midway_returns_canceled)

/* A context canceled before the call: nothing is produced, nothing hangs. */
static void test_workerpool_ctx_canceled_before_run_does_nothing(goc_workerpool_variant v)
{
	tstate s;
	state_init(&s, ENDLESS);
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	goc_ctx_cancel(ctx);
	goc_workerpool_config cfg = config_for(v, 4, 0, &s);
	goc_workerpool_report r;
	assert_int_equal(goc_workerpool_run(&cfg, ctx, GOC_FOREVER, &r), GOC_CANCELED);
	assert_int_equal(r.produced, 0);
	assert_int_equal(r.run, 0);
	assert_int_equal(r.collected, 0);
	assert_consistent(&s, &r);
	goc_ctx_free(ctx);
	state_destroy(&s);
}
VARIANT_TESTS(test_workerpool_ctx_canceled_before_run_does_nothing)

/* ---- names and panics --------------------------------------------------------------- */

static void test_workerpool_variant_str_names_each(void **state)
{
	(void)state;
	assert_string_equal(goc_workerpool_variant_str(GOC_WORKERPOOL_CHAN), "chan");
	assert_string_equal(goc_workerpool_variant_str(GOC_WORKERPOOL_MUTEXQ), "mutexq");
	assert_string_equal(goc_workerpool_variant_str(GOC_WORKERPOOL_BATCH), "batch");
	assert_string_equal(goc_workerpool_variant_str((goc_workerpool_variant)99), "unknown");
}

static tstate child_state;

static void child_run(goc_workerpool_config cfg)
{
	(void)goc_workerpool_run(&cfg, goc_ctx_background(), GOC_FOREVER, NULL);
}

static void child_zero_workers(void)
{
	state_init(&child_state, 1);
	child_run(config_for(GOC_WORKERPOOL_CHAN, 0, 1, &child_state));
}

static void child_null_work(void)
{
	state_init(&child_state, 1);
	goc_workerpool_config cfg = config_for(GOC_WORKERPOOL_CHAN, 1, 1, &child_state);
	cfg.work = NULL;
	child_run(cfg);
}

static void child_zero_batch(void)
{
	state_init(&child_state, 1);
	goc_workerpool_config cfg = config_for(GOC_WORKERPOOL_BATCH, 1, 1, &child_state);
	cfg.batch = 0;
	child_run(cfg);
}

static void child_nil_ctx(void)
{
	state_init(&child_state, 1);
	goc_workerpool_config cfg = config_for(GOC_WORKERPOOL_CHAN, 1, 1, &child_state);
	(void)goc_workerpool_run(&cfg, NULL, GOC_FOREVER, NULL);
}

static void test_workerpool_zero_workers_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("zero_workers", "workerpool: workers must be at least 1");
}

static void test_workerpool_null_work_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("null_work", "workerpool: next and work must not be NULL");
}

static void test_workerpool_zero_batch_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("zero_batch", "workerpool: batch must be at least 1");
}

static void test_workerpool_nil_ctx_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("nil_ctx", "cannot create context from nil parent");
}

static const goc_test_child children[] = {
	{ "zero_workers", child_zero_workers },
	{ "null_work", child_null_work },
	{ "zero_batch", child_zero_batch },
	{ "nil_ctx", child_nil_ctx },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_VARIANT_TESTS(test_workerpool_small_inputs_collected_once),
		GOC_VARIANT_TESTS(test_workerpool_large_input_collected_once),
		GOC_VARIANT_TESTS(test_workerpool_many_workers_few_jobs_complete),
		GOC_VARIANT_TESTS(test_workerpool_no_collect_counts_results),
		GOC_VARIANT_TESTS(test_workerpool_pointer_jobs_ordered_and_freed),
		GOC_VARIANT_TESTS(test_workerpool_zero_size_elements_complete),
		GOC_VARIANT_TESTS(test_workerpool_job_error_cancels_pool),
		GOC_VARIANT_TESTS(test_workerpool_job_error_stops_workers_promptly),
		GOC_VARIANT_TESTS(test_workerpool_job_error_reaches_running_jobs_ctx),
		GOC_VARIANT_TESTS(test_workerpool_every_job_fails_one_error_wins),
		GOC_VARIANT_TESTS(test_workerpool_collect_error_cancels_pool),
		GOC_VARIANT_TESTS(test_workerpool_ctx_deadline_returns_partial_results),
		GOC_VARIANT_TESTS(test_workerpool_deadline_returns_timeout),
		GOC_VARIANT_TESTS(test_workerpool_past_deadline_times_out_at_once),
		GOC_VARIANT_TESTS(test_workerpool_ctx_canceled_midway_returns_canceled),
		GOC_VARIANT_TESTS(test_workerpool_ctx_canceled_before_run_does_nothing),
		GOC_TEST(test_workerpool_variant_str_names_each),
		GOC_TEST(test_workerpool_zero_workers_panics),
		GOC_TEST(test_workerpool_null_work_panics),
		GOC_TEST(test_workerpool_zero_batch_panics),
		GOC_TEST(test_workerpool_nil_ctx_panics),
	};
	return cmocka_run_group_tests_name("workerpool", tests, NULL, NULL);
}
