/*
 * results_test.c - the results writer and reader: a new run carries the
 * machine and build, survives a write and a read unchanged, is written
 * atomically (no temporary file left, an old file replaced whole), and a
 * file that is not a goc run of this schema is refused with a reason. A
 * point (a program's, a server's, a failed one) written and read back is
 * itself, every point of the checked-in runs reads and writes back to the
 * same JSON (they predate user_s and system_s: CPU time not recorded), and
 * a malformed point is refused by the key that is wrong.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "results.h"
#include "samples.h"
#include "util.h"

static int setup(void **state)
{
	char *dir = xstrdup("/tmp/goc-results-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char *dir = *state;
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		unlink(path);
		free(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
	free(dir);
	return 0;
}

static void test_results_new_write_load_round_trip(void **state)
{
	const char *dir = *state;
	char *argv[] = { "goc", "bench", "--suite", "smoke" };
	char *names[] = { "spsc", "mpmc" };
	json_t *run = results_new("20261123-000000-h", 4, argv, "smoke", names, 2, ".");
	assert_string_equal(jstr(run, "state"), "running");
	assert_non_null(strstr(jstr(json_object_get(run, "host"), "kernel"), "Linux"));
	assert_true(json_integer_value(json_object_get(json_object_get(run, "host"), "cores")) >= 1);
	json_array_append_new(json_object_get(run, "points"), json_pack("{s:s, s:[f,f]}", "id", "a/c/-/-", "ns_per_op", 1.5, 2.5));
	char err[512];
	assert_int_equal(results_write(dir, run, err, sizeof err), 0);
	json_t *back = results_load(dir, err, sizeof err);
	assert_non_null(back);
	assert_true(json_equal(run, back));
	assert_string_equal(jstr(back, "suite"), "smoke");
	assert_string_equal(json_string_value(json_array_get(json_object_get(back, "scenarios"), 1)), "mpmc");
	json_decref(back);

	/* A second write replaces the file whole and leaves no temporary file. */
	json_object_set_new(run, "state", json_string("complete"));
	assert_int_equal(results_write(dir, run, err, sizeof err), 0);
	back = results_load(dir, err, sizeof err);
	assert_string_equal(jstr(back, "state"), "complete");
	json_decref(back);
	DIR *d = opendir(dir);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		files += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1);
	json_decref(run);
}

static void write_text(const char *dir, const char *text)
{
	char *path = xasprintf("%s/results.json", dir);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	free(path);
}

static void test_results_load_refuses_other_files(void **state)
{
	const char *dir = *state;
	char err[512];
	write_text(dir, "{\"schema\": 2, \"points\": []}");
	assert_null(results_load(dir, err, sizeof err));
	assert_non_null(strstr(err, "not a goc results file of schema 1"));
	write_text(dir, "{\"schema\": 1, \"points\": [");
	assert_null(results_load(dir, err, sizeof err));
	assert_non_null(strstr(err, "results.json:1: not valid JSON"));
}

static void test_results_resolve_names(void **state)
{
	const char *dir = *state;
	char err[512];
	write_text(dir, "{}");
	char *r = results_resolve("/nonexistent", dir, err, sizeof err);
	assert_string_equal(r, dir);
	free(r);
	char *file = xasprintf("%s/results.json", dir);
	r = results_resolve("/nonexistent", file, err, sizeof err);
	assert_string_equal(r, dir);
	free(r);
	free(file);
	/* A run id under the results folder, and latest through its link. */
	const char *slash = strrchr(dir, '/');
	char *root = xasprintf("%.*s", (int)(slash - dir), dir);
	r = results_resolve(root, slash + 1, err, sizeof err);
	char *expect = xasprintf("%s/%s", root, slash + 1);
	assert_string_equal(r, expect);
	free(expect);
	free(r);
	assert_null(results_resolve(root, "nosuch-run", err, sizeof err));
	assert_non_null(strstr(err, "no run 'nosuch-run'"));
	free(root);
}

/* ---- points ------------------------------------------------------------------------------ */

static char **strings(size_t *n, const char *const *v, size_t count)
{
	char **out = xcalloc(count + 1, sizeof *out);
	for (size_t i = 0; i < count; i++)
		out[i] = xstrdup(v[i]);
	*n = count;
	return out;
}

/* Append n values to a series. */
static void add_values(results_series *s, size_t n, const double *v)
{
	for (size_t i = 0; i < n; i++)
		results_series_add(s, v[i]);
}

static void add_knob(results_point *p, const char *name, const char *value)
{
	results_knob *k = xappend(&p->knobs, &p->nknobs, sizeof *k);
	k->name = xstrdup(name);
	k->value = xstrdup(value);
}

/* A program's point: knobs, size, CPU time, ops, a check, a peak RSS one run did not give. */
static void program_point(results_point *p)
{
	const char *argv[] = { "/b/workerpool", "--variant", "chan", "--size", "1000000", "--workers", "4" };
	const char *lines[] = { "{\"workload\":\"workerpool\",\"ns_per_op\":71.2}", "{\"ns_per_op\":70.8}" };
	*p = (results_point){ .id = xstrdup("workerpool-square/c/chan/job=square,workers=4"),
		              .scenario = xstrdup("workerpool-square"), .target = xstrdup("workerpool"),
		              .workload = xstrdup("square"), .impl = xstrdup("c"), .variant = xstrdup("chan"),
		              .reference = true, .has_size = true, .size = 1000000, .warmup = 1, .runs = 2,
		              .timeout_s = 60, .ok = true, .has_cpu = true, .user_s = 0.2931, .system_s = 0.0112,
		              .has_ops = true, .ops = 1000000,
		              .check = json_string("333333833333500000000"),
		              .hyperfine = xstrdup("hyperfine/003.json"), .samples = xstrdup("samples/003-0.jsonl") };
	add_knob(p, "job", "square");
	add_knob(p, "workers", "4");
	p->argv = strings(&p->argc, argv, 7);
	p->lines = strings(&p->nlines, lines, 2);
	add_values(&p->wall_s, 2, (const double[]){ 0.0871, 0.0865 });
	add_values(&p->ns_per_op, 2, (const double[]){ 71.2, 70.8 });
	add_values(&p->peak_rss_kb, 2, (const double[]){ 3712, NAN });
}

/* A server's point (a POST: RSS growth recorded), without size, ops or check. */
static void server_point(results_point *p)
{
	const char *argv[] = { "/b/reststore", "--store", "mutex", "--port", "0" };
	const char *lines[] = { "{\"requests\":147376,\"duration_us\":5060297}" };
	*p = (results_point){ .id = xstrdup("reststore-create/go/mutex/connections=64"),
		              .scenario = xstrdup("reststore-create"), .target = xstrdup("reststore"),
		              .impl = xstrdup("go"), .variant = xstrdup("mutex"), .warmup = 0, .runs = 1,
		              .timeout_s = 30, .ok = true, .request = xstrdup("POST /users"), .seconds = 5,
		              .wrk_script = xstrdup("samples/000.lua"), .samples = xstrdup("samples/000-1.server.log") };
	add_knob(p, "connections", "64");
	p->argv = strings(&p->argc, argv, 5);
	p->lines = strings(&p->nlines, lines, 1);
	/* Each series of a server, in the order written, with one value. */
	results_series *series[] = { &p->wall_s, &p->ns_per_op, &p->peak_rss_kb, &p->requests_per_s,
		                     &p->cpu_us_per_request, &p->p50_us, &p->p99_us, &p->rss_growth_per_request_b };
	const double values[] = { 5.060297, 34335.96379329063, 6996, 29123.982248472767, 22.66312018239062, 1303, 116276, 0.5 };
	for (size_t i = 0; i < sizeof series / sizeof *series; i++)
		add_values(series[i], 1, &values[i]);
}

/* A failed point: a failure of no run, one that exited, one killed; no variant, no figures. */
static void failed_point(results_point *p)
{
	const char *argv[] = { "/b/spsc", "--cap", "0" };
	*p = (results_point){ .id = xstrdup("spsc/c/-/cap=0"), .scenario = xstrdup("spsc"),
		              .target = xstrdup("chanbench"), .workload = xstrdup("spsc"), .impl = xstrdup("c"),
		              .has_size = true, .size = 0, .warmup = 1, .runs = 3, .timeout_s = 1,
		              .hyperfine = xstrdup("hyperfine/000.json"), .samples = xstrdup("samples/000-0.jsonl") };
	add_knob(p, "cap", "0");
	p->argv = strings(&p->argc, argv, 3);
	samples_record exited = { .exited = true, .exit = 1 }, killed = { .exited = false, .signal = 11 };
	results_add_failure(p, -1, false, "hyperfine", NULL, "hyperfine failed (exit status 1): no");
	results_add_failure(p, 1, true, "check failed", &exited, "spsc: check failed: sum: expected 10, got 9");
	results_add_failure(p, 3, false, "crashed", &killed, "killed by signal 11");
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_series_equal(const results_series *a, const results_series *b, bool optional)
{
	assert_int_equal(a->n, b->n);
	if (optional)
		assert_int_equal(a->present, b->present);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(isnan(a->v[i]), isnan(b->v[i]));
		if (!isnan(a->v[i]))
			assert_true(a->v[i] == b->v[i]);
	}
}

static void assert_strings_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

/* Every field of two points. */
static void assert_points_equal(const results_point *a, const results_point *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->scenario, b->scenario);
	assert_string_equal(a->target, b->target);
	assert_str_or_null_equal(a->workload, b->workload);
	assert_string_equal(a->impl, b->impl);
	assert_str_or_null_equal(a->variant, b->variant);
	assert_int_equal(a->reference, b->reference);
	assert_int_equal(a->nknobs, b->nknobs);
	for (size_t k = 0; k < a->nknobs; k++) {
		assert_string_equal(a->knobs[k].name, b->knobs[k].name);
		assert_string_equal(a->knobs[k].value, b->knobs[k].value);
	}
	assert_int_equal(a->has_size, b->has_size);
	assert_int_equal(a->size, b->size);
	assert_strings_equal(a->argv, a->argc, b->argv, b->argc);
	assert_int_equal(a->warmup, b->warmup);
	assert_int_equal(a->runs, b->runs);
	assert_int_equal(a->timeout_s, b->timeout_s);
	assert_int_equal(a->ok, b->ok);
	assert_str_or_null_equal(a->request, b->request);
	assert_int_equal(a->seconds, b->seconds);
	assert_int_equal(a->nfailures, b->nfailures);
	for (size_t i = 0; i < a->nfailures; i++) {
		const results_failure *fa = &a->failures[i], *fb = &b->failures[i];
		assert_int_equal(fa->run, fb->run);
		assert_int_equal(fa->warmup, fb->warmup);
		assert_string_equal(fa->what, fb->what);
		assert_int_equal(fa->has_exit, fb->has_exit);
		assert_int_equal(fa->exit, fb->exit);
		assert_int_equal(fa->has_signal, fb->has_signal);
		assert_int_equal(fa->signal, fb->signal);
		assert_string_equal(fa->message, fb->message);
	}
	assert_series_equal(&a->wall_s, &b->wall_s, false);
	assert_int_equal(a->has_cpu, b->has_cpu);
	assert_true(a->user_s == b->user_s && a->system_s == b->system_s);
	assert_series_equal(&a->ns_per_op, &b->ns_per_op, false);
	assert_series_equal(&a->peak_rss_kb, &b->peak_rss_kb, false);
	assert_series_equal(&a->requests_per_s, &b->requests_per_s, true);
	assert_series_equal(&a->cpu_us_per_request, &b->cpu_us_per_request, true);
	assert_series_equal(&a->p50_us, &b->p50_us, true);
	assert_series_equal(&a->p99_us, &b->p99_us, true);
	assert_series_equal(&a->rss_growth_per_request_b, &b->rss_growth_per_request_b, true);
	assert_int_equal(a->has_ops, b->has_ops);
	assert_int_equal(a->ops, b->ops);
	assert_true(a->check && b->check ? json_equal(a->check, b->check) : a->check == b->check);
	assert_strings_equal(a->lines, a->nlines, b->lines, b->nlines);
	assert_str_or_null_equal(a->hyperfine, b->hyperfine);
	assert_str_or_null_equal(a->samples, b->samples);
	assert_str_or_null_equal(a->wrk_script, b->wrk_script);
}

/* The point's keys, in order, joined by ','. */
static char *keys_of(const json_t *j)
{
	strbuf b = { 0 };
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)j, k, v)
		sb_printf(&b, "%s%s", b.len ? "," : "", k);
	return b.s;
}

static void test_results_point_write_read_is_itself(void **state)
{
	(void)state;
	void (*make[])(results_point *) = { program_point, server_point, failed_point };
	const char *keys[] = {
		"id,scenario,target,workload,impl,variant,reference,knobs,size,argv,warmup,runs,timeout_s,status,"
		"failures,wall_s,user_s,system_s,ns_per_op,peak_rss_kb,ops,check,lines,hyperfine,samples",
		"id,scenario,target,workload,impl,variant,reference,knobs,size,argv,warmup,runs,timeout_s,status,"
		"seconds,request,failures,wall_s,ns_per_op,peak_rss_kb,requests_per_s,cpu_us_per_request,p50_us,"
		"p99_us,rss_growth_per_request_b,ops,check,lines,wrk_script,samples",
		"id,scenario,target,workload,impl,variant,reference,knobs,size,argv,warmup,runs,timeout_s,status,"
		"failures,wall_s,ns_per_op,peak_rss_kb,ops,check,lines,hyperfine,samples",
	};
	for (size_t i = 0; i < sizeof make / sizeof *make; i++) {
		results_point p, back;
		make[i](&p);
		json_t *j = results_point_to_json(&p);
		char *k = keys_of(j);
		assert_string_equal(k, keys[i]);
		free(k);
		char err[256] = "";
		assert_int_equal(results_point_from_json(j, &back, err, sizeof err), 0);
		assert_points_equal(&p, &back);
		/* Written again, the same text: keys, order and types. */
		json_t *again = results_point_to_json(&back);
		char *t1 = json_dumps(j, JSON_PRESERVE_ORDER), *t2 = json_dumps(again, JSON_PRESERVE_ORDER);
		assert_string_equal(t1, t2);
		free(t1);
		free(t2);
		json_decref(again);
		json_decref(j);
		results_point_destroy(&back);
		results_point_destroy(&p);
	}
	/* The types of the JSON: null where absent, integers for sizes and RSS. */
	results_point p;
	failed_point(&p);
	json_t *j = results_point_to_json(&p);
	assert_true(json_is_null(json_object_get(j, "variant")));
	assert_true(json_is_null(json_object_get(j, "ops")) && json_is_null(json_object_get(j, "check")));
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	json_t *f0 = json_array_get(json_object_get(j, "failures"), 0);
	assert_true(json_is_null(json_object_get(f0, "run")) && json_is_null(json_object_get(f0, "exit")));
	json_t *f2 = json_array_get(json_object_get(j, "failures"), 2);
	assert_int_equal(json_integer_value(json_object_get(f2, "signal")), 11);
	assert_true(json_is_null(json_object_get(f2, "exit")));
	json_decref(j);
	results_point_destroy(&p);
	program_point(&p);
	j = results_point_to_json(&p);
	assert_true(json_is_integer(json_array_get(json_object_get(j, "peak_rss_kb"), 0)));
	assert_true(json_is_null(json_array_get(json_object_get(j, "peak_rss_kb"), 1)));
	assert_true(json_is_real(json_array_get(json_object_get(j, "wall_s"), 0)));
	assert_true(json_is_integer(json_object_get(j, "size")));
	assert_true(json_real_value(json_object_get(j, "user_s")) == 0.2931);
	assert_true(json_real_value(json_object_get(j, "system_s")) == 0.0112);

	/* A point of a run made before CPU time was kept: read as not recorded, and written back without it. */
	json_object_del(j, "user_s");
	json_object_del(j, "system_s");
	results_point old;
	char err[256] = "";
	assert_int_equal(results_point_from_json(j, &old, err, sizeof err), 0);
	assert_false(old.has_cpu);
	json_t *again = results_point_to_json(&old);
	assert_null(json_object_get(again, "user_s"));
	assert_null(json_object_get(again, "system_s"));
	json_decref(again);
	results_point_destroy(&old);
	json_decref(j);
	results_point_destroy(&p);
}

/* Every point of a run on disk reads, and writes back to the very same JSON. */
static void assert_run_round_trips(const char *path)
{
	json_error_t je;
	json_t *run = json_load_file(path, 0, &je);
	assert_non_null(run);
	results_point *pts;
	size_t n;
	char err[512] = "";
	if (results_read_points(run, &pts, &n, err, sizeof err) != 0)
		fail_msg("%s: %s", path, err);
	assert_int_equal(n, json_array_size(json_object_get(run, "points")));
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		json_t *j = results_point_to_json(&pts[i]);
		char *t1 = json_dumps(json_array_get(json_object_get(run, "points"), i), JSON_PRESERVE_ORDER);
		char *t2 = json_dumps(j, JSON_PRESERVE_ORDER);
		assert_string_equal(t1, t2);
		free(t1);
		free(t2);
		json_decref(j);
	}
	results_points_free(pts, n);
	json_decref(run);
}

static void test_results_point_checked_in_runs_round_trip(void **state)
{
	(void)state;
	const char *td = getenv("GOC_TESTDATA");
	assert_non_null(td);
	const char *runs[] = { "runs/host-a", "runs/host-b", "runs/server", "../../results/baseline" };
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		char *path = xasprintf("%s/%s/results.json", td, runs[i]);
		assert_run_round_trips(path);
		free(path);
	}
}

/* The JSON of a good program point, changed by `change`; its error must name `key`. */
static void assert_refused(void (*change)(json_t *), const char *expect)
{
	results_point p;
	program_point(&p);
	json_t *j = results_point_to_json(&p);
	results_point_destroy(&p);
	change(j);
	char err[256] = "";
	results_point back;
	assert_int_equal(results_point_from_json(j, &back, err, sizeof err), -1);
	if (!strstr(err, expect))
		fail_msg("expected '%s' in '%s'", expect, err);
	assert_null(back.id);
	json_decref(j);
}

static void drop_ns_per_op(json_t *j) { json_object_del(j, "ns_per_op"); }
static void drop_id(json_t *j) { json_object_del(j, "id"); }
static void runs_as_string(json_t *j) { json_object_set_new(j, "runs", json_string("10")); }
static void knob_as_number(json_t *j) { json_object_set_new(json_object_get(j, "knobs"), "workers", json_integer(4)); }
static void wall_with_string(json_t *j) { json_array_append_new(json_object_get(j, "wall_s"), json_string("1")); }
static void rss_as_real(json_t *j) { json_array_set_new(json_object_get(j, "peak_rss_kb"), 0, json_real(1.5)); }
static void status_unknown(json_t *j) { json_object_set_new(j, "status", json_string("maybe")); }
static void lines_not_array(json_t *j) { json_object_set_new(j, "lines", json_string("{}")); }
static void check_missing(json_t *j) { json_object_del(j, "check"); }
static void user_as_string(json_t *j) { json_object_set_new(j, "user_s", json_string("0.29")); }
static void system_null(json_t *j) { json_object_set_new(j, "system_s", json_null()); }
static void drop_system(json_t *j) { json_object_del(j, "system_s"); }
static void drop_user(json_t *j) { json_object_del(j, "user_s"); }
static void request_without_seconds(json_t *j) { json_object_set_new(j, "request", json_string("GET /")); }
static void failure_without_what(json_t *j)
{
	json_array_append_new(json_object_get(j, "failures"),
	                      json_pack("{s:n, s:b, s:n, s:n, s:s}", "run", "warmup", 0, "exit", "signal", "message", "m"));
}
static void failure_exit_as_string(json_t *j)
{
	json_array_append_new(json_object_get(j, "failures"),
	                      json_pack("{s:i, s:b, s:s, s:s, s:n, s:s}", "run", 1, "warmup", 0, "what", "crashed", "exit",
	                                "1", "signal", "message", "m"));
}

static void test_results_point_malformed_refused_by_key(void **state)
{
	(void)state;
	assert_refused(drop_ns_per_op, "key 'ns_per_op' is missing");
	assert_refused(drop_id, "key 'id' is missing");
	assert_refused(runs_as_string, "key 'runs' is not an integer");
	assert_refused(knob_as_number, "key 'knobs.workers' is not a string");
	assert_refused(wall_with_string, "key 'wall_s' is not an array of numbers and nulls (entry 2)");
	assert_refused(rss_as_real, "key 'peak_rss_kb' is not an array of integers and nulls (entry 0)");
	assert_refused(status_unknown, "key 'status' is not \"ok\" or \"failed\"");
	assert_refused(lines_not_array, "key 'lines' is not an array of strings");
	assert_refused(check_missing, "key 'check' is missing");
	assert_refused(user_as_string, "key 'user_s' is not a number");
	assert_refused(system_null, "key 'system_s' is not a number");
	assert_refused(drop_system, "key 'system_s' is missing");
	assert_refused(drop_user, "key 'user_s' is missing");
	assert_refused(request_without_seconds, "key 'seconds' is missing");
	assert_refused(failure_without_what, "key 'failures[0].what' is missing");
	assert_refused(failure_exit_as_string, "key 'failures[0].exit' is not an integer or null");

	/* A run names the point: its place and its id. */
	results_point p;
	program_point(&p);
	json_t *run = json_pack("{s:i, s:[]}", "schema", 1, "points");
	results_add_point(run, &p);
	results_add_point(run, &p);
	results_point_destroy(&p);
	json_object_del(json_array_get(json_object_get(run, "points"), 1), "samples");
	results_point *pts = NULL;
	size_t n = 5;
	char err[512];
	assert_int_equal(results_read_points(run, &pts, &n, err, sizeof err), -1);
	assert_string_equal(err, "point 2 (workerpool-square/c/chan/job=square,workers=4): key 'samples' is missing");
	assert_null(pts);
	assert_int_equal(n, 0);
	json_array_set_new(json_object_get(run, "points"), 1, json_string("x"));
	assert_int_equal(results_read_points(run, &pts, &n, err, sizeof err), -1);
	assert_string_equal(err, "point 2: not a JSON object");
	json_decref(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_results_new_write_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_load_refuses_other_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_resolve_names, setup, teardown),
		cmocka_unit_test(test_results_point_write_read_is_itself),
		cmocka_unit_test(test_results_point_checked_in_runs_round_trip),
		cmocka_unit_test(test_results_point_malformed_refused_by_key),
	};
	return cmocka_run_group_tests_name("results", tests, NULL, NULL);
}
