/*
 * scenario.c - reads the scenario files (scenarios/README.md) into a
 * scenario_set with inih. inih splits the lines into key = value pairs and
 * comments; what it cannot tell us we learn from our own line reader, which
 * numbers the lines, handles the [section] lines itself (inih calls no
 * handler for them, so we would not otherwise know where a section starts,
 * or that an empty one exists), strips leading blanks (so that inih never
 * takes an indented line for the continuation of a multi-line value), and
 * notices a line inih rejected: a key line whose handler call has not come
 * by the time the next line is asked for. The first error is the one
 * reported; the reader then says end of file, the scenarios of the failed
 * file are freed, and the set is as it was before the call.
 */
#define _POSIX_C_SOURCE 200809L
#include "scenario.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ini.h>

#include "probe.h"
#include "util.h"

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

/* The numeric keys, each also written as KEY.SUITE. */
static const struct number_key {
	const char *key;
	size_t off;        /* of its scenario_setting in struct scenario */
	uint64_t def, lo, hi;
} number_keys[] = {
	{ "size", offsetof(scenario, size), 0, 1, UINT64_MAX },
	{ "runs", offsetof(scenario, runs), 10, 3, 1000 },
	{ "warmup", offsetof(scenario, warmup), 1, 0, 100 },
	{ "timeout", offsetof(scenario, timeout), 60, 1, 86400 },
	{ "seconds", offsetof(scenario, seconds), 5, 1, 3600 },
};
#define NNUMBER_KEYS (sizeof number_keys / sizeof number_keys[0])

static const char *const check_names[] = { "any", "integer", "string", "boolean" };

/* A key already written in the current section, for "given twice". */
typedef struct seen_key {
	char *key;
	int line;
} seen_key;

/* The state of reading one file. */
typedef struct parser {
	const char *path;
	FILE *f;
	char *buf;            /* getline()'s buffer: the line last read */
	size_t cap;
	int lineno;           /* the number of the line last read */
	int pending;          /* a key line handed to inih and not yet seen by on_key, or 0 */
	const char *pending_text;
	scenario_set *set;
	scenario *cur;        /* the section being read (the set's last), or NULL */
	const char *sect;     /* the name messages give, or NULL outside a section */
	seen_key *seen;       /* cur's keys so far */
	size_t nseen;
	bool failed;
	char *err;
	size_t errlen;
} parser;

/*
 * Record an error at `line` (0: none, the whole file) unless one is
 * recorded already: later errors may be consequences of the first. Returns
 * 0, which is also what an inih handler returns to report an error.
 */
__attribute__((format(printf, 3, 4)))
static int fail(parser *p, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->failed)
		return 0;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line <= 0)
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	else if (p->sect)
		snprintf(p->err, p->errlen, "%s:%d: [%s]: %s", p->path, line, p->sect, msg);
	else
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, line, msg);
	return 0;
}

static int oom(parser *p)
{
	return fail(p, p->lineno, "out of memory");
}

static bool is_name(const char *s)
{
	return *s && s[strspn(s, NAME_CHARS)] == '\0';
}

/* Cut the blanks off both ends of s, in place; returns the first non-blank. */
static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static bool in_list(const scenario_list *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i], item) == 0)
			return true;
	return false;
}

/* "a, b, c", cut short if it does not fit: for messages only. */
static const char *join(const scenario_list *l, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && used < len; i++) {
		int k = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l->items[i]);
		if (k < 0)
			break;
		used += (size_t)k;
	}
	return buf;
}

static int seen_line(const parser *p, const char *key)
{
	for (size_t i = 0; i < p->nseen; i++)
		if (strcmp(p->seen[i].key, key) == 0)
			return p->seen[i].line;
	return 0;
}

static void clear_seen(parser *p)
{
	for (size_t i = 0; i < p->nseen; i++)
		free(p->seen[i].key);
	free(p->seen);
	p->seen = NULL;
	p->nseen = 0;
}

static void list_free(scenario_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
}

static void scenario_free(scenario *s)
{
	free(s->name);
	free(s->file);
	free(s->description);
	free(s->target);
	free(s->workload);
	list_free(&s->variants);
	free(s->reference);
	free(s->go);
	free(s->variant_option);
	free(s->method);
	free(s->path);
	free(s->body);
	list_free(&s->go_variants);
	list_free(&s->suites);
	for (size_t i = 0; i < s->nknobs; i++) {
		free(s->knobs[i].name);
		list_free(&s->knobs[i].values);
	}
	free(s->knobs);
	for (size_t i = 0; i < NNUMBER_KEYS; i++) {
		scenario_setting *st = (scenario_setting *)((char *)s + number_keys[i].off);
		for (size_t j = 0; j < st->nby_suite; j++)
			free(st->by_suite[j].suite);
		free(st->by_suite);
	}
}

/* Free the scenarios after the first n, so that a failed call leaves no trace. */
static void truncate_set(scenario_set *set, size_t n)
{
	while (set->n > n)
		scenario_free(&set->v[--set->n]);
	if (n == 0) {
		free(set->v);
		set->v = NULL;
	}
}

/* A single value that is text: description. */
static int text(parser *p, const char *key, const char *value, char **out)
{
	if (!*value)
		return fail(p, p->lineno, "%s: empty value (expected one line of text)", key);
	*out = strdup(value);
	return *out ? 1 : oom(p);
}

/* A single value that is one word: target, workload, reference, go. */
static int word(parser *p, const char *key, const char *value, char **out)
{
	if (!*value)
		return fail(p, p->lineno, "%s: empty value (expected one word)", key);
	for (const char *c = value; *c; c++)
		if (isspace((unsigned char)*c) || *c == ',')
			return fail(p, p->lineno, "%s: '%s' is not one word (expected no blanks or commas)", key, value);
	return text(p, key, value, out);
}

/*
 * Split `value` at its commas into `out`, each item trimmed. An empty list,
 * an empty item and an item given twice are errors; when `kind` is not NULL
 * every item must also be a name ("suite": [a-z0-9_-]+).
 */
static int list(parser *p, const char *key, const char *value, const char *kind, scenario_list *out)
{
	size_t n = 1;

	if (!*value)
		return fail(p, p->lineno, "%s: empty list (expected comma-separated values)", key);
	for (const char *c = value; *c; c++)
		if (*c == ',')
			n++;
	out->items = calloc(n, sizeof *out->items);
	if (!out->items)
		return oom(p);
	for (const char *start = value; out->n < n; start += strcspn(start, ",") + 1) {
		char *item = strndup(start, strcspn(start, ","));
		if (!item)
			return oom(p);
		out->items[out->n++] = item;
		char *t = trim(item);
		memmove(item, t, strlen(t) + 1);
		if (!*item)
			return fail(p, p->lineno, "%s: item %zu of '%s' is empty (expected comma-separated values)",
				    key, out->n, value);
		if (kind && !is_name(item))
			return fail(p, p->lineno, "%s: '%s' is not a valid %s name (expected [a-z0-9_-]+)",
				    key, item, kind);
		for (size_t j = 0; j + 1 < out->n; j++)
			if (strcmp(out->items[j], item) == 0)
				return fail(p, p->lineno, "%s: '%s' listed twice", key, item);
	}
	return 1;
}

static int copy_list(parser *p, const scenario_list *from, scenario_list *to)
{
	to->items = calloc(from->n, sizeof *to->items);
	if (!to->items)
		return oom(p);
	for (; to->n < from->n; to->n++)
		if (!(to->items[to->n] = strdup(from->items[to->n])))
			return oom(p);
	return 1;
}

/* knob.NAME = values; `key` is the whole key. */
static int knob(parser *p, scenario *s, const char *key, const char *value)
{
	const char *name = key + strlen("knob.");
	scenario_knob *k;

	if (!*name)
		return fail(p, p->lineno, "%s: empty knob name (expected knob.NAME, NAME in [a-z0-9_-]+)", key);
	if (!is_name(name))
		return fail(p, p->lineno, "%s: '%s' is not a valid knob name (expected [a-z0-9_-]+)", key, name);
	if (strcmp(name, "variant") == 0 || strcmp(name, "size") == 0)
		return fail(p, p->lineno, "%s: --%s has its own key (expected %s)", key, name,
			    name[0] == 'v' ? "variants" : "size");
	k = realloc(s->knobs, (s->nknobs + 1) * sizeof *k);
	if (!k)
		return oom(p);
	s->knobs = k;
	k = memset(&k[s->nknobs++], 0, sizeof *k);
	k->line = p->lineno;
	if (!(k->name = strdup(name)))
		return oom(p);
	return list(p, key, value, NULL, &k->values);
}

/* KEY or KEY.SUITE = a decimal number in nk's range. */
static int number(parser *p, const struct number_key *nk, scenario *s, const char *key, const char *value)
{
	scenario_setting *st = (scenario_setting *)((char *)s + nk->off);
	const char *suite = key[strlen(nk->key)] ? key + strlen(nk->key) + 1 : NULL;
	char range[64];
	uint64_t v = 0;

	if (nk->hi == UINT64_MAX)
		snprintf(range, sizeof range, "at least %" PRIu64, nk->lo);
	else
		snprintf(range, sizeof range, "%" PRIu64 "..%" PRIu64, nk->lo, nk->hi);
	if (suite && !is_name(suite))
		return fail(p, p->lineno, "%s: '%s' is not a valid suite name (expected [a-z0-9_-]+)", key, suite);
	if (!*value)
		return fail(p, p->lineno, "%s: empty value (expected a decimal number, %s)", key, range);
	if (strspn(value, "0123456789") != strlen(value))
		return fail(p, p->lineno, "%s: '%s' is not a decimal number (expected digits only, %s)",
			    key, value, range);
	/* Digits only: probe_parse_u64 fails only on overflow. */
	if (!probe_parse_u64(value, &v) || v < nk->lo || v > nk->hi)
		return fail(p, p->lineno, "%s: %s is out of range (expected %s)", key, value, range);
	if (!suite) {
		st->given = true;
		st->value = v;
		st->line = p->lineno;
		return 1;
	}
	scenario_suite_value *b = realloc(st->by_suite, (st->nby_suite + 1) * sizeof *b);
	if (!b)
		return oom(p);
	st->by_suite = b;
	b = &b[st->nby_suite];
	if (!(b->suite = strdup(suite)))
		return oom(p);
	b->value = v;
	b->line = p->lineno;
	st->nby_suite++;
	return 1;
}

/* request = METHOD PATH: what wrk sends a server scenario's target. */
static int request(parser *p, scenario *s, const char *value)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE" };
	size_t mlen = strcspn(value, " \t");
	const char *path = value + mlen + strspn(value + mlen, " \t");

	s->request_line = p->lineno;
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
		if (strlen(methods[i]) == mlen && strncmp(value, methods[i], mlen) == 0)
			s->method = strdup(methods[i]);
	if (!s->method)
		return fail(p, p->lineno, "request: '%.*s' is not a method (expected GET, POST, PUT or DELETE, then a path)",
			    (int)mlen, value);
	if (*path != '/' || path[strcspn(path, " \t")])
		return fail(p, p->lineno, "request: '%s' is not a path (expected METHOD /PATH, no blanks in the path)", path);
	s->path = strdup(path);
	return s->path ? 1 : oom(p);
}

static int check(parser *p, scenario *s, const char *value)
{
	for (size_t i = 0; i < sizeof check_names / sizeof check_names[0]; i++)
		if (strcmp(value, check_names[i]) == 0) {
			s->check = (scenario_check)i;
			return 1;
		}
	return fail(p, p->lineno, "check: '%s' is not a check (expected any, integer, string or boolean)", value);
}

/* inih's handler: one key = value line of the current section. */
static int on_key(void *user, const char *section, const char *key, const char *value)
{
	parser *p = user;
	scenario *s = p->cur;
	seen_key *seen;
	int first;

	(void)section; /* always "": the reader keeps the [section] lines from inih */
	if (!value)
		return 1; /* a line without '=' (ini_allow_no_value): left pending, so a syntax error */
	p->pending = 0;
	if (p->failed)
		return 0;
	if (!s)
		return fail(p, p->lineno, "key '%s' outside any scenario (expected a [name] line before it)", key);
	if ((first = seen_line(p, key)) != 0)
		return fail(p, p->lineno, "'%s' given twice (first at line %d)", key, first);
	if (!(seen = realloc(p->seen, (p->nseen + 1) * sizeof *seen)))
		return oom(p);
	p->seen = seen;
	if (!(seen[p->nseen].key = strdup(key)))
		return oom(p);
	seen[p->nseen++].line = p->lineno;

	if (strcmp(key, "description") == 0)
		return text(p, key, value, &s->description);
	if (strcmp(key, "target") == 0) {
		s->target_line = p->lineno;
		return word(p, key, value, &s->target);
	}
	if (strcmp(key, "workload") == 0) {
		s->workload_line = p->lineno;
		return word(p, key, value, &s->workload);
	}
	if (strcmp(key, "reference") == 0)
		return word(p, key, value, &s->reference);
	if (strcmp(key, "go") == 0)
		return word(p, key, value, &s->go);
	if (strcmp(key, "variants") == 0) {
		s->variants_line = p->lineno;
		return list(p, key, value, NULL, &s->variants);
	}
	if (strcmp(key, "go.variants") == 0)
		return list(p, key, value, NULL, &s->go_variants);
	if (strcmp(key, "suites") == 0)
		return list(p, key, value, "suite", &s->suites);
	if (strncmp(key, "knob.", strlen("knob.")) == 0)
		return knob(p, s, key, value);
	if (strcmp(key, "check") == 0)
		return check(p, s, value);
	if (strcmp(key, "variant.option") == 0)
		return word(p, key, value, &s->variant_option);
	if (strcmp(key, "request") == 0)
		return request(p, s, value);
	if (strcmp(key, "body") == 0)
		return text(p, key, value, &s->body);
	for (size_t i = 0; i < NNUMBER_KEYS; i++) {
		size_t len = strlen(number_keys[i].key);
		if (strncmp(key, number_keys[i].key, len) == 0 && (key[len] == '\0' || key[len] == '.'))
			return number(p, &number_keys[i], s, key, value);
	}
	return fail(p, p->lineno, "unknown key '%s' (expected target, suites, description, workload, "
		    "variants, variant.option, reference, go, go.variants, knob.NAME, check, request, body, size, "
		    "runs, warmup, timeout or seconds, the last five with an optional .SUITE)", key);
}

/*
 * The checks that need the whole section, and the defaults that depend on
 * other keys. Errors go to the line of the key at fault, or to the header's
 * line for a key that is missing.
 */
static int finish_section(parser *p)
{
	scenario *s = p->cur;
	char names[256];

	if (!s || p->failed)
		return !p->failed;
	if (!s->target)
		return fail(p, s->line, "missing target (expected a line target = NAME)");
	if (!s->suites.n)
		return fail(p, s->line, "missing suites (expected a line suites = NAME, ...)");
	if (s->reference && !s->variants.n)
		return fail(p, seen_line(p, "reference"), "reference: no variants to refer to (expected a variants key)");
	if (s->reference && !in_list(&s->variants, s->reference))
		return fail(p, seen_line(p, "reference"), "reference: '%s' is not one of variants (expected one of %s)",
			    s->reference, join(&s->variants, names, sizeof names));
	if (!s->reference && s->variants.n && !(s->reference = strdup(s->variants.items[0])))
		return oom(p);
	if (s->go_variants.n && !s->go)
		return fail(p, seen_line(p, "go.variants"), "go.variants: no go key (expected go = PROGRAM with it)");
	for (size_t i = 0; i < s->go_variants.n; i++)
		if (!in_list(&s->variants, s->go_variants.items[i]))
			return fail(p, seen_line(p, "go.variants"),
				    "go.variants: '%s' is not one of variants (expected one of %s)",
				    s->go_variants.items[i], join(&s->variants, names, sizeof names));
	if (s->go && !s->go_variants.n && s->variants.n && !copy_list(p, &s->variants, &s->go_variants))
		return 0;
	if (s->variant_option && !s->variants.n)
		return fail(p, seen_line(p, "variant.option"), "variant.option: no variants to pass (expected a variants key)");
	if (!s->variant_option && !(s->variant_option = strdup("variant")))
		return oom(p);
	if (!s->method && s->body)
		return fail(p, seen_line(p, "body"), "body: not a server scenario (expected a request key with it)");
	if (!s->method && (s->seconds.given || s->seconds.nby_suite))
		return fail(p, s->seconds.given ? s->seconds.line : s->seconds.by_suite[0].line,
			    "seconds: not a server scenario (expected a request key with it)");
	if (s->method && (s->size.given || s->size.nby_suite))
		return fail(p, s->size.given ? s->size.line : s->size.by_suite[0].line,
			    "size: a server scenario's load is timed by seconds (expected no size)");
	if (s->method && seen_line(p, "check"))
		return fail(p, seen_line(p, "check"), "check: a server prints no result line (expected no check)");
	if (s->method && s->workload)
		return fail(p, s->workload_line, "workload: a server takes none (expected no workload)");
	for (size_t k = 0; s->method && k < s->nknobs; k++) {
		const scenario_knob *kn = &s->knobs[k];
		uint64_t c;
		for (size_t i = 0; strcmp(kn->name, SCENARIO_CONNECTIONS) == 0 && i < kn->values.n; i++)
			if (strspn(kn->values.items[i], "0123456789") != strlen(kn->values.items[i]) ||
			    !probe_parse_u64(kn->values.items[i], &c) || c < 1 || c > 10000)
				return fail(p, kn->line, "knob.%s: '%s' is not a number of connections (expected 1..10000)",
					    kn->name, kn->values.items[i]);
	}
	for (size_t i = 0; i < NNUMBER_KEYS; i++) {
		const scenario_setting *st = (const scenario_setting *)((const char *)s + number_keys[i].off);
		for (size_t j = 0; j < st->nby_suite; j++)
			if (!scenario_in_suite(s, st->by_suite[j].suite))
				return fail(p, st->by_suite[j].line,
					    "%s.%s: '%s' is not one of this scenario's suites (expected one of %s)",
					    number_keys[i].key, st->by_suite[j].suite, st->by_suite[j].suite,
					    join(&s->suites, names, sizeof names));
	}
	return 1;
}

/* A [name] line (s starts at '['): end the current scenario, start the next. */
static void section(parser *p, char *s)
{
	char *end = strchr(s, ']');
	const scenario *dup;
	scenario *v;

	finish_section(p);
	clear_seen(p);
	p->cur = NULL;
	p->sect = NULL;
	if (p->failed)
		return;
	if (!end) {
		fail(p, p->lineno, "'%s' has no ']' (expected [name])", s);
		return;
	}
	*end++ = '\0';
	p->sect = s + 1;
	end = trim(end);
	if (*end && *end != ';') {
		fail(p, p->lineno, "'%s' after ']' (expected nothing or a ; comment)", end);
	} else if (!*p->sect) {
		fail(p, p->lineno, "empty scenario name (expected [a-z0-9_-]+)");
	} else if (!is_name(p->sect)) {
		fail(p, p->lineno, "'%s' is not a valid scenario name (expected [a-z0-9_-]+)", p->sect);
	} else if ((dup = scenario_find(p->set, p->sect)) != NULL) {
		fail(p, p->lineno, "duplicate scenario '%s' (first in %s:%d)", p->sect, dup->file, dup->line);
	} else if (!(v = realloc(p->set->v, (p->set->n + 1) * sizeof *v))) {
		oom(p);
	} else {
		p->set->v = v;
		p->cur = memset(&v[p->set->n++], 0, sizeof *v);
		p->cur->line = p->lineno;
		for (size_t i = 0; i < NNUMBER_KEYS; i++)
			((scenario_setting *)((char *)p->cur + number_keys[i].off))->value = number_keys[i].def;
		if (!(p->cur->name = strdup(p->sect)) || !(p->cur->file = strdup(p->path)))
			oom(p);
		else
			p->sect = p->cur->name;
	}
}

/* The line inih did not call on_key for: not a section, a key = value nor a comment. */
static void syntax_error(parser *p)
{
	fail(p, p->pending, "'%s' is neither [name], key = value nor a comment", p->pending_text);
}

/*
 * inih's reader, in place of fgets: hands inih the key lines, blanks
 * stripped and with a newline, and a blank line for every other one.
 */
static char *read_line(char *str, int num, void *stream)
{
	parser *p = stream;
	char *s;

	if (p->pending)
		syntax_error(p);
	if (p->failed)
		return NULL;
	if (getline(&p->buf, &p->cap, p->f) < 0) {
		if (ferror(p->f))
			fail(p, 0, "cannot read: %s", strerror(errno));
		return NULL;
	}
	p->lineno++;
	s = p->buf;
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3; /* a UTF-8 byte order mark */
	s = trim(s);
	if (*s == '[') {
		section(p, s);
	} else if (*s && *s != ';' && *s != '#') {
		if (strlen(s) + 2 > (size_t)num) {
			fail(p, p->lineno, "line longer than %d characters", num - 2);
			return NULL;
		}
		p->pending = p->lineno;
		p->pending_text = s;
		snprintf(str, (size_t)num, "%s\n", s);
		return str;
	}
	if (p->failed)
		return NULL;
	snprintf(str, (size_t)num, "\n");
	return str;
}

int scenario_parse_file(const char *path, scenario_set *set, char *err, size_t errlen)
{
	parser p = { .path = path, .set = set, .err = err, .errlen = errlen };
	size_t before = set->n;
	int r;

	if (!(p.f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	r = ini_parse_stream(read_line, &p, on_key, &p);
	if (p.pending)
		syntax_error(&p);
	if (r != 0)
		fail(&p, r > 0 ? r : 0, "inih failed (%d)", r); /* not expected: every error is ours first */
	finish_section(&p);
	clear_seen(&p);
	free(p.buf);
	fclose(p.f);
	if (p.failed) {
		truncate_set(set, before);
		return -1;
	}
	return 0;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* As scenario_parse_file() for each file; on error, set is as before the call. */
int scenario_load_dir(const char *dir, scenario_set *set, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	size_t before = set->n, n = 0;
	char **names = NULL;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		snprintf(err, errlen, "%s: cannot open: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char **grown;
		if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".ini") != 0)
			continue;
		if (!(grown = realloc(names, (n + 1) * sizeof *names))) {
			rc = -1;
			break;
		}
		names = grown;
		if (!(names[n] = strdup(e->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc != 0)
		snprintf(err, errlen, "%s: out of memory", dir);
	if (n)
		qsort(names, n, sizeof *names, compare_names);
	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		if (!path) {
			snprintf(err, errlen, "%s: out of memory", dir);
			rc = -1;
			break;
		}
		snprintf(path, len, "%s/%s", dir, names[i]);
		rc = scenario_parse_file(path, set, err, errlen);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc != 0)
		truncate_set(set, before);
	return rc;
}

void scenario_set_free(scenario_set *set)
{
	truncate_set(set, 0);
}

const scenario *scenario_find(const scenario_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].name && strcmp(set->v[i].name, name) == 0)
			return &set->v[i];
	return NULL;
}

bool scenario_in_suite(const scenario *s, const char *suite)
{
	return in_list(&s->suites, suite);
}

uint64_t scenario_setting_for(const scenario_setting *st, const char *suite, bool *given)
{
	for (size_t i = 0; suite && i < st->nby_suite; i++)
		if (strcmp(st->by_suite[i].suite, suite) == 0) {
			if (given)
				*given = true;
			return st->by_suite[i].value;
		}
	if (given)
		*given = st->given;
	return st->value;
}

const char *scenario_check_name(scenario_check c)
{
	return (size_t)c < sizeof check_names / sizeof check_names[0] ? check_names[c] : "unknown";
}

int scenario_load(const char *path, scenario_set *set, char *err, size_t errlen)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		return scenario_parse_file(path, set, err, errlen);
	return scenario_load_dir(path, set, err, errlen);
}
