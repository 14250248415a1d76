/* test_throttle.c: token buckets (throttle.c) and the throughput hooks of simulation.c
 * (PutRecord / PutRecords entries, GetRecords, GetShardIterator, control-plane rates, the
 * CREATING limit), all on a virtual clock: nothing here sleeps. */
#include <criterion/criterion.h>
#include <string.h>

#include "dispatch/router.h"
#include "ops_fixture.h"
#include "server/config.h"
#include "server/server.h"
#include "simulation/simulation.h"
#include "simulation/throttle.h"

/* ------------------------------------------------------------------ */
/* buckets                                                             */
/* ------------------------------------------------------------------ */

Test(throttle_bucket, starts_full_with_one_second_of_rate)
{
    sim_bucket b;
    sim_bucket_init(&b, 1000, 0);
    cr_assert_eq(b.capacity, 1000);
    cr_assert(sim_bucket_try_take(&b, 1000, 0));
    cr_assert_not(sim_bucket_try_take(&b, 1, 0), "empty after one second's worth");
}

Test(throttle_bucket, refills_at_rate_and_caps_at_capacity)
{
    sim_bucket b;
    sim_bucket_init(&b, 1000, 0);
    cr_assert(sim_bucket_try_take(&b, 1000, 0));
    cr_assert_not(sim_bucket_try_take(&b, 500, 499), "499 ms earn 499 tokens");
    cr_assert(sim_bucket_try_take(&b, 500, 500), "500 ms earn 500 tokens");
    sim_bucket_refill(&b, 100000);
    cr_assert_float_eq(b.tokens, 1000, 1e-6, "never above capacity");
}

Test(throttle_bucket, refused_take_takes_nothing)
{
    sim_bucket b;
    sim_bucket_init(&b, 10, 0);
    cr_assert(sim_bucket_try_take(&b, 8, 0));
    cr_assert_not(sim_bucket_try_take(&b, 5, 0));
    cr_assert_float_eq(b.tokens, 2, 1e-9);
}

Test(throttle_bucket, oversized_demand_passes_only_when_full_then_debt)
{
    sim_bucket b;
    sim_bucket_init(&b, 100, 0);
    cr_assert(sim_bucket_try_take(&b, 250, 0), "a full bucket admits a demand above capacity");
    cr_assert_float_eq(b.tokens, -150, 1e-9);
    cr_assert_eq(sim_bucket_wait_ms(&b, 1, 0), 1510, "150 debt + 1 token at 100/s = 1.51 s");
    cr_assert_not(sim_bucket_try_take(&b, 1, 1500));
    cr_assert(sim_bucket_try_take(&b, 1, 1510));
}

Test(throttle_bucket, clock_moving_back_earns_nothing)
{
    sim_bucket b;
    sim_bucket_init(&b, 10, 10000);
    cr_assert(sim_bucket_try_take(&b, 10, 10000));
    sim_bucket_refill(&b, 5000);
    cr_assert_float_eq(b.tokens, 0, 1e-9);
    sim_bucket_refill(&b, 5100); /* accounting restarts from the earlier time */
    cr_assert_float_eq(b.tokens, 1, 1e-9);
}

/* ------------------------------------------------------------------ */
/* the per-shard table                                                 */
/* ------------------------------------------------------------------ */

Test(throttle_table, write_records_per_second_per_shard)
{
    sim_throttle *t = sim_throttle_new(1.0);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 10, 0), SIM_THR_OK, "record %d", i);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 10, 0), SIM_THR_WRITE_RECORDS);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 1, 10, 0), SIM_THR_OK, "other shards unaffected");
    cr_assert_eq(sim_throttle_write(t, "other", 0, 0, 10, 0), SIM_THR_OK, "other streams too");
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 10, 1), SIM_THR_OK, "1 ms earns one record");
    sim_throttle_free(t);
}

Test(throttle_table, write_bytes_per_second_per_shard)
{
    sim_throttle *t = sim_throttle_new(1.0);
    size_t mib = 1024 * 1024;
    cr_assert_eq(sim_throttle_write(t, "s", 0, 3, mib / 2, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 3, mib / 2, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 3, 1, 0), SIM_THR_WRITE_BYTES);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 3, mib / 2, 499), SIM_THR_WRITE_BYTES);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 3, mib / 2, 500), SIM_THR_OK);
    sim_throttle_free(t);
}

Test(throttle_table, refused_write_charges_neither_bucket)
{
    sim_throttle *t = sim_throttle_new(1.0);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1024 * 1024, 0), SIM_THR_OK);
    for (int i = 0; i < 50; i++)
        cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 100, 0), SIM_THR_WRITE_BYTES);
    /* after 1 s the byte budget is full again and 999 record tokens remain + 1 earned */
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 1000), SIM_THR_OK, "record %d", i);
    sim_throttle_free(t);
}

Test(throttle_table, scale_multiplies_limits)
{
    sim_throttle *t = sim_throttle_new(0.01); /* 10 records/s, ~10 KiB/s */
    for (int i = 0; i < 10; i++)
        cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 0), SIM_THR_WRITE_RECORDS);
    sim_throttle_set_scale(t, 2.0);
    cr_assert_float_eq(sim_throttle_scale(t), 2.0, 1e-12);
    for (int i = 0; i < 2000; i++)
        cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 0), SIM_THR_OK, "record %d", i);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 0), SIM_THR_WRITE_RECORDS);
    sim_throttle_free(t);
}

Test(throttle_table, on_demand_stream_budget)
{
    sim_throttle *t = sim_throttle_new(1.0);
    /* 4,000 records/s across the stream: 1,000 on each of 4 shards fit, a 5th shard does not */
    for (uint32_t sh = 0; sh < 4; sh++)
        for (int i = 0; i < 1000; i++)
            cr_assert_eq(sim_throttle_write(t, "od", 1, sh, 1, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_write(t, "od", 1, 4, 1, 0), SIM_THR_STREAM_WRITE);
    cr_assert_eq(sim_throttle_write(t, "prov", 0, 4, 1, 0), SIM_THR_OK, "provisioned: per shard only");
    sim_throttle_free(t);
}

Test(throttle_table, read_calls_five_per_second)
{
    sim_throttle *t = sim_throttle_new(1.0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 0), SIM_THR_READ_CALLS);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 199), SIM_THR_READ_CALLS);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 200), SIM_THR_OK);
    sim_throttle_free(t);
}

Test(throttle_table, read_bytes_debt_blocks_until_repaid)
{
    sim_throttle *t = sim_throttle_new(1.0);
    size_t mib = 1024 * 1024;
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 0), SIM_THR_OK);
    sim_throttle_read_charge(t, "s", 0, 0, 4 * mib, 0); /* 2 MiB of debt */
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 500), SIM_THR_READ_BYTES);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 1000), SIM_THR_READ_BYTES, "debt exactly repaid: 0");
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 1001), SIM_THR_OK);
    sim_throttle_free(t);
}

Test(throttle_table, ten_mib_answer_blocks_five_seconds)
{
    sim_throttle *t = sim_throttle_new(1000.0); /* rates high enough to isolate the penalty */
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 0), SIM_THR_OK);
    sim_throttle_read_charge(t, "s", 0, 0, 10 * 1024 * 1024, 0);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 1), SIM_THR_READ_PENALTY);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 4999), SIM_THR_READ_PENALTY);
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 1, 10), SIM_THR_OK, "other shard unaffected");
    cr_assert_eq(sim_throttle_read_admit(t, "s", 0, 0, 5000), SIM_THR_OK);
    sim_throttle_free(t);
}

Test(throttle_table, iterator_five_per_second_per_shard)
{
    sim_throttle *t = sim_throttle_new(1.0);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sim_throttle_iterator(t, "s", 7, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_iterator(t, "s", 7, 0), SIM_THR_ITERATOR);
    cr_assert_eq(sim_throttle_iterator(t, "s", 6, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_iterator(t, "s", 7, 200), SIM_THR_OK);
    sim_throttle_free(t);
}

Test(throttle_table, reset_and_forget)
{
    sim_throttle *t = sim_throttle_new(1.0);
    for (int i = 0; i < 5; i++)
        sim_throttle_iterator(t, "s", 0, 0);
    sim_throttle_control(t, "k", 1, 0);
    cr_assert_eq(sim_throttle_key_count(t), 2);
    sim_throttle_forget_stream(t, "s");
    cr_assert_eq(sim_throttle_key_count(t), 1);
    cr_assert_eq(sim_throttle_iterator(t, "s", 0, 0), SIM_THR_OK, "fresh buckets");
    sim_throttle_reset(t);
    cr_assert_eq(sim_throttle_key_count(t), 0);
    sim_throttle_free(t);
}

Test(throttle_table, large_shard_index_grows)
{
    sim_throttle *t = sim_throttle_new(1.0);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 19999, 1, 0), SIM_THR_OK);
    cr_assert_eq(sim_throttle_write(t, "s", 0, 0, 1, 0), SIM_THR_OK);
    sim_throttle_free(t);
}

/* ------------------------------------------------------------------ */
/* the hooks, through a server with a virtual clock                    */
/* ------------------------------------------------------------------ */

typedef struct {
    sim_server srv;
    sim_ctx ctx;
} thr_fixture;

static void thr_setup(thr_fixture *f, const sim_simulation_options *opt, const char *op)
{
    memset(f, 0, sizeof *f);
    sim_config c;
    fx_config(&c, "111111111111");
    if (opt)
        c.sim = *opt;
    c.sim.clock = SIM_CLOCK_VIRTUAL;
    fx_server(&f->srv, &c);
    sim_clock_set_ms(f->srv.clock, 1700000000000);
    f->ctx.srv = &f->srv;
    f->ctx.op = op;
    f->ctx.op_def = sim_router_lookup(op);
    snprintf(f->ctx.account_id, sizeof f->ctx.account_id, "111111111111");
    snprintf(f->ctx.region, sizeof f->ctx.region, "us-east-1");
    f->ctx.now_ms = sim_clock_now_ms(f->srv.clock);
}

static void thr_teardown(thr_fixture *f)
{
    sim_server_clean_up(&f->srv);
}

static void thr_new_request(thr_fixture *f, const char *op)
{
    f->ctx.op = op;
    f->ctx.op_def = sim_router_lookup(op);
    f->ctx.err_set = 0;
    f->ctx.err_msg[0] = '\0';
    f->ctx.now_ms = sim_clock_now_ms(f->srv.clock);
}

Test(throttle_hooks, put_record_over_limit_is_provisioned_throughput_exceeded)
{
    thr_fixture f;
    thr_setup(&f, NULL, "PutRecord");
    sim_stream_ref st = {"orders", 1, 0};
    size_t half = 512 * 1024;
    cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 1, "k", half, 0, NULL), 0);
    cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 1, "k", half, 0, NULL), 0);
    cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 1, "k", 10, 0, NULL), -1);
    cr_assert(f.ctx.err_set);
    cr_assert_eq(f.ctx.err, SIM_ERR_ProvisionedThroughputExceededException);
    cr_assert_str_eq(f.ctx.err_msg, "Rate exceeded for shard shardId-000000000001 in stream orders "
                                    "under account 111111111111.");
    sim_clock_advance_ms(f.srv.clock, 1000);
    thr_new_request(&f, "PutRecord");
    cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 1, "k", 10, 0, NULL), 0, "refilled after 1 s");
    cr_assert_eq(sim_metrics_throttled_count(sim_simulation_metrics(f.srv.sim), "write"), 1);
    thr_teardown(&f);
}

Test(throttle_hooks, put_records_fails_only_over_limit_entries)
{
    thr_fixture f;
    thr_setup(&f, NULL, "PutRecords");
    sim_stream_ref st = {"orders", 1, 0};
    int failed = 0, ok = 0;
    for (int i = 0; i < 1500; i++) {
        sim_entry_result res;
        int rc = sim_sim_write_record(&f.ctx, &st, (uint32_t)(i % 3 == 0), "k", 1, 1, &res);
        cr_assert(rc == 0 || rc == 1);
        if (rc == 1) {
            failed++;
            cr_assert_eq(res.code, SIM_ERR_ProvisionedThroughputExceededException);
            cr_assert_str_eq(res.message, "Rate exceeded for shard shardId-000000000000 in stream "
                                          "orders under account 111111111111.");
        } else {
            ok++;
        }
    }
    /* shard 1 got 500 entries (all fit), shard 0 got 1000 (all fit) */
    cr_assert_eq(failed, 0);
    for (int i = 0; i < 10; i++) {
        sim_entry_result res;
        cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 0, "k", 1, 1, &res), 1);
        cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 2, "k", 1, 1, &res), 0);
    }
    cr_assert_not(f.ctx.err_set, "entry failures do not fail the request");
    thr_teardown(&f);
}

Test(throttle_hooks, throttle_off_allows_everything)
{
    sim_simulation_options o;
    sim_simulation_options_default(&o);
    cr_assert_eq(sim_simulation_option_set(&o, "throttle", "off", NULL, 0), 0);
    thr_fixture f;
    thr_setup(&f, &o, "PutRecord");
    sim_stream_ref st = {"s", 1, 0};
    for (int i = 0; i < 3000; i++)
        cr_assert_eq(sim_sim_write_record(&f.ctx, &st, 0, "k", 1024, 0, NULL), 0);
    for (int i = 0; i < 20; i++) {
        cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 0), 0);
        cr_assert_eq(sim_sim_iterator(&f.ctx, &st, 0), 0);
    }
    cr_assert_eq(sim_sim_check_creating(&f.ctx, 100), 0);
    thr_teardown(&f);
}

Test(throttle_hooks, get_records_throttles_after_five_calls_and_ten_mib)
{
    thr_fixture f;
    thr_setup(&f, NULL, "GetRecords");
    sim_stream_ref st = {"s", 1, 0};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 2), 0);
        sim_sim_read_end(&f.ctx, &st, 2, 0, 0);
    }
    cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 2), -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_ProvisionedThroughputExceededException);
    cr_assert_str_eq(f.ctx.err_msg, "Rate exceeded for shard shardId-000000000002 in stream s under "
                                    "account 111111111111.");
    /* a 10 MiB answer: 5 s of refusals */
    sim_clock_advance_ms(f.srv.clock, 10000);
    thr_new_request(&f, "GetRecords");
    cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 2), 0);
    sim_sim_read_end(&f.ctx, &st, 2, 1, 10 * 1024 * 1024);
    sim_clock_advance_ms(f.srv.clock, 4999);
    thr_new_request(&f, "GetRecords");
    cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 2), -1);
    sim_clock_advance_ms(f.srv.clock, 1);
    thr_new_request(&f, "GetRecords");
    cr_assert_eq(sim_sim_read_begin(&f.ctx, &st, 2), 0, "penalty over; 10 MiB - 5 s * 2 MiB = 0 debt");
    thr_teardown(&f);
}

Test(throttle_hooks, get_shard_iterator_five_per_second)
{
    thr_fixture f;
    thr_setup(&f, NULL, "GetShardIterator");
    sim_stream_ref st = {"s", 1, 0};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sim_sim_iterator(&f.ctx, &st, 0), 0);
    cr_assert_eq(sim_sim_iterator(&f.ctx, &st, 0), -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_ProvisionedThroughputExceededException);
    thr_teardown(&f);
}

Test(throttle_hooks, recreated_stream_gets_fresh_buckets)
{
    thr_fixture f;
    thr_setup(&f, NULL, "GetShardIterator");
    sim_stream_ref old = {"s", 1, 0}, fresh = {"s", 2, 0};
    for (int i = 0; i < 5; i++)
        cr_assert_eq(sim_sim_iterator(&f.ctx, &old, 0), 0);
    cr_assert_eq(sim_sim_iterator(&f.ctx, &old, 0), -1);
    thr_new_request(&f, "GetShardIterator");
    cr_assert_eq(sim_sim_iterator(&f.ctx, &fresh, 0), 0);
    sim_sim_stream_gone(&f.ctx, &old);
    cr_assert_eq(sim_sim_iterator(&f.ctx, &old, 0), 0, "forgotten: starts full");
    thr_teardown(&f);
}

Test(throttle_hooks, control_plane_rate_limit)
{
    thr_fixture f;
    thr_setup(&f, NULL, "DescribeLimits");
    sim_response resp = {0};
    cr_assert_eq(sim_sim_before_op(&f.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    sim_sim_after_op(&f.ctx, &resp);
    thr_new_request(&f, "DescribeLimits");
    cr_assert_eq(sim_sim_before_op(&f.ctx, NULL, &resp), SIM_HOOK_ERROR, "1 TPS");
    cr_assert_eq(f.ctx.err, SIM_ERR_LimitExceededException);
    cr_assert_str_eq(f.ctx.err_msg, "Rate exceeded for account 111111111111.");

    json_t *in = json_pack("{s:s}", "StreamName", "orders");
    for (int i = 0; i < 5; i++) {
        thr_new_request(&f, "DeleteStream");
        cr_assert_eq(sim_sim_before_op(&f.ctx, in, &resp), SIM_HOOK_PROCEED, "call %d", i);
    }
    thr_new_request(&f, "DeleteStream");
    cr_assert_eq(sim_sim_before_op(&f.ctx, in, &resp), SIM_HOOK_ERROR);
    cr_assert_str_eq(f.ctx.err_msg, "Rate exceeded for stream orders under account 111111111111.");
    thr_new_request(&f, "PutRecord");
    cr_assert_eq(sim_sim_before_op(&f.ctx, in, &resp), SIM_HOOK_PROCEED, "data plane: no TPS rule");
    sim_clock_advance_ms(f.srv.clock, 200);
    thr_new_request(&f, "DeleteStream");
    cr_assert_eq(sim_sim_before_op(&f.ctx, in, &resp), SIM_HOOK_PROCEED, "200 ms earn 1 call");
    json_decref(in);
    cr_assert_eq(sim_metrics_throttled_count(sim_simulation_metrics(f.srv.sim), "control"), 2);
    thr_teardown(&f);
}

Test(throttle_hooks, list_shards_limit_is_per_stream)
{
    cr_assert_float_eq(sim_router_lookup("ListShards")->control_tps, 1000, 1e-9);
    cr_assert(sim_router_lookup("ListShards")->flags & SIM_OP_RATE_PER_STREAM);
    cr_assert_float_eq(sim_router_lookup("DescribeStream")->control_tps, 10, 1e-9);
    cr_assert_not(sim_router_lookup("DescribeStream")->flags & SIM_OP_RATE_PER_STREAM);
    cr_assert_float_eq(sim_router_lookup("PutRecord")->control_tps, 0, 1e-9);

    sim_simulation_options o;
    sim_simulation_options_default(&o);
    o.throttle_scale = 0.002; /* ListShards: 2 per second per stream */
    thr_fixture f;
    thr_setup(&f, &o, "ListShards");
    sim_response resp = {0};
    json_t *a = json_pack("{s:s}", "StreamARN", "arn:aws:kinesis:us-east-1:111111111111:stream/a");
    json_t *b = json_pack("{s:s}", "StreamName", "b");
    cr_assert_eq(sim_sim_before_op(&f.ctx, a, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_before_op(&f.ctx, a, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_before_op(&f.ctx, a, &resp), SIM_HOOK_ERROR);
    cr_assert_str_eq(f.ctx.err_msg, "Rate exceeded for stream a under account 111111111111.",
                     "name taken from the ARN");
    thr_new_request(&f, "ListShards");
    cr_assert_eq(sim_sim_before_op(&f.ctx, b, &resp), SIM_HOOK_PROCEED, "another stream");
    json_decref(a);
    json_decref(b);
    thr_teardown(&f);
}

Test(throttle_hooks, control_limits_can_be_turned_off)
{
    sim_simulation_options o;
    sim_simulation_options_default(&o);
    cr_assert_eq(sim_simulation_option_set(&o, "control-limits", "off", NULL, 0), 0);
    thr_fixture f;
    thr_setup(&f, &o, "DescribeLimits");
    sim_response resp = {0};
    for (int i = 0; i < 10; i++)
        cr_assert_eq(sim_sim_before_op(&f.ctx, NULL, &resp), SIM_HOOK_PROCEED);
    cr_assert_eq(sim_sim_check_creating(&f.ctx, 50), 0);
    thr_teardown(&f);
}

Test(throttle_hooks, creating_limit)
{
    thr_fixture f;
    thr_setup(&f, NULL, "CreateStream");
    cr_assert_eq(sim_sim_check_creating(&f.ctx, 4), 0);
    cr_assert_eq(sim_sim_check_creating(&f.ctx, 5), -1);
    cr_assert_eq(f.ctx.err, SIM_ERR_LimitExceededException);
    cr_assert(strstr(f.ctx.err_msg, "simultaneously be in CREATING or DELETING") != NULL);
    cr_assert(strstr(f.ctx.err_msg, "Limit: 5") != NULL);
    sim_simulation_set_control_limits(f.srv.sim, 1, 8);
    thr_new_request(&f, "CreateStream");
    cr_assert_eq(sim_sim_check_creating(&f.ctx, 7), 0);
    thr_teardown(&f);
}

Test(throttle_hooks, no_simulation_means_no_limits)
{
    sim_server srv;
    memset(&srv, 0, sizeof srv);
    sim_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.srv = &srv;
    ctx.op = "DescribeLimits";
    ctx.op_def = sim_router_lookup("DescribeLimits");
    sim_stream_ref st = {"s", 1, 0};
    sim_response resp = {0};
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(sim_sim_before_op(&ctx, NULL, &resp), SIM_HOOK_PROCEED);
        cr_assert_eq(sim_sim_write_record(&ctx, &st, 0, "k", 2 * 1024 * 1024, 0, NULL), 0);
        cr_assert_eq(sim_sim_read_begin(&ctx, &st, 0), 0);
        cr_assert_eq(sim_sim_iterator(&ctx, &st, 0), 0);
        sim_sim_after_op(&ctx, &resp);
    }
}

Test(throttle_options, parse_and_reject)
{
    sim_simulation_options o;
    sim_simulation_options_default(&o);
    cr_assert_eq(o.throttle, SIM_THROTTLE_AWS);
    cr_assert_float_eq(o.throttle_scale, 1.0, 1e-12);
    cr_assert_eq(o.clock, SIM_CLOCK_REAL);
    cr_assert_eq(o.max_creating, 5);
    char err[200];
    cr_assert_eq(sim_simulation_option_set(&o, "throttle-scale", "0.25", err, sizeof err), 0);
    cr_assert_float_eq(o.throttle_scale, 0.25, 1e-12);
    cr_assert_eq(sim_simulation_option_set(&o, "clock", "virtual", err, sizeof err), 0);
    cr_assert_eq(o.clock, SIM_CLOCK_VIRTUAL);
    cr_assert_eq(sim_simulation_option_set(&o, "seed", "18446744073709551615", err, sizeof err), 0);
    cr_assert_eq(o.seed, UINT64_MAX);
    cr_assert_eq(sim_simulation_option_set(&o, "faults", "/tmp/x.json", err, sizeof err), 0);
    cr_assert_str_eq(o.faults_path, "/tmp/x.json");
    cr_assert_eq(sim_simulation_option_set(&o, "max-creating", "0", err, sizeof err), 0);
    cr_assert_eq(o.max_creating, 0);

    cr_assert_eq(sim_simulation_option_set(&o, "throttle", "sometimes", err, sizeof err), -1);
    cr_assert_str_eq(err, "expected aws or off");
    cr_assert_eq(sim_simulation_option_set(&o, "throttle-scale", "0", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "throttle-scale", "-1", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "throttle-scale", "nan", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "throttle-scale", "2x", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "clock", "fast", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "seed", "-3", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "seed", "99999999999999999999999", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "max-creating", "-1", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "faults", "", err, sizeof err), -1);
    cr_assert_eq(sim_simulation_option_set(&o, "port", "1", err, sizeof err), 1, "not ours");
    cr_assert_not_null(sim_simulation_option_table[0].name);
}

Test(throttle_options, bad_faults_file_fails_creation)
{
    sim_simulation_options o;
    sim_simulation_options_default(&o);
    snprintf(o.faults_path, sizeof o.faults_path, "/nonexistent/h7-faults.json");
    char err[512] = "";
    cr_assert_null(sim_simulation_new(&o, err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/h7-faults.json") != NULL, "%s", err);
}
