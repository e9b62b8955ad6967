/*
 * goc.c - the goc command: global options, then one command (list, bench,
 * baseline, report, compare, race, pitfalls; exec is hyperfine's wrapper), and `goc list`,
 * which shows what the others can run.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "commands.h"
#include "scenario.h"
#include "util.h"

static const char usage[] =
	"usage: goc [--build DIR] [--scenarios DIR] [--results DIR] [--go-dir DIR] COMMAND [ARG]...\n\n"
	"goc runs Go's concurrency patterns in C as benchmarks, checks every answer,\n"
	"and reports them side by side (with Go's where a Go baseline ran).\n\n"
	"commands:\n"
	"  list                  targets, variants, knobs, scenarios and suites\n"
	"  bench                 run scenarios with hyperfine; results/<run-id>/results.json\n"
	"  baseline go           run the Go programs for a run's scenarios, into that run\n"
	"  report [RUN...]       write REPORT.md and its charts from runs (default: latest)\n"
	"  compare A B           compare two runs point by point (Mann-Whitney U); exit 1 if slower\n"
	"  race [-- COMMAND]     run TSan builds N times; report each race, leak, deadlock, hang once\n"
	"  pitfalls              run the pitfalls' bad and fixed versions under their detectors\n"
	"  exec                  run one target for hyperfine (used by bench)\n\n"
	"options (before the command):\n"
	"  --build DIR      the release build with goc-targets.ini (default build/release)\n"
	"  --scenarios DIR  the scenario files (default scenarios)\n"
	"  --results DIR    where runs are kept (default results)\n"
	"  --go-dir DIR     the built Go programs (default build/go)\n"
	"  -h, --help       this help; `goc COMMAND --help` for a command's\n\n"
	"Exit status: 0 ok, 1 something failed (a run, a check, a comparison), 2 bad\n"
	"command line or scenario file, 130 interrupted.\n";

static const char list_usage[] =
	"usage: goc list [targets|scenarios|suites]\n\n"
	"Show the build's targets (their variants and knobs, from TARGET --describe),\n"
	"the scenarios (scenarios/*.ini) and the suites; all three by default.\n";

static void list_targets(catalog *cat)
{
	printf("targets (%s):\n", cat->manifest);
	for (size_t i = 0; i < cat->n; i++) {
		catalog_target *t = &cat->v[i];
		char err[512];
		if (catalog_describe(t, err, sizeof err) != 0) {
			printf("  %-12s (cannot describe: %s)\n", t->name, err);
			continue;
		}
		printf("  %-12s %s\n", t->name, t->summary);
		if (t->nworkloads) {
			printf("    workloads:");
			for (size_t w = 0; w < t->nworkloads; w++)
				printf(" %s", t->workloads[w]);
			printf("\n");
		}
		for (size_t k = 0; k < t->nopts; k++) {
			const catalog_option *o = &t->opts[k];
			if (o->is_flag) {
				printf("    flag %s (no value: not a knob)\n", o->flag);
				continue;
			}
			if (strcmp(o->flag, "--variant") == 0)
				printf("    variants:");
			else if (strcmp(o->flag, "--size") == 0)
				printf("    size:");
			else
				printf("    knob %-10s", o->flag + 2);
			if (o->is_uint)
				printf(" %llu..%llu", (unsigned long long)o->min, (unsigned long long)o->max);
			for (size_t c = 0; c < o->nchoices; c++)
				printf(" %s", o->choices[c]);
			if (!o->is_uint && !o->nchoices)
				printf(" any text");
			printf(" (default %s)\n", o->dflt);
		}
	}
}

static void print_list(const char *label, const scenario_list *l)
{
	if (!l->n)
		return;
	printf("    %-9s", label);
	for (size_t i = 0; i < l->n; i++)
		printf("%s%s", i ? ", " : " ", l->items[i]);
	printf("\n");
}

static void list_scenarios(const scenario_set *set, const char *dir)
{
	printf("scenarios (%s):\n", dir);
	for (size_t i = 0; i < set->n; i++) {
		const scenario *s = &set->v[i];
		printf("  %-22s %s%s%s\n", s->name, s->target, s->workload ? " " : "", s->workload ? s->workload : "");
		if (s->description)
			printf("    %s\n", s->description);
		print_list("variants:", &s->variants);
		for (size_t k = 0; k < s->nknobs; k++) {
			char *label = xasprintf("%s:", s->knobs[k].name);
			print_list(label, &s->knobs[k].values);
			free(label);
		}
		print_list("suites:", &s->suites);
		if (s->go)
			printf("    go:       %s\n", s->go);
	}
}

static void list_suites(const scenario_set *set)
{
	printf("suites:\n");
	for (size_t i = 0; i < set->n; i++) {
		for (size_t k = 0; k < set->v[i].suites.n; k++) {
			const char *suite = set->v[i].suites.items[k];
			bool seen = false;
			for (size_t j = 0; j < i && !seen; j++)
				seen = scenario_in_suite(&set->v[j], suite);
			if (seen)
				continue;
			printf("  %-10s", suite);
			for (size_t j = i; j < set->n; j++)
				if (scenario_in_suite(&set->v[j], suite))
					printf(" %s", set->v[j].name);
			printf("\n");
		}
	}
}

int cmd_list(const goc_globals *g, int argc, char **argv)
{
	const char *what = NULL;
	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
		fputs(list_usage, argc > 2 ? stderr : stdout);
		return argc > 2 ? GOC_EXIT_USAGE : GOC_EXIT_OK;
	}
	if (argc == 2) {
		what = argv[1];
		if (strcmp(what, "targets") && strcmp(what, "scenarios") && strcmp(what, "suites")) {
			goc_err("list: unknown '%s' (targets, scenarios or suites)", what);
			return GOC_EXIT_USAGE;
		}
	}
	char err[1024];
	int rc = GOC_EXIT_OK;
	if (!what || !strcmp(what, "targets")) {
		catalog cat;
		if (catalog_load(g->build_dir, &cat, err, sizeof err) != 0) {
			goc_err("%s", err);
			rc = GOC_EXIT_FAILED;
		} else {
			list_targets(&cat);
		}
		catalog_free(&cat);
	}
	if (!what || strcmp(what, "targets")) {
		scenario_set set = { 0 };
		if (scenario_load(g->scenarios, &set, err, sizeof err) != 0) {
			goc_err("%s", err);
			rc = GOC_EXIT_USAGE;
		} else {
			if (!what || !strcmp(what, "scenarios"))
				list_scenarios(&set, g->scenarios);
			if (!what || !strcmp(what, "suites"))
				list_suites(&set);
		}
		scenario_set_free(&set);
	}
	return rc;
}

typedef struct command {
	const char *name;
	int (*run)(const goc_globals *g, int argc, char **argv);
} command;

static const command commands[] = {
	{ "list", cmd_list },       { "bench", cmd_bench },     { "baseline", cmd_baseline },
	{ "report", cmd_report },   { "compare", cmd_compare }, { "exec", cmd_exec },
	{ "race", cmd_race },       { "pitfalls", cmd_pitfalls },
};

int main(int argc, char **argv)
{
	/* hyperfine runs `goc exec` by this path, so it must not depend on PATH. */
	char *self = realpath("/proc/self/exe", NULL);
	goc_globals g = { .self = self ? self : argv[0], .build_dir = "build/release", .scenarios = "scenarios",
	                  .results = "results", .go_dir = "build/go", .argc = argc, .argv = argv };
	int a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		const char **slot = !strcmp(argv[a], "--build")       ? &g.build_dir
		                    : !strcmp(argv[a], "--scenarios") ? &g.scenarios
		                    : !strcmp(argv[a], "--results")   ? &g.results
		                    : !strcmp(argv[a], "--go-dir")    ? &g.go_dir
		                                                      : NULL;
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			fputs(usage, stdout);
			free(self);
			return GOC_EXIT_OK;
		}
		if (!slot || a + 1 >= argc) {
			goc_err("%s '%s' (see goc --help)", slot ? "missing value for" : "unknown option", argv[a]);
			free(self);
			return GOC_EXIT_USAGE;
		}
		*slot = argv[++a];
	}
	if (a >= argc) {
		fputs(usage, stderr);
		free(self);
		return GOC_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
		if (strcmp(argv[a], commands[i].name) == 0) {
			int rc = commands[i].run(&g, argc - a, argv + a);
			free(self);
			return rc;
		}
	}
	goc_err("unknown command '%s' (see goc --help)", argv[a]);
	free(self);
	return GOC_EXIT_USAGE;
}
