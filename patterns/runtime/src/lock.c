/*
 * lock.c - the channel lock, and the futex calls it and the parker use.
 *
 * A channel lock is held for a few dozen nanoseconds, and its contenders
 * usually run on the other CPU, so sleeping in the kernel at the first
 * contention (as glibc's default mutex does) costs far more than the wait:
 * a futex wake-up takes tens of microseconds on a virtual machine. So, as
 * Go's runtime lock does: try, spin a little (only when a second CPU may
 * run the holder), yield once, then sleep on a futex. The lock word is the
 * classic three-state futex mutex (0 free, 1 held, 2 held with sleepers).
 *
 * ThreadSanitizer: the lock is invisible to TSan as a synchronizer, as Go's
 * runtime locks are to Go's race detector. Its atomics run private
 * (GOC__TSAN_PRIVATE: no sync, no access checks, since goc_chan_free()
 * takes the lock before the free, which would otherwise race with the last
 * holder's unlock), so an unlock orders nothing before the next lock: two
 * operations that both took a channel's lock are not ordered by it, which
 * Go does not promise either. While a thread holds one or more of these
 * locks TSan checks no memory access (GOC__TSAN_UNCHECKED, begun by the
 * outermost lock and ended by the last unlock): what they guard is libgoc's
 * bookkeeping (wait queues, waiters, closed flags), which other threads
 * reach through the lock alone. The user's element memory is another
 * matter: its copies under a lock (a hand-off to or from a parked peer) go
 * through goc__elem_copy(), which TSan checks all the same, as Go's race
 * detector checks a channel operation's element. The edges Go's memory
 * model promises are published explicitly on every path (chan.c, park.c,
 * ring.c, select.c). User mutexes keep TSan's checks: this is not one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "goc_internal.h"

/* Spins before a contended lock yields: about Go's 4 x 30 PAUSE. */
#define GOC__LOCK_SPINS 128

#ifdef GOC__TSAN
/*
 * TSan builds: how many of these locks the thread holds. Written only with
 * TSan ignoring accesses, so that no read of it can race: the tasks that
 * share a pooled thread run as TSan fibers, unordered with one another
 * (see goc__task).
 */
static _Thread_local unsigned locks_held;

/* One more lock held; the outermost begins TSan's unchecked region (the file comment). Call it private. */
static void held_more(void)
{
	if (locks_held++ == 0)
		GOC__TSAN_UNCHECKED_BEGIN();
}

/* One lock fewer; the last ends the unchecked region. Call it private. */
static void held_less(void)
{
	if (--locks_held == 0)
		GOC__TSAN_UNCHECKED_END();
}
#else
static inline void held_more(void) {}
static inline void held_less(void) {}
#endif

static int usable_cpus;
static pthread_once_t usable_cpus_once = PTHREAD_ONCE_INIT;

static void usable_cpus_count(void)
{
	cpu_set_t set;
	usable_cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
}

int goc__usable_cpus(void)
{
	GOC_PT(pthread_once(&usable_cpus_once, usable_cpus_count));
	return usable_cpus;
}

int goc__futex_wait_until(atomic_int *word, int val, int64_t deadline)
{
	struct timespec ts, *abs = NULL;
	if (deadline != GOC_FOREVER) {
		/* Long past (see goc__cond_wait_until()), and an invalid timespec. */
		if (deadline < 1)
			return ETIMEDOUT;
		int64_t t = deadline - 1; /* goc_now() is CLOCK_MONOTONIC + 1 ns */
		ts = (struct timespec){ .tv_sec = (time_t)(t / 1000000000), .tv_nsec = (long)(t % 1000000000) };
		abs = &ts;
	}
	/*
	 * FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time, the
	 * deadlines' clock. errno is the caller's: a channel operation that
	 * waited leaves it as it found it.
	 */
	int saved = errno;
	long rc = syscall(SYS_futex, word, FUTEX_WAIT_BITSET_PRIVATE, val, abs, NULL, FUTEX_BITSET_MATCH_ANY);
	bool timed_out = rc != 0 && errno == ETIMEDOUT;
	errno = saved;
	return timed_out ? ETIMEDOUT : 0; /* else woken, spurious, interrupted, or *word != val already */
}

void goc__futex_wake(atomic_int *word, int n)
{
	int saved = errno; /* as in goc__futex_wait_until() */
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
	errno = saved;
}

void goc__lock_init(goc__lock *lock)
{
	atomic_init(&lock->state, 0);
}

void goc__lock_destroy(goc__lock *lock)
{
	(void)lock;
}

static bool try_take(goc__lock *lock)
{
	int free = 0;
	/* Acquire: what the last holder wrote is visible to us. */
	return atomic_compare_exchange_strong_explicit(&lock->state, &free, 1, memory_order_acquire,
	                                               memory_order_relaxed);
}

void goc__lock_acquire(goc__lock *lock)
{
	GOC__TSAN_PRIVATE_BEGIN();
	if (!try_take(lock)) {
		if (goc__usable_cpus() > 1) {
			for (int i = 0; i < GOC__LOCK_SPINS; i++) {
				goc__cpu_relax();
				/* Relaxed: only a hint that a CAS may succeed. */
				if (atomic_load_explicit(&lock->state, memory_order_relaxed) == 0 && try_take(lock))
					goto taken;
			}
		}
		sched_yield();
		/* Acquire: as try_take. Marking the lock 2 asks the holder to wake us. */
		while (atomic_exchange_explicit(&lock->state, 2, memory_order_acquire) != 0)
			goc__futex_wait_until(&lock->state, 2, GOC_FOREVER);
	}
taken:
	held_more();
	GOC__TSAN_PRIVATE_END();
}

void goc__lock_release(goc__lock *lock)
{
	GOC__TSAN_PRIVATE_BEGIN();
	held_less();
	/* Release: publishes what we wrote under the lock. 2: someone sleeps. */
	if (atomic_exchange_explicit(&lock->state, 0, memory_order_release) == 2)
		goc__futex_wake(&lock->state, 1);
	GOC__TSAN_PRIVATE_END();
}

#ifdef GOC__TSAN
/*
 * Copy src to dst, or zero dst (src NULL), with TSan checking the accesses.
 * Under a lock they go unchecked exactly once (the outermost lock, or the
 * fiber of ring.c's hand_over(), which a lock holder enters and which
 * begins its own): lift that for the copy alone.
 */
static void elem_move(void *dst, const void *src, size_t n)
{
	bool held = locks_held != 0;
	if (held)
		GOC__TSAN_UNCHECKED_END();
	if (src)
		memcpy(dst, src, n);
	else
		memset(dst, 0, n);
	if (held)
		GOC__TSAN_UNCHECKED_BEGIN();
}

void goc__elem_copy(void *dst, const void *src, size_t n)
{
	elem_move(dst, src, n);
}

void goc__elem_zero(void *dst, size_t n)
{
	elem_move(dst, NULL, n);
}
#endif
