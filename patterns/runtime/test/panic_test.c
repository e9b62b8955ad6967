/*
 * panic_test.c - every channel panic, in Go's words, as a death test: each
 * child runs in its own process (goc_test.h) and must die of SIGABRT after
 * printing "panic: <message>", where it happened and a backtrace.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc/goc.h"
#include "goc_test.h"

static void child_send_on_closed(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 1);
	goc_chan_close(ch);
	int v = 1;
	goc_chan_send(ch, &v, GOC_NOWAIT);
}

static void close_soon(void *ch)
{
	goc_sleep(20 * 1000000);
	goc_chan_close(ch);
}

/* A sender blocked when the close happens panics too, as in Go. */
static void child_blocked_send_then_close(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	goc_go(close_soon, ch);
	int v = 1;
	goc_chan_send(ch, &v, GOC_FOREVER);
}

static void send_twice(void *ch)
{
	int v = 1;
	goc_chan_send(ch, &v, GOC_FOREVER);
	goc_chan_send(ch, &v, GOC_FOREVER);
}

/* The same with a task blocked on a full buffered channel (on M:N, chan.c's own path for tasks). */
static void child_task_blocked_buffered_send_then_close(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 1);
	goc_go(close_soon, ch);
	goc_go(send_twice, ch);
	goc_sleep(60LL * 1000000000);
}

static void child_blocked_select_send_then_close(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 0), *other = goc_chan_make(sizeof(int), 0);
	goc_go(close_soon, ch);
	int v = 1;
	goc_case cs[] = { GOC_RECV_CASE(other, NULL), GOC_SEND_CASE(ch, &v) };
	goc_select(cs, 2, GOC_FOREVER, NULL);
}

static void child_select_send_on_closed(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 4);
	goc_chan_close(ch);
	int v = 1;
	goc_case cs[] = { GOC_SEND_CASE(ch, &v) };
	goc_select(cs, 1, GOC_NOWAIT, NULL);
}

static void child_close_of_closed(void)
{
	goc_chan *ch = goc_chan_make(0, 0);
	goc_chan_close(ch);
	goc_chan_close(ch);
}

static void child_close_of_nil(void)
{
	goc_chan_close(NULL);
}

static void child_makechan_overflow(void)
{
	goc_chan_make(SIZE_MAX / 2, 3);
}

static void child_user_panic(void)
{
	goc_panic("bad value %d", 42);
}

static void child_returns(void)
{
}

static const goc_test_child children[] = {
	{ "send_on_closed", child_send_on_closed },
	{ "blocked_send_then_close", child_blocked_send_then_close },
	{ "blocked_select_send_then_close", child_blocked_select_send_then_close },
	{ "task_blocked_buffered_send_then_close", child_task_blocked_buffered_send_then_close },
	{ "select_send_on_closed", child_select_send_on_closed },
	{ "close_of_closed", child_close_of_closed },
	{ "close_of_nil", child_close_of_nil },
	{ "makechan_overflow", child_makechan_overflow },
	{ "user_panic", child_user_panic },
	{ "returns", child_returns },
	{ NULL, NULL },
};

static void test_panic_send_on_closed_channel(void **state)
{
	(void)state;
	goc_test_expect_panic("send_on_closed", "send on closed channel");
}

/*
 * A close that comes while a send is blocked is unordered with that send:
 * ThreadSanitizer reports it as a race, as Go's race detector does. The
 * panic must still follow, so in TSan builds these children run on past
 * the report (halt_on_error=0).
 */
static void expect_panic_past_race(const char *child, const char *message)
{
#ifdef GOC_TEST_TSAN
	const char *old = getenv("TSAN_OPTIONS");
	char *saved = old ? strdup(old) : NULL;
	setenv("TSAN_OPTIONS", "halt_on_error=0 history_size=7", 1);
	goc_test_expect_panic(child, message);
	if (saved)
		setenv("TSAN_OPTIONS", saved, 1);
	else
		unsetenv("TSAN_OPTIONS");
	free(saved);
#else
	goc_test_expect_panic(child, message);
#endif
}

static void test_panic_blocked_sender_when_closed(void **state)
{
	(void)state;
	expect_panic_past_race("blocked_send_then_close", "send on closed channel");
}

static void test_panic_task_blocked_buffered_sender_when_closed(void **state)
{
	(void)state;
	expect_panic_past_race("task_blocked_buffered_send_then_close", "send on closed channel");
}

static void test_panic_blocked_select_sender_when_closed(void **state)
{
	(void)state;
	expect_panic_past_race("blocked_select_send_then_close", "send on closed channel");
}

static void test_panic_select_send_on_closed_channel(void **state)
{
	(void)state;
	goc_test_expect_panic("select_send_on_closed", "send on closed channel");
}

static void test_panic_close_of_closed_channel(void **state)
{
	(void)state;
	goc_test_expect_panic("close_of_closed", "close of closed channel");
}

static void test_panic_close_of_nil_channel(void **state)
{
	(void)state;
	goc_test_expect_panic("close_of_nil", "close of nil channel");
}

static void test_panic_makechan_size_out_of_range(void **state)
{
	(void)state;
	goc_test_expect_panic("makechan_overflow", "makechan: size out of range");
}

/* The report names the function, the task and shows a backtrace header. */
static void test_panic_report_says_where(void **state)
{
	(void)state;
	goc_test_expect_death("close_of_nil", "goc_chan_close()");
	goc_test_expect_death("close_of_nil", "[running]:");
}

/* goc_panic() for code built on libgoc: a formatted message, and the caller's place. */
static void test_panic_user_panic_formats_and_says_where(void **state)
{
	(void)state;
	goc_test_expect_panic("user_panic", "bad value 42");
	goc_test_expect_death("user_panic", "child_user_panic()");
	goc_test_expect_death("user_panic", "panic_test.c:");
}

/* Negative control for the runner itself: a child that does not die fails the check. */
static void test_panic_runner_rejects_child_that_returns(void **state)
{
	(void)state;
	char why[256];
	assert_false(goc_test_dies("returns", "panic: ", why, sizeof why));
	assert_non_null(strstr(why, "exit status 0"));
	assert_false(goc_test_dies("close_of_nil", "panic: some other message", why, sizeof why));
	assert_non_null(strstr(why, "lacks"));
}

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_panic_send_on_closed_channel),
		GOC_TEST(test_panic_blocked_sender_when_closed),
		GOC_TEST(test_panic_task_blocked_buffered_sender_when_closed),
		GOC_TEST(test_panic_blocked_select_sender_when_closed),
		GOC_TEST(test_panic_select_send_on_closed_channel),
		GOC_TEST(test_panic_close_of_closed_channel),
		GOC_TEST(test_panic_close_of_nil_channel),
		GOC_TEST(test_panic_makechan_size_out_of_range),
		GOC_TEST(test_panic_report_says_where),
		GOC_TEST(test_panic_user_panic_formats_and_says_where),
		GOC_TEST(test_panic_runner_rejects_child_that_returns),
	};
	return cmocka_run_group_tests_name("panic", tests, NULL, NULL);
}
