/*
 * junit.h - the pass/fail summary of a ctest JUnit file, as a run records
 * it: {"source", "passed", "failed", "skipped", "failed_names"}.
 * Ownership: the caller owns the returned object (json_decref).
 */
#ifndef GOC_HARNESS_JUNIT_H
#define GOC_HARNESS_JUNIT_H

#include <jansson.h>
#include <stddef.h>

/* From the file at path; NULL with a message in err. */
json_t *junit_summary(const char *path, char *err, size_t errlen);

/* From its text; `source` names it in messages and in the summary. */
json_t *junit_summary_text(const char *text, const char *source, char *err, size_t errlen);

#endif
