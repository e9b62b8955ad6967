/*
 * report.h - the engine of `goc report`, apart from its command line so
 * that a test can drive it: read one or more runs (results.json, schema 1)
 * and write REPORT.md with a table, a chart and a "what this shows" line
 * per scenario, the machines, and the TSan test results.
 *
 * Charts are SVG files drawn by gnuplot into a folder (by default `charts/`
 * in the first run's folder, so that they stay with the run) and linked
 * relatively from the Markdown file. The gnuplot run is the one
 * the environment variable GOC_GNUPLOT names (default "gnuplot", looked up
 * on PATH); when it cannot be run the report has every table and one line
 * saying why the charts were skipped.
 *
 * Overlap: none; the harness is single-threaded. Ownership: the caller
 * keeps the options; nothing is kept after report_generate() returns.
 */
#ifndef GOC_HARNESS_REPORT_H
#define GOC_HARNESS_REPORT_H

#include <stddef.h>

/* The folder in the first run's folder that holds its charts by default. */
#define REPORT_CHART_DIR "charts"

typedef struct report_options {
	const char *results_root;  /* where run ids and "latest" are looked up */
	const char *out;           /* the Markdown file to write */
	const char *charts;        /* the folder for the charts, or NULL: REPORT_CHART_DIR in the first run's */
	const char *const *runs;   /* the runs, named as results_resolve() takes them */
	size_t nruns;              /* at least 1 */
} report_options;

/*
 * Read every run, draw the charts and write the report atomically.
 * Returns GOC_EXIT_OK; GOC_EXIT_FAILED with a message in err when a run
 * cannot be read (then nothing is written) or a file cannot be written;
 * GOC_EXIT_USAGE with a message when one run is named twice. A failed
 * point or a chart gnuplot could not draw is part of the report, not an
 * error.
 */
int report_generate(const report_options *o, char *err, size_t errlen);

#endif
