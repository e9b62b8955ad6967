/*
 * findings_test.c - what goc race reads from a run: ThreadSanitizer's
 * reports (kind, and the top frame of the program's own in each of the
 * first two stacks, past the interceptors), AddressSanitizer's and UBSan's,
 * libgoc's panic, deadlock and leak lines, the exit check's line, and how
 * the run ended when nothing else explains it; and that two runs of one bug
 * give one key.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "findings.h"
#include "util.h"

static const char tsan_race[] =
	"some output of the program\n"
	"==================\n"
	"WARNING: ThreadSanitizer: data race (pid=4242)\n"
	"  Write of size 8 at 0x55807962c698 by thread T1:\n"
	"    #0 bump /src/racy.c:12:10 (racy+0xe4636) (BuildId: 5324)\n"
	"    #1 __tsan_thread_start_func /llvm/compiler-rt/lib/tsan/rtl/tsan_interceptors_posix.cpp:1050 (racy+0x61de7)\n"
	"\n"
	"  Previous write of size 8 at 0x55807962c698 by main thread:\n"
	"    #0 main /src/racy.c:20:3 (racy+0xe4636)\n"
	"\n"
	"SUMMARY: ThreadSanitizer: data race /src/racy.c:12:10 in bump\n"
	"==================\n"
	"more output\n";

static const char tsan_leak_and_lock_order[] =
	"==================\n"
	"WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=7)\n"
	"  Cycle in lock order graph: M0 (0x1) => M1 (0x2) => M0\n"
	"  Mutex M1 acquired here while holding mutex M0 in thread T1:\n"
	"    #0 pthread_mutex_lock /llvm/compiler-rt/lib/tsan/rtl/tsan_interceptors_posix.cpp:1340 (p+0x1)\n"
	"    #1 ab /src/abba.c:14:2 (p+0x2)\n"
	"  Mutex M0 acquired here while holding mutex M1 in main thread:\n"
	"    #0 pthread_mutex_lock <null> (p+0x1)\n"
	"    #1 main /src/abba.c:25:2 (p+0x3)\n"
	"SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) /src/abba.c:14:2 in ab\n"
	"==================\n"
	"==================\n"
	"WARNING: ThreadSanitizer: thread leak (pid=7)\n"
	"  Thread T1 (tid=8, finished) created by main thread at:\n"
	"    #0 pthread_create <null> (p+0x4)\n"
	"    #1 main /src/leak.c:13:2 (p+0x5)\n"
	"SUMMARY: ThreadSanitizer: thread leak /src/leak.c:13:2 in main\n"
	"==================\n";

static const char libgoc_lines[] =
	"fatal error: all goroutines are asleep - deadlock!\n"
	"\n"
	"goc: 1 live task(s)\n"
	"thread 1 [chan send] on 0x1234\n";

static run_end ended(int code)
{
	return (run_end){ .status = code << 8, .timeout_s = 30 };
}

static void test_findings_tsan_race_kind_and_frames(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(66);
	findings_parse(tsan_race, &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "data race");
	assert_string_equal(l.v[0].where, "bump racy.c:12 / main racy.c:20");
	findings_free(&l);
	/* The same race caught from the other side: the same place. */
	findings_parse("WARNING: ThreadSanitizer: data race (pid=1)\n"
	               "  Read of size 8 at 0x1 by main thread:\n"
	               "    #0 main /src/racy.c:20:3 (racy+0x1)\n"
	               "  Previous write of size 8 at 0x1 by thread T1:\n"
	               "    #0 bump /src/racy.c:12:10 (racy+0x2)\n"
	               "SUMMARY: ThreadSanitizer: data race /src/racy.c:20:3 in main\n",
	               &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].where, "bump racy.c:12 / main racy.c:20");
	assert_non_null(strstr(l.v[0].report, "Previous write"));
	assert_null(strstr(l.v[0].report, "more output"));
	findings_free(&l);
}

static void test_findings_interceptor_frames_skipped(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(66);
	findings_parse(tsan_leak_and_lock_order, &e, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].kind, "lock-order-inversion (potential deadlock)");
	assert_string_equal(l.v[0].where, "ab abba.c:14 / main abba.c:25");
	assert_string_equal(l.v[1].kind, "thread leak");
	assert_string_equal(l.v[1].where, "main leak.c:13");
	findings_free(&l);
}

static void test_findings_same_bug_same_key(void **state)
{
	(void)state;
	finding_list a = { 0 }, b = { 0 };
	run_end e = ended(66);
	findings_parse(tsan_race, &e, &a);
	/* Another run: other pid, addresses and thread numbers. */
	char *other = xstrdup(tsan_race);
	memcpy(strstr(other, "4242"), "9999", 4);
	memcpy(strstr(other, "T1"), "T7", 2);
	findings_parse(other, &e, &b);
	char *ka = finding_key(&a.v[0]), *kb = finding_key(&b.v[0]);
	assert_string_equal(ka, kb);
	free(ka);
	free(kb);
	free(other);
	findings_free(&a);
	findings_free(&b);
}

static void test_findings_libgoc_deadlock_panic_leak(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(2);
	findings_parse(libgoc_lines, &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "deadlock");
	assert_non_null(strstr(l.v[0].report, "chan send"));
	findings_free(&l);

	e = (run_end){ .status = SIGABRT, .timeout_s = 30 };
	findings_parse("panic: close of closed channel\n\ngoroutine trace\n", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "panic");
	assert_string_equal(l.v[0].where, "close of closed channel");
	findings_free(&l);

	e = ended(0);
	findings_parse("goc: task leak: 2 task(s) still running at exit\ngoc: 2 live task(s)\n", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "task leak");
	findings_free(&l);

	findings_parse("goc race: 1 thread(s) still running at exit (never joined): 12 'prog'\n", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "thread still running at exit");
	findings_free(&l);
}

/* Without debug information, a frame is its module and offset, which stay put between runs. */
static void test_findings_no_debug_info_module_offsets(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(66);
	findings_parse("WARNING: ThreadSanitizer: data race (pid=1)\n"
	               "  Write of size 8 at 0x1 by thread T1:\n"
	               "    #0 <null> <null> (prog+0xe4636) (BuildId: 53)\n"
	               "  Previous write of size 8 at 0x1 by thread T2:\n"
	               "    #0 <null> <null> (prog+0xe4700) (BuildId: 53)\n"
	               "SUMMARY: ThreadSanitizer: data race (prog+0xe4636) in free\n",
	               &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].where, "(prog+0xe4636) / (prog+0xe4700)");
	findings_free(&l);
}

static void test_findings_asan_and_ubsan(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(1);
	findings_parse("==12==ERROR: AddressSanitizer: heap-use-after-free on address 0x6 at pc 0x1\n"
	               "READ of size 4 at 0x6 thread T0\n"
	               "    #0 0x55d3a1b2c3d4 in use /src/uaf.c:9:10\n"
	               "SUMMARY: AddressSanitizer: heap-use-after-free /src/uaf.c:9:10 in use\n"
	               "/src/ub.c:4:7: runtime error: signed integer overflow: 2147483647 + 1\n",
	               &e, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].kind, "heap-use-after-free");
	assert_string_equal(l.v[0].where, "use uaf.c:9");
	assert_string_equal(l.v[1].kind, "undefined behaviour");
	assert_string_equal(l.v[1].where, "ub.c:4:7: signed integer overflow: 2147483647 + 1");
	findings_free(&l);
}

static void test_findings_run_end_when_nothing_else(void **state)
{
	(void)state;
	finding_list l = { 0 };
	run_end e = ended(0);
	findings_parse("all fine\n", &e, &l);
	assert_int_equal(l.n, 0);

	e = ended(3);
	findings_parse("oops\n", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "exit status 3");
	findings_free(&l);

	e = (run_end){ .status = SIGSEGV, .timeout_s = 30 };
	findings_parse("", &e, &l);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.v[0].kind, "signal 11"));
	findings_free(&l);

	e = (run_end){ .status = SIGKILL, .timed_out = true, .timeout_s = 5 };
	findings_parse("", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "hang");
	assert_non_null(strstr(l.v[0].report, "deadlock"));
	assert_null(strstr(l.v[0].report, "SIGQUIT:"));
	findings_free(&l);

	/* A libgoc program's answer to SIGQUIT: the hang's report carries the dump. */
	e = (run_end){ .status = 2 << 8, .timed_out = true, .timeout_s = 5 };
	findings_parse("working\nSIGQUIT: quit\n\ngoc: 1 live task(s)\ntask 2 [chan receive] on 0x1\n", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "hang");
	assert_non_null(strstr(l.v[0].report, "its tasks at SIGQUIT:\nSIGQUIT: quit\n\ngoc: 1 live task(s)\ntask 2 [chan receive]"));
	findings_free(&l);

	e = (run_end){ .status = SIGKILL, .timed_out = true, .stalled = true, .timeout_s = 5 };
	findings_parse("", &e, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].kind, "deadlock");
	findings_free(&l);

	/* A TSan report with exit 66 needs no second finding for the exit. */
	e = ended(66);
	findings_parse(tsan_race, &e, &l);
	assert_int_equal(l.n, 1);
	findings_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings_tsan_race_kind_and_frames),
		cmocka_unit_test(test_findings_interceptor_frames_skipped),
		cmocka_unit_test(test_findings_same_bug_same_key),
		cmocka_unit_test(test_findings_libgoc_deadlock_panic_leak),
		cmocka_unit_test(test_findings_asan_and_ubsan),
		cmocka_unit_test(test_findings_no_debug_info_module_offsets),
		cmocka_unit_test(test_findings_run_end_when_nothing_else),
	};
	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
