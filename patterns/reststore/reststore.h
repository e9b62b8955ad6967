/*
 * reststore.h - the users REST API of the Go tutorials, as functions: a
 * users store in four designs behind one interface (shared state behind
 * concurrent request handlers), the strict parsers for what a client sends
 * (a user id in a path, a JSON body), the router that turns a request into
 * a status, headers and a JSON body, and the JSON writer it answers with.
 * Nothing here touches a socket: reststore_main.c puts these behind
 * libmicrohttpd, the tests and the fuzzer call them directly.
 *
 * Store designs (goc_store_kind), one interface:
 *   GOC_STORE_RWLOCK   one map behind a pthread rwlock: the tutorial's
 *                      sync.RWMutex design (reads share, writes exclude).
 *   GOC_STORE_MUTEX    the same map behind a plain mutex.
 *   GOC_STORE_SHARDED  N maps (lock stripes), a user in shard id % N, each
 *                      behind its own mutex; ids from one atomic counter.
 *   GOC_STORE_ACTOR    one libgoc task owns the map and nothing else touches
 *                      it; callers send it a request (on their stack)
 *                      and wait on the request's WaitGroup, which the actor
 *                      marks done once it wrote the answer ("share memory
 *                      by communicating").
 *
 * A user is kept as its JSON encoding, {"id":N,"name":"...","email":"..."},
 * rendered once when it is created or replaced, so a read is a copy.
 *
 * Overlap on one store: every call but goc_store_free() may overlap any
 * other, from any thread (tasks or not). free: last, once no call is in
 * flight. Ids start at 1, strictly increase and are never reused.
 * Consistency: each call is atomic (linearizable) with respect to the
 * others; a list is one snapshot (the sharded store holds every stripe
 * while it copies). A create that returned is seen by every call that
 * starts after it.
 *
 * Ownership: the store owns its users; calls copy JSON out into the
 * caller's goc_buf, which the caller owns and frees.
 */
#ifndef GOC_RESTSTORE_H
#define GOC_RESTSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer the caller owns: {0} is an empty one. */
typedef struct goc_buf {
	char *data;  /* malloc'd, NULL while empty */
	size_t len;  /* bytes used */
	size_t cap;  /* bytes allocated */
	bool nomem;  /* an append ran out of memory; len stops growing */
} goc_buf;

/* Append n bytes (sets nomem and appends nothing when out of memory). */
void goc_buf_append(goc_buf *b, const void *p, size_t n);
/* Free the bytes and empty the buffer. */
void goc_buf_free(goc_buf *b);

/*
 * Append s[0..n) as a JSON string, quotes included: '"', '\\' and control
 * characters are escaped (\n, \t, ... or \u00XX); every other byte,
 * UTF-8 sequences included, is copied as it is. The input must be valid
 * UTF-8 for the output to be valid JSON (the body parser guarantees it).
 */
void goc_json_append_string(goc_buf *b, const char *s, size_t n);

typedef enum goc_store_kind {
	GOC_STORE_RWLOCK,
	GOC_STORE_MUTEX,
	GOC_STORE_SHARDED,
	GOC_STORE_ACTOR,
} goc_store_kind;

/* How many kinds there are: they are 0 .. GOC_STORE_KIND_COUNT - 1. */
#define GOC_STORE_KIND_COUNT 4

/* The kinds' names, by kind, NULL-terminated (a command line's choices). */
extern const char *const goc_store_kind_names[];
/* "rwlock", "mutex", "sharded", "actor"; NULL for anything else. */
const char *goc_store_kind_name(goc_store_kind kind);
/* The kind named `name`; false if there is none. */
bool goc_store_kind_parse(const char *name, goc_store_kind *kind);

typedef struct goc_store goc_store;

typedef enum goc_store_result {
	GOC_STORE_OK = 0,
	GOC_STORE_NOT_FOUND,
	GOC_STORE_NOMEM,
} goc_store_result;

/*
 * A store of the given kind; `shards` is the number of stripes of the
 * sharded store (0: 16) and is ignored by the others. The actor store
 * starts its task here. NULL when out of memory.
 */
goc_store *goc_store_make(goc_store_kind kind, unsigned shards);
/* Stop the actor (if any) and free the store and its users. NULL: no-op. */
void goc_store_free(goc_store *s);

/*
 * Create a user with the next id. On GOC_STORE_OK the user's JSON is
 * appended to `out` (if not NULL) and its id stored in *id (if not NULL).
 * The user is visible to every call that starts after this one returns.
 */
goc_store_result goc_store_create(goc_store *s, const char *name, size_t name_len,
                                  const char *email, size_t email_len, goc_buf *out, int64_t *id);
/* Append user `id`'s JSON to `out`; GOC_STORE_NOT_FOUND if there is none. */
goc_store_result goc_store_get(goc_store *s, int64_t id, goc_buf *out);
/* Replace user `id`'s name and email; append the new JSON to `out` (if not NULL). */
goc_store_result goc_store_update(goc_store *s, int64_t id, const char *name, size_t name_len,
                                  const char *email, size_t email_len, goc_buf *out);
/* Delete user `id`; GOC_STORE_NOT_FOUND if there is none. */
goc_store_result goc_store_delete(goc_store *s, int64_t id);
/* Append a JSON array of every user, ordered by id, to `out`. */
goc_store_result goc_store_list(goc_store *s, goc_buf *out);
/* How many users there are now (a snapshot); it cannot fail. */
size_t goc_store_len(goc_store *s);

/*
 * Parse a user id from a path segment: one or more ASCII digits and nothing
 * else (no sign, space, dot, hex prefix), whose value fits in int64_t.
 * Returns false for anything else. A parser: it allocates nothing.
 */
bool goc_rest_parse_id(const char *s, size_t n, int64_t *id);

typedef enum goc_body_result {
	GOC_BODY_OK = 0,
	GOC_BODY_INVALID_JSON,  /* not exactly one JSON object, bad UTF-8, \u0000, too deep, dup keys */
	GOC_BODY_MISSING_FIELDS, /* name or email missing, empty or not a string */
	GOC_BODY_NOMEM,
} goc_body_result;

/* The name and email a body carries. Views into `owner`: free it with goc_user_body_free(). */
typedef struct goc_user_body {
	const char *name;
	size_t name_len;
	const char *email;
	size_t email_len;
	void *owner; /* the parsed JSON document */
} goc_user_body;

/* Nesting deeper than this (objects and arrays) is invalid JSON. */
#define GOC_REST_MAX_DEPTH 64

/*
 * Parse a create or replace body strictly: exactly one JSON object (white
 * space around it allowed, nothing else), valid UTF-8, no \u0000, no
 * duplicate keys, nesting at most GOC_REST_MAX_DEPTH, and "name" and
 * "email" non-empty strings; every other member ("id" included) is
 * ignored. On GOC_BODY_OK `out` holds the two strings.
 */
goc_body_result goc_rest_parse_body(const char *body, size_t len, goc_user_body *out);
void goc_user_body_free(goc_user_body *b);

/* A request as the router sees it: the path without its query. */
typedef struct goc_rest_request {
	const char *method;
	const char *path;
	const char *body;
	size_t body_len;
} goc_rest_request;

/*
 * What to answer. `body` is the JSON to send (empty for 204); `allow` is
 * the Allow header's value for a 405 (NULL otherwise). Content-Type is
 * application/json whenever body is not empty.
 */
typedef struct goc_rest_response {
	unsigned status;
	const char *allow;
	goc_buf body;
} goc_rest_response;

/*
 * Route and answer one request: the users API (GET/POST /users,
 * GET/PUT/DELETE /users/{id}, GET /health; HEAD wherever GET is), 400s for
 * bad ids and bodies, 404 for unknown users and paths, 405 with Allow, 500
 * when out of memory. Thread-safe as the store is. The caller frees
 * resp->body with goc_buf_free().
 */
void goc_rest_handle(goc_store *s, const goc_rest_request *req, goc_rest_response *resp);

/* Set resp to `status` with {"error":"<msg>"} (msg needs no escaping). */
void goc_rest_error(goc_rest_response *resp, unsigned status, const char *msg);

#endif /* GOC_RESTSTORE_H */
