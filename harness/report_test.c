/*
 * report_test.c - goc report on recorded runs (testdata/runs): host-a is a
 * trimmed smoke run with C and Go points, one C point failed (check
 * failed), one Go point failed (timeout) and one point with 4 samples;
 * host-b is the same scenario on another host, interrupted, without Go;
 * corrupt and not-goc are files that are not runs.
 *
 * Every figure the tests expect is computed here from the fixture's
 * samples (sorting them, not through stats.c), and a table cell must agree
 * with it to the precision it is printed with. The report is written into
 * a scratch folder; GOC_GNUPLOT names a program that does not exist except
 * in the test that draws charts with the real gnuplot.
 *
 * The fixtures are found under $GOC_TESTDATA (default: ./testdata).
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "commands.h"
#include "report.h"
#include "results.h"
#include "util.h"

#define NO_GNUPLOT "/nonexistent/goc-test-gnuplot"

typedef struct scratch {
	char dir[64];
	char *out;   /* <dir>/REPORT.md */
	char *md;    /* what the last generate() wrote */
} scratch;

/* A fixture's folder; a name that is a path ('/...') is a run the test made. */
static char *fixture(const char *name)
{
	const char *td = getenv("GOC_TESTDATA");
	if (name[0] == '/')
		return xstrdup(name);
	return xasprintf("%s/runs/%s", td && *td ? td : "testdata", name);
}

static json_t *load_fixture(const char *name)
{
	char *dir = fixture(name);
	char *path = xasprintf("%s/results.json", dir);
	json_t *run = json_load_file(path, 0, NULL);
	assert_non_null(run);
	free(path);
	free(dir);
	return run;
}

static int setup(void **state)
{
	scratch *s = xcalloc(1, sizeof *s);
	strcpy(s->dir, "/tmp/goc-report-test-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	s->out = xasprintf("%s/REPORT.md", s->dir);
	setenv("GOC_GNUPLOT", NO_GNUPLOT, 1);
	*state = s;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	scratch *s = *state;
	nftw(s->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(s->out);
	free(s->md);
	free(s);
	return 0;
}

/* Generate the report of these fixtures; expect rc; on success, s->md is its text. */
static void generate(scratch *s, const char *const *names, size_t n, int expect_rc, char *err, size_t errlen)
{
	char **paths = xcalloc(n, sizeof *paths);
	for (size_t i = 0; i < n; i++)
		paths[i] = fixture(names[i]);
	char *charts = xasprintf("%s/report", s->dir);
	report_options o = { .results_root = s->dir, .out = s->out, .charts = charts,
	                     .runs = (const char *const *)paths, .nruns = n };
	err[0] = '\0';
	int rc = report_generate(&o, err, errlen);
	free(charts);
	assert_int_equal(rc, expect_rc);
	free(s->md);
	s->md = expect_rc == GOC_EXIT_OK ? file_read(s->out, NULL) : NULL;
	if (expect_rc == GOC_EXIT_OK)
		assert_non_null(s->md);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static void generate_ok(scratch *s, const char *const *names, size_t n)
{
	char err[1024];
	generate(s, names, n, GOC_EXIT_OK, err, sizeof err);
}

/* ---- the fixture's figures, computed here -------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The samples `key` of p, sorted; *n of them. */
static double *sorted_key(const json_t *p, const char *key, size_t *n)
{
	const json_t *a = json_object_get(p, key);
	*n = json_array_size(a);
	double *v = xcalloc(*n + 1, sizeof *v);
	for (size_t i = 0; i < *n; i++)
		v[i] = json_number_value(json_array_get(a, i));
	qsort(v, *n, sizeof *v, cmp_d);
	return v;
}

/* The ns/op samples of p, sorted; *n of them. */
static double *sorted_samples(const json_t *p, size_t *n)
{
	return sorted_key(p, "ns_per_op", n);
}

/* The median of p's samples `key`. */
static double median_key(const json_t *p, const char *key)
{
	size_t n;
	double *v = sorted_key(p, key, &n);
	assert_true(n > 0);
	double m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

static double median_of(const json_t *p)
{
	return median_key(p, "ns_per_op");
}

static char *knobs_of(const json_t *p)
{
	strbuf b = { 0 };
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(p, "knobs"), k, v)
		sb_printf(&b, "%s%s=%s", b.len ? ", " : "", k, json_string_value(v));
	return b.s ? b.s : xstrdup("");
}

/* The point of `run` in p's scenario at p's knobs, of impl, and the reference or p's variant. */
static const json_t *find_match(const json_t *run, const json_t *p, const char *impl, bool reference, bool has_variants)
{
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(run, "points"), i, q) {
		if (strcmp(jstr(q, "scenario"), jstr(p, "scenario")) || strcmp(jstr(q, "impl"), impl) ||
		    !json_equal(json_object_get(q, "knobs"), json_object_get(p, "knobs")))
			continue;
		if (reference ? json_is_true(json_object_get(q, "reference"))
		              : !has_variants || !strcmp(jstr(q, "variant"), jstr(p, "variant")))
			return q;
	}
	return NULL;
}

static bool scenario_has_variants(const json_t *run, const char *scenario)
{
	size_t i;
	json_t *q;
	json_array_foreach(json_object_get(run, "points"), i, q)
		if (!strcmp(jstr(q, "scenario"), scenario) && json_is_true(json_object_get(q, "reference")))
			return true;
	return false;
}

/* ---- reading the Markdown ----------------------------------------------------------------- */

/* The text of section "### name", up to the next heading. */
static char *section(const char *md, const char *name)
{
	char *head = xasprintf("\n### %s\n", name);
	const char *start = strstr(md, head);
	assert_non_null(start);
	start += strlen(head);
	const char *end = strstr(start, "\n#");
	free(head);
	return xasprintf("%.*s", (int)(end ? end - start : (long)strlen(start)), start);
}

#define MAX_CELLS 16
typedef char row_t[MAX_CELLS][512];

/* Split one table line into trimmed cells ("\|" stays inside a cell). */
static size_t split_row(const char *line, row_t cells)
{
	size_t n = 0, len = 0;
	assert_true(line[0] == '|');
	for (const char *c = line + 1; *c && *c != '\n'; c++) {
		if (*c == '|' && c[-1] != '\\') {
			while (len && cells[n][len - 1] == ' ')
				len--;
			cells[n][len] = '\0';
			n++;
			len = 0;
			assert_true(n < MAX_CELLS);
			continue;
		}
		if (len == 0 && *c == ' ')
			continue;
		if (len < sizeof cells[0] - 1)
			cells[n][len++] = *c;
	}
	return n;
}

/* The column called `name` in the section's table, or -1. */
static int column(const char *sec, const char *name)
{
	const char *line = strstr(sec, "\n|");
	assert_non_null(line);
	row_t cells;
	size_t n = split_row(line + 1, cells);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cells[i], name))
			return (int)i;
	return -1;
}

/* The row whose cells in columns key_cols equal key_vals; false if none. */
static bool find_row(const char *sec, const char *const *key_cols, const char *const *key_vals, size_t nkeys,
                     row_t cells)
{
	const char *line = strstr(sec, "\n|");
	assert_non_null(line);
	line = strchr(line + 1, '\n');   /* past the head */
	line = line ? strchr(line + 1, '\n') : NULL;   /* past the rule */
	for (; line && line[1] == '|'; line = strchr(line + 1, '\n')) {
		split_row(line + 1, cells);
		bool all = true;
		for (size_t k = 0; k < nkeys && all; k++) {
			int c = column(sec, key_cols[k]);
			all = c >= 0 && !strcmp(cells[c], key_vals[k]);
		}
		if (all)
			return true;
	}
	return false;
}

/* A printed figure equals `expected` to the decimals it is printed with. */
static void assert_figure(const char *cell, double expected)
{
	char *end;
	double v = strtod(cell, &end);
	if (end == cell)
		fail_msg("'%s' is not a figure (expected %g)", cell, expected);
	const char *dot = strchr(cell, '.');
	int decimals = 0;
	if (dot && dot < end)
		decimals = (int)(end - dot - 1);
	double tol = 0.5 * pow(10, -decimals) * (1 + 1e-9) + 1e-12 * fabs(expected);
	if (fabs(v - expected) > tol)
		fail_msg("'%s' is not %.6g (to +-%g)", cell, expected, tol);
}

static bool has_digit(const char *s)
{
	return strpbrk(s, "0123456789") != NULL;
}

/* ---- the tests --------------------------------------------------------------------------------- */

/*
 * Every C point of host-a: its row's median, CI (n = 10: the 2nd and 9th
 * order statistics), n, ratio to the reference and to Go equal what the
 * fixture's samples give.
 */
static void test_report_table_figures_match_samples(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	json_t *run = load_fixture("host-a");
	size_t i, checked = 0, ref_ratios = 0, go_ratios = 0;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p) {
		if (strcmp(jstr(p, "impl"), "c") || strcmp(jstr(p, "status"), "ok"))
			continue;
		char *sec = section(s->md, jstr(p, "scenario"));
		char *knobs = knobs_of(p);
		bool variants = scenario_has_variants(run, jstr(p, "scenario"));
		const char *cols[] = { "knobs", "variant" };
		const char *vals[] = { knobs, jstr(p, "variant") };
		bool with_knobs = *knobs != '\0';
		row_t cells;
		assert_true(find_row(sec, with_knobs ? cols : cols + 1, with_knobs ? vals : vals + 1, with_knobs ? 2 : 1, cells));

		double m = median_of(p);
		assert_figure(cells[column(sec, "median ns/op")], m);
		size_t n;
		double *v = sorted_samples(p, &n);
		char nbuf[32];
		snprintf(nbuf, sizeof nbuf, "%zu", n);
		assert_string_equal(cells[column(sec, "n")], nbuf);
		const char *ci = cells[column(sec, "95% CI of the median")];
		if (n == 10) {
			assert_true(ci[0] == '[');
			assert_figure(ci + 1, v[1]);
			assert_figure(strchr(ci, ',') + 2, v[8]);
		}
		free(v);

		int ref_col = column(sec, "vs reference");
		assert_int_equal(ref_col >= 0, variants);
		if (variants) {
			const json_t *ref = find_match(run, p, "c", true, true);
			if (json_is_true(json_object_get(p, "reference"))) {
				assert_string_equal(cells[ref_col], "reference");
			} else if (!strcmp(jstr(ref, "status"), "ok")) {
				assert_figure(cells[ref_col], m / median_of(ref));
				ref_ratios++;
			}
		}
		const json_t *go = find_match(run, p, "go", false, variants);
		if (go && !strcmp(jstr(go, "status"), "ok")) {
			assert_figure(cells[column(sec, "Go median ns/op")], median_of(go));
			assert_figure(cells[column(sec, "C/Go")], m / median_of(go));
			go_ratios++;
		}
		free(knobs);
		free(sec);
		checked++;
	}
	/* 15 C points succeeded: 7 beside an ok reference of another variant, 14 beside an ok Go point. */
	assert_int_equal(checked, 15);
	assert_int_equal(ref_ratios, 7);
	assert_int_equal(go_ratios, 14);
	json_decref(run);
}

/*
 * A server scenario's points (GET /users with 1,000 users, four stores and
 * Go's rwlock): the servers' own table gives each point's medians, and C/Go
 * ratios where Go ran the same variant; a GET has no RSS growth column.
 */
static void test_report_server_figures_match_samples(void **state)
{
	scratch *s = *state;
	const char *names[] = { "server" };
	generate_ok(s, names, 1);
	json_t *run = load_fixture("server");
	char *sec = section(s->md, "reststore-list");
	const char *servers = strstr(sec, "The servers' own figures");
	assert_non_null(servers);
	assert_int_equal(column(servers, "RSS growth B/request"), -1);
	size_t i, checked = 0;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p) {
		if (strcmp(jstr(p, "impl"), "c"))
			continue;
		const char *cols[] = { "variant" };
		const char *vals[] = { jstr(p, "variant") };
		row_t cells;
		assert_true(find_row(servers, cols, vals, 1, cells));
		double rps = median_key(p, "requests_per_s");
		assert_figure(cells[column(servers, "requests/s")], rps);
		assert_figure(cells[column(servers, "p99 ms")], median_key(p, "p99_us") / 1000);
		assert_figure(cells[column(servers, "CPU µs/request")], median_key(p, "cpu_us_per_request"));
		assert_figure(cells[column(servers, "peak RSS MiB")], median_key(p, "peak_rss_kb") / 1024);
		const json_t *go = find_match(run, p, "go", false, true);
		int vs_go = column(servers, "C/Go");
		if (go)
			assert_figure(cells[vs_go], rps / median_key(go, "requests_per_s"));
		else
			assert_string_equal(cells[vs_go], "—");
		checked++;
	}
	assert_int_equal(checked, 4);
	free(sec);
	json_decref(run);
}

static void test_report_failed_point_shows_failure_and_no_number(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	char *sec = section(s->md, "workerpool-square");
	const char *cols[] = { "knobs", "variant" };
	const char *vals[] = { "job=square, workers=2", "batch" };
	row_t cells;
	assert_true(find_row(sec, cols, vals, 2, cells));
	const char *median = cells[column(sec, "median ns/op")];
	assert_non_null(strstr(median, "**failed**: check failed"));
	assert_non_null(strstr(median, "expected 41679167500, got 41679167499"));
	/* The 9 runs that succeeded have a median; it must not be shown. */
	json_t *run = load_fixture("host-a");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p)
		if (!strcmp(jstr(p, "id"), "workerpool-square/c/batch/job=square,workers=2")) {
			char m[32];
			snprintf(m, sizeof m, "%.0f", median_of(p));
			assert_null(strstr(median, m));
		}
	for (const char *const *c = (const char *const[]){ "95% CI of the median", "n", "vs reference", "C/Go", NULL }; *c; c++)
		assert_false(has_digit(cells[column(sec, *c)]));
	free(sec);

	/* A failed Go point: its failure in the Go column, no ratio. */
	sec = section(s->md, "pipeline");
	const char *pcols[] = { "variant" };
	const char *pvals[] = { "batched" };
	assert_true(find_row(sec, pcols, pvals, 1, cells));
	assert_non_null(strstr(cells[column(sec, "Go median ns/op")], "**failed**: timeout"));
	assert_false(has_digit(cells[column(sec, "C/Go")]));
	free(sec);
	json_decref(run);
}

static void test_report_go_columns_only_where_go_ran(void **state)
{
	scratch *s = *state;
	const char *a[] = { "host-a" }, *b[] = { "host-b" };
	generate_ok(s, a, 1);
	char *sec = section(s->md, "workerpool-square");
	assert_true(column(sec, "C/Go") >= 0);
	assert_non_null(strstr(s->md, "C is "));
	free(sec);
	generate_ok(s, b, 1);
	sec = section(s->md, "workerpool-square");
	assert_int_equal(column(sec, "C/Go"), -1);
	assert_int_equal(column(sec, "Go median ns/op"), -1);
	assert_null(strstr(s->md, "than Go"));
	free(sec);
}

/* A point's CPU ns/op from its JSON: (user_s + system_s) / ops, in ns. */
static double cpu_of(const json_t *p)
{
	return (jnum(p, "user_s") + jnum(p, "system_s")) * 1e9 / jnum(p, "ops");
}

/*
 * CPU ns/op: host-a predates user_s and system_s, so its CPU cells say "—";
 * a copy of it with CPU times shows each ok point's (user_s + system_s) /
 * ops, Go's beside it and their ratio, and still nothing for a failed point.
 * A server scenario has no such column: its CPU time is per request, below.
 */
static void test_report_cpu_per_op_or_not_recorded(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	char *sec = section(s->md, "workerpool-square");
	const char *cols[] = { "knobs", "variant" };
	const char *vals[] = { "job=square, workers=4", "chan" };
	row_t cells;
	assert_true(find_row(sec, cols, vals, 2, cells));
	for (const char *const *c = (const char *const[]){ "CPU ns/op", "Go CPU ns/op", "CPU C/Go", NULL }; *c; c++)
		assert_string_equal(cells[column(sec, *c)], "—");
	free(sec);

	/* The same run with CPU times: each point's its own, so that no two ratios agree by chance. */
	json_t *run = load_fixture("host-a");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p) {
		json_object_set_new(p, "user_s", json_real(0.01 * (double)(i + 1)));
		json_object_set_new(p, "system_s", json_real(0.003 * (double)(i % 3)));
	}
	char *dir = xasprintf("%s/with-cpu", s->dir);
	char *path = xasprintf("%s/results.json", dir);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	assert_int_equal(json_dump_file(run, path, JSON_PRESERVE_ORDER), 0);
	const char *cpu_run[] = { dir };
	generate_ok(s, cpu_run, 1);
	size_t checked = 0, go_ratios = 0, failed = 0;
	json_array_foreach(json_object_get(run, "points"), i, p) {
		if (strcmp(jstr(p, "impl"), "c"))
			continue;
		sec = section(s->md, jstr(p, "scenario"));
		char *knobs = knobs_of(p);
		bool variants = scenario_has_variants(run, jstr(p, "scenario"));
		const char *kv[] = { knobs, jstr(p, "variant") };
		bool with_knobs = *knobs != '\0';
		assert_true(find_row(sec, with_knobs ? cols : cols + 1, with_knobs ? kv : kv + 1, with_knobs ? 2 : 1,
		                     cells));
		if (strcmp(jstr(p, "status"), "ok")) {
			assert_string_equal(cells[column(sec, "CPU ns/op")], "—");
			failed++;
		} else {
			assert_figure(cells[column(sec, "CPU ns/op")], cpu_of(p));
			checked++;
		}
		const json_t *go = find_match(run, p, "go", false, variants);
		if (go && !strcmp(jstr(go, "status"), "ok")) {
			assert_figure(cells[column(sec, "Go CPU ns/op")], cpu_of(go));
			if (!strcmp(jstr(p, "status"), "ok")) {
				assert_figure(cells[column(sec, "CPU C/Go")], cpu_of(p) / cpu_of(go));
				go_ratios++;
			}
		} else if (go) {
			assert_string_equal(cells[column(sec, "Go CPU ns/op")], "—");
		}
		free(knobs);
		free(sec);
	}
	assert_int_equal(checked, 15);
	assert_int_equal(go_ratios, 14);
	assert_int_equal(failed, 1);
	free(path);
	free(dir);
	json_decref(run);

	const char *server[] = { "server" };
	generate_ok(s, server, 1);
	sec = section(s->md, "reststore-list");
	assert_int_equal(column(sec, "CPU ns/op"), -1);
	assert_true(column(sec, "median ns/op") >= 0);
	free(sec);
}

/* Merged: both hosts named, each row's figures from its own host, no Go ratio borrowed across hosts. */
static void test_report_two_hosts_merged_name_both(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a", "host-b" };
	generate_ok(s, names, 2);
	assert_non_null(strstr(s->md, "| | vm | runner2 |"));
	assert_non_null(strstr(s->md, "AMD EPYC 7763"));
	assert_non_null(strstr(s->md, "Intel(R) Xeon(R)"));
	assert_non_null(strstr(s->md, "this run was interrupted: 6 points"));
	assert_non_null(strstr(s->md, "**What this shows on vm:**"));
	assert_non_null(strstr(s->md, "**What this shows on runner2:**"));

	json_t *runb = load_fixture("host-b");
	char *sec = section(s->md, "workerpool-square");
	size_t i, rows = 0;
	json_t *p;
	json_array_foreach(json_object_get(runb, "points"), i, p) {
		char *knobs = knobs_of(p);
		const char *cols[] = { "host", "knobs", "variant" };
		const char *vals[] = { "runner2", knobs, jstr(p, "variant") };
		row_t cells;
		assert_true(find_row(sec, cols, vals, 3, cells));
		assert_figure(cells[column(sec, "median ns/op")], median_of(p));
		assert_false(has_digit(cells[column(sec, "Go median ns/op")]));
		assert_false(has_digit(cells[column(sec, "C/Go")]));
		if (!json_is_true(json_object_get(p, "reference")))
			assert_figure(cells[column(sec, "vs reference")], median_of(p) / median_of(find_match(runb, p, "c", true, true)));
		rows++;
		free(knobs);
	}
	assert_int_equal(rows, 6);
	/* vm's rows are there too: the failed one among them. */
	const char *cols[] = { "host", "knobs", "variant" };
	const char *vals[] = { "vm", "job=square, workers=2", "batch" };
	row_t cells;
	assert_true(find_row(sec, cols, vals, 3, cells));
	assert_non_null(strstr(cells[column(sec, "median ns/op")], "**failed**"));
	free(sec);
	json_decref(runb);
}

static void test_report_small_n_says_ci_not_reached(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	char *sec = section(s->md, "spsc");
	const char *cols[] = { "knobs" };
	const char *small[] = { "cap=1024" }, *big[] = { "cap=0" };
	row_t cells;
	assert_true(find_row(sec, cols, small, 1, cells));
	assert_string_equal(cells[column(sec, "n")], "4");
	assert_non_null(strstr(cells[column(sec, "95% CI of the median")], "n too small for 95%"));
	assert_true(find_row(sec, cols, big, 1, cells));
	assert_null(strstr(cells[column(sec, "95% CI of the median")], "too small"));
	free(sec);
}

static void test_report_tsan_results_or_not_recorded(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a", "host-b" };
	generate_ok(s, names, 2);
	const char *tests = strstr(s->md, "## TSan tests");
	assert_non_null(tests);
	assert_non_null(strstr(tests, "vm (20261123-234539-vm): 220 passed, 2 failed, 1 skipped"));
	assert_non_null(strstr(tests, "failed: `chan_test`, `select_race_control`"));
	assert_non_null(strstr(tests, "runner2 (20261124-101500-runner2): not recorded"));
}

/* The facts line: ratios from the medians, in the words the brief asks for. */
static void test_report_what_this_shows_from_medians(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	json_t *run = load_fixture("host-a");
	double c1 = 0, c2 = 0, c4 = 0, go4 = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p) {
		const char *id = jstr(p, "id");
		if (!strcmp(id, "workerpool-square/c/chan/job=square,workers=1"))
			c1 = median_of(p);
		else if (!strcmp(id, "workerpool-square/c/chan/job=square,workers=2"))
			c2 = median_of(p);
		else if (!strcmp(id, "workerpool-square/c/chan/job=square,workers=4"))
			c4 = median_of(p);
		else if (!strcmp(id, "workerpool-square/go/chan/job=square,workers=4"))
			go4 = median_of(p);
	}
	char *sec = section(s->md, "workerpool-square");
	char *step = xasprintf("chan: workers 1 -> 2 is a %.2fx %s", c1 > c2 ? c1 / c2 : c2 / c1,
	                       c1 > c2 ? "speed-up" : "slow-down");
	char *go = xasprintf("C is %.2fx %s than Go (chan, workers=4)", c4 > go4 ? c4 / go4 : go4 / c4,
	                     c4 > go4 ? "slower" : "faster");
	const char *line = strstr(sec, "**What this shows:**");
	assert_non_null(line);
	char *facts = xasprintf("%.*s", (int)strcspn(line, "\n"), line);
	if (!strstr(facts, step))
		fail_msg("'%s' lacks '%s'", facts, step);
	if (!strstr(facts, go))
		fail_msg("'%s' lacks '%s'", facts, go);
	free(facts);
	free(step);
	free(go);
	free(sec);
	json_decref(run);
}

static void test_report_without_gnuplot_tables_only(void **state)
{
	scratch *s = *state;
	const char *names[] = { "host-a" };
	generate_ok(s, names, 1);
	assert_non_null(strstr(s->md, "Charts were skipped: cannot run " NO_GNUPLOT));
	assert_null(strstr(s->md, ".svg"));
	char *charts = xasprintf("%s/" "report", s->dir);
	assert_false(path_exists(charts));
	free(charts);
	for (const char *const *n = (const char *const[]){ "pingpong", "spsc", "pipeline", "workerpool-square", NULL }; *n; n++) {
		char *sec = section(s->md, *n);
		assert_true(column(sec, "median ns/op") >= 0);
		free(sec);
	}
}

static void test_report_with_gnuplot_draws_svg_charts(void **state)
{
	scratch *s = *state;
	setenv("GOC_GNUPLOT", "gnuplot", 1);
	const char *names[] = { "host-a", "host-b" };
	generate_ok(s, names, 2);
	assert_null(strstr(s->md, "Charts were skipped"));
	assert_null(strstr(s->md, "Chart not drawn"));
	for (const char *const *n = (const char *const[]){ "pingpong", "spsc", "pipeline", "workerpool-square", NULL }; *n; n++) {
		char *link = xasprintf("](" "report" "/%s.svg)", *n);
		assert_non_null(strstr(s->md, link));
		char *path = xasprintf("%s/" "report" "/%s.svg", s->dir, *n);
		char *svg = file_read(path, NULL);
		if (!svg)
			fail_msg("%s was not written", path);
		assert_true(str_starts(svg, "<?xml") || str_starts(svg, "<svg"));
		assert_non_null(strstr(svg, "</svg>"));
		free(svg);
		free(path);
		free(link);
	}
	/* A line chart names both hosts' series. */
	char *path = xasprintf("%s/" "report" "/workerpool-square.svg", s->dir);
	char *svg = file_read(path, NULL);
	assert_non_null(strstr(svg, "runner2: C chan"));
	assert_non_null(strstr(svg, "vm: Go chan"));
	free(svg);
	free(path);
}

static void test_report_bad_runs_are_clear_errors(void **state)
{
	scratch *s = *state;
	char err[1024];
	const char *missing[] = { "no-such-run" };
	generate(s, missing, 1, GOC_EXIT_FAILED, err, sizeof err);
	assert_non_null(strstr(err, "no run '"));
	assert_non_null(strstr(err, "no-such-run"));
	const char *corrupt[] = { "host-a", "corrupt" };
	generate(s, corrupt, 2, GOC_EXIT_FAILED, err, sizeof err);
	assert_non_null(strstr(err, "corrupt/results.json"));
	assert_non_null(strstr(err, "not valid JSON"));
	const char *notgoc[] = { "not-goc" };
	generate(s, notgoc, 1, GOC_EXIT_FAILED, err, sizeof err);
	assert_non_null(strstr(err, "not a goc results file"));
	const char *twice[] = { "host-a", "host-a" };
	generate(s, twice, 2, GOC_EXIT_USAGE, err, sizeof err);
	assert_non_null(strstr(err, "named twice"));
	/* Nothing was written by any of them. */
	assert_false(path_exists(s->out));
}

/* The command line: help, bad flags, and `latest` under --results by default. */
static void test_report_command_line(void **state)
{
	scratch *s = *state;
	goc_globals g = { .results = s->dir };
	char *help[] = { "report", "--help", NULL };
	assert_int_equal(cmd_report(&g, 2, help), GOC_EXIT_OK);
	char *bad[] = { "report", "--bogus", NULL };
	assert_int_equal(cmd_report(&g, 2, bad), GOC_EXIT_USAGE);
	char *noval[] = { "report", "--out", NULL };
	assert_int_equal(cmd_report(&g, 2, noval), GOC_EXIT_USAGE);
	char *dflt[] = { "report", "--out", s->out, NULL };
	assert_int_equal(cmd_report(&g, 3, dflt), GOC_EXIT_FAILED);   /* no results/latest yet */
	assert_false(path_exists(s->out));

	char *target = fixture("host-a");
	char *abs = realpath(target, NULL);
	char *link = xasprintf("%s/latest", s->dir);
	assert_int_equal(symlink(abs, link), 0);
	assert_int_equal(cmd_report(&g, 3, dflt), GOC_EXIT_OK);
	char *md = file_read(s->out, NULL);
	assert_non_null(md);
	assert_non_null(strstr(md, "this run: 20261123-234539-vm on vm"));
	free(md);
	free(link);
	free(abs);
	free(target);
}

/* The chart links of a report elsewhere than its run rest on path_relative(). */
static void test_path_relative_between_folders(void **state)
{
	scratch *s = *state;
	char *a = xasprintf("%s/a", s->dir), *ab = xasprintf("%s/a/b", s->dir), *c = xasprintf("%s/c/d", s->dir);
	assert_int_equal(mkdir_p(ab, 0755), 0);
	assert_int_equal(mkdir_p(c, 0755), 0);
	const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ a, a, "." },
		{ a, ab, "b" },
		{ ab, a, ".." },
		{ ab, c, "../../c/d" },
		{ s->dir, c, "c/d" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = path_relative(cases[i].from, cases[i].to);
		if (strcmp(got, cases[i].want))
			fail_msg("path_relative(%s, %s) = %s, expected %s", cases[i].from, cases[i].to, got, cases[i].want);
		free(got);
	}
	/* A `to` that does not exist comes back as given. */
	char *missing = xasprintf("%s/none", s->dir);
	char *got = path_relative(a, missing);
	assert_string_equal(got, missing);
	free(got);
	free(missing);
	free(a);
	free(ab);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_report_table_figures_match_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_relative_between_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_server_figures_match_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_failed_point_shows_failure_and_no_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_go_columns_only_where_go_ran, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_cpu_per_op_or_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_two_hosts_merged_name_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_small_n_says_ci_not_reached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_tsan_results_or_not_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_what_this_shows_from_medians, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_without_gnuplot_tables_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_with_gnuplot_draws_svg_charts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_bad_runs_are_clear_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_command_line, setup, teardown),
	};
	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
