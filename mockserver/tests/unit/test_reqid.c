/* test_reqid.c: the request ids on every answer (reqid.c): x-amzn-RequestId is a version-4 UUID
 * whose last 12 hex digits are the request counter, with a random part that differs between ids;
 * x-amz-id-2 is 96 base64 characters (72 bytes, as kinesalite's recorded connection tests want AWS's
 * to decode to 64-80 bytes) of fresh randomness. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "net/reqid.h"

static void assert_uuid_form(const char *id)
{
    cr_assert_eq(strlen(id), 36, "%s", id);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            cr_assert_eq(id[i], '-', "%s", id);
        else
            cr_assert(isxdigit((unsigned char)id[i]) && !isupper((unsigned char)id[i]), "%s", id);
    }
    cr_assert_eq(id[14], '4', "version nibble in %s", id);
    cr_assert(strchr("89ab", id[19]), "variant in %s", id);
}

Test(reqid, request_id_is_a_v4_uuid_ending_in_the_counter)
{
    char id[SIM_REQUEST_ID_LEN];
    sim_request_id_make(UINT64_C(0x123456789abc), id);
    assert_uuid_form(id);
    cr_assert_str_eq(id + 24, "123456789abc");
    sim_request_id_make(7, id);
    assert_uuid_form(id);
    cr_assert_str_eq(id + 24, "000000000007");
    /* only the low 48 bits of the counter are kept */
    sim_request_id_make(UINT64_C(0xffff000000000001), id);
    cr_assert_str_eq(id + 24, "000000000001");
}

Test(reqid, random_part_differs_between_ids)
{
    enum { N = 500 };
    static char ids[N][SIM_REQUEST_ID_LEN];
    for (int i = 0; i < N; i++)
        sim_request_id_make(1, ids[i]); /* same counter: only the random part can differ */
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            cr_assert_str_neq(ids[i], ids[j], "ids %d and %d are equal: %s", i, j, ids[i]);
}

Test(reqid, amz_id2_is_96_base64_characters_and_fresh)
{
    char a[SIM_AMZ_ID2_LEN], b[SIM_AMZ_ID2_LEN];
    sim_amz_id2_make(a);
    sim_amz_id2_make(b);
    cr_assert_eq(strlen(a), 96);
    cr_assert_neq(a[95], '=', "72 bytes need no padding: %s", a);
    for (int i = 0; i < 96; i++)
        cr_assert(isalnum((unsigned char)a[i]) || a[i] == '+' || a[i] == '/', "%s", a);
    cr_assert_str_neq(a, b);
}

static void *make_on_thread(void *out)
{
    sim_request_id_make(1, out);
    return NULL;
}

Test(reqid, threads_get_different_random_parts)
{
    /* each thread seeds its own generator: two threads must not repeat each other */
    char a[SIM_REQUEST_ID_LEN], b[SIM_REQUEST_ID_LEN];
    pthread_t t1, t2;
    cr_assert_eq(pthread_create(&t1, NULL, make_on_thread, a), 0);
    cr_assert_eq(pthread_join(t1, NULL), 0);
    cr_assert_eq(pthread_create(&t2, NULL, make_on_thread, b), 0);
    cr_assert_eq(pthread_join(t2, NULL), 0);
    assert_uuid_form(a);
    assert_uuid_form(b);
    cr_assert_str_neq(a, b);
}
