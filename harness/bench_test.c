/*
 * bench_test.c - goc bench, baseline and compare end to end: the real goc
 * binary runs a fake target (testdata/fake_target.c) that crashes, hangs,
 * fails its check or prints bad output on request, in a scratch folder with
 * its own target manifest, scenarios and results. Each failure must be
 * recorded as such without stopping the rest; a bad scenario must stop
 * everything before anything runs; Ctrl-C must keep the finished points.
 *
 * GOC_BIN, GOC_FAKE_TARGET and GOC_FAKE_SERVER (testdata/fake_server.c; set by
 * CMake) name the executables.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util.h"

typedef struct scratch {
	char dir[64];
	char *build, *scenarios, *results;
} scratch;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A scratch folder with a manifest listing the fake target, and a scenario file. */
static int setup(void **state)
{
	scratch *s = calloc(1, sizeof *s);
	strcpy(s->dir, "/tmp/goc-bench-test-XXXXXX");
	if (!mkdtemp(s->dir))
		return -1;
	s->build = xasprintf("%s/build", s->dir);
	s->scenarios = xasprintf("%s/scenarios", s->dir);
	s->results = xasprintf("%s/results", s->dir);
	mkdir_p(s->build, 0755);
	mkdir_p(s->scenarios, 0755);
	char *manifest = xasprintf("%s/goc-targets.ini", s->build);
	char *text = xasprintf("[targets]\nfake = %s\nfake_server = %s\n", getenv("GOC_FAKE_TARGET"),
	                       getenv("GOC_FAKE_SERVER"));
	write_file(manifest, text);
	free(manifest);
	free(text);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	scratch *s = *state;
	char *argv[] = { "rm", "-rf", s->dir, NULL };
	int status;
	char err[128];
	run_capture(argv, 0, NULL, NULL, &status, err, sizeof err);
	free(s->build);
	free(s->scenarios);
	free(s->results);
	free(s);
	return 0;
}

static void scenario_file(scratch *s, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", s->scenarios, name);
	write_file(path, text);
	free(path);
}

/* Run goc with the scratch folders and these arguments; its exit status. */
static int goc(scratch *s, strbuf *out, strbuf *errout, ...)
{
	char *argv[32] = { getenv("GOC_BIN"), "--build", s->build, "--scenarios", s->scenarios,
	                   "--results", s->results };
	int argc = 7;
	va_list ap;
	va_start(ap, errout);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	int status;
	char err[256];
	assert_int_equal(run_capture(argv, 1 << 20, out, errout, &status, err, sizeof err), 0);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static json_t *load_latest(scratch *s)
{
	char *path = xasprintf("%s/latest/results.json", s->results);
	json_error_t je;
	json_t *run = json_load_file(path, 0, &je);
	free(path);
	assert_non_null(run);
	return run;
}

static json_t *point(json_t *run, const char *variant)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(run, "points"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "variant")), variant) == 0)
			return p;
	fail_msg("no point for variant %s", variant);
	return NULL;
}

static const char *first_failure(json_t *p, const char *field)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(p, "failures"), 0), field));
}

static void test_bench_each_failure_recorded_rest_run(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini",
	              "[fake]\ntarget = fake\nvariants = ok, crash, check, silent, wrong-variant, flaky, big-check\n"
	              "suites = t\nruns = 3\nwarmup = 0\nsize = 1000\ncheck = integer\n"
	              "[fake-hang]\ntarget = fake\nvariants = hang, ok\nsuites = t\nruns = 3\nwarmup = 0\ntimeout = 1\n");
	strbuf out = { 0 }, err = { 0 };
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 1);
	json_t *run = load_latest(s);
	assert_string_equal(json_string_value(json_object_get(run, "state")), "complete");
	assert_int_equal(json_array_size(json_object_get(run, "points")), 9);

	json_t *ok = point(run, "ok");
	assert_string_equal(json_string_value(json_object_get(ok, "status")), "ok");
	assert_int_equal(json_array_size(json_object_get(ok, "ns_per_op")), 3);
	assert_int_equal(json_array_size(json_object_get(ok, "wall_s")), 3);
	/* fake_target reports 10 ns per op. */
	assert_true(json_real_value(json_array_get(json_object_get(ok, "ns_per_op"), 0)) == 10.0);
	assert_int_equal(json_integer_value(json_object_get(ok, "check")), 2000);
	/* hyperfine's mean CPU seconds per run; fake_target exits at once, so they are small. */
	for (const char *const *k = (const char *const[]){ "user_s", "system_s", NULL }; *k; k++) {
		json_t *cpu = json_object_get(ok, *k);
		assert_true(json_is_number(cpu));
		assert_true(json_number_value(cpu) >= 0 && json_number_value(cpu) < 1);
	}

	json_t *crash = point(run, "crash");
	assert_string_equal(json_string_value(json_object_get(crash, "status")), "failed");
	assert_int_equal(json_array_size(json_object_get(crash, "failures")), 3);
	assert_string_equal(first_failure(crash, "what"), "crashed");
	assert_non_null(strstr(first_failure(crash, "message"), "signal 6"));
	assert_int_equal(json_array_size(json_object_get(crash, "ns_per_op")), 0);

	assert_string_equal(first_failure(point(run, "check"), "what"), "check failed");
	assert_non_null(strstr(first_failure(point(run, "check"), "message"), "expected 10, got 9"));
	assert_string_equal(first_failure(point(run, "silent"), "what"), "bad output");
	assert_non_null(strstr(first_failure(point(run, "wrong-variant"), "message"), "variant is 'other'"));
	/* flaky's first run is accepted; the next ones differ from it. */
	json_t *flaky = point(run, "flaky");
	assert_int_equal(json_array_size(json_object_get(flaky, "failures")), 2);
	assert_non_null(strstr(first_failure(flaky, "message"), "differ"));
	/* A check past INT64_MAX is kept, as a decimal string. */
	json_t *big = point(run, "big-check");
	assert_string_equal(json_string_value(json_object_get(big, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(big, "check")), "18446744073709551614");

	json_t *hang = point(run, "hang");
	assert_string_equal(first_failure(hang, "what"), "timeout");
	assert_int_equal(json_array_size(json_object_get(hang, "failures")), 3);
	json_decref(run);
	/* The summary names the failures. */
	assert_non_null(strstr(sb_str(&err), "FAILED"));
	assert_non_null(strstr(sb_str(&err), "6 failed"));
	sb_free(&out);
	sb_free(&err);
}

/*
 * A server scenario: every run starts the server, loads it with wrk and
 * stops it; each way a server can fail is recorded against its point, and
 * the rest run.
 */
static void test_bench_server_failures_recorded(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini",
	              "[srv]\ntarget = fake_server\nvariants = ok, exit-1, crash, hang, no-line, status-500\n"
	              "suites = t\nrequest = GET /x\nknob.connections = 2\nruns = 3\nwarmup = 0\nseconds = 1\n"
	              "timeout = 2\n");
	strbuf out = { 0 }, err = { 0 };
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 1);
	json_t *run = load_latest(s);
	assert_int_equal(json_array_size(json_object_get(run, "points")), 6);

	json_t *ok = point(run, "ok");
	assert_string_equal(json_string_value(json_object_get(ok, "status")), "ok");
	assert_string_equal(json_string_value(json_object_get(ok, "request")), "GET /x");
	const char *keys[] = { "ns_per_op", "requests_per_s", "cpu_us_per_request", "p50_us", "p99_us", "peak_rss_kb",
		               "lines" };
	for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
		assert_int_equal(json_array_size(json_object_get(ok, keys[k])), 3);
	/* ns per request and requests/s are one figure both ways. */
	double nsop = json_real_value(json_array_get(json_object_get(ok, "ns_per_op"), 0));
	double rps = json_real_value(json_array_get(json_object_get(ok, "requests_per_s"), 0));
	assert_true(rps > 0 && nsop * rps > 0.999e9 && nsop * rps < 1.001e9);
	/* GET stores nothing: no growth per request. */
	assert_null(json_object_get(ok, "rss_growth_per_request_b"));
	/* A server's CPU time is cpu_us_per_request; hyperfine's figures are a program's. */
	assert_null(json_object_get(ok, "user_s"));
	assert_null(json_object_get(ok, "system_s"));
	/* The server gets --port 0 and no --connections, which is wrk's. */
	char *argv = json_dumps(json_object_get(ok, "argv"), JSON_COMPACT);
	assert_non_null(strstr(argv, "\"--variant\",\"ok\",\"--port\",\"0\"]"));
	free(argv);

	const struct {
		const char *variant, *what, *message;
	} want[] = {
		{ "exit-1", "exit status", "exit status 1 after SIGTERM" },
		{ "crash", "crashed", "signal 6" },
		{ "hang", "hung", "still running 2 s after SIGTERM" },
		{ "no-line", "server", "no 'listening on' line within 2 s" },
		{ "status-500", "bad answers", "answers outside 2xx/3xx" },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		json_t *p = point(run, want[i].variant);
		assert_string_equal(json_string_value(json_object_get(p, "status")), "failed");
		assert_int_equal(json_array_size(json_object_get(p, "failures")), 3);
		assert_string_equal(first_failure(p, "what"), want[i].what);
		if (!strstr(first_failure(p, "message"), want[i].message))
			fail_msg("%s: '%s' does not say '%s'", want[i].variant, first_failure(p, "message"), want[i].message);
		assert_int_equal(json_array_size(json_object_get(p, "ns_per_op")), 0);
	}
	json_decref(run);
	assert_non_null(strstr(sb_str(&err), "5 failed"));
	sb_free(&out);
	sb_free(&err);

	/* A flag takes no value, so no knob can set it. */
	scenario_file(s, "fake.ini", "[srv]\ntarget = fake_server\nsuites = t\nrequest = GET /x\nknob.log = 1\n");
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:5: [srv]: knob.log: --log is a flag, which takes no value ('1')"));
	sb_free(&out);
	sb_free(&err);

	/* A target without --port is no server. */
	scenario_file(s, "fake.ini", "[srv]\ntarget = fake\nsuites = t\nrequest = GET /x\n");
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:4: [srv]: target 'fake' is not a server (it takes no --port)"));
	sb_free(&out);
	sb_free(&err);
}

static void test_bench_bad_scenario_nothing_runs(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini", "[fake]\ntarget = fake\nvariants = ok, nosuch\nsuites = t\n");
	strbuf out = { 0 }, err = { 0 };
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:3: [fake]: variants: 'nosuch' is not one of"));
	assert_false(path_exists(s->results));
	sb_free(&err);

	scenario_file(s, "fake.ini", "[fake]\ntarget = fake\nknob.workers = 1\nsuites = t\n");
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:3: [fake]: target 'fake' has no knob 'workers'"));
	sb_free(&err);

	/* A size past the target's own range, for the suite that runs. */
	scenario_file(s, "fake.ini", "[fake]\ntarget = fake\nsuites = t, u\nsize.t = 2000000\n");
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:4: [fake]: size: 2000000 is out of range (1..1000000)"));
	sb_free(&err);

	scenario_file(s, "fake.ini", "[fake]\ntarget = nosuch\nsuites = t\n");
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 2);
	assert_non_null(strstr(sb_str(&err), "fake.ini:2: [fake]: unknown target 'nosuch'"));
	assert_false(path_exists(s->results));
	sb_free(&out);
	sb_free(&err);
}

static void test_bench_interrupted_keeps_finished_points(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini",
	              "[a]\ntarget = fake\nvariants = ok\nsuites = t\nruns = 3\nwarmup = 0\n"
	              "[b]\ntarget = fake\nvariants = hang\nsuites = t\nruns = 3\nwarmup = 0\ntimeout = 600\n");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		execl(getenv("GOC_BIN"), "goc", "--build", s->build, "--scenarios", s->scenarios, "--results",
		      s->results, "bench", "--suite", "t", (char *)NULL);
		_exit(127);
	}
	/* Wait until the first point is saved, then interrupt as Ctrl-C would. */
	char *path = xasprintf("%s/latest/results.json", s->results);
	bool saved = false;
	for (int i = 0; i < 1000 && !saved; i++) {
		usleep(20000);
		char *text = file_read(path, NULL);
		saved = text && strstr(text, "\"a/c/ok/-\"");
		free(text);
	}
	free(path);
	assert_true(saved);
	usleep(200000);
	assert_int_equal(kill(pid, SIGINT), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 130);
	json_t *run = load_latest(s);
	assert_string_equal(json_string_value(json_object_get(run, "state")), "interrupted");
	assert_int_equal(json_array_size(json_object_get(run, "points")), 1);
	assert_string_equal(json_string_value(json_object_get(point(run, "ok"), "status")), "ok");
	json_decref(run);
}

static void test_compare_same_run_nothing_slower(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini", "[a]\ntarget = fake\nvariants = ok\nsuites = t\nruns = 5\n");
	strbuf out = { 0 }, err = { 0 };
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 0);
	sb_free(&out);
	assert_int_equal(goc(s, &out, &err, "compare", "latest", "latest", NULL), 0);
	assert_non_null(strstr(sb_str(&out), "a/c/ok/-"));
	assert_non_null(strstr(sb_str(&out), "0 slower, 0 faster, 1 unchanged"));
	sb_free(&out);
	assert_int_equal(goc(s, &out, &err, "compare", "latest", "nosuch", NULL), 1);
	assert_non_null(strstr(sb_str(&err), "no run 'nosuch'"));
	sb_free(&out);
	sb_free(&err);
}

static void test_baseline_go_without_go_skipped(void **state)
{
	scratch *s = *state;
	scenario_file(s, "fake.ini", "[a]\ntarget = fake\nvariants = ok\ngo = nosuch\nsuites = t\nruns = 3\n");
	strbuf out = { 0 }, err = { 0 };
	assert_int_equal(goc(s, &out, &err, "bench", "--suite", "t", NULL), 0);
	sb_free(&err);
	/* No go on PATH and no program built: a note, exit 0, the run unchanged. */
	char *old_path = xstrdup(getenv("PATH"));
	setenv("PATH", "/nonexistent", 1);
	char *argv[] = { getenv("GOC_BIN"), "--build", s->build, "--scenarios", s->scenarios, "--results",
	                 s->results, "--go-dir", s->dir, "baseline", "go", NULL };
	int status;
	char e[256];
	assert_int_equal(run_capture(argv, 1 << 16, &out, &err, &status, e, sizeof e), 0);
	setenv("PATH", old_path, 1);
	free(old_path);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(sb_str(&err), "skipped: Go is not installed"));
	json_t *run = load_latest(s);
	assert_int_equal(json_array_size(json_object_get(run, "points")), 1);
	json_decref(run);
	sb_free(&out);
	sb_free(&err);
}

/* --with go: the Go twin's points come from the same hyperfine invocation as the C variants'. */
static void test_bench_with_go_same_invocation(void **state)
{
	scratch *s = *state;
	char *twin = xasprintf("%s/fakego", s->dir);
	assert_int_equal(symlink(getenv("GOC_FAKE_TARGET"), twin), 0);
	scenario_file(s, "fake.ini",
	              "[a]\ntarget = fake\nvariants = ok, crash\ngo = fakego\ngo.variants = ok\nsuites = t\n"
	              "runs = 3\nwarmup = 0\n");
	/* A note beside the scenario file goes into the run, as one paragraph. */
	char *notes = xasprintf("%s/notes", s->scenarios);
	assert_int_equal(mkdir_p(notes, 0755), 0);
	scenario_file(s, "notes/a.md", "Why it is so,\nin two lines.\n");
	free(notes);
	strbuf out = { 0 }, err = { 0 };
	char *argv[] = { getenv("GOC_BIN"), "--build", s->build, "--scenarios", s->scenarios, "--results",
	                 s->results, "--go-dir", s->dir, "bench", "--with", "go", "a", NULL };
	int status;
	char e[256];
	assert_int_equal(run_capture(argv, 1 << 20, &out, &err, &status, e, sizeof e), 0);
	assert_int_equal(WEXITSTATUS(status), 1); /* the crash variant */
	json_t *run = load_latest(s);
	json_t *points = json_object_get(run, "points");
	/* C ok, C crash, then Go ok, all from one hyperfine invocation. */
	assert_int_equal(json_array_size(points), 3);
	const char *hf = json_string_value(json_object_get(json_array_get(points, 0), "hyperfine"));
	for (size_t i = 0; i < 3; i++) {
		json_t *p = json_array_get(points, i);
		assert_string_equal(json_string_value(json_object_get(p, "hyperfine")), hf);
		assert_string_equal(json_string_value(json_object_get(p, "impl")), i == 2 ? "go" : "c");
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(points, 2), "status")), "ok");
	assert_non_null(json_object_get(json_object_get(run, "tools"), "go"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(run, "notes"), "a")),
	                    "Why it is so, in two lines.");
	json_decref(run);
	/* The report prints it under the scenario's facts. */
	char *md = xasprintf("%s/R.md", s->dir);
	assert_int_equal(goc(s, &out, &err, "report", "--out", md, NULL), 0);
	char *text = file_read(md, NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "**Why:** Why it is so, in two lines."));
	free(text);
	free(md);
	sb_free(&out);
	sb_free(&err);

	/* A Go twin that is not built: refused before anything runs. */
	unlink(twin);
	assert_int_equal(run_capture(argv, 1 << 20, &out, &err, &status, e, sizeof e), 0);
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_non_null(strstr(sb_str(&err), "--with go"));
	free(twin);
	sb_free(&out);
	sb_free(&err);
}

int main(void)
{
	if (!getenv("GOC_BIN") || !getenv("GOC_FAKE_TARGET")) {
		fprintf(stderr, "bench_test: set GOC_BIN and GOC_FAKE_TARGET\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bench_each_failure_recorded_rest_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bench_bad_scenario_nothing_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bench_server_failures_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bench_interrupted_keeps_finished_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compare_same_run_nothing_slower, setup, teardown),
		cmocka_unit_test_setup_teardown(test_baseline_go_without_go_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bench_with_go_same_invocation, setup, teardown),
	};
	return cmocka_run_group_tests_name("goc_bench", tests, NULL, NULL);
}
