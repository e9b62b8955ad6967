/*
 * fake_target.c - a target that misbehaves on request, for the harness's
 * end-to-end test: it has the probe's command line and JSON line like every
 * target, and --variant picks what goes wrong, so that the test can check
 * that goc bench records each failure as such and carries on.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

static const char *const variants[] = {
	"ok", "crash", "hang", "check", "silent", "wrong-variant", "flaky", "big-check", NULL
};

int main(int argc, char *argv[])
{
	const char *variant = "ok";
	uint64_t size = 1000;
	probe_opt opts[] = {
		{ .name = "--variant", .metavar = "V", .help = "what to do", .kind = PROBE_OPT_STRING,
		  .s = &variant, .choices = variants },
		{ .name = "--size", .metavar = "N", .help = "ops to report", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = 1000000 },
	};
	probe_cli cli = { .prog = "fake_target", .summary = "misbehaves on request (harness tests)",
	                  .opts = opts, .nopts = sizeof opts / sizeof *opts };
	probe_parse(&cli, argc, argv);

	if (strcmp(variant, "crash") == 0) {
		/* abort(), not a fault: sanitizers turn a fault into exit status 1. */
		fprintf(stderr, "fake_target: crashing on purpose\n");
		abort();
	}
	if (strcmp(variant, "hang") == 0)
		for (;;)
			pause();
	if (strcmp(variant, "check") == 0) {
		probe_expect_u64("sum", 10, 9);
		return PROBE_EXIT_CHECK;
	}
	if (strcmp(variant, "silent") == 0)
		return 0;  /* exit 0 without a result line */
	/* flaky: a different check on each run, which the harness must refuse. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	probe_result r;
	probe_result_init(&r, "fake", strcmp(variant, "wrong-variant") == 0 ? "other" : variant, size,
	                  (int64_t)size * 10);
	if (strcmp(variant, "flaky") == 0)
		probe_result_check_u64(&r, (uint64_t)ts.tv_nsec ^ (uint64_t)getpid());
	else if (strcmp(variant, "big-check") == 0)
		probe_result_check_u64(&r, UINT64_MAX - 1);
	else
		probe_result_check_u64(&r, size * 2);
	return probe_emit(&r);
}
