/*
 * samples.h - reading what one timed command produced: hyperfine's
 * --export-json file, goc exec's per-run records, and the target's JSON
 * line inside each record, judged against what the scenario asked for.
 * Pure functions over text, so tests can feed them recorded samples.
 *
 * Overlap: none. Ownership: the *_free functions release what the parsers made.
 */
#ifndef GOC_HARNESS_SAMPLES_H
#define GOC_HARNESS_SAMPLES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

/* One command of a hyperfine export: its timed runs. */
typedef struct samples_command {
	char *name;
	double *times;      /* seconds, one per timed run */
	size_t ntimes;
	int *exit_codes;    /* one per timed run; -1 where hyperfine wrote null (killed) */
	size_t nexit;
	double user_s;      /* mean user and system CPU seconds per timed run; NAN where the export has none */
	double system_s;
} samples_command;

/* Parse hyperfine's --export-json text. 0, or -1 with a message in err. */
int samples_parse_hyperfine(const char *text, samples_command **cmds, size_t *n, char *err, size_t errlen);
void samples_free_hyperfine(samples_command *cmds, size_t n);

/* One line of a samples file (results/README.md). */
typedef struct samples_record {
	bool exited;        /* else killed by `signal` */
	int exit;
	int signal;
	bool timeout;
	char *out;          /* the tails of stdout and stderr */
	char *err;
} samples_record;

int samples_parse_record(const char *line, samples_record *r, char *err, size_t errlen);
void samples_free_record(samples_record *r);

/* What a run's JSON line must say. */
typedef struct samples_expect {
	const char *workload;  /* NULL: any non-empty string */
	const char *variant;   /* NULL: any non-empty string */
	scenario_check check;
} samples_expect;

/* The accepted JSON line of a run. */
typedef struct samples_line {
	json_t *obj;           /* the parsed line; owns the fields below */
	const char *variant;
	uint64_t ops;
	double ns_per_op;
	json_t *check;
	json_t *peak_rss_kb;   /* NULL when absent */
	char *text;            /* the line as printed */
} samples_line;

/*
 * Judge one run: NULL when it succeeded (and *line is filled), or the
 * failure kind of results/README.md ("timeout", "crashed", "check failed",
 * "usage error", "bad output") with a one-line reason in msg.
 */
const char *samples_judge(const samples_record *r, const samples_expect *e, samples_line *line, char *msg,
                         size_t msglen);
void samples_free_line(samples_line *line);

#endif
