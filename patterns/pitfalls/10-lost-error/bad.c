/*
 * 10-lost-error, bad: a task's error goes nowhere.
 *
 * The story: an import parses four records in parallel, one task each, and
 * adds them up. parse() returns an error for a malformed record, but a task
 * function returns void: the error is dropped on the floor (`go parse(x)`
 * discards it the same way), and the import reports a total over three
 * records as if it were complete. Nothing crashes; the answer is just wrong.
 *
 * Detector: the program's own check, every run: it exits 1 when the
 * import's answer differs from the one the input needs (here: the input
 * has a malformed record, and the import claims success).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "goc/goc.h"

enum { RECORDS = 4 };

static const char *input[RECORDS] = { "10", "20", "3O", "40" }; /* "3O": a letter O */
/* The answer the import must give: the first malformed record, "3O", numbered from 1. */
enum { WANT = 3 };
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
	int err = 0; /* the import's answer: nothing ever sets it */
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
	if (err != WANT) {
		fprintf(stderr, "check failed: the import answered %d (total %ld), the input needs %d\n", err, total, WANT);
		return 1;
	}
	printf("the import answered %d, as the input needs\n", err);
	return 0;
}
