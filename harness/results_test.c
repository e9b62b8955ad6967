/*
 * results_test.c - the results writer and reader: a new run carries the
 * machine and build, survives a write and a read unchanged, is written
 * atomically (no temporary file left, an old file replaced whole), and a
 * file that is not a goc run of this schema is refused with a reason.
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

#include "results.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_results_new_write_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_load_refuses_other_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_resolve_names, setup, teardown),
	};
	return cmocka_run_group_tests_name("results", tests, NULL, NULL);
}
