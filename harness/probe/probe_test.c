/*
 * probe_test.c - the probe library's tests: the command-line parser's
 * accepted forms and each of its one-line errors, and the exact text of
 * the JSON line, since the harness reads it with
 * plain pattern matching and the Go baseline prints the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

static const probe_word workloads[] = {
	{ "pingpong", "ping" },
	{ "spsc", "one to one" },
};

static const char *const colours[] = { "red", "green", NULL };

/* A fixture: a fresh command line with defaults, as a target would build it. */
typedef struct cli_fixture {
	uint64_t size;
	uint64_t cap;
	const char *variant;
	probe_opt opts[3];
	probe_cli cli;
	char err[256];
} cli_fixture;

static int setup_cli(void **state)
{
	static cli_fixture f;
	memset(&f, 0, sizeof f);
	f.size = 7;
	f.cap = 0;
	f.variant = "red";
	f.opts[0] = (probe_opt){ .name = "--size", .metavar = "N", .help = "size",
	                         .kind = PROBE_OPT_UINT, .u = &f.size, .min = 1, .max = 1000 };
	f.opts[1] = (probe_opt){ .name = "--cap", .metavar = "N", .help = "capacity",
	                         .kind = PROBE_OPT_UINT, .u = &f.cap, .min = 0, .max = UINT64_MAX };
	f.opts[2] = (probe_opt){ .name = "--variant", .metavar = "V", .help = "colour",
	                         .kind = PROBE_OPT_STRING, .s = &f.variant, .choices = colours };
	f.cli = (probe_cli){ .prog = "t", .summary = "test", .workloads = workloads, .nworkloads = 2,
	                     .opts = f.opts, .nopts = 3 };
	*state = &f;
	return 0;
}

/* Parse a NULL-terminated list of arguments after the program name. */
static probe_parse_status parse(cli_fixture *f, ...)
{
	char *argv[16] = { "t" };
	int argc = 1;
	va_list ap;
	va_start(ap, f);
	for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	return probe_parse_args(&f->cli, argc, argv, f->err, sizeof f->err);
}

static void test_parse_workload_and_flags_ok(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "--size", "12", "spsc", "--cap=1024", "--variant", "green", NULL), PROBE_PARSE_OK);
	assert_int_equal(f->cli.workload, 1);
	assert_true(f->size == 12);
	assert_true(f->cap == 1024);
	assert_string_equal(f->variant, "green");
	assert_true(f->opts[0].given);
	assert_true(f->opts[1].given);
}

static void test_parse_defaults_kept_not_given(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "pingpong", NULL), PROBE_PARSE_OK);
	assert_int_equal(f->cli.workload, 0);
	assert_true(f->size == 7);
	assert_false(f->opts[0].given);
}

static void test_parse_help_anywhere_help(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "bogus", "--help", NULL), PROBE_PARSE_HELP);
	assert_int_equal(parse(f, "spsc", "--help", NULL), PROBE_PARSE_HELP);
	assert_int_equal(parse(f, "-h", NULL), PROBE_PARSE_HELP);
}

static void test_parse_describe_alone_describe(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "--describe", NULL), PROBE_PARSE_DESCRIBE);
	/* Not a flag among others: the harness passes it alone. */
	assert_int_equal(parse(f, "spsc", "--describe", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "unknown flag '--describe'");
}

static void test_describe_exact(void **state)
{
	cli_fixture *f = *state;
	char buf[1024];
	int n = probe_describe_format(&f->cli, buf, sizeof buf);
	assert_string_equal(buf,
		"{\"prog\":\"t\",\"summary\":\"test\",\"workloads\":["
		"{\"name\":\"pingpong\",\"help\":\"ping\"},{\"name\":\"spsc\",\"help\":\"one to one\"}],"
		"\"options\":["
		"{\"flag\":\"--size\",\"metavar\":\"N\",\"help\":\"size\",\"kind\":\"uint\",\"default\":7,\"min\":1,\"max\":1000},"
		"{\"flag\":\"--cap\",\"metavar\":\"N\",\"help\":\"capacity\",\"kind\":\"uint\",\"default\":0,\"min\":0,\"max\":18446744073709551615},"
		"{\"flag\":\"--variant\",\"metavar\":\"V\",\"help\":\"colour\",\"kind\":\"string\",\"default\":\"red\",\"choices\":[\"red\",\"green\"]}]}");
	assert_int_equal(n, (int)strlen(buf));
	/* A short buffer still says how much the whole text needs. */
	char small[8];
	assert_int_equal(probe_describe_format(&f->cli, small, sizeof small), n);
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* A flag: `--log` alone sets it; a value is an error; --describe says "flag". */
static void test_parse_flag_without_value_set(void **state)
{
	(void)state;
	bool log = false;
	uint64_t port = 80;
	probe_opt opts[] = {
		{ .name = "--log", .help = "log", .kind = PROBE_OPT_FLAG, .b = &log },
		{ .name = "--port", .metavar = "N", .help = "port", .kind = PROBE_OPT_UINT, .u = &port,
		  .max = 65535 },
	};
	probe_cli cli = { .prog = "t", .summary = "test", .opts = opts, .nopts = 2 };
	char err[256];
	char *none[] = { "t", "--port", "8" };
	assert_int_equal(probe_parse_args(&cli, 3, none, err, sizeof err), PROBE_PARSE_OK);
	assert_false(log);
	assert_false(opts[0].given);
	char buf[512];
	int n = probe_describe_format(&cli, buf, sizeof buf);
	assert_string_equal(buf,
		"{\"prog\":\"t\",\"summary\":\"test\",\"workloads\":[],\"options\":["
		"{\"flag\":\"--log\",\"metavar\":\"\",\"help\":\"log\",\"kind\":\"flag\",\"default\":false},"
		"{\"flag\":\"--port\",\"metavar\":\"N\",\"help\":\"port\",\"kind\":\"uint\",\"default\":8,\"min\":0,\"max\":65535}]}");
	assert_int_equal(n, (int)strlen(buf));
	/* The flag does not swallow the argument after it. */
	char *given[] = { "t", "--log", "--port", "9" };
	assert_int_equal(probe_parse_args(&cli, 4, given, err, sizeof err), PROBE_PARSE_OK);
	assert_true(log);
	assert_true(opts[0].given);
	assert_true(port == 9);
	char *valued[] = { "t", "--log=yes" };
	assert_int_equal(probe_parse_args(&cli, 2, valued, err, sizeof err), PROBE_PARSE_ERROR);
	assert_string_equal(err, "--log takes no value");
	char *positional[] = { "t", "--log", "yes" };
	assert_int_equal(probe_parse_args(&cli, 3, positional, err, sizeof err), PROBE_PARSE_ERROR);
	assert_string_equal(err, "unexpected argument 'yes'");
}

static void test_parse_unknown_flag_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "spsc", "--sizes=3", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "unknown flag '--sizes'");
}

static void test_parse_bad_number_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "spsc", "--size", "-1", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "--size: '-1' is not a non-negative integer");
	assert_int_equal(parse(f, "spsc", "--size", "12k", NULL), PROBE_PARSE_ERROR);
	assert_int_equal(parse(f, "spsc", "--size=", NULL), PROBE_PARSE_ERROR);
	assert_int_equal(parse(f, "spsc", "--size", " 5", NULL), PROBE_PARSE_ERROR);
	assert_int_equal(parse(f, "spsc", "--cap", "18446744073709551616", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "--cap: '18446744073709551616' is too large (at most 18446744073709551615)");
	assert_int_equal(parse(f, "spsc", "--cap", "18446744073709551615", NULL), PROBE_PARSE_OK);
}

static void test_parse_out_of_range_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "spsc", "--size", "0", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "--size: 0 is out of range (1..1000)");
	assert_int_equal(parse(f, "spsc", "--size", "1001", NULL), PROBE_PARSE_ERROR);
}

static void test_parse_missing_value_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "spsc", "--size", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "--size needs a value (N)");
}

static void test_parse_workload_errors_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "no workload given");
	assert_int_equal(parse(f, "mpmc", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "unknown workload 'mpmc'");
	assert_int_equal(parse(f, "spsc", "spsc", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "unexpected argument 'spsc' (the workload is 'spsc')");
}

static void test_parse_choice_unknown_error(void **state)
{
	cli_fixture *f = *state;
	assert_int_equal(parse(f, "spsc", "--variant", "blue", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "--variant: unknown value 'blue'");
}

static void test_parse_no_workloads_positional_error(void **state)
{
	cli_fixture *f = *state;
	f->cli.workloads = NULL;
	f->cli.nworkloads = 0;
	assert_int_equal(parse(f, "--size", "3", NULL), PROBE_PARSE_OK);
	assert_int_equal(parse(f, "spsc", NULL), PROBE_PARSE_ERROR);
	assert_string_equal(f->err, "unexpected argument 'spsc'");
}

static void test_format_fields_in_order_exact(void **state)
{
	(void)state;
	probe_result r;
	char line[512];
	probe_result_init(&r, "spsc", "cap0", 2000, 1000000);
	probe_result_check_u64(&r, 2001000);
	probe_result_add_u64(&r, "peak_rss_kb", 3712);
	probe_result_add_f64(&r, "ratio", 0.5);
	int n = probe_format(&r, line, sizeof line);
	assert_string_equal(line, "{\"workload\":\"spsc\",\"variant\":\"cap0\",\"ops\":2000,"
	                          "\"seconds\":0.001000000,\"ns_per_op\":500.000,\"check\":2001000,"
	                          "\"peak_rss_kb\":3712,\"ratio\":0.5}");
	assert_int_equal(n, (int)strlen(line));
}

static void test_format_strings_escaped(void **state)
{
	(void)state;
	probe_result r;
	char line[512];
	probe_result_init(&r, "a\"b\\c\n", "v", 1, 1);
	probe_result_check_str(&r, "ok");
	assert_true(probe_format(&r, line, sizeof line) > 0);
	assert_string_equal(line, "{\"workload\":\"a\\\"b\\\\c\\u000a\",\"variant\":\"v\",\"ops\":1,"
	                          "\"seconds\":0.000000001,\"ns_per_op\":1.000,\"check\":\"ok\"}");
	probe_result_check_bool(&r, false);
	assert_true(probe_format(&r, line, sizeof line) > 0);
	assert_non_null(strstr(line, "\"check\":false}"));
}

static void test_format_unverified_refused(void **state)
{
	(void)state;
	probe_result r;
	char line[64];
	probe_result_init(&r, "spsc", "cap0", 10, 10);
	assert_int_equal(probe_format(&r, line, sizeof line), -1);
	probe_result_check_i64(&r, -3);
	probe_result_init(&r, "spsc", "cap0", 0, 10);
	probe_result_check_i64(&r, -3);
	assert_int_equal(probe_format(&r, line, sizeof line), -1);
}

static void test_format_short_buffer_length_needed(void **state)
{
	(void)state;
	probe_result r;
	char big[512], small[10];
	probe_result_init(&r, "spsc", "cap0", 10, 10);
	probe_result_check_i64(&r, -3);
	int need = probe_format(&r, big, sizeof big);
	assert_int_equal(probe_format(&r, small, sizeof small), need);
	assert_int_equal(strlen(small), sizeof small - 1);
}

int main(void)
{
	const struct CMUnitTest parse_tests[] = {
		cmocka_unit_test_setup(test_parse_workload_and_flags_ok, setup_cli),
		cmocka_unit_test_setup(test_parse_defaults_kept_not_given, setup_cli),
		cmocka_unit_test_setup(test_parse_help_anywhere_help, setup_cli),
		cmocka_unit_test_setup(test_parse_describe_alone_describe, setup_cli),
		cmocka_unit_test_setup(test_describe_exact, setup_cli),
		cmocka_unit_test(test_parse_flag_without_value_set),
		cmocka_unit_test_setup(test_parse_unknown_flag_error, setup_cli),
		cmocka_unit_test_setup(test_parse_bad_number_error, setup_cli),
		cmocka_unit_test_setup(test_parse_out_of_range_error, setup_cli),
		cmocka_unit_test_setup(test_parse_missing_value_error, setup_cli),
		cmocka_unit_test_setup(test_parse_workload_errors_error, setup_cli),
		cmocka_unit_test_setup(test_parse_choice_unknown_error, setup_cli),
		cmocka_unit_test_setup(test_parse_no_workloads_positional_error, setup_cli),
	};
	const struct CMUnitTest format_tests[] = {
		cmocka_unit_test(test_format_fields_in_order_exact),
		cmocka_unit_test(test_format_strings_escaped),
		cmocka_unit_test(test_format_unverified_refused),
		cmocka_unit_test(test_format_short_buffer_length_needed),
	};
	int failed = cmocka_run_group_tests_name("probe_parse", parse_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("probe_format", format_tests, NULL, NULL);
	return failed;
}
