/*
 * sched.c - the M:N scheduler: tasks (goc_go) as user-space contexts with
 * stacks of their own, run by a few worker threads, in Go's design (its
 * runtime/proc.go names are in brackets). Chosen at the first goc_go() by
 * GOC_TASKS=mn or goc_tasks_use(); the threads backend (task.c) stays.
 *
 * A task [G] runs on a worker thread [M] that holds one of GOC_PROCS
 * processors [P] (the usable CPUs by default). A P owns a local run queue
 * of 256 tasks and a "run next" slot: a task made runnable by the running
 * task (a channel hand-off, a spawn) goes there and runs as soon as the
 * running one parks, on the same thread, so that a ping-pong costs two
 * user-space switches and no system call. The run-next chain is bounded
 * (GOC__RUNNEXT_MAX), every 4th pick fires the timers that are due
 * (taking from the global queue at once a task they made runnable), and
 * every 16th takes the global queue's first task, so a ping-pong pair
 * cannot starve a third task. Tasks made runnable by a thread that is not a task
 * (main, the timer thread) go to the global queue. It and the global list
 * of dead tasks to reuse hold batches (up to half a P's full queue, half
 * its spare dead tasks) that move whole, so nobody walks, under their
 * lock, tasks another CPU wrote. A spawn that fills its P's queue yields
 * to it, where Go's newproc passes half of it to the global queue: a loop
 * of spawns runs its tasks on the CPU that wrote them, and keeps few
 * alive. An M that runs out of work steals half of another P's queue (a
 * running P's run-next task only if it is still there after a sleep); an
 * idle P is given to a sleeping M only when no M is already spinning for
 * work [wakep], and an M that finds nothing gives its P back and sleeps on
 * a futex of its own at once. (Spinning longer for work kept both CPUs
 * busy and pulled a pipeline's tasks apart: W6 unbuffered ran at 1.26
 * CPUs and 1.1x the time.)
 *
 * Parking: a task parks by switching to its M's own context [g0], which
 * then commits the park (a CAS on the op's wake-up word, park.c; a channel
 * op with no deadline keeps its channel locks until then, and the commit
 * is a store followed by their release [park_m's unlockf]) and runs
 * the next task; if the commit fails, the task was woken meanwhile and
 * runs again at once [park_m]. So no waker can resume a task whose context
 * is still being saved. A timed park arms a libgoc timer that makes the
 * task runnable at its deadline.
 *
 * Blocking calls [sysmon, retake, handoffp]: a task may block its thread
 * (read(), sleep(), pthread_cond_wait()). A monitor thread watches each P:
 * one whose M has run the same task since the monitor's last look, while
 * tasks wait in its queue (or in the global queue with no idle P), is
 * taken from it and handed to another M when its thread sleeps in the
 * kernel (/proc/self/task/TID/stat), or after GOC__RUN_LIMIT_NS however it
 * is busy. goc_blocking_begin() says so at once [entersyscall]. The M that
 * lost its P runs its task on until the task's next scheduling point, then
 * takes an idle P or sleeps; a hand-off or spawn before that takes an idle
 * P if there is one. A P's owner word holds its M and whether that
 * M runs a task (USER: the monitor may take the P), runs the scheduler on
 * it (SCHED: it may not), or has declared a blocking call (BLOCKING).
 *
 * Switching: switch_x86_64.S and switch_aarch64.S save the callee-saved
 * registers on the stack being left; g_prepare() lays out a new task's
 * stack as a switch would have left it.
 *
 * Stacks: GOC_STACK bytes each (64 KiB; 256 KiB in sanitizer builds),
 * carved from mappings of GOC__STACKS_PER_MAP, committed by the kernel
 * page by page as used, with the task struct at the top, and recycled with
 * it. The first GOC__GUARDED_STACKS have a guard page below them (each
 * guard splits a mapping, and the kernel allows 65530 per process). While
 * spawns need new stacks, an M with nothing to run carves some ahead.
 *
 * ThreadSanitizer: each task is a TSan fiber made by the task that spawns
 * it (the go statement's edge), switched to and from without a sync, so
 * tasks that run in turn on one thread stay unordered; every edge Go's
 * memory model has is published by the primitives themselves (park.c's
 * waiter edges, the rings, mutexes). The scheduler's own work runs
 * GOC__TSAN_PRIVATE, a recycled stack is mapped afresh (resetting its
 * shadow), and an M's static TLS, which its tasks use in turn (errno), is
 * a benign race range. AddressSanitizer: every switch is announced
 * (__sanitizer_start/finish_switch_fiber) and a recycled stack unpoisoned.
 *
 * errno is saved with the task when it leaves its thread and restored
 * where it resumes. Its address is not: compilers keep &errno (glibc's
 * __errno_location() is const) and a thread-local's address across calls,
 * so code must not use either on both sides of a call that may park
 * (task.h). libgoc reads its own thread-locals through functions that are
 * never inlined, for that reason.
 *
 * Lock order: sched_mu and globq_mu are leaves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "goc_internal.h"

#ifdef GOC__TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define GOC__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOC__ASAN 1
#endif
#endif
#ifdef GOC__ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if (defined(__x86_64__) || defined(__aarch64__)) && defined(__linux__)
#define GOC__MN_SUPPORTED 1
#endif

/* Linux 5.14's madvise() advice, which older C library headers lack. */
#ifdef MADV_POPULATE_WRITE
#define GOC__MADV_POPULATE_WRITE MADV_POPULATE_WRITE
#else
#define GOC__MADV_POPULATE_WRITE 23
#endif

/* Tasks in a P's local queue; one more goes to the global queue with half of them. */
#define GOC__RUNQ 256
/* Run-next picks in a row before the local queue's head goes first. */
#define GOC__RUNNEXT_MAX 32
/* Every this many picks the global queue is looked at first [schedule: Go looks every 61]. */
#define GOC__GLOBAL_EVERY 16
/*
 * Every this many picks, due timers are fired [Go: at every pick]: a load
 * with none pending, else a clock read, 27 ns here. A task sleeping 100 µs
 * beside a ping-pong pair on one processor (chanbench starve) woke late by
 * a median 1.8 µs polling every 16 picks, 1.3 every 4, 1.0 every pick
 * (Go: 0.6 to 0.7).
 */
#define GOC__TIMERS_EVERY 4
/* A task running without a scheduling point while others wait loses its P after this long. */
#define GOC__RUN_LIMIT_NS (10LL * 1000000)
/*
 * The monitor's look interval, from its shortest (something looked stuck)
 * to its longest. 1 ms, not Go's 10: a task that blocks its thread stalls
 * its P's other tasks for one or two looks (1.7 ms on average in chanbench
 * blocking, against 16 ms for Go's sysmon), and the monitor sleeps on a
 * futex instead while every P is idle.
 */
#define GOC__MONITOR_MIN_NS (50LL * 1000)
#define GOC__MONITOR_MAX_NS (1000LL * 1000)
/*
 * A P whose task has run this long while others wait has its thread's
 * state read (at most once per GOC__MONITOR_PROC_NS): asleep in the kernel,
 * it loses the P.
 */
#define GOC__SLEEP_LIMIT_NS (200LL * 1000)
#define GOC__MONITOR_PROC_NS (1000LL * 1000)
/*
 * How long a thief sleeps before it takes a running P's run-next task: at
 * least this, and in practice the kernel's timer slack (50 µs by default),
 * as for Go's usleep(3) in runqgrab.
 */
#define GOC__STEAL_NEXT_WAIT_NS 3000
/* How many of those sleeps a thief takes for one victim while its run-next task keeps changing. */
#define GOC__STEAL_NEXT_NAPS 4
/* Stacks per mapping, and how many get a guard page. */
#define GOC__STACKS_PER_MAP 64
#define GOC__GUARDED_STACKS 16384
/* Dead tasks a P keeps for reuse before it passes half to the global list. */
#define GOC__GFREE_LOCAL 64
/* Stacks that idle Ms carve ahead for a spawner that ran out (see carve_ahead()). */
#define GOC__CARVE_AHEAD 32

/*
 * Only the pages a task touches cost memory, but the span of the stacks
 * costs page tables and TLB reach: 1,000,000 tasks blocked on a channel
 * took 53 s to start and release with 256 KiB stacks (a pooled thread's)
 * and 21 s with 64 KiB, at the same peak RSS (3.8 GiB), on a 2-vCPU VM.
 */
#if defined(GOC__TSAN) || defined(GOC__ASAN)
#define GOC__STACK_DEFAULT (256u * 1024u) /* sanitizers' frames are larger (redzones, shadow stacks) */
#else
#define GOC__STACK_DEFAULT (64u * 1024u)
#endif

extern void goc__ctx_leave(void **save_sp, void *to_sp);
extern void goc__ctx_enter(void **save_sp, void *to_sp);
extern void goc__ctx_start(void);

typedef struct sched_m sched_m;
typedef struct sched_p sched_p;

/* What a task asked its M to do once the switch away from it is complete. */
enum { AFTER_NONE = 0, AFTER_PARK, AFTER_EXIT, AFTER_REQUEUE };

struct goc__g {
	void *sp;                   /* saved stack pointer while not running; scheduler only */
	goc_task_fn fn;
	void *arg;
	goc__g *link;               /* the next task in a batch or on a P's free list; scheduler only */
	/*
	 * A batch's head on the global queue or free list: the next batch and
	 * how many tasks this one links. Batches move whole, so nobody walks
	 * tasks another CPU wrote while holding globq_mu.
	 */
	goc__g *batch_next;
	size_t batch_n;
	char *stack_lo;             /* lowest usable byte of the stack (above any guard) */
	size_t stack_size;          /* usable bytes, up to this struct */
	int saved_errno;            /* errno while off its thread */
	/*
	 * A timed park's deadline: here rather than on the task's stack, so
	 * that the timer thread's writes to it (TSan sees them) never meet
	 * the task's own frames when it reuses that stack.
	 */
	goc__timer park_timer;
	goc__op *park_op;           /* the op the task parks on (commit_park(), the timer) */
	int park_from;              /* the op's wake-up state the park commits from */
	bool blocking;              /* between goc_blocking_begin() and _end(); its own thread only */
	void (*park_unlock)(void *arg); /* goc__g_park_locked()'s, for commit_park_locked() */
	void *park_unlock_arg;
	goc__task rec;              /* the task's record: id, RNG, what it is blocked in */
#ifdef GOC__TSAN
	void *fiber;
#endif
#ifdef GOC__ASAN
	void *asan_fake;            /* its fake stack while switched out */
#endif
};

/* A P's owner word: its M's address | one of these. */
enum { P_IDLE = 0, P_SCHED = 1, P_USER = 2, P_BLOCKING = 3 };
#define P_STATE(w) ((int)((w) & 3u))
#define P_OWNER(w) ((sched_m *)((w) & ~(uintptr_t)3u))

struct sched_p {
	_Alignas(64) _Atomic(uintptr_t) owner;    /* M | P_* (see the file comment) */
	_Atomic(uint64_t) ticks;                  /* tasks started here; the monitor watches it */
	_Atomic(uint32_t) head;                   /* the local queue: stealers and owner take at head */
	_Atomic(uint32_t) tail;                   /* only the owner puts at tail */
	_Atomic(goc__g *) runq[GOC__RUNQ];
	_Atomic(goc__g *) runnext;
	unsigned runnext_streak;                  /* owner only */
	goc__g *gfree;                            /* dead tasks to reuse; owner only */
	unsigned ngfree;
	sched_p *idle_link;                       /* guarded by sched_mu */
	int index;
	/* The monitor's own: the owner and ticks it last saw, since when, and when it last read the thread's state. */
	sched_m *mon_owner;
	uint64_t mon_ticks;
	int64_t mon_since;
	int64_t mon_read_at;
};

struct sched_m {
	_Alignas(64) void *g0_sp;    /* the M's own context while a task runs */
	sched_p *p;                  /* the P it holds; its own thread only */
	goc__g *curg;                /* the running task, or NULL on its own context */
	int after;                   /* AFTER_*: set by curg before switching out */
	bool (*commit)(void *arg);   /* AFTER_PARK: run on the M's own context */
	void *commit_arg;
	bool spinning;               /* looking for work, counted in nmspinning */
	atomic_int wake;             /* futex: 0 asleep or about to be, 1 handed a P, 2 retire */
	sched_p *nextp;              /* the P handed to it; written before wake */
	bool next_spinning;          /* likewise */
	sched_m *idle_link;          /* guarded by sched_mu */
	pid_t tid;                   /* the kernel's id of its thread */
	bool joined;                 /* goc__sched_retire() joins it; guarded by sched_mu */
	pthread_t thread;
	goc__task rec;               /* the M's own record (kind idle: not in the dump) */
	uint64_t rng;
#ifdef GOC__TSAN
	void *g0_fiber;
#endif
#ifdef GOC__ASAN
	void *asan_fake;
	const void *stack_bottom;
	size_t stack_size;
#endif
};

/* ---- state ------------------------------------------------------------------ */

static pthread_once_t choose_once = PTHREAD_ONCE_INIT;
static atomic_int backend = -1;          /* goc_tasks_kind, or -1 before the choice; relaxed after */
static int nprocs;                        /* fixed by the choice */
static size_t stack_size;                 /* usable bytes per stack; fixed by the choice */

static sched_p *allp;                     /* nprocs of them; made by the choice */
static goc__lock sched_mu;                /* idle Ps and Ms, all Ms, the stack carving */
static sched_p *pidle;                    /* guarded by sched_mu */
static atomic_int npidle;                 /* Ps on pidle; written under sched_mu */
static sched_m *midle;                    /* guarded by sched_mu */
static atomic_int nmspinning;             /* Ms looking for work */
static atomic_size_t nthreads;            /* Ms and the monitor, alive */
static sched_m **allm;                    /* guarded by sched_mu (the retire at exit) */
static size_t nallm, allm_cap;
static atomic_bool retired;               /* the program is exiting (TSan builds); written under sched_mu */

static goc__lock globq_mu;
static goc__g *globq_head, *globq_tail;   /* batches, oldest first; guarded by globq_mu */
static goc__g *globq_last;                /* the last task of the last batch; guarded by globq_mu */
static atomic_size_t globq_len;           /* tasks in them; written under globq_mu; read as a hint */
static atomic_size_t globq_puts;          /* tasks ever put there; written under globq_mu */
static goc__g *gfree_global;              /* batches of dead tasks; guarded by globq_mu */

static char *carve_next, *carve_end;      /* the stack mapping being carved; guarded by sched_mu */
static goc__g *carved;                    /* stacks carved ahead, linked; guarded by sched_mu */
static unsigned ncarved;                  /* guarded by sched_mu */
static atomic_bool carve_wanted;          /* a spawn found none carved ahead; a hint, relaxed */
static size_t stacks_made;                /* guarded by sched_mu */
/*
 * Every task struct made, for goc_tasks_dump() [allgs]: tasks stay out of
 * task.c's registry, whose lock would cost every spawn and exit.
 */
static goc__g **allg;                     /* guarded by sched_mu */
static size_t nallg, allg_cap;

static atomic_int monitor_state;          /* 0 not started, 1 running, 2 asleep (all Ps idle) */
static pthread_t monitor_thread;

static _Thread_local sched_m *tls_m;

/*
 * Thread-locals read through functions that are never inlined: a task may
 * resume on another thread, and a compiler may keep a thread-local's
 * address across the call that switched (see the file comment).
 */
static __attribute__((noinline)) sched_m *m_self(void)
{
	return tls_m;
}

static __attribute__((noinline)) int errno_get(void)
{
	return errno;
}

static __attribute__((noinline)) void errno_set(int e)
{
	errno = e;
}

goc__g *goc__g_self(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	goc__g *g = m ? m->curg : NULL;
	GOC__TSAN_PRIVATE_END();
	return g;
}

/* ---- the choice of backend ------------------------------------------------- */

/*
 * A bad setting, which ends the program once the choice is over: choose()
 * runs private to TSan (in a pthread_once), and a program that exits there
 * would exit with TSan's ignores on, which TSan reports.
 */
static char choose_error[256];

static void choose_fail(const char *var, const char *val, const char *want)
{
	if (!choose_error[0])
		snprintf(choose_error, sizeof choose_error, "goc: %s=%s: %s\n", var, val, want);
}

/* After the choice, outside TSan's ignores: end the program if a setting was bad. */
static void choose_check(void)
{
	if (!choose_error[0])
		return;
	fputs(choose_error, stderr);
	fflush(stderr);
	_exit(2);
}

/*
 * A number from the environment, or `dflt` if unset, with k and M suffixes
 * when `sizes`; if malformed or out of [min, max], a failed choice (and dflt).
 */
static size_t env_size(const char *var, size_t dflt, size_t min, size_t max, bool sizes)
{
	const char *s = getenv(var);
	if (!s || !*s)
		return dflt;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	size_t mult = 1;
	if (sizes && (*end == 'k' || *end == 'K'))
		mult = 1024, end++;
	else if (sizes && (*end == 'm' || *end == 'M'))
		mult = 1024 * 1024, end++;
	if (errno || end == s || *end || s[0] == '-' || v > max / mult || v * mult < min) {
		char want[128];
		snprintf(want, sizeof want, "want a whole number from %zu to %zu%s", min, max,
		         sizes ? " (bytes; k and M suffixes allowed)" : "");
		choose_fail(var, s, want);
		return dflt; /* for the rest of the choice; choose_check() ends the program after it */
	}
	return (size_t)v * mult;
}

static void sched_init(void);

static void choose(void)
{
	int kind = atomic_load_explicit(&backend, memory_order_relaxed);
	if (kind < 0) {
		const char *s = getenv("GOC_TASKS");
		if (!s || !*s || strcmp(s, "threads") == 0)
			kind = GOC_TASKS_THREADS;
		else if (strcmp(s, "mn") == 0)
			kind = GOC_TASKS_MN;
		else
			choose_fail("GOC_TASKS", s, "want threads or mn");
	}
#ifndef GOC__MN_SUPPORTED
	if (kind == GOC_TASKS_MN) {
		choose_fail("GOC_TASKS", "mn", "the M:N scheduler needs x86-64 or AArch64 Linux");
		kind = GOC_TASKS_THREADS;
	}
#endif
	if (kind == GOC_TASKS_MN && nprocs == 0)
		nprocs = (int)env_size("GOC_PROCS", (size_t)goc__usable_cpus(), 1, 1024, false);
	if (kind == GOC_TASKS_MN)
		sched_init();
	atomic_store_explicit(&backend, kind, memory_order_release);
}

bool goc__sched_on(void)
{
	/* Acquire: the choice's set-up happens-before its use. */
	int kind = atomic_load_explicit(&backend, memory_order_acquire);
	if (kind < 0) {
		GOC__TSAN_PRIVATE_BEGIN();
		GOC_PT(pthread_once(&choose_once, choose));
		GOC__TSAN_PRIVATE_END();
		choose_check();
		kind = atomic_load_explicit(&backend, memory_order_acquire);
	}
	return kind == GOC_TASKS_MN;
}

static goc_tasks_kind requested_kind;   /* goc_tasks_use()'s, for choose_requested(); guarded by use_mu */
static int requested_procs;             /* guarded by use_mu */
static pthread_mutex_t use_mu = PTHREAD_MUTEX_INITIALIZER;

/* From the program's start: a fork during goc_tasks_use() leaves the child's use_mu free (fork.c). */
__attribute__((constructor)) static void use_fork_install(void)
{
	goc__fork_hold_mutex(GOC__FORK_USE, &use_mu, NULL);
}

static void choose_requested(void)
{
	atomic_store_explicit(&backend, (int)requested_kind, memory_order_relaxed);
	nprocs = requested_procs;
	choose();
}

goc_status goc_tasks_use(goc_tasks_kind kind, int procs)
{
	if ((kind != GOC_TASKS_THREADS && kind != GOC_TASKS_MN) || procs < 0 || procs > 1024)
		goc_panic("goc_tasks_use: kind %d or procs %d out of range", (int)kind, procs);
#ifndef GOC__MN_SUPPORTED
	if (kind == GOC_TASKS_MN)
		return GOC_CLOSED;
#endif
	GOC__TSAN_PRIVATE_BEGIN();
	GOC_PT(pthread_mutex_lock(&use_mu));
	requested_kind = kind;
	requested_procs = procs; /* 0: choose() reads GOC_PROCS, else the usable CPUs */
	GOC_PT(pthread_once(&choose_once, choose_requested));
	GOC_PT(pthread_mutex_unlock(&use_mu));
	GOC__TSAN_PRIVATE_END();
	choose_check();
	/* Made now, or earlier the same way; else the choice was made otherwise (GOC_CLOSED). */
	bool same = goc_tasks_kind_now() == kind && (kind == GOC_TASKS_THREADS || procs == 0 || procs == nprocs);
	return same ? GOC_OK : GOC_CLOSED;
}

goc_tasks_kind goc_tasks_kind_now(void)
{
	return goc__sched_on() ? GOC_TASKS_MN : GOC_TASKS_THREADS;
}

int goc_tasks_procs(void)
{
	return goc__sched_on() ? nprocs : 0;
}

#ifdef GOC__MN_SUPPORTED

/* ---- stacks and task structs --------------------------------------------------- */

static size_t page_size(void)
{
	static size_t page;
	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* Bytes of one stack slot: a guard page, the stack, the task struct on top. */
static size_t slot_bytes(void)
{
	size_t page = page_size();
	size_t g = (sizeof(goc__g) + 63) & ~(size_t)63;
	return (page + stack_size + g + page - 1) & ~(page - 1);
}

/* Make g a blank task struct for its next spawn, on the stack [lo, lo + size): idle, so not in a dump. */
static void g_blank(goc__g *g, char *lo, size_t size)
{
	memset(g, 0, sizeof *g);
	atomic_store_explicit(&g->rec.kind, GOC__REC_IDLE, memory_order_relaxed);
	g->stack_lo = lo;
	g->stack_size = size;
}

/* A fresh task struct with its stack, or NULL when out of memory. Called private. */
static goc__g *g_carve_new(void)
{
	size_t slot = slot_bytes();
	goc__lock_acquire(&sched_mu);
	if (carve_next == carve_end) {
		size_t bytes = slot * GOC__STACKS_PER_MAP;
		void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		                 -1, 0);
		if (map == MAP_FAILED) {
			goc__lock_release(&sched_mu);
			return NULL;
		}
		carve_next = map;
		carve_end = carve_next + bytes;
	}
	size_t page = page_size();
	char *base = carve_next;
	goc__g *g = (goc__g *)(base + slot - ((sizeof(goc__g) + 63) & ~(size_t)63));
	carve_next += slot;
	bool guard = stacks_made++ < GOC__GUARDED_STACKS;
	goc__lock_release(&sched_mu);
	/* A failed guard (the kernel's map count) leaves the stack unguarded, nothing worse. */
	if (guard)
		(void)mprotect(base, page, PROT_NONE);
	/*
	 * Commit the stack's top page, where the task struct and the first
	 * frames go, in one call rather than by a page fault: on this project's
	 * VMs (PVM) a fault on a fresh page costs 12 us, the call and the first
	 * touch after it 9. Older kernels refuse the advice; the fault serves.
	 */
	char *top = (char *)((uintptr_t)g & ~(uintptr_t)(page - 1));
	(void)madvise(top, (size_t)(base + slot - top), GOC__MADV_POPULATE_WRITE);
	g_blank(g, base + page, (size_t)((char *)g - (base + page)));
	/* Listed once its record says what it is (an out-of-memory here wastes the slot). */
	goc__lock_acquire(&sched_mu);
	if (nallg == allg_cap) {
		size_t cap = allg_cap ? 2 * allg_cap : 1024;
		goc__g **more = realloc(allg, cap * sizeof *more);
		if (!more) {
			goc__lock_release(&sched_mu);
			return NULL;
		}
		allg = more;
		allg_cap = cap;
	}
	allg[nallg++] = g;
	goc__lock_release(&sched_mu);
	return g;
}

/* A stack carved ahead, or a fresh one. Called private. */
static goc__g *g_carve(void)
{
	goc__lock_acquire(&sched_mu);
	goc__g *g = carved;
	if (g) {
		carved = g->link;
		ncarved--;
	}
	goc__lock_release(&sched_mu);
	if (g)
		return g;
	atomic_store_explicit(&carve_wanted, true, memory_order_relaxed);
	return g_carve_new();
}

/*
 * An idle M's share of a run of spawns: carve one stack ahead, if spawns
 * ran out of them. Committing a new stack's top page costs 8 to 9 us on
 * a VM, which a loop of spawns would otherwise pay on its own CPU alone;
 * carved ahead on another, it costs the spawner 0.1 us. At most
 * GOC__CARVE_AHEAD wait (128 KiB committed). True if it carved one.
 * Called private.
 */
static bool carve_ahead(void)
{
	if (!atomic_load_explicit(&carve_wanted, memory_order_relaxed))
		return false;
	goc__g *g = g_carve_new();
	goc__lock_acquire(&sched_mu);
	if (g) {
		g->link = carved;
		carved = g;
		ncarved++;
	}
	if (!g || ncarved >= GOC__CARVE_AHEAD)
		atomic_store_explicit(&carve_wanted, false, memory_order_relaxed);
	goc__lock_release(&sched_mu);
	return g != NULL;
}

/* Take a dead task's struct and stack, or carve one. Called private. */
static goc__g *g_alloc(sched_p *p)
{
	goc__g *g = NULL;
	if (p && !p->gfree) {
		/* Refill p's list with a batch [gfget]: one lock for many spawns. */
		goc__lock_acquire(&globq_mu);
		goc__g *batch = gfree_global;
		if (batch)
			gfree_global = batch->batch_next;
		goc__lock_release(&globq_mu);
		if (batch) {
			p->gfree = batch;
			p->ngfree = (unsigned)batch->batch_n;
		}
	}
	if (p && p->gfree) {
		g = p->gfree;
		p->gfree = g->link;
		p->ngfree--;
		if (p->gfree)
			__builtin_prefetch(p->gfree, 1); /* the next spawn's: likely another CPU's line */
	} else if (!p) {
		goc__lock_acquire(&globq_mu);
		g = gfree_global;
		if (g) {
			gfree_global = g->batch_next;
			if (g->batch_n > 1) {
				goc__g *rest = g->link;
				rest->batch_n = g->batch_n - 1;
				rest->batch_next = gfree_global;
				gfree_global = rest;
			}
		}
		goc__lock_release(&globq_mu);
	}
	if (!g)
		return g_carve();
	char *lo = g->stack_lo;
	size_t size = g->stack_size;
#ifdef GOC__TSAN
	/*
	 * Map fresh pages over the stack and the struct on top, which shares
	 * the stack's last page: TSan's mmap() interceptor resets its shadow
	 * (see task.c).
	 */
	uintptr_t end = ((uintptr_t)(g + 1) + page_size() - 1) & ~(uintptr_t)(page_size() - 1);
	void *fresh = mmap(lo, end - (uintptr_t)lo, PROT_READ | PROT_WRITE,
	                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (fresh == MAP_FAILED)
		goc__die("mmap(task stack)", errno);
#endif
#ifdef GOC__ASAN
	/* A task that ended left its last frames' redzones poisoned. */
	ASAN_UNPOISON_MEMORY_REGION(lo, size);
#endif
	g_blank(g, lo, size);
	return g;
}

/* Put a batch of n dead tasks, linked from head, on the global free list. */
static void gfree_put_batch(goc__g *head, size_t n)
{
	head->batch_n = n;
	goc__lock_acquire(&globq_mu);
	head->batch_next = gfree_global;
	gfree_global = head;
	goc__lock_release(&globq_mu);
}

/* Keep a dead task's struct and stack for reuse. Called private, on an M's own context. */
static void g_free(sched_p *p, goc__g *g)
{
	if (!p) {
		g->link = NULL;
		gfree_put_batch(g, 1);
		return;
	}
	g->link = p->gfree;
	p->gfree = g;
	if (++p->ngfree < GOC__GFREE_LOCAL)
		return;
	/* Full: half of it to the global list as one batch [gfput]. */
	goc__g *head = p->gfree, *last = head;
	for (unsigned i = 1; i < GOC__GFREE_LOCAL / 2; i++)
		last = last->link;
	p->gfree = last->link;
	p->ngfree -= GOC__GFREE_LOCAL / 2;
	last->link = NULL;
	gfree_put_batch(head, GOC__GFREE_LOCAL / 2);
}

static void g_main(goc__g *g);

/* Lay out a new task's stack so that the first switch to it calls g_main(g). */
static void g_prepare(goc__g *g)
{
	uintptr_t top = ((uintptr_t)g->stack_lo + g->stack_size) & ~(uintptr_t)15;
#if defined(__x86_64__)
	/* goc__ctx_enter() loads control words, pops r15..r12, rbx, rbp, returns to goc__ctx_start. */
	uint64_t *sp = (uint64_t *)top - 8;
	uint32_t ctrl[2] = { 0x1f80, 0x037f }; /* MXCSR and the x87 control word at reset */
	memcpy(&sp[0], ctrl, sizeof ctrl);
	sp[1] = 0;                        /* r15 */
	sp[2] = 0;                        /* r14 */
	sp[3] = (uint64_t)(uintptr_t)g_main; /* r13: the function */
	sp[4] = (uint64_t)(uintptr_t)g;   /* r12: its argument */
	sp[5] = 0;                        /* rbx */
	sp[6] = 0;                        /* rbp */
	sp[7] = (uint64_t)(uintptr_t)goc__ctx_start;
#else
	/* goc__ctx_enter() loads the FPCR, x19..x30, d8..d15, returns to x30: goc__ctx_start. */
	uint64_t *sp = (uint64_t *)top - 22;
	memset(sp, 0, 22 * sizeof *sp);   /* the FPCR at reset too: round to nearest, no traps */
	sp[0] = (uint64_t)(uintptr_t)g;   /* x19: the argument */
	sp[1] = (uint64_t)(uintptr_t)g_main; /* x20: the function */
	sp[11] = (uint64_t)(uintptr_t)goc__ctx_start; /* x30 */
#endif
	g->sp = sp;
}

/* ---- run queues ------------------------------------------------------------------ */

static bool globq_empty(void)
{
	/* Relaxed: a hint; the queue is checked again under its lock. */
	return atomic_load_explicit(&globq_len, memory_order_relaxed) == 0;
}

/*
 * Append n tasks, linked from head to tail, to the global queue: to its
 * last batch while that stays within what a P's queue takes at once, else
 * as a batch of their own. Tasks made runnable one at a time without a P
 * (a close that wakes a million) would otherwise make a batch each, and a
 * P taking its share would walk that many batches holding the lock.
 */
static void globq_put_list(goc__g *head, goc__g *tail, size_t n)
{
	tail->link = NULL;
	goc__lock_acquire(&globq_mu);
	if (globq_tail && globq_tail->batch_n + n <= GOC__RUNQ / 2 + 1) {
		globq_last->link = head;
		globq_tail->batch_n += n;
	} else {
		head->batch_next = NULL;
		head->batch_n = n;
		if (globq_tail)
			globq_tail->batch_next = head;
		else
			globq_head = head;
		globq_tail = head;
	}
	globq_last = tail;
	atomic_store_explicit(&globq_len, atomic_load_explicit(&globq_len, memory_order_relaxed) + n,
	                      memory_order_seq_cst);
	atomic_store_explicit(&globq_puts, atomic_load_explicit(&globq_puts, memory_order_relaxed) + n,
	                      memory_order_relaxed);
	goc__lock_release(&globq_mu);
}

static void runq_put(sched_p *p, goc__g *g);

/*
 * Take p's share of the global queue [globrunqget]: whole batches, the
 * first whatever its size (runq_put() makes them of up to GOC__RUNQ / 2 + 1,
 * which p's queue, empty when it looks for work, holds). One task to run,
 * the rest into p's queue.
 */
static goc__g *globq_get(sched_p *p)
{
	if (globq_empty())
		return NULL;
	goc__lock_acquire(&globq_mu);
	goc__g *first = globq_head;
	if (!first) {
		goc__lock_release(&globq_mu);
		return NULL;
	}
	size_t len = atomic_load_explicit(&globq_len, memory_order_relaxed);
	size_t share = len / (size_t)nprocs + 1;
	if (share > GOC__RUNQ / 2)
		share = GOC__RUNQ / 2;
	goc__g *last = first;
	size_t taken = first->batch_n;
	while (last->batch_next && taken + last->batch_next->batch_n <= share) {
		last = last->batch_next;
		taken += last->batch_n;
	}
	globq_head = last->batch_next;
	if (!globq_head)
		globq_tail = NULL;
	last->batch_next = NULL;
	atomic_store_explicit(&globq_len, len - taken, memory_order_relaxed);
	goc__lock_release(&globq_mu);
	/* Each link is read before its task is queued: a thief may run it, and it end, at once. */
	goc__g *next_batch;
	for (goc__g *batch = first; batch; batch = next_batch) {
		next_batch = batch->batch_next;
		goc__g *next;
		for (goc__g *g = batch; g; g = next) {
			next = g->link;
			if (g != first)
				runq_put(p, g);
		}
	}
	return first;
}

/*
 * Take the global queue's first task alone [globrunqget(pp, 1)]: the
 * periodic look, made while p's own queue may be full. A share of the
 * queue would overflow it, and half of it go back to the global queue:
 * a close that woke a million tasks had each of them moved 7 times.
 */
static goc__g *globq_get_one(void)
{
	if (globq_empty())
		return NULL;
	goc__lock_acquire(&globq_mu);
	goc__g *g = globq_head;
	if (g) {
		goc__g *rest = g->link;
		if (rest) {
			rest->batch_n = g->batch_n - 1;
			rest->batch_next = g->batch_next;
			globq_head = rest;
			if (globq_tail == g)
				globq_tail = rest;
		} else {
			globq_head = g->batch_next;
			if (!globq_head)
				globq_tail = NULL;
		}
		atomic_store_explicit(&globq_len, atomic_load_explicit(&globq_len, memory_order_relaxed) - 1,
		                      memory_order_relaxed);
	}
	goc__lock_release(&globq_mu);
	return g;
}

/* Owner only: put g at the tail of p's queue; when full, move half of it to the global queue. */
static void runq_put(sched_p *p, goc__g *g)
{
	for (;;) {
		/* Acquire: a stealer's taking of the slots below head is complete. */
		uint32_t h = atomic_load_explicit(&p->head, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
		if (t - h < GOC__RUNQ) {
			atomic_store_explicit(&p->runq[t % GOC__RUNQ], g, memory_order_relaxed);
			/* Release: the slot before the tail that publishes it. */
			atomic_store_explicit(&p->tail, t + 1, memory_order_release);
			return;
		}
		/* Full: half of it and g go to the global queue [runqputslow]. */
		uint32_t n = (t - h) / 2;
		goc__g *batch[GOC__RUNQ / 2 + 1];
		for (uint32_t i = 0; i < n; i++)
			batch[i] = atomic_load_explicit(&p->runq[(h + i) % GOC__RUNQ], memory_order_relaxed);
		if (!atomic_compare_exchange_strong_explicit(&p->head, &h, h + n, memory_order_release,
		                                             memory_order_relaxed))
			continue; /* stealers took some: there may be room now */
		batch[n] = g;
		for (uint32_t i = 0; i < n; i++)
			batch[i]->link = batch[i + 1];
		globq_put_list(batch[0], g, n + 1);
		return;
	}
}

/* Owner only: make g run next on p; what ran next before goes to the queue's tail. */
static void runq_put_next(sched_p *p, goc__g *g)
{
	goc__g *old = atomic_exchange_explicit(&p->runnext, g, memory_order_acq_rel);
	if (old)
		runq_put(p, old);
}

static goc__g *runq_take_head(sched_p *p)
{
	for (;;) {
		uint32_t h = atomic_load_explicit(&p->head, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);
		if (t == h)
			return NULL;
		goc__g *g = atomic_load_explicit(&p->runq[h % GOC__RUNQ], memory_order_relaxed);
		if (atomic_compare_exchange_strong_explicit(&p->head, &h, h + 1, memory_order_release,
		                                            memory_order_relaxed))
			return g;
	}
}

/* Owner only: the next task of p's own: run-next first, within its bound [runqget]. */
static goc__g *runq_get(sched_p *p)
{
	goc__g *next = atomic_load_explicit(&p->runnext, memory_order_relaxed);
	if (next && p->runnext_streak >= GOC__RUNNEXT_MAX) {
		goc__g *head = runq_take_head(p);
		if (head) {
			p->runnext_streak = 0;
			return head;
		}
	}
	/* A stealer may take run-next too: exchange, not a plain store. */
	if (next && atomic_compare_exchange_strong_explicit(&p->runnext, &next, NULL, memory_order_acq_rel,
	                                                    memory_order_relaxed)) {
		p->runnext_streak++;
		return next;
	}
	p->runnext_streak = 0;
	return runq_take_head(p);
}

static bool runq_empty(sched_p *p)
{
	uint32_t h = atomic_load_explicit(&p->head, memory_order_acquire);
	uint32_t t = atomic_load_explicit(&p->tail, memory_order_acquire);
	return h == t && !atomic_load_explicit(&p->runnext, memory_order_acquire);
}

/*
 * Steal half of victim's queue into p's (empty, as p's owner looks for
 * work), and return one of them; run-next too when `next` [runqsteal].
 */
static goc__g *runq_steal(sched_p *p, sched_p *victim, bool next)
{
	goc__g *batch[GOC__RUNQ / 2];
	unsigned naps = 0;
	for (;;) {
		uint32_t h = atomic_load_explicit(&victim->head, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&victim->tail, memory_order_acquire);
		uint32_t n = t - h;
		n -= n / 2;
		if (n == 0) {
			if (!next)
				return NULL;
			goc__g *g = atomic_load_explicit(&victim->runnext, memory_order_acquire);
			/*
			 * A running P, in a task or in its scheduler (a task that has
			 * just parked, or a spawn still writing its new task's stack),
			 * is about to run its run-next task itself: give it time
			 * first, as Go's runqgrab does, asleep, and take the task
			 * only if it is still the one seen before. A P that ran it
			 * meanwhile (and likely made another run-next) is making
			 * progress on its own; taking its chain apart would cost every
			 * hand-off in it a trip between CPUs. Then look at its queue
			 * again, a few times: a P that spawns fills it meanwhile, and a
			 * thief that keeps looking (asleep, at no cost in CPU) spares
			 * each of those spawns a worker's wake-up, since wakep() wakes
			 * nobody while an M is spinning. A thief with a stack to carve
			 * ahead for those spawns carves it instead of sleeping.
			 */
			int state = P_STATE(atomic_load_explicit(&victim->owner, memory_order_relaxed));
			bool running = state == P_USER || state == P_SCHED;
			if (g && running && !carve_ahead()) {
				struct timespec wait = { .tv_nsec = GOC__STEAL_NEXT_WAIT_NS };
				nanosleep(&wait, NULL);
			}
			if (g && atomic_compare_exchange_strong_explicit(&victim->runnext, &g, NULL, memory_order_acq_rel,
			                                                 memory_order_relaxed))
				return g;
			if (g && running && ++naps < GOC__STEAL_NEXT_NAPS)
				continue;
			return NULL;
		}
		if (n > GOC__RUNQ / 2)
			continue; /* read head and tail at different moments */
		for (uint32_t i = 0; i < n; i++)
			batch[i] = atomic_load_explicit(&victim->runq[(h + i) % GOC__RUNQ], memory_order_relaxed);
		if (atomic_compare_exchange_strong_explicit(&victim->head, &h, h + n, memory_order_acq_rel,
		                                            memory_order_relaxed)) {
			for (uint32_t i = 1; i < n; i++)
				runq_put(p, batch[i]);
			return batch[0];
		}
	}
}

/* ---- Ps and Ms --------------------------------------------------------------------- */

static void monitor_wake(void);
static void monitor_start(void);

/* Take an idle P, or NULL. */
static sched_p *pidle_get(void)
{
	if (atomic_load_explicit(&npidle, memory_order_seq_cst) == 0)
		return NULL;
	goc__lock_acquire(&sched_mu);
	sched_p *p = pidle;
	if (p) {
		pidle = p->idle_link;
		atomic_store_explicit(&npidle, atomic_load_explicit(&npidle, memory_order_relaxed) - 1,
		                      memory_order_seq_cst);
	}
	goc__lock_release(&sched_mu);
	if (p)
		monitor_wake();
	return p;
}

static void pidle_put(sched_p *p)
{
	atomic_store_explicit(&p->owner, (uintptr_t)P_IDLE, memory_order_release);
	goc__lock_acquire(&sched_mu);
	p->idle_link = pidle;
	pidle = p;
	atomic_store_explicit(&npidle, atomic_load_explicit(&npidle, memory_order_relaxed) + 1, memory_order_seq_cst);
	goc__lock_release(&sched_mu);
}

static void p_acquire(sched_m *m, sched_p *p)
{
	m->p = p;
	/* Release: the P's state as its last owner left it goes with it. */
	atomic_store_explicit(&p->owner, (uintptr_t)m | P_SCHED, memory_order_release);
}

static void *m_main(void *arg);

/* Make an M for p. False if no thread could be made. Called private. */
static bool m_new(sched_p *p, bool spinning)
{
	sched_m *m = aligned_alloc(64, (sizeof(sched_m) + 63) & ~(size_t)63);
	if (!m)
		return false;
	memset(m, 0, sizeof *m);
	m->nextp = p;
	m->next_spinning = spinning;
	atomic_init(&m->wake, 1);
	goc__lock_acquire(&sched_mu);
	if (nallm == allm_cap) {
		size_t cap = allm_cap ? 2 * allm_cap : 16;
		sched_m **more = realloc(allm, cap * sizeof *more);
		if (!more) {
			goc__lock_release(&sched_mu);
			free(m);
			return false;
		}
		allm = more;
		allm_cap = cap;
	}
	allm[nallm++] = m;
	goc__lock_release(&sched_mu);
	pthread_attr_t attr;
	GOC_PT(pthread_attr_init(&attr));
	GOC_PT(pthread_attr_setstacksize(&attr, 256u * 1024u));
	atomic_fetch_add_explicit(&nthreads, 1, memory_order_relaxed);
	int rc = pthread_create(&m->thread, &attr, m_main, m);
	GOC_PT(pthread_attr_destroy(&attr));
	if (rc != 0) {
		atomic_fetch_sub_explicit(&nthreads, 1, memory_order_relaxed);
		goc__lock_acquire(&sched_mu);
		nallm--;
		goc__lock_release(&sched_mu);
		free(m);
		return false;
	}
	return true;
}

/* Run p on an idle M, or a new one [startm]. Called private. */
static void m_start(sched_p *p, bool spinning)
{
	goc__lock_acquire(&sched_mu);
	sched_m *m = midle;
	if (m)
		midle = m->idle_link;
	goc__lock_release(&sched_mu);
	if (m) {
		m->nextp = p;
		m->next_spinning = spinning;
		/* Release: nextp and next_spinning go with the wake-up. */
		atomic_store_explicit(&m->wake, 1, memory_order_release);
		goc__futex_wake(&m->wake, 1);
		return;
	}
	if (!m_new(p, spinning)) {
		/* No thread: give the P back; the running Ms will get to its work. */
		if (spinning)
			atomic_fetch_sub_explicit(&nmspinning, 1, memory_order_seq_cst);
		pidle_put(p);
	}
}

/*
 * Something became runnable: if a P is idle and no M is looking for work,
 * start one looking [wakep]. Called private.
 */
static void wakep(void)
{
	if (atomic_load_explicit(&npidle, memory_order_seq_cst) == 0)
		return;
	int zero = 0;
	if (atomic_load_explicit(&nmspinning, memory_order_seq_cst) != 0 ||
	    !atomic_compare_exchange_strong_explicit(&nmspinning, &zero, 1, memory_order_seq_cst,
	                                             memory_order_relaxed))
		return;
	sched_p *p = pidle_get();
	if (!p) {
		atomic_fetch_sub_explicit(&nmspinning, 1, memory_order_seq_cst);
		return;
	}
	m_start(p, true);
}

/* Sleep until handed a P (true) or told to exit (false). Called private, with no P. */
static bool m_stop(sched_m *m)
{
	goc__lock_acquire(&sched_mu);
	bool exiting = atomic_load_explicit(&retired, memory_order_relaxed);
	if (!exiting) {
		atomic_store_explicit(&m->wake, 0, memory_order_relaxed);
		m->idle_link = midle;
		midle = m;
	}
	goc__lock_release(&sched_mu);
	if (exiting)
		return false;
	int w;
	/* Acquire: see nextp. */
	while ((w = atomic_load_explicit(&m->wake, memory_order_acquire)) == 0)
		goc__futex_wait_until(&m->wake, 0, GOC_FOREVER);
	if (w == 2)
		return false;
	sched_p *p = m->nextp;
	m->nextp = NULL;
	m->spinning = m->next_spinning;
	p_acquire(m, p);
	return true;
}

/* The M found work while spinning: if it was the last spinner, start another [resetspinning]. */
static void m_spinning_done(sched_m *m)
{
	m->spinning = false;
	if (atomic_fetch_sub_explicit(&nmspinning, 1, memory_order_seq_cst) == 1)
		wakep();
}

/* Whether the global queue or any P's queue or run-next slot has a task. */
static bool work_anywhere(void)
{
	if (!globq_empty())
		return true;
	for (int i = 0; i < nprocs; i++) {
		sched_p *p = &allp[i];
		uint32_t h = atomic_load_explicit(&p->head, memory_order_acquire);
		uint32_t t = atomic_load_explicit(&p->tail, memory_order_acquire);
		if (h != t || atomic_load_explicit(&p->runnext, memory_order_acquire))
			return true;
	}
	return false;
}

/*
 * The next task for m, which holds a P; sleeps while there is none [findrunnable].
 * NULL only when m is to exit. Called private.
 */
static goc__g *find_runnable(sched_m *m)
{
	for (;;) {
		sched_p *p = m->p;
		goc__g *g = NULL;
		uint64_t ticks = atomic_load_explicit(&p->ticks, memory_order_relaxed);
		/* A task a timer makes runnable goes to the global queue: take it at once. */
		bool fired = ticks % GOC__TIMERS_EVERY == 0 && goc__timer_poll();
		if (fired || ticks % GOC__GLOBAL_EVERY == 0)
			g = globq_get_one();
		if (!g)
			g = runq_get(p);
		if (!g) {
			goc__timer_poll();
			g = globq_get(p);
		}
		if (g) {
			if (m->spinning)
				m_spinning_done(m);
			return g;
		}
		/* Steal, unless half the busy Ps' worth of Ms are at it already. */
		int busy = nprocs - atomic_load_explicit(&npidle, memory_order_relaxed);
		if (!m->spinning && 2 * atomic_load_explicit(&nmspinning, memory_order_relaxed) < busy) {
			m->spinning = true;
			atomic_fetch_add_explicit(&nmspinning, 1, memory_order_seq_cst);
		}
		if (m->spinning) {
			for (int round = 0; round < 4 && !g; round++) {
				int start = (int)(goc__splitmix64(&m->rng) % (uint64_t)nprocs);
				for (int i = 0; i < nprocs && !g; i++) {
					sched_p *victim = &allp[(start + i) % nprocs];
					if (victim != p)
						g = runq_steal(p, victim, round == 3);
				}
			}
			if (!g)
				g = globq_get(p);
			if (g) {
				m_spinning_done(m);
				return g;
			}
		}
		/* Idle: carve a stack ahead, if spawns want them, and look again. */
		if (carve_ahead())
			continue;
		/* Nothing: give the P back, then look once more before sleeping (pairs with wakep()). */
		m->p = NULL;
		pidle_put(p);
		bool was_spinning = m->spinning;
		if (was_spinning) {
			m->spinning = false;
			atomic_fetch_sub_explicit(&nmspinning, 1, memory_order_seq_cst);
		}
		if (work_anywhere()) {
			sched_p *again = pidle_get();
			if (again) {
				p_acquire(m, again);
				if (was_spinning) {
					m->spinning = true;
					atomic_fetch_add_explicit(&nmspinning, 1, memory_order_seq_cst);
				}
				continue;
			}
		}
		if (!m_stop(m))
			return NULL;
	}
}

/* ---- switching ------------------------------------------------------------------------ */

/* On curg's stack: switch to m's own context, leaving m the `after` to do. */
static void g_switch_out(sched_m *m, goc__g *g, int after)
{
	/* Private for TSan: the M's bookkeeping, which the tasks it runs share (the ignores stay with this fiber). */
	GOC__TSAN_PRIVATE_BEGIN();
	m->after = after;
	g->saved_errno = errno_get();
	if (after == AFTER_EXIT)
		GOC__TSAN_PRIVATE_END(); /* the fiber ends here: with no ignores left on (TSan checks) */
#ifdef GOC__TSAN
	/* No sync: tasks that run in turn on this thread stay unordered. */
	__tsan_switch_to_fiber(m->g0_fiber, __tsan_switch_to_fiber_no_sync);
#endif
#ifdef GOC__ASAN
	__sanitizer_start_switch_fiber(after == AFTER_EXIT ? NULL : &g->asan_fake, m->stack_bottom, m->stack_size);
#endif
	goc__ctx_leave(&g->sp, m->g0_sp);
	/* Resumed, maybe on another thread. */
#ifdef GOC__ASAN
	__sanitizer_finish_switch_fiber(g->asan_fake, NULL, NULL);
#endif
	errno_set(g->saved_errno);
	GOC__TSAN_PRIVATE_END();
}

/* On m's own context: run g until it switches out. */
static void g_execute(sched_m *m, goc__g *g)
{
	sched_p *p = m->p;
	atomic_store_explicit(&p->ticks, atomic_load_explicit(&p->ticks, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
	m->curg = g;
	m->after = AFTER_NONE;
	goc__task_set_self(&g->rec);
	/* Release: the monitor may take the P from here on. */
	atomic_store_explicit(&p->owner, (uintptr_t)m | P_USER, memory_order_release);
#ifdef GOC__TSAN
	__tsan_switch_to_fiber(g->fiber, __tsan_switch_to_fiber_no_sync);
#endif
#ifdef GOC__ASAN
	__sanitizer_start_switch_fiber(&m->asan_fake, g->stack_lo, g->stack_size);
#endif
	goc__ctx_enter(&m->g0_sp, g->sp);
#ifdef GOC__ASAN
	__sanitizer_finish_switch_fiber(m->asan_fake, NULL, NULL);
#endif
	m->curg = NULL;
	goc__task_set_self(&m->rec);
	/*
	 * Take the P back from running a task, unless the monitor took it.
	 * BLOCKING: the task parked inside goc_blocking_begin/end(), and this
	 * thread is free again.
	 */
	if (m->p) {
		uintptr_t want = (uintptr_t)m | P_USER;
		bool kept = atomic_compare_exchange_strong_explicit(&m->p->owner, &want, (uintptr_t)m | P_SCHED,
		                                                    memory_order_acq_rel, memory_order_relaxed);
		if (!kept && want == ((uintptr_t)m | P_BLOCKING))
			kept = atomic_compare_exchange_strong_explicit(&m->p->owner, &want, (uintptr_t)m | P_SCHED,
			                                               memory_order_acq_rel, memory_order_relaxed);
		if (!kept)
			m->p = NULL;
	}
}

/* A new task's first frame. */
static void g_main(goc__g *g)
{
#ifdef GOC__ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	errno_set(0);
	GOC__CHAOS();
	g->fn(g->arg);
	goc__task_ended();
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	GOC__TSAN_PRIVATE_END();
	g_switch_out(m, g, AFTER_EXIT);
	__builtin_unreachable();
}

/* Run tasks until told to exit. Private to TSan, as all of an M's own context. */
static void m_loop(sched_m *m)
{
	goc__g *g = NULL;
	for (;;) {
		if (!g) {
			if (!m->p && !m_stop(m))
				return;
			g = find_runnable(m);
			if (!g)
				return;
		}
		g_execute(m, g);
		goc__g *ran = g;
		g = NULL;
		switch (m->after) {
		case AFTER_PARK:
			/* The park's commit failed: woken meanwhile, so it runs again at once [park_m], here if m kept its P. */
			if (m->commit(m->commit_arg))
				break;
			if (m->p) {
				g = ran;
				break;
			}
			/* fall through: with no P, it waits for one in the global queue */
		case AFTER_REQUEUE:
			/* At the tail of m's P (a spawn that filled it), or, with no P, in the global queue. */
			if (m->p) {
				runq_put(m->p, ran);
			} else {
				globq_put_list(ran, ran, 1);
				wakep();
			}
			break;
		case AFTER_EXIT:
#ifdef GOC__TSAN
			__tsan_destroy_fiber(ran->fiber);
#endif
			/* Relaxed: diagnostics only (see goc__task). */
			atomic_store_explicit(&ran->rec.kind, GOC__REC_IDLE, memory_order_relaxed);
			g_free(m->p, ran);
			break;
		default:
			goc__die("goc scheduler: task switched out with nothing to do", EINVAL);
		}
	}
}

static void *m_main(void *arg)
{
	sched_m *m = arg;
	GOC__TSAN_PRIVATE_BEGIN();
	tls_m = m;
	m->tid = gettid();
	m->rng = (uint64_t)m->tid * 0x9e3779b97f4a7c15u;
	goc__record_start(&m->rec, GOC__REC_IDLE);
	goc__task_set_self(&m->rec);
	char name[16];
	snprintf(name, sizeof name, "goc-m%ld", (long)m->tid);
	(void)pthread_setname_np(pthread_self(), name);
#ifdef GOC__TSAN
	m->g0_fiber = __tsan_get_current_fiber();
#endif
#ifdef GOC__ASAN
	pthread_attr_t attr;
	void *lo;
	size_t size;
	GOC_PT(pthread_getattr_np(pthread_self(), &attr));
	GOC_PT(pthread_attr_getstack(&attr, &lo, &size));
	GOC_PT(pthread_attr_destroy(&attr));
	m->stack_bottom = lo;
	m->stack_size = size;
#endif
	GOC__TSAN_PRIVATE_END();
	goc__tsan_tls_benign(__builtin_frame_address(0));
	GOC__TSAN_PRIVATE_BEGIN();
	/* Its first P came with it. */
	sched_p *p = m->nextp;
	m->nextp = NULL;
	m->spinning = m->next_spinning;
	p_acquire(m, p);
	m_loop(m);
	goc__record_end(&m->rec);
	goc__lock_acquire(&sched_mu);
	if (!m->joined)
		GOC_PT(pthread_detach(pthread_self()));
	goc__lock_release(&sched_mu);
	atomic_fetch_sub_explicit(&nthreads, 1, memory_order_relaxed);
	GOC__TSAN_PRIVATE_END();
	return NULL;
}

/* ---- what tasks call -------------------------------------------------------------------- */

/*
 * A task about to touch its P's queues (a hand-off, a spawn): take the P
 * from USER to SCHED, so the monitor cannot take it meanwhile. A task
 * whose P the monitor took takes an idle P instead, if there is one: a
 * task that never parks (a CPU-bound worker fed by a channel) would
 * otherwise run P-less for good, every task it makes runnable going
 * through the global queue and waking a worker. NULL with no P (then the
 * global queue serves), and in goc_blocking_begin()'s section.
 */
static sched_p *p_enter(sched_m *m)
{
	sched_p *p = m->p;
	if (p) {
		uintptr_t want = (uintptr_t)m | P_USER;
		if (atomic_compare_exchange_strong_explicit(&p->owner, &want, (uintptr_t)m | P_SCHED,
		                                            memory_order_acquire, memory_order_relaxed))
			return p;
		if (P_OWNER(want) == m && P_STATE(want) == P_BLOCKING)
			return NULL;
		m->p = NULL;
	}
	if (m->curg->blocking || !(p = pidle_get()))
		return NULL;
	m->p = p;
	atomic_store_explicit(&p->owner, (uintptr_t)m | P_SCHED, memory_order_release);
	return p;
}

static void p_leave(sched_m *m, sched_p *p)
{
	/* Release: the queue changes before the monitor may take the P. */
	atomic_store_explicit(&p->owner, (uintptr_t)m | P_USER, memory_order_release);
}

/*
 * Make g runnable: next on p, which the calling task took with p_enter()
 * (and gives back here), or on the global queue without one; then start a
 * worker looking if one is idle. Called private.
 */
static void make_runnable(sched_m *m, sched_p *p, goc__g *g)
{
	if (p) {
		runq_put_next(p, g);
		p_leave(m, p);
	} else {
		globq_put_list(g, g, 1);
	}
	wakep();
}

void goc__g_ready(goc__g *g)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	make_runnable(m, m && m->curg ? p_enter(m) : NULL, g);
	GOC__TSAN_PRIVATE_END();
}

/*
 * The calling task's M lost its P (the monitor gave it to another M while
 * the task ran on): take an idle P, or queue the task for one and let the
 * M sleep [exitsyscall]. Otherwise a task that never parks (a loop of
 * spawns) would run on without a P, every task it made runnable going
 * through the global queue and a worker's wake-up.
 */
static void p_regain(sched_m *m)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_p *p = pidle_get();
	if (p) {
		m->p = p;
		atomic_store_explicit(&p->owner, (uintptr_t)m | P_USER, memory_order_release);
		GOC__TSAN_PRIVATE_END();
		return;
	}
	goc__g *g = m->curg;
	GOC__TSAN_PRIVATE_END();
	g_switch_out(m, g, AFTER_REQUEUE);
}

goc_status goc__sched_go(goc_task_fn fn, void *arg)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	sched_p *p = m && m->curg ? p_enter(m) : NULL;
	goc__g *g = g_alloc(p);
	if (!g) {
		if (p)
			p_leave(m, p);
		GOC__TSAN_PRIVATE_END();
		return GOC_NOMEM;
	}
	g->fn = fn;
	g->arg = arg;
	g_prepare(g);
	monitor_start();
	goc__record_task(&g->rec);
	GOC__TSAN_PRIVATE_END();
#ifdef GOC__TSAN
	/* Made here, in the spawner's context: the edge from goc_go() to the task. */
	g->fiber = __tsan_create_fiber(0);
#endif
	GOC__TSAN_PRIVATE_BEGIN();
	/*
	 * A spawner whose queue is full yields to it, at its tail, rather than
	 * pass half of it to the global queue: its tasks run where they were
	 * written, and stay few.
	 */
	bool yield = p && atomic_load_explicit(&p->tail, memory_order_relaxed) -
	                          atomic_load_explicit(&p->head, memory_order_relaxed) >= GOC__RUNQ - 1;
	make_runnable(m, p, g);
	/* A spawn is a scheduling point for a task whose M lost its P (not one in goc_blocking_begin()). */
	bool lost = m && m->curg && !m->p && !m->curg->blocking;
	GOC__TSAN_PRIVATE_END();
	if (lost)
		p_regain(m);
	else if (yield)
		g_switch_out(m, m->curg, AFTER_REQUEUE);
	return GOC_OK;
}

/* Switch out of the calling task and let commit(arg) decide, on the M's own context, whether it parks. */
static void g_park(bool (*commit)(void *arg), void *arg)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	m->commit = commit;
	m->commit_arg = arg;
	goc__g *g = m->curg;
	GOC__TSAN_PRIVATE_END();
	g_switch_out(m, g, AFTER_PARK);
}

/* op->woken for a task: NONE, SLEEPING (parked), DONE (the waker), and FIRED: */
#define GOC__WAKE_FIRED 3

/*
 * Commit a task's park on its op (g->park_op): SLEEPING from the state it
 * last saw (g->park_from: NONE at first; FIRED once the deadline fired but
 * a waker claimed the op). False if the op moved meanwhile (woken, or
 * timed out first): the task runs on.
 */
static bool commit_park(void *arg)
{
	goc__g *g = arg;
	int expected = g->park_from;
	GOC__TSAN_NOSYNC_BEGIN();
	bool parked = atomic_compare_exchange_strong(&g->park_op->woken, &expected, GOC__WAKE_SLEEPING);
	GOC__TSAN_NOSYNC_END();
	return parked;
}

/*
 * Commit a park whose op no waker can see yet (goc__g_park_locked()): a
 * plain store, then the unlock that lets wakers in. Always parks.
 */
static bool commit_park_locked(void *arg)
{
	goc__g *g = arg;
	void (*unlock)(void *arg) = g->park_unlock;
	void *unlock_arg = g->park_unlock_arg;
	atomic_store_explicit(&g->park_op->woken, GOC__WAKE_SLEEPING, memory_order_relaxed);
	/* Last: from the first release on, g may run again elsewhere. */
	unlock(unlock_arg);
	return true;
}

/*
 * The deadline of a parked op: mark it FIRED, and make its task runnable
 * if it sleeps. On the timer thread, or a worker between tasks
 * (goc__timer_poll()).
 */
static void park_timer_fire(goc__timer *timer)
{
	goc__g *g = (goc__g *)(void *)((char *)timer - offsetof(goc__g, park_timer));
	goc__op *op = g->park_op;
	GOC__TSAN_NOSYNC_BEGIN();
	int cur = atomic_load(&op->woken);
	while (cur != GOC__WAKE_DONE && !atomic_compare_exchange_weak(&op->woken, &cur, GOC__WAKE_FIRED)) {
	}
	GOC__TSAN_NOSYNC_END();
	if (cur == GOC__WAKE_SLEEPING)
		goc__g_ready(g);
}

bool goc__g_park_locked(goc__op *op, void (*unlock)(void *arg), void *arg)
{
	goc__op_count_forever(op);
	goc__g *g = op->g;
	GOC__TSAN_PRIVATE_BEGIN();
	g->park_op = op;
	g->park_unlock = unlock;
	g->park_unlock_arg = arg;
	/* The locks are still held: its wakers read this after taking them. */
	op->quiet_wake = true;
	GOC__TSAN_PRIVATE_END();
	g_park(commit_park_locked, g);
	goc__op_uncount_forever(op);
	return true;
}

bool goc__g_park_op(goc__op *op, int64_t deadline)
{
	bool forever = deadline == GOC_FOREVER;
	if (forever)
		goc__op_count_forever(op);
	goc__g *g = op->g;
	GOC__TSAN_PRIVATE_BEGIN();
	g->park_op = op;
	g->park_from = GOC__WAKE_NONE;
	GOC__TSAN_PRIVATE_END();
	bool timed = false;
	if (!forever) {
		GOC__TSAN_PRIVATE_BEGIN();
		goc_status st = goc__timer_start(&g->park_timer, deadline, park_timer_fire);
		GOC__TSAN_PRIVATE_END();
		if (st != GOC_OK)
			goc__die("goc__timer_start(park deadline)", ENOMEM);
		timed = true;
	}
	for (;;) {
		g_park(commit_park, g);
		GOC__TSAN_NOSYNC_BEGIN();
		int woken = atomic_load(&op->woken);
		GOC__TSAN_NOSYNC_END();
		if (woken == GOC__WAKE_DONE) {
			if (timed) {
				GOC__TSAN_PRIVATE_BEGIN();
				(void)goc__timer_stop(&g->park_timer);
				GOC__TSAN_PRIVATE_END();
			}
			goc__op_uncount_forever(op);
			return true;
		}
		/* FIRED: the deadline passed. Time out, unless a waker claimed the op just in time. */
		int waiting = GOC__OP_WAITING;
		GOC__TSAN_NOSYNC_BEGIN();
		bool timed_out = atomic_compare_exchange_strong(&op->state, &waiting, GOC__OP_TIMEDOUT);
		GOC__TSAN_NOSYNC_END();
		if (timed_out)
			return false;
		timed = false; /* it fired */
		GOC__TSAN_PRIVATE_BEGIN();
		g->park_from = GOC__WAKE_FIRED;
		GOC__TSAN_PRIVATE_END();
	}
}

void goc_blocking_begin(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	if (m && m->curg)
		m->curg->blocking = true;
	sched_p *p = m && m->curg ? m->p : NULL;
	if (p) {
		uintptr_t want = (uintptr_t)m | P_USER;
		if (!atomic_compare_exchange_strong_explicit(&p->owner, &want, (uintptr_t)m | P_BLOCKING,
		                                             memory_order_acq_rel, memory_order_relaxed)) {
			m->p = NULL;
		} else if (!runq_empty(p) || !globq_empty()) {
			/* Work waits: hand the P over now [entersyscallblock, handoffp]. */
			want = (uintptr_t)m | P_BLOCKING;
			if (atomic_compare_exchange_strong_explicit(&p->owner, &want, (uintptr_t)P_IDLE, memory_order_acq_rel,
			                                            memory_order_relaxed)) {
				m->p = NULL;
				m_start(p, false);
			}
		}
		monitor_wake();
	}
	GOC__TSAN_PRIVATE_END();
}

void goc_blocking_end(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	sched_m *m = m_self();
	if (!m || !m->curg) {
		GOC__TSAN_PRIVATE_END();
		return;
	}
	m->curg->blocking = false;
	sched_p *p = m->p;
	if (p) {
		uintptr_t want = (uintptr_t)m | P_BLOCKING;
		/* Or USER: the task parked in the section and resumed on this M, which holds its P as usual. */
		if (atomic_compare_exchange_strong_explicit(&p->owner, &want, (uintptr_t)m | P_USER, memory_order_acq_rel,
		                                            memory_order_relaxed) ||
		    want == ((uintptr_t)m | P_USER)) {
			GOC__TSAN_PRIVATE_END();
			return;
		}
		m->p = NULL;
	}
	GOC__TSAN_PRIVATE_END();
	/* The P went to other work [exitsyscall]. */
	p_regain(m);
}

/* ---- the monitor ------------------------------------------------------------------------ */

/* Whether the thread with kernel id tid sleeps in the kernel (state S or D). Allocates nothing. */
static bool thread_sleeping(pid_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && (paren[2] == 'S' || paren[2] == 'D');
}

void goc__sched_signal_monitor(void)
{
	/* Lock-free atomics and a futex system call: async-signal-safe. */
	monitor_wake();
}

static void monitor_wake(void)
{
	int asleep = 2;
	/*
	 * Seq_cst, against the monitor's store of 2 and load of npidle: after a
	 * P was taken (npidle's seq_cst store), either we see it asleep, or it
	 * sees the P busy and does not sleep. Relaxed, a weakly ordered CPU may
	 * read the state from before that store.
	 */
	if (atomic_load_explicit(&monitor_state, memory_order_seq_cst) == 2 &&
	    atomic_compare_exchange_strong(&monitor_state, &asleep, 1))
		goc__futex_wake(&monitor_state, 1);
}

/* Look at every P once: take the stuck ones. Returns whether any P looked stuck. */
static bool monitor_look(void)
{
	int64_t now = goc_now();
	bool suspicious = false;
	for (int i = 0; i < nprocs; i++) {
		sched_p *p = &allp[i];
		uintptr_t w = atomic_load_explicit(&p->owner, memory_order_acquire);
		int state = P_STATE(w);
		uint64_t ticks = atomic_load_explicit(&p->ticks, memory_order_relaxed);
		/*
		 * A P seen in SCHED by the same M with the same ticks is still
		 * running the same task, which is in the scheduler for a moment
		 * (a spawn's stack may cost a page fault there): it stays stuck,
		 * to be taken at a look that finds it USER.
		 */
		if (state == P_IDLE || ticks != p->mon_ticks || P_OWNER(w) != p->mon_owner) {
			p->mon_owner = P_OWNER(w);
			p->mon_ticks = ticks;
			p->mon_since = now;
			continue;
		}
		/* The same task since the last look. Does anything wait for this P? */
		if (runq_empty(p) && (globq_empty() || atomic_load_explicit(&npidle, memory_order_relaxed) > 0))
			continue;
		suspicious = true;
		int64_t stuck = now - p->mon_since;
		bool take = state == P_BLOCKING || stuck >= GOC__RUN_LIMIT_NS;
		if (!take && stuck >= GOC__SLEEP_LIMIT_NS && now - p->mon_read_at >= GOC__MONITOR_PROC_NS) {
			p->mon_read_at = now;
			take = thread_sleeping(P_OWNER(w)->tid);
		}
		if (take && state != P_SCHED && atomic_compare_exchange_strong(&p->owner, &w, (uintptr_t)P_IDLE))
			m_start(p, false);
	}
	return suspicious;
}

static void *monitor_main(void *arg)
{
	(void)arg;
	GOC__TSAN_PRIVATE_BEGIN();
	char name[16];
	snprintf(name, sizeof name, "goc-s%ld", (long)gettid());
	(void)pthread_setname_np(pthread_self(), name);
	int64_t delay = GOC__MONITOR_MIN_NS;
	for (;;) {
		struct timespec ts = { (time_t)(delay / 1000000000), (long)(delay % 1000000000) };
		nanosleep(&ts, NULL);
		goc__lock_acquire(&sched_mu);
		bool exiting = atomic_load_explicit(&retired, memory_order_relaxed);
		goc__lock_release(&sched_mu);
		if (exiting)
			break;
		GOC__TSAN_PRIVATE_END();
		goc__quit_check(); /* a SIGQUIT's dump, which parked tasks cannot give */
		GOC__TSAN_PRIVATE_BEGIN();
		if (atomic_load_explicit(&npidle, memory_order_seq_cst) == nprocs && globq_empty()) {
			/*
			 * Every P idle: sleep until one is taken (pidle_get() wakes
			 * us) or the program exits. Seq_cst, against
			 * goc__sched_retire()'s store of retired and load of
			 * monitor_state: either it sees us asleep and wakes us, or
			 * we see it retired and do not sleep (we once slept through
			 * it, and exit hung joining us).
			 */
			GOC__CHAOS(); /* as before any park: chaos widens the window above (sched_exit.c) */
			atomic_store(&monitor_state, 2);
			if (atomic_load_explicit(&npidle, memory_order_seq_cst) == nprocs && !atomic_load(&retired))
				goc__futex_wait_until(&monitor_state, 2, GOC_FOREVER);
			GOC__TSAN_PRIVATE_END();
			goc__quit_check();
			GOC__TSAN_PRIVATE_BEGIN();
			atomic_store(&monitor_state, 1);
			delay = GOC__MONITOR_MIN_NS;
			continue;
		}
		if (monitor_look())
			delay = GOC__MONITOR_MIN_NS;
		else if (delay < GOC__MONITOR_MAX_NS)
			delay = delay * 2 < GOC__MONITOR_MAX_NS ? delay * 2 : GOC__MONITOR_MAX_NS;
	}
	atomic_fetch_sub_explicit(&nthreads, 1, memory_order_relaxed);
	GOC__TSAN_PRIVATE_END();
	return NULL;
}

/* ---- set-up, fork, exit ------------------------------------------------------------------ */

static void sched_fork_prepare(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_acquire(&sched_mu);
	goc__lock_acquire(&globq_mu);
	GOC__TSAN_PRIVATE_END();
}

static void sched_fork_parent(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_release(&globq_mu);
	goc__lock_release(&sched_mu);
	GOC__TSAN_PRIVATE_END();
}

/* The child has none of the parent's threads: every P idle and empty, no M, no monitor. */
static void sched_fork_child(void)
{
	tls_m = NULL;
	pidle = NULL;
	for (int i = nprocs - 1; i >= 0; i--) {
		sched_p *p = &allp[i];
		atomic_store(&p->owner, (uintptr_t)P_IDLE);
		atomic_store(&p->head, 0);
		atomic_store(&p->tail, 0);
		atomic_store(&p->runnext, NULL);
		p->gfree = NULL;
		p->ngfree = 0;
		p->idle_link = pidle;
		pidle = p;
	}
	atomic_store(&npidle, nprocs);
	midle = NULL;
	nallm = 0;
	atomic_store(&nmspinning, 0);
	atomic_store(&nthreads, 0);
	globq_head = globq_tail = NULL;
	atomic_store(&globq_len, 0);
	atomic_store(&monitor_state, 0);
	goc__lock_release(&globq_mu);
	goc__lock_release(&sched_mu);
}

static void sched_init(void)
{
	stack_size = env_size("GOC_STACK", GOC__STACK_DEFAULT, 16u * 1024u, 1u << 30, true);
	stack_size = (stack_size + page_size() - 1) & ~(page_size() - 1);
	goc__lock_init(&sched_mu);
	goc__lock_init(&globq_mu);
	allp = aligned_alloc(64, (size_t)nprocs * sizeof *allp);
	if (!allp)
		goc__die("aligned_alloc(Ps)", ENOMEM);
	memset(allp, 0, (size_t)nprocs * sizeof *allp);
	for (int i = nprocs - 1; i >= 0; i--) {
		allp[i].index = i;
		allp[i].idle_link = pidle;
		pidle = &allp[i];
	}
	atomic_store(&npidle, nprocs);
	goc__fork_handlers(GOC__FORK_SCHED, sched_fork_prepare, sched_fork_parent, sched_fork_child);
}

/* Start the monitor with the first task. Called private. */
static void monitor_start(void)
{
	int zero = 0;
	if (atomic_load_explicit(&monitor_state, memory_order_relaxed) != 0 ||
	    !atomic_compare_exchange_strong(&monitor_state, &zero, 1))
		return;
	pthread_attr_t attr;
	GOC_PT(pthread_attr_init(&attr));
	/* As an M's: at least PTHREAD_STACK_MIN, which is 128 KiB on AArch64. */
	GOC_PT(pthread_attr_setstacksize(&attr, 256u * 1024u));
	sigset_t all, old;
	sigfillset(&all);
	GOC_PT(pthread_sigmask(SIG_SETMASK, &all, &old));
	atomic_fetch_add_explicit(&nthreads, 1, memory_order_relaxed);
	int rc = pthread_create(&monitor_thread, &attr, monitor_main, NULL);
	GOC_PT(pthread_sigmask(SIG_SETMASK, &old, NULL));
	GOC_PT(pthread_attr_destroy(&attr));
	if (rc != 0) {
		/* Without a monitor tasks still run; only blocked threads are not worked around. */
		atomic_fetch_sub_explicit(&nthreads, 1, memory_order_relaxed);
		atomic_store(&monitor_state, 0);
	}
}

void goc__sched_each_task(void (*fn)(goc__task *rec, void *arg), void *arg)
{
	if (atomic_load_explicit(&backend, memory_order_acquire) != GOC_TASKS_MN)
		return;
	goc__lock_acquire(&sched_mu);
	for (size_t i = 0; i < nallg; i++)
		fn(&allg[i]->rec, arg);
	goc__lock_release(&sched_mu);
}

size_t goc__sched_threads(void)
{
	return atomic_load_explicit(&nthreads, memory_order_relaxed);
}

size_t goc__sched_globq_puts(void)
{
	return atomic_load_explicit(&globq_puts, memory_order_relaxed);
}

void goc__sched_retire(void)
{
	if (atomic_load_explicit(&backend, memory_order_acquire) != GOC_TASKS_MN)
		return;
	GOC__TSAN_PRIVATE_BEGIN();
	goc__lock_acquire(&sched_mu);
	atomic_store(&retired, true); /* seq_cst: see monitor_main() */
	size_t n = 0;
	pthread_t *tids = malloc((nallm + 1) * sizeof *tids);
	for (sched_m *m = midle; m && tids; m = m->idle_link) {
		m->joined = true;
		tids[n++] = m->thread;
		atomic_store_explicit(&m->wake, 2, memory_order_release);
		goc__futex_wake(&m->wake, 1);
	}
	midle = NULL;
	goc__lock_release(&sched_mu);
	if (atomic_load(&monitor_state) != 0) {
		int asleep = 2;
		if (atomic_compare_exchange_strong(&monitor_state, &asleep, 1))
			goc__futex_wake(&monitor_state, 1);
		if (tids)
			tids[n++] = monitor_thread;
	}
	for (size_t i = 0; i < n; i++)
		GOC_PT(pthread_join(tids[i], NULL));
	free(tids);
	GOC__TSAN_PRIVATE_END();
}

#else /* !GOC__MN_SUPPORTED: choose() refuses mn, so none of these is reached. */

goc_status goc__sched_go(goc_task_fn fn, void *arg)
{
	(void)fn;
	(void)arg;
	return GOC_NOMEM;
}

bool goc__g_park_op(goc__op *op, int64_t deadline)
{
	(void)op;
	(void)deadline;
	return false;
}

bool goc__g_park_locked(goc__op *op, void (*unlock)(void *arg), void *arg)
{
	(void)op;
	(void)unlock;
	(void)arg;
	return false;
}

void goc__g_ready(goc__g *g) { (void)g; }
void goc_blocking_begin(void) {}
void goc_blocking_end(void) {}
size_t goc__sched_threads(void) { return 0; }
size_t goc__sched_globq_puts(void) { return 0; }
void goc__sched_retire(void) {}
void goc__sched_signal_monitor(void) {}
void goc__sched_each_task(void (*fn)(goc__task *rec, void *arg), void *arg) { (void)fn; (void)arg; }

#endif /* GOC__MN_SUPPORTED */
