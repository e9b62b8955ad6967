/*
 * once.h - Go's sync.Once: run a function exactly once.
 *
 * Static storage: `static goc_once once = GOC_ONCE_INIT;`. Other storage:
 * goc_once_init() / goc_once_destroy().
 *
 * Overlap: any number of goc_once_do() at once. The first call runs fn; every
 * other call, concurrent or later, returns only after fn has returned, and
 * does not run its own fn.
 *
 * Ordering: the return of fn happens-before every goc_once_do() returns.
 */
#ifndef GOC_ONCE_H
#define GOC_ONCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#ifndef GOC__OPQ_DEFINED
#define GOC__OPQ_DEFINED
/* libgoc's queue of blocked waits (internal; also in wg.h). */
struct goc__opq {
	struct goc__opq_entry *head, *tail;
};
#endif

typedef struct goc_once {
	atomic_int done;         /* 1 once fn has returned; acquire/release */
	pthread_mutex_t mu;      /* guards the two below */
	bool running;            /* a call is running fn */
	struct goc__opq waiters; /* calls waiting for fn to return */
} goc_once;

#define GOC_ONCE_INIT { 0, PTHREAD_MUTEX_INITIALIZER, false, { NULL, NULL } }

void goc_once_init(goc_once *once);
void goc_once_destroy(goc_once *once);

void goc_once_do(goc_once *once, void (*fn)(void *arg), void *arg);

#endif /* GOC_ONCE_H */
