/*
 * chanbench.c - libgoc's own benchmarks, the standard workloads that
 * measure the runtime rather than a pattern: W1 pingpong (two tasks pass an
 * int back and forth), W2 spsc (one producer, one consumer, capacity 0, 1 or
 * 1024), W3 mpmc (4 producers, 4 consumers, capacity 1024) and W10 spawn (N
 * tasks that each call goc_wg_done()) with its million form (a million
 * tasks blocked on one channel, then released), two checks of the M:N
 * scheduler's bounds on one processor (starve: how late a sleeping task
 * runs while a ping-pong pair holds the processor; blocking: how long the
 * pair stalls while another task blocks its thread in a system call), and
 * two select microbenchmarks: select
 * (one task selecting over K channels, each fed by its own sender) and
 * selectnb (a GOC_NOWAIT select over K empty channels, Go's select with
 * default). linepingpong measures no libgoc operation: it is the floor under
 * every hand-off between threads on two CPUs (see there). Each run is timed
 * from the first task started to the last one finished, verifies its own
 * answer (the count and the exact sum of what was received, the final value
 * of the ping-pong, every spawned task having run, every select on empty
 * channels having found nothing) and only then prints its JSON line.
 * scenarios/go/chanbench is the same program in Go, with the same command
 * line and the same line of output, so that the two run side by side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <goc/goc.h>

#include "probe.h"

/* Sizes past this would overflow the uint64_t sum of 1..N in mpmc and spsc. */
#define CHANBENCH_MAX_SIZE UINT64_C(1000000000)
/* 16 Mi elements of 8 bytes: room enough, and no accidental 100 GB buffer. */
#define CHANBENCH_MAX_CAP UINT64_C(16777216)

/*
 * The most cases --cases takes: the standard comparison measures 4 and 8,
 * and the Go twin must write out a select statement for each size it takes.
 */
#define CHANBENCH_MAX_CASES 8

/* selectnb's channels: buffered, as a real queue would be, and always empty. */
#define SELECTNB_CAP 1024

/* Room for the variant name, "cases8-cap16777216" at the longest. */
#define VARIANT_LEN 32

#define MPMC_PRODUCERS 4
#define MPMC_CONSUMERS 4

/*
 * A blocking call with GOC_FOREVER can only return GOC_OK (or GOC_CLOSED for
 * a receive), so anything else is a libgoc bug. It is reported from the
 * thread that saw it and the process ends at once: the other tasks are
 * blocked on channels that will never move, and no result may be printed.
 */
static void libgoc_bug(const char *call, goc_status st)
{
	probe_error("libgoc bug: %s(GOC_FOREVER) returned %s", call, goc_status_str(st));
	fflush(stderr);
	_Exit(PROBE_EXIT_CHECK);
}

static void send_int(goc_chan *ch, int64_t v)
{
	goc_status st = goc_chan_send(ch, &v, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_chan_send", st);
}

/* The sum 1 + 2 + ... + n, which the workloads' senders send between them. */
static uint64_t sum_to(uint64_t n)
{
	return n % 2 == 0 ? n / 2 * (n + 1) : (n + 1) / 2 * n;
}

/* ---- W1 pingpong ------------------------------------------------------------ */

typedef struct pingpong {
	goc_chan *ping;  /* main -> pong task */
	goc_chan *pong;  /* pong task -> main */
	goc_wg done;     /* the pong task has returned */
} pingpong;

/* Return every value, plus one, until the ping channel is closed. */
static void pong_task(void *arg)
{
	pingpong *pp = arg;
	int64_t v;
	goc_status st;
	while ((st = goc_chan_recv(pp->ping, &v, GOC_FOREVER)) == GOC_OK)
		send_int(pp->pong, v + 1);
	if (st != GOC_CLOSED)
		libgoc_bug("goc_chan_recv", st);
	goc_wg_done(&pp->done);
}

/*
 * The main thread is the other task, as the main goroutine is in Go. It
 * sends back what it received, so after n round trips the value is n
 * exactly when every message was delivered once and in turn.
 */
static int run_pingpong(uint64_t n, size_t cap, probe_result *r, char *variant)
{
	pingpong pp = { goc_chan_make(sizeof(int64_t), cap), goc_chan_make(sizeof(int64_t), cap), { 0 } };
	if (!pp.ping || !pp.pong) {
		goc_chan_free(pp.ping);
		goc_chan_free(pp.pong);
		return probe_error("out of memory making channels");
	}
	goc_wg_init(&pp.done);
	goc_wg_add(&pp.done, 1);

	int64_t t0 = probe_now_ns();
	if (goc_go(pong_task, &pp) != GOC_OK)
		return probe_error("goc_go: no thread for the pong task");
	int64_t v = 0;
	for (uint64_t i = 0; i < n; i++) {
		send_int(pp.ping, v);
		goc_status st = goc_chan_recv(pp.pong, &v, GOC_FOREVER);
		if (st != GOC_OK)
			libgoc_bug("goc_chan_recv", st);
	}
	goc_chan_close(pp.ping);
	goc_status st = goc_wg_wait(&pp.done, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();

	goc_wg_destroy(&pp.done);
	goc_chan_free(pp.ping);
	goc_chan_free(pp.pong);

	if (!probe_expect_u64("pingpong final value", n, (uint64_t)v))
		return PROBE_EXIT_CHECK;
	snprintf(variant, VARIANT_LEN, "cap%zu", cap);
	probe_result_init(r, "pingpong", variant, n, t1 - t0);
	probe_result_check_u64(r, (uint64_t)v);
	return PROBE_EXIT_OK;
}

/* ---- W2 spsc ---------------------------------------------------------------- */

typedef struct spsc {
	goc_chan *ch;
	uint64_t n;     /* written before goc_go(), read-only after */
	goc_wg done;    /* the producer has returned */
} spsc;

/* Send 1..n, then close: the consumer's loop ends on GOC_CLOSED. */
static void spsc_producer(void *arg)
{
	spsc *s = arg;
	for (uint64_t i = 1; i <= s->n; i++)
		send_int(s->ch, (int64_t)i);
	goc_chan_close(s->ch);
	goc_wg_done(&s->done);
}

/*
 * The main thread consumes. With one producer the channel is a FIFO, so
 * besides the count and the sum each value must be the one after the last:
 * a duplicate and a loss that cancel out in the sum are still caught.
 */
static int run_spsc(uint64_t n, size_t cap, probe_result *r, char *variant)
{
	spsc s = { goc_chan_make(sizeof(int64_t), cap), n, { 0 } };
	if (!s.ch)
		return probe_error("out of memory making a channel of capacity %zu", cap);
	goc_wg_init(&s.done);
	goc_wg_add(&s.done, 1);

	uint64_t count = 0, sum = 0, out_of_order = 0, first_bad_at = 0;
	int64_t first_bad = 0;
	int64_t v;
	goc_status st;

	int64_t t0 = probe_now_ns();
	if (goc_go(spsc_producer, &s) != GOC_OK)
		return probe_error("goc_go: no thread for the producer");
	while ((st = goc_chan_recv(s.ch, &v, GOC_FOREVER)) == GOC_OK) {
		count++;
		sum += (uint64_t)v;
		if ((uint64_t)v != count && out_of_order++ == 0) {
			first_bad_at = count;
			first_bad = v;
		}
	}
	if (st != GOC_CLOSED)
		libgoc_bug("goc_chan_recv", st);
	st = goc_wg_wait(&s.done, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();

	goc_wg_destroy(&s.done);
	goc_chan_free(s.ch);

	if (!probe_expect_u64("spsc messages received", n, count) ||
	    !probe_expect_u64("spsc sum of received", sum_to(n), sum))
		return PROBE_EXIT_CHECK;
	if (out_of_order)
		return probe_check_failed("spsc: %" PRIu64 " messages out of order; message %" PRIu64
		                          " was %" PRId64, out_of_order, first_bad_at, first_bad);
	snprintf(variant, VARIANT_LEN, "cap%zu", cap);
	probe_result_init(r, "spsc", variant, n, t1 - t0);
	probe_result_check_u64(r, sum);
	return PROBE_EXIT_OK;
}

/* ---- W3 mpmc ---------------------------------------------------------------- */

typedef struct mpmc_producer {
	goc_chan *ch;
	uint64_t from, to;  /* sends from..to inclusive; set before goc_go() */
	goc_wg *done;
} mpmc_producer;

typedef struct mpmc_consumer {
	goc_chan *ch;
	uint64_t count, sum;  /* written by the consumer, read by main after done */
	goc_wg *done;
} mpmc_consumer;

static void mpmc_produce(void *arg)
{
	mpmc_producer *p = arg;
	for (uint64_t i = p->from; i <= p->to; i++)
		send_int(p->ch, (int64_t)i);
	goc_wg_done(p->done);
}

/* Sum in locals and publish once: the totals are read after goc_wg_wait(). */
static void mpmc_consume(void *arg)
{
	mpmc_consumer *c = arg;
	uint64_t count = 0, sum = 0;
	int64_t v;
	goc_status st;
	while ((st = goc_chan_recv(c->ch, &v, GOC_FOREVER)) == GOC_OK) {
		count++;
		sum += (uint64_t)v;
	}
	if (st != GOC_CLOSED)
		libgoc_bug("goc_chan_recv", st);
	c->count = count;
	c->sum = sum;
	goc_wg_done(c->done);
}

/*
 * Producer p sends its share of 1..n (the last one takes the remainder), so
 * the values are distinct and their sum is known. The main thread closes the
 * channel once every producer is done, as a closer goroutine would in Go.
 */
static int run_mpmc(uint64_t n, size_t cap, probe_result *r, char *variant)
{
	goc_chan *ch = goc_chan_make(sizeof(int64_t), cap);
	if (!ch)
		return probe_error("out of memory making a channel of capacity %zu", cap);
	goc_wg produced, consumed;
	goc_wg_init(&produced);
	goc_wg_init(&consumed);
	mpmc_producer prod[MPMC_PRODUCERS];
	mpmc_consumer cons[MPMC_CONSUMERS];
	uint64_t share = n / MPMC_PRODUCERS;
	for (uint64_t p = 0; p < MPMC_PRODUCERS; p++) {
		prod[p] = (mpmc_producer){ ch, p * share + 1, p == MPMC_PRODUCERS - 1 ? n : (p + 1) * share, &produced };
	}
	for (size_t c = 0; c < MPMC_CONSUMERS; c++)
		cons[c] = (mpmc_consumer){ ch, 0, 0, &consumed };

	goc_wg_add(&consumed, MPMC_CONSUMERS);
	goc_wg_add(&produced, MPMC_PRODUCERS);
	int64_t t0 = probe_now_ns();
	/*
	 * A half-started workload cannot be unwound (its tasks wait on a
	 * channel nobody will close), so a spawn failure reports and returns
	 * from main, which ends them with the process.
	 */
	for (size_t c = 0; c < MPMC_CONSUMERS; c++)
		if (goc_go(mpmc_consume, &cons[c]) != GOC_OK)
			return probe_error("goc_go: no thread for consumer %zu", c);
	for (size_t p = 0; p < MPMC_PRODUCERS; p++)
		if (goc_go(mpmc_produce, &prod[p]) != GOC_OK)
			return probe_error("goc_go: no thread for producer %zu", p);
	goc_status st = goc_wg_wait(&produced, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	goc_chan_close(ch);
	st = goc_wg_wait(&consumed, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();

	goc_wg_destroy(&produced);
	goc_wg_destroy(&consumed);
	goc_chan_free(ch);

	uint64_t count = 0, sum = 0;
	for (size_t c = 0; c < MPMC_CONSUMERS; c++) {
		count += cons[c].count;
		sum += cons[c].sum;
	}
	if (!probe_expect_u64("mpmc messages received", n, count) ||
	    !probe_expect_u64("mpmc sum of received", sum_to(n), sum))
		return PROBE_EXIT_CHECK;
	snprintf(variant, VARIANT_LEN, "cap%zu", cap);
	probe_result_init(r, "mpmc", variant, n, t1 - t0);
	probe_result_check_u64(r, sum);
	return PROBE_EXIT_OK;
}

/* ---- W10 spawn -------------------------------------------------------------- */

typedef struct spawn {
	goc_wg wg;
	/*
	 * Relaxed: each task only counts itself; goc_wg_done() after the add
	 * orders it before main's goc_wg_wait() returns, and main reads it then.
	 */
	atomic_uint_fast64_t ran;
} spawn;

static void spawn_task(void *arg)
{
	spawn *s = arg;
	/* Relaxed: goc_wg_done() publishes it (see spawn.ran). */
	atomic_fetch_add_explicit(&s->ran, 1, memory_order_relaxed);
	goc_wg_done(&s->wg);
}

/*
 * One goc_wg_add(n) before the loop, as the Go baseline does, so the figure
 * is the cost of starting and finishing a task, not of n counter updates
 * from main. A spawn failure gives back the adds of the tasks never started,
 * lets the started ones finish, and reports: there is no result then.
 */
static int run_spawn(uint64_t n, probe_result *r)
{
	spawn s;
	goc_wg_init(&s.wg);
	atomic_init(&s.ran, 0);
	goc_wg_add(&s.wg, (int64_t)n);

	uint64_t started = 0;
	int64_t t0 = probe_now_ns();
	for (; started < n; started++)
		if (goc_go(spawn_task, &s) != GOC_OK)
			break;
	if (started < n)
		goc_wg_add(&s.wg, -(int64_t)(n - started));
	goc_status st = goc_wg_wait(&s.wg, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();
	goc_wg_destroy(&s.wg);

	if (started < n)
		return probe_error("goc_go: out of threads after %" PRIu64 " of %" PRIu64 " tasks", started, n);
	/* Relaxed: goc_wg_wait() already ordered every task's add before this. */
	uint64_t ran = atomic_load_explicit(&s.ran, memory_order_relaxed);
	if (!probe_expect_u64("spawn tasks that ran", n, ran))
		return PROBE_EXIT_CHECK;
	probe_result_init(r, "spawn", "wg", n, t1 - t0);
	probe_result_check_u64(r, ran);
	return PROBE_EXIT_OK;
}

/* ---- select and selectnb: their channels ---------------------------------------- */

/* Free chans[0..n); NULL entries are no-ops. */
static void free_chans(goc_chan **chans, size_t n)
{
	for (size_t k = 0; k < n; k++)
		goc_chan_free(chans[k]);
}

/*
 * Make n channels of int64_t with capacity cap into chans[0..n) and their
 * receive cases, all storing into *elem (only the case chosen writes it).
 * On running out of memory, frees what it made and reports.
 */
static int make_recv_cases(goc_chan **chans, goc_case *cases, size_t n, size_t cap, int64_t *elem)
{
	for (size_t k = 0; k < n; k++) {
		chans[k] = goc_chan_make(sizeof(int64_t), cap);
		if (!chans[k]) {
			free_chans(chans, k);
			return probe_error("out of memory making %zu channels of capacity %zu", n, cap);
		}
		cases[k] = GOC_RECV_CASE(chans[k], elem);
	}
	return PROBE_EXIT_OK;
}

/* ---- select: one receiver over K fed channels ------------------------------------ */

typedef struct select_sender {
	goc_chan *ch;
	uint64_t from, to;  /* sends from..to inclusive; set before goc_go() */
	goc_wg *done;
} select_sender;

/* Send this sender's share, then close: the receiver drops a closed case. */
static void select_send(void *arg)
{
	select_sender *s = arg;
	for (uint64_t i = s->from; i <= s->to; i++)
		send_int(s->ch, (int64_t)i);
	goc_chan_close(s->ch);
	goc_wg_done(s->done);
}

/*
 * Sender k sends values k*n/K+1 .. (k+1)*n/K of 1..n on channel k, so the
 * shares differ by at most one. The main thread is the receiver: it selects
 * over every channel still open, and on GOC_CLOSED sets that case's channel
 * to NULL, which is never ready (Go's nil channel), until none is left.
 * Each channel is a FIFO with one sender, so a value must also be the one
 * after the last taken from the same case: that checks *chosen as well as
 * the value, and a duplicate and a loss that cancel out in the sum.
 */
static int run_select(uint64_t n, size_t ncases, size_t cap, probe_result *r, char *variant)
{
	goc_chan *chans[CHANBENCH_MAX_CASES];
	goc_case cases[CHANBENCH_MAX_CASES];
	select_sender senders[CHANBENCH_MAX_CASES];
	uint64_t next[CHANBENCH_MAX_CASES];  /* the value case k must deliver next */
	int64_t v;
	int rc = make_recv_cases(chans, cases, ncases, cap, &v);
	if (rc != PROBE_EXIT_OK)
		return rc;
	goc_wg done;
	goc_wg_init(&done);
	for (size_t k = 0; k < ncases; k++) {
		uint64_t from = k * n / ncases + 1, to = (k + 1) * n / ncases;
		senders[k] = (select_sender){ chans[k], from, to, &done };
		next[k] = from;
	}

	uint64_t count = 0, sum = 0, out_of_order = 0, first_bad_at = 0, first_bad_want = 0;
	int64_t first_bad = 0;
	size_t first_bad_case = 0;
	goc_wg_add(&done, (int64_t)ncases);
	int64_t t0 = probe_now_ns();
	/* As in mpmc, a half-started workload cannot be unwound: report and end. */
	for (size_t k = 0; k < ncases; k++)
		if (goc_go(select_send, &senders[k]) != GOC_OK)
			return probe_error("goc_go: no thread for sender %zu", k);
	for (size_t open = ncases; open > 0;) {
		size_t i = 0;
		goc_status st = goc_select(cases, ncases, GOC_FOREVER, &i);
		if (st == GOC_OK) {
			count++;
			sum += (uint64_t)v;
			if ((uint64_t)v != next[i] && out_of_order++ == 0) {
				first_bad_at = count;
				first_bad_case = i;
				first_bad = v;
				first_bad_want = next[i];
			}
			next[i]++;
		} else if (st == GOC_CLOSED) {
			cases[i].ch = NULL;
			open--;
		} else if (st == GOC_NOMEM) {
			return probe_error("goc_select: out of memory for %zu cases", ncases);
		} else {
			libgoc_bug("goc_select", st);
		}
	}
	goc_status st = goc_wg_wait(&done, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();

	goc_wg_destroy(&done);
	free_chans(chans, ncases);

	if (!probe_expect_u64("select messages received", n, count) ||
	    !probe_expect_u64("select sum of received", sum_to(n), sum))
		return PROBE_EXIT_CHECK;
	if (out_of_order)
		return probe_check_failed("select: %" PRIu64 " messages out of order; message %" PRIu64
		                          " (case %zu) was %" PRId64 ", expected %" PRIu64,
		                          out_of_order, first_bad_at, first_bad_case, first_bad, first_bad_want);
	snprintf(variant, VARIANT_LEN, "cases%zu-cap%zu", ncases, cap);
	probe_result_init(r, "select", variant, n, t1 - t0);
	probe_result_check_u64(r, sum);
	return PROBE_EXIT_OK;
}

/* ---- selectnb: a select with GOC_NOWAIT over K empty channels --------------------- */

/*
 * Nobody sends, so every select must return GOC_WOULDBLOCK: the figure is
 * what a select-with-default costs when it finds nothing, on one thread
 * with no contention. GOC_NOMEM ends the run (there is no result then);
 * any other status is counted as not would-block and fails the check.
 */
static int run_selectnb(uint64_t n, size_t ncases, probe_result *r, char *variant)
{
	goc_chan *chans[CHANBENCH_MAX_CASES];
	goc_case cases[CHANBENCH_MAX_CASES];
	int64_t v;
	int rc = make_recv_cases(chans, cases, ncases, SELECTNB_CAP, &v);
	if (rc != PROBE_EXIT_OK)
		return rc;

	uint64_t would_block = 0;
	goc_status st = GOC_WOULDBLOCK;
	int64_t t0 = probe_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		st = goc_select(cases, ncases, GOC_NOWAIT, NULL);
		if (st == GOC_WOULDBLOCK)
			would_block++;
		else if (st == GOC_NOMEM)
			break;
	}
	int64_t t1 = probe_now_ns();
	free_chans(chans, ncases);

	if (st == GOC_NOMEM)
		return probe_error("goc_select: out of memory for %zu cases", ncases);
	if (!probe_expect_u64("selectnb selects that would block", n, would_block))
		return PROBE_EXIT_CHECK;
	snprintf(variant, VARIANT_LEN, "cases%zu-empty", ncases);
	probe_result_init(r, "selectnb", variant, n, t1 - t0);
	probe_result_check_u64(r, would_block);
	return PROBE_EXIT_OK;
}

/* ---- linepingpong: the hardware floor of a hand-off between CPUs ----------------- */

/*
 * Two tasks pass a counter back and forth through two cache lines, each
 * spinning until the other's line changes: no channel, no lock. A round
 * trip moves each line from one CPU to the other once, which is the least
 * any hand-off between threads on two CPUs costs (a blocked receiver must
 * see the sender's write, and the sender must see that the receiver is
 * there), so W1 pingpong on libgoc costs at least two of these per round
 * trip. Go's runtime usually switches goroutines on one thread instead, so
 * its W1 usually pays no line transfer. Each ping carries a payload in its
 * line, which the peer checks, as a hand-off carries an element. The spinner yields the CPU every few dozen
 * polls, so that with one CPU (taskset) the run still ends.
 */
#define LINE_SPINS_PER_YIELD 64

/* The spin-wait hint (x86 PAUSE) libgoc's own spinning uses. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define line_cpu_relax() _mm_pause()
#else
#define line_cpu_relax() ((void)0)
#endif

typedef struct line_pingpong {
	_Alignas(64) _Atomic(uint64_t) ping; /* main -> peer: the round */
	uint64_t payload;                    /* main -> peer: written before ping, in its line */
	_Alignas(64) _Atomic(uint64_t) pong; /* peer -> main */
	uint64_t intact;                     /* the peer's until done: payloads that arrived whole */
	uint64_t n;
	goc_wg done;
} line_pingpong;

/* Round i's payload: one that a stale or torn line would not show. */
static uint64_t line_payload(uint64_t i)
{
	return i * UINT64_C(0x9E3779B97F4A7C15);
}

static void line_wait_for(_Atomic(uint64_t) *line, uint64_t v)
{
	/* Acquire: pairs with the peer's release store, as a channel receive would. */
	for (unsigned spins = 1; atomic_load_explicit(line, memory_order_acquire) != v; spins++) {
		if (spins % LINE_SPINS_PER_YIELD == 0)
			sched_yield();
		else
			line_cpu_relax();
	}
}

static void line_pong_task(void *arg)
{
	line_pingpong *lp = arg;
	for (uint64_t i = 1; i <= lp->n; i++) {
		line_wait_for(&lp->ping, i);
		lp->intact += lp->payload == line_payload(i);
		atomic_store_explicit(&lp->pong, i, memory_order_release);
	}
	goc_wg_done(&lp->done);
}

static int run_linepingpong(uint64_t n, probe_result *r)
{
	static line_pingpong lp; /* static: two cache-aligned lines rather than an over-aligned stack object */
	atomic_init(&lp.ping, 0);
	atomic_init(&lp.pong, 0);
	lp.intact = 0;
	lp.n = n;
	goc_wg_init(&lp.done);
	goc_wg_add(&lp.done, 1);

	int64_t t0 = probe_now_ns();
	if (goc_go(line_pong_task, &lp) != GOC_OK)
		return probe_error("goc_go: no thread for the pong task");
	for (uint64_t i = 1; i <= n; i++) {
		lp.payload = line_payload(i);
		atomic_store_explicit(&lp.ping, i, memory_order_release);
		line_wait_for(&lp.pong, i);
	}
	goc_status st = goc_wg_wait(&lp.done, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();
	goc_wg_destroy(&lp.done);

	uint64_t got = atomic_load_explicit(&lp.pong, memory_order_relaxed);
	/* The final value only says the loops ended; the payloads say the data crossed with them. */
	if (!probe_expect_u64("linepingpong final value", n, got) ||
	    !probe_expect_u64("linepingpong payloads that arrived intact", n, lp.intact))
		return PROBE_EXIT_CHECK;
	probe_result_init(r, "linepingpong", "spin", n, t1 - t0);
	probe_result_check_u64(r, got);
	return PROBE_EXIT_OK;
}

/* ---- W10, million form ------------------------------------------------------- */

/*
 * size tasks each block receiving from one unbuffered channel; main closes
 * it once all are started and waits for every one to have seen the close.
 * Always on the M:N scheduler (main() chooses it): a thread per task does
 * not fit in memory, nor in the kernel's limits.
 */
typedef struct million {
	goc_chan *gate;
	goc_wg wg;
	atomic_uint_fast64_t released; /* relaxed: goc_wg_done() publishes it, as spawn.ran */
} million;

static void million_task(void *arg)
{
	million *m = arg;
	int64_t v = -1;
	goc_status st = goc_chan_recv(m->gate, &v, GOC_FOREVER);
	if (st != GOC_CLOSED)
		libgoc_bug("goc_chan_recv", st);
	if (v == 0)
		atomic_fetch_add_explicit(&m->released, 1, memory_order_relaxed);
	goc_wg_done(&m->wg);
}

static int run_million(uint64_t n, probe_result *r)
{
	million m;
	m.gate = goc_chan_make(sizeof(int64_t), 0);
	if (!m.gate)
		return probe_error("out of memory making the channel");
	goc_wg_init(&m.wg);
	atomic_init(&m.released, 0);
	goc_wg_add(&m.wg, (int64_t)n);

	uint64_t started = 0;
	int64_t t0 = probe_now_ns();
	for (; started < n; started++)
		if (goc_go(million_task, &m) != GOC_OK)
			break;
	if (started < n)
		goc_wg_add(&m.wg, -(int64_t)(n - started));
	goc_chan_close(m.gate);
	goc_status st = goc_wg_wait(&m.wg, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	int64_t t1 = probe_now_ns();
	goc_wg_destroy(&m.wg);
	goc_chan_free(m.gate);

	if (started < n)
		return probe_error("goc_go: out of memory after %" PRIu64 " of %" PRIu64 " tasks", started, n);
	/* Relaxed: goc_wg_wait() ordered every task's add before this. */
	uint64_t released = atomic_load_explicit(&m.released, memory_order_relaxed);
	if (!probe_expect_u64("million tasks released by the close", n, released))
		return PROBE_EXIT_CHECK;
	probe_result_init(r, "million", "gate", n, t1 - t0);
	probe_result_check_u64(r, released);
	return PROBE_EXIT_OK;
}

/* ---- scheduler checks: starve and blocking ------------------------------------------ */

/*
 * Both run on one processor (main() chooses GOC_PROCS 1, as the Go twin
 * sets GOMAXPROCS 1), with a ping-pong pair handing an int back and forth
 * there until told to stop, the way a hand-off chain keeps a processor
 * busy, while main, a third task, measures how long it waits for its turn.
 */
typedef struct pair {
	pingpong pp;               /* the ping-pong pair: pong_task() answers v + 1 */
	atomic_bool stop;          /* main's: the pinger stops after its round trip */
	/* blocking: when main's blocking call began, and the pair's first round trip after it (0: none yet) */
	atomic_int_fast64_t call_at, first_after;
	uint64_t rounds;           /* the pinger's round trips; read after done */
	bool ok;                   /* every answer was the value sent plus one */
} pair;

static void ping_task(void *arg)
{
	pair *p = arg;
	int64_t v = 0;
	uint64_t i = 0;
	/* Relaxed, all: flags between tasks, read again each round; the wait group orders the results. */
	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		send_int(p->pp.ping, v);
		int64_t sent = v;
		goc_status st = goc_chan_recv(p->pp.pong, &v, GOC_FOREVER);
		if (st != GOC_OK)
			libgoc_bug("goc_chan_recv", st);
		p->ok = p->ok && v == sent + 1;
		i++;
		if (atomic_load_explicit(&p->call_at, memory_order_relaxed) != 0 &&
		    atomic_load_explicit(&p->first_after, memory_order_relaxed) == 0)
			atomic_store_explicit(&p->first_after, probe_now_ns(), memory_order_relaxed);
	}
	p->rounds = i;
	goc_chan_close(p->pp.ping);
	goc_wg_done(&p->pp.done);
}

/* Start the pair; false (reported) if it could not be. */
static bool pair_start(pair *p)
{
	*p = (pair){ .pp = { goc_chan_make(sizeof(int64_t), 0), goc_chan_make(sizeof(int64_t), 0), { 0 } }, .ok = true };
	atomic_init(&p->stop, false);
	atomic_init(&p->call_at, 0);
	atomic_init(&p->first_after, 0);
	if (!p->pp.ping || !p->pp.pong) {
		goc_chan_free(p->pp.ping);
		goc_chan_free(p->pp.pong);
		probe_error("out of memory making channels");
		return false;
	}
	goc_wg_init(&p->pp.done);
	goc_wg_add(&p->pp.done, 2);
	if (goc_go(pong_task, &p->pp) != GOC_OK || goc_go(ping_task, p) != GOC_OK) {
		probe_error("goc_go: no room for the ping-pong pair");
		fflush(stderr);
		_Exit(PROBE_EXIT_CHECK); /* a half-started pair would block forever */
	}
	return true;
}

/* Stop the pair and check it: it ran at least `min_rounds` round trips, each answered right. */
static bool pair_stop(pair *p, uint64_t min_rounds)
{
	atomic_store_explicit(&p->stop, true, memory_order_relaxed);
	goc_status st = goc_wg_wait(&p->pp.done, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	goc_wg_destroy(&p->pp.done);
	goc_chan_free(p->pp.ping);
	goc_chan_free(p->pp.pong);
	if (!p->ok) {
		probe_error("ping-pong pair: an answer was not the value sent plus one");
		return false;
	}
	if (p->rounds < min_rounds) {
		probe_error("ping-pong pair: %" PRIu64 " round trips, fewer than the %" PRIu64 " the check needs",
		            p->rounds, min_rounds);
		return false;
	}
	return true;
}

/*
 * Run the pair while main takes `wait` size times, each returning what it
 * measured in ns (-1: it failed, reported): ns_per_op is their mean
 * (seconds: their sum), `worst_field` the largest. The pair must have run
 * meanwhile, or nothing was measured: a round trip per wait at least.
 */
static int run_beside_pair(uint64_t n, probe_result *r, const char *workload, const char *variant,
                           const char *worst_field, int64_t (*wait)(pair *p))
{
	pair p;
	if (!pair_start(&p))
		return PROBE_EXIT_CHECK;
	int64_t sum = 0, worst = 0;
	for (uint64_t i = 0; i < n; i++) {
		int64_t ns = wait(&p);
		if (ns < 0) {
			(void)pair_stop(&p, 0);
			return PROBE_EXIT_CHECK;
		}
		sum += ns;
		if (ns > worst)
			worst = ns;
	}
	if (!pair_stop(&p, n))
		return PROBE_EXIT_CHECK;
	probe_result_init(r, workload, variant, n, sum);
	probe_result_check_u64(r, n);
	probe_result_add_u64(r, worst_field, (uint64_t)worst);
	probe_result_add_u64(r, "pair_round_trips", p.rounds);
	return PROBE_EXIT_OK;
}

/* starve: how long a sleep's wake-up waits while the pair holds the processor. */
#define STARVE_SLEEP_NS 100000

/*
 * One sleep of STARVE_SLEEP_NS: how late its wake-up runs, from its
 * deadline. The pair's hand-offs go to the processor's run-next slot, and
 * only a bound on that chain lets the woken task in.
 */
static int64_t sleep_lateness(pair *p)
{
	(void)p;
	int64_t deadline = probe_now_ns() + STARVE_SLEEP_NS;
	goc_sleep(STARVE_SLEEP_NS);
	return probe_now_ns() - deadline;
}

/* blocking: how long main blocks its thread each time, and how long it lets the pair run in between. */
#define BLOCKING_CALL_NS 20000000
#define BLOCKING_GAP_NS 1000000

/*
 * After BLOCKING_GAP_NS of sleep, block the thread in
 * nanosleep(BLOCKING_CALL_NS), a system call libgoc is not told of (no
 * goc_blocking_begin()): how long the pair stalls, from the call to its
 * next round trip (the whole call if none came before it returned).
 */
static int64_t blocked_stall(pair *p)
{
	goc_sleep(BLOCKING_GAP_NS);
	int64_t call = probe_now_ns();
	atomic_store_explicit(&p->first_after, 0, memory_order_relaxed);
	atomic_store_explicit(&p->call_at, call, memory_order_relaxed);
	struct timespec ts = { .tv_sec = BLOCKING_CALL_NS / 1000000000, .tv_nsec = BLOCKING_CALL_NS % 1000000000 };
	int rc, err = 0;
	while ((rc = nanosleep(&ts, &ts)) != 0 && (err = errno) == EINTR) {
	}
	int64_t first = atomic_load_explicit(&p->first_after, memory_order_relaxed);
	int64_t stall = (first ? first : probe_now_ns()) - call;
	atomic_store_explicit(&p->call_at, 0, memory_order_relaxed);
	if (rc != 0) {
		probe_error("nanosleep: %s", strerror(err));
		return -1;
	}
	return stall;
}

static int run_starve(uint64_t n, probe_result *r)
{
	return run_beside_pair(n, r, "starve", "sleep100us", "late_max_ns", sleep_lateness);
}

static int run_blocking(uint64_t n, probe_result *r)
{
	return run_beside_pair(n, r, "blocking", "nanosleep20ms", "stall_max_ns", blocked_stall);
}

/* ---- the command line --------------------------------------------------------- */

enum { W_PINGPONG, W_SPSC, W_MPMC, W_SPAWN, W_MILLION, W_STARVE, W_BLOCKING, W_SELECT, W_SELECTNB, W_LINEPINGPONG, W_COUNT };

static const probe_word workloads[W_COUNT] = {
	[W_PINGPONG] = { "pingpong", "W1: two tasks pass an int back and forth over two channels; size = round trips (200000), cap 0" },
	[W_SPSC] = { "spsc", "W2: 1 producer sends 1..size to 1 consumer; size = messages (2000000), cap 0 (also run 1, 1024)" },
	[W_MPMC] = { "mpmc", "W3: 4 producers, 4 consumers share 1..size; size = messages (4000000), cap 1024" },
	[W_SPAWN] = { "spawn", "W10: start size tasks that each call goc_wg_done(), wait; size = tasks (100000); no --cap" },
	[W_MILLION] = { "million", "W10, million form: size tasks block on one channel, then its close releases them; size = tasks (1000000); M:N scheduler; no --cap" },
	[W_STARVE] = { "starve", "a ping-pong pair holds one processor while main sleeps 100 us size times: ns per op = mean lateness; size = sleeps (1000); M:N, 1 processor; no --cap" },
	[W_BLOCKING] = { "blocking", "main blocks its thread in nanosleep(20 ms) size times beside a ping-pong pair: ns per op = mean stall of the pair; size = calls (20); M:N, 1 processor; no --cap" },
	[W_SELECT] = { "select", "1 task selects over K channels (--cases, 4; also run 8), each fed 1/K of 1..size; size = messages (2000000), cap 1024" },
	[W_SELECTNB] = { "selectnb", "GOC_NOWAIT selects over K empty channels (--cases, 8); size = selects (10000000); no --cap" },
	[W_LINEPINGPONG] = { "linepingpong", "the floor under W1: two tasks pass a counter through two cache lines, spinning; size = round trips (1000000); no --cap" },
};

static const uint64_t default_size[W_COUNT] = {
	[W_PINGPONG] = 200000,
	[W_SPSC] = 2000000,
	[W_MPMC] = 4000000,
	[W_SPAWN] = 100000,
	[W_MILLION] = 1000000,
	[W_STARVE] = 1000,
	[W_BLOCKING] = 20,
	[W_SELECT] = 2000000,
	[W_SELECTNB] = 10000000,
	[W_LINEPINGPONG] = 1000000,
};

static const uint64_t default_cap[W_COUNT] = {
	[W_PINGPONG] = 0,
	[W_SPSC] = 0,
	[W_MPMC] = 1024,
	[W_SPAWN] = 0,
	[W_SELECT] = 1024,
	[W_SELECTNB] = SELECTNB_CAP,
};

/* 0: the workload has no select, and --cases does not apply to it. */
static const uint64_t default_cases[W_COUNT] = {
	[W_SELECT] = 4,
	[W_SELECTNB] = 8,
};

enum { O_SIZE, O_CAP, O_CASES };

/* One run's workload and what it measured: main's, for goc_main(). */
typedef struct run_args {
	size_t w;
	uint64_t size;
	uint64_t cap;
	uint64_t ncases;
	probe_result r;
	char variant[VARIANT_LEN];
	int rc;
} run_args;

static void run_workload(void *p)
{
	run_args *a = p;
	switch (a->w) {
	case W_PINGPONG: a->rc = run_pingpong(a->size, (size_t)a->cap, &a->r, a->variant); break;
	case W_SPSC: a->rc = run_spsc(a->size, (size_t)a->cap, &a->r, a->variant); break;
	case W_MPMC: a->rc = run_mpmc(a->size, (size_t)a->cap, &a->r, a->variant); break;
	case W_SPAWN: a->rc = run_spawn(a->size, &a->r); break;
	case W_MILLION: a->rc = run_million(a->size, &a->r); break;
	case W_STARVE: a->rc = run_starve(a->size, &a->r); break;
	case W_BLOCKING: a->rc = run_blocking(a->size, &a->r); break;
	case W_SELECT: a->rc = run_select(a->size, (size_t)a->ncases, (size_t)a->cap, &a->r, a->variant); break;
	case W_SELECTNB: a->rc = run_selectnb(a->size, (size_t)a->ncases, &a->r, a->variant); break;
	case W_LINEPINGPONG: a->rc = run_linepingpong(a->size, &a->r); break;
	}
}

int main(int argc, char *argv[])
{
	uint64_t size = 0, cap = 0, ncases = 0;
	probe_opt opts[] = {
		[O_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		             .min = 1, .max = CHANBENCH_MAX_SIZE,
		             .help = "operations: round trips, messages, tasks or selects (default: the workload's, above)" },
		[O_CAP] = { .name = "--cap", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &cap,
		            .min = 0, .max = CHANBENCH_MAX_CAP,
		            .help = "channel capacity, 0 = unbuffered (default: the workload's, above)" },
		[O_CASES] = { .name = "--cases", .metavar = "K", .kind = PROBE_OPT_UINT, .u = &ncases,
		              .min = 1, .max = CHANBENCH_MAX_CASES,
		              .help = "select and selectnb: channels, one case each, 1..8 (default: the workload's, above)" },
	};
	probe_cli cli = {
		.prog = "chanbench",
		.summary = "libgoc channel and task benchmarks (goc's standard workloads W1, W2, W3, W10; select)",
		.workloads = workloads,
		.nworkloads = sizeof workloads / sizeof workloads[0],
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "The variant field is \"cap<N>\" (\"wg\" for spawn, \"gate\" for million,\n"
		          "\"sleep100us\" for starve, \"nanosleep20ms\" for blocking, \"cases<K>-cap<N>\" for select,\n"
		          "\"cases<K>-empty\" for selectnb, \"spin\" for linepingpong); peak_rss_kb is\n"
		          "the process's peak resident set; starve and blocking add their worst case\n"
		          "(late_max_ns, stall_max_ns) and pair_round_trips. million, starve and\n"
		          "blocking run on the M:N scheduler whatever GOC_TASKS says (starve and\n"
		          "blocking with one processor). scenarios/go/chanbench is the Go baseline\n"
		          "with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);

	size_t w = cli.workload;
	if (!opts[O_SIZE].given)
		size = default_size[w];
	if (!opts[O_CAP].given)
		cap = default_cap[w];
	else if (w == W_SPAWN || w == W_MILLION || w == W_STARVE || w == W_BLOCKING || w == W_SELECTNB ||
	         w == W_LINEPINGPONG)
		probe_usage_error("--cap does not apply to %s", workloads[w].name);
	if (!opts[O_CASES].given)
		ncases = default_cases[w];
	else if (w != W_SELECT && w != W_SELECTNB)
		probe_usage_error("--cases does not apply to %s", workloads[w].name);

	/*
	 * The scheduler's workloads choose it, whatever GOC_TASKS says: a
	 * million threads do not fit, and the checks are of the M:N
	 * scheduler's bounds, on one processor as the Go twin's GOMAXPROCS 1.
	 */
	if (w == W_MILLION || w == W_STARVE || w == W_BLOCKING) {
		if (goc_tasks_use(GOC_TASKS_MN, w == W_MILLION ? 0 : 1) != GOC_OK)
			return probe_error("%s needs libgoc's M:N scheduler, which this machine lacks", workloads[w].name);
	}

	run_args a = { .w = w, .size = size, .cap = cap, .ncases = ncases, .rc = PROBE_EXIT_CHECK };
	/* In a task, as Go's main is a goroutine: the workload's hand-offs are task to task. */
	if (goc_main(run_workload, &a) != GOC_OK)
		return probe_error("goc_main: no thread for the workload");
	if (a.rc != PROBE_EXIT_OK)
		return a.rc;
	probe_result_add_u64(&a.r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&a.r);
}
