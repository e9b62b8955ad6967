/*
 * once_test.c - goc_once, one test per rule of once.h: fn runs on the first
 * call only (static and goc_once_init() storage alike); concurrent callers
 * all wait for fn and see its effects, and fn ran once; a caller that comes
 * later, through the fast path, sees fn's effects too. fn's effects are
 * plain data, so TSan flags a missing happens-before edge.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* What fn writes: plain fields, read by callers after goc_once_do(). */
typedef struct effects {
	int runs;          /* plain: incremented by fn; a second, concurrent run would race */
	int value;         /* plain: set by fn */
	atomic_bool ran;   /* relaxed flag for spinning without creating an edge */
} effects;

static void set_value(void *p)
{
	effects *e = p;
	e->runs++;
	e->value = 42;
	/* Relaxed on purpose: this flag must not order anything for TSan. */
	atomic_store_explicit(&e->ran, true, memory_order_relaxed);
}

/* Slow enough that concurrent callers pile up on the mutex while it runs. */
static void set_value_slowly(void *p)
{
	goc_sleep(20 * MS);
	set_value(p);
}

static void must_not_run(void *p)
{
	effects *e = p;
	e->runs += 1000;
}

/* ---- helpers run as tasks --------------------------------------------- */

typedef struct caller {
	goc_once *once;
	effects *e;
	goc_chan *gate;  /* closed to release every caller at once */
	int seen;        /* plain: e->value as this caller saw it after goc_once_do() */
	goc_wg *wg;
} caller;

static void call_once_task(void *p)
{
	caller *c = p;
	(void)goc_chan_recv(c->gate, NULL, GOC_FOREVER);
	goc_once_do(c->once, set_value_slowly, c->e);
	c->seen = c->e->value;
	goc_wg_done(c->wg);
}

/* Runs fn through goc_once_do(): the first caller. */
static void run_once_task(void *p)
{
	caller *c = p;
	goc_once_do(c->once, set_value, c->e);
	goc_wg_done(c->wg);
}

/* Waits, with no edge to the first caller, until fn has run, then calls again. */
static void late_caller_task(void *p)
{
	caller *c = p;
	/* Relaxed: the only edge this caller may get is the one goc_once_do() makes. */
	while (!atomic_load_explicit(&c->e->ran, memory_order_relaxed))
		goc_sleep(1 * MS);
	goc_once_do(c->once, must_not_run, c->e);
	c->seen = c->e->value;
	goc_wg_done(c->wg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_once_do_first_call_runs_fn(void **state)
{
	(void)state;
	goc_once once;
	goc_once_init(&once);
	effects e = { 0 };
	goc_once_do(&once, set_value, &e);
	assert_int_equal(e.runs, 1);
	assert_int_equal(e.value, 42);
	goc_once_destroy(&once);
}

static void test_once_do_later_calls_skip_fn(void **state)
{
	(void)state;
	goc_once once;
	goc_once_init(&once);
	effects e = { 0 };
	goc_once_do(&once, set_value, &e);
	/* A later call runs neither the same fn nor a different one. */
	goc_once_do(&once, set_value, &e);
	goc_once_do(&once, must_not_run, &e);
	assert_int_equal(e.runs, 1);
	goc_once_destroy(&once);
}

static void test_once_static_initializer_runs_fn_once(void **state)
{
	(void)state;
	static goc_once once = GOC_ONCE_INIT;
	static effects e;
	goc_once_do(&once, set_value, &e);
	goc_once_do(&once, set_value, &e);
	assert_int_equal(e.runs, 1);
	assert_int_equal(e.value, 42);
}

static void test_once_do_concurrent_callers_see_effects_fn_runs_once(void **state)
{
	(void)state;
	enum { CALLERS = 16 };
	goc_once once;
	goc_once_init(&once);
	effects e = { 0 };
	goc_chan *gate = goc_chan_make(0, 0);
	assert_non_null(gate);
	goc_wg wg;
	goc_wg_init(&wg);
	caller c[CALLERS];
	goc_wg_add(&wg, CALLERS);
	for (int i = 0; i < CALLERS; i++) {
		c[i] = (caller){ .once = &once, .e = &e, .gate = gate, .seen = -1, .wg = &wg };
		assert_int_equal(goc_go(call_once_task, &c[i]), GOC_OK);
	}
	goc_chan_close(gate);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(30000)), GOC_OK);
	assert_int_equal(e.runs, 1);
	for (int i = 0; i < CALLERS; i++)
		assert_int_equal(c[i].seen, 42);
	goc_wg_destroy(&wg);
	goc_chan_free(gate);
	goc_once_destroy(&once);
}

static void test_once_do_fast_path_sees_fn_effects(void **state)
{
	(void)state;
	goc_once once;
	goc_once_init(&once);
	effects e = { 0 };
	atomic_init(&e.ran, false);
	goc_wg wg;
	goc_wg_init(&wg);
	caller first = { .once = &once, .e = &e, .seen = -1, .wg = &wg };
	caller late = { .once = &once, .e = &e, .seen = -1, .wg = &wg };
	goc_wg_add(&wg, 2);
	/* The late caller starts first, so goc_go() orders nothing of fn before it. */
	assert_int_equal(goc_go(late_caller_task, &late), GOC_OK);
	assert_int_equal(goc_go(run_once_task, &first), GOC_OK);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(30000)), GOC_OK);
	assert_int_equal(late.seen, 42);
	assert_int_equal(e.runs, 1);
	goc_wg_destroy(&wg);
	goc_once_destroy(&once);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_once_do_first_call_runs_fn),
		GOC_TEST(test_once_do_later_calls_skip_fn),
		GOC_TEST(test_once_static_initializer_runs_fn_once),
		GOC_TEST(test_once_do_concurrent_callers_see_effects_fn_runs_once),
		GOC_TEST(test_once_do_fast_path_sees_fn_effects),
	};
	return cmocka_run_group_tests_name("once", tests, NULL, NULL);
}
