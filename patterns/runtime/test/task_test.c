/*
 * task_test.c - tasks: goc_go() runs the function with its argument, the
 * live-task count, ids, the stack size promised in task.h, the task dump,
 * and the test support built on them (the leak check and the watchdog),
 * each with a negative control.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "goc/goc.h"
#include "goc_test.h"

typedef struct arg_check {
	int in;
	int out;
	goc_chan *done;
} arg_check;

static void double_it(void *p)
{
	arg_check *a = p;
	a->out = a->in * 2;
	goc_chan_send(a->done, NULL, GOC_FOREVER);
}

static void test_task_runs_fn_with_arg(void **state)
{
	(void)state;
	arg_check a = { .in = 21, .done = goc_chan_make(0, 0) };
	assert_int_equal(goc_go(double_it, &a), GOC_OK);
	assert_int_equal(goc_chan_recv(a.done, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(a.out, 42);
	goc_chan_free(a.done);
}

/*
 * Blocks on `gate` until it is closed, then reports on `done`. The live
 * count orders nothing (as Go's NumGoroutine), so tests join through `done`
 * before freeing what the tasks used.
 */
typedef struct blocker {
	goc_chan *gate;
	goc_chan *done;
} blocker;

static blocker blocker_make(int n)
{
	return (blocker){ goc_chan_make(0, 0), goc_chan_make(0, (size_t)n) };
}

static void block_on(void *p)
{
	blocker *b = p;
	goc_chan_recv(b->gate, NULL, GOC_FOREVER);
	goc_chan_send(b->done, NULL, GOC_FOREVER);
}

/* Release the n tasks blocked on b, join them, free b. */
static bool blocker_release(blocker *b, int n)
{
	goc_chan_close(b->gate);
	bool joined = true;
	for (int i = 0; i < n; i++)
		joined = joined && goc_chan_recv(b->done, NULL, goc_test_ms(10000)) == GOC_OK;
	goc_chan_free(b->gate);
	goc_chan_free(b->done);
	return joined;
}

static bool wait_live(size_t n)
{
	int64_t deadline = goc_test_ms(10000);
	while (goc_tasks_live() != n && goc_now() < deadline)
		goc_sleep(1000000);
	return goc_tasks_live() == n;
}

static void test_task_live_count_follows_tasks(void **state)
{
	(void)state;
	assert_int_equal(goc_tasks_live(), 0);
	blocker b = blocker_make(5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(goc_go(block_on, &b), GOC_OK);
	assert_int_equal(goc_tasks_live(), 5);
	assert_true(blocker_release(&b, 5));
	assert_true(wait_live(0));
}

static void send_id(void *ch)
{
	uint64_t id = goc_task_id();
	goc_chan_send(ch, &id, GOC_FOREVER);
}

static void test_task_ids_are_unique(void **state)
{
	(void)state;
	enum { N = 50 };
	goc_chan *ids = goc_chan_make(sizeof(uint64_t), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_go(send_id, ids), GOC_OK);
	uint64_t seen[N + 1];
	seen[N] = goc_task_id();
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_chan_recv(ids, &seen[i], goc_test_ms(10000)), GOC_OK);
	for (int i = 0; i <= N; i++) {
		assert_true(seen[i] > 0);
		for (int j = 0; j < i; j++)
			assert_true(seen[i] != seen[j]);
	}
	assert_int_equal(goc_task_id(), seen[N]);
	goc_chan_free(ids);
}

/* task.h promises 256 KiB; a task may use most of it. */
static void use_stack(void *ch)
{
	volatile unsigned char big[160 * 1024];
	for (size_t i = 0; i < sizeof big; i += 512)
		big[i] = (unsigned char)i;
	unsigned sum = 0;
	for (size_t i = 0; i < sizeof big; i += 512)
		sum += big[i];
	goc_chan_send(ch, &sum, GOC_FOREVER);
}

static void test_task_stack_holds_160k(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(unsigned), 1);
	assert_int_equal(goc_go(use_stack, ch), GOC_OK);
	unsigned sum = 0, want = 0;
	for (size_t i = 0; i < 160 * 1024; i += 512)
		want += (unsigned char)i;
	assert_int_equal(goc_chan_recv(ch, &sum, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(sum, want);
	goc_chan_free(ch);
}

static void count_one(void *ch)
{
	goc_chan_send(ch, NULL, GOC_FOREVER);
}

static void test_task_many_short_tasks_all_run(void **state)
{
	(void)state;
	long n = goc_test_scaled(10000);
	goc_chan *ch = goc_chan_make(0, 64);
	long got = 0;
	for (long i = 0; i < n; i++) {
		assert_int_equal(goc_go(count_one, ch), GOC_OK);
		/* Drain as we go so that at most 64 tasks wait at once. */
		while (goc_chan_recv(ch, NULL, GOC_NOWAIT) == GOC_OK)
			got++;
	}
	while (got < n && goc_chan_recv(ch, NULL, goc_test_ms(10000)) == GOC_OK)
		got++;
	assert_int_equal(got, n);
	goc_chan_free(ch);
}

static void test_task_dump_shows_what_blocks(void **state)
{
	(void)state;
	blocker b = blocker_make(1);
	assert_int_equal(goc_go(block_on, &b), GOC_OK);
	char want[64];
	snprintf(want, sizeof want, "[chan receive] on %p", (void *)b.gate);
	bool found = false;
	int64_t deadline = goc_test_ms(10000);
	while (!found && goc_now() < deadline) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		assert_non_null(f);
		goc_tasks_dump(f);
		fclose(f);
		found = strstr(text, want) != NULL;
		free(text);
		if (!found)
			goc_sleep(1000000);
	}
	assert_true(blocker_release(&b, 1));
	assert_true(found);
}

/* The leak check itself: a task alive at teardown fails the test. */
static void test_leak_check_flags_live_task(void **state)
{
	blocker b = blocker_make(1);
	assert_int_equal(goc_go(block_on, &b), GOC_OK);
	setenv("GOC_TEST_LEAK_WAIT_MS", "50", 1);
	int verdict = goc_test_teardown(state);
	unsetenv("GOC_TEST_LEAK_WAIT_MS");
	goc_test_setup(state);
	assert_true(blocker_release(&b, 1));
	assert_int_not_equal(verdict, 0);
	assert_int_equal(goc_test_teardown(state), 0);
}

static void child_hangs(void)
{
	setenv("GOC_TEST_WATCHDOG", "1", 1);
	goc_test_setup(NULL);
	blocker b = blocker_make(1);
	goc_go(block_on, &b);
	goc_chan_recv(b.gate, NULL, GOC_FOREVER);
}

/* The watchdog: a hung test dies with a dump of what was blocked. */
static void test_watchdog_aborts_hang_with_dump(void **state)
{
	(void)state;
	goc_test_expect_death("hangs", "watchdog: the test is still running");
	goc_test_expect_death("hangs", "[chan receive]");
}

static const goc_test_child children[] = {
	{ "hangs", child_hangs },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_task_runs_fn_with_arg),
		GOC_TEST(test_task_live_count_follows_tasks),
		GOC_TEST(test_task_ids_are_unique),
		GOC_TEST(test_task_stack_holds_160k),
		GOC_TEST(test_task_many_short_tasks_all_run),
		GOC_TEST(test_task_dump_shows_what_blocks),
		GOC_TEST(test_leak_check_flags_live_task),
		GOC_TEST(test_watchdog_aborts_hang_with_dump),
	};
	return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
