/*
 * workerpool_main.c - the workerpool target, goc's standard workload W5: a
 * producer feeds the ints 1..N to a pool of workers through a jobs queue
 * (capacity 100), the workers write results to a results queue (capacity
 * 100), a closer closes the results once the workers are done, and the
 * main thread sums them. Job A (--job square) squares the int; job B
 * (--job xorshift) runs 2,000 rounds of xorshift64 on it. The run is timed
 * from the call into the pool to its return (every task started and joined
 * inside), then verified: every job run and collected once (the pool's
 * report and our own count) and the exact sum of the results, computed
 * apart from the pool: a plain serial sum for job A, and for job
 * B the 64x64 bit matrix that 2,000 rounds of xorshift64 amount to (the
 * generator is linear over GF(2)), applied by table lookups instead of
 * rerunning 400 million rounds. scenarios/go/workerpool is the same program
 * in Go, with the same command line and the same line of output.
 */
#include <inttypes.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "workerpool.h"

/* Sums of results are taken mod 2^64; sizes are bounded for sanity only. */
#define WP_MAX_JOBS UINT64_C(1000000000)
#define WP_MAX_WORKERS UINT64_C(4096)
#define WP_MAX_QUEUE UINT64_C(16777216)
#define WP_MAX_BATCH UINT64_C(65536)

#define XORSHIFT_ROUNDS 2000

/* ---- the jobs ----------------------------------------------------------------- */

/* Marsaglia's xorshift64 (13, 7, 17), `rounds` times. */
static uint64_t xorshift64(uint64_t x, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	return x;
}

static int work_square(void *arg, goc_ctx *ctx, const void *job, void *result)
{
	(void)arg;
	(void)ctx;
	uint64_t v = *(const uint64_t *)job;
	*(uint64_t *)result = v * v;
	return 0;
}

static int work_xorshift(void *arg, goc_ctx *ctx, const void *job, void *result)
{
	(void)arg;
	(void)ctx;
	*(uint64_t *)result = xorshift64(*(const uint64_t *)job, XORSHIFT_ROUNDS);
	return 0;
}

/*
 * The workload's state. The producer's counter and the collector's sums
 * are written by different threads all run long, so each gets a cache line
 * of its own; the workers touch neither.
 */
typedef struct w5 {
	alignas(64) uint64_t next;  /* the next job to produce; the producer's only */
	uint64_t n;                 /* jobs are 1..n; immutable during the run */
	alignas(64) uint64_t sum;   /* of the results, mod 2^64; the collector's only */
	uint64_t count;             /* results collected; the collector's only */
} w5;

static int next_job(void *arg, void *job)
{
	w5 *w = arg;
	if (w->next > w->n)
		return 0;
	*(uint64_t *)job = w->next++;
	return 1;
}

static int collect_sum(void *arg, const void *result)
{
	w5 *w = arg;
	w->sum += *(const uint64_t *)result;
	w->count++;
	return 0;
}

/* ---- the expected sums ---------------------------------------------------------- */

/* 1^2 + 2^2 + ... + n^2 mod 2^64, one term at a time. */
static uint64_t expected_square_sum(uint64_t n)
{
	uint64_t sum = 0;
	for (uint64_t v = 1; v <= n; v++)
		sum += v * v;
	return sum;
}

/*
 * xorshift64(x, ROUNDS) for every x in 1..n, summed mod 2^64, without
 * running the rounds: each round is linear over GF(2), so ROUNDS of them are
 * one 64x64 bit matrix M, whose column j is xorshift64(1 << j, ROUNDS). M x
 * is then the XOR of the columns of x's set bits, taken a byte at a time
 * from 8 tables of 256 precomputed combinations.
 */
static uint64_t expected_xorshift_sum(uint64_t n)
{
	static uint64_t table[8][256];
	uint64_t column[64];
	for (int j = 0; j < 64; j++)
		column[j] = xorshift64(UINT64_C(1) << j, XORSHIFT_ROUNDS);
	for (int b = 0; b < 8; b++) {
		for (unsigned v = 0; v < 256; v++) {
			uint64_t x = 0;
			for (int k = 0; k < 8; k++)
				if (v >> k & 1)
					x ^= column[b * 8 + k];
			table[b][v] = x;
		}
	}
	uint64_t sum = 0;
	for (uint64_t v = 1; v <= n; v++) {
		uint64_t x = 0;
		for (int b = 0; b < 8; b++)
			x ^= table[b][(v >> (8 * b)) & 0xff];
		sum += x;
	}
	return sum;
}

/* ---- the command line and the run -------------------------------------------------- */

static const char *const variant_names[] = { "chan", "mutexq", "batch", NULL };
static const goc_workerpool_variant variant_values[] = {
	GOC_WORKERPOOL_CHAN, GOC_WORKERPOOL_MUTEXQ, GOC_WORKERPOOL_BATCH
};
static const char *const job_names[] = { "square", "xorshift", NULL };

enum { OPT_VARIANT, OPT_JOB, OPT_WORKERS, OPT_JOBS, OPT_SIZE, OPT_QUEUE, OPT_BATCH };

/* goc_workerpool_run()'s arguments, status and timing, for goc_main(). */
typedef struct pool_call {
	const goc_workerpool_config *cfg;
	goc_workerpool_report *rep;
	goc_status st;
	int64_t t0, t1;
} pool_call;

static void pool_in_task(void *p)
{
	pool_call *c = p;
	c->t0 = probe_now_ns();
	c->st = goc_workerpool_run(c->cfg, goc_ctx_background(), GOC_FOREVER, c->rep);
	c->t1 = probe_now_ns();
}

int main(int argc, char *argv[])
{
	const char *variant = "chan", *job = "square";
	uint64_t workers = 4, jobs = 0, size = 0, queue = 100, batch = 64;
	probe_opt opts[] = {
		[OPT_VARIANT] = { .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		                  .choices = variant_names,
		                  .help = "how jobs and results move (default chan; see below)" },
		[OPT_JOB] = { .name = "--job", .metavar = "J", .kind = PROBE_OPT_STRING, .s = &job,
		              .choices = job_names,
		              .help = "job A squares v, job B runs 2000 rounds of xorshift64 on v (default square)" },
		[OPT_WORKERS] = { .name = "--workers", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &workers,
		                  .min = 1, .max = WP_MAX_WORKERS, .help = "worker tasks (default 4)" },
		[OPT_JOBS] = { .name = "--jobs", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &jobs,
		               .min = 1, .max = WP_MAX_JOBS,
		               .help = "jobs, the ints 1..N (default 1000000 for square, 200000 for xorshift)" },
		[OPT_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		               .min = 1, .max = WP_MAX_JOBS, .help = "the same as --jobs (every target's size flag)" },
		[OPT_QUEUE] = { .name = "--queue", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &queue,
		                .min = 0, .max = WP_MAX_QUEUE,
		                .help = "capacity of the jobs and of the results queue, in elements (batches for "
		                        "batch); 0 = unbuffered, which mutexq takes as 1 (default 100)" },
		[OPT_BATCH] = { .name = "--batch", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &batch,
		                .min = 1, .max = WP_MAX_BATCH,
		                .help = "jobs per channel element, for --variant batch only (default 64)" },
	};
	probe_cli cli = {
		.prog = "workerpool",
		.summary = "a worker pool on libgoc (goc's standard workload W5)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "Variants: chan, libgoc channels (the Go idiom); mutexq, hand-written mutex and\n"
		          "condition-variable queues; batch, channels whose elements are --batch jobs.\n\n"
		          "W5: a producer sends the ints 1..N as jobs to the workers, which send results to\n"
		          "the main thread; a closer closes the results when the workers are done. Checks:\n"
		          "every job run and collected once, and the exact sum of the results mod 2^64\n"
		          "(the check field). Extra fields: workers, queue, batch (batch only), rounds\n"
		          "(xorshift rounds per job: 0 for square) and peak_rss_kb. scenarios/go/workerpool\n"
		          "is the Go baseline with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);

	bool xorshift = strcmp(job, "xorshift") == 0;
	size_t v = 0;
	while (strcmp(variant_names[v], variant) != 0)
		v++;
	goc_workerpool_variant var = variant_values[v];
	if (opts[OPT_JOBS].given && opts[OPT_SIZE].given)
		probe_usage_error("--jobs and --size both set the number of jobs; give one");
	if (opts[OPT_BATCH].given && var != GOC_WORKERPOOL_BATCH)
		probe_usage_error("--batch applies to --variant batch only");
	uint64_t n = opts[OPT_JOBS].given ? jobs : opts[OPT_SIZE].given ? size : xorshift ? 200000 : 1000000;

	static w5 state;
	state.next = 1;
	state.n = n;
	goc_workerpool_config cfg = {
		.variant = var,
		.workers = (size_t)workers,
		.queue = (size_t)queue,
		.batch = (size_t)batch,
		.job_size = sizeof(uint64_t),
		.result_size = sizeof(uint64_t),
		.next = next_job,
		.work = xorshift ? work_xorshift : work_square,
		.collect = collect_sum,
		.arg = &state,
	};
	goc_workerpool_report rep;

	/* In a task, as Go's main is a goroutine: the collector's receives are task to task. */
	pool_call call = { &cfg, &rep, GOC_NOMEM, 0, 0 };
	if (goc_main(pool_in_task, &call) != GOC_OK)
		return probe_error("goc_main: no thread for the pool's driver");
	goc_status st = call.st;
	int64_t t0 = call.t0, t1 = call.t1;

	if (st == GOC_NOMEM)
		return probe_error("goc_workerpool_run: no memory or no threads for %" PRIu64 " workers", workers);
	if (st != GOC_OK)
		return probe_check_failed("goc_workerpool_run: expected ok, got %s (err %d)", goc_status_str(st), rep.err);
	uint64_t expected = xorshift ? expected_xorshift_sum(n) : expected_square_sum(n);
	if (!probe_expect_u64("jobs produced", n, rep.produced) ||
	    !probe_expect_u64("jobs run", n, rep.run) ||
	    !probe_expect_u64("results collected (pool's count)", n, rep.collected) ||
	    !probe_expect_u64("results collected (our count)", n, state.count) ||
	    !probe_expect_u64("sum of results mod 2^64", expected, state.sum))
		return PROBE_EXIT_CHECK;

	probe_result r;
	probe_result_init(&r, "workerpool", variant, n, t1 - t0);
	probe_result_check_u64(&r, state.sum);
	probe_result_add_u64(&r, "workers", workers);
	probe_result_add_u64(&r, "queue", queue);
	if (var == GOC_WORKERPOOL_BATCH)
		probe_result_add_u64(&r, "batch", batch);
	probe_result_add_u64(&r, "rounds", xorshift ? XORSHIFT_ROUNDS : 0);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
