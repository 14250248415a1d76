/* test_stats.c: the shards' activity counters kept beside the token buckets (throttle.c) and the
 * rolling window over them behind GET /_sim/stats (stats.c), with times given explicitly: the first
 * sample is a baseline, each later one holds the differences of its interval, samples come no
 * closer than SIM_STATS_MIN_INTERVAL_MS, `since` filters, a gap longer than the window starts over,
 * a scale change keeps the counters, and watching lasts one window after a page asked. */
#include <criterion/criterion.h>
#include <string.h>

#include "simulation/stats.h"
#include "simulation/throttle.h"

#define KEY                                                                                                  \
    "000000000000\x1f"                                                                                       \
    "us-east-1\x1f"                                                                                          \
    "orders\x1f"                                                                                             \
    "1700000000000"

static json_t *shard_of(json_t *j, const char *shard_id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(j, "shards"), i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "shard_id")), shard_id) == 0)
            return s;
    }
    return NULL;
}

static json_int_t at(json_t *shard, const char *name, size_t i)
{
    return json_integer_value(json_array_get(json_object_get(shard, name), i));
}

Test(shard_counters, checks_count_what_they_admit_and_refuse)
{
    sim_throttle *t = sim_throttle_new(0.01); /* 10 records/s */
    for (int i = 0; i < 12; i++)
        sim_throttle_write(t, KEY, 0, 1, 5, 0);
    cr_assert_eq(sim_throttle_read_admit(t, KEY, 0, 1, 0), SIM_THR_OK);
    sim_throttle_read_charge(t, KEY, 0, 1, 40, 0);
    sim_throttle_count_records_out(t, KEY, 1, 8, 0);
    cr_assert_neq(sim_throttle_read_admit(t, KEY, 0, 1, 0), SIM_THR_OK, "0.05 calls/s: the second waits");
    sim_throttle_set_scale(t, 1.0); /* the buckets start over, the counters stay */
    sim_throttle_count_write(t, KEY, 1, 7, 0);
    sim_stats *s = sim_stats_new(t);
    json_t *j = sim_stats_json(s, 0, 1000, 5000); /* baseline: no interval yet, totals already */
    json_t *sh = shard_of(j, "shardId-000000000001");
    cr_assert_not_null(sh);
    json_t *tot = json_object_get(sh, "totals");
    cr_assert_eq(json_integer_value(json_object_get(tot, "records_in")), 11, "10 admitted + 1 counted");
    cr_assert_eq(json_integer_value(json_object_get(tot, "bytes_in")), 57);
    cr_assert_eq(json_integer_value(json_object_get(tot, "throttled_write")), 2);
    cr_assert_eq(json_integer_value(json_object_get(tot, "get_records")), 1);
    cr_assert_eq(json_integer_value(json_object_get(tot, "throttled_read")), 1);
    cr_assert_eq(json_integer_value(json_object_get(tot, "records_out")), 8);
    cr_assert_eq(json_integer_value(json_object_get(tot, "bytes_out")), 40);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 0);
    json_decref(j);
    sim_stats_free(s);
    sim_throttle_free(t);
}

Test(stats_window, intervals_since_and_spacing)
{
    sim_throttle *t = sim_throttle_new(1.0);
    sim_stats *s = sim_stats_new(t);
    sim_throttle_count_write(t, KEY, 0, 10, 0);
    json_decref(sim_stats_json(s, 0, 1000, 100000)); /* baseline */
    sim_throttle_count_write(t, KEY, 0, 10, 0);
    sim_throttle_count_write(t, KEY, 0, 10, 0);
    sim_throttle_count_write(t, KEY, 3, 4, 0); /* a shard first seen in this interval */
    json_t *j = sim_stats_json(s, 0, 2000, 101000);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 1);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "t"), 0)), 101000);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "interval_ms"), 0)), 1000);
    cr_assert_eq(at(shard_of(j, "shardId-000000000000"), "records_in", 0), 2, "only this interval's");
    cr_assert_eq(at(shard_of(j, "shardId-000000000003"), "bytes_in", 0), 4, "all of a new shard's");
    json_decref(j);

    /* too soon after the last sample: no new one */
    sim_throttle_count_write(t, KEY, 0, 10, 0);
    j = sim_stats_json(s, 0, 2100, 101100);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 1);
    json_decref(j);
    j = sim_stats_json(s, 0, 3000, 102000);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 2);
    cr_assert_eq(at(shard_of(j, "shardId-000000000000"), "records_in", 1), 1,
                 "the write waited for this sample");
    cr_assert_eq(at(shard_of(j, "shardId-000000000003"), "records_in", 1), 0);
    json_decref(j);

    /* since: only what came after */
    j = sim_stats_json(s, 101000, 3100, 102100);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 1);
    cr_assert_eq(json_integer_value(json_array_get(json_object_get(j, "t"), 0)), 102000);
    cr_assert_eq(json_array_size(json_object_get(shard_of(j, "shardId-000000000000"), "records_in")), 1);
    json_decref(j);
    sim_stats_free(s);
    sim_throttle_free(t);
}

Test(stats_window, a_gap_longer_than_the_window_starts_over)
{
    sim_throttle *t = sim_throttle_new(1.0);
    sim_stats *s = sim_stats_new(t);
    json_decref(sim_stats_json(s, 0, 1000, 100000));
    sim_throttle_count_write(t, KEY, 0, 1, 0);
    json_decref(sim_stats_json(s, 0, 2000, 101000));
    for (int i = 0; i < 50; i++)
        sim_throttle_count_write(t, KEY, 0, 1, 0); /* while nobody looked */
    json_t *j = sim_stats_json(s, 0, 2000 + SIM_STATS_WINDOW_MS + 1, 101000 + SIM_STATS_WINDOW_MS + 1);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 0,
                 "a baseline, the old samples are out of the window");
    json_decref(j);
    sim_throttle_count_write(t, KEY, 0, 1, 0);
    j = sim_stats_json(s, 0, 3000 + SIM_STATS_WINDOW_MS, 102000 + SIM_STATS_WINDOW_MS);
    cr_assert_eq(json_array_size(json_object_get(j, "t")), 1);
    cr_assert_eq(at(shard_of(j, "shardId-000000000000"), "records_in", 0), 1, "not the 50 from before");
    json_decref(j);
    sim_stats_free(s);
    sim_throttle_free(t);
}

Test(stats_window, keeps_at_most_its_capacity_and_forgets_with_the_stream)
{
    sim_throttle *t = sim_throttle_new(1.0);
    sim_stats *s = sim_stats_new(t);
    int64_t mono = 1000, wall = 100000;
    json_decref(sim_stats_json(s, 0, mono, wall));
    for (int i = 0; i < SIM_STATS_CAP + 20; i++) {
        sim_throttle_count_write(t, KEY, 0, 1, 0);
        mono += SIM_STATS_MIN_INTERVAL_MS;
        wall += SIM_STATS_MIN_INTERVAL_MS;
        json_decref(sim_stats_json(s, wall, mono, wall));
    }
    json_t *j = sim_stats_json(s, 0, mono, wall);
    size_t n = json_array_size(json_object_get(j, "t"));
    cr_assert_leq(n, SIM_STATS_CAP);
    cr_assert_leq((int64_t)n * SIM_STATS_MIN_INTERVAL_MS, SIM_STATS_WINDOW_MS,
                  "nothing older than the window");
    cr_assert_eq(at(shard_of(j, "shardId-000000000000"), "records_in", n - 1), 1);
    json_decref(j);
    sim_throttle_forget_stream(t, KEY); /* its window goes with it (ASan checks the slot is freed) */
    j = sim_stats_json(s, 0, mono + 1000, wall + 1000);
    cr_assert_null(shard_of(j, "shardId-000000000000"));
    json_decref(j);
    sim_stats_free(s);
    sim_throttle_free(t);
}

Test(stats_window, watching_lasts_one_window)
{
    sim_throttle *t = sim_throttle_new(1.0);
    sim_stats *s = sim_stats_new(t);
    cr_assert_not(sim_stats_watching(s, 1000), "nobody asked yet");
    json_decref(sim_stats_json(s, 0, 1000, 100000));
    cr_assert(sim_stats_watching(s, 1000 + SIM_STATS_WINDOW_MS - 1));
    cr_assert_not(sim_stats_watching(s, 1000 + SIM_STATS_WINDOW_MS));
    sim_stats_free(s);
    sim_throttle_free(t);
}
