/*
 * bench_internal.h - what bench.c (goc bench) and baseline.c (goc baseline
 * go) share from bench_run.c: commands and groups, and one run of them.
 * Only those files include it.
 */
#ifndef GOC_HARNESS_BENCH_INTERNAL_H
#define GOC_HARNESS_BENCH_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commands.h"
#include "results.h"
#include "scenario.h"

/* One command: a variant of a scenario at one point of its matrix. */
typedef struct bench_cmd {
	const scenario *s;
	const char *impl;        /* "c" or "go" */
	const char *variant;     /* NULL when the scenario has none */
	char **knob_values;      /* one per s->knobs */
	bool has_size;
	uint64_t size;
	char **argv;             /* NULL-terminated */
	size_t argc;
	char *id;
} bench_cmd;

/* One hyperfine invocation: the variants of one point. */
typedef struct bench_group {
	bench_cmd *cmds;
	size_t n;
	uint64_t runs, warmup, timeout;
	uint64_t seconds;        /* a server scenario's measured load per run */
	char *label;             /* "workerpool-square job=square workers=4" */
} bench_group;

typedef struct bench_overrides {
	uint64_t runs, warmup, timeout;  /* 0: the scenario's (warmup: UINT64_MAX) */
} bench_overrides;

typedef struct bench_run {
	const goc_globals *g;
	char *dir;               /* results/<run-id> */
	json_t *results;
	size_t next_invocation;  /* NNN of hyperfine/NNN.json */
	size_t failed_points;
	bool tty;
	double started;
	uint64_t runs_total, runs_done;
} bench_run;

/*
 * Append the groups of scenario s (one per point of its knob matrix) for
 * `binary` and these variants (none: one command without --variant).
 */
void bench_expand(const scenario *s, const char *suite, const char *impl, const char *binary, const scenario_list *variants, const bench_overrides *ov, bench_group **groups, size_t *ngroups);
void bench_groups_free(bench_group *groups, size_t n);

/* A command line as a shell would take it (for --dry-run). */
char *bench_shell_line(char *const *argv);

/* Ctrl-C and SIGTERM stop the group under way (bench_run_groups() returns false). */
void bench_catch_signals(void);

/* Stamp the run finished, and write its results.json. */
void bench_set_finished(json_t *results);
void bench_save(bench_run *r);

/* Whether Ctrl-C or SIGTERM came (bench_catch_signals()). */
bool bench_interrupted(void);

/* Fill *p with what its command is (id, scenario, knobs, argv, runs...), no figures yet. */
void bench_point_init(results_point *p, const bench_cmd *c, const bench_group *grp);

/*
 * A server scenario's group (bench_server.c): every run of each command,
 * interleaved, under wrk. Returns grp->n new points (a malloc'd array).
 */
results_point *bench_server_points(bench_run *r, const bench_group *grp, size_t inv);

/* Run every group, appending points to r->results. False when interrupted. */
bool bench_run_groups(bench_run *r, bench_group *groups, size_t ng);

/* Whether the groups' tools are on PATH: hyperfine, and wrk for a server's (else a message). */
bool bench_have_tools(const bench_group *groups, size_t n);

/* Read the scenario files (else a message, and non-zero). */
int bench_load_scenarios(const goc_globals *g, scenario_set *set);

/* Parse "--flag N" with a range; false after printing an error. */
bool bench_take_u64(int argc, char **argv, int *a, uint64_t min, uint64_t max, uint64_t *out);

#endif
