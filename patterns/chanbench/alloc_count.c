/*
 * alloc_count.c - an LD_PRELOAD library that counts heap allocations
 * (malloc, calloc, realloc) and prints "allocations: N" to stderr at exit.
 * zero_allocs.sh uses it to check that channel operations allocate nothing
 * in steady state. It calls glibc's own __libc_* allocators, which need no
 * dlsym and so no allocation of their own. Not for sanitizer builds: their
 * runtimes replace malloc themselves.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

/* Relaxed: a count read once, at exit. */
static atomic_long allocations;

void *malloc(size_t size)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
	return __libc_realloc(p, size);
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr, "allocations: %ld\n", atomic_load_explicit(&allocations, memory_order_relaxed));
}
