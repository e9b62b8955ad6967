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

static void fork_prepare(void)
{
	for (int r = 0; r < GOC__FORK_RANKS; r++) {
		prepared[r] = atomic_load_explicit(&slots[r], memory_order_acquire);
		if (prepared[r])
			prepared[r]->prepare();
	}
}

static void fork_parent(void)
{
	for (int r = GOC__FORK_RANKS - 1; r >= 0; r--)
		if (prepared[r])
			prepared[r]->parent();
}

static void fork_child(void)
{
	for (int r = GOC__FORK_RANKS - 1; r >= 0; r--)
		if (prepared[r])
			prepared[r]->child();
}

static void install(void)
{
	GOC_PT(pthread_atfork(fork_prepare, fork_parent, fork_child));
}

void goc__fork_handlers(goc__fork_rank rank, void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	GOC_PT(pthread_once(&install_once, install));
	handlers[rank] = (fork_handlers){ prepare, parent, child };
	atomic_store_explicit(&slots[rank], &handlers[rank], memory_order_release);
}
