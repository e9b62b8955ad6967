/*
 * util.c - the harness's shared helpers (see util.h). Child processes are
 * started with posix_spawnp and read through poll(), so a child that
 * writes much to both streams cannot deadlock against us.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- messages ------------------------------------------------------------------ */

static void vmessage(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "goc: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void goc_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
}

void goc_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("warning: ", fmt, ap);
	va_end(ap);
}

void goc_fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage("error: ", fmt, ap);
	va_end(ap);
	exit(GOC_EXIT_FAILED);
}

/* ---- allocation ---------------------------------------------------------------- */

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		goc_fatal("out of memory (%zu bytes)", n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		goc_fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		goc_fatal("out of memory (%zu bytes)", n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

/* vasprintf that dies on failure; n_out (may be NULL) gets the length. */
static char *xvasprintf(const char *fmt, va_list ap, size_t *n_out)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0)
		goc_fatal("formatting failed");
	char *s = xmalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, again);
	va_end(again);
	if (n_out)
		*n_out = (size_t)n;
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap, NULL);
	va_end(ap);
	return s;
}

void *xappend(void *v_ptr, size_t *n, size_t size)
{
	void **v = v_ptr;
	/* Capacity is the next power of two: grow when n is 0 or one. */
	if (*n == 0 || (*n & (*n - 1)) == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 1) * size);
	void *item = (char *)*v + *n * size;
	memset(item, 0, size);
	(*n)++;
	return item;
}

/* ---- strings ------------------------------------------------------------------- */

void sb_addn(strbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_add(strbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap, &n);
	va_end(ap);
	sb_addn(b, s, n);
	free(s);
}

const char *sb_str(const strbuf *b)
{
	return b->s ? b->s : "";
}

void sb_free(strbuf *b)
{
	free(b->s);
	*b = (strbuf){ 0 };
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- files ---------------------------------------------------------------------- */

char *file_field(const char *path, const char *key, const char *sep)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char line[1024];
	char *value = NULL;
	size_t klen = strlen(key);
	while (!value && fgets(line, sizeof line, f)) {
		if (strncmp(line, key, klen) != 0)
			continue;
		char *p = line + klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!str_starts(p, sep))
			continue;
		p += strlen(sep);
		while (*p == ' ' || *p == '\t' || *p == '"')
			p++;
		p[strcspn(p, "\"\n")] = '\0';
		value = xstrdup(p);
	}
	fclose(f);
	return value;
}

bool proc_cpu_ticks(pid_t pid, unsigned long long *ticks)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid);
	char *text = file_read(path, NULL);
	free(path);
	/* Fields 14 and 15 (utime, stime) follow the command name, whose ')' is the last one. */
	const char *at = text ? strrchr(text, ')') : NULL;
	unsigned long long ut, st;
	bool ok = at && sscanf(at + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2;
	free(text);
	if (ok)
		*ticks = ut + st;
	return ok;
}

char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	strbuf b = { 0 };
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sb_addn(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		sb_free(&b);
		errno = EIO;
		return NULL;
	}
	if (!b.s)
		sb_add(&b, "");
	if (len)
		*len = b.len;
	return b.s;
}

int file_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const char *what = "create";
	if (fd < 0)
		goto fail;
	what = "write";
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, data + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail_close;
		done += (size_t)w;
	}
	what = "sync";
	if (fsync(fd) != 0)
		goto fail_close;
	what = "close";
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	what = "rename";
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;

fail_close:;
	int saved = errno;
	close(fd);
	errno = saved;
fail:
	snprintf(err, errlen, "%s: cannot %s %s: %s", path, what, tmp, strerror(errno));
	unlink(tmp);
	free(tmp);
	return -1;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	int rc = mkdir(p, mode);
	free(p);
	return rc != 0 && errno != EEXIST ? -1 : 0;
}

bool path_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

char *path_relative(const char *from, const char *to)
{
	char *f = realpath(from, NULL), *t = realpath(to, NULL);
	if (!f || !t) {
		free(f);
		return t ? t : xstrdup(to);
	}
	/* The longest common prefix that ends at a component boundary. */
	size_t common = 0;
	for (size_t i = 0;; i++) {
		bool f_end = f[i] == '\0' || f[i] == '/', t_end = t[i] == '\0' || t[i] == '/';
		if (f_end && t_end)
			common = i;
		if (f[i] != t[i] || f[i] == '\0')
			break;
	}
	strbuf b = { 0 };
	for (const char *p = f + common; *p; p++)
		if (*p == '/')
			sb_add(&b, b.len ? "/.." : "..");
	const char *rest = t + common + (t[common] == '/');
	if (*rest)
		sb_printf(&b, "%s%s", b.len ? "/" : "", rest);
	free(f);
	free(t);
	return b.s ? b.s : xstrdup(".");
}

bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* ---- child processes --------------------------------------------------------------- */

/*
 * Read what is there from fd into b, keeping its first `cap` bytes, or its
 * last `cap` with `tail`; false at end of file.
 */
static bool drain(int fd, strbuf *b, size_t cap, bool tail)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof chunk);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (!b)
		return true;
	if (!tail) {
		if (b->len < cap)
			sb_addn(b, chunk, (size_t)n < cap - b->len ? (size_t)n : cap - b->len);
	} else {
		sb_addn(b, chunk, (size_t)n);
		if (b->len > cap) {
			memmove(b->s, b->s + b->len - cap, cap);
			b->len = cap;
			b->s[cap] = '\0';
		}
	}
	return true;
}

int run_child(char *const argv[], const run_opts *o, strbuf *out, strbuf *errout, int *status,
              bool *timed_out, char *err, size_t errlen)
{
	*timed_out = false;
	int po[2], pe[2];
	if (pipe2(po, O_CLOEXEC) != 0)
		goto no_pipe;
	if (pipe2(pe, O_CLOEXEC) != 0) {
		close(po[0]);
		close(po[1]);
		goto no_pipe;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	if (rc != 0) {
		close(po[0]);
		close(pe[0]);
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	double deadline = o->timeout_s > 0 ? now_monotonic_s() + o->timeout_s : 0;
	double kill_at = 0; /* after SIGQUIT: when SIGKILL follows */
	bool killed = false;
	struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int open_fds = 2;
	/* Read both streams until both close; past the deadline, kill and keep reading. */
	double next_watch = o->watch ? now_monotonic_s() + o->watch_ms / 1000.0 : 0;
	while (open_fds > 0) {
		int ms = -1;
		double now = now_monotonic_s();
		if (!*timed_out && ((deadline > 0 && now >= deadline) ||
		                    (o->watch && now >= next_watch && o->watch(pid, o->watch_arg)))) {
			*timed_out = true;
			if (o->quit_grace_s > 0) {
				kill(pid, SIGQUIT);
				kill_at = now + o->quit_grace_s;
			} else {
				kill(pid, SIGKILL);
				killed = true;
			}
		}
		if (*timed_out && !killed && now >= kill_at) {
			kill(pid, SIGKILL);
			killed = true;
		}
		if (o->watch && !*timed_out && now >= next_watch)
			next_watch = now + o->watch_ms / 1000.0;
		if (killed)
			ms = 1000;
		else if (*timed_out)
			ms = (int)((kill_at - now) * 1000) + 1;
		else if (deadline > 0)
			ms = (int)((deadline - now) * 1000) + 1;
		if (o->watch && !*timed_out) {
			int until = (int)((next_watch - now) * 1000) + 1;
			if (ms < 0 || until < ms)
				ms = until;
		}
		int n = poll(fds, 2, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && killed)
			break;  /* killed, but a grandchild keeps a stream open: stop waiting */
		for (int i = 0; i < 2 && n > 0; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!drain(fds[i].fd, i == 0 ? out : errout, o->cap, o->tail)) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "waiting for %s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	return 0;

no_pipe:
	snprintf(err, errlen, "cannot make a pipe: %s", strerror(errno));
	return -1;
}

int run_capture(char *const argv[], size_t cap, strbuf *out, strbuf *errout, int *status,
                char *err, size_t errlen)
{
	run_opts o = { .cap = cap };
	bool timed_out;
	return run_child(argv, &o, out, errout, status, &timed_out, err, errlen);
}

char *run_first_line(char *const argv[])
{
	strbuf out = { 0 };
	int status;
	char err[256];
	if (run_capture(argv, 4096, &out, NULL, &status, err, sizeof err) != 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !out.s) {
		sb_free(&out);
		return NULL;
	}
	out.s[strcspn(out.s, "\n")] = '\0';
	return out.s;
}

char *describe_status(int status)
{
	if (WIFEXITED(status))
		return xasprintf("exit status %d", WEXITSTATUS(status));
	if (WIFSIGNALED(status))
		return xasprintf("killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	return xasprintf("wait status %d", status);
}

/* ---- time -------------------------------------------------------------------------- */

double now_monotonic_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *utc_now(bool compact)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof buf, compact ? "%Y%m%d-%H%M%S" : "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

char *format_duration(double seconds)
{
	if (seconds < 0 || seconds != seconds)
		seconds = 0;
	uint64_t s = (uint64_t)(seconds + 0.5);
	if (s >= 3600)
		return xasprintf("%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60, s % 60);
	return xasprintf("%" PRIu64 ":%02" PRIu64, s / 60, s % 60);
}
