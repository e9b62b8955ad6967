/*
 * pitfalls.c - `goc pitfalls`: run every pitfall's bad version N times
 * under each detector that applies to it and each fixed version N times in
 * each mode its detectors run in, and show the detection table: pitfall,
 * detector, caught in k of N runs, median time to detection; and whether
 * each fixed version was clean in every run.
 *
 * patterns/pitfalls/pitfalls.ini says what applies and how a catch is
 * recognized (its own comment is the format); each build's
 * goc-pitfalls.ini (made by CMake) says where that build's programs are. A
 * detector whose build is not there is listed as not run. The rules are
 * those of the pitfall tier's ctest checks (patterns/pitfalls/check.sh).
 */
#define _GNU_SOURCE
#include "commands.h"

#include <ini.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "results.h"
#include "probe.h"
#include "util.h"

/* Bytes kept of a run's stderr: detectors' messages come early. */
#define PITFALL_STDERR_CAP (1u << 20)

static const char usage[] =
	"usage: goc pitfalls [--runs N] [--ini FILE] [--build-root DIR] [--json FILE] [PITFALL...]\n\n"
	"Run each pitfall's bad version N times under every detector that applies\n"
	"to it (ThreadSanitizer, libgoc's panics, deadlock detector and leak check,\n"
	"helgrind, drd, the program's own check), and each fixed version N times in\n"
	"every mode those detectors run in; print the detection table (detected in\n"
	"k of N runs, median time to detection) and each fixed version's verdict.\n\n"
	"  --runs N           runs of each program under each detector (default 20)\n"
	"  --ini FILE         the pitfalls (default patterns/pitfalls/pitfalls.ini)\n"
	"  --build-root DIR   where the tsan, release and asan builds are (default build)\n"
	"  --json FILE        write the table as JSON\n"
	"  -q, --quiet        no progress lines\n\n"
	"Exit status: 0 every bad version caught by its stated detector at least\n"
	"once and every fixed version clean in every run (of the builds there);\n"
	"1 otherwise; 2 bad command line or pitfalls file.\n";

/* The INI file as key/value pairs per section. */
typedef struct kv {
	char *section, *key, *value;
} kv;

typedef struct ini_data {
	kv *v;
	size_t n;
} ini_data;

static int ini_collect(void *user, const char *section, const char *name, const char *value)
{
	ini_data *d = user;
	kv *e = xappend(&d->v, &d->n, sizeof *e);
	e->section = xstrdup(section);
	e->key = xstrdup(name);
	e->value = xstrdup(value);
	return 1;
}

static const char *ini_get(const ini_data *d, const char *section, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].section, section) && !strcmp(d->v[i].key, key))
			return d->v[i].value;
	return NULL;
}

static void ini_free(ini_data *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].section);
		free(d->v[i].key);
		free(d->v[i].value);
	}
	free(d->v);
}

/* A pitfall's own DETECTOR.KEY, else the detector's KEY. */
static const char *det_get(const ini_data *d, const char *pitfall, const char *det, const char *key)
{
	char *own = xasprintf("%s.%s", det, key);
	const char *v = ini_get(d, pitfall, own);
	free(own);
	if (v)
		return v;
	char *sec = xasprintf("detector.%s", det);
	v = ini_get(d, sec, key);
	free(sec);
	return v;
}

/* The mode's setting KEY. */
static const char *mode_get(const ini_data *d, const char *mode, const char *key)
{
	char *sec = xasprintf("mode.%s", mode);
	const char *v = ini_get(d, sec, key);
	free(sec);
	return v;
}

/* Split a list of words (blank-separated) into a NULL-terminated array; *n gets the count. */
static char **words(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	char *copy = xstrdup(s ? s : "");
	for (char *save = NULL, *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char **slot = xappend(&v, n, sizeof *v);
		*slot = xstrdup(w);
	}
	free(copy);
	char **end = xappend(&v, n, sizeof *v);
	*end = NULL;
	(*n)--;
	return v;
}

static void words_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* One run of a program in a mode: its exit status as sh gives it (128+N: signal N; 124: hung), stderr, time. */
typedef struct one_run {
	int status;
	strbuf err;
	double seconds;
} one_run;

static int run_in_mode(const ini_data *d, const char *mode, const char *prog, double timeout_s, one_run *r)
{
	size_t nenv, ncmd;
	char **env = words(mode_get(d, mode, "env"), &nenv);
	char **cmd = words(mode_get(d, mode, "command"), &ncmd);
	char **argv = xcalloc(ncmd + 2, sizeof *argv);
	for (size_t i = 0; i < ncmd; i++)
		argv[i] = cmd[i];
	argv[ncmd] = (char *)prog;
	/* The mode's variables for this run only: set, run, restore. */
	char **names = xcalloc(nenv + 1, sizeof *names), **saved = xcalloc(nenv + 1, sizeof *saved);
	for (size_t i = 0; i < nenv; i++) {
		char *eq = strchr(env[i], '=');
		if (!eq)
			continue;
		*eq = '\0';
		names[i] = env[i];
		const char *old = getenv(env[i]);
		saved[i] = old ? xstrdup(old) : NULL;
		setenv(env[i], eq + 1, 1);
	}
	run_opts o = { .cap = PITFALL_STDERR_CAP, .tail = false, .timeout_s = timeout_s };
	bool timed_out = false;
	int status = 0;
	char why[512];
	*r = (one_run){ 0 };
	double start = now_monotonic_s();
	int rc = run_child(argv, &o, NULL, &r->err, &status, &timed_out, why, sizeof why);
	r->seconds = now_monotonic_s() - start;
	for (size_t i = 0; i < nenv; i++) {
		if (!names[i])
			continue;
		if (saved[i])
			setenv(names[i], saved[i], 1);
		else
			unsetenv(names[i]);
		free(saved[i]);
	}
	free(saved);
	free(names);
	free(argv);
	words_free(cmd);
	words_free(env);
	if (rc != 0) {
		sb_add(&r->err, why);
		r->status = 127;
		return -1;
	}
	r->status = timed_out ? 124 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

/* Whether stderr matches the extended regular expression re (an empty one matches). */
static bool matches(const char *re, const char *text)
{
	if (!re || !*re)
		return true;
	regex_t rx;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
		/* Checked before anything runs (check_regexes()): this is a bug in goc. */
		goc_fatal("pitfalls: bad regular expression '%s'", re);
	}
	bool m = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* Every `stderr` value of the file compiles as a POSIX extended regular expression; else a message. */
static bool check_regexes(const ini_data *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].key, "stderr") != 0 && !str_ends(d->v[i].key, ".stderr"))
			continue;
		regex_t rx;
		int rc = regcomp(&rx, d->v[i].value, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc != 0) {
			char why[256];
			regerror(rc, &rx, why, sizeof why);
			goc_err("pitfalls: %s: [%s] %s: '%s' is not a regular expression: %s", path, d->v[i].section,
			        d->v[i].key, d->v[i].value, why);
			return false;
		}
		regfree(&rx);
	}
	return true;
}

static bool caught(const ini_data *d, const char *pitfall, const char *det, const one_run *r)
{
	const char *status = det_get(d, pitfall, det, "status");
	if (status && *status && atoi(status) != r->status)
		return false;
	return matches(det_get(d, pitfall, det, "stderr"), sb_str(&r->err));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The program of `version` (bad or fixed) of the pitfall in the build the mode runs from, or NULL. */
static char *program_of(const ini_data *d, const char *root, const char *mode, const char *pitfall,
                        const char *version)
{
	const char *build = mode_get(d, mode, "build");
	if (!build)
		return NULL;
	char *manifest = xasprintf("%s/%s/goc-pitfalls.ini", root, build);
	ini_data m = { 0 };
	char *prog = NULL;
	if (path_exists(manifest) && ini_parse(manifest, ini_collect, &m) == 0) {
		const char *p = ini_get(&m, pitfall, version);
		if (p && is_executable(p))
			prog = xstrdup(p);
	}
	ini_free(&m);
	free(manifest);
	return prog;
}

/* Whether list (blank-separated words) holds w. */
static bool listed(const char *list, const char *w)
{
	size_t n;
	char **v = words(list, &n);
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		found = !strcmp(v[i], w);
	words_free(v);
	return found;
}

static bool wanted(int argc, char **argv, int a, const char *pitfall)
{
	if (a >= argc)
		return true;
	for (int i = a; i < argc; i++)
		if (!strcmp(argv[i], pitfall))
			return true;
	return false;
}

int cmd_pitfalls(const goc_globals *g, int argc, char **argv)
{
	(void)g;
	uint64_t runs = 20;
	const char *ini_path = "patterns/pitfalls/pitfalls.ini", *root = "build", *json = NULL;
	bool quiet = false;
	int a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		const char *o = argv[a];
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage, stdout);
			return GOC_EXIT_OK;
		}
		if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
			quiet = true;
			continue;
		}
		if (a + 1 >= argc || (strcmp(o, "--runs") && strcmp(o, "--ini") && strcmp(o, "--build-root") &&
		                      strcmp(o, "--json"))) {
			goc_err("pitfalls: %s '%s' (see goc pitfalls --help)",
			        a + 1 >= argc ? "missing value for" : "unknown option", o);
			return GOC_EXIT_USAGE;
		}
		const char *v = argv[++a];
		if (!strcmp(o, "--runs")) {
			if (!probe_parse_u64(v, &runs) || runs < 1 || runs > 10000) {
				goc_err("pitfalls: --runs: '%s' is not a number of runs in 1..10000", v);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(o, "--ini")) {
			ini_path = v;
		} else if (!strcmp(o, "--build-root")) {
			root = v;
		} else {
			json = v;
		}
	}
	ini_data d = { 0 };
	int line = ini_parse(ini_path, ini_collect, &d);
	if (line != 0) {
		if (line < 0)
			goc_err("pitfalls: cannot read %s", ini_path);
		else
			goc_err("pitfalls: %s:%d: not valid INI", ini_path, line);
		ini_free(&d);
		return GOC_EXIT_USAGE;
	}
	/* The pitfalls, in file order: sections that are neither settings, modes nor detectors. */
	char **pitfalls = NULL;
	size_t npit = 0;
	for (size_t i = 0; i < d.n; i++) {
		const char *s = d.v[i].section;
		if (!strcmp(s, "pitfalls") || str_starts(s, "mode.") || str_starts(s, "detector."))
			continue;
		if (npit && !strcmp(pitfalls[npit - 1], s))
			continue;
		if (!wanted(argc, argv, a, s))
			continue;
		char **slot = xappend(&pitfalls, &npit, sizeof *pitfalls);
		*slot = xstrdup(s);
	}
	if (npit == 0) {
		goc_err("pitfalls: no pitfall %s in %s", a < argc ? "of those named" : "at all", ini_path);
		ini_free(&d);
		return GOC_EXIT_USAGE;
	}
	if (!check_regexes(&d, ini_path)) {
		ini_free(&d);
		for (size_t p = 0; p < npit; p++)
			free(pitfalls[p]);
		free(pitfalls);
		return GOC_EXIT_USAGE;
	}
	const char *t = ini_get(&d, "pitfalls", "timeout");
	double timeout_s = t ? atof(t) : 20;

	json_t *rows = json_array(), *fixed_rows = json_array();
	bool ok = true;
	size_t unbuilt_stated = 0; /* stated detectors whose build is not there */
	printf("%-24s %-6s %-24s %-16s %s\n", "pitfall", "", "detector (or mode)", "result", "median time to detection");
	for (size_t p = 0; p < npit; p++) {
		const char *pit = pitfalls[p];
		char *dets = xasprintf("%s %s %s", ini_get(&d, pit, "stated") ? ini_get(&d, pit, "stated") : "",
		                       ini_get(&d, pit, "also") ? ini_get(&d, pit, "also") : "",
		                       ini_get(&d, pit, "sometimes") ? ini_get(&d, pit, "sometimes") : "");
		size_t ndet;
		char **det = words(dets, &ndet);
		char *modes = xstrdup(""); /* the modes the fixed version must be clean in */
		for (size_t k = 0; k < ndet; k++) {
			const char *mode = det_get(&d, pit, det[k], "mode");
			bool stated = listed(ini_get(&d, pit, "stated"), det[k]);
			char *prog = mode ? program_of(&d, root, mode, pit, "bad") : NULL;
			const char *requires = det_get(&d, pit, det[k], "requires");
			if (prog && requires && *requires) {
				/* A build without the detector (a release libgoc has no deadlock check). */
				size_t len;
				char *bin = file_read(prog, &len);
				bool has = bin && memmem(bin, len, requires, strlen(requires));
				free(bin);
				if (!has) {
					free(prog);
					prog = NULL;
				}
			}
			if (!prog) {
				char *name = xasprintf("%s%s", det[k], stated ? " (stated)" : "");
				printf("%-24s %-6s %-24s %-16s\n", pit, "bad", name, "not built");
				unbuilt_stated += stated;
				free(name);
				json_array_append_new(rows, json_pack("{s:s, s:s, s:b, s:n}", "pitfall", pit, "detector", det[k],
				                                      "stated", stated, "detected"));
				continue;
			}
			if (!listed(modes, mode)) {
				char *m2 = xasprintf("%s %s", modes, mode);
				free(modes);
				modes = m2;
			}
			double *times = xcalloc(runs, sizeof *times);
			unsigned hits = 0;
			for (unsigned r = 0; r < runs; r++) {
				one_run one;
				run_in_mode(&d, mode, prog, timeout_s, &one);
				if (caught(&d, pit, det[k], &one))
					times[hits++] = one.seconds;
				sb_free(&one.err);
			}
			qsort(times, hits, sizeof *times, cmp_double);
			double median = hits ? times[hits / 2] : 0;
			char det_cell[32], med_cell[32] = "";
			snprintf(det_cell, sizeof det_cell, "caught %u/%u", hits, (unsigned)runs);
			if (hits)
				snprintf(med_cell, sizeof med_cell, "%.3f s", median);
			char *name = xasprintf("%s%s", det[k], stated ? " (stated)" : "");
			printf("%-24s %-6s %-24s %-16s %s\n", pit, "bad", name, det_cell, med_cell);
			free(name);
			fflush(stdout);
			if (stated && hits == 0)
				ok = false;
			json_array_append_new(rows, json_pack("{s:s, s:s, s:b, s:I, s:I, s:f}", "pitfall", pit, "detector",
			                                      det[k], "stated", stated, "detected", (json_int_t)hits, "runs",
			                                      (json_int_t)runs, "median_seconds", median));
			free(times);
			free(prog);
		}
		words_free(det);
		free(dets);

		/* The fixed version, in every mode its detectors (and the `clean` ones) run in. */
		size_t nclean;
		char **clean = words(ini_get(&d, "pitfalls", "clean"), &nclean);
		for (size_t k = 0; k < nclean; k++) {
			const char *mode = det_get(&d, pit, clean[k], "mode");
			if (mode && !listed(modes, mode)) {
				char *m2 = xasprintf("%s %s", modes, mode);
				free(modes);
				modes = m2;
			}
		}
		words_free(clean);
		size_t nmodes;
		char **mv = words(modes, &nmodes);
		for (size_t m = 0; m < nmodes; m++) {
			char *prog = program_of(&d, root, mv[m], pit, "fixed");
			if (!prog)
				continue;
			char *all = xasprintf("%s %s %s %s", ini_get(&d, pit, "stated") ? ini_get(&d, pit, "stated") : "",
			                      ini_get(&d, pit, "also") ? ini_get(&d, pit, "also") : "",
			                      ini_get(&d, pit, "sometimes") ? ini_get(&d, pit, "sometimes") : "",
			                      ini_get(&d, "pitfalls", "clean") ? ini_get(&d, "pitfalls", "clean") : "");
			size_t nall;
			char **alld = words(all, &nall);
			unsigned clean_runs = 0;
			char *why = NULL;
			for (unsigned r = 0; r < runs; r++) {
				one_run one;
				run_in_mode(&d, mv[m], prog, timeout_s, &one);
				bool bad = one.status != 0;
				for (size_t k = 0; k < nall && !bad; k++) {
					const char *dm = det_get(&d, pit, alld[k], "mode");
					const char *re = det_get(&d, pit, alld[k], "stderr");
					if (dm && !strcmp(dm, mv[m]) && re && *re && matches(re, sb_str(&one.err))) {
						bad = true;
						if (!why)
							why = xasprintf("%s reports it", alld[k]);
					}
				}
				if (bad && !why)
					why = xasprintf("exit status %d", one.status);
				clean_runs += !bad;
				sb_free(&one.err);
			}
			words_free(alld);
			free(all);
			bool all_clean = clean_runs == runs;
			ok = ok && all_clean;
			char cell[48];
			snprintf(cell, sizeof cell, "%s %u/%u", all_clean ? "clean" : "NOT CLEAN", clean_runs, (unsigned)runs);
			printf("%-24s %-6s %-24s %-16s %s\n", pit, "fixed", mv[m], cell, why ? why : "");
			json_array_append_new(fixed_rows, json_pack("{s:s, s:s, s:I, s:I, s:s?}", "pitfall", pit, "mode",
			                                            mv[m], "clean", (json_int_t)clean_runs, "runs",
			                                            (json_int_t)runs, "why", why));
			free(why);
			free(prog);
		}
		words_free(mv);
		free(modes);
		if (!quiet)
			fflush(stdout);
	}
	int rc = ok ? GOC_EXIT_OK : GOC_EXIT_FAILED;
	if (!ok)
		printf("\ngoc pitfalls: a bad version escaped its stated detector, or a fixed one was not clean\n");
	else if (unbuilt_stated)
		printf("\ngoc pitfalls: every stated detector that was built caught its bad version (%zu not built, "
		       "not checked), every fixed one clean\n", unbuilt_stated);
	else
		printf("\ngoc pitfalls: every bad version was caught by its stated detector, every fixed one clean\n");
	if (json) {
		char err[512];
		json_t *j = json_pack("{s:s, s:I, s:o, s:o}", "goc_pitfalls", "1", "runs", (json_int_t)runs, "bad", rows,
		                      "fixed", fixed_rows);
		if (json_write_file(json, j, err, sizeof err) != 0) {
			goc_err("pitfalls: %s", err);
			rc = GOC_EXIT_FAILED;
		}
		json_decref(j);
	} else {
		json_decref(rows);
		json_decref(fixed_rows);
	}
	for (size_t p = 0; p < npit; p++)
		free(pitfalls[p]);
	free(pitfalls);
	ini_free(&d);
	return rc;
}
