/*
 * workerpool.c - the worker pool of workerpool.h: its tasks (producer,
 * workers, closer, and for MUTEXQ a context watcher), the three ways they
 * pass jobs and results (libgoc channels, hand-written mutex and condition
 * variable queues, channels of batches), and the shutdown that cancels the
 * pool on the first error and joins every task before the call returns.
 *
 * Every variant runs under the pool's own context, a child of the caller's:
 * canceling it is the one way to stop the pool. The channel variants see it
 * through the context's done channel, on which every blocking send also
 * waits (Go's `select { case ch <- v: case <-ctx.Done(): }`), and through a
 * goc_ctx_err() poll before each job. The hand-written queues cannot wait
 * on a channel, so pool_cancel() also wakes them, and a watcher task turns
 * a cancellation from outside (the caller's context, the deadline) into
 * that same call.
 *
 * Joining: every task ends with goc_wg_done() on tasks_wg, after its last
 * touch of the pool, and the caller waits on tasks_wg before reading the
 * tasks' counters and freeing anything; the WaitGroup is the happens-before
 * edge for both.
 *
 * Lock order: a queue's mutex (MUTEXQ) is a leaf; no other lock is taken
 * and no callback runs while one is held. Everything else is libgoc's.
 */
#define _POSIX_C_SOURCE 200809L
#include "workerpool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * A batch is one channel element: the number of jobs (or results) in it,
 * then the jobs back to back, like an array. The header is padded to the
 * strictest alignment so that a job inside keeps the alignment malloc()
 * gives the element, which the callbacks rely on (workerpool.h).
 */
#define BATCH_HEADER (alignof(max_align_t))
_Static_assert(alignof(max_align_t) >= sizeof(size_t), "the batch header holds a size_t");

/* ---- the hand-written queue (MUTEXQ) -------------------------------------- */

/*
 * A bounded FIFO of fixed-size elements, as a C programmer writes one: a
 * ring under a mutex, a condition variable for each direction, and counts
 * of the waiters so that put and get signal only when someone sleeps.
 * close() ends the getters once the ring is drained; cancel() ends the
 * putters at once, and the getters that asked to stop on it.
 */
typedef struct wq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty;  /* getters wait; put signals, close and cancel broadcast */
	pthread_cond_t not_full;   /* putters wait; get signals, cancel broadcasts */
	unsigned char *buf;        /* cap * elem_size bytes; guarded by mu */
	size_t cap;                /* at least 1; immutable */
	size_t elem_size;          /* immutable */
	size_t head;               /* index of the oldest element; guarded by mu */
	size_t count;              /* elements in the ring; guarded by mu */
	size_t getters;            /* threads waiting in wq_get(); guarded by mu */
	size_t putters;            /* threads waiting in wq_put(); guarded by mu */
	bool closed;               /* guarded by mu */
	bool canceled;             /* guarded by mu */
} wq;

static bool wq_init(wq *q, size_t cap, size_t elem_size)
{
	if (cap == 0)
		cap = 1;
	if (elem_size != 0 && cap > (SIZE_MAX - 1) / elem_size)
		goc_panic("workerpool: queue * element size overflows");
	q->buf = malloc(cap * elem_size + 1);
	if (!q->buf)
		return false;
	GOC_PT(pthread_mutex_init(&q->mu, NULL));
	GOC_PT(pthread_cond_init(&q->not_empty, NULL));
	GOC_PT(pthread_cond_init(&q->not_full, NULL));
	q->cap = cap;
	q->elem_size = elem_size;
	q->head = q->count = q->getters = q->putters = 0;
	q->closed = q->canceled = false;
	return true;
}

static void wq_destroy(wq *q)
{
	GOC_PT(pthread_cond_destroy(&q->not_full));
	GOC_PT(pthread_cond_destroy(&q->not_empty));
	GOC_PT(pthread_mutex_destroy(&q->mu));
	free(q->buf);
}

/* Append a copy of elem, waiting while the ring is full; false once canceled. */
static bool wq_put(wq *q, const void *elem)
{
	GOC_PT(pthread_mutex_lock(&q->mu));
	/* Re-checked after every wake-up: condition variables wake spuriously. */
	while (q->count == q->cap && !q->canceled) {
		q->putters++;
		GOC_PT(pthread_cond_wait(&q->not_full, &q->mu));
		q->putters--;
	}
	if (q->canceled) {
		GOC_PT(pthread_mutex_unlock(&q->mu));
		return false;
	}
	size_t tail = (q->head + q->count) % q->cap;
	if (q->elem_size)
		memcpy(q->buf + tail * q->elem_size, elem, q->elem_size);
	q->count++;
	if (q->getters)
		GOC_PT(pthread_cond_signal(&q->not_empty));
	GOC_PT(pthread_mutex_unlock(&q->mu));
	return true;
}

/*
 * Take the oldest element into elem, waiting while the ring is empty.
 * GOC_OK, GOC_CLOSED once closed and drained, or GOC_CANCELED once
 * canceled when stop_on_cancel (then even if elements are left: a worker
 * stops before its next job, the collector drains).
 */
static goc_status wq_get(wq *q, void *elem, bool stop_on_cancel)
{
	goc_status st = GOC_OK;
	GOC_PT(pthread_mutex_lock(&q->mu));
	/* Re-checked after every wake-up: condition variables wake spuriously. */
	while (q->count == 0 && !q->closed && !(stop_on_cancel && q->canceled)) {
		q->getters++;
		GOC_PT(pthread_cond_wait(&q->not_empty, &q->mu));
		q->getters--;
	}
	if (stop_on_cancel && q->canceled) {
		st = GOC_CANCELED;
	} else if (q->count == 0) {
		st = GOC_CLOSED;
	} else {
		if (q->elem_size)
			memcpy(elem, q->buf + q->head * q->elem_size, q->elem_size);
		q->head = (q->head + 1) % q->cap;
		q->count--;
		if (q->putters)
			GOC_PT(pthread_cond_signal(&q->not_full));
	}
	GOC_PT(pthread_mutex_unlock(&q->mu));
	return st;
}

static void wq_close(wq *q)
{
	GOC_PT(pthread_mutex_lock(&q->mu));
	q->closed = true;
	GOC_PT(pthread_cond_broadcast(&q->not_empty));
	GOC_PT(pthread_mutex_unlock(&q->mu));
}

static void wq_cancel(wq *q)
{
	GOC_PT(pthread_mutex_lock(&q->mu));
	q->canceled = true;
	GOC_PT(pthread_cond_broadcast(&q->not_empty));
	GOC_PT(pthread_cond_broadcast(&q->not_full));
	GOC_PT(pthread_mutex_unlock(&q->mu));
}

/* ---- the pool --------------------------------------------------------------- */

typedef struct pool pool;

/* One worker task's record. */
typedef struct worker {
	pool *p;                /* immutable */
	unsigned char *job;     /* scratch for a job or a batch of them; this worker's only */
	unsigned char *result;  /* scratch for a result or a batch; this worker's only */
	uint64_t run;           /* written by the worker as it exits; read by the caller after tasks_wg */
	uint64_t failed;        /* likewise */
} worker;

struct pool {
	goc_workerpool_config cfg;  /* a copy; immutable */
	goc_ctx *ctx;               /* the pool's context; immutable */
	goc_chan *done;             /* goc_ctx_done(ctx); immutable */
	goc_chan *jobs;             /* CHAN, BATCH; immutable pointer, a channel (its own lock);
	                               closed by the producer */
	goc_chan *results;          /* CHAN, BATCH; likewise; closed by the closer */
	wq jobq;                    /* MUTEXQ; guarded by its own mu; closed by the producer */
	wq resq;                    /* MUTEXQ; likewise; closed by the closer */
	bool queues_made;           /* MUTEXQ: jobq and resq were initialized; caller only */
	goc_chan *stop;             /* MUTEXQ; immutable pointer; closed by the caller to end
	                               the watcher */
	size_t job_elem;            /* bytes of a jobs element: a job, or a batch; immutable */
	size_t res_elem;            /* bytes of a results element; immutable */
	goc_wg workers_wg;          /* one per worker; the closer waits on it */
	goc_wg tasks_wg;            /* one per task started; the caller waits on it */
	/*
	 * The error that canceled the pool, or 0; set once, by a CAS from 0.
	 * seq_cst: it is rare, and read by the caller only after tasks_wg.
	 */
	atomic_int first_err;
	unsigned char *prod_buf;    /* the producer's scratch */
	uint64_t produced;          /* written by the producer; read by the caller after tasks_wg */
	bool exhausted;             /* next() returned 0; likewise */
	unsigned char *coll_buf;    /* the collector's (the caller's) scratch */
	worker *workers;            /* cfg.workers records; immutable pointer */
};

/*
 * Cancel the pool: the context (which every channel wait watches) and, for
 * MUTEXQ, the queues (whose waits watch nothing else). Idempotent.
 */
static void pool_cancel(pool *p)
{
	goc_ctx_cancel(p->ctx);
	if (p->cfg.variant == GOC_WORKERPOOL_MUTEXQ) {
		wq_cancel(&p->jobq);
		wq_cancel(&p->resq);
	}
}

/*
 * A job or collect() failed with err: it becomes the pool's error and
 * cancels it, unless something canceled the pool first (the first cause
 * wins; one racing with a cancellation from outside may go either way).
 */
static void pool_fail(pool *p, int err)
{
	int none = 0;
	if (goc_ctx_err(p->ctx) == GOC_OK)
		atomic_compare_exchange_strong(&p->first_err, &none, err);
	pool_cancel(p);
}

static size_t batch_count(const unsigned char *batch)
{
	size_t n;
	memcpy(&n, batch, sizeof n);
	return n;
}

static void batch_set_count(unsigned char *batch, size_t n)
{
	memcpy(batch, &n, sizeof n);
}

/*
 * Go's `select { case ch <- *elem: return true; case <-done: return false }`.
 * The send is tried alone first: when it can proceed at once there is no
 * need to lock the done channel, which every task of the pool shares, so
 * the common case costs one channel lock instead of two contended ones.
 * Preferring the send when both are ready is a choice select may make too.
 */
static bool send_or_done(goc_chan *ch, const void *elem, goc_chan *done)
{
	if (goc_chan_send(ch, elem, GOC_NOWAIT) == GOC_OK)
		return true;
	goc_case cases[2] = { GOC_SEND_CASE(ch, elem), GOC_RECV_CASE(done, NULL) };
	size_t chosen = 1;
	goc_status st = goc_select(cases, 2, GOC_FOREVER, &chosen);
	return st == GOC_OK && chosen == 0;
}

/* ---- the producer --------------------------------------------------------- */

/*
 * Queue every job next() gives, then close the jobs channel. It polls the
 * context before each next() so that a canceled pool asks for no more, and
 * a blocked send gives up on cancellation; either way the close tells the
 * workers that no more jobs come.
 */
static void produce_chan(void *arg)
{
	pool *p = arg;
	const goc_workerpool_config *c = &p->cfg;
	uint64_t n = 0;
	bool exhausted = false;
	while (goc_ctx_err(p->ctx) == GOC_OK) {
		if (!c->next(c->arg, p->prod_buf)) {
			exhausted = true;
			break;
		}
		if (!send_or_done(p->jobs, p->prod_buf, p->done))
			break;
		n++;
	}
	p->produced = n;
	p->exhausted = exhausted;
	goc_chan_close(p->jobs);
	goc_wg_done(&p->tasks_wg);
}

/* produce_chan() a batch at a time: up to cfg.batch jobs per send. */
static void produce_batch(void *arg)
{
	pool *p = arg;
	const goc_workerpool_config *c = &p->cfg;
	unsigned char *jobs = p->prod_buf + BATCH_HEADER;
	uint64_t n = 0;
	bool exhausted = false;
	while (!exhausted && goc_ctx_err(p->ctx) == GOC_OK) {
		size_t k = 0;
		while (k < c->batch && c->next(c->arg, jobs + k * c->job_size))
			k++;
		exhausted = k < c->batch;
		if (k == 0)
			break;
		batch_set_count(p->prod_buf, k);
		if (!send_or_done(p->jobs, p->prod_buf, p->done)) {
			/* Canceled with the last, partial batch unsent: not done, though next() ran out. */
			exhausted = false;
			break;
		}
		n += k;
	}
	p->produced = n;
	p->exhausted = exhausted;
	goc_chan_close(p->jobs);
	goc_wg_done(&p->tasks_wg);
}

/* produce_chan() on the hand-written queue, whose put fails once canceled. */
static void produce_mutexq(void *arg)
{
	pool *p = arg;
	const goc_workerpool_config *c = &p->cfg;
	uint64_t n = 0;
	bool exhausted = false;
	while (goc_ctx_err(p->ctx) == GOC_OK) {
		if (!c->next(c->arg, p->prod_buf)) {
			exhausted = true;
			break;
		}
		if (!wq_put(&p->jobq, p->prod_buf))
			break;
		n++;
	}
	p->produced = n;
	p->exhausted = exhausted;
	wq_close(&p->jobq);
	goc_wg_done(&p->tasks_wg);
}

/* ---- the workers ------------------------------------------------------------ */

/*
 * A worker's last act: publish its counts and let the closer and the
 * caller count it out. The counts are kept in locals while it runs, since
 * the records of neighbouring workers share cache lines.
 */
static void worker_exit(worker *w, uint64_t run, uint64_t failed)
{
	pool *p = w->p;
	w->run = run;
	w->failed = failed;
	goc_wg_done(&p->workers_wg);
	goc_wg_done(&p->tasks_wg);
}

/*
 * One job, unless the pool's context is done: false when it was (no job
 * run) or the job failed (the pool fails with its error). Counts what ran
 * and what failed.
 */
static bool run_job(pool *p, const void *job, void *result, uint64_t *run, uint64_t *failed)
{
	const goc_workerpool_config *c = &p->cfg;
	if (goc_ctx_err(p->ctx) != GOC_OK)
		return false;
	(*run)++;
	int err = c->work(c->arg, p->ctx, job, result);
	if (err) {
		(*failed)++;
		pool_fail(p, err);
		return false;
	}
	return true;
}

/*
 * Range over the jobs channel. The context is polled after each receive,
 * so that after a cancellation a worker runs no further job (jobs left in
 * the channel are dropped with it); a job already running finishes. A
 * blocked result send gives up on cancellation, dropping that result.
 */
static void work_chan(void *arg)
{
	worker *w = arg;
	pool *p = w->p;
	uint64_t run = 0, failed = 0;
	while (goc_chan_recv(p->jobs, w->job, GOC_FOREVER) == GOC_OK) {
		if (!run_job(p, w->job, w->result, &run, &failed))
			break;
		if (!send_or_done(p->results, w->result, p->done))
			break;
	}
	worker_exit(w, run, failed);
}

/*
 * work_chan() a batch at a time: the results of a batch go out together as
 * one results element. The context is polled before every job; a batch cut
 * short by a cancellation or a failure is dropped whole.
 */
static void work_batch(void *arg)
{
	worker *w = arg;
	pool *p = w->p;
	const goc_workerpool_config *c = &p->cfg;
	const unsigned char *jobs = w->job + BATCH_HEADER;
	unsigned char *results = w->result + BATCH_HEADER;
	uint64_t run = 0, failed = 0;
	while (goc_chan_recv(p->jobs, w->job, GOC_FOREVER) == GOC_OK) {
		size_t k = batch_count(w->job);
		size_t i;
		for (i = 0; i < k; i++)
			if (!run_job(p, jobs + i * c->job_size, results + i * c->result_size, &run, &failed))
				break;
		if (i < k)
			break;
		batch_set_count(w->result, k);
		if (!send_or_done(p->results, w->result, p->done))
			break;
	}
	worker_exit(w, run, failed);
}

/* work_chan() on the hand-written queues. */
static void work_mutexq(void *arg)
{
	worker *w = arg;
	pool *p = w->p;
	uint64_t run = 0, failed = 0;
	while (wq_get(&p->jobq, w->job, true) == GOC_OK) {
		/* The queue sees pool_cancel() at once; run_job() sees the watcher's lag. */
		if (!run_job(p, w->job, w->result, &run, &failed))
			break;
		if (!wq_put(&p->resq, w->result))
			break;
	}
	worker_exit(w, run, failed);
}

/* ---- the closer and the watcher ------------------------------------------ */

/* Go's `go func() { wg.Wait(); close(results) }()`. */
static void close_results(void *arg)
{
	pool *p = arg;
	(void)goc_wg_wait(&p->workers_wg, GOC_FOREVER);
	if (p->cfg.variant == GOC_WORKERPOOL_MUTEXQ)
		wq_close(&p->resq);
	else
		goc_chan_close(p->results);
	goc_wg_done(&p->tasks_wg);
}

/*
 * MUTEXQ only: wait for the pool's context to be canceled (from outside,
 * usually) or for the run to end, and pass a cancellation on to the queues,
 * whose condition variables cannot wait on a channel.
 */
static void watch_ctx(void *arg)
{
	pool *p = arg;
	goc_case cases[2] = { GOC_RECV_CASE(p->done, NULL), GOC_RECV_CASE(p->stop, NULL) };
	(void)goc_select(cases, 2, GOC_FOREVER, NULL);
	if (goc_ctx_err(p->ctx) != GOC_OK)
		pool_cancel(p);
	goc_wg_done(&p->tasks_wg);
}

/* ---- the collector (the calling thread) ----------------------------------- */

typedef struct collector {
	pool *p;
	uint64_t collected;  /* results collect() took; caller only */
	bool failed;         /* collect() returned an error: drop the rest; caller only */
} collector;

static void collect_one(collector *k, const void *result)
{
	const goc_workerpool_config *c = &k->p->cfg;
	if (k->failed)
		return;
	if (c->collect) {
		int err = c->collect(c->arg, result);
		if (err) {
			k->failed = true;
			pool_fail(k->p, err);
			return;
		}
	}
	k->collected++;
}

/*
 * Range over the results until the closer closes them, which happens once
 * every worker has exited: so the results in flight when the pool is
 * canceled are drained (and collected) too.
 */
static uint64_t collect_all(pool *p)
{
	collector k = { p, 0, false };
	const goc_workerpool_config *c = &p->cfg;
	switch (c->variant) {
	case GOC_WORKERPOOL_CHAN:
		while (goc_chan_recv(p->results, p->coll_buf, GOC_FOREVER) == GOC_OK)
			collect_one(&k, p->coll_buf);
		break;
	case GOC_WORKERPOOL_BATCH:
		while (goc_chan_recv(p->results, p->coll_buf, GOC_FOREVER) == GOC_OK) {
			size_t n = batch_count(p->coll_buf);
			for (size_t i = 0; i < n; i++)
				collect_one(&k, p->coll_buf + BATCH_HEADER + i * c->result_size);
		}
		break;
	case GOC_WORKERPOOL_MUTEXQ:
		while (wq_get(&p->resq, p->coll_buf, false) == GOC_OK)
			collect_one(&k, p->coll_buf);
		break;
	}
	return k.collected;
}

/* ---- setting up and tearing down -------------------------------------------- */

static void check_config(const goc_workerpool_config *cfg)
{
	if (!cfg)
		goc_panic("workerpool: nil config");
	if (!cfg->next || !cfg->work)
		goc_panic("workerpool: next and work must not be NULL");
	if (cfg->workers == 0)
		goc_panic("workerpool: workers must be at least 1");
	switch (cfg->variant) {
	case GOC_WORKERPOOL_CHAN:
	case GOC_WORKERPOOL_MUTEXQ:
		break;
	case GOC_WORKERPOOL_BATCH:
		if (cfg->batch == 0)
			goc_panic("workerpool: batch must be at least 1");
		if ((cfg->job_size && cfg->batch > (SIZE_MAX - BATCH_HEADER) / cfg->job_size) ||
		    (cfg->result_size && cfg->batch > (SIZE_MAX - BATCH_HEADER) / cfg->result_size))
			goc_panic("workerpool: batch * element size overflows");
		break;
	default:
		goc_panic("workerpool: unknown variant");
	}
}

static void pool_free(pool *p)
{
	if (!p)
		return;
	goc_ctx_free(p->ctx);
	goc_chan_free(p->jobs);
	goc_chan_free(p->results);
	goc_chan_free(p->stop);
	if (p->queues_made) {
		wq_destroy(&p->jobq);
		wq_destroy(&p->resq);
	}
	if (p->workers) {
		for (size_t i = 0; i < p->cfg.workers; i++) {
			free(p->workers[i].job);
			free(p->workers[i].result);
		}
		free(p->workers);
	}
	free(p->prod_buf);
	free(p->coll_buf);
	goc_wg_destroy(&p->workers_wg);
	goc_wg_destroy(&p->tasks_wg);
	free(p);
}

/* Scratch for one element; never a zero-byte malloc, whose NULL means nothing. */
static unsigned char *scratch(size_t size)
{
	return malloc(size ? size : 1);
}

/* The pool and everything it owns, or NULL when out of memory. */
static pool *pool_make(const goc_workerpool_config *cfg, goc_ctx *ctx, int64_t deadline)
{
	pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cfg = *cfg;
	goc_wg_init(&p->workers_wg);
	goc_wg_init(&p->tasks_wg);
	atomic_init(&p->first_err, 0);

	p->ctx = deadline == GOC_FOREVER ? goc_ctx_with_cancel(ctx) : goc_ctx_with_deadline(ctx, deadline);
	if (!p->ctx)
		goto nomem;
	p->done = goc_ctx_done(p->ctx);

	if (cfg->variant == GOC_WORKERPOOL_BATCH) {
		p->job_elem = BATCH_HEADER + cfg->batch * cfg->job_size;
		p->res_elem = BATCH_HEADER + cfg->batch * cfg->result_size;
	} else {
		p->job_elem = cfg->job_size;
		p->res_elem = cfg->result_size;
	}

	if (cfg->variant == GOC_WORKERPOOL_MUTEXQ) {
		if (!wq_init(&p->jobq, cfg->queue, p->job_elem))
			goto nomem;
		if (!wq_init(&p->resq, cfg->queue, p->res_elem)) {
			wq_destroy(&p->jobq);
			goto nomem;
		}
		p->queues_made = true;
		p->stop = goc_chan_make(0, 0);
		if (!p->stop)
			goto nomem;
	} else {
		p->jobs = goc_chan_make(p->job_elem, cfg->queue);
		p->results = goc_chan_make(p->res_elem, cfg->queue);
		if (!p->jobs || !p->results)
			goto nomem;
	}

	p->prod_buf = scratch(p->job_elem);
	p->coll_buf = scratch(p->res_elem);
	p->workers = calloc(cfg->workers, sizeof *p->workers);
	if (!p->prod_buf || !p->coll_buf || !p->workers)
		goto nomem;
	for (size_t i = 0; i < cfg->workers; i++) {
		worker *w = &p->workers[i];
		w->p = p;
		w->job = scratch(p->job_elem);
		w->result = scratch(p->res_elem);
		if (!w->job || !w->result)
			goto nomem;
	}
	return p;

nomem:
	pool_free(p);
	return NULL;
}

/*
 * Start fn(arg) as one of the pool's tasks. On failure the pool is
 * canceled (whatever started winds down) and false returned; the caller
 * then does that task's closing duty itself.
 */
static bool pool_go(pool *p, goc_task_fn fn, void *arg)
{
	goc_wg_add(&p->tasks_wg, 1);
	if (goc_go(fn, arg) == GOC_OK)
		return true;
	goc_wg_done(&p->tasks_wg);
	pool_cancel(p);
	return false;
}

/* True if ctx's DEADLINE_EXCEEDED was our deadline's doing, not the parent's. */
static bool own_deadline_first(goc_ctx *parent, int64_t deadline)
{
	int64_t parent_deadline;
	if (deadline == GOC_FOREVER)
		return false;
	/* goc_ctx_with_deadline() keeps the parent's deadline when it is not later. */
	return !goc_ctx_deadline(parent, &parent_deadline) || deadline < parent_deadline;
}

goc_status goc_workerpool_run(const goc_workerpool_config *cfg, goc_ctx *ctx, int64_t deadline,
                              goc_workerpool_report *report)
{
	check_config(cfg);
	if (report)
		*report = (goc_workerpool_report){ 0 };
	pool *p = pool_make(cfg, ctx, deadline);
	if (!p)
		return GOC_NOMEM;

	goc_task_fn produce, work;
	switch (cfg->variant) {
	case GOC_WORKERPOOL_BATCH:
		produce = produce_batch;
		work = work_batch;
		break;
	case GOC_WORKERPOOL_MUTEXQ:
		produce = produce_mutexq;
		work = work_mutexq;
		break;
	default:
		produce = produce_chan;
		work = work_chan;
		break;
	}
	bool mutexq = cfg->variant == GOC_WORKERPOOL_MUTEXQ;
	bool nomem = false;

	/*
	 * Start the workers, then the producer, the watcher and the closer. A
	 * task that cannot start cancels the pool (pool_go), and the caller
	 * takes over its duty of closing a queue, so that what did start still
	 * winds down and is joined below. The order matters for that: workers
	 * leave their jobs loop only once the jobs queue is closed or canceled,
	 * so the producer's close must be assured before the caller stands in
	 * for the closer and waits for the workers.
	 */
	goc_wg_add(&p->workers_wg, (int64_t)cfg->workers);
	size_t started = 0;
	while (started < cfg->workers && pool_go(p, work, &p->workers[started]))
		started++;
	if (started < cfg->workers) {
		goc_wg_add(&p->workers_wg, -(int64_t)(cfg->workers - started));
		nomem = true;
	}
	if (!pool_go(p, produce, p)) {
		nomem = true;
		if (mutexq)
			wq_close(&p->jobq);
		else
			goc_chan_close(p->jobs);
	}
	if (mutexq && !pool_go(p, watch_ctx, p))
		nomem = true;
	if (!pool_go(p, close_results, p)) {
		nomem = true;
		(void)goc_wg_wait(&p->workers_wg, GOC_FOREVER);
		if (mutexq)
			wq_close(&p->resq);
		else
			goc_chan_close(p->results);
	}

	uint64_t collected = collect_all(p);

	/* The results are closed, so every worker is out; now the rest. */
	if (mutexq)
		goc_chan_close(p->stop);
	(void)goc_wg_wait(&p->tasks_wg, GOC_FOREVER);

	goc_workerpool_report r = { .produced = p->produced, .collected = collected };
	for (size_t i = 0; i < cfg->workers; i++) {
		r.run += p->workers[i].run;
		r.failed += p->workers[i].failed;
	}
	r.err = atomic_load(&p->first_err);

	goc_status st;
	if (nomem) {
		st = GOC_NOMEM;
	} else if (r.err != 0) {
		st = GOC_CANCELED;
	} else if (p->exhausted && r.collected == r.produced && r.failed == 0) {
		st = GOC_OK;
	} else {
		/* Not finished and no error of ours: the context was canceled from outside. */
		st = goc_ctx_err(p->ctx);
		if (st == GOC_DEADLINE_EXCEEDED && own_deadline_first(ctx, deadline))
			st = GOC_TIMEOUT;
		else if (st == GOC_OK)
			st = GOC_CANCELED;
	}
	if (report)
		*report = r;
	pool_free(p);
	return st;
}

const char *goc_workerpool_variant_str(goc_workerpool_variant variant)
{
	switch (variant) {
	case GOC_WORKERPOOL_CHAN: return "chan";
	case GOC_WORKERPOOL_MUTEXQ: return "mutexq";
	case GOC_WORKERPOOL_BATCH: return "batch";
	}
	return "unknown";
}
