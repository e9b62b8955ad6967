/*
 * fork.c - the runtime's fork handlers, in one place.
 *
 * fork() copies memory but only the calling thread: a lock that another
 * thread held at that moment stays held for ever in the child. So every
 * module with a global lock takes it in a prepare handler, and releases it
 * (or resets what it guards) in the parent and child handlers. Those locks
 * nest (the timer thread fires a context's deadline under the timer lock,
 * which takes ctx_mu; a cancel closes channels, which wakes tasks through
 * the scheduler's locks), so the prepare handlers must take them in that
 * order, or a fork would deadlock against a thread taking two of them.
 * pthread_atfork() runs prepare handlers in the reverse order of their
 * registration, which here would follow whichever module a program
 * happened to use first: so each module hands its handlers to this file,
 * in a slot of its rank (goc__fork_rank), and one set of handlers runs
 * them in rank order.
 */
#include "goc_internal.h"

typedef struct fork_handlers {
	void (*prepare)(void);
	void (*parent)(void);
	void (*child)(void);
	pthread_mutex_t *mu; /* goc__fork_hold_mutex()'s: held across the fork, with `child` run before its release */
} fork_handlers;

/* Set once per rank; acquire/release, so that a fork sees a slot whole. */
static _Atomic(const fork_handlers *) slots[GOC__FORK_RANKS];
static fork_handlers handlers[GOC__FORK_RANKS];
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

/*
 * The slots the forking thread prepared, for its parent and child
 * handlers: a module that registers during the fork is left out of both.
 */
static _Thread_local const fork_handlers *prepared[GOC__FORK_RANKS];

/*
 * Everything here is private to TSan: neither a slot nor a held mutex may
 * order the forking thread after the threads that filled or used them.
 */
static void fork_prepare(void)
{
	GOC__TSAN_PRIVATE_BEGIN();
	for (int r = 0; r < GOC__FORK_RANKS; r++) {
		const fork_handlers *h = atomic_load_explicit(&slots[r], memory_order_acquire);
		prepared[r] = h;
		if (h && h->mu)
			GOC_PT(pthread_mutex_lock(h->mu));
		else if (h)
			h->prepare();
	}
	GOC__TSAN_PRIVATE_END();
}

/* The parent's and the child's handlers, ranks in reverse. */
static void fork_after(bool child)
{
	GOC__TSAN_PRIVATE_BEGIN();
	for (int r = GOC__FORK_RANKS - 1; r >= 0; r--) {
		const fork_handlers *h = prepared[r];
		void (*after)(void) = h ? (child ? h->child : h->parent) : NULL;
		if (after)
			after();
		if (h && h->mu)
			GOC_PT(pthread_mutex_unlock(h->mu));
	}
	GOC__TSAN_PRIVATE_END();
}

static void fork_parent(void)
{
	fork_after(false);
}

static void fork_child(void)
{
	fork_after(true);
	goc__deadlock_fork_child(); /* none of the parent's threads is blocked here */
}

static void install(void)
{
	GOC_PT(pthread_atfork(fork_prepare, fork_parent, fork_child));
}

static void fill_slot(goc__fork_rank rank, fork_handlers h)
{
	GOC__TSAN_PRIVATE_BEGIN(); /* see fork_prepare() */
	GOC_PT(pthread_once(&install_once, install));
	handlers[rank] = h;
	atomic_store_explicit(&slots[rank], &handlers[rank], memory_order_release);
	GOC__TSAN_PRIVATE_END();
}

void goc__fork_handlers(goc__fork_rank rank, void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	fill_slot(rank, (fork_handlers){ .prepare = prepare, .parent = parent, .child = child });
}

void goc__fork_hold_mutex(goc__fork_rank rank, pthread_mutex_t *mu, void (*child)(void))
{
	fill_slot(rank, (fork_handlers){ .child = child, .mu = mu });
}
