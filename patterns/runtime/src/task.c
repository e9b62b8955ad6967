/*
 * task.c - tasks (goc_go) and the per-thread records libgoc keeps: an id,
 * the select RNG and what the thread is blocked in, listed in one registry
 * for goc_tasks_dump().
 *
 * A record is made on a thread's first use of libgoc. A task's record is
 * dropped when its function returns; a foreign thread's (main, raw pthreads)
 * by a thread-specific-data destructor when that thread exits.
 *
 * Lock order: the registry lock is a leaf (nothing is taken under it).
 * TSan: registry work is GOC__TSAN_PRIVATE (goc_internal.h), so that task
 * starts and exits order nothing but what pthread_create orders (Go's `go`).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "goc_internal.h"

/* 256 KiB: see task.h for why. */
#define GOC__TASK_STACK (256u * 1024u)

/* How long goc_go() keeps retrying while the system is out of threads. */
#define GOC__SPAWN_PATIENCE_NS (10LL * 1000000000)

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static goc__task *registry;           /* guarded by registry_mu */
static atomic_uint_fast64_t next_id;  /* relaxed: ids need only be unique */
/*
 * Relaxed: a count that orders nothing. Go gives no happens-before edge from
 * a goroutine's exit, so neither may this, or TSan would miss races.
 */
static atomic_size_t live_tasks;

static _Thread_local goc__task *tls_self;
static pthread_key_t exit_key;        /* its destructor drops a foreign thread's record */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void record_drop(goc__task *t)
{
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&registry_mu));
	if (t->prev)
		t->prev->next = t->next;
	else
		registry = t->next;
	if (t->next)
		t->next->prev = t->prev;
	GOC_PT(pthread_mutex_unlock(&registry_mu));
	GOC__TSAN_PRIVATE_END();
	free(t);
}

static void exit_key_destructor(void *p)
{
	if (p == tls_self)
		tls_self = NULL;
	record_drop(p);
}

static void exit_key_make(void)
{
	GOC_PT(pthread_key_create(&exit_key, exit_key_destructor));
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static goc__task *record_make(bool is_task)
{
	goc__task *t = calloc(1, sizeof *t);
	if (!t)
		goc__die("calloc(goc__task)", ENOMEM, __FILE__, __LINE__);
	t->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed) + 1;
	t->is_task = is_task;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t->rng = splitmix64(t->id ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32));
	if (t->rng == 0)
		t->rng = 1; /* xorshift's one fixed point */
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&registry_mu));
	t->next = registry;
	if (registry)
		registry->prev = t;
	registry = t;
	GOC_PT(pthread_mutex_unlock(&registry_mu));
	GOC__TSAN_PRIVATE_END();
	return t;
}

goc__task *goc__task_self(void)
{
	if (tls_self)
		return tls_self;
	GOC_PT(pthread_once(&exit_key_once, exit_key_make));
	tls_self = record_make(false);
	GOC_PT(pthread_setspecific(exit_key, tls_self));
	return tls_self;
}

uint64_t goc_task_id(void)
{
	return goc__task_self()->id;
}

void goc__blocked_enter(goc__blocked what, const void *on)
{
	goc__task *self = goc__task_self();
	atomic_store_explicit(&self->blocked_on, on, memory_order_relaxed);
	atomic_store_explicit(&self->blocked, (int)what, memory_order_relaxed);
}

void goc__blocked_leave(void)
{
	goc__task *self = goc__task_self();
	atomic_store_explicit(&self->blocked, GOC__RUNNING, memory_order_relaxed);
	atomic_store_explicit(&self->blocked_on, NULL, memory_order_relaxed);
}

uint32_t goc__rand_below(goc__task *self, uint32_t n)
{
	/*
	 * xorshift64* for the bits, Lemire's multiply-and-reject for no bias;
	 * the rejection threshold (a division) is needed only when the low
	 * half of the product falls below n, which is rare.
	 */
	uint32_t threshold = 0;
	for (;;) {
		uint64_t x = self->rng;
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		self->rng = x;
		uint32_t r = (uint32_t)((x * 0x2545f4914f6cdd1du) >> 32);
		uint64_t m = (uint64_t)r * n;
		if ((uint32_t)m >= n)
			return (uint32_t)(m >> 32);
		if (threshold == 0)
			threshold = (uint32_t)(-n) % n;
		if ((uint32_t)m >= threshold)
			return (uint32_t)(m >> 32);
	}
}

typedef struct task_start {
	goc_task_fn fn;
	void *arg;
} task_start;

static void *task_main(void *p)
{
	task_start start = *(task_start *)p;
	free(p);
	tls_self = record_make(true);
	start.fn(start.arg);
	goc__task *self = tls_self;
	tls_self = NULL;
	record_drop(self);
	/* Relaxed: the count must not order a finished task before its readers (see live_tasks). */
	atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
	return NULL;
}

goc_status goc_go(goc_task_fn fn, void *arg)
{
	task_start *start = malloc(sizeof *start);
	if (!start)
		return GOC_NOMEM;
	start->fn = fn;
	start->arg = arg;

	pthread_attr_t attr;
	GOC_PT(pthread_attr_init(&attr));
	GOC_PT(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
	GOC_PT(pthread_attr_setstacksize(&attr, GOC__TASK_STACK));

	atomic_fetch_add_explicit(&live_tasks, 1, memory_order_relaxed);
	int64_t give_up = 0;
	int64_t backoff_ns = 50000;
	int rc;
	pthread_t tid;
	/* EAGAIN means out of threads for now (pid_max, RLIMIT_NPROC): wait for exits. */
	while ((rc = pthread_create(&tid, &attr, task_main, start)) == EAGAIN) {
		int64_t now = goc_now();
		if (give_up == 0)
			give_up = now + GOC__SPAWN_PATIENCE_NS;
		else if (now >= give_up)
			break;
		struct timespec ts = { 0, (long)backoff_ns };
		nanosleep(&ts, NULL);
		if (backoff_ns < 10000000)
			backoff_ns *= 2;
	}
	GOC_PT(pthread_attr_destroy(&attr));
	if (rc != 0) {
		atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
		free(start);
		return GOC_NOMEM;
	}
	return GOC_OK;
}

size_t goc_tasks_live(void)
{
	return atomic_load_explicit(&live_tasks, memory_order_relaxed);
}

static const char *blocked_name(int what)
{
	switch ((goc__blocked)what) {
	case GOC__RUNNING: return "running";
	case GOC__CHAN_SEND: return "chan send";
	case GOC__CHAN_RECV: return "chan receive";
	case GOC__SELECT: return "select";
	case GOC__SELECT_NO_CASES: return "select (no cases)";
	case GOC__WG_WAIT: return "WaitGroup wait";
	case GOC__SEM_ACQUIRE: return "semaphore acquire";
	case GOC__ONCE: return "once";
	case GOC__SLEEP: return "sleep";
	}
	return "?";
}

void goc_tasks_dump(FILE *out)
{
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&registry_mu));
	fprintf(out, "goc: %zu live task(s)\n", goc_tasks_live());
	for (goc__task *t = registry; t; t = t->next) {
		int what = atomic_load_explicit(&t->blocked, memory_order_relaxed);
		const void *on = atomic_load_explicit(&t->blocked_on, memory_order_relaxed);
		fprintf(out, "%s %llu [%s]", t->is_task ? "task" : "thread", (unsigned long long)t->id,
		        blocked_name(what));
		if (on)
			fprintf(out, " on %p", on);
		fputc('\n', out);
	}
	GOC_PT(pthread_mutex_unlock(&registry_mu));
	GOC__TSAN_PRIVATE_END();
	fflush(out);
}
