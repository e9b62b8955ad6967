/*
 * counters.h - one counter that many tasks add to, the ways Go programs
 * share one (standard workload W4): behind a mutex, behind a read-write
 * lock, as an atomic, owned by one task that others send increments to,
 * or split into one padded slot per task and summed at the end. And the
 * pitfall they all avoid: a plain `counter++` from several tasks, which
 * loses updates and is a data race (ThreadSanitizer reports it).
 *
 * Each counter is usable on its own (init/add/load/destroy, or make/free),
 * and goc_counters_run() runs W4 on any of them: T tasks, released at once
 * by a start gate, do their share of the operations, each an increment or,
 * in the read-mostly form, a read.
 *
 * Overlap, per counter:
 *   mutex, spin, rw,         add and load from any number of threads at
 *   spin_rw, atomic          once; init and destroy alone, before and after.
 *   sharded                  add(c, i, d) from one thread per slot i at a
 *                            time; load from any thread at any time (a
 *                            sum of slots read one by one: exact only once
 *                            the adders are done, e.g. joined).
 *   chan                     add from any number of threads; stop once,
 *                            after every add has returned; free after stop.
 *   unsafe                   add from one thread at a time. Anything else
 *                            is the pitfall this counter is here to show.
 *
 * Ordering: for mutex, spin, rw and spin_rw counters an add or load happens-before
 * the next one to take the lock; atomic counters are sequentially
 * consistent; a chan counter's adds happen-before stop() returns (each is
 * a channel send the owner receives). A sharded counter's load orders
 * nothing: join the adders first for an exact sum.
 *
 * Panics (goc_panic(), never compiled out): a pthread call failing (only a
 * broken program or system makes one fail), a sharded slot index out of
 * range, a chan counter added to after stop().
 *
 * Ownership: init/destroy work on the caller's storage; what a _make or
 * _start returns its _free releases (NULL is a no-op).
 *
 * The header holds a pthread_rwlock_t: define _POSIX_C_SOURCE 200809L (or
 * _GNU_SOURCE) before the first #include when compiling with -std=c17.
 */
#ifndef GOC_COUNTERS_H
#define GOC_COUNTERS_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

/* The line a sharded slot fills, so that two tasks' slots never share one. */
#define GOC_CACHE_LINE 64

/* ---- unsafe: the pitfall ------------------------------------------------- */

/*
 * A plain counter. `n` is volatile so that each add is its own load, add
 * and store, as `counter++` is in Go and in unoptimized C; otherwise the
 * compiler folds a loop of adds into one and the lost updates, which this
 * counter exists to show, mostly disappear. Volatile does not make it
 * atomic, and ThreadSanitizer still reports the race.
 */
typedef struct goc_unsafe_counter {
	volatile uint64_t n; /* guarded by nothing: the pitfall */
} goc_unsafe_counter;

void goc_unsafe_counter_init(goc_unsafe_counter *c);
void goc_unsafe_counter_add(goc_unsafe_counter *c, uint64_t delta);
uint64_t goc_unsafe_counter_load(goc_unsafe_counter *c);

/* ---- mutex and adaptive: a pthread mutex ------------------------------------ */

typedef struct goc_mutex_counter {
	pthread_mutex_t mu;
	uint64_t n; /* guarded by mu */
} goc_mutex_counter;

/*
 * adaptive false: glibc's default mutex (PTHREAD_MUTEX_TIMED_NP), which
 * sleeps on a futex at the first contention; true: PTHREAD_MUTEX_ADAPTIVE_NP,
 * which spins a while first.
 */
void goc_mutex_counter_init(goc_mutex_counter *c, bool adaptive);
void goc_mutex_counter_destroy(goc_mutex_counter *c);
void goc_mutex_counter_add(goc_mutex_counter *c, uint64_t delta);
uint64_t goc_mutex_counter_load(goc_mutex_counter *c);

/* ---- spin: a spin-then-futex mutex, as Go's sync.Mutex is built ------------- */

/*
 * The classic three-state futex mutex (0 free, 1 held, 2 held and someone
 * may sleep): lock tries once, then, when another CPU may be running the
 * holder, spins a little watching the word, and only then sleeps on the
 * futex; unlock wakes a sleeper only if the word says there may be one.
 * ThreadSanitizer sees it as a mutex (annotated). Not recursive; unlock
 * only by the thread that locked it.
 */
typedef struct goc_spin_mutex {
	atomic_int state; /* 0, 1 or 2, above */
} goc_spin_mutex;

void goc_spin_mutex_init(goc_spin_mutex *m);
void goc_spin_mutex_destroy(goc_spin_mutex *m);
void goc_spin_mutex_lock(goc_spin_mutex *m);
void goc_spin_mutex_unlock(goc_spin_mutex *m);

typedef struct goc_spin_counter {
	goc_spin_mutex mu;
	uint64_t n; /* guarded by mu */
} goc_spin_counter;

void goc_spin_counter_init(goc_spin_counter *c);
void goc_spin_counter_destroy(goc_spin_counter *c);
void goc_spin_counter_add(goc_spin_counter *c, uint64_t delta);
uint64_t goc_spin_counter_load(goc_spin_counter *c);

/* ---- rw: a pthread read-write lock ------------------------------------------ */

/* add takes the write lock, load the read lock (glibc's default rwlock, which prefers readers). */
typedef struct goc_rw_counter {
	pthread_rwlock_t rw;
	uint64_t n; /* guarded by rw: written under the write lock */
} goc_rw_counter;

void goc_rw_counter_init(goc_rw_counter *c);
void goc_rw_counter_destroy(goc_rw_counter *c);
void goc_rw_counter_add(goc_rw_counter *c, uint64_t delta);
uint64_t goc_rw_counter_load(goc_rw_counter *c);

/* ---- rwspin: Go's sync.RWMutex, built on the spin mutex ------------------------ */

/* A counting semaphore on a futex: the rwlock's waiting rooms. */
typedef struct goc_futex_sem {
	atomic_uint count;   /* units available */
	atomic_uint waiters; /* threads about to sleep or asleep on count */
} goc_futex_sem;

/* Readers a writer subtracts from the reader count: more than can ever hold the lock at once. */
#define GOC_SPIN_RW_MAX_READERS (1 << 30)

/*
 * Go's sync.RWMutex in C: a read lock and unlock are one atomic add each
 * while no writer is about (glibc's rwlock takes more steps); writers
 * exclude each other on a goc_spin_mutex, and a pending writer turns new
 * readers away, so readers cannot starve it. Not recursive: a reader that
 * read-locks again while a writer waits deadlocks, as in Go. Panics on an
 * unlock of a lock not held (as far as the counts can tell).
 */
typedef struct goc_spin_rwlock {
	goc_spin_mutex w;          /* held by the writer, taken before `readers` is touched */
	atomic_int readers;        /* readers in or waiting, minus GOC_SPIN_RW_MAX_READERS while a writer is pending or in */
	atomic_int departing;      /* readers a pending writer still waits for */
	goc_futex_sem writer_sem;  /* the pending writer sleeps here */
	goc_futex_sem reader_sem;  /* readers sleep here while a writer is pending or in */
} goc_spin_rwlock;

void goc_spin_rwlock_init(goc_spin_rwlock *rw);
void goc_spin_rwlock_destroy(goc_spin_rwlock *rw);
void goc_spin_rwlock_lock(goc_spin_rwlock *rw);
void goc_spin_rwlock_unlock(goc_spin_rwlock *rw);
void goc_spin_rwlock_rlock(goc_spin_rwlock *rw);
void goc_spin_rwlock_runlock(goc_spin_rwlock *rw);

/* add takes the write lock, load the read lock. */
typedef struct goc_spin_rw_counter {
	goc_spin_rwlock rw;
	uint64_t n; /* guarded by rw: written under the write lock */
} goc_spin_rw_counter;

void goc_spin_rw_counter_init(goc_spin_rw_counter *c);
void goc_spin_rw_counter_destroy(goc_spin_rw_counter *c);
void goc_spin_rw_counter_add(goc_spin_rw_counter *c, uint64_t delta);
uint64_t goc_spin_rw_counter_load(goc_spin_rw_counter *c);

/* ---- atomic: one fetch-add ------------------------------------------------- */

typedef struct goc_atomic_counter {
	_Atomic uint64_t n; /* seq_cst, as Go's sync/atomic */
} goc_atomic_counter;

void goc_atomic_counter_init(goc_atomic_counter *c);
void goc_atomic_counter_add(goc_atomic_counter *c, uint64_t delta);
uint64_t goc_atomic_counter_load(goc_atomic_counter *c);

/* ---- sharded: a padded slot per task, summed ---------------------------------- */

/* One slot: a whole cache line, so that an add never moves another slot's line. */
typedef struct goc_counter_slot {
	alignas(GOC_CACHE_LINE) _Atomic uint64_t n; /* relaxed: one writer per slot (see goc_sharded_counter_add) */
} goc_counter_slot;

typedef struct goc_sharded_counter goc_sharded_counter;

/* A counter of `slots` slots (at least 1), all 0; NULL when out of memory. */
goc_sharded_counter *goc_sharded_counter_make(size_t slots);
void goc_sharded_counter_free(goc_sharded_counter *c);
size_t goc_sharded_counter_slots(const goc_sharded_counter *c);
/* Slot i's own line, for callers that keep the pointer (slot < slots, else panic). */
goc_counter_slot *goc_sharded_counter_slot(goc_sharded_counter *c, size_t slot);
/* Add to slot `slot`; one thread per slot at a time. Panics if slot >= slots. */
void goc_sharded_counter_add(goc_sharded_counter *c, size_t slot, uint64_t delta);
/* The sum of the slots. */
uint64_t goc_sharded_counter_load(const goc_sharded_counter *c);

/* ---- chan: a task owns the counter -------------------------------------------- */

/*
 * The counter lives in an owner task; add sends the delta on a buffered
 * channel of `cap` elements, which the owner receives and adds up, as in Go's
 * "share memory by communicating". stop() closes the channel, waits for the
 * owner to drain it, and returns the count.
 */
typedef struct goc_chan_counter goc_chan_counter;

/* Start the owner task. Returns GOC_OK with *cp set, or GOC_NOMEM (no memory, no thread). */
goc_status goc_chan_counter_start(goc_chan_counter **cp, size_t cap);
/* Send delta to the owner; blocks while the channel is full. Panics after stop(). */
void goc_chan_counter_add(goc_chan_counter *c, uint64_t delta);
/* After the last add: close the channel, join the owner, return the count. Once only. */
uint64_t goc_chan_counter_stop(goc_chan_counter *c);
/* Release the counter; stops it first if stop() was not called. NULL is a no-op. */
void goc_chan_counter_free(goc_chan_counter *c);

/* ---- the workload (W4) ------------------------------------------------------- */

typedef enum goc_counters_variant {
	GOC_COUNTERS_UNSAFE = 0, /* goc_unsafe_counter: the pitfall */
	GOC_COUNTERS_MUTEX,      /* goc_mutex_counter, glibc's default mutex */
	GOC_COUNTERS_ADAPTIVE,   /* goc_mutex_counter, PTHREAD_MUTEX_ADAPTIVE_NP */
	GOC_COUNTERS_SPIN,       /* goc_spin_counter */
	GOC_COUNTERS_RWLOCK,     /* goc_rw_counter */
	GOC_COUNTERS_RWSPIN,     /* goc_spin_rw_counter */
	GOC_COUNTERS_ATOMIC,     /* goc_atomic_counter */
	GOC_COUNTERS_CHAN,       /* goc_chan_counter */
	GOC_COUNTERS_SHARDED,    /* goc_sharded_counter, a slot per task */
	GOC_COUNTERS_NVARIANTS
} goc_counters_variant;

/* The variants that can be read while they count (the read-mostly form). */
bool goc_counters_variant_reads(goc_counters_variant v);

/* "unsafe", "mutex", ...; "unknown" for anything else. Never NULL. */
const char *goc_counters_variant_str(goc_counters_variant v);

/* The variant named `name`; false if there is none. */
bool goc_counters_variant_parse(const char *name, goc_counters_variant *v);

typedef struct goc_counters_config {
	goc_counters_variant variant;
	size_t tasks;  /* at least 1 */
	uint64_t ops;  /* operations in all, shared among the tasks */
	unsigned reads; /* percent of operations that are reads, 0..99; 0 unless
	                   goc_counters_variant_reads(variant) */
	size_t cap;    /* GOC_COUNTERS_CHAN: the channel's capacity, 0 unbuffered (W4: 1024) */
} goc_counters_config;

/*
 * What a run did. Task k does ops / tasks operations, plus one if k < ops %
 * tasks; of a task's first j operations, j * (100 - reads) / 100 (rounded
 * down) are increments, spread evenly, the rest reads.
 */
typedef struct goc_counters_report {
	uint64_t writes;     /* increments done: what the count must be */
	uint64_t count;      /* the counter's value after the tasks were joined */
	uint64_t reads;      /* reads done */
	uint64_t bad_reads;  /* reads below the task's previous read or its own increments so far, or above `writes` */
	uint64_t read_sum;   /* the sum of the values read (keeps the reads honest) */
	int64_t elapsed_ns;  /* from the start gate's opening to the count taken (chan: its owner stopped) */
} goc_counters_report;

/* The increments a run of `ops` operations over `tasks` tasks with `reads` percent reads does. */
uint64_t goc_counters_expected_writes(uint64_t ops, size_t tasks, unsigned reads);

/*
 * Run W4 and fill *report (which may not be NULL). Returns GOC_OK, or
 * GOC_NOMEM when the counter, a channel or a task could not be made (the
 * tasks that started are joined first; the report then says what they
 * did). The caller verifies: count == writes and bad_reads == 0, except for
 * GOC_COUNTERS_UNSAFE, whose count falls short by the updates it lost.
 * Panics on a config out of its ranges (tasks 0, reads > 99, reads with a
 * variant that has none, an unknown variant).
 */
goc_status goc_counters_run(const goc_counters_config *cfg, goc_counters_report *report);

#endif /* GOC_COUNTERS_H */
