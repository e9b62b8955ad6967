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
 *
 * This file reads the runs into the model (report_internal.h) and puts the
 * page together; its parts are made by report_tables.c (the header and the
 * tables), report_facts.c (the "what this shows" lines), report_charts.c
 * (the charts) and report_checks.c (race checks, pitfalls, chaos).
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
#include "report_internal.h"
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


/* ---- the model ------------------------------------------------------------------------ */



const char *report_knob_value(const rpoint *p, const char *name)
{
	for (size_t k = 0; k < p->pt->nknobs; k++)
		if (!strcmp(p->pt->knobs[k].name, name))
			return p->pt->knobs[k].value;
	return "";
}

static char *knobs_text(const results_point *pt)
{
	strbuf b = { 0 };
	for (size_t k = 0; k < pt->nknobs; k++)
		sb_printf(&b, "%s%s=%s", b.len ? ", " : "", pt->knobs[k].name, pt->knobs[k].value);
	return b.s ? b.s : xstrdup("");
}

/* The varying knobs of p, "workers=4", leaving out `except`; "" when none. */
char *report_vary_text(const rscenario *s, const rpoint *p, const char *except)
{
	strbuf b = { 0 };
	for (size_t k = 0; k < s->nvary; k++)
		if (!except || strcmp(s->vary[k], except))
			sb_printf(&b, "%s%s=%s", b.len ? ", " : "", s->vary[k], report_knob_value(p, s->vary[k]));
	return b.s ? b.s : xstrdup("");
}

bool report_is_number(const char *s, double *out)
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
	const double *v = results_series_values(&p->pt->ns_per_op);
	p->n = p->pt->ns_per_op.n;
	p->ok = v && p->pt->ok && stats_median(v, p->n, &p->median) == STATS_OK &&
	        stats_median_ci(v, p->n, CI_LEVEL, &p->ci) == STATS_OK;
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
		for (size_t i = 0; i < r->run_npoints[src]; i++) {
			const results_point *pt = &r->run_points[src][i];
			rpoint *p = xappend(&r->pts, &r->npts, sizeof *p);
			p->pt = pt;
			p->src = src;
			p->scenario = pt->scenario;
			p->target = pt->target;
			p->variant = pt->variant ? pt->variant : "";
			p->knobs = knobs_text(pt);
			p->go = !strcmp(pt->impl, "go");
			p->reference = pt->reference;
			measure(p);
			rscenario *s = scenario_named(r, p->scenario, p->target);
			*(size_t *)xappend(&s->pts, &s->npts, sizeof *s->pts) = r->npts - 1;
		}
	}
}

/* Whether knob k takes more than one value among the scenario's points. */
static bool knob_varies(const report *r, const rscenario *s, const char *k)
{
	const char *first = report_knob_value(&r->pts[s->pts[0]], k);
	for (size_t i = 1; i < s->npts; i++)
		if (strcmp(report_knob_value(&r->pts[s->pts[i]], k), first))
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
		s->server |= p->pt->request != NULL;
		for (size_t kn = 0; kn < p->pt->nknobs; kn++) {
			const char *k = p->pt->knobs[kn].name;
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
			numeric = report_is_number(report_knob_value(&r->pts[s->pts[i]], s->vary[k]), NULL);
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
const rpoint *report_partner(const report *r, const rscenario *s, const rpoint *p, bool go, bool want_ref)
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
	r->run_points = xcalloc(o->nruns, sizeof *r->run_points);
	r->run_npoints = xcalloc(o->nruns, sizeof *r->run_npoints);
	for (size_t i = 0; i < o->nruns; i++) {
		char *dir = results_resolve(o->results_root, o->runs[i], err, errlen);
		results_point *points = NULL;
		size_t npoints = 0;
		json_t *run = dir ? results_load_points(dir, &points, &npoints, err, errlen) : NULL;
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
				results_points_free(points, npoints);
				return GOC_EXIT_USAGE;
			}
		}
		r->run_points[r->nruns] = points;
		r->run_npoints[r->nruns] = npoints;
		r->runs[r->nruns++] = run;
	}
	return GOC_EXIT_OK;
}

const char *report_hostname_of(const json_t *run)
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
			shared |= k != i && !strcmp(report_hostname_of(r->runs[i]), report_hostname_of(r->runs[k]));
		r->labels[i] = shared ? xasprintf("%s (%s)", report_hostname_of(r->runs[i]), jstr(r->runs[i], "run_id"))
		                      : xstrdup(report_hostname_of(r->runs[i]));
	}
}

static void report_free(report *r)
{
	for (size_t i = 0; i < r->nruns; i++) {
		json_decref(r->runs[i]);
		results_points_free(r->run_points[i], r->run_npoints[i]);
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
	free(r->run_points);
	free(r->run_npoints);
	free(r->labels);
	free(r->pts);
	free(r->scens);
	free(r->charts_off);
	free(r->chart_dir);
	free(r->chart_link);
	free(r->first_dir);
	free(r->tmp);
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
			report_md_summary(md, r, s);
			report_md_table(md, r, s);
			if (s->server)
				report_md_server_table(md, r, s);
			report_md_chart(md, r, s);
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
	report_probe_gnuplot(&r);
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
	report_md_header(&md, &r);
	if (r.charts_off) {
		sb_printf(&md, "\nCharts were skipped: %s.\n", r.charts_off);
		goc_warn("report: charts skipped: %s", r.charts_off);
	}
	report_md_tests(&md, &r);
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
