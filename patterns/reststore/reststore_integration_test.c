/*
 * reststore_integration_test.c - the reststore server as its clients see it:
 * started on an ephemeral loopback port (its "listening on" line read from
 * its stdout), driven over raw sockets (so that what curl would not send can
 * be sent: pipelined requests, HTTP/1.0, Expect: 100-continue by hand, half
 * a body, a stalled header), stopped with SIGTERM, which must end it with
 * status 0. Under TSan a race in the server makes it exit non-zero, which
 * fails the test that stopped it.
 *
 * Usage: reststore_integration_test SERVER STORE
 */
#define _GNU_SOURCE /* memmem */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "goc_test.h"

extern char **environ;

static const char *server_path;
static const char *store_kind;

typedef struct server {
	pid_t pid;
	unsigned port;
} server;

/*
 * The server a test has running (0: none), so that a test that fails
 * half-way (cmocka jumps out of it) leaves no server behind: the teardown
 * kills it.
 */
static pid_t running;

/* ---- the server process ---- */

#define MS 1000000 /* nanoseconds */

/*
 * Start the server with --port 0 and extra args, its stderr to err_path if
 * not NULL; read its listening line.
 */
static server start_err(const char *const *extra, const char *err_path)
{
	server s = { 0 };
	int out[2];
	assert_int_equal(pipe(out), 0);
	const char *argv[32] = { server_path, "--port", "0", "--store", store_kind };
	int argc = 5;
	for (; extra && *extra; extra++)
		argv[argc++] = *extra;
	argv[argc] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	if (err_path)
		posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = posix_spawn(&s.pid, server_path, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	assert_int_equal(rc, 0);
	running = s.pid;
	char line[256];
	size_t n = 0;
	int64_t until = goc_test_ms(20000);
	while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n')) {
		struct pollfd p = { out[0], POLLIN, 0 };
		int left = (int)((until - goc_now()) / MS);
		if (left <= 0 || poll(&p, 1, left) != 1)
			fail_msg("no listening line from the server in 20 s");
		ssize_t r = read(out[0], line + n, 1);
		if (r <= 0)
			fail_msg("the server closed its stdout before its listening line");
		n += (size_t)r;
	}
	line[n] = 0;
	close(out[0]);
	if (sscanf(line, "listening on http://127.0.0.1:%u\n", &s.port) != 1 || s.port == 0)
		fail_msg("not a listening line: %s", line);
	return s;
}

static server start(const char *const *extra)
{
	return start_err(extra, NULL);
}

/* SIGTERM, then the exit status (-1: killed after 15 s, or by a signal). */
static int stop(server *s)
{
	running = 0;
	kill(s->pid, SIGTERM);
	int64_t until = goc_test_ms(15000);
	int st;
	for (;;) {
		pid_t r = waitpid(s->pid, &st, WNOHANG);
		if (r == s->pid)
			break;
		if (goc_now() > until) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &st, 0);
			return -1;
		}
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* After each test: kill a server a failed test left running, then the usual checks. */
static int teardown(void **state)
{
	if (running > 0) {
		kill(running, SIGKILL);
		waitpid(running, NULL, 0);
		running = 0;
	}
	return goc_test_teardown(state);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, goc_test_setup, teardown)

/* ---- a minimal HTTP/1.1 client over a socket ---- */

typedef struct conn {
	int fd;
	char buf[1 << 17];
	size_t len; /* bytes read and not yet consumed */
} conn;

typedef struct response {
	int status;
	char head[4096]; /* status line and headers */
	char *body;      /* malloc'd, NUL-terminated */
	size_t body_len;
} response;

static int dial(unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static conn *conn_open(unsigned port)
{
	conn *c = calloc(1, sizeof *c);
	c->fd = dial(port);
	if (c->fd < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void conn_close(conn *c)
{
	if (c) {
		close(c->fd);
		free(c);
	}
}

static bool send_all(conn *c, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

static bool send_str(conn *c, const char *s)
{
	return send_all(c, s, strlen(s));
}

/* Read more into the buffer; false on EOF, error or timeout. */
static bool fill(conn *c)
{
	if (c->len == sizeof c->buf)
		return false;
	ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
	if (r <= 0)
		return false;
	c->len += (size_t)r;
	return true;
}

static void consume(conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* The value of header `name` in r->head, copied to v; false if absent. */
static bool header(const response *r, const char *name, char *v, size_t vlen)
{
	size_t nl = strlen(name);
	for (const char *p = strstr(r->head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;
		if (strncasecmp(h, name, nl) == 0 && h[nl] == ':') {
			h += nl + 1;
			while (*h == ' ')
				h++;
			const char *e = strstr(h, "\r\n");
			size_t n = e ? (size_t)(e - h) : strlen(h);
			if (n >= vlen)
				n = vlen - 1;
			memcpy(v, h, n);
			v[n] = 0;
			return true;
		}
	}
	return false;
}

/*
 * Read one response (a body by Content-Length, none for 1xx, 204 and HEAD).
 * False on EOF or timeout before a whole one.
 */
static bool read_response(conn *c, response *r, bool head_request)
{
	*r = (response){ 0 };
	char *end;
	while (!(c->len && (end = memmem(c->buf, c->len, "\r\n\r\n", 4)))) {
		if (!fill(c))
			return false;
	}
	size_t hl = (size_t)(end - c->buf) + 4;
	if (hl >= sizeof r->head)
		return false;
	memcpy(r->head, c->buf, hl);
	r->head[hl] = 0;
	consume(c, hl);
	if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
		return false;
	size_t bl = 0;
	char v[64];
	if (r->status >= 200 && r->status != 204 && !head_request && header(r, "Content-Length", v, sizeof v))
		bl = strtoul(v, NULL, 10);
	while (c->len < bl) {
		if (!fill(c))
			return false;
	}
	r->body = malloc(bl + 1);
	memcpy(r->body, c->buf, bl);
	r->body[bl] = 0;
	r->body_len = bl;
	consume(c, bl);
	return true;
}

static void response_free(response *r)
{
	free(r->body);
	r->body = NULL;
}

/* Is the peer's end closed (EOF within 5 s, nothing more to read)? */
static bool closed_by_peer(conn *c, int timeout_ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	char b;
	ssize_t r = recv(c->fd, &b, 1, 0);
	return r == 0 || (r < 0 && errno == ECONNRESET);
}

/* One request on its own connection. */
static response roundtrip(unsigned port, const char *method, const char *path, const char *body)
{
	conn *c = conn_open(port);
	assert_non_null(c);
	char req[1024];
	snprintf(req, sizeof req,
	         "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %zu\r\n\r\n", method, path,
	         body ? strlen(body) : 0);
	assert_true(send_str(c, req));
	if (body)
		assert_true(send_str(c, body));
	response r;
	if (!read_response(c, &r, strcmp(method, "HEAD") == 0))
		fail_msg("%s %s: no response", method, path);
	conn_close(c);
	return r;
}

/* A request's status, body and JSON content type. */
static void expect_rt(unsigned port, const char *method, const char *path, const char *body,
                      int status, const char *want_body)
{
	response r = roundtrip(port, method, path, body);
	if (r.status != status || (want_body && strcmp(r.body, want_body) != 0))
		fail_msg("%s %s: got %d %s, want %d %s", method, path, r.status, r.body, status,
		         want_body ? want_body : "(any)");
	char ct[64], rid[32];
	/* Every answer carries a request id, a decimal counter from 1. */
	assert_true(header(&r, "X-Request-Id", rid, sizeof rid));
	assert_true(rid[0] >= '1' && rid[0] <= '9' && strspn(rid, "0123456789") == strlen(rid));
	if (r.body_len > 0) {
		assert_true(header(&r, "Content-Type", ct, sizeof ct));
		assert_string_equal(ct, "application/json");
		json_t *v = json_loadb(r.body, r.body_len, JSON_DECODE_ANY, NULL);
		if (!v)
			fail_msg("%s %s: body is not JSON: %s", method, path, r.body);
		json_decref(v);
	}
	response_free(&r);
}

/*
 * On an open connection: send `raw` (unless NULL), read one response (a
 * HEAD's when head), and check its status and, unless NULL, its body.
 */
static void expect_on(conn *c, const char *raw, bool head, int status, const char *body)
{
	if (raw && !send_str(c, raw))
		fail_msg("send failed: %s", strerror(errno));
	response r;
	if (!read_response(c, &r, head))
		fail_msg("no response (want %d)", status);
	if (r.status != status || (body && strcmp(r.body, body) != 0))
		fail_msg("got %d %s, want %d %s", r.status, r.body, status, body ? body : "(any)");
	response_free(&r);
}

/* Open n connections to the server into conns, each one asserted. */
static void open_n(unsigned port, int n, conn **conns)
{
	for (int i = 0; i < n; i++) {
		conns[i] = conn_open(port);
		if (!conns[i])
			fail_msg("connection %d of %d: %s", i + 1, n, strerror(errno));
	}
}

/* ---- the tests ---- */

static void test_every_status_code(void **state)
{
	(void)state;
	server s = start(NULL);
	unsigned p = s.port;
	expect_rt(p, "GET", "/users", NULL, 200, "[]");
	expect_rt(p, "POST", "/users", "{\"name\":\"Ann\",\"email\":\"a@x\",\"id\":42}", 201,
	          "{\"id\":1,\"name\":\"Ann\",\"email\":\"a@x\"}");
	expect_rt(p, "GET", "/users/1", NULL, 200, "{\"id\":1,\"name\":\"Ann\",\"email\":\"a@x\"}");
	expect_rt(p, "PUT", "/users/1", "{\"name\":\"A\",\"email\":\"b\"}", 200,
	          "{\"id\":1,\"name\":\"A\",\"email\":\"b\"}");
	expect_rt(p, "PUT", "/users/2", "{\"name\":\"A\",\"email\":\"b\"}", 404,
	          "{\"error\":\"user not found\"}");
	expect_rt(p, "GET", "/health", NULL, 200, "{\"status\":\"ok\",\"users\":1}");
	expect_rt(p, "DELETE", "/users/1", NULL, 204, "");
	expect_rt(p, "DELETE", "/users/1", NULL, 404, "{\"error\":\"user not found\"}");
	expect_rt(p, "GET", "/users/1", NULL, 404, "{\"error\":\"user not found\"}");
	expect_rt(p, "POST", "/users", "{\"name\":\"a\"", 400, "{\"error\":\"invalid JSON\"}");
	expect_rt(p, "POST", "/users", "{\"name\":\"a\",\"email\":\"b\"}{}", 400,
	          "{\"error\":\"invalid JSON\"}");
	expect_rt(p, "POST", "/users", "{\"name\":\"a\\u0000\",\"email\":\"b\"}", 400,
	          "{\"error\":\"invalid JSON\"}");
	expect_rt(p, "POST", "/users", "{\"name\":\"\xff\",\"email\":\"b\"}", 400,
	          "{\"error\":\"invalid JSON\"}");
	expect_rt(p, "POST", "/users", "{\"name\":\"a\",\"email\":7}", 400,
	          "{\"error\":\"name and email required\"}");
	expect_rt(p, "POST", "/users", "", 400, "{\"error\":\"invalid JSON\"}");
	const char *bad[] = { "/users/1abc", "/users/1.0", "/users/0x1", "/users/%201", "/users/-1",
		                  "/users/99999999999999999999", "/users/1%00" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect_rt(p, "GET", bad[i], NULL, 400, "{\"error\":\"invalid user ID\"}");
	/* A raw space in the request line, as a careless client sends it. */
	conn *c = conn_open(p);
	assert_non_null(c);
	expect_on(c, "GET /users/ 1 HTTP/1.1\r\nHost: x\r\n\r\n", false, 400,
	          "{\"error\":\"invalid user ID\"}");
	conn_close(c);
	expect_rt(p, "GET", "/nope", NULL, 404, NULL);
	expect_rt(p, "GET", "/users/1/2", NULL, 404, NULL);
	/* Query strings do not change the route. */
	expect_rt(p, "GET", "/users?x=1", NULL, 200, "[]");
	response r = roundtrip(p, "PATCH", "/users/1", "{}");
	assert_int_equal(r.status, 405);
	assert_string_equal(r.body, "{\"error\":\"method not allowed\"}");
	char allow[128];
	assert_true(header(&r, "Allow", allow, sizeof allow));
	assert_non_null(strstr(allow, "PUT"));
	assert_non_null(strstr(allow, "DELETE"));
	response_free(&r);
	r = roundtrip(p, "DELETE", "/users", NULL);
	assert_int_equal(r.status, 405);
	assert_true(header(&r, "Allow", allow, sizeof allow));
	assert_non_null(strstr(allow, "POST"));
	response_free(&r);
	/* 204 carries no body. */
	expect_rt(p, "POST", "/users", "{\"name\":\"c\",\"email\":\"d\"}", 201, NULL);
	r = roundtrip(p, "DELETE", "/users/2", NULL);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	char cl[32];
	assert_false(header(&r, "Content-Length", cl, sizeof cl) && strcmp(cl, "0") != 0);
	response_free(&r);
	assert_int_equal(stop(&s), 0);
}

/* Names and emails come back byte for byte, escapes and non-ASCII included. */
static void test_round_trip_exact(void **state)
{
	(void)state;
	server s = start(NULL);
	const char *name = "J\xc3\xa9r\xc3\xb4me \"\\/\n\t\x01 \xf0\x9f\x98\x80 \xe2\x80\xa8";
	json_t *o = json_pack("{s:s,s:s}", "name", name, "email", "\xe7\x94\xa8@x");
	char *body = json_dumps(o, JSON_COMPACT);
	response r = roundtrip(s.port, "POST", "/users", body);
	assert_int_equal(r.status, 201);
	json_t *got = json_loads(r.body, 0, NULL);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(got, "name")), name);
	assert_string_equal(json_string_value(json_object_get(got, "email")), "\xe7\x94\xa8@x");
	json_decref(got);
	response_free(&r);
	r = roundtrip(s.port, "GET", "/users", NULL);
	got = json_loads(r.body, 0, NULL);
	assert_non_null(got);
	assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "name")), name);
	json_decref(got);
	response_free(&r);
	free(body);
	json_decref(o);
	assert_int_equal(stop(&s), 0);
}

/* --users N: users 1..N are there from the start, and the next create is N + 1. */
static void test_users_seeded(void **state)
{
	(void)state;
	server s = start((const char *const[]){ "--users", "3", NULL });
	response r = roundtrip(s.port, "GET", "/users", NULL);
	assert_int_equal(r.status, 200);
	json_t *got = json_loads(r.body, 0, NULL);
	assert_int_equal(json_array_size(got), 3);
	json_t *third = json_array_get(got, 2);
	assert_int_equal(json_integer_value(json_object_get(third, "id")), 3);
	assert_string_equal(json_string_value(json_object_get(third, "name")), "user 3");
	assert_string_equal(json_string_value(json_object_get(third, "email")), "user3@example.com");
	json_decref(got);
	response_free(&r);
	r = roundtrip(s.port, "POST", "/users", "{\"name\":\"a\",\"email\":\"b\"}");
	assert_int_equal(r.status, 201);
	got = json_loads(r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(got, "id")), 4);
	json_decref(got);
	response_free(&r);
	assert_int_equal(stop(&s), 0);
}

static void test_keepalive_and_pipelining(void **state)
{
	(void)state;
	server s = start(NULL);
	conn *c = conn_open(s.port);
	assert_non_null(c);
	const char *create = "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	                     "Content-Length: 24\r\n\r\n{\"name\":\"a\",\"email\":\"b\"}";
	/* Three requests in one write: three answers, in order. */
	char three[512];
	snprintf(three, sizeof three, "%sGET /users/1 HTTP/1.1\r\nHost: x\r\n\r\n%s", create, create);
	expect_on(c, three, false, 201, "{\"id\":1,\"name\":\"a\",\"email\":\"b\"}");
	expect_on(c, NULL, false, 200, "{\"id\":1,\"name\":\"a\",\"email\":\"b\"}");
	expect_on(c, NULL, false, 201, "{\"id\":2,\"name\":\"a\",\"email\":\"b\"}");
	/* The connection stays open for more, errors included. */
	for (int i = 0; i < 20; i++) {
		expect_on(c, "GET /users/abc HTTP/1.1\r\nHost: x\r\n\r\n", false, 400,
		          "{\"error\":\"invalid user ID\"}");
		expect_on(c, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", false, 200,
		          "{\"status\":\"ok\",\"users\":2}");
	}
	/* Connection: close is honoured. */
	expect_on(c, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false, 200,
	          NULL);
	assert_true(closed_by_peer(c, 5000));
	conn_close(c);
	assert_int_equal(stop(&s), 0);
}

static void test_http10(void **state)
{
	(void)state;
	server s = start(NULL);
	conn *c = conn_open(s.port);
	assert_non_null(c);
	expect_on(c, "GET /health HTTP/1.0\r\n\r\n", false, 200, "{\"status\":\"ok\",\"users\":0}");
	assert_true(closed_by_peer(c, 5000));
	conn_close(c);
	/* HTTP/1.0 with keep-alive asked for, and a body. */
	c = conn_open(s.port);
	assert_non_null(c);
	expect_on(c, "POST /users HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 24\r\n\r\n"
	             "{\"name\":\"a\",\"email\":\"b\"}", false, 201,
	          "{\"id\":1,\"name\":\"a\",\"email\":\"b\"}");
	conn_close(c);
	assert_int_equal(stop(&s), 0);
}

static void test_expect_100_continue(void **state)
{
	(void)state;
	server s = start(NULL);
	conn *c = conn_open(s.port);
	assert_non_null(c);
	expect_on(c, "POST /users HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	             "Content-Length: 24\r\n\r\n", false, 100, NULL);
	expect_on(c, "{\"name\":\"a\",\"email\":\"b\"}", false, 201,
	          "{\"id\":1,\"name\":\"a\",\"email\":\"b\"}");
	conn_close(c);
	/* Too large: 413 at once, no 100 Continue. */
	c = conn_open(s.port);
	assert_non_null(c);
	expect_on(c, "POST /users HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	             "Content-Length: 5000000\r\n\r\n", false, 413,
	          "{\"error\":\"request body too large\"}");
	conn_close(c);
	assert_int_equal(stop(&s), 0);
}

static void test_body_limit(void **state)
{
	(void)state;
	const char *args[] = { "--max-body", "1000", NULL };
	server s = start(args);
	/* A declared body over the limit: 413 before the server reads it all. */
	conn *c = conn_open(s.port);
	assert_true(send_str(c, "POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"));
	char chunk[4096];
	memset(chunk, 'a', sizeof chunk);
	assert_true(send_all(c, chunk, sizeof chunk));
	response r;
	assert_true(read_response(c, &r, false));
	assert_int_equal(r.status, 413);
	char ct[64];
	assert_true(header(&r, "Content-Type", ct, sizeof ct));
	json_t *doc = json_loads(r.body, 0, NULL);
	assert_non_null(doc);
	json_decref(doc);
	response_free(&r);
	conn_close(c);
	/* Exactly at the limit: accepted; one byte over: 413. */
	char body[1002];
	int n = snprintf(body, sizeof body, "{\"name\":\"a\",\"email\":\"b\",\"pad\":\"");
	memset(body + n, 'p', 1000 - (size_t)n - 2);
	memcpy(body + 998, "\"}", 3);
	assert_int_equal(strlen(body), 1000);
	expect_rt(s.port, "POST", "/users", body, 201, NULL);
	memmove(body + 33, body + 32, 969);
	assert_int_equal(strlen(body), 1001);
	expect_rt(s.port, "POST", "/users", body, 413, NULL);
	/* A chunked body over the limit: 413 too. */
	c = conn_open(s.port);
	assert_true(send_str(c, "POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	                        "1000\r\n"));
	assert_true(send_all(c, chunk, sizeof chunk));
	expect_on(c, "\r\n0\r\n\r\n", false, 413, "{\"error\":\"request body too large\"}");
	conn_close(c);
	/* A chunked body within the limit works. */
	c = conn_open(s.port);
	assert_non_null(c);
	expect_on(c, "POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	             "c\r\n{\"name\":\"a\",\r\nc\r\n\"email\":\"b\"}\r\n0\r\n\r\n",
	          false, 201, "{\"id\":2,\"name\":\"a\",\"email\":\"b\"}");
	conn_close(c);
	/* Still up. */
	expect_rt(s.port, "GET", "/health", NULL, 200, "{\"status\":\"ok\",\"users\":2}");
	assert_int_equal(stop(&s), 0);
}

/* ---- 200 concurrent creates ---- */

#define CREATORS 200

typedef struct creator {
	unsigned port;
	pthread_barrier_t *go;
	int status;   /* what the test thread asserts */
	int64_t id;
	int failed_at; /* 1 connect, 2 send, 3 receive; 0: none */
	int err;       /* errno there */
} creator;

static void *creator_main(void *arg)
{
	creator *cr = arg;
	int fd = dial(cr->port);
	cr->err = errno;
	pthread_barrier_wait(cr->go);
	if (fd < 0) {
		cr->failed_at = 1;
		return NULL;
	}
	char req[256], body[64];
	int bl = snprintf(body, sizeof body, "{\"name\":\"c%p\",\"email\":\"e\"}", (void *)cr);
	int n = snprintf(req, sizeof req,
	                 "POST /users HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", bl, body);
	conn *c = calloc(1, sizeof *c);
	c->fd = fd;
	response r;
	if (!send_all(c, req, (size_t)n)) {
		cr->failed_at = 2;
		cr->err = errno;
	} else if (!read_response(c, &r, false)) {
		cr->failed_at = 3;
		cr->err = errno;
	} else {
		cr->status = r.status;
		json_t *v = json_loads(r.body, 0, NULL);
		cr->id = v ? json_integer_value(json_object_get(v, "id")) : -1;
		json_decref(v);
		response_free(&r);
	}
	conn_close(c);
	return NULL;
}

static void test_concurrent_creates_all_kept(void **state)
{
	(void)state;
	/*
	 * Each creator connects before the barrier, so the first connections
	 * wait idle while the other threads start: on an overloaded machine,
	 * longer than the default 10 s idle timeout, which would close them.
	 */
	const char *args[] = { "--idle-timeout", "120", NULL };
	server s = start(args);
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, CREATORS);
	creator cr[CREATORS];
	pthread_t t[CREATORS];
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 1 << 20);
	for (int i = 0; i < CREATORS; i++) {
		cr[i] = (creator){ .port = s.port, .go = &go };
		assert_int_equal(pthread_create(&t[i], &attr, creator_main, &cr[i]), 0);
	}
	for (int i = 0; i < CREATORS; i++)
		pthread_join(t[i], NULL);
	pthread_attr_destroy(&attr);
	pthread_barrier_destroy(&go);
	char seen[CREATORS + 1] = { 0 };
	for (int i = 0; i < CREATORS; i++) {
		if (cr[i].status != 201)
			fail_msg("creator %d: status %d, failed at step %d: %s", i, cr[i].status,
			         cr[i].failed_at, strerror(cr[i].err));
		assert_true(cr[i].id >= 1 && cr[i].id <= CREATORS);
		assert_int_equal(seen[cr[i].id], 0);
		seen[cr[i].id] = 1;
	}
	response r = roundtrip(s.port, "GET", "/users", NULL);
	assert_int_equal(r.status, 200);
	json_t *arr = json_loads(r.body, 0, NULL);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), CREATORS);
	for (size_t i = 0; i < CREATORS; i++)
		assert_true(json_integer_value(json_object_get(json_array_get(arr, i), "id")) == (int64_t)i + 1);
	json_decref(arr);
	response_free(&r);
	assert_int_equal(stop(&s), 0);
}

/*
 * Clients that stall mid-header do not stop others being served: with a
 * 30 s idle timeout, a server they blocked would make the requests below
 * wait for it.
 */
static void test_slow_clients_do_not_block(void **state)
{
	(void)state;
	const char *args[] = { "--idle-timeout", "30", "--threads", "2", NULL };
	server s = start(args);
	conn *slow[40];
	open_n(s.port, 40, slow);
	for (int i = 0; i < 40; i++)
		assert_true(send_str(slow[i], "GET /users HTTP/1.1\r\nHost: x\r\nX-Slow: "));
	int64_t t0 = goc_now();
	for (int i = 0; i < 20; i++)
		expect_rt(s.port, "GET", "/health", NULL, 200, NULL);
	assert_true(goc_now() - t0 < 10000 * (int64_t)MS);
	/* A stalled client that finishes its request is answered too. */
	expect_on(slow[0], "1\r\n\r\n", false, 200, "[]");
	for (int i = 0; i < 40; i++)
		conn_close(slow[i]);
	assert_int_equal(stop(&s), 0);
}

/*
 * The connection limit: with --max-conns held open, a new connection waits
 * unserved; once they close, it is served.
 */
static void test_connection_limit(void **state)
{
	(void)state;
	/* One thread: a pool divides the limit among its threads, unevenly filled. */
	const char *args[] = { "--max-conns", "4", "--threads", "1", NULL };
	server s = start(args);
	conn *held[4];
	open_n(s.port, 4, held);
	/* Each of them is served, so the server has taken all four. */
	for (int i = 0; i < 4; i++)
		expect_on(held[i], "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", false, 200, NULL);
	conn *extra = conn_open(s.port); /* the kernel's backlog takes it */
	assert_non_null(extra);
	assert_true(send_str(extra, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
	struct pollfd pfd = { extra->fd, POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 1000), 0);
	for (int i = 0; i < 4; i++)
		conn_close(held[i]);
	expect_on(extra, NULL, false, 200, NULL);
	conn_close(extra);
	assert_int_equal(stop(&s), 0);
}

/* The idle timeout closes idle and stalled connections. */
static void test_idle_timeout_closes(void **state)
{
	(void)state;
	const char *args[] = { "--idle-timeout", "1", NULL };
	server s = start(args);
	conn *idle = conn_open(s.port);
	conn *stalled = conn_open(s.port);
	assert_true(send_str(stalled, "GET /users HTTP/1.1\r\nHo"));
	/* A connection that was used, then left idle, too. */
	conn *used = conn_open(s.port);
	assert_non_null(idle);
	assert_non_null(stalled);
	assert_non_null(used);
	expect_on(used, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", false, 200, NULL);
	assert_true(closed_by_peer(idle, 8000));
	assert_true(closed_by_peer(stalled, 8000));
	assert_true(closed_by_peer(used, 8000));
	conn_close(idle);
	conn_close(stalled);
	conn_close(used);
	assert_int_equal(stop(&s), 0);
}

/* SIGTERM: a request in flight is still answered, new connections are refused, exit 0. */
static void test_sigterm_finishes_in_flight(void **state)
{
	(void)state;
	server s = start(NULL);
	conn *c = conn_open(s.port);
	assert_non_null(c);
	/* Its 100 Continue says the server has begun the request. */
	expect_on(c, "POST /users HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
	             "Content-Length: 24\r\n\r\n", false, 100, NULL);
	running = 0; /* from here on this test waits for it itself */
	kill(s.pid, SIGTERM);
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, NULL);
	/*
	 * While the request is still in flight (and the server still up), a
	 * new connection is refused: the listening socket is gone. Given a
	 * slow sanitized start of the shutdown, try for up to 5 s.
	 */
	int64_t refuse_by = goc_test_ms(5000);
	int fd;
	while ((fd = dial(s.port)) >= 0) {
		close(fd);
		assert_true(goc_now() < refuse_by);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(waitpid(s.pid, NULL, WNOHANG), 0); /* still running */
	assert_true(send_str(c, "{\"name\":"));
	nanosleep(&ts, NULL);
	expect_on(c, "\"a\",\"email\":\"b\"}", false, 201,
	          "{\"id\":1,\"name\":\"a\",\"email\":\"b\"}");
	conn_close(c);
	int st;
	int64_t until = goc_test_ms(10000);
	while (waitpid(s.pid, &st, WNOHANG) != s.pid) {
		assert_true(goc_now() < until);
		nanosleep(&(struct timespec){ 0, 5000000 }, NULL);
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(dial(s.port), -1);
}

static void test_rate_limit_429(void **state)
{
	(void)state;
	const char *args[] = { "--rate", "1", "--log", NULL };
	char log_path[] = "/tmp/reststore-log-XXXXXX";
	int lfd = mkstemp(log_path);
	assert_true(lfd >= 0);
	close(lfd);
	server s = start_err(args, log_path);
	int ok = 0, limited = 0;
	char ra[16] = "";
	int64_t t0 = goc_now();
	for (int i = 0; i < 6; i++) {
		response r = roundtrip(s.port, "GET", "/health", NULL);
		if (r.status == 200)
			ok++;
		if (r.status == 429) {
			limited++;
			assert_true(header(&r, "Retry-After", ra, sizeof ra));
			assert_true(atoi(ra) >= 1);
			assert_string_equal(r.body, "{\"error\":\"rate limit exceeded\"}");
		}
		response_free(&r);
	}
	int64_t secs = (goc_now() - t0) / (1000 * (int64_t)MS);
	/* A burst of 1, then 1 a second: six requests in well under 5 s meet the limit. */
	assert_int_equal(ok + limited, 6);
	assert_true(ok >= 1 && ok <= 2 + secs);
	assert_true(secs < 5);
	assert_true(limited >= 1);
	assert_true(atoi(ra) >= 1);
	assert_int_equal(stop(&s), 0);
	/* The access log: one JSON line per request, with its status. */
	FILE *f = fopen(log_path, "r");
	assert_non_null(f);
	char line[512];
	int lines = 0, logged_429 = 0;
	while (fgets(line, sizeof line, f)) {
		json_t *v = json_loads(line, 0, NULL);
		if (!v) {
			/*
			 * Not an access log line: the server's stderr went to the log
			 * file, so pass it on to ours, where ctest's sanitizer
			 * expression sees it, and fail on a sanitizer's report.
			 */
			fputs(line, stderr);
			if (strstr(line, "runtime error:") || strstr(line, "Sanitizer"))
				fail_msg("a sanitizer report in the server's stderr: %s", line);
			continue;
		}
		lines++;
		assert_string_equal(json_string_value(json_object_get(v, "method")), "GET");
		assert_string_equal(json_string_value(json_object_get(v, "path")), "/health");
		assert_non_null(json_object_get(v, "bytes"));
		assert_non_null(json_object_get(v, "duration_us"));
		assert_non_null(json_object_get(v, "rid"));
		logged_429 += json_integer_value(json_object_get(v, "status")) == 429;
		json_decref(v);
	}
	fclose(f);
	unlink(log_path);
	assert_int_equal(lines, 6);
	assert_int_equal(logged_429, limited);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s SERVER STORE\n", argv[0]);
		return 2;
	}
	server_path = argv[1];
	store_kind = argv[2];
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		TEST(test_every_status_code),
		TEST(test_round_trip_exact),
		TEST(test_users_seeded),
		TEST(test_keepalive_and_pipelining),
		TEST(test_http10),
		TEST(test_expect_100_continue),
		TEST(test_body_limit),
		TEST(test_concurrent_creates_all_kept),
		TEST(test_slow_clients_do_not_block),
		TEST(test_idle_timeout_closes),
		TEST(test_connection_limit),
		TEST(test_sigterm_finishes_in_flight),
		TEST(test_rate_limit_429),
	};
	return cmocka_run_group_tests_name(store_kind, tests, NULL, NULL);
}
