/*
 * timer_test.c - goc_after() and goc_sleep(), one test per rule of timer.h:
 * an after channel receives once, not before its time, the goc_now() it
 * fired at; it works as a select case; freeing it before it fires is safe
 * (ASan would catch a later send into the freed channel); many timers, some
 * stopped from the middle of the heap, fire in deadline order; the timer
 * thread is not a task; goc_sleep() waits at least its time, signals or not;
 * a child of fork() has working timers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* ---- tests of goc_after() ------------------------------------------------ */

static void test_after_fires_once_not_before_time(void **state)
{
	(void)state;
	int64_t start = goc_now();
	goc_chan *ch = goc_after(30 * MS);
	assert_non_null(ch);
	assert_int_equal(goc_chan_cap(ch), 1);
	assert_int_equal(goc_chan_elem_size(ch), sizeof(int64_t));
	int64_t fired = 0;
	assert_int_equal(goc_chan_recv(ch, &fired, goc_test_ms(10000)), GOC_OK);
	int64_t got = goc_now();
	assert_true(got - start >= 30 * MS);
	/* The value is the goc_now() of the firing: after the deadline, before the receive returned. */
	assert_true(fired - start >= 30 * MS);
	assert_true(fired <= got);
	/* Once only. */
	assert_int_equal(goc_chan_recv(ch, &fired, goc_test_ms(60)), GOC_TIMEOUT);
	goc_chan_free(ch);
}

static void test_after_nonpositive_fires_at_once(void **state)
{
	(void)state;
	goc_chan *zero = goc_after(0);
	goc_chan *negative = goc_after(-5 * MS);
	assert_non_null(zero);
	assert_non_null(negative);
	assert_int_equal(goc_chan_recv(zero, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_chan_recv(negative, NULL, goc_test_ms(10000)), GOC_OK);
	goc_chan_free(zero);
	goc_chan_free(negative);
}

static void test_after_select_timeout_case_chosen(void **state)
{
	(void)state;
	goc_chan *never = goc_chan_make(sizeof(int), 0);
	goc_chan *timeout = goc_after(20 * MS);
	assert_non_null(never);
	assert_non_null(timeout);
	int v = 0;
	int64_t fired = 0;
	goc_case cases[] = { GOC_RECV_CASE(never, &v), GOC_RECV_CASE(timeout, &fired) };
	size_t chosen = 99;
	assert_int_equal(goc_select(cases, 2, goc_test_ms(10000), &chosen), GOC_OK);
	assert_int_equal(chosen, 1);
	assert_true(fired > 0);
	goc_chan_free(timeout);
	goc_chan_free(never);
}

static void test_after_free_before_fire_never_sends(void **state)
{
	(void)state;
	enum { TIMERS = 64 };
	goc_chan *ch[TIMERS];
	for (int i = 0; i < TIMERS; i++) {
		ch[i] = goc_after((int64_t)(i % 8) * MS + 5 * MS);
		assert_non_null(ch[i]);
	}
	/* Freed before any can fire: a send after the free would be a use-after-free for ASan. */
	for (int i = 0; i < TIMERS; i++)
		goc_chan_free(ch[i]);
	goc_sleep(40 * MS);
	/* The service still works after its whole heap was stopped. */
	goc_chan *after = goc_after(1 * MS);
	assert_non_null(after);
	assert_int_equal(goc_chan_recv(after, NULL, goc_test_ms(10000)), GOC_OK);
	goc_chan_free(after);
}

static void test_after_free_after_fire_unreceived_is_clean(void **state)
{
	(void)state;
	/* Fired, its value still buffered, and freed without a receive. */
	goc_chan *ch = goc_after(1 * MS);
	assert_non_null(ch);
	goc_sleep(20 * MS);
	goc_chan_free(ch);
}

static void test_after_many_timers_fire_in_deadline_order(void **state)
{
	(void)state;
	enum { TIMERS = 200 };
	goc_chan *ch[TIMERS];
	int64_t earliest[TIMERS]; /* the deadline is at least this */
	int64_t latest[TIMERS];   /* and at most this */
	int64_t fired[TIMERS];
	bool stopped[TIMERS];
	srand(12345);
	for (int i = 0; i < TIMERS; i++) {
		int64_t ns = (int64_t)(rand() % 60) * MS;
		earliest[i] = goc_now() + ns;
		ch[i] = goc_after(ns);
		latest[i] = goc_now() + ns;
		assert_non_null(ch[i]);
		/* Stop about a third, from anywhere in the heap, while the rest are pending. */
		stopped[i] = rand() % 3 == 0;
	}
	for (int i = 0; i < TIMERS; i++) {
		if (stopped[i]) {
			goc_chan_free(ch[i]);
			ch[i] = NULL;
		}
	}
	for (int i = 0; i < TIMERS; i++) {
		if (stopped[i])
			continue;
		assert_int_equal(goc_chan_recv(ch[i], &fired[i], goc_test_ms(10000)), GOC_OK);
		assert_true(fired[i] >= earliest[i]);
	}
	/* One thread fires them in heap order, so a surely-earlier deadline fired no later. */
	for (int i = 0; i < TIMERS; i++) {
		for (int j = 0; j < TIMERS; j++) {
			if (stopped[i] || stopped[j] || latest[i] >= earliest[j])
				continue;
			assert_true(fired[i] <= fired[j]);
		}
	}
	for (int i = 0; i < TIMERS; i++)
		goc_chan_free(ch[i]);
}

static void test_after_timer_thread_is_not_a_task(void **state)
{
	(void)state;
	goc_chan *ch = goc_after(1 * MS);
	assert_non_null(ch);
	assert_int_equal(goc_chan_recv(ch, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_tasks_live(), 0);
	goc_chan_free(ch);
}

/* ---- tests of goc_sleep() ------------------------------------------------ */

static void test_sleep_waits_at_least_ns(void **state)
{
	(void)state;
	int64_t start = goc_now();
	goc_sleep(25 * MS);
	assert_true(goc_now() - start >= 25 * MS);
}

static void test_sleep_nonpositive_returns_at_once(void **state)
{
	(void)state;
	int64_t start = goc_now();
	goc_sleep(0);
	goc_sleep(-1 * MS);
	goc_sleep(INT64_MIN);
	assert_true(goc_now() - start < 1000 * MS);
}

static atomic_int signals_caught;

static void count_signal(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&signals_caught, 1, memory_order_relaxed);
}

typedef struct sleeper {
	pthread_t thread;     /* set before `ready` */
	atomic_bool ready;    /* release/acquire: publishes `thread` */
	int64_t slept;        /* plain: read by the test after the wg */
	goc_chan *exit;       /* closed by the test once it sent its last signal */
	goc_wg *wg;
} sleeper;

static void sleep_task(void *p)
{
	sleeper *s = p;
	s->thread = pthread_self();
	atomic_store_explicit(&s->ready, true, memory_order_release);
	int64_t start = goc_now();
	goc_sleep(150 * MS);
	s->slept = goc_now() - start;
	/* Stay alive until the last pthread_kill() has been sent to this thread. */
	(void)goc_chan_recv(s->exit, NULL, GOC_FOREVER);
	goc_wg_done(s->wg);
}

static void test_sleep_signals_interrupting_still_wait_full_time(void **state)
{
	(void)state;
	/* No SA_RESTART: each signal interrupts clock_nanosleep with EINTR. */
	struct sigaction sa = { .sa_handler = count_signal }, old;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	atomic_store(&signals_caught, 0);
	goc_wg wg;
	goc_wg_init(&wg);
	sleeper s = { .slept = 0, .exit = goc_chan_make(0, 0), .wg = &wg };
	assert_non_null(s.exit);
	atomic_init(&s.ready, false);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_go(sleep_task, &s), GOC_OK);
	while (!atomic_load_explicit(&s.ready, memory_order_acquire))
		goc_sleep(1 * MS);
	/* Signals every 10 ms, the first ones well inside the 150 ms sleep. */
	for (int i = 0; i < 5; i++) {
		goc_sleep(10 * MS);
		assert_int_equal(pthread_kill(s.thread, SIGUSR1), 0);
	}
	goc_chan_close(s.exit);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
	goc_chan_free(s.exit);
	assert_true(s.slept >= 150 * MS);
	assert_true(atomic_load(&signals_caught) > 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	goc_wg_destroy(&wg);
}


/*
 * Timers at the edge (already due, due now, 1 ns and a few microseconds
 * ahead): each fires exactly once, never before its time, and works as a
 * select case beside an unbuffered channel that never proceeds.
 */
static void test_after_edges_fire_once_never_early(void **state)
{
	(void)state;
	static const int64_t ns[] = { -1, 0, 1, 1000, 20000 };
	goc_chan *never = goc_chan_make(sizeof(int), 0);
	assert_non_null(never);
	for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
		for (long i = 0; i < goc_test_scaled(200); i++) {
			int64_t start = goc_now();
			goc_chan *ch = goc_after(ns[k]);
			assert_non_null(ch);
			int64_t fired = 0;
			int x = 0;
			size_t chosen = 9;
			goc_case cs[] = { GOC_RECV_CASE(never, &x), GOC_RECV_CASE(ch, &fired) };
			assert_int_equal(goc_select(cs, 2, i % 2 ? GOC_FOREVER : goc_test_ms(10000), &chosen), GOC_OK);
			assert_int_equal(chosen, 1);
			assert_true(fired >= start + (ns[k] > 0 ? ns[k] : 0));
			assert_int_equal(goc_chan_recv(ch, NULL, GOC_NOWAIT), GOC_WOULDBLOCK);
			goc_chan_free(ch);
		}
	}
	goc_chan_free(never);
}

/* Freeing a timer's channel as it fires, either side of the moment: never a late send (ASan watches). */
static void test_after_free_racing_fire_is_safe(void **state)
{
	(void)state;
	for (long i = 0; i < goc_test_scaled(2000); i++) {
		goc_chan *ch = goc_after(i % 3000);
		assert_non_null(ch);
		if (i % 2)
			goc_sleep((i * 7) % 3000);
		goc_chan_free(ch);
	}
	goc_sleep(5 * MS); /* a send into a freed channel would land here */
}

/* A task of the fork child: two sleeps (timed parks on the M:N scheduler), then a send. */
static void sleep_twice_then_send(void *arg)
{
	goc_sleep(MS);
	goc_sleep(MS);
	int one = 1;
	goc_chan_send(arg, &one, GOC_FOREVER);
}

/* The child's part of the fork test: its exit status says which step failed. */
static int fork_child_uses_timers(void)
{
	for (int i = 0; i < 3; i++) {
		goc_chan *ch = goc_after(MS);
		if (!ch || goc_chan_recv(ch, NULL, goc_deadline_after(5000 * MS)) != GOC_OK)
			return 10 + i;
		goc_chan_free(ch);
		/* Long enough for the child's timer thread to wait again, as the parent's did. */
		goc_sleep(20 * MS);
	}
	goc_chan *done = goc_chan_make(sizeof(int), 0);
	if (!done || goc_go(sleep_twice_then_send, done) != GOC_OK)
		return 20;
	int got = 0;
	if (goc_chan_recv(done, &got, goc_deadline_after(5000 * MS)) != GOC_OK || got != 1)
		return 21;
	goc_chan_free(done);
	return 0;
}

/*
 * A child of fork() has timers that fire, though its parent's timer thread
 * (not copied) was waiting for one at the fork, and its tasks sleep.
 */
static void test_after_in_fork_child_fires(void **state)
{
	(void)state;
	if (!goc_test_fork_starts_threads())
		skip();
	goc_chan *ch = goc_after(MS);
	assert_non_null(ch);
	assert_int_equal(goc_chan_recv(ch, NULL, GOC_FOREVER), GOC_OK);
	goc_chan_free(ch);
	goc_sleep(20 * MS); /* the timer thread waits, with no timer pending */
	int step = goc_test_fork_run(fork_child_uses_timers, 20000);
	if (step == -1)
		fail_msg("the fork child hung: its timers did not fire");
	if (step != 0)
		fail_msg("the fork child failed at step %d (1x: goc_after, 2x: a task's sleeps)", step);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_after_fires_once_not_before_time),
		GOC_TEST(test_after_nonpositive_fires_at_once),
		GOC_TEST(test_after_edges_fire_once_never_early),
		GOC_TEST(test_after_free_racing_fire_is_safe),
		GOC_TEST(test_after_select_timeout_case_chosen),
		GOC_TEST(test_after_free_before_fire_never_sends),
		GOC_TEST(test_after_free_after_fire_unreceived_is_clean),
		GOC_TEST(test_after_many_timers_fire_in_deadline_order),
		GOC_TEST(test_after_timer_thread_is_not_a_task),
		GOC_TEST(test_sleep_waits_at_least_ns),
		GOC_TEST(test_sleep_nonpositive_returns_at_once),
		GOC_TEST(test_sleep_signals_interrupting_still_wait_full_time),
		GOC_TEST(test_after_in_fork_child_fires),
	};
	return cmocka_run_group_tests_name("timer", tests, NULL, NULL);
}
