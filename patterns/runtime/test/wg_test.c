/*
 * wg_test.c - goc_wg, one test per rule of wg.h: each status of
 * goc_wg_wait() (ok, would block, timeout, a deadline in the past), waiters
 * released by the last done, the negative-counter panic, and the
 * happens-before edge from every done to the wait, exercised with plain data
 * that TSan would flag if the edge were missing.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* ---- helpers run as tasks --------------------------------------------- */

enum { WRITERS = 8 };

typedef struct writer {
	goc_wg *wg;
	int slot; /* plain: written by the task, read by the test after the wait */
	int value;
} writer;

static void write_then_done(void *p)
{
	writer *w = p;
	w->slot = w->value;
	goc_wg_done(w->wg);
}

typedef struct waiter {
	goc_wg *wg;          /* the group waited for */
	int64_t deadline;
	goc_status status;   /* plain: read by the test after `joined` */
	goc_wg *joined;      /* done once the wait returned */
} waiter;

static void wait_task(void *p)
{
	waiter *w = p;
	w->status = goc_wg_wait(w->wg, w->deadline);
	goc_wg_done(w->joined);
}

typedef struct late_done {
	goc_wg *wg;
	int64_t delay;
} late_done;

static void sleep_then_done(void *p)
{
	late_done *l = p;
	goc_sleep(l->delay);
	goc_wg_done(l->wg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_wg_wait_zero_counter_returns_ok(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	assert_int_equal(goc_wg_wait(&wg, GOC_FOREVER), GOC_OK);
	assert_int_equal(goc_wg_wait(&wg, GOC_NOWAIT), GOC_OK);
	goc_wg_add(&wg, 3);
	goc_wg_add(&wg, -3);
	assert_int_equal(goc_wg_wait(&wg, GOC_FOREVER), GOC_OK);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_nowait_pending_returns_wouldblock(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_wg_wait(&wg, GOC_NOWAIT), GOC_WOULDBLOCK);
	goc_wg_done(&wg);
	assert_int_equal(goc_wg_wait(&wg, GOC_NOWAIT), GOC_OK);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_deadline_pending_returns_timeout(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	goc_wg_add(&wg, 1);
	int64_t start = goc_now();
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(30)), GOC_TIMEOUT);
	assert_true(goc_now() - start >= 30 * MS);
	goc_wg_done(&wg);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_past_deadline_tries_once(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	/* A deadline in the past still tries once: zero is OK, pending times out. */
	int64_t past = goc_now();
	assert_int_equal(goc_wg_wait(&wg, past), GOC_OK);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_wg_wait(&wg, past), GOC_TIMEOUT);
	goc_wg_done(&wg);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_done_before_deadline_returns_ok(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	goc_wg_add(&wg, 1);
	late_done l = { .wg = &wg, .delay = 20 * MS };
	assert_int_equal(goc_go(sleep_then_done, &l), GOC_OK);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_tasks_done_sees_their_writes(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	writer w[WRITERS];
	goc_wg_add(&wg, WRITERS);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (writer){ .wg = &wg, .slot = 0, .value = i + 1 };
		assert_int_equal(goc_go(write_then_done, &w[i]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&wg, GOC_FOREVER), GOC_OK);
	/* Plain reads: only the done -> wait edge orders them after the tasks' writes. */
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(w[i].slot, i + 1);
	goc_wg_destroy(&wg);
}

static void test_wg_done_releases_every_waiter(void **state)
{
	(void)state;
	enum { WAITERS = 6 };
	goc_wg wg, joined;
	goc_wg_init(&wg);
	goc_wg_init(&joined);
	goc_wg_add(&wg, 1);
	waiter w[WAITERS];
	goc_wg_add(&joined, WAITERS);
	for (int i = 0; i < WAITERS; i++) {
		w[i] = (waiter){ .wg = &wg, .deadline = GOC_FOREVER, .status = GOC_NOMEM, .joined = &joined };
		assert_int_equal(goc_go(wait_task, &w[i]), GOC_OK);
	}
	goc_sleep(20 * MS);
	/* Every waiter is still blocked: none may have passed a non-zero counter. */
	assert_int_equal(goc_wg_wait(&joined, GOC_NOWAIT), GOC_WOULDBLOCK);
	goc_wg_done(&wg);
	assert_int_equal(goc_wg_wait(&joined, goc_test_ms(10000)), GOC_OK);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(w[i].status, GOC_OK);
	goc_wg_destroy(&joined);
	goc_wg_destroy(&wg);
}

static void test_wg_wait_timed_waiters_time_out_independently(void **state)
{
	(void)state;
	goc_wg wg, joined;
	goc_wg_init(&wg);
	goc_wg_init(&joined);
	goc_wg_add(&wg, 1);
	/* One waiter with a short deadline times out; one waiting forever is released later. */
	waiter shortw = { .wg = &wg, .deadline = goc_test_ms(20), .status = GOC_NOMEM, .joined = &joined };
	waiter longw = { .wg = &wg, .deadline = GOC_FOREVER, .status = GOC_NOMEM, .joined = &joined };
	goc_wg_add(&joined, 2);
	assert_int_equal(goc_go(wait_task, &shortw), GOC_OK);
	assert_int_equal(goc_go(wait_task, &longw), GOC_OK);
	goc_sleep(60 * MS);
	goc_wg_done(&wg);
	assert_int_equal(goc_wg_wait(&joined, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(shortw.status, GOC_TIMEOUT);
	assert_int_equal(longw.status, GOC_OK);
	goc_wg_destroy(&joined);
	goc_wg_destroy(&wg);
}

/* ---- death tests ---------------------------------------------------------- */

static void child_add_negative(void)
{
	goc_wg wg;
	goc_wg_init(&wg);
	goc_wg_add(&wg, -1);
}

static void child_done_too_often(void)
{
	goc_wg wg;
	goc_wg_init(&wg);
	goc_wg_add(&wg, 2);
	goc_wg_done(&wg);
	goc_wg_done(&wg);
	goc_wg_done(&wg);
}

static void test_wg_add_negative_counter_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("add_negative", "sync: negative WaitGroup counter");
}

static void test_wg_done_below_zero_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("done_too_often", "sync: negative WaitGroup counter");
}


/* A deadline below the clock's epoch is long past: one try, then a timeout, not an abort. */
static void test_wg_wait_negative_deadline_tries_once(void **state)
{
	(void)state;
	goc_wg wg;
	goc_wg_init(&wg);
	assert_int_equal(goc_wg_wait(&wg, -5), GOC_OK);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_wg_wait(&wg, -5), GOC_TIMEOUT);
	assert_int_equal(goc_wg_wait(&wg, INT64_MIN), GOC_TIMEOUT);
	assert_int_equal(goc_wg_wait(&wg, 1), GOC_TIMEOUT);
	goc_wg_done(&wg);
	goc_wg_destroy(&wg);
}

static const goc_test_child children[] = {
	{ "add_negative", child_add_negative },
	{ "done_too_often", child_done_too_often },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_wg_wait_zero_counter_returns_ok),
		GOC_TEST(test_wg_wait_nowait_pending_returns_wouldblock),
		GOC_TEST(test_wg_wait_deadline_pending_returns_timeout),
		GOC_TEST(test_wg_wait_past_deadline_tries_once),
		GOC_TEST(test_wg_wait_negative_deadline_tries_once),
		GOC_TEST(test_wg_wait_done_before_deadline_returns_ok),
		GOC_TEST(test_wg_wait_tasks_done_sees_their_writes),
		GOC_TEST(test_wg_done_releases_every_waiter),
		GOC_TEST(test_wg_wait_timed_waiters_time_out_independently),
		GOC_TEST(test_wg_add_negative_counter_panics),
		GOC_TEST(test_wg_done_below_zero_panics),
	};
	return cmocka_run_group_tests_name("wg", tests, NULL, NULL);
}
