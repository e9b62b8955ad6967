/*
 * reststore_main.c - the reststore server: the users API of reststore.h over
 * HTTP/1.1, on libmicrohttpd's internal epoll thread pool.
 *
 * libmicrohttpd calls on_request() on its pool threads, several times per
 * request: once with the headers, once per piece of body, once more at the
 * end. We answer on the last call (answering on the first makes
 * libmicrohttpd 0.9.75 close the connection, losing keep-alive), except for
 * a body known to be too large, which gets its 413 at once, before any of it
 * is read. The middleware runs around the router: a request id on every
 * answer, per-client rate limiting (--rate), an access log line (--log).
 *
 * Shutdown: SIGINT and SIGTERM are blocked in every thread and taken by
 * sigwait() in main: stop accepting, answer what is in flight (with
 * Connection: close) for at most SHUTDOWN_WAIT_MS, stop the daemon, free
 * the store, exit 0. We stop accepting without MHD_quiesce_daemon(): in
 * libmicrohttpd 0.9.75 it races with the epoll pool's own removal of the
 * listening socket and can abort the process ("Failed to remove listen FD
 * from epoll set"). Instead the listening socket is ours (passed in with
 * MHD_OPTION_LISTEN_SOCKET) and stop_listening() closes it by putting an
 * idle listener in its place with dup2(): the kernel drops the old socket
 * from every epoll set, and libmicrohttpd closes the stand-in when it stops.
 *
 * Lock order: a rate bucket stripe's mutex is the only lock taken here, and
 * never with a store lock held.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "probe.h"
#include "reststore.h"

#define PROG "reststore"
#define DEFAULT_MAX_BODY (64u * 1024u)
#define BODY_LIMIT (1024u * 1024u) /* --max-body must stay below this */
#define SHUTDOWN_WAIT_MS 5000
#define DRAIN_LIMIT (1024u * 1024u) /* a chunked body over --max-body: dropped up to this */
#define RATE_STRIPES 64
#define RATE_SLOTS_PER_STRIPE 64

typedef struct options {
	const char *host;
	unsigned port;
	goc_store_kind store;
	unsigned shards;
	size_t max_body;
	unsigned threads;
	unsigned max_conns;
	unsigned idle_timeout;
	bool log;
	double rate;
	unsigned users;
} options;

/* One client address's token bucket. */
typedef struct bucket {
	unsigned char addr[16]; /* IPv4 in the first 4 bytes, or IPv6 */
	bool used;
	double tokens;
	int64_t last_ns;
} bucket;

typedef struct rate_stripe {
	pthread_mutex_t mu;
	bucket slots[RATE_SLOTS_PER_STRIPE]; /* guarded by mu */
} rate_stripe;

typedef struct server {
	options opt;
	goc_store *store;
	atomic_uint_fast64_t next_rid; /* relaxed: a counter, orders nothing */
	atomic_long in_flight;         /* requests begun and not completed; seq_cst */
	atomic_bool stopping;          /* set once by main; seq_cst */
	rate_stripe *rate;             /* NULL without --rate */
} server;

/*
 * Per request: what on_request() keeps between its calls. libmicrohttpd
 * calls on_request() and on_completed() for a connection from one pool
 * thread, one call at a time: no lock needed.
 */
typedef struct req_state {
	goc_buf body;
	uint64_t rid;
	int64_t start_ns; /* --log only */
	bool answered;    /* a response is queued */
	bool too_large;   /* a body without Content-Length went over --max-body */
	size_t drained;   /* bytes of a body dropped (too large, or rate limited) */
	bool limited;     /* the rate limiter said no; Retry-After seconds below */
	unsigned retry_after;
	unsigned status;  /* what we answered (for the log) */
	size_t bytes;     /* body bytes we answered */
	char method[16];  /* --log only */
	char *path;       /* malloc'd copy, --log only */
} req_state;

/* ---- rate limiting: a token bucket per client address ---- */

static rate_stripe *rate_make(void)
{
	rate_stripe *r = calloc(RATE_STRIPES, sizeof *r);
	if (!r)
		return NULL;
	for (unsigned i = 0; i < RATE_STRIPES; i++)
		pthread_mutex_init(&r[i].mu, NULL);
	return r;
}

static void rate_free(rate_stripe *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < RATE_STRIPES; i++)
		pthread_mutex_destroy(&r[i].mu);
	free(r);
}

/*
 * Take a token for the client at `sa`: true if there was one; otherwise
 * *retry is the whole seconds until there will be. Buckets live in a fixed
 * table; a new address evicts the slot's old one (which then starts full
 * again: memory stays bounded, at the price of leniency under collisions).
 */
static bool rate_take(server *sv, const struct sockaddr *sa, unsigned *retry)
{
	unsigned char key[16] = { 0 };
	if (sa && sa->sa_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
	uint64_t h = 1469598103934665603u;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211u;
	rate_stripe *st = &sv->rate[h % RATE_STRIPES];
	bucket *b = &st->slots[(h / RATE_STRIPES) % RATE_SLOTS_PER_STRIPE];
	double rate = sv->opt.rate;
	int64_t now = probe_now_ns();
	bool ok;
	pthread_mutex_lock(&st->mu);
	if (!b->used || memcmp(b->addr, key, 16) != 0) {
		memcpy(b->addr, key, 16);
		b->used = true;
		b->tokens = rate;
		b->last_ns = now;
	}
	b->tokens += (double)(now - b->last_ns) * rate / 1e9;
	if (b->tokens > rate)
		b->tokens = rate;
	b->last_ns = now;
	ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
	} else {
		double secs = (1.0 - b->tokens) / rate;
		*retry = (unsigned)secs + 1;
	}
	pthread_mutex_unlock(&st->mu);
	return ok;
}

/* ---- answering ---- */

static enum MHD_Result queue(server *sv, struct MHD_Connection *c, req_state *st,
                             goc_rest_response *resp)
{
	struct MHD_Response *r;
	st->bytes = resp->body.len;
	if (resp->body.len == 0) {
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		goc_buf_free(&resp->body);
	} else {
		r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
		                                    MHD_RESPMEM_MUST_FREE);
		if (r)
			resp->body = (goc_buf){ 0 }; /* the response owns it now */
		else
			goc_buf_free(&resp->body);
	}
	if (!r)
		return MHD_NO;
	st->status = resp->status;
	if (resp->status != 204) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	}
	char rid[24];
	snprintf(rid, sizeof rid, "%" PRIu64, st->rid);
	MHD_add_response_header(r, "X-Request-Id", rid);
	if (resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (st->limited) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u", st->retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (atomic_load(&sv->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(c, resp->status, r);
	MHD_destroy_response(r);
	st->answered = true;
	return ret;
}

static enum MHD_Result queue_error(server *sv, struct MHD_Connection *c, req_state *st,
                                   unsigned status, const char *msg)
{
	goc_rest_response resp = { 0 };
	goc_rest_error(&resp, status, msg);
	return queue(sv, c, st, &resp);
}

/* Is Content-Length present and larger than max? (Malformed ones MHD refuses itself.) */
static bool declared_too_large(struct MHD_Connection *c, size_t max)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (!cl)
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(cl, &end, 10);
	return errno == ERANGE || v > max;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	server *sv = cls;
	req_state *st = *con_cls;
	if (!st) {
		st = calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		*con_cls = st;
		atomic_fetch_add(&sv->in_flight, 1);
		/* relaxed: unique ids are all we need. */
		st->rid = atomic_fetch_add_explicit(&sv->next_rid, 1, memory_order_relaxed) + 1;
		if (sv->opt.log) { /* what only the access log needs */
			st->start_ns = probe_now_ns();
			snprintf(st->method, sizeof st->method, "%s", method);
			st->path = strdup(url);
		}
		if (sv->rate) {
			const union MHD_ConnectionInfo *ci =
			    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
			st->limited = !rate_take(sv, ci ? ci->client_addr : NULL, &st->retry_after);
		}
		/* The one early answer: a body we will not take, before reading it. */
		if (declared_too_large(c, sv->opt.max_body))
			return queue_error(sv, c, st, 413, "request body too large");
		return MHD_YES;
	}
	if (st->answered) {
		*upload_data_size = 0; /* a body after our answer: dropped */
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/*
		 * libmicrohttpd 0.9.75 takes no response in the middle of a body:
		 * a body we will not keep (rate limited, or over --max-body) is
		 * dropped as it comes, up to DRAIN_LIMIT, and answered (429 or
		 * 413) at its end; a body longer than that loses its connection.
		 */
		if (st->limited || st->too_large ||
		    *upload_data_size > sv->opt.max_body - st->body.len) {
			if (!st->limited)
				st->too_large = true;
			goc_buf_free(&st->body);
			st->drained += *upload_data_size;
			if (st->drained > DRAIN_LIMIT)
				return MHD_NO;
			*upload_data_size = 0;
			return MHD_YES;
		}
		goc_buf_append(&st->body, upload_data, *upload_data_size);
		if (st->body.nomem)
			return queue_error(sv, c, st, 500, "out of memory");
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->limited)
		return queue_error(sv, c, st, 429, "rate limit exceeded");
	if (st->too_large)
		return queue_error(sv, c, st, 413, "request body too large");
	goc_rest_request req = {
		.method = method, .path = url, .body = st->body.data, .body_len = st->body.len
	};
	goc_rest_response resp = { 0 };
	goc_rest_handle(sv->store, &req, &resp);
	return queue(sv, c, st, &resp);
}

/*
 * A JSON string for the log: a path may hold any byte once unescaped, and
 * the line must stay JSON, so every byte outside printable ASCII is written
 * as \u00XX.
 */
static void log_string(goc_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	goc_buf_append(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			goc_buf_append(b, p, 1);
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
			goc_buf_append(b, e, sizeof e);
		}
	}
	goc_buf_append(b, "\"", 1);
}

/* The access log line: one write(2), so lines from many threads never mix. */
static void log_request(const req_state *st)
{
	goc_buf line = { 0 };
	char head[160];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int n = snprintf(head, sizeof head, "{\"ts\":%lld.%06ld,\"rid\":%" PRIu64 ",\"method\":",
	                 (long long)ts.tv_sec, ts.tv_nsec / 1000, st->rid);
	goc_buf_append(&line, head, (size_t)n);
	log_string(&line, st->method);
	goc_buf_append(&line, ",\"path\":", 8);
	const char *path = st->path ? st->path : "";
	log_string(&line, path);
	n = snprintf(head, sizeof head, ",\"status\":%u,\"bytes\":%zu,\"duration_us\":%.1f}\n",
	             st->status, st->bytes, (double)(probe_now_ns() - st->start_ns) / 1e3);
	goc_buf_append(&line, head, (size_t)n);
	if (!line.nomem) {
		ssize_t w = write(STDERR_FILENO, line.data, line.len);
		(void)w;
	}
	goc_buf_free(&line);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)c;
	(void)toe;
	server *sv = cls;
	req_state *st = *con_cls;
	if (!st)
		return;
	if (sv->opt.log && st->answered)
		log_request(st);
	goc_buf_free(&st->body);
	free(st->path);
	free(st);
	*con_cls = NULL;
	atomic_fetch_sub(&sv->in_flight, 1);
}

/* The value of hex digit c, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode %HH in a path or query value, as the default does, except %00: a
 * NUL would cut the C string short ("/users/1%00x" would read as user 1),
 * so it stays as the three characters it was and fails like any bad id.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi = r[0] == '%' ? hexval(r[1]) : -1;
		int lo = hi >= 0 ? hexval(r[2]) : -1;
		if (lo >= 0 && (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---- the command line ---- */


/* The options, through the probe library's parser: it prints --help, and a bad command line exits 2. */
static void parse_args(int argc, char **argv, options *o)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	const char *store = "rwlock";
	uint64_t port = 8080, shards = 16, max_body = DEFAULT_MAX_BODY, rate = 0,
	         threads = cpus > 0 ? (uint64_t)cpus : 2, max_conns = 1000, idle = 10, users = 0;
	*o = (options){ .host = "127.0.0.1" };
	enum { O_HOST, O_PORT, O_STORE, O_SHARDS, O_MAXBODY, O_THREADS, O_MAXCONNS, O_IDLE,
		   O_LOG, O_RATE, O_USERS, O_COUNT };
	probe_opt opts[O_COUNT] = {
		[O_HOST] = { .name = "--host", .metavar = "ADDR", .kind = PROBE_OPT_STRING,
		             .s = &o->host, .help = "address to listen on (default 127.0.0.1)" },
		[O_PORT] = { .name = "--port", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &port,
		             .max = 65535, .help = "port (default 8080; 0 picks a free one)" },
		[O_STORE] = { .name = "--store", .metavar = "KIND", .kind = PROBE_OPT_STRING, .s = &store,
		              .choices = goc_store_kind_names, .help = "the store design (default rwlock)" },
		[O_SHARDS] = { .name = "--shards", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &shards,
		               .min = 1, .max = 4096,
		               .help = "stripes of the sharded store (default 16)" },
		[O_MAXBODY] = { .name = "--max-body", .metavar = "BYTES", .kind = PROBE_OPT_UINT,
		                .u = &max_body, .min = 1, .max = BODY_LIMIT - 1,
		                .help = "largest request body (default 65536, below 1048576)" },
		[O_THREADS] = { .name = "--threads", .metavar = "N", .kind = PROBE_OPT_UINT,
		                .u = &threads, .min = 1, .max = 1024,
		                .help = "server threads (default: the number of CPUs)" },
		[O_MAXCONNS] = { .name = "--max-conns", .metavar = "N", .kind = PROBE_OPT_UINT,
		                 .u = &max_conns, .min = 1, .max = 1000000,
		                 .help = "open connections at most (default 1000)" },
		[O_IDLE] = { .name = "--idle-timeout", .metavar = "SECS", .kind = PROBE_OPT_UINT,
		             .u = &idle, .max = 86400,
		             .help = "close a connection idle this long (default 10)" },
		[O_LOG] = { .name = "--log", .kind = PROBE_OPT_FLAG, .b = &o->log,
		            .help = "one JSON access log line per request, to stderr" },
		[O_RATE] = { .name = "--rate", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &rate,
		             .min = 1, .max = 100000000,
		             .help = "N requests per second per client address (token bucket, burst N); "
		                     "over it: 429 with Retry-After (default: no limit)" },
		[O_USERS] = { .name = "--users", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &users,
		              .max = 10000000,
		              .help = "start with N users, 1..N, named 'user K' <userK@example.com>, "
		                      "for benchmarks (default 0)" },
	};
	probe_cli cli = {
		.prog = PROG,
		.summary = "the users REST API (GET/POST /users, GET/PUT/DELETE /users/{id}, "
		           "GET /health) over HTTP/1.1",
		.opts = opts,
		.nopts = O_COUNT,
		.epilog = "A server, not a batch target: instead of a JSON line it prints\n"
		          "'listening on http://HOST:PORT' once it accepts; SIGINT or SIGTERM stop\n"
		          "it gracefully (exit 0).",
	};
	probe_parse(&cli, argc, argv);
	if (!goc_store_kind_parse(store, &o->store))
		probe_usage_error("--store: unknown value '%s'", store); /* the choices prevent it */
	if (opts[O_SHARDS].given && o->store != GOC_STORE_SHARDED)
		probe_usage_error("--shards applies to --store sharded only");
	o->port = (unsigned)port;
	o->shards = opts[O_SHARDS].given ? (unsigned)shards : 0;
	o->max_body = (size_t)max_body;
	o->threads = (unsigned)threads;
	o->max_conns = (unsigned)max_conns;
	o->idle_timeout = (unsigned)idle;
	o->rate = (double)rate;
	o->users = (unsigned)users;
}

/* --users: the store's first n users, through the store's own create. False when out of memory. */
static bool seed_users(goc_store *st, unsigned n)
{
	for (unsigned k = 1; k <= n; k++) {
		char name[32], email[48];
		int nl = snprintf(name, sizeof name, "user %u", k);
		int el = snprintf(email, sizeof email, "user%u@example.com", k);
		if (goc_store_create(st, name, (size_t)nl, email, (size_t)el, NULL, NULL) != GOC_STORE_OK)
			return false;
	}
	return true;
}

/* A non-blocking listening socket on addr; -1 with errno set on failure. */
static int listen_on(const struct sockaddr *addr, socklen_t len, int backlog)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
	    bind(fd, addr, len) != 0 || listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Stop accepting on lfd, which libmicrohttpd's threads poll: put a listener
 * nobody knows (loopback, a free port, never connected to) in its place.
 * The old socket's last reference goes, so the kernel closes it and takes
 * it out of every epoll set; connections not yet accepted are refused.
 */
static void stop_listening(int lfd)
{
	struct sockaddr_in lo = { .sin_family = AF_INET };
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int idle = listen_on((struct sockaddr *)&lo, sizeof lo, 1);
	if (idle < 0) {
		/* Keep accepting; the drain below still ends, within SHUTDOWN_WAIT_MS. */
		fprintf(stderr, PROG ": no stand-in listener (%s): still accepting while in-flight "
		                "requests finish\n", strerror(errno));
		return;
	}
	if (dup2(idle, lfd) < 0)
		fprintf(stderr, PROG ": dup2: %s\n", strerror(errno));
	close(idle);
}

int main(int argc, char **argv)
{
	server sv = { 0 };
	parse_args(argc, argv, &sv.opt);

	struct sockaddr_storage ss = { 0 };
	socklen_t sslen;
	bool v6 = false;
	const char *host = strcmp(sv.opt.host, "localhost") == 0 ? "127.0.0.1" : sv.opt.host;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)sv.opt.port);
		sslen = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)sv.opt.port);
		sslen = sizeof *s6;
		v6 = true;
	} else {
		probe_usage_error("--host: '%s' is not an IP address", sv.opt.host);
	}

	/*
	 * Before any thread starts (the actor store's task is one): every thread
	 * inherits the mask, so SIGINT and SIGTERM reach main's sigwait() only,
	 * never a thread where their default action would end the process.
	 */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	sv.store = goc_store_make(sv.opt.store, sv.opt.shards);
	if (sv.store && !seed_users(sv.store, sv.opt.users)) {
		goc_store_free(sv.store);
		sv.store = NULL;
	}
	if (!sv.store) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	if (sv.opt.rate > 0 && !(sv.rate = rate_make())) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}

	int lfd = listen_on((struct sockaddr *)&ss, sslen, 1024);
	if (lfd < 0) {
		fprintf(stderr, PROG ": cannot listen on %s port %u: %s\n", sv.opt.host, sv.opt.port,
		        strerror(errno));
		goc_store_free(sv.store);
		rate_free(sv.rate);
		return 1;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
	                 (v6 ? MHD_USE_IPv6 : 0);
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_LISTEN_SOCKET, lfd, NULL },
		{ MHD_OPTION_THREAD_POOL_SIZE, sv.opt.threads, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, sv.opt.max_conns, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, sv.opt.idle_timeout, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, &sv },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)unescape, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)sv.opt.port, NULL, NULL, on_request,
	                                        &sv, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, PROG ": libmicrohttpd refused to start on %s port %u\n", sv.opt.host,
		        sv.opt.port);
		close(lfd);
		goc_store_free(sv.store);
		rate_free(sv.rate);
		return 1;
	}
	struct sockaddr_storage bound;
	socklen_t blen = sizeof bound;
	if (getsockname(lfd, (struct sockaddr *)&bound, &blen) != 0) {
		/* Without it, --port 0 would announce port 0: fail instead. */
		fprintf(stderr, PROG ": getsockname: %s\n", strerror(errno));
		MHD_stop_daemon(d); /* closes lfd */
		goc_store_free(sv.store);
		rate_free(sv.rate);
		return 1;
	}
	unsigned port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
	                                                  : ((struct sockaddr_in *)&bound)->sin_port);
	if (v6)
		printf("listening on http://[%s]:%u\n", host, port);
	else
		printf("listening on http://%s:%u\n", host, port);
	fflush(stdout);

	int sig = 0;
	while (sigwait(&sigs, &sig) != 0)
		;
	atomic_store(&sv.stopping, true);
	stop_listening(lfd);
	int64_t until = probe_now_ns() + (int64_t)SHUTDOWN_WAIT_MS * 1000000;
	while (atomic_load(&sv.in_flight) > 0 && probe_now_ns() < until) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(d); /* closes lfd, the stand-in by now */
	goc_store_free(sv.store);
	rate_free(sv.rate);
	return 0;
}
