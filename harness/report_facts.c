/*
 * report_facts.c - each scenario's "what this shows" line: facts
 * computed from the medians (the fastest variant against the reference,
 * C against Go, how a knob scales), and a note per scenario where the
 * figures need one sentence of why.
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
	char *at = report_vary_text(s, k, NULL);
	char *rname = xasprintf("%s (the reference)", ref->variant);
	if (f->len)
		sb_add(f, "; ");
	if (best != ref)
		report_add_comparison(f, best->variant, best->median, rname, ref->median);
	else
		report_add_comparison(f, rname, ref->median, second->variant, second->median);
	if (*at)
		sb_printf(f, " at %s", at);
	free(rname);
	free(at);
}

/* C against Go at k's knobs (the reference variant), and at how many points C is the faster. */
static void fact_go(strbuf *f, const report *r, const rscenario *s, const rpoint *k)
{
	const rpoint *c = !s->has_variants || k->reference ? k : report_partner(r, s, k, false, true);
	const rpoint *g = c ? report_partner(r, s, c, true, false) : NULL;
	if (!c || !c->ok || !g || !g->ok)
		return;
	size_t both = 0, faster = 0;
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		const rpoint *qg = q->go || !q->ok || q->src != k->src ? NULL : report_partner(r, s, q, true, false);
		if (qg && qg->ok) {
			both++;
			faster += q->median < qg->median;
		}
	}
	char *at = report_vary_text(s, k, NULL);
	if (f->len)
		sb_add(f, "; ");
	report_add_comparison(f, "C", c->median, "Go", g->median);
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
		report_fmt_ratio(buf, sizeof buf, a >= b ? a / b : b / a);
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
	char *others = report_vary_text(s, k, s->xknob);
	for (size_t i = 0; i < s->npts; i++) {
		const rpoint *q = &r->pts[s->pts[i]];
		if (q->go || !q->ok || q->src != k->src || (s->has_variants && !q->reference))
			continue;
		char *qo = report_vary_text(s, q, s->xknob);
		double x = 0;
		if (!strcmp(qo, others) && report_is_number(report_knob_value(q, s->xknob), &x)) {
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
			sb_printf(f, "%s%s %s -> %s ", i ? ", " : "", s->xknob, report_knob_value(a, s->xknob), report_knob_value(b, s->xknob));
			add_speedup(f, a->median, b->median);
		}
	}
	free(steps);
}

void report_md_summary(strbuf *md, const report *r, const rscenario *s)
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
			report_fmt_ns(med, sizeof med, k->median);
			sb_printf(&f, "%s ns/op, with no other variant, knob value or Go baseline to compare it with", med);
		}
		sb_printf(md, ":** %s.\n\n", f.len ? f.s : "no C point succeeded, so there is nothing to compare");
		sb_free(&f);
	}
	/* The scenario's own note (scenarios/notes/NAME.md), as the first run that has it recorded it: why, not what. */
	for (size_t src = 0; src < r->nruns; src++) {
		const char *note = json_string_value(json_object_get(json_object_get(r->runs[src], "notes"), s->name));
		if (note) {
			sb_printf(md, "**Why:** %s\n\n", note);
			break;
		}
	}
}

