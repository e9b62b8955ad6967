/*
 * fanin.h - fan-out and fan-in over libgoc channels, the pattern of Go's
 * "Pipelines and cancellation": several workers read one channel (fan-out),
 * and several channels are merged into one (fan-in).
 *
 * Fan-out: goc_fanout_start() starts one worker task per output channel; all
 * of them read the one input channel, so each element goes to exactly one
 * worker, which passes it through a function and sends the result on its own
 * output, closing that output when the input is closed and drained.
 *
 * Fan-in: goc_merge_start() copies every element of K input channels into
 * one output channel and closes the output once every input is closed and
 * drained, as Go's merge() does. Two ways, with the same contract:
 *   GOC_MERGE_TASKS   one forwarding task per input, and a closer task that
 *                     waits on a WaitGroup for the forwarders, then closes
 *                     the output (the Go blog's merge);
 *   GOC_MERGE_SELECT  one task in a select loop over every input; a closed
 *                     input's case becomes a NULL channel, which is never
 *                     ready (Go's nil-channel trick), until none is left.
 * Both keep the order of each input (an element is sent out before the next
 * one of the same input), and interleave inputs in no promised order.
 *
 * Cancellation: given a context (NULL: none), every blocking step also waits
 * on the context's done channel; once it is closed the tasks stop, dropping
 * at most the one element each holds, and still close their outputs, so
 * that whatever reads the outputs sees them closed and ends too. Nothing
 * else stops a fan-out or a merge early: a producer that never closes its
 * channel, or a reader that stops reading, blocks them until the context is
 * canceled, exactly as it would block goroutines.
 *
 * Overlap: start, wait, counts and free of one fan-out or merge come from
 * one thread at a time (the owner); the channels are ordinary channels, used
 * by any number of threads, and the context may be canceled from anywhere.
 *
 * Panics (programmer errors; "panic: " then the message, then abort()):
 * channels whose element sizes do not fit together, a NULL output channel,
 * and, in a fan-out, an output channel given twice (it would be closed twice).
 *
 * Ordering: a send into an input happens-before the matching receive from
 * the output returns (each hop is a channel hop); the last element sent out
 * happens-before a receive on the output returns GOC_CLOSED; everything the
 * tasks did happens-before goc_merge_wait() or goc_fanout_wait() returns a
 * status other than GOC_TIMEOUT.
 *
 * Ownership: what _start returns, _free releases. The caller owns the
 * channels and the context and frees them after _wait has returned a final
 * status (anything but GOC_TIMEOUT): until then the tasks use them. The
 * fan-out closes its outputs and the merge its output, each exactly once;
 * neither closes its inputs, and the caller must close nothing they close.
 */
#ifndef GOC_FANIN_H
#define GOC_FANIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

/* What a fan-out or a merge did, for accounting: nothing is lost silently. */
typedef struct goc_fan_counts {
	uint64_t received;  /* elements taken from the input(s) */
	uint64_t sent;      /* elements delivered to the output(s) */
	uint64_t dropped;   /* taken, not filtered out, but not delivered: canceled while held */
} goc_fan_counts;

/* ---- fan-in ------------------------------------------------------------------ */

typedef enum goc_merge_how {
	GOC_MERGE_TASKS,   /* a forwarding task per input and a WaitGroup closer */
	GOC_MERGE_SELECT   /* one task selecting over every input */
} goc_merge_how;

typedef struct goc_merge goc_merge;

/*
 * Start merging ins[0..nins) into `out`. Every non-NULL input and `out` must
 * have the same element size (else panic); a NULL input is Go's nil channel:
 * never ready, never closed, so the merge then ends only by cancellation.
 * nins may be 0 (the output is closed at once). `ctx` may be NULL; when
 * given, it must outlive goc_merge_wait()'s final status. The array `ins` is
 * copied; the channels are not.
 * Returns GOC_OK with *mp set, or GOC_NOMEM (no memory or no thread), with
 * no task left running, `out` not closed and *mp untouched.
 */
goc_status goc_merge_start(goc_merge **mp, goc_merge_how how, goc_ctx *ctx,
                           goc_chan *const *ins, size_t nins, goc_chan *out);

/*
 * Wait until every task of the merge has returned, or `deadline` passes.
 * The final statuses (repeated by later calls): GOC_OK, every input closed
 * and drained and everything delivered; the context's err (GOC_CANCELED or
 * GOC_DEADLINE_EXCEEDED), stopped by it; GOC_NOMEM, the select had no
 * memory for its bookkeeping (more than a few dozen inputs). The output is
 * closed in every one of these cases. Otherwise GOC_TIMEOUT or
 * GOC_WOULDBLOCK (GOC_NOWAIT), with the merge still running.
 */
goc_status goc_merge_wait(goc_merge *m, int64_t deadline);

/* What the merge did; only after goc_merge_wait() returned a final status. */
goc_fan_counts goc_merge_counts(const goc_merge *m);

/*
 * Release the merge, first waiting (forever) for its tasks if they are still
 * running: cancel its context or close its inputs first. NULL is a no-op.
 */
void goc_merge_free(goc_merge *m);

/* ---- fan-out ----------------------------------------------------------------- */

/*
 * A worker's work on one element: read `in` (the input's element size),
 * write `out` (the outputs' element size), return true to send `out` on,
 * false to drop the element (a filter). Called from every worker at once, so
 * whatever it touches through `arg` must be safe for that.
 */
typedef bool (*goc_fanout_fn)(void *arg, const void *in, void *out);

typedef struct goc_fanout goc_fanout;

/*
 * Start nworkers workers; worker i reads `in` and sends fn's results on
 * outs[i], and closes outs[i] when `in` is closed and drained or `ctx` (NULL:
 * none) is canceled. A NULL `in` is Go's nil channel: only `ctx` ends them. The outputs must be distinct and non-NULL and share one
 * element size; with fn NULL an element is sent on unchanged, and that size
 * must be the input's (else panic). nworkers may be 0 (nothing reads `in`).
 * `ctx`, `in` and the outputs must outlive goc_fanout_wait()'s final status;
 * the array `outs` is copied.
 * Returns GOC_OK with *fp set, or GOC_NOMEM with no task left running, no
 * output closed and *fp untouched.
 */
goc_status goc_fanout_start(goc_fanout **fp, goc_ctx *ctx, goc_chan *in, goc_chan *const *outs,
                            size_t nworkers, goc_fanout_fn fn, void *arg);

/*
 * Wait until every worker has returned, or `deadline` passes. Final
 * statuses: GOC_OK (the input was closed and drained), or the context's err
 * (stopped by it); every output is closed then. Otherwise GOC_TIMEOUT or
 * GOC_WOULDBLOCK, still running.
 */
goc_status goc_fanout_wait(goc_fanout *f, int64_t deadline);

/* What the workers did (summed); only after a final goc_fanout_wait(). */
goc_fan_counts goc_fanout_counts(const goc_fanout *f);

/* Release the fan-out, first waiting (forever) for its workers. NULL is a no-op. */
void goc_fanout_free(goc_fanout *f);

#endif /* GOC_FANIN_H */
