/*
 * 11-cancel-never-called, fixed: handle() cancels its context on the way out.
 *
 * The cancel closes ctx's done channel, so the watcher wakes and returns;
 * handle() waits for it, then frees the context (goc_ctx_free() cancels
 * too, like Go's `defer cancel()`, and must come after the last use).
 * Every path out of handle() goes through the cancel.
 *
 * Clean under: ThreadSanitizer, libgoc's leak check, ASan+UBSan.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

static goc_wg watchers;

static void watch(void *arg)
{
	goc_ctx *ctx = arg;
	goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_FOREVER); /* returns once ctx is canceled */
	goc_wg_done(&watchers);
}

static int handle(int request)
{
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 3600 * (int64_t)1000000000); /* an hour */
	goc_wg_add(&watchers, 1);
	goc_go(watch, ctx);
	int reply = request * 2; /* the request's work, done in time */
	goc_ctx_cancel(ctx);     /* the watcher's wait ends */
	goc_wg_wait(&watchers, GOC_FOREVER);
	goc_ctx_free(ctx);       /* after the watcher's last use */
	return reply;
}

int main(void)
{
	goc_wg_init(&watchers);
	printf("reply %d\n", handle(21));
	goc_wg_destroy(&watchers);
	return 0;
}
