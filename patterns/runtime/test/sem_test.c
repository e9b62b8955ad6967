/*
 * sem_test.c - goc_sem, one test per rule of sem.h: each status of
 * goc_sem_acquire() (ok, would block, timeout, a deadline in the past), a
 * release waking a blocked acquirer, a timed-out acquirer taking nothing,
 * the over-release panic, the release -> acquire happens-before edge (plain
 * data TSan would flag), and at most `capacity` holders among 16 tasks.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* ---- helpers run as tasks --------------------------------------------- */

typedef struct acquirer {
	goc_sem *sem;
	int64_t deadline;
	const int *data;     /* plain data the releaser wrote before releasing */
	int seen;            /* plain: *data as seen after the acquire */
	goc_status status;   /* plain: read by the test after the wg */
	goc_wg *wg;
} acquirer;

static void acquire_task(void *p)
{
	acquirer *a = p;
	a->status = goc_sem_acquire(a->sem, a->deadline);
	if (a->status == GOC_OK && a->data)
		a->seen = *a->data;
	goc_wg_done(a->wg);
}

typedef struct holder_stats {
	goc_sem *sem;
	long rounds;
	atomic_int in_flight;      /* holders right now */
	atomic_int max_in_flight;  /* the most ever seen at once */
	atomic_long failures;      /* acquires that did not return GOC_OK */
	goc_wg wg;
} holder_stats;

static void holder_task(void *p)
{
	holder_stats *s = p;
	for (long i = 0; i < s->rounds; i++) {
		if (goc_sem_acquire(s->sem, GOC_FOREVER) != GOC_OK) {
			atomic_fetch_add(&s->failures, 1);
			continue;
		}
		int now = atomic_fetch_add(&s->in_flight, 1) + 1;
		int max = atomic_load(&s->max_in_flight);
		while (now > max && !atomic_compare_exchange_weak(&s->max_in_flight, &max, now))
			;
		/* Hold the unit a little, so that holders overlap. */
		if (i % 8 == 0)
			goc_sleep(100000);
		atomic_fetch_sub(&s->in_flight, 1);
		goc_sem_release(s->sem);
	}
	goc_wg_done(&s->wg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_sem_acquire_free_unit_returns_ok(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(2);
	assert_non_null(sem);
	assert_int_equal(goc_sem_held(sem), 0);
	assert_int_equal(goc_sem_acquire(sem, GOC_FOREVER), GOC_OK);
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_sem_held(sem), 2);
	goc_sem_release(sem);
	goc_sem_release(sem);
	assert_int_equal(goc_sem_held(sem), 0);
	goc_sem_free(sem);
	goc_sem_free(NULL);
}

static void test_sem_acquire_nowait_full_returns_wouldblock(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_OK);
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_WOULDBLOCK);
	assert_int_equal(goc_sem_held(sem), 1);
	goc_sem_release(sem);
	goc_sem_free(sem);
}

static void test_sem_acquire_deadline_full_returns_timeout(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	assert_int_equal(goc_sem_acquire(sem, GOC_FOREVER), GOC_OK);
	int64_t start = goc_now();
	assert_int_equal(goc_sem_acquire(sem, goc_test_ms(30)), GOC_TIMEOUT);
	assert_true(goc_now() - start >= 30 * MS);
	assert_int_equal(goc_sem_held(sem), 1);
	goc_sem_release(sem);
	goc_sem_free(sem);
}

static void test_sem_acquire_past_deadline_tries_once(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	/* A deadline in the past still tries once: a free unit is taken, a full semaphore times out. */
	int64_t past = goc_now();
	assert_int_equal(goc_sem_acquire(sem, past), GOC_OK);
	assert_int_equal(goc_sem_acquire(sem, past), GOC_TIMEOUT);
	goc_sem_release(sem);
	goc_sem_free(sem);
}

static void test_sem_release_wakes_waiter_sees_writes(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	goc_wg wg;
	goc_wg_init(&wg);
	int data = 0;
	acquirer a = { .sem = sem, .deadline = GOC_FOREVER, .data = &data, .seen = -1,
	               .status = GOC_NOMEM, .wg = &wg };
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_OK);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_go(acquire_task, &a), GOC_OK);
	goc_sleep(20 * MS);
	assert_int_equal(goc_wg_wait(&wg, GOC_NOWAIT), GOC_WOULDBLOCK);
	/* Plain write: only the release -> acquire edge orders the task's read after it. */
	data = 7;
	goc_sem_release(sem);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(a.status, GOC_OK);
	assert_int_equal(a.seen, 7);
	/* The unit moved to the task, which still holds it. */
	assert_int_equal(goc_sem_held(sem), 1);
	goc_sem_release(sem);
	assert_int_equal(goc_sem_held(sem), 0);
	goc_wg_destroy(&wg);
	goc_sem_free(sem);
}

static void test_sem_acquire_timed_out_waiter_takes_nothing(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	goc_wg wg;
	goc_wg_init(&wg);
	acquirer a = { .sem = sem, .deadline = goc_test_ms(20), .seen = -1, .status = GOC_NOMEM, .wg = &wg };
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_OK);
	goc_wg_add(&wg, 1);
	assert_int_equal(goc_go(acquire_task, &a), GOC_OK);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(a.status, GOC_TIMEOUT);
	/* The waiter left the queue: the release frees the unit instead of handing it to nobody. */
	goc_sem_release(sem);
	assert_int_equal(goc_sem_held(sem), 0);
	assert_int_equal(goc_sem_acquire(sem, GOC_NOWAIT), GOC_OK);
	goc_sem_release(sem);
	goc_wg_destroy(&wg);
	goc_sem_free(sem);
}

static void test_sem_many_tasks_in_flight_within_capacity(void **state)
{
	(void)state;
	enum { TASKS = 16, CAPACITY = 4 };
	holder_stats s = { .sem = goc_sem_make(CAPACITY), .rounds = goc_test_scaled(400) };
	assert_non_null(s.sem);
	atomic_init(&s.in_flight, 0);
	atomic_init(&s.max_in_flight, 0);
	atomic_init(&s.failures, 0);
	goc_wg_init(&s.wg);
	goc_wg_add(&s.wg, TASKS);
	for (int i = 0; i < TASKS; i++)
		assert_int_equal(goc_go(holder_task, &s), GOC_OK);
	assert_int_equal(goc_wg_wait(&s.wg, goc_test_ms(60000)), GOC_OK);
	assert_int_equal(atomic_load(&s.failures), 0);
	assert_true(atomic_load(&s.max_in_flight) >= 1);
	assert_true(atomic_load(&s.max_in_flight) <= CAPACITY);
	assert_int_equal(goc_sem_held(s.sem), 0);
	goc_wg_destroy(&s.wg);
	goc_sem_free(s.sem);
}

/* ---- death tests ---------------------------------------------------------- */

static void child_release_unheld(void)
{
	goc_sem *sem = goc_sem_make(2);
	goc_sem_release(sem);
}

static void child_release_twice(void)
{
	goc_sem *sem = goc_sem_make(2);
	(void)goc_sem_acquire(sem, GOC_FOREVER);
	goc_sem_release(sem);
	goc_sem_release(sem);
}

static void test_sem_release_unheld_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("release_unheld", "semaphore: released more than held");
}

static void test_sem_release_twice_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("release_twice", "semaphore: released more than held");
}


/* A deadline below the clock's epoch is long past: one try, then a timeout that leaves the count. */
static void test_sem_acquire_negative_deadline_tries_once(void **state)
{
	(void)state;
	goc_sem *sem = goc_sem_make(1);
	assert_non_null(sem);
	assert_int_equal(goc_sem_acquire(sem, -5), GOC_OK);
	assert_int_equal(goc_sem_acquire(sem, -5), GOC_TIMEOUT);
	assert_int_equal(goc_sem_acquire(sem, INT64_MIN), GOC_TIMEOUT);
	assert_int_equal(goc_sem_held(sem), 1);
	goc_sem_release(sem);
	assert_int_equal(goc_sem_held(sem), 0);
	goc_sem_free(sem);
}

static const goc_test_child children[] = {
	{ "release_unheld", child_release_unheld },
	{ "release_twice", child_release_twice },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_sem_acquire_free_unit_returns_ok),
		GOC_TEST(test_sem_acquire_nowait_full_returns_wouldblock),
		GOC_TEST(test_sem_acquire_deadline_full_returns_timeout),
		GOC_TEST(test_sem_acquire_past_deadline_tries_once),
		GOC_TEST(test_sem_acquire_negative_deadline_tries_once),
		GOC_TEST(test_sem_release_wakes_waiter_sees_writes),
		GOC_TEST(test_sem_acquire_timed_out_waiter_takes_nothing),
		GOC_TEST(test_sem_many_tasks_in_flight_within_capacity),
		GOC_TEST(test_sem_release_unheld_panics),
		GOC_TEST(test_sem_release_twice_panics),
	};
	return cmocka_run_group_tests_name("sem", tests, NULL, NULL);
}
