/*
 * ctx_stress_test.c - context trees under concurrent cancellation: chains
 * 100 deep and wide trees, canceled from several tasks at different levels
 * at once, while short deadlines fire, another task keeps deriving new
 * children from nodes being canceled, readers poll err and done, and
 * waiters select on done channels; then every node is freed, in random
 * order, from two tasks at once. Each round checks that every node (made
 * before or during the cancels) ends canceled, with GOC_CANCELED or, only
 * below a deadline that could fire, GOC_DEADLINE_EXCEEDED; that err never
 * changes once set; that a closed done implies a set err; and, through the
 * fixture and ASan, that no task or memory leaks.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "goc/goc.h"
#include "goc_test.h"

#define MS ((int64_t)1000000)

enum {
	MAX_NODES = 320,     /* tree nodes plus the children derived during a round */
	CANCELERS = 4,       /* tasks canceling nodes */
	CANCELS_EACH = 4,    /* nodes each canceler cancels (the first canceler also the root) */
	EXTRA = 24,          /* children derived while the cancels run */
	READERS = 2,
	WAITERS = 2,
	WAIT_CASES = 8,      /* done channels each waiter selects on */
	FREERS = 2,
};

/* How a node was made. */
typedef enum kind {
	KIND_CANCEL,     /* goc_ctx_with_cancel */
	KIND_SHORT,      /* a timeout of 0-2 ms: fires during the round */
	KIND_LONG,       /* a timeout of 10 s: never fires, stopped by free */
	KIND_FOREVER     /* goc_ctx_with_deadline(GOC_FOREVER): no deadline */
} kind;

typedef struct node {
	goc_ctx *ctx;
	int parent;           /* index, or -1 for a child of background */
	bool may_expire;      /* a KIND_SHORT node at or above it: DEADLINE_EXCEEDED allowed */
} node;

typedef struct round {
	node nodes[MAX_NODES];  /* [0, ntree): made by the test; [ntree, ntree + EXTRA): by the deriver */
	int ntree;
	goc_chan *gate;         /* closed to start every task at once */
	goc_wg wg;

	int cancel_plan[CANCELERS][CANCELS_EACH + 2];   /* node indices, -1 ends */
	int extra_parent[EXTRA];                        /* tree nodes the deriver derives from */
	kind extra_kind[EXTRA];
	int64_t extra_ns[EXTRA];
	int wait_plan[WAITERS][WAIT_CASES];
	goc_status wait_status[WAITERS];                /* plain: read after the wg */
	int free_order[MAX_NODES];                      /* a permutation of every node */

	atomic_long violations;   /* observations that break ctx.h; must stay 0 */
	atomic_long reads;        /* statistics only */
} round;

/* A small PRNG for the test thread only (rand() is not thread-safe, and tasks never draw). */
static uint64_t rng_state;

static uint32_t draw(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static goc_ctx *derive(goc_ctx *parent, kind k, int64_t short_ns)
{
	switch (k) {
	case KIND_CANCEL: return goc_ctx_with_cancel(parent);
	case KIND_SHORT: return goc_ctx_with_timeout(parent, short_ns);
	case KIND_LONG: return goc_ctx_with_timeout(parent, 10000 * MS);
	case KIND_FOREVER: return goc_ctx_with_deadline(parent, GOC_FOREVER);
	}
	return NULL;
}

static kind draw_kind(void)
{
	uint32_t r = draw(20);
	return r == 0 ? KIND_SHORT : r == 1 ? KIND_LONG : r == 2 ? KIND_FOREVER : KIND_CANCEL;
}

/* ---- tasks; they record violations, the test thread asserts ---------------- */

static void cancel_task(void *p)
{
	round *r = ((void **)p)[0];
	const int *plan = ((void **)p)[1];
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
	for (int i = 0; plan[i] >= 0; i++)
		goc_ctx_cancel(r->nodes[plan[i]].ctx);
	goc_wg_done(&r->wg);
}

static void derive_task(void *p)
{
	round *r = p;
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
	for (int i = 0; i < EXTRA; i++) {
		node *parent = &r->nodes[r->extra_parent[i]];
		node *n = &r->nodes[r->ntree + i];
		n->ctx = derive(parent->ctx, r->extra_kind[i], r->extra_ns[i]);
		n->parent = r->extra_parent[i];
		n->may_expire = parent->may_expire || r->extra_kind[i] == KIND_SHORT;
		if (!n->ctx)
			atomic_fetch_add(&r->violations, 1);
	}
	goc_wg_done(&r->wg);
}

/*
 * Poll every tree node until the root's done channel is closed, checking
 * that err never changes once set and that a closed done means a set err
 * (the close happens-before the receive that sees it, and err is set first).
 */
static void read_task(void *p)
{
	round *r = p;
	goc_status seen[MAX_NODES] = { 0 };
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
	int64_t give_up = goc_deadline_after(20000 * MS);
	bool last = false;
	while (!last) {
		last = goc_chan_recv(goc_ctx_done(r->nodes[0].ctx), NULL, GOC_NOWAIT) == GOC_CLOSED;
		for (int i = 0; i < r->ntree; i++) {
			goc_ctx *ctx = r->nodes[i].ctx;
			bool closed = goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_NOWAIT) == GOC_CLOSED;
			goc_status err = goc_ctx_err(ctx);
			if (closed && err == GOC_OK)
				atomic_fetch_add(&r->violations, 1);
			if (seen[i] != GOC_OK && err != seen[i])
				atomic_fetch_add(&r->violations, 1);
			seen[i] = err;
		}
		atomic_fetch_add_explicit(&r->reads, 1, memory_order_relaxed);
		if (goc_now() > give_up) {
			atomic_fetch_add(&r->violations, 1);
			break;
		}
	}
	goc_wg_done(&r->wg);
}

static void wait_task(void *p)
{
	round *r = ((void **)p)[0];
	intptr_t w = (intptr_t)((void **)p)[1];
	goc_case cases[WAIT_CASES];
	for (int i = 0; i < WAIT_CASES; i++)
		cases[i] = GOC_RECV_CASE(goc_ctx_done(r->nodes[r->wait_plan[w][i]].ctx), NULL);
	(void)goc_chan_recv(r->gate, NULL, GOC_FOREVER);
	r->wait_status[w] = goc_select(cases, WAIT_CASES, goc_deadline_after(20000 * MS), NULL);
	goc_wg_done(&r->wg);
}

static void free_task(void *p)
{
	round *r = ((void **)p)[0];
	intptr_t part = (intptr_t)((void **)p)[1];
	int total = r->ntree + EXTRA;
	for (int i = (int)part; i < total; i += FREERS)
		goc_ctx_free(r->nodes[r->free_order[i]].ctx);
	goc_wg_done(&r->wg);
}

/* ---- one round ------------------------------------------------------------- */

/* parent_of(i) gives the tree's shape: the parent index of node i >= 1. */
static void run_round(round *r, int ntree, int (*parent_of)(int i))
{
	r->ntree = ntree;
	atomic_init(&r->violations, 0);
	atomic_init(&r->reads, 0);

	/* The tree, built by the test thread; node 0 is the root. */
	for (int i = 0; i < ntree; i++) {
		int parent = i == 0 ? -1 : parent_of(i);
		kind k = i == 0 ? KIND_CANCEL : draw_kind();
		goc_ctx *pctx = parent < 0 ? goc_ctx_background() : r->nodes[parent].ctx;
		r->nodes[i].ctx = derive(pctx, k, (int64_t)draw(3) * MS);
		assert_non_null(r->nodes[i].ctx);
		r->nodes[i].parent = parent;
		r->nodes[i].may_expire = (parent >= 0 && r->nodes[parent].may_expire) || k == KIND_SHORT;
	}

	/* The plans, drawn here because tasks never draw. */
	for (int c = 0; c < CANCELERS; c++) {
		int i = 0;
		for (; i < CANCELS_EACH; i++)
			r->cancel_plan[c][i] = (int)draw((uint32_t)ntree);
		/* The root last, so that every node ends canceled whatever the others picked. */
		r->cancel_plan[c][i++] = c == 0 ? 0 : -1;
		if (c == 0)
			r->cancel_plan[c][i] = -1;
	}
	for (int i = 0; i < EXTRA; i++) {
		r->extra_parent[i] = (int)draw((uint32_t)ntree);
		r->extra_kind[i] = draw_kind();
		r->extra_ns[i] = (int64_t)draw(3) * MS;
	}
	for (int w = 0; w < WAITERS; w++)
		for (int i = 0; i < WAIT_CASES; i++)
			r->wait_plan[w][i] = (int)draw((uint32_t)ntree);
	int total = ntree + EXTRA;
	for (int i = 0; i < total; i++)
		r->free_order[i] = i;
	for (int i = total - 1; i > 0; i--) {
		int j = (int)draw((uint32_t)i + 1);
		int t = r->free_order[i];
		r->free_order[i] = r->free_order[j];
		r->free_order[j] = t;
	}

	/* Everything at once. */
	r->gate = goc_chan_make(0, 0);
	assert_non_null(r->gate);
	goc_wg_init(&r->wg);
	void *cancel_args[CANCELERS][2], *wait_args[WAITERS][2];
	goc_wg_add(&r->wg, CANCELERS + 1 + READERS + WAITERS);
	for (int c = 0; c < CANCELERS; c++) {
		cancel_args[c][0] = r;
		cancel_args[c][1] = r->cancel_plan[c];
		assert_int_equal(goc_go(cancel_task, cancel_args[c]), GOC_OK);
	}
	assert_int_equal(goc_go(derive_task, r), GOC_OK);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(goc_go(read_task, r), GOC_OK);
	for (int w = 0; w < WAITERS; w++) {
		r->wait_status[w] = GOC_NOMEM;
		wait_args[w][0] = r;
		wait_args[w][1] = (void *)(intptr_t)w;
		assert_int_equal(goc_go(wait_task, wait_args[w]), GOC_OK);
	}
	goc_chan_close(r->gate);
	assert_int_equal(goc_wg_wait(&r->wg, goc_test_ms(60000)), GOC_OK);

	/* Every node, old or derived during the cancels, ended canceled with a valid cause. */
	assert_int_equal(atomic_load(&r->violations), 0);
	for (int w = 0; w < WAITERS; w++)
		assert_int_equal(r->wait_status[w], GOC_CLOSED);
	for (int i = 0; i < total; i++) {
		node *n = &r->nodes[i];
		goc_status err = goc_ctx_err(n->ctx);
		if (err != GOC_CANCELED && !(err == GOC_DEADLINE_EXCEEDED && n->may_expire))
			fail_msg("node %d (parent %d): err %s", i, n->parent, goc_status_str(err));
		assert_int_equal(goc_chan_recv(goc_ctx_done(n->ctx), NULL, GOC_NOWAIT), GOC_CLOSED);
	}

	/* Free everything, in random order, from two tasks at once. */
	void *free_args[FREERS][2];
	goc_wg_add(&r->wg, FREERS);
	for (int f = 0; f < FREERS; f++) {
		free_args[f][0] = r;
		free_args[f][1] = (void *)(intptr_t)f;
		assert_int_equal(goc_go(free_task, free_args[f]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&r->wg, goc_test_ms(60000)), GOC_OK);
	goc_wg_destroy(&r->wg);
	goc_chan_free(r->gate);
	/* The tasks' arguments live in this frame: none may still be running. */
	goc_test_assert_no_leaks();
}

/* ---- shapes ---------------------------------------------------------------- */

enum { DEEP = 100, WIDE = 64, WIDE_GRAND = 3 };

/* A chain: each node the child of the one before. */
static int deep_parent(int i)
{
	return i - 1;
}

/* The root, WIDE children, and WIDE_GRAND grandchildren under each. */
static int wide_parent(int i)
{
	return i <= WIDE ? 0 : 1 + (i - WIDE - 1) % WIDE;
}

/* A mix: every node hangs under a random earlier one. */
static int random_parent(int i)
{
	return (int)draw((uint32_t)i);
}

static void run_rounds(long rounds, int ntree, int (*parent_of)(int i), uint64_t seed)
{
	round *r = calloc(1, sizeof *r);
	assert_non_null(r);
	for (long k = 0; k < rounds; k++) {
		rng_state = seed + (uint64_t)k * 0x9e3779b97f4a7c15u;
		if (rng_state == 0)
			rng_state = 1;
		run_round(r, ntree, parent_of);
	}
	free(r);
}

static void test_ctx_deep_tree_concurrent_cancels_all_canceled(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(80), DEEP, deep_parent, 0x1234567u);
}

static void test_ctx_wide_tree_concurrent_cancels_all_canceled(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(50), 1 + WIDE + WIDE * WIDE_GRAND, wide_parent, 0x7654321u);
}

static void test_ctx_random_tree_concurrent_cancels_all_canceled(void **state)
{
	(void)state;
	run_rounds(goc_test_scaled(50), 200, random_parent, 0xabcdefu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_ctx_deep_tree_concurrent_cancels_all_canceled),
		GOC_TEST(test_ctx_wide_tree_concurrent_cancels_all_canceled),
		GOC_TEST(test_ctx_random_tree_concurrent_cancels_all_canceled),
	};
	return cmocka_run_group_tests_name("ctx_stress", tests, NULL, NULL);
}
