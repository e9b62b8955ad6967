/*
 * chaos.c - schedule chaos (chaos.h): delays at synchronization points,
 * drawn from a per-thread random stream, in the tsan and debug builds.
 *
 * Each thread's stream is seeded from GOC_CHAOS_SEED and the order in
 * which the thread first reached a point, so a seed repeats each thread's
 * draws. The delays use the kernel directly (sched_yield, nanosleep), not
 * goc_sleep(), which would show in the task dump as a sleep of the
 * program's.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "goc_internal.h"

#ifdef GOC__CHECKS

enum { CHAOS_UNREAD = -1, CHAOS_OFF = 0, CHAOS_RANDOM, CHAOS_PCT };

/* Points among which PCT's change points are drawn, and the most it draws. */
#define CHAOS_PCT_POINTS 4096
#define CHAOS_PCT_MAX_DEPTH 16
/* PCT priorities: 0 .. depth-2 after a change point, CHAOS_PCT_BASE.. at a thread's start. */
#define CHAOS_PCT_BASE 16
#define CHAOS_PCT_LEVELS 1024

static pthread_once_t chaos_once = PTHREAD_ONCE_INIT;
/*
 * CHAOS_UNREAD until chaos_init() has read the environment, then the mode.
 * Relaxed: a point that sees CHAOS_OFF needs nothing else; the others go
 * through the pthread_once that orders the settings below.
 */
static atomic_int chaos_mode = CHAOS_UNREAD;
/* Set once by chaos_init() (pthread_once orders them before every reader), then read-only. */
static uint64_t chaos_seed;
static unsigned chaos_depth;
static uint64_t chaos_change[CHAOS_PCT_MAX_DEPTH]; /* PCT: the change points, by global point number */

/* Relaxed, both: a count and an order of arrival, which synchronize nothing. */
static atomic_uint_fast64_t chaos_points;
static atomic_uint_fast64_t chaos_threads;

/* Each thread's own: its random stream and PCT priority. */
static _Thread_local bool chaos_started;
static _Thread_local uint64_t chaos_rng;
static _Thread_local unsigned chaos_prio;

/* The settings from the environment; returns the mode. */
static int chaos_settings(void)
{
	const char *mode = getenv("GOC_CHAOS");
	if (!mode || !*mode || !strcmp(mode, "off") || !strcmp(mode, "0"))
		return CHAOS_OFF;
	int m;
	if (!strcmp(mode, "random")) {
		m = CHAOS_RANDOM;
	} else if (!strcmp(mode, "pct")) {
		m = CHAOS_PCT;
	} else {
		fprintf(stderr, "goc: GOC_CHAOS='%s' is not off, random or pct: no chaos\n", mode);
		return CHAOS_OFF;
	}
	const char *seed = getenv("GOC_CHAOS_SEED");
	if (seed && *seed) {
		chaos_seed = strtoull(seed, NULL, 0);
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ ((uint64_t)getpid() << 16);
		chaos_seed = goc__splitmix64(&s);
	}
	const char *depth = getenv("GOC_CHAOS_DEPTH");
	chaos_depth = depth && *depth ? (unsigned)strtoul(depth, NULL, 10) : 3;
	if (chaos_depth < 1)
		chaos_depth = 1;
	if (chaos_depth > CHAOS_PCT_MAX_DEPTH)
		chaos_depth = CHAOS_PCT_MAX_DEPTH;
	uint64_t s = chaos_seed ^ 0x5043545043545043u;
	for (unsigned i = 0; i + 1 < chaos_depth; i++)
		chaos_change[i] = goc__splitmix64(&s) % CHAOS_PCT_POINTS;
	fprintf(stderr, "goc: chaos %s seed 0x%llx\n", mode, (unsigned long long)chaos_seed);
	return m;
}

/*
 * Defined by goc race's preloaded library (harness/race_preload.c), which
 * then leaves the chaos of this program to us: a weak reference, resolved
 * at load time whether libgoc is linked in whole or shared, and NULL
 * outside goc race.
 */
extern void goc_race_preload_libgoc_present(void) __attribute__((weak));

/* Read the environment's settings (chaos.h); the mode is published last. */
static void chaos_init(void)
{
	if (goc_race_preload_libgoc_present)
		goc_race_preload_libgoc_present();
	atomic_store_explicit(&chaos_mode, chaos_settings(), memory_order_relaxed);
}

/* Sleep ns nanoseconds, through the kernel. */
static void chaos_sleep(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
	while (nanosleep(&ts, &ts) != 0) {
	}
}

static void chaos_spin(uint64_t ns)
{
	int64_t until = goc_now() + (int64_t)ns;
	while (goc_now() < until)
		goc__cpu_relax();
}

/* A duration drawn log-uniformly from 1 us to 2^scale us (scale <= 10: up to about 1 ms). */
static uint64_t log_uniform_ns(unsigned scale)
{
	uint64_t r = goc__splitmix64(&chaos_rng);
	unsigned doublings = scale ? (unsigned)(r % (scale + 1)) : 0;
	uint64_t base = 1000u << doublings;
	return base + (r >> 32) % base;
}

static void chaos_random(void)
{
	unsigned r = (unsigned)(goc__splitmix64(&chaos_rng) % 64);
	if (r < 8)
		sched_yield();
	else if (r < 12)
		chaos_spin(1000 + goc__splitmix64(&chaos_rng) % 9000);
	else if (r == 12)
		chaos_sleep(log_uniform_ns(10));
}

static void chaos_pct(uint64_t point)
{
	for (unsigned i = 0; i + 1 < chaos_depth; i++)
		if (chaos_change[i] == point)
			chaos_prio = i; /* below every starting priority */
	/*
	 * The lower the priority, the likelier and longer the delay: a
	 * thread at the bottom is held up at most of its points for up to a
	 * millisecond, while the others run on.
	 */
	unsigned below = CHAOS_PCT_BASE + CHAOS_PCT_LEVELS - chaos_prio; /* 1 .. BASE + LEVELS */
	unsigned scale = (unsigned)((uint64_t)below * 10 / (CHAOS_PCT_BASE + CHAOS_PCT_LEVELS));
	if (goc__splitmix64(&chaos_rng) % (CHAOS_PCT_BASE + CHAOS_PCT_LEVELS) < below / 4)
		chaos_sleep(log_uniform_ns(scale));
	else if (goc__splitmix64(&chaos_rng) % 8 == 0)
		sched_yield();
}

/* One point of a thread, with chaos on. */
static void chaos_delay(void)
{
	if (!chaos_started) {
		chaos_started = true;
		uint64_t order = atomic_fetch_add_explicit(&chaos_threads, 1, memory_order_relaxed) + 1;
		uint64_t s = chaos_seed ^ (order * 0x9e3779b97f4a7c15u);
		chaos_rng = goc__splitmix64(&s);
		chaos_prio = CHAOS_PCT_BASE + (unsigned)(goc__splitmix64(&chaos_rng) % CHAOS_PCT_LEVELS);
	}
	uint64_t point = atomic_fetch_add_explicit(&chaos_points, 1, memory_order_relaxed);
	if (atomic_load_explicit(&chaos_mode, memory_order_relaxed) == CHAOS_RANDOM)
		chaos_random();
	else
		chaos_pct(point);
}

/*
 * TSan: private (goc_internal.h), so that neither the pthread_once nor the
 * read of the settings it made orders the threads that reach points, which
 * would hide their races.
 */
void goc_chaos_point(void)
{
	/* Every channel operation of a tsan or debug build comes here: with chaos off, one load. */
	if (atomic_load_explicit(&chaos_mode, memory_order_relaxed) == CHAOS_OFF)
		return;
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_once(&chaos_once, chaos_init));
	if (atomic_load_explicit(&chaos_mode, memory_order_relaxed) != CHAOS_OFF)
		chaos_delay();
	GOC__TSAN_PRIVATE_END();
}

#else

void goc_chaos_point(void)
{
}

#endif /* GOC__CHECKS */
