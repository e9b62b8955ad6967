/*
 * report_internal.h - what the files of `goc report` share: the model the
 * runs are read into (report.c), and each part of the page: the tables
 * and the machine header (report_tables.c), the "what this shows" lines
 * (report_facts.c) and the charts (report_charts.c).
 * Only those files include it.
 */
#ifndef GOC_HARNESS_REPORT_INTERNAL_H
#define GOC_HARNESS_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "results.h"
#include "stats.h"
#include "util.h"

#define CI_LEVEL 0.95

/* One point of one run, with its median. */
typedef struct rpoint {
	const results_point *pt;   /* the point, as its run's results.json holds it */
	size_t src;                /* the run it came from: an index into report.runs */
	const char *scenario, *target, *variant;  /* variant "" when null */
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
	bool server;               /* a server scenario's: ns/op is wall ns per request, and wrk's figures follow */
	const char **vary;         /* the knobs that take more than one value (keys in the runs) */
	size_t nvary;
	const char *xknob;         /* the first of vary whose values are all numbers, or NULL */
} rscenario;

typedef struct report {
	json_t **runs;
	results_point **run_points; /* per run: its points (results_read_points) */
	size_t *run_npoints;
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

/* The model (report.c): a knob of a point, knobs that vary, the point to compare with, a run host, numbers. */
const char *report_hostname_of(const json_t *run);
bool report_is_number(const char *s, double *out);
const char *report_knob_value(const rpoint *p, const char *name);
const rpoint *report_partner(const report *r, const rscenario *s, const rpoint *p, bool go, bool want_ref);
char *report_vary_text(const rscenario *s, const rpoint *p, const char *except);

/* Tables and figures (report_tables.c). */
void report_add_comparison(strbuf *b, const char *a, double ma, const char *bn, double mb);
void report_fmt_ns(char *buf, size_t len, double v);
void report_fmt_ratio(char *buf, size_t len, double v);
void report_md_header(strbuf *md, const report *r);
void report_md_table(strbuf *md, const report *r, const rscenario *s);
void report_md_server_table(strbuf *md, const report *r, const rscenario *s);
void report_md_tests(strbuf *md, const report *r);

/* The "what this shows" line of a scenario (report_facts.c). */
void report_md_summary(strbuf *md, const report *r, const rscenario *s);

/* Charts (report_charts.c): whether gnuplot runs, and a scenario's chart. */
void report_md_chart(strbuf *md, report *r, const rscenario *s);
void report_probe_gnuplot(report *r);

#endif
