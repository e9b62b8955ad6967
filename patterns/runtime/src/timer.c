/*
 * timer.c - libgoc's timer service and the two timer calls of timer.h.
 *
 * One background thread, started on the first goc__timer_start(), serves a
 * binary min-heap of pending goc__timer pointers ordered by `when`. It
 * sleeps on a CLOCK_MONOTONIC condition variable until the earliest timer is
 * due, pops it and runs its fire() with the timer lock still held (a
 * worker of the M:N scheduler does the same between tasks when a timer is
 * due, goc__timer_poll(), as Go's processors run their timers). Holding
 * the lock across fire() is what lets goc__timer_stop() promise that fire()
 * is neither running nor going to run once it returns: stop takes the same
 * lock. The price is that fire() must be short and must not block, which
 * holds for both users: goc_after()'s non-blocking send into a channel of
 * capacity 1, and a context's cancellation. The thread is a plain pthread,
 * not a task, with every signal blocked so that the program's handlers run
 * on the program's threads.
 *
 * goc_after() is a channel (element int64_t, capacity 1) with a timer
 * attached through ch->attached; goc_chan_free() calls goc__chan_free_hook,
 * set to after_release() before the first goc_after() attaches a timer,
 * which stops and frees it. goc_sleep() needs no timer on a thread: it is
 * clock_nanosleep() on an absolute monotonic time; a task of the M:N
 * scheduler parks with one (the park deadline, sched.c).
 *
 * Lock order: the timer lock, then the context lock (a deadline's fire()),
 * then channel locks (goc_after()'s send, a context's close), then the task
 * registry. So nothing may start or stop a timer while
 * holding a context or channel lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "goc_internal.h"

/* Initial heap capacity; it doubles as needed and never shrinks. */
enum { TIMER_HEAP_MIN = 64 };

static pthread_mutex_t timer_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cv;       /* the thread's wake-up; CLOCK_MONOTONIC; set up by timer_cv_once */
static pthread_once_t timer_cv_once = PTHREAD_ONCE_INIT;
static bool timer_running;            /* the thread has been started; guarded by timer_mu */
static bool timer_closing;            /* the thread is to exit (goc__timer_retire()); guarded by timer_mu */
static pthread_t timer_tid;           /* set once with timer_running; guarded by timer_mu */
static goc__timer **timer_heap;       /* min-heap on `when`; guarded by timer_mu */
static size_t timer_len;              /* pending timers; guarded by timer_mu */
static size_t timer_cap;              /* slots in timer_heap; guarded by timer_mu */
/* The earliest pending `when`, INT64_MAX with none: written under timer_mu, read as a hint (goc__timer_poll()). */
static _Atomic(int64_t) timer_next = INT64_MAX;

/*
 * fork() copies the timers but not the thread that serves them: the child
 * starts with none (a child's copies of its parent's timers never fire, as
 * the parent's thread would have fired them), and starts a thread of its
 * own for its first timer. timer_mu is held across the fork (fork.c), and
 * this resets the child's copy before its release.
 */
static void timer_fork_child(void)
{
	for (size_t i = 0; i < timer_len; i++)
		timer_heap[i]->index = SIZE_MAX;
	timer_len = 0;
	atomic_store_explicit(&timer_next, INT64_MAX, memory_order_relaxed);
	timer_running = false;
	/* The parent's thread may have been waiting on it: its copy counts a waiter that is not here. */
	goc__cond_init(&timer_cv);
}

static void timer_cv_init(void)
{
	goc__cond_init(&timer_cv);
}

/* From the program's start, before any thread can take timer_mu (goc__timer_poll() tries it). */
__attribute__((constructor)) static void timer_fork_install(void)
{
	goc__fork_hold_mutex(GOC__FORK_TIMER, &timer_mu, timer_fork_child);
}

/* ---- the heap; every function here is called with timer_mu held ---------- */

static void heap_set(size_t i, goc__timer *t)
{
	timer_heap[i] = t;
	t->index = i;
	if (i == 0)
		atomic_store_explicit(&timer_next, t->when, memory_order_relaxed);
}

/* Move the timer at slot i towards the root while it is earlier than its parent. */
static void heap_up(size_t i)
{
	goc__timer *t = timer_heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (timer_heap[parent]->when <= t->when)
			break;
		heap_set(i, timer_heap[parent]);
		i = parent;
	}
	heap_set(i, t);
}

/* Move the timer at slot i towards the leaves while a child is earlier. */
static void heap_down(size_t i)
{
	goc__timer *t = timer_heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= timer_len)
			break;
		if (child + 1 < timer_len && timer_heap[child + 1]->when < timer_heap[child]->when)
			child++;
		if (t->when <= timer_heap[child]->when)
			break;
		heap_set(i, timer_heap[child]);
		i = child;
	}
	heap_set(i, t);
}

/* Take the timer at slot i out of the heap and mark it not pending. */
static void heap_remove(size_t i)
{
	goc__timer *t = timer_heap[i];
	timer_len--;
	if (i != timer_len) {
		/* Fill the hole with the last timer, which may belong above or below it. */
		goc__timer *last = timer_heap[timer_len];
		heap_set(i, last);
		if (i > 0 && last->when < timer_heap[(i - 1) / 2]->when)
			heap_up(i);
		else
			heap_down(i);
	}
	timer_heap[timer_len] = NULL;
	t->index = SIZE_MAX;
	if (timer_len == 0)
		atomic_store_explicit(&timer_next, INT64_MAX, memory_order_relaxed);
}

/* True if t sits in the heap. Checking the slot, not just the index, keeps a zeroed timer safe. */
static bool heap_holds(const goc__timer *t)
{
	return t->index < timer_len && timer_heap[t->index] == t;
}

/* ---- the thread ------------------------------------------------------------ */

/* Fire every timer due by `now`; true if any was. Called with timer_mu held. */
static bool fire_due(int64_t now)
{
	bool fired = false;
	while (timer_len > 0 && timer_heap[0]->when <= now) {
		goc__timer *t = timer_heap[0];
		heap_remove(0);
		t->fire(t);
		fired = true;
	}
	return fired;
}

static void *timer_main(void *arg)
{
	(void)arg;
	/* "goc-t" and its kernel id: see worker_main() in task.c. */
	char name[16];
	snprintf(name, sizeof name, "goc-t%ld", (long)gettid());
	(void)pthread_setname_np(pthread_self(), name);
	/*
	 * Wake at the deadline, not up to 50 µs after it (the kernel's default
	 * timer slack, which it adds to every timed sleep of a normal thread):
	 * a timer's lateness is every goc_sleep()'s and deadline's.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	GOC_PT(pthread_mutex_lock(&timer_mu));
	/*
	 * Fire what is due, then sleep until the earliest pending timer (or,
	 * with none, until one is started). Every wake-up, spurious or from a
	 * start of an earlier timer, goes round the loop and looks again, so
	 * a stop of the earliest timer needs no wake-up of its own.
	 */
	while (!timer_closing) {
		if (timer_len == 0) {
			GOC_PT(pthread_cond_wait(&timer_cv, &timer_mu));
			continue;
		}
		if (fire_due(goc_now()))
			continue;
		goc__timer *t = timer_heap[0];
		(void)goc__cond_wait_until(&timer_cv, &timer_mu, t->when);
	}
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return NULL;
}

/* Start the timer thread. Called with timer_mu held; false if no thread could be made. */
static bool timer_thread_start(void)
{
	pthread_attr_t attr;
	GOC_PT(pthread_attr_init(&attr));
#ifndef GOC__TSAN
	/* TSan builds join it at exit (goc__timer_retire()). */
	GOC_PT(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
#endif
	/* The thread inherits this mask: it never runs the program's signal handlers. */
	sigset_t all, old;
	sigfillset(&all);
	GOC_PT(pthread_sigmask(SIG_SETMASK, &all, &old));
	pthread_t tid;
	int rc = pthread_create(&tid, &attr, timer_main, NULL);
	GOC_PT(pthread_sigmask(SIG_SETMASK, &old, NULL));
	GOC_PT(pthread_attr_destroy(&attr));
	if (rc == EAGAIN)
		return false;
	if (rc != 0)
		goc__die("pthread_create(timer thread)", rc);
	timer_tid = tid;
	return true;
}

bool goc__timer_poll(void)
{
#ifdef GOC__TSAN
	return false;
#else
	/* Relaxed: a hint, read first so that no timer pending costs no clock read. */
	int64_t next = atomic_load_explicit(&timer_next, memory_order_relaxed);
	if (next == INT64_MAX)
		return false;
	int64_t now = goc_now();
	if (next > now)
		return false;
	if (pthread_mutex_trylock(&timer_mu) != 0)
		return false; /* the timer thread, or another worker, is at it */
	bool fired = fire_due(now);
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return fired;
#endif
}

bool goc__timers_pending(void)
{
	GOC_PT(pthread_mutex_lock(&timer_mu));
	bool pending = timer_len > 0;
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return pending;
}

size_t goc__timer_threads(void)
{
	GOC_PT(pthread_mutex_lock(&timer_mu));
	size_t n = timer_running && !timer_closing;
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return n;
}

void goc__timer_retire(void)
{
	GOC_PT(pthread_mutex_lock(&timer_mu));
	bool running = timer_running && !timer_closing;
	timer_closing = true;
	if (running)
		GOC_PT(pthread_cond_signal(&timer_cv));
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	if (running)
		GOC_PT(pthread_join(timer_tid, NULL));
	/*
	 * Exit handlers that run after this one (registered earlier, or a
	 * library's destructor) may still start timers: the next start makes
	 * a new thread, rather than leaving them never to fire.
	 */
	GOC_PT(pthread_mutex_lock(&timer_mu));
	timer_running = false;
	timer_closing = false;
	GOC_PT(pthread_mutex_unlock(&timer_mu));
}

/* ---- the service of goc_internal.h ----------------------------------------- */

goc_status goc__timer_start(goc__timer *timer, int64_t when, void (*fire)(goc__timer *timer))
{
	GOC_PT(pthread_once(&timer_cv_once, timer_cv_init));
	GOC_PT(pthread_mutex_lock(&timer_mu));
	if (heap_holds(timer))
		goc__panic("goc: timer started while pending");
	/*
	 * The thread is started here, under the lock, rather than through
	 * pthread_once, so that a failure (no threads left for the moment) is
	 * reported as GOC_NOMEM and retried by the next start.
	 */
	if (!timer_running && !timer_closing) {
		if (!timer_thread_start()) {
			GOC_PT(pthread_mutex_unlock(&timer_mu));
			return GOC_NOMEM;
		}
		timer_running = true;
	}
	if (timer_len == timer_cap) {
		size_t cap = timer_cap ? 2 * timer_cap : TIMER_HEAP_MIN;
		goc__timer **heap = realloc(timer_heap, cap * sizeof *heap);
		if (!heap) {
			GOC_PT(pthread_mutex_unlock(&timer_mu));
			return GOC_NOMEM;
		}
		timer_heap = heap;
		timer_cap = cap;
	}
	timer->when = when;
	timer->fire = fire;
	timer_len++;
	heap_set(timer_len - 1, timer);
	heap_up(timer_len - 1);
	/* Only a new earliest timer changes how long the thread should sleep. */
	if (timer->index == 0)
		GOC_PT(pthread_cond_signal(&timer_cv));
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return GOC_OK;
}

bool goc__timer_stop(goc__timer *timer)
{
	GOC_PT(pthread_mutex_lock(&timer_mu));
	bool pending = heap_holds(timer);
	if (pending)
		heap_remove(timer->index);
	/*
	 * Taking timer_mu waited out a fire() in progress, since the thread
	 * holds the lock while it runs; after this unlock none can start.
	 */
	GOC_PT(pthread_mutex_unlock(&timer_mu));
	return pending;
}

/* ---- goc_after() ----------------------------------------------------------- */

/* A goc_after() timer and the channel it sends on. */
typedef struct after_timer {
	goc__timer timer; /* first member: fire() gets this back from its goc__timer */
	goc_chan *ch;     /* immutable */
} after_timer;

/* Runs on the timer thread with the timer lock held. */
static void after_fire(goc__timer *timer)
{
	after_timer *at = (after_timer *)timer;
	int64_t now = goc_now();
	/*
	 * Capacity 1 and this the only send: there is always room, so the
	 * send neither blocks nor fails, and the result needs no handling.
	 */
	(void)goc_chan_send(at->ch, &now, GOC_NOWAIT);
}

/* goc_chan_free()'s hook for a goc_after() channel (one with a timer attached): stop and release its timer. */
static void after_release(goc_chan *ch)
{
	goc__timer *timer = ch->attached;
	(void)goc__timer_stop(timer);
	ch->attached = NULL;
	free((after_timer *)timer);
}

static pthread_once_t after_once = PTHREAD_ONCE_INIT;

static void after_init(void)
{
	goc__chan_free_hook = after_release;
}

goc_chan *goc_after(int64_t ns)
{
	/* The hook is set before any channel has a timer attached. */
	GOC_PT(pthread_once(&after_once, after_init));
	goc_chan *ch = goc_chan_make(sizeof(int64_t), 1);
	if (!ch)
		return NULL;
	after_timer *at = malloc(sizeof *at);
	if (!at) {
		goc_chan_free(ch);
		return NULL;
	}
	at->timer.index = SIZE_MAX;
	at->ch = ch;
	/*
	 * ch->attached is set before the timer is armed, and before the channel
	 * is returned: the timer thread reads `at` only after taking the timer
	 * lock that goc__timer_start() released, and the caller only after
	 * this return.
	 */
	ch->attached = &at->timer;
	if (goc__timer_start(&at->timer, goc_deadline_after(ns), after_fire) != GOC_OK) {
		goc_chan_free(ch); /* stops (a no-op) and frees `at` through ch->attached */
		return NULL;
	}
	return ch;
}

/* ---- goc_sleep() ----------------------------------------------------------- */

void goc_sleep(int64_t ns)
{
	if (ns <= 0)
		return;
	if (goc__g_self()) {
		/* A task of the M:N scheduler parks until a timer makes it runnable: its thread runs others meanwhile. */
		goc__op op;
		goc__op_init(&op, false, false);
		goc__blocked_enter(GOC__SLEEP, NULL);
		(void)goc__op_park(&op, goc_deadline_after(ns));
		goc__blocked_leave();
		return;
	}
	/* goc_now() is CLOCK_MONOTONIC + 1 ns; undo that for clock_nanosleep. */
	int64_t abs = goc_deadline_after(ns) - 1;
	struct timespec ts = { .tv_sec = (time_t)(abs / 1000000000), .tv_nsec = (long)(abs % 1000000000) };
	goc__blocked_enter(GOC__SLEEP, NULL);
	/*
	 * An absolute deadline makes the retry after a signal (EINTR) exact:
	 * it sleeps to the same end, not for the whole span again.
	 */
	int rc;
	while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) != 0) {
		if (rc != EINTR)
			goc__die("clock_nanosleep", rc);
	}
	goc__blocked_leave();
}
