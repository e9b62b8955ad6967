/*
 * workerpool.h - Go's worker pool as one call: a producer task feeds a jobs
 * queue, N worker tasks turn jobs into results on a results queue, a closer
 * task waits for the workers (a WaitGroup) and closes the results, and the
 * calling thread collects them, as the main goroutine ranges over results
 * in Go. goc_workerpool_run() returns only when every task it started has
 * finished with the pool (see "Ordering" for what goc_tasks_live() sees).
 *
 * Shutdown follows the Go tutorial pattern (errgroup with a context): the
 * pool runs under its own context, a child of the caller's. The first job
 * (or collect) that fails cancels it; so does the caller's context, and the
 * call's deadline. Then the producer stops calling next() and closes the
 * jobs queue, each worker stops before its next job (a job already running
 * finishes), results already queued are still collected (drained), and the
 * call returns with a report of what was done: partial results, never a
 * task left behind.
 *
 * Variants (how jobs and results move; the pattern is the same):
 *   GOC_WORKERPOOL_CHAN    two libgoc channels, the Go idiom; every blocking
 *                          send also selects on the context's done channel.
 *   GOC_WORKERPOOL_MUTEXQ  two hand-written bounded queues (a mutex and two
 *                          condition variables each), what C programmers
 *                          write without a channel library; one more task
 *                          watches the context and wakes the queues when it
 *                          is canceled from outside.
 *   GOC_WORKERPOOL_BATCH   the CHAN pool with `batch` jobs per channel
 *                          element (and as many results): one channel
 *                          operation moves a batch, which is what to do when
 *                          a job costs less than a channel hand-off.
 *
 * Callbacks: next() runs on the producer task only, one call at a time;
 * work() on the worker tasks, concurrently (it must be thread-safe for its
 * `arg`); collect() on the calling thread only. A job and a result are
 * copied by value (job_size and result_size bytes) from the caller's
 * callbacks into the queues and out again; the pointers a callback gets are
 * valid during the call only and are aligned as malloc() aligns, provided
 * the sizes are sizeof of the types they hold. The pool sees a cancellation
 * between callbacks, never inside one: a callback that blocks delays the
 * return by as long (a long work() can watch its ctx argument). With BATCH
 * a batch's results travel together, so a batch cut short by cancellation
 * is dropped whole.
 *
 * Overlap: any number of goc_workerpool_run() calls at once, on any threads,
 * sharing nothing but what their callbacks share.
 *
 * Panics (goc_panic(): "panic: workerpool: ..." and a backtrace on stderr,
 * then abort(); never compiled out): a NULL config, next or work;
 * workers == 0; batch == 0 with GOC_WORKERPOOL_BATCH; an unknown variant.
 * A NULL ctx panics as goc_ctx_with_cancel() does ("cannot create context
 * from nil parent").
 *
 * Ordering: next()'s return happens-before the work() of that job starts;
 * a work() that produced a result happens-before the collect() of that
 * result; every callback happens-before goc_workerpool_run() returns. A
 * task's last act is a goc_wg_done() that the call waits for, so its
 * function may still be returning when the call does: goc_tasks_live()
 * reaches 0 a moment later (it orders nothing, like Go's NumGoroutine).
 *
 * Ownership: the pool allocates its queues, tasks' scratch and context and
 * frees them before returning; it keeps no pointer to the config, the
 * callbacks' arg or the report after the call.
 */
#ifndef GOC_WORKERPOOL_H
#define GOC_WORKERPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

typedef enum goc_workerpool_variant {
	GOC_WORKERPOOL_CHAN = 0,
	GOC_WORKERPOOL_MUTEXQ,
	GOC_WORKERPOOL_BATCH
} goc_workerpool_variant;

/*
 * Store the next job in *job (job_size bytes) and return 1, or return 0
 * when there are no more jobs. Runs on the producer task.
 */
typedef int (*goc_workerpool_next_fn)(void *arg, void *job);

/*
 * Do one job: read *job, write *result (result_size bytes) and return 0; or
 * return a non-zero error code, which fails the pool (its result is
 * dropped). `ctx` is the pool's context: a long job may poll
 * goc_ctx_err(ctx) or select on goc_ctx_done(ctx) to give up early once
 * the pool is canceled. Runs on worker tasks, concurrently.
 */
typedef int (*goc_workerpool_work_fn)(void *arg, goc_ctx *ctx, const void *job, void *result);

/*
 * Take one result and return 0, or return a non-zero error code, which
 * fails the pool as a job's error does (later results are then drained and
 * dropped, not collected). Runs on the calling thread.
 */
typedef int (*goc_workerpool_collect_fn)(void *arg, const void *result);

typedef struct goc_workerpool_config {
	goc_workerpool_variant variant;
	size_t workers;       /* worker tasks, at least 1 */
	size_t queue;         /* capacity of each queue, in elements (batches for
	                         BATCH); 0 is unbuffered for CHAN and BATCH, and
	                         means 1 for MUTEXQ, which has no rendezvous */
	size_t batch;         /* BATCH only: jobs per batch, at least 1 */
	size_t job_size;      /* bytes of one job (0 allowed) */
	size_t result_size;   /* bytes of one result (0 allowed) */
	goc_workerpool_next_fn next;
	goc_workerpool_work_fn work;
	goc_workerpool_collect_fn collect;  /* NULL: results are counted and dropped */
	void *arg;            /* passed to every callback */
} goc_workerpool_config;

/*
 * What a run did, filled in whatever the status. On GOC_OK, produced ==
 * run == collected and failed == 0; otherwise collected <= produced and
 * every collected result is the result of one produced job, exactly once.
 */
typedef struct goc_workerpool_report {
	uint64_t produced;   /* jobs next() gave that were queued for the workers */
	uint64_t run;        /* work() calls, failed or not */
	uint64_t failed;     /* work() calls that returned an error */
	uint64_t collected;  /* results collect() took, returning 0 (all of them
	                        without a collect) */
	int err;             /* the error (of a job or of collect()) that canceled
	                        the pool; 0 if none did */
} goc_workerpool_report;

/*
 * Run the pool until next() has no more jobs and every result is collected,
 * or until it is canceled. Blocks the calling thread, which runs collect().
 * `ctx` is the parent context (goc_ctx_background() for none); `deadline`
 * is an absolute time as status.h defines it (GOC_FOREVER for none; a
 * deadline already past, GOC_NOWAIT included, cancels the pool at once).
 * Returns:
 *   GOC_OK                 every job was done and its result collected;
 *   GOC_CANCELED           a job or collect() failed (report->err is its
 *                          code), or ctx was canceled (report->err is 0);
 *   GOC_TIMEOUT            `deadline` passed first;
 *   GOC_DEADLINE_EXCEEDED  ctx's own deadline passed first;
 *   GOC_NOMEM              no memory or no thread for the pool: it ran
 *                          (and was canceled) with what it could start.
 * The first cause wins: a job that fails after the pool was canceled (say,
 * because it gave up on goc_ctx_err()) counts in report->failed but changes
 * neither the status nor report->err. A run that finished all its work
 * returns GOC_OK even if a cancellation came just after. `report` may be
 * NULL.
 */
goc_status goc_workerpool_run(const goc_workerpool_config *cfg, goc_ctx *ctx, int64_t deadline,
                              goc_workerpool_report *report);

/* "chan", "mutexq", "batch"; "unknown" for anything else. Never NULL. */
const char *goc_workerpool_variant_str(goc_workerpool_variant variant);

#endif /* GOC_WORKERPOOL_H */
