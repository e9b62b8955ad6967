/*
 * compare.c - `goc compare A B`, benchstat's idea for goc runs: for each
 * point both runs measured (matched by id), the medians, the change, and a
 * Mann-Whitney U test; a change counts only when it is significant and
 * beyond the noise threshold. The exit status makes it a CI perf gate.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "results.h"
#include "stats.h"
#include "util.h"

static const char compare_usage[] =
	"usage: goc compare [--metric ns_per_op|wall_s] [--alpha A] [--threshold PCT] OLD NEW\n\n"
	"Compare two runs (a run folder, its results.json, a run id, or latest) point\n"
	"by point: the medians, the change in percent, and a two-sided Mann-Whitney U\n"
	"test. A point is `faster` or `slower` when p < alpha and the change is at\n"
	"least the threshold; otherwise `~`. The geomean row is the geometric mean of\n"
	"NEW/OLD median ratios over the points both runs measured.\n\n"
	"  --metric M       ns_per_op (the targets' own timing, default) or wall_s (hyperfine's;\n"
	"                   a server point's is wrk's measured load, fixed by its scenario)\n"
	"  --alpha A        significance level, 0 < A < 1 (default 0.05)\n"
	"  --threshold PCT  noise threshold in percent, 0..100 (default 3)\n"
	"  -h, --help       this help\n\n"
	"Exit status: 0 nothing slower, 1 some point slower beyond the threshold (or a\n"
	"run cannot be read), 2 bad command line.\n";

/* The points of a run, read once through results.c. */
typedef struct cpoints {
	results_point *v;
	size_t n;
} cpoints;

static const results_point *find_point(const cpoints *run, const char *id)
{
	for (size_t i = 0; i < run->n; i++)
		if (strcmp(run->v[i].id, id) == 0)
			return &run->v[i];
	return NULL;
}

/* The samples compared: the targets' ns/op or hyperfine's wall time. */
static const results_series *metric_of(const results_point *p, const char *metric)
{
	return strcmp(metric, "wall_s") == 0 ? &p->wall_s : &p->ns_per_op;
}

static bool parse_fraction(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > lo && v < hi))
		return false;
	*out = v;
	return true;
}

int cmd_compare(const goc_globals *g, int argc, char **argv)
{
	const char *metric = "ns_per_op", *names[2] = { NULL, NULL };
	double alpha = STATS_ALPHA, threshold = STATS_THRESHOLD;
	int nn = 0;
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(compare_usage, stdout);
			return GOC_EXIT_OK;
		} else if (!strcmp(arg, "--metric") && a + 1 < argc) {
			metric = argv[++a];
			if (strcmp(metric, "ns_per_op") && strcmp(metric, "wall_s")) {
				goc_err("compare: --metric: '%s' is not ns_per_op or wall_s", metric);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(arg, "--alpha") && a + 1 < argc) {
			if (!parse_fraction(argv[++a], 0, 1, &alpha)) {
				goc_err("compare: --alpha: '%s' is not a number between 0 and 1", argv[a]);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(arg, "--threshold") && a + 1 < argc) {
			double pct;
			if (!parse_fraction(argv[++a], -1e-9, 100 + 1e-9, &pct)) {
				goc_err("compare: --threshold: '%s' is not a percentage in 0..100", argv[a]);
				return GOC_EXIT_USAGE;
			}
			threshold = pct / 100;
		} else if (arg[0] == '-' && arg[1]) {
			goc_err("compare: unknown flag or missing value '%s' (see goc compare --help)", arg);
			return GOC_EXIT_USAGE;
		} else if (nn < 2) {
			names[nn++] = arg;
		} else {
			goc_err("compare: more than two runs given (see goc compare --help)");
			return GOC_EXIT_USAGE;
		}
	}
	if (nn != 2) {
		goc_err("compare: needs two runs, OLD and NEW (see goc compare --help)");
		return GOC_EXIT_USAGE;
	}

	json_t *runs[2] = { NULL, NULL };
	cpoints pts[2] = { { NULL, 0 }, { NULL, 0 } };
	char err[1024];
	for (int i = 0; i < 2; i++) {
		char *dir = results_resolve(g->results, names[i], err, sizeof err);
		runs[i] = dir ? results_load_points(dir, &pts[i].v, &pts[i].n, err, sizeof err) : NULL;
		free(dir);
		if (!runs[i]) {
			goc_err("compare: %s", err);
			json_decref(runs[0]);
			results_points_free(pts[0].v, pts[0].n);
			return GOC_EXIT_FAILED;
		}
	}

	printf("old: %s (%s)\nnew: %s (%s)\nmetric: %s, Mann-Whitney U two-sided, alpha %.3g, threshold %.3g%%\n\n",
	       jstr(runs[0], "run_id"), jstr(runs[0], "state"), jstr(runs[1], "run_id"), jstr(runs[1], "state"),
	       metric, alpha, threshold * 100);
	printf("%-60s %12s %12s %9s %8s  %s\n", "point", "old median", "new median", "change", "p", "verdict");

	size_t nslower = 0, nfaster = 0, nsame = 0, nskipped = 0, nratios = 0;
	double *ratios = NULL;
	for (size_t i = 0; i < pts[0].n; i++) {
		const results_point *pa = &pts[0].v[i];
		const char *id = pa->id;
		const results_point *pb = find_point(&pts[1], id);
		const char *skip = !pb ? "only in old" : !pa->ok ? "failed in old" : !pb->ok ? "failed in new" : NULL;
		const results_series *sa = metric_of(pa, metric), *sb = pb ? metric_of(pb, metric) : NULL;
		const double *a = results_series_values(sa);
		const double *b = pb ? results_series_values(sb) : NULL;
		stats_compare c;
		if (!skip && (!a || !b || stats_compare_samples(a, sa->n, b, sb->n, alpha, threshold, &c) != STATS_OK))
			skip = "no samples to compare";
		if (skip) {
			printf("%-60s %12s %12s %9s %8s  %s\n", id, "", "", "", "", skip);
			nskipped++;
		} else {
			printf("%-60s %12.4g %12.4g %+8.1f%% %8.3f  %s\n", id, c.median_a, c.median_b, c.delta * 100,
			       c.test.p, stats_verdict_str(c.verdict));
			nslower += c.verdict == STATS_SLOWER;
			nfaster += c.verdict == STATS_FASTER;
			nsame += c.verdict == STATS_SAME;
			if (c.median_a > 0 && c.median_b > 0)
				*(double *)xappend(&ratios, &nratios, sizeof *ratios) = c.median_b / c.median_a;
		}
	}
	for (size_t i = 0; i < pts[1].n; i++) {
		if (!find_point(&pts[0], pts[1].v[i].id)) {
			printf("%-60s %12s %12s %9s %8s  %s\n", pts[1].v[i].id, "", "", "", "", "only in new");
			nskipped++;
		}
	}
	double geo;
	if (nratios && stats_geomean(ratios, nratios, &geo) == STATS_OK)
		printf("%-60s %12s %12s %+8.1f%%\n", "geomean", "", "", (geo - 1) * 100);
	printf("\n%zu slower, %zu faster, %zu unchanged (~), %zu not compared\n", nslower, nfaster, nsame, nskipped);
	free(ratios);
	results_points_free(pts[0].v, pts[0].n);
	results_points_free(pts[1].v, pts[1].n);
	json_decref(runs[0]);
	json_decref(runs[1]);
	return nslower ? GOC_EXIT_FAILED : GOC_EXIT_OK;
}
