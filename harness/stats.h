/*
 * stats.h - the statistics the harness reports benchmark samples with and
 * compares two runs by, in the manner of Go's benchstat: the median and a
 * distribution-free confidence interval for it, the two-sided Mann-Whitney
 * U test, the geometric mean, and a verdict ("faster", "slower" or "~") on
 * a lower-is-better metric such as ns/op. Nothing here is random: the same
 * samples always give the same figures.
 *
 * Every function that can fail returns a stats_status. On a status other
 * than STATS_OK its outputs are untouched. A sample must hold at least one
 * value (else STATS_EMPTY) and every value must be finite (a NaN or an
 * infinity is STATS_DOMAIN, as is an argument outside its documented range).
 *
 * Overlap: none to arrange. The functions keep no state and only read their
 * inputs, so any thread may call any of them at any time, on shared samples
 * too, as long as no one writes those samples meanwhile.
 * Ownership: samples are read and never modified or kept. Functions that
 * need the values in order sort a private copy, which they allocate and free
 * before returning (so they can return STATS_NOMEM); they are marked below.
 */
#ifndef STATS_H
#define STATS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum stats_status {
	STATS_OK = 0,
	STATS_EMPTY,   /* a sample has no values */
	STATS_DOMAIN,  /* a value is not finite, or an argument is out of range */
	STATS_NOMEM    /* the scratch copy could not be allocated */
} stats_status;

/* A short lower-case description of `s`; never NULL. */
const char *stats_status_str(stats_status s);

/* ---- location ------------------------------------------------------------ */

/*
 * The q-quantile of x[0..n), q in [0, 1], interpolated linearly between order
 * statistics (Hyndman and Fan's type 7, the default of R and NumPy): with the
 * sorted values s[0..n) and h = (n - 1) q, it is s[floor h] + (h - floor h)
 * (s[floor h + 1] - s[floor h]). Allocates a sorted copy.
 */
stats_status stats_quantile(const double *x, size_t n, double q, double *out);

/*
 * The median of x[0..n): the middle value for odd n, the mean of the two
 * middle values for even n (stats_quantile() with q = 0.5). Allocates a
 * sorted copy.
 */
stats_status stats_median(const double *x, size_t n, double *out);

/* A confidence interval for the median; see stats_median_ci(). */
typedef struct stats_ci {
	double lo;        /* x_(lo_rank), the lo_rank-th smallest value */
	double hi;        /* x_(hi_rank) */
	size_t lo_rank;   /* 1-based; lo_rank + hi_rank == n + 1 */
	size_t hi_rank;
	double coverage;  /* P(x_(lo_rank) <= median <= x_(hi_rank)), achieved */
	bool reached;     /* coverage >= the level asked for */
} stats_ci;

/*
 * A distribution-free confidence interval for the population median of
 * x[0..n), from order statistics: the number of values below the median is
 * Binomial(n, 1/2) whatever the distribution (if it is continuous), so
 * [x_(k), x_(n+1-k)] covers the median with probability
 * 1 - 2 P(Binomial(n, 1/2) <= k - 1). This returns the narrowest such
 * symmetric pair (largest k) whose coverage reaches `level`, in (0, 1).
 * When none does (n < 6 at 0.95), it returns the full range, k = 1, with
 * its coverage and reached = false, so that a report can say so.
 * A coverage within 1e-12 of `level` counts as reaching it, since it is
 * computed in floating point. Allocates a sorted copy.
 */
stats_status stats_median_ci(const double *x, size_t n, double level, stats_ci *out);

/*
 * The geometric mean of x[0..n), exp(mean(log x)). Every value must be
 * positive (else STATS_DOMAIN). Allocates nothing.
 */
stats_status stats_geomean(const double *x, size_t n, double *out);

/*
 * The geometric mean of the ratios num[i] / den[i], i in [0, n): the
 * "geomean" row of a comparison, which equals geomean(num) / geomean(den).
 * Every value must be positive. Allocates nothing.
 */
stats_status stats_geomean_ratio(const double *num, const double *den, size_t n, double *out);

/* ---- the Mann-Whitney U test ------------------------------------------- */

/*
 * The exact distribution is used when both samples have at most this many
 * values and there are no ties, as R's wilcox.test() does (n < 50).
 */
#define STATS_MW_EXACT_MAX 49

typedef struct stats_mw {
	double u;     /* U of a: pairs with a[i] > b[j], plus half of those with a[i] == b[j] */
	double p;     /* the two-sided p-value, in [0, 1] */
	bool exact;   /* p from the exact distribution, not the normal approximation */
} stats_mw;

/*
 * The two-sided Mann-Whitney U (Wilcoxon rank-sum) test of a[0..na) against
 * b[0..nb). U of a plus U of b is na nb.
 *
 * Without ties and with na, nb <= STATS_MW_EXACT_MAX, p is exact:
 * min(1, 2 P(U' <= min(U, na nb - U))), U' following U's permutation
 * distribution, counted by dynamic programming. Otherwise it is the normal
 * approximation with tie and continuity corrections, as R's
 * wilcox.test(exact = FALSE, correct = TRUE) and SciPy's
 * mannwhitneyu(method = "asymptotic") compute it:
 * z = (|U - na nb / 2| - 1/2) / sigma, with
 * sigma^2 = na nb / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))), N = na + nb
 * and t the size of each group of equal values; p = min(1, 2 (1 - Phi(z))).
 * When every value in both samples is the same, p = 1 (sigma is 0).
 * Allocates a sorted copy of both samples and, for the exact p, a table of
 * at most (na + 1) (na nb / 2 + 1) doubles.
 */
stats_status stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, stats_mw *out);

/* ---- comparing two runs --------------------------------------------------- */

/* benchstat's defaults: the significance level and the noise threshold. */
#define STATS_ALPHA 0.05
#define STATS_THRESHOLD 0.03

typedef enum stats_verdict {
	STATS_SAME = 0,  /* no significant change, or one below the threshold: "~" */
	STATS_FASTER,    /* b is lower than a: "faster" */
	STATS_SLOWER     /* b is higher than a: "slower" */
} stats_verdict;

/* The verdict's word: "~", "faster" or "slower"; never NULL. */
const char *stats_verdict_str(stats_verdict v);

typedef struct stats_compare {
	double median_a;       /* the old run's median */
	double median_b;       /* the new run's median */
	double delta;          /* (median_b - median_a) / |median_a|; 0 if they are equal */
	stats_mw test;         /* stats_mann_whitney(a, b) */
	stats_verdict verdict;
} stats_compare;

/*
 * Compare an old run's samples a[0..na) with a new run's b[0..nb) of a metric
 * where lower is better. The verdict is STATS_SAME when test.p >= alpha,
 * |delta| < threshold or delta == 0, else STATS_FASTER when delta < 0 and
 * STATS_SLOWER when delta > 0. alpha must be in (0, 1] and threshold >= 0 (STATS_ALPHA
 * and STATS_THRESHOLD are the usual choices). A median_a of 0 with a
 * different median_b gives an infinite delta. Note that with 3 values a side
 * the smallest possible p is 0.1, so small runs can only ever be "~" at 0.05.
 * Allocates as stats_median() and stats_mann_whitney() do.
 */
stats_status stats_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                                   double alpha, double threshold, stats_compare *out);

#endif /* STATS_H */
