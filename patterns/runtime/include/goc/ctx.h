/*
 * ctx.h - Go's context: cancellation and deadlines across a tree of tasks.
 *
 * goc_ctx_background() is the root: never canceled, no deadline, its done
 * channel is NULL (a case on it is never ready, like Go's nil Done()).
 * Derived contexts come from with_cancel / with_timeout / with_deadline.
 * Canceling a context (by goc_ctx_cancel(), by its deadline, or by its
 * parent's cancellation) closes its done channel, fixes its err, and cancels
 * every descendant. Cancel is idempotent: the first cause wins. A child made
 * from an already-canceled parent starts canceled with the parent's err. A
 * child's deadline is the earlier of its own and its parent's.
 *
 * Overlap: every call may overlap any other on the same context, except
 * goc_ctx_free(), which comes after every other use of that context
 * (including selects on its done channel). Parents and children may be freed
 * in any order.
 *
 * Panics "cannot create context from nil parent" when a with_* call is
 * given a NULL parent (as Go's context package does).
 *
 * Ordering: goc_ctx_cancel() happens-before a receive on the done channel
 * returns GOC_CLOSED, and before goc_ctx_err() returns its cause.
 *
 * Ownership: what a with_* call returns, goc_ctx_free() releases (it cancels
 * first, like Go's `defer cancel()`). The done channel belongs to the context.
 */
#ifndef GOC_CTX_H
#define GOC_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "chan.h"
#include "status.h"

typedef struct goc_ctx goc_ctx;

/* The root context; static, never freed (goc_ctx_free() ignores it). */
goc_ctx *goc_ctx_background(void);

/* A cancelable child of parent. NULL when out of memory. */
goc_ctx *goc_ctx_with_cancel(goc_ctx *parent);

/*
 * A child canceled with GOC_DEADLINE_EXCEEDED at the absolute monotonic
 * `deadline`: a time already past gives a child that starts canceled so;
 * GOC_FOREVER gives no deadline of its own (the parent's still applies).
 */
goc_ctx *goc_ctx_with_deadline(goc_ctx *parent, int64_t deadline);

/* goc_ctx_with_deadline(parent, goc_deadline_after(ns)). */
goc_ctx *goc_ctx_with_timeout(goc_ctx *parent, int64_t ns);

/* Cancel ctx and its descendants with GOC_CANCELED; idempotent; no-op on background. */
void goc_ctx_cancel(goc_ctx *ctx);

/* Cancel, then release ctx. NULL and background are no-ops. */
void goc_ctx_free(goc_ctx *ctx);

/* Closed when ctx is canceled; NULL for background. Owned by ctx. */
goc_chan *goc_ctx_done(goc_ctx *ctx);

/* GOC_OK while not canceled, then GOC_CANCELED or GOC_DEADLINE_EXCEEDED. */
goc_status goc_ctx_err(goc_ctx *ctx);

/* True and *deadline set when ctx has a deadline; false for none. */
bool goc_ctx_deadline(goc_ctx *ctx, int64_t *deadline);

#endif /* GOC_CTX_H */
