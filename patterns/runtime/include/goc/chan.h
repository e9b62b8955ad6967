/*
 * chan.h - Go channels for threads: fixed-size elements, copied by value.
 *
 * Capacity 0 is a rendezvous: goc_chan_send() returns once a receiver took
 * the value. Capacity n > 0 is a FIFO of n elements: send blocks while it is
 * full, receive while it is empty. An element size of 0 is allowed (Go's
 * chan struct{}, for signalling); element pointers may then be NULL.
 *
 * A NULL channel is Go's nil channel: send and receive on it never proceed
 * (they wait for their deadline, forever with GOC_FOREVER), its select case
 * is never ready, its len and cap are 0, and closing it panics.
 *
 * Overlap on one channel:  send/recv/close/len/cap and goc_select(): no
 * external synchronization needed. free: last, after every other user is
 * done (joined, or past a WaitGroup). A second close panics, overlapping or
 * not.
 *
 * Panics (Go's words, then a backtrace, then abort(); never compiled out):
 *   "send on closed channel"  - a send on a closed channel, including a
 *                               sender blocked when the close happens;
 *   "close of closed channel", "close of nil channel";
 *   "makechan: size out of range" - elem_size * cap overflows.
 *
 * Ordering (the Go memory model): a send happens-before the receive that
 * takes its value completes; a close happens-before a receive that returns
 * GOC_CLOSED; on an unbuffered channel the receive happens-before the send
 * completes; the k-th receive on a channel of capacity C happens-before the
 * (k+C)-th send completes.
 *
 * Ownership: the channel owns its buffer and nothing else; a pointer element's
 * pointee moves to the receiver only on GOC_OK.
 */
#ifndef GOC_CHAN_H
#define GOC_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct goc_chan goc_chan;

/*
 * A channel of elements of elem_size bytes with room for cap of them
 * (0: unbuffered). Returns NULL only when out of memory. Panics
 * "makechan: size out of range" if elem_size * cap overflows.
 */
goc_chan *goc_chan_make(size_t elem_size, size_t cap);

/* Release a channel (open or closed). NULL is a no-op. */
void goc_chan_free(goc_chan *ch);

/*
 * Copy elem_size bytes from `elem` into the channel, blocking until a receiver
 * or a free slot takes them or `deadline` passes. Returns GOC_OK,
 * GOC_WOULDBLOCK (GOC_NOWAIT only) or GOC_TIMEOUT. Panics "send on closed
 * channel".
 */
goc_status goc_chan_send(goc_chan *ch, const void *elem, int64_t deadline);

/*
 * Take the next element into `elem` (NULL discards it), blocking until one
 * is there, the channel is closed and drained, or `deadline` passes. Returns
 * GOC_OK (Go's ok == true), GOC_CLOSED (ok == false: closed and drained;
 * `elem` is set to all zero bytes, the zero value), GOC_WOULDBLOCK
 * (GOC_NOWAIT only) or GOC_TIMEOUT (`elem` untouched).
 */
goc_status goc_chan_recv(goc_chan *ch, void *elem, int64_t deadline);

/*
 * Close the channel: receivers drain what is buffered, then get GOC_CLOSED;
 * every blocked receiver wakes with GOC_CLOSED and every blocked sender
 * panics. Panics "close of closed channel" or "close of nil channel".
 */
void goc_chan_close(goc_chan *ch);

/* Elements buffered now (Go's len); a snapshot. 0 for NULL. */
size_t goc_chan_len(goc_chan *ch);

/* The capacity (Go's cap). 0 for NULL. */
size_t goc_chan_cap(const goc_chan *ch);

/* The element size the channel was made with. 0 for NULL. */
size_t goc_chan_elem_size(const goc_chan *ch);

#endif /* GOC_CHAN_H */
