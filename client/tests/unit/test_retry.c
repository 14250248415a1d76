/* test_retry.c: the retry policy's pure functions (client/src/retry.c): which failures are
 * retryable, and full-jitter exponential delays from a seeded PRNG. The end-to-end behaviour with
 * a fake clock is in test_transport.c. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "kinesis/kinesis.h"

Test(retry, defaults_fill_zero_fields_only)
{
    kinesis_retry_policy p = {0};
    kinesis_retry_policy_defaults(&p);
    cr_assert_eq(p.max_attempts, 5);
    cr_assert_eq(p.base_delay_ms, 100);
    cr_assert_eq(p.max_delay_ms, 20000);
    cr_assert_eq(p.max_total_ms, 60000);
    kinesis_retry_policy q = {2, 7, 0, 9};
    kinesis_retry_policy_defaults(&q);
    cr_assert_eq(q.max_attempts, 2);
    cr_assert_eq(q.base_delay_ms, 7);
    cr_assert_eq(q.max_delay_ms, 20000);
    cr_assert_eq(q.max_total_ms, 9);
}

Test(retry, delay_within_exponential_cap)
{
    kinesis_retry_policy p = {10, 100, 1000, 60000};
    uint64_t rng = 42;
    for (int attempt = 1; attempt <= 8; attempt++) {
        int64_t cap = 100LL << (attempt - 1);
        if (cap > 1000)
            cap = 1000;
        int64_t max_seen = 0;
        for (int i = 0; i < 2000; i++) {
            int64_t d = kinesis_retry_delay_ms(&p, attempt, &rng);
            cr_assert(d >= 0 && d <= cap, "attempt %d delay %lld cap %lld", attempt, (long long)d,
                      (long long)cap);
            if (d > max_seen)
                max_seen = d;
        }
        /* full jitter spreads over the whole range: the largest of 2000 draws is near the cap */
        cr_assert(max_seen > cap * 9 / 10, "attempt %d max %lld", attempt, (long long)max_seen);
    }
}

Test(retry, delay_is_deterministic_for_a_seed)
{
    kinesis_retry_policy p = {5, 100, 20000, 60000};
    uint64_t a = 7, b = 7, c = 8;
    int differ = 0;
    for (int attempt = 1; attempt <= 5; attempt++) {
        int64_t da = kinesis_retry_delay_ms(&p, attempt, &a);
        int64_t db = kinesis_retry_delay_ms(&p, attempt, &b);
        int64_t dc = kinesis_retry_delay_ms(&p, attempt, &c);
        cr_assert_eq(da, db);
        if (da != dc)
            differ = 1;
    }
    cr_assert(differ, "another seed gives other delays");
}

Test(retry, huge_attempt_numbers_do_not_overflow)
{
    kinesis_retry_policy p = {1000, 100, 20000, 60000};
    uint64_t rng = 1;
    for (int i = 0; i < 100; i++) {
        int64_t d = kinesis_retry_delay_ms(&p, 900, &rng);
        cr_assert(d >= 0 && d <= 20000);
    }
    cr_assert_geq(kinesis_retry_delay_ms(NULL, 0, &rng), 0);
}

Test(retry, retryable_table)
{
    struct {
        const char *name;
        int status;
        int want;
    } cases[] = {
        {"ProvisionedThroughputExceededException", 400, 1},
        {"LimitExceededException", 400, 1},
        {"ThrottlingException", 400, 1},
        {"KMSThrottlingException", 400, 1},
        {"InternalFailure", 500, 1},
        {"InternalFailureException", 500, 1},
        {"ServiceUnavailable", 503, 1},
        {NULL, 502, 1},
        {NULL, 429, 1},
        {"UnknownError", 504, 1},
        {KINESIS_ERR_TRANSPORT, 0, 1},
        {KINESIS_ERR_TIMEOUT, 0, 1},
        {KINESIS_ERR_TLS, 0, 0}, /* a certificate not trusted: trying again cannot help */
        {"ValidationException", 400, 0},
        {"ResourceNotFoundException", 400, 0},
        {"ResourceInUseException", 400, 0},
        {"InvalidArgumentException", 400, 0},
        {"ExpiredIteratorException", 400, 0},
        {"AccessDeniedException", 400, 0},
        {"SerializationException", 400, 0},
        {KINESIS_ERR_INVALID_PARAMETER, 0, 0},
        {KINESIS_ERR_MALFORMED, 200, 0},
        {KINESIS_ERR_TRANSPORT, 400, 0},
        {NULL, 400, 0},
        {NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        cr_assert_eq(kinesis_is_retryable(cases[i].name, cases[i].status), cases[i].want, "%s %d",
                     cases[i].name ? cases[i].name : "(null)", cases[i].status);
}
