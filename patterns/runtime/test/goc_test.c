/*
 * goc_test.c - the watchdog, leak check, death-test runner and canceler of
 * goc_test.h.
 * The watchdog is a plain pthread (not a task), so it is never counted as a
 * leak and keeps running while tasks hang.
 */
#define _GNU_SOURCE
#include "goc_test.h"
#include "goc_internal.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "goc/goc.h"

extern char **environ;

static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;        /* CLOCK_MONOTONIC; initialized with the thread */
static bool wd_started;             /* guarded by wd_mu */
static int64_t wd_deadline;         /* 0: disarmed; guarded by wd_mu */
static int64_t wd_seconds;          /* guarded by wd_mu */

static void abs_timespec(int64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

/* Sleeps until the armed deadline; if a test is still running then, dumps and aborts. */
static void *watchdog_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wd_mu);
	for (;;) {
		if (wd_deadline == 0) {
			pthread_cond_wait(&wd_cv, &wd_mu);
			continue;
		}
		if (goc_now() >= wd_deadline)
			break;
		struct timespec ts;
		abs_timespec(wd_deadline, &ts);
		pthread_cond_timedwait(&wd_cv, &wd_mu, &ts);
	}
	fprintf(stderr, "\nwatchdog: the test is still running after %lld s: a hang "
	        "(lost wake-up or deadlock?). Threads known to libgoc:\n", (long long)wd_seconds);
	goc_tasks_dump(stderr);
	fflush(stderr);
	abort();
}

static int64_t env_long(const char *name, int64_t dflt)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return dflt;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || v <= 0) {
		fprintf(stderr, "goc_test: %s=%s is not a positive integer\n", name, s);
		exit(2);
	}
	return (int64_t)v;
}

int goc_test_setup(void **state)
{
	(void)state;
	pthread_mutex_lock(&wd_mu);
	if (!wd_started) {
		pthread_condattr_t attr;
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&wd_cv, &attr);
		pthread_condattr_destroy(&attr);
		pthread_t tid;
		if (pthread_create(&tid, NULL, watchdog_main, NULL) != 0) {
			pthread_mutex_unlock(&wd_mu);
			fprintf(stderr, "goc_test: cannot start the watchdog thread\n");
			return -1;
		}
		pthread_detach(tid);
		wd_started = true;
	}
	wd_seconds = env_long("GOC_TEST_WATCHDOG", 60);
	wd_deadline = goc_deadline_after(wd_seconds * 1000000000);
	pthread_cond_signal(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
	return 0;
}

static bool wait_no_tasks(int64_t deadline)
{
	while (goc_tasks_live() != 0) {
		if (goc_now() >= deadline)
			return false;
		goc_sleep(1000000);
	}
	return true;
}

int goc_test_teardown(void **state)
{
	(void)state;
	int64_t wait_ms = env_long("GOC_TEST_LEAK_WAIT_MS", 5000);
	bool clean = wait_no_tasks(goc_test_ms(wait_ms));
	pthread_mutex_lock(&wd_mu);
	wd_deadline = 0;
	pthread_mutex_unlock(&wd_mu);
	if (!clean) {
		fprintf(stderr, "goc_test: %zu task(s) still live %lld ms after the test:\n",
		        goc_tasks_live(), (long long)wait_ms);
		goc_tasks_dump(stderr);
		return -1;
	}
	return 0;
}

void goc_test_assert_no_leaks(void)
{
	if (!wait_no_tasks(goc_deadline_after(5000000000))) {
		goc_tasks_dump(stderr);
		fail_msg("%zu task(s) still live 5 s after the test", goc_tasks_live());
	}
}

long goc_test_scaled(long n)
{
	long scaled = n / (long)env_long("GOC_TEST_SCALE", 1);
	return scaled > 0 ? scaled : 1;
}

uint64_t goc_test_seed(const char *prog)
{
	const char *env = getenv("GOC_TEST_SEED");
	uint64_t seed;
	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		uint64_t s = (uint64_t)goc_now() ^ ((uint64_t)getpid() << 32);
		seed = goc__splitmix64(&s);
	}
	printf("%s: seed 0x%llx (replay: GOC_TEST_SEED=0x%llx)\n", prog, (unsigned long long)seed,
	       (unsigned long long)seed);
	fflush(stdout);
	return seed;
}

uint32_t goc_test_draw(uint64_t *state, uint32_t n)
{
	return (uint32_t)(goc__splitmix64(state) % n);
}

int64_t goc_test_ms(int64_t ms)
{
	return goc_deadline_after(ms * 1000000);
}

/* The canceler's task: sleep, act, then let goc_test_canceler_wait() return. */
static void canceler_main(void *arg)
{
	goc_test_canceler *c = arg;
	goc_sleep(c->delay_ns);
	c->fn(c->arg);
	goc_wg_done(&c->done);
}

/* goc_ctx_cancel() in the shape of a goc_test_call_later() action. */
static void cancel_ctx(void *ctx)
{
	goc_ctx_cancel(ctx);
}

goc_status goc_test_cancel_later(goc_test_canceler *c, goc_ctx *ctx, int64_t delay_ns)
{
	return goc_test_call_later(c, cancel_ctx, ctx, delay_ns);
}

goc_status goc_test_call_later(goc_test_canceler *c, void (*fn)(void *arg), void *arg,
                               int64_t delay_ns)
{
	*c = (goc_test_canceler){ .fn = fn, .arg = arg, .delay_ns = delay_ns };
	goc_wg_init(&c->done);
	/* Add before goc_go(), as wg.h asks, so a wait cannot miss the task. */
	goc_wg_add(&c->done, 1);
	goc_status st = goc_go(canceler_main, c);
	if (st != GOC_OK) {
		goc_wg_done(&c->done);
		goc_wg_destroy(&c->done);
		return st;
	}
	c->running = true;
	return GOC_OK;
}

goc_status goc_test_canceler_wait(goc_test_canceler *c, int64_t deadline)
{
	if (!c->running)
		return GOC_OK;
	goc_status st = goc_wg_wait(&c->done, deadline);
	if (st != GOC_OK)
		return st;
	goc_wg_destroy(&c->done);
	c->running = false;
	return GOC_OK;
}

void goc_test_children(int argc, char **argv, const goc_test_child *children)
{
	if (argc != 3 || strcmp(argv[1], "--goc-child") != 0)
		return;
	for (const goc_test_child *c = children; c->name; c++) {
		if (strcmp(c->name, argv[2]) == 0) {
			c->run();
			fprintf(stderr, "goc_test: child %s returned\n", c->name);
			exit(0);
		}
	}
	fprintf(stderr, "goc_test: no child named %s\n", argv[2]);
	exit(3);
}

void goc_test_expect_panic(const char *name, const char *message)
{
	char want[512];
	snprintf(want, sizeof want, "panic: %s\n", message);
	goc_test_expect_death(name, want);
}

void goc_test_expect_death(const char *name, const char *text)
{
	char why[256];
	if (!goc_test_dies(name, text, why, sizeof why))
		fail_msg("%s", why);
}

const char *goc_test_emulator(void)
{
	const char *emulator = getenv("GOC_TEST_EMULATOR");
	return emulator && *emulator ? emulator : NULL;
}

bool goc_test_fork_starts_threads(void)
{
#ifdef GOC_TEST_TSAN
	return false;
#else
	return !goc_test_emulator();
#endif
}

int goc_test_fork_run(int (*child)(void), int64_t timeout_ms)
{
	pid_t pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0)
		_exit(child());
	int status = 0;
	pid_t r;
	for (int64_t waited = 0; (r = waitpid(pid, &status, WNOHANG)) == 0 && waited < timeout_ms; waited++)
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (r != pid)
		return -2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int goc_test_fork_beside(void *(*churn)(void *stop), int (*child)(void), int forks)
{
	atomic_bool stop = false;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, churn, &stop), 0);
	int result = 0;
	for (int i = 0; i < forks && result == 0; i++)
		result = goc_test_fork_run(child, 10000);
	atomic_store(&stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	return result;
}

bool goc_test_dies(const char *name, const char *text, char *why, size_t whylen)
{
	int fds[2];
	if (pipe(fds) != 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return false;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) {
		snprintf(why, whylen, "readlink /proc/self/exe: %s", strerror(errno));
		return false;
	}
	self[n] = '\0';
	/* Under an emulator (qemu-user), the child runs through it too: the kernel cannot run self. */
	const char *emulator = goc_test_emulator();
	char *argv[] = { (char *)emulator, self, (char *)"--goc-child", (char *)name, NULL };
	char **args = emulator ? argv : argv + 1;
	pid_t pid;
	int rc = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0) {
		close(fds[0]);
		snprintf(why, whylen, "posix_spawn: %s", strerror(rc));
		return false;
	}

	/* Collect the child's stderr; kill it if it hangs instead of dying. */
	char out[65536];
	size_t len = 0;
	int64_t deadline = goc_deadline_after(60000000000);
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int64_t left_ms = (deadline - goc_now()) / 1000000;
		if (left_ms <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)left_ms) <= 0)
			continue;
		ssize_t got = read(fds[0], out + len, sizeof out - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		if (len == sizeof out - 1)
			break;
	}
	out[len] = '\0';
	close(fds[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return false;
		}
	}

	bool aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
	bool said = strstr(out, text) != NULL;
	if (aborted && said)
		return true;
	fprintf(stderr, "--- stderr of child %s ---\n%s--- end ---\n", name, out);
	if (!aborted)
		snprintf(why, whylen, "child %s: expected death by SIGABRT, got %s %d", name,
		         WIFSIGNALED(status) ? "signal" : "exit status",
		         WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	else
		snprintf(why, whylen, "child %s: stderr lacks \"%s\"", name, text);
	return false;
}
