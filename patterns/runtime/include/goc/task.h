/*
 * task.h - goroutine-style tasks: goc_go(fn, arg) runs fn(arg) on its own
 * thread.
 *
 * A task is a detached POSIX thread with a 256 KiB stack. Threads cannot grow
 * their stacks the way goroutines do, so the size is a trade: glibc's default
 * (8 MiB) reserves 80 GiB of address space for 10,000 tasks, while 256 KiB
 * holds deep C call chains and the larger frames of sanitizer builds, and
 * only the pages a task touches cost memory. A task that needs more should
 * keep big buffers on the heap.
 *
 * libgoc counts live tasks (goc_go() to the return of fn), like a goroutine
 * count, so that tests can fail when tasks outlive them (the idea of goleak).
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
 * Start fn(arg) as a new task. Returns GOC_OK, or GOC_NOMEM when no thread
 * could be made (after retrying for a while when the system is out of
 * threads only for the moment). fn must not be NULL.
 */
goc_status goc_go(goc_task_fn fn, void *arg);

/* Tasks started by goc_go() whose fn has not returned yet. */
size_t goc_tasks_live(void);

/*
 * Print every thread libgoc knows (its tasks, and other threads that used a
 * blocking call) with what it is blocked in, like Go's goroutine dump. For
 * watchdogs and debugging; the states are a racy snapshot.
 */
void goc_tasks_dump(FILE *out);

/* The calling task's id (1, 2, ...; threads not made by goc_go() get one too). */
uint64_t goc_task_id(void);

#endif /* GOC_TASK_H */
