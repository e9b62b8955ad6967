/*
 * report_tables.c - the Markdown of `goc report` but the facts and the
 * charts: the machine header, the TSan test line, and each scenario's
 * table (median ns/op, its 95% confidence interval, n, CPU ns/op, the
 * ratios to the reference variant and to Go), with the number formats
 * they share.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"
#include "report_internal.h"
#include "results.h"
#include "stats.h"
#include "util.h"

/* ---- formatting ----------------------------------------------------------------------------- */

/* ns/op with as many decimals as a reader needs: 1885, 40.4, 3.14, 0.0123. */
void report_fmt_ns(char *buf, size_t len, double v)
{
	const char *fmt = v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3g";
	snprintf(buf, len, fmt, v);
}

void report_fmt_ratio(char *buf, size_t len, double v)
{
	snprintf(buf, len, v >= 10 ? "%.1fx" : v >= 0.1 ? "%.2fx" : "%.3gx", v);
}

/* Text for a Markdown table cell: no '|' that would end it, no line break. */
static void add_cell(strbuf *b, const char *text)
{
	sb_add(b, " ");
	for (; *text; text++) {
		if (*text == '|')
			sb_add(b, "\\|");
		else if (*text == '\n' || *text == '\r')
			sb_add(b, " ");
		else
			sb_addn(b, text, 1);
	}
	sb_add(b, " |");
}

/* Why a point has no median: its first failure (what, run, message) and how many more. */
static char *failure_text(const rpoint *p)
{
	if (p->pt->ok)
		return xstrdup(p->n ? "no usable ns/op samples" : "no ns/op samples recorded");
	if (!p->pt->nfailures)
		return xstrdup("failed (no failure recorded)");
	const results_failure *f = &p->pt->failures[0];
	strbuf b = { 0 };
	sb_printf(&b, "%s", *f->what ? f->what : "failed");
	if (f->run >= 0)
		sb_printf(&b, " (%srun %ld)", f->warmup ? "warm-up " : "", f->run);
	if (*f->message)
		sb_printf(&b, ": %.300s", f->message);
	if (p->pt->nfailures > 1)
		sb_printf(&b, " (and %zu more failed runs)", p->pt->nfailures - 1);
	return b.s;
}

/* "a is 3.10x faster than b" (or slower) from two medians. */
void report_add_comparison(strbuf *b, const char *a, double ma, const char *bn, double mb)
{
	char f[32];
	if (fabs(mb / ma - 1) < 0.005) {
		sb_printf(b, "%s and %s have medians within 0.5%% of each other", a, bn);
	} else if (mb > ma) {
		report_fmt_ratio(f, sizeof f, mb / ma);
		sb_printf(b, "%s is %s faster than %s", a, f, bn);
	} else {
		report_fmt_ratio(f, sizeof f, ma / mb);
		sb_printf(b, "%s is %s slower than %s", a, f, bn);
	}
}

/* ---- the header, the tests ------------------------------------------------------------------------ */

static void add_command_line(strbuf *b, const json_t *run)
{
	size_t i;
	json_t *w;
	sb_add(b, "`");
	json_array_foreach(json_object_get(run, "command"), i, w)
		sb_printf(b, "%s%s", i ? " " : "", json_string_value(w) ? json_string_value(w) : "");
	sb_add(b, "`");
}

/* One row of the machine table: a name and, per run, a value (NULL or "": "not recorded"). */
static void machine_row(strbuf *md, const report *r, const char *name, char *(*value)(const json_t *))
{
	sb_printf(md, "| %s |", name);
	for (size_t i = 0; i < r->nruns; i++) {
		char *v = value(r->runs[i]);
		add_cell(md, v && *v ? v : "not recorded");
		free(v);
	}
	sb_add(md, "\n");
}

/* A row whose value is a string field of the run: run[object][key]. */
static void field_row(strbuf *md, const report *r, const char *name, const char *object, const char *key)
{
	sb_printf(md, "| %s |", name);
	for (size_t i = 0; i < r->nruns; i++) {
		const char *v = jstr(json_object_get(r->runs[i], object), key);
		add_cell(md, *v ? v : "not recorded");
	}
	sb_add(md, "\n");
}

static char *row_run(const json_t *run)
{
	return xasprintf("%s (%s, %zu points)", jstr(run, "run_id"), jstr(run, "state"),
	                 json_array_size(json_object_get(run, "points")));
}
static char *row_when(const json_t *run)
{
	return xasprintf("%s to %s", *jstr(run, "started") ? jstr(run, "started") : "?",
	                 *jstr(run, "finished") ? jstr(run, "finished") : "(not finished)");
}
static char *row_command(const json_t *run)
{
	strbuf b = { 0 };
	add_command_line(&b, run);
	return b.s;
}
static char *row_cores(const json_t *run)
{
	const json_t *host = json_object_get(run, "host");
	char *mem = jnum(host, "memory_kb") > 0 ? xasprintf(", %.1f GiB of memory", jnum(host, "memory_kb") / 1048576) : xstrdup("");
	char *s = jnum(host, "cores") > 0 ? xasprintf("%.0f%s", jnum(host, "cores"), mem) : NULL;
	free(mem);
	return s;
}

static char *row_build(const json_t *run)
{
	const json_t *b = json_object_get(run, "build");
	return *jstr(b, "build_type") || *jstr(b, "c_flags")
		? xasprintf("%s, C flags `%s`", *jstr(b, "build_type") ? jstr(b, "build_type") : "?", jstr(b, "c_flags"))
		: NULL;
}

static char *row_commit(const json_t *run)
{
	const json_t *b = json_object_get(run, "build");
	if (!*jstr(b, "commit"))
		return xstrdup("not a git checkout");
	return xasprintf("%s%s", jstr(b, "commit"),
	                 json_is_true(json_object_get(b, "dirty")) ? " + uncommitted changes (dirty)" : "");
}

static char *row_go(const json_t *run)
{
	const char *go = jstr(json_object_get(run, "tools"), "go");
	return xstrdup(*go ? go : "none (no Go baseline ran)");
}

void report_md_header(strbuf *md, const report *r)
{
	sb_add(md, "# goc benchmark report\n\n");
	sb_printf(md, "Generated by `goc report` from %s:", r->nruns > 1 ? "these runs, merged" : "this run");
	for (size_t i = 0; i < r->nruns; i++)
		sb_printf(md, "%s %s on %s", i ? "," : "", jstr(r->runs[i], "run_id"), report_hostname_of(r->runs[i]));
	sb_add(md, ".\n\n| |");
	for (size_t i = 0; i < r->nruns; i++)
		add_cell(md, r->labels[i]);
	sb_add(md, "\n|---|");
	for (size_t i = 0; i < r->nruns; i++)
		sb_add(md, "---|");
	sb_add(md, "\n");
	machine_row(md, r, "run", row_run);
	machine_row(md, r, "when (UTC)", row_when);
	machine_row(md, r, "command", row_command);
	field_row(md, r, "host", "host", "hostname");
	field_row(md, r, "CPU", "host", "cpu");
	machine_row(md, r, "cores", row_cores);
	field_row(md, r, "kernel", "host", "kernel");
	field_row(md, r, "OS", "host", "os");
	field_row(md, r, "compiler", "build", "compiler");
	machine_row(md, r, "build", row_build);
	machine_row(md, r, "commit", row_commit);
	field_row(md, r, "libgoc tasks", "build", "tasks");
	field_row(md, r, "hyperfine", "tools", "hyperfine");
	machine_row(md, r, "Go", row_go);
	for (size_t i = 0; i < r->nruns; i++) {
		const char *state = jstr(r->runs[i], "state");
		size_t n = json_array_size(json_object_get(r->runs[i], "points"));
		if (!strcmp(state, "interrupted"))
			sb_printf(md, "\n**%s (%s): this run was interrupted: %zu points** finished and are reported; "
			              "the rest did not run.\n", jstr(r->runs[i], "run_id"), r->labels[i], n);
		else if (strcmp(state, "complete"))
			sb_printf(md, "\n**%s (%s): this run did not finish** (state `%s`: goc bench was still running, "
			              "or died): %zu points were recorded.\n", jstr(r->runs[i], "run_id"), r->labels[i], state, n);
	}
	sb_add(md, "\nHow to read the tables: *median ns/op* is the median, over the timed runs of a point, of\n"
	           "the nanoseconds per operation the target measured itself; *95% CI* is a distribution-free\n"
	           "confidence interval for that median (order statistics); *n* is the number of runs;\n"
	           "*vs reference* is the median divided by the reference variant's at the same knobs and\n"
	           "*C/Go* the C median divided by Go's for the same scenario, knobs and variant in the same\n"
	           "run: below 1 is faster. *CPU ns/op* is the whole process's CPU time per operation: hyperfine's\n"
	           "mean user + system seconds per run (every thread, start-up and the `goc exec` wrapper included)\n"
	           "over the run's ops, so it exceeds the median where threads run in parallel or spin; *CPU C/Go*\n"
	           "divides C's by Go's, and — means the run did not record it. Failed points show their failure\n"
	           "and no figures.\n");
}

void report_md_tests(strbuf *md, const report *r)
{
	sb_add(md, "\n## TSan tests\n\n");
	for (size_t i = 0; i < r->nruns; i++) {
		const json_t *t = json_object_get(r->runs[i], "tests");
		sb_printf(md, "- %s (%s): ", r->labels[i], jstr(r->runs[i], "run_id"));
		if (!json_is_object(t)) {
			sb_add(md, "not recorded (the run was made without `goc bench --tests`).\n");
			continue;
		}
		sb_printf(md, "%.0f passed, %.0f failed, %.0f skipped", jnum(t, "passed"), jnum(t, "failed"), jnum(t, "skipped"));
		if (*jstr(t, "source"))
			sb_printf(md, " (from `%s`)", jstr(t, "source"));
		size_t k;
		json_t *name;
		json_array_foreach(json_object_get(t, "failed_names"), k, name)
			sb_printf(md, "%s`%s`", k ? ", " : "; failed: ", json_string_value(name) ? json_string_value(name) : "?");
		sb_add(md, ".\n");
	}
}

/* ---- a scenario's table ------------------------------------------------------------------------------ */

/* A column head, and its part of the rule line under the heads. */
static void head_cell(strbuf *md, strbuf *rule, const char *name)
{
	add_cell(md, name);
	sb_add(rule, rule->len ? "---|" : "|---|");
}

/* A table's first heads, which row_start() fills: host (several runs), knobs, variant. */
static void head_start(strbuf *md, strbuf *rule, const report *r, const rscenario *s)
{
	sb_add(md, "|");
	if (r->nruns > 1)
		head_cell(md, rule, "host");
	if (s->has_knobs)
		head_cell(md, rule, "knobs");
	head_cell(md, rule, "variant");
}

/* The rule under the heads, which ends them. */
static void head_end(strbuf *md, strbuf *rule)
{
	sb_printf(md, "\n%s\n", rule->s);
	sb_free(rule);
}

static void table_head(strbuf *md, const report *r, const rscenario *s)
{
	strbuf rule = { 0 };
	head_start(md, &rule, r, s);
	head_cell(md, &rule, "median ns/op");
	head_cell(md, &rule, "95% CI of the median");
	head_cell(md, &rule, "n");
	/* A server's CPU time is its own, per request, in the table that follows this one. */
	if (!s->server)
		head_cell(md, &rule, "CPU ns/op");
	if (s->has_variants)
		head_cell(md, &rule, "vs reference");
	if (s->has_go) {
		head_cell(md, &rule, "Go median ns/op");
		head_cell(md, &rule, "C/Go");
		if (!s->server) {
			head_cell(md, &rule, "Go CPU ns/op");
			head_cell(md, &rule, "CPU C/Go");
		}
	}
	head_end(md, &rule);
}

static void add_ci_cell(strbuf *md, const rpoint *p)
{
	char lo[32], hi[32], text[160];
	report_fmt_ns(lo, sizeof lo, p->ci.lo);
	report_fmt_ns(hi, sizeof hi, p->ci.hi);
	if (p->ci.reached)
		snprintf(text, sizeof text, "[%s, %s]", lo, hi);
	else if (p->n > 1)
		snprintf(text, sizeof text, "n too small for 95%%: range [%s, %s] covers %.0f%%", lo, hi,
		         p->ci.coverage * 100);
	else
		snprintf(text, sizeof text, "n too small for 95%%");
	add_cell(md, text);
}

/* The cell of a point without figures: "**failed**: what (run N): message". */
static void add_failure_cell(strbuf *md, const rpoint *p)
{
	char *why = failure_text(p);
	char *text = xasprintf("**failed**: %s", why);
	add_cell(md, text);
	free(text);
	free(why);
}

/* p's median against its reference variant's; a Go point's own row has none. */
static void add_reference_cell(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	const rpoint *ref = p->go ? NULL : report_partner(r, s, p, false, true);
	if (p->reference && !p->go) {
		add_cell(md, "reference");
	} else if (ref && ref->ok && p->ok) {
		report_fmt_ratio(buf, sizeof buf, p->median / ref->median);
		add_cell(md, buf);
	} else {
		add_cell(md, ref && !ref->ok ? "— (reference failed)" : "—");
	}
}

/* Go's median at p's point and p's median against it; a Go point's own row has neither. */
static void add_go_cells(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	const rpoint *g = p->go ? NULL : report_partner(r, s, p, true, false);
	if (!g) {
		add_cell(md, "—");
	} else if (!g->ok) {
		add_failure_cell(md, g);
	} else {
		report_fmt_ns(buf, sizeof buf, g->median);
		add_cell(md, buf);
	}
	if (g && g->ok && p->ok) {
		report_fmt_ratio(buf, sizeof buf, p->median / g->median);
		add_cell(md, buf);
	} else {
		add_cell(md, "—");
	}
}

/*
 * A program point's CPU ns per op: hyperfine's mean CPU seconds per run over the ops of a run (every run of
 * an ok point reports the same ops). False for a failed point, or one whose run did not record CPU time.
 */
static bool cpu_ns_per_op(const rpoint *p, double *v)
{
	if (!p || !p->ok || !p->pt->has_cpu || !p->pt->has_ops || p->pt->ops <= 0)
		return false;
	*v = (p->pt->user_s + p->pt->system_s) * 1e9 / (double)p->pt->ops;
	return true;
}

/* p's CPU ns/op, or "—" when it has none. */
static void add_cpu_cell(strbuf *md, const rpoint *p)
{
	char buf[32];
	double v;
	bool have = cpu_ns_per_op(p, &v);
	if (have)
		report_fmt_ns(buf, sizeof buf, v);
	add_cell(md, have ? buf : "—");
}

/* Go's CPU ns/op at p's point and p's against it; a Go point's own row has neither. */
static void add_go_cpu_cells(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	const rpoint *g = p->go ? NULL : report_partner(r, s, p, true, false);
	double c, gc;
	add_cpu_cell(md, g);
	bool ratio = cpu_ns_per_op(p, &c) && cpu_ns_per_op(g, &gc) && gc > 0;
	if (ratio)
		report_fmt_ratio(buf, sizeof buf, c / gc);
	add_cell(md, ratio ? buf : "—");
}

/* A row's first cells: the host (several runs), the knobs, the variant. */
static void row_start(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	sb_add(md, "|");
	if (r->nruns > 1)
		add_cell(md, r->labels[p->src]);
	if (s->has_knobs)
		add_cell(md, *p->knobs ? p->knobs : "—");
	char *variant = p->go ? xasprintf("%s (Go only)", p->variant) : xstrdup(p->variant);
	add_cell(md, *variant ? variant : "—");
	free(variant);
}

/* One row: a C point with its Go report_partner's figures, or a Go point no C point pairs with. */
static void table_row(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	row_start(md, r, s, p);
	if (p->ok) {
		report_fmt_ns(buf, sizeof buf, p->median);
		add_cell(md, buf);
		add_ci_cell(md, p);
		snprintf(buf, sizeof buf, "%zu", p->n);
		add_cell(md, buf);
	} else {
		add_failure_cell(md, p);
		add_cell(md, "—");
		add_cell(md, "—");
	}
	if (!s->server)
		add_cpu_cell(md, p);
	if (s->has_variants)
		add_reference_cell(md, r, s, p);
	if (s->has_go) {
		add_go_cells(md, r, s, p);
		if (!s->server)
			add_go_cpu_cells(md, r, s, p);
	}
	sb_add(md, "\n");
}

/* One row per C point; a Go point has its own row only when no C point pairs with it. */
void report_md_table(strbuf *md, const report *r, const rscenario *s)
{
	table_head(md, r, s);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *p = &r->pts[s->pts[i]];
		if (!p->go || !report_partner(r, s, p, false, false))
			table_row(md, r, s, p);
	}
}


/* ---- a server scenario's figures ---------------------------------------------------------------- */

/* The server figures, each a median over the runs: what the column says, the samples, the scale, the format. */
static const struct server_col {
	const char *head;
	size_t series;             /* offsetof the results_series in results_point */
	double scale;
	const char *fmt;
	bool vs_go;                /* a C/Go ratio column follows when Go ran */
} server_cols[] = {
	{ "requests/s", offsetof(results_point, requests_per_s), 1, "%.0f", true },
	{ "p50 ms", offsetof(results_point, p50_us), 1e-3, "%.2f", false },
	{ "p99 ms", offsetof(results_point, p99_us), 1e-3, "%.2f", true },
	{ "CPU µs/request", offsetof(results_point, cpu_us_per_request), 1, "%.1f", true },
	{ "peak RSS MiB", offsetof(results_point, peak_rss_kb), 1.0 / 1024, "%.1f", false },
	{ "RSS growth B/request", offsetof(results_point, rss_growth_per_request_b), 1, "%.0f", true },
};

/* Column col's samples of point p. */
static const results_series *col_series(const rpoint *p, const struct server_col *col)
{
	return (const results_series *)(const void *)((const char *)p->pt + col->series);
}

/* The median of point p's samples of column col; false when it has none. */
static bool median_of(const rpoint *p, const struct server_col *col, double *m)
{
	const results_series *s = p && p->ok ? col_series(p, col) : NULL;
	return s && results_series_median(s, m);
}
#define NSERVER_COLS (sizeof server_cols / sizeof *server_cols)

/*
 * The figures wrk and /proc gave for each point of a server scenario
 * (requests/s, latency, the server's CPU time and memory), medians over the
 * runs, with C/Go ratios where Go ran: the table above compares wall time
 * per request only.
 */
void report_md_server_table(strbuf *md, const report *r, const rscenario *s)
{
	strbuf rule = { 0 };
	sb_add(md, "\nThe servers' own figures, medians over the runs (ns/op above is wall-clock ns per request, "
	           "1e9 / requests/s; the CPU time is the server's alone, wrk's is not counted). Each C/Go is the "
	           "figure before it over Go's: above 1 is better for requests/s, below 1 for the others.\n\n");
	head_start(md, &rule, r, s);
	bool shown[NSERVER_COLS];
	for (size_t c = 0; c < NSERVER_COLS; c++) {
		/* A figure no point recorded (RSS growth, for a GET) gets no column. */
		shown[c] = false;
		for (size_t i = 0; i < s->npts && !shown[c]; i++)
			shown[c] = col_series(&r->pts[s->pts[i]], &server_cols[c])->present;
		if (!shown[c])
			continue;
		head_cell(md, &rule, server_cols[c].head);
		if (s->has_go && server_cols[c].vs_go)
			head_cell(md, &rule, "C/Go");
	}
	head_end(md, &rule);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *p = &r->pts[s->pts[i]];
		const rpoint *g = p->go ? NULL : report_partner(r, s, p, true, false);
		if (p->go && report_partner(r, s, p, false, false))
			continue;
		row_start(md, r, s, p);
		for (size_t c = 0; c < NSERVER_COLS; c++) {
			const struct server_col *col = &server_cols[c];
			if (!shown[c])
				continue;
			char buf[64];
			double m, gm;
			bool have = median_of(p, col, &m);
			if (have)
				snprintf(buf, sizeof buf, col->fmt, m * col->scale);
			add_cell(md, have ? buf : "—");
			if (s->has_go && col->vs_go) {
				bool ratio = have && median_of(g, col, &gm) && gm > 0;
				if (ratio)
					report_fmt_ratio(buf, sizeof buf, m / gm);
				add_cell(md, ratio ? buf : "—");
			}
		}
		sb_add(md, "\n");
	}
}
