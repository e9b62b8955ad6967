/*
 * workerpool_stress_test.c - goc_workerpool_run() under every way a run can
 * end, drawn at random round after round: to completion, a failing job, a
 * failing collect(), the call's deadline, the caller's context expiring or
 * canceled by another task, at random moments, with random variants,
 * worker counts, tiny queues (so that every blocking path is taken) and
 * batch sizes. Each round checks the invariants of workerpool.h: the status
 * matches what could have ended the run, every collected result is one
 * produced job's, right and taken once, the report agrees with the
 * callbacks, and no task outlives the call. A second test runs several
 * pools at once from several tasks, which record what they saw for the
 * test thread to assert.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "workerpool.h"

#define MS ((int64_t)1000000)
#define US ((int64_t)1000)
#define MAX_JOBS 3000

typedef enum ending {
	END_COMPLETE,     /* nothing stops it */
	END_JOB_FAILS,    /* job fail_at fails */
	END_COLLECT_FAILS,/* collect() fails on call collect_fail_at */
	END_DEADLINE,     /* the call's deadline, after_ns from the start */
	END_CTX_TIMEOUT,  /* the caller's context times out after_ns */
	END_CTX_CANCEL,   /* another task cancels the caller's context after after_ns */
	END_COUNT
} ending;

typedef struct plan {
	goc_workerpool_variant variant;
	size_t workers, queue, batch;
	uint64_t n;                 /* jobs 1..n */
	ending end;
	uint64_t fail_at;           /* END_JOB_FAILS: 1..n */
	uint64_t collect_fail_at;   /* END_COLLECT_FAILS: 1..n */
	int64_t after_ns;           /* END_DEADLINE, END_CTX_*: 0..3 ms */
	bool slow;                  /* jobs spin a little, so that cancellations land mid-run */
} plan;

/* One run's state: the plan (read-only during the run) and the callbacks' records. */
typedef struct run {
	const plan *pl;
	uint64_t next;                  /* the producer's */
	uint64_t calls, taken, dups, wrong, max_id;  /* the collector's */
	uint8_t seen[MAX_JOBS + 1];     /* the collector's */
} run;

typedef struct result {
	uint64_t id;
	uint64_t value;
} result;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185u;
	x ^= x >> 27;
	return x;
}

static int next_job(void *arg, void *out)
{
	run *r = arg;
	if (r->next > r->pl->n)
		return 0;
	*(uint64_t *)out = r->next++;
	return 1;
}

static int work_job(void *arg, goc_ctx *ctx, const void *in, void *out)
{
	(void)ctx;
	const run *r = arg;
	uint64_t id = *(const uint64_t *)in;
	if (r->pl->end == END_JOB_FAILS && id == r->pl->fail_at)
		return 1000 + (int)id;
	uint64_t v = id;
	int rounds = r->pl->slow ? 200 : 1;
	for (int i = 0; i < rounds; i++)
		v = mix(v + 1);
	((result *)out)->id = id;
	((result *)out)->value = v;
	return 0;
}

static uint64_t expected_value(const plan *pl, uint64_t id)
{
	uint64_t v = id;
	int rounds = pl->slow ? 200 : 1;
	for (int i = 0; i < rounds; i++)
		v = mix(v + 1);
	return v;
}

static int collect_result(void *arg, const void *in)
{
	run *r = arg;
	const result *res = in;
	r->calls++;
	if (r->pl->end == END_COLLECT_FAILS && r->calls == r->pl->collect_fail_at)
		return 7;
	if (res->id == 0 || res->id > r->pl->n || res->value != expected_value(r->pl, res->id)) {
		r->wrong++;
	} else {
		if (r->seen[res->id])
			r->dups++;
		r->seen[res->id] = 1;
	}
	if (res->id > r->max_id)
		r->max_id = res->id;
	r->taken++;
	return 0;
}

/*
 * Run one plan and count the broken invariants (0 when all hold); `why`
 * gets the first. Called on the test thread or on a task: it asserts nothing.
 */
static int run_plan(const plan *pl, run *r, char *why, size_t whylen)
{
	memset(r, 0, sizeof *r);
	r->pl = pl;
	r->next = 1;
	goc_workerpool_config cfg = {
		.variant = pl->variant, .workers = pl->workers, .queue = pl->queue, .batch = pl->batch,
		.job_size = sizeof(uint64_t), .result_size = sizeof(result),
		.next = next_job, .work = work_job, .collect = collect_result, .arg = r,
	};

	goc_ctx *ctx = goc_ctx_background();
	int64_t deadline = GOC_FOREVER;
	goc_test_canceler c = { 0 };
	if (pl->end == END_DEADLINE)
		deadline = goc_deadline_after(pl->after_ns);
	if (pl->end == END_CTX_TIMEOUT)
		ctx = goc_ctx_with_timeout(goc_ctx_background(), pl->after_ns);
	if (pl->end == END_CTX_CANCEL) {
		ctx = goc_ctx_with_cancel(goc_ctx_background());
		if (ctx && goc_test_cancel_later(&c, ctx, pl->after_ns) != GOC_OK) {
			snprintf(why, whylen, "no task for the canceler");
			return 1;
		}
	}
	if (!ctx) {
		snprintf(why, whylen, "no memory for a context");
		return 1;
	}

	goc_workerpool_report rep;
	goc_status st = goc_workerpool_run(&cfg, ctx, deadline, &rep);
	(void)goc_test_canceler_wait(&c, GOC_FOREVER);
	goc_ctx_free(ctx);

	int bad = 0;
#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond) && bad++ == 0)                                               \
			snprintf(why, whylen, "%s (variant %s, end %d, status %s, produced %llu," \
			         " run %llu, collected %llu, err %d)", #cond,                       \
			         goc_workerpool_variant_str(pl->variant), (int)pl->end,          \
			         goc_status_str(st), (unsigned long long)rep.produced,           \
			         (unsigned long long)rep.run, (unsigned long long)rep.collected, rep.err); \
	} while (0)
	CHECK(r->dups == 0);
	CHECK(r->wrong == 0);
	CHECK(rep.collected == r->taken);
	CHECK(rep.collected <= rep.produced);
	CHECK(rep.collected + rep.failed <= rep.run);
	CHECK(rep.run <= rep.produced);
	CHECK(r->max_id <= rep.produced);
	CHECK(rep.produced <= pl->n);
	if (st == GOC_OK) {
		CHECK(rep.produced == pl->n);
		CHECK(rep.collected == pl->n);
		CHECK(rep.err == 0);
		/* A job that must fail, or a collect() that must, cannot end in OK. */
		CHECK(pl->end != END_JOB_FAILS);
		CHECK(pl->end != END_COLLECT_FAILS);
	} else {
		switch (pl->end) {
		case END_COMPLETE:
			CHECK(st == GOC_OK);
			break;
		case END_JOB_FAILS:
			CHECK(st == GOC_CANCELED);
			CHECK(rep.err == 1000 + (int)pl->fail_at);
			CHECK(rep.failed == 1);
			break;
		case END_COLLECT_FAILS:
			CHECK(st == GOC_CANCELED);
			CHECK(rep.err == 7);
			CHECK(r->calls == pl->collect_fail_at);
			break;
		case END_DEADLINE:
			CHECK(st == GOC_TIMEOUT);
			CHECK(rep.err == 0);
			break;
		case END_CTX_TIMEOUT:
			CHECK(st == GOC_DEADLINE_EXCEEDED);
			CHECK(rep.err == 0);
			break;
		case END_CTX_CANCEL:
			CHECK(st == GOC_CANCELED);
			CHECK(rep.err == 0);
			break;
		case END_COUNT:
			break;
		}
	}
#undef CHECK
	return bad;
}

/* A small PRNG; each drawer has its own state. */
static uint32_t draw(uint64_t *state, uint32_t n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state % n);
}

static void draw_plan(plan *pl, uint64_t *rng)
{
	static const goc_workerpool_variant variants[] = {
		GOC_WORKERPOOL_CHAN, GOC_WORKERPOOL_MUTEXQ, GOC_WORKERPOOL_BATCH
	};
	memset(pl, 0, sizeof *pl);
	pl->variant = variants[draw(rng, 3)];
	pl->workers = 1 + draw(rng, 6);
	pl->queue = draw(rng, 5);
	pl->batch = 1 + draw(rng, 5);
	pl->n = draw(rng, MAX_JOBS + 1);
	pl->end = (ending)draw(rng, END_COUNT);
	pl->slow = draw(rng, 2) == 0;
	if (pl->n == 0 && (pl->end == END_JOB_FAILS || pl->end == END_COLLECT_FAILS))
		pl->end = END_COMPLETE;
	pl->fail_at = pl->n ? 1 + draw(rng, (uint32_t)pl->n) : 0;
	pl->collect_fail_at = pl->n ? 1 + draw(rng, (uint32_t)pl->n) : 0;
	pl->after_ns = (int64_t)draw(rng, 3000) * US;
}

static void test_workerpool_random_endings_invariants_hold(void **state)
{
	(void)state;
	long rounds = goc_test_scaled(240);
	uint64_t rng = 0x2545f4914f6cdd1du;
	run *r = malloc(sizeof *r);
	assert_non_null(r);
	for (long k = 0; k < rounds; k++) {
		plan pl;
		draw_plan(&pl, &rng);
		char why[512];
		if (run_plan(&pl, r, why, sizeof why) != 0)
			fail_msg("round %ld: %s", k, why);
		goc_test_assert_no_leaks();
	}
	free(r);
}

/* ---- several pools at once ------------------------------------------------------- */

enum { RUNNERS = 4 };

typedef struct runner {
	uint64_t rng;        /* the runner's own */
	long rounds;         /* immutable */
	long bad;            /* written by the runner; read after the WaitGroup */
	char why[512];       /* likewise */
	goc_wg *done;
	run r;               /* the runner's scratch */
} runner;

static void run_rounds(void *arg)
{
	runner *rn = arg;
	for (long k = 0; k < rn->rounds && rn->bad == 0; k++) {
		plan pl;
		draw_plan(&pl, &rn->rng);
		rn->bad += run_plan(&pl, &rn->r, rn->why, sizeof rn->why);
	}
	goc_wg_done(rn->done);
}

static void test_workerpool_concurrent_pools_independent(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	runner *rn = calloc(RUNNERS, sizeof *rn);
	assert_non_null(rn);
	goc_wg_add(&wg, RUNNERS);
	for (int i = 0; i < RUNNERS; i++) {
		rn[i].rng = 0x9e3779b97f4a7c15u * (uint64_t)(i + 1);
		rn[i].rounds = goc_test_scaled(60);
		rn[i].done = &wg;
		assert_int_equal(goc_go(run_rounds, &rn[i]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(120000)), GOC_OK);
	goc_wg_destroy(&wg);
	for (int i = 0; i < RUNNERS; i++)
		if (rn[i].bad)
			fail_msg("runner %d: %s", i, rn[i].why);
	free(rn);
	goc_test_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_workerpool_random_endings_invariants_hold),
		GOC_TEST(test_workerpool_concurrent_pools_independent),
	};
	return cmocka_run_group_tests_name("workerpool_stress", tests, NULL, NULL);
}
