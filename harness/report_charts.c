/*
 * report_charts.c - the charts of `goc report`: a gnuplot script per
 * scenario (lines over a numeric knob, else grouped bars), drawn to SVG
 * by the gnuplot that GOC_GNUPLOT names, and linked from the page.
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

#include "report.h"
#include "report_internal.h"
#include "results.h"
#include "stats.h"
#include "util.h"

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
		if (!r->pts[s->pts[i]].ok || !report_is_number(report_knob_value(&r->pts[s->pts[i]], s->xknob), &x))
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
	char *others = report_vary_text(s, p, s->xknob);
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
		if (!p->ok || !report_is_number(report_knob_value(p, s->xknob), &x))
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
			char *knobs = report_vary_text(s, p, NULL);
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
void report_probe_gnuplot(report *r)
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

void report_md_chart(strbuf *md, report *r, const rscenario *s)
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

