/*
 * exec.c - `goc exec`, the wrapper hyperfine runs for every run of a
 * target: it starts the target, kills it when its time is up, and appends
 * one JSON record of what happened (exit status or signal, timeout, wall
 * time, the tails of stdout and stderr) to a file. hyperfine times the
 * process; the record is how goc knows, run by run, what the target said
 * and whether it crashed or hung, which hyperfine alone does not keep.
 */
#define _GNU_SOURCE
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "util.h"

/* The last EXEC_TAIL bytes a stream wrote: what a record keeps. */
#define EXEC_TAIL 4096

/*
 * The tail as a JSON string, bytes past ASCII replaced by '?': a cut-off
 * or crashing target's invalid UTF-8 must not cost the record.
 */
static json_t *ascii_string(strbuf *t)
{
	for (size_t i = 0; i < t->len; i++)
		if ((unsigned char)t->s[i] >= 0x80)
			t->s[i] = '?';
	return json_stringn(sb_str(t), t->len);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: goc exec --record FILE [--timeout SECONDS] -- TARGET [ARG]...\n\n"
	           "Run TARGET once for goc bench (hyperfine runs this for every timed run):\n"
	           "kill it after SECONDS (default 60), append one JSON record of the run to\n"
	           "FILE (see results/README.md), and exit with TARGET's exit status (128+N\n"
	           "when killed by signal N, 124 on timeout, 125 when it could not start).\n");
}

int cmd_exec(const goc_globals *g, int argc, char **argv)
{
	(void)g;
	const char *record = NULL;
	uint64_t timeout_s = 60;
	int a = 1;
	for (; a < argc; a++) {
		if (strcmp(argv[a], "--") == 0) {
			a++;
			break;
		}
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return GOC_EXIT_OK;
		}
		if (strcmp(argv[a], "--record") == 0 && a + 1 < argc) {
			record = argv[++a];
		} else if (strcmp(argv[a], "--timeout") == 0 && a + 1 < argc) {
			if (!probe_parse_u64(argv[++a], &timeout_s) || timeout_s == 0 || timeout_s > 86400) {
				goc_err("exec: --timeout: '%s' is not a number of seconds in 1..86400", argv[a]);
				return GOC_EXIT_USAGE;
			}
		} else {
			goc_err("exec: unexpected argument '%s' (see goc exec --help)", argv[a]);
			return GOC_EXIT_USAGE;
		}
	}
	if (!record || a >= argc) {
		goc_err("exec: needs --record FILE and a command after -- (see goc exec --help)");
		return GOC_EXIT_USAGE;
	}

	run_opts o = { .cap = EXEC_TAIL, .tail = true, .timeout_s = (double)timeout_s };
	strbuf out = { 0 }, errt = { 0 };
	bool timed_out = false;
	int status = 0;
	char why[512];
	double start = now_monotonic_s();
	if (run_child(argv + a, &o, &out, &errt, &status, &timed_out, why, sizeof why) != 0) {
		sb_printf(&errt, "goc exec: %s", why);
		status = 125 << 8;  /* as if it exited 125 */
	}
	double wall = now_monotonic_s() - start;

	json_t *rec = json_object();
	json_object_set_new(rec, "exit", WIFEXITED(status) ? json_integer(WEXITSTATUS(status)) : json_null());
	json_object_set_new(rec, "signal", WIFSIGNALED(status) ? json_integer(WTERMSIG(status)) : json_null());
	json_object_set_new(rec, "timeout", json_boolean(timed_out));
	json_object_set_new(rec, "wall_s", json_real(wall));
	json_object_set_new(rec, "stdout", ascii_string(&out));
	json_object_set_new(rec, "stderr", ascii_string(&errt));
	char *line = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(rec);
	sb_free(&out);
	sb_free(&errt);
	int fd = line ? open(record, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
	bool written = false;
	if (fd >= 0) {
		char *withnl = xasprintf("%s\n", line);
		/* One write with O_APPEND: a record is never interleaved or split. */
		written = write(fd, withnl, strlen(withnl)) == (ssize_t)strlen(withnl);
		free(withnl);
		written = close(fd) == 0 && written;
	}
	free(line);
	if (!written) {
		goc_err("exec: cannot append the record to %s: %s", record, strerror(errno));
		return 125;
	}
	if (timed_out)
		return 124;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
}
