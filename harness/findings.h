/*
 * findings.h - what one run of a program under `goc race` showed: the
 * sanitizer reports in its stderr (ThreadSanitizer's data races, thread
 * leaks, lock-order inversions, ...; AddressSanitizer's and UBSan's errors),
 * what libgoc's checks said (a panic, "all goroutines are asleep -
 * deadlock!", a task leak), threads still running at exit, and how the run
 * ended (a non-zero exit, a signal, a hang), as a list of findings.
 *
 * A finding's key is its kind and where it happened (the top frame of each
 * of the report's first two stacks, or the message): two runs that hit the
 * same bug give the same key, so `goc race` lists each bug once.
 *
 * Ownership: a finding_list owns its findings and their strings;
 * findings_free() releases them. Parsing allocates nothing else.
 */
#ifndef GOC_HARNESS_FINDINGS_H
#define GOC_HARNESS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct finding {
	char *kind;   /* "data race", "thread leak", "deadlock", "hang", "exit status 3", ... */
	char *where;  /* "writer race.c:12 / main race.c:30", or the message; "" if none */
	char *report; /* the whole report as the program printed it (or goc's account of the run) */
} finding;

typedef struct finding_list {
	finding *v;
	size_t n;
} finding_list;

/* How a run ended, as run_child() saw it. */
typedef struct run_end {
	int status;     /* wait status */
	bool timed_out; /* killed by goc: for its time, or stalled */
	bool stalled;   /* killed because every thread was blocked for good (a deadlock) */
	double timeout_s;
} run_end;

/*
 * The findings of one run from its stderr and its end, appended to *out.
 * A run that exits 0 with nothing in stderr that goc recognizes adds none.
 */
void findings_parse(const char *err_text, const run_end *end, finding_list *out);

/* The key two findings share when they are the same bug. The caller frees it. */
char *finding_key(const finding *f);

void findings_free(finding_list *l);

#endif
