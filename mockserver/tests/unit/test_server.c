/* test_server.c: the server module (server/server.c): group commit as the front doors use it
 * (sim_server_dispatch holds answers that acknowledge changes, sim_server_commit makes them
 * durable), --bench-null-answer (PutRecord answered without routing, everything else routed) and
 * the background passes that delete a deleted stream's records (sim_server_background). */
#include <criterion/criterion.h>
#include <string.h>

#include "dispatch/router.h"
#include "ops_fixture.h"
#include "server/server.h"
#include "store/store.h"

#define AUTH                                                                                                 \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kinesis/aws4_request, "                      \
    "SignedHeaders=host;x-amz-date, Signature=abc123"

static sim_server srv;
static sim_header hdrs[4];
static sim_request req;
static sim_response resp;

static void start(int null_answer)
{
    sim_config c;
    fx_config(&c, "000000000000");
    c.sim.throttle = SIM_THROTTLE_OFF;
    c.create_delay_ms = 0;
    c.bench_null_answer = null_answer;
    fx_server(&srv, &c);
}

static void stop(void)
{
    sim_response_clean_up(&resp);
    sim_server_clean_up(&srv);
}

/* Route one operation call through the server; returns what sim_server_dispatch said (hold). */
static int call(const char *op, const char *body)
{
    static char target[96];
    snprintf(target, sizeof target, "Kinesis_20131202.%s", op);
    hdrs[0] = (sim_header){"Content-Type", "application/x-amz-json-1.1"};
    hdrs[1] = (sim_header){"X-Amz-Target", target};
    hdrs[2] = (sim_header){"Authorization", AUTH};
    hdrs[3] = (sim_header){"X-Amz-Date", "20150830T123600Z"};
    memset(&req, 0, sizeof req);
    req.method = "POST";
    req.path = "/";
    req.headers = hdrs;
    req.n_headers = 4;
    req.body = (const uint8_t *)body;
    req.body_len = strlen(body);
    sim_response_clean_up(&resp);
    return sim_server_dispatch(&srv, &req, &resp);
}

static int body_has(const char *text)
{
    return resp.body && strstr((const char *)resp.body, text) != NULL;
}

Test(server, a_write_is_held_until_its_batch_commits)
{
    start(0);
    cr_assert_eq(call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":1}"), 1, "a write is held");
    cr_assert_eq(resp.status, 200);
    cr_assert(store_batch_is_open(srv.store));
    /* a read of the batch's own change is held too: it must not be seen before it is durable */
    cr_assert_eq(call("ListStreams", "{}"), 1);
    cr_assert(body_has("\"s\""), "%.*s", (int)resp.body_len, resp.body);
    sim_error_code err;
    char msg[256];
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0);
    cr_assert_not(store_batch_is_open(srv.store));
    /* nothing changed since: a read may leave at once */
    cr_assert_eq(call("ListStreams", "{}"), 0);
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0, "nothing to commit is fine");
    stop();
}

Test(server, a_failed_call_is_not_held)
{
    start(0);
    cr_assert_eq(call("PutRecord", "{\"StreamName\":\"none\",\"PartitionKey\":\"k\",\"Data\":\"eA==\"}"), 0);
    cr_assert_eq(resp.status, 400);
    cr_assert(body_has("ResourceNotFoundException"));
    stop();
}

Test(server, bench_null_answer_answers_put_record_without_routing_it)
{
    start(1);
    /* no such stream, yet a PutRecord-shaped 200, and nothing is held or stored */
    cr_assert_eq(call("PutRecord", "{\"StreamName\":\"none\",\"PartitionKey\":\"k\",\"Data\":\"eA==\"}"), 0);
    cr_assert_eq(resp.status, 200);
    cr_assert(body_has("\"SequenceNumber\"") && body_has("\"ShardId\""), "%.*s", (int)resp.body_len,
              resp.body);
    cr_assert_not(store_batch_dirty(srv.store));
    /* every other operation is routed as usual */
    cr_assert_eq(call("PutRecords",
                      "{\"StreamName\":\"none\",\"Records\":[{\"PartitionKey\":\"k\",\"Data\":\"eA==\"}]}"),
                 0);
    cr_assert_eq(resp.status, 400);
    cr_assert(body_has("ResourceNotFoundException"));
    stop();
}

/* DeleteStream answers with the stream gone and its records left; each background pass (between
 * batches, none open) deletes at most SIM_PURGE_BATCH_ROWS of them and says whether more are left. */
Test(server, background_passes_delete_a_deleted_streams_records_a_batch_at_a_time)
{
    start(0);
    srv.cfg.delete_delay_ms = 0;
    sim_error_code err;
    char msg[256];
    cr_assert_eq(call("CreateStream", "{\"StreamName\":\"s\",\"ShardCount\":2}"), 1);
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0);
    cr_assert_eq(sim_server_background(&srv), 0, "nothing to do");
    store_stream st;
    cr_assert_eq(store_stream_get(srv.store, "000000000000", srv.cfg.region, "s", &st), 0);
    /* SIM_PURGE_BATCH_ROWS + 904 records, by PutRecords of 500 */
    const int total = SIM_PURGE_BATCH_ROWS + 904;
    static char body[500 * 48 + 64];
    for (int done = 0; done < total; done += 500) {
        int n = total - done < 500 ? total - done : 500;
        size_t len = (size_t)snprintf(body, sizeof body, "{\"StreamName\":\"s\",\"Records\":[");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(body + len, sizeof body - len,
                                    "%s{\"PartitionKey\":\"k%d\",\"Data\":\"eA==\"}", i ? "," : "", done + i);
        snprintf(body + len, sizeof body - len, "]}");
        cr_assert_eq(call("PutRecords", body), 1);
        cr_assert(body_has("\"FailedRecordCount\":0"), "%.*s", (int)resp.body_len, resp.body);
    }
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0);
    int64_t n0, n1;
    cr_assert_eq(store_records_count(srv.store, st.id, 0, &n0), 0);
    cr_assert_eq(store_records_count(srv.store, st.id, 1, &n1), 0);
    cr_assert_eq(n0 + n1, total);

    cr_assert_eq(call("DeleteStream", "{\"StreamName\":\"s\"}"), 1);
    cr_assert_eq(resp.status, 200);
    cr_assert_eq(sim_server_background(&srv), 0, "no pass while a batch is open");
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0);
    cr_assert_eq(call("DescribeStreamSummary", "{\"StreamName\":\"s\"}"), 0);
    cr_assert(body_has("ResourceNotFoundException"), "the stream is gone at once");
    cr_assert_eq(store_records_count(srv.store, st.id, 0, &n0), 0);
    cr_assert_eq(store_records_count(srv.store, st.id, 1, &n1), 0);
    cr_assert_eq(n0 + n1, total, "its records are not, yet");
    cr_assert_eq(sim_server_commit(&srv, &err, msg, sizeof msg), 0); /* the pass ends */

    cr_assert_eq(sim_server_background(&srv), 1);
    cr_assert_eq(store_records_count(srv.store, st.id, 0, &n0), 0);
    cr_assert_eq(store_records_count(srv.store, st.id, 1, &n1), 0);
    cr_assert_eq(n0 + n1, 904, "one pass took one batch");
    cr_assert_eq(sim_server_background(&srv), 1);
    cr_assert_eq(store_records_count(srv.store, st.id, 0, &n0), 0);
    cr_assert_eq(store_records_count(srv.store, st.id, 1, &n1), 0);
    cr_assert_eq(n0 + n1, 0);
    cr_assert_eq(sim_server_background(&srv), 0, "and then there is nothing left to do");
    stop();
}
