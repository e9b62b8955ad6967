/*
 * reststore_fuzz.c - a libFuzzer target over reststore's request path: the
 * router (method and path), the id parser, the body parser (jansson with
 * our flags and depth bound), the stores and the JSON writer, all as the
 * server calls them, minus the socket.
 *
 * An input is: one byte choosing the method and the store, a path up to the
 * first '\n', and the rest as the body. Besides what the sanitizers catch,
 * it checks what the API promises: a status from the API's list, a body
 * that is valid JSON (empty only for 204), Allow on every 405, a 201 or 200
 * answer that carries the name and email it was sent; the id parser agrees
 * with a reference; and the writer turns any valid UTF-8 string into JSON
 * that reads back to the same bytes. A broken promise aborts (a crash to
 * libFuzzer).
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

static goc_store *stores[4];

#define CHECK(cond)                                                                     \
	do {                                                                                \
		if (!(cond)) {                                                                  \
			fprintf(stderr, "reststore_fuzz: check failed: %s (line %d)\n", #cond, __LINE__); \
			abort();                                                                    \
		}                                                                               \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (int k = 0; k < 4; k++) {
		stores[k] = goc_store_make((goc_store_kind)k, 4);
		CHECK(stores[k]);
		/* Users 1..3 exist; the fuzzer's creates are deleted again. */
		for (int i = 0; i < 3; i++)
			CHECK(goc_store_create(stores[k], "seed", 4, "s@x", 3, NULL, NULL) == GOC_STORE_OK);
	}
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
	goc_store *s = stores[(data[0] >> 3) & 3];
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

	/* The id parser against the reference. */
	int64_t a = -1, b = -1;
	bool pa = goc_rest_parse_id(path, strlen(path), &a);
	bool pb = ref_parse_id(path, strlen(path), &b);
	CHECK(pa == pb && (!pa || a == b));

	goc_rest_request req = { method, path, body_copy, body_len };
	goc_rest_response resp = { 0 };
	goc_rest_handle(s, &req, &resp);
	unsigned st = resp.status;
	CHECK(st == 200 || st == 201 || st == 204 || st == 400 || st == 404 || st == 405);
	CHECK((st == 405) == (resp.allow != NULL));
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
			CHECK(id >= 1);
			if (st == 201)
				CHECK(goc_store_delete(s, id) == GOC_STORE_OK);
		}
		json_decref(v);
	}
	goc_buf_free(&resp.body);

	/* The writer over the body's bytes. */
	if (body_len)
		check_writer(body_copy, body_len);
	free(body_copy);
	free(path);
	return 0;
}
