/* retry.c: the retry policy as pure functions: which failures are retryable, and the delay
 * before the next attempt (exponential backoff with full jitter, from a seeded PRNG). The engine
 * (engine.c) applies them; the tests drive them with fixed seeds and a fake clock. */
#include <string.h>

#include "internal.h"
#include "shared/errors.h"

void kinesis_retry_policy_defaults(kinesis_retry_policy *p)
{
    if (p->max_attempts <= 0)
        p->max_attempts = 5;
    if (p->base_delay_ms <= 0)
        p->base_delay_ms = 100;
    if (p->max_delay_ms <= 0)
        p->max_delay_ms = 20000;
    if (p->max_total_ms <= 0)
        p->max_total_ms = 60000;
}

uint64_t kinesis_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

int64_t kinesis_retry_delay_ms(const kinesis_retry_policy *policy, int attempt, uint64_t *rng_state)
{
    kinesis_retry_policy p = policy ? *policy : (kinesis_retry_policy){0};
    kinesis_retry_policy_defaults(&p);
    if (attempt < 1)
        attempt = 1;
    int64_t cap = p.base_delay_ms;
    for (int i = 1; i < attempt && cap < p.max_delay_ms; i++)
        cap *= 2;
    if (cap > p.max_delay_ms)
        cap = p.max_delay_ms;
    uint64_t r = kinesis_rng_next(rng_state);
    return (int64_t)(r % (uint64_t)(cap + 1));
}

/* Kinesis's retryable errors (the list shared with the simulator), then throttling and server
 * errors other AWS front ends use, then the library's own transport failures. */
static const char *const retryable_names[] = {
#define KC_RETRYABLE(name, status, retry) retry ? #name : NULL,
    KINESIS_ERROR_LIST(KC_RETRYABLE)
#undef KC_RETRYABLE
        "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "InternalServerError",
    "ServiceUnavailableException",
    KINESIS_ERR_TRANSPORT,
    KINESIS_ERR_TIMEOUT,
};

int kinesis_is_retryable(const char *error_name, int http_status)
{
    if (error_name) {
        for (size_t i = 0; i < sizeof retryable_names / sizeof *retryable_names; i++)
            if (retryable_names[i] && strcmp(error_name, retryable_names[i]) == 0) {
                /* Transport and Timeout are library names: only without an HTTP answer. */
                if ((strcmp(error_name, KINESIS_ERR_TRANSPORT) == 0 ||
                     strcmp(error_name, KINESIS_ERR_TIMEOUT) == 0) &&
                    http_status != 0)
                    return 0;
                return 1;
            }
    }
    return http_status == 429 || (http_status >= 500 && http_status <= 599);
}
