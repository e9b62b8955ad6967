/*
 * report_checks.c - REPORT.md's race-check sections (report_checks.h),
 * from the JSON that goc pitfalls writes (pitfalls.c: {"runs", "bad":
 * [{"pitfall", "detector", "stated", "detected", "runs",
 * "median_seconds"}], "fixed": [{"pitfall", "mode", "clean", "runs",
 * "why"}]}) and goc race writes (race.c): {"programs": [{"command",
 * "runs", "findings": [{"kind", "where", "runs", ...}]}]} and, from
 * --chaos-study, {"rows": [{"command", "chaos", "trials", "found",
 * "max_runs", "median_runs", "finding"}]}.
 */
#define _GNU_SOURCE
#include "report_checks.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

/* The file's JSON, or NULL (absent: no section; unreadable: a line saying so). */
static json_t *load(strbuf *md, const char *run_dir, const char *name)
{
	char *path = xasprintf("%s/%s", run_dir, name);
	json_t *j = NULL;
	if (path_exists(path)) {
		json_error_t e;
		j = json_load_file(path, 0, &e);
		if (!j)
			sb_printf(md, "\n%s could not be read: %s (line %d).\n", name, e.text, e.line);
	}
	free(path);
	return j;
}

/* The program's name as the tables show it: the command without its folder. */
static const char *shown(const char *command)
{
	const char *space = strchr(command, ' ');
	const char *slash = command;
	for (const char *p = command; *p && (!space || p < space); p++)
		if (*p == '/')
			slash = p + 1;
	return slash;
}

static void md_race(strbuf *md, json_t *race)
{
	json_t *progs = json_object_get(race, "programs");
	size_t np = json_array_size(progs), bad = 0;
	for (size_t i = 0; i < np; i++)
		bad += json_array_size(json_object_get(json_array_get(progs, i), "findings")) > 0;
	sb_printf(md, "\n## Race checks (goc race)\n\nEach program below ran %lld times under ThreadSanitizer "
	              "(halt_on_error=0, thread leaks, lock-order inversions) with libgoc's deadlock and leak checks; "
	              "%zu of %zu showed something.\n\n",
	          (long long)json_integer_value(json_object_get(race, "runs_asked")), bad, np);
	sb_add(md, "| program | finding | runs | where |\n|---|---|---|---|\n");
	for (size_t i = 0; i < np; i++) {
		json_t *p = json_array_get(progs, i);
		json_t *fs = json_object_get(p, "findings");
		long long runs = (long long)json_integer_value(json_object_get(p, "runs"));
		if (json_array_size(fs) == 0)
			sb_printf(md, "| `%s` | clean | %lld/%lld | |\n", shown(jstr(p, "command")), runs, runs);
		for (size_t k = 0; k < json_array_size(fs); k++) {
			json_t *f = json_array_get(fs, k);
			sb_printf(md, "| `%s` | %s | %lld/%lld | %s |\n", shown(jstr(p, "command")), jstr(f, "kind"),
			          (long long)json_integer_value(json_object_get(f, "runs")), runs, jstr(f, "where"));
		}
	}
}

/* One cell: "3 (5/5)", or ">30 (1/5)". */
static void chaos_cell(strbuf *md, json_t *row)
{
	long long median = (long long)json_integer_value(json_object_get(row, "median_runs"));
	long long max = (long long)json_integer_value(json_object_get(row, "max_runs"));
	long long found = (long long)json_integer_value(json_object_get(row, "found"));
	long long trials = (long long)json_integer_value(json_object_get(row, "trials"));
	if (median > max)
		sb_printf(md, " >%lld (%lld/%lld) |", max, found, trials);
	else
		sb_printf(md, " %lld (%lld/%lld) |", median, found, trials);
}

static void md_chaos(strbuf *md, json_t *chaos)
{
	json_t *rows = json_object_get(chaos, "rows");
	if (json_array_size(rows) == 0)
		return;
	long long trials = (long long)json_integer_value(json_object_get(json_array_get(rows, 0), "trials"));
	long long max = (long long)json_integer_value(json_object_get(json_array_get(rows, 0), "max_runs"));
	sb_printf(md, "\n## Schedule chaos\n\nPrograms whose bug needs a rare interleaving, each run until its first "
	              "finding (at most %lld runs), %lld times per mode: the median number of runs until the bug was "
	              "found, and in how many of the %lld trials it was found at all. Chaos off is plain repetition; "
	              "random and pct are libgoc's schedule chaos (`goc/chaos.h`, `goc race --chaos`).\n\n",
	          max, trials, trials);
	sb_add(md, "| program | found as | chaos off | random | pct |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < json_array_size(rows); i += 3) {
		json_t *first = json_array_get(rows, i);
		const char *kind = "";
		for (size_t k = i; k < i + 3 && k < json_array_size(rows); k++)
			if (*jstr(json_array_get(rows, k), "finding"))
				kind = jstr(json_array_get(rows, k), "finding");
		sb_printf(md, "| `%s` | %s |", shown(jstr(first, "command")), kind);
		for (size_t k = i; k < i + 3 && k < json_array_size(rows); k++)
			chaos_cell(md, json_array_get(rows, k));
		sb_add(md, "\n");
	}
}

static void md_pitfalls(strbuf *md, json_t *pf)
{
	long long runs = (long long)json_integer_value(json_object_get(pf, "runs"));
	sb_printf(md, "\n## Pitfalls (goc pitfalls)\n\nEach pitfall's bad version (`patterns/pitfalls/`) ran %lld times "
	              "under each detector that applies to it; its stated detector must catch it. Each fixed version "
	              "ran %lld times in each of those modes and must be clean every time.\n\n",
	          runs, runs);
	sb_add(md, "| pitfall | detector | caught | median time to detection |\n|---|---|---|---|\n");
	json_t *bad = json_object_get(pf, "bad");
	for (size_t i = 0; i < json_array_size(bad); i++) {
		json_t *r = json_array_get(bad, i);
		bool stated = json_is_true(json_object_get(r, "stated"));
		json_t *det = json_object_get(r, "detected");
		sb_printf(md, "| %s | %s%s |", jstr(r, "pitfall"), jstr(r, "detector"), stated ? " (stated)" : "");
		if (json_is_null(det))
			sb_add(md, " not built | |\n");
		else if (json_integer_value(det) == 0)
			sb_printf(md, " 0/%lld | |\n", (long long)json_integer_value(json_object_get(r, "runs")));
		else
			sb_printf(md, " %lld/%lld | %.3f s |\n", (long long)json_integer_value(det),
			          (long long)json_integer_value(json_object_get(r, "runs")),
			          json_real_value(json_object_get(r, "median_seconds")));
	}
	json_t *fixed = json_object_get(pf, "fixed");
	size_t unclean = 0;
	for (size_t i = 0; i < json_array_size(fixed); i++) {
		json_t *r = json_array_get(fixed, i);
		if (json_integer_value(json_object_get(r, "clean")) != json_integer_value(json_object_get(r, "runs"))) {
			unclean++;
			sb_printf(md, "\nFixed version of %s NOT clean in mode %s: %s.\n", jstr(r, "pitfall"), jstr(r, "mode"),
			          jstr(r, "why"));
		}
	}
	if (!unclean)
		sb_printf(md, "\nEvery fixed version was clean in every run (%zu pitfall-and-mode checks).\n",
		          json_array_size(fixed));
}

void md_race_checks(strbuf *md, const char *run_dir)
{
	json_t *race = load(md, run_dir, "race.json");
	if (race)
		md_race(md, race);
	json_decref(race);
	json_t *pf = load(md, run_dir, "pitfalls.json");
	if (pf)
		md_pitfalls(md, pf);
	json_decref(pf);
	json_t *chaos = load(md, run_dir, "chaos.json");
	if (chaos)
		md_chaos(md, chaos);
	json_decref(chaos);
}
