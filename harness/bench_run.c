/*
 * bench_run.c - what `goc bench` and `goc baseline go` share: scenarios
 * expanded into commands and groups (one hyperfine invocation per point of
 * a scenario's matrix, every variant of the point one of its commands),
 * hyperfine run through `goc exec` for each group, every run judged, and
 * the run's results.json kept whole after every group. Ctrl-C or SIGTERM
 * stops the group under way (hyperfine runs in its own process group,
 * which goc kills) and leaves every finished point.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog.h"
#include "bench_internal.h"
#include "commands.h"
#include "junit.h"
#include "results.h"
#include "samples.h"
#include "scenario.h"
#include "stats.h"
#include "probe.h"
#include "util.h"

extern char **environ;


/* ---- commands and groups -------------------------------------------------------------- */




static void add_arg(bench_cmd *c, const char *arg)
{
	char **slot = xappend(&c->argv, &c->argc, sizeof *c->argv);
	*slot = xstrdup(arg);
}

/*
 * Append the groups of scenario s (one per point of its knob matrix) for
 * `binary` and these variants (none: one command without --variant).
 */
void bench_expand(const scenario *s, const char *suite, const char *impl, const char *binary,
                   const scenario_list *variants, const bench_overrides *ov, bench_group **groups,
                   size_t *ngroups)
{
	size_t npoints = 1;
	for (size_t k = 0; k < s->nknobs; k++)
		npoints *= s->knobs[k].values.n;
	bool has_size;
	uint64_t size = scenario_setting_for(&s->size, suite, &has_size);
	for (size_t p = 0; p < npoints; p++) {
		bench_group *g = xappend(groups, ngroups, sizeof *g);
		g->runs = ov->runs ? ov->runs : scenario_setting_for(&s->runs, suite, NULL);
		g->warmup = ov->warmup != UINT64_MAX ? ov->warmup : scenario_setting_for(&s->warmup, suite, NULL);
		g->timeout = ov->timeout ? ov->timeout : scenario_setting_for(&s->timeout, suite, NULL);
		g->seconds = scenario_setting_for(&s->seconds, suite, NULL);
		/* The knob values of point p: the last knob varies fastest. */
		char **values = xcalloc(s->nknobs ? s->nknobs : 1, sizeof *values);
		strbuf label = { 0 }, knobs = { 0 };
		sb_add(&label, s->name);
		for (size_t k = s->nknobs, rest = p; k-- > 0;) {
			size_t nv = s->knobs[k].values.n;
			values[k] = s->knobs[k].values.items[rest % nv];
			rest /= nv;
		}
		for (size_t k = 0; k < s->nknobs; k++) {
			sb_printf(&label, " %s=%s", s->knobs[k].name, values[k]);
			sb_printf(&knobs, "%s%s=%s", k ? "," : "", s->knobs[k].name, values[k]);
		}
		g->label = label.s;
		size_t nvar = variants->n ? variants->n : 1;
		for (size_t v = 0; v < nvar; v++) {
			bench_cmd *c = xappend(&g->cmds, &g->n, sizeof *c);
			c->s = s;
			c->impl = impl;
			c->variant = variants->n ? variants->items[v] : NULL;
			c->knob_values = xcalloc(s->nknobs ? s->nknobs : 1, sizeof *c->knob_values);
			memcpy(c->knob_values, values, s->nknobs * sizeof *values);
			c->has_size = has_size;
			c->size = size;
			add_arg(c, binary);
			if (s->workload)
				add_arg(c, s->workload);
			if (c->variant) {
				char *flag = xasprintf("--%s", s->variant_option);
				add_arg(c, flag);
				add_arg(c, c->variant);
				free(flag);
			}
			if (s->method) {
				add_arg(c, "--port");
				add_arg(c, "0");
			}
			if (has_size) {
				char *text = xasprintf("%llu", (unsigned long long)size);
				add_arg(c, "--size");
				add_arg(c, text);
				free(text);
			}
			for (size_t k = 0; k < s->nknobs; k++) {
				if (s->method && strcmp(s->knobs[k].name, SCENARIO_CONNECTIONS) == 0)
					continue; /* wrk's */
				char *flag = xasprintf("--%s", s->knobs[k].name);
				add_arg(c, flag);
				add_arg(c, values[k]);
				free(flag);
			}
			char **end = xappend(&c->argv, &c->argc, sizeof *c->argv);
			*end = NULL;
			c->argc--;
			c->id = xasprintf("%s/%s/%s/%s", s->name, impl, c->variant ? c->variant : "-",
			                  knobs.s ? knobs.s : "-");
		}
		sb_free(&knobs);
		free(values);
	}
}

void bench_groups_free(bench_group *groups, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < groups[i].n; c++) {
			bench_cmd *cmd = &groups[i].cmds[c];
			for (size_t a = 0; a < cmd->argc; a++)
				free(cmd->argv[a]);
			free(cmd->argv);
			free(cmd->knob_values);
			free(cmd->id);
		}
		free(groups[i].cmds);
		free(groups[i].label);
	}
	free(groups);
}

/* A word for a shell command line: quoted when it needs to be. */
static void add_shell_word(strbuf *b, const char *w)
{
	if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+") == strlen(w)) {
		sb_add(b, w);
		return;
	}
	sb_add(b, "'");
	for (; *w; w++) {
		if (*w == '\'')
			sb_add(b, "'\\''");
		else
			sb_addn(b, w, 1);
	}
	sb_add(b, "'");
}

char *bench_shell_line(char *const *argv)
{
	strbuf b = { 0 };
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			sb_add(&b, " ");
		add_shell_word(&b, argv[i]);
	}
	return b.s ? b.s : xstrdup("");
}

/* ---- signals -------------------------------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

bool bench_interrupted(void)
{
	return interrupted != 0;
}

void bench_catch_signals(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: waitpid returns EINTR, and the loop sees the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* ---- one run of goc bench or goc baseline ------------------------------------------------------ */


void bench_set_finished(json_t *results)
{
	char *now = utc_now(false);
	json_object_set_new(results, "finished", json_string(now));
	free(now);
}

void bench_save(bench_run *r)
{
	char err[512];
	if (results_write(r->dir, r->results, err, sizeof err) != 0)
		goc_fatal("%s", err);
}

/*
 * Run hyperfine for a group in its own process group; its output goes to
 * hyperfine/NNN.log. Returns its wait status, or -1 (err says why; on
 * interruption err is empty).
 */
static int run_hyperfine(bench_run *r, const bench_group *grp, size_t inv, char *err, size_t errlen)
{
	char **argv = NULL;
	size_t argc = 0;
	char *runs = xasprintf("%llu", (unsigned long long)grp->runs);
	char *warmup = xasprintf("%llu", (unsigned long long)grp->warmup);
	char *json = xasprintf("%s/hyperfine/%03zu.json", r->dir, inv);
	char *log = xasprintf("%s/hyperfine/%03zu.log", r->dir, inv);
	char *fixed[] = { "hyperfine", "--shell=none", "--style", "none", "--ignore-failure", "--runs", runs,
	                  "--warmup", warmup, "--export-json", json };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		*(char **)xappend(&argv, &argc, sizeof *argv) = xstrdup(fixed[i]);
	char *timeout = xasprintf("%llu", (unsigned long long)grp->timeout);
	for (size_t c = 0; c < grp->n; c++) {
		const bench_cmd *cmd = &grp->cmds[c];
		char *record = xasprintf("%s/samples/%03zu-%zu.jsonl", r->dir, inv, c);
		char *wrapper[] = { (char *)r->g->self, "exec", "--record", record, "--timeout", timeout, "--", NULL };
		strbuf line = { 0 };
		char *head = bench_shell_line(wrapper);
		char *tail = bench_shell_line(cmd->argv);
		sb_printf(&line, "%s %s", head, tail);
		free(head);
		free(tail);
		free(record);
		*(char **)xappend(&argv, &argc, sizeof *argv) = xstrdup("--command-name");
		*(char **)xappend(&argv, &argc, sizeof *argv) = xstrdup(cmd->id);
		*(char **)xappend(&argv, &argc, sizeof *argv) = line.s;
	}
	*(char **)xappend(&argv, &argc, sizeof *argv) = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "hyperfine", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	int status = -1;
	if (rc != 0) {
		snprintf(err, errlen, "cannot run hyperfine: %s", strerror(rc));
	} else {
		bool killed = false;
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				snprintf(err, errlen, "waiting for hyperfine: %s", strerror(errno));
				status = -1;
				break;
			}
			if (interrupted && !killed) {
				/* hyperfine, goc exec and the target: the whole group. */
				kill(-pid, SIGKILL);
				killed = true;
			}
		}
		if (interrupted) {
			err[0] = '\0';
			status = -1;
		}
	}
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	free(runs);
	free(warmup);
	free(timeout);
	free(json);
	free(log);
	return status;
}

void bench_point_init(results_point *p, const bench_cmd *c, const bench_group *grp)
{
	const scenario *s = c->s;
	*p = (results_point){ .id = xstrdup(c->id),
		              .scenario = xstrdup(s->name),
		              .target = xstrdup(s->target),
		              .workload = s->workload ? xstrdup(s->workload) : NULL,
		              .impl = xstrdup(c->impl),
		              .variant = c->variant ? xstrdup(c->variant) : NULL,
		              .reference = c->variant && s->reference && strcmp(c->variant, s->reference) == 0,
		              .has_size = c->has_size,
		              .size = c->size,
		              .warmup = (long long)grp->warmup,
		              .runs = (long long)grp->runs,
		              .timeout_s = (long long)grp->timeout };
	for (size_t k = 0; k < s->nknobs; k++) {
		results_knob *knob = xappend(&p->knobs, &p->nknobs, sizeof *knob);
		knob->name = xstrdup(s->knobs[k].name);
		knob->value = xstrdup(c->knob_values[k]);
	}
	for (size_t a = 0; a < c->argc; a++)
		*(char **)xappend(&p->argv, &p->argc, sizeof *p->argv) = xstrdup(c->argv[a]);
}

/* Point *p of command ci of invocation inv, judged from its files. */
static void judge_cmd(bench_run *r, const bench_group *grp, size_t inv, size_t ci, const samples_command *hf,
                      const char *hf_error, results_point *p)
{
	const bench_cmd *c = &grp->cmds[ci];
	const scenario *s = c->s;
	bench_point_init(p, c, grp);
	if (hf_error) {
		results_add_failure(p, -1, false, "hyperfine", NULL, hf_error);
	} else {
		for (size_t k = 0; k < hf->ntimes; k++)
			results_series_add(&p->wall_s, hf->times[k]);
		p->has_cpu = !isnan(hf->user_s) && !isnan(hf->system_s);
		p->user_s = p->has_cpu ? hf->user_s : 0;
		p->system_s = p->has_cpu ? hf->system_s : 0;
	}

	char *path = xasprintf("%s/samples/%03zu-%zu.jsonl", r->dir, inv, ci);
	char *text = file_read(path, NULL);
	size_t nrec = 0;
	samples_expect e = { s->workload, c->variant, s->check };
	for (char *save_ptr = NULL, *ln = text ? strtok_r(text, "\n", &save_ptr) : NULL; ln;
	     ln = strtok_r(NULL, "\n", &save_ptr), nrec++) {
		bool warm = nrec < grp->warmup;
		long run = warm ? (long)nrec + 1 : (long)(nrec - grp->warmup) + 1;
		samples_record rec;
		char msg[512];
		if (samples_parse_record(ln, &rec, msg, sizeof msg) != 0) {
			results_add_failure(p, run, warm, "bad output", NULL, msg);
			continue;
		}
		samples_line tl;
		const char *what = samples_judge(&rec, &e, &tl, msg, sizeof msg);
		if (!what && p->has_ops && (p->ops != (long long)tl.ops || !json_equal(p->check, tl.check))) {
			what = "bad output";
			snprintf(msg, sizeof msg, "ops or check differ from the first run's: %.200s", tl.text);
			samples_free_line(&tl);
		}
		if (what) {
			results_add_failure(p, run, warm, what, &rec, msg);
		} else {
			if (!p->has_ops) {
				p->has_ops = true;
				p->ops = (long long)tl.ops;
				p->check = json_incref(tl.check);
				free(p->variant);
				p->variant = xstrdup(c->variant ? c->variant : tl.variant);
			}
			if (!warm) {
				results_series_add(&p->ns_per_op, tl.ns_per_op);
				/* A peak RSS that is not a whole number of kB is no figure. */
				results_series_add(&p->peak_rss_kb, json_is_integer(tl.peak_rss_kb)
				                                        ? (double)json_integer_value(tl.peak_rss_kb) : NAN);
				*(char **)xappend(&p->lines, &p->nlines, sizeof *p->lines) = xstrdup(tl.text);
			}
			samples_free_line(&tl);
		}
		samples_free_record(&rec);
	}
	if (!hf_error && nrec != grp->warmup + grp->runs) {
		char msg[256];
		snprintf(msg, sizeof msg, "%zu run records in %s, expected %llu (warm-up and timed)", nrec, path,
		         (unsigned long long)(grp->warmup + grp->runs));
		results_add_failure(p, -1, false, "hyperfine", NULL, msg);
	}
	free(text);
	free(path);

	p->ok = p->nfailures == 0;
	p->hyperfine = xasprintf("hyperfine/%03zu.json", inv);
	p->samples = xasprintf("samples/%03zu-%zu.jsonl", inv, ci);
}

/* The median of a series, for a point's progress line; 0 when it has none. */
static double series_median(const results_series *s)
{
	double m;
	return results_series_median(s, &m) ? m : 0;
}

static void progress(bench_run *r, size_t gi, size_t ng, const bench_group *grp)
{
	double elapsed = now_monotonic_s() - r->started;
	char *el = format_duration(elapsed);
	strbuf eta = { 0 };
	if (r->runs_done > 0) {
		char *left = format_duration(elapsed / (double)r->runs_done * (double)(r->runs_total - r->runs_done));
		sb_printf(&eta, ", ~%s left", left);
		free(left);
	}
	fprintf(stderr, "%s[%zu/%zu] %s elapsed%s: %s (%zu command%s x %llu runs)%s", r->tty ? "\r\033[K" : "",
	        gi + 1, ng, el, sb_str(&eta), grp->label, grp->n, grp->n == 1 ? "" : "s",
	        (unsigned long long)(grp->warmup + grp->runs), r->tty ? "" : "\n");
	fflush(stderr);
	free(el);
	sb_free(&eta);
}

/* The points of a hyperfine group: run it, then judge each command from its files. */
static results_point *hyperfine_points(bench_run *r, const bench_group *grp, size_t inv)
{
	char err[512] = "";
	int status = run_hyperfine(r, grp, inv, err, sizeof err);
	if (interrupted)
		return NULL;
	char *hf_error = NULL;
	samples_command *hf = NULL;
	size_t nhf = 0;
	char *logpath = xasprintf("%s/hyperfine/%03zu.log", r->dir, inv);
	if (status == -1) {
		hf_error = xstrdup(err);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *how = describe_status(status);
		char *log = file_read(logpath, NULL);
		hf_error = xasprintf("hyperfine failed (%s): %.300s", how, log ? log : "");
		free(how);
		free(log);
	} else {
		char *json_path = xasprintf("%s/hyperfine/%03zu.json", r->dir, inv);
		char *text = file_read(json_path, NULL);
		if (!text || samples_parse_hyperfine(text, &hf, &nhf, err, sizeof err) != 0)
			hf_error = xasprintf("%s: %s", json_path, text ? err : strerror(errno));
		else if (nhf != grp->n)
			hf_error = xasprintf("%s: %zu results for %zu commands", json_path, nhf, grp->n);
		free(text);
		free(json_path);
	}
	free(logpath);
	results_point *points = xcalloc(grp->n, sizeof *points);
	for (size_t c = 0; c < grp->n; c++)
		judge_cmd(r, grp, inv, c, hf_error ? NULL : &hf[c], hf_error, &points[c]);
	samples_free_hyperfine(hf, nhf);
	free(hf_error);
	return points;
}

/* A point's line on the terminal: its median (ns/op, or requests/s for a server) or its first failure. */
static void print_point(const bench_group *grp, const bench_cmd *c, const results_point *p)
{
	char figure[64];
	if (c->s->method)
		snprintf(figure, sizeof figure, "%12.0f req/s", series_median(&p->requests_per_s));
	else
		snprintf(figure, sizeof figure, "%12.1f ns/op", series_median(&p->ns_per_op));
	fprintf(stderr, "  %-8s %-2s %-14s %s  %s%s%s\n", p->ok ? "ok" : "FAILED", c->impl, p->variant ? p->variant : "",
	        figure, grp->label, p->ok ? "" : ": ", p->ok || !p->nfailures ? "" : p->failures[0].message);
}

bool bench_run_groups(bench_run *r, bench_group *groups, size_t ng)
{
	for (size_t i = 0; i < ng; i++)
		r->runs_total += groups[i].n * (groups[i].runs + groups[i].warmup);
	for (size_t gi = 0; gi < ng && !interrupted; gi++) {
		bench_group *grp = &groups[gi];
		size_t inv = r->next_invocation++;
		progress(r, gi, ng, grp);
		results_point *ps = grp->cmds[0].s->method ? bench_server_points(r, grp, inv) : hyperfine_points(r, grp, inv);
		if (r->tty)
			fprintf(stderr, "\r\033[K");
		/* An interrupted group is dropped whole: its figures are partial. */
		for (size_t c = 0; ps && c < grp->n; c++) {
			if (!interrupted) {
				if (!ps[c].ok)
					r->failed_points++;
				print_point(grp, &grp->cmds[c], &ps[c]);
				results_add_point(r->results, &ps[c]);
			}
			results_point_destroy(&ps[c]);
		}
		free(ps);
		if (interrupted)
			break;
		r->runs_done += grp->n * (grp->runs + grp->warmup);
		bench_save(r);
	}
	return !interrupted;
}

/* hyperfine must be there before a run starts, or every point would fail. */
static bool have_hyperfine(void)
{
	char *argv[] = { "hyperfine", "--version", NULL };
	char *version = run_first_line(argv);
	if (!version)
		goc_err("hyperfine is not installed or does not run (Debian: apt-get install hyperfine; "
		        "scripts/run and scripts/test install it)");
	free(version);
	return version != NULL;
}

/* ---- scenario selection ------------------------------------------------------------------------------ */

int bench_load_scenarios(const goc_globals *g, scenario_set *set)
{
	char err[1024];
	if (scenario_load(g->scenarios, set, err, sizeof err) != 0) {
		goc_err("%s", err);
		return -1;
	}
	return 0;
}



/* wrk must be there before a server scenario runs, or its every point would fail. */
static bool have_wrk(void)
{
	char *argv[] = { "wrk", "--version", NULL };
	strbuf out = { 0 };
	int status;
	char err[256];
	/* wrk --version prints its version and usage and exits 1: that it ran is enough. */
	bool ran = run_capture(argv, 4096, &out, NULL, &status, err, sizeof err) == 0 && strstr(sb_str(&out), "wrk");
	sb_free(&out);
	if (!ran)
		goc_err("wrk is not installed or does not run (Debian: apt-get install wrk; scripts/run and scripts/test "
		        "install it)");
	return ran;
}

bool bench_have_tools(const bench_group *groups, size_t n)
{
	bool servers = false, programs = false;
	for (size_t i = 0; i < n; i++) {
		servers = servers || groups[i].cmds[0].s->method;
		programs = programs || !groups[i].cmds[0].s->method;
	}
	return (!programs || have_hyperfine()) && (!servers || have_wrk());
}
