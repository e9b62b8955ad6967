/*
 * park_test.c - white-box tests of how a parked thread watches for its
 * wake-up (park.c), which no public call shows: it reads and sets the
 * calling thread's record (goc_internal.h).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "goc_internal.h"
#include "goc_test.h"

#define PARKS 32

typedef struct prober {
	goc_chan *ch;
	goc__task *main_rec;      /* the main thread's record */
	atomic_int recvs_started; /* the main thread's receives begun so far */
	goc_status sent;          /* the first failed send's status, else GOC_OK; read after `done` */
	goc_wg done;
} prober;

/*
 * Send the i-th value only once the main thread's i-th receive is blocked
 * (queued, about to park), so that each of its receives parks exactly once.
 */
static void send_when_parked(void *p)
{
	prober *pr = p;
	for (int i = 1; i <= PARKS; i++) {
		/*
		 * recvs_started (seq_cst) is stored after the previous receive set
		 * `blocked` back to running, so once it reads i, `blocked` says
		 * GOC__CHAN_RECV only for the i-th receive.
		 */
		while (atomic_load(&pr->recvs_started) < i ||
		       atomic_load_explicit(&pr->main_rec->blocked, memory_order_relaxed) != GOC__CHAN_RECV)
			goc_sleep(10000);
		pr->sent = goc_chan_send(pr->ch, &i, GOC_FOREVER);
		if (pr->sent != GOC_OK)
			break;
	}
	goc_wg_done(&pr->done);
}

/*
 * A thread that stopped spinning (park.skips set) yields through its next
 * parks, and those record nothing: once they are used up it spins again,
 * however long its peers took to answer meanwhile.
 */
static void test_park_skipping_ends_after_its_count(void **state)
{
	(void)state;
	if (goc__usable_cpus() < 2)
		skip(); /* with one CPU a park never watches */
	goc__task *self = goc__task_self();
	atomic_store_explicit(&self->park.skips, PARKS, memory_order_relaxed);
	atomic_store_explicit(&self->park.misses, 0, memory_order_relaxed);
	prober pr = { .ch = goc_chan_make(sizeof(int), 0), .main_rec = self, .sent = GOC_OK };
	assert_non_null(pr.ch);
	atomic_init(&pr.recvs_started, 0);
	goc_wg_init(&pr.done);
	goc_wg_add(&pr.done, 1);
	assert_int_equal(goc_go(send_when_parked, &pr), GOC_OK);
	for (int i = 1; i <= PARKS; i++) {
		atomic_store(&pr.recvs_started, i);
		int v = 0;
		assert_int_equal(goc_chan_recv(pr.ch, &v, GOC_FOREVER), GOC_OK);
		assert_int_equal(v, i);
	}
	assert_int_equal(goc_wg_wait(&pr.done, GOC_FOREVER), GOC_OK);
	assert_int_equal(pr.sent, GOC_OK);
	assert_int_equal(atomic_load_explicit(&self->park.skips, memory_order_relaxed), 0);
	goc_wg_destroy(&pr.done);
	goc_chan_free(pr.ch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_park_skipping_ends_after_its_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
