/*
 * report.c - `goc report`: REPORT.md from one or more runs. The runs'
 * points are read into a flat list, grouped by scenario (in the order the
 * runs made them), and each scenario gets a table (median ns/op, the 95%
 * confidence interval of the median, n, the ratio to the reference variant
 * and to Go), a line of facts computed from the medians, and a chart drawn
 * by gnuplot. A figure is divided only by a figure of the same run (`goc
 * baseline go` adds its points to the run it completes), so a Go baseline
 * or a reference from one machine never divides a median from another.
 *
 * Medians and intervals come from stats.c, so the report and `goc compare`
 * agree on what a median is. The Markdown is built in memory and written
 * atomically; each chart is gnuplot's standard output, written atomically.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "report.h"
#include "report_checks.h"
#include "results.h"
#include "stats.h"
#include "util.h"

static const char report_usage[] =
	"usage: goc report [--out FILE] [--charts DIR] [RUN...]\n\n"
	"Write a Markdown report of runs (a run folder, its results.json, a run id\n"
	"under the results folder, or latest, the default): the machines, the TSan\n"
	"test results, and per scenario a table of medians with their 95% confidence\n"
	"intervals, ratios to the reference variant and to Go where a Go baseline ran,\n"
	"a chart, and a line of facts computed from the medians. Several runs, also\n"
	"from different hosts, are merged; each figure says which host it came from.\n\n"
	"Charts are SVG files drawn by gnuplot, linked relatively from FILE. GOC_GNUPLOT\n"
	"names the gnuplot to run (default gnuplot); without it the report has every\n"
	"table and says why the charts were skipped.\n\n"
	"  --out FILE    the report to write (default REPORT.md)\n"
	"  --charts DIR  the folder for the charts (default: charts/ in the first run's folder)\n"
	"  -h, --help    this help\n\n"
	"Exit status: 0 written (failed points are reported, not an error), 1 a run\n"
	"cannot be read or the report cannot be written, 2 bad command line.\n";

#define CI_LEVEL 0.95

/* ---- the model ------------------------------------------------------------------------ */

/* One point of one run, with its median. */
typedef struct rpoint {
	const json_t *j;           /* the point, in its run */
	size_t src;                /* the run it came from: an index into report.runs */
	const char *scenario, *target, *variant;
	char *knobs;               /* "job=square, workers=4"; "" without knobs */
	bool go;                   /* a Go baseline (impl "go"), else the C target */
	bool reference;
	bool ok;                   /* status ok and a median computed */
	size_t n;                  /* ns/op samples */
	double median;
	stats_ci ci;
} rpoint;

/* The points of one scenario, from every run. */
typedef struct rscenario {
	const char *name, *target;
	size_t *pts;               /* indexes into report.pts, in run order */
	size_t npts;
	bool has_variants;         /* some point is the reference variant */
	bool has_go;
	bool has_knobs;
	const char **vary;         /* the knobs that take more than one value (keys in the runs) */
	size_t nvary;
	const char *xknob;         /* the first of vary whose values are all numbers, or NULL */
} rscenario;

typedef struct report {
	json_t **runs;
	size_t nruns;
	char **labels;             /* per run: its host, or "host (run id)" when runs share a host */
	rpoint *pts;
	size_t npts;
	rscenario *scens;
	size_t nscens;
	const char *gnuplot;
	char *charts_off;          /* why no chart is drawn, or NULL */
	char *first_dir;           /* the first run's folder */
	char *chart_dir;           /* where the SVG files go */
	char *chart_link;          /* chart_dir as the Markdown file links it */
	char *tmp;                 /* a temporary folder for gnuplot scripts, made on first use */
	size_t ncharts;
} report;

static const char *knob_value(const rpoint *p, const char *name)
{
	const char *v = json_string_value(json_object_get(json_object_get(p->j, "knobs"), name));
	return v ? v : "";
}

static char *knobs_text(const json_t *knobs)
{
	strbuf b = { 0 };
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)knobs, k, v)
		sb_printf(&b, "%s%s=%s", b.len ? ", " : "", k, json_string_value(v) ? json_string_value(v) : "?");
	return b.s ? b.s : xstrdup("");
}

/* The varying knobs of p, "workers=4", leaving out `except`; "" when none. */
static char *vary_text(const rscenario *s, const rpoint *p, const char *except)
{
	strbuf b = { 0 };
	for (size_t k = 0; k < s->nvary; k++)
		if (!except || strcmp(s->vary[k], except))
			sb_printf(&b, "%s%s=%s", b.len ? ", " : "", s->vary[k], knob_value(p, s->vary[k]));
	return b.s ? b.s : xstrdup("");
}

static bool is_number(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !isfinite(v))
		return false;
	if (out)
		*out = v;
	return true;
}

/* Median and confidence interval of the point's ns/op, when it succeeded. */
static void measure(rpoint *p)
{
	double *v = results_samples(p->j, "ns_per_op", &p->n);
	p->ok = v && strcmp(jstr(p->j, "status"), "ok") == 0 && stats_median(v, p->n, &p->median) == STATS_OK &&
	        stats_median_ci(v, p->n, CI_LEVEL, &p->ci) == STATS_OK;
	free(v);
}

static rscenario *scenario_named(report *r, const char *name, const char *target)
{
	for (size_t i = 0; i < r->nscens; i++)
		if (!strcmp(r->scens[i].name, name))
			return &r->scens[i];
	rscenario *s = xappend(&r->scens, &r->nscens, sizeof *s);
	s->name = name;
	s->target = *target ? target : name;
	return s;
}

static void read_points(report *r)
{
	for (size_t src = 0; src < r->nruns; src++) {
		size_t i;
		json_t *j;
		json_array_foreach(json_object_get(r->runs[src], "points"), i, j) {
			rpoint *p = xappend(&r->pts, &r->npts, sizeof *p);
			p->j = j;
			p->src = src;
			p->scenario = jstr(j, "scenario");
			p->target = jstr(j, "target");
			p->variant = jstr(j, "variant");
			p->knobs = knobs_text(json_object_get(j, "knobs"));
			p->go = !strcmp(jstr(j, "impl"), "go");
			p->reference = json_is_true(json_object_get(j, "reference"));
			measure(p);
			rscenario *s = scenario_named(r, p->scenario, p->target);
			*(size_t *)xappend(&s->pts, &s->npts, sizeof *s->pts) = r->npts - 1;
		}
	}
}

/* Whether knob k takes more than one value among the scenario's points. */
static bool knob_varies(const report *r, const rscenario *s, const char *k)
{
	const char *first = knob_value(&r->pts[s->pts[0]], k);
	for (size_t i = 1; i < s->npts; i++)
		if (strcmp(knob_value(&r->pts[s->pts[i]], k), first))
			return true;
	return false;
}

/* What a scenario's points have in common: variants, Go, and which knobs vary. */
static void describe_scenario(report *r, rscenario *s)
{
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *p = &r->pts[s->pts[i]];
		s->has_variants |= p->reference;
		s->has_go |= p->go;
		s->has_knobs |= *p->knobs != '\0';
		const char *k;
		json_t *v;
		json_object_foreach(json_object_get(p->j, "knobs"), k, v) {
			bool listed = false;
			for (size_t n = 0; n < s->nvary; n++)
				listed |= !strcmp(s->vary[n], k);
			if (!listed && knob_varies(r, s, k))
				*(const char **)xappend(&s->vary, &s->nvary, sizeof *s->vary) = k;
		}
	}
	for (size_t k = 0; k < s->nvary && !s->xknob; k++) {
		bool numeric = true;
		for (size_t i = 0; i < s->npts && numeric; i++)
			numeric = is_number(knob_value(&r->pts[s->pts[i]], s->vary[k]), NULL);
		if (numeric)
			s->xknob = s->vary[k];
	}
}

/*
 * The point of scenario s that goes with p: from the same run, at the same
 * knobs, of the other implementation or the same one, and either the
 * reference variant or (want_ref false) the same variant; a scenario without
 * variants matches on the knobs alone. NULL when there is none.
 */
static const rpoint *partner(const report *r, const rscenario *s, const rpoint *p, bool go, bool want_ref)
{
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		if (q == p || q->src != p->src || q->go != go || strcmp(q->knobs, p->knobs))
			continue;
		if (want_ref ? q->reference : (!s->has_variants || !strcmp(q->variant, p->variant)))
			return q;
	}
	return NULL;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int load_runs(report *r, const report_options *o, char *err, size_t errlen)
{
	r->runs = xcalloc(o->nruns, sizeof *r->runs);
	for (size_t i = 0; i < o->nruns; i++) {
		char *dir = results_resolve(o->results_root, o->runs[i], err, errlen);
		json_t *run = dir ? results_load(dir, err, errlen) : NULL;
		if (run && !r->first_dir)
			r->first_dir = xstrdup(dir);
		free(dir);
		if (!run)
			return GOC_EXIT_FAILED;
		for (size_t k = 0; k < r->nruns; k++) {
			if (!strcmp(jstr(run, "run_id"), jstr(r->runs[k], "run_id")) &&
			    !strcmp(jstr(json_object_get(run, "host"), "hostname"),
			            jstr(json_object_get(r->runs[k], "host"), "hostname"))) {
				snprintf(err, errlen, "run %s is named twice ('%s')", jstr(run, "run_id"), o->runs[i]);
				json_decref(run);
				return GOC_EXIT_USAGE;
			}
		}
		r->runs[r->nruns++] = run;
	}
	return GOC_EXIT_OK;
}

static const char *hostname_of(const json_t *run)
{
	const char *h = jstr(json_object_get(run, "host"), "hostname");
	return *h ? h : "unknown host";
}

/* Each run's label: its host, or "host (run id)" when another run has the same host. */
static void label_runs(report *r)
{
	r->labels = xcalloc(r->nruns, sizeof *r->labels);
	for (size_t i = 0; i < r->nruns; i++) {
		bool shared = false;
		for (size_t k = 0; k < r->nruns; k++)
			shared |= k != i && !strcmp(hostname_of(r->runs[i]), hostname_of(r->runs[k]));
		r->labels[i] = shared ? xasprintf("%s (%s)", hostname_of(r->runs[i]), jstr(r->runs[i], "run_id"))
		                      : xstrdup(hostname_of(r->runs[i]));
	}
}

static void report_free(report *r)
{
	for (size_t i = 0; i < r->nruns; i++) {
		json_decref(r->runs[i]);
		if (r->labels)
			free(r->labels[i]);
	}
	for (size_t i = 0; i < r->npts; i++)
		free(r->pts[i].knobs);
	for (size_t i = 0; i < r->nscens; i++) {
		free(r->scens[i].pts);
		free(r->scens[i].vary);
	}
	if (r->tmp)
		rmdir(r->tmp);
	free(r->runs);
	free(r->labels);
	free(r->pts);
	free(r->scens);
	free(r->charts_off);
	free(r->chart_dir);
	free(r->chart_link);
	free(r->first_dir);
	free(r->tmp);
}

/* ---- formatting ----------------------------------------------------------------------------- */

/* ns/op with as many decimals as a reader needs: 1885, 40.4, 3.14, 0.0123. */
static void fmt_ns(char *buf, size_t len, double v)
{
	const char *fmt = v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3g";
	snprintf(buf, len, fmt, v);
}

static void fmt_ratio(char *buf, size_t len, double v)
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
	if (!strcmp(jstr(p->j, "status"), "ok"))
		return xstrdup(p->n ? "no usable ns/op samples" : "no ns/op samples recorded");
	const json_t *fs = json_object_get(p->j, "failures");
	const json_t *f = json_array_get(fs, 0);
	if (!f)
		return xasprintf("%s (no failure recorded)", *jstr(p->j, "status") ? jstr(p->j, "status") : "failed");
	strbuf b = { 0 };
	sb_printf(&b, "%s", *jstr(f, "what") ? jstr(f, "what") : "failed");
	if (json_is_integer(json_object_get(f, "run")))
		sb_printf(&b, " (%srun %lld)", json_is_true(json_object_get(f, "warmup")) ? "warm-up " : "",
		          (long long)json_integer_value(json_object_get(f, "run")));
	const char *msg = jstr(f, "message");
	if (*msg)
		sb_printf(&b, ": %.300s", msg);
	if (json_array_size(fs) > 1)
		sb_printf(&b, " (and %zu more failed runs)", json_array_size(fs) - 1);
	return b.s;
}

/* "a is 3.10x faster than b" (or slower) from two medians. */
static void add_comparison(strbuf *b, const char *a, double ma, const char *bn, double mb)
{
	char f[32];
	if (fabs(mb / ma - 1) < 0.005) {
		sb_printf(b, "%s and %s have medians within 0.5%% of each other", a, bn);
	} else if (mb > ma) {
		fmt_ratio(f, sizeof f, mb / ma);
		sb_printf(b, "%s is %s faster than %s", a, f, bn);
	} else {
		fmt_ratio(f, sizeof f, ma / mb);
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

static void md_header(strbuf *md, const report *r)
{
	sb_add(md, "# goc benchmark report\n\n");
	sb_printf(md, "Generated by `goc report` from %s:", r->nruns > 1 ? "these runs, merged" : "this run");
	for (size_t i = 0; i < r->nruns; i++)
		sb_printf(md, "%s %s on %s", i ? "," : "", jstr(r->runs[i], "run_id"), hostname_of(r->runs[i]));
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
	           "run: below 1 is faster. Failed points show their failure and no figures.\n");
}

static void md_tests(strbuf *md, const report *r)
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

static void table_head(strbuf *md, const report *r, const rscenario *s)
{
	strbuf rule = { 0 };
	sb_add(md, "|");
	sb_add(&rule, "|");
	const char *cols[] = { r->nruns > 1 ? "host" : NULL, s->has_knobs ? "knobs" : NULL, "variant",
		               "median ns/op", "95% CI of the median", "n",
		               s->has_variants ? "vs reference" : NULL, s->has_go ? "Go median ns/op" : NULL,
		               s->has_go ? "C/Go" : NULL };
	for (size_t c = 0; c < sizeof cols / sizeof *cols; c++) {
		if (!cols[c])
			continue;
		add_cell(md, cols[c]);
		sb_add(&rule, "---|");
	}
	sb_printf(md, "\n%s\n", rule.s);
	sb_free(&rule);
}

static void add_ci_cell(strbuf *md, const rpoint *p)
{
	char lo[32], hi[32], text[160];
	fmt_ns(lo, sizeof lo, p->ci.lo);
	fmt_ns(hi, sizeof hi, p->ci.hi);
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
	const rpoint *ref = p->go ? NULL : partner(r, s, p, false, true);
	if (p->reference && !p->go) {
		add_cell(md, "reference");
	} else if (ref && ref->ok && p->ok) {
		fmt_ratio(buf, sizeof buf, p->median / ref->median);
		add_cell(md, buf);
	} else {
		add_cell(md, ref && !ref->ok ? "— (reference failed)" : "—");
	}
}

/* Go's median at p's point and p's median against it; a Go point's own row has neither. */
static void add_go_cells(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	const rpoint *g = p->go ? NULL : partner(r, s, p, true, false);
	if (!g) {
		add_cell(md, "—");
	} else if (!g->ok) {
		add_failure_cell(md, g);
	} else {
		fmt_ns(buf, sizeof buf, g->median);
		add_cell(md, buf);
	}
	if (g && g->ok && p->ok) {
		fmt_ratio(buf, sizeof buf, p->median / g->median);
		add_cell(md, buf);
	} else {
		add_cell(md, "—");
	}
}

/* One row: a C point with its Go partner's figures, or a Go point no C point pairs with. */
static void table_row(strbuf *md, const report *r, const rscenario *s, const rpoint *p)
{
	char buf[32];
	sb_add(md, "|");
	if (r->nruns > 1)
		add_cell(md, r->labels[p->src]);
	if (s->has_knobs)
		add_cell(md, *p->knobs ? p->knobs : "—");
	char *variant = p->go ? xasprintf("%s (Go only)", p->variant) : xstrdup(p->variant);
	add_cell(md, *variant ? variant : "—");
	free(variant);
	if (p->ok) {
		fmt_ns(buf, sizeof buf, p->median);
		add_cell(md, buf);
		add_ci_cell(md, p);
		snprintf(buf, sizeof buf, "%zu", p->n);
		add_cell(md, buf);
	} else {
		add_failure_cell(md, p);
		add_cell(md, "—");
		add_cell(md, "—");
	}
	if (s->has_variants)
		add_reference_cell(md, r, s, p);
	if (s->has_go)
		add_go_cells(md, r, s, p);
	sb_add(md, "\n");
}

/* One row per C point; a Go point has its own row only when no C point pairs with it. */
static void md_table(strbuf *md, const report *r, const rscenario *s)
{
	table_head(md, r, s);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *p = &r->pts[s->pts[i]];
		if (!p->go || !partner(r, s, p, false, false))
			table_row(md, r, s, p);
	}
}

/* ---- what this shows ------------------------------------------------------------------------------- */

/* The fastest variant against the reference (or the runner-up) at k's knobs. */
static void fact_variants(strbuf *f, const report *r, const rscenario *s, const rpoint *k)
{
	const rpoint *ref = NULL, *best = NULL, *second = NULL;
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		if (q->go || !q->ok || q->src != k->src || strcmp(q->knobs, k->knobs))
			continue;
		if (q->reference)
			ref = q;
		if (!best || q->median < best->median) {
			second = best;
			best = q;
		} else if (!second || q->median < second->median) {
			second = q;
		}
	}
	if (!ref || !second)
		return;
	char *at = vary_text(s, k, NULL);
	char *rname = xasprintf("%s (the reference)", ref->variant);
	if (f->len)
		sb_add(f, "; ");
	if (best != ref)
		add_comparison(f, best->variant, best->median, rname, ref->median);
	else
		add_comparison(f, rname, ref->median, second->variant, second->median);
	if (*at)
		sb_printf(f, " at %s", at);
	free(rname);
	free(at);
}

/* C against Go at k's knobs (the reference variant), and at how many points C is the faster. */
static void fact_go(strbuf *f, const report *r, const rscenario *s, const rpoint *k)
{
	const rpoint *c = !s->has_variants || k->reference ? k : partner(r, s, k, false, true);
	const rpoint *g = c ? partner(r, s, c, true, false) : NULL;
	if (!c || !c->ok || !g || !g->ok)
		return;
	size_t both = 0, faster = 0;
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		const rpoint *qg = q->go || !q->ok || q->src != k->src ? NULL : partner(r, s, q, true, false);
		if (qg && qg->ok) {
			both++;
			faster += q->median < qg->median;
		}
	}
	char *at = vary_text(s, k, NULL);
	if (f->len)
		sb_add(f, "; ");
	add_comparison(f, "C", c->median, "Go", g->median);
	if (s->has_variants || *at)
		sb_printf(f, " (%s%s%s)", s->has_variants ? c->variant : "", s->has_variants && *at ? ", " : "", at);
	if (both > 1)
		sb_printf(f, "; C's median is lower than Go's at %zu of the %zu points where both ran", faster, both);
	free(at);
}

/* A point at one value of the numeric knob. */
typedef struct knob_step {
	double x;
	const rpoint *p;
} knob_step;

static int cmp_step(const void *a, const void *b)
{
	double x = ((const knob_step *)a)->x, y = ((const knob_step *)b)->x;
	return (x > y) - (x < y);
}

/* "is a 1.98x speed-up" (or slow-down) going from median a to median b. */
static void add_speedup(strbuf *f, double a, double b)
{
	char buf[32];
	if (fabs(a / b - 1) < 0.005) {
		sb_add(f, "changes the median by less than 0.5%");
	} else {
		fmt_ratio(buf, sizeof buf, a >= b ? a / b : b / a);
		sb_printf(f, "is a %s %s", buf, a >= b ? "speed-up" : "slow-down");
	}
}

/*
 * Along the numeric knob, for the reference variant (or the only one) with
 * the other knobs as at k: each step between adjacent values, or, with more
 * than five values, the smallest against the largest.
 */
static void fact_knob(strbuf *f, const report *r, const rscenario *s, const rpoint *k)
{
	knob_step *steps = NULL;
	size_t n = 0;
	char *others = vary_text(s, k, s->xknob);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		if (q->go || !q->ok || q->src != k->src || (s->has_variants && !q->reference))
			continue;
		char *qo = vary_text(s, q, s->xknob);
		double x = 0;
		if (!strcmp(qo, others) && is_number(knob_value(q, s->xknob), &x)) {
			knob_step *st = xappend(&steps, &n, sizeof *steps);
			st->x = x;
			st->p = q;
		}
		free(qo);
	}
	free(others);
	if (n >= 2) {
		qsort(steps, n, sizeof *steps, cmp_step);
		if (f->len)
			sb_add(f, "; ");
		if (s->has_variants)
			sb_printf(f, "%s: ", steps[0].p->variant); /* the reference: the only variant kept above */
		size_t stride = n > 5 ? n - 1 : 1;
		for (size_t i = 0; i + stride < n; i += stride) {
			const rpoint *a = steps[i].p, *b = steps[i + stride].p;
			sb_printf(f, "%s%s %s -> %s ", i ? ", " : "", s->xknob, knob_value(a, s->xknob), knob_value(b, s->xknob));
			add_speedup(f, a->median, b->median);
		}
	}
	free(steps);
}

/*
 * What the figures alone cannot say, for the scenarios that need a why:
 * appended to their "what this shows" line. The one place for such notes
 * until scenarios can carry their own.
 */
static const struct scenario_note {
	const char *scenario, *note;
} scenario_notes[] = {
	{ "counters",
	  "Which lock wins depends on how many tasks contend for it (measured on the 2-vCPU machine): alone, "
	  "the spin mutex (try, spin, then sleep on a futex, as Go's sync.Mutex does) beats sync.Mutex and glibc's "
	  "default mutex, whose calls dispatch on the mutex type first; at 2 threads Go's sync.Mutex beats every C "
	  "lock, because a goroutine that finds it held spins briefly and then parks in Go's scheduler, so the "
	  "holder keeps its CPU and the counter's cache line and runs on uncontended, while two C threads that "
	  "both run pass the lock's and the counter's line between the CPUs; at 4 and 8 threads, more than the "
	  "CPUs, the C locks win (the spin mutex usually first), while Go's mutex slows down as more goroutines "
	  "park on it and are woken through the scheduler. glibc's rwlock loses to sync.RWMutex at 2 threads and "
	  "more (its write lock never spins and takes more atomic steps), while rwspin, sync.RWMutex's algorithm "
	  "built in C on the spin mutex, runs level with it: the loss is glibc's design, not C's. The atomic "
	  "beats every lock, and sharded beats everything: no line is shared" },
	{ "counters-read-mostly",
	  "\"RWMutex for read-heavy workloads\" holds for Go's sync.RWMutex only with more goroutines than CPUs "
	  "(4 and 8 here): readers then never park behind each other, as they do behind a sync.Mutex, while at 1 "
	  "and 2 the RWMutex's extra atomic steps cost as much as it saves; rwspin, the same algorithm in C, "
	  "behaves alike. It does not hold for glibc's rwlock, which is never clearly faster than glibc's mutex: "
	  "a read lock and unlock still write the lock's cache line, so readers on two CPUs pass it back and "
	  "forth as writers do, and glibc's read unlock takes more steps than one atomic add. An atomic load, "
	  "which writes nothing, is ten times faster than any lock" },
};

static const char *scenario_note_for(const char *scenario)
{
	for (size_t i = 0; i < sizeof scenario_notes / sizeof scenario_notes[0]; i++)
		if (!strcmp(scenario_notes[i].scenario, scenario))
			return scenario_notes[i].note;
	return NULL;
}

static void md_summary(strbuf *md, const report *r, const rscenario *s)
{
	for (size_t src = 0; src < r->nruns; src++) {
		const rpoint *k = NULL;   /* the last C point that succeeded: usually the largest knobs */
		bool any = false;
		for (size_t i = 0; i < s->npts; i++) {
			const rpoint *q = &r->pts[s->pts[i]];
			any |= q->src == src;
			if (q->src == src && !q->go && q->ok)
				k = q;
		}
		if (!any)
			continue;
		strbuf f = { 0 };
		if (k && s->has_variants)
			fact_variants(&f, r, s, k);
		if (k && s->has_go)
			fact_go(&f, r, s, k);
		if (k && s->xknob)
			fact_knob(&f, r, s, k);
		sb_add(md, "**What this shows");
		if (r->nruns > 1)
			sb_printf(md, " on %s", r->labels[src]);
		if (!f.len && k) {
			char med[32];
			fmt_ns(med, sizeof med, k->median);
			sb_printf(&f, "%s ns/op, with no other variant, knob value or Go baseline to compare it with", med);
		}
		const char *note = scenario_note_for(s->name);
		sb_printf(md, ":** %s.%s%s%s\n\n", f.len ? f.s : "no C point succeeded, so there is nothing to compare",
		          note ? " " : "", note ? note : "", note ? "." : "");
		sb_free(&f);
	}
}

/* ---- charts -------------------------------------------------------------------------------------- */

/* A string for a gnuplot script: single-quoted, '' for a quote. */
static void gp_string(strbuf *b, const char *s)
{
	sb_add(b, "'");
	for (; *s; s++) {
		if (*s == '\'')
			sb_add(b, "''");
		else
			sb_addn(b, s, 1);
	}
	sb_add(b, "'");
}

static void gp_preamble(strbuf *gp, const rscenario *s, const char *what, double ymin, double ymax)
{
	sb_add(gp, "set terminal svg size 760,420 dynamic noenhanced font 'sans,11' background rgb 'white'\n"
	           "set key outside right top\nset grid ytics\nset ylabel 'median ns/op (lower is better)'\n");
	char *title = xasprintf("%s: %s", s->name, what);
	sb_add(gp, "set title ");
	gp_string(gp, title);
	sb_add(gp, "\n");
	free(title);
	/* Medians that span more than a factor 50 are drawn on a log scale. */
	if (ymin > 0 && ymax / ymin > 50)
		sb_add(gp, "set logscale y\n");
	else
		sb_add(gp, "set yrange [0:*]\n");
}

/* One line of a line chart: a series of (x position, median). */
typedef struct series {
	char *key;        /* what makes it one series */
	char *title;
	size_t colour;    /* the same for C and Go of one variant */
	bool go;
	struct xy { size_t pos; double median; } *xy;  /* pos: the knob value's rank */
	size_t n;
} series;

/* A line chart being made: the numeric knob's values, and the lines. */
typedef struct line_chart {
	double *xs;       /* the knob's distinct values, ascending */
	size_t nx;
	series *sv;
	size_t ns;
	char **colours;   /* the series keys without the implementation */
	size_t ncolours;
	double ymin, ymax;
} line_chart;

static size_t index_of(char ***names, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*names)[i], name))
			return i;
	*(char **)xappend(names, n, sizeof **names) = xstrdup(name);
	return *n - 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The distinct values of the numeric knob among the points that succeeded. */
static void lines_xs(line_chart *c, const report *r, const rscenario *s)
{
	for (size_t i = 0; i < s->npts; i++) {
		double x;
		if (!r->pts[s->pts[i]].ok || !is_number(knob_value(&r->pts[s->pts[i]], s->xknob), &x))
			continue;
		bool seen = false;
		for (size_t k = 0; k < c->nx; k++)
			seen |= c->xs[k] == x;
		if (!seen)
			*(double *)xappend(&c->xs, &c->nx, sizeof *c->xs) = x;
	}
	qsort(c->xs, c->nx, sizeof *c->xs, cmp_double);
}

/* The series p belongs to, made when it is the first of its host, variant, other knobs and implementation. */
static series *lines_series(line_chart *c, const report *r, const rscenario *s, const rpoint *p)
{
	char *others = vary_text(s, p, s->xknob);
	const char *host = r->nruns > 1 ? r->labels[p->src] : "";
	char *colour = xasprintf("%s\t%s\t%s", host, s->has_variants ? p->variant : "", others);
	char *key = xasprintf("%s\t%d", colour, p->go);
	series *line = NULL;
	for (size_t k = 0; k < c->ns && !line; k++)
		if (!strcmp(c->sv[k].key, key))
			line = &c->sv[k];
	if (!line) {
		line = xappend(&c->sv, &c->ns, sizeof *c->sv);
		line->key = xstrdup(key);
		line->title = xasprintf("%s%s%s%s%s%s%s", host, *host ? ": " : "", p->go ? "Go" : "C",
		                        s->has_variants ? " " : "", s->has_variants ? p->variant : "", *others ? " " : "",
		                        others);
		line->colour = index_of(&c->colours, &c->ncolours, colour) + 1;
		line->go = p->go;
	}
	free(key);
	free(colour);
	free(others);
	return line;
}

static void lines_script(strbuf *gp, const line_chart *c, const rscenario *s)
{
	char *what = xasprintf("ns/op by %s", s->xknob);
	gp_preamble(gp, s, what, c->ymin, c->ymax);
	free(what);
	sb_printf(gp, "set xlabel ");
	gp_string(gp, s->xknob);
	sb_printf(gp, "\nset xrange [-0.3:%.1f]\nset xtics (", (double)c->nx - 0.7);
	for (size_t k = 0; k < c->nx; k++) {
		char label[64];
		snprintf(label, sizeof label, "%.15g", c->xs[k]);
		sb_printf(gp, "%s", k ? ", " : "");
		gp_string(gp, label);
		sb_printf(gp, " %zu", k);
	}
	sb_add(gp, ")\n");
	for (size_t k = 0; k < c->ns; k++) {
		sb_printf(gp, "$s%zu << EOD\n", k);
		/* In knob order: the points came in run order. */
		for (size_t pos = 0; pos < c->nx; pos++)
			for (size_t j = 0; j < c->sv[k].n; j++)
				if (c->sv[k].xy[j].pos == pos)
					sb_printf(gp, "%zu %.6g\n", pos, c->sv[k].xy[j].median);
		sb_add(gp, "EOD\n");
	}
	sb_add(gp, "plot ");
	for (size_t k = 0; k < c->ns; k++) {
		sb_printf(gp, "%s$s%zu using 1:2 with linespoints lw 2 lc %zu %s title ", k ? ", \\\n  " : "", k,
		          c->sv[k].colour, c->sv[k].go ? "dt 2 pt 6" : "dt 1 pt 7");
		gp_string(gp, c->sv[k].title);
	}
	sb_add(gp, "\n");
}

/*
 * ns/op by the numeric knob, one line per host, implementation, variant and
 * value of the other varying knobs; Go dashed in its C counterpart's colour.
 * The knob's values are evenly spaced and labelled (0, 1, 1024 would
 * otherwise crowd). Returns false when no point succeeded.
 */
static bool gp_lines(strbuf *gp, const report *r, const rscenario *s)
{
	line_chart c = { .ymin = INFINITY };
	lines_xs(&c, r, s);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *p = &r->pts[s->pts[i]];
		double x;
		if (!p->ok || !is_number(knob_value(p, s->xknob), &x))
			continue;
		series *line = lines_series(&c, r, s, p);
		struct xy *at = xappend(&line->xy, &line->n, sizeof *line->xy);
		while (at->pos < c.nx && c.xs[at->pos] != x)
			at->pos++;
		at->median = p->median;
		c.ymin = fmin(c.ymin, p->median);
		c.ymax = fmax(c.ymax, p->median);
	}
	if (c.ns)
		lines_script(gp, &c, s);
	for (size_t k = 0; k < c.ns; k++) {
		free(c.sv[k].key);
		free(c.sv[k].title);
		free(c.sv[k].xy);
	}
	for (size_t k = 0; k < c.ncolours; k++)
		free(c.colours[k]);
	free(c.colours);
	free(c.sv);
	free(c.xs);
	return c.ns > 0;
}

/*
 * A bar per point: clustered by variant and knobs, one bar per host and
 * implementation (Go hatched). Returns false when no point succeeded.
 */
static bool gp_bars(strbuf *gp, const report *r, const rscenario *s)
{
	char **cats = NULL, **cols = NULL;
	size_t ncats = 0, ncols = 0;
	double *val = NULL;      /* val[cat * ncols + col] after the first pass; NAN: none */
	double ymin = INFINITY, ymax = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->npts; i++) {
			const rpoint *p = &r->pts[s->pts[i]];
			if (!p->ok)
				continue;
			char *knobs = vary_text(s, p, NULL);
			char *cat = xasprintf("%s%s%s", p->variant, *p->variant && *knobs ? " " : "", knobs);
			char *col = xasprintf("%s%s%s", r->nruns > 1 ? r->labels[p->src] : "", r->nruns > 1 ? ": " : "",
			                      p->go ? "Go" : "C");
			size_t c = index_of(&cats, &ncats, cat), k = index_of(&cols, &ncols, col);
			if (pass == 1) {
				val[c * ncols + k] = p->median;
				ymin = fmin(ymin, p->median);
				ymax = fmax(ymax, p->median);
			}
			free(knobs);
			free(cat);
			free(col);
		}
		if (pass == 0) {
			val = xcalloc(ncats * ncols + 1, sizeof *val);
			for (size_t v = 0; v < ncats * ncols; v++)
				val[v] = NAN;
		}
	}
	if (ncats) {
		gp_preamble(gp, s, "median ns/op", ymin, ymax);
		sb_add(gp, "set style data histograms\nset style histogram clustered gap 1\n"
		           "set style fill solid 0.8 border -1\nset datafile missing '?'\n");
		if (ncats > 4)
			sb_add(gp, "set xtics rotate by -30\n");
		sb_add(gp, "$bars << EOD\n");
		for (size_t c = 0; c < ncats; c++) {
			sb_add(gp, "\"");
			for (const char *t = cats[c]; *t; t++)
				sb_addn(gp, *t == '"' ? "'" : t, 1);
			sb_add(gp, "\"");
			for (size_t k = 0; k < ncols; k++) {
				if (isnan(val[c * ncols + k]))
					sb_add(gp, " ?");
				else
					sb_printf(gp, " %.6g", val[c * ncols + k]);
			}
			sb_add(gp, "\n");
		}
		sb_add(gp, "EOD\nplot ");
		for (size_t k = 0; k < ncols; k++) {
			sb_printf(gp, "%s$bars using %zu%s lc %zu%s title ", k ? ", " : "", k + 2, k ? "" : ":xtic(1)", k + 1,
			          str_ends(cols[k], "Go") ? " fs pattern 4 border -1" : "");
			gp_string(gp, cols[k]);
		}
		sb_add(gp, "\n");
	}
	for (size_t c = 0; c < ncats; c++)
		free(cats[c]);
	for (size_t k = 0; k < ncols; k++)
		free(cols[k]);
	free(cats);
	free(cols);
	free(val);
	return ncats > 0;
}

/* Whether gnuplot can be run at all; if not, charts_off says why. */
static void probe_gnuplot(report *r)
{
	const char *env = getenv("GOC_GNUPLOT");
	r->gnuplot = env && *env ? env : "gnuplot";
	char *argv[] = { (char *)r->gnuplot, "--version", NULL };
	char err[512];
	int status;
	if (run_capture(argv, 4096, NULL, NULL, &status, err, sizeof err) != 0) {
		r->charts_off = xasprintf("%s (GOC_GNUPLOT names the gnuplot to run; Debian: gnuplot-nox)", err);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *how = describe_status(status);
		r->charts_off = xasprintf("`%s --version` failed: %s", r->gnuplot, how);
		free(how);
	}
}

/* A file name for a scenario's chart: letters, digits, '-', '_' and '.'. */
static char *chart_name(const rscenario *s)
{
	char *name = xasprintf("%s.svg", s->name);
	for (char *c = name; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", *c))
			*c = '_';
	return name;
}

/* Run gnuplot on `script` and keep its SVG as chart_dir/name. NULL, or why not (malloc'd). */
static char *draw(report *r, const char *script, const char *name)
{
	char err[1024];
	if (!r->tmp) {
		const char *t = getenv("TMPDIR");
		r->tmp = xasprintf("%s/goc-report-XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(r->tmp)) {
			char *why = xasprintf("cannot make a temporary folder %s: %s", r->tmp, strerror(errno));
			free(r->tmp);
			r->tmp = NULL;
			return why;
		}
	}
	char *path = xasprintf("%s/chart.gp", r->tmp);
	char *why = NULL;
	strbuf out = { 0 }, errout = { 0 };
	int status;
	char *argv[] = { (char *)r->gnuplot, path, NULL };
	if (file_write_atomic(path, script, strlen(script), err, sizeof err) != 0) {
		why = xstrdup(err);
	} else if (run_capture(argv, (size_t)64 << 20, &out, &errout, &status, err, sizeof err) != 0) {
		why = xstrdup(err);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	           !(str_starts(sb_str(&out), "<?xml") || str_starts(sb_str(&out), "<svg"))) {
		char *how = describe_status(status);
		const char *e = sb_str(&errout);
		why = xasprintf("gnuplot: %s, no SVG%s%.*s", how, *e ? ": " : "", (int)strcspn(e, "\n"), e);
		free(how);
	} else {
		char *file = xasprintf("%s/%s", r->chart_dir, name);
		if (file_write_atomic(file, out.s, out.len, err, sizeof err) != 0)
			why = xstrdup(err);
		free(file);
	}
	unlink(path);
	free(path);
	sb_free(&out);
	sb_free(&errout);
	return why;
}

static void md_chart(strbuf *md, report *r, const rscenario *s)
{
	if (r->charts_off)
		return;
	strbuf gp = { 0 };
	if (!(s->xknob ? gp_lines(&gp, r, s) : gp_bars(&gp, r, s))) {
		sb_free(&gp);
		return;
	}
	char *name = chart_name(s);
	char *why = draw(r, gp.s, name);
	if (why) {
		goc_warn("report: %s: chart not drawn: %s", s->name, why);
		sb_printf(md, "\nChart not drawn: %s\n", why);
	} else {
		sb_printf(md, "\n![%s: median ns/op](%s/%s)\n", s->name, r->chart_link, name);
		r->ncharts++;
	}
	free(why);
	free(name);
	sb_free(&gp);
}

/* ---- the whole report ------------------------------------------------------------------------------------ */

/* Per target (in the order the runs first made it), its scenarios. */
static void md_scenarios(strbuf *md, report *r)
{
	for (size_t t = 0; t < r->nscens; t++) {
		bool first = true;
		for (size_t e = 0; e < t && first; e++)
			first = strcmp(r->scens[e].target, r->scens[t].target) != 0;
		if (!first)
			continue;
		sb_printf(md, "\n## %s\n", r->scens[t].target);
		for (size_t i = t; i < r->nscens; i++) {
			const rscenario *s = &r->scens[i];
			if (strcmp(s->target, r->scens[t].target))
				continue;
			sb_printf(md, "\n### %s\n\n", s->name);
			md_summary(md, r, s);
			md_table(md, r, s);
			md_chart(md, r, s);
		}
	}
}

/* The folder of path ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

int report_generate(const report_options *o, char *err, size_t errlen)
{
	report r = { 0 };
	int rc = load_runs(&r, o, err, errlen);
	if (rc != GOC_EXIT_OK) {
		report_free(&r);
		return rc;
	}
	label_runs(&r);
	read_points(&r);
	for (size_t i = 0; i < r.nscens; i++)
		describe_scenario(&r, &r.scens[i]);
	char *dir = dir_of(o->out);
	r.chart_dir = o->charts ? xstrdup(o->charts) : xasprintf("%s/%s", r.first_dir, REPORT_CHART_DIR);
	probe_gnuplot(&r);
	const char *unmade = mkdir_p(dir, 0755) != 0                              ? dir
	                     : !r.charts_off && mkdir_p(r.chart_dir, 0755) != 0 ? r.chart_dir
	                                                                         : NULL;
	if (unmade) {
		snprintf(err, errlen, "cannot make %s: %s", unmade, strerror(errno));
		free(dir);
		report_free(&r);
		return GOC_EXIT_FAILED;
	}
	if (!r.charts_off)
		r.chart_link = path_relative(dir, r.chart_dir);

	strbuf md = { 0 };
	md_header(&md, &r);
	if (r.charts_off) {
		sb_printf(&md, "\nCharts were skipped: %s.\n", r.charts_off);
		goc_warn("report: charts skipped: %s", r.charts_off);
	}
	md_tests(&md, &r);
	if (!r.nscens)
		sb_add(&md, "\nNo points were recorded.\n");
	md_scenarios(&md, &r);
	md_race_checks(&md, r.first_dir);

	if (file_write_atomic(o->out, sb_str(&md), md.len, err, errlen) != 0) {
		rc = GOC_EXIT_FAILED;
	} else {
		if (r.charts_off)
			printf("wrote %s (%zu scenarios, charts skipped)\n", o->out, r.nscens);
		else
			printf("wrote %s (%zu scenarios, %zu charts in %s)\n", o->out, r.nscens, r.ncharts, r.chart_dir);
	}
	free(dir);
	sb_free(&md);
	report_free(&r);
	return rc;
}

int cmd_report(const goc_globals *g, int argc, char **argv)
{
	const char *out = "REPORT.md", *charts = NULL;
	const char **names = xcalloc((size_t)argc + 1, sizeof *names);
	size_t n = 0;
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
			fputs(report_usage, stdout);
			free(names);
			return GOC_EXIT_OK;
		} else if (!strcmp(arg, "--out") && a + 1 < argc && *argv[a + 1]) {
			out = argv[++a];
		} else if (!strcmp(arg, "--charts") && a + 1 < argc && *argv[a + 1]) {
			charts = argv[++a];
		} else if (arg[0] == '-' && arg[1]) {
			goc_err("report: unknown flag or missing value '%s' (see goc report --help)", arg);
			free(names);
			return GOC_EXIT_USAGE;
		} else {
			names[n++] = arg;
		}
	}
	if (n == 0)
		names[n++] = "latest";
	report_options o = { .results_root = g->results, .out = out, .charts = charts, .runs = names, .nruns = n };
	char err[2048];
	int rc = report_generate(&o, err, sizeof err);
	if (rc != GOC_EXIT_OK)
		goc_err("report: %s", err);
	free(names);
	return rc;
}
