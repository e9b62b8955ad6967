/*
 * catalog.h - the targets of a build, as the build and the targets describe
 * them: the manifest CMake writes (<build>/goc-targets.ini: name = path) and
 * each target's own `--describe` line (its workloads, flags, ranges and
 * choices). The catalog is what refuses a scenario's unknown target,
 * variant or knob before anything runs.
 *
 * Overlap: none. Ownership: a catalog owns everything in it; catalog_free().
 */
#ifndef GOC_HARNESS_CATALOG_H
#define GOC_HARNESS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

typedef struct catalog_option {
	char *flag;          /* "--workers" */
	char *help;
	bool is_uint;        /* else a string, or a flag */
	bool is_flag;        /* takes no value (--log): no knob can set it */
	uint64_t min, max;   /* is_uint */
	char *dflt;          /* the default, as text */
	char **choices;      /* strings with a fixed set; nchoices == 0: any */
	size_t nchoices;
} catalog_option;

typedef struct catalog_target {
	char *name;
	char *path;
	bool described;      /* the fields below are filled */
	char *summary;
	char **workloads;
	size_t nworkloads;
	catalog_option *opts;
	size_t nopts;
} catalog_target;

typedef struct catalog {
	char *build_dir;
	char *manifest;      /* <build_dir>/goc-targets.ini */
	catalog_target *v;
	size_t n;
} catalog;

/*
 * Read <build_dir>/goc-targets.ini. Returns 0, or -1 with a message in err
 * that says how to make the build when the manifest is missing.
 */
int catalog_load(const char *build_dir, catalog *c, char *err, size_t errlen);
void catalog_free(catalog *c);

catalog_target *catalog_find(catalog *c, const char *name);

/* Run `PATH --describe` once and fill t's description. 0, or -1 with err. */
int catalog_describe(catalog_target *t, char *err, size_t errlen);

const catalog_option *catalog_target_option(const catalog_target *t, const char *flag);

/*
 * Check scenario s against its target's description: the target exists
 * and runs, the workload, every variant (and the reference) and every knob
 * value are ones it accepts, and --size (for `suite`, or every suite when
 * NULL) is in range. Returns 0, or -1 with "FILE:LINE: [NAME]: ..." in err.
 */
int catalog_check_scenario(catalog *c, const scenario *s, const char *suite, char *err, size_t errlen);

/* Whether `value` is acceptable for option o; else a reason in why. */
bool catalog_option_accepts(const catalog_option *o, const char *value, char *why, size_t whylen);

#endif
