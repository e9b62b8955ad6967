/*
 * probe.c - the probe library: the clock, peak RSS, the command-line parser
 * every target shares, the messages for failed checks, and the JSON line.
 * The parser is split into a pure part (probe_parse_args, which prints
 * nothing and allocates nothing, so it can be tested and fuzzed) and the
 * part that prints and exits (probe_parse), so that every target reports
 * usage errors with the same one-line wording and the same exit status.
 */
#define _POSIX_C_SOURCE 200809L
#include "probe.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * The name messages start with. Set once by probe_parse() on the main
 * thread before any message can be printed, so it needs no lock.
 */
static const char *prog_name = "probe";

int64_t probe_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

uint64_t probe_peak_rss_kb(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0)
		return 0;
#if defined(__APPLE__)
	/* macOS reports bytes where Linux and the BSDs report KiB. */
	return (uint64_t)ru.ru_maxrss / 1024;
#else
	return (uint64_t)ru.ru_maxrss;
#endif
}

/* ---- the command line --------------------------------------------------- */

/* snprintf into err, ignoring truncation: the message is a diagnostic. */
__attribute__((format(printf, 3, 4)))
static probe_parse_status parse_error(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return PROBE_PARSE_ERROR;
}

/* By hand: see probe.h for what strtoull would let through. */
bool probe_parse_u64(const char *text, uint64_t *out)
{
	uint64_t v = 0;
	if (*text == '\0')
		return false;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		uint64_t digit = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*out = v;
	return true;
}

static probe_parse_status set_option(probe_opt *opt, const char *value, char *err, size_t errlen)
{
	if (opt->kind == PROBE_OPT_UINT) {
		uint64_t v;
		if (!probe_parse_u64(value, &v)) {
			/* Tell overflow apart from junk: both are digits-only failures otherwise. */
			if (value[0] != '\0' && strspn(value, "0123456789") == strlen(value))
				return parse_error(err, errlen, "%s: '%s' is too large (at most %" PRIu64 ")",
				                   opt->name, value, opt->max);
			return parse_error(err, errlen, "%s: '%s' is not a non-negative integer",
			                   opt->name, value);
		}
		if (v < opt->min || v > opt->max)
			return parse_error(err, errlen, "%s: %" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64 ")",
			                   opt->name, v, opt->min, opt->max);
		*opt->u = v;
	} else {
		if (opt->choices) {
			size_t i;
			for (i = 0; opt->choices[i]; i++)
				if (strcmp(opt->choices[i], value) == 0)
					break;
			if (!opt->choices[i])
				return parse_error(err, errlen, "%s: unknown value '%s'", opt->name, value);
		}
		*opt->s = value;
	}
	opt->given = true;
	return PROBE_PARSE_OK;
}

probe_parse_status probe_parse_args(probe_cli *cli, int argc, char *const argv[], char *err, size_t errlen)
{
	bool have_workload = false;

	if (err && errlen > 0)
		err[0] = '\0';
	for (size_t i = 0; i < cli->nopts; i++)
		cli->opts[i].given = false;
	cli->workload = 0;

	/* --help wins wherever it is, so `TARGET bogus --help` still helps. */
	for (int a = 1; a < argc; a++)
		if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0)
			return PROBE_PARSE_HELP;
	/* --describe is for the harness, which passes it alone. */
	if (argc == 2 && strcmp(argv[1], "--describe") == 0)
		return PROBE_PARSE_DESCRIBE;

	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];

		if (arg[0] == '-' && arg[1] != '\0') {
			/* An option: --name VALUE or --name=VALUE. */
			const char *eq = strchr(arg, '=');
			size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
			probe_opt *opt = NULL;
			for (size_t i = 0; i < cli->nopts; i++) {
				const char *name = cli->opts[i].name;
				if (strlen(name) == namelen && strncmp(name, arg, namelen) == 0) {
					opt = &cli->opts[i];
					break;
				}
			}
			if (!opt)
				return parse_error(err, errlen, "unknown flag '%.*s'", (int)namelen, arg);
			if (opt->kind == PROBE_OPT_FLAG) {
				if (eq)
					return parse_error(err, errlen, "%s takes no value", opt->name);
				*opt->b = true;
				opt->given = true;
				continue;
			}
			const char *value;
			if (eq) {
				value = eq + 1;
			} else {
				if (a + 1 >= argc)
					return parse_error(err, errlen, "%s needs a value (%s)", opt->name, opt->metavar);
				value = argv[++a];
			}
			probe_parse_status st = set_option(opt, value, err, errlen);
			if (st != PROBE_PARSE_OK)
				return st;
			continue;
		}

		/* A positional argument: the workload, once. */
		if (!cli->workloads)
			return parse_error(err, errlen, "unexpected argument '%s'", arg);
		if (have_workload)
			return parse_error(err, errlen, "unexpected argument '%s' (the workload is '%s')",
			                   arg, cli->workloads[cli->workload].name);
		size_t w;
		for (w = 0; w < cli->nworkloads; w++)
			if (strcmp(cli->workloads[w].name, arg) == 0)
				break;
		if (w == cli->nworkloads)
			return parse_error(err, errlen, "unknown workload '%s'", arg);
		cli->workload = w;
		have_workload = true;
	}

	if (cli->workloads && !have_workload)
		return parse_error(err, errlen, "no workload given");
	return PROBE_PARSE_OK;
}

void probe_help(const probe_cli *cli)
{
	/* Align the help column on the longest workload name or "--flag METAVAR". */
	int width = (int)strlen("--help");
	for (size_t i = 0; i < cli->nworkloads; i++) {
		int n = (int)strlen(cli->workloads[i].name);
		if (n > width)
			width = n;
	}
	for (size_t i = 0; i < cli->nopts; i++) {
		int n = (int)strlen(cli->opts[i].name);
		if (cli->opts[i].kind != PROBE_OPT_FLAG)
			n += 1 + (int)strlen(cli->opts[i].metavar);
		if (n > width)
			width = n;
	}

	printf("%s - %s\n\nusage: %s%s", cli->prog, cli->summary, cli->prog,
	       cli->workloads ? " WORKLOAD" : "");
	for (size_t i = 0; i < cli->nopts; i++) {
		if (cli->opts[i].kind == PROBE_OPT_FLAG)
			printf(" [%s]", cli->opts[i].name);
		else
			printf(" [%s %s]", cli->opts[i].name, cli->opts[i].metavar);
	}
	printf("\n");

	if (cli->workloads) {
		printf("\nworkloads:\n");
		for (size_t i = 0; i < cli->nworkloads; i++)
			printf("  %-*s  %s\n", width, cli->workloads[i].name, cli->workloads[i].help);
	}
	printf("\noptions:\n");
	for (size_t i = 0; i < cli->nopts; i++) {
		const probe_opt *o = &cli->opts[i];
		char flag[128];
		if (o->kind == PROBE_OPT_FLAG)
			snprintf(flag, sizeof flag, "%s", o->name);
		else
			snprintf(flag, sizeof flag, "%s %s", o->name, o->metavar);
		printf("  %-*s  %s", width, flag, o->help);
		if (o->kind == PROBE_OPT_STRING && o->choices) {
			printf(" (one of:");
			for (size_t c = 0; o->choices[c]; c++)
				printf(" %s", o->choices[c]);
			printf(")");
		}
		printf("\n");
	}
	printf("  %-*s  %s\n", width, "--help", "print this help and exit");
	printf("  %-*s  %s\n", width, "--describe", "print this command line as one JSON object and exit");
	printf("\nPrints one JSON line for a verified run. Exit status: 0 ok, 1 check failed\n"
	       "(or the work could not be done), 2 usage error.\n");
	if (cli->epilog)
		printf("\n%s\n", cli->epilog);
}

static int print_describe(const probe_cli *cli);

void probe_parse(probe_cli *cli, int argc, char *argv[])
{
	char err[256];
	prog_name = cli->prog;
	switch (probe_parse_args(cli, argc, argv, err, sizeof err)) {
	case PROBE_PARSE_OK:
		return;
	case PROBE_PARSE_HELP:
		probe_help(cli);
		exit(fflush(stdout) == 0 ? PROBE_EXIT_OK : PROBE_EXIT_USAGE);
	case PROBE_PARSE_DESCRIBE:
		exit(print_describe(cli));
	case PROBE_PARSE_ERROR:
		break;
	}
	fprintf(stderr, "%s: %s (see %s --help)\n", prog_name, err, prog_name);
	exit(PROBE_EXIT_USAGE);
}

void probe_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog_name);
	exit(PROBE_EXIT_USAGE);
}

/* ---- verification --------------------------------------------------------- */

bool probe_expect_u64(const char *what, uint64_t expected, uint64_t got)
{
	if (got == expected)
		return true;
	fprintf(stderr, "%s: check failed: %s: expected %" PRIu64 ", got %" PRIu64 "\n",
	        prog_name, what, expected, got);
	return false;
}

int probe_check_failed(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: check failed: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return PROBE_EXIT_CHECK;
}

int probe_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return PROBE_EXIT_CHECK;
}

/* ---- the JSON line ---------------------------------------------------------- */

void probe_result_init(probe_result *r, const char *workload, const char *variant,
                       uint64_t ops, int64_t elapsed_ns)
{
	memset(r, 0, sizeof *r);
	r->workload = workload;
	r->variant = variant;
	r->ops = ops;
	r->elapsed_ns = elapsed_ns;
}

void probe_result_check_u64(probe_result *r, uint64_t check)
{
	r->check.kind = PROBE_VALUE_U64;
	r->check.as.u64 = check;
}

void probe_result_check_i64(probe_result *r, int64_t check)
{
	r->check.kind = PROBE_VALUE_I64;
	r->check.as.i64 = check;
}

void probe_result_check_bool(probe_result *r, bool check)
{
	r->check.kind = PROBE_VALUE_BOOL;
	r->check.as.b = check;
}

void probe_result_check_str(probe_result *r, const char *check)
{
	r->check.kind = PROBE_VALUE_STR;
	r->check.as.str = check;
}

/*
 * Extra field names go into the JSON unescaped, so they are held to the
 * characters a harness can also use as a column name.
 */
static probe_field *extra_slot(probe_result *r, const char *name)
{
	bool ok = name && name[0] != '\0' && strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(name);
	if (!ok) {
		fprintf(stderr, "probe: extra field name '%s' is not [a-z0-9_]+\n", name ? name : "(null)");
		abort();
	}
	if (r->nextra >= PROBE_MAX_EXTRA) {
		fprintf(stderr, "probe: more than %d extra fields (adding '%s')\n", PROBE_MAX_EXTRA, name);
		abort();
	}
	probe_field *f = &r->extra[r->nextra++];
	f->name = name;
	return f;
}

void probe_result_add_u64(probe_result *r, const char *name, uint64_t value)
{
	probe_field *f = extra_slot(r, name);
	f->value.kind = PROBE_VALUE_U64;
	f->value.as.u64 = value;
}

void probe_result_add_i64(probe_result *r, const char *name, int64_t value)
{
	probe_field *f = extra_slot(r, name);
	f->value.kind = PROBE_VALUE_I64;
	f->value.as.i64 = value;
}

void probe_result_add_f64(probe_result *r, const char *name, double value)
{
	probe_field *f = extra_slot(r, name);
	f->value.kind = PROBE_VALUE_F64;
	f->value.as.f64 = value;
}

/* An append-only view of the caller's buffer that counts what did not fit. */
typedef struct outbuf {
	char *buf;
	size_t len;
	size_t used;  /* what the whole text needs, which may exceed len */
} outbuf;

__attribute__((format(printf, 2, 3)))
static void out(outbuf *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->used < o->len ? o->len - o->used : 0;
	va_start(ap, fmt);
	int n = vsnprintf(room ? o->buf + o->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void out_string(outbuf *o, const char *s)
{
	out(o, "\"");
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			out(o, "\\%c", *p);
		else if (*p < 0x20)
			out(o, "\\u%04x", *p);
		else
			out(o, "%c", *p);
	}
	out(o, "\"");
}

static void out_value(outbuf *o, const probe_value *v)
{
	switch (v->kind) {
	case PROBE_VALUE_U64: out(o, "%" PRIu64, v->as.u64); break;
	case PROBE_VALUE_I64: out(o, "%" PRId64, v->as.i64); break;
	case PROBE_VALUE_BOOL: out(o, "%s", v->as.b ? "true" : "false"); break;
	case PROBE_VALUE_STR: out_string(o, v->as.str); break;
	case PROBE_VALUE_F64:
		/* JSON has no NaN or infinity. */
		if (isfinite(v->as.f64))
			out(o, "%.17g", v->as.f64);
		else
			out(o, "null");
		break;
	case PROBE_VALUE_NONE: out(o, "null"); break;
	}
}

int probe_format(const probe_result *r, char *buf, size_t len)
{
	if (r->check.kind == PROBE_VALUE_NONE || r->ops == 0)
		return -1;
	outbuf o = { buf, len, 0 };
	if (len > 0)
		buf[0] = '\0';
	double seconds = (double)r->elapsed_ns / 1e9;
	double ns_per_op = (double)r->elapsed_ns / (double)r->ops;

	out(&o, "{\"workload\":");
	out_string(&o, r->workload);
	out(&o, ",\"variant\":");
	out_string(&o, r->variant);
	out(&o, ",\"ops\":%" PRIu64 ",\"seconds\":%.9f,\"ns_per_op\":%.3f,\"check\":",
	    r->ops, seconds, ns_per_op);
	out_value(&o, &r->check);
	for (size_t i = 0; i < r->nextra; i++) {
		out(&o, ",\"%s\":", r->extra[i].name);
		out_value(&o, &r->extra[i].value);
	}
	out(&o, "}");
	return o.used > INT32_MAX ? -1 : (int)o.used;
}

int probe_emit(const probe_result *r)
{
	char line[1024];
	if (r->check.kind == PROBE_VALUE_NONE)
		return probe_error("internal error: result for '%s' has no check value; not printed",
		                   r->workload ? r->workload : "?");
	if (r->ops == 0)
		return probe_error("internal error: result for '%s' has 0 ops; not printed",
		                   r->workload ? r->workload : "?");
	int n = probe_format(r, line, sizeof line);
	if (n < 0 || (size_t)n >= sizeof line)
		return probe_error("internal error: result line for '%s' does not fit %zu bytes",
		                   r->workload ? r->workload : "?", sizeof line);
	/* A line the reader never got is no result: report a failed write. */
	if (printf("%s\n", line) < 0 || fflush(stdout) != 0)
		return probe_error("writing the result line failed: %s", strerror(errno));
	return PROBE_EXIT_OK;
}

/* ---- the description for the harness --------------------------------------- */

int probe_describe_format(const probe_cli *cli, char *buf, size_t len)
{
	outbuf o = { buf, len, 0 };
	if (len > 0)
		buf[0] = '\0';
	out(&o, "{\"prog\":");
	out_string(&o, cli->prog);
	out(&o, ",\"summary\":");
	out_string(&o, cli->summary);
	out(&o, ",\"workloads\":[");
	for (size_t i = 0; cli->workloads && i < cli->nworkloads; i++) {
		out(&o, "%s{\"name\":", i ? "," : "");
		out_string(&o, cli->workloads[i].name);
		out(&o, ",\"help\":");
		out_string(&o, cli->workloads[i].help);
		out(&o, "}");
	}
	out(&o, "],\"options\":[");
	for (size_t i = 0; i < cli->nopts; i++) {
		const probe_opt *opt = &cli->opts[i];
		out(&o, "%s{\"flag\":", i ? "," : "");
		out_string(&o, opt->name);
		out(&o, ",\"metavar\":");
		out_string(&o, opt->metavar ? opt->metavar : "");
		out(&o, ",\"help\":");
		out_string(&o, opt->help);
		if (opt->kind == PROBE_OPT_UINT) {
			out(&o, ",\"kind\":\"uint\",\"default\":%" PRIu64 ",\"min\":%" PRIu64
			    ",\"max\":%" PRIu64, *opt->u, opt->min, opt->max);
		} else if (opt->kind == PROBE_OPT_FLAG) {
			out(&o, ",\"kind\":\"flag\",\"default\":%s", *opt->b ? "true" : "false");
		} else {
			out(&o, ",\"kind\":\"string\",\"default\":");
			out_string(&o, *opt->s);
			if (opt->choices) {
				out(&o, ",\"choices\":[");
				for (size_t c = 0; opt->choices[c]; c++) {
					out(&o, "%s", c ? "," : "");
					out_string(&o, opt->choices[c]);
				}
				out(&o, "]");
			}
		}
		out(&o, "}");
	}
	out(&o, "]}");
	return o.used > INT32_MAX ? -1 : (int)o.used;
}

/* Print the description line; the exit status for probe_parse(). */
static int print_describe(const probe_cli *cli)
{
	int n = probe_describe_format(cli, NULL, 0);
	char *line = n < 0 ? NULL : malloc((size_t)n + 1);
	if (!line)
		return probe_error("no memory for the description");
	probe_describe_format(cli, line, (size_t)n + 1);
	int rc = PROBE_EXIT_OK;
	if (printf("%s\n", line) < 0 || fflush(stdout) != 0)
		rc = probe_error("writing the description failed: %s", strerror(errno));
	free(line);
	return rc;
}
