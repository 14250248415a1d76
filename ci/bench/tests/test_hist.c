/* test_hist.c: Criterion tests for the bench's latency histogram (ci/bench/hist.c). */
#include <criterion/criterion.h>

#include "hist.h"

Test(hist, small_values_are_exact)
{
    static hist h;
    hist_init(&h);
    for (uint64_t v = 1; v <= 100; v++)
        hist_record(&h, v);
    cr_assert_eq(h.total, 100);
    cr_assert_eq(hist_quantile(&h, 0.50), 50);
    cr_assert_eq(hist_quantile(&h, 0.99), 99);
    cr_assert_eq(hist_quantile(&h, 1.0), 100);
    cr_assert_eq(hist_quantile(&h, 0.001), 1);
}

Test(hist, buckets_are_contiguous_and_cover_their_values)
{
    int prev = -1;
    for (uint64_t v = 0; v < 1u << 20; v += 1 + v / 1000) {
        int b = hist_bucket(v);
        cr_assert(b == prev || b == prev + 1, "value %llu bucket %d after %d", (unsigned long long)v, b,
                  prev);
        cr_assert_geq(hist_bucket_upper(b), v);
        cr_assert(b == 0 || hist_bucket_upper(b - 1) < v);
        prev = b;
    }
}

Test(hist, large_values_within_one_percent)
{
    static hist h;
    hist_init(&h);
    for (int i = 0; i < 990; i++)
        hist_record(&h, 1000);
    for (int i = 0; i < 9; i++)
        hist_record(&h, 250000);
    hist_record(&h, 3000000);
    uint64_t p50 = hist_quantile(&h, 0.5), p99 = hist_quantile(&h, 0.99);
    uint64_t p999 = hist_quantile(&h, 0.999), p100 = hist_quantile(&h, 1.0);
    cr_assert(p50 >= 1000 && p50 <= 1008, "p50 %llu", (unsigned long long)p50);
    cr_assert(p99 >= 1000 && p99 <= 1008, "p99 %llu", (unsigned long long)p99);
    cr_assert(p999 >= 250000 && p999 <= 252000, "p999 %llu", (unsigned long long)p999);
    cr_assert_eq(p100, 3000000);
}

Test(hist, empty_and_merge)
{
    static hist a, b;
    hist_init(&a);
    hist_init(&b);
    cr_assert_eq(hist_quantile(&a, 0.5), 0);
    hist_record(&a, 10);
    hist_record(&b, 20);
    hist_record(&b, 30);
    hist_merge(&a, &b);
    cr_assert_eq(a.total, 3);
    cr_assert_eq(a.max, 30);
    cr_assert_eq(hist_quantile(&a, 0.5), 20);
}

Test(hist, huge_values_land_in_the_last_bucket)
{
    cr_assert_eq(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
    static hist h;
    hist_init(&h);
    hist_record(&h, UINT64_MAX);
    cr_assert_eq(hist_quantile(&h, 0.5), UINT64_MAX);
}
