/*
 * semaphore_test.c - the limiters of semaphore.h and the W8 run, each test
 * for all three limiters (chan, goc_sem, sem_t): K acquires succeed and the
 * next would block; a deadline acquire times out after its deadline and
 * leaves the count right (the units held are still exactly the ones taken,
 * and releasing them frees exactly that many); a context acquire ends with
 * the context's err on cancel and on its deadline, takes nothing from a
 * context already done, and succeeds when a unit is released while it
 * waits; a release with nothing held panics, and so do an acquire and a
 * release on a limiter of an unknown kind. The run keeps the limit and
 * reaches it in both forms, reaches T when T < K, and its verification
 * fails on a limiter that lets too many in and on one that lets too few in.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "semaphore.h"

/* A millisecond as a duration (a linger, a sleep, a context's timeout); deadlines come from goc_test_ms(). */
#define MS INT64_C(1000000)

static const goc_limit_kind kinds[] = { GOC_LIMIT_CHAN, GOC_LIMIT_SEM, GOC_LIMIT_POSIX };
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Take n units without waiting; each must succeed. */
static void take(goc_limiter *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(goc_limiter_acquire(l, GOC_NOWAIT), GOC_OK);
}

static void give(goc_limiter *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		goc_limiter_release(l);
}

static void test_limiter_k_acquires_then_wouldblock(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 3);
		assert_non_null(l);
		assert_int_equal(goc_limiter_limit(l), 3);
		assert_int_equal(goc_limiter_held(l), 0);
		take(l, 3);
		assert_int_equal(goc_limiter_held(l), 3);
		assert_int_equal(goc_limiter_acquire(l, GOC_NOWAIT), GOC_WOULDBLOCK);
		assert_int_equal(goc_limiter_held(l), 3);
		give(l, 3);
		assert_int_equal(goc_limiter_held(l), 0);
		goc_limiter_free(l);
	}
}

static void test_limiter_make_zero_or_huge_limit_null(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		assert_null(goc_limiter_make(kinds[k], 0));
		assert_null(goc_limiter_make(kinds[k], GOC_LIMIT_MAX + 1));
	}
	goc_limiter_free(NULL);
}

/*
 * A deadline acquire on a full limiter times out no earlier than its
 * deadline, takes nothing, and afterwards the count is right: one release
 * frees exactly one unit, and a full set of releases frees all K.
 */
static void test_limiter_deadline_times_out_count_right(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 2);
		assert_non_null(l);
		take(l, 2);
		int64_t t0 = goc_now();
		assert_int_equal(goc_limiter_acquire(l, goc_test_ms(20)), GOC_TIMEOUT);
		assert_true(goc_now() - t0 >= 20 * MS);
		/* A deadline already past still tries once, and times out. */
		assert_int_equal(goc_limiter_acquire(l, goc_test_ms(-1)), GOC_TIMEOUT);
		assert_int_equal(goc_limiter_held(l), 2);
		goc_limiter_release(l);
		assert_int_equal(goc_limiter_held(l), 1);
		assert_int_equal(goc_limiter_acquire(l, goc_test_ms(20)), GOC_OK);
		assert_int_equal(goc_limiter_acquire(l, GOC_NOWAIT), GOC_WOULDBLOCK);
		give(l, 2);
		assert_int_equal(goc_limiter_held(l), 0);
		take(l, 2);
		assert_int_equal(goc_limiter_acquire(l, GOC_NOWAIT), GOC_WOULDBLOCK);
		give(l, 2);
		goc_limiter_free(l);
	}
}

/* A task waiting with a deadline; it records, the test asserts. */
typedef struct waiter {
	goc_limiter *l;
	goc_ctx *ctx;       /* NULL: a deadline acquire */
	int64_t deadline;
	goc_status got;
	bool release;       /* release what it took */
	goc_wg *wg;
} waiter;

static void wait_task(void *arg)
{
	waiter *w = arg;
	w->got = w->ctx ? goc_limiter_acquire_ctx(w->l, w->ctx) : goc_limiter_acquire(w->l, w->deadline);
	if (w->got == GOC_OK && w->release)
		goc_limiter_release(w->l);
	goc_wg_done(w->wg);
}

/* A release hands its unit to a waiter, by deadline or by context, long before the deadline. */
static void test_limiter_waiter_woken_by_release(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		for (int by_ctx = 0; by_ctx < 2; by_ctx++) {
			goc_limiter *l = goc_limiter_make(kinds[k], 1);
			assert_non_null(l);
			goc_ctx *ctx = by_ctx ? goc_ctx_with_cancel(goc_ctx_background()) : NULL;
			take(l, 1);
			goc_wg wg;
			goc_wg_init(&wg);
			waiter w = { l, ctx, goc_test_ms(30000), GOC_WOULDBLOCK, false, &wg };
			goc_wg_add(&wg, 1);
			assert_int_equal(goc_go(wait_task, &w), GOC_OK);
			goc_sleep(10 * MS);
			goc_limiter_release(l);
			assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
			assert_int_equal(w.got, GOC_OK);
			assert_int_equal(goc_limiter_held(l), 1);
			goc_limiter_release(l);
			assert_int_equal(goc_limiter_held(l), 0);
			goc_wg_destroy(&wg);
			goc_ctx_free(ctx);
			goc_limiter_free(l);
		}
	}
}

/* A context acquire on a full limiter ends with GOC_CANCELED when another task cancels it. */
static void test_limiter_ctx_canceled_returns_canceled_count_right(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 2);
		assert_non_null(l);
		take(l, 2);
		goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
		assert_non_null(ctx);
		goc_test_canceler c = { 0 };
		assert_int_equal(goc_test_cancel_later(&c, ctx, 20 * MS), GOC_OK);
		int64_t t0 = goc_now();
		assert_int_equal(goc_limiter_acquire_ctx(l, ctx), GOC_CANCELED);
		assert_true(goc_now() - t0 >= 15 * MS);
		assert_int_equal(goc_test_canceler_wait(&c, goc_test_ms(10000)), GOC_OK);
		assert_int_equal(goc_limiter_held(l), 2);
		/* A context already done takes nothing, even with a unit free. */
		goc_limiter_release(l);
		assert_int_equal(goc_limiter_acquire_ctx(l, ctx), GOC_CANCELED);
		assert_int_equal(goc_limiter_held(l), 1);
		goc_ctx *fresh = goc_ctx_with_cancel(goc_ctx_background());
		assert_int_equal(goc_limiter_acquire_ctx(l, fresh), GOC_OK);
		assert_int_equal(goc_limiter_held(l), 2);
		/* The background context never ends a wait, and takes a free unit like any other. */
		goc_limiter_release(l);
		assert_int_equal(goc_limiter_acquire_ctx(l, goc_ctx_background()), GOC_OK);
		assert_int_equal(goc_limiter_held(l), 2);
		give(l, 2);
		assert_int_equal(goc_limiter_held(l), 0);
		goc_ctx_free(fresh);
		goc_ctx_free(ctx);
		goc_limiter_free(l);
	}
}

/* A context with a deadline ends the acquire with GOC_DEADLINE_EXCEEDED, not before it. */
static void test_limiter_ctx_deadline_returns_deadline_exceeded(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 1);
		assert_non_null(l);
		take(l, 1);
		int64_t t0 = goc_now();
		goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 25 * MS);
		assert_non_null(ctx);
		assert_int_equal(goc_limiter_acquire_ctx(l, ctx), GOC_DEADLINE_EXCEEDED);
		assert_true(goc_now() - t0 >= 25 * MS);
		assert_int_equal(goc_limiter_held(l), 1);
		goc_limiter_release(l);
		assert_int_equal(goc_limiter_held(l), 0);
		goc_ctx_free(ctx);
		goc_limiter_free(l);
	}
}

/* Several waiters, some timing out, some served: at the end every unit is accounted for. */
static void test_limiter_mixed_waiters_timeouts_leave_count_right(void **state)
{
	(void)state;
	enum { NW = 6 };
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 2);
		assert_non_null(l);
		take(l, 2);
		goc_wg wg;
		goc_wg_init(&wg);
		waiter ws[NW];
		for (int i = 0; i < NW; i++) {
			/* Odd ones give up after 5 ms, even ones wait long and release what they get. */
			int64_t dl = i % 2 ? goc_test_ms(5) : goc_test_ms(30000);
			ws[i] = (waiter){ l, NULL, dl, GOC_WOULDBLOCK, true, &wg };
			goc_wg_add(&wg, 1);
			assert_int_equal(goc_go(wait_task, &ws[i]), GOC_OK);
		}
		goc_sleep(30 * MS);
		give(l, 2);
		assert_int_equal(goc_wg_wait(&wg, goc_test_ms(20000)), GOC_OK);
		for (int i = 0; i < NW; i += 2)
			assert_int_equal(ws[i].got, GOC_OK);
		for (int i = 1; i < NW; i += 2)
			assert_true(ws[i].got == GOC_TIMEOUT || ws[i].got == GOC_OK);
		assert_int_equal(goc_limiter_held(l), 0);
		take(l, 2);
		assert_int_equal(goc_limiter_acquire(l, GOC_NOWAIT), GOC_WOULDBLOCK);
		give(l, 2);
		goc_wg_destroy(&wg);
		goc_limiter_free(l);
	}
}

/* ---- the run -------------------------------------------------------------------- */

static bool run_verified(goc_limit_kind kind, size_t limit, goc_limit_opts *o, size_t check_limit,
                         goc_limit_stats *s, char *why, size_t len)
{
	goc_limiter *l = goc_limiter_make(kind, limit);
	assert_non_null(l);
	assert_int_equal(goc_limit_run(l, o, s), GOC_OK);
	goc_limiter_free(l);
	return goc_limit_verify(s, o, check_limit, why, len);
}

static void test_run_workers_keeps_and_reaches_limit(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limit_opts o = { .form = GOC_FORM_WORKERS, .tasks = 16, .cycles = (uint64_t)goc_test_scaled(40000) };
		goc_limit_stats s;
		char why[256] = "";
		bool ok = run_verified(kinds[k], 4, &o, 4, &s, why, sizeof why);
		if (!ok)
			fail_msg("kind %zu: %s", k, why);
		assert_int_equal(s.max_in_flight, 4);
		assert_int_equal(s.cycles, o.cycles);
		assert_int_equal(s.held_after, 0);
		assert_true(s.elapsed_ns > 0);
	}
}

static void test_run_spawn_keeps_and_reaches_limit(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limit_opts o = { .form = GOC_FORM_SPAWN, .tasks = 3, .cycles = (uint64_t)goc_test_scaled(3000) };
		goc_limit_stats s;
		char why[256] = "";
		if (!run_verified(kinds[k], 5, &o, 5, &s, why, sizeof why))
			fail_msg("kind %zu: %s", k, why);
		assert_int_equal(s.max_in_flight, 5);
		assert_int_equal(s.cycles, o.cycles);
	}
}

/* With fewer workers than units, all of them are in at once, and no more. */
static void test_run_fewer_tasks_than_limit_reaches_tasks(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limit_opts o = { .form = GOC_FORM_WORKERS, .tasks = 3, .cycles = 3000 };
		assert_int_equal(goc_limit_reach(&o, 8), 3);
		goc_limit_stats s;
		char why[256] = "";
		if (!run_verified(kinds[k], 8, &o, 8, &s, why, sizeof why))
			fail_msg("kind %zu: %s", k, why);
		assert_int_equal(s.max_in_flight, 3);
	}
	goc_limit_opts few = { .form = GOC_FORM_WORKERS, .tasks = 16, .cycles = 2 };
	assert_int_equal(goc_limit_reach(&few, 4), 2);
	goc_limit_opts spawn = { .form = GOC_FORM_SPAWN, .tasks = 1, .cycles = 100 };
	assert_int_equal(goc_limit_reach(&spawn, 4), 4);
}

/* Each holder sleeps 1 ms, so a limiter of 8 surely has more than 4 in at once. */
static void hold_1ms(void *arg)
{
	(void)arg;
	goc_sleep(1 * MS);
}

/* The check catches a semaphore that lets too many in: a limiter of 8 verified against 4. */
static void test_verify_limiter_too_wide_fails(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limit_opts o = { .form = GOC_FORM_WORKERS, .tasks = 16, .cycles = 160, .critical = hold_1ms };
		goc_limit_stats s;
		char why[256] = "";
		assert_false(run_verified(kinds[k], 8, &o, 4, &s, why, sizeof why));
		assert_true(s.max_in_flight > 4);
		assert_non_null(strstr(why, "more than the limit 4"));
	}
}

/* The check catches a semaphore that serializes: a limiter of 1 verified against 4 lingers, then fails. */
static void test_verify_limiter_serializing_fails(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		for (int spawn = 0; spawn < 2; spawn++) {
			goc_limit_opts o = { .form = spawn ? GOC_FORM_SPAWN : GOC_FORM_WORKERS, .tasks = 8, .cycles = 800,
			                     .linger_ns = 30 * MS };
			goc_limit_stats s;
			char why[256] = "";
			assert_false(run_verified(kinds[k], 1, &o, 4, &s, why, sizeof why));
			assert_int_equal(s.max_in_flight, 1);
			assert_int_equal(s.cycles, 800);
			assert_non_null(strstr(why, "never 4"));
		}
	}
}

/*
 * A run that cannot reach K lingers for its linger time, then ends and
 * fails: here 3 of the 4 units are taken before the run, so at most one
 * task is ever in.
 */
static void test_run_cannot_reach_limit_lingers_then_fails(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_limiter *l = goc_limiter_make(kinds[k], 4);
		assert_non_null(l);
		take(l, 3);
		goc_limit_opts o = { .form = GOC_FORM_WORKERS, .tasks = 8, .cycles = 400, .linger_ns = 40 * MS };
		goc_limit_stats s;
		assert_int_equal(goc_limit_run(l, &o, &s), GOC_OK);
		assert_true(s.elapsed_ns >= 40 * MS);
		assert_int_equal(s.max_in_flight, 1);
		assert_int_equal(s.cycles, 400);
		assert_int_equal(s.held_after, 3);
		char why[256] = "";
		assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
		assert_non_null(strstr(why, "never 4"));
		give(l, 3);
		goc_limiter_free(l);
	}
}

/* Each way a run can be wrong fails verification on its own, with its reason. */
static void test_verify_each_fault_named(void **state)
{
	(void)state;
	goc_limit_opts o = { .form = GOC_FORM_WORKERS, .tasks = 16, .cycles = 1000 };
	goc_limit_stats good = { .cycles = 1000, .max_in_flight = 4, .held_after = 0, .elapsed_ns = 1 };
	char why[256] = "";
	assert_true(goc_limit_verify(&good, &o, 4, why, sizeof why));
	goc_limit_stats s = good;
	s.cycles = 999;
	assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
	assert_non_null(strstr(why, "cycles done: expected 1000, got 999"));
	s = good;
	s.max_in_flight = 5;
	assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
	assert_non_null(strstr(why, "5 in flight at once, more than the limit 4"));
	s = good;
	s.max_in_flight = 3;
	assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
	assert_non_null(strstr(why, "at most 3 in flight at once, never 4 (limit 4)"));
	s = good;
	s.held_after = 1;
	assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
	assert_non_null(strstr(why, "still held"));
	assert_non_null(strstr(why, "expected 0, got 1"));
	/*
	 * A run that could not start its tasks says so by its return value
	 * (GOC_NOMEM), which callers look at before verifying; what it leaves in
	 * the stats, cycles short of N, fails verification all the same.
	 */
	s = good;
	s.cycles = 0;
	assert_false(goc_limit_verify(&s, &o, 4, why, sizeof why));
	assert_non_null(strstr(why, "cycles done: expected 1000, got 0"));
}

/* ---- panics ------------------------------------------------------------------------ */

static void release_unheld(goc_limit_kind kind)
{
	goc_limiter *l = goc_limiter_make(kind, 2);
	(void)goc_limiter_acquire(l, GOC_NOWAIT);
	goc_limiter_release(l);
	goc_limiter_release(l);
}

static void child_release_unheld_chan(void) { release_unheld(GOC_LIMIT_CHAN); }
static void child_release_unheld_sem(void) { release_unheld(GOC_LIMIT_SEM); }
static void child_release_unheld_posix(void) { release_unheld(GOC_LIMIT_POSIX); }

/* A limiter whose kind is none of the three (memory gone bad, or a cast): its acquire and release panic. */
static void child_unknown_kind(bool acquire)
{
	goc_limiter *l = goc_limiter_make(GOC_LIMIT_CHAN, 1);
	goc_limit_kind *kind = (goc_limit_kind *)(void *)l; /* the kind is the struct's first field */
	*kind = (goc_limit_kind)42;
	if (acquire)
		(void)goc_limiter_acquire(l, GOC_NOWAIT);
	else
		goc_limiter_release(l);
}

static void child_unknown_kind_acquire(void) { child_unknown_kind(true); }
static void child_unknown_kind_release(void) { child_unknown_kind(false); }

static const goc_test_child children[] = {
	{ "release_unheld_chan", child_release_unheld_chan },
	{ "release_unheld_sem", child_release_unheld_sem },
	{ "release_unheld_posix", child_release_unheld_posix },
	{ "unknown_kind_acquire", child_unknown_kind_acquire },
	{ "unknown_kind_release", child_unknown_kind_release },
	{ NULL, NULL },
};

static void test_limiter_release_more_than_held_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("release_unheld_chan", "semaphore: released more than held");
	goc_test_expect_panic("release_unheld_sem", "semaphore: released more than held");
	goc_test_expect_panic("release_unheld_posix", "semaphore: released more than held");
}

static void test_limiter_unknown_kind_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("unknown_kind_acquire", "semaphore: unknown limiter kind 42");
	goc_test_expect_panic("unknown_kind_release", "semaphore: unknown limiter kind 42");
}

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_limiter_k_acquires_then_wouldblock),
		GOC_TEST(test_limiter_make_zero_or_huge_limit_null),
		GOC_TEST(test_limiter_deadline_times_out_count_right),
		GOC_TEST(test_limiter_waiter_woken_by_release),
		GOC_TEST(test_limiter_ctx_canceled_returns_canceled_count_right),
		GOC_TEST(test_limiter_ctx_deadline_returns_deadline_exceeded),
		GOC_TEST(test_limiter_mixed_waiters_timeouts_leave_count_right),
		GOC_TEST(test_run_workers_keeps_and_reaches_limit),
		GOC_TEST(test_run_spawn_keeps_and_reaches_limit),
		GOC_TEST(test_run_fewer_tasks_than_limit_reaches_tasks),
		GOC_TEST(test_verify_limiter_too_wide_fails),
		GOC_TEST(test_verify_limiter_serializing_fails),
		GOC_TEST(test_run_cannot_reach_limit_lingers_then_fails),
		GOC_TEST(test_verify_each_fault_named),
		GOC_TEST(test_limiter_release_more_than_held_panics),
		GOC_TEST(test_limiter_unknown_kind_panics),
	};
	return cmocka_run_group_tests_name("semaphore", tests, NULL, NULL);
}
