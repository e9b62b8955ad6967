/*
 * stats_test.c - the statistics' tests, against values worked out outside
 * this code: binomial coverages from math.comb, Mann-Whitney p-values by
 * enumerating every split of the pooled sample (or, at 49 a side, by an
 * independent rank-sum count), and the normal approximation by its textbook
 * formula, each in python3's standard library with exact fractions where it
 * could. The comment above each constant says how it was computed. Also
 * checked: inputs are left as they were, U(a, b) + U(b, a) = na nb, the
 * verdict's threshold and significance both matter, and bad input returns a
 * status with the outputs untouched rather than a NaN.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fail, printing both values, unless got is within rel (relative) of want. */
#define assert_close(got, want, rel)                                              \
	do {                                                                      \
		double got_ = (got), want_ = (want);                              \
		if (!(fabs(got_ - want_) <= (rel) * fabs(want_)))                 \
			fail_msg("%s = %.17g, want %.17g (to %g)", #got, got_, want_, \
			         (double)(rel));                                  \
	} while (0)

/* An output the functions must not write on failure. */
#define SENTINEL (-12345.0)

/* ---- median and quantiles -------------------------------------------------- */

static void test_median_odd_middle_value(void **state)
{
	(void)state;
	double x[] = { 5, 1, 4, 2, 3 };
	const double orig[] = { 5, 1, 4, 2, 3 };
	double m = SENTINEL;
	assert_int_equal(stats_median(x, ARRAY_LEN(x), &m), STATS_OK);
	assert_true(m == 3.0);
	assert_memory_equal(x, orig, sizeof x);
}

static void test_median_even_mean_of_middle(void **state)
{
	(void)state;
	double x[] = { 40, 10, 30, 20, 90, 0 };
	const double orig[] = { 40, 10, 30, 20, 90, 0 };
	double m = SENTINEL;
	assert_int_equal(stats_median(x, ARRAY_LEN(x), &m), STATS_OK);
	assert_true(m == 25.0);
	assert_memory_equal(x, orig, sizeof x);

	double one = 7.5;
	assert_int_equal(stats_median(&one, 1, &m), STATS_OK);
	assert_true(m == 7.5);
}

static void test_quantile_type7_interpolates(void **state)
{
	(void)state;
	/* R: quantile(c(50, 10, 40, 20, 30), c(0, 0.1, 0.75, 1)) is 10 14 40 50. */
	const double x[] = { 50, 10, 40, 20, 30 };
	double q = SENTINEL;
	assert_int_equal(stats_quantile(x, 5, 0.0, &q), STATS_OK);
	assert_true(q == 10.0);
	assert_int_equal(stats_quantile(x, 5, 0.1, &q), STATS_OK);
	assert_close(q, 14.0, 1e-14);
	assert_int_equal(stats_quantile(x, 5, 0.75, &q), STATS_OK);
	assert_true(q == 40.0);
	assert_int_equal(stats_quantile(x, 5, 1.0, &q), STATS_OK);
	assert_true(q == 50.0);
}

static void test_quantile_bad_input_flagged(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3 };
	const double with_nan[] = { 1, NAN, 3 };
	const double with_inf[] = { 1, INFINITY, 3 };
	double q = SENTINEL;
	assert_int_equal(stats_quantile(x, 3, -0.1, &q), STATS_DOMAIN);
	assert_int_equal(stats_quantile(x, 3, 1.5, &q), STATS_DOMAIN);
	assert_int_equal(stats_quantile(x, 3, NAN, &q), STATS_DOMAIN);
	assert_int_equal(stats_median(x, 0, &q), STATS_EMPTY);
	assert_int_equal(stats_median(with_nan, 3, &q), STATS_DOMAIN);
	assert_int_equal(stats_median(with_inf, 3, &q), STATS_DOMAIN);
	assert_true(q == SENTINEL);
}

/* ---- confidence interval for the median ----------------------------------- */

/*
 * Coverages of [x_(k), x_(n+1-k)], 1 - 2 sum_{i<k} C(n, i) / 2^n, from
 * python3 fractions with math.comb:
 *   n = 10, k = 2: 501/512 = 0.978515625      (k = 3: 57/64 = 0.890625)
 *   n = 20, k = 6: 125647/131072 = 0.95861053466796875 (k = 7: 0.88468...)
 *   n = 5,  k = 1: 15/16 = 0.9375             (no pair reaches 0.95)
 *   n = 6,  k = 1: 31/32 = 0.96875            (k = 2: 25/32)
 */
static void test_median_ci_n10_ranks_2_and_9(void **state)
{
	(void)state;
	/* The values 1..10, shuffled; x_(i) is i. */
	const double x[] = { 7, 3, 10, 1, 5, 9, 2, 8, 4, 6 };
	stats_ci ci;
	assert_int_equal(stats_median_ci(x, ARRAY_LEN(x), 0.95, &ci), STATS_OK);
	assert_int_equal(ci.lo_rank, 2);
	assert_int_equal(ci.hi_rank, 9);
	assert_true(ci.lo == 2.0 && ci.hi == 9.0);
	assert_close(ci.coverage, 501.0 / 512.0, 1e-12);
	assert_true(ci.reached);
}

static void test_median_ci_n20_ranks_6_and_15(void **state)
{
	(void)state;
	double x[20];
	for (size_t i = 0; i < 20; i++)
		x[i] = (double)((i * 7) % 20) + 100.0; /* 100..119, permuted */
	stats_ci ci;
	assert_int_equal(stats_median_ci(x, 20, 0.95, &ci), STATS_OK);
	assert_int_equal(ci.lo_rank, 6);
	assert_int_equal(ci.hi_rank, 15);
	assert_true(ci.lo == 105.0 && ci.hi == 114.0);
	assert_close(ci.coverage, 125647.0 / 131072.0, 1e-12);
	assert_true(ci.reached);

	/* At 0.88 the next pair in, k = 7 (coverage 0.88468), is enough. */
	assert_int_equal(stats_median_ci(x, 20, 0.88, &ci), STATS_OK);
	assert_int_equal(ci.lo_rank, 7);
	assert_int_equal(ci.hi_rank, 14);
}

static void test_median_ci_small_n_full_range_flagged(void **state)
{
	(void)state;
	const double x5[] = { 3, 1, 5, 2, 4 };
	stats_ci ci;
	assert_int_equal(stats_median_ci(x5, 5, 0.95, &ci), STATS_OK);
	assert_int_equal(ci.lo_rank, 1);
	assert_int_equal(ci.hi_rank, 5);
	assert_true(ci.lo == 1.0 && ci.hi == 5.0);
	assert_close(ci.coverage, 0.9375, 1e-12);
	assert_false(ci.reached);

	/* n = 6 is the smallest that reaches 0.95, with the full range. */
	const double x6[] = { 3, 1, 5, 2, 4, 6 };
	assert_int_equal(stats_median_ci(x6, 6, 0.95, &ci), STATS_OK);
	assert_int_equal(ci.lo_rank, 1);
	assert_int_equal(ci.hi_rank, 6);
	assert_close(ci.coverage, 31.0 / 32.0, 1e-12);
	assert_true(ci.reached);

	/* One value: the interval is a point, which covers the median with probability 0. */
	assert_int_equal(stats_median_ci(x6, 1, 0.95, &ci), STATS_OK);
	assert_true(ci.lo == 3.0 && ci.hi == 3.0);
	assert_true(fabs(ci.coverage) < 1e-12);
	assert_false(ci.reached);
}

static void test_median_ci_bad_input_flagged(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3 };
	stats_ci ci = { .lo = SENTINEL };
	assert_int_equal(stats_median_ci(x, 0, 0.95, &ci), STATS_EMPTY);
	assert_int_equal(stats_median_ci(x, 3, 0.0, &ci), STATS_DOMAIN);
	assert_int_equal(stats_median_ci(x, 3, 1.0, &ci), STATS_DOMAIN);
	assert_true(ci.lo == SENTINEL);
}

/* ---- Mann-Whitney ------------------------------------------------------------ */

static stats_mw mw(const double *a, size_t na, const double *b, size_t nb)
{
	stats_mw r = { SENTINEL, SENTINEL, false };
	assert_int_equal(stats_mann_whitney(a, na, b, nb, &r), STATS_OK);
	return r;
}

static void test_mw_exact_disjoint_smallest_p(void **state)
{
	(void)state;
	/* All of a below all of b: U = 0, the one split of C(6, 3) = 20 that extreme, each side. */
	const double a3[] = { 1, 2, 3 }, b3[] = { 4, 5, 6 };
	stats_mw r = mw(a3, 3, b3, 3);
	assert_true(r.u == 0.0);
	assert_true(r.exact);
	assert_close(r.p, 2.0 / 20.0, 1e-12);

	/* Likewise 2 / C(10, 5) = 2 / 252 = 0.0079365... */
	const double a5[] = { 5, 3, 1, 4, 2 }, b5[] = { 10, 6, 9, 7, 8 };
	r = mw(a5, 5, b5, 5);
	assert_true(r.u == 0.0);
	assert_true(r.exact);
	assert_close(r.p, 2.0 / 252.0, 1e-12);

	/* And reversed, U = 25 is the mirror extreme. */
	r = mw(b5, 5, a5, 5);
	assert_true(r.u == 25.0);
	assert_close(r.p, 2.0 / 252.0, 1e-12);
}

static void test_mw_exact_overlap_enumerated(void **state)
{
	(void)state;
	/*
	 * python3: for each of the C(11, 5) = 462 ways to pick 5 of the pooled
	 * 11 values as "a", U = sum((x > y) + 0.5 (x == y)); with U0 = 5 the
	 * observed one, p = min(1, 2 min(#(U <= U0), #(U >= U0)) / 462) =
	 * 19/231 = 0.08225108225108225. An independent rank-sum count agrees.
	 */
	const double a[] = { 12.1, 13.4, 15.0, 11.2, 16.8 };
	const double b[] = { 14.2, 17.5, 18.0, 13.9, 19.3, 16.0 };
	stats_mw r = mw(a, ARRAY_LEN(a), b, ARRAY_LEN(b));
	assert_true(r.u == 5.0);
	assert_true(r.exact);
	assert_close(r.p, 19.0 / 231.0, 1e-12);
}

static void test_mw_ties_normal_approximation(void **state)
{
	(void)state;
	/*
	 * Ties force the approximation even at 8 and 9 values. python3:
	 * U = sum((x > y) + 0.5 (x == y)) = 7.5; tie groups give
	 * sum(t^3 - t) = 6+60+24+24+6 = 120 over n = 17; sigma^2 =
	 * 72/12 (18 - 120/272); z = (|7.5 - 36| - 0.5) / sigma;
	 * p = math.erfc(z / sqrt(2)) = 0.006373133838085877.
	 */
	const double a[] = { 1, 2, 2, 3, 3, 3, 4, 5 };
	const double b[] = { 3, 4, 4, 5, 5, 6, 7, 7, 8 };
	stats_mw r = mw(a, ARRAY_LEN(a), b, ARRAY_LEN(b));
	assert_true(r.u == 7.5);
	assert_false(r.exact);
	assert_close(r.p, 0.006373133838085877, 1e-9);
}

static void test_mw_size_bound_exact_then_normal(void **state)
{
	(void)state;
	/*
	 * a = 0..n-1, b = a + 10.5, no ties. At n = 49: U = 741 and the exact
	 * p, counted in python3 integers over the distribution of the rank
	 * sum of 49 of 1..98 (subset-sum table, then a fraction), is
	 * 0.0009595747152989213. At n = 50: U = 780 and the formula above,
	 * without ties, gives 0.001209423107033346.
	 */
	double a[50], b[50];
	for (size_t i = 0; i < 50; i++) {
		a[i] = (double)i;
		b[i] = (double)i + 10.5;
	}
	stats_mw r = mw(a, 49, b, 49);
	assert_true(r.u == 741.0);
	assert_true(r.exact);
	assert_close(r.p, 0.0009595747152989213, 1e-9);

	r = mw(a, 50, b, 50);
	assert_true(r.u == 780.0);
	assert_false(r.exact);
	assert_close(r.p, 0.001209423107033346, 1e-9);
}

static void test_mw_swapped_samples_symmetric(void **state)
{
	(void)state;
	const double a[] = { 12.1, 13.4, 15.0, 11.2, 16.8 };
	const double b[] = { 14.2, 17.5, 18.0, 13.9, 19.3, 16.0 };
	const double ta[] = { 1, 2, 2, 3, 3, 3, 4, 5 };
	const double tb[] = { 3, 4, 4, 5, 5, 6, 7, 7, 8 };
	stats_mw ab = mw(a, ARRAY_LEN(a), b, ARRAY_LEN(b));
	stats_mw ba = mw(b, ARRAY_LEN(b), a, ARRAY_LEN(a));
	assert_true(ab.u + ba.u == 30.0);
	assert_close(ba.p, ab.p, 1e-15);

	ab = mw(ta, ARRAY_LEN(ta), tb, ARRAY_LEN(tb));
	ba = mw(tb, ARRAY_LEN(tb), ta, ARRAY_LEN(ta));
	assert_true(ab.u + ba.u == 72.0);
	assert_close(ba.p, ab.p, 1e-15);
}

static void test_mw_all_equal_p_one(void **state)
{
	(void)state;
	const double a[] = { 3, 3, 3 }, b[] = { 3, 3 };
	stats_mw r = mw(a, 3, b, 2);
	assert_true(r.u == 3.0);
	assert_true(r.p == 1.0);
	assert_false(r.exact);
}

static void test_mw_bad_input_flagged(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3 }, bad[] = { 1, NAN };
	stats_mw r = { SENTINEL, SENTINEL, true };
	assert_int_equal(stats_mann_whitney(a, 0, a, 3, &r), STATS_EMPTY);
	assert_int_equal(stats_mann_whitney(a, 3, a, 0, &r), STATS_EMPTY);
	assert_int_equal(stats_mann_whitney(a, 3, bad, 2, &r), STATS_DOMAIN);
	assert_true(r.u == SENTINEL && r.p == SENTINEL && r.exact);
}

/* ---- geometric mean ----------------------------------------------------------- */

static void test_geomean_known_values(void **state)
{
	(void)state;
	const double x[] = { 1, 4, 16 };
	double g = SENTINEL;
	assert_int_equal(stats_geomean(x, 3, &g), STATS_OK);
	assert_close(g, 4.0, 1e-14);

	/* Ratios 2, 4 and 1/2: the cube root of 4. */
	const double num[] = { 2, 12, 4 }, den[] = { 1, 3, 8 };
	assert_int_equal(stats_geomean_ratio(num, den, 3, &g), STATS_OK);
	assert_close(g, cbrt(4.0), 1e-14);
	double gn, gd;
	assert_int_equal(stats_geomean(num, 3, &gn), STATS_OK);
	assert_int_equal(stats_geomean(den, 3, &gd), STATS_OK);
	assert_close(g, gn / gd, 1e-14);
}

static void test_geomean_bad_input_flagged(void **state)
{
	(void)state;
	const double zero[] = { 1, 0, 2 }, neg[] = { 1, -2 }, inf[] = { 1, INFINITY };
	const double ok[] = { 1, 2 };
	double g = SENTINEL;
	assert_int_equal(stats_geomean(ok, 0, &g), STATS_EMPTY);
	assert_int_equal(stats_geomean(zero, 3, &g), STATS_DOMAIN);
	assert_int_equal(stats_geomean(neg, 2, &g), STATS_DOMAIN);
	assert_int_equal(stats_geomean(inf, 2, &g), STATS_DOMAIN);
	assert_int_equal(stats_geomean_ratio(ok, neg, 2, &g), STATS_DOMAIN);
	assert_int_equal(stats_geomean_ratio(ok, ok, 0, &g), STATS_EMPTY);
	assert_true(g == SENTINEL);
}

/* ---- verdicts ----------------------------------------------------------------- */

/* Ten offsets with median 0.1, to place samples around a centre. */
static const double offsets[10] = { -2.1, 0.4, 1.3, -0.7, 2.2, -1.5, 0.9, -0.2, 1.8, -1.1 };

static void around(double *x, double centre, double scale)
{
	for (size_t i = 0; i < 10; i++)
		x[i] = centre + scale * offsets[i];
}

static stats_compare compare(const double *a, const double *b, double threshold)
{
	stats_compare c;
	assert_int_equal(stats_compare_samples(a, 10, b, 10, STATS_ALPHA, threshold, &c), STATS_OK);
	return c;
}

static void test_compare_identical_same(void **state)
{
	(void)state;
	double a[10], b[10];
	around(a, 100, 1);
	around(b, 100, 1);
	stats_compare c = compare(a, b, STATS_THRESHOLD);
	assert_true(c.delta == 0.0);
	assert_true(c.test.p == 1.0);
	assert_int_equal(c.verdict, STATS_SAME);
	assert_string_equal(stats_verdict_str(c.verdict), "~");

	/* Interleaved halves of one spread are not different either. */
	const double x[] = { 100, 102, 104, 106, 108, 110, 112, 114, 116, 118 };
	const double y[] = { 101, 103, 105, 107, 109, 111, 113, 115, 117, 119 };
	c = compare(x, y, STATS_THRESHOLD);
	assert_true(c.test.p > 0.5);
	assert_int_equal(c.verdict, STATS_SAME);
}

static void test_compare_shifted_slower_and_faster(void **state)
{
	(void)state;
	/* Medians 100.1 and 120.1; no overlap, so p = 2 / C(20, 10) = 2 / 184756. */
	double a[10], b[10];
	around(a, 100, 1);
	around(b, 120, 1);
	stats_compare c = compare(a, b, STATS_THRESHOLD);
	assert_close(c.median_a, 100.1, 1e-14);
	assert_close(c.median_b, 120.1, 1e-14);
	assert_close(c.delta, 20.0 / 100.1, 1e-12);
	assert_close(c.test.p, 2.0 / 184756.0, 1e-12);
	assert_true(c.test.exact);
	assert_int_equal(c.verdict, STATS_SLOWER);
	assert_string_equal(stats_verdict_str(c.verdict), "slower");

	c = compare(b, a, STATS_THRESHOLD);
	assert_close(c.delta, -20.0 / 120.1, 1e-12);
	assert_int_equal(c.verdict, STATS_FASTER);
	assert_string_equal(stats_verdict_str(c.verdict), "faster");
}

static void test_compare_small_shift_below_threshold_same(void **state)
{
	(void)state;
	/* A tight spread (about 0.4 wide) moved up by 1 of 100: significant, but 1% < 3%. */
	double a[10], b[10];
	around(a, 100, 0.1);
	around(b, 101, 0.1);
	stats_compare c = compare(a, b, STATS_THRESHOLD);
	assert_true(c.test.p < STATS_ALPHA);
	assert_close(c.delta, 1.0 / 100.01, 1e-12);
	assert_int_equal(c.verdict, STATS_SAME);

	/* With no threshold the same samples are a slowdown: the threshold decided. */
	c = compare(a, b, 0.0);
	assert_int_equal(c.verdict, STATS_SLOWER);
}

static void test_compare_few_samples_never_significant(void **state)
{
	(void)state;
	/* Three a side: the smallest exact p is 0.1, so even a doubling is "~" at 0.05. */
	const double a[] = { 100, 101, 102 }, b[] = { 200, 201, 202 };
	stats_compare c;
	assert_int_equal(stats_compare_samples(a, 3, b, 3, STATS_ALPHA, STATS_THRESHOLD, &c), STATS_OK);
	assert_close(c.test.p, 0.1, 1e-12);
	assert_int_equal(c.verdict, STATS_SAME);
	/* At alpha 0.2 it is significant. */
	assert_int_equal(stats_compare_samples(a, 3, b, 3, 0.2, STATS_THRESHOLD, &c), STATS_OK);
	assert_int_equal(c.verdict, STATS_SLOWER);
}

static void test_compare_bad_input_flagged(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3 }, bad[] = { 1, NAN, 3 };
	stats_compare c = { .median_a = SENTINEL };
	assert_int_equal(stats_compare_samples(a, 0, a, 3, STATS_ALPHA, STATS_THRESHOLD, &c), STATS_EMPTY);
	assert_int_equal(stats_compare_samples(a, 3, a, 0, STATS_ALPHA, STATS_THRESHOLD, &c), STATS_EMPTY);
	assert_int_equal(stats_compare_samples(a, 3, bad, 3, STATS_ALPHA, STATS_THRESHOLD, &c), STATS_DOMAIN);
	assert_int_equal(stats_compare_samples(a, 3, a, 3, 0.0, STATS_THRESHOLD, &c), STATS_DOMAIN);
	assert_int_equal(stats_compare_samples(a, 3, a, 3, STATS_ALPHA, -0.01, &c), STATS_DOMAIN);
	assert_int_equal(stats_compare_samples(a, 3, a, 3, STATS_ALPHA, NAN, &c), STATS_DOMAIN);
	assert_true(c.median_a == SENTINEL);
}

static void test_strings_never_null(void **state)
{
	(void)state;
	assert_string_equal(stats_status_str(STATS_OK), "ok");
	assert_non_null(stats_status_str(STATS_EMPTY));
	assert_non_null(stats_status_str(STATS_DOMAIN));
	assert_non_null(stats_status_str(STATS_NOMEM));
	assert_non_null(stats_status_str((stats_status)99));
	assert_non_null(stats_verdict_str((stats_verdict)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_median_odd_middle_value),
		cmocka_unit_test(test_median_even_mean_of_middle),
		cmocka_unit_test(test_quantile_type7_interpolates),
		cmocka_unit_test(test_quantile_bad_input_flagged),
		cmocka_unit_test(test_median_ci_n10_ranks_2_and_9),
		cmocka_unit_test(test_median_ci_n20_ranks_6_and_15),
		cmocka_unit_test(test_median_ci_small_n_full_range_flagged),
		cmocka_unit_test(test_median_ci_bad_input_flagged),
		cmocka_unit_test(test_mw_exact_disjoint_smallest_p),
		cmocka_unit_test(test_mw_exact_overlap_enumerated),
		cmocka_unit_test(test_mw_ties_normal_approximation),
		cmocka_unit_test(test_mw_size_bound_exact_then_normal),
		cmocka_unit_test(test_mw_swapped_samples_symmetric),
		cmocka_unit_test(test_mw_all_equal_p_one),
		cmocka_unit_test(test_mw_bad_input_flagged),
		cmocka_unit_test(test_geomean_known_values),
		cmocka_unit_test(test_geomean_bad_input_flagged),
		cmocka_unit_test(test_compare_identical_same),
		cmocka_unit_test(test_compare_shifted_slower_and_faster),
		cmocka_unit_test(test_compare_small_shift_below_threshold_same),
		cmocka_unit_test(test_compare_few_samples_never_significant),
		cmocka_unit_test(test_compare_bad_input_flagged),
		cmocka_unit_test(test_strings_never_null),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
