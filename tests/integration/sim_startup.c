/* sim_startup.c: what kinesis-sim does at start (issue 14), each test with a simulator of its own
 * ($KINESIS_SIM_BIN, default build/kinesis-sim):
 *  - --create-stream NAME[:SHARDS[:MODE]] (repeatable) and KINESIS_SIM_CREATE_STREAMS create
 *    streams that are ACTIVE when the listening line appears, even with a long CREATING delay;
 *    with a file database an existing stream is kept, records and all;
 *  - an unknown KINESIS_SIM_* variable draws a warning naming it;
 *  - the debug log line of a failed request names the stream and the error;
 *  - a database in a missing directory is refused with one line that says the directory is
 *    missing and names the file once. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static pid_t sim_pid;
static char err_path[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start kinesis-sim with env ("NAME=value", NULL-terminated) and flags; its stderr goes to
 * err_path. Returns the port once the listening line is out, or 0 when it exited first (then
 * *exit_status holds its status). */
static int sim_start(const char *const *env, const char *const *flags, int *exit_status)
{
    snprintf(err_path, sizeof err_path, "/tmp/kinesis-startup-%d.err", (int)getpid());
    int out[2];
    cr_assert_eq(pipe(out), 0);
    sim_pid = fork();
    cr_assert_neq(sim_pid, -1);
    if (sim_pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            dup2(fd, 2);
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        const char *b = getenv("KINESIS_SIM_BIN");
        const char *argv[32] = {b && *b ? b : "build/kinesis-sim", "--host", "127.0.0.1", "--port", "0"};
        int n = 5;
        for (size_t i = 0; flags && flags[i] && n < 31; i++)
            argv[n++] = flags[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    char buf[1024];
    size_t len = 0;
    int port = 0;
    double t0 = now_s();
    while (!port && now_s() - t0 < 10 && len < sizeof buf - 1) {
        struct pollfd p = {out[0], POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(out[0], buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        const char *l = strstr(buf, "listening on http://127.0.0.1:");
        if (l && strchr(l, '\n'))
            port = atoi(l + strlen("listening on http://127.0.0.1:"));
    }
    close(out[0]);
    if (!port) {
        int st = 0;
        for (int i = 0; i < 200 && waitpid(sim_pid, &st, WNOHANG) == 0; i++) {
            struct timespec ts = {0, 50 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (exit_status)
            *exit_status = st;
        sim_pid = 0;
        return 0;
    }
    static char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    setenv("KINESIS_SIM_ENDPOINT", url, 1);
    return port;
}

static void sim_stop(void)
{
    if (sim_pid > 0) {
        kill(sim_pid, SIGTERM);
        waitpid(sim_pid, NULL, 0);
        sim_pid = 0;
    }
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
    int st = 0;
    cr_assert_eq(sim_start(NULL, flags, &st), 0, "must not start");
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit 1");
    const char *e = stderr_text();
    cr_assert(strstr(e, "the directory /tmp/kinesis-startup-no-such-dir/x does not exist"), "%s", e);
    const char *first = strstr(e, "sim.db");
    cr_assert(first && !strstr(first + 1, "sim.db"), "the file is named once: %s", e);
    int lines = 0;
    for (const char *c = e; *c; c++)
        lines += *c == '\n';
    cr_assert_eq(lines, 1, "one line: %s", e);
}
