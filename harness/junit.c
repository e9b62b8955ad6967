/*
 * junit.c - the summary of a ctest JUnit file (ctest --output-junit), for
 * the TSan test results a run records: how many tests passed and failed,
 * and the names of the failed ones. ctest writes one <testcase> element
 * per test with a status attribute ("run", "fail", "notrun", "disabled");
 * test output inside is XML-escaped, so scanning for the tags is exact.
 */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "junit.h"
#include "util.h"

/* The value of attribute `name` in the tag starting at tag (up to '>'), or NULL. */
static char *attribute(const char *tag, const char *name)
{
	const char *end = strchr(tag, '>');
	char *pattern = xasprintf(" %s=\"", name);
	const char *p = strstr(tag, pattern);
	if (!p || (end && p > end)) {
		pattern[0] = '\t';
		p = strstr(tag, pattern);
	}
	size_t plen = strlen(pattern);
	free(pattern);
	if (!p || (end && p > end))
		return NULL;
	p += plen;
	const char *q = strchr(p, '"');
	if (!q)
		return NULL;
	char *v = xmalloc((size_t)(q - p) + 1);
	memcpy(v, p, (size_t)(q - p));
	v[q - p] = '\0';
	return v;
}

json_t *junit_summary_text(const char *text, const char *source, char *err, size_t errlen)
{
	if (!strstr(text, "<testsuite")) {
		snprintf(err, errlen, "%s: not a JUnit file (no <testsuite>)", source);
		return NULL;
	}
	long passed = 0, failed = 0, skipped = 0;
	json_t *names = json_array();
	for (const char *p = strstr(text, "<testcase"); p; p = strstr(p + 1, "<testcase")) {
		char *name = attribute(p, "name");
		char *status = attribute(p, "status");
		if (!name || !status) {
			snprintf(err, errlen, "%s: a <testcase> without name or status", source);
			free(name);
			free(status);
			json_decref(names);
			return NULL;
		}
		if (strcmp(status, "run") == 0) {
			passed++;
		} else if (strcmp(status, "fail") == 0) {
			failed++;
			json_array_append_new(names, json_string(name));
		} else {
			skipped++;
		}
		free(name);
		free(status);
	}
	json_t *s = json_object();
	json_object_set_new(s, "source", json_string(source));
	json_object_set_new(s, "passed", json_integer(passed));
	json_object_set_new(s, "failed", json_integer(failed));
	json_object_set_new(s, "skipped", json_integer(skipped));
	json_object_set_new(s, "failed_names", names);
	return s;
}

json_t *junit_summary(const char *path, char *err, size_t errlen)
{
	char *text = file_read(path, NULL);
	if (!text) {
		snprintf(err, errlen, "%s: cannot read it", path);
		return NULL;
	}
	json_t *s = junit_summary_text(text, path, err, errlen);
	free(text);
	return s;
}
