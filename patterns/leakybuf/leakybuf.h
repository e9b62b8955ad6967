/*
 * leakybuf.h - the leaky buffer of Go's documentation ("Effective Go",
 * Channels): a free list of fixed-size buffers that never blocks. A get
 * takes a buffer from the list, or allocates one when it is empty; a put
 * returns a buffer to the list, or frees it when the list is full. So the
 * list "leaks" buffers to the allocator under pressure and refills itself
 * from it, and nobody ever waits on it.
 *
 * Three pools with that contract (goc_bufpool):
 *   GOC_POOL_FREELIST  the free list is a buffered channel of pointers of
 *                      capacity `cap` (Go's freeList); get is a receive with
 *                      GOC_NOWAIT, put a send with GOC_NOWAIT;
 *   GOC_POOL_MALLOC    no list: every get allocates, every put frees (what
 *                      the free list saves);
 *   GOC_POOL_STACK     the free list is a lock-free LIFO stack (a Treiber
 *                      stack threaded through the free buffers) of at most
 *                      `cap` buffers: the buffer put last is the one taken
 *                      next, still warm in the cache.
 * Every pool counts what it allocated and freed, exactly, so that a program
 * can prove it returned everything (allocations == frees after
 * goc_bufpool_free()) and see what the list saved.
 *
 * Overlap: get and put from any number of threads at once, except for
 * GOC_POOL_STACK, whose gets must come from one thread at a time (puts from
 * any): a single taker is what keeps the stack free of the ABA problem
 * without tagged pointers. counts at any time (a snapshot); free last.
 *
 * Ordering: what a thread wrote into a buffer before putting it
 * happens-before the get that takes that buffer from the list returns.
 *
 * Ownership: a get hands the buffer to the caller, a put hands it back to
 * the pool, which frees it or keeps it; the caller must not touch it after.
 * goc_bufpool_free() frees the buffers on the list (counted as frees); a
 * buffer the caller still holds then is a leak, and shows as allocations >
 * frees. The first 8 bytes of a buffer on GOC_POOL_STACK's list hold the
 * link; all of a buffer's bytes are the caller's once it has it.
 */
#ifndef GOC_LEAKYBUF_H
#define GOC_LEAKYBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <goc/goc.h>

typedef enum goc_pool_kind {
	GOC_POOL_FREELIST,  /* a buffered channel of free buffers */
	GOC_POOL_MALLOC,    /* allocate and free every time */
	GOC_POOL_STACK      /* a lock-free LIFO of free buffers; one getter at a time */
} goc_pool_kind;

typedef struct goc_bufpool goc_bufpool;

typedef struct goc_pool_counts {
	uint64_t allocs;   /* buffers allocated by gets */
	uint64_t frees;    /* buffers freed by puts and by goc_bufpool_free() */
	uint64_t reused;   /* gets served from the list */
} goc_pool_counts;

/*
 * A pool of buffers of buf_size bytes (at least 8, a multiple of 8; aligned
 * as malloc() aligns) keeping at most `cap` free ones (ignored by
 * GOC_POOL_MALLOC).
 * NULL when out of memory or given a size that is not allowed.
 */
goc_bufpool *goc_bufpool_make(goc_pool_kind kind, size_t buf_size, size_t cap);

/* Free the buffers on the list, then the pool. NULL is a no-op. */
void goc_bufpool_free(goc_bufpool *p);

/* A buffer from the list, or a new one; never blocks. NULL when out of memory. */
void *goc_bufpool_get(goc_bufpool *p);

/* Back to the list, or freed when the list is full; never blocks. NULL is a no-op. */
void goc_bufpool_put(goc_bufpool *p, void *buf);

/*
 * Free the buffers on the list now (counted as frees), leaving the pool
 * usable and empty; for the end of a run, so that counts show
 * allocs == frees before the pool itself is freed. No other call may
 * overlap it.
 */
void goc_bufpool_drain(goc_bufpool *p);

/* What the pool did so far; a snapshot. */
goc_pool_counts goc_bufpool_counts(const goc_bufpool *p);

/* ---- the W9 workload ---------------------------------------------------------- */

typedef struct goc_leaky_opts {
	goc_pool_kind kind;
	uint64_t buffers;    /* N, >= 1 */
	size_t buf_size;     /* bytes per buffer (4096) */
	size_t free_cap;     /* the free list's capacity (100) */
	size_t chan_cap;     /* the client-to-server channel's capacity (16) */
} goc_leaky_opts;

typedef struct goc_leaky_stats {
	uint64_t buffers;    /* buffers the server checked */
	uint64_t bad;        /* buffers whose contents were not what the client wrote for them */
	uint64_t checksum;   /* sum of every buffer's checksum */
	goc_pool_counts counts;  /* after the run and a drain of the list */
	int64_t elapsed_ns;  /* from the start gate's opening (both tasks waiting at it) to both returned */
} goc_leaky_stats;

/*
 * Run W9: a client task gets a buffer, fills buffer i with a pattern of i,
 * sends (i, buffer) to a server task over a channel of chan_cap; the server
 * checks the buffer's contents, adds its checksum and puts the buffer back.
 * Both tasks start at a gate opened once both wait at it, where the clock
 * starts. Returns GOC_OK, or GOC_NOMEM when a buffer, channel or task could
 * not be had (then *out says how far it went and is not to be verified).
 */
goc_status goc_leaky_run(const goc_leaky_opts *o, goc_leaky_stats *out);

/* Fill buffer `seq` (words of buf_size bytes) with its pattern; its checksum. */
void goc_leaky_fill(uint64_t *words, size_t nwords, uint64_t seq);
uint64_t goc_leaky_sum(const uint64_t *words, size_t nwords);

/* The checksum of buffer `seq`, and of buffers 0..n-1 summed, without filling any. */
uint64_t goc_leaky_expected_one(size_t nwords, uint64_t seq);
uint64_t goc_leaky_expected_all(size_t nwords, uint64_t n);

/*
 * True if a run that returned GOC_OK is right: every buffer checked and each one's contents
 * its own, the total checksum the expected one, allocations == frees.
 * Otherwise false with one line in why[0..len).
 */
bool goc_leaky_verify(const goc_leaky_stats *s, const goc_leaky_opts *o, char *why, size_t len);

#endif /* GOC_LEAKYBUF_H */
