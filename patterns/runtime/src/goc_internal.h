/*
 * goc_internal.h - what libgoc's own .c files share: panics, the pthread
 * error check, the per-thread task record, the channel lock and futexes,
 * the wait queues and parking, channel internals for select and timers,
 * and the timer service for contexts.
 * Included by libgoc's .c files and its white-box tests only, never by a
 * pattern; everything here may change.
 */
#ifndef GOC_INTERNAL_H
#define GOC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "goc/goc.h"

/* ---- panics (panic.c) ------------------------------------------------- */

/* libgoc's own panics (panic.h): a fixed message in Go's words. */
#define goc__panic(msg) goc_panic("%s", (msg))

/* Die loudly: for failures GOC_PT (panic.h) does not cover (an errno value the caller handles in part, no memory). */
#define goc__die(call, err) goc_pt_failed(call, err, __func__, __FILE__, __LINE__)

/* ---- ThreadSanitizer annotations ---------------------------------------- */

/*
 * libgoc must give TSan exactly the happens-before edges that Go's memory
 * model gives, or it hides races in the programs it is used to check. Its
 * own bookkeeping (the registry of threads and the pool of idle threads,
 * used at every task start and exit; the channel lock, wait queues and
 * wake-ups, see park.c) is correctly synchronized but must not order
 * unrelated tasks: inside
 * GOC__TSAN_PRIVATE_BEGIN/END, TSan neither derives edges from
 * synchronization nor checks memory accesses (the TSan runtime provides the
 * two annotation families; other builds compile them away).
 */
#if defined(__SANITIZE_THREAD__)
#define GOC__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC__TSAN 1
#endif
#endif

#ifdef GOC__TSAN
void AnnotateIgnoreSyncBegin(const char *file, int line);
void AnnotateIgnoreSyncEnd(const char *file, int line);
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define GOC__TSAN_PRIVATE_BEGIN()                          \
	do {                                               \
		AnnotateIgnoreSyncBegin(__FILE__, __LINE__);   \
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);  \
		AnnotateIgnoreWritesBegin(__FILE__, __LINE__); \
	} while (0)
#define GOC__TSAN_PRIVATE_END()                          \
	do {                                             \
		AnnotateIgnoreWritesEnd(__FILE__, __LINE__); \
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);  \
		AnnotateIgnoreSyncEnd(__FILE__, __LINE__);   \
	} while (0)
/*
 * GOC__TSAN_NOSYNC: TSan derives no edge from the synchronization inside
 * (libgoc's own protocol atomics: the channel lock, an op's state and
 * wake-up word), but still checks memory accesses.
 * GOC__TSAN_UNCHECKED: TSan checks no memory access inside, but still sees
 * synchronization (held by a channel lock: libgoc's bookkeeping, whose
 * ordering TSan is no longer told about).
 */
#define GOC__TSAN_NOSYNC_BEGIN() AnnotateIgnoreSyncBegin(__FILE__, __LINE__)
#define GOC__TSAN_NOSYNC_END() AnnotateIgnoreSyncEnd(__FILE__, __LINE__)
#define GOC__TSAN_UNCHECKED_BEGIN()                        \
	do {                                               \
		AnnotateIgnoreReadsBegin(__FILE__, __LINE__);  \
		AnnotateIgnoreWritesBegin(__FILE__, __LINE__); \
	} while (0)
#define GOC__TSAN_UNCHECKED_END()                        \
	do {                                             \
		AnnotateIgnoreWritesEnd(__FILE__, __LINE__); \
		AnnotateIgnoreReadsEnd(__FILE__, __LINE__);  \
	} while (0)
#else
#define GOC__TSAN_PRIVATE_BEGIN() ((void)0)
#define GOC__TSAN_PRIVATE_END() ((void)0)
#define GOC__TSAN_NOSYNC_BEGIN() ((void)0)
#define GOC__TSAN_NOSYNC_END() ((void)0)
#define GOC__TSAN_UNCHECKED_BEGIN() ((void)0)
#define GOC__TSAN_UNCHECKED_END() ((void)0)
#endif

/*
 * Go's race detector reads a channel in every send and writes it in close,
 * so that a close concurrent with a send is reported. In TSan builds libgoc
 * does the same to a byte of the channel that nothing else touches
 * (goc_chan.tsan_race); call them with no channel lock held.
 */
#ifdef GOC__TSAN
void __tsan_read1(void *addr);
void __tsan_write1(void *addr);
#define GOC__TSAN_SEND_READ(ch) __tsan_read1(&(ch)->tsan_race)
#define GOC__TSAN_CLOSE_WRITE(ch) __tsan_write1(&(ch)->tsan_race)
#else
#define GOC__TSAN_SEND_READ(ch) ((void)0)
#define GOC__TSAN_CLOSE_WRITE(ch) ((void)0)
#endif

/*
 * GOC__CHECKS: the checks of libgoc's tsan and debug builds (every build
 * without NDEBUG), beyond what a sanitizer sees: the task leak check at
 * exit (task.c).
 */
#if defined(GOC__TSAN) || !defined(NDEBUG)
#define GOC__CHECKS 1
#endif

/* ---- fork handlers (fork.c) ------------------------------------------------ */

/*
 * The modules with a global lock, in the order their locks nest: a lock is
 * never taken while a later one is held. Fork handlers run in this order
 * (prepare), and in reverse (parent, child).
 */
typedef enum goc__fork_rank {
	GOC__FORK_USE,      /* sched.c: goc_tasks_use(), which may start the scheduler */
	GOC__FORK_TIMER,    /* timer.c: its thread fires contexts' deadlines under the timer lock */
	GOC__FORK_CTX,      /* ctx.c: a cancel closes done channels, waking their tasks */
	GOC__FORK_POOL,     /* task.c: the thread pool */
	GOC__FORK_SCHED,    /* sched.c: the M:N scheduler */
	GOC__FORK_REGISTRY, /* task.c: the registry of records, a leaf */
	GOC__FORK_RANKS
} goc__fork_rank;

/* Run these around every fork() from now on, at their rank; once per rank. */
void goc__fork_handlers(goc__fork_rank rank, void (*prepare)(void), void (*parent)(void), void (*child)(void));

/*
 * The common case: hold mu across every fork() from now on, at rank, so
 * that the child gets what it guards whole, and mu free; child, if not
 * NULL, runs in the child before mu is released, to reset what it guards.
 * Once per rank.
 */
void goc__fork_hold_mutex(goc__fork_rank rank, pthread_mutex_t *mu, void (*child)(void));

/* ---- the deadlock check (deadlock.c) ------------------------------------- */

/* How long a wait with no deadline sleeps between deadlock checks. */
#define GOC__DEADLOCK_SLICE_NS (100LL * 1000000)

#ifdef GOC__CHECKS
/* A wait with no deadline begins / ends (the calling thread is blocked for good meanwhile). */
void goc__forever_begin(void);
void goc__forever_end(void);
/* A waker ends n threads' waits on their behalf (they may not run for a while). */
void goc__forever_end_n(size_t n);
/* goc__forever_begin() for a task of the M:N scheduler, which waits without slices. */
void goc__forever_park(void);
/* In a fork() child: none of the parent's threads is blocked here. */
void goc__deadlock_fork_child(void);
/* Something that may let a blocked thread on: a wake-up, a task started. */
void goc__progress(void);
/* Whether the checks are on (GOC_CHECKS is not "0"). */
bool goc__checks_on(void);
/* The deadline of a wait with no deadline's next slice (GOC_FOREVER with the checks off). */
int64_t goc__forever_slice(void);
/*
 * After a slice: exit with "all goroutines are asleep - deadlock!" if nothing
 * can proceed, or with the task dump after a SIGQUIT (deadlock.c).
 */
void goc__deadlock_check(void);
/* After a SIGQUIT: the dump and exit, as goc__deadlock_check() (the M:N scheduler's monitor). */
void goc__quit_check(void);
#else
static inline void goc__forever_begin(void) {}
static inline void goc__forever_park(void) {}
static inline void goc__forever_end(void) {}
static inline void goc__forever_end_n(size_t n) { (void)n; }
static inline void goc__deadlock_fork_child(void) {}
static inline void goc__progress(void) {}
static inline int64_t goc__forever_slice(void) { return GOC_FOREVER; }
static inline void goc__deadlock_check(void) {}
static inline void goc__quit_check(void) {}
#endif

/* A schedule-chaos point (chaos.h) in the tsan and debug builds; nothing in release. */
#ifdef GOC__CHECKS
#define GOC__CHAOS() goc_chaos_point()
#else
#define GOC__CHAOS() ((void)0)
#endif

/* ---- time and condition variables (status.c) -------------------------- */

/* A condition variable timed on CLOCK_MONOTONIC, the clock of deadlines. */
void goc__cond_init(pthread_cond_t *cv);

/*
 * pthread_cond_wait with a goc deadline: GOC_FOREVER waits untimed. Returns
 * 0 when woken (possibly spuriously) or ETIMEDOUT once the deadline passed.
 * A deadline below 1 (GOC_NOWAIT included, which callers handle first)
 * returns ETIMEDOUT at once, without waiting.
 */
int goc__cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t deadline);

/* ---- tasks (task.c) --------------------------------------------------- */

/* What a thread is blocked in, for goc_tasks_dump(). */
typedef enum goc__blocked {
	GOC__RUNNING = 0,
	GOC__CHAN_SEND,
	GOC__CHAN_RECV,
	GOC__SELECT,
	GOC__SELECT_NO_CASES,
	GOC__WG_WAIT,
	GOC__SEM_ACQUIRE,
	GOC__ONCE,
	GOC__SLEEP
} goc__blocked;

/* What a record describes (goc__task.kind). */
enum {
	GOC__REC_THREAD = 0, /* a thread not made by goc_go() (main, raw pthreads) */
	GOC__REC_TASK,       /* a pooled thread running a task */
	GOC__REC_IDLE        /* a pooled thread waiting for a task: not shown by goc_tasks_dump() */
};

/*
 * A thread's streak of waits of one kind that went badly (park.c's parks,
 * select.c's watches): after enough misses in a row, its next waits skip a
 * step (spinning, watching). Skipped waits record nothing; when they run
 * out, one more miss starts a new run of skips at once, a hit ends the
 * streak. Owner thread only: relaxed atomics, for TSan (see goc__task).
 */
typedef struct goc__streak {
	_Atomic(unsigned) misses; /* bad waits in a row */
	_Atomic(unsigned) skips;  /* coming waits that skip the step */
} goc__streak;

/*
 * The record of one thread that uses libgoc: the id of what runs on it, its
 * select RNG and what it is blocked in. Made on the thread's first use of
 * libgoc (or with a pooled thread), listed in a registry for
 * goc_tasks_dump(), dropped at exit.
 *
 * A pooled thread runs one task after another (task.c), and they share its
 * record. Under TSan each of those tasks runs as its own fiber, unordered
 * with the task before it (a goroutine's exit orders nothing), so every
 * field a task writes must be an atomic: relaxed, as only the owner thread
 * writes it. A plain field written by two tasks in turn would be reported
 * as a race between them.
 */
typedef struct goc__task {
	_Atomic(uint64_t) id;             /* the running task's, fresh for each; relaxed: owner writes, dump prints */
	_Atomic(int) kind;                /* GOC__REC_*; relaxed: diagnostics only */
	_Atomic(uint64_t) rng;            /* owner thread only; relaxed: atomic only for TSan (above) */
	goc__streak watch;                /* owner only: select waits that queue without watching (select.c) */
	_Atomic(unsigned) watch_shift;    /* owner only: select watches yield every 64 >> this watches (select.c); relaxed (above) */
	goc__streak park;                 /* owner only: parks that yield without spinning (park.c) */
	_Atomic(int) blocked;             /* goc__blocked; relaxed: diagnostics only */
	_Atomic(const void *) blocked_on; /* relaxed: diagnostics only */
	struct goc__task *prev, *next;    /* guarded by the registry lock */
} goc__task;

/* A spin-wait hint to the CPU (x86 PAUSE, Arm YIELD): kinder to the sibling hyperthread. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define goc__cpu_relax() _mm_pause()
#elif defined(__aarch64__)
#define goc__cpu_relax() __asm__ volatile("yield" ::: "memory")
#else
#define goc__cpu_relax() ((void)0)
#endif

/* Fill in a zeroed record for what runs on the calling thread (or a task to come), and list it. */
void goc__record_start(goc__task *t, int kind);
/* Fill in a task's record of the M:N scheduler (fresh id and RNG), which is not listed. */
void goc__record_task(goc__task *t);
/* Unlist a record. */
void goc__record_end(goc__task *t);
/* Make t the calling thread's record (the M:N scheduler, as it switches tasks). */
void goc__task_set_self(goc__task *t);
/* A task's function returned (the live count). */
void goc__task_ended(void);
/*
 * TSan builds: declare the calling thread's static TLS, from its outermost
 * frame `top` up, a benign race range: tasks that run on it in turn use it
 * (errno). Nothing in other builds.
 */
#ifdef GOC__TSAN
void goc__tsan_tls_benign(char *top);
#else
static inline void goc__tsan_tls_benign(char *top) { (void)top; }
#endif

/* Threads that are not tasks and have a record (main, raw pthreads that used libgoc). */
size_t goc__foreign_threads(void);

/* Pooled threads alive, running a task or idle. */
size_t goc__pool_threads(void);

/* The calling thread's record, registering it on first use. Never NULL. */
goc__task *goc__task_self(void);
/* The calling thread's task id if it has a record already, else 0; makes none (for panics). */
uint64_t goc__task_id_known(void);

/* Note what the calling thread is about to block in (GOC__RUNNING: done). */
void goc__blocked_enter(goc__blocked what, const void *on);
void goc__blocked_leave(void);

/*
 * SplitMix64: the next number of the stream whose state is *s (any value;
 * each call advances it). Seeds every random stream in libgoc.
 */
static inline uint64_t goc__splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A uniformly random integer in [0, n), n > 0, from the thread's own RNG. */
uint32_t goc__rand_below(goc__task *self, uint32_t n);

/* ---- the M:N scheduler (sched.c) ------------------------------------------- */

typedef struct goc__g goc__g;
typedef struct goc__op goc__op;

/* Whether tasks run on the M:N scheduler (the choice is made at the first call, see sched.c). */
bool goc__sched_on(void);
/* goc_go() on the M:N scheduler. */
goc_status goc__sched_go(goc_task_fn fn, void *arg);
/* The calling task of the M:N scheduler, or NULL on a thread (including a worker's own context). */
goc__g *goc__g_self(void);
/* goc__op_park() for a task of the M:N scheduler (op->g). */
bool goc__g_park_op(goc__op *op, int64_t deadline);
/*
 * goc__op_park_unlock() for a task, with no deadline: unlock(arg) runs on
 * the worker's own context once the task is switched out. Returns true.
 */
bool goc__g_park_locked(goc__op *op, void (*unlock)(void *arg), void *arg);
/* Make a parked task runnable. */
void goc__g_ready(goc__g *g);
/* Call fn on the record of every task struct the scheduler has made, live or not (goc_tasks_dump()). */
void goc__sched_each_task(void (*fn)(goc__task *rec, void *arg), void *arg);
/* The scheduler's threads alive: workers and the monitor (deadlock.c counts them). */
size_t goc__sched_threads(void);
/* How many times a task was put on the global run queue so far (sched_test). */
size_t goc__sched_globq_puts(void);
/* From a signal handler: wake the monitor, to look at the SIGQUIT flag (async-signal-safe). */
void goc__sched_signal_monitor(void);
/* At exit, in TSan builds: idle workers and the monitor exit (see goc__timer_retire()). */
void goc__sched_retire(void);

/* ---- the channel lock and futexes (lock.c) ------------------------------- */

/*
 * A spin-then-futex lock; see lock.c. In TSan builds it orders nothing and
 * TSan checks no access while it is held (GOC__TSAN_UNCHECKED).
 */
typedef struct goc__lock {
	atomic_int state; /* 0 free, 1 held, 2 held and a thread may sleep on it */
} goc__lock;

void goc__lock_init(goc__lock *lock);
void goc__lock_destroy(goc__lock *lock);
void goc__lock_acquire(goc__lock *lock);
void goc__lock_release(goc__lock *lock);

/*
 * Copy n bytes of a channel element from src to dst, or zero n bytes at
 * dst: the user's memory (or a ring slot), which TSan checks even while a
 * channel lock is held, as Go's race detector checks what a channel
 * operation reads from and writes to its elements (racereadobjectpc,
 * racewriteobjectpc). The caller publishes the edges that order the copy.
 */
#ifdef GOC__TSAN
void goc__elem_copy(void *dst, const void *src, size_t n);
void goc__elem_zero(void *dst, size_t n);
#else
static inline void goc__elem_copy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

static inline void goc__elem_zero(void *dst, size_t n)
{
	memset(dst, 0, n);
}
#endif

/* CPUs this process may run on (affinity); spinning for a peer needs two. */
int goc__usable_cpus(void);

/*
 * Sleep while *word == val, until woken or the goc deadline: 0 or ETIMEDOUT
 * (at once for a deadline below 1).
 */
int goc__futex_wait_until(atomic_int *word, int val, int64_t deadline);

/* Wake up to n threads sleeping on word. A stale address is harmless. */
void goc__futex_wake(atomic_int *word, int n);

/* ---- wait queues and parking (park.c) ------------------------------------ */

/* Whether this wait skips its step, using up one skip. */
bool goc__streak_skip(goc__streak *s);

/*
 * Record how a wait that did not skip went. After misses_to_skip misses in
 * a row, the next `skips` waits skip.
 */
void goc__streak_record(goc__streak *s, bool missed, unsigned misses_to_skip, unsigned skips);

/*
 * One blocking channel operation or select: what wakers claim. Lives on the
 * blocked thread's stack for the duration of the call.
 */
struct goc__op {
	atomic_int state;   /* GOC__OP_WAITING, then CLAIMED (by a waker) or TIMEDOUT (by the owner) */
	struct goc__g *g;   /* the owner, a task of the M:N scheduler (sched.c), or NULL for a thread; immutable while queued */
	bool shares_chan;   /* two of its cases use one channel; immutable while queued */
	/*
	 * One waiter and no deadline: only claimers holding that waiter's
	 * queue lock can race for the op, so a claim is a plain store.
	 * Immutable while queued.
	 */
	bool sole;
	/*
	 * The owner, a task, committed its park before any waker could see
	 * the op (goc__g_park_locked(): no deadline): its waker stores `woken`
	 * and makes it runnable, without an exchange. Set by the owner while
	 * its queue locks are held.
	 */
	bool quiet_wake;
	size_t fired;       /* case index; written by the claimer before `woken` */
	/*
	 * Written by the claimer before `woken`: GOC_OK or GOC_CLOSED if the
	 * claimer completed the case (always, for an unbuffered one), or
	 * GOC_WOULDBLOCK for a buffered case that it did not (the owner
	 * retries the case).
	 */
	goc_status result;
	atomic_int woken;   /* GOC__WAKE_*; the futex word the owner sleeps on */
#ifdef GOC__CHECKS
	/*
	 * The owner waits with no deadline and is counted blocked for good
	 * (deadlock.c): whoever exchanges it to false, the waker or the owner,
	 * uncounts it. Both touch it privately for TSan.
	 */
	atomic_bool forever_counted;
#endif
};

enum { GOC__OP_WAITING = 0, GOC__OP_CLAIMED, GOC__OP_TIMEDOUT };

/* op->woken: NONE, then DONE (by the claimer); SLEEPING while the owner may be in futex_wait. */
enum { GOC__WAKE_NONE = 0, GOC__WAKE_DONE, GOC__WAKE_SLEEPING };

/* Make op ready to be queued: waiting, not woken, owned by the calling task or thread. */
void goc__op_init(goc__op *op, bool shares_chan, bool sole);

/* One case of a blocked op, queued on its channel (Go's sudog). */
typedef struct goc__waiter {
	struct goc__waiter *prev, *next; /* guarded by ch->mu; `next` also chains claimed waiters to wake */
	goc__op *op;                     /* immutable while queued */
	void *elem;                      /* send: source; recv: destination or NULL */
	size_t case_index;               /* immutable while queued */
	bool queued;                     /* guarded by ch->mu */
	goc_status result;               /* set by its claimer under ch->mu: what to wake it with */
	/*
	 * Immutable while queued: for an unbuffered receive, the element size,
	 * which the owner zeroes once a close wakes it (the channel may be
	 * gone by then); else 0.
	 */
	size_t closed_zero;
#ifdef GOC__TSAN
	/*
	 * TSan builds: the hand-off edge between the waiter's thread and whoever
	 * completes its case (see park.c). Released by the owner when queued;
	 * the claimer acquires and/or releases it under ch->mu; the owner
	 * acquires it once woken with its case done. Only its sync matters.
	 */
	atomic_int tsan_edge;
#endif
} goc__waiter;

typedef struct goc__waitq {
	goc__waiter *head, *tail; /* guarded by the channel's mu; head also read without it (goc__waitq_empty_unlocked()) */
} goc__waitq;

/*
 * TSan builds: the edges the channel lock no longer gives (park.c). Give
 * (a release that replaces what w carried): the owner publishes its
 * history on w before queuing it; an unbuffered claimer gives its own after
 * the element's copy, a closer its own. Take: that claimer takes the
 * owner's history before the copy; the woken owner takes what was given.
 * Nothing in other builds.
 */
#ifdef GOC__TSAN
void goc__tsan_waiter_give(goc__waiter *w);
void goc__tsan_waiter_take(goc__waiter *w);
#else
static inline void goc__tsan_waiter_give(goc__waiter *w) { (void)w; }
static inline void goc__tsan_waiter_take(goc__waiter *w) { (void)w; }
#endif

/* Queue w at the tail of q. The channel's mu is held. */
void goc__waitq_push(goc__waitq *q, goc__waiter *w);

/* Unlink w, which is queued on q. The channel's mu is held. */
void goc__waitq_remove(goc__waitq *q, goc__waiter *w);

/* Whether q was empty at the moment of the call's load; without the lock (chan.c's fast fail). */
bool goc__waitq_empty_unlocked(const goc__waitq *q);

/*
 * Unlink waiters from the head of q until one whose op this call claims
 * (WAITING -> CLAIMED), and return it; NULL when q runs out. Waiters of ops
 * already claimed elsewhere (a select woken by another channel, or timed
 * out) are dropped on the way, as Go's dequeue does. The claimed op's other
 * waiters on q and on `other`, the other queue of q's channel, are unlinked
 * too, so that its owner need not touch the channel again once woken. The
 * channel's mu is held.
 */
goc__waiter *goc__waitq_claim(goc__waitq *q, goc__waitq *other);

/*
 * Complete a claimed op: record which case fired and how, wake its thread.
 * The op may vanish as soon as its owner sees the wake-up.
 */
void goc__op_wake(goc__op *op, size_t fired, goc_status result);

/* Wake every waiter of a chain linked through `next` (claimed ones), each with its `result`. */
void goc__wake_chain(goc__waiter *chain);

/*
 * A wait for one event that is not a channel's (a WaitGroup's zero, a
 * semaphore's grant, a Once's end): one op, queued in FIFO order on a
 * queue that the primitive's own lock guards. Lives on the waiter's stack.
 */
typedef struct goc__opq_entry {
	goc__op op;
	struct goc__opq_entry *prev, *next; /* guarded by the queue's lock; `next` also chains claimed entries */
	bool queued;                        /* guarded by the queue's lock */
} goc__opq_entry;

/* Defined in wg.h and once.h, which embed it: head and tail, guarded by the owner's lock. */
typedef struct goc__opq goc__opq;

/* Initialize e's op and queue it at the tail of q. The queue's lock is held. */
void goc__opq_push(goc__opq *q, goc__opq_entry *e);

/* Unlink e if it is still queued (after its owner timed out). The queue's lock is held. */
void goc__opq_remove(goc__opq *q, goc__opq_entry *e);

/*
 * Unlink entries from the head of q until one whose op this call claims,
 * and return it (NULL when q runs out); entries whose owners timed out are
 * dropped on the way. The queue's lock is held; wake the entry with
 * goc__op_wake() after releasing it.
 */
goc__opq_entry *goc__opq_claim(goc__opq *q);

/* Wake every entry of a chain of claimed ones, linked through `next`, with GOC_OK; no lock held. */
void goc__opq_wake_chain(goc__opq_entry *chain);

/*
 * The owner of op waits with no deadline: count it blocked for good
 * (deadlock.c) until its waker (goc__op_wake()) or the owner itself, once
 * woken (goc__op_uncount_forever()), uncounts it. Nothing in release builds.
 */
#ifdef GOC__CHECKS
void goc__op_count_forever(goc__op *op);
void goc__op_uncount_forever(goc__op *op);
#else
static inline void goc__op_count_forever(goc__op *op) { (void)op; }
static inline void goc__op_uncount_forever(goc__op *op) { (void)op; }
#endif

/*
 * Park the calling thread until its op is woken (true) or, at `deadline`,
 * claim the op for itself (false: timed out). If a waker claimed the op
 * first, waits for its wake-up, however late: the waker is mid-transfer.
 */
bool goc__op_park(goc__op *op, int64_t deadline);

/*
 * goc__op_park() for an op whose waiters were queued under locks the
 * caller still holds: unlock(arg) releases them. A thread unlocks, then
 * parks. A task with no deadline unlocks on its worker's own context once
 * it is switched out, as Go's park_m runs chanparkcommit: no waker can see
 * the op until the task's park is committed, which then needs no atomic
 * exchange, and neither does its waker's wake-up (op->quiet_wake). unlock
 * must read all it needs before its first release: from then on the task
 * may run again and return. A task with a deadline unlocks first: its
 * timer may not be started under a channel lock (timer.c's lock order).
 * So do TSan builds: a channel lock's unchecked region belongs to the
 * fiber that took it.
 */
bool goc__op_park_unlock(goc__op *op, int64_t deadline, void (*unlock)(void *arg), void *arg);

/* ---- channels (chan.c, ring.c, select.c) --------------------------------- */

/*
 * Try case c on its unbuffered channel, whose lock is held (chan.c).
 * Returns GOC_OK or GOC_CLOSED when it proceeded (GOC_CLOSED for a send:
 * the caller panics), GOC_WOULDBLOCK when it cannot yet. A peer whose
 * blocked op it completed is chained onto *wake, to be woken once every
 * lock is released.
 */
goc_status goc__unbuffered_try(const goc_case *c, goc__waiter **wake);

/* goc_select() with what to show in goc_tasks_dump() while blocked. */
goc_status goc__select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen,
                       goc__blocked what);

/*
 * The ring of a buffered channel (ring.c). A ring operation runs in one of
 * two contexts: with no channel lock held (`locked` false), where it wakes
 * the waiters its move lets proceed itself; or with ch->mu held (`locked`
 * true: inside the select engine, or completing a waiter's case on its
 * behalf), where it leaves the waiters it claimed on `wake`, for the
 * caller to wake after unlocking.
 */
typedef struct goc__ring_ctx {
	/*
	 * The caller needs an exact "would block" (it will not wait, or is
	 * about to park): a slot whose peer is mid-copy is waited for, and the
	 * peer side's head or tail is read. Otherwise (a waiting caller that
	 * polls again) such a slot reports GOC_WOULDBLOCK at once, and the
	 * peer side's counter, which its owner is writing, is left alone.
	 */
	bool exact;
	bool locked;          /* the caller holds ch->mu */
	bool nested;          /* locked, on a waiter's behalf: no further hand-off */
	goc__waiter *wake;    /* locked: claimed waiters to wake after unlocking */
} goc__ring_ctx;

/*
 * What a ring operation that could not proceed saw: the positions (flags
 * but closed masked off) and the stamp of the slot that blocked it, all of
 * which only grow. An exact operation fills all three, for a select that
 * must tell whether all its cases were blocked at one moment; an inexact
 * one only the position it blocked at and the stamp, for watching.
 */
typedef struct goc__ring_obs {
	uint64_t head, tail, stamp;
	uint64_t far_index, far_stamp; /* inexact send: a slot further on, and its stamp (see ring.c) */
} goc__ring_obs;

/*
 * Send: GOC_OK (copied in), GOC_WOULDBLOCK (full; *obs filled) or GOC_CLOSED
 * (the caller panics). Receive: GOC_OK (copied out to elem unless NULL),
 * GOC_CLOSED (closed and drained; elem zeroed) or GOC_WOULDBLOCK (empty).
 * Neither waits except for a peer that is mid-operation on the same slot,
 * and, unlocked, for ch->mu when it must wake waiters (ring.c).
 */
goc_status goc__ring_send(goc_chan *ch, const void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx);
goc_status goc__ring_recv(goc_chan *ch, void *elem, goc__ring_obs *obs, goc__ring_ctx *ctx);

/*
 * Whether an operation on ch would proceed now, without doing it: true if
 * it would, or soon will (a peer is mid-copy on its slot), or the channel is
 * closed; false if it would block, with *obs filled as an exact blocked
 * operation fills it.
 */
bool goc__ring_ready(goc_chan *ch, goc_dir dir, goc__ring_obs *obs);

/* True if nothing that *obs (from an exact blocked operation) depends on has moved since. */
bool goc__ring_unmoved(goc_chan *ch, goc_dir dir, const goc__ring_obs *obs);

/*
 * A cheap look for a spinning waiter: true if the slot that blocked the
 * inexact operation behind *obs has moved (or, for a receive, the channel
 * was closed), so that polling again may succeed. Unless `near`, a send on
 * a large full ring: true only once a slot further on has moved too, so
 * that the sender resumes with many free slots (see ring.c).
 */
bool goc__ring_stirred(goc_chan *ch, goc_dir dir, const goc__ring_obs *obs, bool near);

/*
 * After queuing a waiter on ch (ch->mu held): make sure the move it waits
 * for will wake it, by setting the waiting flag in the counter that move
 * will change (see ring.c). False if instead the case may be ready now
 * (poll again rather than park).
 */
bool goc__ring_arm(goc_chan *ch, goc_dir dir);

/* Close a buffered channel's ring (ch->mu held): sends fail from now on. */
void goc__ring_close(goc_chan *ch);

/* Elements in the ring now (a snapshot), counting sends that are mid-copy. */
size_t goc__ring_len(goc_chan *ch);

/*
 * A channel. Unbuffered (cap 0): everything under mu, as in Go's runtime.
 * Buffered: a lock-free ring (ring.c) of `cap` slots, each a 64-bit stamp
 * then the element; mu guards only the wait queues of the slow path. The
 * read-mostly fields, the slow path, head and tail each get a cache line.
 */
struct goc_chan {
	size_t elem_size;          /* immutable */
	size_t cap;                /* immutable */
	uint64_t one_lap;          /* buffered: positions per lap: 4 * mark; immutable */
	uint64_t mark;             /* buffered: the power of two above cap; flags at it and at 2 * mark; immutable */
	size_t slot_size;          /* buffered: 8 + elem_size rounded up to 8; immutable */
	/*
	 * Buffered: cap slots, each an atomic stamp, then element bytes owned
	 * by whoever the stamp says (the sender or receiver that reserved the
	 * slot; ring.c). The pointer is immutable.
	 */
	unsigned char *ring;
	void *attached;            /* what goc__chan_free_hook releases (goc_after()'s timer), set before publication, else NULL */
	/*
	 * Buffered: set once by close, next to the fields every operation
	 * reads, so that a receiver finding the ring empty need not read tail
	 * (the closed flag there is authoritative). Relaxed: a hint only.
	 */
	atomic_bool shut;

	_Alignas(64) goc__lock mu;
	bool closed;               /* written under mu (buffered: mirrored by the closed flag in tail); see chan_closed_unlocked() */
	goc__waitq recvq;          /* blocked receivers; guarded by mu */
	goc__waitq sendq;          /* blocked senders; guarded by mu */
#ifdef GOC__TSAN
	/*
	 * TSan builds: close releases tsan_close once (under mu); an unbuffered
	 * receive that finds the channel closed acquires it (a buffered one
	 * acquires tail instead, ring.c). tsan_race is never really accessed:
	 * every send reports a read of it to TSan and close a write, so that a
	 * close concurrent with a send is a race, as in Go (chan.c).
	 */
	atomic_int tsan_close;
	unsigned char tsan_race;
#endif

	/* Buffered, atomic (ring.c): the next position to receive, | senders waiting. */
	_Alignas(64) _Atomic(uint64_t) head;
	/* Buffered, atomic (ring.c): the next position to send, | closed, | receivers waiting. */
	_Alignas(64) _Atomic(uint64_t) tail;
};

/*
 * Called by goc_chan_free() for a channel with something attached, to
 * release it. Set once, by timer.c before it attaches anything (so a
 * channel that has something attached orders the setting before the call).
 */
extern void (*goc__chan_free_hook)(goc_chan *ch);

/*
 * TSan builds: the close's edge (chan.c). Close publishes its history on
 * ch->tsan_close; an unbuffered receive that finds the channel closed
 * takes it. Nothing in other builds.
 */
#ifdef GOC__TSAN
static inline void goc__tsan_close_release(goc_chan *ch)
{
	/* Release: close happens-before an unbuffered receive that finds it closed. */
	atomic_store_explicit(&ch->tsan_close, 1, memory_order_release);
}

static inline void goc__tsan_close_acquire(goc_chan *ch)
{
	/* Acquire: pairs with the close's release. */
	(void)atomic_load_explicit(&ch->tsan_close, memory_order_acquire);
}
#else
static inline void goc__tsan_close_release(goc_chan *ch) { (void)ch; }
static inline void goc__tsan_close_acquire(goc_chan *ch) { (void)ch; }
#endif

/* ---- timers (timer.c) ----------------------------------------------------- */

/*
 * A one-shot timer served by libgoc's timer thread. `fire` runs on that
 * thread, or on a worker of the M:N scheduler between tasks
 * (goc__timer_poll()), with the timer lock held: it must not block and
 * must not start or stop timers. Lock order: timer lock, then context
 * lock, then channel locks.
 */
typedef struct goc__timer {
	int64_t when;                          /* guarded by the timer lock */
	size_t index;                          /* heap slot, or SIZE_MAX when not pending; guarded by the timer lock */
	void (*fire)(struct goc__timer *timer); /* immutable while pending */
} goc__timer;

/*
 * Arm timer to fire at `when`. A timer is not pending when zeroed or after
 * it fired or was stopped; arming a pending one panics. GOC_NOMEM if the
 * heap cannot grow.
 */
goc_status goc__timer_start(goc__timer *timer, int64_t when, void (*fire)(goc__timer *timer));

/*
 * Disarm. True if it was pending (and now will not fire). After the call
 * returns, fire is not running and will not run for this arming.
 */
bool goc__timer_stop(goc__timer *timer);

/*
 * At exit, in TSan builds: stop the timer thread and wait until it is gone
 * (ThreadSanitizer sleeps a second at exit while other threads live).
 * Timers started afterwards never fire.
 */
void goc__timer_retire(void);

/*
 * Fire the timers that are due, unless the timer lock is busy: a worker
 * of the M:N scheduler calls it between tasks, as Go's processors run
 * their own timers, so that a timer falls due without waiting for the
 * timer thread to wake. True if it fired any. Cheap when none is due: a
 * load, and a clock read if one is pending. Not in TSan builds, where a
 * worker's own context is invisible to TSan and fire()'s edges must be
 * seen: there the timer thread alone fires.
 */
bool goc__timer_poll(void);

/* Whether a timer is pending; how many timer threads are alive (0 or 1). */
bool goc__timers_pending(void);
size_t goc__timer_threads(void);

#endif /* GOC_INTERNAL_H */
