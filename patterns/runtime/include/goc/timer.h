/*
 * timer.h - Go's time.After and time.Sleep.
 *
 * goc_after(ns) returns a channel (capacity 1, element int64_t) that receives
 * one value, the goc_now() at which it fired, once ns nanoseconds have passed.
 * One background thread serves every timer; it is not a task and is not
 * counted by goc_tasks_live().
 *
 * Overlap: the channel is an ordinary channel (select on it, receive from
 * it). Freeing it with goc_chan_free() before it fires stops the timer.
 * Ownership: the caller frees the channel goc_after() returns.
 */
#ifndef GOC_TIMER_H
#define GOC_TIMER_H

#include <stdint.h>

#include "chan.h"

/* A channel that receives once, after ns. NULL when out of memory. */
goc_chan *goc_after(int64_t ns);

/* Block the calling thread for at least ns nanoseconds (ns <= 0: return). */
void goc_sleep(int64_t ns);

#endif /* GOC_TIMER_H */
