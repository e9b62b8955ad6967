/*
 * stress_test.c - many-task stress on channels, run 20 times in a row under
 * TSan in CI (label stress): 8 producers (100,000 messages each) and 8
 * consumers on capacities 0, 1 and 64 with exact sums and counts, close
 * racing blocked receives, and buffered channels freed the moment an
 * operation on them returns, while the peer that let it return may still
 * be waking waiters there.
 */
#include <stdatomic.h>
#include <stdint.h>

#include "goc/goc.h"
#include "goc_test.h"

enum { PRODUCERS = 8, CONSUMERS = 8 };

typedef struct mpmc {
	goc_chan *ch;
	long per_producer;
	goc_chan *producers_done;
	goc_chan *consumers_done;  /* each consumer sends its {count, sum} */
} mpmc;

typedef struct tally {
	long count;
	long long sum;
} tally;

typedef struct producer {
	mpmc *m;
	long first;
} producer;

static void produce(void *p)
{
	producer *pr = p;
	for (long i = 0; i < pr->m->per_producer; i++) {
		long v = pr->first + i;
		goc_chan_send(pr->m->ch, &v, GOC_FOREVER);
	}
	goc_chan_send(pr->m->producers_done, NULL, GOC_FOREVER);
}

static void consume(void *p)
{
	mpmc *m = p;
	tally t = { 0, 0 };
	long v;
	while (goc_chan_recv(m->ch, &v, GOC_FOREVER) == GOC_OK) {
		t.count++;
		t.sum += v;
	}
	goc_chan_send(m->consumers_done, &t, GOC_FOREVER);
}

static void run_mpmc(size_t cap)
{
	mpmc m = {
		.ch = goc_chan_make(sizeof(long), cap),
		.per_producer = goc_test_scaled(100000),
		.producers_done = goc_chan_make(0, PRODUCERS),
		.consumers_done = goc_chan_make(sizeof(tally), CONSUMERS),
	};
	producer prs[PRODUCERS];
	for (int c = 0; c < CONSUMERS; c++)
		assert_int_equal(goc_go(consume, &m), GOC_OK);
	for (int p = 0; p < PRODUCERS; p++) {
		prs[p] = (producer){ &m, 1 + p * m.per_producer };
		assert_int_equal(goc_go(produce, &prs[p]), GOC_OK);
	}
	for (int p = 0; p < PRODUCERS; p++)
		assert_int_equal(goc_chan_recv(m.producers_done, NULL, goc_test_ms(120000)), GOC_OK);
	goc_chan_close(m.ch);
	tally total = { 0, 0 };
	for (int c = 0; c < CONSUMERS; c++) {
		tally t;
		assert_int_equal(goc_chan_recv(m.consumers_done, &t, goc_test_ms(120000)), GOC_OK);
		total.count += t.count;
		total.sum += t.sum;
	}
	long n = PRODUCERS * m.per_producer;
	assert_int_equal(total.count, n);
	/* Producers sent 1..n between them. */
	assert_true(total.sum == (long long)n * (n + 1) / 2);
	goc_test_assert_no_leaks();
	goc_chan_free(m.ch);
	goc_chan_free(m.producers_done);
	goc_chan_free(m.consumers_done);
}

static void test_stress_mpmc_unbuffered_sum_exact(void **state)
{
	(void)state;
	run_mpmc(0);
}

static void test_stress_mpmc_cap1_sum_exact(void **state)
{
	(void)state;
	run_mpmc(1);
}

static void test_stress_mpmc_cap64_sum_exact(void **state)
{
	(void)state;
	run_mpmc(64);
}

typedef struct race_round {
	goc_chan *ch;
	goc_status got;
	goc_chan *done;
} race_round;

static void blocked_receive(void *p)
{
	race_round *r = p;
	int v = 7;
	r->got = goc_chan_recv(r->ch, &v, GOC_FOREVER);
	if (v != 0)
		r->got = GOC_OK; /* a closed receive must leave the zero value */
	goc_chan_send(r->done, NULL, GOC_FOREVER);
}

/* The close lands before, during or after the receive blocks: always GOC_CLOSED. */
static void test_stress_close_races_blocked_recv(void **state)
{
	(void)state;
	long rounds = goc_test_scaled(1000);
	goc_chan *done = goc_chan_make(0, 1);
	for (long i = 0; i < rounds; i++) {
		race_round r = { .ch = goc_chan_make(sizeof(int), (size_t)(i % 2)), .got = GOC_OK, .done = done };
		assert_int_equal(goc_go(blocked_receive, &r), GOC_OK);
		if (i % 3 == 1)
			goc_sleep(i % 50 * 1000);
		goc_chan_close(r.ch);
		assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(10000)), GOC_OK);
		assert_int_equal(r.got, GOC_CLOSED);
		goc_chan_free(r.ch);
	}
	goc_test_assert_no_leaks();
	goc_chan_free(done);
}

/* ---- free right after a blocked buffered operation returns ------------------ */

typedef struct free_round {
	goc_chan *ch;
	long delay_ns;
	int got;      /* late_receiver: what it received */
	goc_chan *done;
} free_round;

static void late_sender(void *p)
{
	free_round *r = p;
	goc_chan *ch = r->ch;
	goc_sleep(r->delay_ns);
	int v = 5;
	goc_chan_send(ch, &v, GOC_FOREVER);
}

/*
 * A receive that timed out leaves its waiting flag behind, so the sender
 * takes the slow path, under the channel's lock; main receives without
 * blocking and frees at once, while that sender may still be inside the
 * channel.
 */
static void test_stress_buffered_free_while_sender_wakes(void **state)
{
	(void)state;
	long rounds = goc_test_scaled(2000);
	long bad = 0;
	for (long i = 0; i < rounds; i++) {
		free_round r = { .ch = goc_chan_make(sizeof(int), (size_t)(1 + i % 2)), .delay_ns = i % 3 * 5000 };
		int v = 0;
		bad += goc_chan_recv(r.ch, &v, goc_deadline_after(20000)) != GOC_TIMEOUT;
		assert_int_equal(goc_go(late_sender, &r), GOC_OK);
		bad += goc_chan_recv(r.ch, &v, goc_test_ms(10000)) != GOC_OK || v != 5;
		goc_chan_free(r.ch);
	}
	assert_int_equal(bad, 0);
	goc_test_assert_no_leaks();
}

static void late_receiver(void *p)
{
	free_round *r = p;
	goc_sleep(r->delay_ns);
	goc_chan_recv(r->ch, &r->got, GOC_FOREVER);
	goc_chan_send(r->done, NULL, GOC_FOREVER);
}

/*
 * The same for a send: a send that timed out on a full channel leaves its
 * flag; the receiver that frees the slot takes the slow path, while main's
 * next send gets the slot without blocking and main frees at once.
 */
static void test_stress_buffered_free_while_receiver_wakes(void **state)
{
	(void)state;
	long rounds = goc_test_scaled(2000);
	goc_chan *done = goc_chan_make(0, 1);
	long bad = 0;
	for (long i = 0; i < rounds; i++) {
		free_round r = { .ch = goc_chan_make(sizeof(int), 1), .delay_ns = i % 3 * 5000, .done = done };
		int first = 1, second = 2;
		bad += goc_chan_send(r.ch, &first, GOC_NOWAIT) != GOC_OK;
		bad += goc_chan_send(r.ch, &second, goc_deadline_after(20000)) != GOC_TIMEOUT;
		assert_int_equal(goc_go(late_receiver, &r), GOC_OK);
		bad += goc_chan_send(r.ch, &second, goc_test_ms(10000)) != GOC_OK;
		goc_chan_free(r.ch);
		assert_int_equal(goc_chan_recv(done, NULL, goc_test_ms(10000)), GOC_OK);
		bad += r.got != 1;
	}
	assert_int_equal(bad, 0);
	goc_test_assert_no_leaks();
	goc_chan_free(done);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_stress_mpmc_unbuffered_sum_exact),
		GOC_TEST(test_stress_mpmc_cap1_sum_exact),
		GOC_TEST(test_stress_mpmc_cap64_sum_exact),
		GOC_TEST(test_stress_close_races_blocked_recv),
		GOC_TEST(test_stress_buffered_free_while_sender_wakes),
		GOC_TEST(test_stress_buffered_free_while_receiver_wakes),
	};
	return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
