/*
 * scenario_test.c - the scenario reader's tests: that the good fixtures
 * (testdata/scenarios/good) come out field by field as written, that each
 * bad fixture (testdata/scenarios/bad, one error each) fails with its exact
 * message, file and line, and that a failed call leaves the set as it was.
 * The fixtures are found under $GOC_TESTDATA (default: ./testdata), so that
 * CMake can point the test at the source tree.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario.h"

/* The scenarios of the good directory, in load order: a.ini, then b.ini. */
static const char *const good_names[] = {
	"workerpool-square", "chanbench-spsc", "minimal", "boolean-check", "any-check", "server",
};
#define NGOOD (sizeof good_names / sizeof good_names[0])

/* Paths under $GOC_TESTDATA/scenarios, set once before the tests run. */
static char good_dir[512];
static char bad_dir[512];

typedef struct fixture {
	scenario_set set;
	char err[1024];
	char path[1024];
} fixture;

static int setup_paths(void **state)
{
	const char *td = getenv("GOC_TESTDATA");

	(void)state;
	if (!td || !*td)
		td = "testdata";
	snprintf(good_dir, sizeof good_dir, "%s/scenarios/good", td);
	snprintf(bad_dir, sizeof bad_dir, "%s/scenarios/bad", td);
	return 0;
}

/* A set holding the good directory's scenarios. */
static int setup_good(void **state)
{
	fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	*state = f;
	if (scenario_load_dir(good_dir, &f->set, f->err, sizeof f->err) != 0) {
		fprintf(stderr, "setup: %s\n", f->err);
		return -1;
	}
	return 0;
}

/* An empty set. */
static int setup_empty(void **state)
{
	*state = calloc(1, sizeof(fixture));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	fixture *f = *state;

	scenario_set_free(&f->set);
	free(f);
	return 0;
}

static const scenario *find(const fixture *f, const char *name)
{
	const scenario *s = scenario_find(&f->set, name);

	assert_non_null(s);
	return s;
}

static void assert_list(const scenario_list *l, size_t n, ...)
{
	va_list ap;

	assert_int_equal(l->n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->items[i], va_arg(ap, const char *));
	va_end(ap);
}

static void assert_set_is_good(const fixture *f)
{
	assert_int_equal(f->set.n, NGOOD);
	for (size_t i = 0; i < NGOOD; i++)
		assert_string_equal(f->set.v[i].name, good_names[i]);
}

/*
 * Parse bad/FILE into the good set: it must fail with "PATH:" followed by
 * the formatted `want`, and leave the set as it was.
 */
__attribute__((format(printf, 3, 4)))
static void expect_error(void **state, const char *file, const char *want, ...)
{
	fixture *f = *state;
	char rest[1024], expected[2048];
	va_list ap;

	va_start(ap, want);
	vsnprintf(rest, sizeof rest, want, ap);
	va_end(ap);
	snprintf(f->path, sizeof f->path, "%s/%s", bad_dir, file);
	snprintf(expected, sizeof expected, "%s:%s", f->path, rest);
	assert_int_equal(scenario_parse_file(f->path, &f->set, f->err, sizeof f->err), -1);
	assert_string_equal(f->err, expected);
	assert_set_is_good(f);
}

/* ---- the good files -------------------------------------------------------- */

static void test_load_dir_good_reads_files_in_name_order(void **state)
{
	assert_set_is_good(*state);
}

static void test_parse_every_key_comes_out_as_written(void **state)
{
	const scenario *s = find(*state, "workerpool-square");
	char file[1100];

	snprintf(file, sizeof file, "%s/a.ini", good_dir);
	assert_string_equal(s->file, file);
	assert_int_equal(s->line, 4);
	assert_string_equal(s->description, "W5 job A: square each int");
	assert_string_equal(s->target, "workerpool");
	assert_int_equal(s->target_line, 6);
	assert_null(s->workload);
	assert_int_equal(s->workload_line, 0);
	assert_list(&s->variants, 3, "chan", "mutexq", "batch");
	assert_int_equal(s->variants_line, 7);
	assert_string_equal(s->reference, "mutexq");
	assert_string_equal(s->go, "workerpool");
	assert_list(&s->go_variants, 2, "chan", "batch");
	assert_list(&s->suites, 3, "smoke", "default", "full");
	assert_int_equal(s->nknobs, 2);
	assert_string_equal(s->knobs[0].name, "job");
	assert_list(&s->knobs[0].values, 1, "square");
	assert_int_equal(s->knobs[0].line, 12);
	assert_string_equal(s->knobs[1].name, "workers");
	assert_list(&s->knobs[1].values, 3, "1", "2", "4");
	assert_int_equal(s->knobs[1].line, 13);
	assert_true(s->size.given);
	assert_int_equal(s->size.value, 1000000);
	assert_int_equal(s->size.line, 14);
	assert_int_equal(s->size.nby_suite, 1);
	assert_string_equal(s->size.by_suite[0].suite, "smoke");
	assert_int_equal(s->size.by_suite[0].value, 20000);
	assert_int_equal(s->size.by_suite[0].line, 15);
	assert_false(s->runs.given);
	assert_int_equal(s->runs.value, 10);
	assert_int_equal(s->check, SCENARIO_CHECK_INTEGER);
}

static void test_parse_inih_forms_and_bounds_come_out_as_written(void **state)
{
	const scenario *s = find(*state, "chanbench-spsc");

	assert_int_equal(s->line, 18);
	assert_string_equal(s->description, "one to one");
	assert_string_equal(s->target, "chanbench");
	assert_int_equal(s->target_line, 21);
	assert_string_equal(s->workload, "spsc");
	assert_int_equal(s->workload_line, 22);
	assert_list(&s->variants, 2, "ring", "locked");
	assert_string_equal(s->reference, "ring");
	assert_string_equal(s->go, "chanbench");
	assert_list(&s->go_variants, 2, "ring", "locked");
	assert_list(&s->suites, 2, "default", "full");
	assert_int_equal(s->nknobs, 1);
	assert_string_equal(s->knobs[0].name, "cap");
	assert_list(&s->knobs[0].values, 3, "0", "1", "64");
	assert_int_equal(s->knobs[0].line, 26);
	assert_true(s->runs.given);
	assert_int_equal(s->runs.value, 1000);
	assert_int_equal(s->runs.line, 27);
	assert_int_equal(s->runs.nby_suite, 1);
	assert_string_equal(s->runs.by_suite[0].suite, "default");
	assert_int_equal(s->runs.by_suite[0].value, 3);
	assert_int_equal(s->warmup.value, 0);
	assert_int_equal(s->warmup.by_suite[0].value, 100);
	assert_int_equal(s->timeout.value, 86400);
	assert_int_equal(s->timeout.by_suite[0].value, 1);
	assert_true(s->size.value == UINT64_MAX);
	assert_int_equal(s->size.line, 33);
	assert_int_equal(s->check, SCENARIO_CHECK_STRING);
}

static void test_parse_minimal_scenario_gets_defaults(void **state)
{
	const scenario *s = find(*state, "minimal");

	assert_null(s->description);
	assert_string_equal(s->target, "probe");
	assert_null(s->workload);
	assert_int_equal(s->variants.n, 0);
	assert_int_equal(s->variants_line, 0);
	assert_null(s->reference);
	assert_null(s->go);
	assert_int_equal(s->go_variants.n, 0);
	assert_list(&s->suites, 1, "smoke");
	assert_int_equal(s->nknobs, 0);
	assert_false(s->size.given);
	assert_int_equal(s->size.value, 0);
	assert_false(s->runs.given);
	assert_int_equal(s->runs.value, 10);
	assert_int_equal(s->runs.line, 0);
	assert_int_equal(s->warmup.value, 1);
	assert_int_equal(s->timeout.value, 60);
	assert_int_equal(s->timeout.nby_suite, 0);
	assert_int_equal(s->check, SCENARIO_CHECK_ANY);
	assert_string_equal(s->variant_option, "variant");
	assert_null(s->method);
	assert_null(s->path);
	assert_null(s->body);
	assert_int_equal(s->seconds.value, 5);
}

static void test_parse_server_scenario_comes_out_as_written(void **state)
{
	const scenario *s = find(*state, "server");

	assert_string_equal(s->variant_option, "store");
	assert_string_equal(s->method, "POST");
	assert_string_equal(s->path, "/users");
	assert_int_equal(s->request_line, 23);
	assert_string_equal(s->body, "{\"name\":\"a b\"}");
	assert_int_equal(s->nknobs, 1);
	assert_string_equal(s->knobs[0].name, SCENARIO_CONNECTIONS);
	assert_list(&s->knobs[0].values, 2, "1", "64");
	assert_int_equal(scenario_setting_for(&s->seconds, "default", NULL), 2);
	assert_int_equal(scenario_setting_for(&s->seconds, NULL, NULL), 5);
}

static void test_parse_check_words_give_each_check(void **state)
{
	assert_int_equal(find(*state, "boolean-check")->check, SCENARIO_CHECK_BOOLEAN);
	assert_int_equal(find(*state, "any-check")->check, SCENARIO_CHECK_ANY);
	assert_string_equal(find(*state, "boolean-check")->reference, "on");
	assert_list(&find(*state, "any-check")->suites, 2, "s_1", "s-2");
}

static void test_check_name_each_check_gives_its_word(void **state)
{
	(void)state;
	assert_string_equal(scenario_check_name(SCENARIO_CHECK_ANY), "any");
	assert_string_equal(scenario_check_name(SCENARIO_CHECK_INTEGER), "integer");
	assert_string_equal(scenario_check_name(SCENARIO_CHECK_STRING), "string");
	assert_string_equal(scenario_check_name(SCENARIO_CHECK_BOOLEAN), "boolean");
}

/* ---- lookups ------------------------------------------------------------- */

static void test_setting_for_suite_value_wins_over_plain(void **state)
{
	const scenario *s = find(*state, "workerpool-square");
	bool given = false;

	assert_int_equal(scenario_setting_for(&s->size, "smoke", &given), 20000);
	assert_true(given);
}

static void test_setting_for_other_or_no_suite_gives_plain(void **state)
{
	const scenario *s = find(*state, "workerpool-square");
	bool given = false;

	assert_int_equal(scenario_setting_for(&s->size, "full", &given), 1000000);
	assert_true(given);
	given = false;
	assert_int_equal(scenario_setting_for(&s->size, NULL, &given), 1000000);
	assert_true(given);
}

static void test_setting_for_nothing_written_gives_default(void **state)
{
	const scenario *s = find(*state, "workerpool-square");
	bool given = true;

	assert_int_equal(scenario_setting_for(&s->runs, "smoke", &given), 10);
	assert_false(given);
	assert_int_equal(scenario_setting_for(&s->warmup, NULL, NULL), 1);
}

static void test_setting_for_suite_only_written_gives_default_elsewhere(void **state)
{
	const scenario *s = find(*state, "workerpool-square");
	const scenario *c = find(*state, "chanbench-spsc");
	bool given = true;

	assert_int_equal(scenario_setting_for(&c->timeout, "default", NULL), 1);
	assert_int_equal(scenario_setting_for(&s->size, "default", NULL), 1000000);
	assert_int_equal(scenario_setting_for(&find(*state, "minimal")->size, "smoke", &given), 0);
	assert_false(given);
}

static void test_in_suite_listed_suite_is_true(void **state)
{
	assert_true(scenario_in_suite(find(*state, "workerpool-square"), "default"));
	assert_true(scenario_in_suite(find(*state, "any-check"), "s-2"));
}

static void test_in_suite_unlisted_suite_is_false(void **state)
{
	assert_false(scenario_in_suite(find(*state, "minimal"), "full"));
	assert_false(scenario_in_suite(find(*state, "chanbench-spsc"), "smoke"));
}

static void test_find_known_name_returns_it(void **state)
{
	fixture *f = *state;

	assert_ptr_equal(scenario_find(&f->set, "minimal"), &f->set.v[2]);
}

static void test_find_unknown_name_returns_null(void **state)
{
	fixture *f = *state;

	assert_null(scenario_find(&f->set, "workerpool"));
	assert_null(scenario_find(&f->set, ""));
}

/* ---- files and directories ------------------------------------------------ */

static void test_parse_missing_file_fails(void **state)
{
	fixture *f = *state;
	char want[2048];

	snprintf(f->path, sizeof f->path, "%s/no-such-file.ini", bad_dir);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", f->path);
	assert_int_equal(scenario_parse_file(f->path, &f->set, f->err, sizeof f->err), -1);
	assert_string_equal(f->err, want);
	assert_set_is_good(f);
}

static void test_parse_error_into_empty_set_leaves_it_empty(void **state)
{
	fixture *f = *state;

	snprintf(f->path, sizeof f->path, "%s/no-suites.ini", bad_dir);
	assert_int_equal(scenario_parse_file(f->path, &f->set, f->err, sizeof f->err), -1);
	assert_int_equal(f->set.n, 0);
	assert_null(f->set.v);
}

static void test_load_dir_missing_dir_fails(void **state)
{
	fixture *f = *state;
	char want[2048];

	snprintf(f->path, sizeof f->path, "%s/no-such-dir", bad_dir);
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", f->path);
	assert_int_equal(scenario_load_dir(f->path, &f->set, f->err, sizeof f->err), -1);
	assert_string_equal(f->err, want);
	assert_set_is_good(f);
}

/* A fresh directory under $TMPDIR holding files[0..n) (name, text pairs). */
static void make_dir(char *dir, size_t len, const char *const *files, size_t n)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/goc-scenario-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < n; i += 2) {
		char path[2048];
		FILE *fp;
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		assert_non_null(fp = fopen(path, "w"));
		fputs(files[i + 1], fp);
		fclose(fp);
	}
}

static void remove_dir(const char *dir, const char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i += 2) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_load_dir_empty_dir_gives_no_scenarios(void **state)
{
	fixture *f = *state;

	make_dir(f->path, sizeof f->path, NULL, 0);
	assert_int_equal(scenario_load_dir(f->path, &f->set, f->err, sizeof f->err), 0);
	remove_dir(f->path, NULL, 0);
	assert_int_equal(f->set.n, 0);
}

static void test_load_dir_other_files_are_skipped(void **state)
{
	static const char *const files[] = {
		"README.md", "not ini at all\n",
		"old.ini.bak", "neither\n",
		".hidden.ini", "nor this\n",
		"one.ini", "[one]\ntarget = t\nsuites = smoke\n",
	};
	fixture *f = *state;

	make_dir(f->path, sizeof f->path, files, 8);
	assert_int_equal(scenario_load_dir(f->path, &f->set, f->err, sizeof f->err), 0);
	remove_dir(f->path, files, 8);
	assert_int_equal(f->set.n, 1);
	assert_string_equal(f->set.v[0].name, "one");
}

static void test_load_dir_error_in_later_file_keeps_set(void **state)
{
	static const char *const files[] = {
		"b.ini", "[b]\ntarget = t\nsuites = smoke\nruns = 1\n",
		"a.ini", "[a]\ntarget = t\nsuites = smoke\n",
	};
	fixture *f = *state;
	char want[2048];

	make_dir(f->path, sizeof f->path, files, 4);
	snprintf(want, sizeof want, "%s/b.ini:4: [b]: runs: 1 is out of range (expected 3..1000)", f->path);
	assert_int_equal(scenario_load_dir(f->path, &f->set, f->err, sizeof f->err), -1);
	remove_dir(f->path, files, 4);
	assert_string_equal(f->err, want);
	assert_set_is_good(f);
}

static void test_load_dir_longest_line_is_accepted(void **state)
{
	char text[256];
	const char *const files[] = { "a.ini", text };
	fixture *f = *state;

	/* inih's buffer is 200 bytes: 198 characters, a newline and a NUL. */
	snprintf(text, sizeof text, "[a]\ntarget = t\nsuites = smoke\ndescription = %0184d\n", 0);
	make_dir(f->path, sizeof f->path, files, 2);
	assert_int_equal(scenario_load_dir(f->path, &f->set, f->err, sizeof f->err), 0);
	remove_dir(f->path, files, 2);
	assert_int_equal(strlen(f->set.v[0].description), 184);
}

/* ---- one error per bad file ------------------------------------------------ */

static void test_parse_syntax_error_fails(void **state)
{
	expect_error(state, "syntax.ini",
		     "7: [broken]: 'this line is not ini' is neither [name], key = value nor a comment");
}

static void test_parse_indented_continuation_fails(void **state)
{
	expect_error(state, "continuation.ini",
		     "5: [x]: '4, 8' is neither [name], key = value nor a comment");
}

static void test_parse_section_without_bracket_fails(void **state)
{
	expect_error(state, "no-bracket.ini", "4: '[broken' has no ']' (expected [name])");
}

static void test_parse_text_after_section_fails(void **state)
{
	expect_error(state, "after-bracket.ini",
		     "1: [x]: 'trailing' after ']' (expected nothing or a ; comment)");
}

static void test_parse_key_outside_section_fails(void **state)
{
	expect_error(state, "key-outside.ini",
		     "2: key 'target' outside any scenario (expected a [name] line before it)");
}

static void test_parse_empty_section_name_fails(void **state)
{
	expect_error(state, "empty-name.ini", "1: []: empty scenario name (expected [a-z0-9_-]+)");
}

static void test_parse_bad_section_name_fails(void **state)
{
	expect_error(state, "bad-name.ini",
		     "1: [Worker Pool]: 'Worker Pool' is not a valid scenario name (expected [a-z0-9_-]+)");
}

static void test_parse_duplicate_section_in_file_fails(void **state)
{
	expect_error(state, "dup-within.ini", "5: [twice]: duplicate scenario 'twice' (first in %s/dup-within.ini:1)",
		     bad_dir);
}

static void test_parse_duplicate_section_across_files_fails(void **state)
{
	expect_error(state, "dup-across.ini", "2: [minimal]: duplicate scenario 'minimal' (first in %s/b.ini:3)",
		     good_dir);
}

static void test_parse_unknown_key_fails(void **state)
{
	expect_error(state, "unknown-key.ini",
		     "4: [x]: unknown key 'knobs.workers' (expected target, suites, description, workload, "
		     "variants, variant.option, reference, go, go.variants, knob.NAME, check, request, body, size, "
		     "runs, warmup, timeout or seconds, the last five with an optional .SUITE)");
}

static void test_parse_server_keys_refused(void **state)
{
	expect_error(state, "server-method.ini",
		     "5: [x]: request: 'FETCH' is not a method (expected GET, POST, PUT or DELETE, then a path)");
	expect_error(state, "server-path.ini",
		     "5: [x]: request: 'users' is not a path (expected METHOD /PATH, no blanks in the path)");
	expect_error(state, "server-body.ini", "5: [x]: body: not a server scenario (expected a request key with it)");
	expect_error(state, "server-seconds.ini",
		     "5: [x]: seconds: not a server scenario (expected a request key with it)");
	expect_error(state, "server-size.ini",
		     "6: [x]: size: a server scenario's load is timed by seconds (expected no size)");
	expect_error(state, "server-check.ini", "6: [x]: check: a server prints no result line (expected no check)");
	expect_error(state, "server-connections.ini",
		     "6: [x]: knob.connections: '0' is not a number of connections (expected 1..10000)");
	expect_error(state, "variant-option.ini",
		     "5: [x]: variant.option: no variants to pass (expected a variants key)");
}

static void test_parse_duplicate_key_fails(void **state)
{
	expect_error(state, "dup-key.ini", "5: [x]: 'runs' given twice (first at line 3)");
}

static void test_parse_missing_target_fails(void **state)
{
	expect_error(state, "no-target.ini", "1: [no-target]: missing target (expected a line target = NAME)");
}

static void test_parse_missing_suites_fails(void **state)
{
	expect_error(state, "no-suites.ini",
		     "5: [no-suites]: missing suites (expected a line suites = NAME, ...)");
}

static void test_parse_empty_value_fails(void **state)
{
	expect_error(state, "empty-value.ini", "2: [x]: target: empty value (expected one word)");
}

static void test_parse_value_of_two_words_fails(void **state)
{
	expect_error(state, "not-one-word.ini",
		     "2: [x]: target: 'worker pool' is not one word (expected no blanks or commas)");
}

static void test_parse_empty_list_item_fails(void **state)
{
	expect_error(state, "empty-item.ini",
		     "4: [x]: variants: item 2 of 'a, , b' is empty (expected comma-separated values)");
}

static void test_parse_empty_list_fails(void **state)
{
	expect_error(state, "empty-list.ini", "4: [x]: variants: empty list (expected comma-separated values)");
}

static void test_parse_list_item_twice_fails(void **state)
{
	expect_error(state, "dup-item.ini", "4: [x]: variants: 'a' listed twice");
}

static void test_parse_bad_suite_name_fails(void **state)
{
	expect_error(state, "bad-suite.ini",
		     "3: [x]: suites: 'Full' is not a valid suite name (expected [a-z0-9_-]+)");
}

static void test_parse_bad_knob_name_fails(void **state)
{
	expect_error(state, "bad-knob-name.ini",
		     "4: [x]: knob.Workers: 'Workers' is not a valid knob name (expected [a-z0-9_-]+)");
}

static void test_parse_knob_variant_fails(void **state)
{
	expect_error(state, "knob-variant.ini", "4: [x]: knob.variant: --variant has its own key (expected variants)");
}

static void test_parse_knob_size_fails(void **state)
{
	expect_error(state, "knob-size.ini", "4: [x]: knob.size: --size has its own key (expected size)");
}

static void test_parse_knob_empty_name_fails(void **state)
{
	expect_error(state, "knob-empty-name.ini",
		     "4: [x]: knob.: empty knob name (expected knob.NAME, NAME in [a-z0-9_-]+)");
}

static void test_parse_reference_not_a_variant_fails(void **state)
{
	expect_error(state, "ref-not-variant.ini",
		     "3: [x]: reference: 'fast' is not one of variants (expected one of chan, mutexq)");
}

static void test_parse_reference_without_variants_fails(void **state)
{
	expect_error(state, "ref-no-variants.ini",
		     "3: [x]: reference: no variants to refer to (expected a variants key)");
}

static void test_parse_go_variants_not_subset_fails(void **state)
{
	expect_error(state, "go-variants-subset.ini",
		     "5: [x]: go.variants: 'c' is not one of variants (expected one of a, b)");
}

static void test_parse_go_variants_without_go_fails(void **state)
{
	expect_error(state, "go-variants-no-go.ini",
		     "4: [x]: go.variants: no go key (expected go = PROGRAM with it)");
}

static void test_parse_number_with_sign_fails(void **state)
{
	expect_error(state, "number-sign.ini",
		     "4: [x]: runs: '+5' is not a decimal number (expected digits only, 3..1000)");
}

static void test_parse_number_in_hex_fails(void **state)
{
	expect_error(state, "number-hex.ini",
		     "4: [x]: size: '0x10' is not a decimal number (expected digits only, at least 1)");
}

static void test_parse_number_overflow_fails(void **state)
{
	expect_error(state, "number-overflow.ini",
		     "4: [x]: size: 18446744073709551616 is out of range (expected at least 1)");
}

static void test_parse_number_empty_fails(void **state)
{
	expect_error(state, "number-empty.ini", "4: [x]: warmup: empty value (expected a decimal number, 0..100)");
}

static void test_parse_runs_below_range_fails(void **state)
{
	expect_error(state, "runs-low.ini", "4: [x]: runs: 2 is out of range (expected 3..1000)");
}

static void test_parse_runs_above_range_fails(void **state)
{
	expect_error(state, "runs-high.ini", "4: [x]: runs.smoke: 1001 is out of range (expected 3..1000)");
}

static void test_parse_warmup_above_range_fails(void **state)
{
	expect_error(state, "warmup-high.ini", "4: [x]: warmup: 101 is out of range (expected 0..100)");
}

static void test_parse_timeout_zero_fails(void **state)
{
	expect_error(state, "timeout-zero.ini", "4: [x]: timeout: 0 is out of range (expected 1..86400)");
}

static void test_parse_timeout_above_range_fails(void **state)
{
	expect_error(state, "timeout-high.ini",
		     "4: [x]: timeout.smoke: 86401 is out of range (expected 1..86400)");
}

static void test_parse_size_zero_fails(void **state)
{
	expect_error(state, "size-zero.ini", "4: [x]: size: 0 is out of range (expected at least 1)");
}

static void test_parse_setting_for_bad_suite_name_fails(void **state)
{
	expect_error(state, "bad-suite-suffix.ini",
		     "4: [x]: timeout.Smoke: 'Smoke' is not a valid suite name (expected [a-z0-9_-]+)");
}

static void test_parse_setting_for_unlisted_suite_fails(void **state)
{
	expect_error(state, "runs-suite-unlisted.ini",
		     "4: [x]: runs.full: 'full' is not one of this scenario's suites (expected one of smoke, default)");
}

static void test_parse_unknown_check_fails(void **state)
{
	expect_error(state, "bad-check.ini",
		     "4: [x]: check: 'float' is not a check (expected any, integer, string or boolean)");
}

static void test_parse_long_line_fails(void **state)
{
	expect_error(state, "long-line.ini", "4: [x]: line longer than 198 characters");
}

int main(void)
{
#define GOOD(t) cmocka_unit_test_setup_teardown(t, setup_good, teardown)
	const struct CMUnitTest tests[] = {
		GOOD(test_load_dir_good_reads_files_in_name_order),
		GOOD(test_parse_every_key_comes_out_as_written),
		GOOD(test_parse_inih_forms_and_bounds_come_out_as_written),
		GOOD(test_parse_minimal_scenario_gets_defaults),
		GOOD(test_parse_server_scenario_comes_out_as_written),
		GOOD(test_parse_server_keys_refused),
		GOOD(test_parse_check_words_give_each_check),
		cmocka_unit_test(test_check_name_each_check_gives_its_word),
		GOOD(test_setting_for_suite_value_wins_over_plain),
		GOOD(test_setting_for_other_or_no_suite_gives_plain),
		GOOD(test_setting_for_nothing_written_gives_default),
		GOOD(test_setting_for_suite_only_written_gives_default_elsewhere),
		GOOD(test_in_suite_listed_suite_is_true),
		GOOD(test_in_suite_unlisted_suite_is_false),
		GOOD(test_find_known_name_returns_it),
		GOOD(test_find_unknown_name_returns_null),
		GOOD(test_parse_missing_file_fails),
		cmocka_unit_test_setup_teardown(test_parse_error_into_empty_set_leaves_it_empty, setup_empty, teardown),
		GOOD(test_load_dir_missing_dir_fails),
		cmocka_unit_test_setup_teardown(test_load_dir_empty_dir_gives_no_scenarios, setup_empty, teardown),
		cmocka_unit_test_setup_teardown(test_load_dir_other_files_are_skipped, setup_empty, teardown),
		GOOD(test_load_dir_error_in_later_file_keeps_set),
		cmocka_unit_test_setup_teardown(test_load_dir_longest_line_is_accepted, setup_empty, teardown),
		GOOD(test_parse_syntax_error_fails),
		GOOD(test_parse_indented_continuation_fails),
		GOOD(test_parse_section_without_bracket_fails),
		GOOD(test_parse_text_after_section_fails),
		GOOD(test_parse_key_outside_section_fails),
		GOOD(test_parse_empty_section_name_fails),
		GOOD(test_parse_bad_section_name_fails),
		GOOD(test_parse_duplicate_section_in_file_fails),
		GOOD(test_parse_duplicate_section_across_files_fails),
		GOOD(test_parse_unknown_key_fails),
		GOOD(test_parse_duplicate_key_fails),
		GOOD(test_parse_missing_target_fails),
		GOOD(test_parse_missing_suites_fails),
		GOOD(test_parse_empty_value_fails),
		GOOD(test_parse_value_of_two_words_fails),
		GOOD(test_parse_empty_list_item_fails),
		GOOD(test_parse_empty_list_fails),
		GOOD(test_parse_list_item_twice_fails),
		GOOD(test_parse_bad_suite_name_fails),
		GOOD(test_parse_bad_knob_name_fails),
		GOOD(test_parse_knob_variant_fails),
		GOOD(test_parse_knob_size_fails),
		GOOD(test_parse_knob_empty_name_fails),
		GOOD(test_parse_reference_not_a_variant_fails),
		GOOD(test_parse_reference_without_variants_fails),
		GOOD(test_parse_go_variants_not_subset_fails),
		GOOD(test_parse_go_variants_without_go_fails),
		GOOD(test_parse_number_with_sign_fails),
		GOOD(test_parse_number_in_hex_fails),
		GOOD(test_parse_number_overflow_fails),
		GOOD(test_parse_number_empty_fails),
		GOOD(test_parse_runs_below_range_fails),
		GOOD(test_parse_runs_above_range_fails),
		GOOD(test_parse_warmup_above_range_fails),
		GOOD(test_parse_timeout_zero_fails),
		GOOD(test_parse_timeout_above_range_fails),
		GOOD(test_parse_size_zero_fails),
		GOOD(test_parse_setting_for_bad_suite_name_fails),
		GOOD(test_parse_setting_for_unlisted_suite_fails),
		GOOD(test_parse_unknown_check_fails),
		GOOD(test_parse_long_line_fails),
	};
#undef GOOD

	return cmocka_run_group_tests_name("scenario", tests, setup_paths, NULL);
}
