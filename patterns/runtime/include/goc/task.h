/*
 * task.h - goroutine-style tasks: goc_go(fn, arg) runs fn(arg) as a task.
 *
 * Backends. Tasks run one of two ways, chosen once per process at the first
 * goc_go() (GOC_TASKS=threads|mn in the environment, or goc_tasks_use()
 * before it); every primitive of libgoc works the same on both:
 *   - threads (the default): each task on a pooled POSIX thread, below;
 *   - mn: the M:N scheduler, Go's design: tasks are user-space contexts run
 *     by GOC_PROCS worker threads (default: the usable CPUs). A hand-off
 *     between two tasks (an unbuffered send, a spawn) switches tasks on one
 *     thread in user space, with no system call. Each task has a
 *     GOC_STACK-byte stack (default 64 KiB; 256 KiB in sanitizer builds; k
 *     and M suffixes), committed page by page as used; the first 16,384
 *     have a guard page below them (the kernel's map count limits more). A
 *     blocked task commits one page, its stack's top with its task struct
 *     on it, plus about 150 bytes of page tables: 5,000,000 tasks blocked
 *     on a channel peaked at 19.1 GiB resident and 0.7 GiB of page tables,
 *     so 24 GiB holds about 6 million. Memory is the limit: each task's 72
 *     KiB of address space and the map count (33,000 mappings, of 65,530)
 *     are not. A task that blocks its thread (read(), sleep(),
 *     pthread_cond_wait()) is noticed by a monitor thread, which moves the
 *     worker's other tasks to another thread when its thread sleeps in the
 *     kernel while they wait (within milliseconds), or after 10 ms of
 *     running without a scheduling point; goc_blocking_begin/end() say so
 *     at once, and goc_go_thread() gives a task a thread of its own. A task
 *     may resume on another thread after any blocking libgoc call. errno's
 *     value goes with it, but not errno's address, which compilers keep
 *     across calls (glibc declares __errno_location() const): a function
 *     that uses errno both before and after such a call may read or write
 *     the first thread's. Save errno in a variable before the call, and
 *     read a later errno in another function (not inlined), or run such
 *     code with goc_go_thread(). The same holds for the address of any
 *     thread-local, and a pthread mutex must not be held across such a call
 *     (it would be unlocked on another thread). Threads that are not tasks
 *     (main, a library's threads) use every primitive as on the threads
 *     backend. goc_main() runs a program's driver as a task, as Go's main
 *     is a goroutine.
 * A bad GOC_TASKS value, and with mn chosen a bad GOC_PROCS (1..1024) or
 * GOC_STACK value, ends the program with a message on stderr and status 2
 * at the first goc_go(); the threads backend reads neither.
 *
 * On the threads backend, a task runs on a POSIX thread of its own with a
 * 256 KiB stack, from goc_go() until fn returns. Threads cannot grow their stacks the way
 * goroutines do, so the size is a trade: glibc's default (8 MiB) reserves
 * 80 GiB of address space for 10,000 tasks, while 256 KiB holds deep C call
 * chains and the larger frames of sanitizer builds, and only the pages a
 * task touches cost memory (ThreadSanitizer builds keep 32 KiB of it for
 * libgoc). A task that needs more should keep big buffers on the heap.
 *
 * Threads are reused: when fn returns, its thread waits a while (spinning
 * up to 20 microseconds, then asleep, using no CPU) for goc_go() to hand it the
 * next task, which then starts without the cost of making a thread. So a
 * later task may run on the same thread, and sees what earlier ones left in
 * thread-local storage (errno, _Thread_local variables, pthread_setspecific
 * values, whose destructors run only when the thread exits); goroutines
 * have no such storage, and a task should not count on it either way. To
 * ThreadSanitizer, tasks that share a thread stay unrelated, as goroutines
 * do: a race between two of them is reported even if they ran in turn.
 *
 * libgoc counts live tasks (goc_go() to the return of fn), like a goroutine
 * count, so that tests can fail when tasks outlive them (the idea of goleak).
 * Idle threads waiting for a task are not tasks: they are not counted, and
 * goc_tasks_dump() does not list them.
 *
 * A child of fork() starts its tasks on threads of its own, with none of
 * its parent's. libgoc holds its global locks across the fork, so its
 * global state (the tree of contexts, the timers, the scheduler, the task
 * records) is whole in the child whatever the parent's other threads were
 * doing. The child has none of its parent's timers: a deadline set in the
 * parent (goc_after(), a context's) never fires in the child. A channel is
 * the program's own, like a mutex of its own: one that another thread was
 * operating on at the moment of the fork (a context's done channel too)
 * may stay locked in the child.
 *
 * Checks of the tsan and debug builds (every build without NDEBUG; not
 * release), as Go's runtime makes them:
 *   - Deadlock: when every thread of the process is blocked for good in a
 *     libgoc wait with no deadline (channel operations, select, WaitGroup
 *     and semaphore waits) and no timer is pending, the program prints
 *     "fatal error: all goroutines are asleep - deadlock!" and a
 *     goc_tasks_dump() to stderr and exits with status 2, within about
 *     0.2 s. A thread libgoc cannot account for (one that never used it,
 *     or blocks in a plain pthread call) may still wake the others, so
 *     while one exists nothing is reported.
 *   - Task leak: tasks still running 0.2 s after the program's exit()
 *     began are listed on stderr ("goc: task leak: N task(s) still
 *     running at exit", then the dump); the exit status is unchanged.
 *   - SIGQUIT: while a thread waits with no deadline, SIGQUIT prints
 *     "SIGQUIT: quit" and the dump and exits with status 2, as Go does
 *     (unless the program has a SIGQUIT handler of its own): where a hung
 *     program's tasks are stuck.
 * GOC_CHECKS=0 in the environment turns these off. In ThreadSanitizer
 * builds, libgoc's idle threads exit at exit(), so that TSan does not
 * sleep a second there waiting for them.
 *
 * Overlap: every call here may overlap with any other.
 * Ordering: goc_go() happens-before fn starts. Nothing orders fn's return
 * with the caller but the program's own channels, WaitGroups and the like.
 */
#ifndef GOC_TASK_H
#define GOC_TASK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

typedef void (*goc_task_fn)(void *arg);

/*
 * Start fn(arg) as a new task: on the threads backend, on an idle thread if
 * one is waiting, else on a new thread; on the M:N scheduler, queued to run
 * next on the spawning task's worker. Returns GOC_OK, or GOC_NOMEM when no
 * thread (or stack) could be made (after retrying for a while when the
 * system is out of threads only for the moment). Never blocks otherwise (it
 * may spin for a microsecond for a thread about to fall idle). On the M:N
 * scheduler, a spawn that fills its worker's queue (256 tasks) lets them
 * run first, so that a loop of spawns keeps few tasks alive and their
 * memory warm: the spawner goes to the queue's tail and may resume on
 * another thread, as after a blocking call. fn must not be NULL.
 */
goc_status goc_go(goc_task_fn fn, void *arg);

/*
 * Run fn(arg) as a task and wait until it returns, as Go runs main as a
 * goroutine: a program's driver written so talks to its tasks task to task
 * (on the M:N scheduler, a hand-off between two tasks stays on one thread;
 * one between a thread and a task costs a wake-up). GOC_OK once fn
 * returned, or goc_go()'s GOC_NOMEM (fn did not run).
 */
goc_status goc_main(goc_task_fn fn, void *arg);

/*
 * goc_go(), but always on a thread of its own, whichever way tasks run: for
 * a task that blocks its thread for long (a blocking read, a C library's
 * own waits) or uses thread-local state across blocking calls.
 */
goc_status goc_go_thread(goc_task_fn fn, void *arg);

/*
 * How tasks run (see "Backends" above): chosen once, at the first goc_go()
 * (from GOC_TASKS: "threads", the default, or "mn") or by goc_tasks_use()
 * before it.
 */
typedef enum goc_tasks_kind {
	GOC_TASKS_THREADS = 0, /* a pooled thread per task */
	GOC_TASKS_MN           /* the M:N scheduler: GOC_PROCS worker threads */
} goc_tasks_kind;

/*
 * Choose how tasks run, with `procs` workers for GOC_TASKS_MN (0: GOC_PROCS,
 * else the usable CPUs). GOC_OK if that is how they run now; GOC_CLOSED if
 * the choice was already made otherwise (a task started first, or another
 * call), or GOC_TASKS_MN is not built for this machine. An unknown kind or
 * procs outside 0..1024 is a programmer error: it panics.
 */
goc_status goc_tasks_use(goc_tasks_kind kind, int procs);

/* How tasks run (making the choice if no task started yet); the workers of the M:N scheduler, else 0. */
goc_tasks_kind goc_tasks_kind_now(void);
int goc_tasks_procs(void);

/*
 * Around a call that may block its thread for long (Go's entersyscall and
 * exitsyscall): on the M:N scheduler, the worker's other tasks move to
 * another thread at once if any wait, rather than when the monitor notices.
 * No effect on a thread. Not nested.
 */
void goc_blocking_begin(void);
void goc_blocking_end(void);

/* Tasks started by goc_go() whose fn has not returned yet. */
size_t goc_tasks_live(void);

/*
 * Print every thread libgoc knows (its tasks, and other threads that used a
 * blocking call) with what it is blocked in, like Go's goroutine dump. For
 * watchdogs and debugging; the states are a racy snapshot.
 */
void goc_tasks_dump(FILE *out);

/*
 * The calling task's id (1, 2, ...): each task has its own, even on a
 * reused thread; threads not made by goc_go() get one too.
 */
uint64_t goc_task_id(void);

#endif /* GOC_TASK_H */
