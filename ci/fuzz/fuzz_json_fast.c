/* fuzz_json_fast.c: differential libFuzzer harness for mockserver/wire/json_fast.c against Jansson.
 *
 * The input is a JSON body. When sim_json_fast_parse accepts it, json_loadb must accept it too
 * and build an equal tree with the same key order. Whatever tree json_loadb builds (arrays and
 * reals included), sim_json_fast_dump must write exactly json_dumps's bytes with the simulator's
 * flags (or decline where json_dumps fails), and the fast reader must read that text back to an
 * equal tree when it accepts it. The input's bytes, taken eight at a time as doubles, check the
 * writer's reals the same way. */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "wire/json_fast.h"

#define FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

static void same_dump(const json_t *v)
{
    size_t n = 0;
    char *fast = sim_json_fast_dump(v, &n);
    char *ref = json_dumps(v, FLAGS);
    if (!ref) {
        FUZZ_CHECK(fast == NULL);
        return;
    }
    FUZZ_CHECK(fast != NULL);
    FUZZ_CHECK(n == strlen(ref) && memcmp(fast, ref, n + 1) == 0);
    json_t *back = NULL;
    if (sim_json_fast_parse(fast, n, &back)) {
        FUZZ_CHECK(json_is_object(v) && json_equal(back, v));
        json_decref(back);
    }
    free(fast);
    free(ref);
}

FUZZ_ENTRY(json_fast)
{
    json_t *fast = NULL;
    int ok = sim_json_fast_parse((const char *)data, size, &fast);
    json_t *ref = json_loadb((const char *)data, size, 0, NULL);
    if (ok) {
        FUZZ_CHECK(fast != NULL && json_is_object(fast));
        FUZZ_CHECK(ref != NULL && json_equal(fast, ref));
        char *a = json_dumps(fast, JSON_COMPACT);
        char *b = json_dumps(ref, JSON_COMPACT);
        FUZZ_CHECK(a != NULL && b != NULL && strcmp(a, b) == 0); /* the same key order */
        free(a);
        free(b);
    } else {
        FUZZ_CHECK(fast == NULL);
    }
    if (ref)
        same_dump(ref);
    json_decref(fast);
    json_decref(ref);

    json_t *reals = json_array();
    for (size_t i = 0; reals && i + 8 <= size && i < 128; i += 8) {
        double d;
        memcpy(&d, data + i, sizeof d);
        if (isfinite(d))
            json_array_append_new(reals, json_real(d));
    }
    if (reals)
        same_dump(reals);
    json_decref(reals);
    return 0;
}
