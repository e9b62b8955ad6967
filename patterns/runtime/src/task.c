/*
 * task.c - tasks (goc_go) on a pool of reusable threads, and the per-thread
 * records libgoc keeps: the id of what runs on the thread, the select RNG
 * and what the thread is blocked in, listed in one registry for
 * goc_tasks_dump().
 *
 * Making a thread costs tens of microseconds; handing a function to a
 * thread that is already waiting costs a few cache-line transfers. So the
 * thread of a task whose function returned becomes an idle worker and waits
 * to be handed another task. With a second CPU (the spawner needs one), a
 * few idle workers spin for a moment in a spinner slot, from which goc_go()
 * takes them without a lock or a system call; the others, and spinners that
 * waited in vain, sleep on a futex in a LIFO list (the most recently idled
 * first: its cache is the warmest). goc_go() takes a spinner, else waits a
 * moment for one to come back when that has been paying off (a loop that
 * spawns short tasks), else wakes a sleeper, and makes a thread only when
 * no worker is idle. A worker asleep for GOC__POOL_IDLE_NS exits, and so
 * does one that would be more than GOC__POOL_MAX_IDLE on the list. A worker
 * holds its record and the task handed to it for its whole life, so
 * starting a task on an idle worker allocates nothing.
 *
 * Records: a pooled thread's record is made with the thread, and each task
 * it runs takes a fresh id; an idle worker's record is skipped by
 * goc_tasks_dump(). A foreign thread's record (main, raw pthreads) is made on
 * its first use of libgoc and dropped by a thread-specific-data destructor
 * when the thread exits.
 *
 * Lock order: the pool lock and the registry lock are leaves (nothing is
 * taken under either; neither is taken under the other).
 *
 * ThreadSanitizer. Reusing threads must not give TSan edges that Go does
 * not have: two tasks that ran in turn on one thread are ordered by the
 * thread's program order, which would hide every race between them. So in
 * TSan builds each task runs in its own TSan fiber (a context with its own
 * vector clock), and the edges are exactly Go's:
 *   - goc_go() happens-before the task starts: the caller makes the task's
 *     fiber, and TSan orders a fiber's creation before everything in it, as
 *     it orders pthread_create() before the new thread;
 *   - nothing from a task's end: the worker leaves the fiber without a
 *     sync (__tsan_switch_to_fiber_no_sync) and destroys it detached.
 * The worker's own context (the thread's TSan thread) must then stay out of
 * every task's history, since each task's fiber is entered with a sync from
 * it (the fiber must see how the thread set up its stack and TLS): the
 * thread is created with TSan ignoring synchronization (it inherits nothing
 * from whoever goc_go() made it for), and everything the worker does
 * between tasks is GOC__TSAN_PRIVATE, so it acquires nothing.
 * Two traces of the previous task would still make TSan report races that
 * are not there. Its accesses to the thread's stack: before each task the
 * worker maps fresh pages over the part of the stack that tasks use
 * (tsan_stack_forget()), which resets TSan's shadow of it. And its writes to
 * thread-local storage (errno, a program's _Thread_local), which cannot be
 * remapped: the thread's static TLS block is declared a benign race range,
 * since no other thread reaches it but through a pointer to it. TSan has
 * no way to take such a range back, so in TSan builds a pooled thread never
 * exits (no idle limit, no idle timeout): its TLS block stays its own and
 * the range never comes to cover other memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "goc_internal.h"

#ifdef GOC__TSAN
#include <sanitizer/tsan_interface.h>
#include <sys/mman.h>
#include <unistd.h>
void AnnotateBenignRaceSized(const char *file, int line, const volatile void *mem, size_t size,
                             const char *desc);
#endif

/* 256 KiB: see task.h for why. */
#define GOC__TASK_STACK (256u * 1024u)

/* How long goc_go() keeps retrying while the system is out of threads. */
#define GOC__SPAWN_PATIENCE_NS (10LL * 1000000000)

/*
 * Idle workers beyond this many exit at once: the pool keeps at most this
 * many threads for nothing. An idle worker exits after GOC__POOL_IDLE_NS
 * without a task. Neither in TSan builds (see the file comment).
 */
#ifdef GOC__TSAN
#define GOC__POOL_MAX_IDLE SIZE_MAX
#define GOC__POOL_IDLE_NS 0
#else
#define GOC__POOL_MAX_IDLE 64
#define GOC__POOL_IDLE_NS (5LL * 1000000000)
#endif

/*
 * How long an idle worker spins before it sleeps, given a second CPU. A
 * burst of goc_go() calls (a loop spawning tasks) comes well within it, and
 * catching the next task while spinning saves the spawner a futex wake-up
 * and the task the tens of microseconds a sleeping thread takes to resume.
 * After the first GOC__POOL_PAUSE_NS it yields the CPU between looks: on a
 * busy machine the spawner may be waiting for this very CPU (measured with
 * the spawn benchmark under load, pure spinning ran out of time 50 times as
 * often).
 */
#define GOC__POOL_SPIN_NS 20000
#define GOC__POOL_PAUSE_NS 2000

/*
 * How long goc_go() may wait for a spinner to come back (pool_claim_spinner()),
 * and the most credit that waiting can build up.
 */
#define GOC__POOL_WAIT_NS 1000
#define GOC__POOL_WAIT_CREDIT_MAX 16

/* The most idle workers that spin at once (see pool_spinner). */
#define GOC__POOL_SPINNERS 4

/*
 * TSan builds: the stack below the worker's outermost frame that its own
 * context uses between tasks (the mmap() of tsan_stack_forget(), fiber
 * switches, waiting), and the pad that task_run() keeps between it and the
 * task: tsan_stack_forget() resets everything below the first, rounded down
 * to a page, and the pad is larger by the most such rounding can take (on
 * pages of up to 16 KiB), so the task runs wholly in the part it resets.
 */
#define GOC__TSAN_OWN_STACK (16u * 1024u)
#define GOC__TSAN_STACK_PAD (GOC__TSAN_OWN_STACK + 16u * 1024u)

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static goc__task *registry;           /* guarded by registry_mu */
static atomic_uint_fast64_t next_id;  /* relaxed: ids need only be unique */
/*
 * Relaxed: a count that orders nothing. Go gives no happens-before edge from
 * a goroutine's exit, so neither may this, or TSan would miss races.
 */
static atomic_size_t live_tasks;
/* Relaxed, both: counts for the deadlock check (deadlock.c), which orders nothing. */
static atomic_size_t foreign_threads; /* records of kind GOC__REC_THREAD */
static atomic_size_t pool_threads;    /* pooled threads alive */

static _Thread_local goc__task *tls_self;
static pthread_key_t exit_key;        /* its destructor drops a foreign thread's record */
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

/* worker.state: the futex word goc_go() hands a task through. */
enum {
	W_IDLE = 0,  /* idle and awake: in a spinner slot, or listed and about to sleep */
	W_SLEEPING,  /* listed, and may be asleep in futex_wait: a hand-off must wake it */
	W_HANDED,    /* fn and arg (and fiber) are set: run them; stays so until idle again */
	W_RETIRE     /* exit (TSan builds, at the program's exit: pool_retire()) */
};

/*
 * A pooled thread, from its creation by goc_go() to its exit. Made by
 * goc_go() with the thread's first task, freed by the thread.
 */
typedef struct worker {
	goc__task rec;              /* the thread's record, from its start to its exit */
	atomic_int state;           /* W_*; see each store for its order */
	goc_task_fn fn;             /* the handed task: the claimer's (who took w idle) until W_HANDED, then w's */
	void *arg;                  /* likewise */
	struct worker *next, *prev; /* the idle list; guarded by pool_mu */
	bool listed;                /* on the idle list; guarded by pool_mu */
#ifdef GOC__TSAN
	pthread_t tid;              /* set by the thread before it first idles; read by pool_retire() */
	char tasks_ended;           /* each task's end releases this address; the worker's exit acquires it */
	void *fiber;                /* the handed task's TSan fiber; as fn */
	char *stack_lo;             /* lowest usable byte of the stack; worker thread only */
	char *stack_top;            /* the worker's outermost frame; worker thread only */
#endif
} worker;

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;
static goc__lock pool_mu;       /* initialized by pool_init() */
static bool pool_retired;       /* the program is exiting: idle workers exit; guarded by pool_mu */
static worker *pool_idle;       /* most recently idled first; guarded by pool_mu */
static size_t pool_nidle;       /* workers on pool_idle; guarded by pool_mu */
static worker *pool_orphans;    /* a fork child's copies of its parent's workers (for LSan); guarded by pool_mu */

/*
 * Spinner slots: an idle worker that spins holds one, and goc_go() claims
 * it by exchanging it out, without the lock. One fewer than the usable CPUs
 * (the spawner needs one), and at most GOC__POOL_SPINNERS: idle workers that
 * find no free slot sleep at once, so that spinners never crowd out threads
 * with work. Each slot has its own cache line.
 */
static struct {
	_Alignas(64) _Atomic(worker *) w; /* a spinning worker, or NULL */
} pool_spinner[GOC__POOL_SPINNERS];
static int pool_nspinners;      /* slots in use: set by pool_init() (pool_once orders it), then read-only */
static atomic_int pool_wait_credit; /* relaxed: a heuristic (pool_claim_spinner()) */

/* ---- records -------------------------------------------------------------- */

/*
 * fork() copies the registry whole: registry_mu is held across it
 * (fork.c), from the program's start, before any thread can take it. The
 * child's copy still lists its parent's threads, as they were.
 */
__attribute__((constructor)) static void registry_fork_install(void)
{
	goc__fork_hold_mutex(GOC__FORK_REGISTRY, &registry_mu, NULL);
}

static void registry_link(goc__task *t)
{
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&registry_mu));
	t->next = registry;
	if (registry)
		registry->prev = t;
	registry = t;
	GOC_PT(pthread_mutex_unlock(&registry_mu));
	GOC__TSAN_PRIVATE_END();
}

static void registry_unlink(goc__task *t)
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
}

static uint64_t id_next(void)
{
	/* Relaxed: ids need only be unique. */
	return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed) + 1;
}

void goc__record_start(goc__task *t, int kind)
{
	uint64_t id = id_next();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t seed = id ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
	uint64_t rng = goc__splitmix64(&seed);
	/* Relaxed, all three: the record is not shared until registry_link() publishes it. */
	atomic_store_explicit(&t->id, id, memory_order_relaxed);
	atomic_store_explicit(&t->kind, kind, memory_order_relaxed);
	atomic_store_explicit(&t->rng, rng ? rng : 1, memory_order_relaxed); /* xorshift's one fixed point */
	registry_link(t);
}

void goc__record_task(goc__task *t)
{
	uint64_t id = id_next();
	uint64_t seed = id;
	uint64_t rng = goc__splitmix64(&seed);
	/* Relaxed, all: the record is its task's (see goc__task). */
	atomic_store_explicit(&t->id, id, memory_order_relaxed);
	atomic_store_explicit(&t->rng, rng ? rng : 1, memory_order_relaxed);
	atomic_store_explicit(&t->kind, GOC__REC_TASK, memory_order_relaxed);
}

void goc__record_end(goc__task *t)
{
	registry_unlink(t);
}

void goc__task_set_self(goc__task *t)
{
	tls_self = t;
}

void goc__task_ended(void)
{
	/* Relaxed: the count must not order a finished task before its readers (see live_tasks). */
	atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
}

static void exit_key_destructor(void *p)
{
	/* Relaxed: see foreign_threads. */
	atomic_fetch_sub_explicit(&foreign_threads, 1, memory_order_relaxed);
	if (p == tls_self)
		tls_self = NULL;
	registry_unlink(p);
	free(p);
}

static void exit_key_make(void)
{
	GOC_PT(pthread_key_create(&exit_key, exit_key_destructor));
}

goc__task *goc__task_self(void)
{
	if (tls_self)
		return tls_self;
	/* A foreign thread: pooled threads set tls_self when they start. */
	GOC_PT(pthread_once(&exit_key_once, exit_key_make));
	goc__task *t = calloc(1, sizeof *t);
	if (!t)
		goc__die("calloc(goc__task)", ENOMEM);
	goc__record_start(t, GOC__REC_THREAD);
	/* Relaxed: see foreign_threads. */
	atomic_fetch_add_explicit(&foreign_threads, 1, memory_order_relaxed);
	tls_self = t;
	GOC_PT(pthread_setspecific(exit_key, t));
	return t;
}

size_t goc__foreign_threads(void)
{
	/* Relaxed: see foreign_threads. */
	return atomic_load_explicit(&foreign_threads, memory_order_relaxed);
}

size_t goc__pool_threads(void)
{
	/* Relaxed: see foreign_threads. */
	return atomic_load_explicit(&pool_threads, memory_order_relaxed);
}

uint64_t goc__task_id_known(void)
{
	/* Relaxed: the owner reads its own record. */
	return tls_self ? atomic_load_explicit(&tls_self->id, memory_order_relaxed) : 0;
}

uint64_t goc_task_id(void)
{
	/* Relaxed: the owner reads its own record. */
	return atomic_load_explicit(&goc__task_self()->id, memory_order_relaxed);
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
	/* Relaxed: only the owner thread uses its RNG (atomic for TSan: see goc__task). */
	uint64_t x = atomic_load_explicit(&self->rng, memory_order_relaxed);
	for (;;) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint32_t r = (uint32_t)((x * 0x2545f4914f6cdd1du) >> 32);
		uint64_t m = (uint64_t)r * n;
		if ((uint32_t)m < n) {
			if (threshold == 0)
				threshold = (uint32_t)(-n) % n;
			if ((uint32_t)m < threshold)
				continue;
		}
		atomic_store_explicit(&self->rng, x, memory_order_relaxed);
		return (uint32_t)(m >> 32);
	}
}

/* ---- the pool --------------------------------------------------------------- */

/* pool_mu is held: take w off the idle list. */
static void pool_unlist(worker *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		pool_idle = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	w->listed = false;
	pool_nidle--;
}

/*
 * fork() copies the pool but not its threads: a child that handed a task
 * to one would wait for it forever. The handlers hold pool_mu across the
 * fork, so that the list is copied whole, and the child starts with an
 * empty pool. (A spinner may leave its slot meanwhile; then it just is not
 * orphaned, and its copy in the child is unreachable, like any object of a
 * thread that fork() did not copy.) Private to TSan, as every use of
 * pool_mu: the fork must not order the forking thread after the pool's users.
 */
static void pool_fork_prepare(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_acquire(&pool_mu);
	GOC__TSAN_PRIVATE_END();
}

static void pool_fork_parent(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_release(&pool_mu);
	GOC__TSAN_PRIVATE_END();
}

static void pool_orphan(worker *w)
{
	/* Chained through `next`, so that leak checkers still see it reachable. */
	w->next = pool_orphans;
	pool_orphans = w;
}

static void pool_fork_child(void)
{
	/*
	 * Relaxed, all: the child has one thread. Its parent's tasks and
	 * other threads are not in it: it has no task, no pooled thread, and
	 * one thread of its own, which is not a task here.
	 */
	atomic_store_explicit(&live_tasks, 0, memory_order_relaxed);
	atomic_store_explicit(&pool_threads, 0, memory_order_relaxed);
	atomic_store_explicit(&foreign_threads, 1, memory_order_relaxed);
	while (pool_idle) {
		worker *w = pool_idle;
		pool_unlist(w);
		pool_orphan(w);
	}
	for (int i = 0; i < GOC__POOL_SPINNERS; i++) {
		/* Relaxed: the child has one thread. */
		worker *w = atomic_exchange_explicit(&pool_spinner[i].w, NULL, memory_order_relaxed);
		if (w)
			pool_orphan(w);
	}
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_release(&pool_mu);
	GOC__TSAN_PRIVATE_END();
}

static worker *pool_take_spinner(void);
static goc_status thread_go(goc_task_fn fn, void *arg);

#ifdef GOC__CHECKS
/* How long the leak check waits for tasks that are returning (a last goc_wg_done() made, say). */
#define GOC__LEAK_WAIT_NS (200LL * 1000000)

/*
 * The task leak check (tsan and debug builds): tasks still running when
 * the program exits, after a moment's grace, are listed with what they
 * are blocked in, as goleak does for Go.
 */
static void leak_check(void)
{
	if (!goc__checks_on())
		return;
	/* A task that called exit() is still running, but it is no leak. */
	size_t self = tls_self && atomic_load_explicit(&tls_self->kind, memory_order_relaxed) == GOC__REC_TASK;
	int64_t until = goc_deadline_after(GOC__LEAK_WAIT_NS);
	/* nanosleep, not goc_sleep(): a task of the M:N scheduler calling exit() must not park here. */
	struct timespec ms = { 0, 1000000 };
	while (goc_tasks_live() > self && goc_now() < until)
		nanosleep(&ms, NULL);
	size_t live = goc_tasks_live();
	if (live <= self)
		return;
	live -= self;
	fprintf(stderr, "goc: task leak: %zu task(s) still running at exit\n", live);
	goc_tasks_dump(stderr);
	fputc('\n', stderr);
}
#endif

#ifdef GOC__TSAN
/*
 * At exit, in TSan builds: make the idle workers and the timer thread exit
 * and join them. ThreadSanitizer sleeps a second at exit while any other
 * thread lives (to let it finish a report), which made every run of a
 * program that had started a task cost a second more. Workers running a
 * task (a leak) go on and keep that sleep.
 */
static void pool_retire(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	size_t n = 0, cap = 0;
	pthread_t *tids = NULL;
	goc__lock_acquire(&pool_mu);
	pool_retired = true;
	for (;;) {
		worker *w = pool_idle;
		if (!w) {
			goc__lock_release(&pool_mu);
			w = pool_take_spinner();
			goc__lock_acquire(&pool_mu);
			if (!w)
				break;
		} else {
			pool_unlist(w);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			pthread_t *more = realloc(tids, cap * sizeof *tids);
			if (!more)
				break; /* out of memory at exit: leave the rest to TSan's sleep */
			tids = more;
		}
		/* The tid before the hand-off: once told, the worker frees w. */
		tids[n++] = w->tid;
		/* Release: as worker_hand()'s. */
		if (atomic_exchange_explicit(&w->state, W_RETIRE, memory_order_release) == W_SLEEPING)
			goc__futex_wake(&w->state, 1);
	}
	goc__lock_release(&pool_mu);
	for (size_t i = 0; i < n; i++)
		GOC_PT(pthread_join(tids[i], NULL));
	free(tids);
	goc__sched_retire();
	goc__timer_retire();
	GOC__TSAN_PRIVATE_END();
}
#endif

static void pool_at_exit(void)
{
#ifdef GOC__CHECKS
	leak_check();
#endif
#ifdef GOC__TSAN
	pool_retire();
#endif
}

static void pool_init(void)
{
	goc__lock_init(&pool_mu);
	int cpus = goc__usable_cpus();
	pool_nspinners = cpus - 1 < GOC__POOL_SPINNERS ? cpus - 1 : GOC__POOL_SPINNERS;
	goc__fork_handlers(GOC__FORK_POOL, pool_fork_prepare, pool_fork_parent, pool_fork_child);
	/* Private: TSan's atexit() would order the first goc_go() before the program's exit. */
	GOC__TSAN_PRIVATE_BEGIN();
	int rc = atexit(pool_at_exit);
	GOC__TSAN_PRIVATE_END();
	if (rc != 0)
		goc__die("atexit", ENOMEM);
}

/* Hand fn(arg) to w, which is ours (claimed), awake or asleep. Called private. */
static void worker_hand(worker *w, goc_task_fn fn, void *arg, void *fiber)
{
	w->fn = fn;
	w->arg = arg;
#ifdef GOC__TSAN
	w->fiber = fiber;
#endif
	(void)fiber;
	/* Release: the worker's acquire of W_HANDED sees fn, arg and fiber. */
	if (atomic_exchange_explicit(&w->state, W_HANDED, memory_order_release) == W_SLEEPING)
		goc__futex_wake(&w->state, 1);
}

/* Take a spinning worker from its slot, or NULL. */
static worker *pool_take_spinner(void)
{
	for (int i = 0; i < pool_nspinners; i++) {
		/* Relaxed: a hint that spares the exchange's cache-line steal when the slot is empty. */
		if (atomic_load_explicit(&pool_spinner[i].w, memory_order_relaxed)) {
			/* Acquire: pairs with the spinner's release into the slot (its state is W_IDLE). */
			worker *w = atomic_exchange_explicit(&pool_spinner[i].w, NULL, memory_order_acquire);
			if (w)
				return w;
		}
	}
	return NULL;
}

/*
 * Take a spinning worker, waiting up to GOC__POOL_WAIT_NS for one when
 * pool_wait_credit says that spinners have been coming back: in a burst of
 * goc_go() calls the spinner is usually finishing the previous task, and
 * waiting a few hundred nanoseconds for it beats waking a sleeper (a
 * system call here, tens of microseconds until it runs). Hand-offs to
 * spinners raise the credit, waits in vain lower it four times as much, so
 * that a program whose tasks do not come back soon (long-lived tasks) stops
 * waiting after a few misses. Called private.
 */
static worker *pool_claim_spinner(void)
{
	if (pool_nspinners == 0)
		return NULL;
	/* Relaxed, every access to the credit: a heuristic, whose races only misjudge one wait. */
	int credit = atomic_load_explicit(&pool_wait_credit, memory_order_relaxed);
	worker *w = pool_take_spinner();
	if (!w && credit > 0) {
		int64_t until = goc_deadline_after(GOC__POOL_WAIT_NS);
		/* Wait for a spinner; the clock is read every 8 turns (about 200 ns). */
		for (unsigned turn = 1; !w; turn++) {
			goc__cpu_relax();
			w = pool_take_spinner();
			if (!w && turn % 8 == 0 && goc_now() >= until)
				break;
		}
	}
	if (w && credit < GOC__POOL_WAIT_CREDIT_MAX)
		atomic_store_explicit(&pool_wait_credit, credit + 1, memory_order_relaxed);
	else if (!w && credit > 0)
		atomic_store_explicit(&pool_wait_credit, credit - 4, memory_order_relaxed);
	return w;
}

/*
 * Hand fn(arg) to an idle worker, a spinning one if any (no system call
 * then, and it starts at once), else the most recently idled sleeper; false
 * if no worker is idle. TSan: private (see the file comment); the caller
 * made `fiber`.
 */
static bool pool_hand(goc_task_fn fn, void *arg, void *fiber)
{
	GOC__TSAN_PRIVATE_BEGIN();
	worker *w = pool_claim_spinner();
	if (!w) {
		goc__lock_acquire(&pool_mu);
		w = pool_idle;
		if (w)
			pool_unlist(w);
		goc__lock_release(&pool_mu);
	}
	if (w)
		worker_hand(w, fn, arg, fiber);
	GOC__TSAN_PRIVATE_END();
	return w != NULL;
}

/* True once w was handed a task, or told to retire. */
static bool worker_handed(worker *w)
{
	/* Acquire: see the claimer's fn, arg and fiber. */
	int state = atomic_load_explicit(&w->state, memory_order_acquire);
	return state == W_HANDED || state == W_RETIRE;
}

/*
 * Sleep until w is handed a task (true) or `deadline` passes (false; it may
 * be handed one at any moment after, and then this is called again).
 */
static bool worker_await(worker *w, int64_t deadline)
{
	int seen = W_IDLE;
	/*
	 * Announce the sleep (unless an earlier call did), so that the claimer
	 * wakes us. Acquire on failure: if the state is W_HANDED, we are about
	 * to read fn and arg.
	 */
	if (!atomic_compare_exchange_strong_explicit(&w->state, &seen, W_SLEEPING, memory_order_acquire,
	                                             memory_order_acquire) &&
	    (seen == W_HANDED || seen == W_RETIRE))
		return true;
	/* Re-check after every wake-up, spurious or not, and once more at the deadline. */
	for (;;) {
		int rc = goc__futex_wait_until(&w->state, W_SLEEPING, deadline);
		if (worker_handed(w))
			return true;
		if (rc == ETIMEDOUT)
			return false;
	}
}

/*
 * After a task, with a second CPU: take a free spinner slot and spin there
 * for the next task, for at most GOC__POOL_SPIN_NS. True if handed one;
 * false (and out of the slot) if no slot was free or none came. Called
 * private.
 */
static bool worker_spin(worker *w)
{
	/* Relaxed: pool_mu or the last hand-off ordered the state's last writes before this. */
	atomic_store_explicit(&w->state, W_IDLE, memory_order_relaxed);
	for (int i = 0; i < pool_nspinners; i++) {
		worker *none = NULL;
		/* Release: a claimer that takes us from the slot sees W_IDLE. */
		if (!atomic_compare_exchange_strong_explicit(&pool_spinner[i].w, &none, w, memory_order_release,
		                                             memory_order_relaxed))
			continue;
		int64_t start = goc_now();
		/* Spin, then spin yielding: see GOC__POOL_SPIN_NS. The clock is read every 32 turns (about 1 us). */
		for (unsigned turn = 1;; turn++) {
			if (worker_handed(w))
				return true;
			goc__cpu_relax();
			if (turn % 32 == 0) {
				int64_t spun = goc_now() - start;
				if (spun >= GOC__POOL_SPIN_NS)
					break;
				if (spun >= GOC__POOL_PAUSE_NS)
					sched_yield();
			}
		}
		worker *self = w;
		/* Relaxed: leaving the slot publishes nothing; failing means a claimer took us. */
		if (atomic_compare_exchange_strong_explicit(&pool_spinner[i].w, &self, NULL, memory_order_relaxed,
		                                            memory_order_relaxed))
			return false;
		/* Claimed: the hand-off is a few instructions away, unless the claimer was preempted. */
		for (int turn = 0; turn < 64; turn++) {
			if (worker_handed(w))
				return true;
			goc__cpu_relax();
		}
		return worker_await(w, GOC_FOREVER);
	}
	return false;
}

/*
 * List the worker as idle and sleep until a task is handed to it (true) or
 * it has been idle too long (false: unlisted, it exits). False at once if
 * the list is full. Called private.
 */
static bool worker_sleep(worker *w)
{
	goc__lock_acquire(&pool_mu);
	bool listed = !pool_retired && pool_nidle < GOC__POOL_MAX_IDLE;
	if (listed) {
		/* Relaxed: pool_mu publishes it to the claimer that unlists us. */
		atomic_store_explicit(&w->state, W_IDLE, memory_order_relaxed);
		w->prev = NULL;
		w->next = pool_idle;
		if (pool_idle)
			pool_idle->prev = w;
		pool_idle = w;
		w->listed = true;
		pool_nidle++;
	}
	goc__lock_release(&pool_mu);
	if (!listed)
		return false;
	if (worker_await(w, GOC__POOL_IDLE_NS ? goc_deadline_after(GOC__POOL_IDLE_NS) : GOC_FOREVER))
		return true;
	goc__lock_acquire(&pool_mu);
	bool claimed = !w->listed;
	if (!claimed)
		pool_unlist(w);
	goc__lock_release(&pool_mu);
	/* Claimed after all: the claimer is about to hand us its task. */
	return claimed && worker_await(w, GOC_FOREVER);
}

/* After a task: wait for the next (true), or exit (false). */
static bool worker_idle(worker *w)
{
	GOC__TSAN_PRIVATE_BEGIN();
	bool handed = worker_spin(w) || worker_sleep(w);
	/* Relaxed: worker_handed() acquired it. */
	handed = handed && atomic_load_explicit(&w->state, memory_order_relaxed) != W_RETIRE;
	GOC__TSAN_PRIVATE_END();
	return handed;
}

#ifdef GOC__TSAN
void goc__tsan_tls_benign(char *top)
{
	GOC__TSAN_PRIVATE_BEGIN();
	/*
	 * glibc keeps a thread's static TLS just below its thread control block,
	 * at pthread_self(), above the stack: the span from our outermost frame
	 * up to it holds the TLS and the frames of the thread's start, which
	 * only this thread uses. Checked against errno's place, which is in it.
	 */
	char *hi = (char *)pthread_self();
	char *e = (char *)&errno;
	if (top < e && e < hi)
		AnnotateBenignRaceSized(__FILE__, __LINE__, top, (size_t)(hi - top),
		                        "goc: the thread-local storage of a libgoc thread, used by its tasks in turn");
	GOC__TSAN_PRIVATE_END();
}

/* Note the thread's stack, and declare its static TLS block a benign race range (file comment). */
static void tsan_worker_init(worker *w, char *top)
{
	GOC__TSAN_PRIVATE_BEGIN();
	pthread_attr_t attr;
	void *lo;
	size_t size;
	GOC_PT(pthread_getattr_np(pthread_self(), &attr));
	GOC_PT(pthread_attr_getstack(&attr, &lo, &size));
	GOC_PT(pthread_attr_destroy(&attr));
	w->stack_lo = lo;
	w->stack_top = top;
	GOC__TSAN_PRIVATE_END();
	goc__tsan_tls_benign(top);
}

/*
 * Map fresh pages over the stack below what the worker's own context uses,
 * where the previous task ran: TSan's mmap() interceptor resets its shadow there
 * (ignoring accesses, it clears the shadow instead of imitating a write).
 */
static void tsan_stack_forget(worker *w)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)w->stack_lo + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)w->stack_top - GOC__TSAN_OWN_STACK) & ~(page - 1);
	if (hi <= lo)
		return;
	GOC__TSAN_PRIVATE_BEGIN();
	void *p = mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_STACK, -1, 0);
	GOC__TSAN_PRIVATE_END();
	if (p == MAP_FAILED)
		goc__die("mmap(task stack)", errno);
}
#endif

/*
 * Run one task on the worker, in its own TSan fiber in TSan builds. Not
 * inlined: its pad must lie below the worker's own frames.
 */
static __attribute__((noinline)) void task_run(worker *w, goc_task_fn fn, void *arg)
{
#ifdef GOC__TSAN
	/*
	 * The task's frames go below the pad, in the part tsan_stack_forget()
	 * resets. The empty asm only makes the compiler keep the pad (it is
	 * never accessed: TSan would see a task's access to it).
	 */
	char pad[GOC__TSAN_STACK_PAD];
	__asm__ volatile("" : : "r"(pad));
#endif
	goc__task *rec = &w->rec;
	/* Relaxed, all: the record is the owner's (see goc__task). */
	atomic_store_explicit(&rec->id, id_next(), memory_order_relaxed);
	atomic_store_explicit(&rec->kind, GOC__REC_TASK, memory_order_relaxed);
	GOC__CHAOS();
	fn(arg);
	atomic_store_explicit(&rec->kind, GOC__REC_IDLE, memory_order_relaxed);
	goc__task_ended();
}

/* Run the task handed to the worker. */
static __attribute__((noinline)) void worker_run(worker *w)
{
	GOC__TSAN_PRIVATE_BEGIN();
	goc_task_fn fn = w->fn;
	void *arg = w->arg;
#ifdef GOC__TSAN
	void *fiber = w->fiber;
#endif
	GOC__TSAN_PRIVATE_END();
#ifdef GOC__TSAN
	void *self = __tsan_get_current_fiber();
	tsan_stack_forget(w);
	/* With a sync: the fiber sees this thread's set-up, which is all it has ever done (file comment). */
	__tsan_switch_to_fiber(fiber, 0);
#endif
	task_run(w, fn, arg);
#ifdef GOC__TSAN
	/*
	 * No sync: a task's end orders nothing for the tasks after it. It
	 * does for the thread's exit (worker_main()), which no task follows.
	 */
	__tsan_release(&w->tasks_ended);
	__tsan_switch_to_fiber(self, __tsan_switch_to_fiber_no_sync);
	__tsan_destroy_fiber(fiber);
#endif
}

/* A pooled thread: its first task, then each one handed to it, until it has idled too long. */
static void *worker_main(void *p)
{
	worker *w = p;
	GOC__TSAN_PRIVATE_BEGIN();
	goc__record_start(&w->rec, GOC__REC_IDLE);
	tls_self = &w->rec;
	/*
	 * "goc-w" and the kernel's id of the thread, for debuggers, top and goc
	 * race's exit check, which leaves libgoc's own threads out: a thread a
	 * task starts inherits the name, but not the id in it.
	 */
	char name[16];
	snprintf(name, sizeof name, "goc-w%ld", (long)gettid());
	(void)pthread_setname_np(pthread_self(), name);
#ifdef GOC__TSAN
	w->tid = pthread_self();
#endif
	GOC__TSAN_PRIVATE_END();
#ifdef GOC__TSAN
	tsan_worker_init(w, __builtin_frame_address(0));
#endif
	do
		worker_run(w);
	while (worker_idle(w));
	GOC__TSAN_PRIVATE_BEGIN();
#ifdef GOC__TSAN
	/* Joinable in TSan builds for pool_retire(); one that exits otherwise is joined by nobody. */
	if (atomic_load_explicit(&w->state, memory_order_relaxed) != W_RETIRE)
		GOC_PT(pthread_detach(pthread_self()));
#endif
	tls_self = NULL;
	registry_unlink(&w->rec);
	/* Relaxed: see foreign_threads. */
	atomic_fetch_sub_explicit(&pool_threads, 1, memory_order_relaxed);
	GOC__TSAN_PRIVATE_END();
#ifdef GOC__TSAN
	/*
	 * The thread's exit comes after every task that ran on it: freeing w,
	 * and the destructors of the thread-specific values those tasks set
	 * (pthread_setspecific), which run as the thread exits. No task runs
	 * on this thread after this, so the edge orders nothing else.
	 */
	__tsan_acquire(&w->tasks_ended);
#endif
	free(w);
	return NULL;
}

/* Make a thread for fn(arg): 0 or pthread_create()'s error. */
static int worker_start(goc_task_fn fn, void *arg, void *fiber)
{
	GOC__TSAN_PRIVATE_BEGIN();
	int rc = ENOMEM;
	worker *w = calloc(1, sizeof *w);
	if (w) {
		w->fn = fn;
		w->arg = arg;
#ifdef GOC__TSAN
		w->fiber = fiber;
#endif
		/* Its first task needs no hand-off: pthread_create() publishes fn and arg. */
		atomic_init(&w->state, W_HANDED);
		pthread_attr_t attr;
		GOC_PT(pthread_attr_init(&attr));
#ifndef GOC__TSAN
		/* TSan builds join idle workers at exit (pool_retire()). */
		GOC_PT(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
#endif
		GOC_PT(pthread_attr_setstacksize(&attr, GOC__TASK_STACK));
		pthread_t tid;
		/* TSan: ignoring synchronization here, the thread inherits nothing from us (file comment). */
		/* Relaxed: see foreign_threads. Counted first, so the thread never shows uncounted. */
		atomic_fetch_add_explicit(&pool_threads, 1, memory_order_relaxed);
		rc = pthread_create(&tid, &attr, worker_main, w);
		GOC_PT(pthread_attr_destroy(&attr));
		if (rc != 0) {
			atomic_fetch_sub_explicit(&pool_threads, 1, memory_order_relaxed);
			free(w);
		}
	}
	GOC__TSAN_PRIVATE_END();
	(void)fiber;
	return rc;
}

goc_status goc_go(goc_task_fn fn, void *arg)
{
	GOC__CHAOS();
	GOC_PT(pthread_once(&pool_once, pool_init));
	if (!goc__sched_on())
		return thread_go(fn, arg);
	/* Relaxed: see live_tasks. */
	atomic_fetch_add_explicit(&live_tasks, 1, memory_order_relaxed);
	goc__progress();
	goc_status st = goc__sched_go(fn, arg);
	if (st != GOC_OK)
		goc__task_ended();
	return st;
}

typedef struct main_task {
	goc_task_fn fn;
	void *arg;
	goc_wg done;
} main_task;

static void main_task_run(void *p)
{
	main_task *t = p;
	t->fn(t->arg);
	goc_wg_done(&t->done);
}

goc_status goc_main(goc_task_fn fn, void *arg)
{
	main_task t = { fn, arg, { 0 } };
	goc_wg_init(&t.done);
	goc_wg_add(&t.done, 1);
	goc_status st = goc_go(main_task_run, &t);
	if (st == GOC_OK)
		(void)goc_wg_wait(&t.done, GOC_FOREVER);
	goc_wg_destroy(&t.done);
	return st;
}

goc_status goc_go_thread(goc_task_fn fn, void *arg)
{
	GOC__CHAOS();
	GOC_PT(pthread_once(&pool_once, pool_init));
	return thread_go(fn, arg);
}

/* goc_go() on a pooled thread of its own. */
static goc_status thread_go(goc_task_fn fn, void *arg)
{
	/* Relaxed: see live_tasks. */
	atomic_fetch_add_explicit(&live_tasks, 1, memory_order_relaxed);
	goc__progress();
#ifdef GOC__TSAN
	/* The task's TSan context; making it here is the edge from goc_go() to the task (file comment). */
	void *fiber = __tsan_create_fiber(0);
#else
	void *fiber = NULL;
#endif
	if (pool_hand(fn, arg, fiber))
		return GOC_OK;

	int64_t give_up = 0;
	int64_t backoff_ns = 50000;
	int rc;
	/* EAGAIN means out of threads for now (pid_max, RLIMIT_NPROC): wait for exits, or for a worker to idle. */
	while ((rc = worker_start(fn, arg, fiber)) == EAGAIN) {
		int64_t now = goc_now();
		if (give_up == 0)
			give_up = now + GOC__SPAWN_PATIENCE_NS;
		else if (now >= give_up)
			break;
		struct timespec ts = { 0, (long)backoff_ns };
		nanosleep(&ts, NULL);
		if (backoff_ns < 10000000)
			backoff_ns *= 2;
		if (pool_hand(fn, arg, fiber))
			return GOC_OK;
	}
	if (rc != 0) {
#ifdef GOC__TSAN
		__tsan_destroy_fiber(fiber);
#endif
		/* Relaxed: see live_tasks. */
		atomic_fetch_sub_explicit(&live_tasks, 1, memory_order_relaxed);
		return GOC_NOMEM;
	}
	return GOC_OK;
}

size_t goc_tasks_live(void)
{
	/* Relaxed: see live_tasks. */
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

/* One line of goc_tasks_dump() for a record, unless it is idle. */
static void dump_record(goc__task *t, void *arg)
{
	FILE *out = arg;
	/* Relaxed, all: a racy snapshot for diagnostics. */
	int kind = atomic_load_explicit(&t->kind, memory_order_relaxed);
	if (kind == GOC__REC_IDLE)
		return;
	uint64_t id = atomic_load_explicit(&t->id, memory_order_relaxed);
	int what = atomic_load_explicit(&t->blocked, memory_order_relaxed);
	const void *on = atomic_load_explicit(&t->blocked_on, memory_order_relaxed);
	fprintf(out, "%s %llu [%s]", kind == GOC__REC_TASK ? "task" : "thread", (unsigned long long)id,
	        blocked_name(what));
	if (on)
		fprintf(out, " on %p", on);
	fputc('\n', out);
}

void goc_tasks_dump(FILE *out)
{
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&registry_mu));
	fprintf(out, "goc: %zu live task(s)\n", goc_tasks_live());
	for (goc__task *t = registry; t; t = t->next)
		dump_record(t, out);
	GOC_PT(pthread_mutex_unlock(&registry_mu));
	/* The M:N scheduler's tasks, which it keeps out of the registry. */
	goc__sched_each_task(dump_record, out);
	GOC__TSAN_PRIVATE_END();
	fflush(out);
}
