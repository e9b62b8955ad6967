/*
 * samples.c - hyperfine's export, goc exec's records and the targets' JSON
 * lines, parsed with jansson and judged. A target that exits 0 is not
 * believed on its word: its last line must be one JSON object with the
 * workload and variant asked for, a positive integer ops, a finite
 * ns_per_op and a check of the scenario's type, or the run is "bad output".
 */
#define _POSIX_C_SOURCE 200809L
#include "samples.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int samples_parse_hyperfine(const char *text, samples_command **cmds, size_t *n, char *err, size_t errlen)
{
	*cmds = NULL;
	*n = 0;
	json_error_t je;
	json_t *root = json_loads(text, 0, &je);
	json_t *results = json_object_get(root, "results");
	if (!json_is_array(results)) {
		snprintf(err, errlen, "not a hyperfine export%s%s", root ? "" : ": ", root ? "" : je.text);
		json_decref(root);
		return -1;
	}
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		json_t *times = json_object_get(r, "times");
		json_t *codes = json_object_get(r, "exit_codes");
		if (!json_is_string(json_object_get(r, "command")) || !json_is_array(times)) {
			snprintf(err, errlen, "hyperfine export: result %zu has no command or times", i);
			samples_free_hyperfine(*cmds, *n);
			*cmds = NULL;
			*n = 0;
			json_decref(root);
			return -1;
		}
		samples_command *c = xappend(cmds, n, sizeof *c);
		c->name = xstrdup(json_string_value(json_object_get(r, "command")));
		c->ntimes = json_array_size(times);
		c->times = xcalloc(c->ntimes, sizeof *c->times);
		for (size_t k = 0; k < c->ntimes; k++)
			c->times[k] = json_number_value(json_array_get(times, k));
		c->nexit = json_array_size(codes);
		c->exit_codes = xcalloc(c->nexit, sizeof *c->exit_codes);
		for (size_t k = 0; k < c->nexit; k++) {
			json_t *code = json_array_get(codes, k);
			c->exit_codes[k] = json_is_integer(code) ? (int)json_integer_value(code) : -1;
		}
		/* hyperfine measures these with getrusage over its children, so they include the goc exec wrapper. */
		json_t *user = json_object_get(r, "user"), *sys = json_object_get(r, "system");
		c->user_s = json_is_number(user) ? json_number_value(user) : NAN;
		c->system_s = json_is_number(sys) ? json_number_value(sys) : NAN;
	}
	json_decref(root);
	return 0;
}

void samples_free_hyperfine(samples_command *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cmds[i].name);
		free(cmds[i].times);
		free(cmds[i].exit_codes);
	}
	free(cmds);
}

int samples_parse_record(const char *line, samples_record *r, char *err, size_t errlen)
{
	*r = (samples_record){ 0 };
	json_error_t je;
	json_t *o = json_loads(line, 0, &je);
	json_t *ex = json_object_get(o, "exit");
	json_t *sig = json_object_get(o, "signal");
	if (!json_is_object(o) || !(json_is_integer(ex) || json_is_integer(sig)) ||
	    !json_is_boolean(json_object_get(o, "timeout"))) {
		snprintf(err, errlen, "not a goc exec record%s%s", o ? "" : ": ", o ? "" : je.text);
		json_decref(o);
		return -1;
	}
	r->exited = json_is_integer(ex);
	r->exit = (int)json_integer_value(ex);
	r->signal = (int)json_integer_value(sig);
	r->timeout = json_is_true(json_object_get(o, "timeout"));
	const char *s = json_string_value(json_object_get(o, "stdout"));
	r->out = xstrdup(s ? s : "");
	s = json_string_value(json_object_get(o, "stderr"));
	r->err = xstrdup(s ? s : "");
	json_decref(o);
	return 0;
}

void samples_free_record(samples_record *r)
{
	free(r->out);
	free(r->err);
	*r = (samples_record){ 0 };
}

/* The last non-empty line of text, without its newline (malloc'd; "" when none). */
static char *last_line(const char *text)
{
	size_t end = strlen(text);
	while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r' || text[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start > 0 && text[start - 1] != '\n')
		start--;
	char *s = xmalloc(end - start + 1);
	memcpy(s, text + start, end - start);
	s[end - start] = '\0';
	return s;
}

static bool check_matches(const json_t *v, scenario_check kind)
{
	switch (kind) {
	case SCENARIO_CHECK_INTEGER: return json_is_integer(v);
	case SCENARIO_CHECK_STRING: return json_is_string(v);
	case SCENARIO_CHECK_BOOLEAN: return json_is_boolean(v);
	case SCENARIO_CHECK_ANY: return v != NULL && !json_is_null(v);
	}
	return false;
}

/*
 * jansson holds integers as int64_t, but a check may be any uint64_t (a sum
 * mod 2^64). A copy of the line with a check integer past INT64_MAX quoted,
 * so that it parses, or NULL when the line needs no change. *big says so.
 */
static char *quote_big_check(const char *text, bool *big)
{
	*big = false;
	const char *key = strstr(text, "\"check\":");
	if (!key)
		return NULL;
	const char *num = key + strlen("\"check\":");
	size_t len = strspn(num, "0123456789");
	if (len < 19 || (len == 19 && strncmp(num, "9223372036854775807", 19) <= 0))
		return NULL;
	*big = true;
	return xasprintf("%.*s\"%.*s\"%s", (int)(num - text), text, (int)len, num, num + len);
}

/* Judge the JSON line of a run that exited 0; NULL when acceptable. */
static const char *judge_line(const char *text, const samples_expect *e, samples_line *line, char *msg,
                              size_t msglen)
{
	json_error_t je;
	bool big_check;
	char *quoted = quote_big_check(text, &big_check);
	json_t *o = json_loads(quoted ? quoted : text, 0, &je);
	free(quoted);
	const char *why = NULL;
	if (!json_is_object(o)) {
		snprintf(msg, msglen, "the last line of stdout is not a JSON object: '%.120s'", text);
		json_decref(o);
		return "bad output";
	}
	json_t *workload = json_object_get(o, "workload");
	json_t *variant = json_object_get(o, "variant");
	json_t *ops = json_object_get(o, "ops");
	json_t *nsop = json_object_get(o, "ns_per_op");
	json_t *check = json_object_get(o, "check");
	if (!json_is_string(workload) || !*json_string_value(workload))
		why = "no workload";
	else if (e->workload && strcmp(json_string_value(workload), e->workload) != 0)
		snprintf(msg, msglen, "workload is '%s', asked for '%s'", json_string_value(workload), e->workload);
	else if (!json_is_string(variant) || !*json_string_value(variant))
		why = "no variant";
	else if (e->variant && strcmp(json_string_value(variant), e->variant) != 0)
		snprintf(msg, msglen, "variant is '%s', asked for '%s'", json_string_value(variant), e->variant);
	else if (!json_is_integer(ops) || json_integer_value(ops) <= 0)
		why = "ops is not a positive integer";
	else if (!json_is_number(nsop) || !isfinite(json_number_value(nsop)) || json_number_value(nsop) < 0)
		why = "ns_per_op is not a non-negative number";
	else if (!(big_check ? e->check == SCENARIO_CHECK_INTEGER || e->check == SCENARIO_CHECK_ANY
	                     : check_matches(check, e->check)))
		snprintf(msg, msglen, "check is not %s %s", e->check == SCENARIO_CHECK_INTEGER ? "an" : "a",
		         e->check == SCENARIO_CHECK_ANY ? "value" : scenario_check_name(e->check));
	else {
		*line = (samples_line){ .obj = o,
		                       .variant = json_string_value(variant),
		                       .ops = (uint64_t)json_integer_value(ops),
		                       .ns_per_op = json_number_value(nsop),
		                       .check = check,
		                       .peak_rss_kb = json_object_get(o, "peak_rss_kb"),
		                       .text = xstrdup(text) };
		return NULL;
	}
	if (why)
		snprintf(msg, msglen, "%s in '%.120s'", why, text);
	json_decref(o);
	return "bad output";
}

const char *samples_judge(const samples_record *r, const samples_expect *e, samples_line *line, char *msg,
                         size_t msglen)
{
	char *err_last = last_line(r->err);
	const char *kind = NULL;
	if (r->timeout) {
		kind = "timeout";
		snprintf(msg, msglen, "killed after its time was up%s%s", *err_last ? "; last stderr line: " : "",
		         err_last);
	} else if (!r->exited) {
		kind = "crashed";
		snprintf(msg, msglen, "killed by signal %d (%s)%s%s", r->signal, strsignal(r->signal),
		         *err_last ? ": " : "", err_last);
	} else if (r->exit != 0) {
		kind = r->exit == 1 ? "check failed" : r->exit == 2 ? "usage error" : "crashed";
		if (*err_last)
			snprintf(msg, msglen, "%s", err_last);
		else
			snprintf(msg, msglen, "exit status %d, nothing on stderr", r->exit);
	} else {
		char *out_last = last_line(r->out);
		kind = judge_line(out_last, e, line, msg, msglen);
		free(out_last);
	}
	free(err_last);
	return kind;
}

void samples_free_line(samples_line *line)
{
	json_decref(line->obj);
	free(line->text);
	*line = (samples_line){ 0 };
}
