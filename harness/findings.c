/*
 * findings.c - one run's stderr and end, read as findings (findings.h).
 *
 * The sanitizers print each report as a block: ThreadSanitizer from
 * "WARNING: ThreadSanitizer: KIND (pid=N)" to "SUMMARY: ThreadSanitizer:
 * ...", with stacks whose frames read "    #0 FUNC FILE:LINE:COL (MODULE)";
 * AddressSanitizer from "==N==ERROR: AddressSanitizer: KIND ..." to its
 * SUMMARY line; UBSan one line "FILE:LINE:COL: runtime error: MESSAGE".
 * libgoc's checks print one line each ("panic: ...", "fatal error: all
 * goroutines are asleep - deadlock!", "goc: task leak: ..."), followed by
 * a dump; goc race's exit check prints "goc race: N thread(s) still
 * running at exit: ...". Anything else in stderr is the program's own.
 */
#define _GNU_SOURCE
#include "findings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util.h"

/* Lines of a dump kept after a one-line libgoc report. */
#define DUMP_LINES 40

static void add(finding_list *l, const char *kind, const char *where, const char *report, size_t report_len)
{
	finding *f = xappend(&l->v, &l->n, sizeof *f);
	f->kind = xstrdup(kind);
	f->where = xstrdup(where);
	f->report = xmalloc(report_len + 1);
	memcpy(f->report, report, report_len);
	f->report[report_len] = '\0';
}

/* The line starting at p, without its newline: its length. */
static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

static const char *next_line(const char *p)
{
	p += line_len(p);
	return *p ? p + 1 : p;
}

/* Whether the line at p contains `s` (searching that line only: stderr may be megabytes). */
static bool line_has(const char *p, const char *s)
{
	return memmem(p, line_len(p), s, strlen(s)) != NULL;
}

/* A frame of the sanitizer's own runtime (an interceptor), not the program's. */
static bool runtime_frame(const char *file)
{
	return strstr(file, "compiler-rt") || strstr(file, "/sanitizer_common/") || strstr(file, "/tsan/rtl") ||
	       strstr(file, "/asan/") || strstr(file, "/interception/");
}

/*
 * A frame line's function and location: TSan's "#N FUNC FILE:LINE:COL
 * (MODULE+0xOFF)", or ASan's "#N 0xADDR in FUNC FILE:LINE:COL". The
 * location is "<null>" without debug information; *module gets the
 * "(MODULE+0xOFF)" part, if any.
 */
static bool frame_parts(const char *s, char *func, char *file, char *module)
{
	char a[256], b[1024], c[1024];
	module[0] = '\0';
	int n = sscanf(s, "#%*d %255s %1023s %1023s", a, b, c);
	if (n >= 2 && strncmp(a, "0x", 2) == 0 && strcmp(b, "in") == 0) {
		/* ASan: "#0 0x55d3 in use /src/uaf.c:9:10" */
		if (n < 3 || sscanf(s, "#%*d %*s in %255s %1023s", func, file) != 2) {
			if (n < 3)
				return false;
			strcpy(func, c);
			strcpy(file, "<null>");
		}
		return true;
	}
	if (n < 2)
		return false;
	strcpy(func, a);
	strcpy(file, b);
	if (n == 3 && c[0] == '(')
		snprintf(module, 256, "%s", c);
	return true;
}

/*
 * "FUNC FILE:LINE" of the first frame of the program's own in the stack
 * that starts at line p ("    #0 ..."), or NULL; *end gets the line after
 * the stack. Without debug information, the first frame outside the
 * sanitizer's interceptors as "MODULE+0xOFF" instead.
 */
static char *top_frame(const char *p, const char **end)
{
	char *found = NULL, *fallback = NULL;
	while (*p) {
		const char *s = p + strspn(p, " \t");
		if (*s != '#')
			break;
		char func[256], file[1024], module[256];
		bool parsed = frame_parts(s, func, file, module);
		if (parsed && !fallback && !found && module[0] && strcmp(func, "<null>") == 0)
			fallback = xstrdup(module);
		/* A frame without a file ("<null>": an interceptor) says less than the caller below it. */
		if (!found && parsed && !runtime_frame(file) && strcmp(file, "<null>") != 0) {
			/* Keep FILE:LINE: drop the directory and the column. */
			char *base = strrchr(file, '/');
			base = base ? base + 1 : file;
			char *colon = strchr(base, ':');
			if (colon) {
				char *col = strchr(colon + 1, ':');
				if (col)
					*col = '\0';
			}
			found = xasprintf("%s %s", func, base);
		}
		p = next_line(p);
	}
	*end = p;
	if (!found)
		return fallback;
	free(fallback);
	return found;
}

/*
 * A sanitizer block starting at the line p (its WARNING/ERROR line) up to
 * and including its SUMMARY line (or the text's end): the kind, from the
 * first line after `marker` up to " (pid=" / " on " / the line's end, and
 * the top frames of its first two stacks. Returns the line after it.
 */
static const char *sanitizer_block(const char *p, const char *marker, const char *summary, finding_list *out)
{
	const char *k = strstr(p, marker) + strlen(marker);
	size_t klen = line_len(k);
	const char *cut;
	if ((cut = strstr(k, " (pid=")) && cut < k + klen)
		klen = (size_t)(cut - k);
	if ((cut = strstr(k, " on ")) && cut < k + klen)
		klen = (size_t)(cut - k);
	char *kind = xmalloc(klen + 1);
	memcpy(kind, k, klen);
	kind[klen] = '\0';

	char *frames[2] = { NULL, NULL };
	int stacks = 0;
	const char *q = next_line(p);
	while (*q && !line_has(q, summary)) {
		const char *s = q + strspn(q, " \t");
		if (*s == '#') {
			const char *after;
			char *frame = top_frame(q, &after);
			if (frame && stacks < 2)
				frames[stacks++] = frame;
			else
				free(frame);
			q = after;
			continue;
		}
		/* Another report began before this one's summary: stop here. */
		if (line_has(q, "WARNING: ThreadSanitizer: ") || line_has(q, "ERROR: AddressSanitizer: "))
			break;
		q = next_line(q);
	}
	if (*q && line_has(q, summary))
		q = next_line(q);
	/*
	 * The two stacks in a fixed order: TSan lists the access it caught
	 * first, so one race may come as A / B in one run and B / A in another.
	 */
	if (frames[1] && strcmp(frames[0], frames[1]) > 0) {
		char *t = frames[0];
		frames[0] = frames[1];
		frames[1] = t;
	}
	char *where = xasprintf("%s%s%s", frames[0] ? frames[0] : "", frames[1] ? " / " : "", frames[1] ? frames[1] : "");
	add(out, kind, where, p, (size_t)(q - p));
	free(where);
	free(frames[0]);
	free(frames[1]);
	free(kind);
	return q;
}

/*
 * A one-line report at p and up to DUMP_LINES lines after it (a dump, which
 * may follow one blank line), up to the next blank line.
 */
static const char *line_and_dump(const char *p, const char *kind, const char *where, finding_list *out)
{
	const char *q = next_line(p);
	if (*q == '\n')
		q = next_line(q);
	for (int i = 0; i < DUMP_LINES && *q && *q != '\n'; i++)
		q = next_line(q);
	add(out, kind, where, p, (size_t)(q - p));
	return q;
}

/* The rest of the line at p after `prefix` (which it contains), as a new string. */
static char *rest_of_line(const char *p, const char *prefix)
{
	const char *s = strstr(p, prefix) + strlen(prefix);
	size_t n = line_len(s);
	char *r = xmalloc(n + 1);
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

void findings_parse(const char *err_text, const run_end *end, finding_list *out)
{
	size_t before = out->n;
	const char *p = err_text ? err_text : "";
	while (*p) {
		if (line_has(p, "WARNING: ThreadSanitizer: ")) {
			p = sanitizer_block(p, "WARNING: ThreadSanitizer: ", "SUMMARY: ThreadSanitizer:", out);
		} else if (line_has(p, "ERROR: AddressSanitizer: ")) {
			p = sanitizer_block(p, "ERROR: AddressSanitizer: ", "SUMMARY: AddressSanitizer:", out);
		} else if (line_has(p, "ERROR: LeakSanitizer: ")) {
			p = sanitizer_block(p, "ERROR: LeakSanitizer: ", "SUMMARY: AddressSanitizer:", out);
		} else if (line_has(p, ": runtime error: ")) {
			/* UBSan: FILE:LINE:COL: runtime error: MESSAGE */
			char *msg = rest_of_line(p, ": runtime error: ");
			size_t n = (size_t)(strstr(p, ": runtime error: ") - p);
			char *loc = xmalloc(n + 1);
			memcpy(loc, p, n);
			loc[n] = '\0';
			char *base = strrchr(loc, '/');
			char *where = xasprintf("%s: %s", base ? base + 1 : loc, msg);
			add(out, "undefined behaviour", where, p, line_len(p));
			free(where);
			free(loc);
			free(msg);
			p = next_line(p);
		} else if (str_starts(p, "fatal error: all goroutines are asleep - deadlock!")) {
			p = line_and_dump(p, "deadlock", "all goroutines are asleep", out);
		} else if (str_starts(p, "panic: ")) {
			char *msg = rest_of_line(p, "panic: ");
			p = line_and_dump(p, "panic", msg, out);
			free(msg);
		} else if (str_starts(p, "goc: task leak: ")) {
			char *msg = rest_of_line(p, "goc: task leak: ");
			p = line_and_dump(p, "task leak", msg, out);
			free(msg);
		} else if (str_starts(p, "goc race: ") && line_has(p, "still running at exit")) {
			p = line_and_dump(p, "thread still running at exit", "", out);
		} else {
			p = next_line(p);
		}
	}

	/* How the run ended, unless a report above already accounts for it. */
	if (end->stalled) {
		const char *why = "every thread blocked in an untimed wait (mutex, condition variable, join), "
		                  "no CPU used for 2 s: killed";
		add(out, "deadlock", "every thread blocked", why, strlen(why));
	} else if (end->timed_out) {
		/* A libgoc program answers goc's SIGQUIT with where its tasks are blocked (task.h). */
		const char *dump = err_text ? strstr(err_text, "SIGQUIT: quit\n") : NULL;
		char *why = xasprintf("did not exit within %g s and was stopped (SIGQUIT, then SIGKILL): a deadlock, or a "
		                      "livelock%s%s", end->timeout_s, dump ? "; its tasks at SIGQUIT:\n" : "", dump ? dump : "");
		add(out, "hang", "", why, strlen(why));
		free(why);
	} else if (out->n == before && !(WIFEXITED(end->status) && WEXITSTATUS(end->status) == 0)) {
		char *how = describe_status(end->status);
		add(out, how, "", how, strlen(how));
		free(how);
	}
}

char *finding_key(const finding *f)
{
	return xasprintf("%s|%s", f->kind, f->where);
}

void findings_free(finding_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].kind);
		free(l->v[i].where);
		free(l->v[i].report);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
