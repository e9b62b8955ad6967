/*
 * leakybuf_test.c - the pools of leakybuf.h and the W9 run: a get from an
 * empty list allocates and a put then get reuses, with exact counts; the
 * list keeps at most its capacity and frees the rest; the free list hands
 * buffers back first in, first out and the stack last in, first out; a
 * buffer comes back with the bytes it was put with (past the stack's link);
 * a list of capacity 0 and the malloc pool never keep anything; a drain and
 * a free leave allocations == frees; the fill pattern's checksums have the
 * closed forms the run checks against; the run verifies for every pool,
 * the lists allocate at least 90% less than malloc; and the verification
 * fails on each kind of wrong result.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "leakybuf.h"

static const goc_pool_kind kinds[] = { GOC_POOL_FREELIST, GOC_POOL_MALLOC, GOC_POOL_STACK };
#define NKINDS (sizeof kinds / sizeof kinds[0])

static void assert_counts(const goc_bufpool *p, uint64_t allocs, uint64_t frees, uint64_t reused)
{
	goc_pool_counts c = goc_bufpool_counts(p);
	assert_int_equal(c.allocs, allocs);
	assert_int_equal(c.frees, frees);
	assert_int_equal(c.reused, reused);
}

static void test_pool_get_empty_allocates_put_get_reuses(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_bufpool *p = goc_bufpool_make(kinds[k], 64, 4);
		assert_non_null(p);
		assert_counts(p, 0, 0, 0);
		void *a = goc_bufpool_get(p);
		assert_non_null(a);
		assert_counts(p, 1, 0, 0);
		goc_bufpool_put(p, a);
		void *b = goc_bufpool_get(p);
		assert_non_null(b);
		if (kinds[k] == GOC_POOL_MALLOC) {
			assert_counts(p, 2, 1, 0);
		} else {
			assert_ptr_equal(a, b);
			assert_counts(p, 1, 0, 1);
		}
		goc_bufpool_put(p, b);
		goc_bufpool_put(p, NULL);
		goc_bufpool_free(p);
	}
	goc_bufpool_free(NULL);
}

/* Put cap + 3: three are freed, cap kept; a drain frees the cap, and the counts balance. */
static void test_pool_keeps_at_most_cap_frees_rest(void **state)
{
	(void)state;
	enum { CAP = 5, N = CAP + 3 };
	for (size_t k = 0; k < NKINDS; k++) {
		goc_bufpool *p = goc_bufpool_make(kinds[k], 128, CAP);
		assert_non_null(p);
		void *bufs[N];
		for (int i = 0; i < N; i++)
			assert_non_null(bufs[i] = goc_bufpool_get(p));
		for (int i = 0; i < N; i++)
			goc_bufpool_put(p, bufs[i]);
		bool keeps = kinds[k] != GOC_POOL_MALLOC;
		assert_counts(p, N, keeps ? N - CAP : N, 0);
		/* The kept ones come back without allocating. */
		for (int i = 0; keeps && i < CAP; i++)
			assert_non_null(bufs[i] = goc_bufpool_get(p));
		if (keeps)
			assert_counts(p, N, N - CAP, CAP);
		for (int i = 0; keeps && i < CAP; i++)
			goc_bufpool_put(p, bufs[i]);
		goc_bufpool_drain(p);
		goc_pool_counts c = goc_bufpool_counts(p);
		assert_int_equal(c.allocs, c.frees);
		/* Drained, the pool still works. */
		void *x = goc_bufpool_get(p);
		assert_non_null(x);
		goc_bufpool_put(p, x);
		goc_bufpool_free(p);
	}
}

static void test_pool_freelist_fifo_stack_lifo(void **state)
{
	(void)state;
	goc_bufpool *fl = goc_bufpool_make(GOC_POOL_FREELIST, 64, 4);
	goc_bufpool *st = goc_bufpool_make(GOC_POOL_STACK, 64, 4);
	assert_non_null(fl);
	assert_non_null(st);
	void *a = goc_bufpool_get(fl), *b = goc_bufpool_get(fl);
	goc_bufpool_put(fl, a);
	goc_bufpool_put(fl, b);
	assert_ptr_equal(goc_bufpool_get(fl), a);
	assert_ptr_equal(goc_bufpool_get(fl), b);
	void *c = goc_bufpool_get(st), *d = goc_bufpool_get(st);
	goc_bufpool_put(st, c);
	goc_bufpool_put(st, d);
	assert_ptr_equal(goc_bufpool_get(st), d);
	assert_ptr_equal(goc_bufpool_get(st), c);
	goc_bufpool_put(fl, a);
	goc_bufpool_put(fl, b);
	goc_bufpool_put(st, c);
	goc_bufpool_put(st, d);
	goc_bufpool_free(fl);
	goc_bufpool_free(st);
}

/* A kept buffer comes back with its bytes (past the stack's 8-byte link). */
static void test_pool_buffer_contents_kept(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		if (kinds[k] == GOC_POOL_MALLOC)
			continue;
		goc_bufpool *p = goc_bufpool_make(kinds[k], 256, 2);
		assert_non_null(p);
		unsigned char *b = goc_bufpool_get(p);
		assert_non_null(b);
		for (int i = 0; i < 256; i++)
			b[i] = (unsigned char)(i * 7 + 1);
		goc_bufpool_put(p, b);
		unsigned char *again = goc_bufpool_get(p);
		assert_ptr_equal(again, b);
		size_t from = kinds[k] == GOC_POOL_STACK ? 8 : 0;
		for (size_t i = from; i < 256; i++)
			assert_int_equal(again[i], (unsigned char)(i * 7 + 1));
		goc_bufpool_put(p, again);
		goc_bufpool_free(p);
	}
}

static void test_pool_cap0_keeps_nothing(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_bufpool *p = goc_bufpool_make(kinds[k], 64, 0);
		assert_non_null(p);
		for (int i = 0; i < 3; i++)
			goc_bufpool_put(p, goc_bufpool_get(p));
		assert_counts(p, 3, 3, 0);
		goc_bufpool_free(p);
	}
}

static void test_pool_make_bad_size_null(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		assert_null(goc_bufpool_make(kinds[k], 0, 4));
		assert_null(goc_bufpool_make(kinds[k], 4, 4));
		assert_null(goc_bufpool_make(kinds[k], 12, 4));
	}
}

/* The closed forms the run checks against are the sums of what fill writes. */
static void test_fill_sums_match_closed_forms(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 3, 512, 1001 };
	uint64_t *w = malloc(1001 * sizeof *w);
	assert_non_null(w);
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		uint64_t total = 0;
		for (uint64_t seq = 0; seq < 40; seq++) {
			goc_leaky_fill(w, sizes[s], seq);
			uint64_t sum = goc_leaky_sum(w, sizes[s]);
			assert_int_equal(sum, goc_leaky_expected_one(sizes[s], seq));
			total += sum;
			assert_int_equal(total, goc_leaky_expected_all(sizes[s], seq + 1));
		}
		/* A buffer holding another buffer's pattern does not pass for it. */
		goc_leaky_fill(w, sizes[s], 3);
		assert_true(goc_leaky_sum(w, sizes[s]) != goc_leaky_expected_one(sizes[s], 4));
	}
	assert_int_equal(goc_leaky_expected_all(512, 0), 0);
	/* Large n: the halving must not overflow into a wrong answer (odd and even n agree with a running sum). */
	uint64_t big = UINT64_C(1) << 33;
	assert_int_equal(goc_leaky_expected_all(512, big + 1),
	                 goc_leaky_expected_all(512, big) + goc_leaky_expected_one(512, big));
	free(w);
}

static goc_leaky_stats run_kind(goc_pool_kind kind, uint64_t n)
{
	goc_leaky_opts o = { .kind = kind, .buffers = n, .buf_size = 4096, .free_cap = 100, .chan_cap = 16 };
	goc_leaky_stats s;
	assert_int_equal(goc_leaky_run(&o, &s), GOC_OK);
	char why[256] = "";
	if (!goc_leaky_verify(&s, &o, why, sizeof why))
		fail_msg("kind %d: %s", (int)kind, why);
	return s;
}

static void test_run_every_pool_verifies_lists_allocate_90pct_less(void **state)
{
	(void)state;
	uint64_t n = (uint64_t)goc_test_scaled(20000);
	goc_leaky_stats m = run_kind(GOC_POOL_MALLOC, n);
	assert_int_equal(m.counts.allocs, n);
	assert_int_equal(m.counts.reused, 0);
	assert_int_equal(m.checksum, goc_leaky_expected_all(512, n));
	for (size_t k = 0; k < NKINDS; k++) {
		if (kinds[k] == GOC_POOL_MALLOC)
			continue;
		goc_leaky_stats s = run_kind(kinds[k], n);
		/* At most the list, the channel, one with each task and one in hand can ever be out. */
		assert_true(s.counts.allocs <= 100 + 16 + 4);
		assert_true(s.counts.allocs * 10 <= m.counts.allocs);
		assert_int_equal(s.counts.allocs + s.counts.reused, n);
	}
}

static void test_verify_each_fault_named(void **state)
{
	(void)state;
	goc_leaky_opts o = { .kind = GOC_POOL_FREELIST, .buffers = 10, .buf_size = 4096, .free_cap = 100, .chan_cap = 16 };
	goc_leaky_stats good = { .buffers = 10, .bad = 0, .checksum = goc_leaky_expected_all(512, 10),
		                 .counts = { .allocs = 3, .frees = 3, .reused = 7 }, .elapsed_ns = 1 };
	char why[256] = "";
	assert_true(goc_leaky_verify(&good, &o, why, sizeof why));
	goc_leaky_stats s = good;
	s.buffers = 9;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "buffers checked"));
	s = good;
	s.bad = 1;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "did not hold"));
	s = good;
	s.checksum++;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "checksum"));
	s = good;
	s.counts.frees = 2;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "allocations 3 != frees 2"));
	s = good;
	s.counts.reused = 6;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "buffers got (3 allocated + 6 reused): expected 10, got 9"));
	/*
	 * A run that could not be done says so by its return value (GOC_NOMEM),
	 * which callers look at before verifying; what it leaves in the stats,
	 * buffers short of N, fails verification all the same.
	 */
	s = good;
	s.buffers = 0;
	assert_false(goc_leaky_verify(&s, &o, why, sizeof why));
	assert_non_null(strstr(why, "buffers checked: expected 10, got 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_pool_get_empty_allocates_put_get_reuses),
		GOC_TEST(test_pool_keeps_at_most_cap_frees_rest),
		GOC_TEST(test_pool_freelist_fifo_stack_lifo),
		GOC_TEST(test_pool_buffer_contents_kept),
		GOC_TEST(test_pool_cap0_keeps_nothing),
		GOC_TEST(test_pool_make_bad_size_null),
		GOC_TEST(test_fill_sums_match_closed_forms),
		GOC_TEST(test_run_every_pool_verifies_lists_allocate_90pct_less),
		GOC_TEST(test_verify_each_fault_named),
	};
	return cmocka_run_group_tests_name("leakybuf", tests, NULL, NULL);
}
