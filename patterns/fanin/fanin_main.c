/*
 * fanin_main.c - the fanin target, standard workload W7: P producers (4)
 * each send their share of the ints 1..N (1,000,000) on their own channel
 * and close it; a merge copies the P channels into one, closing it after the
 * last input; the main thread receives until it is closed, counting,
 * summing and xor-ing what it got. Every channel has capacity C (128).
 * The variant is the merge: `merge-tasks` (a forwarding task per input and a
 * WaitGroup closer) or `merge-select` (one task selecting over the inputs,
 * with Go's nil-channel trick for the closed ones), or `merge-batch`, which
 * is merge-tasks over channels whose elements are batches of up to B ints
 * (128), to show what batching buys. A run is timed from the
 * first task started to the last one joined, and checks that the values out
 * are the values in (count, sum and xor of 1..N, and the merge's own counts)
 * before it prints its one JSON line. scenarios/go/fanin is the same program
 * in Go, with the same command line and the same line of output.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <goc/goc.h>

#include "fanin.h"
#include "probe.h"

/* Sizes past this would overflow the uint64_t sum of 1..N. */
#define FANIN_MAX_SIZE UINT64_C(1000000000)
/* Each producer is a thread with its own channel; past this it measures the OS. */
#define FANIN_MAX_PRODUCERS UINT64_C(256)
/*
 * 1 Mi ints of 8 bytes buffered per channel (--cap times --batch for
 * merge-batch), P + 1 channels: room, and no 100 GB by mistake.
 */
#define FANIN_MAX_CAP UINT64_C(1048576)
#define FANIN_MAX_CHAN_INTS FANIN_MAX_CAP

/* Ints per batch: 32 KiB elements at most, so that a ring of --cap of them stays thinkable. */
#define FANIN_MAX_BATCH UINT64_C(4096)

#define FANIN_DEFAULT_SIZE UINT64_C(1000000)
#define FANIN_DEFAULT_PRODUCERS UINT64_C(4)
#define FANIN_DEFAULT_CAP UINT64_C(128)
#define FANIN_DEFAULT_BATCH UINT64_C(128)

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

/* The sum 1 + 2 + ... + n. */
static uint64_t sum_to(uint64_t n)
{
	return n % 2 == 0 ? n / 2 * (n + 1) : (n + 1) / 2 * n;
}

/* The xor 1 ^ 2 ^ ... ^ n, which repeats with period 4. */
static uint64_t xor_to(uint64_t n)
{
	switch (n % 4) {
	case 0: return n;
	case 1: return 1;
	case 2: return n + 1;
	default: return 0;
	}
}

/* merge-batch's channel element: n ints, then room up to the run's batch size. */
typedef struct fanin_batch {
	uint64_t n;
	int64_t v[];
} fanin_batch;

static size_t batch_elem_size(size_t batch)
{
	return offsetof(fanin_batch, v) + batch * sizeof(int64_t);
}

typedef struct producer {
	goc_chan *ch;       /* its own input of the merge; it closes it */
	uint64_t from, to;  /* sends from..to inclusive; set before goc_go(), read-only after */
	size_t batch;       /* 0: one int per element; else ints per fanin_batch */
	fanin_batch *buf;   /* batch > 0: the element being filled, this producer's own */
	goc_wg *done;       /* every producer has returned */
} producer;

static void send_or_die(goc_chan *ch, const void *elem)
{
	goc_status st = goc_chan_send(ch, elem, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_chan_send", st);
}

/* Send from..to, one int or one batch at a time, then close: the merge's input ends with GOC_CLOSED. */
static void produce_task(void *arg)
{
	producer *p = arg;
	for (uint64_t i = p->from; i <= p->to; i++) {
		int64_t v = (int64_t)i;
		if (!p->batch) {
			send_or_die(p->ch, &v);
			continue;
		}
		p->buf->v[p->buf->n++] = v;
		if (p->buf->n == p->batch || i == p->to) {
			send_or_die(p->ch, p->buf);
			p->buf->n = 0;
		}
	}
	goc_chan_close(p->ch);
	goc_wg_done(p->done);
}

/* The channel elements a producer of from..to sends: one per int, or per batch of up to `batch`. */
static uint64_t elements_for(uint64_t from, uint64_t to, size_t batch)
{
	uint64_t ints = to >= from ? to - from + 1 : 0;
	return batch ? (ints + batch - 1) / batch : ints;
}

typedef struct fanin_run {
	uint64_t elements;          /* channel elements the producers sent: the merge must pass each on */
	uint64_t count, sum, xor;   /* what the main thread received */
	goc_status merged;          /* goc_merge_wait()'s final status */
	goc_fan_counts counts;      /* the merge's own accounting, in elements */
	bool bad;                   /* merge-batch: a batch came with a count outside 1..batch */
	uint64_t bad_batch;         /* the last such count */
	int64_t elapsed_ns;
} fanin_run;

static void free_run_memory(goc_chan **ins, producer *prod, size_t nprod, goc_chan *out, fanin_batch *got)
{
	for (size_t p = 0; ins && p < nprod; p++)
		goc_chan_free(ins[p]);
	for (size_t p = 0; prod && p < nprod; p++)
		free(prod[p].buf);
	goc_chan_free(out);
	free(ins);
	free(prod);
	free(got);
}

/*
 * Producer p sends its share of 1..n (the last one takes the remainder, so
 * with more producers than values the others send nothing), one int per
 * element, or (batch > 0) in batches. The merge runs without a context:
 * nothing cancels W7, and that keeps it on plain channel operations, as the
 * Go baseline's merge is.
 */
static int run_fanin(goc_merge_how how, uint64_t n, size_t nprod, size_t cap, size_t batch, fanin_run *run)
{
	size_t elem_size = batch ? batch_elem_size(batch) : sizeof(int64_t);
	goc_chan **ins = calloc(nprod, sizeof *ins);
	producer *prod = calloc(nprod, sizeof *prod);
	goc_chan *out = goc_chan_make(elem_size, cap);
	fanin_batch *got = batch ? malloc(elem_size) : NULL;
	bool made = ins && prod && out && (!batch || got);
	for (size_t p = 0; made && p < nprod; p++) {
		ins[p] = goc_chan_make(elem_size, cap);
		prod[p].buf = batch ? calloc(1, elem_size) : NULL; /* n = 0: an empty batch */
		made = ins[p] && (!batch || prod[p].buf);
	}
	if (!made) {
		free_run_memory(ins, prod, nprod, out, got);
		return probe_error("out of memory making %zu channels of capacity %zu, %zu-byte elements", nprod + 1,
		                   cap, elem_size);
	}
	goc_wg produced;
	goc_wg_init(&produced);
	uint64_t share = n / nprod;
	run->elements = 0;
	for (size_t p = 0; p < nprod; p++) {
		prod[p].ch = ins[p];
		prod[p].from = p * share + 1;
		prod[p].to = p == nprod - 1 ? n : (p + 1) * share;
		prod[p].batch = batch;
		prod[p].done = &produced;
		run->elements += elements_for(prod[p].from, prod[p].to, batch);
	}

	goc_merge *m = NULL;
	int64_t t0 = probe_now_ns();
	if (goc_merge_start(&m, how, NULL, ins, nprod, out) != GOC_OK)
		return probe_error("goc_merge_start: no memory or no thread for the merge");
	/*
	 * A half-started workload cannot be unwound (the merge waits on inputs
	 * nobody will close), so a spawn failure reports and returns from main,
	 * which ends the tasks with the process.
	 */
	goc_wg_add(&produced, (int64_t)nprod);
	for (size_t p = 0; p < nprod; p++)
		if (goc_go(produce_task, &prod[p]) != GOC_OK)
			return probe_error("goc_go: no thread for producer %zu", p);

	uint64_t count = 0, sum = 0, x = 0, bad_batch = 0;
	bool bad = false;
	int64_t v;
	goc_status st;
	while ((st = goc_chan_recv(out, batch ? (void *)got : &v, GOC_FOREVER)) == GOC_OK) {
		if (!batch) {
			count++;
			sum += (uint64_t)v;
			x ^= (uint64_t)v;
			continue;
		}
		if (got->n == 0 || got->n > batch) {
			bad = true; /* a torn or corrupt element: reported, never read past */
			bad_batch = got->n;
			continue;
		}
		for (uint64_t k = 0; k < got->n; k++) {
			count++;
			sum += (uint64_t)got->v[k];
			x ^= (uint64_t)got->v[k];
		}
	}
	if (st != GOC_CLOSED)
		libgoc_bug("goc_chan_recv", st);
	st = goc_wg_wait(&produced, GOC_FOREVER);
	if (st != GOC_OK)
		libgoc_bug("goc_wg_wait", st);
	run->merged = goc_merge_wait(m, GOC_FOREVER);
	int64_t t1 = probe_now_ns();

	run->counts = goc_merge_counts(m);
	run->bad = bad;
	run->bad_batch = bad_batch;
	run->count = count;
	run->sum = sum;
	run->xor = x;
	run->elapsed_ns = t1 - t0;
	goc_merge_free(m);
	goc_wg_destroy(&produced);
	free_run_memory(ins, prod, nprod, out, got);
	return PROBE_EXIT_OK;
}

/*
 * The values out must be the values in, as a multiset: the count, the sum
 * and the xor of 1..n all match only if nothing was lost, duplicated or
 * changed (a loss and a duplicate that cancel in the sum still show in the
 * count or the xor). The merge's own accounting, in channel elements, must
 * agree with what the producers sent.
 */
static bool verify(const fanin_run *run, uint64_t n)
{
	if (run->merged != GOC_OK) {
		probe_check_failed("the merge ended with %s, expected %s", goc_status_str(run->merged),
		                   goc_status_str(GOC_OK));
		return false;
	}
	if (run->bad) {
		probe_check_failed("fanin received a batch of %" PRIu64 " ints, expected 1 to the batch size",
		                   run->bad_batch);
		return false;
	}
	return probe_expect_u64("fanin values received", n, run->count) &&
	       probe_expect_u64("fanin sum of received", sum_to(n), run->sum) &&
	       probe_expect_u64("fanin xor of received", xor_to(n), run->xor) &&
	       probe_expect_u64("fanin elements the merge took from its inputs", run->elements, run->counts.received) &&
	       probe_expect_u64("fanin elements the merge delivered", run->elements, run->counts.sent);
}

static const char *const variants[] = { "merge-tasks", "merge-select", "merge-batch", NULL };

enum { O_VARIANT, O_SIZE, O_PRODUCERS, O_CAP, O_BATCH };

/* run_fanin()'s arguments and result, for goc_main(). */
typedef struct fanin_call {
	goc_merge_how how;
	uint64_t n;
	size_t nprod, cap, batch;
	fanin_run *run;
	int rc;
} fanin_call;

static void fanin_in_task(void *p)
{
	fanin_call *c = p;
	c->rc = run_fanin(c->how, c->n, c->nprod, c->cap, c->batch, c->run);
}

int main(int argc, char *argv[])
{
	const char *variant = variants[0];
	uint64_t size = FANIN_DEFAULT_SIZE, nprod = FANIN_DEFAULT_PRODUCERS, cap = FANIN_DEFAULT_CAP;
	uint64_t batch = FANIN_DEFAULT_BATCH;
	probe_opt opts[] = {
		[O_VARIANT] = { .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		  .choices = variants,
		  .help = "how the inputs are merged (default merge-tasks)" },
		[O_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = FANIN_MAX_SIZE,
		  .help = "ints sent, 1..N, split among the producers (default 1000000)" },
		[O_PRODUCERS] = { .name = "--producers", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &nprod,
		  .min = 1, .max = FANIN_MAX_PRODUCERS,
		  .help = "producer tasks, each with its own input channel (default 4)" },
		[O_CAP] = { .name = "--cap", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &cap,
		  .min = 0, .max = FANIN_MAX_CAP,
		  .help = "capacity of every channel, inputs and output, in elements; 0 = unbuffered (default 128)" },
		[O_BATCH] = { .name = "--batch", .metavar = "B", .kind = PROBE_OPT_UINT, .u = &batch,
		  .min = 1, .max = FANIN_MAX_BATCH,
		  .help = "ints per channel element, merge-batch only (default 128)" },
	};
	probe_cli cli = {
		.prog = "fanin",
		.summary = "fan-in on libgoc: P producers' channels merged into one (goc's standard workload W7)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "Variants: merge-tasks runs one forwarding task per input and a closer task that\n"
		          "waits on a WaitGroup, then closes the output (the Go blog's merge); merge-select\n"
		          "runs one task selecting over every input, each closed input's case set to NULL\n"
		          "(Go's nil-channel trick); merge-batch is merge-tasks over channels of batches\n"
		          "of up to B ints. check is the sum of the values received, after their count,\n"
		          "sum and xor were verified; producers, cap and batch echo the knobs (batch 1\n"
		          "but for merge-batch); peak_rss_kb is the process's peak resident set.\n"
		          "scenarios/go/fanin is the Go baseline with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);

	bool batched = strcmp(variant, "merge-batch") == 0;
	if (!batched && opts[O_BATCH].given)
		probe_usage_error("--batch applies only to the merge-batch variant");
	if (batched && cap > FANIN_MAX_CHAN_INTS / batch)
		probe_usage_error("--cap %" PRIu64 " of --batch %" PRIu64 " buffers more than %" PRIu64
		                  " ints per channel",
		                  cap, batch, FANIN_MAX_CHAN_INTS);
	goc_merge_how how = strcmp(variant, "merge-select") == 0 ? GOC_MERGE_SELECT : GOC_MERGE_TASKS;
	fanin_run run;
	fanin_call call = { how, size, (size_t)nprod, (size_t)cap, batched ? (size_t)batch : 0, &run, PROBE_EXIT_CHECK };
	/* In a task, as Go's main is a goroutine: the consumer's receives are task to task. */
	if (goc_main(fanin_in_task, &call) != GOC_OK)
		return probe_error("goc_main: no thread for the fan-in's consumer");
	int rc = call.rc;
	if (rc != PROBE_EXIT_OK)
		return rc;
	if (!verify(&run, size))
		return PROBE_EXIT_CHECK;

	probe_result r;
	probe_result_init(&r, "fanin", variant, size, run.elapsed_ns);
	probe_result_check_u64(&r, run.sum);
	probe_result_add_u64(&r, "producers", nprod);
	probe_result_add_u64(&r, "cap", cap);
	probe_result_add_u64(&r, "batch", batched ? batch : 1);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
