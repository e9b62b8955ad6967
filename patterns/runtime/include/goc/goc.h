/*
 * goc.h - libgoc, Go's concurrency primitives for C threads: tasks,
 * channels, select, WaitGroup, Once, context, semaphore and timers (and
 * schedule chaos for race checks), with
 * Go's semantics, including its panics for programmer errors.
 * Each header states its contract; this one only includes them all.
 */
#ifndef GOC_GOC_H
#define GOC_GOC_H

#include "chan.h"
#include "chaos.h"
#include "ctx.h"
#include "once.h"
#include "panic.h"
#include "select.h"
#include "sem.h"
#include "status.h"
#include "task.h"
#include "timer.h"
#include "wg.h"

#endif /* GOC_GOC_H */
