/*
 * select_random_test.c - randomized tests of goc_select(), seeded and
 * replayable, so that a select bug is found by a test rather than a user.
 *
 * - Against a model, on one thread: random selects (1 to 8 cases, now and
 *   then more than fit the stack bookkeeping; unbuffered, buffered, NULL and
 *   closed channels; sends and receives; one channel in several cases;
 *   GOC_NOWAIT, GOC_FOREVER where a case is ready, and deadlines from long
 *   past to a few microseconds ahead) over channels in random states,
 *   including peers parked on them (a sender on an unbuffered or full
 *   channel, a receiver on an unbuffered or empty one). Each result is
 *   checked against what Go allows: which cases could have fired, the
 *   status, the values moved, what the peers got and the channels' contents
 *   afterwards.
 * - With peers, on many tasks: producers and consumers selecting with random
 *   deadlines over shared channels, signal channels closed at random times,
 *   then every data channel closed. Checked: only legal statuses, every
 *   value a send delivered received exactly once and on its own channel,
 *   none whose send timed out received at all, and no lost wake-up (the
 *   watchdog of goc_test.h).
 *
 * The seed is printed at the start, and with every failure. Environment:
 * GOC_TEST_SEED replays a seed (goc_test_seed()); GOC_TEST_BUDGET_MS sets
 * how long each test runs (default 1000 ms each; longer by hand).
 * It reads channel internals (goc_internal.h) only to see that a peer is
 * parked.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goc_internal.h"
#include "goc_test.h"

/* ---- seeds and budget ----------------------------------------------------- */

static uint64_t seed;
static long iteration_now = -1; /* where a test stopped, for its report */

static int64_t budget_ns(void)
{
	const char *env = getenv("GOC_TEST_BUDGET_MS");
	long ms = env ? strtol(env, NULL, 10) : 1000;
	return (ms > 0 ? ms : 1000) * 1000000;
}

/*
 * After each test: one that did not finish (a failure, or a crash that
 * cmocka caught) says where it stopped and how to replay it.
 */
static bool finished;

static int teardown(void **state)
{
	if (!finished)
		printf("select_random_test: stopped at iteration %ld; replay: GOC_TEST_SEED=0x%llx\n", iteration_now,
		       (unsigned long long)seed);
	finished = false;
	return goc_test_teardown(state);
}

/* ---- one thread against a model ------------------------------------------- */

#define MAX_CHANS 4
#define MAX_CAP 3
#define MAX_CASES 20 /* more than GOC__SELECT_SMALL (16): the heap path too */
#define SENTINEL (-777)

/* A task blocked on one channel for the whole of a round, until a select or the teardown completes it. */
typedef struct peer {
	goc_chan *ch;
	goc_dir dir;
	long value;     /* send: what it sends */
	long got;       /* recv: what it received; read after done */
	goc_status st;  /* read after done */
	goc_wg done;
} peer;

static void peer_run(void *p)
{
	peer *pe = p;
	if (pe->dir == GOC_SEND)
		pe->st = goc_chan_send(pe->ch, &pe->value, GOC_FOREVER);
	else
		pe->st = goc_chan_recv(pe->ch, &pe->got, GOC_FOREVER);
	goc_wg_done(&pe->done);
}

/* What the model knows of one channel. */
typedef struct mchan {
	goc_chan *ch;
	unsigned cap;
	bool closed;
	long buf[MAX_CAP + 1]; /* + 1: a parked sender's value, as a teardown drains */
	unsigned len;
	peer *peer; /* parked on ch, or NULL */
} mchan;

/* True once a waiter of direction dir is queued on ch (white-box). */
static bool parked_on(goc_chan *ch, goc_dir dir)
{
	goc__lock_acquire(&ch->mu);
	bool queued = (dir == GOC_SEND ? ch->sendq.head : ch->recvq.head) != NULL;
	goc__lock_release(&ch->mu);
	return queued;
}

/* A failure message with the seed and where; the caller fails the test with it. */
static char why[256];

#define CHECK(cond, ...)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			int goc__n = snprintf(why, sizeof why, "seed 0x%llx iteration %ld: ",     \
			                      (unsigned long long)seed, (long)iteration_now);   \
			snprintf(why + goc__n, sizeof why - (size_t)goc__n, __VA_ARGS__);         \
			return false;                                                        \
		}                                                                            \
	} while (0)

/* Start a peer on m (dir) and wait until it is parked there. */
static bool start_peer(mchan *m, peer *pe, goc_dir dir, long value)
{
	*pe = (peer){ .ch = m->ch, .dir = dir, .value = value, .got = SENTINEL, .st = GOC_WOULDBLOCK };
	goc_wg_init(&pe->done);
	goc_wg_add(&pe->done, 1);
	CHECK(goc_go(peer_run, pe) == GOC_OK, "goc_go failed");
	int64_t give_up = goc_deadline_after(5000000000);
	while (!parked_on(m->ch, dir)) {
		CHECK(goc_now() < give_up, "peer never parked");
		goc_sleep(2000);
	}
	m->peer = pe;
	return true;
}

/* Wait for m's peer to return (its case was completed) and forget it. */
static bool finish_peer(mchan *m, goc_status want)
{
	peer *pe = m->peer;
	CHECK(goc_wg_wait(&pe->done, goc_deadline_after(5000000000)) == GOC_OK, "peer not released");
	CHECK(pe->st == want, "peer status %s, want %s", goc_status_str(pe->st), goc_status_str(want));
	goc_wg_destroy(&pe->done);
	m->peer = NULL;
	return true;
}

/* A channel in a random state: capacity, contents, closed, a parked peer. */
static bool make_chan(uint64_t *rng, mchan *m, peer *pe, long *next_value)
{
	*m = (mchan){ .cap = goc_test_draw(rng, 3) == 0 ? 0 : 1 + goc_test_draw(rng, MAX_CAP) };
	m->ch = goc_chan_make(sizeof(long), m->cap);
	CHECK(m->ch, "goc_chan_make failed");
	if (m->cap) {
		m->len = goc_test_draw(rng, m->cap + 1);
		for (unsigned i = 0; i < m->len; i++) {
			m->buf[i] = (*next_value)++;
			CHECK(goc_chan_send(m->ch, &m->buf[i], GOC_NOWAIT) == GOC_OK, "fill failed");
		}
	}
	switch (goc_test_draw(rng, 4)) {
	case 0: /* closed (no peer can be parked on a closed channel) */
		goc_chan_close(m->ch);
		m->closed = true;
		break;
	case 1: /* a sender parked: on an unbuffered or a full channel */
		if (m->len == m->cap)
			return start_peer(m, pe, GOC_SEND, (*next_value)++);
		break;
	case 2: /* a receiver parked: on an unbuffered or an empty channel */
		if (m->len == 0)
			return start_peer(m, pe, GOC_RECV, 0);
		break;
	default:
		break;
	}
	return true;
}

/* Could case c proceed now, by the model? A send on a closed channel is never drawn. */
static bool case_ready(const mchan *m, goc_dir dir)
{
	if (dir == GOC_RECV)
		return m->len > 0 || m->closed || (m->peer && m->peer->dir == GOC_SEND);
	return m->len < m->cap || (m->peer && m->peer->dir == GOC_RECV);
}

/*
 * Apply the fired case to the model and check what moved: the value
 * received (or the peer's), and the peer, which must have been completed.
 */
static bool apply_fired(mchan *m, const goc_case *c, goc_status st, long sent, long got)
{
	if (c->dir == GOC_RECV) {
		long want;
		if (m->len > 0) {
			CHECK(st == GOC_OK, "recv from a non-empty channel: %s", goc_status_str(st));
			want = m->buf[0];
			memmove(m->buf, m->buf + 1, (m->len - 1) * sizeof *m->buf);
			m->len--;
			if (m->peer) { /* a full channel's parked sender: its value joins the ring */
				m->buf[m->len++] = m->peer->value;
				if (!finish_peer(m, GOC_OK))
					return false;
			}
		} else if (m->peer) { /* an unbuffered channel's parked sender */
			CHECK(st == GOC_OK, "recv from a parked sender: %s", goc_status_str(st));
			want = m->peer->value;
			if (!finish_peer(m, GOC_OK))
				return false;
		} else {
			CHECK(m->closed && st == GOC_CLOSED, "recv: %s from an open, empty channel", goc_status_str(st));
			want = 0;
		}
		if (c->elem)
			CHECK(got == want, "received %ld, want %ld", got, want);
		return true;
	}
	CHECK(st == GOC_OK, "send: %s", goc_status_str(st));
	if (m->peer) { /* a parked receiver, on an unbuffered or empty channel */
		peer *pe = m->peer;
		if (!finish_peer(m, GOC_OK))
			return false;
		CHECK(pe->got == sent, "the parked receiver got %ld, want %ld", pe->got, sent);
		return true;
	}
	CHECK(m->len < m->cap, "send into a full channel fired");
	m->buf[m->len++] = sent;
	return true;
}

/*
 * Tear a channel down: complete its parked peer, then check its contents
 * against the model by draining it.
 */
static bool drain_and_check(mchan *m)
{
	if (m->peer && m->peer->dir == GOC_SEND && m->len == 0) {
		long v = SENTINEL;
		CHECK(goc_chan_recv(m->ch, &v, GOC_FOREVER) == GOC_OK, "teardown recv failed");
		CHECK(v == m->peer->value, "teardown received %ld from the peer, want %ld", v, m->peer->value);
		if (!finish_peer(m, GOC_OK))
			return false;
	}
	CHECK(goc_chan_len(m->ch) == m->len, "len %zu, model %u", goc_chan_len(m->ch), m->len);
	for (unsigned i = 0; i < m->len; i++) {
		long v = SENTINEL;
		CHECK(goc_chan_recv(m->ch, &v, GOC_NOWAIT) == GOC_OK, "drain: element %u missing", i);
		CHECK(v == m->buf[i], "drain: element %u is %ld, model %ld", i, v, m->buf[i]);
		if (i == 0 && m->peer) { /* a full channel's parked sender moves in */
			m->buf[m->len++] = m->peer->value;
			if (!finish_peer(m, GOC_OK))
				return false;
		}
	}
	long v = SENTINEL;
	goc_status st = goc_chan_recv(m->ch, &v, GOC_NOWAIT);
	CHECK(st == (m->closed ? GOC_CLOSED : GOC_WOULDBLOCK), "drained channel: %s", goc_status_str(st));
	if (m->peer) { /* a parked receiver: hand it a value */
		long x = 4242;
		CHECK(goc_chan_send(m->ch, &x, GOC_FOREVER) == GOC_OK, "teardown send failed");
		peer *pe = m->peer;
		if (!finish_peer(m, GOC_OK))
			return false;
		CHECK(pe->got == x, "peer got %ld, want %ld", pe->got, x);
	}
	goc_chan_free(m->ch);
	return true;
}

/* A deadline drawn from the edges: long past, just past, now, a few microseconds ahead. */
static int64_t draw_deadline(uint64_t *rng, bool any_ready)
{
	switch (goc_test_draw(rng, 8)) {
	case 0: return GOC_NOWAIT;
	case 1: return any_ready ? GOC_FOREVER : GOC_NOWAIT;
	case 2: return -(int64_t)goc_test_draw(rng, 1000) - 2; /* long past, below the clock's epoch */
	case 3: return 1;                              /* the epoch: long past */
	case 4: return goc_now() - (int64_t)goc_test_draw(rng, 1000);
	case 5: return goc_now();
	default: return goc_now() + (int64_t)goc_test_draw(rng, 5000);
	}
}

/* One select against the model. */
static bool one_select(uint64_t *rng, mchan *chans, unsigned nchans, long *next_value)
{
	unsigned ncases = goc_test_draw(rng, 20) == 0 ? 17 + goc_test_draw(rng, MAX_CASES - 16) : 1 + goc_test_draw(rng, 8);
	goc_case cs[MAX_CASES];
	int chan_of[MAX_CASES];
	long vals[MAX_CASES];
	bool ready[MAX_CASES], any_ready = false;
	for (unsigned i = 0; i < ncases; i++) {
		vals[i] = SENTINEL;
		chan_of[i] = goc_test_draw(rng, 8) == 0 ? -1 : (int)goc_test_draw(rng, nchans);
		mchan *m = chan_of[i] < 0 ? NULL : &chans[chan_of[i]];
		goc_dir dir = (m && !m->closed && goc_test_draw(rng, 2)) ? GOC_SEND : GOC_RECV;
		if (dir == GOC_SEND)
			vals[i] = (*next_value)++;
		void *elem = (dir == GOC_RECV && goc_test_draw(rng, 6) == 0) ? NULL : &vals[i];
		cs[i] = (goc_case){ .ch = m ? m->ch : NULL, .dir = dir, .elem = elem };
		ready[i] = m && case_ready(m, dir);
		any_ready = any_ready || ready[i];
	}
	int64_t deadline = draw_deadline(rng, any_ready);
	size_t chosen = 999;
	goc_status st = goc_select(cs, ncases, deadline, &chosen);
	if (!any_ready) {
		goc_status want = deadline == GOC_NOWAIT ? GOC_WOULDBLOCK : GOC_TIMEOUT;
		CHECK(st == want, "nothing ready, deadline %lld: %s, want %s", (long long)deadline,
		      goc_status_str(st), goc_status_str(want));
		CHECK(chosen == 999, "chosen set to %zu without a case", chosen);
		CHECK(deadline == GOC_NOWAIT || goc_now() >= deadline, "timed out before the deadline");
	} else {
		CHECK(st == GOC_OK || st == GOC_CLOSED, "a case was ready, deadline %lld: %s",
		      (long long)deadline, goc_status_str(st));
		CHECK(chosen < ncases && ready[chosen], "chose case %zu, which could not proceed", chosen);
	}
	for (unsigned i = 0; i < ncases; i++) {
		if (any_ready && i == chosen)
			continue;
		CHECK(cs[i].dir == GOC_SEND || vals[i] == SENTINEL, "case %u, not chosen, received %ld", i, vals[i]);
	}
	if (!any_ready)
		return true;
	return apply_fired(&chans[chan_of[chosen]], &cs[chosen], st, vals[chosen], vals[chosen]);
}

static void test_select_random_against_model(void **state)
{
	(void)state;
	uint64_t rng = seed;
	int64_t end = goc_now() + budget_ns();
	long iterations = 0, next_value = 1;
	bool ok = true;
	while (ok && goc_now() < end) {
		mchan chans[MAX_CHANS];
		peer peers[MAX_CHANS];
		unsigned nchans = 1 + goc_test_draw(&rng, MAX_CHANS), made = 0;
		for (; ok && made < nchans; made++)
			ok = make_chan(&rng, &chans[made], &peers[made], &next_value);
		unsigned selects = 1 + goc_test_draw(&rng, 4);
		for (unsigned k = 0; ok && k < selects; k++, iterations++) {
			iteration_now = iterations;
			ok = one_select(&rng, chans, made, &next_value);
		}
		for (unsigned i = 0; ok && i < made; i++)
			ok = drain_and_check(&chans[i]);
	}
	if (!ok)
		fail_msg("%s", why);
	printf("select_random_test: %ld selects against the model (seed 0x%llx)\n", iterations,
	       (unsigned long long)seed);
	goc_test_assert_no_leaks();
	finished = true;
}

/* ---- many tasks, with invariants ------------------------------------------- */

#define DATA_CHANS 3
#define SIGNAL_CHANS 2
#define PRODUCERS 3
#define CONSUMERS 2
#define ATTEMPTS 400
#define MAX_RECV (PRODUCERS * ATTEMPTS)

/* A value: producer, attempt and data channel, so a receiver can tell where it should have come from. */
#define VALUE(p, a, c) (((long)(p) << 40) | ((long)(a) << 8) | (long)(c))

typedef struct mt_round {
	goc_chan *data[DATA_CHANS];
	goc_chan *signal[SIGNAL_CHANS];
	uint64_t seed;
	/* Each producer's own row; read by the test thread after the round. */
	int delivered[PRODUCERS][ATTEMPTS]; /* the data channel a send went out on, or -1 */
	int bad_status[PRODUCERS + CONSUMERS];
	/* Each consumer's own log; read after the round. */
	long got[CONSUMERS][MAX_RECV];
	int got_chan[CONSUMERS][MAX_RECV];
	size_t ngot[CONSUMERS];
	goc_wg producers, consumers, closer;
} mt_round;

typedef struct worker {
	mt_round *r;
	int index;
} worker;

/* A deadline for a task: mostly short, now and then none or forever. */
static int64_t task_deadline(uint64_t *rng)
{
	switch (goc_test_draw(rng, 6)) {
	case 0: return GOC_NOWAIT;
	case 1: return GOC_FOREVER;
	case 2: return goc_now() - 1;
	case 3: return goc_now() + (int64_t)goc_test_draw(rng, 2000);
	default: return goc_now() + (int64_t)goc_test_draw(rng, 200000);
	}
}

/* A status goc_select() may return for this deadline, with or without a case. */
static bool legal(goc_status st, int64_t deadline, bool closed_ok)
{
	switch (st) {
	case GOC_OK: return true;
	case GOC_CLOSED: return closed_ok;
	case GOC_WOULDBLOCK: return deadline == GOC_NOWAIT;
	case GOC_TIMEOUT: return deadline != GOC_NOWAIT && deadline != GOC_FOREVER;
	default: return false;
	}
}

static void produce(void *arg)
{
	worker *w = arg;
	mt_round *r = w->r;
	uint64_t rng = r->seed ^ (0x1000u + (uint64_t)w->index);
	for (int a = 0; a < ATTEMPTS; a++) {
		goc_case cs[4];
		long vals[4];
		int chan_of[4];
		unsigned n = 1 + goc_test_draw(&rng, 3);
		for (unsigned i = 0; i < n; i++) {
			chan_of[i] = goc_test_draw(&rng, 8) == 0 ? -1 : (int)goc_test_draw(&rng, DATA_CHANS);
			vals[i] = VALUE(w->index, a, chan_of[i] < 0 ? 0 : chan_of[i]);
			cs[i] = GOC_SEND_CASE(chan_of[i] < 0 ? NULL : r->data[chan_of[i]], &vals[i]);
		}
		bool with_signal = goc_test_draw(&rng, 4) == 0;
		if (with_signal) {
			chan_of[n] = -1;
			cs[n++] = GOC_RECV_CASE(r->signal[goc_test_draw(&rng, SIGNAL_CHANS)], NULL);
		}
		int64_t deadline = task_deadline(&rng);
		if (deadline == GOC_FOREVER && !with_signal) {
			bool any = false;
			for (unsigned i = 0; i < n; i++)
				any = any || cs[i].ch;
			if (!any)
				deadline = GOC_NOWAIT; /* no case could ever proceed */
		}
		size_t chosen = 99;
		goc_status st = goc_select(cs, n, deadline, &chosen);
		r->delivered[w->index][a] = -1;
		if (!legal(st, deadline, true) || ((st == GOC_OK || st == GOC_CLOSED) && chosen >= n) ||
		    (st == GOC_CLOSED && cs[chosen].dir != GOC_RECV)) {
			r->bad_status[w->index]++;
			continue;
		}
		if (st == GOC_OK && cs[chosen].dir == GOC_SEND)
			r->delivered[w->index][a] = chan_of[chosen];
	}
	goc_wg_done(&r->producers);
}

static void consume(void *arg)
{
	worker *w = arg;
	mt_round *r = w->r;
	int me = w->index - PRODUCERS;
	uint64_t rng = r->seed ^ (0x2000u + (uint64_t)w->index);
	bool open[DATA_CHANS];
	for (int c = 0; c < DATA_CHANS; c++)
		open[c] = true;
	for (;;) {
		goc_case cs[5];
		long vals[5];
		int chan_of[5];
		unsigned n = 0;
		/*
		 * A consumer that waits forever listens on every open channel, or
		 * it and a producer could wait forever on different channels.
		 */
		int64_t deadline = task_deadline(&rng);
		for (int c = 0; c < DATA_CHANS; c++) {
			if (open[c] && (deadline == GOC_FOREVER || goc_test_draw(&rng, 3) != 0)) {
				chan_of[n] = c;
				vals[n] = SENTINEL;
				cs[n] = GOC_RECV_CASE(r->data[c], &vals[n]);
				n++;
			}
		}
		bool any_open = false;
		for (int c = 0; c < DATA_CHANS; c++)
			any_open = any_open || open[c];
		if (!any_open)
			break;
		if (n == 0)
			continue;
		if (goc_test_draw(&rng, 6) == 0) {
			chan_of[n] = -1;
			cs[n++] = GOC_RECV_CASE(r->signal[goc_test_draw(&rng, SIGNAL_CHANS)], NULL);
		}
		size_t chosen = 99;
		goc_status st = goc_select(cs, n, deadline, &chosen);
		if (!legal(st, deadline, true) || ((st == GOC_OK || st == GOC_CLOSED) && chosen >= n)) {
			r->bad_status[w->index]++;
			continue;
		}
		if (st == GOC_CLOSED && chan_of[chosen] >= 0) {
			open[chan_of[chosen]] = false;
		} else if (st == GOC_OK && chan_of[chosen] >= 0 && r->ngot[me] < MAX_RECV) {
			r->got[me][r->ngot[me]] = vals[chosen];
			r->got_chan[me][r->ngot[me]++] = chan_of[chosen];
		} else if (st == GOC_OK) {
			r->bad_status[w->index]++; /* a signal channel is never sent on; or too many values */
		}
	}
	goc_wg_done(&r->consumers);
}

typedef struct closer_arg {
	mt_round *r;
	int64_t delay_ns[SIGNAL_CHANS];
} closer_arg;

static void close_signals(void *arg)
{
	closer_arg *c = arg;
	for (int i = 0; i < SIGNAL_CHANS; i++) {
		goc_sleep(c->delay_ns[i]);
		goc_chan_close(c->r->signal[i]);
	}
	goc_wg_done(&c->r->closer);
}

/* Check one round's logs: legal statuses, every delivered value received once, nothing else. */
static bool check_round(mt_round *r, long rn)
{
	iteration_now = rn;
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		CHECK(r->bad_status[i] == 0, "task %d saw %d illegal results", i, r->bad_status[i]);
	static unsigned char seen[PRODUCERS][ATTEMPTS];
	memset(seen, 0, sizeof seen);
	for (int c = 0; c < CONSUMERS; c++) {
		for (size_t k = 0; k < r->ngot[c]; k++) {
			long v = r->got[c][k];
			long p = v >> 40, a = (v >> 8) & 0xffffffff, ch = v & 0xff;
			CHECK(p >= 0 && p < PRODUCERS && a >= 0 && a < ATTEMPTS, "received %ld, never sent", v);
			CHECK(ch == r->got_chan[c][k], "value of channel %ld received from channel %d", ch,
			      r->got_chan[c][k]);
			CHECK(r->delivered[p][a] == ch, "received producer %ld attempt %ld, whose send reported %d", p,
			      a, r->delivered[p][a]);
			CHECK(seen[p][a] == 0, "producer %ld attempt %ld received twice", p, a);
			seen[p][a] = 1;
		}
	}
	for (int p = 0; p < PRODUCERS; p++)
		for (int a = 0; a < ATTEMPTS; a++)
			CHECK(r->delivered[p][a] < 0 || seen[p][a], "producer %d attempt %d delivered, never received", p, a);
	return true;
}

static void test_select_random_with_peers(void **state)
{
	(void)state;
	static mt_round r;
	uint64_t rng = seed ^ 0xabcdefu;
	int64_t end = goc_now() + budget_ns();
	long rounds = 0;
	bool ok = true;
	while (ok && goc_now() < end) {
		memset(&r, 0, sizeof r);
		r.seed = goc__splitmix64(&rng);
		static const size_t caps[] = { 0, 0, 1, 4 };
		for (int c = 0; c < DATA_CHANS; c++)
			assert_non_null(r.data[c] = goc_chan_make(sizeof(long), caps[goc_test_draw(&rng, 4)]));
		for (int c = 0; c < SIGNAL_CHANS; c++)
			assert_non_null(r.signal[c] = goc_chan_make(0, goc_test_draw(&rng, 2)));
		goc_wg_init(&r.producers);
		goc_wg_init(&r.consumers);
		goc_wg_init(&r.closer);
		worker ws[PRODUCERS + CONSUMERS];
		closer_arg cl = { .r = &r };
		for (int i = 0; i < SIGNAL_CHANS; i++)
			cl.delay_ns[i] = (int64_t)goc_test_draw(&rng, 3000000);
		goc_wg_add(&r.closer, 1);
		assert_int_equal(goc_go(close_signals, &cl), GOC_OK);
		goc_wg_add(&r.producers, PRODUCERS);
		goc_wg_add(&r.consumers, CONSUMERS);
		for (int i = 0; i < PRODUCERS + CONSUMERS; i++) {
			ws[i] = (worker){ .r = &r, .index = i };
			assert_int_equal(goc_go(i < PRODUCERS ? produce : consume, &ws[i]), GOC_OK);
		}
		assert_int_equal(goc_wg_wait(&r.producers, GOC_FOREVER), GOC_OK);
		/* The senders are done: close the data channels, in a random order, to end the consumers. */
		unsigned first = goc_test_draw(&rng, DATA_CHANS);
		for (int c = 0; c < DATA_CHANS; c++)
			goc_chan_close(r.data[(first + (unsigned)c) % DATA_CHANS]);
		assert_int_equal(goc_wg_wait(&r.consumers, GOC_FOREVER), GOC_OK);
		assert_int_equal(goc_wg_wait(&r.closer, GOC_FOREVER), GOC_OK);
		ok = check_round(&r, rounds);
		for (int c = 0; c < DATA_CHANS; c++)
			goc_chan_free(r.data[c]);
		for (int c = 0; c < SIGNAL_CHANS; c++)
			goc_chan_free(r.signal[c]);
		goc_wg_destroy(&r.producers);
		goc_wg_destroy(&r.consumers);
		goc_wg_destroy(&r.closer);
		rounds++;
	}
	if (!ok)
		fail_msg("%s", why);
	printf("select_random_test: %ld rounds with peers (seed 0x%llx)\n", rounds, (unsigned long long)seed);
	goc_test_assert_no_leaks();
	finished = true;
}

int main(void)
{
	seed = goc_test_seed("select_random_test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_select_random_against_model, goc_test_setup, teardown),
		cmocka_unit_test_setup_teardown(test_select_random_with_peers, goc_test_setup, teardown),
	};
	return cmocka_run_group_tests_name("select_random", tests, NULL, NULL);
}
