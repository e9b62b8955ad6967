/*
 * samples_test.c - the parsers of what a timed command leaves behind, on
 * recorded files (testdata/samples: a real hyperfine export with one and
 * with three commands, goc exec records of a real run, a real ctest JUnit
 * file) and on hand-made lines for each way a run can fail.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "junit.h"
#include "samples.h"
#include "util.h"

static char *testdata(const char *name)
{
	const char *dir = getenv("GOC_TESTDATA");
	char *path = xasprintf("%s/samples/%s", dir ? dir : "testdata", name);
	char *text = file_read(path, NULL);
	if (!text)
		fail_msg("cannot read %s", path);
	free(path);
	return text;
}

static void test_hf_parse_recorded_one_command(void **state)
{
	(void)state;
	char *text = testdata("hyperfine-spsc.json");
	samples_command *c;
	size_t n;
	char err[256];
	assert_int_equal(samples_parse_hyperfine(text, &c, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].name, "spsc/c/-/cap=0");
	assert_int_equal(c[0].ntimes, 10);
	assert_int_equal(c[0].nexit, 10);
	assert_true(c[0].times[0] == 0.017995481);
	assert_int_equal(c[0].exit_codes[9], 0);
	assert_true(c[0].user_s == 0.013136899999999998);
	assert_true(c[0].system_s == 0.0035619);
	samples_free_hyperfine(c, n);
	free(text);
}

static void test_hf_parse_recorded_three_commands_in_order(void **state)
{
	(void)state;
	char *text = testdata("hyperfine-pipeline.json");
	samples_command *c;
	size_t n;
	char err[256];
	assert_int_equal(samples_parse_hyperfine(text, &c, &n, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].name, "pipeline/c/unbuffered/-");
	assert_string_equal(c[2].name, "pipeline/c/batched/-");
	assert_true(c[1].times[0] == 0.007482656000000001);
	assert_true(c[2].user_s == 0.0020886999999999998 && c[2].system_s == 0.0002628);
	samples_free_hyperfine(c, n);
	free(text);
}

static void test_hf_parse_null_exit_code_minus_one(void **state)
{
	(void)state;
	const char *text = "{\"results\":[{\"command\":\"x\",\"times\":[0.5,0.25],\"exit_codes\":[0,null]}]}";
	samples_command *c;
	size_t n;
	char err[256];
	assert_int_equal(samples_parse_hyperfine(text, &c, &n, err, sizeof err), 0);
	assert_int_equal(c[0].exit_codes[1], -1);
	assert_true(c[0].times[1] == 0.25);
	/* No user and system times: not recorded, not zero. */
	assert_true(isnan(c[0].user_s) && isnan(c[0].system_s));
	samples_free_hyperfine(c, n);
}

static void test_hf_parse_not_an_export_error(void **state)
{
	(void)state;
	samples_command *c;
	size_t n;
	char err[256];
	assert_int_equal(samples_parse_hyperfine("{\"results\": 3}", &c, &n, err, sizeof err), -1);
	assert_string_equal(err, "not a hyperfine export");
	assert_int_equal(samples_parse_hyperfine("{\"results\": [{\"times\": []}]}", &c, &n, err, sizeof err), -1);
	assert_string_equal(err, "hyperfine export: result 0 has no command or times");
	assert_int_equal(samples_parse_hyperfine("{", &c, &n, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a hyperfine export: "));
	assert_null(c);
	assert_int_equal(n, 0);
}

/* Judge one record line against an expectation; the failure kind or NULL. */
static const char *judge(const char *line, const char *variant, scenario_check check, char *msg, size_t len,
                         samples_line *tl)
{
	samples_record r;
	char err[256];
	assert_int_equal(samples_parse_record(line, &r, err, sizeof err), 0);
	samples_expect e = { NULL, variant, check };
	const char *kind = samples_judge(&r, &e, tl, msg, len);
	samples_free_record(&r);
	return kind;
}

static void test_judge_recorded_runs_ok(void **state)
{
	(void)state;
	char *text = testdata("spsc-cap0.jsonl");
	size_t runs = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), runs++) {
		char msg[256];
		samples_line tl;
		assert_null(judge(line, "cap0", SCENARIO_CHECK_INTEGER, msg, sizeof msg, &tl));
		assert_int_equal(tl.ops, 5000);
		assert_int_equal(json_integer_value(tl.check), 12502500);
		assert_true(tl.ns_per_op > 0);
		samples_free_line(&tl);
	}
	assert_int_equal(runs, 11);
	free(text);
}

static void test_judge_failures_kind_and_message(void **state)
{
	(void)state;
	char msg[256];
	samples_line tl;
	assert_string_equal(judge("{\"exit\":null,\"signal\":9,\"timeout\":true,\"stdout\":\"\",\"stderr\":\"x\\nlast\\n\"}",
	                          NULL, SCENARIO_CHECK_ANY, msg, sizeof msg, &tl), "timeout");
	assert_string_equal(msg, "killed after its time was up; last stderr line: last");
	assert_string_equal(judge("{\"exit\":null,\"signal\":6,\"timeout\":false,\"stdout\":\"\",\"stderr\":\"panic: close of closed channel\\n\"}",
	                          NULL, SCENARIO_CHECK_ANY, msg, sizeof msg, &tl), "crashed");
	assert_string_equal(msg, "killed by signal 6 (Aborted): panic: close of closed channel");
	assert_string_equal(judge("{\"exit\":1,\"signal\":null,\"timeout\":false,\"stdout\":\"\",\"stderr\":\"t: check failed: sum: expected 1, got 2\\n\"}",
	                          NULL, SCENARIO_CHECK_ANY, msg, sizeof msg, &tl), "check failed");
	assert_string_equal(msg, "t: check failed: sum: expected 1, got 2");
	assert_string_equal(judge("{\"exit\":2,\"signal\":null,\"timeout\":false,\"stdout\":\"\",\"stderr\":\"\"}",
	                          NULL, SCENARIO_CHECK_ANY, msg, sizeof msg, &tl), "usage error");
	assert_string_equal(msg, "exit status 2, nothing on stderr");
	/* TSan exits 66 when it reports a race. */
	assert_string_equal(judge("{\"exit\":66,\"signal\":null,\"timeout\":false,\"stdout\":\"\",\"stderr\":\"SUMMARY: ThreadSanitizer: data race\\n\"}",
	                          NULL, SCENARIO_CHECK_ANY, msg, sizeof msg, &tl), "crashed");
	assert_string_equal(msg, "SUMMARY: ThreadSanitizer: data race");
}

static void test_judge_bad_lines_bad_output(void **state)
{
	(void)state;
	char msg[256];
	samples_line tl;
	const char *ok = "{\"exit\":0,\"signal\":null,\"timeout\":false,\"stderr\":\"\",\"stdout\":";
	struct {
		const char *stdout_json;
		const char *variant;
		scenario_check check;
		const char *message;
	} cases[] = {
		{ "\"hello\\n\"", NULL, SCENARIO_CHECK_ANY, "the last line of stdout is not a JSON object: 'hello'" },
		{ "\"\"", NULL, SCENARIO_CHECK_ANY, "the last line of stdout is not a JSON object: ''" },
		{ "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"b\\\",\\\"ops\\\":1,\\\"ns_per_op\\\":1,\\\"check\\\":1}\"",
		  "a", SCENARIO_CHECK_ANY, "variant is 'b', asked for 'a'" },
		{ "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"a\\\",\\\"ops\\\":0,\\\"ns_per_op\\\":1,\\\"check\\\":1}\"",
		  "a", SCENARIO_CHECK_ANY, "ops is not a positive integer in '{\"workload\":\"w\",\"variant\":\"a\",\"ops\":0,\"ns_per_op\":1,\"check\":1}'" },
		{ "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"a\\\",\\\"ops\\\":3,\\\"ns_per_op\\\":1,\\\"check\\\":\\\"x\\\"}\"",
		  "a", SCENARIO_CHECK_INTEGER, "check is not an integer" },
		{ "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"a\\\",\\\"ops\\\":3,\\\"ns_per_op\\\":1}\"",
		  "a", SCENARIO_CHECK_ANY, "check is not a value" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *line = xasprintf("%s%s}", ok, cases[i].stdout_json);
		assert_string_equal(judge(line, cases[i].variant, cases[i].check, msg, sizeof msg, &tl), "bad output");
		assert_string_equal(msg, cases[i].message);
		free(line);
	}
}

static void test_judge_check_past_int64_kept_as_string(void **state)
{
	(void)state;
	char msg[256];
	samples_line tl;
	const char *line = "{\"exit\":0,\"signal\":null,\"timeout\":false,\"stderr\":\"\",\"stdout\":"
	                   "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"a\\\",\\\"ops\\\":3,\\\"ns_per_op\\\":1.5,"
	                   "\\\"check\\\":18446744073709551615,\\\"peak_rss_kb\\\":7}\\n\"}";
	assert_null(judge(line, "a", SCENARIO_CHECK_INTEGER, msg, sizeof msg, &tl));
	assert_string_equal(json_string_value(tl.check), "18446744073709551615");
	assert_int_equal(json_integer_value(tl.peak_rss_kb), 7);
	samples_free_line(&tl);
	/* INT64_MAX itself is still an integer. */
	line = "{\"exit\":0,\"signal\":null,\"timeout\":false,\"stderr\":\"\",\"stdout\":"
	       "\"{\\\"workload\\\":\\\"w\\\",\\\"variant\\\":\\\"a\\\",\\\"ops\\\":3,\\\"ns_per_op\\\":1.5,"
	       "\\\"check\\\":9223372036854775807}\"}";
	assert_null(judge(line, "a", SCENARIO_CHECK_INTEGER, msg, sizeof msg, &tl));
	assert_true(json_integer_value(tl.check) == INT64_MAX);
	samples_free_line(&tl);
}

static void test_record_parse_not_a_record_error(void **state)
{
	(void)state;
	samples_record r;
	char err[256];
	assert_int_equal(samples_parse_record("{\"exit\":0}", &r, err, sizeof err), -1);
	assert_string_equal(err, "not a goc exec record");
	assert_int_equal(samples_parse_record("nope", &r, err, sizeof err), -1);
}

static void test_junit_recorded_counts(void **state)
{
	(void)state;
	char *text = testdata("ctest-junit.xml");
	char err[256];
	json_t *s = junit_summary_text(text, "ctest-junit.xml", err, sizeof err);
	assert_non_null(s);
	assert_int_equal(json_integer_value(json_object_get(s, "passed")), 7);
	assert_int_equal(json_integer_value(json_object_get(s, "failed")), 0);
	json_decref(s);
	free(text);

	const char *failing = "<testsuite tests=\"3\">\n<testcase name=\"a\" status=\"run\"/>\n"
	                      "<testcase name=\"b\" classname=\"b\" status=\"fail\">&lt;testcase name=\"c\"</testcase>\n"
	                      "<testcase name=\"d\" status=\"notrun\"/>\n</testsuite>";
	s = junit_summary_text(failing, "x", err, sizeof err);
	assert_int_equal(json_integer_value(json_object_get(s, "passed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(s, "skipped")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "failed_names"), 0)), "b");
	json_decref(s);
	assert_null(junit_summary_text("<html/>", "x.xml", err, sizeof err));
	assert_string_equal(err, "x.xml: not a JUnit file (no <testsuite>)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hf_parse_recorded_one_command),
		cmocka_unit_test(test_hf_parse_recorded_three_commands_in_order),
		cmocka_unit_test(test_hf_parse_null_exit_code_minus_one),
		cmocka_unit_test(test_hf_parse_not_an_export_error),
		cmocka_unit_test(test_judge_recorded_runs_ok),
		cmocka_unit_test(test_judge_failures_kind_and_message),
		cmocka_unit_test(test_judge_bad_lines_bad_output),
		cmocka_unit_test(test_judge_check_past_int64_kept_as_string),
		cmocka_unit_test(test_record_parse_not_a_record_error),
		cmocka_unit_test(test_junit_recorded_counts),
	};
	return cmocka_run_group_tests_name("samples", tests, NULL, NULL);
}
