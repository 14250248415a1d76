/* hist.h: a fixed-size log-linear latency histogram for the load generator (ci/bench/loadgen.c).
 * Values are microseconds; below 128 each value has its own bucket, above that every power of
 * two is cut into 128 buckets, so a reported percentile is within 1/128 (< 0.8 %) of the true
 * value. Recording is O(1) and allocation-free, so it costs nothing next to a request. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB 128      /* buckets per power of two */
#define HIST_MAX_SHIFT 40 /* covers values up to 2^47 us */
#define HIST_BUCKETS (HIST_SUB + HIST_SUB * HIST_MAX_SHIFT)

typedef struct hist {
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t max;
} hist;

void hist_init(hist *h);
void hist_record(hist *h, uint64_t value_us);
/* Add every count of src into dst. */
void hist_merge(hist *dst, const hist *src);
/* The value at quantile q (0 < q <= 1): the upper edge of the bucket holding the
 * ceil(q * total)-th smallest value, capped at the largest value recorded; 0 when empty. */
uint64_t hist_quantile(const hist *h, double q);
/* Bucket index of a value, and the largest value a bucket holds (exposed for tests). */
int hist_bucket(uint64_t value_us);
uint64_t hist_bucket_upper(int bucket);

#endif
