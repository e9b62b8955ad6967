/*
 * panic.h - Go's panic, for programmer errors in code built on libgoc.
 *
 * goc_panic("merge: nil output channel") prints "panic: <message>" (a
 * printf format), the task and the caller's function, file and line, and a
 * backtrace to stderr, then calls abort(): the same report libgoc's own
 * panics give ("send on closed channel", ...). Never compiled out; there is
 * no recover. For errors a correct program never makes; outcomes a correct
 * program must handle are a goc_status.
 *
 * Overlap: any thread, any time; the report is written with write(2), not
 * stdio, so a panic does not wait on a lock another thread holds.
 */
#ifndef GOC_PANIC_H
#define GOC_PANIC_H

#define goc_panic(...) goc_panic_at(__func__, __FILE__, __LINE__, __VA_ARGS__)

/* What goc_panic() expands to; call the macro. */
_Noreturn void goc_panic_at(const char *func, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * GOC_PT(call): a call that returns 0 or an errno value (the pthread calls)
 * and cannot fail in a correct program. If it does, it panics with
 * "panic: CALL: the error's text", as goc_panic() does.
 */
#define GOC_PT(call)                                                                      \
	do {                                                                              \
		int goc_pt_rc_ = (call);                                                  \
		if (goc_pt_rc_ != 0)                                                      \
			goc_pt_failed(#call, goc_pt_rc_, __func__, __FILE__, __LINE__);  \
	} while (0)

/* What GOC_PT() calls when the call failed; use the macro. */
_Noreturn void goc_pt_failed(const char *call, int err, const char *func, const char *file, int line);

#endif /* GOC_PANIC_H */
