/*
 * semaphore_stress_test.c - the three limiters under a random mix of
 * acquires, round after round: 1 to 12 tasks on a limiter of 1 to 6 units,
 * each task making a random number of attempts, each attempt a blocking
 * acquire, a try (GOC_NOWAIT), a deadline of 0-300 us, or a context acquire
 * on a context that another task cancels part way through the round. Every
 * attempt that gets a unit bumps a shared in-flight gauge, records its
 * maximum, drops it and releases. Each round checks, whatever the timing:
 * the gauge never exceeded K; every attempt ended in a status its form
 * allows (OK, WOULDBLOCK for a try, TIMEOUT for a deadline, CANCELED for a
 * context); no unit is left held, and K tries then succeed and the next
 * would block, so timeouts and cancellations left the count right; and,
 * through the fixture and the sanitizers, no task leaks and no race. The
 * seed is printed at the start and named by every failure; GOC_TEST_SEED
 * replays one.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "semaphore.h"

enum { MAX_TASKS = 12, MAX_ATTEMPTS = 200 };

typedef enum how { HOW_FOREVER, HOW_TRY, HOW_DEADLINE, HOW_CTX, NHOWS } how;

typedef struct round_state {
	goc_limiter *l;
	goc_ctx *ctx;
	_Atomic uint64_t in_flight; /* relaxed: ordered by the limiter, as in semaphore.c */
	_Atomic uint64_t max;       /* relaxed: read after the wg */
	goc_wg wg;
} round_state;

typedef struct worker {
	round_state *r;
	uint64_t seed;              /* its own random stream (goc_test_draw()) */
	int attempts;
	int got[NHOWS];             /* units taken, per form; written by the task, read after the wg */
	int bad;                    /* statuses its form does not allow */
} worker;

/* The run's seed (goc_test_seed()), printed by main() and named by every failure. */
static uint64_t seed;

static void work_task(void *arg)
{
	worker *w = arg;
	round_state *r = w->r;
	for (int i = 0; i < w->attempts; i++) {
		how h = (how)goc_test_draw(&w->seed, NHOWS);
		goc_status st;
		switch (h) {
		case HOW_FOREVER:
			st = goc_limiter_acquire(r->l, GOC_FOREVER);
			break;
		case HOW_TRY:
			st = goc_limiter_acquire(r->l, GOC_NOWAIT);
			break;
		case HOW_DEADLINE:
			st = goc_limiter_acquire(r->l, goc_deadline_after((int64_t)goc_test_draw(&w->seed, 300000)));
			break;
		default:
			st = goc_limiter_acquire_ctx(r->l, r->ctx);
			break;
		}
		if (st != GOC_OK) {
			bool allowed = (h == HOW_TRY && st == GOC_WOULDBLOCK) || (h == HOW_DEADLINE && st == GOC_TIMEOUT) ||
			               (h == HOW_CTX && st == GOC_CANCELED);
			if (!allowed)
				w->bad++;
			continue;
		}
		w->got[h]++;
		uint64_t g = atomic_fetch_add_explicit(&r->in_flight, 1, memory_order_relaxed) + 1;
		uint64_t m = atomic_load_explicit(&r->max, memory_order_relaxed);
		while (g > m && !atomic_compare_exchange_weak_explicit(&r->max, &m, g, memory_order_relaxed,
		                                                       memory_order_relaxed))
			;
		if (goc_test_draw(&w->seed, 4) == 0)
			sched_yield();
		atomic_fetch_sub_explicit(&r->in_flight, 1, memory_order_relaxed);
		goc_limiter_release(r->l);
	}
	goc_wg_done(&r->wg);
}

static void test_stress_limiters_random_mix_keep_limit_and_count(void **state)
{
	(void)state;
	static const goc_limit_kind kinds[] = { GOC_LIMIT_CHAN, GOC_LIMIT_SEM, GOC_LIMIT_POSIX };
	uint64_t rng = seed ^ 0x9e3779b97f4a7c15u;
	long rounds = goc_test_scaled(300);
	for (long round = 0; round < rounds; round++) {
		goc_limit_kind kind = kinds[goc_test_draw(&rng, 3)];
		size_t k = 1 + goc_test_draw(&rng, 6);
		size_t nt = 1 + goc_test_draw(&rng, MAX_TASKS);
		round_state r = { .l = goc_limiter_make(kind, k), .ctx = goc_ctx_with_cancel(goc_ctx_background()) };
		assert_non_null(r.l);
		assert_non_null(r.ctx);
		goc_wg_init(&r.wg);
		worker ws[MAX_TASKS];
		memset(ws, 0, sizeof ws);
		goc_test_canceler c = { 0 };
		assert_int_equal(goc_test_cancel_later(&c, r.ctx, (int64_t)(goc_test_draw(&rng, 2000000))), GOC_OK);
		for (size_t i = 0; i < nt; i++) {
			ws[i].r = &r;
			ws[i].seed = goc_test_draw(&rng, UINT32_MAX);
			ws[i].attempts = 1 + (int)(goc_test_draw(&rng, MAX_ATTEMPTS));
			goc_wg_add(&r.wg, 1);
			assert_int_equal(goc_go(work_task, &ws[i]), GOC_OK);
		}
		assert_int_equal(goc_wg_wait(&r.wg, goc_test_ms(60000)), GOC_OK);
		assert_int_equal(goc_test_canceler_wait(&c, goc_test_ms(10000)), GOC_OK);
		for (size_t i = 0; i < nt; i++)
			if (ws[i].bad)
				fail_msg("seed 0x%llx round %ld: task %zu saw %d statuses its acquire form does not allow",
				         (unsigned long long)seed, round, i, ws[i].bad);
		uint64_t max = atomic_load_explicit(&r.max, memory_order_relaxed);
		if (max > k)
			fail_msg("seed 0x%llx round %ld: %llu in flight with a limit of %zu", (unsigned long long)seed, round,
			         (unsigned long long)max, k);
		assert_int_equal(goc_limiter_held(r.l), 0);
		for (size_t i = 0; i < k; i++)
			assert_int_equal(goc_limiter_acquire(r.l, GOC_NOWAIT), GOC_OK);
		assert_int_equal(goc_limiter_acquire(r.l, GOC_NOWAIT), GOC_WOULDBLOCK);
		for (size_t i = 0; i < k; i++)
			goc_limiter_release(r.l);
		goc_wg_destroy(&r.wg);
		goc_ctx_free(r.ctx);
		goc_limiter_free(r.l);
	}
}

/* The W8 run itself, with random shapes: the limit is kept and reached every time. */
static void test_stress_run_random_shapes_verify(void **state)
{
	(void)state;
	static const goc_limit_kind kinds[] = { GOC_LIMIT_CHAN, GOC_LIMIT_SEM, GOC_LIMIT_POSIX };
	uint64_t rng = seed ^ 0x2545f4914f6cdd1du;
	long rounds = goc_test_scaled(60);
	for (long round = 0; round < rounds; round++) {
		size_t k = 1 + goc_test_draw(&rng, 8);
		goc_limit_opts o = { .form = goc_test_draw(&rng, 2) ? GOC_FORM_SPAWN : GOC_FORM_WORKERS,
			             .tasks = 1 + goc_test_draw(&rng, 20), .cycles = 1 + goc_test_draw(&rng, 2000) };
		goc_limiter *l = goc_limiter_make(kinds[goc_test_draw(&rng, 3)], k);
		assert_non_null(l);
		goc_limit_stats s;
		assert_int_equal(goc_limit_run(l, &o, &s), GOC_OK);
		goc_limiter_free(l);
		char why[256] = "";
		if (!goc_limit_verify(&s, &o, k, why, sizeof why))
			fail_msg("seed 0x%llx round %ld (K %zu, %zu tasks, %llu cycles, form %d): %s",
			         (unsigned long long)seed, round, k, o.tasks, (unsigned long long)o.cycles, (int)o.form, why);
	}
}

int main(void)
{
	seed = goc_test_seed("semaphore_stress_test");
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_stress_limiters_random_mix_keep_limit_and_count),
		GOC_TEST(test_stress_run_random_shapes_verify),
	};
	return cmocka_run_group_tests_name("semaphore_stress", tests, NULL, NULL);
}
