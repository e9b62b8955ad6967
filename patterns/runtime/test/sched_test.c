/*
 * sched_test.c - the M:N scheduler's promises (sched.c) that the rest of
 * the suite, which runs on both backends, does not show: a ping-pong pair
 * cannot starve a third task, a task blocked in the kernel does not stop
 * the others, nor does one that spawns in a loop, one that computes
 * without parking gets its worker back, a task keeps its own rounding
 * mode, errno goes with a task from thread to thread, a crowd of tasks
 * woken at once passes through the global queue once, and recycled
 * stacks leave no trace that ThreadSanitizer would take for a race.
 *
 * `sched_test one` runs with one worker, `sched_test two` with two; each
 * chooses the M:N scheduler itself (goc_tasks_use()), whatever GOC_TASKS says.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goc/goc.h"
#include "goc_internal.h" /* goc__sched_globq_puts() */
#include "goc_test.h"

/* ---- with one worker ------------------------------------------------------- */

enum { ROUNDS = 20000 };

typedef struct pair {
	goc_chan *ping, *pong;
	atomic_long handoffs;   /* round trips so far */
	atomic_long third_at;   /* handoffs when the third task ran, or -1 */
	atomic_int failed;      /* a call in a task failed (cmocka's asserts are the main thread's) */
	goc_wg done;
} pair;

static void third(void *p)
{
	pair *pp = p;
	atomic_store(&pp->third_at, atomic_load(&pp->handoffs));
	goc_wg_done(&pp->done);
}

static void ponger(void *p)
{
	pair *pp = p;
	int v;
	while (goc_chan_recv(pp->ping, &v, GOC_FOREVER) == GOC_OK)
		if (goc_chan_send(pp->pong, &v, GOC_FOREVER) != GOC_OK)
			atomic_store(&pp->failed, 1);
	goc_wg_done(&pp->done);
}

static void pinger(void *p)
{
	pair *pp = p;
	for (int i = 0; i < ROUNDS; i++) {
		/* Halfway, spawned from this task: it goes to the run-next slot, behind the pair's chain. */
		if (i == ROUNDS / 2 && goc_go(third, pp) != GOC_OK)
			atomic_store(&pp->failed, 1);
		int v;
		if (goc_chan_send(pp->ping, &i, GOC_FOREVER) != GOC_OK || goc_chan_recv(pp->pong, &v, GOC_FOREVER) != GOC_OK)
			atomic_store(&pp->failed, 1);
		atomic_fetch_add(&pp->handoffs, 1);
	}
	goc_chan_close(pp->ping);
	goc_wg_done(&pp->done);
}

/*
 * A ping-pong pair keeps handing its one worker back and forth through the
 * run-next slot; a task made runnable meanwhile still runs within the
 * bound (GOC__RUNNEXT_MAX picks in a row, 32, a round trip being two).
 */
static void test_sched_pingpong_does_not_starve_a_third(void **state)
{
	(void)state;
	pair pp = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0), 0, -1, 0, { 0 } };
	goc_wg_init(&pp.done);
	goc_wg_add(&pp.done, 3);
	assert_int_equal(goc_go(ponger, &pp), GOC_OK);
	assert_int_equal(goc_go(pinger, &pp), GOC_OK);
	assert_int_equal(goc_wg_wait(&pp.done, goc_test_ms(60000)), GOC_OK);
	assert_int_equal(atomic_load(&pp.failed), 0);
	long at = atomic_load(&pp.third_at);
	printf("third task ran %ld round trips after its spawn\n", at - ROUNDS / 2);
	assert_true(at >= ROUNDS / 2);
	assert_true(at - ROUNDS / 2 <= 32);
	goc_wg_destroy(&pp.done);
	goc_chan_free(pp.ping);
	goc_chan_free(pp.pong);
}

typedef struct sleeper {
	bool declared;          /* say so with goc_blocking_begin/end */
	atomic_int woke;
	goc_wg done;
} sleeper;

/* Blocks its thread in the kernel for 400 ms: no scheduling point meanwhile. */
static void sleep_blocking(void *p)
{
	sleeper *s = p;
	if (s->declared)
		goc_blocking_begin();
	usleep(400000);
	if (s->declared)
		goc_blocking_end();
	atomic_store(&s->woke, 1);
	goc_wg_done(&s->done);
}

static void answer(void *p)
{
	goc_chan *ch = p;
	int v = 1;
	(void)goc_chan_send(ch, &v, GOC_FOREVER); /* the receiver checks what arrived */
}

/*
 * With one worker, a task asleep in usleep() holds it; the monitor sees
 * its thread asleep in the kernel while a task waits and hands the worker's
 * processor to another thread, well before the sleep ends.
 */
static void blocked_worker_is_handed_over(bool declared)
{
	sleeper s = { .declared = declared };
	goc_wg_init(&s.done);
	goc_wg_add(&s.done, 1);
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	assert_int_equal(goc_go(sleep_blocking, &s), GOC_OK);
	usleep(20000); /* the sleeper is in usleep() by now, on the one worker */
	int64_t t0 = goc_now();
	assert_int_equal(goc_go(answer, ch), GOC_OK);
	int v;
	assert_int_equal(goc_chan_recv(ch, &v, goc_test_ms(5000)), GOC_OK);
	assert_int_equal(v, 1);
	int64_t waited_ms = (goc_now() - t0) / 1000000;
	int woke = atomic_load(&s.woke);
	printf("the second task answered after %lld ms (%s)\n", (long long)waited_ms,
	       declared ? "goc_blocking_begin" : "noticed by the monitor");
	assert_int_equal(woke, 0);
	assert_int_equal(goc_wg_wait(&s.done, goc_test_ms(5000)), GOC_OK);
	goc_wg_destroy(&s.done);
	goc_chan_free(ch);
}

static void test_sched_blocked_worker_noticed(void **state)
{
	(void)state;
	blocked_worker_is_handed_over(false);
}

static void test_sched_blocking_begin_hands_over(void **state)
{
	(void)state;
	blocked_worker_is_handed_over(true);
}

/*
 * A task that spawns in a loop never parks. With one worker, the spawn
 * that fills the worker's queue (256 tasks, with the one to run next)
 * yields to it, so what it spawned runs before the spawner goes on: not
 * only after the monitor took the processor from it (10 ms of spawns, or
 * SPAWNS_MAX).
 */
enum { SPAWNS_MAX = 20000, SPAWNS_TO_FILL = 257 };

typedef struct spawner {
	atomic_long ran;      /* spawned tasks that ran */
	long spawned;         /* the spawner's own; read after done */
	bool saw_one_run;     /* likewise */
	atomic_int failed;
	goc_wg done;
} spawner;

static void counted(void *p)
{
	spawner *s = p;
	atomic_fetch_add(&s->ran, 1);
	goc_wg_done(&s->done);
}

static void spawn_loop(void *p)
{
	spawner *s = p;
	while (atomic_load(&s->ran) == 0 && s->spawned < SPAWNS_MAX) {
		goc_wg_add(&s->done, 1);
		if (goc_go(counted, s) != GOC_OK) {
			goc_wg_done(&s->done);
			atomic_store(&s->failed, 1);
			break;
		}
		s->spawned++;
	}
	s->saw_one_run = atomic_load(&s->ran) > 0;
	goc_wg_done(&s->done);
}

static void test_sched_spawn_loop_yields_to_its_queue(void **state)
{
	(void)state;
	spawner s = { .spawned = 0 };
	atomic_init(&s.ran, 0);
	atomic_init(&s.failed, 0);
	goc_wg_init(&s.done);
	goc_wg_add(&s.done, 1);
	int64_t t0 = goc_now();
	assert_int_equal(goc_go(spawn_loop, &s), GOC_OK);
	assert_int_equal(goc_wg_wait(&s.done, goc_test_ms(60000)), GOC_OK);
	printf("a spawned task ran after %ld spawns, %lld ms\n", s.spawned, (long long)((goc_now() - t0) / 1000000));
	assert_int_equal(atomic_load(&s.failed), 0);
	assert_true(s.saw_one_run);
	assert_true(s.spawned <= SPAWNS_TO_FILL);
	goc_wg_destroy(&s.done);
}

/*
 * A task may park inside goc_blocking_begin/end() (a channel operation
 * between a read() and the end) and end the section on whatever thread it
 * resumed on; the worker's processor goes on serving the others. (Once,
 * the park left the processor marked BLOCKING, and each round waited for
 * the monitor to hand it to another thread: 26 to 165 ms for what takes 3.)
 */
enum { SECTION_ROUNDS = 200 };

typedef struct section {
	goc_chan *ping, *pong;
	int moves;              /* the parking task's thread changes; read after done */
	atomic_int failed;
	goc_wg done;
} section;

static void parks_in_section(void *p)
{
	section *s = p;
	pid_t last = gettid();
	for (int i = 0; i < SECTION_ROUNDS; i++) {
		int v = i;
		goc_blocking_begin();
		if (goc_chan_recv(s->ping, &v, GOC_FOREVER) != GOC_OK || v != i)
			atomic_store(&s->failed, 1);
		goc_blocking_end();
		pid_t now = gettid();
		s->moves += now != last;
		last = now;
		if (goc_chan_send(s->pong, &v, GOC_FOREVER) != GOC_OK)
			atomic_store(&s->failed, 1);
	}
	goc_wg_done(&s->done);
}

static void feeds_section(void *p)
{
	section *s = p;
	for (int i = 0; i < SECTION_ROUNDS; i++) {
		int v;
		if (goc_chan_send(s->ping, &i, GOC_FOREVER) != GOC_OK || goc_chan_recv(s->pong, &v, GOC_FOREVER) != GOC_OK ||
		    v != i)
			atomic_store(&s->failed, 1);
	}
	goc_wg_done(&s->done);
}

static void test_sched_park_inside_blocking_section(void **state)
{
	(void)state;
	section s = { .ping = goc_chan_make(sizeof(int), 0), .pong = goc_chan_make(sizeof(int), 0) };
	atomic_init(&s.failed, 0);
	goc_wg_init(&s.done);
	goc_wg_add(&s.done, 2);
	assert_int_equal(goc_go(parks_in_section, &s), GOC_OK);
	assert_int_equal(goc_go(feeds_section, &s), GOC_OK);
	int64_t t0 = goc_now();
	assert_int_equal(goc_wg_wait(&s.done, goc_test_ms(60000)), GOC_OK);
	printf("%d round trips through a blocking section took %lld ms and %d thread changes\n", SECTION_ROUNDS,
	       (long long)((goc_now() - t0) / 1000000), s.moves);
	assert_int_equal(atomic_load(&s.failed), 0);
	goc_wg_destroy(&s.done);
	goc_chan_free(s.ping);
	goc_chan_free(s.pong);
}

/*
 * A task that computes without parking loses its worker's processor to the
 * monitor after 10 ms while another task waits; it must take it back at
 * its next hand-off once the processor is idle again. Otherwise, with one
 * worker, it runs on P-less for good beside whatever it wakes, as if there
 * were two workers, and every hand-off of its goes through the global
 * queue and a thread's wake-up: here, its receiver would wake for each
 * message instead of draining the channel once per monitor take.
 */
enum { BUSY_SENDS = 400, BUSY_GAP_NS = 500000 };

typedef struct busy {
	goc_chan *ch;            /* buffered for every send: the busy task never parks */
	atomic_int sending;      /* the busy task is still running */
	atomic_int waits;        /* receives that found the channel empty meanwhile */
	atomic_int failed;
	goc_wg done;
} busy;

static void spin_until(int64_t t)
{
	while (goc_now() < t) {
	}
}

static void busy_sender(void *p)
{
	busy *b = p;
	spin_until(goc_now() + 30 * 1000000LL); /* a long stretch first, with nobody waiting: the monitor lets it be */
	for (int i = 0; i < BUSY_SENDS; i++) {
		if (goc_chan_send(b->ch, &i, GOC_FOREVER) != GOC_OK)
			atomic_store(&b->failed, 1);
		spin_until(goc_now() + BUSY_GAP_NS);
	}
	atomic_store(&b->sending, 0);
	goc_chan_close(b->ch);
	goc_wg_done(&b->done);
}

static void busy_receiver(void *p)
{
	busy *b = p;
	int v;
	for (;;) {
		bool waits = goc_chan_len(b->ch) == 0 && atomic_load(&b->sending);
		if (goc_chan_recv(b->ch, &v, GOC_FOREVER) != GOC_OK)
			break;
		if (waits)
			atomic_fetch_add(&b->waits, 1);
	}
	goc_wg_done(&b->done);
}

static void test_sched_busy_task_takes_its_worker_back(void **state)
{
	(void)state;
	busy b = { .ch = goc_chan_make(sizeof(int), BUSY_SENDS) };
	assert_non_null(b.ch);
	atomic_init(&b.sending, 1);
	atomic_init(&b.waits, 0);
	atomic_init(&b.failed, 0);
	goc_wg_init(&b.done);
	goc_wg_add(&b.done, 2);
	assert_int_equal(goc_go(busy_receiver, &b), GOC_OK);
	assert_int_equal(goc_go(busy_sender, &b), GOC_OK);
	assert_int_equal(goc_wg_wait(&b.done, goc_test_ms(60000)), GOC_OK);
	int waits = atomic_load(&b.waits);
	printf("the receiver waited %d times for %d messages from its busy sender\n", waits, BUSY_SENDS);
	assert_int_equal(atomic_load(&b.failed), 0);
	/* About once per monitor take (every 10 ms of the 200 ms); P-less, about once per message. */
	assert_true(waits <= BUSY_SENDS / 4);
	goc_wg_destroy(&b.done);
	goc_chan_free(b.ch);
}

/*
 * The floating-point control state (rounding mode: MXCSR and the x87
 * control word on x86-64, the FPCR on AArch64) is a task's own, as the
 * C library's fesetround() promises a thread: two tasks with different
 * modes hand one worker back and forth, and each keeps its mode.
 */
enum { ROUNDING_TRIPS = 2000 };

typedef struct rounder {
	goc_chan *in, *out;
	int mode;
	atomic_int lost;        /* hand-offs after which the mode was not ours */
	goc_wg *done;
} rounder;

static void keep_rounding(void *p)
{
	rounder *r = p;
	if (fesetround(r->mode) != 0)
		atomic_store(&r->lost, -1);
	for (int i = 0; i < ROUNDING_TRIPS; i++) {
		int v = i;
		if (goc_chan_send(r->out, &v, GOC_FOREVER) != GOC_OK || goc_chan_recv(r->in, &v, GOC_FOREVER) != GOC_OK)
			break;
		if (fegetround() != r->mode)
			atomic_fetch_add(&r->lost, 1);
	}
	goc_wg_done(r->done);
}

static void test_sched_rounding_mode_is_the_tasks_own(void **state)
{
	(void)state;
	goc_chan *ab = goc_chan_make(sizeof(int), 1), *ba = goc_chan_make(sizeof(int), 1);
	goc_wg done;
	goc_wg_init(&done);
	goc_wg_add(&done, 2);
	rounder up = { .in = ba, .out = ab, .mode = FE_UPWARD, .done = &done };
	rounder down = { .in = ab, .out = ba, .mode = FE_DOWNWARD, .done = &done };
	atomic_init(&up.lost, 0);
	atomic_init(&down.lost, 0);
	assert_int_equal(goc_go(keep_rounding, &up), GOC_OK);
	assert_int_equal(goc_go(keep_rounding, &down), GOC_OK);
	assert_int_equal(goc_wg_wait(&done, goc_test_ms(60000)), GOC_OK);
	assert_int_equal(atomic_load(&up.lost), 0);
	assert_int_equal(atomic_load(&down.lost), 0);
	assert_int_equal(fegetround(), FE_TONEAREST); /* main's, untouched */
	goc_wg_destroy(&done);
	goc_chan_free(ab);
	goc_chan_free(ba);
}

/* ---- with two workers ------------------------------------------------------- */

enum { MOVERS = 8, MOVES = 2000 };

typedef struct mover {
	goc_chan *in, *out;     /* a ring of movers: receive from in, send to out */
	int id;
	atomic_int threads_seen; /* distinct-thread changes seen */
	atomic_int errno_lost;
	goc_wg *done;
} mover;

static __attribute__((noinline)) int errno_now(void)
{
	return errno;
}

static __attribute__((noinline)) void errno_put(int e)
{
	errno = e;
}

static void move_around(void *p)
{
	mover *m = p;
	pid_t last = gettid();
	for (int i = 0; i < MOVES; i++) {
		int mine = 1000 * m->id + i % 1000 + 1;
		errno_put(mine);
		int v = i;
		/* A send and a receive on unbuffered channels: two parks, on whichever worker. */
		if (goc_chan_send(m->out, &v, GOC_FOREVER) != GOC_OK ||
		    goc_chan_recv(m->in, &v, GOC_FOREVER) != GOC_OK)
			break;
		if (errno_now() != mine)
			atomic_fetch_add(&m->errno_lost, 1);
		pid_t now = gettid();
		if (now != last)
			atomic_fetch_add(&m->threads_seen, 1);
		last = now;
	}
	goc_wg_done(m->done);
}

/* errno set before a park reads the same after it, on whatever thread the task resumed. */
static void test_sched_errno_survives_moves(void **state)
{
	(void)state;
	goc_chan *ch[MOVERS];
	mover m[MOVERS];
	goc_wg done;
	goc_wg_init(&done);
	goc_wg_add(&done, MOVERS);
	for (int i = 0; i < MOVERS; i++)
		ch[i] = goc_chan_make(sizeof(int), 1);
	for (int i = 0; i < MOVERS; i++) {
		m[i] = (mover){ .in = ch[i], .out = ch[(i + 1) % MOVERS], .id = i, .done = &done };
		assert_int_equal(goc_go(move_around, &m[i]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&done, goc_test_ms(60000)), GOC_OK);
	int moved = 0;
	for (int i = 0; i < MOVERS; i++) {
		assert_int_equal(atomic_load(&m[i].errno_lost), 0);
		moved += atomic_load(&m[i].threads_seen);
	}
	printf("tasks changed threads %d times\n", moved);
	if (goc_tasks_procs() >= 2)
		assert_true(moved > 0); /* or the test showed nothing */
	goc_wg_destroy(&done);
	for (int i = 0; i < MOVERS; i++)
		goc_chan_free(ch[i]);
}

typedef struct shorty {
	atomic_int *slots;
	int index;
	goc_wg *done;
} shorty;

static void short_task(void *p)
{
	shorty *s = p;
	/* Fill some stack, as a real task would, on a stack that some earlier task used. */
	volatile char frame[1024];
	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (char)(s->index + (int)i);
	atomic_store_explicit(&s->slots[s->index], frame[7] == (char)(s->index + 7), memory_order_relaxed);
	goc_wg_done(s->done);
}

/*
 * 100,000 short tasks, each on a recycled stack (and struct): all run, and
 * under TSan none is reported racing with the task that used its stack
 * before (each stack is mapped afresh, sched.c).
 */
static void test_sched_many_tasks_reuse_stacks_cleanly(void **state)
{
	(void)state;
	long n = goc_test_scaled(100000);
	atomic_int *slots = calloc((size_t)n, sizeof *slots);
	shorty *args = calloc((size_t)n, sizeof *args);
	assert_non_null(slots);
	assert_non_null(args);
	goc_wg done;
	goc_wg_init(&done);
	goc_wg_add(&done, n);
	for (long i = 0; i < n; i++) {
		args[i] = (shorty){ slots, (int)i, &done };
		assert_int_equal(goc_go(short_task, &args[i]), GOC_OK);
	}
	assert_int_equal(goc_wg_wait(&done, goc_test_ms(120000)), GOC_OK);
	for (long i = 0; i < n; i++)
		assert_int_equal(atomic_load_explicit(&slots[i], memory_order_relaxed), 1);
	goc_wg_destroy(&done);
	free(args);
	free(slots);
}

/*
 * A thread that is not a task (the test's own) wakes a crowd of tasks with
 * one close: they reach the worker through the global queue, each once.
 * (Once, the worker's periodic look at that queue took a share of it into
 * a local queue already full, whose overflow went back: a close releasing
 * a million tasks moved each through the global queue 7 times.)
 */
enum { CROWD = 5000 };

typedef struct crowd {
	goc_chan *gate;
	atomic_int parked;      /* members about to receive */
	atomic_int closed_seen; /* members whose receive reported the close */
	goc_wg done;
} crowd;

static void crowd_member(void *p)
{
	crowd *c = p;
	int v;
	atomic_fetch_add(&c->parked, 1);
	if (goc_chan_recv(c->gate, &v, GOC_FOREVER) == GOC_CLOSED)
		atomic_fetch_add(&c->closed_seen, 1);
	goc_wg_done(&c->done);
}

static void test_sched_woken_crowd_queued_once(void **state)
{
	(void)state;
	crowd c = { .gate = goc_chan_make(sizeof(int), 0) };
	assert_non_null(c.gate);
	atomic_init(&c.parked, 0);
	atomic_init(&c.closed_seen, 0);
	goc_wg_init(&c.done);
	goc_wg_add(&c.done, CROWD);
	for (int i = 0; i < CROWD; i++)
		assert_int_equal(goc_go(crowd_member, &c), GOC_OK);
	int64_t deadline = goc_test_ms(60000);
	while (atomic_load(&c.parked) < CROWD && goc_now() < deadline)
		usleep(1000);
	assert_int_equal(atomic_load(&c.parked), CROWD);
	size_t before = goc__sched_globq_puts();
	goc_chan_close(c.gate);
	assert_int_equal(goc_wg_wait(&c.done, goc_test_ms(60000)), GOC_OK);
	size_t puts = goc__sched_globq_puts() - before;
	printf("%d tasks woken by a thread went on the global queue %zu times\n", CROWD, puts);
	assert_int_equal(atomic_load(&c.closed_seen), CROWD);
	assert_true(puts <= CROWD + CROWD / 10);
	goc_wg_destroy(&c.done);
	goc_chan_free(c.gate);
}

int main(int argc, char **argv)
{
	int procs = argc > 1 && strcmp(argv[1], "two") == 0 ? 2 : 1;
	if (argc != 2 || (strcmp(argv[1], "one") != 0 && strcmp(argv[1], "two") != 0)) {
		fprintf(stderr, "usage: sched_test one|two\n");
		return 2;
	}
	if (goc_tasks_use(GOC_TASKS_MN, procs) != GOC_OK) {
		printf("the M:N scheduler is not built for this machine: nothing to test\n");
		return 0;
	}
	const struct CMUnitTest one[] = {
		cmocka_unit_test_setup_teardown(test_sched_pingpong_does_not_starve_a_third, goc_test_setup,
		                                goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_blocked_worker_noticed, goc_test_setup, goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_blocking_begin_hands_over, goc_test_setup, goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_spawn_loop_yields_to_its_queue, goc_test_setup, goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_park_inside_blocking_section, goc_test_setup,
		                                goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_busy_task_takes_its_worker_back, goc_test_setup,
		                                goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_rounding_mode_is_the_tasks_own, goc_test_setup,
		                                goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_errno_survives_moves, goc_test_setup, goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_woken_crowd_queued_once, goc_test_setup, goc_test_teardown),
	};
	const struct CMUnitTest two[] = {
		cmocka_unit_test_setup_teardown(test_sched_errno_survives_moves, goc_test_setup, goc_test_teardown),
		cmocka_unit_test_setup_teardown(test_sched_many_tasks_reuse_stacks_cleanly, goc_test_setup,
		                                goc_test_teardown),
	};
	if (procs == 1)
		return cmocka_run_group_tests_name("sched_test one", one, NULL, NULL);
	return cmocka_run_group_tests_name("sched_test two", two, NULL, NULL);
}
