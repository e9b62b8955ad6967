/*
 * baseline.c - `goc baseline go`: the Go baselines of a run's scenarios
 * on the same command lines, timed as `goc bench` times the C targets and
 * added to that run (impl "go"), replacing an earlier baseline's points.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog.h"
#include "bench_internal.h"
#include "commands.h"
#include "junit.h"
#include "results.h"
#include "samples.h"
#include "scenario.h"
#include "stats.h"
#include "probe.h"
#include "util.h"

extern char **environ;


/* ---- goc baseline go ------------------------------------------------------------------------------------ */

static const char baseline_usage[] =
	"usage: goc baseline go [RUN] [--runs N] [--warmup N] [--timeout SECONDS]\n\n"
	"Run the Go programs (scenarios/go, built into the --go-dir folder) for the\n"
	"scenarios of RUN (default: latest) that name one (`go = NAME`), with the same\n"
	"command lines, and add their points (impl \"go\") to RUN's results.json,\n"
	"replacing Go points from an earlier baseline. Without a Go toolchain and\n"
	"without built programs, it says so and does nothing (exit 0).\n\n"
	"  --runs, --warmup, --timeout  as for goc bench\n"
	"  -h, --help                   this help\n\n"
	"Exit status: 0 ok or skipped, 1 a run failed or a program is not built, 2 bad\n"
	"command line, 130 interrupted.\n";

/* The next free hyperfine invocation number of a run. */
static size_t next_invocation(const results_point *points, size_t n)
{
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long inv;
		if (points[i].hyperfine && sscanf(points[i].hyperfine, "hyperfine/%lu.json", &inv) == 1 && inv + 1 > next)
			next = inv + 1;
	}
	return next;
}

int cmd_baseline(const goc_globals *g, int argc, char **argv)
{
	bench_overrides ov = { 0, UINT64_MAX, 0 };
	const char *run_name = "latest";
	bool have_lang = false, have_run = false;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(baseline_usage, stdout);
			return GOC_EXIT_OK;
		} else if (!strcmp(argv[a], "--runs")) {
			if (!bench_take_u64(argc, argv, &a, 3, 1000, &ov.runs))
				return GOC_EXIT_USAGE;
		} else if (!strcmp(argv[a], "--warmup")) {
			if (!bench_take_u64(argc, argv, &a, 0, 100, &ov.warmup))
				return GOC_EXIT_USAGE;
		} else if (!strcmp(argv[a], "--timeout")) {
			if (!bench_take_u64(argc, argv, &a, 1, 86400, &ov.timeout))
				return GOC_EXIT_USAGE;
		} else if (argv[a][0] == '-') {
			goc_err("baseline: unknown flag or missing value '%s' (see goc baseline --help)", argv[a]);
			return GOC_EXIT_USAGE;
		} else if (!have_lang) {
			if (strcmp(argv[a], "go") != 0) {
				goc_err("baseline: unknown baseline '%s' (there is: go)", argv[a]);
				return GOC_EXIT_USAGE;
			}
			have_lang = true;
		} else if (!have_run) {
			run_name = argv[a];
			have_run = true;
		} else {
			goc_err("baseline: unexpected argument '%s' (see goc baseline --help)", argv[a]);
			return GOC_EXIT_USAGE;
		}
	}
	if (!have_lang) {
		goc_err("baseline: which baseline? (goc baseline go)");
		return GOC_EXIT_USAGE;
	}

	char err[1024];
	char *dir = results_resolve(g->results, run_name, err, sizeof err);
	results_point *points = NULL;
	size_t npoints = 0;
	json_t *results = dir ? results_load_points(dir, &points, &npoints, err, sizeof err) : NULL;
	if (!results) {
		goc_err("%s", err);
		free(dir);
		return GOC_EXIT_FAILED;
	}
	char *go_version_argv[] = { "go", "version", NULL };
	char *go_version = run_first_line(go_version_argv);

	scenario_set set = { 0 };
	bench_group *groups = NULL;
	size_t ngroups = 0;
	int rc = GOC_EXIT_FAILED;
	if (bench_load_scenarios(g, &set) != 0)
		goto done;
	const char *suite = json_string_value(json_object_get(results, "suite"));
	size_t i, missing = 0;
	json_t *name;
	json_array_foreach(json_object_get(results, "scenarios"), i, name) {
		const scenario *s = scenario_find(&set, json_string_value(name));
		if (!s || !s->go)
			continue;
		char *binary = xasprintf("%s/%s", g->go_dir, s->go);
		if (!is_executable(binary)) {
			missing++;
			if (go_version)
				goc_err("baseline: %s is not built (scripts/run builds it; or: cd scenarios/go && go build -o %s/ ./...)",
				        binary, g->go_dir);
		} else {
			bench_expand(s, suite, "go", binary, &s->go_variants, &ov, &groups, &ngroups);
		}
		free(binary);
	}
	if (missing && !go_version) {
		fprintf(stderr, "goc baseline go: skipped: Go is not installed and its programs are not built in %s "
		                "(install golang-go; scripts/run builds them)\n", g->go_dir);
		rc = GOC_EXIT_OK;
		goto done;
	}
	if (missing)
		goto done;
	if (ngroups == 0) {
		fprintf(stderr, "goc baseline go: no scenario of run %s has a Go baseline\n", jstr(results, "run_id"));
		rc = GOC_EXIT_OK;
		goto done;
	}

	if (!bench_have_tools(groups, ngroups))
		goto done;
	/* A new baseline replaces an earlier one; the points kept are kept as they were written. */
	json_t *kept = json_array();
	for (size_t k = 0; k < npoints; k++)
		if (strcmp(points[k].impl, "go") != 0)
			json_array_append(kept, json_array_get(json_object_get(results, "points"), k));
	json_object_set_new(results, "points", kept);
	json_object_set_new(json_object_get(results, "tools"), "go",
	                    go_version ? json_string(go_version) : json_string("unknown (go not on PATH)"));
	bench_run r = { .g = g, .dir = dir, .results = results, .tty = isatty(2), .started = now_monotonic_s(),
	                .next_invocation = next_invocation(points, npoints) };
	fprintf(stderr, "goc baseline go: %zu point%s -> %s/results.json\n", ngroups, ngroups == 1 ? "" : "s", dir);
	bench_catch_signals();
	bool complete = bench_run_groups(&r, groups, ngroups);
	bench_save(&r);
	if (!complete) {
		fprintf(stderr, "\ngoc baseline go: interrupted; the Go points that finished are kept\n");
		rc = GOC_EXIT_INTERRUPTED;
	} else {
		fprintf(stderr, "goc baseline go: done, %zu failed\n", r.failed_points);
		rc = r.failed_points ? GOC_EXIT_FAILED : GOC_EXIT_OK;
	}
done:
	results_points_free(points, npoints);
	bench_groups_free(groups, ngroups);
	scenario_set_free(&set);
	json_decref(results);
	free(go_version);
	free(dir);
	return rc;
}
