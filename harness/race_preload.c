/*
 * race_preload.c - libgoc_race_preload.so, which `goc race` preloads
 * (LD_PRELOAD) into every program it runs. Two things:
 *
 * At exit it lists the threads still running, which ThreadSanitizer does
 * not report (its "thread leak" covers only threads that finished and were
 * never joined).
 *
 * The threads that were there before main (the sanitizer runtime's own)
 * are noted by the constructor and not counted; nor are libgoc's own
 * service threads, which name themselves "goc-w" or "goc-t" and their own
 * thread id (idle pooled threads and the timer thread; a task still
 * running at exit is libgoc's leak check's to report). A program that does not exit normally (_exit, a
 * signal) runs no destructor and is checked by nothing here.
 *
 * Schedule chaos for programs that do not use libgoc (whose own points,
 * goc/chaos.h, cover those that do; libgoc says it is there by calling
 * goc_race_preload_libgoc_present()): with GOC_CHAOS=random it delays
 * threads at pthread_mutex_lock, pthread_mutex_unlock, pthread_create and
 * pthread_join, as libgoc's random mode
 * does, seeded by GOC_CHAOS_SEED and the order threads first arrive. It
 * sits beneath ThreadSanitizer's interceptors: they call the next
 * definition (dlsym RTLD_NEXT), which is this library's, and this calls
 * glibc's. Condition variables are left alone: TSan asks for a versioned
 * pthread_cond_wait, which an unversioned interposer would not provide.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EARLY 16

static long early[MAX_EARLY]; /* thread ids alive before main */
static int nearly;

/* The thread ids of this process, through fn(tid) for each. */
static void each_thread(void (*fn)(long tid, void *arg), void *arg)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			fn(strtol(e->d_name, NULL, 10), arg);
	closedir(d);
}

static void note_early(long tid, void *arg)
{
	(void)arg;
	if (nearly < MAX_EARLY)
		early[nearly++] = tid;
}

/*
 * Take this library out of LD_PRELOAD, so that the programs this one
 * starts (the sanitizer's symbolizer, say) run without it.
 */
static void unpreload(void)
{
	const char *pre = getenv("LD_PRELOAD");
	if (!pre)
		return;
	char *rest = malloc(strlen(pre) + 1), *copy = strdup(pre);
	if (!rest || !copy) {
		free(rest);
		free(copy);
		return;
	}
	rest[0] = '\0';
	for (char *save = NULL, *item = strtok_r(copy, ": ", &save); item; item = strtok_r(NULL, ": ", &save)) {
		if (strstr(item, "libgoc_race_preload.so"))
			continue;
		if (rest[0])
			strcat(rest, ":");
		strcat(rest, item);
	}
	if (rest[0])
		setenv("LD_PRELOAD", rest, 1);
	else
		unsetenv("LD_PRELOAD");
	free(rest);
	free(copy);
}

__attribute__((constructor)) static void exitcheck_start(void)
{
	each_thread(note_early, NULL);
	unpreload();
}

/* The thread's name (comm), or "" if it is gone. */
static void thread_name(long tid, char *name, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/comm", tid);
	name[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, name, size - 1);
	close(fd);
	name[n > 0 ? n : 0] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

/*
 * ThreadSanitizer starts a background thread with the program's first
 * thread, after our constructor; it spends nearly all its time in the raw
 * nanosleep system call (35 on x86-64), which a program reaches only
 * through clock_nanosleep, and wakes every 100 ms. A thread seen anywhere
 * else is looked at again for 200 ms, long enough to see that one back
 * in its sleep.
 */
static bool sanitizer_thread(long tid)
{
	char path[64], text[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", tid);
	for (int look = 0; look < 200; look++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return true; /* gone */
		ssize_t n = read(fd, text, sizeof text - 1);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		if (strncmp(text, "35 ", 3) == 0)
			return true;
		usleep(1000);
	}
	return false;
}

typedef struct late {
	long self;
	int n;
	char list[512];
} late;

static void note_late(long tid, void *arg)
{
	late *l = arg;
	if (tid == l->self)
		return;
	for (int i = 0; i < nearly; i++)
		if (early[i] == tid)
			return;
	char name[32], own[32];
	thread_name(tid, name, sizeof name);
	/* libgoc names its threads "goc-w" or "goc-t" and their own id; a thread they start inherits another's. */
	snprintf(own, sizeof own, "%ld", tid);
	bool libgoc = strncmp(name, "goc-", 4) == 0 && name[4] && strcmp(name + 5, own) == 0;
	if (name[0] == '\0' || libgoc || sanitizer_thread(tid))
		return; /* gone meanwhile, libgoc's own, or the sanitizer's */
	l->n++;
	size_t used = strlen(l->list);
	snprintf(l->list + used, sizeof l->list - used, "%s%ld '%s'", used ? ", " : "", tid, name);
}

__attribute__((destructor)) static void exitcheck_end(void)
{
	late l = { .self = (long)gettid() };
	each_thread(note_late, &l);
	if (l.n > 0)
		fprintf(stderr, "goc race: %d thread(s) still running at exit (never joined): %s\n", l.n, l.list);
}

/* ---- schedule chaos at pthread calls ---------------------------------------- */

/*
 * No pthread_once and no lock here: ThreadSanitizer intercepts those and
 * would take them for the program's synchronization, ordering threads that
 * the program leaves unordered and hiding its races. This library is not
 * instrumented, so its own atomics are invisible to TSan; every thread that
 * finds the settings unread reads the same environment.
 */
static atomic_int chaos_on = -1;          /* -1 until read: then 0 or 1 (0 for good once libgoc says it is there) */
static _Atomic uint64_t chaos_seed;       /* set before chaos_on; release/acquire */
static atomic_uint_fast64_t chaos_order;  /* relaxed: the order threads first arrive */
static _Thread_local uint64_t chaos_rng;  /* 0 until the thread's first point */

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Whether chaos is on, reading the environment the first time. */
static bool chaos_enabled(void)
{
	int on = atomic_load_explicit(&chaos_on, memory_order_acquire);
	if (on >= 0)
		return on;
	const char *mode = getenv("GOC_CHAOS");
	const char *seed = getenv("GOC_CHAOS_SEED");
	atomic_store_explicit(&chaos_seed, seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL), memory_order_relaxed);
	int unread = -1;
	on = mode && !strcmp(mode, "random");
	/* A strong CAS: libgoc's note may have turned chaos off meanwhile, and it stays off. */
	if (atomic_compare_exchange_strong_explicit(&chaos_on, &unread, on, memory_order_acq_rel, memory_order_acquire) &&
	    on) {
		/* Said once, as libgoc says its own: write(2), since stdio may be what called us. */
		static const char line[] = "goc race: chaos at pthread calls\n";
		(void)!write(2, line, sizeof line - 1);
	}
	return atomic_load_explicit(&chaos_on, memory_order_acquire);
}

/*
 * libgoc calls this when it reads its own chaos settings (its chaos.c holds
 * a weak reference): a libgoc program has its own points (goc/chaos.h),
 * at every channel operation, so the pthread ones here stop. A libgoc
 * linked into the program whole is invisible to dlsym; this is not.
 */
__attribute__((visibility("default"))) void goc_race_preload_libgoc_present(void);
void goc_race_preload_libgoc_present(void)
{
	atomic_store_explicit(&chaos_on, 0, memory_order_release);
}

/*
 * As libgoc's random mode, with sleeps four times as often: a point in 8
 * yields, one in 16 spins for 1-10 us, one in 16 sleeps for 1 us to 1 ms
 * (log-uniform). A plain pthreads program reaches far fewer points than a
 * libgoc one, which has them at every channel operation.
 */
static void chaos_point(void)
{
	if (!chaos_enabled())
		return;
	if (!chaos_rng) {
		uint64_t s = atomic_load_explicit(&chaos_seed, memory_order_relaxed) ^
		             ((atomic_fetch_add_explicit(&chaos_order, 1, memory_order_relaxed) + 1) * 0xd1b54a32d192ed03u);
		chaos_rng = mix(&s) | 1;
	}
	uint64_t r = mix(&chaos_rng);
	unsigned pick = (unsigned)(r % 64);
	struct timespec ts = { 0, 0 };
	if (pick < 8) {
		sched_yield();
	} else if (pick < 12) {
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		long ns = 1000 + (long)((r >> 8) % 9000);
		do
			clock_gettime(CLOCK_MONOTONIC, &now);
		while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
	} else if (pick < 16) {
		long base = 1000L << ((r >> 8) % 11);
		ts.tv_nsec = base + (long)((r >> 32) % (uint64_t)base);
		nanosleep(&ts, NULL);
	}
}

/* glibc's definitions, beneath this library's. */
typedef int (*mutex_fn)(pthread_mutex_t *);
typedef int (*join_fn)(pthread_t, void **);
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

/*
 * The definition beneath this library's, looked up once: dlsym takes the
 * dynamic linker's lock, which would serialize every mutex call of the
 * program. The cache is an atomic of this uninstrumented library, which
 * TSan does not see.
 */
static void *next(_Atomic(void *) *cache, const char *name)
{
	void *f = atomic_load_explicit(cache, memory_order_acquire);
	if (f)
		return f;
	f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "goc race: no %s beneath the preloaded library\n", name);
		abort();
	}
	atomic_store_explicit(cache, f, memory_order_release);
	return f;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	static _Atomic(void *) cache;
	mutex_fn real = (mutex_fn)next(&cache, "pthread_mutex_lock");
	chaos_point();
	return real(m);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	static _Atomic(void *) cache;
	mutex_fn real = (mutex_fn)next(&cache, "pthread_mutex_unlock");
	int rc = real(m);
	chaos_point();
	return rc;
}

int pthread_join(pthread_t t, void **ret)
{
	static _Atomic(void *) cache;
	join_fn real = (join_fn)next(&cache, "pthread_join");
	chaos_point();
	return real(t, ret);
}

/*
 * Before a thread is made (not in the new thread: there ThreadSanitizer
 * has not yet set the thread up when the start routine it passed down runs).
 */
int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static _Atomic(void *) cache;
	create_fn real = (create_fn)next(&cache, "pthread_create");
	chaos_point();
	return real(t, attr, fn, arg);
}
