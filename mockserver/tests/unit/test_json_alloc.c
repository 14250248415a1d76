/* test_json_alloc.c: the small-block allocator behind Jansson in kinesis-sim (json_alloc.c):
 * blocks are reused by size class, large blocks pass through, counts stay bounded, blocks freed
 * on another thread are kept there, blocks mix freely with malloc/free both ways, and Jansson trees
 * built through it are intact. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "wire/json_alloc.h"

Test(json_alloc, freed_small_blocks_are_reused_by_size_class)
{
    size_t before = sim_json_alloc_cached();
    char *a = sim_json_alloc(24);
    cr_assert_not_null(a);
    memset(a, 'a', 24);
    sim_json_free(a);
    cr_assert_eq(sim_json_alloc_cached(), before + 1);
    char *b = sim_json_alloc(30); /* same class (up to 32 bytes): the same block comes back */
    cr_assert_eq(b, a);
    cr_assert_eq(sim_json_alloc_cached(), before);
    char *c = sim_json_alloc(100); /* another class: a new block */
    cr_assert_neq(c, a);
    memset(c, 'c', 100);
    sim_json_free(b);
    sim_json_free(c);
    cr_assert_eq(sim_json_alloc_cached(), before + 2);
}

Test(json_alloc, large_blocks_pass_through_and_are_usable)
{
    size_t before = sim_json_alloc_cached();
    uint8_t *p = sim_json_alloc(1 << 20);
    cr_assert_not_null(p);
    memset(p, 0x5a, 1 << 20);
    cr_assert_eq(p[(1 << 20) - 1], 0x5a);
    cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0, "blocks are aligned for any type");
    sim_json_free(p);
    cr_assert_eq(sim_json_alloc_cached(), before, "a large block is not kept");
    sim_json_free(NULL);
}

Test(json_alloc, kept_blocks_are_bounded_per_class)
{
    enum { N = 6000 };
    static void *ps[N];
    size_t before = sim_json_alloc_cached();
    for (int i = 0; i < N; i++)
        cr_assert_not_null(ps[i] = sim_json_alloc(16));
    for (int i = 0; i < N; i++)
        sim_json_free(ps[i]);
    size_t kept = sim_json_alloc_cached() - before;
    cr_assert_leq(kept, 4096, "kept %zu blocks of one class", kept);
    cr_assert_geq(kept, 4000, "kept only %zu", kept);
}

static void *free_here(void *p)
{
    sim_json_free(p);
    size_t *kept = malloc(sizeof *kept);
    *kept = sim_json_alloc_cached();
    return kept;
}

Test(json_alloc, a_block_freed_on_another_thread_stays_there)
{
    size_t before = sim_json_alloc_cached();
    void *p = sim_json_alloc(200);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, free_here, p), 0);
    size_t *kept;
    cr_assert_eq(pthread_join(t, (void **)&kept), 0);
    cr_assert_eq(*kept, 1, "the other thread keeps the block it freed");
    free(kept);
    cr_assert_eq(sim_json_alloc_cached(), before, "this thread's lists are unchanged");
}

Test(json_alloc, blocks_mix_with_malloc_and_free_both_ways)
{
    size_t before = sim_json_alloc_cached();
    char *m = malloc(100); /* a malloc block freed here is kept, then served for a fitting size */
    sim_json_free(m);
    cr_assert_eq(sim_json_alloc_cached(), before + 1);
    char *again = sim_json_alloc(64);
    cr_assert_eq(again, m);
    memset(again, 'x', 64);
    free(again);            /* and a block from here may go to free() */
    char *tiny = malloc(1); /* too small to keep */
    sim_json_free(tiny);
    cr_assert_eq(sim_json_alloc_cached(), before);
}

Test(json_alloc, jansson_trees_built_through_it_are_intact)
{
    json_set_alloc_funcs(sim_json_alloc, sim_json_free);
    for (int round = 0; round < 3; round++) {
        json_t *root = json_object();
        json_t *arr = json_array();
        for (int i = 0; i < 500; i++) {
            char key[32];
            snprintf(key, sizeof key, "PartitionKey-%d", i);
            json_array_append_new(arr, json_pack("{s:s, s:i}", "Data", key, "n", i));
        }
        json_object_set_new(root, "Records", arr);
        char *text = json_dumps(root, JSON_COMPACT);
        cr_assert_not_null(text);
        json_t *back = json_loads(text, 0, NULL);
        cr_assert(json_equal(root, back));
        cr_assert_eq(
            json_integer_value(json_object_get(json_array_get(json_object_get(back, "Records"), 499), "n")),
            499);
        free(text); /* json_dumps's result is freed with free(), as Jansson documents */
        json_decref(back);
        json_decref(root);
    }
    cr_assert_gt(sim_json_alloc_cached(), 100, "freed values wait for reuse");
    json_set_alloc_funcs(malloc, free);
}
