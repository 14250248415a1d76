/* json_alloc.c: a small-block allocator for Jansson's values in kinesis-sim.
 *
 * Every request builds and frees trees of hundreds of small Jansson values (a PutRecords of 100
 * records: about 1,700 allocations). glibc keeps only 7 freed blocks per size in its per-thread
 * cache, so the rest go through its bins and, when a large block is asked for next, a
 * consolidation pass: more than a tenth of the simulator's instructions on that load. Here freed
 * blocks wait in per-thread lists by size class (a bounded number of each) and are handed out again.
 * The blocks are plain malloc blocks, classed by malloc_usable_size: a block from here may be
 * given to free() (json_dumps's result, say) and free() memory may come here, both correctly.
 * A block freed on another thread joins that thread's lists; a thread's lists go back to malloc
 * when the thread ends (a pthread key's destructor), so nothing is ever lost. */
#include "wire/json_alloc.h"

#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#define CLASSES 5 /* blocks of at least 32, 64, 128, 256, 512 bytes */
#define CLASS_MIN_SHIFT 5
/* Blocks kept per class and thread: 4096 of the two smallest classes (most of a tree), then fewer,
 * so a thread holds at most about 1.5 MiB. */
static const unsigned free_max[CLASSES] = {4096, 4096, 2048, 1024, 512};

typedef struct free_block {
    struct free_block *next;
} free_block;

typedef struct thread_lists {
    free_block *head[CLASSES];
    unsigned count[CLASSES];
    int registered;
} thread_lists;

static _Thread_local thread_lists lists;
static pthread_key_t lists_key;
static int key_ok;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void release_lists(void *arg)
{
    thread_lists *l = arg;
    for (int c = 0; c < CLASSES; c++) {
        free_block *b = l->head[c];
        while (b) {
            free_block *next = b->next;
            free(b);
            b = next;
        }
        l->head[c] = NULL;
        l->count[c] = 0;
    }
    l->registered = 0;
}

static void make_key(void)
{
    key_ok = pthread_key_create(&lists_key, release_lists) == 0;
}

/* The class a request of size bytes is served from, or -1 when it is too large to keep. */
static int class_for_request(size_t size)
{
    size_t cap = (size_t)1 << CLASS_MIN_SHIFT;
    for (int c = 0; c < CLASSES; c++, cap <<= 1)
        if (size <= cap)
            return c;
    return -1;
}

/* The class a block of usable bytes can serve (the largest capacity it holds), or -1. */
static int class_for_block(size_t usable)
{
    if (usable < ((size_t)1 << CLASS_MIN_SHIFT) || usable >= ((size_t)1 << (CLASS_MIN_SHIFT + CLASSES)))
        return -1;
    int c = 0;
    while (c + 1 < CLASSES && usable >= ((size_t)1 << (CLASS_MIN_SHIFT + c + 1)))
        c++;
    return c;
}

void *sim_json_alloc(size_t size)
{
    int c = class_for_request(size);
    if (c < 0)
        return malloc(size);
    free_block *b = lists.head[c];
    if (b) {
        lists.head[c] = b->next;
        lists.count[c]--;
        return b;
    }
    return malloc((size_t)1 << (CLASS_MIN_SHIFT + c));
}

void sim_json_free(void *p)
{
    if (!p)
        return;
    int c = class_for_block(malloc_usable_size(p));
    if (c < 0 || lists.count[c] >= free_max[c]) {
        free(p);
        return;
    }
    if (!lists.registered) { /* first block kept on this thread: hand the lists back at its end */
        pthread_once(&key_once, make_key);
        if (!key_ok || pthread_setspecific(lists_key, &lists) != 0) {
            free(p);
            return;
        }
        lists.registered = 1;
    }
    free_block *b = p;
    b->next = lists.head[c];
    lists.head[c] = b;
    lists.count[c]++;
}

size_t sim_json_alloc_cached(void)
{
    size_t n = 0;
    for (int c = 0; c < CLASSES; c++)
        n += lists.count[c];
    return n;
}

/* Under AddressSanitizer Jansson keeps plain malloc/free, so a use of a freed value is still caught
 * (a recycled block would hide it). */
#if defined(__SANITIZE_ADDRESS__)
#define SIM_JSON_ALLOC_PLAIN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_JSON_ALLOC_PLAIN 1
#endif
#endif

void sim_json_alloc_install(void)
{
#ifndef SIM_JSON_ALLOC_PLAIN
    json_set_alloc_funcs(sim_json_alloc, sim_json_free);
#endif
}
