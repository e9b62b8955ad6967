/*
 * fanin.c - fan-out and fan-in (fanin.h): the tasks that move elements
 * between channels, and the start/wait/free machinery they share.
 *
 * Both a fan-out and a merge are a set of tasks, each with its own lane (its
 * input, its output, the element it holds, what it counted and why it
 * stopped), behind a gate: every task first waits for the gate channel to
 * close, which happens once all of them have started. If one cannot start
 * (no thread), the starter marks the set aborted before closing the gate,
 * and the tasks that did start return at once, touching no channel; so a
 * failed start undoes itself completely without any cancellation path in
 * the loops. One WaitGroup, `exited`, counts every started task until its
 * last touch of the set, and _wait and _free rely on it alone.
 *
 * Lanes are written by their own task while it runs and read by the owner
 * only after `exited` reaches zero; each lane sits on its own cache lines, so
 * that tasks filling their element buffers do not slow one another down.
 *
 * Without a context (or with one whose done channel is NULL, the background)
 * the loops use plain receives and sends, the cheapest path; with one, each
 * receive and send is a two-case select with the done channel.
 *
 * Lock order: none of our own; goc_wg and the channels lock inside libgoc.
 */
#define _POSIX_C_SOURCE 200809L
#include "fanin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cache line, so that lanes written by different tasks never share one. */
#define FAN_LINE ((size_t)64)

/* core_init()'s out_size for lanes that send what they received (no buffer of their own). */
#define FAN_SAME_BUFFER SIZE_MAX

/* ---- lanes and the gate ---------------------------------------------------- */

typedef struct fan_core fan_core;

/* One task's state. */
typedef struct fan_lane {
	fan_core *core;          /* read-only after start */
	void *parent;            /* the goc_merge or goc_fanout; read-only after start */
	goc_chan *in;            /* read-only after start (NULL for the select task) */
	goc_chan *out;           /* read-only after start */
	void *in_elem;           /* the element received; only this lane's task touches it */
	void *out_elem;          /* what it sends: fn's result, or in_elem itself; likewise */
	goc_fan_counts counts;   /* written by the lane's task; read by the owner after `exited` */
	goc_status stop;         /* why the task stopped; likewise */
} fan_lane;

struct fan_core {
	goc_ctx *ctx;            /* read-only after start; asked for its err on cancellation */
	goc_chan *done;          /* ctx's done channel, or NULL for none; read-only after start */
	goc_chan *gate;          /* closed by the starter once every task started or one failed */
	bool aborted;            /* written by the starter before closing the gate; read after */
	goc_wg exited;           /* counts started tasks until their last touch of the set */
	size_t nlanes;           /* read-only after start */
	size_t stride;           /* bytes per lane, a multiple of FAN_LINE; read-only */
	unsigned char *lanes;    /* nlanes lanes with their element buffers; see fan_lane */
};

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static fan_lane *lane_at(const fan_core *c, size_t i)
{
	return (fan_lane *)(void *)(c->lanes + i * c->stride);
}

/*
 * Set up a core of nlanes lanes, each with an input buffer of in_size bytes
 * and an output buffer of out_size bytes, or, with FAN_SAME_BUFFER, none
 * (out_elem is then in_elem). Returns false when out of memory,
 * with nothing to release.
 */
static bool core_init(fan_core *c, goc_ctx *ctx, size_t nlanes, size_t in_size, size_t out_size)
{
	size_t head = round_up(sizeof(fan_lane), FAN_LINE);
	size_t in_room = round_up(in_size, FAN_LINE);
	size_t out_room = out_size == FAN_SAME_BUFFER ? 0 : round_up(out_size, FAN_LINE);
	if (in_room < in_size || out_room > SIZE_MAX - head - in_room)
		return false;
	*c = (fan_core){ .ctx = ctx, .done = ctx ? goc_ctx_done(ctx) : NULL, .nlanes = nlanes,
	                 .stride = head + in_room + out_room };
	if (nlanes > 0) {
		if (nlanes > SIZE_MAX / c->stride)
			return false;
		/* aligned_alloc wants a multiple of the alignment, which stride is. */
		c->lanes = aligned_alloc(FAN_LINE, nlanes * c->stride);
		if (!c->lanes)
			return false;
		memset(c->lanes, 0, nlanes * c->stride);
		for (size_t i = 0; i < nlanes; i++) {
			fan_lane *l = lane_at(c, i);
			unsigned char *base = (unsigned char *)l;
			l->core = c;
			l->in_elem = base + head;
			l->out_elem = out_size == FAN_SAME_BUFFER ? l->in_elem : base + head + in_room;
			l->stop = GOC_OK;
		}
	}
	c->gate = goc_chan_make(0, 0);
	if (!c->gate) {
		free(c->lanes);
		return false;
	}
	goc_wg_init(&c->exited);
	return true;
}

static void core_destroy(fan_core *c)
{
	goc_wg_destroy(&c->exited);
	goc_chan_free(c->gate);
	free(c->lanes);
}

/*
 * Start fn(arg) as one of the core's tasks. The add comes before goc_go(),
 * as WaitGroup's rule wants, and is given back when no thread was made.
 */
static bool core_go(fan_core *c, goc_task_fn fn, void *arg)
{
	goc_wg_add(&c->exited, 1);
	if (goc_go(fn, arg) == GOC_OK)
		return true;
	goc_wg_add(&c->exited, -1);
	return false;
}

/*
 * Open the gate: with `aborted` set, the tasks already started return at
 * once, and this waits until they have. The close happens-before each
 * task's receive on the gate returns, which orders `aborted` for them.
 */
static void core_open_gate(fan_core *c, bool aborted)
{
	c->aborted = aborted;
	goc_chan_close(c->gate);
	if (aborted)
		(void)goc_wg_wait(&c->exited, GOC_FOREVER);
}

/* A task's first step: wait for the gate; true to go on, false when aborted. */
static bool core_pass_gate(fan_core *c)
{
	(void)goc_chan_recv(c->gate, NULL, GOC_FOREVER);
	return !c->aborted;
}

/*
 * The set's final status, once `exited` is zero: the first lane that did
 * not stop with GOC_OK says why (a context's err, or GOC_NOMEM).
 */
static goc_status core_result(const fan_core *c)
{
	for (size_t i = 0; i < c->nlanes; i++) {
		goc_status st = lane_at(c, i)->stop;
		if (st != GOC_OK)
			return st;
	}
	return GOC_OK;
}

static goc_status core_wait(fan_core *c, int64_t deadline)
{
	goc_status st = goc_wg_wait(&c->exited, deadline);
	return st == GOC_OK ? core_result(c) : st;
}

static goc_fan_counts core_counts(const fan_core *c)
{
	goc_fan_counts sum = { 0, 0, 0 };
	for (size_t i = 0; i < c->nlanes; i++) {
		const goc_fan_counts *n = &lane_at(c, i)->counts;
		sum.received += n->received;
		sum.sent += n->sent;
		sum.dropped += n->dropped;
	}
	return sum;
}

/* ---- receive and send, or stop when the context is canceled -------------- */

/*
 * GOC_OK with an element in `elem`, GOC_CLOSED when `in` is closed and
 * drained, or GOC_CANCELED when `done` closed first. When both are ready
 * the select picks either, as Go's does; a canceled loop stops within a few
 * rounds all the same.
 */
static goc_status recv_or_done(goc_chan *in, void *elem, goc_chan *done)
{
	if (!done)
		return goc_chan_recv(in, elem, GOC_FOREVER);
	goc_case cs[2] = { GOC_RECV_CASE(in, elem), GOC_RECV_CASE(done, NULL) };
	size_t chosen = 0;
	goc_status st = goc_select(cs, 2, GOC_FOREVER, &chosen);
	if ((st == GOC_OK || st == GOC_CLOSED) && chosen == 1)
		return GOC_CANCELED;
	return st;
}

/* GOC_OK once `out` took the element, or GOC_CANCELED when `done` closed first. */
static goc_status send_or_done(goc_chan *out, const void *elem, goc_chan *done)
{
	if (!done)
		return goc_chan_send(out, elem, GOC_FOREVER);
	goc_case cs[2] = { GOC_SEND_CASE(out, elem), GOC_RECV_CASE(done, NULL) };
	size_t chosen = 0;
	goc_status st = goc_select(cs, 2, GOC_FOREVER, &chosen);
	if ((st == GOC_OK || st == GOC_CLOSED) && chosen == 1)
		return GOC_CANCELED;
	return st;
}

/*
 * Why a lane stopped on cancellation: the context's err, read now (the done
 * channel's close happens-before its err is readable as set).
 */
static goc_status canceled_by(const fan_core *c)
{
	goc_status err = goc_ctx_err(c->ctx);
	return err == GOC_OK ? GOC_CANCELED : err;
}

/* ---- fan-in ---------------------------------------------------------------- */

struct goc_merge {
	fan_core core;           /* lanes: one per input (tasks) or one (select) */
	goc_merge_how how;       /* read-only */
	goc_chan *out;           /* read-only; closed by the closer or the select task */
	goc_wg forwarders;       /* GOC_MERGE_TASKS: forwarders still running; the closer waits */
	goc_case *cases;         /* GOC_MERGE_SELECT: the inputs, then done; the select task's own */
	size_t nins;             /* read-only */
	size_t ncases;           /* read-only */
};

/* The element size all of them must share; panics on a mismatch. */
static size_t merge_elem_size(goc_chan *const *ins, size_t nins, goc_chan *out)
{
	if (!out)
		goc_panic("merge: nil output channel");
	size_t size = goc_chan_elem_size(out);
	for (size_t i = 0; i < nins; i++)
		if (ins[i] && goc_chan_elem_size(ins[i]) != size)
			goc_panic("merge: input %zu has %zu-byte elements, the output %zu-byte ones",
			          i, goc_chan_elem_size(ins[i]), size);
	return size;
}

/*
 * GOC_MERGE_TASKS: one input's forwarder, Go's
 *	for v := range in { out <- v }
 * with a select on done around each step when there is a context.
 */
static void merge_forward_task(void *arg)
{
	fan_lane *l = arg;
	fan_core *c = l->core;
	goc_merge *m = l->parent;
	if (core_pass_gate(c)) {
		/* Counted in locals: the lane is published once, before the WaitGroups. */
		goc_fan_counts n = { 0, 0, 0 };
		goc_status stop = GOC_OK;
		for (;;) {
			goc_status st = recv_or_done(l->in, l->in_elem, c->done);
			if (st == GOC_CLOSED)
				break;
			if (st != GOC_OK) {
				stop = canceled_by(c);
				break;
			}
			n.received++;
			if (send_or_done(l->out, l->in_elem, c->done) != GOC_OK) {
				n.dropped++;
				stop = canceled_by(c);
				break;
			}
			n.sent++;
		}
		l->counts = n;
		l->stop = stop;
	}
	goc_wg_done(&m->forwarders);
	goc_wg_done(&c->exited);
}

/* GOC_MERGE_TASKS: the closer, Go's  go func() { wg.Wait(); close(out) }(). */
static void merge_close_task(void *arg)
{
	goc_merge *m = arg;
	if (core_pass_gate(&m->core)) {
		(void)goc_wg_wait(&m->forwarders, GOC_FOREVER);
		goc_chan_close(m->out);
	}
	goc_wg_done(&m->core.exited);
}

/*
 * GOC_MERGE_SELECT: one task selects over every input (and done); a closed
 * input's case is set to NULL, which goc_select() never picks again, the way
 * Go code sets a closed channel variable to nil. The loop ends when no input
 * is left open; a NULL input never closes, so it keeps the loop going until
 * the context ends it.
 */
static void merge_select_task(void *arg)
{
	goc_merge *m = arg;
	fan_core *c = &m->core;
	fan_lane *l = lane_at(c, 0);
	if (core_pass_gate(c)) {
		goc_fan_counts n = { 0, 0, 0 };
		goc_status stop = GOC_OK;
		size_t open = m->nins;
		while (open > 0) {
			size_t i = 0;
			goc_status st = goc_select(m->cases, m->ncases, GOC_FOREVER, &i);
			if (st != GOC_OK && st != GOC_CLOSED) {
				/* GOC_NOMEM: the only other status a select without deadline returns. */
				stop = st;
				break;
			}
			if (i == m->nins) {
				stop = canceled_by(c);
				break;
			}
			if (st == GOC_CLOSED) {
				m->cases[i].ch = NULL;
				open--;
				continue;
			}
			n.received++;
			if (send_or_done(m->out, l->in_elem, c->done) != GOC_OK) {
				n.dropped++;
				stop = canceled_by(c);
				break;
			}
			n.sent++;
		}
		l->counts = n;
		l->stop = stop;
		goc_chan_close(m->out);
	}
	goc_wg_done(&c->exited);
}

static void merge_release(goc_merge *m)
{
	core_destroy(&m->core);
	goc_wg_destroy(&m->forwarders);
	free(m->cases);
	free(m);
}

goc_status goc_merge_start(goc_merge **mp, goc_merge_how how, goc_ctx *ctx,
                           goc_chan *const *ins, size_t nins, goc_chan *out)
{
	size_t size = merge_elem_size(ins, nins, out);
	goc_merge *m = calloc(1, sizeof *m);
	if (!m)
		return GOC_NOMEM;
	m->how = how;
	m->out = out;
	m->nins = nins;
	size_t nlanes = how == GOC_MERGE_TASKS ? nins : 1;
	if (!core_init(&m->core, ctx, nlanes, size, FAN_SAME_BUFFER)) {
		free(m);
		return GOC_NOMEM;
	}
	goc_wg_init(&m->forwarders);
	fan_core *c = &m->core;

	bool started = true;
	if (how == GOC_MERGE_TASKS) {
		for (size_t i = 0; i < nins; i++) {
			lane_at(c, i)->parent = m;
			lane_at(c, i)->in = ins[i];
			lane_at(c, i)->out = out;
		}
		started = core_go(c, merge_close_task, m);
		for (size_t i = 0; started && i < nins; i++) {
			goc_wg_add(&m->forwarders, 1);
			started = core_go(c, merge_forward_task, lane_at(c, i));
			if (!started)
				goc_wg_add(&m->forwarders, -1);
		}
	} else {
		/* Room for the done case even without a context keeps the sizes simple. */
		if (nins > SIZE_MAX / sizeof *m->cases - 1) {
			merge_release(m);
			return GOC_NOMEM;
		}
		m->cases = calloc(nins + 1, sizeof *m->cases);
		if (!m->cases) {
			merge_release(m);
			return GOC_NOMEM;
		}
		fan_lane *l = lane_at(c, 0);
		l->parent = m;
		l->out = out;
		for (size_t i = 0; i < nins; i++)
			m->cases[i] = GOC_RECV_CASE(ins[i], l->in_elem);
		m->ncases = nins;
		if (c->done)
			m->cases[m->ncases++] = GOC_RECV_CASE(c->done, NULL);
		started = core_go(c, merge_select_task, m);
	}

	core_open_gate(c, !started);
	if (!started) {
		merge_release(m);
		return GOC_NOMEM;
	}
	*mp = m;
	return GOC_OK;
}

goc_status goc_merge_wait(goc_merge *m, int64_t deadline)
{
	return core_wait(&m->core, deadline);
}

goc_fan_counts goc_merge_counts(const goc_merge *m)
{
	return core_counts(&m->core);
}

void goc_merge_free(goc_merge *m)
{
	if (!m)
		return;
	(void)goc_wg_wait(&m->core.exited, GOC_FOREVER);
	merge_release(m);
}

/* ---- fan-out --------------------------------------------------------------- */

struct goc_fanout {
	fan_core core;           /* one lane per worker */
	goc_fanout_fn fn;        /* read-only; NULL sends elements on unchanged */
	void *arg;               /* read-only here; fn's business */
};

/*
 * One worker, Go's
 *	defer close(out)
 *	for v := range in { if w, ok := fn(v); ok { out <- w } }
 * with a select on done around each step when there is a context.
 */
static void fanout_work_task(void *arg)
{
	fan_lane *l = arg;
	fan_core *c = l->core;
	goc_fanout *f = l->parent;
	if (core_pass_gate(c)) {
		goc_fan_counts n = { 0, 0, 0 };
		goc_status stop = GOC_OK;
		for (;;) {
			goc_status st = recv_or_done(l->in, l->in_elem, c->done);
			if (st == GOC_CLOSED)
				break;
			if (st != GOC_OK) {
				stop = canceled_by(c);
				break;
			}
			n.received++;
			if (f->fn && !f->fn(f->arg, l->in_elem, l->out_elem))
				continue;
			if (send_or_done(l->out, l->out_elem, c->done) != GOC_OK) {
				n.dropped++;
				stop = canceled_by(c);
				break;
			}
			n.sent++;
		}
		l->counts = n;
		l->stop = stop;
		goc_chan_close(l->out);
	}
	goc_wg_done(&c->exited);
}

goc_status goc_fanout_start(goc_fanout **fp, goc_ctx *ctx, goc_chan *in, goc_chan *const *outs,
                            size_t nworkers, goc_fanout_fn fn, void *arg)
{
	size_t in_size = goc_chan_elem_size(in);
	size_t out_size = in_size;
	for (size_t i = 0; i < nworkers; i++) {
		if (!outs[i])
			goc_panic("fanout: nil output channel %zu", i);
		if (i == 0)
			out_size = goc_chan_elem_size(outs[0]);
		else if (goc_chan_elem_size(outs[i]) != out_size)
			goc_panic("fanout: output %zu has %zu-byte elements, output 0 %zu-byte ones",
			          i, goc_chan_elem_size(outs[i]), out_size);
		for (size_t j = 0; j < i; j++)
			if (outs[j] == outs[i])
				goc_panic("fanout: outputs %zu and %zu are the same channel (it would be closed twice)",
				          j, i);
	}
	if (!fn && out_size != in_size)
		goc_panic("fanout: no function, and the input has %zu-byte elements, the outputs %zu-byte ones",
		          in_size, out_size);

	goc_fanout *f = calloc(1, sizeof *f);
	if (!f)
		return GOC_NOMEM;
	f->fn = fn;
	f->arg = arg;
	fan_core *c = &f->core;
	if (!core_init(c, ctx, nworkers, in_size, fn ? out_size : FAN_SAME_BUFFER)) {
		free(f);
		return GOC_NOMEM;
	}
	bool started = true;
	for (size_t i = 0; i < nworkers; i++) {
		lane_at(c, i)->parent = f;
		lane_at(c, i)->in = in;
		lane_at(c, i)->out = outs[i];
	}
	for (size_t i = 0; started && i < nworkers; i++)
		started = core_go(c, fanout_work_task, lane_at(c, i));

	core_open_gate(c, !started);
	if (!started) {
		core_destroy(c);
		free(f);
		return GOC_NOMEM;
	}
	*fp = f;
	return GOC_OK;
}

goc_status goc_fanout_wait(goc_fanout *f, int64_t deadline)
{
	return core_wait(&f->core, deadline);
}

goc_fan_counts goc_fanout_counts(const goc_fanout *f)
{
	return core_counts(&f->core);
}

void goc_fanout_free(goc_fanout *f)
{
	if (!f)
		return;
	(void)goc_wg_wait(&f->core.exited, GOC_FOREVER);
	core_destroy(&f->core);
	free(f);
}
