/*
 * results.h - a run's results.json (schema 1, documented in
 * results/README.md): made, described (host, build, tools), written
 * atomically, and read back for reports and comparisons. A run is held
 * as a jansson object; its points are typed (results_point), made into
 * their JSON and read back from it here: these functions are the one place
 * that knows the file's layout.
 *
 * Overlap: none. Ownership: the json_t returned is the caller's (json_decref);
 * a results_point owns its strings and arrays (results_point_destroy).
 */
#ifndef GOC_HARNESS_RESULTS_H
#define GOC_HARNESS_RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RESULTS_SCHEMA 1

/*
 * A new run: schema, run_id, state "running", started, command, suite (may
 * be NULL), scenarios (the names chosen), host, build (from build_dir's
 * CMakeCache.txt and git), tools.hyperfine, and no points.
 */
json_t *results_new(const char *run_id, int argc, char *const argv[], const char *suite,
                    char *const *scenarios, size_t nscenarios, const char *build_dir);

/* Write j to path, indented, atomically. 0, or -1 with a message in err. */
int json_write_file(const char *path, const json_t *j, char *err, size_t errlen);

/* Write <run_dir>/results.json atomically. 0, or -1 with a message in err. */
int results_write(const char *run_dir, json_t *run, char *err, size_t errlen);

/*
 * Resolve what a user names a run by: a run folder, a results.json, a run
 * id under results_root, or "latest". Returns the run folder (malloc'd), or
 * NULL with a message in err.
 */
char *results_resolve(const char *results_root, const char *name, char *err, size_t errlen);

/* Load <run_dir>/results.json and check its schema. NULL with err on failure. */
json_t *results_load(const char *run_dir, char *err, size_t errlen);

/* Point results/latest at run_id (a relative symbolic link, replaced atomically). */
int results_set_latest(const char *results_root, const char *run_id, char *err, size_t errlen);

/*
 * A point's samples of one figure, one per timed run, in run order: the
 * JSON array point[key]. An entry the run did not give (a JSON null) is
 * NAN. `present` is false where the point has no such key (a server's
 * figures in a program's point, RSS growth for a GET).
 */
typedef struct results_series {
	double *v;
	size_t n;
	bool present;
} results_series;

/* A failed run of a point (results/README.md: failures). */
typedef struct results_failure {
	long run;                  /* the run, from 1; -1: not of one run (JSON null) */
	bool warmup;
	char *what;                /* "check failed", "crashed", "timeout", ... */
	bool has_exit;             /* else "exit" is null */
	int exit;
	bool has_signal;           /* else "signal" is null */
	int signal;
	char *message;
} results_failure;

/* A knob's value at a point. */
typedef struct results_knob {
	char *name, *value;
} results_knob;

/*
 * One point of a run: one command's figures (results/README.md, points).
 * A program's point comes from hyperfine (`hyperfine` names its export);
 * a server's point has `request` (non-NULL), `seconds`, `wrk_script` and
 * the server's own figures. Every string and array is the point's own
 * (results_point_destroy frees them); NULL strings are JSON nulls, or
 * absent keys for hyperfine, request and wrk_script.
 */
typedef struct results_point {
	char *id, *scenario, *target;
	char *workload;            /* NULL: null */
	char *impl;                /* "c" or "go" */
	char *variant;             /* NULL: null (no variant, and no run said one) */
	bool reference;
	results_knob *knobs;       /* in the scenario's order */
	size_t nknobs;
	bool has_size;             /* else "size" is null */
	unsigned long long size;
	char **argv;
	size_t argc;
	long long warmup, runs, timeout_s;
	bool ok;                   /* status "ok", else "failed" */
	char *request;             /* a server's: "GET /users/1"; NULL: a program's point */
	long long seconds;         /* a server's measured load per run */
	results_failure *failures;
	size_t nfailures;
	results_series wall_s, ns_per_op;
	bool has_cpu;              /* else user_s and system_s are absent: a server's point, or not recorded */
	double user_s, system_s;   /* a program's CPU seconds per timed run: hyperfine's means */
	results_series peak_rss_kb;   /* whole numbers */
	results_series requests_per_s, cpu_us_per_request, p50_us, p99_us, rss_growth_per_request_b;
	bool has_ops;              /* else "ops" is null */
	long long ops;
	json_t *check;             /* its own reference; NULL: null */
	char **lines;
	size_t nlines;
	char *hyperfine;           /* "hyperfine/NNN.json"; NULL: absent (a server's point) */
	char *samples;             /* "samples/NNN-K.jsonl" (a server's: its stderr log) */
	char *wrk_script;          /* a server's "samples/NNN.lua"; NULL: absent */
} results_point;

/* Free what p holds (p itself is the caller's); p is zeroed. */
void results_point_destroy(results_point *p);

/* p as results.json holds it: the keys of results/README.md, in its order. */
json_t *results_point_to_json(const results_point *p);

/*
 * Read a point from its JSON into *p. 0, or -1 with a message naming the
 * key that is missing or of the wrong type (and *p zeroed).
 */
int results_point_from_json(const json_t *j, results_point *p, char *err, size_t errlen);

/* Append p to run's points, as results_point_to_json() writes it. */
void results_add_point(json_t *run, const results_point *p);

/*
 * Read every point of a run (results_load()) into a malloc'd array of *n.
 * 0, or -1 with a message naming the point and the key.
 */
int results_read_points(const json_t *run, results_point **points, size_t *n, char *err, size_t errlen);

/* results_load() and results_read_points() in one: the run, and its points in *points (*n of them). */
json_t *results_load_points(const char *run_dir, results_point **points, size_t *n, char *err, size_t errlen);
void results_points_free(results_point *points, size_t n);

/* Append value v (NAN: null) to series s, which becomes present. */
void results_series_add(results_series *s, double v);

/* The series' values when it has some and none is null; else NULL. */
const double *results_series_values(const results_series *s);

/* The median of those values into *m; false when there are none to take it of. */
bool results_series_median(const results_series *s, double *m);

/* Append a failure to p; rec may be NULL (exit and signal null), run -1: not of one run. */
struct samples_record;
void results_add_failure(results_point *p, long run, bool warmup, const char *what,
                         const struct samples_record *rec, const char *message);

/* Small accessors that tolerate absent fields: "" / 0 / NULL. */
const char *jstr(const json_t *obj, const char *key);
double jnum(const json_t *obj, const char *key);

#endif
