/*
 * ctx.c - Go's context: a tree of cancelable contexts under one global
 * context lock.
 *
 * The lock guards the shape of the tree (parent and sibling links) and
 * every change of err, so a cancellation sweeps a whole subtree in one
 * critical section, and a child made while its parent is being canceled is
 * either attached first (and swept) or sees the parent's err (and starts
 * canceled). That gives the invariant the sweep relies on: under the lock,
 * a canceled context's descendants are all canceled, so the sweep can stop
 * at a context already canceled, and the first cause wins. Each derived
 * context owns an unbuffered done channel, closed (under the lock) when it
 * is canceled. goc_ctx_err() reads err without the lock, through an acquire
 * load paired with the release store of the cancel; such a reader may see a
 * parent canceled a moment before its child, as in Go.
 *
 * A deadline is the earlier of the child's own and its parent's (inherited
 * when the child is made; both are immutable). Only a context whose own
 * deadline is the earlier one arms a timer; the others are canceled by
 * their ancestor's. A timer's fire() runs on the timer thread with the
 * timer lock held, so it takes only the context lock. Everything here that
 * stops a timer does so before taking the context lock, and a timer is
 * armed before the lock is taken, keeping the lock order of
 * goc_internal.h. Canceling a context leaves its descendants' timers
 * armed (stopping them would take the timer lock under the context lock);
 * they fire as no-ops, or are stopped when those contexts are freed.
 *
 * The background context is static and never joins the tree: it is never
 * canceled, so its children need not be reachable from it.
 *
 * Lock order: the timer lock, then ctx_mu, then channel locks (closing a
 * done channel).
 */
#include <stdlib.h>

#include "goc_internal.h"

struct goc_ctx {
	goc__timer timer;        /* own deadline; first member for fire(); armed only if own_timer */
	goc_ctx *parent;         /* NULL: background's child, or detached; guarded by ctx_mu */
	goc_ctx *first_child;    /* guarded by ctx_mu */
	goc_ctx *prev, *next;    /* siblings under parent; guarded by ctx_mu */
	_Atomic(goc_status) err; /* written under ctx_mu (release); read by goc_ctx_err() (acquire) */
	goc_chan *done;          /* immutable; NULL for background */
	bool has_deadline;       /* immutable */
	bool own_timer;          /* immutable: the deadline is our own, and `timer` was armed */
	int64_t deadline;        /* the earlier of our own and the parent's; immutable */
};

static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;

static goc_ctx background = {
	.timer = { .when = 0, .index = SIZE_MAX, .fire = NULL },
	.err = GOC_OK,
};

goc_ctx *goc_ctx_background(void)
{
	return &background;
}

/*
 * Cancel root and every descendant not yet canceled, with `cause`. Called
 * with ctx_mu held. The walk is iterative (down first children, across
 * siblings, back up parents) so a deep chain of contexts cannot overflow a
 * task's stack, and it skips the subtree of a context already canceled,
 * whose descendants are canceled by the invariant at the top of the file.
 */
static void cancel_locked(goc_ctx *root, goc_status cause)
{
	goc_ctx *c = root;
	for (;;) {
		/* Relaxed: err is only written under ctx_mu, which we hold. */
		if (atomic_load_explicit(&c->err, memory_order_relaxed) == GOC_OK) {
			/* Release: pairs with goc_ctx_err()'s acquire load. */
			atomic_store_explicit(&c->err, cause, memory_order_release);
			goc_chan_close(c->done);
			if (c->first_child) {
				c = c->first_child;
				continue;
			}
		}
		while (c != root && !c->next)
			c = c->parent;
		if (c == root)
			return;
		c = c->next;
	}
}

/* Runs on the timer thread with the timer lock held: take only ctx_mu. */
static void deadline_fire(goc__timer *timer)
{
	goc_ctx *c = (goc_ctx *)timer;
	GOC_PT(pthread_mutex_lock(&ctx_mu));
	cancel_locked(c, GOC_DEADLINE_EXCEEDED);
	GOC_PT(pthread_mutex_unlock(&ctx_mu));
}

/*
 * fork() copies the tree of contexts whole: ctx_mu is held across it
 * (fork.c), from the program's start, before any thread can take it.
 */
__attribute__((constructor)) static void ctx_fork_install(void)
{
	goc__fork_hold_mutex(GOC__FORK_CTX, &ctx_mu, NULL);
}

/*
 * A child of parent, with a deadline of its own when has_deadline. The
 * order matters: the timer is armed before ctx_mu is taken (lock order), so
 * it may even fire before the child is attached; the child is then already
 * canceled when we take the lock, and attaching it changes nothing.
 */
static goc_ctx *ctx_make(goc_ctx *parent, bool has_deadline, int64_t deadline)
{
	if (!parent)
		goc__panic("cannot create context from nil parent");
	goc_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->done = goc_chan_make(0, 0);
	if (!c->done) {
		free(c);
		return NULL;
	}
	c->timer.index = SIZE_MAX;
	atomic_init(&c->err, GOC_OK);

	/* The parent's deadline is immutable: no lock needed to read it. */
	bool expired = false;
	if (parent->has_deadline && (!has_deadline || parent->deadline <= deadline)) {
		c->has_deadline = true;
		c->deadline = parent->deadline;
	} else if (has_deadline) {
		c->has_deadline = true;
		c->deadline = deadline;
		if (deadline <= goc_now()) {
			expired = true;
		} else {
			if (goc__timer_start(&c->timer, deadline, deadline_fire) != GOC_OK) {
				goc_chan_free(c->done);
				free(c);
				return NULL;
			}
			c->own_timer = true;
		}
	}

	GOC_PT(pthread_mutex_lock(&ctx_mu));
	/* Relaxed: err is only written under ctx_mu, which we hold. */
	goc_status perr = atomic_load_explicit(&parent->err, memory_order_relaxed);
	if (perr != GOC_OK) {
		/* A canceled parent is never swept again: the child starts canceled, unattached. */
		cancel_locked(c, perr);
	} else {
		if (expired)
			cancel_locked(c, GOC_DEADLINE_EXCEEDED);
		if (parent != &background) {
			c->parent = parent;
			c->next = parent->first_child;
			if (c->next)
				c->next->prev = c;
			parent->first_child = c;
		}
	}
	GOC_PT(pthread_mutex_unlock(&ctx_mu));
	return c;
}

goc_ctx *goc_ctx_with_cancel(goc_ctx *parent)
{
	return ctx_make(parent, false, 0);
}

goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, int64_t deadline)
{
	/*
	 * GOC_FOREVER is "no deadline" in the vocabulary of status.h; taken
	 * literally (-1, long past) it would make a context that is dead on
	 * arrival, which nobody writing GOC_FOREVER means.
	 */
	if (deadline == GOC_FOREVER)
		return ctx_make(parent, false, 0);
	return ctx_make(parent, true, deadline);
}

goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns)
{
	return goc_ctx_with_deadline(parent, goc_deadline_after(ns));
}

void goc_ctx_cancel(goc_ctx *ctx)
{
	GOC__CHAOS();
	if (!ctx || ctx == &background)
		return;
	/* Before ctx_mu (lock order): a canceled context needs its timer no more. */
	if (ctx->own_timer)
		(void)goc__timer_stop(&ctx->timer);
	GOC_PT(pthread_mutex_lock(&ctx_mu));
	cancel_locked(ctx, GOC_CANCELED);
	GOC_PT(pthread_mutex_unlock(&ctx_mu));
}

void goc_ctx_free(goc_ctx *ctx)
{
	if (!ctx || ctx == &background)
		return;
	/*
	 * Cancel stops the timer (outside ctx_mu, as the lock order wants):
	 * afterwards our fire() is not running and never will. Free is the
	 * last use of ctx, so nothing can happen to it between the two locks.
	 */
	goc_ctx_cancel(ctx);
	GOC_PT(pthread_mutex_lock(&ctx_mu));
	/* Detach from the parent, so that its later cancel or free cannot reach us. */
	if (ctx->parent) {
		if (ctx->prev)
			ctx->prev->next = ctx->next;
		else
			ctx->parent->first_child = ctx->next;
		if (ctx->next)
			ctx->next->prev = ctx->prev;
	}
	/* Orphan the children: they are canceled already, and may outlive us. */
	goc_ctx *child = ctx->first_child;
	while (child) {
		goc_ctx *next = child->next;
		child->parent = NULL;
		child->prev = NULL;
		child->next = NULL;
		child = next;
	}
	GOC_PT(pthread_mutex_unlock(&ctx_mu));
	/* Unreachable now: no sweep can close done after the unlock. */
	goc_chan_free(ctx->done);
	free(ctx);
}

goc_chan *goc_ctx_done(goc_ctx *ctx)
{
	return ctx->done;
}

goc_status goc_ctx_err(goc_ctx *ctx)
{
	/* Acquire: pairs with the release store of the cancel, so its causes are visible. */
	return atomic_load_explicit(&ctx->err, memory_order_acquire);
}

bool goc_ctx_deadline(goc_ctx *ctx, int64_t *deadline)
{
	if (!ctx->has_deadline)
		return false;
	*deadline = ctx->deadline;
	return true;
}
