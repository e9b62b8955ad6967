/*
 * select.h - Go's select statement over any mix of send and receive cases.
 *
 * goc_select() waits until one case can proceed, then does exactly that one.
 * When several are ready it picks one uniformly at random, as Go does.
 * Go's `default:` is deadline GOC_NOWAIT (GOC_WOULDBLOCK when nothing is
 * ready); a timeout is any other deadline (GOC_TIMEOUT). A case on a NULL
 * channel is never ready; a receive case on a closed channel always is; a
 * send case on a closed channel panics "send on closed channel" if chosen.
 * The same channel may appear in several cases, and one select may send and
 * receive on one channel (an unbuffered channel never pairs a select with
 * itself). A select with no cases, or only NULL channels, waits for its
 * deadline (forever with GOC_FOREVER, like Go's `select {}`).
 *
 * Overlap: any number of selects and channel calls on the same channels at
 * once. The cases array and the elements are read and written only by the
 * calling thread and by the peer completing the chosen case, during the call.
 *
 * Ordering: the same as the channel operation the chosen case performed.
 */
#ifndef GOC_SELECT_H
#define GOC_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "status.h"

typedef enum goc_dir {
	GOC_RECV, /* elem: where to store the value (NULL discards it) */
	GOC_SEND  /* elem: the value to send (read, never written) */
} goc_dir;

typedef struct goc_case {
	goc_chan *ch;
	goc_dir dir;
	void *elem;
} goc_case;

/* Case constructors, for readable arrays: goc_case cs[] = { GOC_RECV_CASE(a, &x), ... } */
#define GOC_RECV_CASE(ch, elem) ((goc_case){ (ch), GOC_RECV, (elem) })
#define GOC_SEND_CASE(ch, elem) ((goc_case){ (ch), GOC_SEND, (void *)(elem) })

/*
 * Perform one ready case of cases[0..ncases), waiting until `deadline` for
 * one to become ready. On GOC_OK and GOC_CLOSED, *chosen is the index of the
 * case performed: GOC_OK for a send or a receive of a value, GOC_CLOSED for a
 * receive on a closed, drained channel (its elem is set to zero bytes).
 * Otherwise GOC_WOULDBLOCK (GOC_NOWAIT only), GOC_TIMEOUT, or GOC_NOMEM (more
 * than a few dozen cases and no memory for the bookkeeping), with *chosen
 * untouched. `chosen` may be NULL.
 */
goc_status goc_select(const goc_case *cases, size_t ncases, int64_t deadline, size_t *chosen);

#endif /* GOC_SELECT_H */
