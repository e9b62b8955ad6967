/*
 * task_test.c - tasks: goc_go() runs the function with its argument, the
 * live-task count, ids, the stack size promised in task.h, the task dump,
 * the pool of idle threads (reuse, nothing shared between tasks in turn as
 * TSan sees it, no CPU while idle), and the test support built on them (the
 * leak check and the watchdog), each with a negative control.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "goc/goc.h"
#include "goc_test.h"

typedef struct arg_check {
	int in;
	int out;
	goc_chan *done;
} arg_check;

static void double_it(void *p)
{
	arg_check *a = p;
	a->out = a->in * 2;
	goc_chan_send(a->done, NULL, GOC_FOREVER);
}

static void test_task_runs_fn_with_arg(void **state)
{
	(void)state;
	arg_check a = { .in = 21, .done = goc_chan_make(0, 0) };
	assert_int_equal(goc_go(double_it, &a), GOC_OK);
	assert_int_equal(goc_chan_recv(a.done, NULL, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(a.out, 42);
	goc_chan_free(a.done);
}

/*
 * Blocks on `gate` until it is closed, then reports on `done`. The live
 * count orders nothing (as Go's NumGoroutine), so tests join through `done`
 * before freeing what the tasks used.
 */
typedef struct blocker {
	goc_chan *gate;
	goc_chan *done;
} blocker;

static blocker blocker_make(int n)
{
	return (blocker){ goc_chan_make(0, 0), goc_chan_make(0, (size_t)n) };
}

static void block_on(void *p)
{
	blocker *b = p;
	goc_chan_recv(b->gate, NULL, GOC_FOREVER);
	goc_chan_send(b->done, NULL, GOC_FOREVER);
}

/* Release the n tasks blocked on b, join them, free b. */
static bool blocker_release(blocker *b, int n)
{
	goc_chan_close(b->gate);
	bool joined = true;
	for (int i = 0; i < n; i++)
		joined = joined && goc_chan_recv(b->done, NULL, goc_test_ms(10000)) == GOC_OK;
	goc_chan_free(b->gate);
	goc_chan_free(b->done);
	return joined;
}

static bool wait_live(size_t n)
{
	int64_t deadline = goc_test_ms(10000);
	while (goc_tasks_live() != n && goc_now() < deadline)
		goc_sleep(1000000);
	return goc_tasks_live() == n;
}

static void test_task_live_count_follows_tasks(void **state)
{
	(void)state;
	assert_int_equal(goc_tasks_live(), 0);
	blocker b = blocker_make(5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(goc_go(block_on, &b), GOC_OK);
	assert_int_equal(goc_tasks_live(), 5);
	assert_true(blocker_release(&b, 5));
	assert_true(wait_live(0));
}

static void send_id(void *ch)
{
	uint64_t id = goc_task_id();
	goc_chan_send(ch, &id, GOC_FOREVER);
}

static void test_task_ids_are_unique(void **state)
{
	(void)state;
	enum { N = 50 };
	goc_chan *ids = goc_chan_make(sizeof(uint64_t), N);
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_go(send_id, ids), GOC_OK);
	uint64_t seen[N + 1];
	seen[N] = goc_task_id();
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_chan_recv(ids, &seen[i], goc_test_ms(10000)), GOC_OK);
	for (int i = 0; i <= N; i++) {
		assert_true(seen[i] > 0);
		for (int j = 0; j < i; j++)
			assert_true(seen[i] != seen[j]);
	}
	assert_int_equal(goc_task_id(), seen[N]);
	goc_chan_free(ids);
}

/* A frame of `bytes` on the stack, written and read back: the sum of what it read. */
#define FILL_STACK(name, bytes)                                   \
	static unsigned name(void)                                \
	{                                                         \
		volatile unsigned char big[bytes];                \
		for (size_t i = 0; i < sizeof big; i += 512)      \
			big[i] = (unsigned char)i;                \
		unsigned sum = 0;                                 \
		for (size_t i = 0; i < sizeof big; i += 512)      \
			sum += big[i];                            \
		return sum;                                       \
	}
FILL_STACK(fill_160k, 160 * 1024)
FILL_STACK(fill_40k, 40 * 1024)

/* task.h promises 256 KiB on a thread of the task's own; a task may use most of it. */
static void use_stack_160k(void *ch)
{
	unsigned sum = fill_160k();
	goc_chan_send(ch, &sum, GOC_FOREVER);
}

/* On the M:N scheduler, 64 KiB (GOC_STACK's default). */
static void use_stack_40k(void *ch)
{
	unsigned sum = fill_40k();
	goc_chan_send(ch, &sum, GOC_FOREVER);
}

static void expect_stack_sum(goc_chan *ch, size_t bytes)
{
	unsigned sum = 0, want = 0;
	for (size_t i = 0; i < bytes; i += 512)
		want += (unsigned char)i;
	assert_int_equal(goc_chan_recv(ch, &sum, goc_test_ms(10000)), GOC_OK);
	assert_int_equal(sum, want);
}

static void test_task_stack_holds_160k(void **state)
{
	(void)state;
	goc_chan *ch = goc_chan_make(sizeof(unsigned), 1);
	assert_int_equal(goc_go_thread(use_stack_160k, ch), GOC_OK);
	expect_stack_sum(ch, 160 * 1024);
	if (goc_tasks_kind_now() == GOC_TASKS_THREADS) {
		assert_int_equal(goc_go(use_stack_160k, ch), GOC_OK);
		expect_stack_sum(ch, 160 * 1024);
	} else {
		assert_int_equal(goc_go(use_stack_40k, ch), GOC_OK);
		expect_stack_sum(ch, 40 * 1024);
	}
	goc_chan_free(ch);
}

static void count_one(void *ch)
{
	goc_chan_send(ch, NULL, GOC_FOREVER);
}

static void test_task_many_short_tasks_all_run(void **state)
{
	(void)state;
	long n = goc_test_scaled(10000);
	goc_chan *ch = goc_chan_make(0, 64);
	long got = 0;
	for (long i = 0; i < n; i++) {
		assert_int_equal(goc_go(count_one, ch), GOC_OK);
		/* Drain as we go so that at most 64 tasks wait at once. */
		while (goc_chan_recv(ch, NULL, GOC_NOWAIT) == GOC_OK)
			got++;
	}
	while (got < n && goc_chan_recv(ch, NULL, goc_test_ms(10000)) == GOC_OK)
		got++;
	assert_int_equal(got, n);
	goc_chan_free(ch);
}

static void test_task_dump_shows_what_blocks(void **state)
{
	(void)state;
	blocker b = blocker_make(1);
	assert_int_equal(goc_go(block_on, &b), GOC_OK);
	char want[64];
	snprintf(want, sizeof want, "[chan receive] on %p", (void *)b.gate);
	bool found = false;
	int64_t deadline = goc_test_ms(10000);
	while (!found && goc_now() < deadline) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		assert_non_null(f);
		goc_tasks_dump(f);
		fclose(f);
		found = strstr(text, want) != NULL;
		/* Ids start at 1: a task struct kept for later spawns is not listed. */
		bool unspawned = strstr(text, " 0 [") != NULL;
		free(text);
		assert_false(unspawned);
		if (!found)
			goc_sleep(1000000);
	}
	assert_true(blocker_release(&b, 1));
	assert_true(found);
}

/*
 * Wait, by polling the live count (which orders nothing), until no task is
 * live, and a little more: a task counts as ended as soon as fn returns,
 * and its thread then takes a moment to fall idle in the pool.
 */
static bool wait_idle(void)
{
	bool idle = wait_live(0);
	goc_sleep(10000000);
	return idle;
}

/*
 * What a task leaves behind on its thread: the thread-local errno and a
 * _Thread_local of the program written, and stack memory whose address
 * escaped (to a function that is not inlined) written. The pool must not
 * make TSan see these, when the next task on the thread does the same, as a
 * race between the two tasks: they share a thread, not data.
 */
_Thread_local long task_test_tls; /* not static, so that its updates stay though nothing reads it */
/*
 * The kernel thread id each task ran on: pthread_self() would not do, as
 * glibc hands an exited thread's id to the next new thread.
 */
static atomic_int tid_of[2]; /* relaxed: read by main after both tasks ended */

static __attribute__((noinline)) long fill(long *buf, size_t n, long v)
{
	long sum = 0;
	for (size_t i = 0; i < n; i++) {
		buf[i] = v + (long)i;
		sum += buf[i];
	}
	return sum;
}

static void leave_traces(void *p)
{
	uintptr_t turn = (uintptr_t)p;
	atomic_store_explicit(&tid_of[turn], (int)gettid(), memory_order_relaxed);
	errno = 0;
	task_test_tls += (long)turn;
	long buf[256];
	(void)fill(buf, 256, (long)turn);
}

/*
 * Two tasks in turn, ordered by time alone (the second starts after the
 * live count says the first is done, which is no happens-before edge), run
 * on one thread, and TSan (in the tsan build) reports nothing: each task
 * has its own view of the thread. Its twin with a real race is
 * race_control reuse. The first task's thread is normally the most
 * recently idled, which the pool hands the second; a loaded machine may
 * delay its falling idle, so this tries a few times.
 */
static void test_task_idle_thread_runs_next_task_cleanly(void **state)
{
	(void)state;
	bool reused = false;
	for (int attempt = 0; attempt < 20 && !reused; attempt++) {
		assert_true(wait_idle());
		assert_int_equal(goc_go(leave_traces, (void *)0), GOC_OK);
		assert_true(wait_idle());
		assert_int_equal(goc_go(leave_traces, (void *)1), GOC_OK);
		assert_true(wait_idle());
		reused = atomic_load_explicit(&tid_of[0], memory_order_relaxed) ==
		         atomic_load_explicit(&tid_of[1], memory_order_relaxed);
	}
	/* The M:N scheduler runs tasks on whichever worker is free: the pairs that shared one are the check there. */
	if (goc_tasks_kind_now() != GOC_TASKS_MN)
		assert_true(reused);
}

static void nothing(void *p)
{
	(void)p;
}

static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Idle pooled threads sleep: 100 finished tasks leave the process all but idle. */
static void test_task_idle_threads_use_no_cpu(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(goc_go(nothing, NULL), GOC_OK);
	assert_true(wait_idle()); /* and past any idle spinning */
	int64_t before = cpu_ns();
	goc_sleep(200000000);
	int64_t used = cpu_ns() - before;
	/*
	 * The aim is under 2 ms of CPU per idle second; this allows 2 ms in
	 * 200 ms (5x the aim), as the watchdog and sanitizer threads count too.
	 * Idle threads that spun or yielded would use all 200 ms.
	 */
	if (used >= 2000000)
		fail_msg("%lld ns of CPU in 200 ms idle", (long long)used);
}

/* The process's threads now, from /proc/self/status; -1 if unreadable. */
static long threads_now(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long n = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

#ifndef GOC_TEST_TSAN
/* Poll until the process has at most `most` threads; false after `ms`. */
static bool threads_drop_to(long most, int64_t ms)
{
	int64_t deadline = goc_test_ms(ms);
	while (threads_now() > most && goc_now() < deadline)
		goc_sleep(10000000);
	return threads_now() <= most;
}
#endif

/*
 * The pool keeps at most 64 idle threads (plus up to 4 spinning), and an
 * idle thread exits after 5 s (task.c): 100 tasks that ran at once leave
 * at most 68 threads idle at once, and none after a while. TSan builds
 * keep every pooled thread (task.c says why): there, they are all reused.
 */
static void test_task_idle_threads_are_bounded_and_exit(void **state)
{
	(void)state;
	if (goc_tasks_kind_now() == GOC_TASKS_MN) {
		/* The M:N scheduler: 100 blocked tasks take no thread of their own (workers, the monitor, the timer). */
		enum { N = 100 };
		long before = threads_now();
		blocker b = blocker_make(N);
		for (int i = 0; i < N; i++)
			assert_int_equal(goc_go(block_on, &b), GOC_OK);
		long peak = threads_now();
		assert_true(blocker_release(&b, N));
		assert_true(wait_idle());
		if (peak > before + goc_tasks_procs() + 2)
			fail_msg("%ld threads with %d tasks blocked, %ld before", peak, N, before);
		return;
	}
#ifdef GOC_TEST_TSAN
	enum { M = 20 };
	blocker first = blocker_make(M);
	for (int i = 0; i < M; i++)
		assert_int_equal(goc_go(block_on, &first), GOC_OK);
	assert_true(blocker_release(&first, M));
	assert_true(wait_idle());
	long idle = threads_now();
	blocker again = blocker_make(M);
	for (int i = 0; i < M; i++)
		assert_int_equal(goc_go(block_on, &again), GOC_OK);
	assert_true(blocker_release(&again, M));
	assert_true(wait_idle());
	/* Every task of the second round ran on a kept thread. */
	assert_true(threads_now() <= idle);
#else
	enum { N = 100 };
	blocker b = blocker_make(N);
	for (int i = 0; i < N; i++)
		assert_int_equal(goc_go(block_on, &b), GOC_OK);
	long peak = threads_now();
	assert_true(peak >= N);
	assert_true(blocker_release(&b, N));
	assert_true(wait_idle());
	assert_true(threads_drop_to(peak - N + 68, 4000));
	assert_true(threads_drop_to(peak - N, 20000));
#endif
}

static void child_of_fork(void *p)
{
	(void)p;
	_exit(42);
}

/* The fork child's part: its task exits it with 42; the parent's idle threads are not there to run it. */
static int fork_child_starts_a_task(void)
{
	goc_go(child_of_fork, NULL);
	goc_sleep(10000000000);
	return 1;
}

/*
 * fork() copies the pool's idle list but not its threads: a child must
 * start its tasks on threads of its own.
 */
static void test_task_fork_child_starts_tasks(void **state)
{
	(void)state;
	if (!goc_test_fork_starts_threads())
		skip();
	for (int i = 0; i < 8; i++)
		assert_int_equal(goc_go(nothing, NULL), GOC_OK);
	assert_true(wait_idle());
	assert_int_equal(goc_test_fork_run(fork_child_starts_a_task, 20000), 42);
}

/* Dump the tasks until told to stop: the registry's lock is held much of the time. */
static void *churn_dumps(void *arg)
{
	atomic_bool *stop = arg;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull) {
		perror("churn_dumps: fopen /dev/null"); /* no churn would leave the test nothing to find */
		abort();
	}
	while (!atomic_load(stop))
		goc_tasks_dump(devnull);
	fclose(devnull);
	return NULL;
}

static void send_one(void *ch)
{
	int one = 1;
	goc_chan_send(ch, &one, GOC_FOREVER);
}

/* The fork child's part: a task on a thread of its own, which records itself. */
static int fork_child_runs_a_task(void)
{
	goc_chan *ch = goc_chan_make(sizeof(int), 0);
	int got = 0;
	if (!ch || goc_go(send_one, ch) != GOC_OK)
		return 1;
	if (goc_chan_recv(ch, &got, goc_deadline_after(5000000000LL)) != GOC_OK || got != 1)
		return 2;
	return 0;
}

/*
 * A child of fork() starts tasks, though another thread of its parent was
 * dumping the task registry at the fork (so held its lock, which every new
 * thread takes to record itself).
 */
static void test_task_fork_child_while_another_thread_dumps(void **state)
{
	(void)state;
	if (!goc_test_fork_starts_threads())
		skip();
	int step = goc_test_fork_beside(churn_dumps, fork_child_runs_a_task, (int)goc_test_scaled(100));
	if (step == -1)
		fail_msg("a fork child hung starting its first task");
	assert_int_equal(step, 0);
}

/* The leak check itself: a task alive at teardown fails the test. */
static void test_leak_check_flags_live_task(void **state)
{
	blocker b = blocker_make(1);
	assert_int_equal(goc_go(block_on, &b), GOC_OK);
	setenv("GOC_TEST_LEAK_WAIT_MS", "50", 1);
	int verdict = goc_test_teardown(state);
	unsetenv("GOC_TEST_LEAK_WAIT_MS");
	goc_test_setup(state);
	assert_true(blocker_release(&b, 1));
	assert_int_not_equal(verdict, 0);
	assert_int_equal(goc_test_teardown(state), 0);
}

static void child_hangs(void)
{
	setenv("GOC_TEST_WATCHDOG", "1", 1);
	goc_test_setup(NULL);
	blocker b = blocker_make(1);
	goc_go(block_on, &b);
	goc_chan_recv(b.gate, NULL, GOC_FOREVER);
}

/* The watchdog: a hung test dies with a dump of what was blocked. */
static void test_watchdog_aborts_hang_with_dump(void **state)
{
	(void)state;
	goc_test_expect_death("hangs", "watchdog: the test is still running");
	goc_test_expect_death("hangs", "[chan receive]");
}

static const goc_test_child children[] = {
	{ "hangs", child_hangs },
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	goc_test_children(argc, argv, children);
	const struct CMUnitTest tests[] = {
		GOC_TEST(test_task_runs_fn_with_arg),
		GOC_TEST(test_task_live_count_follows_tasks),
		GOC_TEST(test_task_ids_are_unique),
		GOC_TEST(test_task_stack_holds_160k),
		GOC_TEST(test_task_many_short_tasks_all_run),
		GOC_TEST(test_task_dump_shows_what_blocks),
		GOC_TEST(test_task_idle_thread_runs_next_task_cleanly),
		GOC_TEST(test_task_idle_threads_use_no_cpu),
		GOC_TEST(test_task_idle_threads_are_bounded_and_exit),
		GOC_TEST(test_task_fork_child_starts_tasks),
		GOC_TEST(test_task_fork_child_while_another_thread_dumps),
		GOC_TEST(test_leak_check_flags_live_task),
		GOC_TEST(test_watchdog_aborts_hang_with_dump),
	};
	return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
