/* test_validate_lazy.c: Criterion tests for the start-up shortcuts in validate.c's model load.
 *
 * - patterns are compiled on first use, not at load: a pattern is still applied on the very first
 *   validation of a fresh model (valid and invalid value first), on every later one, inside
 *   compound list checks, and from several threads at once (compiled once under the lock);
 * - a pattern that translates but does not compile now loads and then satisfies no value;
 * - the parsed tree lives in a load arena: Jansson's allocator is the same after a load (good or
 *   bad, or several at once in threads) as before it, and values made before a load are freed
 *   normally after it. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "dispatch/validate.h"

/* One operation, Op, with a patterned string member Name and a list of such strings Names. */
static const char small_model[] =
    "{\"operations\":{\"Op\":{\"input\":{\"shape\":\"In\"}}},\"shapes\":{"
    "\"In\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Nm\"},\"Names\":{\"shape\":\"Nms\"}}},"
    "\"Nm\":{\"type\":\"string\",\"pattern\":\"[a-z]+\\\\d?\"},"
    "\"Nms\":{\"type\":\"list\",\"member\":{\"shape\":\"Nm\"}}}}";

static sim_model *load(const char *json)
{
    char err[256] = "";
    sim_model *m = sim_model_load_json(json, strlen(json), err, sizeof err);
    cr_assert_not_null(m, "load: %s", err);
    return m;
}

/* Validate {"Name": name} against Op; returns rc and the message. */
static int check_name(const sim_model *m, const char *name, char *msg, size_t msg_len)
{
    json_t *in = json_pack("{s:s}", "Name", name);
    cr_assert_not_null(in);
    sim_error_code code = SIM_ERR_InternalFailure;
    int rc = sim_validate_input(m, "Op", in, &code, msg, msg_len);
    json_decref(in);
    if (rc != 0)
        cr_assert_eq(code, SIM_ERR_ValidationException, "%s", msg);
    return rc;
}

static void expect_pattern_error(const sim_model *m, const char *name)
{
    char msg[512], want[512];
    cr_assert_eq(check_name(m, name, msg, sizeof msg), -1, "'%s' should fail the pattern", name);
    snprintf(want, sizeof want,
             "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member "
             "must satisfy regular expression pattern: [a-z]+\\d?",
             name);
    cr_assert_str_eq(msg, want);
}

static void expect_ok(const sim_model *m, const char *name)
{
    char msg[512];
    cr_assert_eq(check_name(m, name, msg, sizeof msg), 0, "'%s': %s", name, msg);
}

Test(validate_lazy, an_invalid_value_first_is_refused_by_the_lazily_compiled_pattern)
{
    sim_model *m = load(small_model);
    expect_pattern_error(m, "Bad Name"); /* the very first use compiles the pattern */
    expect_ok(m, "good7");
    expect_pattern_error(m, "good77");
    sim_model_free(m);
}

Test(validate_lazy, a_valid_value_first_then_invalid_ones_are_refused)
{
    sim_model *m = load(small_model);
    expect_ok(m, "abc");
    expect_pattern_error(m, "ABC");
    expect_pattern_error(m, "");
    expect_ok(m, "z");
    sim_model_free(m);
}

Test(validate_lazy, the_pattern_applies_inside_a_compound_list_check)
{
    sim_model *m = load(small_model);
    json_t *in = json_pack("{s:[s,s]}", "Names", "ok", "NOT-OK");
    sim_error_code code;
    char msg[512];
    cr_assert_eq(sim_validate_input(m, "Op", in, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_ValidationException);
    cr_assert(strstr(msg, "Member must satisfy constraint: [Member must satisfy regular expression pattern: "
                          "[a-z]+\\d?]") != NULL,
              "%s", msg);
    json_decref(in);
    in = json_pack("{s:[s,s]}", "Names", "ok", "fine1");
    cr_assert_eq(sim_validate_input(m, "Op", in, &code, msg, sizeof msg), 0, "%s", msg);
    json_decref(in);
    sim_model_free(m);
}

Test(validate_lazy, the_embedded_model_applies_its_patterns_on_first_use)
{
    char err[256];
    sim_model *m = sim_model_load(err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    json_t *in = json_pack("{s:s}", "StreamName", "not a stream name");
    sim_error_code code;
    char msg[512];
    cr_assert_eq(sim_validate_input(m, "DescribeStream", in, &code, msg, sizeof msg), -1);
    cr_assert_eq(code, SIM_ERR_ValidationException);
    cr_assert_str_eq(msg,
                     "1 validation error detected: Value 'not a stream name' at 'streamName' failed to "
                     "satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
    json_decref(in);
    in = json_pack("{s:s}", "StreamName", "a-stream_1.x");
    cr_assert_eq(sim_validate_input(m, "DescribeStream", in, &code, msg, sizeof msg), 0, "%s", msg);
    json_decref(in);
    sim_model_free(m);
}

/* Several threads validate through a fresh model at once: each must see the pattern applied. */
typedef struct {
    const sim_model *m;
    int wrong; /* results that differ from the expected one */
} worker_arg;

static void *worker(void *p)
{
    worker_arg *a = p;
    for (int i = 0; i < 200; i++) {
        const char *name = (i % 2) ? "Bad Name" : "good";
        json_t *in = json_pack("{s:s}", "Name", name);
        sim_error_code code;
        char msg[256];
        int rc = in ? sim_validate_input(a->m, "Op", in, &code, msg, sizeof msg) : 1;
        json_decref(in);
        if (rc != ((i % 2) ? -1 : 0))
            a->wrong++;
    }
    return NULL;
}

Test(validate_lazy, concurrent_first_uses_compile_once_and_all_apply_the_pattern)
{
    sim_model *m = load(small_model);
    pthread_t t[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){m, 0};
        cr_assert_eq(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(args[i].wrong, 0, "thread %d saw %d wrong results", i, args[i].wrong);
    }
    sim_model_free(m);
}

Test(validate_lazy, a_pattern_that_does_not_compile_loads_and_satisfies_nothing)
{
    /* "a{2,1}" translates (braces pass through) but regcomp refuses the bad interval. */
    char posix[64];
    cr_assert_eq(sim_regex_java_to_posix("a{2,1}", posix, sizeof posix), 0);
    const char *json = "{\"operations\":{\"Op\":{\"input\":{\"shape\":\"In\"}}},\"shapes\":{"
                       "\"In\":{\"type\":\"structure\",\"members\":{\"Name\":{\"shape\":\"Nm\"}}},"
                       "\"Nm\":{\"type\":\"string\",\"pattern\":\"a{2,1}\"}}}";
    sim_model *m = load(json);
    char msg[512];
    cr_assert_eq(check_name(m, "aa", msg, sizeof msg), -1);
    cr_assert(strstr(msg, "Member must satisfy regular expression pattern: a{2,1}") != NULL, "%s", msg);
    cr_assert_eq(check_name(m, "a", msg, sizeof msg), -1);
    sim_model_free(m);
}

Test(validate_lazy, loading_leaves_jansson_allocator_as_it_was)
{
    json_malloc_t m0, m1;
    json_free_t f0, f1;
    json_get_alloc_funcs(&m0, &f0);
    json_t *before = json_pack("{s:[i,i,i],s:s}", "a", 1, 2, 3, "b", "made before the load");
    cr_assert_not_null(before);
    sim_model *m = load(small_model);
    json_get_alloc_funcs(&m1, &f1);
    cr_assert(m1 == m0 && f1 == f0, "allocator changed by a good load");
    /* a load that fails (JSON error, then a bad shape) restores it too */
    char err[256];
    const char *bad_json = "{\"shapes\":";
    const char *bad_shape = "{\"operations\":{},\"shapes\":{\"S\":{\"type\":\"quux\"}}}";
    cr_assert_null(sim_model_load_json(bad_json, strlen(bad_json), err, sizeof err));
    cr_assert_null(sim_model_load_json(bad_shape, strlen(bad_shape), err, sizeof err));
    json_get_alloc_funcs(&m1, &f1);
    cr_assert(m1 == m0 && f1 == f0, "allocator changed by a failed load");
    /* values made before the load and after it are ordinary Jansson values */
    json_t *after = json_pack("{s:s}", "c", "made after the load");
    cr_assert_not_null(after);
    cr_assert_eq(json_array_size(json_object_get(before, "a")), 3);
    json_decref(before);
    json_decref(after);
    expect_ok(m, "fine");
    sim_model_free(m);
}

static void *load_and_free(void *p)
{
    (void)p;
    for (int i = 0; i < 20; i++) {
        char err[256];
        sim_model *m = sim_model_load_json(small_model, strlen(small_model), err, sizeof err);
        if (!m)
            return (void *)1;
        sim_model_free(m);
    }
    return NULL;
}

Test(validate_lazy, overlapping_loads_in_threads_restore_the_allocator)
{
    json_malloc_t m0, m1;
    json_free_t f0, f1;
    json_get_alloc_funcs(&m0, &f0);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, load_and_free, NULL), 0);
    for (int i = 0; i < 3; i++) {
        void *rc = (void *)1;
        pthread_join(t[i], &rc);
        cr_expect_null(rc, "thread %d: a load failed", i);
    }
    json_get_alloc_funcs(&m1, &f1);
    cr_assert(m1 == m0 && f1 == f0);
}
