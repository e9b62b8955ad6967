/*
 * counters_test.c - the counters of counters.h and the W4 run over them:
 * every variant ends with exactly the increments done, with 1, 2, 4 and 8
 * tasks, with more tasks than operations, and in the read-mostly form,
 * whose reads never go backwards; each counter on its own adds and loads
 * what it was given; the spin mutex excludes (a two-field invariant that
 * a broken lock tears), also when its holder sleeps and the waiters must
 * sleep on the futex; the Go-shaped rwlock lets readers share and keeps
 * writers out (and in) as a read-write lock must; sharded slots each fill a cache line of their own;
 * the chan counter sums what its adders sent; the expected-increments
 * formula gives hand-counted answers; and misuse panics, as death tests.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_rwlock_t, in counters.h */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "goc_test.h"

/* The variants that must count exactly (all but the pitfall). */
static const goc_counters_variant exact_variants[] = {
	GOC_COUNTERS_MUTEX,  GOC_COUNTERS_ADAPTIVE, GOC_COUNTERS_SPIN, GOC_COUNTERS_RWLOCK,
	GOC_COUNTERS_RWSPIN, GOC_COUNTERS_ATOMIC,   GOC_COUNTERS_CHAN, GOC_COUNTERS_SHARDED,
};
#define NEXACT (sizeof exact_variants / sizeof exact_variants[0])

static const size_t task_counts[] = { 1, 2, 4, 8 };
#define NTASKS (sizeof task_counts / sizeof task_counts[0])

static goc_counters_report run(goc_counters_variant v, size_t tasks, uint64_t ops, unsigned reads)
{
	goc_counters_config cfg = { .variant = v, .tasks = tasks, .ops = ops, .reads = reads, .cap = 1024 };
	goc_counters_report rep;
	assert_int_equal(goc_counters_run(&cfg, &rep), GOC_OK);
	return rep;
}

/* ---- the workload ------------------------------------------------------------------ */

/* An uneven split (ops not a multiple of the tasks): every increment counted once. */
static void test_counters_every_variant_every_task_count_exact(void **state)
{
	(void)state;
	uint64_t ops = (uint64_t)goc_test_scaled(40000) + 7;
	for (size_t i = 0; i < NEXACT; i++) {
		for (size_t t = 0; t < NTASKS; t++) {
			goc_counters_report rep = run(exact_variants[i], task_counts[t], ops, 0);
			if (rep.count != ops || rep.writes != ops)
				fail_msg("%s with %zu tasks: count %llu, writes %llu, expected %llu",
				         goc_counters_variant_str(exact_variants[i]), task_counts[t],
				         (unsigned long long)rep.count, (unsigned long long)rep.writes,
				         (unsigned long long)ops);
			assert_int_equal(rep.reads, 0);
			assert_int_equal(rep.bad_reads, 0);
			assert_true(rep.elapsed_ns > 0);
		}
	}
	goc_test_assert_no_leaks();
}

/* Fewer operations than tasks: most tasks do nothing, and still start, wait and finish. */
static void test_counters_more_tasks_than_ops_exact(void **state)
{
	(void)state;
	for (size_t i = 0; i < NEXACT; i++) {
		goc_counters_report rep = run(exact_variants[i], 8, 3, 0);
		assert_int_equal(rep.count, 3);
		assert_int_equal(rep.writes, 3);
	}
	goc_test_assert_no_leaks();
}

/* 90% reads: the increments are exactly the formula's, and every read is plausible. */
static void test_counters_read_mostly_exact_reads_monotone(void **state)
{
	(void)state;
	uint64_t ops = (uint64_t)goc_test_scaled(40000) + 13;
	for (int v = 0; v < GOC_COUNTERS_NVARIANTS; v++) {
		if (!goc_counters_variant_reads((goc_counters_variant)v))
			continue;
		for (size_t t = 0; t < NTASKS; t++) {
			uint64_t writes = goc_counters_expected_writes(ops, task_counts[t], 90);
			goc_counters_report rep = run((goc_counters_variant)v, task_counts[t], ops, 90);
			assert_int_equal(rep.writes, writes);
			assert_int_equal(rep.count, writes);
			assert_int_equal(rep.reads, ops - writes);
			assert_int_equal(rep.bad_reads, 0);
			/* Every read after a task's first increment sees at least 1. */
			assert_true(rep.read_sum >= rep.reads - task_counts[t] * 9);
		}
	}
	goc_test_assert_no_leaks();
}

/* The variants with reads are the locks and the atomic. */
static void test_counters_variants_with_reads_are_locks_and_atomic(void **state)
{
	(void)state;
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_MUTEX));
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_ADAPTIVE));
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_SPIN));
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_RWLOCK));
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_RWSPIN));
	assert_true(goc_counters_variant_reads(GOC_COUNTERS_ATOMIC));
	assert_false(goc_counters_variant_reads(GOC_COUNTERS_CHAN));
	assert_false(goc_counters_variant_reads(GOC_COUNTERS_SHARDED));
	assert_false(goc_counters_variant_reads(GOC_COUNTERS_UNSAFE));
}

/* Hand-counted: op j of a task is an increment when (j + 1) * (100 - reads) / 100 steps up. */
static void test_counters_expected_writes_hand_counted(void **state)
{
	(void)state;
	assert_int_equal(goc_counters_expected_writes(100, 1, 90), 10);
	assert_int_equal(goc_counters_expected_writes(99, 1, 90), 9);
	assert_int_equal(goc_counters_expected_writes(7, 2, 0), 7);
	/* 19 ops, 2 tasks: 10 and 9 ops, half increments: 5 + 4. */
	assert_int_equal(goc_counters_expected_writes(19, 2, 50), 9);
	/* 3 ops, 8 tasks: three tasks do one op each. */
	assert_int_equal(goc_counters_expected_writes(3, 8, 0), 3);
	assert_int_equal(goc_counters_expected_writes(3, 8, 50), 0);
	/* Large: no overflow in n * (100 - reads). */
	assert_int_equal(goc_counters_expected_writes(UINT64_C(4000000000000000000), 1, 1),
	                 UINT64_C(3960000000000000000));
}

/* The pitfall, alone: with one task nothing races and nothing is lost. */
static void test_counters_unsafe_one_task_exact(void **state)
{
	(void)state;
	goc_counters_report rep = run(GOC_COUNTERS_UNSAFE, 1, 10000, 0);
	assert_int_equal(rep.count, 10000);
	assert_int_equal(rep.writes, 10000);
}

static void test_counters_variant_names_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = { "unsafe", "mutex", "adaptive", "spin", "rwlock", "rwspin", "atomic", "chan", "sharded" };
	for (int v = 0; v < GOC_COUNTERS_NVARIANTS; v++) {
		goc_counters_variant got;
		assert_string_equal(goc_counters_variant_str((goc_counters_variant)v), names[v]);
		assert_true(goc_counters_variant_parse(names[v], &got));
		assert_int_equal(got, v);
	}
	goc_counters_variant got = GOC_COUNTERS_MUTEX;
	assert_false(goc_counters_variant_parse("rwmutex", &got));
	assert_int_equal(got, GOC_COUNTERS_MUTEX);
	assert_string_equal(goc_counters_variant_str(GOC_COUNTERS_NVARIANTS), "unknown");
}

/* ---- each counter on its own ------------------------------------------------------ */

static void test_counters_single_thread_add_then_load(void **state)
{
	(void)state;
	for (int adaptive = 0; adaptive < 2; adaptive++) {
		goc_mutex_counter m;
		goc_mutex_counter_init(&m, adaptive);
		assert_int_equal(goc_mutex_counter_load(&m), 0);
		goc_mutex_counter_add(&m, 5);
		goc_mutex_counter_add(&m, 7);
		assert_int_equal(goc_mutex_counter_load(&m), 12);
		goc_mutex_counter_destroy(&m);
	}
	goc_spin_counter s;
	goc_spin_counter_init(&s);
	goc_spin_counter_add(&s, 3);
	goc_spin_counter_add(&s, 4);
	assert_int_equal(goc_spin_counter_load(&s), 7);
	goc_spin_counter_destroy(&s);

	goc_rw_counter rw;
	goc_rw_counter_init(&rw);
	goc_rw_counter_add(&rw, 10);
	assert_int_equal(goc_rw_counter_load(&rw), 10);
	assert_int_equal(goc_rw_counter_load(&rw), 10);
	goc_rw_counter_destroy(&rw);

	goc_spin_rw_counter srw;
	goc_spin_rw_counter_init(&srw);
	goc_spin_rw_counter_add(&srw, 6);
	goc_spin_rw_counter_add(&srw, 1);
	assert_int_equal(goc_spin_rw_counter_load(&srw), 7);
	assert_int_equal(goc_spin_rw_counter_load(&srw), 7);
	goc_spin_rw_counter_destroy(&srw);

	goc_atomic_counter a;
	goc_atomic_counter_init(&a);
	goc_atomic_counter_add(&a, UINT64_C(1) << 40);
	goc_atomic_counter_add(&a, 1);
	assert_int_equal(goc_atomic_counter_load(&a), (UINT64_C(1) << 40) + 1);

	goc_unsafe_counter u;
	goc_unsafe_counter_init(&u);
	goc_unsafe_counter_add(&u, 2);
	goc_unsafe_counter_add(&u, 2);
	assert_int_equal(goc_unsafe_counter_load(&u), 4);
}

/* Each slot starts a line of its own, and the load is the sum of the slots. */
static void test_sharded_slots_own_cache_lines_sum(void **state)
{
	(void)state;
	goc_sharded_counter *c = goc_sharded_counter_make(5);
	assert_non_null(c);
	assert_int_equal(goc_sharded_counter_slots(c), 5);
	for (size_t i = 0; i < 5; i++) {
		uintptr_t a = (uintptr_t)goc_sharded_counter_slot(c, i);
		assert_int_equal(a % GOC_CACHE_LINE, 0);
		if (i > 0)
			assert_true(a - (uintptr_t)goc_sharded_counter_slot(c, i - 1) >= GOC_CACHE_LINE);
	}
	assert_int_equal(goc_sharded_counter_load(c), 0);
	goc_sharded_counter_add(c, 0, 2);
	goc_sharded_counter_add(c, 3, 5);
	goc_sharded_counter_add(c, 4, 1);
	goc_sharded_counter_add(c, 3, 1);
	assert_int_equal(goc_sharded_counter_load(c), 9);
	goc_sharded_counter_free(c);
	goc_sharded_counter_free(NULL);

	/* 0 slots is taken as 1. */
	c = goc_sharded_counter_make(0);
	assert_non_null(c);
	assert_int_equal(goc_sharded_counter_slots(c), 1);
	goc_sharded_counter_free(c);
}

/* ---- the spin mutex --------------------------------------------------------------- */

/*
 * a and b are plain ints changed together under the lock: a task that sees
 * them differ saw another task inside the lock with it. The tasks record
 * that, and main asserts.
 */
typedef struct guarded {
	goc_spin_mutex mu;
	uint64_t a, b;         /* guarded by mu; equal outside the lock */
	int64_t hold_ns;       /* read-only: sleep this long inside the lock every `sleep_every` */
	uint64_t sleep_every;  /* read-only; 0: never */
	goc_wg wg;
} guarded;

typedef struct locker {
	guarded *g;
	uint64_t rounds;   /* read-only */
	uint64_t torn;     /* the task's: times it saw a != b */
} locker;

static void lock_task(void *arg)
{
	locker *l = arg;
	guarded *g = l->g;
	for (uint64_t i = 0; i < l->rounds; i++) {
		goc_spin_mutex_lock(&g->mu);
		uint64_t a = g->a;
		if (g->sleep_every && i % g->sleep_every == 0)
			goc_sleep(g->hold_ns); /* the others give up spinning and sleep on the futex */
		if (a != g->b)
			l->torn++;
		g->a = a + 1;
		g->b = g->b + 1;
		goc_spin_mutex_unlock(&g->mu);
	}
	goc_wg_done(&g->wg);
}

static void spin_mutex_excludes(size_t tasks, uint64_t rounds, int64_t hold_ns, uint64_t sleep_every)
{
	guarded g = { .hold_ns = hold_ns, .sleep_every = sleep_every };
	goc_spin_mutex_init(&g.mu);
	goc_wg_init(&g.wg);
	locker l[8];
	assert_true(tasks <= 8);
	goc_wg_add(&g.wg, (int64_t)tasks);
	for (size_t k = 0; k < tasks; k++) {
		l[k] = (locker){ .g = &g, .rounds = rounds };
		assert_int_equal(goc_go(lock_task, &l[k]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&g.wg, goc_test_ms(60000)), GOC_OK);
	for (size_t k = 0; k < tasks; k++)
		assert_int_equal(l[k].torn, 0);
	assert_int_equal(g.a, tasks * rounds);
	assert_int_equal(g.b, tasks * rounds);
	/* Unlocked at the end, and not left "held with sleepers". */
	assert_int_equal(atomic_load(&g.mu.state), 0);
	goc_wg_destroy(&g.wg);
	goc_spin_mutex_destroy(&g.mu);
}

static void test_spin_mutex_contended_excludes(void **state)
{
	(void)state;
	spin_mutex_excludes(4, (uint64_t)goc_test_scaled(100000), 0, 0);
	spin_mutex_excludes(8, (uint64_t)goc_test_scaled(20000), 0, 0);
}

/* A holder that sleeps 2 ms now and then: waiters outlast their spin and sleep on the futex. */
static void test_spin_mutex_sleeping_holder_waiters_sleep_and_wake(void **state)
{
	(void)state;
	spin_mutex_excludes(4, 200, 2000000, 50);
}

/* ---- rwspin: Go's RWMutex on the spin mutex ---------------------------------------- */

/*
 * Writers change a and b together under the write lock, now and then
 * sleeping in between; readers check under the read lock that a == b and
 * that a never goes back, now and then sleeping too, so that writers wait
 * for readers on the writer semaphore and readers for writers on the
 * reader semaphore. Tasks record, main asserts.
 */
typedef struct rw_shared {
	goc_spin_rwlock rw;
	uint64_t a, b;  /* guarded by rw; equal outside the write lock */
	goc_wg wg;
} rw_shared;

typedef struct rw_task {
	rw_shared *sh;
	bool writer;      /* read-only */
	uint64_t rounds;  /* read-only */
	uint64_t torn, backwards; /* the task's: reads that saw a != b, or a smaller than before */
} rw_task;

static void rw_task_run(void *arg)
{
	rw_task *t = arg;
	rw_shared *sh = t->sh;
	uint64_t last = 0;
	for (uint64_t i = 0; i < t->rounds; i++) {
		bool nap = i % 64 == 0;
		if (t->writer) {
			goc_spin_rwlock_lock(&sh->rw);
			sh->a++;
			if (nap)
				goc_sleep(200000);
			sh->b++;
			goc_spin_rwlock_unlock(&sh->rw);
		} else {
			goc_spin_rwlock_rlock(&sh->rw);
			uint64_t a = sh->a;
			if (nap)
				goc_sleep(200000);
			t->torn += a != sh->b;
			t->backwards += a < last;
			last = a;
			goc_spin_rwlock_runlock(&sh->rw);
		}
	}
	goc_wg_done(&sh->wg);
}

static void test_spin_rwlock_writers_exclude_readers_and_writers(void **state)
{
	(void)state;
	enum { WRITERS = 3, READERS = 5 };
	rw_shared sh = { 0 };
	goc_spin_rwlock_init(&sh.rw);
	goc_wg_init(&sh.wg);
	rw_task t[WRITERS + READERS];
	uint64_t rounds = (uint64_t)goc_test_scaled(20000);
	goc_wg_add(&sh.wg, WRITERS + READERS);
	for (int k = 0; k < WRITERS + READERS; k++) {
		t[k] = (rw_task){ .sh = &sh, .writer = k < WRITERS, .rounds = rounds };
		assert_int_equal(goc_go(rw_task_run, &t[k]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&sh.wg, goc_test_ms(120000)), GOC_OK);
	for (int k = 0; k < WRITERS + READERS; k++) {
		assert_int_equal(t[k].torn, 0);
		assert_int_equal(t[k].backwards, 0);
	}
	assert_int_equal(sh.a, WRITERS * rounds);
	assert_int_equal(sh.b, WRITERS * rounds);
	/* Back to idle: no reader counted, none waiting, the writer mutex free. */
	assert_int_equal(atomic_load(&sh.rw.readers), 0);
	assert_int_equal(atomic_load(&sh.rw.w.state), 0);
	goc_wg_destroy(&sh.wg);
	goc_spin_rwlock_destroy(&sh.rw);
}

typedef struct rw_probe {
	goc_spin_rwlock *rw;
	bool writer;      /* read-only */
	goc_chan *got;    /* one send once the lock is held */
	goc_chan *leave;  /* the task releases the lock on a receive */
	goc_wg *done;     /* counts the task until it has released the lock */
} rw_probe;

static void rw_probe_run(void *arg)
{
	rw_probe *p = arg;
	if (p->writer)
		goc_spin_rwlock_lock(p->rw);
	else
		goc_spin_rwlock_rlock(p->rw);
	(void)goc_chan_send(p->got, NULL, GOC_FOREVER);
	(void)goc_chan_recv(p->leave, NULL, GOC_FOREVER);
	if (p->writer)
		goc_spin_rwlock_unlock(p->rw);
	else
		goc_spin_rwlock_runlock(p->rw);
	goc_wg_done(p->done);
}

/* Two readers hold the lock at once; a writer waits for both, and readers wait for it. */
static void test_spin_rwlock_readers_share_writer_waits(void **state)
{
	(void)state;
	goc_spin_rwlock rw;
	goc_spin_rwlock_init(&rw);
	goc_chan *got = goc_chan_make(0, 4), *leave = goc_chan_make(0, 4);
	assert_non_null(got);
	assert_non_null(leave);
	goc_wg done;
	goc_wg_init(&done);
	rw_probe reader = { &rw, false, got, leave, &done }, writer = { &rw, true, got, leave, &done };
	goc_wg_add(&done, 3); /* two reader tasks and a writer */

	goc_spin_rwlock_rlock(&rw);
	assert_int_equal(goc_go(rw_probe_run, &reader), GOC_OK);
	/* A second reader gets in while we hold the read lock. */
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_go(rw_probe_run, &writer), GOC_OK);
	/* The writer cannot get in while either reader holds it. */
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(50)), GOC_TIMEOUT);
	goc_spin_rwlock_runlock(&rw);
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(50)), GOC_TIMEOUT);
	assert_int_equal(goc_chan_send(leave, NULL, GOC_NOWAIT), GOC_OK); /* the reader task leaves */
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(10000)), GOC_OK); /* now the writer is in */
	/* While it holds the lock, a reader task waits. */
	assert_int_equal(goc_go(rw_probe_run, &reader), GOC_OK);
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(50)), GOC_TIMEOUT);
	assert_int_equal(goc_chan_send(leave, NULL, GOC_NOWAIT), GOC_OK); /* the writer leaves */
	assert_int_equal(goc_chan_recv(got, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(goc_chan_send(leave, NULL, GOC_NOWAIT), GOC_OK);
	/* Every unlock happens-before the destroy. */
	assert_int_equal(goc_wg_wait(&done, goc_test_ms(10000)), GOC_OK);
	goc_wg_destroy(&done);
	assert_int_equal(atomic_load(&rw.readers), 0);
	goc_spin_rwlock_destroy(&rw);
	goc_chan_free(got);
	goc_chan_free(leave);
}

/* ---- the chan counter ------------------------------------------------------------ */

typedef struct adder {
	goc_chan_counter *c;  /* read-only */
	uint64_t from, to;    /* adds from, from+1, ..., to; read-only */
	goc_wg *wg;
} adder;

static void add_task(void *arg)
{
	adder *a = arg;
	for (uint64_t d = a->from; d <= a->to; d++)
		goc_chan_counter_add(a->c, d);
	goc_wg_done(a->wg);
}

/* Three adders send 1..3000 between them: stop returns exactly the sum, unbuffered and buffered. */
static void test_chan_counter_sums_every_delta(void **state)
{
	(void)state;
	static const size_t caps[] = { 0, 1, 1024 };
	for (size_t i = 0; i < 3; i++) {
		goc_chan_counter *c = NULL;
		assert_int_equal(goc_chan_counter_start(&c, caps[i]), GOC_OK);
		goc_wg wg;
		goc_wg_init(&wg);
		adder a[3];
		goc_wg_add(&wg, 3);
		for (uint64_t k = 0; k < 3; k++) {
			a[k] = (adder){ c, k * 1000 + 1, (k + 1) * 1000, &wg };
			assert_int_equal(goc_go(add_task, &a[k]), GOC_OK);
		}
		assert_int_equal(goc_wg_wait(&wg, goc_test_ms(30000)), GOC_OK);
		assert_int_equal(goc_chan_counter_stop(c), 3000 * 3001 / 2);
		goc_chan_counter_free(c);
		goc_wg_destroy(&wg);
	}
	/* Free without stop stops it: the owner is joined, not leaked. */
	goc_chan_counter *c = NULL;
	assert_int_equal(goc_chan_counter_start(&c, 4), GOC_OK);
	goc_chan_counter_add(c, 1);
	goc_chan_counter_free(c);
	goc_chan_counter_free(NULL);
	goc_test_assert_no_leaks();
}

/* ---- misuse ---------------------------------------------------------------------- */

static void child_sharded_slot_out_of_range(void)
{
	goc_sharded_counter *c = goc_sharded_counter_make(5);
	goc_sharded_counter_add(c, 5, 1);
}

static void child_chan_counter_add_after_stop(void)
{
	goc_chan_counter *c = NULL;
	(void)goc_chan_counter_start(&c, 4);
	(void)goc_chan_counter_stop(c);
	goc_chan_counter_add(c, 1);
}

static void child_reads_with_chan(void)
{
	goc_counters_config cfg = { .variant = GOC_COUNTERS_CHAN, .tasks = 2, .ops = 10, .reads = 50, .cap = 4 };
	goc_counters_report rep;
	(void)goc_counters_run(&cfg, &rep);
}

static void child_zero_tasks(void)
{
	goc_counters_config cfg = { .variant = GOC_COUNTERS_MUTEX, .tasks = 0, .ops = 10 };
	goc_counters_report rep;
	(void)goc_counters_run(&cfg, &rep);
}

static const goc_test_child children[] = {
	{ "sharded_slot_out_of_range", child_sharded_slot_out_of_range },
	{ "chan_counter_add_after_stop", child_chan_counter_add_after_stop },
	{ "reads_with_chan", child_reads_with_chan },
	{ "zero_tasks", child_zero_tasks },
	{ NULL, NULL },
};

static void test_sharded_slot_out_of_range_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("sharded_slot_out_of_range", "counters: sharded slot 5 out of range (5 slots)");
}

static void test_chan_counter_add_after_stop_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("chan_counter_add_after_stop", "send on closed channel");
}

static void test_counters_reads_with_chan_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("reads_with_chan", "counters: variant chan has no reads");
}

static void test_counters_zero_tasks_panics(void **state)
{
	(void)state;
	goc_test_expect_panic("zero_tasks", "counters: tasks == 0");
}

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_counters_every_variant_every_task_count_exact),
		GOC_TEST(test_counters_more_tasks_than_ops_exact),
		GOC_TEST(test_counters_read_mostly_exact_reads_monotone),
		GOC_TEST(test_counters_variants_with_reads_are_locks_and_atomic),
		GOC_TEST(test_counters_expected_writes_hand_counted),
		GOC_TEST(test_counters_unsafe_one_task_exact),
		GOC_TEST(test_counters_variant_names_round_trip),
		GOC_TEST(test_counters_single_thread_add_then_load),
		GOC_TEST(test_sharded_slots_own_cache_lines_sum),
		GOC_TEST(test_spin_mutex_contended_excludes),
		GOC_TEST(test_spin_mutex_sleeping_holder_waiters_sleep_and_wake),
		GOC_TEST(test_spin_rwlock_writers_exclude_readers_and_writers),
		GOC_TEST(test_spin_rwlock_readers_share_writer_waits),
		GOC_TEST(test_chan_counter_sums_every_delta),
		GOC_TEST(test_sharded_slot_out_of_range_panics),
		GOC_TEST(test_chan_counter_add_after_stop_panics),
		GOC_TEST(test_counters_reads_with_chan_panics),
		GOC_TEST(test_counters_zero_tasks_panics),
	};
	return cmocka_run_group_tests_name("counters", tests, NULL, NULL);
}
