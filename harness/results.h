/*
 * results.h - a run's results.json (schema 1, documented in
 * results/README.md): made, described (host, build, tools), written
 * atomically, and read back for reports and comparisons. A run is held
 * as a jansson object; these functions are the one place that knows its
 * top-level layout.
 *
 * Overlap: none. Ownership: the json_t returned is the caller's (json_decref).
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
 * A point's samples, point[key] (e.g. "ns_per_op"), as a malloc'd array of
 * *n values; NULL (with *n still the array's length) when the array is
 * absent or empty or holds anything but numbers.
 */
double *results_samples(const json_t *point, const char *key, size_t *n);

/* Small accessors that tolerate absent fields: "" / 0 / NULL. */
const char *jstr(const json_t *obj, const char *key);
double jnum(const json_t *obj, const char *key);

#endif
