/*
 * bench.c - `goc bench`: the scenarios of a suite (or named), checked
 * against the build's targets before anything runs, each point's variants
 * (and with --with go its Go twin) in one hyperfine invocation, into a new
 * run, results/<run-id>/results.json, which results/latest points at.
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


/* The scenarios chosen by --suite or by name, in file order. */
static int select_scenarios(const scenario_set *set, const char *suite, char **names, size_t nnames,
                            const scenario ***chosen, size_t *n)
{
	*chosen = NULL;
	*n = 0;
	if (suite) {
		for (size_t i = 0; i < set->n; i++)
			if (scenario_in_suite(&set->v[i], suite))
				*(const scenario **)xappend(chosen, n, sizeof **chosen) = &set->v[i];
		if (*n == 0) {
			goc_err("no scenario is in suite '%s' (goc list shows the suites)", suite);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < nnames; i++) {
		const scenario *s = scenario_find(set, names[i]);
		if (!s) {
			goc_err("no scenario named '%s' (goc list shows them)", names[i]);
			free(*chosen);
			*chosen = NULL;
			*n = 0;
			return -1;
		}
		*(const scenario **)xappend(chosen, n, sizeof **chosen) = s;
	}
	return 0;
}

static const char bench_usage[] =
	"usage: goc bench [--suite S | SCENARIO...] [--with go] [--runs N] [--warmup N] [--timeout SECONDS]\n"
	"                 [--tasks threads|mn] [--tests JUNIT.xml] [--dry-run]\n\n"
	"Run scenarios on the release build's targets: each point of each scenario's\n"
	"matrix is one hyperfine invocation with every variant as a command; every\n"
	"run's JSON line is checked. A server scenario's point (one with a request)\n"
	"starts each variant's server afresh per run and loads it with wrk instead\n"
	"(scenarios/README.md). Writes results/<run-id>/results.json (see\n"
	"results/README.md) after every point and points results/latest at the run.\n\n"
	"  --suite S          every scenario in suite S (smoke, default, full, ...)\n"
	"  SCENARIO...        these scenarios, by name (goc list)\n"
	"  --with go          add each point's Go twin (the built Go baseline) to the same\n"
	"                     hyperfine invocation (or server runs), so C and Go are measured\n"
	"                     back to back\n"
	"  --runs N           timed runs per command, 3..1000 (default: the scenario's)\n"
	"  --warmup N         warm-up runs per command, 0..100 (default: the scenario's)\n"
	"  --timeout SECONDS  kill a run after this long, 1..86400 (default: the scenario's)\n"
	"  --tasks KIND       run libgoc's tasks on threads or on the M:N scheduler (mn): sets\n"
	"                     GOC_TASKS for the targets (default: GOC_TASKS as set, else threads)\n"
	"  --tests FILE       record these ctest results (ctest --output-junit FILE) in the run\n"
	"  --dry-run          check the scenarios and print the commands; run nothing\n"
	"  -h, --help         this help\n\n"
	"Exit status: 0 every run ok, 1 a run failed (crashed, hung, check failed or bad\n"
	"output; the rest still ran), 2 bad command line or scenario, 130 interrupted.\n";

/*
 * The notes of the chosen scenarios that have one: notes/NAME.md beside the
 * scenario's file (scenarios/README.md), as one paragraph, by name.
 */
static json_t *scenario_notes(const scenario **chosen, size_t n)
{
	json_t *notes = json_object();
	for (size_t i = 0; i < n; i++) {
		char *dir = xstrdup(chosen[i]->file);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		char *path = xasprintf("%s/notes/%s.md", slash ? dir : ".", chosen[i]->name);
		char *text = file_read(path, NULL);
		if (!text && errno != ENOENT)
			goc_warn("bench: %s: %s (the scenario's note is left out)", path, strerror(errno));
		if (text) {
			/* One paragraph: line breaks become spaces, the last one goes. */
			for (char *c = text; *c; c++)
				if (*c == '\n')
					*c = ' ';
			size_t len = strlen(text);
			while (len && text[len - 1] == ' ')
				text[--len] = '\0';
			json_t *note = json_string(text);
			if (!note)
				goc_warn("bench: %s is not valid UTF-8 (the scenario's note is left out)", path);
			else
				json_object_set_new(notes, chosen[i]->name, note);
		}
		free(text);
		free(path);
		free(dir);
	}
	return notes;
}

/*
 * --with go: put scenario s's Go twin into its points' groups (`groups`,
 * as bench_expand() made them, one per point, in the same order), after the C
 * variants. -1 after a message if the Go program is not built.
 */
static int add_go_twins(const goc_globals *g, const scenario *s, const char *suite, const bench_overrides *ov,
                        bench_group *groups)
{
	char *binary = xasprintf("%s/%s", g->go_dir, s->go);
	if (!is_executable(binary)) {
		goc_err("bench: --with go: %s is not built (scripts/run builds it; or: cd scenarios/go && go build -o %s/ ./...)",
		        binary, g->go_dir);
		free(binary);
		return -1;
	}
	bench_group *go = NULL;
	size_t ngo = 0;
	bench_expand(s, suite, "go", binary, &s->go_variants, ov, &go, &ngo);
	free(binary);
	for (size_t p = 0; p < ngo; p++) {
		/* The commands move to the C group, which frees them. */
		for (size_t c = 0; c < go[p].n; c++)
			*(bench_cmd *)xappend(&groups[p].cmds, &groups[p].n, sizeof *groups[p].cmds) = go[p].cmds[c];
		free(go[p].cmds);
		free(go[p].label);
	}
	free(go);
	return 0;
}

/* Parse "--flag N" with a range; false after printing an error. */
bool bench_take_u64(int argc, char **argv, int *a, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *flag = argv[*a];
	if (*a + 1 >= argc) {
		goc_err("%s needs a value (see goc %s --help)", flag, argv[0]);
		return false;
	}
	const char *v = argv[++*a];
	if (!probe_parse_u64(v, out) || *out < min || *out > max) {
		goc_err("%s: '%s' is not an integer in %llu..%llu", flag, v, (unsigned long long)min,
		        (unsigned long long)max);
		return false;
	}
	return true;
}

int cmd_bench(const goc_globals *g, int argc, char **argv)
{
	const char *suite = NULL, *tests = NULL, *tasks = NULL;
	bool dry = false, with_go = false;
	bench_overrides ov = { 0, UINT64_MAX, 0 };
	char **names = NULL;
	size_t nnames = 0;
	int rc = GOC_EXIT_USAGE;
	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(bench_usage, stdout);
			free(names);
			return GOC_EXIT_OK;
		} else if (!strcmp(argv[a], "--suite") && a + 1 < argc) {
			suite = argv[++a];
		} else if (!strcmp(argv[a], "--tests") && a + 1 < argc) {
			tests = argv[++a];
		} else if (!strcmp(argv[a], "--runs")) {
			if (!bench_take_u64(argc, argv, &a, 3, 1000, &ov.runs))
				goto out;
		} else if (!strcmp(argv[a], "--warmup")) {
			if (!bench_take_u64(argc, argv, &a, 0, 100, &ov.warmup))
				goto out;
		} else if (!strcmp(argv[a], "--timeout")) {
			if (!bench_take_u64(argc, argv, &a, 1, 86400, &ov.timeout))
				goto out;
		} else if (!strcmp(argv[a], "--tasks") && a + 1 < argc) {
			tasks = argv[++a];
		} else if (!strcmp(argv[a], "--dry-run")) {
			dry = true;
		} else if (!strcmp(argv[a], "--with") && a + 1 < argc) {
			if (strcmp(argv[++a], "go") != 0) {
				goc_err("bench: --with: unknown baseline '%s' (there is: go)", argv[a]);
				goto out;
			}
			with_go = true;
		} else if (argv[a][0] == '-') {
			goc_err("bench: unknown flag or missing value '%s' (see goc bench --help)", argv[a]);
			goto out;
		} else {
			*(char **)xappend(&names, &nnames, sizeof *names) = argv[a];
		}
	}
	if (!suite == !nnames) {
		goc_err("bench: give either --suite S or scenario names (see goc bench --help)");
		goto out;
	}
	/* The targets read GOC_TASKS at their first task (task.h); results.json records it. */
	if (!tasks)
		tasks = getenv("GOC_TASKS");
	if (tasks && *tasks && strcmp(tasks, "threads") != 0 && strcmp(tasks, "mn") != 0) {
		goc_err("bench: tasks '%s': expected threads or mn", tasks);
		goto out;
	}
	if (tasks && *tasks)
		setenv("GOC_TASKS", tasks, 1);

	scenario_set set = { 0 };
	catalog cat = { 0 };
	const scenario **chosen = NULL;
	size_t nchosen = 0;
	bench_group *groups = NULL;
	size_t ngroups = 0;
	json_t *test_summary = NULL;
	char err[1024];
	if (bench_load_scenarios(g, &set) != 0 || select_scenarios(&set, suite, names, nnames, &chosen, &nchosen) != 0)
		goto done;
	if (catalog_load(g->build_dir, &cat, err, sizeof err) != 0) {
		goc_err("%s", err);
		goto done;
	}
	/* Every scenario is checked before anything runs. */
	for (size_t i = 0; i < nchosen; i++) {
		if (catalog_check_scenario(&cat, chosen[i], suite, err, sizeof err) != 0) {
			goc_err("%s", err);
			goto done;
		}
	}
	if (tests && !(test_summary = junit_summary(tests, err, sizeof err))) {
		goc_err("--tests: %s", err);
		goto done;
	}
	for (size_t i = 0; i < nchosen; i++) {
		size_t first = ngroups;
		bench_expand(chosen[i], suite, "c", catalog_find(&cat, chosen[i]->target)->path, &chosen[i]->variants, &ov,
		       &groups, &ngroups);
		if (with_go && chosen[i]->go && add_go_twins(g, chosen[i], suite, &ov, groups + first) != 0)
			goto done;
	}
	if (!dry && !bench_have_tools(groups, ngroups))
		goto done;
	if (dry) {
		for (size_t i = 0; i < ngroups; i++)
			for (size_t c = 0; c < groups[i].n; c++) {
				char *line = bench_shell_line(groups[i].cmds[c].argv);
				printf("%s  # %s, %llu+%llu runs\n", line, groups[i].cmds[c].id,
				       (unsigned long long)groups[i].warmup, (unsigned long long)groups[i].runs);
				free(line);
			}
		rc = GOC_EXIT_OK;
		goto done;
	}

	char *run_id = utc_now(true);
	char hostname[256] = "host";
	gethostname(hostname, sizeof hostname - 1);
	hostname[strcspn(hostname, ".")] = '\0';
	char *full_id = xasprintf("%s-%s", run_id, hostname);
	free(run_id);
	bench_run r = { .g = g, .dir = xasprintf("%s/%s", g->results, full_id), .tty = isatty(2),
	                .started = now_monotonic_s() };
	char *sub[] = { xasprintf("%s/hyperfine", r.dir), xasprintf("%s/samples", r.dir) };
	for (int i = 0; i < 2; i++) {
		if (mkdir_p(sub[i], 0755) != 0)
			goc_fatal("cannot make %s: %s", sub[i], strerror(errno));
		free(sub[i]);
	}
	char **snames = xcalloc(nchosen, sizeof *snames);
	for (size_t i = 0; i < nchosen; i++)
		snames[i] = chosen[i]->name;
	r.results = results_new(full_id, g->argc, g->argv, suite, snames, nchosen, g->build_dir);
	free(snames);
	if (test_summary)
		json_object_set(r.results, "tests", test_summary);
	json_object_set_new(r.results, "notes", scenario_notes(chosen, nchosen));
	if (with_go) {
		char *go_version_argv[] = { "go", "version", NULL };
		char *go_version = run_first_line(go_version_argv);
		json_object_set_new(json_object_get(r.results, "tools"), "go",
		                    json_string(go_version ? go_version : "unknown (go not on PATH)"));
		free(go_version);
	}
	bench_save(&r);
	if (results_set_latest(g->results, full_id, err, sizeof err) != 0)
		goc_warn("%s", err);
	fprintf(stderr, "goc bench: run %s: %zu scenario%s, %zu point%s -> %s/results.json\n",
	        full_id, nchosen, nchosen == 1 ? "" : "s", ngroups, ngroups == 1 ? "" : "s", r.dir);

	bench_catch_signals();
	bool complete = bench_run_groups(&r, groups, ngroups);
	json_object_set_new(r.results, "state", json_string(complete ? "complete" : "interrupted"));
	bench_set_finished(r.results);
	bench_save(&r);
	char *took = format_duration(now_monotonic_s() - r.started);
	size_t npoints = json_array_size(json_object_get(r.results, "points"));
	if (!complete) {
		fprintf(stderr, "\ngoc bench: interrupted after %s; %zu points kept in %s/results.json\n", took,
		        npoints, r.dir);
		rc = GOC_EXIT_INTERRUPTED;
	} else {
		fprintf(stderr, "goc bench: %zu points in %s, %zu failed; results in %s/results.json\n", npoints, took,
		        r.failed_points, r.dir);
		rc = r.failed_points ? GOC_EXIT_FAILED : GOC_EXIT_OK;
	}
	free(took);
	json_decref(r.results);
	free(r.dir);
	free(full_id);

done:
	json_decref(test_summary);
	bench_groups_free(groups, ngroups);
	free(chosen);
	catalog_free(&cat);
	scenario_set_free(&set);
out:
	free(names);
	return rc;
}

