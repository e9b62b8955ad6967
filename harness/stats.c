/*
 * stats.c - the harness's statistics: quantiles of a sorted copy, the
 * order-statistic confidence interval for the median, the Mann-Whitney U
 * test (exact by dynamic programming, else the normal approximation R and
 * SciPy use), geometric means and the benchstat-style verdict. Everything is
 * computed from the samples alone, with no resampling, so two reports of
 * the same runs agree to the last digit. There is no shared state and so no
 * lock; the only allocations are scratch copies, freed before returning.
 */
#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *stats_status_str(stats_status s)
{
	switch (s) {
	case STATS_OK:
		return "ok";
	case STATS_EMPTY:
		return "empty sample";
	case STATS_DOMAIN:
		return "value or argument out of range";
	case STATS_NOMEM:
		return "out of memory";
	}
	return "unknown status";
}

const char *stats_verdict_str(stats_verdict v)
{
	switch (v) {
	case STATS_SAME:
		return "~";
	case STATS_FASTER:
		return "faster";
	case STATS_SLOWER:
		return "slower";
	}
	return "?";
}

static bool all_finite(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return false;
	return true;
}

/* qsort's comparison for doubles; no NaN reaches it (all_finite() ran first). */
static int cmp_double(const void *pa, const void *pb)
{
	double a = *(const double *)pa;
	double b = *(const double *)pb;
	return (a > b) - (a < b);
}

/*
 * Check x[0..n) and return a sorted copy in *out for the caller to free.
 * The caller's sample stays as it was: the header promises it is only read.
 */
static stats_status sorted_copy(const double *x, size_t n, double **out)
{
	if (n == 0)
		return STATS_EMPTY;
	if (!all_finite(x, n))
		return STATS_DOMAIN;
	if (n > SIZE_MAX / sizeof(double))
		return STATS_NOMEM;
	double *s = malloc(n * sizeof *s);
	if (s == NULL)
		return STATS_NOMEM;
	memcpy(s, x, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_double);
	*out = s;
	return STATS_OK;
}

/*
 * Type 7 quantile of sorted s[0..n). The weighted sum (1 - f) a + f b is
 * used rather than a + f (b - a) because b - a can overflow for finite
 * values of opposite sign near DBL_MAX, while each term here cannot.
 */
static double quantile_sorted(const double *s, size_t n, double q)
{
	double h = (double)(n - 1) * q;
	double fl = floor(h);
	size_t i = (size_t)fl;
	double f = h - fl;
	if (i + 1 >= n || f == 0.0 || s[i] == s[i + 1])
		return s[i];
	return (1.0 - f) * s[i] + f * s[i + 1];
}

stats_status stats_quantile(const double *x, size_t n, double q, double *out)
{
	if (n == 0)
		return STATS_EMPTY;
	if (!(q >= 0.0 && q <= 1.0))
		return STATS_DOMAIN;
	double *s;
	stats_status st = sorted_copy(x, n, &s);
	if (st != STATS_OK)
		return st;
	*out = quantile_sorted(s, n, q);
	free(s);
	return STATS_OK;
}

stats_status stats_median(const double *x, size_t n, double *out)
{
	return stats_quantile(x, n, 0.5, out);
}

/*
 * The binomial probabilities are built up in logarithms, P(B = i) from
 * P(B = i - 1) times (n - i + 1) / i, starting at P(B = 0) = 2^-n: that
 * neither overflows (as C(n, i) would past n = 1029) nor needs lgamma(),
 * which in glibc writes the global signgam and so is not thread-safe. The
 * terms that underflow to 0 for large n are far below any level asked for.
 */
stats_status stats_median_ci(const double *x, size_t n, double level, stats_ci *out)
{
	if (n == 0)
		return STATS_EMPTY;
	if (!(level > 0.0 && level < 1.0))
		return STATS_DOMAIN;
	double *s;
	stats_status st = sorted_copy(x, n, &s);
	if (st != STATS_OK)
		return st;

	const double slack = 1e-12;
	size_t k = 1;
	double log_pmf = -(double)n * log(2.0); /* log P(B = k - 1) */
	double tail = exp(log_pmf);             /* P(B <= k - 1) */
	/* Move the ranks inwards while they stay ordered and keep the level. */
	while (2 * (k + 1) <= n + 1) {
		double next_log = log_pmf + log((double)(n - k + 1)) - log((double)k);
		double next_tail = tail + exp(next_log);
		if (1.0 - 2.0 * next_tail < level - slack)
			break;
		k++;
		log_pmf = next_log;
		tail = next_tail;
	}

	stats_ci r;
	r.lo_rank = k;
	r.hi_rank = n + 1 - k;
	r.lo = s[r.lo_rank - 1];
	r.hi = s[r.hi_rank - 1];
	r.coverage = 1.0 - 2.0 * tail;
	r.reached = r.coverage >= level - slack;
	free(s);
	*out = r;
	return STATS_OK;
}

stats_status stats_geomean(const double *x, size_t n, double *out)
{
	if (n == 0)
		return STATS_EMPTY;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!(isfinite(x[i]) && x[i] > 0.0))
			return STATS_DOMAIN;
		sum += log(x[i]);
	}
	*out = exp(sum / (double)n);
	return STATS_OK;
}

stats_status stats_geomean_ratio(const double *num, const double *den, size_t n, double *out)
{
	if (n == 0)
		return STATS_EMPTY;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!(isfinite(num[i]) && num[i] > 0.0 && isfinite(den[i]) && den[i] > 0.0))
			return STATS_DOMAIN;
		sum += log(num[i]) - log(den[i]);
	}
	*out = exp(sum / (double)n);
	return STATS_OK;
}

/* ---- the Mann-Whitney U test ------------------------------------------- */

/* One value of the pooled sample and the sample it came from. */
typedef struct pooled {
	double v;
	bool from_a;
} pooled;

static int cmp_pooled(const void *pa, const void *pb)
{
	return cmp_double(&((const pooled *)pa)->v, &((const pooled *)pb)->v);
}

/*
 * C(n, k) as a double. Each partial product is itself a binomial
 * coefficient, C(n - k + i, i), so the division is exact while the values
 * stay below 2^53, and off by a rounding per step beyond.
 */
static double binomial(size_t n, size_t k)
{
	double r = 1.0;
	for (size_t i = 1; i <= k; i++)
		r = r * (double)(n - k + i) / (double)i;
	return r;
}

/*
 * The exact two-sided p for U = umax or its mirror na nb - umax, umax being
 * the smaller of the two. c[j][u] counts the orderings of j a's and i b's
 * in which the b's preceding each a add up to u. Such an ordering ends
 * either in a b, which precedes no a (c_{i-1}[j][u] of them), or in an a,
 * preceded by all i b's (c_i[j-1][u - i]), so
 *     c_i[j][u] = c_{i-1}[j][u] + c_i[j-1][u - i],
 * done in place with j ascending: row j - 1 already holds i, row j still
 * holds i - 1. U only grows along the way, so the counts for u <= umax
 * never need those above, and the table stops at umax. The counts are sums
 * of positive terms: past 2^53 they round, but never cancel.
 */
static stats_status exact_p(size_t na, size_t nb, size_t umax, double *p)
{
	size_t w = umax + 1;
	double *c = calloc((na + 1) * w, sizeof *c);
	if (c == NULL)
		return STATS_NOMEM;
	for (size_t j = 0; j <= na; j++)
		c[j * w] = 1.0; /* i = 0: only a's, U = 0 */
	for (size_t i = 1; i <= nb; i++)
		for (size_t j = 1; j <= na; j++)
			for (size_t u = i; u < w; u++)
				c[j * w + u] += c[(j - 1) * w + u - i];
	double count = 0.0;
	for (size_t u = 0; u < w; u++)
		count += c[na * w + u];
	free(c);
	*p = fmin(1.0, 2.0 * count / binomial(na + nb, na));
	return STATS_OK;
}

stats_status stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb, stats_mw *out)
{
	if (na == 0 || nb == 0)
		return STATS_EMPTY;
	if (!all_finite(a, na) || !all_finite(b, nb))
		return STATS_DOMAIN;
	size_t n = na + nb;
	if (n < na || n > SIZE_MAX / sizeof(pooled))
		return STATS_NOMEM;
	pooled *t = malloc(n * sizeof *t);
	if (t == NULL)
		return STATS_NOMEM;
	for (size_t i = 0; i < na; i++)
		t[i] = (pooled){ a[i], true };
	for (size_t i = 0; i < nb; i++)
		t[na + i] = (pooled){ b[i], false };
	qsort(t, n, sizeof *t, cmp_pooled);

	/*
	 * Walk the groups of equal values in order. Each a in a group is
	 * above every b before the group and tied with the b's in it, which
	 * is U counted pair by pair, without forming ranks.
	 */
	double u = 0.0, ties = 0.0;
	size_t b_before = 0, groups = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i, ga = 0;
		for (; j < n && t[j].v == t[i].v; j++)
			if (t[j].from_a)
				ga++;
		size_t g = j - i, gb = g - ga;
		u += (double)ga * ((double)b_before + 0.5 * (double)gb);
		double dg = (double)g;
		ties += dg * dg * dg - dg;
		b_before += gb;
		groups++;
		i = j;
	}
	free(t);

	double nanb = (double)na * (double)nb;
	stats_mw r = { .u = u, .p = 1.0, .exact = false };
	if (groups == n && na <= STATS_MW_EXACT_MAX && nb <= STATS_MW_EXACT_MAX) {
		double umin = fmin(u, nanb - u); /* an integer: no ties */
		stats_status st = exact_p(na, nb, (size_t)umin, &r.p);
		if (st != STATS_OK)
			return st;
		r.exact = true;
	} else if (groups > 1) {
		/* With one group (every value equal) sigma is 0 and p stays 1. */
		double dn = (double)n;
		double sigma = sqrt(nanb / 12.0 * ((dn + 1.0) - ties / (dn * (dn - 1.0))));
		double z = fmax(fabs(u - nanb / 2.0) - 0.5, 0.0) / sigma;
		r.p = fmin(1.0, erfc(z / sqrt(2.0))); /* 2 (1 - Phi(z)) */
	}
	*out = r;
	return STATS_OK;
}

/* ---- comparing two runs --------------------------------------------------- */

stats_status stats_compare_samples(const double *a, size_t na, const double *b, size_t nb,
                                   double alpha, double threshold, stats_compare *out)
{
	if (na == 0 || nb == 0)
		return STATS_EMPTY;
	if (!(alpha > 0.0 && alpha <= 1.0) || !(threshold >= 0.0))
		return STATS_DOMAIN;
	stats_compare r;
	stats_status st = stats_median(a, na, &r.median_a);
	if (st == STATS_OK)
		st = stats_median(b, nb, &r.median_b);
	if (st == STATS_OK)
		st = stats_mann_whitney(a, na, b, nb, &r.test);
	if (st != STATS_OK)
		return st;

	if (r.median_a == r.median_b)
		r.delta = 0.0;
	else if (r.median_a == 0.0)
		r.delta = copysign(HUGE_VAL, r.median_b);
	else
		r.delta = (r.median_b - r.median_a) / fabs(r.median_a);

	if (r.test.p >= alpha || fabs(r.delta) < threshold || r.delta == 0.0)
		r.verdict = STATS_SAME;
	else
		r.verdict = r.delta < 0.0 ? STATS_FASTER : STATS_SLOWER;
	*out = r;
	return STATS_OK;
}
