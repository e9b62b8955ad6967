/*
 * pipeline_stress_test.c - many short pipelines, each of a random shape
 * (capacity 0, 1, 3 or 128; batch 1, 2, 5 or 64), over a random input, with
 * a random --take, random failed items, and in some rounds a cancel from
 * another task at a random moment; first one pipeline at a time, then three
 * at once from three tasks. Every round checks its result exactly against a
 * walk over the ids (or, when the outside cancel won, that the sink said
 * so), that every stage returned within the deadline, and, through the
 * fixture, TSan and ASan, that no task, race or memory leaks. Rounds are
 * planned by the test thread (tasks never draw) and report what went wrong
 * as a message the test thread asserts on.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goc/goc.h"
#include "goc_test.h"
#include "pipeline.h"

#define US ((int64_t)1000)

/* One round's plan, drawn by the test thread. */
typedef struct plan {
	size_t cap, batch;
	uint64_t n;          /* generate 1..n */
	uint64_t take;       /* 0: all */
	uint64_t every;      /* fail the ids that are multiples of it; 0: none */
	int64_t cancel_after; /* ns after the start for an outside cancel; -1: none */
} plan;

/* A small PRNG for the test thread only. */
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t draw(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static plan draw_plan(void)
{
	static const size_t caps[] = { 0, 1, 3, 128 }, batches[] = { 1, 2, 5, 64 };
	plan p;
	p.cap = caps[draw(4)];
	p.batch = batches[draw(4)];
	/* Unbatched unbuffered hand-offs park a thread each: keep those rounds shorter. */
	uint32_t max = p.cap == 0 && p.batch == 1 ? 300 : 3000;
	p.n = draw(max + 1);
	p.take = draw(3) == 0 ? 1 + draw((uint32_t)p.n + 10) : 0;
	p.every = draw(2) == 0 ? 1 + draw(20) : 0;
	p.cancel_after = draw(4) == 0 ? (int64_t)draw(500) * US : -1;
	return p;
}

/* The failing stage: ids that are multiples of *arg fail. */
static const char fail_err[] = "planned failure";

static goc_pipe_verdict fail_some(void *arg, goc_pipe_item *item)
{
	const uint64_t *every = arg;
	if (item->id % *every == 0) {
		item->err = fail_err;
		return GOC_PIPE_FAIL;
	}
	return GOC_PIPE_KEEP;
}

/* What the sink reported of failed items; the sink's thread only. */
typedef struct fails {
	uint64_t every, count, id_sum, wrong, last;
} fails;

static void on_fail(void *arg, const goc_pipe_item *item)
{
	fails *f = arg;
	f->count++;
	f->id_sum += item->id;
	/* In order, a planned id, the planned error, the failing stage, the squared value. */
	if (item->id <= f->last || !f->every || item->id % f->every != 0 || item->err != fail_err ||
	    !item->stage || strcmp(item->stage, "fail") != 0 || item->value != item->id * item->id)
		f->wrong++;
	f->last = item->id;
}

/* goc_pipe_cancel() as a goc_test_call_later() action: the outside cancel. */
static void cancel_pipe(void *pipe)
{
	goc_pipe_cancel(pipe);
}

/*
 * Run one round; NULL if everything held, else what did not (in `why`).
 * Asserts nothing: it runs on tasks too.
 */
static const char *run_round(const plan *pl, char *why, size_t whylen)
{
	goc_pipe *p = goc_pipe_make(NULL, pl->cap, pl->batch);
	if (!p)
		return "goc_pipe_make: out of memory";
	goc_chan *gen = NULL, *sq = NULL, *failed = NULL, *even = NULL;
	goc_status st = goc_pipe_generate(p, 1, pl->n, &gen);
	if (st == GOC_OK)
		st = goc_pipe_square(p, gen, &sq);
	failed = sq;
	if (st == GOC_OK && pl->every)
		st = goc_pipe_stage(p, sq, "fail", fail_some, (void *)&pl->every, &failed);
	if (st == GOC_OK)
		st = goc_pipe_filter_even(p, failed, &even);
	if (st != GOC_OK) {
		goc_pipe_free(p);
		return "building the pipeline: out of memory or threads";
	}

	goc_test_canceler c = { 0 };
	if (pl->cancel_after >= 0 && goc_test_call_later(&c, cancel_pipe, p, pl->cancel_after) != GOC_OK)
		goc_pipe_cancel(p);
	fails f = { .every = pl->every };
	goc_pipe_totals t;
	goc_status sum_st = goc_pipe_sum(p, even, pl->take, on_fail, &f, &t);
	goc_status wait_st = goc_pipe_wait(p, goc_deadline_after(20000 * 1000 * US));
	(void)goc_test_canceler_wait(&c, GOC_FOREVER);
	goc_pipe_free(p);

	if (wait_st != GOC_OK)
		return "the stages did not all return within 20 s";
	if (f.wrong) {
		snprintf(why, whylen, "%llu failed items out of order or with the wrong id, error, stage or value",
		         (unsigned long long)f.wrong);
		return why;
	}
	if (sum_st == GOC_CANCELED && pl->cancel_after >= 0)
		return NULL; /* the outside cancel came first: no totals, and none promised */
	if (sum_st != GOC_OK) {
		snprintf(why, whylen, "goc_pipe_sum: %s", goc_status_str(sum_st));
		return why;
	}

	/* The expected totals, walking the ids in order. */
	goc_pipe_u128 sum = 0;
	uint64_t ok = 0, nfailed = 0, id_sum = 0, last = 0;
	for (uint64_t id = 1; id <= pl->n && !(pl->take && ok + nfailed == pl->take); id++) {
		if (pl->every && id % pl->every == 0) {
			nfailed++;
			id_sum += id;
		} else if (id % 2 == 0) {
			ok++;
			sum += (goc_pipe_u128)id * id;
		} else {
			continue;
		}
		last = id;
	}
	bool limited = pl->take && ok + nfailed == pl->take;
	if (t.sum != sum || t.ok != ok || t.failed != nfailed || f.count != nfailed || f.id_sum != id_sum ||
	    t.last_id != last || t.limited != limited) {
		snprintf(why, whylen,
		         "totals: ok %llu (want %llu), failed %llu/%llu (want %llu), failed id sum %llu (want %llu), "
		         "last id %llu (want %llu), limited %d (want %d), sum %s",
		         (unsigned long long)t.ok, (unsigned long long)ok, (unsigned long long)t.failed,
		         (unsigned long long)f.count, (unsigned long long)nfailed, (unsigned long long)f.id_sum,
		         (unsigned long long)id_sum, (unsigned long long)t.last_id, (unsigned long long)last,
		         t.limited, limited, t.sum == sum ? "right" : "wrong");
		return why;
	}
	return NULL;
}

static void fail_round(const plan *pl, long round, const char *why)
{
	fail_msg("round %ld (cap %zu, batch %zu, n %llu, take %llu, fail every %llu, cancel after %lld ns): %s",
	         round, pl->cap, pl->batch, (unsigned long long)pl->n, (unsigned long long)pl->take,
	         (unsigned long long)pl->every, (long long)pl->cancel_after, why);
}

static void test_pipe_random_rounds_exact_and_joined(void **state)
{
	(void)state;
	long rounds = goc_test_scaled(240);
	char why[512];
	for (long k = 0; k < rounds; k++) {
		plan pl = draw_plan();
		const char *bad = run_round(&pl, why, sizeof why);
		if (bad)
			fail_round(&pl, k, bad);
	}
	goc_test_assert_no_leaks();
}

enum { DRIVERS = 3 };

typedef struct driver {
	plan plans[64];
	long nrounds;
	long bad_round;    /* -1, or the first round that went wrong */
	char why[512];     /* its message; read by the test thread after the wg */
	goc_wg *wg;
} driver;

static void driver_task(void *arg)
{
	driver *d = arg;
	for (long k = 0; k < d->nrounds && d->bad_round < 0; k++) {
		const char *bad = run_round(&d->plans[k], d->why, sizeof d->why);
		if (bad) {
			if (bad != d->why)
				snprintf(d->why, sizeof d->why, "%s", bad);
			d->bad_round = k;
		}
	}
	goc_wg_done(d->wg);
}

/* Three pipelines at once, each from its own task: 12 or more tasks share 2 cores. */
static void test_pipe_concurrent_pipelines_exact_and_joined(void **state)
{
	(void)state;
	driver *d = calloc(DRIVERS, sizeof *d);
	assert_non_null(d);
	goc_wg wg;
	goc_wg_init(&wg);
	long rounds = goc_test_scaled(64);
	for (int i = 0; i < DRIVERS; i++) {
		d[i].nrounds = rounds;
		d[i].bad_round = -1;
		d[i].wg = &wg;
		for (long k = 0; k < rounds; k++)
			d[i].plans[k] = draw_plan();
	}
	goc_wg_add(&wg, DRIVERS);
	for (int i = 0; i < DRIVERS; i++)
		assert_int_equal(goc_go(driver_task, &d[i]), GOC_OK);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(55000)), GOC_OK);
	goc_wg_destroy(&wg);
	for (int i = 0; i < DRIVERS; i++)
		if (d[i].bad_round >= 0)
			fail_round(&d[i].plans[d[i].bad_round], d[i].bad_round, d[i].why);
	free(d);
	goc_test_assert_no_leaks();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_pipe_random_rounds_exact_and_joined),
		GOC_TEST(test_pipe_concurrent_pipelines_exact_and_joined),
	};
	return cmocka_run_group_tests_name("pipeline_stress", tests, NULL, NULL);
}
