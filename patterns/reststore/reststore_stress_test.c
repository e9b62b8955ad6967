/*
 * reststore_stress_test.c - each store design of reststore.h under
 * concurrent creates, updates, deletes and lists, from plain threads (as
 * libmicrohttpd's pool calls it) and from libgoc tasks. Callers record what
 * they saw; the test thread checks the invariants afterwards: ids distinct,
 * exactly 1..N, increasing for each caller; the list exactly the users that
 * should be there, in id order, with their latest contents; the count
 * agreeing with it. The tsan workflow repeats it 20 times (label stress).
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "goc/task.h"
#include "goc/wg.h"
#include "goc_test.h"
#include "reststore.h"

static const goc_store_kind kinds[] = { GOC_STORE_RWLOCK, GOC_STORE_MUTEX, GOC_STORE_SHARDED,
	                                    GOC_STORE_ACTOR };
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- stores under concurrency ---- */

#define THREADS 8

typedef struct worker {
	goc_store *s;
	int idx;
	int n;
	int64_t *ids;     /* n: the ids this worker created */
	long errors;      /* what went wrong, for the test thread to assert */
	long order_errors;
	long json_errors; /* a create or get that answered other JSON than the user's */
} worker;

/*
 * Create n users, named for this worker; replace the even ones, delete
 * every third; read its own users back after each step. Other workers do
 * the same at the same time, and list now and then.
 */
static void *worker_main(void *arg)
{
	worker *w = arg;
	char name[64], email[64];
	int64_t last = 0;
	for (int i = 0; i < w->n; i++) {
		int nl = snprintf(name, sizeof name, "w%d-%d", w->idx, i);
		int el = snprintf(email, sizeof email, "w%d-%d@x", w->idx, i);
		int64_t id = 0;
		goc_buf out = { 0 };
		if (goc_store_create(w->s, name, (size_t)nl, email, (size_t)el, &out, &id) != GOC_STORE_OK)
			w->errors++;
		if (id <= last)
			w->order_errors++; /* one caller's ids increase */
		last = id;
		w->ids[i] = id;
		/* Create and get both answer exactly the user as created. */
		char want[192];
		int wl = snprintf(want, sizeof want, "{\"id\":%" PRId64 ",\"name\":\"%s\",\"email\":\"%s\"}",
		                  id, name, email);
		if (out.len != (size_t)wl || memcmp(out.data, want, (size_t)wl) != 0)
			w->json_errors++;
		goc_buf_free(&out);
		if (goc_store_get(w->s, id, &out) != GOC_STORE_OK)
			w->errors++;
		if (out.len != (size_t)wl || memcmp(out.data, want, (size_t)wl) != 0)
			w->json_errors++;
		goc_buf_free(&out);
		if (i % 16 == 0) {
			if (goc_store_list(w->s, &out) != GOC_STORE_OK)
				w->errors++;
			goc_buf_free(&out);
		}
	}
	for (int i = 0; i < w->n; i++) {
		if (i % 2 == 0) {
			int nl = snprintf(name, sizeof name, "u%d-%d", w->idx, i);
			if (goc_store_update(w->s, w->ids[i], name, (size_t)nl, "e", 1, NULL) != GOC_STORE_OK)
				w->errors++;
		}
		if (i % 3 == 0) {
			if (goc_store_delete(w->s, w->ids[i]) != GOC_STORE_OK)
				w->errors++;
			if (goc_store_delete(w->s, w->ids[i]) != GOC_STORE_NOT_FOUND)
				w->errors++;
		}
	}
	return NULL;
}

static void store_concurrency(goc_store_kind kind)
{
	goc_store *s = goc_store_make(kind, 0);
	assert_non_null(s);
	int n = (int)goc_test_scaled(2000);
	worker w[THREADS];
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (worker){ .s = s, .idx = i, .n = n, .ids = calloc((size_t)n, sizeof(int64_t)) };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].errors, 0);
		assert_int_equal(w[i].order_errors, 0);
		assert_int_equal(w[i].json_errors, 0);
	}
	/* Ids: THREADS * n distinct, exactly 1..THREADS*n. */
	int64_t total = (int64_t)THREADS * n;
	char *seen = calloc((size_t)total + 1, 1);
	for (int i = 0; i < THREADS; i++) {
		for (int j = 0; j < n; j++) {
			int64_t id = w[i].ids[j];
			assert_true(id >= 1 && id <= total);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
		}
	}
	/* The list: the survivors, ordered by id, with their latest contents. */
	goc_buf out = { 0 };
	assert_int_equal(goc_store_list(s, &out), GOC_STORE_OK);
	json_error_t err;
	json_t *arr = json_loadb(out.data, out.len, 0, &err);
	assert_non_null(arr);
	int per = 0;
	for (int j = 0; j < n; j++)
		per += j % 3 != 0;
	assert_int_equal(json_array_size(arr), (size_t)(per * THREADS));
	assert_int_equal(goc_store_len(s), (size_t)(per * THREADS));
	int64_t prev = 0;
	size_t k;
	json_t *u;
	json_array_foreach(arr, k, u) {
		int64_t id = json_integer_value(json_object_get(u, "id"));
		assert_true(id > prev);
		prev = id;
		const char *name = json_string_value(json_object_get(u, "name"));
		int wi, ui;
		char tag;
		assert_int_equal(sscanf(name, "%c%d-%d", &tag, &wi, &ui), 3);
		assert_true(wi >= 0 && wi < THREADS && ui >= 0 && ui < n);
		assert_true(w[wi].ids[ui] == id);
		assert_int_not_equal(ui % 3, 0);
		assert_int_equal(tag, ui % 2 == 0 ? 'u' : 'w');
	}
	json_decref(arr);
	goc_buf_free(&out);
	free(seen);
	for (int i = 0; i < THREADS; i++)
		free(w[i].ids);
	goc_store_free(s);
}

static void test_store_rwlock_concurrent_invariants(void **state) { (void)state; store_concurrency(GOC_STORE_RWLOCK); }
static void test_store_mutex_concurrent_invariants(void **state) { (void)state; store_concurrency(GOC_STORE_MUTEX); }
static void test_store_sharded_concurrent_invariants(void **state) { (void)state; store_concurrency(GOC_STORE_SHARDED); }
static void test_store_actor_concurrent_invariants(void **state) { (void)state; store_concurrency(GOC_STORE_ACTOR); }

/* Callers that are libgoc tasks, many at once: the actor answers each its own. */
typedef struct task_caller {
	goc_store *s;
	goc_wg *wg;
	int n;
	long errors; /* read by the test thread after the WaitGroup */
} task_caller;

static void task_caller_main(void *arg)
{
	task_caller *tc = arg;
	for (int i = 0; i < tc->n; i++) {
		int64_t id;
		goc_buf out = { 0 };
		if (goc_store_create(tc->s, "t", 1, "e", 1, NULL, &id) != GOC_STORE_OK ||
		    goc_store_get(tc->s, id, &out) != GOC_STORE_OK || goc_store_delete(tc->s, id) != GOC_STORE_OK ||
		    goc_store_get(tc->s, id, &out) != GOC_STORE_NOT_FOUND)
			tc->errors++;
		goc_buf_free(&out);
	}
	goc_wg_done(tc->wg);
}

static void test_store_called_from_tasks(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_store *s = goc_store_make(kinds[k], 0);
		goc_wg wg;
		goc_wg_init(&wg);
		task_caller tc[16];
		for (int i = 0; i < 16; i++) {
			tc[i] = (task_caller){ s, &wg, (int)goc_test_scaled(400), 0 };
			goc_wg_add(&wg, 1);
			assert_int_equal(goc_go(task_caller_main, &tc[i]), GOC_OK);
		}
		assert_int_equal(goc_wg_wait(&wg, goc_test_ms(60000)), GOC_OK);
		goc_wg_destroy(&wg);
		for (int i = 0; i < 16; i++)
			assert_int_equal(tc[i].errors, 0);
		assert_int_equal(goc_store_len(s), 0);
		goc_store_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_store_rwlock_concurrent_invariants),
		GOC_TEST(test_store_mutex_concurrent_invariants),
		GOC_TEST(test_store_sharded_concurrent_invariants),
		GOC_TEST(test_store_actor_concurrent_invariants),
		GOC_TEST(test_store_called_from_tasks),
	};
	return cmocka_run_group_tests_name("reststore_stress", tests, NULL, NULL);
}
