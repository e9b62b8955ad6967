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
 * detector whose build is not there is listed as not built. The pitfall
 * tier's ctest checks are this command too, one build each (--build).
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
	"usage: goc pitfalls [--runs N] [--ini FILE] [--build-root DIR | --build NAME DIR] [--json FILE]\n"
	"                    [PITFALL...]\n\n"
	"Run each pitfall's bad version N times under every detector that applies\n"
	"to it (ThreadSanitizer, libgoc's panics, deadlock detector and leak check,\n"
	"helgrind, drd, the program's own check), and each fixed version N times in\n"
	"every mode those detectors run in; print the detection table (detected in\n"
	"k of N runs, median time to detection) and each fixed version's verdict.\n\n"
	"  --runs N           runs of each program under each detector (default 20)\n"
	"  --ini FILE         the pitfalls (default patterns/pitfalls/pitfalls.ini)\n"
	"  --build-root DIR   where the tsan, release and asan builds are (default build)\n"
	"  --build NAME DIR   only what runs in build NAME (tsan, release or asan), from the\n"
	"                     build in DIR: the pitfall tier's ctest check of one build\n"
	"  --json FILE        write the table as JSON\n\n"
	"Exit status: 0 every bad version caught at least once by its stated detector\n"
	"and its `also` ones, and every fixed version clean in every run (of the\n"
	"builds there); 1 otherwise; 2 bad command line or pitfalls file.\n";

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

/* Run prog in the mode's way; a program that cannot start has status 127 and the reason as its stderr. */
static void run_in_mode(const ini_data *d, const char *mode, const char *prog, double timeout_s, one_run *r)
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
		char *eq = strchr(env[i], '='); /* every word has one: check_file() */
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
		sb_printf(&r->err, "goc pitfalls: %s\n", why);
		r->status = 127;
		return;
	}
	r->status = timed_out ? 124 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Whether stderr matches the extended regular expression re (an empty one matches). */
static bool matches(const char *re, const char *text)
{
	if (!re || !*re)
		return true;
	regex_t rx;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
		/* Checked before anything runs (check_file()): this is a bug in goc. */
		goc_fatal("pitfalls: bad regular expression '%s'", re);
	}
	bool m = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/*
 * The file holds what this command needs: every `stderr` value compiles as
 * a POSIX extended regular expression, and every mode's `env` word is
 * NAME=value. Else a message, and false.
 */
static bool check_file(const ini_data *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++) {
		const kv *e = &d->v[i];
		if (!strcmp(e->key, "env") && str_starts(e->section, "mode.")) {
			size_t n;
			char **w = words(e->value, &n);
			for (size_t k = 0; k < n; k++) {
				if (!strchr(w[k], '=')) {
					goc_err("pitfalls: %s: [%s] env: '%s' is not NAME=value", path, e->section, w[k]);
					words_free(w);
					return false;
				}
			}
			words_free(w);
		}
		if (strcmp(e->key, "stderr") != 0 && !str_ends(e->key, ".stderr"))
			continue;
		regex_t rx;
		int rc = regcomp(&rx, e->value, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
		if (rc != 0) {
			char why[256];
			regerror(rc, &rx, why, sizeof why);
			goc_err("pitfalls: %s: [%s] %s: '%s' is not a regular expression: %s", path, e->section, e->key,
			        e->value, why);
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

/* Which builds this run covers: every one under `root`, or only `build`, whose folder is `dir`. */
typedef struct builds {
	const char *root;
	const char *only, *only_dir; /* NULL: every build */
} builds;

/* The program of `version` (bad or fixed) of the pitfall in the build the mode runs from, or NULL. */
static char *program_of(const ini_data *d, const builds *b, const char *mode, const char *pitfall,
                        const char *version)
{
	const char *build = mode_get(d, mode, "build");
	if (!build || (b->only && strcmp(build, b->only) != 0))
		return NULL;
	char *manifest = b->only ? xasprintf("%s/goc-pitfalls.ini", b->only_dir)
	                         : xasprintf("%s/%s/goc-pitfalls.ini", b->root, build);
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

/* A pitfall's key as words ("" when absent). */
static const char *key_or_empty(const ini_data *d, const char *section, const char *key)
{
	const char *v = ini_get(d, section, key);
	return v ? v : "";
}

/* What one pitfall's checks add up to. */
typedef struct tally {
	bool ok;               /* every required detector caught bad, every fixed run clean */
	size_t unbuilt_stated; /* stated detectors whose build is not there */
	json_t *bad, *fixed;   /* the rows, for --json */
} tally;

/*
 * Run the bad version `runs` times under detector det (in its mode) and
 * print its row; a stated or `also` detector that never catches it fails
 * the tally. Adds the mode to *modes (where the fixed version must be clean).
 */
static void check_bad(const ini_data *d, const builds *b, const char *pit, const char *det, unsigned runs,
                      double timeout_s, char **modes, tally *t)
{
	const char *mode = det_get(d, pit, det, "mode");
	const char *build = mode ? mode_get(d, mode, "build") : NULL;
	if (b->only && (!build || strcmp(build, b->only) != 0))
		return; /* another build's detector: not this check's */
	bool stated = listed(key_or_empty(d, pit, "stated"), det);
	bool required = stated || listed(key_or_empty(d, pit, "also"), det);
	char *name = xasprintf("%s%s", det, stated ? " (stated)" : required ? " (also)" : "");
	char *prog = mode ? program_of(d, b, mode, pit, "bad") : NULL;
	if (!prog) {
		printf("%-24s %-6s %-24s %-16s\n", pit, "bad", name, "not built");
		t->unbuilt_stated += stated;
		json_array_append_new(t->bad, json_pack("{s:s, s:s, s:b, s:n}", "pitfall", pit, "detector", det, "stated",
		                                        stated, "detected"));
		free(name);
		return;
	}
	if (!listed(*modes, mode)) {
		char *more = xasprintf("%s %s", *modes, mode);
		free(*modes);
		*modes = more;
	}
	double *times = xcalloc(runs, sizeof *times);
	unsigned hits = 0;
	char *not_run = NULL;
	for (unsigned r = 0; r < runs; r++) {
		one_run one;
		run_in_mode(d, mode, prog, timeout_s, &one);
		if (one.status == 127 && !not_run)
			not_run = xstrdup(sb_str(&one.err));
		else if (caught(d, pit, det, &one))
			times[hits++] = one.seconds;
		sb_free(&one.err);
	}
	qsort(times, hits, sizeof *times, cmp_double);
	double median = hits ? times[hits / 2] : 0;
	char cell[32], med[32] = "";
	snprintf(cell, sizeof cell, "caught %u/%u", hits, runs);
	if (hits)
		snprintf(med, sizeof med, "%.3f s", median);
	printf("%-24s %-6s %-24s %-16s %s%s", pit, "bad", name, cell, med, not_run ? not_run : "\n");
	fflush(stdout);
	if (required && hits == 0)
		t->ok = false;
	json_array_append_new(t->bad, json_pack("{s:s, s:s, s:b, s:I, s:I, s:f}", "pitfall", pit, "detector", det,
	                                        "stated", stated, "detected", (json_int_t)hits, "runs",
	                                        (json_int_t)runs, "median_seconds", median));
	free(not_run);
	free(times);
	free(prog);
	free(name);
}

/*
 * Run the fixed version `runs` times in mode, and print its row: clean
 * when every run exits 0 and no detector of that mode (dets) reports it.
 */
static void check_fixed(const ini_data *d, const builds *b, const char *pit, const char *mode, char **dets,
                        size_t ndets, unsigned runs, double timeout_s, tally *t)
{
	char *prog = program_of(d, b, mode, pit, "fixed");
	if (!prog)
		return;
	unsigned clean_runs = 0;
	char *why = NULL;
	for (unsigned r = 0; r < runs; r++) {
		one_run one;
		run_in_mode(d, mode, prog, timeout_s, &one);
		char *bad = one.status == 127 ? xasprintf("not run: %s", sb_str(&one.err)) : NULL;
		for (size_t k = 0; k < ndets && !bad; k++) {
			const char *dm = det_get(d, pit, dets[k], "mode");
			const char *re = det_get(d, pit, dets[k], "stderr");
			if (dm && !strcmp(dm, mode) && re && *re && matches(re, sb_str(&one.err)))
				bad = xasprintf("%s reports it", dets[k]);
		}
		if (!bad && one.status != 0)
			bad = xasprintf("exit status %d", one.status);
		if (bad && !why)
			why = bad;
		else
			free(bad);
		clean_runs += !bad;
		sb_free(&one.err);
	}
	bool clean = clean_runs == runs;
	t->ok = t->ok && clean;
	char cell[48];
	snprintf(cell, sizeof cell, "%s %u/%u", clean ? "clean" : "NOT CLEAN", clean_runs, runs);
	printf("%-24s %-6s %-24s %-16s %s\n", pit, "fixed", mode, cell, why ? why : "");
	fflush(stdout);
	json_array_append_new(t->fixed, json_pack("{s:s, s:s, s:I, s:I, s:s?}", "pitfall", pit, "mode", mode, "clean",
	                                          (json_int_t)clean_runs, "runs", (json_int_t)runs, "why", why));
	free(why);
	free(prog);
}

/* One pitfall: its bad version under each of its detectors, then its fixed version in each of their modes. */
static void check_pitfall(const ini_data *d, const builds *b, const char *pit, unsigned runs, double timeout_s,
                          tally *t)
{
	char *list = xasprintf("%s %s %s", key_or_empty(d, pit, "stated"), key_or_empty(d, pit, "also"),
	                       key_or_empty(d, pit, "sometimes"));
	size_t ndets;
	char **dets = words(list, &ndets);
	char *modes = xstrdup("");
	for (size_t k = 0; k < ndets; k++)
		check_bad(d, b, pit, dets[k], runs, timeout_s, &modes, t);
	/* The fixed version answers to the pitfall's detectors and the `clean` ones. */
	char *all = xasprintf("%s %s", list, key_or_empty(d, "pitfalls", "clean"));
	size_t nall;
	char **alld = words(all, &nall);
	for (size_t k = ndets; k < nall; k++) {
		const char *mode = det_get(d, pit, alld[k], "mode");
		if (mode && !listed(modes, mode)) {
			char *more = xasprintf("%s %s", modes, mode);
			free(modes);
			modes = more;
		}
	}
	size_t nmodes;
	char **mv = words(modes, &nmodes);
	for (size_t m = 0; m < nmodes; m++)
		check_fixed(d, b, pit, mv[m], alld, nall, runs, timeout_s, t);
	words_free(mv);
	words_free(alld);
	words_free(dets);
	free(all);
	free(list);
	free(modes);
}

int cmd_pitfalls(const goc_globals *g, int argc, char **argv)
{
	(void)g;
	uint64_t runs = 20;
	const char *ini_path = "patterns/pitfalls/pitfalls.ini", *json = NULL;
	builds b = { .root = "build" };
	int a = 1;
	for (; a < argc && argv[a][0] == '-'; a++) {
		const char *o = argv[a];
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage, stdout);
			return GOC_EXIT_OK;
		}
		int nvalues = !strcmp(o, "--build") ? 2 : 1;
		if (a + nvalues >= argc || (strcmp(o, "--runs") && strcmp(o, "--ini") && strcmp(o, "--build-root") &&
		                            strcmp(o, "--build") && strcmp(o, "--json"))) {
			goc_err("pitfalls: %s '%s' (see goc pitfalls --help)",
			        a + nvalues >= argc ? "missing value for" : "unknown option", o);
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
			b.root = v;
		} else if (!strcmp(o, "--build")) {
			b.only = v;
			b.only_dir = argv[++a];
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
	if (!check_file(&d, ini_path)) {
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
		if ((npit && !strcmp(pitfalls[npit - 1], s)) || !wanted(argc, argv, a, s))
			continue;
		*(char **)xappend(&pitfalls, &npit, sizeof *pitfalls) = xstrdup(s);
	}
	if (npit == 0) {
		goc_err("pitfalls: no pitfall %s in %s", a < argc ? "of those named" : "at all", ini_path);
		ini_free(&d);
		return GOC_EXIT_USAGE;
	}
	const char *t = ini_get(&d, "pitfalls", "timeout");
	double timeout_s = t ? atof(t) : 20;

	tally tl = { .ok = true, .bad = json_array(), .fixed = json_array() };
	printf("%-24s %-6s %-24s %-16s %s\n", "pitfall", "", "detector (or mode)", "result", "median time to detection");
	for (size_t p = 0; p < npit; p++)
		check_pitfall(&d, &b, pitfalls[p], (unsigned)runs, timeout_s, &tl);
	int rc = tl.ok ? GOC_EXIT_OK : GOC_EXIT_FAILED;
	if (!tl.ok)
		printf("\ngoc pitfalls: a bad version escaped a detector that must catch it, or a fixed one was not clean\n");
	else if (tl.unbuilt_stated)
		printf("\ngoc pitfalls: every stated detector that was built caught its bad version (%zu not built, "
		       "not checked), every fixed one clean\n", tl.unbuilt_stated);
	else
		printf("\ngoc pitfalls: every bad version was caught by its stated detector, every fixed one clean\n");
	if (json) {
		char err[512];
		json_t *j = json_pack("{s:s, s:I, s:O, s:O}", "goc_pitfalls", "1", "runs", (json_int_t)runs, "bad", tl.bad,
		                      "fixed", tl.fixed);
		if (json_write_file(json, j, err, sizeof err) != 0) {
			goc_err("pitfalls: %s", err);
			rc = GOC_EXIT_FAILED;
		}
		json_decref(j);
	}
	json_decref(tl.bad);
	json_decref(tl.fixed);
	for (size_t p = 0; p < npit; p++)
		free(pitfalls[p]);
	free(pitfalls);
	ini_free(&d);
	return rc;
}
