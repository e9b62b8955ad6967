/*
 * reststore_fuzz.c - a libFuzzer target over reststore's request path: the
 * router (method and path), the id parser, the body parser (jansson with
 * our flags and depth bound), the stores and the JSON writer, all as the
 * server calls them, minus the socket.
 *
 * An input is: one byte choosing the method and the store, a path up to the
 * first '\n', and the rest as the body. Every input meets the same store:
 * users 1..3 and nothing else (a store an input changed is made afresh), so
 * an input's outcome does not depend on the ones before it. Besides what
 * the sanitizers catch, it checks what the API promises: a status from the
 * API's list, a body that is valid JSON (empty only for 204), Allow on every
 * 405, a 201 or 200 answer that carries the name and email it was sent (and
 * the id: 4 for a create, the path's for a replace); the id parser agrees
 * with a reference on the segment after /users/, and a 400 for a user's
 * GET, HEAD or DELETE means exactly that it refused it; and the writer
 * turns any valid UTF-8 string into JSON that reads back to the same bytes.
 * A broken promise aborts (a crash to libFuzzer).
 *
 * Build: the fuzz preset (cmake --preset fuzz && cmake --build build/fuzz
 * --target reststore_fuzz); run: build/fuzz/patterns/reststore/reststore_fuzz
 * -dict=patterns/reststore/fuzz/reststore.dict patterns/reststore/fuzz/corpus
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reststore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static goc_store *stores[GOC_STORE_KIND_COUNT];

#define CHECK(cond)                                                                     \
	do {                                                                                \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "reststore_fuzz: check failed: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                                    \
		}                                                                               \
	} while (0)

#define SEED_USERS 3

/* Store kind k as every input finds it: users 1..SEED_USERS, next id SEED_USERS + 1. */
static void store_reset(int k)
{
	goc_store_free(stores[k]);
	stores[k] = goc_store_make((goc_store_kind)k, 4);
	CHECK(stores[k]);
	for (int i = 0; i < SEED_USERS; i++)
		CHECK(goc_store_create(stores[k], "seed", 4, "s@x", 3, NULL, NULL) == GOC_STORE_OK);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int k = 0; k < GOC_STORE_KIND_COUNT; k++)
		store_reset(k);
	return 0;
}

/* The reference id parser: digits only (leading zeros too), no overflow. */
static bool ref_parse_id(const char *s, size_t n, int64_t *out)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	while (n > 1 && s[0] == '0')
		s++, n--;
	if (n > 19)
		return false;
	unsigned long long v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long long)(s[i] - '0');
	if (v > (unsigned long long)INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

static void check_writer(const char *s, size_t n)
{
	/* jansson's own UTF-8 check decides which inputs are valid strings. */
	json_t *probe = json_stringn(s, n);
	bool valid = probe != NULL;
	json_decref(probe);
	goc_buf b = { 0 };
	goc_json_append_string(&b, s, n);
	CHECK(!b.nomem);
	if (valid) {
		json_t *back = json_loadb(b.data, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		CHECK(back && json_is_string(back));
		CHECK(json_string_length(back) == n && memcmp(json_string_value(back), s, n) == 0);
		json_decref(back);
	}
	goc_buf_free(&b);
}

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
	                                   "OPTIONS", "get" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *method = methods[data[0] & 7];
	int kind = (data[0] >> 3) % GOC_STORE_KIND_COUNT;
	goc_store *s = stores[kind];
	const char *rest = (const char *)data + 1;
	size_t rest_len = size - 1;
	const char *nl = memchr(rest, '\n', rest_len);
	size_t path_len = nl ? (size_t)(nl - rest) : rest_len;
	char *path = malloc(path_len + 1);
	memcpy(path, rest, path_len);
	path[path_len] = 0; /* a NUL inside ends the path early, as a C string does */
	const char *body = nl ? nl + 1 : NULL;
	size_t body_len = nl ? rest_len - path_len - 1 : 0;
	/* The body in its own allocation, so that ASan sees a read past its end. */
	char *body_copy = body_len ? malloc(body_len) : NULL;
	if (body_len)
		memcpy(body_copy, body, body_len);

	/*
	 * The id parser against the reference, on what the router gives it:
	 * the segment after /users/ (the whole path when there is none).
	 */
	bool user_path = strncmp(path, "/users/", 7) == 0;
	const char *seg = user_path ? path + 7 : path;
	int64_t a = -1, b = -1;
	bool pa = goc_rest_parse_id(seg, strlen(seg), &a);
	bool pb = ref_parse_id(seg, strlen(seg), &b);
	CHECK(pa == pb && (!pa || a == b));
	bool id_route = user_path && !strchr(seg, '/');

	goc_rest_request req = { method, path, body_copy, body_len };
	goc_rest_response resp = { 0 };
	goc_rest_handle(s, &req, &resp);
	unsigned st = resp.status;
	CHECK(st == 200 || st == 201 || st == 204 || st == 400 || st == 404 || st == 405);
	CHECK((st == 405) == (resp.allow != NULL));
	/* A user's GET, HEAD or DELETE fails with 400 exactly when the id is refused. */
	bool no_body_method = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	                      strcmp(method, "DELETE") == 0;
	if (id_route && no_body_method)
		CHECK((st == 400) == !pb);
	/* Seed users are found; no other id is. */
	if (id_route && no_body_method && pb)
		CHECK(st == ((b >= 1 && b <= SEED_USERS) ? (strcmp(method, "DELETE") == 0 ? 204u : 200u)
		                                         : 404u));
	if (st == 204) {
		CHECK(resp.body.len == 0);
	} else {
		json_error_t err;
		json_t *v = json_loadb(resp.body.data, resp.body.len, JSON_DECODE_ANY, &err);
		CHECK(v != NULL);
		if (st == 201 || (st == 200 && strcmp(method, "PUT") == 0)) {
			/* The answer carries what was sent, byte for byte. */
			goc_user_body ub;
			CHECK(goc_rest_parse_body(body_copy ? body_copy : "", body_len, &ub) == GOC_BODY_OK);
			json_t *name = json_object_get(v, "name"), *email = json_object_get(v, "email");
			CHECK(json_string_length(name) == ub.name_len &&
			      memcmp(json_string_value(name), ub.name, ub.name_len) == 0);
			CHECK(json_string_length(email) == ub.email_len &&
			      memcmp(json_string_value(email), ub.email, ub.email_len) == 0);
			goc_user_body_free(&ub);
			json_int_t id = json_integer_value(json_object_get(v, "id"));
			CHECK(id == (st == 201 ? SEED_USERS + 1 : b));
		}
		json_decref(v);
	}
	goc_buf_free(&resp.body);
	/* An input that changed the store leaves the next one a fresh store. */
	if (st == 201 || st == 204 || (st == 200 && strcmp(method, "PUT") == 0))
		store_reset(kind);

	/* The writer over the body's bytes. */
	if (body_len)
		check_writer(body_copy, body_len);
	free(body_copy);
	free(path);
	return 0;
}
