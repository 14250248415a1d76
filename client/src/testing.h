/* testing.h: hooks for the library's own tests, outside the public header (and not exported by
 * libkinesis.so): a fake monotonic clock and sleep make backoff instant and observable, and a
 * fixed seed makes the jitter repeatable. Tests link libkinesis.a. */
#ifndef KINESIS_TESTING_H
#define KINESIS_TESTING_H

#include <stdint.h>

#include "kinesis/kinesis.h"

typedef int64_t (*kc_now_fn)(void *user);
typedef void (*kc_sleep_fn)(int64_t ms, void *user);

/* The clock and sleep used by retries and waiters; NULL restores the real ones. */
void kc_client_set_time_hooks(kinesis_client *client, kc_now_fn now, kc_sleep_fn sleep_ms, void *user);
/* Seed the jitter PRNG (default: from the time and process id). */
void kc_client_set_rng_seed(kinesis_client *client, uint64_t seed);

#endif
