/*
 * counters_stress_test.c - many short W4 runs drawn at random: a variant
 * (all but the pitfall), 1 to 12 tasks, 1 to 3,000 operations (so that
 * tasks often start, wait and finish with almost nothing to do, where a
 * gate or a join that is off by one shows), and, for the variants that
 * read, 0 to 99% reads. Every run must end with exactly the increments the
 * formula gives, every read plausible, and no task left behind. Run 20
 * times in a row under ThreadSanitizer (label stress), each time with a
 * fresh seed (printed; GOC_TEST_SEED replays it), so any race in the
 * counters, the gate or the join has many chances to be seen.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_rwlock_t, in counters.h */
#include <stdint.h>
#include <stdlib.h>

#include "counters.h"
#include "goc_test.h"

static uint64_t rng_state;

/* The next draw below n of the round's stream (goc_test_draw). */
static uint32_t draw(uint32_t n)
{
	return goc_test_draw(&rng_state, n);
}

static void run_rounds(long rounds, uint64_t seed)
{
	for (long i = 0; i < rounds; i++) {
		rng_state = seed + (uint64_t)i * 0x9e3779b97f4a7c15u;
		goc_counters_variant v;
		do
			v = (goc_counters_variant)draw(GOC_COUNTERS_NVARIANTS);
		while (v == GOC_COUNTERS_UNSAFE);
		goc_counters_config cfg = {
			.variant = v,
			.tasks = 1 + draw(12),
			.ops = 1 + draw(3000),
			.reads = goc_counters_variant_reads(v) && draw(2) ? draw(100) : 0,
			.cap = draw(3) == 0 ? 0 : 1 + draw(64),
		};
		goc_counters_report rep;
		assert_int_equal(goc_counters_run(&cfg, &rep), GOC_OK);
		uint64_t writes = goc_counters_expected_writes(cfg.ops, cfg.tasks, cfg.reads);
		if (rep.count != writes || rep.writes != writes || rep.reads != cfg.ops - writes || rep.bad_reads != 0)
			fail_msg("round %ld (seed %#llx): %s, %zu tasks, %llu ops, %u%% reads, cap %zu: count %llu, "
			         "writes %llu, expected %llu; reads %llu, bad %llu",
			         i, (unsigned long long)seed, goc_counters_variant_str(v), cfg.tasks,
			         (unsigned long long)cfg.ops, cfg.reads, cfg.cap, (unsigned long long)rep.count,
			         (unsigned long long)rep.writes, (unsigned long long)writes,
			         (unsigned long long)rep.reads, (unsigned long long)rep.bad_reads);
		goc_test_assert_no_leaks();
	}
}

static void test_counters_random_rounds_exact(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(600), goc_test_seed("counters_stress"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_counters_random_rounds_exact),
	};
	return cmocka_run_group_tests_name("counters_stress", tests, NULL, NULL);
}
