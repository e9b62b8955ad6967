/*
 * posix_sem.h - the sem_t behind semaphore.h's GOC_LIMIT_POSIX, kept in a
 * file of its own: the pattern's own header is named semaphore.h and its
 * folder is on the include path of everything that uses the pattern, so
 * <semaphore.h> from there would find it instead of POSIX's. posix_sem.c is
 * built without that path (see CMakeLists.txt) and is the only file that
 * includes POSIX's header. Internal to the semaphore pattern.
 *
 * Overlap and ordering are sem_t's: any number of threads at once; a post
 * happens-before the wait that takes its unit returns.
 */
#ifndef GOC_POSIX_SEM_H
#define GOC_POSIX_SEM_H

#include <stddef.h>
#include <stdint.h>

#include <goc/status.h>

typedef struct goc__psem goc__psem;

/* A sem_t of `value` units; NULL when out of memory or sem_init() refused. */
goc__psem *goc__psem_make(unsigned value);
void goc__psem_free(goc__psem *s);

/*
 * Take a unit by a libgoc deadline: GOC_OK, GOC_WOULDBLOCK (GOC_NOWAIT) or
 * GOC_TIMEOUT. A deadline is waited for with sem_timedwait(), whose
 * happens-before edge ThreadSanitizer sees (sem_clockwait()'s it does not),
 * on the realtime clock as far off as the monotonic deadline is, again
 * after each early return, so a jump of the realtime clock cannot end the
 * wait early.
 */
goc_status goc__psem_acquire(goc__psem *s, int64_t deadline);

/* sem_post(); panics "semaphore: released more than held" if `limit` units are already free. */
void goc__psem_release(goc__psem *s, size_t limit);

/* Units free now (sem_getvalue()); a snapshot. */
size_t goc__psem_free_units(goc__psem *s);

#endif /* GOC_POSIX_SEM_H */
