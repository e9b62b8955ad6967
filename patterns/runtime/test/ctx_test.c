/*
 * ctx_test.c - goc_ctx, one test per rule of ctx.h: the background context;
 * cancel closes done, sets err, reaches every descendant and nothing else,
 * is idempotent, and its first cause wins; children of canceled parents
 * start canceled; deadlines (own, inherited, already past, a timeout child
 * of a longer-deadline parent); freeing in either order, and before a
 * deadline fires; the nil-parent panic; and the happens-before edges from a
 * cancel to done and to err, exercised with plain data TSan would flag.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

/* True if ctx's done channel is closed (a receive returns GOC_CLOSED at once). */
static bool done_closed(goc_ctx *ctx)
{
	return goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_NOWAIT) == GOC_CLOSED;
}

/* Assert that ctx is not canceled: err OK, done open. */
static void assert_live(goc_ctx *ctx)
{
	assert_int_equal(goc_ctx_err(ctx), GOC_OK);
	assert_int_equal(goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_NOWAIT), GOC_WOULDBLOCK);
}

/* Assert that ctx is canceled with `err` and its done channel is closed. */
static void assert_canceled(goc_ctx *ctx, goc_status err)
{
	assert_int_equal(goc_ctx_err(ctx), err);
	assert_true(done_closed(ctx));
}

/* ---- helpers run as tasks --------------------------------------------- */

typedef struct writer {
	goc_ctx *ctx;
	int *data;        /* plain: written before the cancel */
} writer;

/* A goc_test_call_later() action: a plain write, then the cancel. */
static void write_then_cancel(void *p)
{
	writer *w = p;
	*w->data = 99;
	goc_ctx_cancel(w->ctx);
}

typedef struct done_waiter {
	goc_ctx *ctx;
	goc_status status;  /* plain: read by the test after the wg */
	goc_wg *wg;
} done_waiter;

static void wait_done_task(void *p)
{
	done_waiter *w = p;
	w->status = goc_chan_recv(goc_ctx_done(w->ctx), NULL, goc_test_ms(10000));
	goc_wg_done(w->wg);
}

/* ---- tests -------------------------------------------------------------- */

static void test_ctx_background_never_canceled(void **state)
{
	(void)state;
	goc_ctx *bg = goc_ctx_background();
	assert_non_null(bg);
	assert_ptr_equal(goc_ctx_background(), bg);
	assert_null(goc_ctx_done(bg));
	int64_t deadline = 123;
	assert_false(goc_ctx_deadline(bg, &deadline));
	assert_int_equal(deadline, 123);
	/* Cancel and free are no-ops on it. */
	goc_ctx_cancel(bg);
	goc_ctx_free(bg);
	goc_ctx_free(NULL);
	assert_int_equal(goc_ctx_err(bg), GOC_OK);
	/* Its done channel is nil: a select case on it is never ready. */
	goc_case c = GOC_RECV_CASE(goc_ctx_done(bg), NULL);
	assert_int_equal(goc_select(&c, 1, goc_test_ms(20), NULL), GOC_TIMEOUT);
}

static void test_ctx_with_cancel_cancel_closes_done_sets_canceled(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	assert_non_null(goc_ctx_done(ctx));
	assert_live(ctx);
	int64_t deadline;
	assert_false(goc_ctx_deadline(ctx, &deadline));
	goc_ctx_cancel(ctx);
	assert_canceled(ctx, GOC_CANCELED);
	goc_ctx_free(ctx);
}

static void test_ctx_cancel_wakes_blocked_done_receivers(void **state)
{
	(void)state;
	enum { WAITERS = 4 };
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	goc_wg wg;
	goc_wg_init(&wg);
	done_waiter w[WAITERS];
	goc_wg_add(&wg, WAITERS);
	for (int i = 0; i < WAITERS; i++) {
		w[i] = (done_waiter){ .ctx = ctx, .status = GOC_NOMEM, .wg = &wg };
		assert_int_equal(goc_go(wait_done_task, &w[i]), GOC_OK);
	}
	goc_sleep(20 * MS);
	goc_ctx_cancel(ctx);
	assert_int_equal(goc_wg_wait(&wg, goc_test_ms(10000)), GOC_OK);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(w[i].status, GOC_CLOSED);
	goc_wg_destroy(&wg);
	goc_ctx_free(ctx);
}

static void test_ctx_cancel_propagates_to_every_descendant_only(void **state)
{
	(void)state;
	/* root -> 3 children -> 3 grandchildren each. */
	goc_ctx *root = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(root);
	goc_ctx *child[3], *grand[3][3];
	for (int i = 0; i < 3; i++) {
		child[i] = goc_ctx_with_cancel(root);
		assert_non_null(child[i]);
		for (int j = 0; j < 3; j++) {
			grand[i][j] = j == 1 ? goc_ctx_with_timeout(child[i], 10000 * MS)
			                     : goc_ctx_with_cancel(child[i]);
			assert_non_null(grand[i][j]);
		}
	}
	/* Canceling the middle child reaches its subtree and nothing else. */
	goc_ctx_cancel(child[1]);
	assert_live(root);
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++) {
			if (i == 1)
				assert_canceled(grand[i][j], GOC_CANCELED);
			else
				assert_live(grand[i][j]);
		}
	}
	assert_live(child[0]);
	assert_live(child[2]);
	/* Canceling the root reaches everything. */
	goc_ctx_cancel(root);
	assert_canceled(root, GOC_CANCELED);
	for (int i = 0; i < 3; i++) {
		assert_canceled(child[i], GOC_CANCELED);
		for (int j = 0; j < 3; j++)
			assert_canceled(grand[i][j], GOC_CANCELED);
	}
	for (int i = 0; i < 3; i++) {
		for (int j = 0; j < 3; j++)
			goc_ctx_free(grand[i][j]);
		goc_ctx_free(child[i]);
	}
	goc_ctx_free(root);
}

static void test_ctx_cancel_twice_is_idempotent(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	assert_non_null(child);
	/* A second close of done would panic; a second cancel must not. */
	goc_ctx_cancel(child);
	goc_ctx_cancel(child);
	goc_ctx_cancel(parent);
	goc_ctx_cancel(parent);
	assert_canceled(parent, GOC_CANCELED);
	assert_canceled(child, GOC_CANCELED);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_cancel_after_deadline_first_cause_wins(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 10 * MS);
	assert_non_null(ctx);
	assert_int_equal(goc_chan_recv(goc_ctx_done(ctx), NULL, goc_test_ms(10000)), GOC_CLOSED);
	goc_ctx_cancel(ctx);
	assert_canceled(ctx, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(ctx);
}

static void test_ctx_deadline_after_cancel_first_cause_wins(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 10 * MS);
	assert_non_null(ctx);
	goc_ctx_cancel(ctx);
	goc_sleep(30 * MS);
	assert_canceled(ctx, GOC_CANCELED);
	goc_ctx_free(ctx);
}

static void test_ctx_child_cancel_then_parent_keeps_child_cause(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 10 * MS);
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	assert_non_null(child);
	goc_ctx_cancel(child);
	assert_int_equal(goc_chan_recv(goc_ctx_done(parent), NULL, goc_test_ms(10000)), GOC_CLOSED);
	assert_canceled(parent, GOC_DEADLINE_EXCEEDED);
	assert_canceled(child, GOC_CANCELED);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_child_of_canceled_parent_starts_canceled(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(parent);
	goc_ctx_cancel(parent);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	goc_ctx *timed = goc_ctx_with_timeout(parent, 10000 * MS);
	assert_non_null(child);
	assert_non_null(timed);
	assert_canceled(child, GOC_CANCELED);
	assert_canceled(timed, GOC_CANCELED);
	/* And grandchildren of it, made later still. */
	goc_ctx *grand = goc_ctx_with_cancel(child);
	assert_non_null(grand);
	assert_canceled(grand, GOC_CANCELED);
	goc_ctx_free(grand);
	goc_ctx_free(timed);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_child_of_expired_parent_starts_deadline_exceeded(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_deadline(goc_ctx_background(), goc_now());
	assert_non_null(parent);
	assert_canceled(parent, GOC_DEADLINE_EXCEEDED);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	assert_non_null(child);
	assert_canceled(child, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_deadline_exceeded_closes_done_sets_err(void **state)
{
	(void)state;
	int64_t start = goc_now();
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 30 * MS);
	assert_non_null(ctx);
	int64_t deadline = 0;
	assert_true(goc_ctx_deadline(ctx, &deadline));
	assert_true(deadline >= start + 30 * MS);
	assert_true(deadline <= goc_now() + 30 * MS);
	assert_live(ctx);
	assert_int_equal(goc_chan_recv(goc_ctx_done(ctx), NULL, goc_test_ms(10000)), GOC_CLOSED);
	assert_true(goc_now() >= deadline);
	assert_canceled(ctx, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(ctx);
}

static void test_ctx_deadline_in_past_starts_exceeded(void **state)
{
	(void)state;
	goc_ctx *past = goc_ctx_with_deadline(goc_ctx_background(), goc_now() - 1000 * MS);
	goc_ctx *zero = goc_ctx_with_timeout(goc_ctx_background(), 0);
	assert_non_null(past);
	assert_non_null(zero);
	assert_canceled(past, GOC_DEADLINE_EXCEEDED);
	assert_canceled(zero, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(zero);
	goc_ctx_free(past);
}

static void test_ctx_deadline_exceeded_propagates_to_descendants(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 20 * MS);
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	assert_non_null(child);
	goc_ctx *grand = goc_ctx_with_cancel(child);
	assert_non_null(grand);
	assert_int_equal(goc_chan_recv(goc_ctx_done(grand), NULL, goc_test_ms(10000)), GOC_CLOSED);
	assert_canceled(parent, GOC_DEADLINE_EXCEEDED);
	assert_canceled(child, GOC_DEADLINE_EXCEEDED);
	assert_canceled(grand, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(grand);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_timeout_child_of_longer_parent_expires_first(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 10000 * MS);
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_timeout(parent, 30 * MS);
	assert_non_null(child);
	int64_t pd = 0, cd = 0;
	assert_true(goc_ctx_deadline(parent, &pd));
	assert_true(goc_ctx_deadline(child, &cd));
	assert_true(cd < pd);
	assert_int_equal(goc_chan_recv(goc_ctx_done(child), NULL, goc_test_ms(5000)), GOC_CLOSED);
	assert_canceled(child, GOC_DEADLINE_EXCEEDED);
	/* The child's deadline does not reach up. */
	assert_live(parent);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_timeout_child_of_shorter_parent_takes_parent_deadline(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 30 * MS);
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_timeout(parent, 10000 * MS);
	goc_ctx *plain = goc_ctx_with_cancel(parent);
	assert_non_null(child);
	assert_non_null(plain);
	int64_t pd = 0, cd = 0, qd = 0;
	assert_true(goc_ctx_deadline(parent, &pd));
	assert_true(goc_ctx_deadline(child, &cd));
	assert_true(goc_ctx_deadline(plain, &qd));
	assert_true(cd == pd);
	assert_true(qd == pd);
	assert_int_equal(goc_chan_recv(goc_ctx_done(child), NULL, goc_test_ms(5000)), GOC_CLOSED);
	assert_canceled(child, GOC_DEADLINE_EXCEEDED);
	assert_canceled(plain, GOC_DEADLINE_EXCEEDED);
	goc_ctx_free(plain);
	goc_ctx_free(child);
	goc_ctx_free(parent);
}

static void test_ctx_with_deadline_forever_has_no_deadline(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_deadline(goc_ctx_background(), GOC_FOREVER);
	assert_non_null(ctx);
	int64_t deadline;
	assert_false(goc_ctx_deadline(ctx, &deadline));
	assert_live(ctx);
	goc_ctx_free(ctx);
}

static void test_ctx_free_parent_before_child_is_clean(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_timeout(goc_ctx_background(), 10000 * MS);
	assert_non_null(parent);
	goc_ctx *child = goc_ctx_with_cancel(parent);
	goc_ctx *timed = goc_ctx_with_timeout(parent, 5000 * MS);
	assert_non_null(child);
	assert_non_null(timed);
	goc_ctx *grand = goc_ctx_with_cancel(child);
	assert_non_null(grand);
	/* Freeing cancels first, like Go's deferred cancel: the children see it. */
	goc_ctx_free(parent);
	assert_canceled(child, GOC_CANCELED);
	assert_canceled(timed, GOC_CANCELED);
	assert_canceled(grand, GOC_CANCELED);
	/* The orphans are still usable, and free cleanly. */
	goc_ctx_cancel(child);
	goc_ctx_free(child);
	assert_canceled(grand, GOC_CANCELED);
	goc_ctx_free(grand);
	goc_ctx_free(timed);
}

static void test_ctx_free_child_before_parent_is_clean(void **state)
{
	(void)state;
	goc_ctx *parent = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(parent);
	goc_ctx *a = goc_ctx_with_cancel(parent);
	goc_ctx *b = goc_ctx_with_timeout(parent, 10000 * MS);
	goc_ctx *c = goc_ctx_with_cancel(parent);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	/* Free the middle, first and last siblings in turn; the parent's later cancel must not touch them. */
	goc_ctx_free(b);
	assert_live(parent);
	assert_live(a);
	goc_ctx_free(c);
	goc_ctx *d = goc_ctx_with_cancel(parent);
	assert_non_null(d);
	goc_ctx_free(a);
	goc_ctx_cancel(parent);
	assert_canceled(d, GOC_CANCELED);
	goc_ctx_free(d);
	goc_ctx_free(parent);
}

static void test_ctx_free_before_deadline_never_fires(void **state)
{
	(void)state;
	enum { N = 16 };
	goc_ctx *ctx[N];
	for (int i = 0; i < N; i++) {
		ctx[i] = goc_ctx_with_timeout(goc_ctx_background(), (int64_t)(i % 4) * MS + 5 * MS);
		assert_non_null(ctx[i]);
	}
	/* A fire after the free would touch freed memory, which ASan reports. */
	for (int i = 0; i < N; i++)
		goc_ctx_free(ctx[i]);
	goc_sleep(30 * MS);
}

static void test_ctx_cancel_happens_before_done_closed(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	int data = 0;
	writer w = { .ctx = ctx, .data = &data };
	goc_test_canceler c;
	assert_int_equal(goc_test_call_later(&c, write_then_cancel, &w, 10 * MS), GOC_OK);
	assert_int_equal(goc_chan_recv(goc_ctx_done(ctx), NULL, goc_test_ms(10000)), GOC_CLOSED);
	/* Plain read: ordered after the task's write only by cancel -> close -> receive. */
	assert_int_equal(data, 99);
	/* Joined only now, so the join adds no edge before the read. */
	assert_int_equal(goc_test_canceler_wait(&c, goc_test_ms(10000)), GOC_OK);
	goc_test_assert_no_leaks();
	goc_ctx_free(ctx);
}

static void test_ctx_cancel_happens_before_err_returns_cause(void **state)
{
	(void)state;
	goc_ctx *ctx = goc_ctx_with_cancel(goc_ctx_background());
	assert_non_null(ctx);
	int data = 0;
	writer w = { .ctx = ctx, .data = &data };
	goc_test_canceler c;
	assert_int_equal(goc_test_call_later(&c, write_then_cancel, &w, 10 * MS), GOC_OK);
	int64_t give_up = goc_test_ms(10000);
	while (goc_ctx_err(ctx) == GOC_OK && goc_now() < give_up)
		goc_sleep(1 * MS);
	assert_int_equal(goc_ctx_err(ctx), GOC_CANCELED);
	/* Plain read: ordered after the task's write only by cancel -> err. */
	assert_int_equal(data, 99);
	/* Joined only now, so the join adds no edge before the read. */
	assert_int_equal(goc_test_canceler_wait(&c, goc_test_ms(10000)), GOC_OK);
	goc_test_assert_no_leaks();
	goc_ctx_free(ctx);
}

/* ---- death tests ---------------------------------------------------------- */

static void child_nil_parent(void)
{
	(void)goc_ctx_with_cancel(NULL);
}

static void test_ctx_with_cancel_nil_parent_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("nil_parent", "cannot create context from nil parent");
}


/*
 * Deadlines at the edge: long past, below the clock's epoch, just past,
 * exactly now, 1 ns and a few microseconds ahead. Each context reports its
 * deadline exactly, is never exceeded before it, and always is after it.
 */
static void test_ctx_deadline_edges_expire_never_early(void **state)
{
	(void)state;
	static const int64_t absolute[] = { GOC_NOWAIT, 1, -5, INT64_MIN };
	for (size_t k = 0; k < sizeof absolute / sizeof *absolute; k++) {
		goc_ctx *c = goc_ctx_with_deadline(goc_ctx_background(), absolute[k]);
		assert_non_null(c);
		assert_canceled(c, GOC_DEADLINE_EXCEEDED);
		goc_ctx_free(c);
	}
	static const int64_t ahead[] = { -1000 * MS, -1, 0, 1, 1000, 20000 };
	long early = 0;
	for (size_t k = 0; k < sizeof ahead / sizeof *ahead; k++) {
		for (long i = 0; i < goc_test_scaled(200); i++) {
			int64_t d = goc_now() + ahead[k];
			goc_ctx *c = goc_ctx_with_deadline(goc_ctx_background(), d);
			assert_non_null(c);
			int64_t got = 0;
			assert_true(goc_ctx_deadline(c, &got));
			assert_true(got == d);
			/* err is read before the clock: exceeded must mean the deadline had passed. */
			if (goc_ctx_err(c) != GOC_OK && goc_now() < d)
				early++;
			assert_int_equal(goc_chan_recv(goc_ctx_done(c), NULL, goc_test_ms(10000)), GOC_CLOSED);
			assert_true(goc_now() >= d);
			assert_canceled(c, GOC_DEADLINE_EXCEEDED);
			goc_ctx_free(c);
		}
	}
	assert_int_equal(early, 0);
}

/*
 * A cancel racing the deadline, by a few microseconds either way: one cause
 * wins, the child gets the same, done closes once (a second close would
 * panic), and the cause never changes afterwards.
 */
static void test_ctx_deadline_racing_cancel_one_cause(void **state)
{
	(void)state;
	long canceled = 0, exceeded = 0;
	for (long i = 0; i < goc_test_scaled(400); i++) {
		goc_ctx *c = goc_ctx_with_deadline(goc_ctx_background(), goc_now() + i % 4000);
		assert_non_null(c);
		goc_ctx *child = goc_ctx_with_cancel(c);
		assert_non_null(child);
		goc_test_canceler cl = { 0 };
		assert_int_equal(goc_test_cancel_later(&cl, c, (i * 7) % 3000), GOC_OK);
		assert_int_equal(goc_chan_recv(goc_ctx_done(child), NULL, goc_test_ms(10000)), GOC_CLOSED);
		goc_status first = goc_ctx_err(c);
		assert_true(first == GOC_CANCELED || first == GOC_DEADLINE_EXCEEDED);
		assert_int_equal(goc_ctx_err(child), first);
		assert_int_equal(goc_test_canceler_wait(&cl, goc_test_ms(10000)), GOC_OK);
		assert_canceled(c, first);
		assert_canceled(child, first);
		canceled += first == GOC_CANCELED;
		exceeded += first == GOC_DEADLINE_EXCEEDED;
		goc_ctx_free(child);
		goc_ctx_free(c);
	}
	assert_int_equal(canceled + exceeded, goc_test_scaled(400));
}

static const goc_test_child children[] = {
	{ "nil_parent", child_nil_parent },
	{ NULL, NULL },
};

/*
 * Cancel one context again and again until told to stop: each cancel takes
 * ctx_mu, and nothing in the loop waits for a lock that fork() holds (as
 * malloc's would), so forks find ctx_mu held often.
 */
static void *churn_contexts(void *arg)
{
	atomic_bool *stop = arg;
	goc_ctx *c = goc_ctx_with_cancel(goc_ctx_background());
	while (!atomic_load(stop))
		goc_ctx_cancel(c);
	goc_ctx_free(c);
	return NULL;
}

/* The fork child's part: a context's life; its exit status says which step failed. */
static int fork_child_uses_contexts(void)
{
	goc_ctx *c = goc_ctx_with_cancel(goc_ctx_background());
	if (!c)
		return 1;
	goc_ctx_cancel(c);
	if (goc_ctx_err(c) != GOC_CANCELED || goc_chan_recv(goc_ctx_done(c), NULL, GOC_NOWAIT) != GOC_CLOSED)
		return 2;
	goc_ctx_free(c);
	return 0;
}

/*
 * A child of fork() uses contexts, though another thread of its parent was
 * making and canceling them at the fork (so held their lock).
 */
static void test_ctx_fork_child_while_another_thread_cancels(void **state)
{
	(void)state;
	int step = goc_test_fork_beside(churn_contexts, fork_child_uses_contexts, (int)goc_test_scaled(100));
	if (step == -1)
		fail_msg("a fork child hung on its first context");
	assert_int_equal(step, 0);
}

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_ctx_background_never_canceled),
		GOC_TEST(test_ctx_with_cancel_cancel_closes_done_sets_canceled),
		GOC_TEST(test_ctx_cancel_wakes_blocked_done_receivers),
		GOC_TEST(test_ctx_cancel_propagates_to_every_descendant_only),
		GOC_TEST(test_ctx_cancel_twice_is_idempotent),
		GOC_TEST(test_ctx_cancel_after_deadline_first_cause_wins),
		GOC_TEST(test_ctx_deadline_after_cancel_first_cause_wins),
		GOC_TEST(test_ctx_child_cancel_then_parent_keeps_child_cause),
		GOC_TEST(test_ctx_child_of_canceled_parent_starts_canceled),
		GOC_TEST(test_ctx_child_of_expired_parent_starts_deadline_exceeded),
		GOC_TEST(test_ctx_deadline_exceeded_closes_done_sets_err),
		GOC_TEST(test_ctx_deadline_in_past_starts_exceeded),
		GOC_TEST(test_ctx_deadline_edges_expire_never_early),
		GOC_TEST(test_ctx_deadline_racing_cancel_one_cause),
		GOC_TEST(test_ctx_deadline_exceeded_propagates_to_descendants),
		GOC_TEST(test_ctx_timeout_child_of_longer_parent_expires_first),
		GOC_TEST(test_ctx_timeout_child_of_shorter_parent_takes_parent_deadline),
		GOC_TEST(test_ctx_with_deadline_forever_has_no_deadline),
		GOC_TEST(test_ctx_free_parent_before_child_is_clean),
		GOC_TEST(test_ctx_free_child_before_parent_is_clean),
		GOC_TEST(test_ctx_free_before_deadline_never_fires),
		GOC_TEST(test_ctx_cancel_happens_before_done_closed),
		GOC_TEST(test_ctx_cancel_happens_before_err_returns_cause),
		GOC_TEST(test_ctx_with_cancel_nil_parent_panics),
		GOC_TEST(test_ctx_fork_child_while_another_thread_cancels),
	};
	return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
