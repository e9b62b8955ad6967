/*
 * goc_test.h - what libgoc's tests (and the patterns' tests) share.
 *
 * - A watchdog: GOC_TEST(fn) arms it before each test; a test still running
 *   after GOC_TEST_WATCHDOG seconds (default 60) is a hang, most likely a
 *   lost wake-up: the watchdog prints every blocked thread (goc_tasks_dump())
 *   and aborts, so CI fails with a diagnosis instead of stalling.
 * - A leak check, the idea of goleak: after each GOC_TEST the test fails if
 *   tasks started by goc_go() are still live.
 * - Death tests: a test binary lists its children (functions that must
 *   panic) and calls goc_test_children() first in main(); the test then
 *   runs a child in a fresh process (re-executing itself, so no sanitizer
 *   sees a fork of a threaded process) and checks that it died of SIGABRT
 *   after printing "panic: <message>".
 * - Sizes: sanitizer builds may shrink workloads through GOC_TEST_SCALE
 *   (a divisor); checks never shrink.
 * - A canceler: a task that sleeps, then cancels a context (or calls a
 *   function), and that the test thread joins, so it is never a leak.
 *
 * Worker threads never call cmocka's assert_* (cmocka is not thread-safe):
 * they record what they saw, the test thread joins them and asserts.
 */
#ifndef GOC_TEST_H
#define GOC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "goc/ctx.h"
#include "goc/status.h"
#include "goc/wg.h"

/* GOC_TEST_TSAN: defined in ThreadSanitizer builds (gcc's and clang's spellings). */
#if defined(__SANITIZE_THREAD__)
#define GOC_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_TEST_TSAN 1
#endif
#endif

#define GOC_TEST(fn) cmocka_unit_test_setup_teardown(fn, goc_test_setup, goc_test_teardown)

/* Arm the watchdog; return 0. */
int goc_test_setup(void **state);

/*
 * Disarm the watchdog; return non-zero (failing the test) if tasks are still
 * live GOC_TEST_LEAK_WAIT_MS (default 5000) after the test.
 */
int goc_test_teardown(void **state);

/* Fail the current test unless goc_tasks_live() drops to 0 within 5 s. */
void goc_test_assert_no_leaks(void);

/* n divided by GOC_TEST_SCALE (default 1), at least 1. */
long goc_test_scaled(long n);

typedef struct goc_test_child {
	const char *name;
	void (*run)(void);
} goc_test_child;

/*
 * If argv is "<prog> --goc-child NAME", run that child of `children`
 * (terminated by a {NULL, NULL} entry) and exit; a child that returns exits
 * 0, which the parent reports as "did not panic". Otherwise return.
 */
void goc_test_children(int argc, char **argv, const goc_test_child *children);

/*
 * Run child `name` in a new process; true if it died of SIGABRT with `text`
 * on its stderr. Otherwise false, with the reason in why[0..whylen) and the
 * child's stderr copied to ours. GOC_TEST_EMULATOR names the program that
 * runs the tests (cross builds set it from CMAKE_CROSSCOMPILING_EMULATOR:
 * qemu-aarch64 for the aarch64 preset): the child runs through it too.
 */
bool goc_test_dies(const char *name, const char *text, char *why, size_t whylen);

/* GOC_TEST_EMULATOR, or NULL when it is unset or empty (the tests run natively). */
const char *goc_test_emulator(void);

/*
 * Whether a child of fork() may start threads here, for tests of what a
 * child can do: not under TSan, which does not support threads in the
 * child of a threaded process, nor qemu-user, whose own state breaks.
 */
bool goc_test_fork_starts_threads(void);

/*
 * fork(); the child exits with child()'s result. That exit status (0 to
 * 255), -1 if the child died of a signal or was still running after
 * timeout_ms (it hung: it is killed), or -2 if fork() or waitpid() failed.
 */
int goc_test_fork_run(int (*child)(void), int64_t timeout_ms);

/*
 * goc_test_fork_run(child, 10 s) up to `forks` times, while a thread of
 * its own runs churn(stop) (stop: an atomic_bool, set when the forks are
 * done), so that the forks find churn's locks held: the first result that
 * is not 0, else 0. The thread is joined before this returns.
 */
int goc_test_fork_beside(void *(*churn)(void *stop), int (*child)(void), int forks);

/* Assert goc_test_dies(name, text). */
void goc_test_expect_death(const char *name, const char *text);

/* goc_test_expect_death(name, "panic: <message>\n"). */
void goc_test_expect_panic(const char *name, const char *message);

/*
 * Randomized tests' seed: GOC_TEST_SEED (a number as C writes it: 12345,
 * 0x1f...) replays one, else one is made from the clock and the process
 * id. Printed as "PROG: seed 0x... (replay: GOC_TEST_SEED=0x...)"; call
 * once, from main(), and name the seed in every failure.
 */
uint64_t goc_test_seed(const char *prog);

/*
 * The next number, in [0, n) (n > 0), of a test's own random stream whose
 * state is *state (SplitMix64: any starting value, the seed and a salt).
 */
uint32_t goc_test_draw(uint64_t *state, uint32_t n);

/* A deadline `ms` milliseconds from now. */
int64_t goc_test_ms(int64_t ms);

/*
 * A canceler: one task that sleeps, then calls fn(arg) once, then says it is
 * done. Zero it (`goc_test_canceler c = { 0 };`) or start it before the
 * first goc_test_canceler_wait(). One test thread starts and waits for it;
 * the task only reads fn, arg and delay_ns, and asserts nothing.
 */
typedef struct goc_test_canceler {
	void (*fn)(void *arg); /* read-only while running */
	void *arg;             /* read-only while running */
	int64_t delay_ns;      /* read-only while running */
	goc_wg done;           /* counts the task while running */
	bool running;          /* the test thread's only */
} goc_test_canceler;

/*
 * Start a task that sleeps delay_ns, then calls goc_ctx_cancel(ctx).
 * Returns GOC_OK, or GOC_NOMEM (no task started; nothing to wait for).
 * Asserts nothing, so a test may call it from a task of its own.
 * Ordering: the call happens-before the cancel.
 */
goc_status goc_test_cancel_later(goc_test_canceler *c, goc_ctx *ctx, int64_t delay_ns);

/*
 * goc_test_cancel_later() for any other action: the task sleeps delay_ns,
 * then calls fn(arg) (a pipeline's cancel, or a write before a cancel).
 */
goc_status goc_test_call_later(goc_test_canceler *c, void (*fn)(void *arg), void *arg,
                               int64_t delay_ns);

/*
 * Wait until the canceler's task has acted (its last step is returning,
 * which the leak check waits for) or `deadline` passes:
 * GOC_OK (at once for a zeroed canceler, or one already waited for, or one
 * whose start failed), GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT
 * (still running: wait again). Asserts nothing.
 * Ordering: fn's return happens-before this returns GOC_OK; nothing before
 * that links the task to the test thread, so a test may check its own
 * happens-before edge (a cancel, a done channel) first and wait after.
 */
goc_status goc_test_canceler_wait(goc_test_canceler *c, int64_t deadline);

#endif /* GOC_TEST_H */
