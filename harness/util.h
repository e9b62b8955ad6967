/*
 * util.h - what the harness's files share: allocation that dies on failure,
 * a growing string, files read whole and written atomically, child
 * processes with captured output, and the harness's messages.
 *
 * The harness is a command-line program: out of memory it prints one line
 * and exits 1 rather than threading NULL through every caller.
 * Overlap: none; the harness is single-threaded.
 */
#ifndef GOC_HARNESS_UTIL_H
#define GOC_HARNESS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit statuses of every goc command. */
#define GOC_EXIT_OK 0          /* done, and nothing failed */
#define GOC_EXIT_FAILED 1      /* done, but a run, a check or a comparison failed */
#define GOC_EXIT_USAGE 2       /* a bad command line or scenario file; nothing ran */
#define GOC_EXIT_INTERRUPTED 130

/* ---- messages: "goc: ..." on stderr ---------------------------------------- */

void goc_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void goc_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void goc_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- allocation --------------------------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append to a growing array: *v holds *n items of `size` bytes; returns the new one, zeroed. */
void *xappend(void *v_ptr, size_t *n, size_t size);

/* ---- strings ------------------------------------------------------------------ */

typedef struct strbuf {
	char *s;       /* NUL-terminated; NULL until something is added */
	size_t len;
	size_t cap;
} strbuf;

void sb_add(strbuf *b, const char *s);
void sb_addn(strbuf *b, const char *s, size_t n);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, never NULL; the buffer keeps owning it. */
const char *sb_str(const strbuf *b);
void sb_free(strbuf *b);

/* Whether s starts with prefix / ends with suffix. */
bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);


/* ---- files -------------------------------------------------------------------- */

/* The whole file, NUL-terminated (len may be NULL); NULL with errno set. */
char *file_read(const char *path, size_t *len);

/*
 * The value after `key` and `sep` (blanks around it and quotes dropped) in
 * the first line of a file that starts so: /proc/meminfo's "MemTotal:",
 * /etc/os-release's "PRETTY_NAME=". NULL when the file or line is not there.
 */
char *file_field(const char *path, const char *key, const char *sep);

/* A process's CPU time so far (utime + stime from /proc/PID/stat), in clock ticks; false when unreadable. */
bool proc_cpu_ticks(pid_t pid, unsigned long long *ticks);

/*
 * Write `len` bytes to `path` atomically: a temporary file beside it,
 * fsync, rename. Returns 0, or -1 with a message in err.
 */
int file_write_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* mkdir -p. Returns 0 or -1 with errno set. */
int mkdir_p(const char *path, mode_t mode);

bool path_exists(const char *path);

/*
 * The path of `to` relative to the folder `from` (both must exist), e.g.
 * "results/x/charts" or "../charts"; `to` made absolute if that fails.
 */
char *path_relative(const char *from, const char *to);
bool is_executable(const char *path);

/* ---- child processes ----------------------------------------------------------- */

/* How run_child() runs a child. */
typedef struct run_opts {
	size_t cap;        /* bytes kept of each stream */
	bool tail;         /* keep the last cap bytes rather than the first */
	double timeout_s;  /* kill it (SIGKILL) after this long; 0: wait for ever */
	/*
	 * If set, called about every watch_ms with the child's pid while it
	 * runs; returning true kills it (SIGKILL), reported as *timed_out.
	 */
	bool (*watch)(pid_t pid, void *arg);
	void *watch_arg;
	int watch_ms;
	/*
	 * When it must be killed: SIGQUIT first (a libgoc program then dumps
	 * its tasks, as a Go program does), and SIGKILL this many seconds
	 * later if it still runs. 0: SIGKILL at once.
	 */
	double quit_grace_s;
} run_opts;

/*
 * Run argv (argv[0] looked up on PATH) with stdin from /dev/null, capture
 * stdout and stderr (either may be NULL: read and dropped) as o says, and
 * wait. Returns 0 when the child ran (see *status, as from waitpid, and
 * *timed_out: killed for its time), -1 when it could not be started (err
 * says why).
 */
int run_child(char *const argv[], const run_opts *o, strbuf *out, strbuf *errout, int *status,
              bool *timed_out, char *err, size_t errlen);

/* run_child() without a timeout, keeping the first `cap` bytes of each stream. */
int run_capture(char *const argv[], size_t cap, strbuf *out, strbuf *errout, int *status,
                char *err, size_t errlen);

/* The first line of `argv`'s stdout (e.g. a --version), or NULL if it failed. */
char *run_first_line(char *const argv[]);

/* A one-line description of a wait status: "exit status 1", "killed by signal 9 (Killed)". */
char *describe_status(int status);

/* ---- time ----------------------------------------------------------------------- */

double now_monotonic_s(void);
/* UTC now as "2026-11-23T23:35:01Z" (iso) or "20261123-233501" (compact). */
char *utc_now(bool compact);
/* Seconds as "1:05" or "1:02:03". */
char *format_duration(double seconds);

#endif
