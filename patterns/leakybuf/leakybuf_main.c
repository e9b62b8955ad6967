/*
 * leakybuf_main.c - the leakybuf target, standard workload W9: a client
 * task gets a 4 KiB buffer from a free list (non-blocking; else it
 * allocates one), fills buffer i with a pattern of i and sends it to a
 * server task over a channel of capacity 16; the server checksums it and
 * puts it back on the free list (non-blocking; else it frees it), N times
 * (500,000). The variant is the free list: `freelist` (a buffered channel
 * of capacity 100, Go's leaky buffer), `malloc` (none: allocate and free
 * every time) or `stack` (a lock-free LIFO stack of at most 100, which
 * hands back the buffer put last, still warm in the cache). The pool counts
 * every allocation and free itself. A run is timed from a start gate,
 * opened once both tasks wait at it, to both returned and checks, before it prints its one JSON line, that
 * every buffer arrived holding what was written for it, that the total
 * checksum is the expected one, and that allocations == frees once the
 * free list is emptied. scenarios/go/leakybuf is the same program in Go.
 */
#include <stdio.h>
#include <string.h>

#include <goc/goc.h>

#include "leakybuf.h"
#include "probe.h"

#define LEAKY_DEFAULT_SIZE UINT64_C(500000)
#define LEAKY_MAX_SIZE UINT64_C(1000000000)
#define LEAKY_BUF_SIZE ((size_t)4096)
#define LEAKY_DEFAULT_FREE_CAP UINT64_C(100)
#define LEAKY_DEFAULT_CAP UINT64_C(16)
#define LEAKY_MAX_CAP UINT64_C(65536)  /* buffers of 4 KiB: 256 MiB at most in either place */

static const char *const variants[] = { "freelist", "malloc", "stack", NULL };

enum { O_VARIANT, O_SIZE, O_FREE_CAP, O_CAP };

int main(int argc, char *argv[])
{
	const char *variant = variants[0];
	uint64_t size = LEAKY_DEFAULT_SIZE, free_cap = LEAKY_DEFAULT_FREE_CAP, cap = LEAKY_DEFAULT_CAP;
	probe_opt opts[] = {
		[O_VARIANT] = { .name = "--variant", .metavar = "V", .kind = PROBE_OPT_STRING, .s = &variant,
		  .choices = variants, .help = "the free list (default freelist)" },
		[O_SIZE] = { .name = "--size", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &size,
		  .min = 1, .max = LEAKY_MAX_SIZE, .help = "4 KiB buffers sent from client to server (default 500000)" },
		[O_FREE_CAP] = { .name = "--free-cap", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &free_cap,
		  .min = 0, .max = LEAKY_MAX_CAP, .help = "free buffers the list keeps, freelist and stack (default 100)" },
		[O_CAP] = { .name = "--cap", .metavar = "N", .kind = PROBE_OPT_UINT, .u = &cap,
		  .min = 0, .max = LEAKY_MAX_CAP, .help = "capacity of the client-to-server channel (default 16)" },
	};
	probe_cli cli = {
		.prog = "leakybuf",
		.summary = "the leaky buffer free list on libgoc (goc's standard workload W9)",
		.opts = opts,
		.nopts = sizeof opts / sizeof opts[0],
		.epilog = "Variants: freelist is Go's leaky buffer, a buffered channel of free buffers\n"
		          "(non-blocking receive, else allocate; non-blocking send, else free); malloc\n"
		          "allocates and frees every buffer; stack keeps the free buffers on a lock-free\n"
		          "LIFO stack, so the one put back last, still in the cache, is reused first.\n"
		          "check is the sum of every buffer's checksum, verified along with each buffer's\n"
		          "contents and allocations == frees at the end; allocs, frees and reused are the\n"
		          "pool's own exact counts; peak_rss_kb is the process's peak resident set.\n"
		          "scenarios/go/leakybuf is the Go baseline with this same command line and output.",
	};
	probe_parse(&cli, argc, argv);
	if (strcmp(variant, "malloc") == 0 && opts[O_FREE_CAP].given)
		probe_usage_error("--free-cap applies only to the freelist and stack variants");

	goc_leaky_opts o = {
		.kind = strcmp(variant, "malloc") == 0  ? GOC_POOL_MALLOC
		        : strcmp(variant, "stack") == 0 ? GOC_POOL_STACK
		                                        : GOC_POOL_FREELIST,
		.buffers = size, .buf_size = LEAKY_BUF_SIZE, .free_cap = (size_t)free_cap, .chan_cap = (size_t)cap,
	};
	goc_leaky_stats s;
	goc_status st = goc_leaky_run(&o, &s);
	if (st != GOC_OK)
		return probe_error("the run could not be done (%s)", goc_status_str(st));
	char why[256];
	if (!goc_leaky_verify(&s, &o, why, sizeof why))
		return probe_check_failed("%s", why);

	probe_result r;
	probe_result_init(&r, "leakybuf", variant, size, s.elapsed_ns);
	probe_result_check_u64(&r, s.checksum);
	probe_result_add_u64(&r, "allocs", s.counts.allocs);
	probe_result_add_u64(&r, "frees", s.counts.frees);
	probe_result_add_u64(&r, "reused", s.counts.reused);
	probe_result_add_u64(&r, "peak_rss_kb", probe_peak_rss_kb());
	return probe_emit(&r);
}
