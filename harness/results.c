/*
 * results.c - a run's results.json: what the machine, the build and the
 * tools were (read from /proc, uname, the build's CMakeCache.txt and git),
 * the atomic write, the checks when a run is read back, and its points:
 * each a results_point made into its JSON, and read back from it with
 * every key checked, so that a malformed point is refused by name.
 */
#define _GNU_SOURCE
#include "results.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "samples.h"
#include "stats.h"
#include "util.h"

static json_t *jstring_or_null(char *owned)
{
	json_t *v = owned ? json_string(owned) : json_null();
	free(owned);
	return v ? v : json_null();
}

static json_t *host_info(void)
{
	char hostname[HOST_NAME_MAX + 1] = "unknown";
	gethostname(hostname, sizeof hostname);
	hostname[HOST_NAME_MAX] = '\0';
	struct utsname u;
	char *kernel = uname(&u) == 0 ? xasprintf("%s %s %s", u.sysname, u.release, u.machine) : NULL;
	char *mem = file_field("/proc/meminfo", "MemTotal", ":");
	json_t *h = json_object();
	json_object_set_new(h, "hostname", json_string(hostname));
	json_object_set_new(h, "cpu", jstring_or_null(file_field("/proc/cpuinfo", "model name", ":")));
	json_object_set_new(h, "cores", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_object_set_new(h, "memory_kb", mem ? json_integer(atoll(mem)) : json_null());
	free(mem);
	json_object_set_new(h, "kernel", jstring_or_null(kernel));
	json_object_set_new(h, "os", jstring_or_null(file_field("/etc/os-release", "PRETTY_NAME", "=")));
	return h;
}

/* A CMakeCache.txt entry "NAME:TYPE=value", or NULL. */
static char *cmake_cache(const char *build_dir, const char *name)
{
	char *path = xasprintf("%s/CMakeCache.txt", build_dir);
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return NULL;
	char line[4096];
	char *value = NULL;
	size_t n = strlen(name);
	while (!value && fgets(line, sizeof line, f)) {
		if (strncmp(line, name, n) != 0 || line[n] != ':')
			continue;
		char *eq = strchr(line, '=');
		if (eq) {
			eq[1 + strcspn(eq + 1, "\n")] = '\0';
			value = xstrdup(eq + 1);
		}
	}
	fclose(f);
	return value;
}

static json_t *build_info(const char *build_dir)
{
	json_t *b = json_object();
	char *abs = realpath(build_dir, NULL);
	json_object_set_new(b, "dir", json_string(abs ? abs : build_dir));
	free(abs);

	char *git_head[] = { "git", "rev-parse", "--short", "HEAD", NULL };
	char *commit = run_first_line(git_head);
	json_object_set_new(b, "commit", commit ? json_string(commit) : json_null());
	if (commit) {
		strbuf out = { 0 };
		int status = 1;
		char err[128];
		char *git_status[] = { "git", "status", "--porcelain", "--untracked-files=no", NULL };
		bool dirty = run_capture(git_status, 4096, &out, NULL, &status, err, sizeof err) == 0 &&
		             out.len > 0;
		json_object_set_new(b, "dirty", json_boolean(dirty));
		sb_free(&out);
	} else {
		json_object_set_new(b, "dirty", json_null());
	}
	free(commit);

	char *cc = cmake_cache(build_dir, "CMAKE_C_COMPILER");
	char *version = NULL;
	if (cc) {
		char *argv[] = { cc, "--version", NULL };
		version = run_first_line(argv);
	}
	free(cc);
	json_object_set_new(b, "compiler", jstring_or_null(version));
	char *type = cmake_cache(build_dir, "CMAKE_BUILD_TYPE");
	char *flags = cmake_cache(build_dir, "CMAKE_C_FLAGS");
	char *type_flags = NULL;
	if (type && *type) {
		char *key = xasprintf("CMAKE_C_FLAGS_%s", type);
		for (char *p = key; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		type_flags = cmake_cache(build_dir, key);
		free(key);
	}
	json_object_set_new(b, "c_flags", jstring_or_null(xasprintf("%s%s%s", flags ? flags : "",
	                                                             flags && type_flags ? " " : "",
	                                                             type_flags ? type_flags : "")));
	free(flags);
	free(type_flags);
	json_object_set_new(b, "build_type", jstring_or_null(type));
	/* How libgoc ran its targets' tasks (GOC_TASKS, which goc bench --tasks sets; libgoc's default is threads). */
	const char *tasks = getenv("GOC_TASKS");
	json_object_set_new(b, "tasks", json_string(tasks && *tasks ? tasks : "threads"));
	return b;
}

json_t *results_new(const char *run_id, int argc, char *const argv[], const char *suite,
                    char *const *scenarios, size_t nscenarios, const char *build_dir)
{
	json_t *run = json_object();
	json_object_set_new(run, "schema", json_integer(RESULTS_SCHEMA));
	json_object_set_new(run, "run_id", json_string(run_id));
	json_object_set_new(run, "state", json_string("running"));
	json_object_set_new(run, "started", jstring_or_null(utc_now(false)));
	json_object_set_new(run, "finished", json_null());
	json_t *cmd = json_array();
	for (int i = 0; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	json_object_set_new(run, "command", cmd);
	json_object_set_new(run, "suite", suite ? json_string(suite) : json_null());
	json_t *names = json_array();
	for (size_t i = 0; i < nscenarios; i++)
		json_array_append_new(names, json_string(scenarios[i]));
	json_object_set_new(run, "scenarios", names);
	json_object_set_new(run, "host", host_info());
	json_object_set_new(run, "build", build_info(build_dir));
	json_t *tools = json_object();
	char *hf[] = { "hyperfine", "--version", NULL };
	json_object_set_new(tools, "hyperfine", jstring_or_null(run_first_line(hf)));
	json_object_set_new(tools, "go", json_null());
	json_object_set_new(run, "tools", tools);
	json_object_set_new(run, "tests", json_null());
	json_object_set_new(run, "points", json_array());
	return run;
}

int json_write_file(const char *path, const json_t *j, char *err, size_t errlen)
{
	char *text = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	if (!text) {
		snprintf(err, errlen, "%s: cannot encode the JSON", path);
		return -1;
	}
	/* json_dumps leaves no final newline; a text file should have one. */
	char *withnl = xasprintf("%s\n", text);
	int rc = file_write_atomic(path, withnl, strlen(withnl), err, errlen);
	free(withnl);
	free(text);
	return rc;
}

int results_write(const char *run_dir, json_t *run, char *err, size_t errlen)
{
	char *path = xasprintf("%s/results.json", run_dir);
	int rc = json_write_file(path, run, err, errlen);
	free(path);
	return rc;
}

char *results_resolve(const char *results_root, const char *name, char *err, size_t errlen)
{
	struct stat st;
	if (str_ends(name, "results.json") && stat(name, &st) == 0 && S_ISREG(st.st_mode)) {
		char *dir = xstrdup(name);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			strcpy(dir, ".");
		return dir;
	}
	char *candidates[2] = { xstrdup(name), xasprintf("%s/%s", results_root, name) };
	char *found = NULL;
	for (int i = 0; i < 2; i++) {
		char *file = xasprintf("%s/results.json", candidates[i]);
		if (!found && stat(file, &st) == 0 && S_ISREG(st.st_mode))
			found = xstrdup(candidates[i]);
		free(file);
		free(candidates[i]);
	}
	if (!found)
		snprintf(err, errlen, "no run '%s': neither %s/results.json nor %s/%s/results.json exists", name,
		         name, results_root, name);
	return found;
}

json_t *results_load(const char *run_dir, char *err, size_t errlen)
{
	char *path = xasprintf("%s/results.json", run_dir);
	json_error_t je;
	json_t *run = json_load_file(path, 0, &je);
	if (!run) {
		snprintf(err, errlen, "%s:%d: not valid JSON: %s", path, je.line, je.text);
	} else if (json_integer_value(json_object_get(run, "schema")) != RESULTS_SCHEMA ||
	           !json_is_array(json_object_get(run, "points"))) {
		snprintf(err, errlen, "%s: not a goc results file of schema %d", path, RESULTS_SCHEMA);
		json_decref(run);
		run = NULL;
	}
	free(path);
	return run;
}

json_t *results_load_points(const char *run_dir, results_point **points, size_t *n, char *err, size_t errlen)
{
	json_t *run = results_load(run_dir, err, errlen);
	char why[1024];
	if (run && results_read_points(run, points, n, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s/results.json: %s", run_dir, why);
		json_decref(run);
		run = NULL;
	}
	return run;
}

int results_set_latest(const char *results_root, const char *run_id, char *err, size_t errlen)
{
	char *link = xasprintf("%s/latest", results_root);
	char *tmp = xasprintf("%s/.latest.%ld", results_root, (long)getpid());
	int rc = 0;
	unlink(tmp);
	struct stat st;
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a symbolic link; move it away", link);
		rc = -1;
	} else if (symlink(run_id, tmp) != 0 || rename(tmp, link) != 0) {
		snprintf(err, errlen, "%s: cannot point it at %s: %s", link, run_id, strerror(errno));
		unlink(tmp);
		rc = -1;
	}
	free(link);
	free(tmp);
	return rc;
}

/* ---- points ------------------------------------------------------------------------------- */

void results_series_add(results_series *s, double v)
{
	*(double *)xappend(&s->v, &s->n, sizeof *s->v) = v;
	s->present = true;
}

const double *results_series_values(const results_series *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (isnan(s->v[i]))
			return NULL;
	return s->n ? s->v : NULL;
}

bool results_series_median(const results_series *s, double *m)
{
	const double *v = results_series_values(s);
	return v && stats_median(v, s->n, m) == STATS_OK;
}

void results_add_failure(results_point *p, long run, bool warmup, const char *what, const samples_record *rec,
                         const char *message)
{
	results_failure *f = xappend(&p->failures, &p->nfailures, sizeof *f);
	*f = (results_failure){ .run = run >= 0 ? run : -1,
		                .warmup = warmup,
		                .what = xstrdup(what),
		                .has_exit = rec && rec->exited,
		                .exit = rec && rec->exited ? rec->exit : 0,
		                .has_signal = rec && !rec->exited,
		                .signal = rec && !rec->exited ? rec->signal : 0,
		                .message = xstrdup(message) };
}

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void results_point_destroy(results_point *p)
{
	free(p->id);
	free(p->scenario);
	free(p->target);
	free(p->workload);
	free(p->impl);
	free(p->variant);
	for (size_t k = 0; k < p->nknobs; k++) {
		free(p->knobs[k].name);
		free(p->knobs[k].value);
	}
	free(p->knobs);
	strings_free(p->argv, p->argc);
	free(p->request);
	for (size_t i = 0; i < p->nfailures; i++) {
		free(p->failures[i].what);
		free(p->failures[i].message);
	}
	free(p->failures);
	results_series *series[] = { &p->wall_s, &p->ns_per_op, &p->peak_rss_kb, &p->requests_per_s,
		                     &p->cpu_us_per_request, &p->p50_us, &p->p99_us, &p->rss_growth_per_request_b };
	for (size_t i = 0; i < sizeof series / sizeof *series; i++)
		free(series[i]->v);
	json_decref(p->check);
	strings_free(p->lines, p->nlines);
	free(p->hyperfine);
	free(p->samples);
	free(p->wrk_script);
	*p = (results_point){ 0 };
}

/* ---- a point as JSON ---- */

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strings_json(char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* A series as its array: NAN as null, whole numbers (peak_rss_kb) as integers. */
static json_t *series_json(const results_series *s, bool whole)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->n; i++)
		json_array_append_new(a, isnan(s->v[i]) ? json_null()
		                         : whole    ? json_integer((json_int_t)s->v[i])
		                                    : json_real(s->v[i]));
	return a;
}

static void set_series(json_t *j, const char *key, const results_series *s)
{
	if (s->present)
		json_object_set_new(j, key, series_json(s, false));
}

static json_t *failure_json(const results_failure *f)
{
	json_t *j = json_object();
	json_object_set_new(j, "run", f->run >= 0 ? json_integer(f->run) : json_null());
	json_object_set_new(j, "warmup", json_boolean(f->warmup));
	json_object_set_new(j, "what", json_string(f->what));
	json_object_set_new(j, "exit", f->has_exit ? json_integer(f->exit) : json_null());
	json_object_set_new(j, "signal", f->has_signal ? json_integer(f->signal) : json_null());
	json_object_set_new(j, "message", json_string(f->message));
	return j;
}

json_t *results_point_to_json(const results_point *p)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_string(p->id));
	json_object_set_new(j, "scenario", json_string(p->scenario));
	json_object_set_new(j, "target", json_string(p->target));
	json_object_set_new(j, "workload", string_or_null(p->workload));
	json_object_set_new(j, "impl", json_string(p->impl));
	json_object_set_new(j, "variant", string_or_null(p->variant));
	json_object_set_new(j, "reference", json_boolean(p->reference));
	json_t *knobs = json_object();
	for (size_t k = 0; k < p->nknobs; k++)
		json_object_set_new(knobs, p->knobs[k].name, json_string(p->knobs[k].value));
	json_object_set_new(j, "knobs", knobs);
	json_object_set_new(j, "size", p->has_size ? json_integer((json_int_t)p->size) : json_null());
	json_object_set_new(j, "argv", strings_json(p->argv, p->argc));
	json_object_set_new(j, "warmup", json_integer(p->warmup));
	json_object_set_new(j, "runs", json_integer(p->runs));
	json_object_set_new(j, "timeout_s", json_integer(p->timeout_s));
	json_object_set_new(j, "status", json_string(p->ok ? "ok" : "failed"));
	if (p->request) {
		json_object_set_new(j, "seconds", json_integer(p->seconds));
		json_object_set_new(j, "request", json_string(p->request));
	}
	json_t *failures = json_array();
	for (size_t i = 0; i < p->nfailures; i++)
		json_array_append_new(failures, failure_json(&p->failures[i]));
	json_object_set_new(j, "failures", failures);
	json_object_set_new(j, "wall_s", series_json(&p->wall_s, false));
	if (p->has_cpu) {
		json_object_set_new(j, "user_s", json_real(p->user_s));
		json_object_set_new(j, "system_s", json_real(p->system_s));
	}
	json_object_set_new(j, "ns_per_op", series_json(&p->ns_per_op, false));
	json_object_set_new(j, "peak_rss_kb", series_json(&p->peak_rss_kb, true));
	set_series(j, "requests_per_s", &p->requests_per_s);
	set_series(j, "cpu_us_per_request", &p->cpu_us_per_request);
	set_series(j, "p50_us", &p->p50_us);
	set_series(j, "p99_us", &p->p99_us);
	set_series(j, "rss_growth_per_request_b", &p->rss_growth_per_request_b);
	json_object_set_new(j, "ops", p->has_ops ? json_integer(p->ops) : json_null());
	json_object_set_new(j, "check", p->check ? json_incref(p->check) : json_null());
	json_object_set_new(j, "lines", strings_json(p->lines, p->nlines));
	if (p->hyperfine)
		json_object_set_new(j, "hyperfine", json_string(p->hyperfine));
	if (p->wrk_script)
		json_object_set_new(j, "wrk_script", json_string(p->wrk_script));
	json_object_set_new(j, "samples", json_string(p->samples));
	return j;
}

void results_add_point(json_t *run, const results_point *p)
{
	json_array_append_new(json_object_get(run, "points"), results_point_to_json(p));
}

/* ---- a point from JSON ---- */

/* Where a point is being read: the first error wins, and names its key. */
typedef struct reader {
	const json_t *j;
	char *err;
	size_t errlen;
	bool bad;
} reader;

/* obj[key] when it is of the type `is` tests (or null, where null is allowed); else an error. */
static const json_t *field(reader *r, const json_t *obj, const char *prefix, const char *key,
                           int (*is)(const json_t *), const char *type, bool optional, bool nullable)
{
	const json_t *v = json_object_get(obj, key);
	if (r->bad)
		return NULL;
	if (!v && optional)
		return NULL;
	if (!v) {
		snprintf(r->err, r->errlen, "key '%s%s' is missing", prefix, key);
	} else if (nullable && json_is_null(v)) {
		return v;
	} else if (!is(v)) {
		snprintf(r->err, r->errlen, "key '%s%s' is not %s%s", prefix, key, type, nullable ? " or null" : "");
	} else {
		return v;
	}
	r->bad = true;
	return NULL;
}

static int is_string(const json_t *v) { return json_is_string(v); }
static int is_integer(const json_t *v) { return json_is_integer(v); }
static int is_number(const json_t *v) { return json_is_number(v); }
static int is_bool(const json_t *v) { return json_is_boolean(v); }
static int is_array(const json_t *v) { return json_is_array(v); }
static int is_object(const json_t *v) { return json_is_object(v); }
static int is_any(const json_t *v) { (void)v; return 1; }

/* A string field (NULL when null, absent and optional, or in error). */
static char *read_string(reader *r, const char *key, bool optional, bool nullable)
{
	const json_t *v = field(r, r->j, "", key, is_string, "a string", optional, nullable);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static long long read_integer(reader *r, const char *key)
{
	return (long long)json_integer_value(field(r, r->j, "", key, is_integer, "an integer", false, false));
}

/* An array of strings. */
static char **read_strings(reader *r, const char *key, size_t *n)
{
	const json_t *a = field(r, r->j, "", key, is_array, "an array of strings", false, false);
	char **v = NULL;
	*n = 0;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		if (!json_is_string(json_array_get(a, i))) {
			snprintf(r->err, r->errlen, "key '%s' is not an array of strings (entry %zu)", key, i);
			r->bad = true;
			break;
		}
		*(char **)xappend(&v, n, sizeof *v) = xstrdup(json_string_value(json_array_get(a, i)));
	}
	return v;
}

/* An array of numbers (whole: integers) and nulls; absent is an error unless optional. */
static void read_series(reader *r, const char *key, bool optional, bool whole, results_series *s)
{
	const json_t *a = field(r, r->j, "", key, is_array, "an array of numbers", optional, false);
	s->present = a != NULL;
	for (size_t i = 0; a && i < json_array_size(a); i++) {
		const json_t *x = json_array_get(a, i);
		if (json_is_null(x) || (whole ? json_is_integer(x) : json_is_number(x))) {
			results_series_add(s, json_is_null(x) ? NAN : json_number_value(x));
		} else {
			snprintf(r->err, r->errlen, "key '%s' is not an array of %s (entry %zu)", key,
			         whole ? "integers and nulls" : "numbers and nulls", i);
			r->bad = true;
			break;
		}
	}
}

static void read_failures(reader *r, results_point *p)
{
	const json_t *a = field(r, r->j, "", "failures", is_array, "an array", false, false);
	for (size_t i = 0; a && i < json_array_size(a) && !r->bad; i++) {
		const json_t *f = json_array_get(a, i);
		char prefix[48];
		snprintf(prefix, sizeof prefix, "failures[%zu].", i);
		if (!json_is_object(f)) {
			snprintf(r->err, r->errlen, "key 'failures' is not an array of objects (entry %zu)", i);
			r->bad = true;
			break;
		}
		const json_t *run = field(r, f, prefix, "run", is_integer, "an integer", false, true);
		const json_t *warm = field(r, f, prefix, "warmup", is_bool, "a boolean", false, false);
		const json_t *what = field(r, f, prefix, "what", is_string, "a string", false, false);
		const json_t *ex = field(r, f, prefix, "exit", is_integer, "an integer", false, true);
		const json_t *sig = field(r, f, prefix, "signal", is_integer, "an integer", false, true);
		const json_t *msg = field(r, f, prefix, "message", is_string, "a string", false, false);
		if (r->bad)
			break;
		results_failure *to = xappend(&p->failures, &p->nfailures, sizeof *to);
		*to = (results_failure){ .run = json_is_integer(run) ? (long)json_integer_value(run) : -1,
			                 .warmup = json_is_true(warm),
			                 .what = xstrdup(json_string_value(what)),
			                 .has_exit = json_is_integer(ex),
			                 .exit = (int)json_integer_value(ex),
			                 .has_signal = json_is_integer(sig),
			                 .signal = (int)json_integer_value(sig),
			                 .message = xstrdup(json_string_value(msg)) };
	}
}

int results_point_from_json(const json_t *j, results_point *p, char *err, size_t errlen)
{
	reader r = { .j = j, .err = err, .errlen = errlen };
	*p = (results_point){ 0 };
	if (!json_is_object(j)) {
		snprintf(err, errlen, "not a JSON object");
		return -1;
	}
	p->id = read_string(&r, "id", false, false);
	p->scenario = read_string(&r, "scenario", false, false);
	p->target = read_string(&r, "target", false, false);
	p->workload = read_string(&r, "workload", false, true);
	p->impl = read_string(&r, "impl", false, false);
	p->variant = read_string(&r, "variant", false, true);
	p->reference = json_is_true(field(&r, j, "", "reference", is_bool, "a boolean", false, false));
	const json_t *knobs = field(&r, j, "", "knobs", is_object, "an object of strings", false, false);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)knobs, k, v) {
		if (r.bad)
			break;
		if (!json_is_string(v)) {
			snprintf(err, errlen, "key 'knobs.%s' is not a string", k);
			r.bad = true;
			break;
		}
		results_knob *to = xappend(&p->knobs, &p->nknobs, sizeof *to);
		to->name = xstrdup(k);
		to->value = xstrdup(json_string_value(v));
	}
	const json_t *size = field(&r, j, "", "size", is_integer, "an integer", false, true);
	p->has_size = json_is_integer(size);
	p->size = (unsigned long long)json_integer_value(size);
	p->argv = read_strings(&r, "argv", &p->argc);
	p->warmup = read_integer(&r, "warmup");
	p->runs = read_integer(&r, "runs");
	p->timeout_s = read_integer(&r, "timeout_s");
	const char *status = json_string_value(field(&r, j, "", "status", is_string, "a string", false, false));
	if (status && strcmp(status, "ok") != 0 && strcmp(status, "failed") != 0) {
		snprintf(err, errlen, "key 'status' is not \"ok\" or \"failed\"");
		r.bad = true;
	}
	p->ok = status && strcmp(status, "ok") == 0;
	p->request = read_string(&r, "request", true, false);
	if (p->request)
		p->seconds = read_integer(&r, "seconds");
	read_failures(&r, p);
	read_series(&r, "wall_s", false, false, &p->wall_s);
	/* Absent from a server's point, and from runs made before goc kept them; one without the other is an error. */
	bool cpu = json_object_get(j, "user_s") || json_object_get(j, "system_s");
	const json_t *user = field(&r, j, "", "user_s", is_number, "a number", !cpu, false);
	const json_t *sys = field(&r, j, "", "system_s", is_number, "a number", !cpu, false);
	p->has_cpu = user && sys;
	p->user_s = json_number_value(user);
	p->system_s = json_number_value(sys);
	read_series(&r, "ns_per_op", false, false, &p->ns_per_op);
	read_series(&r, "peak_rss_kb", false, true, &p->peak_rss_kb);
	read_series(&r, "requests_per_s", true, false, &p->requests_per_s);
	read_series(&r, "cpu_us_per_request", true, false, &p->cpu_us_per_request);
	read_series(&r, "p50_us", true, false, &p->p50_us);
	read_series(&r, "p99_us", true, false, &p->p99_us);
	read_series(&r, "rss_growth_per_request_b", true, false, &p->rss_growth_per_request_b);
	const json_t *ops = field(&r, j, "", "ops", is_integer, "an integer", false, true);
	p->has_ops = json_is_integer(ops);
	p->ops = (long long)json_integer_value(ops);
	const json_t *check = field(&r, j, "", "check", is_any, "a value", false, false);
	p->check = check && !json_is_null(check) ? json_incref((json_t *)check) : NULL;
	p->lines = read_strings(&r, "lines", &p->nlines);
	p->hyperfine = read_string(&r, "hyperfine", true, false);
	p->wrk_script = read_string(&r, "wrk_script", true, false);
	p->samples = read_string(&r, "samples", false, false);
	if (r.bad) {
		results_point_destroy(p);
		return -1;
	}
	return 0;
}

int results_read_points(const json_t *run, results_point **points, size_t *n, char *err, size_t errlen)
{
	const json_t *a = json_object_get(run, "points");
	*n = json_array_size(a);
	*points = xcalloc(*n ? *n : 1, sizeof **points);
	for (size_t i = 0; i < *n; i++) {
		char why[512];
		const json_t *j = json_array_get(a, i);
		if (results_point_from_json(j, &(*points)[i], why, sizeof why) != 0) {
			const char *id = json_string_value(json_object_get(j, "id"));
			snprintf(err, errlen, "point %zu%s%s%s: %s", i + 1, id ? " (" : "", id ? id : "", id ? ")" : "", why);
			results_points_free(*points, i);
			*points = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
}

void results_points_free(results_point *points, size_t n)
{
	for (size_t i = 0; i < n; i++)
		results_point_destroy(&points[i]);
	free(points);
}

const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : "";
}

double jnum(const json_t *obj, const char *key)
{
	return json_number_value(json_object_get(obj, key));
}
