/*
 * 11-cancel-never-called, bad: a context whose cancel is never called.
 *
 * The story: handle() gives each request a context with an hour's timeout
 * and starts a watcher task that waits on <-ctx.Done() to abort the
 * request's work. The request finishes in microseconds, and handle()
 * returns without canceling: Go's `ctx, cancel := context.WithTimeout(...)`
 * with the `defer cancel()` forgotten (go vet's lostcancel check). Nothing
 * closes ctx's done channel for an hour, so the watcher, the context and its
 * timer all outlive the request: one task, one context and one timer leak
 * per request.
 *
 * Detector: libgoc's leak check (tsan and debug builds): at exit it reports
 * "goc: task leak: 1 task(s) still running at exit", the watcher blocked in
 * its receive on ctx's done channel.
 */
#include <stdint.h>
#include <stdio.h>

#include "goc/goc.h"

static void watch(void *arg)
{
	goc_ctx *ctx = arg;
	goc_chan_recv(goc_ctx_done(ctx), NULL, GOC_FOREVER); /* waits for a cancel that never comes */
	fprintf(stderr, "request aborted\n");
}

static int handle(int request)
{
	goc_ctx *ctx = goc_ctx_with_timeout(goc_ctx_background(), 3600 * (int64_t)1000000000); /* an hour */
	goc_go(watch, ctx);
	int reply = request * 2; /* the request's work, done in time */
	return reply; /* BUG: no goc_ctx_cancel(ctx): the watcher never ends */
}

int main(void)
{
	printf("reply %d\n", handle(21));
	goc_sleep(10 * 1000000);
	return 0;
}
