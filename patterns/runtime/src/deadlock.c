/*
 * deadlock.c - Go's "all goroutines are asleep - deadlock!" for libgoc's
 * tsan and debug builds (GOC__CHECKS): when every thread of the process is
 * blocked for good in a libgoc wait with no deadline (a channel operation,
 * a select, a WaitGroup wait, a semaphore acquire) and no timer is pending
 * that could wake one, nothing can ever proceed. The program prints that
 * line and what each task is blocked in, and exits with status 2, as Go
 * does. Unlike Go's, it also works in race builds (Go turns its detector
 * off under -race, where such a program simply hangs).
 *
 * Go knows every goroutine; libgoc cannot see threads that never used it.
 * So the check counts the threads of the process (/proc/self/stat) and
 * declares a deadlock only when each is accounted for: a task or another
 * thread of libgoc's blocked for good, an idle pooled thread, the timer
 * thread with no timer pending, or (TSan builds) the sanitizer's
 * background thread. Any
 * other thread (one computing, sleeping, or blocked in a plain pthread
 * call) might still wake the others, and there is no deadlock to report.
 * A thread woken a moment ago may not have run yet on a busy machine: its
 * waker uncounts it (goc__op_wake(), a semaphore grant, a WaitGroup's
 * zero), and the same state must be seen twice, a check apart, with no
 * wait begun or ended and no wake-up given in between (`progress`).
 *
 * Blocked threads run the check themselves: a wait with no deadline
 * sleeps in slices of GOC__DEADLOCK_SLICE_NS and checks after each.
 * GOC_CHECKS=0 in the environment turns the check off (and the leak check
 * at exit).
 *
 * SIGQUIT, as in Go, dumps what each task is blocked in and exits with
 * status 2, for a program that hangs without a deadlock (a thread libgoc
 * does not know holds the others up): `goc race` sends it before it kills
 * a hung run, so that the report says where the tasks were. The handler
 * only sets a flag; the next blocked thread to end a slice prints the dump
 * (with no thread blocked so, SIGQUIT takes its default action).
 * It is installed with the first wait with no deadline, and only where
 * SIGQUIT has its default action: a program's own handler stays.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goc_internal.h"

#ifdef GOC__CHECKS

static atomic_size_t blocked_forever; /* threads in a wait with no deadline */
/* Waits begun and ended, wake-ups, task starts: anything that may let a blocked thread on. */
static atomic_uint_fast64_t progress;

static pthread_mutex_t check_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t suspect_progress; /* `progress` when all looked stuck, + 1 (0: none); guarded by check_mu */
static int64_t suspect_at;        /* when; guarded by check_mu */
static int64_t checked_at;        /* the last check; guarded by check_mu */

/*
 * All relaxed: the counts steer a heuristic that looks twice, a slice
 * apart, before it concludes anything, and order nothing; and an edge
 * here would hide races from TSan.
 */
void goc__forever_begin(void)
{
	atomic_fetch_add_explicit(&blocked_forever, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
}

void goc__forever_end(void)
{
	goc__forever_end_n(1);
}

void goc__forever_end_n(size_t n)
{
	atomic_fetch_sub_explicit(&blocked_forever, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
}

void goc__deadlock_fork_child(void)
{
	atomic_store_explicit(&blocked_forever, 0, memory_order_relaxed);
	/* The child has one thread; the lock may have been held by another at the fork. */
	check_mu = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	suspect_progress = 0;
}

void goc__progress(void)
{
	atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
}

bool goc__checks_on(void)
{
	/* Relaxed, both: every thread that finds it unset computes the same value. */
	static atomic_int on = -1;
	int v = atomic_load_explicit(&on, memory_order_relaxed);
	if (v < 0) {
		const char *env = getenv("GOC_CHECKS");
		v = !(env && strcmp(env, "0") == 0);
		atomic_store_explicit(&on, v, memory_order_relaxed);
	}
	return v;
}

/* Relaxed: a flag polled each slice, which orders nothing (a lock-free atomic is safe in a handler). */
static atomic_int quit_asked;

static void on_quit(int sig)
{
	atomic_store_explicit(&quit_asked, 1, memory_order_relaxed);
	/* Tasks of the M:N scheduler park without slices: its monitor thread dumps for them. */
	goc__sched_signal_monitor();
	/* Nobody waits to dump (every task runs): SIGQUIT's own action, as if we were not here. */
	if (atomic_load_explicit(&blocked_forever, memory_order_relaxed) == 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

static void install_quit(void)
{
	struct sigaction old;
	if (sigaction(SIGQUIT, NULL, &old) != 0 || old.sa_handler != SIG_DFL)
		return;
	struct sigaction sa = { .sa_handler = on_quit };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGQUIT, &sa, NULL);
}

static pthread_once_t quit_once = PTHREAD_ONCE_INIT;

int64_t goc__forever_slice(void)
{
	if (!goc__checks_on())
		return GOC_FOREVER;
	/* Private for TSan: the once would order every waiter after the first. */
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_once(&quit_once, install_quit));
	GOC__TSAN_PRIVATE_END();
	return goc_deadline_after(GOC__DEADLOCK_SLICE_NS);
}

void goc__forever_park(void)
{
	goc__forever_begin();
	/* A task of the M:N scheduler waits without slices: install SIGQUIT's dump here. */
	if (goc__checks_on()) {
		GOC__TSAN_PRIVATE_BEGIN(); /* as in goc__forever_slice() */
		GOC_PT(pthread_once(&quit_once, install_quit));
		GOC__TSAN_PRIVATE_END();
	}
}

/* The number of threads in the process (/proc/self/stat's 20th field), or -1. */
static long os_threads(void)
{
	FILE *f = fopen("/proc/self/stat", "re");
	if (!f)
		return -1;
	char buf[1024];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command name in parentheses, which may hold anything. */
	const char *p = strrchr(buf, ')');
	long threads = -1;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %ld",
	                 &threads) != 1)
		return -1;
	return threads;
}

/*
 * Whether one of the process's threads is ThreadSanitizer's background
 * thread, which sleeps in the raw nanosleep system call (35 on x86-64) that
 * programs reach only through clock_nanosleep. TSan builds only.
 */
static bool sanitizer_sleeper(void)
{
#ifdef GOC__TSAN
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[96], text[16] = { 0 };
		snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
		FILE *f = fopen(path, "re");
		if (f) {
			found = fgets(text, sizeof text, f) && strncmp(text, "35 ", 3) == 0;
			fclose(f);
		}
	}
	closedir(d);
	return found;
#else
	return false;
#endif
}

/* Whether every thread of the process is accounted for and stuck (see the file comment). */
static bool all_stuck(void)
{
	size_t blocked = atomic_load_explicit(&blocked_forever, memory_order_relaxed);
	size_t foreign = goc__foreign_threads();
	if (blocked < goc_tasks_live() + foreign || goc__timers_pending())
		return false;
	long threads = os_threads();
	long known = (long)(goc__pool_threads() + goc__sched_threads() + foreign + goc__timer_threads());
	return threads >= 0 && (threads <= known || (threads == known + 1 && sanitizer_sleeper()));
}

/*
 * Whether nothing can proceed: the same stuck state seen twice, a slice
 * apart, with no progress in between (see the file comment). One check at
 * a time, and at most one a half slice for the whole process, however many
 * threads wait: the others go back to sleep.
 */
static bool deadlocked(void)
{
	if (pthread_mutex_trylock(&check_mu) != 0)
		return false;
	int64_t now = goc_now();
	bool dead = false;
	if (now - checked_at >= GOC__DEADLOCK_SLICE_NS / 2) {
		checked_at = now;
		uint64_t seen = atomic_load_explicit(&progress, memory_order_relaxed);
		if (!all_stuck()) {
			suspect_progress = 0;
		} else if (suspect_progress == seen + 1) {
			dead = now - suspect_at >= GOC__DEADLOCK_SLICE_NS;
		} else {
			suspect_progress = seen + 1;
			suspect_at = now;
		}
	}
	GOC_PT(pthread_mutex_unlock(&check_mu));
	return dead;
}

void goc__quit_check(void)
{
	if (atomic_load_explicit(&quit_asked, memory_order_relaxed))
		goc__deadlock_check();
}

void goc__deadlock_check(void)
{
	if (!goc__checks_on())
		return;
	/* TSan: private, so that the locks the check takes do not order the blocked threads that run it. */
	GOC__TSAN_PRIVATE_BEGIN();
	bool dead = deadlocked();
	GOC__TSAN_PRIVATE_END();
	if (!dead && !atomic_load_explicit(&quit_asked, memory_order_relaxed))
		return;
	/* One report: a second thread that concludes the same waits for the first's exit. */
	static atomic_bool reported;
	if (atomic_exchange(&reported, true))
		for (;;)
			pause();
	fprintf(stderr, dead ? "fatal error: all goroutines are asleep - deadlock!\n\n" : "SIGQUIT: quit\n\n");
	goc_tasks_dump(stderr);
	fflush(stderr);
	_exit(2);
}

#endif /* GOC__CHECKS */
