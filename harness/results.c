/*
 * results.c - a run's results.json: what the machine, the build and the
 * tools were (read from /proc, uname, the build's CMakeCache.txt and git),
 * the atomic write, and the checks when a run is read back.
 */
#define _GNU_SOURCE
#include "results.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util.h"

/* The value after "key" and a separator in the first matching line of a file, or NULL. */
static char *file_field(const char *path, const char *key, const char *sep)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char line[1024];
	char *value = NULL;
	size_t klen = strlen(key);
	while (!value && fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) != 0)
			continue;
		char *p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!str_starts(p, sep))
			continue;
		p += strlen(sep);
		while (*p == ' ' || *p == '\t' || *p == '"')
			p++;
		p[strcspn(p, "\"\n")] = '\0';
		value = xstrdup(p);
	}
	fclose(f);
	return value;
}

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

double *results_samples(const json_t *point, const char *key, size_t *n)
{
	const json_t *a = json_object_get(point, key);
	*n = json_array_size(a);
	if (*n == 0)
		return NULL;
	double *v = xcalloc(*n, sizeof *v);
	for (size_t i = 0; i < *n; i++) {
		const json_t *x = json_array_get(a, i);
		if (!json_is_number(x)) {
			free(v);
			return NULL;
		}
		v[i] = json_number_value(x);
	}
	return v;
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
