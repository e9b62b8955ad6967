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
 * thread with no timer pending, or the sanitizer's background thread. Any
 * other thread (one computing, sleeping, or blocked in a plain pthread
 * call) might still wake the others, and there is no deadlock to report.
 * A thread woken a moment ago may not have run yet: the same state must
 * be seen twice, a check apart, with no wait begun or ended and no wake-up
 * given in between (`progress`).
 *
 * Blocked threads run the check themselves: a wait with no deadline
 * sleeps in slices of GOC__DEADLOCK_SLICE_NS and checks after each.
 * GOC_CHECKS=0 in the environment turns the check off (and the leak check
 * at exit).
 */
#define _GNU_SOURCE
#include <dirent.h>
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
	atomic_fetch_sub_explicit(&blocked_forever, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&progress, 1, memory_order_relaxed);
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

int64_t goc__forever_slice(void)
{
	return goc__checks_on() ? goc_deadline_after(GOC__DEADLOCK_SLICE_NS) : GOC_FOREVER;
}

/* The number of threads in the process, and how many are the sanitizer's sleeper; -1 if unknown. */
static long os_threads(long *sanitizer)
{
	*sanitizer = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		n++;
		/*
		 * ThreadSanitizer's background thread sleeps in the raw nanosleep
		 * system call (35 on x86-64), which programs reach only through
		 * clock_nanosleep.
		 */
		char path[96], text[16] = { 0 };
		snprintf(path, sizeof path, "/proc/self/task/%s/syscall", e->d_name);
		FILE *f = fopen(path, "re");
		if (f) {
			if (fgets(text, sizeof text, f) && strncmp(text, "35 ", 3) == 0)
				(*sanitizer)++;
			fclose(f);
		}
	}
	closedir(d);
	return n;
}

/* Whether every thread of the process is accounted for and stuck (see the file comment). */
static bool all_stuck(void)
{
	size_t blocked = atomic_load_explicit(&blocked_forever, memory_order_relaxed);
	size_t foreign = goc__foreign_threads();
	if (blocked < goc_tasks_live() + foreign || goc__timers_pending())
		return false;
	long sanitizer;
	long threads = os_threads(&sanitizer);
	long known = (long)(goc__pool_threads() + foreign + goc__timer_threads()) + sanitizer;
	return threads >= 0 && threads <= known;
}

/*
 * Whether nothing can proceed: the same stuck state seen twice, a slice
 * apart, with no progress in between (see the file comment).
 */
static bool deadlocked(void)
{
	uint64_t seen = atomic_load_explicit(&progress, memory_order_relaxed);
	if (!all_stuck()) {
		GOC_PT(pthread_mutex_lock(&check_mu));
		suspect_progress = 0;
		GOC_PT(pthread_mutex_unlock(&check_mu));
		return false;
	}
	int64_t now = goc_now();
	GOC_PT(pthread_mutex_lock(&check_mu));
	bool dead = suspect_progress == seen + 1 && now - suspect_at >= GOC__DEADLOCK_SLICE_NS;
	if (suspect_progress != seen + 1) {
		suspect_progress = seen + 1;
		suspect_at = now;
	}
	GOC_PT(pthread_mutex_unlock(&check_mu));
	return dead;
}

void goc__deadlock_check(void)
{
	if (!goc__checks_on())
		return;
	/* TSan: private, so that the locks the check takes do not order the blocked threads that run it. */
	GOC__TSAN_PRIVATE_BEGIN();
	bool dead = deadlocked();
	GOC__TSAN_PRIVATE_END();
	if (!dead)
		return;
	/* One report: a second thread that concludes the same waits for the first's exit. */
	static atomic_bool reported;
	if (atomic_exchange(&reported, true))
		for (;;)
			pause();
	fprintf(stderr, "fatal error: all goroutines are asleep - deadlock!\n\n");
	goc_tasks_dump(stderr);
	fflush(stderr);
	_exit(2);
}

#endif /* GOC__CHECKS */
