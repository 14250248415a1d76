/* sim_startup.c: what kinesis-sim does at start (issue 14), each test with a simulator of its own
 * (tl_sim.c: $KINESIS_SIM_BIN, default build/kinesis-sim):
 *  - --create-stream NAME[:SHARDS[:MODE]] (repeatable) and KINESIS_SIM_CREATE_STREAMS create
 *    streams that are ACTIVE when the listening line appears, even with a long CREATING delay;
 *    with a file database an existing stream is kept, records and all;
 *  - an unknown KINESIS_SIM_* variable draws a warning naming it;
 *  - the debug log line of a failed request names the stream and the error;
 *  - a database in a missing directory is refused with one line that says the directory is
 *    missing and names the file once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

static tl_sim sim;
static char err_path[64];

/* Start kinesis-sim (tl_sim.c) with env ("NAME=value", NULL-terminated) and flags; its stderr goes
 * to err_path. Returns the port once the listening line is out, or 0 when it did not listen (then
 * *exit_code holds its exit code). */
static int sim_start(const char *const *env, const char *const *flags, int *exit_code)
{
    snprintf(err_path, sizeof err_path, "/tmp/kinesis-startup-%d.err", (int)getpid());
    int must_fail = exit_code != NULL;
    tl_sim_options o = {.env = env, .args = flags, .stderr_path = err_path, .no_wait = must_fail};
    if (tl_sim_start(&sim, &o) != 0)
        return 0;
    if (must_fail) {
        *exit_code = tl_sim_wait(&sim, 10000);
        return 0;
    }
    setenv("KINESIS_SIM_ENDPOINT", sim.url, 1);
    return sim.port;
}

static void sim_stop(void)
{
    tl_sim_stop(&sim);
}

static char *stderr_text(void)
{
    static char buf[65536];
    buf[0] = 0;
    FILE *f = fopen(err_path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

/* DescribeStreamSummary right away: status, mode and open shards. */
static void assert_stream(const char *name, const char *status, const char *mode, int shards)
{
    long st = 0;
    json_t *in = json_pack("{ss}", "StreamName", name);
    json_t *out = tl_call_json("DescribeStreamSummary", in, &st);
    json_decref(in);
    cr_assert_eq(st, 200, "%s: HTTP %ld", name, st);
    json_t *d = json_object_get(out, "StreamDescriptionSummary");
    cr_assert_str_eq(json_string_value(json_object_get(d, "StreamStatus")), status, "%s", name);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(d, "StreamModeDetails"), "StreamMode")), mode, "%s",
        name);
    cr_assert_eq(json_integer_value(json_object_get(d, "OpenShardCount")), shards, "%s", name);
    json_decref(out);
}

Test(sim_startup, create_stream_flags_are_active_at_the_listening_line, .timeout = 30)
{
    /* a minute of CREATING for any other stream: these must not wait for it */
    const char *flags[] = {
        "--db",     ":memory:",        "--create-delay-ms", "60000",           "--create-stream",
        "orders:3", "--create-stream", "events::ON_DEMAND", "--create-stream", "single",
        NULL};
    cr_assert_gt(sim_start(NULL, flags, NULL), 0, "did not start: %s", stderr_text());
    assert_stream("orders", "ACTIVE", "PROVISIONED", 3);
    assert_stream("events", "ACTIVE", "ON_DEMAND", 4);
    assert_stream("single", "ACTIVE", "PROVISIONED", 1);
    long st = 0;
    char *body = NULL;
    cr_assert_eq(tl_call("PutRecord", "{\"StreamName\":\"orders\",\"Data\":\"eA==\",\"PartitionKey\":\"k\"}",
                         &st, &body),
                 0);
    cr_assert_eq(st, 200, "writable at once: %s", body);
    free(body);
    sim_stop();
}

Test(sim_startup, create_streams_environment_variable, .timeout = 30)
{
    const char *env[] = {"KINESIS_SIM_CREATE_STREAMS=a:2,b:1:ON_DEMAND", NULL};
    const char *flags[] = {"--db", ":memory:", "--create-delay-ms", "60000", NULL};
    cr_assert_gt(sim_start(env, flags, NULL), 0, "did not start: %s", stderr_text());
    assert_stream("a", "ACTIVE", "PROVISIONED", 2);
    assert_stream("b", "ACTIVE", "ON_DEMAND", 4);
    sim_stop();
}

Test(sim_startup, a_file_database_keeps_an_existing_stream, .timeout = 30)
{
    char db[64];
    snprintf(db, sizeof db, "/tmp/kinesis-startup-%d.db", (int)getpid());
    unlink(db);
    const char *first[] = {"--db", db, "--create-stream", "keep:2", NULL};
    cr_assert_gt(sim_start(NULL, first, NULL), 0, "did not start: %s", stderr_text());
    long st = 0;
    char *body = NULL;
    cr_assert_eq(tl_call("PutRecord", "{\"StreamName\":\"keep\",\"Data\":\"eA==\",\"PartitionKey\":\"k\"}",
                         &st, &body),
                 0);
    cr_assert_eq(st, 200, "%s", body);
    free(body);
    sim_stop();

    const char *again[] = {"--db", db, "--create-stream", "keep:5", NULL};
    cr_assert_gt(sim_start(NULL, again, NULL), 0, "did not restart: %s", stderr_text());
    assert_stream("keep", "ACTIVE", "PROVISIONED", 2); /* not recreated with 5 shards */
    cr_assert(strstr(stderr_text(), "stream keep already exists"), "%s", stderr_text());
    json_t *in = json_pack("{ss}", "StreamName", "keep");
    json_t *shards = tl_call_json("ListShards", in, &st);
    json_decref(in);
    int records = 0;
    size_t i;
    json_t *sh;
    json_array_foreach(json_object_get(shards, "Shards"), i, sh)
    {
        json_t *q = json_pack("{ss sO ss}", "StreamName", "keep", "ShardId", json_object_get(sh, "ShardId"),
                              "ShardIteratorType", "TRIM_HORIZON");
        json_t *it = tl_call_json("GetShardIterator", q, &st);
        json_decref(q);
        q = json_pack("{sO}", "ShardIterator", json_object_get(it, "ShardIterator"));
        json_t *recs = tl_call_json("GetRecords", q, &st);
        records += (int)json_array_size(json_object_get(recs, "Records"));
        json_decref(q);
        json_decref(it);
        json_decref(recs);
    }
    json_decref(shards);
    cr_assert_eq(records, 1, "the record written before the restart is still there");
    sim_stop();
    char p[96];
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
}

Test(sim_startup, unknown_environment_variable_draws_a_warning, .timeout = 30)
{
    const char *env[] = {"KINESIS_SIM_PROT=4567", NULL};
    const char *flags[] = {"--db", ":memory:", NULL};
    cr_assert_gt(sim_start(env, flags, NULL), 0, "did not start: %s", stderr_text());
    sim_stop();
    const char *e = stderr_text();
    cr_assert(strstr(e, "warn: unknown environment variable(s) ignored: KINESIS_SIM_PROT"), "%s", e);
}

Test(sim_startup, debug_line_names_the_stream_and_the_error, .timeout = 30)
{
    const char *flags[] = {"--db", ":memory:", "--log-level", "debug", NULL};
    cr_assert_gt(sim_start(NULL, flags, NULL), 0, "did not start: %s", stderr_text());
    long st = 0;
    char *body = NULL;
    cr_assert_eq(tl_call("DescribeStreamSummary", "{\"StreamName\":\"no-such-stream\"}", &st, &body), 0);
    cr_assert_eq(st, 400);
    free(body);
    sim_stop();
    const char *e = stderr_text();
    cr_assert(strstr(e, "DescribeStreamSummary -> 400") &&
                  strstr(e, "stream no-such-stream error ResourceNotFoundException"),
              "%s", e);
}

Test(sim_startup, missing_directory_is_said_once, .timeout = 30)
{
    const char *flags[] = {"--db", "/tmp/kinesis-startup-no-such-dir/x/sim.db", NULL};
    int code = 0;
    cr_assert_eq(sim_start(NULL, flags, &code), 0, "must not start");
    cr_assert_eq(code, 1, "exit 1");
    const char *e = stderr_text();
    cr_assert(strstr(e, "the directory /tmp/kinesis-startup-no-such-dir/x does not exist"), "%s", e);
    const char *first = strstr(e, "sim.db");
    cr_assert(first && !strstr(first + 1, "sim.db"), "the file is named once: %s", e);
    int lines = 0;
    for (const char *c = e; *c; c++)
        lines += *c == '\n';
    cr_assert_eq(lines, 1, "one line: %s", e);
}
