/*
 * 10-lost-error, fixed: each task sends its outcome on an error channel.
 *
 * The channel has a slot per task, so no task waits on it; main receives
 * one outcome per task and keeps the first record's error, the way Go code collects
 * `errc <- parse(x)` (errgroup.Group is this: a WaitGroup and the first
 * error, which Wait() returns). The import then fails, naming the record,
 * instead of reporting a wrong total.
 *
 * Clean under: ThreadSanitizer, ASan+UBSan; the check holds.
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
static goc_chan *errc; /* int: 0 for success, else 1 + the malformed record's index */
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
	int err = parse(input[i], &value[i]) == 0 ? 0 : (int)i + 1;
	goc_chan_send(errc, &err, GOC_FOREVER); /* the outcome goes back to main */
	goc_wg_done(&wg);
}

int main(void)
{
	errc = goc_chan_make(sizeof(int), RECORDS);
	goc_wg_init(&wg);
	for (intptr_t i = 0; i < RECORDS; i++) {
		goc_wg_add(&wg, 1);
		goc_go(parse_task, (void *)i);
	}
	int err = 0;
	for (int i = 0; i < RECORDS; i++) {
		int e;
		goc_chan_recv(errc, &e, GOC_FOREVER); /* also orders value[i] before main reads it */
		if (e != 0 && (err == 0 || e < err))
			err = e; /* the first malformed record, whichever task answered first */
	}
	goc_wg_wait(&wg, GOC_FOREVER); /* every task is past its send */
	goc_wg_destroy(&wg);
	goc_chan_free(errc);
	if (err != WANT) {
		fprintf(stderr, "check failed: the import answered %d, the input needs %d\n", err, WANT);
		return 1;
	}
	printf("the import answered %d, as the input needs\n", err);
	return 0;
}
