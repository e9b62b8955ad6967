/*
 * race.c - `goc race`: run ThreadSanitizer-built programs many times and
 * report every distinct race, leak, deadlock, hang and crash they showed.
 *
 * Each run gets TSAN_OPTIONS for a CI race check (every race reported, not
 * just the first; thread leaks; lock-order inversions with both stacks; a
 * longer history, as a race whose first access aged out of TSan's default
 * history is dropped silently), with the caller's own TSAN_OPTIONS after
 * them (they win), and race_preload.c's library preloaded (the exit
 * check, and schedule chaos for programs without libgoc). Its
 * stderr is read into findings (findings.h), which are merged across runs
 * by key: each distinct finding is listed once, with the runs that hit it
 * and its first full report.
 *
 * What it runs: the command after `--`; or the named programs (a path) and
 * scenarios (their smoke-suite command lines on the tsan build's targets);
 * or, with no names, every scenario of the smoke suite. Server scenarios
 * are not among them: a server runs until it is stopped.
 */
#define _GNU_SOURCE
#include "commands.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_internal.h"
#include "catalog.h"
#include "findings.h"
#include "results.h"
#include "scenario.h"
#include "probe.h"
#include "util.h"

/* The TSan options every run gets; the caller's TSAN_OPTIONS come after and win. */
#define RACE_TSAN_OPTIONS                                                                             \
	"halt_on_error=0 report_thread_leaks=1 detect_deadlocks=1 second_deadlock_stack=1 history_size=7 " \
	"exitcode=66"

/* Bytes of a run's stderr kept (the first ones: the first reports matter most). */
#define RACE_STDERR_CAP (4u << 20)

static const char usage[] =
	"usage: goc race [--runs N] [--chaos MODE] [--fail-fast] [--timeout S] [--junit FILE] [--json FILE]\n"
	"                [--tsan-build DIR] [NAME...]\n"
	"       goc race [options] -- COMMAND [ARG]...\n\n"
	"Run ThreadSanitizer-built programs N times each and report every distinct\n"
	"finding: data races, heap-use-after-free, thread leaks, lock-order\n"
	"inversions and the other TSan reports (all of them: halt_on_error=0),\n"
	"AddressSanitizer and UBSan errors, libgoc's panics, deadlocks and task\n"
	"leaks, threads still running at exit, hangs (killed after --timeout), and\n"
	"runs that crash or exit non-zero. Each finding is listed once, with how\n"
	"many runs hit it and its first full report.\n\n"
	"What it runs: COMMAND after --, a TSan build of any program; or each NAME,\n"
	"a path to a program or a scenario (scenarios/*.ini), whose smoke-suite\n"
	"command lines run on the tsan build's targets; with no NAME, every\n"
	"scenario of the smoke suite but the server ones.\n\n"
	"  --runs N         runs of each program (default 10)\n"
	"  --chaos MODE     schedule chaos in libgoc programs (goc/chaos.h): off (default),\n"
	"                   random or pct, a fresh seed each run; or MODE:SEED (random:0x1f...)\n"
	"                   to replay one run's seed in every run\n"
	"  --fail-fast      stop running a program at its first finding\n"
	"  --chaos-study T  measure what chaos earns: T times for each of chaos off, random\n"
	"                   and pct, run each program until its first finding (at most\n"
	"                   --runs runs), and report the median runs until detection\n"
	"  --timeout S      seconds a run may take before it is killed as hung (default 30)\n"
	"  --junit FILE     write the findings as JUnit XML (a testcase per program)\n"
	"  --json FILE      write the findings as JSON\n"
	"  --tsan-build DIR the tsan build whose targets NAMEs run (default build/tsan)\n"
	"  -q, --quiet      no progress lines\n\n"
	"TSAN_OPTIONS from the environment are added after goc's own\n"
	"(" RACE_TSAN_OPTIONS ").\n"
	"A run that hangs is not repeated: its program's remaining runs are skipped.\n"
	"A run to be killed gets SIGQUIT first, and SIGKILL 2 s later: a libgoc program\n"
	"(tsan or debug build) answers SIGQUIT with what each task is blocked in, as a\n"
	"Go program does, and the hang's report carries it.\n\n"
	"Exit status: 0 clean, 1 something was found, 2 bad command line or\n"
	"nothing to run, 130 interrupted.\n";

/*
 * Stall detection: a run whose threads are all blocked in untimed futex
 * waits (mutexes, condition variables, joins with no deadline), using no
 * CPU, for RACE_STALL_MS is deadlocked: nothing in the process can wake
 * it. ThreadSanitizer's own background thread sleeps in the raw nanosleep
 * system call (35 on x86-64), which programs reach only through
 * clock_nanosleep (glibc), and is left out.
 */
#define RACE_STALL_MS 2000
#define RACE_WATCH_MS 200
/* A run to be killed gets SIGQUIT first, for libgoc's task dump, and SIGKILL this long after. */
#define RACE_QUIT_GRACE_S 2.0

typedef struct stall {
	unsigned long long cpu; /* the process's utime + stime when last seen */
	int still;              /* watches in a row that found it stalled */
	bool killed;            /* the watch killed it */
} stall;

/*
 * Whether the thread at /proc/PID/task/TID is blocked in an untimed futex
 * wait, or is TSan's sleeper (the first thread in raw nanosleep: *sleepers
 * counts them, and a second one is a thread of the program's).
 */
static bool thread_stuck(const char *task_dir, int *sleepers)
{
	char *path = xasprintf("%s/syscall", task_dir);
	char *text = file_read(path, NULL);
	free(path);
	if (!text)
		return true; /* gone: it blocks nobody */
	long nr = -1;
	unsigned long long addr, op, val, timeout;
	int got = sscanf(text, "%ld %llx %llx %llx %llx", &nr, &addr, &op, &val, &timeout);
	free(text);
	if (got >= 1 && nr == 35)
		return ++*sleepers == 1;
	/* futex(2): FUTEX_WAIT (0) or FUTEX_WAIT_BITSET (9), flags masked off, no timeout. */
	return got == 5 && nr == 202 && ((op & 0x7f) == 0 || (op & 0x7f) == 9) && timeout == 0;
}

static bool watch_stall(pid_t pid, void *arg)
{
	stall *st = arg;
	unsigned long long cpu;
	if (!proc_cpu_ticks(pid, &cpu)) {
		st->still = 0;
		return false;
	}
	bool stuck = cpu == st->cpu;
	st->cpu = cpu;
	char *dir = xasprintf("/proc/%d/task", (int)pid);
	DIR *d = stuck ? opendir(dir) : NULL;
	struct dirent *e;
	int sleepers = 0;
	while (d && stuck && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *task = xasprintf("%s/%s", dir, e->d_name);
		stuck = thread_stuck(task, &sleepers);
		free(task);
	}
	if (d)
		closedir(d);
	free(dir);
	st->still = stuck ? st->still + 1 : 0;
	st->killed = st->still * RACE_WATCH_MS >= RACE_STALL_MS;
	return st->killed;
}

/* One distinct finding of one program, merged across its runs. */
typedef struct merged {
	finding first; /* as first seen: kind, where, report */
	char *key;
	unsigned runs; /* runs that showed it */
	unsigned first_run, last_run;
	char *seeds;   /* the chaos seeds of the runs that showed it ("random:0x..., ..."), or NULL */
	unsigned nseeds;
} merged;

/* How runs get schedule chaos: a mode, and a fixed seed or a fresh one each run. */
typedef struct chaos_opts {
	const char *mode; /* "random" or "pct"; NULL: off */
	uint64_t seed;    /* the seed, if fixed */
	bool fixed;
	uint64_t next;    /* where fresh seeds come from */
} chaos_opts;

/* Most seeds a finding lists. */
#define RACE_SEEDS 5

/* One program goc race runs, and what its runs showed. */
typedef struct program {
	char *name;     /* for the table: the command line */
	char **argv;    /* NULL-terminated */
	merged *found;
	size_t nfound;
	unsigned runs_done;
	double seconds;
} program;

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static char **argv_copy(char *const *argv, size_t n)
{
	char **v = xcalloc(n + 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(argv[i]);
	return v;
}

static char *argv_join(char *const *argv)
{
	strbuf b = { 0 };
	for (size_t i = 0; argv[i]; i++)
		sb_printf(&b, "%s%s", i ? " " : "", argv[i]);
	return b.s ? b.s : xstrdup("");
}

static program *add_program(program **v, size_t *n, char **argv)
{
	program *p = xappend(v, n, sizeof *p);
	p->argv = argv;
	p->name = argv_join(argv);
	return p;
}

/*
 * A scenario's smoke-suite command lines: the first point of its matrix
 * (each knob at its first value), every variant, as goc bench runs them.
 */
static int add_scenario(program **v, size_t *n, const scenario *s, catalog *cat, char *err, size_t errlen)
{
	catalog_target *t = catalog_find(cat, s->target);
	if (!t) {
		snprintf(err, errlen, "scenario %s: the tsan build has no target '%s'", s->name, s->target);
		return -1;
	}
	bench_overrides ov = { 0, UINT64_MAX, 0 };
	bench_group *groups = NULL;
	size_t ngroups = 0;
	bench_expand(s, "smoke", "c", t->path, &s->variants, &ov, &groups, &ngroups);
	for (size_t c = 0; c < groups[0].n; c++)
		add_program(v, n, argv_copy(groups[0].cmds[c].argv, groups[0].cmds[c].argc));
	bench_groups_free(groups, ngroups);
	return 0;
}

/* Set the environment every run gets: TSAN_OPTIONS and the preloaded exit check. */
static void set_run_env(const char *self)
{
	const char *user = getenv("TSAN_OPTIONS");
	char *opts = xasprintf("%s%s%s", RACE_TSAN_OPTIONS, user && *user ? " " : "", user ? user : "");
	setenv("TSAN_OPTIONS", opts, 1);
	free(opts);
	char *dir = xstrdup(self);
	char *lib = xasprintf("%s/libgoc_race_preload.so", dirname(dir));
	free(dir);
	if (access(lib, R_OK) == 0) {
		const char *pre = getenv("LD_PRELOAD");
		char *v = xasprintf("%s%s%s", lib, pre && *pre ? ":" : "", pre ? pre : "");
		setenv("LD_PRELOAD", v, 1);
		free(v);
	} else {
		goc_warn("race: %s is missing: threads still running at exit will not be reported", lib);
	}
	free(lib);
}

/* Note a run's chaos seed (`seed`: "mode:0x...", or NULL) on a finding it showed. */
static void note_seed(merged *m, const char *seed)
{
	if (!seed || m->nseeds >= RACE_SEEDS)
		return;
	char *s = xasprintf("%s%s%s", m->seeds ? m->seeds : "", m->seeds ? ", " : "", seed);
	free(m->seeds);
	m->seeds = s;
	m->nseeds++;
}

/* Merge one run's findings into the program's. */
static void merge(program *p, finding_list *fl, unsigned run, const char *seed)
{
	for (size_t i = 0; i < fl->n; i++) {
		char *key = finding_key(&fl->v[i]);
		merged *m = NULL;
		for (size_t k = 0; k < p->nfound && !m; k++)
			if (strcmp(p->found[k].key, key) == 0)
				m = &p->found[k];
		if (m) {
			/* Count a run once however often it hit the finding. */
			if (m->last_run != run) {
				m->runs++;
				note_seed(m, seed);
			}
			m->last_run = run;
			free(key);
			continue;
		}
		m = xappend(&p->found, &p->nfound, sizeof *m);
		m->first = fl->v[i];
		fl->v[i] = (finding){ 0 };
		m->key = key;
		m->runs = 1;
		m->first_run = m->last_run = run;
		note_seed(m, seed);
	}
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Set GOC_CHAOS and GOC_CHAOS_SEED for the next run; its seed as "mode:0x...", or NULL with chaos off. */
static char *chaos_next(chaos_opts *c)
{
	if (!c->mode) {
		unsetenv("GOC_CHAOS");
		unsetenv("GOC_CHAOS_SEED");
		return NULL;
	}
	uint64_t seed = c->fixed ? c->seed : splitmix(&c->next);
	char hex[32];
	snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)seed);
	setenv("GOC_CHAOS", c->mode, 1);
	setenv("GOC_CHAOS_SEED", hex, 1);
	return xasprintf("%s:%s", c->mode, hex);
}

/* Run p up to `runs` times (to its first finding with fail_fast); false if interrupted. */
static bool run_program(program *p, unsigned runs, double timeout_s, bool quiet, bool fail_fast, chaos_opts *chaos)
{
	double start = now_monotonic_s();
	for (unsigned r = 1; r <= runs && !interrupted; r++) {
		char *seed = chaos_next(chaos);
		stall st = { 0 };
		run_opts o = { .cap = RACE_STDERR_CAP, .tail = false, .timeout_s = timeout_s,
		               .watch = watch_stall, .watch_arg = &st, .watch_ms = RACE_WATCH_MS,
		               .quit_grace_s = RACE_QUIT_GRACE_S };
		strbuf errt = { 0 };
		run_end end = { .timeout_s = timeout_s };
		char why[512];
		finding_list fl = { 0 };
		if (run_child(p->argv, &o, NULL, &errt, &end.status, &end.timed_out, why, sizeof why) != 0) {
			finding *f = xappend(&fl.v, &fl.n, sizeof *f);
			*f = (finding){ xstrdup("cannot start"), xstrdup(""), xstrdup(why) };
		} else {
			end.stalled = st.killed;
			findings_parse(sb_str(&errt), &end, &fl);
		}
		p->runs_done = r;
		if (!quiet) {
			fprintf(stderr, "goc race: %s: run %u/%u%s%s: ", p->name, r, runs, seed ? ", chaos " : "",
			        seed ? seed : "");
			if (fl.n == 0)
				fprintf(stderr, "clean\n");
			for (size_t i = 0; i < fl.n; i++)
				fprintf(stderr, "%s%s%s%s", i ? ", " : "", fl.v[i].kind, *fl.v[i].where ? " at " : "",
				        fl.v[i].where);
			if (fl.n)
				fputc('\n', stderr);
		}
		bool hung = end.timed_out;
		bool cannot_start = fl.n && strcmp(fl.v[0].kind, "cannot start") == 0;
		bool found = fl.n > 0;
		merge(p, &fl, r, seed);
		free(seed);
		findings_free(&fl);
		sb_free(&errt);
		if (found && fail_fast)
			break;
		if (hung || cannot_start) {
			if (!quiet && r < runs)
				fprintf(stderr, "goc race: %s: not run again after it %s\n", p->name,
				        !hung ? "could not start" : end.stalled ? "deadlocked" : "hung");
			break;
		}
	}
	p->seconds = now_monotonic_s() - start;
	return !interrupted;
}

static void print_table(const program *ps, size_t n)
{
	printf("%-40s %-36s %8s  %s\n", "program", "finding", "runs", "where");
	for (size_t i = 0; i < n; i++) {
		const program *p = &ps[i];
		const char *slash = strrchr(p->argv[0], '/');
		char *shown = slash ? xasprintf("%s", p->name + (slash + 1 - p->argv[0])) : xstrdup(p->name);
		if (strlen(shown) > 40)
			strcpy(shown + 37, "...");
		if (p->nfound == 0)
			printf("%-40s %-36s %3u/%-4u  %s\n", shown, "clean", p->runs_done, p->runs_done, "");
		for (size_t k = 0; k < p->nfound; k++) {
			const merged *m = &p->found[k];
			printf("%-40s %-36s %3u/%-4u  %s\n", k ? "" : shown, m->first.kind, m->runs, p->runs_done,
			       m->first.where);
		}
		free(shown);
	}
}

static void print_reports(const program *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < ps[i].nfound; k++) {
			const merged *m = &ps[i].found[k];
			printf("\n---- %s: %s (first in run %u of %u%s%s) ----\n%s\n", ps[i].name, m->first.kind,
			       m->first_run, ps[i].runs_done, m->seeds ? "; chaos seeds " : "", m->seeds ? m->seeds : "",
			       m->first.report);
		}
	}
}

/*
 * A JSON string of s with every byte past ASCII made '?': a report cut off
 * at the cap, or a program's binary output, must not cost the finding (an
 * invalid UTF-8 string is no JSON string at all).
 */
static json_t *ascii(const char *s)
{
	char *copy = xstrdup(s ? s : "");
	for (char *c = copy; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	json_t *j = json_string(copy);
	free(copy);
	return j;
}

static json_t *findings_json(const program *ps, size_t n, unsigned runs)
{
	json_t *progs = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *found = json_array();
		for (size_t k = 0; k < ps[i].nfound; k++) {
			const merged *m = &ps[i].found[k];
			json_array_append_new(found, json_pack("{s:o, s:o, s:I, s:I, s:o, s:s?}", "kind", ascii(m->first.kind),
			                                       "where", ascii(m->first.where), "runs", (json_int_t)m->runs,
			                                       "first_run", (json_int_t)m->first_run, "report",
			                                       ascii(m->first.report), "chaos_seeds", m->seeds));
		}
		json_array_append_new(progs, json_pack("{s:o, s:I, s:f, s:o}", "command", ascii(ps[i].name), "runs",
		                                       (json_int_t)ps[i].runs_done, "seconds", ps[i].seconds,
		                                       "findings", found));
	}
	return json_pack("{s:s, s:I, s:o}", "goc_race", "1", "runs_asked", (json_int_t)runs, "programs", progs);
}

static void xml_escape(strbuf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sb_add(b, "&lt;"); break;
		case '>': sb_add(b, "&gt;"); break;
		case '&': sb_add(b, "&amp;"); break;
		case '"': sb_add(b, "&quot;"); break;
		default:
			/* Control characters other than tab and newline are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				sb_add(b, "?");
			else
				sb_addn(b, s, 1);
		}
	}
}

static char *junit_xml(const program *ps, size_t n)
{
	size_t failures = 0;
	for (size_t i = 0; i < n; i++)
		failures += ps[i].nfound > 0;
	strbuf b = { 0 };
	sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"goc race\" tests=\"%zu\" failures=\"%zu\">\n",
	          n, failures);
	for (size_t i = 0; i < n; i++) {
		sb_add(&b, "  <testcase classname=\"goc race\" name=\"");
		xml_escape(&b, ps[i].name);
		sb_printf(&b, "\" time=\"%.3f\"", ps[i].seconds);
		if (ps[i].nfound == 0) {
			sb_add(&b, "/>\n");
			continue;
		}
		sb_add(&b, ">\n");
		for (size_t k = 0; k < ps[i].nfound; k++) {
			const merged *m = &ps[i].found[k];
			sb_add(&b, "    <failure message=\"");
			char *msg = xasprintf("%s%s%s in %u of %u runs", m->first.kind, *m->first.where ? " at " : "",
			                      m->first.where, m->runs, ps[i].runs_done);
			xml_escape(&b, msg);
			free(msg);
			sb_add(&b, "\">");
			xml_escape(&b, m->first.report);
			sb_add(&b, "</failure>\n");
		}
		sb_add(&b, "  </testcase>\n");
	}
	sb_add(&b, "</testsuite>\n");
	return b.s;
}

static int parse_chaos(const char *v, chaos_opts *c);

/* Forget what p's runs found, for the next trial. */
static void program_reset(program *p)
{
	for (size_t k = 0; k < p->nfound; k++) {
		free(p->found[k].key);
		free(p->found[k].first.kind);
		free(p->found[k].first.where);
		free(p->found[k].first.report);
		free(p->found[k].seeds);
	}
	free(p->found);
	p->found = NULL;
	p->nfound = 0;
	p->runs_done = 0;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return (x > y) - (x < y);
}

/*
 * --chaos-study: for each program and each chaos mode, `trials` times: run
 * it until its first finding (at most `runs` runs). The median counts a
 * trial that found nothing as more than `runs` runs: shown as ">N".
 */
static int chaos_study(program *ps, size_t nps, unsigned trials, unsigned runs, double timeout_s, bool quiet,
                       const char *json)
{
	static const char *const modes[] = { "off", "random", "pct" };
	json_t *rows = json_array();
	unsigned *at = xcalloc(trials, sizeof *at);
	printf("%-40s %-7s %9s %14s  %s\n", "program", "chaos", "found", "median runs", "finding");
	for (size_t i = 0; i < nps && !interrupted; i++) {
		for (size_t m = 0; m < 3 && !interrupted; m++) {
			chaos_opts c = { 0 };
			(void)parse_chaos(modes[m], &c);
			c.next = (uint64_t)(now_monotonic_s() * 1e9) ^ ((uint64_t)getpid() << 32) ^ m;
			unsigned found = 0;
			double seconds = 0;
			char *kind = NULL;
			for (unsigned t = 0; t < trials && !interrupted; t++) {
				run_program(&ps[i], runs, timeout_s, quiet, true, &c);
				seconds += ps[i].seconds;
				at[t] = ps[i].nfound ? ps[i].found[0].first_run : runs + 1;
				found += ps[i].nfound > 0;
				if (ps[i].nfound && !kind)
					kind = xstrdup(ps[i].found[0].first.kind);
				program_reset(&ps[i]);
			}
			qsort(at, trials, sizeof *at, cmp_uint);
			unsigned median = at[trials / 2];
			char med[32];
			if (median > runs)
				snprintf(med, sizeof med, ">%u", runs);
			else
				snprintf(med, sizeof med, "%u", median);
			const char *slash = strrchr(ps[i].argv[0], '/');
			printf("%-40s %-7s %4u/%-4u %14s  %s\n", slash ? slash + 1 : ps[i].argv[0], modes[m], found, trials,
			       med, kind ? kind : "");
			json_array_append_new(rows, json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:f, s:s?}", "command",
			                                      ascii(ps[i].name), "chaos", modes[m], "trials", (json_int_t)trials,
			                                      "found", (json_int_t)found, "max_runs", (json_int_t)runs,
			                                      "median_runs", (json_int_t)median, "seconds", seconds,
			                                      "finding", kind));
			free(kind);
		}
	}
	free(at);
	int rc = interrupted ? GOC_EXIT_INTERRUPTED : GOC_EXIT_OK;
	if (json) {
		char err[512];
		json_t *j = json_pack("{s:s, s:o}", "goc_chaos_study", "1", "rows", rows);
		if (json_write_file(json, j, err, sizeof err) != 0) {
			goc_err("race: %s", err);
			rc = GOC_EXIT_FAILED;
		}
		json_decref(j);
	} else {
		json_decref(rows);
	}
	return rc;
}

static void programs_free(program *ps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		program_reset(&ps[i]);
		for (size_t a = 0; ps[i].argv[a]; a++)
			free(ps[i].argv[a]);
		free(ps[i].argv);
		free(ps[i].name);
	}
	free(ps);
}

/* --chaos: off, random, pct, or MODE:SEED. 0, or -1 if it is none of these. */
static int parse_chaos(const char *v, chaos_opts *c)
{
	*c = (chaos_opts){ 0 };
	if (!strcmp(v, "off"))
		return 0;
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	if (n == 6 && !strncmp(v, "random", 6))
		c->mode = "random";
	else if (n == 3 && !strncmp(v, "pct", 3))
		c->mode = "pct";
	else
		return -1;
	if (!colon)
		return 0;
	char *end;
	const char *s = colon + 1;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	c->seed = strtoull(s, &end, 0);
	if (*end || errno)
		return -1;
	c->fixed = true;
	return 0;
}

int cmd_race(const goc_globals *g, int argc, char **argv)
{
	uint64_t runs = 10, timeout_s = 30;
	const char *junit = NULL, *json = NULL, *tsan_build = "build/tsan";
	bool quiet = false, fail_fast = false;
	uint64_t study_trials = 0;
	chaos_opts chaos = { 0 };
	int a = 1;
	for (; a < argc; a++) {
		const char *o = argv[a];
		if (!strcmp(o, "--")) {
			a++;
			break;
		}
		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			fputs(usage, stdout);
			return GOC_EXIT_OK;
		}
		if (!strcmp(o, "-q") || !strcmp(o, "--quiet")) {
			quiet = true;
			continue;
		}
		if (!strcmp(o, "--fail-fast")) {
			fail_fast = true;
			continue;
		}
		if (o[0] != '-')
			break;
		bool takes = !strcmp(o, "--runs") || !strcmp(o, "--timeout") || !strcmp(o, "--junit") ||
		             !strcmp(o, "--json") || !strcmp(o, "--tsan-build") || !strcmp(o, "--chaos") ||
		             !strcmp(o, "--chaos-study");
		if (!takes) {
			goc_err("race: unknown option '%s' (see goc race --help)", o);
			return GOC_EXIT_USAGE;
		}
		if (a + 1 >= argc) {
			goc_err("race: %s needs a value (see goc race --help)", o);
			return GOC_EXIT_USAGE;
		}
		const char *v = argv[++a];
		if (!strcmp(o, "--runs")) {
			if (!probe_parse_u64(v, &runs) || runs < 1 || runs > 100000) {
				goc_err("race: --runs: '%s' is not a number of runs in 1..100000", v);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(o, "--timeout")) {
			if (!probe_parse_u64(v, &timeout_s) || timeout_s < 1 || timeout_s > 86400) {
				goc_err("race: --timeout: '%s' is not a number of seconds in 1..86400", v);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(o, "--chaos-study")) {
			if (!probe_parse_u64(v, &study_trials) || study_trials < 1 || study_trials > 1000) {
				goc_err("race: --chaos-study: '%s' is not a number of trials in 1..1000", v);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(o, "--chaos")) {
			if (parse_chaos(v, &chaos) != 0) {
				goc_err("race: --chaos: '%s' is not off, random, pct or MODE:SEED (random:0x1f2e...)", v);
				return GOC_EXIT_USAGE;
			}
		} else if (!strcmp(o, "--junit")) {
			junit = v;
		} else if (!strcmp(o, "--json")) {
			json = v;
		} else {
			tsan_build = v;
		}
	}
	bool dashdash = a > 1 && !strcmp(argv[a - 1], "--");

	program *ps = NULL;
	size_t nps = 0;
	char err[1024];
	if (dashdash) {
		if (a >= argc) {
			goc_err("race: no command after -- (see goc race --help)");
			return GOC_EXIT_USAGE;
		}
		add_program(&ps, &nps, argv_copy(argv + a, (size_t)(argc - a)));
	} else {
		scenario_set set = { 0 };
		catalog cat = { 0 };
		bool need_scenarios = a >= argc;
		for (int i = a; i < argc; i++)
			need_scenarios = need_scenarios || !strchr(argv[i], '/');
		if (need_scenarios) {
			if (scenario_load(g->scenarios, &set, err, sizeof err) != 0 ||
			    catalog_load(tsan_build, &cat, err, sizeof err) != 0) {
				goc_err("race: %s", err);
				scenario_set_free(&set);
				catalog_free(&cat);
				return GOC_EXIT_USAGE;
			}
		}
		int rc = 0;
		for (int i = a; i < argc && rc == 0; i++) {
			if (strchr(argv[i], '/')) {
				if (!is_executable(argv[i])) {
					snprintf(err, sizeof err, "'%s' is not an executable file", argv[i]);
					rc = -1;
				} else {
					add_program(&ps, &nps, argv_copy(argv + i, 1));
				}
				continue;
			}
			const scenario *s = scenario_find(&set, argv[i]);
			if (!s) {
				snprintf(err, sizeof err, "'%s' is neither a program's path nor a scenario (goc list scenarios)",
				         argv[i]);
				rc = -1;
			} else if (s->method) {
				snprintf(err, sizeof err, "'%s' is a server scenario: goc race runs programs that end "
				         "(a server's races are for its own tests under TSan)", argv[i]);
				rc = -1;
			} else {
				rc = add_scenario(&ps, &nps, s, &cat, err, sizeof err);
			}
		}
		if (a >= argc)
			for (size_t i = 0; i < set.n && rc == 0; i++)
				if (scenario_in_suite(&set.v[i], "smoke") && !set.v[i].method)
					rc = add_scenario(&ps, &nps, &set.v[i], &cat, err, sizeof err);
		scenario_set_free(&set);
		catalog_free(&cat);
		if (rc != 0 || nps == 0) {
			goc_err("race: %s", rc != 0 ? err : "nothing to run");
			programs_free(ps, nps);
			return GOC_EXIT_USAGE;
		}
	}

	set_run_env(g->self);
	chaos.next = (uint64_t)(now_monotonic_s() * 1e9) ^ ((uint64_t)getpid() << 32);
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* No core files: SIGQUIT's default action would write one for each hung run of a plain program. */
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	if (study_trials) {
		int src = chaos_study(ps, nps, (unsigned)study_trials, (unsigned)runs, (double)timeout_s, quiet, json);
		programs_free(ps, nps);
		return src;
	}
	for (size_t i = 0; i < nps && !interrupted; i++)
		run_program(&ps[i], (unsigned)runs, (double)timeout_s, quiet, fail_fast, &chaos);

	size_t found = 0, kinds = 0;
	for (size_t i = 0; i < nps; i++) {
		found += ps[i].nfound > 0;
		kinds += ps[i].nfound;
	}
	print_table(ps, nps);
	print_reports(ps, nps);
	printf("\ngoc race: %zu finding(s) in %zu of %zu program(s)%s\n", kinds, found, nps,
	       interrupted ? " (interrupted: the runs so far)" : "");

	int rc = interrupted ? GOC_EXIT_INTERRUPTED : found ? GOC_EXIT_FAILED : GOC_EXIT_OK;
	if (json) {
		json_t *j = findings_json(ps, nps, (unsigned)runs);
		if (json_write_file(json, j, err, sizeof err) != 0) {
			goc_err("race: %s", err);
			rc = rc == GOC_EXIT_OK ? GOC_EXIT_FAILED : rc;
		}
		json_decref(j);
	}
	if (junit) {
		char *xml = junit_xml(ps, nps);
		if (file_write_atomic(junit, xml, strlen(xml), err, sizeof err) != 0) {
			goc_err("race: %s", err);
			rc = rc == GOC_EXIT_OK ? GOC_EXIT_FAILED : rc;
		}
		free(xml);
	}
	programs_free(ps, nps);
	return rc;
}
