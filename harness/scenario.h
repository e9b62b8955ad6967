/*
 * scenario.h - the scenario files (scenarios/, one or more .ini files; the
 * format is in scenarios/README.md): what goc bench runs, read with inih
 * into plain structs, every error with its file and line.
 *
 * This layer checks the syntax and the keys only; whether a target, a
 * variant or a knob exists is for the catalog (catalog.h), which asks the
 * built targets.
 *
 * Overlap: none; a scenario_set belongs to one thread.
 * Ownership: a scenario_set owns every string and array in it;
 * scenario_set_free() releases them all.
 */
#ifndef GOC_HARNESS_SCENARIO_H
#define GOC_HARNESS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A comma-separated list, blanks trimmed; n == 0 when the key is absent. */
typedef struct scenario_list {
	char **items;
	size_t n;
} scenario_list;

/* knob.NAME = v1, v2: the flag --NAME with each value in turn. */
typedef struct scenario_knob {
	char *name;        /* without "knob.": "workers" */
	scenario_list values;
	int line;          /* where the key was written */
} scenario_knob;

/* A number given plainly (`runs = 10`) and/or per suite (`runs.smoke = 3`). */
typedef struct scenario_suite_value {
	char *suite;
	uint64_t value;
	int line;
} scenario_suite_value;

typedef struct scenario_setting {
	bool given;               /* the plain key was written */
	uint64_t value;           /* its value, or the default when !given */
	int line;                 /* the plain key's line, or 0 */
	scenario_suite_value *by_suite;
	size_t nby_suite;
} scenario_setting;

/* The JSON type the target's check field must have. */
typedef enum scenario_check {
	SCENARIO_CHECK_ANY = 0,
	SCENARIO_CHECK_INTEGER,
	SCENARIO_CHECK_STRING,
	SCENARIO_CHECK_BOOLEAN
} scenario_check;

typedef struct scenario {
	char *name;          /* the section name */
	char *file;          /* the path it was read from */
	int line;            /* the section header's line */
	char *description;   /* NULL when absent */
	char *target;
	int target_line;
	char *workload;      /* NULL when absent */
	int workload_line;
	scenario_list variants;  /* empty: the target runs without --variant */
	int variants_line;
	char *reference;     /* a member of variants, or NULL when there are none */
	char *go;            /* NULL when there is no Go baseline */
	scenario_list go_variants; /* a subset of variants; all of them when not written */
	scenario_list suites;
	scenario_knob *knobs;    /* in the order written */
	size_t nknobs;
	scenario_setting size;   /* default: not given (the target's own size) */
	scenario_setting runs;   /* default 10, range 3..1000 */
	scenario_setting warmup; /* default 1, range 0..100 */
	scenario_setting timeout;/* seconds, default 60, range 1..86400 */
	scenario_check check;
	char *variant_option;    /* the flag variants go to, without "--": "variant" unless written */
	/*
	 * A server scenario (one with a request key): the target serves HTTP,
	 * and wrk loads it with this request; knob.connections is wrk's, not
	 * the server's. NULL otherwise.
	 */
	char *method;            /* "GET", "POST", "PUT" or "DELETE" */
	char *path;              /* "/users/1" */
	int request_line;
	char *body;              /* the request's body, or NULL */
	scenario_setting seconds;/* measured load per run, default 5, range 1..3600 */
} scenario;

/* The knob that sets wrk's connections in a server scenario, not passed to the server. */
#define SCENARIO_CONNECTIONS "connections"

typedef struct scenario_set {
	scenario *v;
	size_t n;
} scenario_set;

/*
 * Read one file and append its scenarios to `set`. Returns 0, or -1 with a
 * one-line message in err ("FILE:LINE: [SECTION]: what is wrong (what was
 * expected)"; "FILE: ..." when the file cannot be read); on error `set`
 * keeps only what it held before the call. A section name already in `set`
 * is an error (names are unique across files).
 */
int scenario_parse_file(const char *path, scenario_set *set, char *err, size_t errlen);

/*
 * Every *.ini file of `dir` in name order, as scenario_parse_file(); on an
 * error in any file, `set` keeps only what it held before the call.
 */
int scenario_load_dir(const char *dir, scenario_set *set, char *err, size_t errlen);

/* A folder as scenario_load_dir(), or one file as scenario_parse_file(). */
int scenario_load(const char *path, scenario_set *set, char *err, size_t errlen);

void scenario_set_free(scenario_set *set);

/* The scenario named `name`, or NULL. */
const scenario *scenario_find(const scenario_set *set, const char *name);

/* Whether s lists `suite` in its suites. */
bool scenario_in_suite(const scenario *s, const char *suite);

/*
 * A setting's value for `suite` (which may be NULL: no suite): the
 * suite-specific value if written, else the plain one (or its default).
 * *given (may be NULL) says whether either was written.
 */
uint64_t scenario_setting_for(const scenario_setting *st, const char *suite, bool *given);

/* The check's word as written in files: "any", "integer", ... */
const char *scenario_check_name(scenario_check c);

#endif
