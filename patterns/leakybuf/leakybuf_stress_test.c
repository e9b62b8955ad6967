/*
 * leakybuf_stress_test.c - the pools under concurrent gets and puts, round
 * after round, and the W9 run with random shapes. In a hammer round,
 * getters take buffers, stamp each with a token of their own (thread and
 * counter) in every word, and pass the token and the buffer over a channel
 * to putters, which check every word still holds the token before putting
 * the buffer back: a buffer handed to two holders at once, or reused while
 * still held, shows as a broken stamp. The free list takes several getters and putters; the stack one
 * getter (its rule) and several putters; malloc any. Each round checks no
 * stamp broke, the counts balance (allocations == frees after the pool is
 * drained, allocations + reuses == gets), and, through the sanitizers, no
 * race and no leak. The seed is printed at the start and named by every
 * failure; GOC_TEST_SEED replays one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "goc_test.h"
#include "leakybuf.h"

enum { WORDS = 32, MAX_GETTERS = 3, MAX_PUTTERS = 3 };

typedef struct hammer {
	goc_bufpool *pool;
	goc_chan *pass;           /* stamped elements, getters -> putters */
	goc_wg getters, putters;
} hammer;

typedef struct role {
	hammer *h;
	uint64_t id;
	uint64_t count;           /* getter: buffers to take */
	uint64_t moved, broken, nomem;  /* written by the task, read after its wg */
} role;

/* A buffer and the token its getter wrote into every word. */
typedef struct stamped {
	uint64_t token;
	uint64_t *buf;
} stamped;

static void getter_task(void *arg)
{
	role *r = arg;
	for (uint64_t i = 0; i < r->count; i++) {
		uint64_t *b = goc_bufpool_get(r->h->pool);
		if (!b) {
			r->nomem++;
			continue;
		}
		uint64_t token = r->id << 40 | i;
		for (int w = 0; w < WORDS; w++)
			b[w] = token;
		stamped m = { token, b };
		(void)goc_chan_send(r->h->pass, &m, GOC_FOREVER);
		r->moved++;
	}
	goc_wg_done(&r->h->getters);
}

static void putter_task(void *arg)
{
	role *r = arg;
	stamped m;
	while (goc_chan_recv(r->h->pass, &m, GOC_FOREVER) == GOC_OK) {
		for (int w = 0; w < WORDS; w++)
			if (m.buf[w] != m.token)
				r->broken++;
		goc_bufpool_put(r->h->pool, m.buf);
		r->moved++;
	}
	goc_wg_done(&r->h->putters);
}

/* The run's seed (goc_test_seed()), printed by main() and named by every failure. */
static uint64_t seed;

static void test_stress_pools_concurrent_get_put_no_double_handout(void **state)
{
	(void)state;
	static const goc_pool_kind kinds[] = { GOC_POOL_FREELIST, GOC_POOL_MALLOC, GOC_POOL_STACK };
	uint64_t rng = seed ^ 0x9e3779b97f4a7c15u;
	long rounds = goc_test_scaled(200);
	for (long round = 0; round < rounds; round++) {
		goc_pool_kind kind = kinds[goc_test_draw(&rng, 3)];
		size_t ng = kind == GOC_POOL_STACK ? 1 : 1 + goc_test_draw(&rng, MAX_GETTERS);
		size_t np = 1 + goc_test_draw(&rng, MAX_PUTTERS);
		hammer h = { .pool = goc_bufpool_make(kind, WORDS * sizeof(uint64_t), goc_test_draw(&rng, 8)),
			     .pass = goc_chan_make(sizeof(stamped), goc_test_draw(&rng, 5)) };
		assert_non_null(h.pool);
		assert_non_null(h.pass);
		goc_wg_init(&h.getters);
		goc_wg_init(&h.putters);
		role gs[MAX_GETTERS], ps[MAX_PUTTERS];
		memset(gs, 0, sizeof gs);
		memset(ps, 0, sizeof ps);
		uint64_t gets = 0;
		for (size_t i = 0; i < np; i++) {
			ps[i].h = &h;
			goc_wg_add(&h.putters, 1);
			assert_int_equal(goc_go(putter_task, &ps[i]), GOC_OK);
		}
		for (size_t i = 0; i < ng; i++) {
			gs[i] = (role){ .h = &h, .id = i + 1, .count = 1 + goc_test_draw(&rng, 500) };
			gets += gs[i].count;
			goc_wg_add(&h.getters, 1);
			assert_int_equal(goc_go(getter_task, &gs[i]), GOC_OK);
		}
		assert_int_equal(goc_wg_wait(&h.getters, goc_test_ms(60000)), GOC_OK);
		goc_chan_close(h.pass);
		assert_int_equal(goc_wg_wait(&h.putters, goc_test_ms(60000)), GOC_OK);
		uint64_t moved_in = 0, moved_out = 0, broken = 0;
		for (size_t i = 0; i < ng; i++) {
			assert_int_equal(gs[i].nomem, 0);
			moved_in += gs[i].moved;
		}
		for (size_t i = 0; i < np; i++) {
			moved_out += ps[i].moved;
			broken += ps[i].broken;
		}
		if (broken)
			fail_msg("seed 0x%llx round %ld (kind %d): %llu words of buffers changed while held",
			         (unsigned long long)seed, round, (int)kind, (unsigned long long)broken);
		assert_int_equal(moved_in, gets);
		assert_int_equal(moved_out, gets);
		goc_bufpool_drain(h.pool);
		goc_pool_counts c = goc_bufpool_counts(h.pool);
		assert_int_equal(c.allocs, c.frees);
		assert_int_equal(c.allocs + c.reused, gets);
		goc_wg_destroy(&h.getters);
		goc_wg_destroy(&h.putters);
		goc_chan_free(h.pass);
		goc_bufpool_free(h.pool);
	}
}

static void test_stress_run_random_shapes_verify(void **state)
{
	(void)state;
	static const goc_pool_kind kinds[] = { GOC_POOL_FREELIST, GOC_POOL_MALLOC, GOC_POOL_STACK };
	uint64_t rng = seed ^ 0x2545f4914f6cdd1du;
	long rounds = goc_test_scaled(100);
	for (long round = 0; round < rounds; round++) {
		goc_leaky_opts o = { .kind = kinds[goc_test_draw(&rng, 3)], .buffers = 1 + goc_test_draw(&rng, 1000),
			             .buf_size = 8 * (1 + goc_test_draw(&rng, 64)), .free_cap = goc_test_draw(&rng, 10),
			             .chan_cap = goc_test_draw(&rng, 5) };
		goc_leaky_stats s;
		assert_int_equal(goc_leaky_run(&o, &s), GOC_OK);
		char why[256] = "";
		if (!goc_leaky_verify(&s, &o, why, sizeof why))
			fail_msg("seed 0x%llx round %ld (kind %d, %llu buffers of %zu bytes, list %zu, chan %zu): %s",
			         (unsigned long long)seed, round, (int)o.kind, (unsigned long long)o.buffers, o.buf_size,
			         o.free_cap, o.chan_cap, why);
	}
}

int main(void)
{
	seed = goc_test_seed("leakybuf_stress_test");
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_stress_pools_concurrent_get_put_no_double_handout),
		GOC_TEST(test_stress_run_random_shapes_verify),
	};
	return cmocka_run_group_tests_name("leakybuf_stress", tests, NULL, NULL);
}
