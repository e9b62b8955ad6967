/*
 * panic.c - Go-style panics for programmer errors, and the loud death of a
 * call that cannot fail in a correct program (GOC_PT, goc__die). Both write straight to
 * file descriptor 2 (no stdio locks, which a dying thread may hold) and
 * abort(), so a debugger or core file sees the failing frame.
 */
#define _GNU_SOURCE
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "goc_internal.h"

static void print_backtrace(void)
{
	void *frames[64];
	int n = backtrace(frames, 64);
	backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

_Noreturn void goc_panic_at(const char *func, const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char head[1024];
	/* The id only if the thread has a record: making one takes locks, and may be what failed. */
	int n = snprintf(head, sizeof head, "panic: %s\n\ntask %llu [running]:\n%s()\n\t%s:%d\n",
	                 msg, (unsigned long long)goc__task_id_known(), func, file, line);
	if (n > 0)
		(void)!write(STDERR_FILENO, head, (size_t)n < sizeof head ? (size_t)n : sizeof head - 1);
	print_backtrace();
	abort();
}

_Noreturn void goc_pt_failed(const char *call, int err, const char *func, const char *file, int line)
{
	goc_panic_at(func, file, line, "%s: %s", call, strerror(err));
}
