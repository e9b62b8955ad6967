/*
 * catalog.c - the build's targets: the manifest CMake writes, read with
 * inih, and each target's `--describe` JSON, read with jansson. Asking the
 * built target keeps one place for what a target accepts: its own command
 * line, the same one its --help prints.
 */
#define _POSIX_C_SOURCE 200809L
#include "catalog.h"

#include <errno.h>
#include <ini.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "probe.h"
#include "util.h"

/* ---- the manifest ------------------------------------------------------------------ */

typedef struct manifest_state {
	catalog *c;
	char *err;
	size_t errlen;
	bool failed;
} manifest_state;

static int on_manifest_key(void *user, const char *section, const char *name, const char *value)
{
	manifest_state *m = user;
	if (strcmp(section, "targets") != 0) {
		if (!m->failed)
			snprintf(m->err, m->errlen, "%s: unexpected section [%s]", m->c->manifest, section);
		m->failed = true;
		return 0;
	}
	catalog_target *t = xappend(&m->c->v, &m->c->n, sizeof *t);
	t->name = xstrdup(name);
	t->path = xstrdup(value);
	return 1;
}

int catalog_load(const char *build_dir, catalog *c, char *err, size_t errlen)
{
	*c = (catalog){ .build_dir = xstrdup(build_dir),
	                .manifest = xasprintf("%s/goc-targets.ini", build_dir) };
	manifest_state m = { c, err, errlen, false };
	int rc = ini_parse(c->manifest, on_manifest_key, &m);
	if (rc == -1) {
		snprintf(err, errlen,
		         "%s: cannot open: %s (build first: cmake --preset release && cmake --build --preset release; "
		         "or give --build DIR)", c->manifest, strerror(errno));
		return -1;
	}
	if (rc != 0) {
		if (!m.failed)
			snprintf(err, errlen, "%s:%d: not a target manifest line", c->manifest, rc);
		return -1;
	}
	return 0;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void catalog_free(catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		catalog_target *t = &c->v[i];
		free(t->name);
		free(t->path);
		free(t->summary);
		free_strings(t->workloads, t->nworkloads);
		for (size_t k = 0; k < t->nopts; k++) {
			free(t->opts[k].flag);
			free(t->opts[k].help);
			free(t->opts[k].dflt);
			free_strings(t->opts[k].choices, t->opts[k].nchoices);
		}
		free(t->opts);
	}
	free(c->v);
	free(c->build_dir);
	free(c->manifest);
	*c = (catalog){ 0 };
}

catalog_target *catalog_find(catalog *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

/* ---- a target's description ----------------------------------------------------------- */

static char *json_strdup(json_t *v)
{
	return xstrdup(json_is_string(v) ? json_string_value(v) : "");
}

static int describe_parse(catalog_target *t, const char *text, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	json_t *workloads = json_object_get(root, "workloads");
	json_t *options = json_object_get(root, "options");
	if (!root || !json_is_array(workloads) || !json_is_array(options)) {
		snprintf(err, errlen, "%s --describe: not a target description%s%s", t->path,
		         root ? "" : ": ", root ? "" : je.text);
		json_decref(root);
		return -1;
	}
	t->summary = json_strdup(json_object_get(root, "summary"));
	size_t i;
	json_t *v;
	json_array_foreach(workloads, i, v) {
		char **w = xappend(&t->workloads, &t->nworkloads, sizeof *w);
		*w = json_strdup(json_object_get(v, "name"));
	}
	json_array_foreach(options, i, v) {
		catalog_option *o = xappend(&t->opts, &t->nopts, sizeof *o);
		o->flag = json_strdup(json_object_get(v, "flag"));
		o->help = json_strdup(json_object_get(v, "help"));
		json_t *d = json_object_get(v, "default");
		const char *kind = json_string_value(json_object_get(v, "kind"));
		o->is_uint = kind && strcmp(kind, "uint") == 0;
		o->is_flag = kind && strcmp(kind, "flag") == 0;
		if (o->is_uint) {
			o->min = (uint64_t)json_integer_value(json_object_get(v, "min"));
			json_t *max = json_object_get(v, "max");
			/* jansson reads integers as signed 64-bit; past that, a real. */
			o->max = json_is_integer(max) ? (uint64_t)json_integer_value(max) : UINT64_MAX;
			o->dflt = json_is_integer(d) ? xasprintf("%lld", (long long)json_integer_value(d))
			                             : xstrdup("?");
		} else {
			o->dflt = json_strdup(d);
			size_t k;
			json_t *ch;
			json_array_foreach(json_object_get(v, "choices"), k, ch) {
				char **c = xappend(&o->choices, &o->nchoices, sizeof *c);
				*c = json_strdup(ch);
			}
		}
	}
	json_decref(root);
	t->described = true;
	return 0;
}

int catalog_describe(catalog_target *t, char *err, size_t errlen)
{
	if (t->described)
		return 0;
	if (!is_executable(t->path)) {
		snprintf(err, errlen, "target '%s': %s is not an executable (rebuild: cmake --build --preset release)",
		         t->name, t->path);
		return -1;
	}
	char *argv[] = { t->path, "--describe", NULL };
	strbuf out = { 0 }, errout = { 0 };
	int status;
	int rc = run_capture(argv, 1 << 20, &out, &errout, &status, err, errlen);
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		char *how = describe_status(status);
		snprintf(err, errlen, "%s --describe failed (%s): %.200s", t->path, how, sb_str(&errout));
		free(how);
		rc = -1;
	}
	if (rc == 0)
		rc = describe_parse(t, sb_str(&out), err, errlen);
	sb_free(&out);
	sb_free(&errout);
	return rc;
}

const catalog_option *catalog_target_option(const catalog_target *t, const char *flag)
{
	for (size_t i = 0; i < t->nopts; i++)
		if (strcmp(t->opts[i].flag, flag) == 0)
			return &t->opts[i];
	return NULL;
}

/* "a, b, c" for messages. */
static char *join(char *const *v, size_t n)
{
	strbuf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		sb_add(&b, i ? ", " : "");
		sb_add(&b, v[i]);
	}
	return b.s ? b.s : xstrdup("none");
}

bool catalog_option_accepts(const catalog_option *o, const char *value, char *why, size_t whylen)
{
	if (o->is_flag) {
		snprintf(why, whylen, "%s is a flag, which takes no value ('%s')", o->flag, value);
		return false;
	}
	if (o->is_uint) {
		uint64_t u;
		if (!probe_parse_u64(value, &u)) {
			snprintf(why, whylen, "'%s' is not a non-negative integer", value);
			return false;
		}
		if (u < o->min || u > o->max) {
			snprintf(why, whylen, "%s is out of range (%llu..%llu)", value,
			         (unsigned long long)o->min, (unsigned long long)o->max);
			return false;
		}
		return true;
	}
	if (o->nchoices == 0)
		return true;
	for (size_t i = 0; i < o->nchoices; i++)
		if (strcmp(o->choices[i], value) == 0)
			return true;
	char *all = join(o->choices, o->nchoices);
	snprintf(why, whylen, "'%s' is not one of %s", value, all);
	free(all);
	return false;
}

int catalog_check_scenario(catalog *c, const scenario *s, const char *suite, char *err, size_t errlen)
{
	char why[512];
	catalog_target *t = catalog_find(c, s->target);
	if (!t) {
		char **names = xcalloc(c->n, sizeof *names);
		for (size_t i = 0; i < c->n; i++)
			names[i] = c->v[i].name;
		char *all = join(names, c->n);
		snprintf(err, errlen, "%s:%d: [%s]: unknown target '%s' (the build %s has: %s)", s->file,
		         s->target_line, s->name, s->target, c->build_dir, all);
		free(all);
		free(names);
		return -1;
	}
	if (catalog_describe(t, why, sizeof why) != 0) {
		snprintf(err, errlen, "%s:%d: [%s]: %s", s->file, s->target_line, s->name, why);
		return -1;
	}

	if (t->nworkloads > 0 && !s->workload) {
		char *all = join(t->workloads, t->nworkloads);
		snprintf(err, errlen, "%s:%d: [%s]: target '%s' needs a workload (one of %s)", s->file, s->line,
		         s->name, t->name, all);
		free(all);
		return -1;
	}
	if (s->workload) {
		bool found = false;
		for (size_t i = 0; i < t->nworkloads; i++)
			found = found || strcmp(t->workloads[i], s->workload) == 0;
		if (!found) {
			char *all = join(t->workloads, t->nworkloads);
			snprintf(err, errlen, "%s:%d: [%s]: workload '%s' is not one of target '%s''s (%s)", s->file,
			         s->workload_line, s->name, s->workload, t->name, all);
			free(all);
			return -1;
		}
	}

	if (s->method && !catalog_target_option(t, "--port")) {
		snprintf(err, errlen, "%s:%d: [%s]: target '%s' is not a server (it takes no --port)", s->file,
		         s->request_line, s->name, t->name);
		return -1;
	}
	if (s->variants.n > 0) {
		char *flag = xasprintf("--%s", s->variant_option);
		const catalog_option *o = catalog_target_option(t, flag);
		free(flag);
		if (!o) {
			snprintf(err, errlen, "%s:%d: [%s]: target '%s' takes no --%s", s->file, s->variants_line,
			         s->name, t->name, s->variant_option);
			return -1;
		}
		for (size_t i = 0; i < s->variants.n; i++) {
			if (!catalog_option_accepts(o, s->variants.items[i], why, sizeof why)) {
				snprintf(err, errlen, "%s:%d: [%s]: variants: %s (target '%s')", s->file, s->variants_line,
				         s->name, why, t->name);
				return -1;
			}
		}
	}

	for (size_t k = 0; k < s->nknobs; k++) {
		const scenario_knob *kn = &s->knobs[k];
		if (s->method && strcmp(kn->name, SCENARIO_CONNECTIONS) == 0)
			continue; /* wrk's, checked as a number by bench */
		char *flag = xasprintf("--%s", kn->name);
		const catalog_option *o = catalog_target_option(t, flag);
		free(flag);
		if (!o) {
			char **flags = xcalloc(t->nopts, sizeof *flags);
			size_t nf = 0;
			for (size_t i = 0; i < t->nopts; i++)
				if (strcmp(t->opts[i].flag, "--variant") != 0 && strcmp(t->opts[i].flag, "--size") != 0)
					flags[nf++] = t->opts[i].flag + 2;
			char *all = join(flags, nf);
			snprintf(err, errlen, "%s:%d: [%s]: target '%s' has no knob '%s' (it has: %s)", s->file,
			         kn->line, s->name, t->name, kn->name, all);
			free(all);
			free(flags);
			return -1;
		}
		for (size_t i = 0; i < kn->values.n; i++) {
			if (!catalog_option_accepts(o, kn->values.items[i], why, sizeof why)) {
				snprintf(err, errlen, "%s:%d: [%s]: knob.%s: %s (target '%s')", s->file, kn->line, s->name,
				         kn->name, why, t->name);
				return -1;
			}
		}
	}

	/* --size: the plain value and each per-suite one (only the asked suite's, given one). */
	const catalog_option *size_opt = catalog_target_option(t, "--size");
	for (size_t i = 0; i <= s->size.nby_suite; i++) {
		bool plain = i == s->size.nby_suite;
		const scenario_suite_value *sv = plain ? NULL : &s->size.by_suite[i];
		if (plain ? !s->size.given : suite && strcmp(sv->suite, suite) != 0)
			continue;
		int line = plain ? s->size.line : sv->line;
		if (!size_opt) {
			snprintf(err, errlen, "%s:%d: [%s]: target '%s' takes no --size", s->file, line, s->name, t->name);
			return -1;
		}
		char text[32];
		snprintf(text, sizeof text, "%llu", (unsigned long long)(plain ? s->size.value : sv->value));
		if (!catalog_option_accepts(size_opt, text, why, sizeof why)) {
			snprintf(err, errlen, "%s:%d: [%s]: size: %s (target '%s')", s->file, line, s->name, why, t->name);
			return -1;
		}
	}
	return 0;
}
