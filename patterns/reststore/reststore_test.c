/*
 * reststore_test.c - the pieces of reststore.h without a socket: the id and
 * body parsers on good and bad input, the JSON writer (what it writes must
 * read back, byte for byte, through jansson), the router's every status and
 * body for each store design, and a store's tombstones. The stores under
 * concurrency, with their invariants
 * checked by the test thread afterwards, are in reststore_stress_test.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "goc_test.h"
#include "reststore.h"

static const goc_store_kind kinds[] = { GOC_STORE_RWLOCK, GOC_STORE_MUTEX, GOC_STORE_SHARDED,
	                                    GOC_STORE_ACTOR };
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- id parser ---- */

static void test_parse_id_plain_decimal_accepted(void **state)
{
	(void)state;
	int64_t id = -5;
	assert_true(goc_rest_parse_id("1", 1, &id));
	assert_int_equal(id, 1);
	assert_true(goc_rest_parse_id("0", 1, &id));
	assert_int_equal(id, 0);
	assert_true(goc_rest_parse_id("9223372036854775807", 19, &id));
	assert_true(id == INT64_MAX);
	assert_true(goc_rest_parse_id("42", 2, &id));
	assert_int_equal(id, 42);
}

static void test_parse_id_anything_else_rejected(void **state)
{
	(void)state;
	const char *bad[] = { "", "1abc", "1.0", "0x1", " 1", "1 ", "-1", "+1", "abc",
		                  "9223372036854775808", "99999999999999999999999", "1e3", "١" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t id = 77;
		assert_false(goc_rest_parse_id(bad[i], strlen(bad[i]), &id));
		assert_int_equal(id, 77);
	}
	/* A NUL inside the segment is not a digit. */
	int64_t id;
	assert_false(goc_rest_parse_id("1\0002", 3, &id));
}

/* ---- body parser ---- */

static goc_body_result body(const char *s)
{
	goc_user_body ub;
	goc_body_result r = goc_rest_parse_body(s, strlen(s), &ub);
	goc_user_body_free(&ub);
	return r;
}

static void test_parse_body_valid_object_gives_fields(void **state)
{
	(void)state;
	const char *s = " {\"id\": 99, \"name\":\"Ann\", \"email\":\"a@x\", \"x\":[1,{\"y\":null}]}\n";
	goc_user_body ub;
	assert_int_equal(goc_rest_parse_body(s, strlen(s), &ub), GOC_BODY_OK);
	assert_int_equal(ub.name_len, 3);
	assert_memory_equal(ub.name, "Ann", 3);
	assert_int_equal(ub.email_len, 3);
	assert_memory_equal(ub.email, "a@x", 3);
	goc_user_body_free(&ub);
	/* Numbers of any size in members we ignore are fine. */
	assert_int_equal(body("{\"id\":123456789012345678901234567890,\"name\":\"a\",\"email\":\"b\",\"x\":-1.5e300}"),
	                 GOC_BODY_OK);
}

static void test_parse_body_invalid_json_rejected(void **state)
{
	(void)state;
	const char *bad[] = {
		"",
		"   ",
		"{",
		"{\"name\":\"a\",\"email\":\"b\"} x",
		"{\"name\":\"a\",\"email\":\"b\"}{}",
		"{\"name\":\"a\",\"email\":\"b\"},",
		"[{\"name\":\"a\",\"email\":\"b\"}]",
		"\"str\"",
		"42",
		"null",
		"{\"name\":\"a\",\"email\":\"b\",}",
		"{'name':'a','email':'b'}",
		"{\"name\":\"a\\u0000b\",\"email\":\"b\"}",
		"{\"name\":\"\\ud800\",\"email\":\"b\"}",
		"{\"name\":\"a\xff\",\"email\":\"b\"}",
		"{\"name\":\"\xc0\xaf\",\"email\":\"b\"}",
		"{\"name\":\"a\",\"email\":\"b\",\"name\":\"c\"}",
		"{\"name\":\"a\",\"email\":\"b\"} /* c */",
		"{\"name\":\"a\tb\",\"email\":\"b\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (body(bad[i]) != GOC_BODY_INVALID_JSON)
			fail_msg("accepted as JSON: case %zu", i);
	}
	/* A NUL byte in the body itself. */
	goc_user_body ub;
	assert_int_equal(goc_rest_parse_body("{\"name\":\"a\",\"email\":\"b\"}\0", 26, &ub),
	                 GOC_BODY_INVALID_JSON);
}

static void test_parse_body_depth_bounded(void **state)
{
	(void)state;
	char buf[1024];
	/* Depth GOC_REST_MAX_DEPTH in all (the object is 1): accepted. */
	int n = snprintf(buf, sizeof buf, "{\"name\":\"a\",\"email\":\"b\",\"x\":");
	for (int i = 0; i < GOC_REST_MAX_DEPTH - 1; i++)
		buf[n++] = '[';
	for (int i = 0; i < GOC_REST_MAX_DEPTH - 1; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = 0;
	assert_int_equal(body(buf), GOC_BODY_OK);
	/* One deeper: rejected. */
	n = snprintf(buf, sizeof buf, "{\"name\":\"a\",\"email\":\"b\",\"x\":");
	for (int i = 0; i < GOC_REST_MAX_DEPTH; i++)
		buf[n++] = '[';
	for (int i = 0; i < GOC_REST_MAX_DEPTH; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = 0;
	assert_int_equal(body(buf), GOC_BODY_INVALID_JSON);
	/* Brackets inside strings are not nesting. */
	char s[400] = "{\"name\":\"";
	for (int i = 0; i < 200; i++)
		strcat(s, "[");
	strcat(s, "\",\"email\":\"\\\"[\"}");
	assert_int_equal(body(s), GOC_BODY_OK);
	/* A deep unterminated body is refused without recursing. */
	char *deep = malloc(100001);
	memset(deep, '[', 100000);
	deep[100000] = 0;
	assert_int_equal(body(deep), GOC_BODY_INVALID_JSON);
	free(deep);
}

static void test_parse_body_fields_missing_empty_or_not_string(void **state)
{
	(void)state;
	const char *bad[] = {
		"{}",
		"{\"name\":\"a\"}",
		"{\"email\":\"b\"}",
		"{\"name\":\"\",\"email\":\"b\"}",
		"{\"name\":\"a\",\"email\":\"\"}",
		"{\"name\":1,\"email\":\"b\"}",
		"{\"name\":\"a\",\"email\":null}",
		"{\"name\":[\"a\"],\"email\":\"b\"}",
		"{\"name\":true,\"email\":{}}",
		"{\"Name\":\"a\",\"Email\":\"b\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (body(bad[i]) != GOC_BODY_MISSING_FIELDS)
			fail_msg("not 'name and email required': case %zu", i);
	}
}

/* ---- the JSON writer ---- */

/* Every string survives writer -> jansson byte for byte. */
static void expect_round_trip(const char *s, size_t n)
{
	goc_buf b = { 0 };
	goc_json_append_string(&b, s, n);
	assert_false(b.nomem);
	json_error_t err;
	json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v)
		fail_msg("writer output is not JSON: %.*s (%s)", (int)b.len, b.data, err.text);
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), n);
	assert_memory_equal(json_string_value(v), s, n);
	json_decref(v);
	goc_buf_free(&b);
}

static void test_json_writer_round_trips(void **state)
{
	(void)state;
	expect_round_trip("", 0);
	expect_round_trip("plain", 5);
	expect_round_trip("q\"b\\s/", 6);
	expect_round_trip("\b\f\n\r\t\x01\x1f\x7f", 8);
	expect_round_trip("\0x", 2);
	expect_round_trip("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8", 19);
	/* Every byte below 0x80, in random strings. */
	srand(7);
	for (int round = 0; round < 500; round++) {
		char s[64];
		size_t n = (size_t)(rand() % 64);
		for (size_t i = 0; i < n; i++)
			s[i] = (char)(rand() % 128);
		expect_round_trip(s, n);
	}
}

/* ---- the router ---- */

typedef struct answer {
	unsigned status;
	char body[512];
	const char *allow;
} answer;

static answer call(goc_store *s, const char *method, const char *path, const char *b)
{
	goc_rest_request req = { method, path, b, b ? strlen(b) : 0 };
	goc_rest_response resp = { 0 };
	goc_rest_handle(s, &req, &resp);
	answer a = { resp.status, { 0 }, resp.allow };
	assert_true(resp.body.len < sizeof a.body);
	if (resp.body.len)
		memcpy(a.body, resp.body.data, resp.body.len);
	goc_buf_free(&resp.body);
	/* Every body is JSON, or empty for 204 only. */
	if (a.status == 204) {
		assert_int_equal(strlen(a.body), 0);
	} else {
		json_error_t err;
		json_t *v = json_loads(a.body, JSON_DECODE_ANY, &err);
		if (!v)
			fail_msg("%s %s: body is not JSON: %s", method, path, a.body);
		json_decref(v);
	}
	return a;
}

static void expect(answer a, unsigned status, const char *body)
{
	if (a.status != status || (body && strcmp(a.body, body) != 0))
		fail_msg("got %u %s, want %u %s", a.status, a.body, status, body ? body : "(any)");
}

static void router_checks(goc_store_kind kind)
{
	goc_store *s = goc_store_make(kind, 4);
	assert_non_null(s);
	expect(call(s, "GET", "/users", NULL), 200, "[]");
	expect(call(s, "GET", "/health", NULL), 200, "{\"status\":\"ok\",\"users\":0}");
	expect(call(s, "POST", "/users", "{\"id\":7,\"name\":\"Ann\",\"email\":\"a@x\"}"), 201,
	       "{\"id\":1,\"name\":\"Ann\",\"email\":\"a@x\"}");
	expect(call(s, "POST", "/users", "{\"name\":\"B\\u00e9\\n\",\"email\":\"b\"}"), 201,
	       "{\"id\":2,\"name\":\"B\xc3\xa9\\n\",\"email\":\"b\"}");
	expect(call(s, "GET", "/users/1", NULL), 200, "{\"id\":1,\"name\":\"Ann\",\"email\":\"a@x\"}");
	expect(call(s, "HEAD", "/users/1", NULL), 200, NULL);
	expect(call(s, "GET", "/users", NULL), 200,
	       "[{\"id\":1,\"name\":\"Ann\",\"email\":\"a@x\"},"
	       "{\"id\":2,\"name\":\"B\xc3\xa9\\n\",\"email\":\"b\"}]");
	expect(call(s, "PUT", "/users/1", "{\"name\":\"A2\",\"email\":\"e2\",\"id\":5}"), 200,
	       "{\"id\":1,\"name\":\"A2\",\"email\":\"e2\"}");
	expect(call(s, "GET", "/users/1", NULL), 200, "{\"id\":1,\"name\":\"A2\",\"email\":\"e2\"}");
	expect(call(s, "PUT", "/users/9", "{\"name\":\"x\",\"email\":\"y\"}"), 404,
	       "{\"error\":\"user not found\"}");
	expect(call(s, "PUT", "/users/1", "{\"name\":\"x\"}"), 400,
	       "{\"error\":\"name and email required\"}");
	expect(call(s, "PUT", "/users/1", "{"), 400, "{\"error\":\"invalid JSON\"}");
	expect(call(s, "PUT", "/users/x", "{\"name\":\"x\",\"email\":\"y\"}"), 400,
	       "{\"error\":\"invalid user ID\"}");
	expect(call(s, "GET", "/users/9", NULL), 404, "{\"error\":\"user not found\"}");
	expect(call(s, "GET", "/users/0", NULL), 404, "{\"error\":\"user not found\"}");
	const char *bad_ids[] = { "/users/1abc", "/users/1.0", "/users/0x1", "/users/ 1", "/users/-1",
		                      "/users/99999999999999999999", "/users/" };
	for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++)
		expect(call(s, "GET", bad_ids[i], NULL), 400, "{\"error\":\"invalid user ID\"}");
	expect(call(s, "POST", "/users", "{\"name\":\"a\",\"email\":\"b\"} x"), 400,
	       "{\"error\":\"invalid JSON\"}");
	expect(call(s, "POST", "/users", NULL), 400, "{\"error\":\"invalid JSON\"}");
	expect(call(s, "POST", "/users", "{\"name\":\"\",\"email\":\"b\"}"), 400,
	       "{\"error\":\"name and email required\"}");
	expect(call(s, "DELETE", "/users/1", NULL), 204, "");
	expect(call(s, "DELETE", "/users/1", NULL), 404, "{\"error\":\"user not found\"}");
	expect(call(s, "GET", "/users/1", NULL), 404, "{\"error\":\"user not found\"}");
	/* Ids are never reused. */
	expect(call(s, "POST", "/users", "{\"name\":\"c\",\"email\":\"c\"}"), 201,
	       "{\"id\":3,\"name\":\"c\",\"email\":\"c\"}");
	expect(call(s, "GET", "/health", NULL), 200, "{\"status\":\"ok\",\"users\":2}");
	answer a = call(s, "DELETE", "/users", NULL);
	expect(a, 405, "{\"error\":\"method not allowed\"}");
	assert_string_equal(a.allow, "GET, HEAD, POST");
	a = call(s, "POST", "/users/2", "{}");
	expect(a, 405, "{\"error\":\"method not allowed\"}");
	assert_string_equal(a.allow, "GET, HEAD, PUT, DELETE");
	a = call(s, "POST", "/health", NULL);
	expect(a, 405, NULL);
	assert_string_equal(a.allow, "GET, HEAD");
	expect(call(s, "GET", "/", NULL), 404, "{\"error\":\"not found\"}");
	expect(call(s, "GET", "/users/1/x", NULL), 404, "{\"error\":\"not found\"}");
	expect(call(s, "GET", "/usersx", NULL), 404, "{\"error\":\"not found\"}");
	expect(call(s, "GET", "/Users", NULL), 404, "{\"error\":\"not found\"}");
	goc_store_free(s);
}

static void test_router_rwlock_every_status(void **state) { (void)state; router_checks(GOC_STORE_RWLOCK); }
static void test_router_mutex_every_status(void **state) { (void)state; router_checks(GOC_STORE_MUTEX); }
static void test_router_sharded_every_status(void **state) { (void)state; router_checks(GOC_STORE_SHARDED); }
static void test_router_actor_every_status(void **state) { (void)state; router_checks(GOC_STORE_ACTOR); }

/*
 * Tombstones are compacted away without losing users or order. One stripe
 * for the sharded store, so that its map, like the others', fills its
 * 1,024 slots and compacts (900 tombstones outnumber 124 users) rather
 * than grow.
 */
static void test_store_delete_most_then_list_ordered(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		goc_store *s = goc_store_make(kinds[k], 1);
		for (int i = 0; i < 1000; i++)
			assert_int_equal(goc_store_create(s, "n", 1, "e", 1, NULL, NULL), GOC_STORE_OK);
		for (int64_t id = 1; id <= 1000; id++)
			if (id % 10 != 0)
				assert_int_equal(goc_store_delete(s, id), GOC_STORE_OK);
		for (int i = 0; i < 100; i++)
			assert_int_equal(goc_store_create(s, "m", 1, "e", 1, NULL, NULL), GOC_STORE_OK);
		goc_buf out = { 0 };
		assert_int_equal(goc_store_list(s, &out), GOC_STORE_OK);
		json_t *arr = json_loadb(out.data, out.len, 0, NULL);
		assert_non_null(arr);
		assert_int_equal(json_array_size(arr), 200);
		for (size_t i = 0; i < 200; i++) {
			int64_t want = i < 100 ? (int64_t)(i + 1) * 10 : 1000 + (int64_t)(i - 99);
			assert_true(json_integer_value(json_object_get(json_array_get(arr, i), "id")) == want);
		}
		json_decref(arr);
		goc_buf_free(&out);
		assert_int_equal(goc_store_get(s, 11, &out), GOC_STORE_NOT_FOUND);
		assert_int_equal(goc_store_get(s, 1100, &out), GOC_STORE_OK);
		goc_buf_free(&out);
		goc_store_free(s);
	}
}

static void test_store_kind_names(void **state)
{
	(void)state;
	goc_store_kind k;
	for (size_t i = 0; i < NKINDS; i++) {
		assert_true(goc_store_kind_parse(goc_store_kind_name(kinds[i]), &k));
		assert_int_equal(k, kinds[i]);
	}
	assert_false(goc_store_kind_parse("map", &k));
	assert_null(goc_store_kind_name((goc_store_kind)9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_parse_id_plain_decimal_accepted),
		GOC_TEST(test_parse_id_anything_else_rejected),
		GOC_TEST(test_parse_body_valid_object_gives_fields),
		GOC_TEST(test_parse_body_invalid_json_rejected),
		GOC_TEST(test_parse_body_depth_bounded),
		GOC_TEST(test_parse_body_fields_missing_empty_or_not_string),
		GOC_TEST(test_json_writer_round_trips),
		GOC_TEST(test_router_rwlock_every_status),
		GOC_TEST(test_router_mutex_every_status),
		GOC_TEST(test_router_sharded_every_status),
		GOC_TEST(test_router_actor_every_status),
		GOC_TEST(test_store_delete_most_then_list_ordered),
		GOC_TEST(test_store_kind_names),
	};
	return cmocka_run_group_tests_name("reststore", tests, NULL, NULL);
}
