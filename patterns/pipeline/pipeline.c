/*
 * pipeline.c - the pipeline pattern of pipeline.h: the pipeline object, the
 * stage and source tasks, the batch reader and writer every task and the
 * sink go through, and the closed-form check.
 *
 * Every channel operation of a stage takes the same two steps: first a try
 * (GOC_NOWAIT) on the data channel alone, then, only if that would block, a
 * select over the data channel and the done channel. A select locks both
 * channels, and all the stages share one done channel, so selecting on every
 * item would make done's mutex the pipeline's one point of contention; the
 * try touches only the channel between two stages. The result is the one
 * Go's `select { case out <- v: case <-done: }` gives, since Go too may pick
 * the send when both are ready; and the check of done every GOC_PIPE_POLL
 * tries bounds how long a stage that never waits can miss a cancellation
 * (in Go the random pick bounds it).
 *
 * Lock order: the pipeline's mutex is a leaf (it guards only the list of
 * channels to free); everything else is libgoc's.
 */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One channel element: up to the pipeline's batch of items, n of them used.
 * The whole element is copied by each send, so an unbatched pipeline's
 * element is one item and its count. A batch is owned by one task at a
 * time: the one filling it, or the one that received it (the channel copy
 * is the hand-over, and orders it).
 */
struct goc_pipe_batch {
	size_t n;                /* items used; the owner's */
	goc_pipe_item items[];   /* the owner's */
};

struct goc_pipe {
	goc_ctx *ctx;          /* set by make, read-only after: cancel and err go through it */
	goc_chan *done;        /* goc_ctx_done(ctx); read-only, owned by ctx */
	size_t cap;            /* read-only after make */
	size_t batch;          /* items per element, at least 1; read-only after make */
	size_t elem_size;      /* bytes per element; read-only after make */
	goc_wg stages;         /* one count per started task; has its own lock */
	pthread_mutex_t mu;    /* guards chans, nchans, maxchans */
	goc_chan **chans;      /* every channel made, freed by goc_pipe_free(); guarded by mu */
	size_t nchans;         /* guarded by mu */
	size_t maxchans;       /* guarded by mu */
};

/*
 * The writer side of a task: fills a batch and sends it. Set up by the
 * building thread before goc_go() (which orders it), then the task's alone.
 */
typedef struct pipe_writer {
	goc_pipe *pipe;                /* read-only */
	goc_chan *out;                 /* read-only; the task closes it as it ends */
	struct goc_pipe_batch *batch;  /* the element being filled; owned; the task's */
	unsigned fast;                 /* sends since done was last checked; the task's */
} pipe_writer;

/*
 * What a task needs: filled in by the building thread before goc_go()
 * (which orders it), then the task's alone, which frees it as it ends.
 */
typedef struct pipe_task {
	goc_pipe *pipe;          /* read-only */
	const char *name;        /* the stage's name, for failed items; read-only */
	goc_pipe_fn fn;          /* a stage's work; NULL for a source; read-only */
	goc_pipe_next_fn next;   /* a source's next item; NULL for a stage; read-only */
	void *arg;               /* read-only */
	uint64_t from, to;       /* goc_pipe_generate()'s range (next is generate_next); the task's */
	bool gen_done;           /* generate_next has sent `to` (so to == UINT64_MAX ends); the task's */
	goc_pipe_reader r;       /* a stage's input; the task's */
	pipe_writer w;           /* the output; the task's */
} pipe_task;

static size_t elem_size_for(size_t batch)
{
	return offsetof(struct goc_pipe_batch, items) + batch * sizeof(goc_pipe_item);
}

/* ---- the pipeline ---------------------------------------------------------- */

goc_pipe *goc_pipe_make(goc_ctx *parent, size_t cap, size_t batch)
{
	if (batch == 0)
		batch = 1;
	if (batch > GOC_PIPE_MAX_BATCH)
		goc_panic("pipeline: batch too large (%zu, at most %d)", batch, GOC_PIPE_MAX_BATCH);
	goc_pipe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->ctx = goc_ctx_with_cancel(parent ? parent : goc_ctx_background());
	if (!p->ctx) {
		free(p);
		return NULL;
	}
	p->done = goc_ctx_done(p->ctx);
	p->cap = cap;
	p->batch = batch;
	p->elem_size = elem_size_for(batch);
	goc_wg_init(&p->stages);
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		goc_wg_destroy(&p->stages);
		goc_ctx_free(p->ctx);
		free(p);
		return NULL;
	}
	return p;
}

void goc_pipe_free(goc_pipe *p)
{
	if (!p)
		return;
	goc_pipe_cancel(p);
	/* GOC_FOREVER returns only GOC_OK; after it no task touches p. */
	(void)goc_wg_wait(&p->stages, GOC_FOREVER);
	for (size_t i = 0; i < p->nchans; i++)
		goc_chan_free(p->chans[i]);
	free(p->chans);
	GOC_PT(pthread_mutex_destroy(&p->mu));
	goc_wg_destroy(&p->stages);
	goc_ctx_free(p->ctx);
	free(p);
}

void goc_pipe_cancel(goc_pipe *p)
{
	goc_ctx_cancel(p->ctx);
}

goc_status goc_pipe_err(goc_pipe *p)
{
	return goc_ctx_err(p->ctx);
}

goc_status goc_pipe_wait(goc_pipe *p, int64_t deadline)
{
	return goc_wg_wait(&p->stages, deadline);
}

size_t goc_pipe_cap(const goc_pipe *p)
{
	return p->cap;
}

size_t goc_pipe_batch(const goc_pipe *p)
{
	return p->batch;
}

/* A channel of this pipeline's elements, registered for goc_pipe_free(). NULL: no memory. */
static goc_chan *pipe_chan_make(goc_pipe *p)
{
	goc_chan *ch = goc_chan_make(p->elem_size, p->cap);
	if (!ch)
		return NULL;
	GOC_PT(pthread_mutex_lock(&p->mu));
	if (p->nchans == p->maxchans) {
		size_t max = p->maxchans ? 2 * p->maxchans : 8;
		goc_chan **grown = realloc(p->chans, max * sizeof *grown);
		if (!grown) {
			GOC_PT(pthread_mutex_unlock(&p->mu));
			goc_chan_free(ch);
			return NULL;
		}
		p->chans = grown;
		p->maxchans = max;
	}
	p->chans[p->nchans++] = ch;
	GOC_PT(pthread_mutex_unlock(&p->mu));
	return ch;
}

/* The status a canceled pipeline reports: its context's cause. */
static goc_status canceled_status(goc_pipe *p)
{
	goc_status st = goc_ctx_err(p->ctx);
	/* The done channel closes only after err is set (ctx.h), so this is never GOC_OK. */
	return st != GOC_OK ? st : GOC_CANCELED;
}

/*
 * Every GOC_PIPE_POLL operations that did not wait, look at done once: the
 * bound on how long a task that never blocks runs past a cancellation.
 */
static bool poll_canceled(goc_pipe *p, unsigned *fast)
{
	if (++*fast < GOC_PIPE_POLL)
		return false;
	*fast = 0;
	return goc_chan_recv(p->done, NULL, GOC_NOWAIT) == GOC_CLOSED;
}

/* ---- reading ---------------------------------------------------------------- */

goc_status goc_pipe_reader_init(goc_pipe_reader *r, goc_pipe *p, goc_chan *in)
{
	if (goc_chan_elem_size(in) != p->elem_size)
		goc_panic("pipeline: input channel does not carry this pipeline's elements "
		          "(element size %zu, want %zu)", goc_chan_elem_size(in), p->elem_size);
	struct goc_pipe_batch *b = malloc(p->elem_size);
	if (!b)
		return GOC_NOMEM;
	b->n = 0;
	*r = (goc_pipe_reader){ .pipe = p, .in = in, .batch = b, .next = 0, .fast = 0 };
	return GOC_OK;
}

void goc_pipe_reader_destroy(goc_pipe_reader *r)
{
	free(r->batch);
	r->batch = NULL;
}

/*
 * Receive the next element into r->batch: a try on the input alone, then a
 * select with done when it would block (see the top of the file).
 */
static goc_status recv_elem(goc_pipe_reader *r, int64_t deadline)
{
	goc_pipe *p = r->pipe;
	goc_status st = goc_chan_recv(r->in, r->batch, GOC_NOWAIT);
	if (st == GOC_OK || st == GOC_CLOSED) {
		if (poll_canceled(p, &r->fast))
			return canceled_status(p);
		return st;
	}
	if (deadline == GOC_NOWAIT)
		return st;
	goc_case cases[2] = { GOC_RECV_CASE(r->in, r->batch), GOC_RECV_CASE(p->done, NULL) };
	size_t chosen = 0;
	st = goc_select(cases, 2, deadline, &chosen);
	if ((st == GOC_OK || st == GOC_CLOSED) && chosen == 1)
		return canceled_status(p);
	return st;
}

goc_status goc_pipe_read(goc_pipe_reader *r, goc_pipe_item *item, int64_t deadline)
{
	/* A batch may arrive empty only if a sender sent one; skip such, never hand out garbage. */
	while (r->next >= r->batch->n) {
		goc_status st = recv_elem(r, deadline);
		if (st != GOC_OK) {
			/* A failed receive may have zeroed the batch (GOC_CLOSED): nothing is left in it. */
			r->batch->n = 0;
			r->next = 0;
			return st;
		}
		r->next = 0;
	}
	*item = r->batch->items[r->next++];
	return GOC_OK;
}

/* ---- writing ---------------------------------------------------------------- */

static goc_status writer_init(pipe_writer *w, goc_pipe *p, goc_chan *out)
{
	struct goc_pipe_batch *b = malloc(p->elem_size);
	if (!b)
		return GOC_NOMEM;
	b->n = 0;
	*w = (pipe_writer){ .pipe = p, .out = out, .batch = b, .fast = 0 };
	return GOC_OK;
}

static void writer_destroy(pipe_writer *w)
{
	free(w->batch);
	w->batch = NULL;
}

/*
 * Send the batch if it holds anything, waiting until it is taken or the
 * pipeline is canceled: GOC_OK, or the pipeline's err.
 */
static goc_status writer_flush(pipe_writer *w)
{
	if (w->batch->n == 0)
		return GOC_OK;
	goc_pipe *p = w->pipe;
	goc_status st = goc_chan_send(w->out, w->batch, GOC_NOWAIT);
	if (st == GOC_OK) {
		w->batch->n = 0;
		return poll_canceled(p, &w->fast) ? canceled_status(p) : GOC_OK;
	}
	goc_case cases[2] = { GOC_SEND_CASE(w->out, w->batch), GOC_RECV_CASE(p->done, NULL) };
	size_t chosen = 0;
	/* GOC_FOREVER: the select returns once one of its cases ran, the send or done's close. */
	st = goc_select(cases, 2, GOC_FOREVER, &chosen);
	if (st != GOC_OK || chosen != 0)
		return canceled_status(p);
	w->batch->n = 0;
	return GOC_OK;
}

/* Add an item; a full batch goes out at once. GOC_OK or the pipeline's err. */
static goc_status writer_put(pipe_writer *w, const goc_pipe_item *item)
{
	w->batch->items[w->batch->n++] = *item;
	if (w->batch->n < w->pipe->batch)
		return GOC_OK;
	return writer_flush(w);
}

/* ---- tasks -------------------------------------------------------------------- */

static void task_free(pipe_task *t)
{
	if (t->fn)
		goc_pipe_reader_destroy(&t->r);
	writer_destroy(&t->w);
	free(t);
}

/*
 * The end of every task, as Go's `defer close(out)` and `defer wg.Done()`:
 * close the output (the next stage's input), free the task's memory, then
 * report to the WaitGroup, which is the last touch of the pipeline.
 */
static void task_end(pipe_task *t)
{
	goc_pipe *p = t->pipe;
	goc_chan_close(t->w.out);
	task_free(t);
	goc_wg_done(&p->stages);
}

static void source_main(void *arg)
{
	pipe_task *t = arg;
	goc_pipe_item item;
	for (;;) {
		item = (goc_pipe_item){ 0 };
		if (!t->next(t->arg, &item)) {
			/* The end of the input: what is batched goes out before the close. */
			(void)writer_flush(&t->w);
			break;
		}
		/* A source may fail an item too (a record it could not parse, say). */
		if (item.err)
			item.stage = t->name;
		/* Anything but GOC_OK is a cancellation: stop sending. */
		if (writer_put(&t->w, &item) != GOC_OK)
			break;
	}
	task_end(t);
}

static void stage_main(void *arg)
{
	pipe_task *t = arg;
	goc_pipe_item item;
	goc_status st;
	for (;;) {
		st = goc_pipe_read(&t->r, &item, GOC_NOWAIT);
		if (st == GOC_WOULDBLOCK) {
			/*
			 * About to wait for input: send what is batched first, so
			 * that items never sit in a partial batch while upstream is
			 * slow (with batch 1 there is never anything to send).
			 */
			if ((st = writer_flush(&t->w)) != GOC_OK)
				break;
			st = goc_pipe_read(&t->r, &item, GOC_FOREVER);
		}
		if (st != GOC_OK)
			break;
		/* A failed item skips the work of every later stage but still travels on. */
		if (!item.err) {
			goc_pipe_verdict v = t->fn(t->arg, &item);
			if (v == GOC_PIPE_DROP)
				continue;
			if (v == GOC_PIPE_FAIL) {
				if (!item.err)
					item.err = "failed";
				item.stage = t->name;
			}
		}
		if ((st = writer_put(&t->w, &item)) != GOC_OK)
			break;
	}
	/* The input ended: everything read goes out before the close. Canceled: nothing more is sent. */
	if (st == GOC_CLOSED)
		(void)writer_flush(&t->w);
	task_end(t);
}

/* Make the output channel, the writer (and the reader for a stage), then start the task. */
static goc_status task_start(goc_pipe *p, pipe_task *t, goc_chan *in, goc_task_fn main_fn, goc_chan **out)
{
	t->pipe = p;
	if (t->fn && goc_pipe_reader_init(&t->r, p, in) != GOC_OK) {
		free(t);
		return GOC_NOMEM;
	}
	goc_chan *ch = pipe_chan_make(p);
	if (!ch || writer_init(&t->w, p, ch) != GOC_OK) {
		/* ch, if made, stays registered and is freed with the pipeline. */
		if (t->fn)
			goc_pipe_reader_destroy(&t->r);
		free(t);
		return GOC_NOMEM;
	}
	/* Add before goc_go(), as in Go, so that a wait cannot miss the task. */
	goc_wg_add(&p->stages, 1);
	if (goc_go(main_fn, t) != GOC_OK) {
		goc_wg_done(&p->stages);
		task_free(t);
		return GOC_NOMEM;
	}
	*out = ch;
	return GOC_OK;
}

goc_status goc_pipe_source(goc_pipe *p, goc_pipe_next_fn next, void *arg, goc_chan **out)
{
	pipe_task *t = calloc(1, sizeof *t);
	if (!t)
		return GOC_NOMEM;
	t->name = "source";
	t->next = next;
	t->arg = arg;
	return task_start(p, t, NULL, source_main, out);
}

/* The generator: from, from + 1, ..., to; its state lives in its own task record. */
static bool generate_next(void *arg, goc_pipe_item *item)
{
	pipe_task *t = arg;
	if (t->gen_done || t->from > t->to)
		return false;
	item->id = item->value = t->from;
	if (t->from == t->to)
		t->gen_done = true;
	else
		t->from++;
	return true;
}

goc_status goc_pipe_generate(goc_pipe *p, uint64_t from, uint64_t to, goc_chan **out)
{
	pipe_task *t = calloc(1, sizeof *t);
	if (!t)
		return GOC_NOMEM;
	t->name = "generate";
	t->next = generate_next;
	t->arg = t;
	t->from = from;
	t->to = to;
	return task_start(p, t, NULL, source_main, out);
}

goc_status goc_pipe_stage(goc_pipe *p, goc_chan *in, const char *name, goc_pipe_fn fn, void *arg,
                          goc_chan **out)
{
	pipe_task *t = calloc(1, sizeof *t);
	if (!t)
		return GOC_NOMEM;
	t->name = name;
	t->fn = fn;
	t->arg = arg;
	return task_start(p, t, in, stage_main, out);
}

goc_pipe_verdict goc_pipe_square_fn(void *arg, goc_pipe_item *item)
{
	(void)arg;
	if (item->value > UINT32_MAX) {
		item->err = "overflow";
		return GOC_PIPE_FAIL;
	}
	item->value *= item->value;
	return GOC_PIPE_KEEP;
}

goc_pipe_verdict goc_pipe_even_fn(void *arg, goc_pipe_item *item)
{
	(void)arg;
	return item->value % 2 == 0 ? GOC_PIPE_KEEP : GOC_PIPE_DROP;
}

goc_status goc_pipe_square(goc_pipe *p, goc_chan *in, goc_chan **out)
{
	return goc_pipe_stage(p, in, "square", goc_pipe_square_fn, NULL, out);
}

goc_status goc_pipe_filter_even(goc_pipe *p, goc_chan *in, goc_chan **out)
{
	return goc_pipe_stage(p, in, "even", goc_pipe_even_fn, NULL, out);
}

/* ---- the sink ------------------------------------------------------------------ */

goc_status goc_pipe_sum(goc_pipe *p, goc_chan *in, uint64_t limit, goc_pipe_fail_fn on_fail, void *arg,
                        goc_pipe_totals *totals)
{
	goc_pipe_reader r;
	if (goc_pipe_reader_init(&r, p, in) != GOC_OK)
		return GOC_NOMEM;
	goc_pipe_totals t = { 0 };
	goc_pipe_item item;
	goc_status st;
	while ((st = goc_pipe_read(&r, &item, GOC_FOREVER)) == GOC_OK) {
		if (item.err) {
			t.failed++;
			if (on_fail)
				on_fail(arg, &item);
		} else {
			t.sum += item.value;
			t.ok++;
		}
		t.last_id = item.id;
		if (limit && t.ok + t.failed == limit) {
			/* Take the first `limit` and cancel: every stage returns, nobody drains. */
			t.limited = true;
			goc_pipe_cancel(p);
			break;
		}
	}
	goc_pipe_reader_destroy(&r);
	if (t.limited) {
		*totals = t;
		return GOC_OK;
	}
	/*
	 * The end of the input is complete only if nothing canceled the
	 * pipeline: a canceled last stage closes its output early too, and
	 * then the totals would be short.
	 */
	if (st == GOC_CLOSED && goc_ctx_err(p->ctx) == GOC_OK) {
		*totals = t;
		return GOC_OK;
	}
	return st == GOC_CLOSED ? canceled_status(p) : st;
}

/* ---- the check ------------------------------------------------------------------- */

goc_pipe_u128 goc_pipe_even_squares(uint64_t n)
{
	/* 4 (1^2 + ... + m^2) = 4 m (m + 1)(2m + 1) / 6; the product is always a multiple of 6. */
	goc_pipe_u128 m = n / 2;
	return m * (m + 1) * (2 * m + 1) / 6 * 4;
}

char *goc_pipe_u128_str(goc_pipe_u128 u, char *buf, size_t len)
{
	char digits[40];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0);
	size_t i = 0;
	for (; i < n && i + 1 < len; i++)
		buf[i] = digits[n - 1 - i];
	if (len)
		buf[i < len ? i : len - 1] = '\0';
	return buf;
}
