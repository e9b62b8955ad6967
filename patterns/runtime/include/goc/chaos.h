/*
 * chaos.h - schedule chaos: delays injected at synchronization points, so
 * that interleavings a plain run almost never takes happen in a few runs.
 *
 * libgoc's tsan and debug builds (every build without NDEBUG) call
 * goc_chaos_point() at their synchronization points: channel operations
 * and selects (on entry and on the way out), before a thread parks and
 * after it wakes, WaitGroup add and wait, Once, semaphores, context
 * cancels, task starts, the M:N scheduler's monitor before it sleeps. A
 * program may call it at its own (before touching shared state, say). In
 * release builds it does nothing, and libgoc's own calls are compiled out.
 *
 * The environment chooses, when the first point is reached:
 *   GOC_CHAOS=off     nothing (the default);
 *   GOC_CHAOS=random  at each point, with small probabilities, a
 *                     sched_yield(), a spin of 1-10 us, or a sleep drawn
 *                     log-uniformly from 1 us to 1 ms;
 *   GOC_CHAOS=pct     PCT-style priorities: each thread draws a random
 *                     priority, and the lower it is the more often and the
 *                     longer the thread is delayed at its points (up to
 *                     1 ms); at GOC_CHAOS_DEPTH-1 (default 2) points drawn
 *                     among the first 4,096 of the run, the thread that
 *                     reaches one drops to the lowest priority.
 *   GOC_CHAOS_SEED=N  (a number as C writes it: 12345, 0x1f...) the seed of every thread's
 *                     draws (each thread's from the seed and the order it
 *                     first reached a point); without it, one is made
 *                     from the clock. The mode and seed in force are
 *                     printed once to stderr: "goc: chaos MODE seed 0x..."
 *                     (goc race --chaos sets both and records the seed).
 * The same seed repeats each thread's draws, not the OS's scheduling: a
 * replay makes a finding likelier, not certain.
 *
 * Overlap: any thread, any time. Ordering: none (it synchronizes nothing).
 */
#ifndef GOC_CHAOS_H
#define GOC_CHAOS_H

/* A synchronization point: maybe delay the calling thread (see above). */
void goc_chaos_point(void);

#endif /* GOC_CHAOS_H */
