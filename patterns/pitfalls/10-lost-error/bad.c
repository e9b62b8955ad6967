/*
 * 10-lost-error, bad: a task's error goes nowhere.
 *
 * The story: an import parses four records in parallel, one task each, and
 * adds them up. parse() returns an error for a malformed record, but a task
 * function returns void: the error is dropped on the floor (`go parse(x)`
 * discards it the same way), and the import reports a total over three
 * records as if it were complete. Nothing crashes; the answer is just wrong.
 *
 * Detector: the program's own check, every run: the input has a malformed
 * record, so the import must fail; it exits 1 when the import claims
 * success.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "goc/goc.h"

enum { RECORDS = 4 };

static const char *input[RECORDS] = { "10", "20", "3O", "40" }; /* "3O": a letter O */
static long value[RECORDS];
static goc_wg wg;

/* Parse a decimal record into *out; returns 0, or -1 when it is malformed. */
static int parse(const char *rec, long *out)
{
	char *end;
	*out = strtol(rec, &end, 10);
	return *end == '\0' ? 0 : -1;
}

static void parse_task(void *arg)
{
	intptr_t i = (intptr_t)arg;
	parse(input[i], &value[i]); /* BUG: the error is ignored */
	goc_wg_done(&wg);
}

int main(void)
{
	int err = 0; /* nothing ever sets it */
	goc_wg_init(&wg);
	for (intptr_t i = 0; i < RECORDS; i++) {
		goc_wg_add(&wg, 1);
		goc_go(parse_task, (void *)i);
	}
	goc_wg_wait(&wg, GOC_FOREVER);
	goc_wg_destroy(&wg);
	long total = 0;
	for (int i = 0; i < RECORDS; i++)
		total += value[i];
	if (err == 0) {
		fprintf(stderr, "check failed: import of a malformed record succeeded (total %ld)\n", total);
		return 1;
	}
	printf("import failed, as it must: record %d is malformed\n", err);
	return 0;
}
