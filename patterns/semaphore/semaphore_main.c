/*
 * semaphore_main.c - the semaphore target, standard workload W8: T tasks
 * (16) share N (1,000,000) acquire / critical section / release cycles on
 * a limiter of K units (4); inside, an in-flight gauge is bumped, its
 * maximum recorded, and dropped. The variant is the limiter: `chan` (Go's
 * idiom, a buffered channel of capacity K), `goc` (libgoc's goc_sem) or
 * `posix` (sem_t). `--form spawn` limits task creation instead: T spawners
 * each acquire before starting a task, and the task releases when it ends
 * (N tasks in all; 100,000 by default). A run is timed from the start gate,
 * opened once every task waits at it, to the last task's return and checks, before it prints its one JSON line,
 * that every cycle was done, that the maximum in flight never exceeded K
 * and did reach K (or T, if fewer could be in at once), and that no unit is
 * left held. scenarios/go/semaphore is the same program in Go.
 */
#include <stdio.h>
#include <string.h>

#include <goc/goc.h>

#include "probe.h"
#include "semaphore.h"

#define SEM_DEFAULT_SIZE UINT64_C(1000000)
#define SEM_DEFAULT_SPAWN_SIZE UINT64_C(100000)
#define SEM_MAX_SIZE UINT64_C(1000000000)
#define SEM_DEFAULT_TASKS UINT64_C(16)
#define SEM_MAX_TASKS UINT64_C(1024)  /* each task is a thread */
#define SEM_DEFAULT_LIMIT UINT64_C(4)
#define SEM_MAX_LIMIT UINT64_C(1024)

static const char *const variants[] = { "chan", "goc", "posix", NULL };
static const char *const forms[] = { "workers", "spawn", NULL };

enum { O_VARIANT, O_FORM, O_SIZE, O_TASKS, O_LIMIT };

int main(int argc, char *argv[])
{
	const char *variant = variants[0], *form = forms[0];
	uint64_t size = SEM_DEFAULT_SIZE, tasks = SEM_DEFAULT_TASKS, limit = SEM_DEFAULT_LIMIT;
	probe_opt opts[] = {
		[O_VARIANT] = { .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		  .choices = variants, .help = "the semaphore (default chan)" },
		[O_FORM] = { .name = "--form", .metavar = "F", .kind = PROBE_OPT_STRING, .s = &form,
		  .choices = forms, .help = "workers cycle, or spawners limit task creation (default workers)" },
		[O_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = SEM_MAX_SIZE,
		  .help = "acquire/release cycles in all (default 1000000; 100000 with --form spawn)" },
		[O_TASKS] = { .name = "--tasks", .metavar = "T", .kind = PROBE_OPT_UINT, .u = &tasks,
		  .min = 1, .max = SEM_MAX_TASKS, .help = "worker or spawner tasks sharing the cycles (default 16)" },
		[O_LIMIT] = { .name = "--limit", .metavar = "K", .kind = PROBE_OPT_UINT, .u = &limit,
		  .min = 1, .max = SEM_MAX_LIMIT, .help = "the semaphore's capacity (default 4)" },
	};
	probe_cli cli = {
		.prog = "semaphore",
		.summary = "limiting concurrency to K on libgoc (goc's standard workload W8)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "Variants: chan is Go's idiom, a buffered channel of capacity K (send to acquire,\n"
		          "receive to release); goc is libgoc's goc_sem; posix is a POSIX sem_t. Forms:\n"
		          "workers runs T tasks each doing N/T cycles; spawn runs T spawners that each\n"
		          "acquire before starting a task, which releases when it ends (N tasks in all).\n"
		          "Inside each cycle an in-flight gauge is bumped, its maximum recorded, dropped.\n"
		          "check is that maximum, after it was verified to be at most K and to reach K\n"
		          "(or T, if fewer could be in at once); every cycle done and no unit left held\n"
		          "are checked too. scenarios/go/semaphore is the Go baseline (chan, goc).",
	};
	probe_parse(&cli, argc, argv);

	bool spawn = strcmp(form, "spawn") == 0;
	if (spawn && !opts[O_SIZE].given)
		size = SEM_DEFAULT_SPAWN_SIZE;
	goc_limit_kind kind = strcmp(variant, "goc") == 0 ? GOC_LIMIT_SEM
	                      : strcmp(variant, "posix") == 0 ? GOC_LIMIT_POSIX
	                                                       : GOC_LIMIT_CHAN;
	goc_limiter *l = goc_limiter_make(kind, (size_t)limit);
	if (!l)
		return probe_error("out of memory making a %s semaphore of %llu units", variant,
		                   (unsigned long long)limit);
	goc_limit_opts o = { .form = spawn ? GOC_FORM_SPAWN : GOC_FORM_WORKERS, .tasks = (size_t)tasks,
		             .cycles = size };
	goc_limit_stats s;
	goc_status st = goc_limit_run(l, &o, &s);
	goc_limiter_free(l);
	if (st != GOC_OK)
		return probe_error("the run could not start its tasks (%s)", goc_status_str(st));
	char why[256];
	if (!goc_limit_verify(&s, &o, (size_t)limit, why, sizeof why))
		return probe_check_failed("%s", why);

	probe_result r;
	probe_result_init(&r, "semaphore", variant, size, s.elapsed_ns);
	probe_result_check_u64(&r, s.max_in_flight);
	probe_result_add_u64(&r, "tasks", tasks);
	probe_result_add_u64(&r, "limit", limit);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
