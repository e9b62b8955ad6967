/*
 * probe.h - what every goc target shares: a monotonic clock, the command
 * line (`TARGET [WORKLOAD] [--flag VALUE]...`), peak RSS, and the one JSON
 * line a target prints for a verified run. It knows nothing of libgoc or of
 * the harness, so a target's figures mean the same whichever runtime it uses.
 *
 * A target's life is: probe_parse() (which exits on --help and on usage
 * errors), the workload timed with probe_now_ns(), its own verification
 * (probe_expect_u64() and probe_check_failed() say what went wrong), then
 * probe_emit() of a probe_result whose check value was set. Exit statuses
 * are shared by every target:
 *   PROBE_EXIT_OK (0)     the JSON line was printed;
 *   PROBE_EXIT_CHECK (1)  no verified result: a check failed, or the work
 *                         could not be done (out of memory, of threads, or
 *                         stdout failed); the reason is one line on stderr;
 *   PROBE_EXIT_USAGE (2)  a bad command line; one line on stderr.
 *
 * The JSON line, one object on one line of stdout, fields in this order:
 *   {"workload":"spsc","variant":"cap0","ops":2000000,"seconds":0.412345678,
 *    "ns_per_op":206.173,"check":2000001000000,"peak_rss_kb":3712}
 * workload and variant are strings; ops an integer; seconds and ns_per_op
 * decimals; check an integer, a boolean or a string; any extra fields are
 * numbers, after check, in the order they were added.
 *
 * Overlap: none. These are for a target's main thread (probe_now_ns() and
 * probe_peak_rss_kb() excepted, which any thread may call). probe_parse()
 * records the program name that later messages start with.
 * Ownership: probe keeps pointers to the strings it is given (names, help,
 * workload and variant); they must outlive their use, as literals do.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_EXIT_OK 0
#define PROBE_EXIT_CHECK 1
#define PROBE_EXIT_USAGE 2

/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t probe_now_ns(void);

/* The largest resident set size of this process so far, in KiB (getrusage). */
uint64_t probe_peak_rss_kb(void);

/* ---- the command line --------------------------------------------------- */

typedef enum probe_opt_kind {
	PROBE_OPT_UINT,   /* a non-negative decimal integer in [min, max] */
	PROBE_OPT_STRING, /* any string, or one of `choices` when that is set */
	PROBE_OPT_FLAG    /* `--name` alone, no value: sets *b to true */
} probe_opt_kind;

/*
 * One `--name VALUE` option (also accepted as `--name=VALUE`), or a flag
 * `--name` that takes no value (`--name=VALUE` is then an error). The
 * target fills in the description and the default (in *u, *s or *b);
 * probe_parse() overwrites the value and sets `given` when the option
 * appears.
 */
typedef struct probe_opt {
	const char *name;            /* with its dashes: "--size" */
	const char *metavar;         /* in --help: "N", "V"; NULL for a flag */
	const char *help;            /* one line for --help */
	probe_opt_kind kind;
	uint64_t *u;                 /* PROBE_OPT_UINT: the value */
	uint64_t min, max;           /* PROBE_OPT_UINT: accepted range */
	const char **s;              /* PROBE_OPT_STRING: the value */
	const char *const *choices;  /* PROBE_OPT_STRING: NULL-terminated, or NULL for any */
	bool *b;                     /* PROBE_OPT_FLAG: the value, true once given */
	bool given;                  /* out: the option was on the command line */
} probe_opt;

/* A word the first positional argument may be: a workload. */
typedef struct probe_word {
	const char *name;
	const char *help;            /* one line for --help */
} probe_word;

/*
 * A target's command line. With workloads == NULL the target takes no
 * positional argument; otherwise exactly one, which must be one of them.
 */
typedef struct probe_cli {
	const char *prog;            /* the name messages start with */
	const char *summary;         /* first line of --help */
	const probe_word *workloads; /* may be NULL */
	size_t nworkloads;
	probe_opt *opts;             /* --help is built in; do not list it */
	size_t nopts;
	const char *epilog;          /* more --help text, or NULL */
	size_t workload;             /* out: index into workloads */
} probe_cli;

typedef enum probe_parse_status {
	PROBE_PARSE_OK,     /* options and workload set */
	PROBE_PARSE_HELP,   /* --help or -h was given */
	PROBE_PARSE_DESCRIBE, /* --describe was given */
	PROBE_PARSE_ERROR   /* `err` holds a one-line message (no program name) */
} probe_parse_status;

/*
 * Parse argv[1..argc) into cli's options and workload, printing nothing.
 * On PROBE_PARSE_ERROR, `err` (errlen bytes, NUL-terminated, may be
 * truncated) says which argument was wrong and why. Values already stored
 * for options before an error are left as parsed; callers exit anyway.
 * Allocates nothing; for tests and for targets that want their own exits.
 */
probe_parse_status probe_parse_args(probe_cli *cli, int argc, char *const argv[], char *err, size_t errlen);

/*
 * probe_parse_args(), then: on --help print probe_help() to stdout and exit
 * 0; on --describe print probe_describe_format()'s line and exit 0; on an error print "PROG: MESSAGE (see PROG --help)" to stderr and exit
 * PROBE_EXIT_USAGE. Records cli->prog for later messages.
 */
void probe_parse(probe_cli *cli, int argc, char *argv[]);

/* Write the --help text for `cli` to stdout. */
void probe_help(const probe_cli *cli);

/*
 * The command line as one JSON object, for the harness (`goc list`, and
 * refusing a scenario's unknown variant or knob before anything runs):
 *   {"prog":"fanin","summary":"...","workloads":[{"name":"spsc","help":"..."}],
 *    "options":[{"flag":"--variant","metavar":"V","help":"...","kind":"string",
 *                "default":"merge-tasks","choices":["merge-tasks","merge-select"]},
 *               {"flag":"--cap","metavar":"N","help":"...","kind":"uint",
 *                "default":128,"min":0,"max":1048576},
 *               {"flag":"--log","metavar":"","help":"...","kind":"flag","default":false}]}
 * "workloads" is [] for a target without one; "choices" is absent when any
 * string goes. Defaults are the values held before parsing. Like
 * probe_format(): writes at most len bytes (NUL-terminated when len > 0) and
 * returns the length the whole text needs, or -1.
 */
int probe_describe_format(const probe_cli *cli, char *buf, size_t len);

/*
 * For usage errors found after parsing (a flag that does not apply to the
 * chosen workload, say): print "PROG: MESSAGE (see PROG --help)" to stderr
 * and exit PROBE_EXIT_USAGE.
 */
_Noreturn void probe_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- verification --------------------------------------------------------- */

/*
 * Return true if got == expected; otherwise print
 * "PROG: check failed: WHAT: expected E, got G" to stderr and return false.
 */
bool probe_expect_u64(const char *what, uint64_t expected, uint64_t got);

/*
 * Parse text as a decimal integer with no sign, no spaces and no suffix
 * (strtoull would take "-1", " 5" and "0x10", each a mistake on a command
 * line): true and *out, or false. The harness parses its numbers with it too.
 */
bool probe_parse_u64(const char *text, uint64_t *out);

/* Print "PROG: check failed: MESSAGE" to stderr; return PROBE_EXIT_CHECK. */
int probe_check_failed(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print "PROG: MESSAGE" to stderr for work that could not be done (no
 * memory, no threads); return PROBE_EXIT_CHECK, since there is no result.
 */
int probe_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the JSON line ---------------------------------------------------------- */

#define PROBE_MAX_EXTRA 8

typedef enum probe_value_kind {
	PROBE_VALUE_NONE = 0,  /* not set: probe_emit() refuses the result */
	PROBE_VALUE_U64,
	PROBE_VALUE_I64,
	PROBE_VALUE_F64,
	PROBE_VALUE_BOOL,
	PROBE_VALUE_STR
} probe_value_kind;

typedef struct probe_value {
	probe_value_kind kind;
	union {
		uint64_t u64;
		int64_t i64;
		double f64;
		bool b;
		const char *str;
	} as;
} probe_value;

typedef struct probe_field {
	const char *name;
	probe_value value;
} probe_field;

/* One run's result; fill it with the functions below, not by hand. */
typedef struct probe_result {
	const char *workload;
	const char *variant;
	uint64_t ops;
	int64_t elapsed_ns;
	probe_value check;
	size_t nextra;
	probe_field extra[PROBE_MAX_EXTRA];
} probe_result;

/* Start a result: `ops` operations took `elapsed_ns`; no check value yet. */
void probe_result_init(probe_result *r, const char *workload, const char *variant,
                       uint64_t ops, int64_t elapsed_ns);

/* Set the check value: what proves the work was done, after it was verified. */
void probe_result_check_u64(probe_result *r, uint64_t check);
void probe_result_check_i64(probe_result *r, int64_t check);
void probe_result_check_bool(probe_result *r, bool check);
void probe_result_check_str(probe_result *r, const char *check);

/*
 * Add a numeric field after check (peak_rss_kb, allocations, ...). More than
 * PROBE_MAX_EXTRA, or a name that is not [a-z0-9_]+, is a programmer error:
 * it prints why and aborts.
 */
void probe_result_add_u64(probe_result *r, const char *name, uint64_t value);
void probe_result_add_i64(probe_result *r, const char *name, int64_t value);
void probe_result_add_f64(probe_result *r, const char *name, double value);

/*
 * Print the result as one JSON line on stdout and flush it. Returns
 * PROBE_EXIT_OK, or PROBE_EXIT_CHECK (with a message on stderr) if no check
 * value was set, ops is 0, or stdout could not be written; so a target's
 * main can end with `return probe_emit(&r);`.
 */
int probe_emit(const probe_result *r);

/*
 * Format the line (without its newline) into buf; returns the length it
 * needed, like snprintf, or -1 if the result is not printable (no check
 * value, ops 0). For tests.
 */
int probe_format(const probe_result *r, char *buf, size_t len);

#endif /* PROBE_H */
