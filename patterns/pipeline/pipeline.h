/*
 * pipeline.h - Go's pipeline pattern on libgoc: a source, stages and a sink,
 * each stage a task that receives items from one channel and sends them on
 * another, with explicit cancellation and per-item errors.
 *
 * A pipeline (goc_pipe) is the shared context of its stages: a cancelable
 * goc_ctx whose done channel every stage waits on, the channel capacity and
 * batch size every channel of the pipeline is made with, and a WaitGroup
 * that joins the stages. A stage is a function from an input channel to an
 * output channel (goc_pipe_stage() returns the channel it will send on), so
 * stages compose: generate -> square -> filter(even) -> sum is four calls.
 *
 * Items carry their identity (id, set by the source and never changed) and
 * an error: a stage may fail an item, which then skips every later stage's
 * function and still reaches the sink with its id, the error and the name of
 * the stage that failed it. Nothing fails silently: an item leaves the
 * pipeline only by reaching the sink, by a filter dropping it, or by a
 * cancellation.
 *
 * Cancellation is Go's "explicit cancellation": goc_pipe_cancel() (or the
 * parent context's cancellation or deadline) closes the done channel, and
 * every stage waits only in a select that also receives from done, so every
 * stage returns and closes its output, whatever it was blocked in, without
 * anyone draining the channels. A stage that never has to wait still checks
 * done every GOC_PIPE_POLL channel operations, so cancellation is seen within
 * a bounded amount of work.
 *
 * Batching: with batch B > 1 each channel element is an array of up to B
 * items (copied by value, like any element), so one hand-off between tasks
 * moves B items. A stage sends a batch when it is full, when its input is
 * closed, and before it would wait for input, so a partial batch never waits
 * on a slow upstream. The reader hides batches: a consumer sees items.
 *
 * Overlap on one pipeline:
 *   make: first. Building (goc_pipe_source/generate/stage/square/filter_even)
 *     may overlap building and anything else.
 *   cancel, wait, err: any time, from any thread, any number at once.
 *   A channel a build call returned has exactly one consumer: one later
 *     build call or one reader (a stage's input is read by that stage only).
 *   goc_pipe_reader: one thread at a time per reader.
 *   free: last, after every reader is destroyed and every other call has
 *     returned.
 *
 * Ordering: everything a stage did to an item happens-before the next stage
 * (or the reader) sees it (a channel send and its receive). The return of
 * every stage happens-before goc_pipe_wait() returns GOC_OK.
 *
 * Panics (goc_panic(): "panic: pipeline: ..." and a backtrace on stderr,
 * then abort(); never compiled out): an input channel whose element size is not this pipeline's (a
 * channel not made by a pipeline with the same batch size), and a batch
 * above GOC_PIPE_MAX_BATCH.
 *
 * Ownership: goc_pipe_make() returns what goc_pipe_free() releases; the
 * pipeline owns every channel its build calls return (freed by
 * goc_pipe_free(), never by the caller). Stage names, error strings and
 * stage arguments belong to the caller and must outlive the pipeline
 * (string literals do).
 */
#ifndef GOC_PIPELINE_H
#define GOC_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

/* A stage that never waits checks done at least once per this many channel operations. */
#define GOC_PIPE_POLL 64

/* The largest batch a pipeline takes: 65,536 items of 32 bytes, 2 MiB per element. */
#define GOC_PIPE_MAX_BATCH 65536

/*
 * A 128-bit unsigned integer, for sums that overflow 64 bits (the sum of the
 * even squares of 1..n does once n passes about 4.8 million). A GCC/Clang
 * extension; every compiler goc supports has it.
 */
typedef unsigned __int128 goc_pipe_u128;

/* One item, copied by value through the channels. */
typedef struct goc_pipe_item {
	uint64_t id;        /* its identity: set by the source, never changed */
	uint64_t value;     /* the payload; left as it was when a stage failed the item */
	const char *err;    /* NULL, or why a stage failed the item (caller's static string) */
	const char *stage;  /* the name of the stage that failed it; NULL while err is NULL */
} goc_pipe_item;

/* What a stage function decided about one item. */
typedef enum goc_pipe_verdict {
	GOC_PIPE_KEEP,  /* send it on (value possibly changed) */
	GOC_PIPE_DROP,  /* filter it out: it goes no further */
	GOC_PIPE_FAIL   /* the item failed: item->err says why; it goes on to the sink */
} goc_pipe_verdict;

/*
 * A stage's work on one item that has not failed. It may change
 * item->value; on GOC_PIPE_FAIL it sets item->err (NULL becomes "failed").
 * It must not change item->id. Runs on the stage's task, one item at a time.
 */
typedef goc_pipe_verdict (*goc_pipe_fn)(void *arg, goc_pipe_item *item);

/*
 * A source's next item: fill in item->id and item->value and return true,
 * or return false at the end. It may fail the item by setting item->err.
 * Runs on the source's task.
 */
typedef bool (*goc_pipe_next_fn)(void *arg, goc_pipe_item *item);

typedef struct goc_pipe goc_pipe;

/*
 * A pipeline whose channels have capacity `cap` (0: unbuffered) and carry
 * batches of up to `batch` items (0 or 1: one item per element), canceled
 * when goc_pipe_cancel() is called or when `parent` is canceled (NULL: no
 * parent, as goc_ctx_background()). NULL when out of memory. A batch above
 * GOC_PIPE_MAX_BATCH panics "pipeline: batch too large". The channels are
 * made by the build calls, which return GOC_NOMEM when cap elements of
 * that size do not fit in memory.
 */
goc_pipe *goc_pipe_make(goc_ctx *parent, size_t cap, size_t batch);

/*
 * Cancel, wait for every stage to return, then release the pipeline and
 * every channel it made. NULL is a no-op. Blocks until the stages return,
 * which cancellation makes prompt.
 */
void goc_pipe_free(goc_pipe *p);

/* Close the done channel: every stage returns and closes its output. Idempotent. */
void goc_pipe_cancel(goc_pipe *p);

/* GOC_OK while not canceled, then GOC_CANCELED or GOC_DEADLINE_EXCEEDED (the parent's deadline). */
goc_status goc_pipe_err(goc_pipe *p);

/*
 * Wait until every stage started so far has returned, or `deadline`
 * passes: GOC_OK, GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT. Stages
 * return once their input ends and their output is taken, or once the
 * pipeline is canceled; so wait after the consumer has read to the end or
 * canceled.
 */
goc_status goc_pipe_wait(goc_pipe *p, int64_t deadline);

/* The pipeline's capacity and batch size, as made (batch 0 reads as 1). */
size_t goc_pipe_cap(const goc_pipe *p);
size_t goc_pipe_batch(const goc_pipe *p);

/*
 * Start a source task that sends next(arg)'s items until it returns false,
 * then closes its channel; *out is that channel. Returns GOC_OK, or GOC_NOMEM
 * (no memory or no thread; *out untouched, nothing started). A source sends
 * a batch when it is full or at the end, so one whose items come slowly
 * holds them back in a batched pipeline (stages do not: see above).
 */
goc_status goc_pipe_source(goc_pipe *p, goc_pipe_next_fn next, void *arg, goc_chan **out);

/* A source of the items id = value = from, from + 1, ..., to (none if from > to). */
goc_status goc_pipe_generate(goc_pipe *p, uint64_t from, uint64_t to, goc_chan **out);

/*
 * Start a stage task named `name` that applies fn(arg, item) to every item
 * from `in` that has not failed, sends the kept and failed ones in order on
 * *out, and closes *out once `in` is closed and drained or the pipeline is
 * canceled. A failed item gets item->stage = name. Returns GOC_OK or
 * GOC_NOMEM (*out untouched; nothing will read `in`, so free or cancel the
 * pipeline). Panics "pipeline: input channel ..." when `in` does not carry
 * this pipeline's elements.
 */
goc_status goc_pipe_stage(goc_pipe *p, goc_chan *in, const char *name, goc_pipe_fn fn, void *arg,
                          goc_chan **out);

/* value = value * value; fails the item with "overflow" when that does not fit in 64 bits. */
goc_pipe_verdict goc_pipe_square_fn(void *arg, goc_pipe_item *item);

/* Keeps even values, drops odd ones. */
goc_pipe_verdict goc_pipe_even_fn(void *arg, goc_pipe_item *item);

/* goc_pipe_stage(p, in, "square", goc_pipe_square_fn, NULL, out). */
goc_status goc_pipe_square(goc_pipe *p, goc_chan *in, goc_chan **out);

/* goc_pipe_stage(p, in, "even", goc_pipe_even_fn, NULL, out). */
goc_status goc_pipe_filter_even(goc_pipe *p, goc_chan *in, goc_chan **out);

/* ---- consuming ------------------------------------------------------------ */

/*
 * A reader takes items one by one from a pipeline's channel, unpacking
 * batches. It lives in the caller's storage; its fields are private and
 * used only by the thread reading.
 */
typedef struct goc_pipe_reader {
	goc_pipe *pipe;               /* read-only after init */
	goc_chan *in;                 /* read-only after init */
	struct goc_pipe_batch *batch; /* the element last received; owned; the reading thread's */
	size_t next;                  /* index in batch of the next item to hand out; the reading thread's */
	unsigned fast;                /* receives since done was last checked; the reading thread's */
} goc_pipe_reader;

/* Start reading `in`. GOC_OK or GOC_NOMEM (r untouched). Panics as goc_pipe_stage(). */
goc_status goc_pipe_reader_init(goc_pipe_reader *r, goc_pipe *p, goc_chan *in);

/* Release what the reader holds; items not read yet are dropped. */
void goc_pipe_reader_destroy(goc_pipe_reader *r);

/*
 * The next item, in order, blocking until one is there, the input ends, the
 * pipeline is canceled, or `deadline` passes. Returns GOC_OK (*item set),
 * GOC_CLOSED (the input is closed and drained), the pipeline's err
 * (GOC_CANCELED, GOC_DEADLINE_EXCEEDED) once it is canceled, GOC_WOULDBLOCK
 * (GOC_NOWAIT only) or GOC_TIMEOUT. Only GOC_OK writes *item.
 */
goc_status goc_pipe_read(goc_pipe_reader *r, goc_pipe_item *item, int64_t deadline);

/* What goc_pipe_sum() saw. */
typedef struct goc_pipe_totals {
	goc_pipe_u128 sum;   /* of the values of the items that arrived without an error */
	uint64_t ok;         /* items that arrived without an error */
	uint64_t failed;     /* items that arrived failed */
	uint64_t last_id;    /* the id of the last item taken (0: none) */
	bool limited;        /* the limit was reached and the pipeline canceled */
} goc_pipe_totals;

/* Called by goc_pipe_sum() with every failed item, on the calling thread. */
typedef void (*goc_pipe_fail_fn)(void *arg, const goc_pipe_item *item);

/*
 * The sink, run on the calling thread: read `in` to its end, adding up the
 * values of the items that did not fail and passing each failed one to
 * on_fail(arg, item) (on_fail may be NULL). With limit > 0, stop after
 * `limit` items (failed ones count), cancel the pipeline and return: Go's
 * "take the first K and cancel". Returns GOC_OK (*totals set), GOC_NOMEM,
 * or the pipeline's err when it was canceled (by anything but the limit)
 * before the sink saw the end of its input (*totals untouched).
 */
goc_status goc_pipe_sum(goc_pipe *p, goc_chan *in, uint64_t limit, goc_pipe_fail_fn on_fail, void *arg,
                        goc_pipe_totals *totals);

/* ---- the check -------------------------------------------------------------- */

/*
 * The exact sum of the even squares of 1..n, 4 (1^2 + ... + m^2) with
 * m = n / 2, in closed form: 2m(m + 1)(2m + 1) / 3. Exact for every n below
 * 2^42 (the sum then stays below 2^128).
 */
goc_pipe_u128 goc_pipe_even_squares(uint64_t n);

/*
 * Write u as decimal digits into buf (len bytes, NUL-terminated; 40 bytes
 * hold any value). Returns buf.
 */
char *goc_pipe_u128_str(goc_pipe_u128 u, char *buf, size_t len);

#endif /* GOC_PIPELINE_H */
