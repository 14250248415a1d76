/* json_alloc.h: Jansson's allocator for kinesis-sim (see json_alloc.c). */
#ifndef SIM_JSON_ALLOC_H
#define SIM_JSON_ALLOC_H

#include <stddef.h>

/* Route Jansson's allocations through per-thread free lists of small blocks. Call once, first thing
 * in main, before any Jansson value exists (json_set_alloc_funcs is process-wide). Does nothing
 * in an AddressSanitizer build, which must see every free. */
void sim_json_alloc_install(void);

/* The allocator itself, for tests: blocks from one are freed only by the other. */
void *sim_json_alloc(size_t size);
void sim_json_free(void *p);

/* Blocks held in the calling thread's free lists (for tests). */
size_t sim_json_alloc_cached(void);

#endif
