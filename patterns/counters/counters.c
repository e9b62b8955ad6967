/*
 * counters.c - the counters of counters.h and the W4 run over them: T
 * tasks wait at a start gate (a channel the caller closes once all of them
 * are there), then each does its share of increments (and, in the
 * read-mostly form, reads) on one shared counter; the caller joins them
 * and reads the count.
 *
 * Why each counter costs what it does, in short: an increment by one task
 * moves the counter's cache line to its CPU, so every variant but sharded
 * pays a line transfer per increment once two CPUs take turns. The atomic
 * pays only that; a mutex pays it for its lock word and the count, and,
 * when the holder is slow, a sleep and a wake-up in the kernel. glibc's
 * default mutex sleeps at the first failed try; the adaptive one and the
 * spin mutex here spin first, as Go's sync.Mutex does, and a sleep costs
 * far more than the spin. The chan counter pays a channel operation per
 * increment, and sharded pays almost nothing: no line is shared.
 *
 * Lock order: each counter's lock is a leaf; nothing else is held with it.
 */
#define _GNU_SOURCE /* PTHREAD_MUTEX_ADAPTIVE_NP, sched_getaffinity */
#include "counters.h"

#include <linux/futex.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

/* COUNTERS_TSAN: a ThreadSanitizer build, whose annotations the spin mutex uses. */
#if defined(__SANITIZE_THREAD__)
#define COUNTERS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COUNTERS_TSAN 1
#endif
#endif
#ifdef COUNTERS_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_MUTEX(call) call
#else
#define TSAN_MUTEX(call) ((void)0)
#endif

/* ---- unsafe ----------------------------------------------------------------- */

void goc_unsafe_counter_init(goc_unsafe_counter *c)
{
	c->n = 0;
}

void goc_unsafe_counter_add(goc_unsafe_counter *c, uint64_t delta)
{
	c->n += delta; /* load, add, store: another task's store in between is lost */
}

uint64_t goc_unsafe_counter_load(goc_unsafe_counter *c)
{
	return c->n;
}

/* ---- mutex and adaptive --------------------------------------------------------- */

void goc_mutex_counter_init(goc_mutex_counter *c, bool adaptive)
{
	pthread_mutexattr_t attr;
	GOC_PT(pthread_mutexattr_init(&attr));
	GOC_PT(pthread_mutexattr_settype(&attr, adaptive ? PTHREAD_MUTEX_ADAPTIVE_NP : PTHREAD_MUTEX_DEFAULT));
	GOC_PT(pthread_mutex_init(&c->mu, &attr));
	GOC_PT(pthread_mutexattr_destroy(&attr));
	c->n = 0;
}

void goc_mutex_counter_destroy(goc_mutex_counter *c)
{
	GOC_PT(pthread_mutex_destroy(&c->mu));
}

void goc_mutex_counter_add(goc_mutex_counter *c, uint64_t delta)
{
	GOC_PT(pthread_mutex_lock(&c->mu));
	c->n += delta;
	GOC_PT(pthread_mutex_unlock(&c->mu));
}

uint64_t goc_mutex_counter_load(goc_mutex_counter *c)
{
	GOC_PT(pthread_mutex_lock(&c->mu));
	uint64_t n = c->n;
	GOC_PT(pthread_mutex_unlock(&c->mu));
	return n;
}

/* ---- spin: spin, then sleep on a futex ---------------------------------------------- */

/*
 * Looks at the lock word this many times (a PAUSE between looks) before
 * sleeping: about Go's sync.Mutex, which spins 4 times 30 PAUSEs. A wait
 * that outlasts the spin is a holder that was preempted or a long queue,
 * and sleeping is then the better use of the CPU.
 */
#define SPIN_LOOKS 128

static int usable_cpus;
static pthread_once_t usable_cpus_once = PTHREAD_ONCE_INIT;

static void usable_cpus_count(void)
{
	cpu_set_t set;
	usable_cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

/* Spinning helps only if the holder can run meanwhile, on another CPU. */
static bool spinning_helps(void)
{
	GOC_PT(pthread_once(&usable_cpus_once, usable_cpus_count));
	return usable_cpus > 1;
}

void goc_spin_mutex_init(goc_spin_mutex *m)
{
	atomic_init(&m->state, 0);
	TSAN_MUTEX(__tsan_mutex_create(m, __tsan_mutex_not_static));
}

void goc_spin_mutex_destroy(goc_spin_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_destroy(m, __tsan_mutex_not_static));
	(void)m;
}

static bool spin_try(goc_spin_mutex *m)
{
	int free = 0;
	/* Acquire: what the last holder wrote under the lock is visible to us. */
	return atomic_compare_exchange_strong_explicit(&m->state, &free, 1, memory_order_acquire,
	                                               memory_order_relaxed);
}

/* Lock without TSan's annotations: for goc_spin_mutex_lock() and the rwlock's writer lock. */
static void spin_lock_raw(goc_spin_mutex *m)
{
	if (spin_try(m))
		return;
	if (spinning_helps()) {
		/* Wait for the word to read 0 before trying, so waiters do not bounce its line with CASes. */
		for (int i = 0; i < SPIN_LOOKS; i++) {
			cpu_relax();
			/* Relaxed: only a hint that the CAS may succeed. */
			if (atomic_load_explicit(&m->state, memory_order_relaxed) == 0 && spin_try(m))
				return;
		}
	}
	/*
	 * Acquire, as spin_try(). Storing 2 tells the holder that someone may
	 * sleep; we keep 2 once we get the lock, since we cannot know whether
	 * others still sleep (an unneeded wake-up is harmless).
	 */
	while (atomic_exchange_explicit(&m->state, 2, memory_order_acquire) != 0)
		syscall(SYS_futex, &m->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0); /* returns at once unless still 2 */
}

static void spin_unlock_raw(goc_spin_mutex *m)
{
	/* Release: publishes what we wrote under the lock. 2: someone may sleep. */
	if (atomic_exchange_explicit(&m->state, 0, memory_order_release) == 2)
		syscall(SYS_futex, &m->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void goc_spin_mutex_lock(goc_spin_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(m, 0));
	spin_lock_raw(m);
	TSAN_MUTEX(__tsan_mutex_post_lock(m, 0, 0));
}

void goc_spin_mutex_unlock(goc_spin_mutex *m)
{
	TSAN_MUTEX(__tsan_mutex_pre_unlock(m, 0));
	spin_unlock_raw(m);
	TSAN_MUTEX(__tsan_mutex_post_unlock(m, 0));
}

void goc_spin_counter_init(goc_spin_counter *c)
{
	goc_spin_mutex_init(&c->mu);
	c->n = 0;
}

void goc_spin_counter_destroy(goc_spin_counter *c)
{
	goc_spin_mutex_destroy(&c->mu);
}

void goc_spin_counter_add(goc_spin_counter *c, uint64_t delta)
{
	goc_spin_mutex_lock(&c->mu);
	c->n += delta;
	goc_spin_mutex_unlock(&c->mu);
}

uint64_t goc_spin_counter_load(goc_spin_counter *c)
{
	goc_spin_mutex_lock(&c->mu);
	uint64_t n = c->n;
	goc_spin_mutex_unlock(&c->mu);
	return n;
}

/* ---- rw -------------------------------------------------------------------------- */

void goc_rw_counter_init(goc_rw_counter *c)
{
	GOC_PT(pthread_rwlock_init(&c->rw, NULL));
	c->n = 0;
}

void goc_rw_counter_destroy(goc_rw_counter *c)
{
	GOC_PT(pthread_rwlock_destroy(&c->rw));
}

void goc_rw_counter_add(goc_rw_counter *c, uint64_t delta)
{
	GOC_PT(pthread_rwlock_wrlock(&c->rw));
	c->n += delta;
	GOC_PT(pthread_rwlock_unlock(&c->rw));
}

uint64_t goc_rw_counter_load(goc_rw_counter *c)
{
	GOC_PT(pthread_rwlock_rdlock(&c->rw));
	uint64_t n = c->n;
	GOC_PT(pthread_rwlock_unlock(&c->rw));
	return n;
}

/* ---- rwspin: Go's RWMutex, on the spin mutex ------------------------------------------ */

/*
 * Go's sync.RWMutex, line for line: a reader is one atomic add in and one
 * out while no writer is about; a writer takes the writer mutex, then
 * subtracts GOC_SPIN_RW_MAX_READERS from the reader count, which turns
 * every later reader away to the reader semaphore, and waits on the
 * writer semaphore for the readers already in to leave; its unlock adds
 * the amount back and lets the waiting readers in. The whole lock is one
 * annotated mutex to ThreadSanitizer (a read lock is its read lock), and
 * the atomics inside, which TSan then ignores, are seq_cst as Go's are.
 */

/* Take one unit, sleeping on the futex while there is none. */
static void sem_acquire(goc_futex_sem *s)
{
	for (;;) {
		unsigned v = atomic_load(&s->count);
		while (v > 0)
			if (atomic_compare_exchange_weak(&s->count, &v, v - 1))
				return;
		/*
		 * Announce the sleep before it: a release that adds a unit after
		 * our look sees waiters > 0 and wakes us, or the futex sees the
		 * unit and does not sleep (seq_cst on both sides: Dekker's order).
		 */
		atomic_fetch_add(&s->waiters, 1);
		syscall(SYS_futex, &s->count, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		atomic_fetch_sub(&s->waiters, 1);
	}
}

static void sem_release(goc_futex_sem *s)
{
	atomic_fetch_add(&s->count, 1);
	if (atomic_load(&s->waiters) > 0)
		syscall(SYS_futex, &s->count, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void goc_spin_rwlock_init(goc_spin_rwlock *rw)
{
	atomic_init(&rw->w.state, 0);
	atomic_init(&rw->readers, 0);
	atomic_init(&rw->departing, 0);
	atomic_init(&rw->writer_sem.count, 0);
	atomic_init(&rw->writer_sem.waiters, 0);
	atomic_init(&rw->reader_sem.count, 0);
	atomic_init(&rw->reader_sem.waiters, 0);
	TSAN_MUTEX(__tsan_mutex_create(rw, __tsan_mutex_not_static));
}

void goc_spin_rwlock_destroy(goc_spin_rwlock *rw)
{
	TSAN_MUTEX(__tsan_mutex_destroy(rw, __tsan_mutex_not_static));
	(void)rw;
}

void goc_spin_rwlock_rlock(goc_spin_rwlock *rw)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(rw, __tsan_mutex_read_lock));
	if (atomic_fetch_add(&rw->readers, 1) + 1 < 0)
		sem_acquire(&rw->reader_sem); /* a writer is pending: it lets us in when it unlocks */
	TSAN_MUTEX(__tsan_mutex_post_lock(rw, __tsan_mutex_read_lock, 0));
}

void goc_spin_rwlock_runlock(goc_spin_rwlock *rw)
{
	TSAN_MUTEX(__tsan_mutex_pre_unlock(rw, __tsan_mutex_read_lock));
	int r = atomic_fetch_sub(&rw->readers, 1) - 1;
	if (r < 0) {
		if (r + 1 == 0 || r + 1 == -GOC_SPIN_RW_MAX_READERS)
			goc_panic("counters: read-unlock of an rwlock not read-locked");
		/* A writer is pending; the last reader it waits for wakes it. */
		if (atomic_fetch_sub(&rw->departing, 1) - 1 == 0)
			sem_release(&rw->writer_sem);
	}
	TSAN_MUTEX(__tsan_mutex_post_unlock(rw, __tsan_mutex_read_lock));
}

void goc_spin_rwlock_lock(goc_spin_rwlock *rw)
{
	TSAN_MUTEX(__tsan_mutex_pre_lock(rw, 0));
	spin_lock_raw(&rw->w); /* one writer at a time */
	/* Turn new readers away; r is how many are in now. */
	int r = atomic_fetch_sub(&rw->readers, GOC_SPIN_RW_MAX_READERS);
	if (r != 0 && atomic_fetch_add(&rw->departing, r) + r != 0)
		sem_acquire(&rw->writer_sem); /* the last of the r readers wakes us */
	TSAN_MUTEX(__tsan_mutex_post_lock(rw, 0, 0));
}

void goc_spin_rwlock_unlock(goc_spin_rwlock *rw)
{
	TSAN_MUTEX(__tsan_mutex_pre_unlock(rw, 0));
	/* Let readers in again; r is how many arrived while we held it, each asleep or about to be. */
	int r = atomic_fetch_add(&rw->readers, GOC_SPIN_RW_MAX_READERS) + GOC_SPIN_RW_MAX_READERS;
	if (r >= GOC_SPIN_RW_MAX_READERS)
		goc_panic("counters: unlock of an rwlock not locked");
	for (int i = 0; i < r; i++)
		sem_release(&rw->reader_sem);
	spin_unlock_raw(&rw->w);
	TSAN_MUTEX(__tsan_mutex_post_unlock(rw, 0));
}

void goc_spin_rw_counter_init(goc_spin_rw_counter *c)
{
	goc_spin_rwlock_init(&c->rw);
	c->n = 0;
}

void goc_spin_rw_counter_destroy(goc_spin_rw_counter *c)
{
	goc_spin_rwlock_destroy(&c->rw);
}

void goc_spin_rw_counter_add(goc_spin_rw_counter *c, uint64_t delta)
{
	goc_spin_rwlock_lock(&c->rw);
	c->n += delta;
	goc_spin_rwlock_unlock(&c->rw);
}

uint64_t goc_spin_rw_counter_load(goc_spin_rw_counter *c)
{
	goc_spin_rwlock_rlock(&c->rw);
	uint64_t n = c->n;
	goc_spin_rwlock_runlock(&c->rw);
	return n;
}

/* ---- atomic ------------------------------------------------------------------------ */

void goc_atomic_counter_init(goc_atomic_counter *c)
{
	atomic_init(&c->n, 0);
}

void goc_atomic_counter_add(goc_atomic_counter *c, uint64_t delta)
{
	atomic_fetch_add(&c->n, delta);
}

uint64_t goc_atomic_counter_load(goc_atomic_counter *c)
{
	return atomic_load(&c->n);
}

/* ---- sharded ------------------------------------------------------------------------- */

struct goc_sharded_counter {
	size_t nslots;           /* read-only after make */
	goc_counter_slot slot[]; /* slot[i] is written by its one adder at a time */
};

_Static_assert(sizeof(goc_counter_slot) == GOC_CACHE_LINE, "a slot is one cache line");
_Static_assert(offsetof(struct goc_sharded_counter, slot) % GOC_CACHE_LINE == 0, "slots start on a line");

goc_sharded_counter *goc_sharded_counter_make(size_t slots)
{
	if (slots == 0)
		slots = 1;
	if (slots > (SIZE_MAX - sizeof(goc_sharded_counter)) / sizeof(goc_counter_slot))
		return NULL;
	size_t size = sizeof(goc_sharded_counter) + slots * sizeof(goc_counter_slot);
	/* aligned_alloc wants a multiple of the alignment, which the slots make it. */
	goc_sharded_counter *c = aligned_alloc(GOC_CACHE_LINE, size);
	if (!c)
		return NULL;
	c->nslots = slots;
	for (size_t i = 0; i < slots; i++)
		atomic_init(&c->slot[i].n, 0);
	return c;
}

void goc_sharded_counter_free(goc_sharded_counter *c)
{
	free(c);
}

size_t goc_sharded_counter_slots(const goc_sharded_counter *c)
{
	return c->nslots;
}

goc_counter_slot *goc_sharded_counter_slot(goc_sharded_counter *c, size_t slot)
{
	if (slot >= c->nslots)
		goc_panic("counters: sharded slot %zu out of range (%zu slots)", slot, c->nslots);
	return &c->slot[slot];
}

/*
 * One writer per slot, so a load and a store (not a locked read-modify-
 * write) are enough; relaxed, because the count is published by whatever
 * joins the adders, and a concurrent sum is approximate anyway. Atomic all
 * the same, so that such a sum is not a data race, and so that the
 * compiler keeps one add per call rather than folding a loop of them.
 */
static inline void slot_add(goc_counter_slot *s, uint64_t delta)
{
	atomic_store_explicit(&s->n, atomic_load_explicit(&s->n, memory_order_relaxed) + delta,
	                      memory_order_relaxed);
}

void goc_sharded_counter_add(goc_sharded_counter *c, size_t slot, uint64_t delta)
{
	slot_add(goc_sharded_counter_slot(c, slot), delta);
}

uint64_t goc_sharded_counter_load(const goc_sharded_counter *c)
{
	uint64_t sum = 0;
	for (size_t i = 0; i < c->nslots; i++)
		sum += atomic_load_explicit(&c->slot[i].n, memory_order_relaxed); /* relaxed: see slot_add() */
	return sum;
}

/* ---- chan ------------------------------------------------------------------------- */

struct goc_chan_counter {
	goc_chan *ch;   /* the deltas; closed by stop() */
	goc_wg owned;   /* counts the owner task while it runs */
	uint64_t n;     /* the owner's; read by stop() after `owned` */
	bool stopped;   /* the caller's (stop and free) only */
};

/* The owner: `for d := range ch { n += d }`. */
static void owner_task(void *arg)
{
	goc_chan_counter *c = arg;
	uint64_t n = 0, d;
	while (goc_chan_recv(c->ch, &d, GOC_FOREVER) == GOC_OK)
		n += d;
	c->n = n;
	goc_wg_done(&c->owned);
}

goc_status goc_chan_counter_start(goc_chan_counter **cp, size_t cap)
{
	goc_chan_counter *c = calloc(1, sizeof *c);
	if (!c)
		return GOC_NOMEM;
	c->ch = goc_chan_make(sizeof(uint64_t), cap);
	if (!c->ch) {
		free(c);
		return GOC_NOMEM;
	}
	goc_wg_init(&c->owned);
	goc_wg_add(&c->owned, 1);
	if (goc_go(owner_task, c) != GOC_OK) {
		goc_wg_destroy(&c->owned);
		goc_chan_free(c->ch);
		free(c);
		return GOC_NOMEM;
	}
	*cp = c;
	return GOC_OK;
}

void goc_chan_counter_add(goc_chan_counter *c, uint64_t delta)
{
	goc_status st = goc_chan_send(c->ch, &delta, GOC_FOREVER);
	if (st != GOC_OK) /* GOC_FOREVER returns nothing else; a send after stop() panics inside */
		goc_panic("counters: goc_chan_send(GOC_FOREVER) returned %s", goc_status_str(st));
}

uint64_t goc_chan_counter_stop(goc_chan_counter *c)
{
	goc_chan_close(c->ch); /* a second stop() panics here: close of closed channel */
	c->stopped = true;
	goc_status st = goc_wg_wait(&c->owned, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("counters: goc_wg_wait(GOC_FOREVER) returned %s", goc_status_str(st));
	return c->n;
}

void goc_chan_counter_free(goc_chan_counter *c)
{
	if (!c)
		return;
	if (!c->stopped)
		(void)goc_chan_counter_stop(c);
	goc_wg_destroy(&c->owned);
	goc_chan_free(c->ch);
	free(c);
}

/* ---- the workload ------------------------------------------------------------------- */

static const char *const variant_names[GOC_COUNTERS_NVARIANTS] = {
	[GOC_COUNTERS_UNSAFE] = "unsafe",     [GOC_COUNTERS_MUTEX] = "mutex", [GOC_COUNTERS_ADAPTIVE] = "adaptive",
	[GOC_COUNTERS_SPIN] = "spin",         [GOC_COUNTERS_RWLOCK] = "rwlock", [GOC_COUNTERS_RWSPIN] = "rwspin",
	[GOC_COUNTERS_ATOMIC] = "atomic",
	[GOC_COUNTERS_CHAN] = "chan",         [GOC_COUNTERS_SHARDED] = "sharded",
};

const char *goc_counters_variant_str(goc_counters_variant v)
{
	return (unsigned)v < GOC_COUNTERS_NVARIANTS ? variant_names[v] : "unknown";
}

bool goc_counters_variant_parse(const char *name, goc_counters_variant *v)
{
	for (int i = 0; i < GOC_COUNTERS_NVARIANTS; i++) {
		if (strcmp(name, variant_names[i]) == 0) {
			*v = (goc_counters_variant)i;
			return true;
		}
	}
	return false;
}

bool goc_counters_variant_reads(goc_counters_variant v)
{
	switch (v) {
	case GOC_COUNTERS_MUTEX:
	case GOC_COUNTERS_ADAPTIVE:
	case GOC_COUNTERS_SPIN:
	case GOC_COUNTERS_RWLOCK:
	case GOC_COUNTERS_RWSPIN:
	case GOC_COUNTERS_ATOMIC:
		return true;
	default:
		return false;
	}
}

/* Task k's share of the operations. */
static uint64_t task_ops(uint64_t ops, size_t tasks, size_t k)
{
	return ops / tasks + (k < ops % tasks ? 1 : 0);
}

uint64_t goc_counters_expected_writes(uint64_t ops, size_t tasks, unsigned reads)
{
	uint64_t writes = 0;
	for (size_t k = 0; k < tasks; k++) {
		uint64_t n = task_ops(ops, tasks, k);
		/* n * w / 100 without overflow: whole hundreds first. */
		writes += n / 100 * (100 - reads) + n % 100 * (100 - reads) / 100;
	}
	return writes;
}

/* What every task shares; the counter has a line of its own. */
typedef struct run_shared {
	alignas(GOC_CACHE_LINE) union {
		goc_unsafe_counter u;
		goc_mutex_counter m;
		goc_spin_counter s;
		goc_rw_counter rw;
		goc_spin_rw_counter srw;
		goc_atomic_counter a;
	} c;
	alignas(GOC_CACHE_LINE) goc_counters_variant variant; /* read-only while tasks run, as all below */
	unsigned wpct;                 /* percent of operations that are increments */
	uint64_t bound;                /* no read may exceed this: the run's increments */
	goc_sharded_counter *sharded;  /* GOC_COUNTERS_SHARDED */
	goc_chan_counter *chan;        /* GOC_COUNTERS_CHAN */
	goc_chan *gate;                /* the start gate: closed when every task waits at it */
	goc_wg ready;                  /* counts tasks not yet at the gate */
	goc_wg done;                   /* counts tasks not yet finished */
} run_shared;

typedef struct run_task {
	run_shared *sh;     /* set before goc_go(), read-only after */
	size_t index;       /* likewise: the task's sharded slot */
	uint64_t ops;       /* likewise */
	uint64_t writes, reads, bad_reads, read_sum; /* the task's; the caller reads them after `done` */
} run_task;

/*
 * One task's loop, with ADD and LOAD the counter's calls. With no reads,
 * every operation is an ADD; otherwise an accumulator spreads the adds
 * evenly (op j is an add when (j + 1) * wpct crosses a hundred), and every
 * read is checked against what this task knows: the counter never goes
 * down, holds at least this task's own adds, and never passes the run's.
 */
#define COUNT_LOOP(ADD, LOAD)                                                    \
	do {                                                                     \
		if (wpct == 100) {                                               \
			for (uint64_t j = 0; j < ops; j++)                       \
				ADD;                                             \
			writes = ops;                                            \
			break;                                                   \
		}                                                                \
		unsigned acc = 0;                                                \
		uint64_t last = 0;                                               \
		for (uint64_t j = 0; j < ops; j++) {                             \
			acc += wpct;                                             \
			if (acc >= 100) {                                        \
				acc -= 100;                                      \
				ADD;                                             \
				writes++;                                        \
			} else {                                                 \
				uint64_t v = (LOAD);                             \
				reads++;                                         \
				read_sum += v;                                   \
				bad += v < last || v < writes || v > bound;      \
				last = v;                                        \
			}                                                        \
		}                                                                \
	} while (0)

static void count_task(void *arg)
{
	run_task *t = arg;
	run_shared *sh = t->sh;
	const unsigned wpct = sh->wpct;
	const uint64_t ops = t->ops, bound = sh->bound;
	uint64_t writes = 0, reads = 0, bad = 0, read_sum = 0;

	goc_wg_done(&sh->ready);
	(void)goc_chan_recv(sh->gate, NULL, GOC_FOREVER); /* GOC_CLOSED: the gate opened */

	switch (sh->variant) {
	case GOC_COUNTERS_UNSAFE:
		COUNT_LOOP(goc_unsafe_counter_add(&sh->c.u, 1), 0);
		break;
	case GOC_COUNTERS_MUTEX:
	case GOC_COUNTERS_ADAPTIVE:
		COUNT_LOOP(goc_mutex_counter_add(&sh->c.m, 1), goc_mutex_counter_load(&sh->c.m));
		break;
	case GOC_COUNTERS_SPIN:
		COUNT_LOOP(goc_spin_counter_add(&sh->c.s, 1), goc_spin_counter_load(&sh->c.s));
		break;
	case GOC_COUNTERS_RWLOCK:
		COUNT_LOOP(goc_rw_counter_add(&sh->c.rw, 1), goc_rw_counter_load(&sh->c.rw));
		break;
	case GOC_COUNTERS_RWSPIN:
		COUNT_LOOP(goc_spin_rw_counter_add(&sh->c.srw, 1), goc_spin_rw_counter_load(&sh->c.srw));
		break;
	case GOC_COUNTERS_ATOMIC:
		COUNT_LOOP(goc_atomic_counter_add(&sh->c.a, 1), goc_atomic_counter_load(&sh->c.a));
		break;
	case GOC_COUNTERS_CHAN:
		COUNT_LOOP(goc_chan_counter_add(sh->chan, 1), 0);
		break;
	case GOC_COUNTERS_SHARDED: {
		goc_counter_slot *slot = goc_sharded_counter_slot(sh->sharded, t->index);
		COUNT_LOOP(slot_add(slot, 1), 0);
		break;
	}
	default:
		break;
	}
	t->writes = writes;
	t->reads = reads;
	t->bad_reads = bad;
	t->read_sum = read_sum;
	goc_wg_done(&sh->done);
}

/* Make the counter of sh->variant for `tasks` tasks; false when out of memory or threads. */
static bool counter_make(run_shared *sh, size_t tasks, size_t cap)
{
	switch (sh->variant) {
	case GOC_COUNTERS_UNSAFE: goc_unsafe_counter_init(&sh->c.u); return true;
	case GOC_COUNTERS_MUTEX: goc_mutex_counter_init(&sh->c.m, false); return true;
	case GOC_COUNTERS_ADAPTIVE: goc_mutex_counter_init(&sh->c.m, true); return true;
	case GOC_COUNTERS_SPIN: goc_spin_counter_init(&sh->c.s); return true;
	case GOC_COUNTERS_RWLOCK: goc_rw_counter_init(&sh->c.rw); return true;
	case GOC_COUNTERS_RWSPIN: goc_spin_rw_counter_init(&sh->c.srw); return true;
	case GOC_COUNTERS_ATOMIC: goc_atomic_counter_init(&sh->c.a); return true;
	case GOC_COUNTERS_CHAN: return goc_chan_counter_start(&sh->chan, cap) == GOC_OK;
	case GOC_COUNTERS_SHARDED: return (sh->sharded = goc_sharded_counter_make(tasks)) != NULL;
	default: return false;
	}
}

/*
 * The count once every adder is done; part of the timed run (chan: this
 * stops the owner, which has the last increments to take in first).
 */
static uint64_t counter_count(run_shared *sh)
{
	switch (sh->variant) {
	case GOC_COUNTERS_UNSAFE: return goc_unsafe_counter_load(&sh->c.u);
	case GOC_COUNTERS_MUTEX:
	case GOC_COUNTERS_ADAPTIVE: return goc_mutex_counter_load(&sh->c.m);
	case GOC_COUNTERS_SPIN: return goc_spin_counter_load(&sh->c.s);
	case GOC_COUNTERS_RWLOCK: return goc_rw_counter_load(&sh->c.rw);
	case GOC_COUNTERS_RWSPIN: return goc_spin_rw_counter_load(&sh->c.srw);
	case GOC_COUNTERS_ATOMIC: return goc_atomic_counter_load(&sh->c.a);
	case GOC_COUNTERS_CHAN: return goc_chan_counter_stop(sh->chan);
	case GOC_COUNTERS_SHARDED: return goc_sharded_counter_load(sh->sharded);
	default: return 0;
	}
}

/* Release the counter counter_make() made, after counter_count(); not timed. */
static void counter_release(run_shared *sh)
{
	switch (sh->variant) {
	case GOC_COUNTERS_MUTEX:
	case GOC_COUNTERS_ADAPTIVE: goc_mutex_counter_destroy(&sh->c.m); break;
	case GOC_COUNTERS_SPIN: goc_spin_counter_destroy(&sh->c.s); break;
	case GOC_COUNTERS_RWLOCK: goc_rw_counter_destroy(&sh->c.rw); break;
	case GOC_COUNTERS_RWSPIN: goc_spin_rw_counter_destroy(&sh->c.srw); break;
	case GOC_COUNTERS_CHAN: goc_chan_counter_free(sh->chan); break;
	case GOC_COUNTERS_SHARDED: goc_sharded_counter_free(sh->sharded); break;
	default: break; /* unsafe and atomic hold nothing to release */
	}
}

static void wait_or_panic(goc_wg *wg)
{
	goc_status st = goc_wg_wait(wg, GOC_FOREVER);
	if (st != GOC_OK)
		goc_panic("counters: goc_wg_wait(GOC_FOREVER) returned %s", goc_status_str(st));
}

goc_status goc_counters_run(const goc_counters_config *cfg, goc_counters_report *report)
{
	if (!cfg || !report)
		goc_panic("counters: NULL config or report");
	if ((unsigned)cfg->variant >= GOC_COUNTERS_NVARIANTS)
		goc_panic("counters: unknown variant %d", (int)cfg->variant);
	if (cfg->tasks == 0)
		goc_panic("counters: tasks == 0");
	if (cfg->reads > 99)
		goc_panic("counters: reads %u%% (at most 99)", cfg->reads);
	if (cfg->reads && !goc_counters_variant_reads(cfg->variant))
		goc_panic("counters: variant %s has no reads", goc_counters_variant_str(cfg->variant));
	memset(report, 0, sizeof *report);

	run_shared *sh = aligned_alloc(GOC_CACHE_LINE, (sizeof(run_shared) + GOC_CACHE_LINE - 1) / GOC_CACHE_LINE *
	                                                       GOC_CACHE_LINE);
	run_task *tasks = calloc(cfg->tasks, sizeof *tasks);
	goc_chan *gate = goc_chan_make(0, 0);
	if (!sh || !tasks || !gate) {
		free(sh);
		free(tasks);
		goc_chan_free(gate);
		return GOC_NOMEM;
	}
	memset(sh, 0, sizeof *sh);
	sh->variant = cfg->variant;
	sh->wpct = 100 - cfg->reads;
	sh->bound = goc_counters_expected_writes(cfg->ops, cfg->tasks, cfg->reads);
	sh->gate = gate;
	if (!counter_make(sh, cfg->tasks, cfg->cap)) {
		free(sh);
		free(tasks);
		goc_chan_free(gate);
		return GOC_NOMEM;
	}
	goc_wg_init(&sh->ready);
	goc_wg_init(&sh->done);

	goc_status st = GOC_OK;
	for (size_t k = 0; k < cfg->tasks; k++) {
		tasks[k] = (run_task){ .sh = sh, .index = k, .ops = task_ops(cfg->ops, cfg->tasks, k) };
		goc_wg_add(&sh->ready, 1);
		goc_wg_add(&sh->done, 1);
		if (goc_go(count_task, &tasks[k]) != GOC_OK) {
			goc_wg_add(&sh->ready, -1);
			goc_wg_add(&sh->done, -1);
			st = GOC_NOMEM;
			break;
		}
	}
	/* Every task is parked at the gate: the clock starts as they all start. */
	wait_or_panic(&sh->ready);
	int64_t t0 = goc_now();
	goc_chan_close(gate);
	wait_or_panic(&sh->done);
	report->count = counter_count(sh);
	report->elapsed_ns = goc_now() - t0;
	counter_release(sh);

	for (size_t k = 0; k < cfg->tasks; k++) {
		report->writes += tasks[k].writes;
		report->reads += tasks[k].reads;
		report->bad_reads += tasks[k].bad_reads;
		report->read_sum += tasks[k].read_sum;
	}
	goc_wg_destroy(&sh->ready);
	goc_wg_destroy(&sh->done);
	goc_chan_free(gate);
	free(tasks);
	free(sh);
	return st;
}
