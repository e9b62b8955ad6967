/*
 * counters_main.c - the counters target, standard workload W4: T tasks (4)
 * share N operations (4,000,000) on one counter, each an increment, or, with
 * --reads P, a read for P in every hundred. The variant is the counter
 * (counters.h): mutex (glibc's default), adaptive (glibc's spinning mutex),
 * spin (a spin-then-futex mutex built like Go's sync.Mutex), rwlock (glibc's),
 * rwspin (Go's sync.RWMutex built on the spin mutex), atomic,
 * chan (an owner task fed over a channel of 1,024) and sharded (a padded slot
 * per task); and unsafe, the plain `counter++` they all avoid, which loses
 * updates: it reports how many and exits 1 (under ThreadSanitizer the race
 * is reported first). A run is timed from the start gate's opening, when
 * every task is waiting at it, to the count read after the last one was
 * joined, and checks that the count is exactly the increments done and that
 * no read went backwards, before it prints its one JSON line.
 * scenarios/go/counters is the same program in Go.
 */
#define _POSIX_C_SOURCE 200809L /* pthread_rwlock_t, in counters.h */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "counters.h"
#include "probe.h"

#define COUNTERS_DEFAULT_SIZE UINT64_C(4000000)
#define COUNTERS_DEFAULT_THREADS UINT64_C(4)
/* A counter shared by more threads than this measures the scheduler, not the counter. */
#define COUNTERS_MAX_THREADS UINT64_C(256)
/* Minutes of increments at the slowest variant: room, and no hour by mistake. */
#define COUNTERS_MAX_SIZE UINT64_C(10000000000)
/* W4's channel: the owner's inbox. */
#define COUNTERS_CHAN_CAP 1024

static const char *const variants[] = { "mutex", "adaptive", "spin", "rwlock", "rwspin", "atomic", "chan", "sharded", "unsafe", NULL };

enum { O_VARIANT, O_SIZE, O_THREADS, O_READS };

int main(int argc, char *argv[])
{
	const char *variant = variants[0];
	uint64_t size = COUNTERS_DEFAULT_SIZE, threads = COUNTERS_DEFAULT_THREADS, reads = 0;
	probe_opt opts[] = {
		[O_VARIANT] = { .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		  .choices = variants, .help = "the counter (default mutex)" },
		[O_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = COUNTERS_MAX_SIZE,
		  .help = "operations in all, shared among the threads (default 4000000)" },
		[O_THREADS] = { .name = "--threads", .metavar = "T", .kind = PROBE_OPT_UINT, .u = &threads,
		  .min = 1, .max = COUNTERS_MAX_THREADS, .help = "tasks sharing the counter (default 4)" },
		[O_READS] = { .name = "--reads", .metavar = "P", .kind = PROBE_OPT_UINT, .u = &reads,
		  .min = 0, .max = 99,
		  .help = "percent of operations that read the counter; mutex, adaptive, spin, rwlock, rwspin, atomic (default 0)" },
	};
	probe_cli cli = {
		.prog = "counters",
		.summary = "one counter shared by T tasks, eight ways and the pitfall (goc's standard workload W4)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "Variants: mutex (glibc's default mutex), adaptive (PTHREAD_MUTEX_ADAPTIVE_NP),\n"
		          "spin (a mutex that spins, then sleeps on a futex, as Go's sync.Mutex does),\n"
		          "rwlock (a pthread rwlock: increments take the write lock, reads the read lock),\n"
		          "rwspin (Go's sync.RWMutex built in C on the spin mutex, used as rwlock is),\n"
		          "atomic (one fetch-add), chan (an owner task holds the count; the others send\n"
		          "increments over a channel of capacity 1024), sharded (a slot of its own cache\n"
		          "line per task, summed at the end), and unsafe: a plain counter++ from every\n"
		          "task, the data race the others avoid. unsafe reports the updates it lost and\n"
		          "exits 1 when it lost any; it is a demonstration, not a benchmark.\n"
		          "Operations: task k does N/T (one more for k < N%T); with --reads P, op j of a\n"
		          "task is an increment when (j+1)*(100-P)/100 steps up, else a read, which must\n"
		          "not go backwards. check is the final count, verified to be exactly the\n"
		          "increments done; threads and reads echo the knobs, writes is the increments,\n"
		          "peak_rss_kb the process's peak resident set. ns_per_op is per operation.\n"
		          "scenarios/go/counters is the Go baseline with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);

	goc_counters_variant v;
	if (!goc_counters_variant_parse(variant, &v))
		probe_usage_error("--variant: unknown value '%s'", variant); /* the choices make this unreachable */
	if (reads && !goc_counters_variant_reads(v))
		probe_usage_error("--reads applies to the mutex, adaptive, spin, rwlock, rwspin and atomic variants only");

	goc_counters_config cfg = {
		.variant = v, .tasks = (size_t)threads, .ops = size, .reads = (unsigned)reads, .cap = COUNTERS_CHAN_CAP
	};
	goc_counters_report rep;
	if (goc_counters_run(&cfg, &rep) != GOC_OK)
		return probe_error("out of memory or threads starting %" PRIu64 " tasks", threads);

	uint64_t expected = goc_counters_expected_writes(size, (size_t)threads, (unsigned)reads);
	if (v == GOC_COUNTERS_UNSAFE && rep.count < rep.writes)
		return probe_check_failed("unsafe lost %" PRIu64 " of %" PRIu64 " updates (%.2f%%): counter++ from %" PRIu64
		                          " tasks is a data race",
		                          rep.writes - rep.count, rep.writes, 100.0 * (double)(rep.writes - rep.count) / (double)rep.writes,
		                          threads);
	if (!probe_expect_u64("increments the tasks did", expected, rep.writes) ||
	    !probe_expect_u64("final count", rep.writes, rep.count) ||
	    !probe_expect_u64("reads the tasks did", size - expected, rep.reads) ||
	    !probe_expect_u64("reads that went backwards, below the task's own increments or past the total", 0,
	                      rep.bad_reads))
		return PROBE_EXIT_CHECK;

	probe_result r;
	probe_result_init(&r, "counter", variant, size, rep.elapsed_ns);
	probe_result_check_u64(&r, rep.count);
	probe_result_add_u64(&r, "threads", threads);
	probe_result_add_u64(&r, "reads", reads);
	probe_result_add_u64(&r, "writes", rep.writes);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
