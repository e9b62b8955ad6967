/*
 * bench_server.c - the points of a server scenario (W11; scenarios/README.md):
 * hyperfine times programs that end, so a server is measured here instead.
 * For each run, each command of the point in turn (C's variants and the Go
 * twin interleave, as in a hyperfine group): the server starts afresh on
 * port 0 and its "listening on http://HOST:PORT" line gives the address;
 * wrk loads it for the warm-up (one second per warm-up run), then for the
 * scenario's seconds, through a Lua script written for the point that
 * prints wrk's figures as one JSON line; SIGTERM stops it, and it must
 * exit 0. A run's figures: requests/s (and ns per request, the ns/op the
 * report compares), p50/p99 latency, the server's CPU time per request
 * (utime + stime from /proc across the measured load), its peak RSS
 * (VmHWM), and, for a request other than GET, its RSS growth per request
 * (per stored user for a POST that creates one). A run fails on a socket error, an answer outside
 * 2xx/3xx, no requests, a server that does not start, crashes, hangs at
 * shutdown or exits non-zero; the scenario's timeout bounds the wait for
 * the listening line and for the exit. The server's stderr is kept in the
 * run folder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_internal.h"
#include "results.h"
#include "samples.h"
#include "util.h"

extern char **environ;

/* A server started for one run. */
typedef struct server {
	pid_t pid;
	int out;              /* its stdout, kept open until it exits (no SIGPIPE) */
	char url[128];        /* "http://127.0.0.1:PORT" */
} server;

/*
 * The point's wrk script: the request, and done() printing wrk's figures
 * as one JSON line (latencies in µs; errors are socket errors, non2xx the
 * answers outside 2xx/3xx).
 */
static char *write_script(bench_run *r, const scenario *s, size_t inv, char *err, size_t errlen)
{
	strbuf lua = { 0 };
	/* The path goes in wrk's URL. */
	sb_printf(&lua, "-- goc bench: %s\nwrk.method = \"%s\"\n", s->name, s->method);
	if (s->body) {
		sb_add(&lua, "wrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = \"");
		for (const unsigned char *c = (const unsigned char *)s->body; *c; c++)
			sb_printf(&lua, "\\%03u", *c); /* every byte escaped: no quoting to get wrong */
		sb_add(&lua, "\"\n");
	}
	sb_add(&lua,
	       "done = function(summary, latency, requests)\n"
	       "  local e = summary.errors\n"
	       "  io.write(string.format('{\"requests\":%d,\"duration_us\":%d,\"errors\":%d,\"non2xx\":%d,"
	       "\"p50_us\":%d,\"p99_us\":%d,\"max_us\":%d}\\n',\n"
	       "    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,\n"
	       "    latency:percentile(50), latency:percentile(99), latency.max))\n"
	       "end\n");
	char *path = xasprintf("%s/samples/%03zu.lua", r->dir, inv);
	if (file_write_atomic(path, lua.s, strlen(lua.s), err, errlen) != 0) {
		free(path);
		path = NULL;
	}
	sb_free(&lua);
	return path;
}

/*
 * Start c's server, its stderr appended to `log`, and wait up to `wait_s`
 * for its listening line. 0, or -1 with err (the server, if it started, killed).
 */
static int server_start(server *sv, const bench_cmd *c, const char *log, double wait_s, char *err, size_t errlen)
{
	int po[2];
	if (pipe2(po, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	/* Its own process group: Ctrl-C is ours to pass on, and a kill takes its children too. */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	int rc = posix_spawn(&sv->pid, c->argv[0], &fa, &attr, c->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(po[1]);
	if (rc != 0) {
		close(po[0]);
		snprintf(err, errlen, "cannot run %s: %s", c->argv[0], strerror(rc));
		return -1;
	}
	sv->out = po[0];
	char line[256];
	size_t len = 0;
	double deadline = now_monotonic_s() + wait_s;
	while (!memchr(line, '\n', len) && len < sizeof line - 1) {
		int ms = (int)((deadline - now_monotonic_s()) * 1000);
		struct pollfd pfd = { sv->out, POLLIN, 0 };
		if (ms <= 0 || bench_interrupted()) {
			snprintf(err, errlen, "no 'listening on' line within %.0f s", wait_s);
			break;
		}
		int n = poll(&pfd, 1, ms);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		ssize_t k = read(sv->out, line + len, sizeof line - 1 - len);
		if (k <= 0) {
			snprintf(err, errlen, "the server closed its output before a 'listening on' line");
			break;
		}
		len += (size_t)k;
	}
	line[len] = '\0';
	unsigned port = 0;
	char host[64];
	if (memchr(line, '\n', len) && sscanf(line, "listening on http://%63[^:]:%u\n", host, &port) == 2 &&
	    port > 0 && port < 65536) {
		snprintf(sv->url, sizeof sv->url, "http://%s:%u", host, port);
		return 0;
	}
	if (memchr(line, '\n', len))
		snprintf(err, errlen, "its first line is not 'listening on http://HOST:PORT': %.100s", line);
	else if (len == sizeof line - 1)
		snprintf(err, errlen, "no newline in its first %zu bytes of output: %.100s", len, line);
	kill(-sv->pid, SIGKILL);
	waitpid(sv->pid, NULL, 0);
	close(sv->out);
	return -1;
}

/*
 * SIGTERM, and wait for the exit (SIGKILL after wait_s). Returns the wait
 * status; *hung when it had to be killed.
 */
static int server_stop(server *sv, double wait_s, bool *hung)
{
	int status = 0;
	*hung = false;
	kill(sv->pid, SIGTERM);
	double deadline = now_monotonic_s() + wait_s;
	pid_t got;
	while ((got = waitpid(sv->pid, &status, WNOHANG)) == 0 || (got < 0 && errno == EINTR)) {
		if (!*hung && now_monotonic_s() >= deadline) {
			kill(-sv->pid, SIGKILL);
			*hung = true;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(sv->out);
	return status;
}

/* Field `name` of /proc/PID/status ("VmRSS"), in kB; -1 when unreadable. */
static long long proc_kb(pid_t pid, const char *name)
{
	char *path = xasprintf("/proc/%d/status", (int)pid);
	char *value = file_field(path, name, ":");
	free(path);
	long long kb = value ? strtoll(value, NULL, 10) : -1;
	free(value);
	return kb;
}

/* The server's CPU time so far (user + system), in seconds; -1 when unreadable. */
static double proc_cpu_s(pid_t pid)
{
	unsigned long long ticks;
	return proc_cpu_ticks(pid, &ticks) ? (double)ticks / (double)sysconf(_SC_CLK_TCK) : -1;
}

static bool stop_on_interrupt(pid_t pid, void *arg)
{
	(void)pid;
	(void)arg;
	return bench_interrupted();
}

/*
 * wrk against sv for `seconds` with `connections`; its JSON line parsed
 * into *figures (a new object). 0, or -1 with err.
 */
static int run_wrk(const server *sv, const scenario *s, const char *script, const char *connections,
                   uint64_t seconds, json_t **figures, char *err, size_t errlen)
{
	char *dur = xasprintf("%llus", (unsigned long long)seconds);
	char *url = xasprintf("%s%s", sv->url, s->path);
	/* Two threads, one per CPU of the load side, but never more than connections. */
	const char *threads = strcmp(connections, "1") == 0 ? "1" : "2";
	char *argv[] = { "wrk", "-t", (char *)threads, "-c", (char *)connections, "-d", dur, "-s", (char *)script, url, NULL };
	run_opts o = { .cap = 1 << 16, .tail = true, .timeout_s = (double)seconds + 60,
	               .watch = stop_on_interrupt, .watch_ms = 100 };
	strbuf out = { 0 }, errout = { 0 };
	int status = 0;
	bool timed_out = false;
	int rc = run_child(argv, &o, &out, &errout, &status, &timed_out, err, errlen);
	free(dur);
	free(url);
	if (rc == 0 && (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		char *how = timed_out ? xstrdup("killed for its time") : describe_status(status);
		snprintf(err, errlen, "wrk failed (%s): %.200s", how, sb_str(&errout));
		free(how);
		rc = -1;
	}
	if (rc == 0) {
		const char *text = sb_str(&out);
		const char *last = text + strlen(text);
		while (last > text && last[-1] == '\n')
			last--;
		while (last > text && last[-1] != '\n')
			last--;
		json_error_t je;
		*figures = json_loads(last, JSON_DECODE_ANY, &je);
		if (!json_is_object(*figures) || !json_is_integer(json_object_get(*figures, "requests"))) {
			json_decref(*figures);
			*figures = NULL;
			snprintf(err, errlen, "wrk printed no figures: %.200s", text);
			rc = -1;
		}
	}
	sb_free(&out);
	sb_free(&errout);
	return rc;
}

/*
 * One run of command c (warm-up runs first, then the timed load): its
 * figures appended to point *p, or a failure recorded (nothing when interrupted).
 */
static void one_run(bench_run *r, const bench_group *grp, size_t inv, size_t ci, long run,
                    const char *script, results_point *p)
{
	const bench_cmd *c = &grp->cmds[ci];
	const scenario *s = c->s;
	const char *connections = "64";
	for (size_t k = 0; k < s->nknobs; k++)
		if (strcmp(s->knobs[k].name, SCENARIO_CONNECTIONS) == 0)
			connections = c->knob_values[k];
	char err[512] = "";
	char *log = xasprintf("%s/samples/%03zu-%zu.server.log", r->dir, inv, ci);
	server sv;
	if (server_start(&sv, c, log, (double)grp->timeout, err, sizeof err) != 0) {
		if (!bench_interrupted())
			results_add_failure(p, run, false, "server", NULL, err);
		free(log);
		return;
	}
	json_t *figures = NULL;
	const char *what = NULL;
	for (uint64_t w = 0; w < grp->warmup && !what; w++)
		if (run_wrk(&sv, s, script, connections, 1, &figures, err, sizeof err) != 0)
			what = "wrk";
	json_decref(figures);
	figures = NULL;
	double cpu0 = proc_cpu_s(sv.pid);
	long long rss0 = proc_kb(sv.pid, "VmRSS");
	if (!what && run_wrk(&sv, s, script, connections, grp->seconds, &figures, err, sizeof err) != 0)
		what = "wrk";
	double cpu1 = proc_cpu_s(sv.pid);
	long long rss1 = proc_kb(sv.pid, "VmRSS");
	long long hwm = proc_kb(sv.pid, "VmHWM");
	bool hung;
	int status = server_stop(&sv, (double)grp->timeout, &hung);
	if (bench_interrupted()) {
		json_decref(figures);
		free(log);
		return;
	}
	samples_record rec = { .exited = WIFEXITED(status), .exit = WIFEXITED(status) ? WEXITSTATUS(status) : 0,
	                       .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0 };
	json_int_t requests = figures ? json_integer_value(json_object_get(figures, "requests")) : 0;
	double duration_us = jnum(figures, "duration_us");
	if (!what && hung) {
		what = "hung";
		snprintf(err, sizeof err, "still running %llu s after SIGTERM (killed); its stderr: %s",
		         (unsigned long long)grp->timeout, log);
	} else if (!what && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		char *how = describe_status(status);
		what = WIFSIGNALED(status) ? "crashed" : "exit status";
		snprintf(err, sizeof err, "the server ended with %s after SIGTERM; its stderr: %s", how, log);
		free(how);
	} else if (!what && (jnum(figures, "errors") > 0 || jnum(figures, "non2xx") > 0)) {
		what = "bad answers";
		snprintf(err, sizeof err, "%.0f socket errors and %.0f answers outside 2xx/3xx in %lld requests",
		         jnum(figures, "errors"), jnum(figures, "non2xx"), (long long)requests);
	} else if (!what && (requests <= 0 || duration_us <= 0 || cpu0 < 0 || cpu1 < 0 || rss0 < 0 || rss1 < 0 ||
	                     hwm < 0)) {
		what = "bad output";
		snprintf(err, sizeof err, "%s", requests <= 0 ? "no request was answered"
		                                              : "no duration, or the server's CPU time or RSS unreadable");
	}
	if (what) {
		results_add_failure(p, run, false, what, &rec, err);
	} else {
		double n = (double)requests;
		results_series_add(&p->wall_s, duration_us / 1e6);
		results_series_add(&p->ns_per_op, duration_us * 1e3 / n);
		results_series_add(&p->requests_per_s, n / (duration_us / 1e6));
		results_series_add(&p->cpu_us_per_request, (cpu1 - cpu0) * 1e6 / n);
		results_series_add(&p->p50_us, jnum(figures, "p50_us"));
		results_series_add(&p->p99_us, jnum(figures, "p99_us"));
		results_series_add(&p->peak_rss_kb, (double)hwm);
		/* A GET stores nothing: its growth is noise, so only other requests record it. */
		if (strcmp(s->method, "GET") != 0)
			results_series_add(&p->rss_growth_per_request_b, (double)(rss1 - rss0) * 1024.0 / n);
		*(char **)xappend(&p->lines, &p->nlines, sizeof *p->lines) = json_dumps(figures, JSON_COMPACT);
	}
	json_decref(figures);
	free(log);
}

results_point *bench_server_points(bench_run *r, const bench_group *grp, size_t inv)
{
	results_point *points = xcalloc(grp->n, sizeof *points);
	for (size_t c = 0; c < grp->n; c++) {
		const scenario *s = grp->cmds[c].s;
		results_point *p = &points[c];
		bench_point_init(p, &grp->cmds[c], grp);
		p->request = xasprintf("%s %s", s->method, s->path);
		p->seconds = (long long)grp->seconds;
		/* Every server figure is recorded, runs or none; RSS growth only for a request that stores. */
		p->requests_per_s.present = p->cpu_us_per_request.present = p->p50_us.present = p->p99_us.present = true;
		p->rss_growth_per_request_b.present = strcmp(s->method, "GET") != 0;
		p->wrk_script = xasprintf("samples/%03zu.lua", inv);
		p->samples = xasprintf("samples/%03zu-%zu.server.log", inv, c);
	}
	char err[512];
	char *script = write_script(r, grp->cmds[0].s, inv, err, sizeof err);
	for (uint64_t run = 1; script && run <= grp->runs && !bench_interrupted(); run++)
		for (size_t c = 0; c < grp->n && !bench_interrupted(); c++)
			one_run(r, grp, inv, c, (long)run, script, &points[c]);
	for (size_t c = 0; c < grp->n; c++) {
		results_point *p = &points[c];
		if (!script)
			results_add_failure(p, -1, false, "wrk", NULL, err);
		p->ok = p->nfailures == 0;
	}
	free(script);
	return points;
}
