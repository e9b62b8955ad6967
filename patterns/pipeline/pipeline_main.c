/*
 * pipeline_main.c - the pipeline target, standard workload W6: generate
 * 1..N -> square -> filter(even) -> sum, each stage a task, over unbuffered
 * channels (variant unbuffered), channels of capacity --cap (buffered, 128
 * by default) or channels of arrays of --batch items (batched). --take K
 * makes the consumer take the first K results and cancel the pipeline;
 * --fail-every K makes the square stage fail every item whose id is a
 * multiple of K, and those errors must reach the sink with their ids. Each
 * run is timed from the pipeline's making to the return of its last stage,
 * verified exactly (the sum is kept in 128 bits and compared with the closed
 * form, or with a count for --take), and only then printed as one JSON line.
 * scenarios/go/pipeline is the same program in Go.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pipeline.h"
#include "probe.h"

/* Squares of values above 2^32 - 1 overflow 64 bits (the square stage fails them). */
#define PIPELINE_MAX_SIZE UINT64_C(4294967295)
/* 16 Mi elements: room enough, and no accidental 100 GB buffer. */
#define PIPELINE_MAX_CAP UINT64_C(16777216)

#define DEFAULT_SIZE UINT64_C(1000000)
#define DEFAULT_CAP UINT64_C(128)
#define DEFAULT_BATCH UINT64_C(128)

/* The error the square stage gives the items --fail-every picks. */
static const char injected[] = "injected failure";

/* What the sink saw of failed items; main's thread only (goc_pipe_sum calls back on it). */
typedef struct fail_log {
	uint64_t every;       /* --fail-every */
	uint64_t count;
	goc_pipe_u128 id_sum; /* the sum of the failed ids: with count, their identity */
	uint64_t wrong;       /* failed items that were not the injected ones, or misattributed */
	uint64_t first_wrong; /* the id of the first such */
} fail_log;

static void on_fail(void *arg, const goc_pipe_item *item)
{
	fail_log *log = arg;
	log->count++;
	log->id_sum += item->id;
	bool right = log->every && item->id % log->every == 0 && item->err == injected &&
	             item->stage && strcmp(item->stage, "square") == 0;
	if (!right && log->wrong++ == 0)
		log->first_wrong = item->id;
}

/* The square stage with failures injected: every item whose id is a multiple of *arg fails. */
static goc_pipe_verdict square_or_fail(void *arg, goc_pipe_item *item)
{
	const uint64_t *every = arg;
	if (item->id % *every == 0) {
		item->err = injected;
		return GOC_PIPE_FAIL;
	}
	return goc_pipe_square_fn(NULL, item);
}

/* 1^2 + 2^2 + ... + k^2 = k (k + 1)(2k + 1) / 6. */
static goc_pipe_u128 squares_to(uint64_t k)
{
	goc_pipe_u128 m = k;
	return m * (m + 1) * (2 * m + 1) / 6;
}

/* 1 + 2 + ... + k. */
static goc_pipe_u128 sum_to(uint64_t k)
{
	goc_pipe_u128 m = k;
	return m * (m + 1) / 2;
}

/* What the sink must see: the same fields as goc_pipe_totals, plus the failed ids. */
typedef struct expected {
	goc_pipe_totals t;
	goc_pipe_u128 failed_id_sum;
} expected;

/*
 * The expected result, computed independently of the pipeline. Without
 * --take, in closed form: the even ids that did not fail are the even ones
 * minus the multiples of lcm(2, K); the failed ids are the multiples of K.
 * With --take, by walking the ids in order (the pipeline keeps order: one
 * task per stage, FIFO channels), which takes at most 2 * take steps since
 * every even id is a result.
 */
static expected expect_for(uint64_t n, uint64_t take, uint64_t every)
{
	expected e = { { 0 }, 0 };
	if (take == 0) {
		e.t.sum = goc_pipe_even_squares(n);
		e.t.ok = n / 2;
		e.t.last_id = n - n % 2;
		if (every) {
			uint64_t l = every % 2 == 0 ? every : 2 * every;
			goc_pipe_u128 l2 = (goc_pipe_u128)l * l;
			e.t.sum -= l2 * squares_to(n / l);
			e.t.ok -= n / l;
			e.t.failed = n / every;
			e.failed_id_sum = every * sum_to(n / every);
			if (n / every * every > e.t.last_id)
				e.t.last_id = n / every * every;
		}
		return e;
	}
	for (uint64_t id = 1; id <= n && e.t.ok + e.t.failed < take; id++) {
		if (every && id % every == 0) {
			e.t.failed++;
			e.failed_id_sum += id;
		} else if (id % 2 == 0) {
			e.t.ok++;
			e.t.sum += (goc_pipe_u128)id * id;
		} else {
			continue;
		}
		e.t.last_id = id;
	}
	e.t.limited = e.t.ok + e.t.failed == take;
	return e;
}

/* Compare one 128-bit figure; print expected and got when they differ. */
static bool expect_u128(const char *what, goc_pipe_u128 want, goc_pipe_u128 got)
{
	if (want == got)
		return true;
	char w[40], g[40];
	probe_check_failed("%s: expected %s, got %s", what, goc_pipe_u128_str(want, w, sizeof w),
	                   goc_pipe_u128_str(got, g, sizeof g));
	return false;
}

typedef struct config {
	const char *variant;
	uint64_t size, cap, batch, take, every;
} config;

/* Build the pipeline, consume it, join it: the timed part. */
static int run(const config *c, goc_pipe_totals *totals, fail_log *log, int64_t *elapsed)
{
	int64_t t0 = probe_now_ns();
	goc_pipe *p = goc_pipe_make(NULL, (size_t)c->cap, (size_t)c->batch);
	if (!p)
		return probe_error("out of memory making the pipeline");
	goc_chan *gen, *sq, *even;
	goc_status st = goc_pipe_generate(p, 1, c->size, &gen);
	if (st == GOC_OK)
		st = c->every ? goc_pipe_stage(p, gen, "square", square_or_fail, (void *)&c->every, &sq)
		              : goc_pipe_square(p, gen, &sq);
	if (st == GOC_OK)
		st = goc_pipe_filter_even(p, sq, &even);
	if (st == GOC_OK)
		st = goc_pipe_sum(p, even, c->take, on_fail, log, totals);
	if (st == GOC_OK)
		st = goc_pipe_wait(p, GOC_FOREVER);
	int64_t t1 = probe_now_ns();
	/* On every path: cancel what still runs, join it, free the channels. */
	goc_pipe_free(p);
	if (st != GOC_OK)
		return probe_error("the pipeline could not run: %s", goc_status_str(st));
	*elapsed = t1 - t0;
	return PROBE_EXIT_OK;
}

static int verify(const config *c, const goc_pipe_totals *got, const fail_log *log)
{
	expected e = expect_for(c->size, c->take, c->every);
	if (!expect_u128("sum of the even squares", e.t.sum, got->sum) ||
	    !probe_expect_u64("items summed", e.t.ok, got->ok) ||
	    !probe_expect_u64("failed items at the sink", e.t.failed, got->failed) ||
	    !probe_expect_u64("failed items reported", e.t.failed, log->count) ||
	    !expect_u128("sum of the failed ids", e.failed_id_sum, log->id_sum) ||
	    !probe_expect_u64("id of the last item taken", e.t.last_id, got->last_id) ||
	    !probe_expect_u64("canceled after --take", e.t.limited, got->limited))
		return PROBE_EXIT_CHECK;
	if (log->wrong)
		return probe_check_failed("%" PRIu64 " failed items with the wrong id, error or stage; "
		                          "the first is id %" PRIu64, log->wrong, log->first_wrong);
	return PROBE_EXIT_OK;
}

static const char *const variants[] = { "unbuffered", "buffered", "batched", NULL };

/* run()'s arguments and result, for goc_main(). */
typedef struct run_call {
	config *c;
	goc_pipe_totals *totals;
	fail_log *log;
	int64_t *elapsed;
	int rc;
} run_call;

static void run_in_task(void *p)
{
	run_call *call = p;
	call->rc = run(call->c, call->totals, call->log, call->elapsed);
}

int main(int argc, char *argv[])
{
	const char *variant = "buffered";
	uint64_t size = DEFAULT_SIZE, cap = DEFAULT_CAP, batch = DEFAULT_BATCH, take = 0, every = 0;
	probe_opt opts[] = {
		{ .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		  .choices = variants,
		  .help = "the variant (default buffered); buffered takes --cap, batched --batch and --cap" },
		{ .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = PIPELINE_MAX_SIZE,
		  .help = "generate 1..N (default 1000000)" },
		{ .name = "--cap", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &cap,
		  .min = 0, .max = PIPELINE_MAX_CAP,
		  .help = "channel capacity: buffered 1 or more (default 128), batched 0 or more (default 128 batches)" },
		{ .name = "--batch", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &batch,
		  .min = 1, .max = GOC_PIPE_MAX_BATCH,
		  .help = "items per channel element, batched only (default 128)" },
		{ .name = "--take", .metavar = "K", .kind = PROBE_OPT_UINT, .u = &take,
		  .min = 0, .max = PIPELINE_MAX_SIZE,
		  .help = "take the first K results, then cancel the pipeline (default 0: all)" },
		{ .name = "--fail-every", .metavar = "K", .kind = PROBE_OPT_UINT, .u = &every,
		  .min = 0, .max = PIPELINE_MAX_SIZE,
		  .help = "the square stage fails the items whose id is a multiple of K (default 0: none)" },
	};
	enum { O_VARIANT, O_SIZE, O_CAP, O_BATCH, O_TAKE, O_EVERY };
	probe_cli cli = {
		.prog = "pipeline",
		.summary = "W6 pipeline: generate 1..N -> square -> filter(even) -> sum, each stage a task (libgoc)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "The check is the sum of the even squares of 1..N (without the failed items; of the\n"
		          "first K results with --take), summed in 128-bit arithmetic and compared exactly with\n"
		          "its closed form (a walk over the ids with --take); it is a JSON integer, or a\n"
		          "decimal string past 2^64 - 1 (N above about 4.8 million). ops is N, or with\n"
		          "--take the ids the K results covered. Extra fields: cap, batch, take, fail_every,\n"
		          "failed (items that reached the sink failed), peak_rss_kb. scenarios/go/pipeline\n"
		          "is the Go baseline, with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);

	bool unbuffered = strcmp(variant, "unbuffered") == 0, batched = strcmp(variant, "batched") == 0;
	if (unbuffered && opts[O_CAP].given)
		probe_usage_error("--cap does not apply to the unbuffered variant (its capacity is 0)");
	if (!batched && opts[O_BATCH].given)
		probe_usage_error("--batch applies only to the batched variant");
	if (!unbuffered && !batched && cap == 0)
		probe_usage_error("--cap: 0 is the unbuffered variant; buffered needs 1 or more");
	if (unbuffered)
		cap = 0;
	if (!batched)
		batch = 1;

	config c = { variant, size, cap, batch, take, every };
	goc_pipe_totals totals = { 0 };
	fail_log log = { .every = every };
	int64_t elapsed = 0;
	run_call call = { &c, &totals, &log, &elapsed, PROBE_EXIT_CHECK };
	/* In a task, as Go's main is a goroutine: the sum stage's receives are task to task. */
	if (goc_main(run_in_task, &call) != GOC_OK)
		return probe_error("goc_main: no thread for the pipeline's driver");
	int rc = call.rc;
	if (rc != PROBE_EXIT_OK)
		return rc;
	if ((rc = verify(&c, &totals, &log)) != PROBE_EXIT_OK)
		return rc;

	probe_result r;
	probe_result_init(&r, "pipeline", variant, totals.limited ? totals.last_id : size, elapsed);
	/* Static: probe keeps the pointer until the line is printed. */
	static char digits[40];
	if (totals.sum <= UINT64_MAX)
		probe_result_check_u64(&r, (uint64_t)totals.sum);
	else
		probe_result_check_str(&r, goc_pipe_u128_str(totals.sum, digits, sizeof digits));
	probe_result_add_u64(&r, "cap", cap);
	probe_result_add_u64(&r, "batch", batch);
	probe_result_add_u64(&r, "take", take);
	probe_result_add_u64(&r, "fail_every", every);
	probe_result_add_u64(&r, "failed", totals.failed);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
