/* conform_leaves_state.c: kinesis-conform is safe to point at anything (issue 14). Each test starts
 * a simulator of its own ($KINESIS_SIM_BIN) holding data the runner did not create: streams with
 * records, a moved clock, a changed configuration and a fault rule. Then it runs kinesis-conform
 * ($KINESIS_CONFORM_BIN, default build/kinesis-conform) against it and compares a snapshot taken
 * before with one taken after:
 *  - with the defaults, every stream (status, mode, shards, hash ranges, records), the clock (mode
 *    and offset), the configuration and the fault rules are exactly as they were, and the cases
 *    tagged exclusive are reported as skipped;
 *  - with --exclusive (the exclusive cases only, which reset every stream, move the clock and
 *    change the configuration), the clock, the configuration and the fault rules are put back.
 * Bounded: the simulator runs with control-plane limits off (the runner then need not pace) and
 * each run of kinesis-conform is killed after 240 s. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char sim_url[96];

static double now_s(void)
{
    return (double)tl_now_us() / 1e6;
}

static const char *bin(const char *var, const char *fallback)
{
    const char *b = getenv(var);
    return b && *b ? b : fallback;
}

static tl_sim sim;

static void sim_start(void)
{
    const char *args[] = {"--db",
                          ":memory:",
                          "--create-delay-ms",
                          "50",
                          "--delete-delay-ms",
                          "50",
                          "--update-delay-ms",
                          "50",
                          "--control-limits",
                          "off",
                          "--log-level",
                          "error",
                          NULL};
    tl_sim_options o = {.args = args, .stderr_path = "/dev/null"};
    cr_assert_eq(tl_sim_start(&sim, &o), 0, "kinesis-sim did not start: %s", sim.printed);
    snprintf(sim_url, sizeof sim_url, "%s", sim.url);
    setenv("KINESIS_SIM_ENDPOINT", sim_url, 1);
}

static void sim_stop(void)
{
    tl_sim_stop(&sim);
}

/* ---- requests ---- */

static json_t *control(const char *method, const char *path, const char *body)
{
    tl_response r;
    const char *hdr[] = {"Content-Type: application/json", NULL};
    cr_assert_eq(tl_raw(method, path, hdr, body, body ? strlen(body) : 0, &r), 0, "%s %s: no answer", method,
                 path);
    cr_assert_eq(r.status, 200, "%s %s: HTTP %ld %s", method, path, r.status, r.body);
    json_t *j = json_loads(r.body, 0, NULL);
    tl_response_free(&r);
    cr_assert_not_null(j, "%s %s: not JSON", method, path);
    return j;
}

static json_t *call(const char *op, json_t *in)
{
    long status = 0;
    json_t *out = tl_call_json(op, in, &status);
    json_decref(in);
    cr_assert_eq(status, 200, "%s: HTTP %ld", op, status);
    return out;
}

/* ---- the data the runner must leave alone ---- */

static void seed_data(void)
{
    static const struct {
        const char *name;
        int shards, records;
        const char *mode;
    } streams[] = {{"keep-orders", 2, 7, "PROVISIONED"},
                   {"keep-audit", 1, 3, "PROVISIONED"},
                   {"keep-events", 0, 2, "ON_DEMAND"}};
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        json_t *in = json_pack("{ss s{ss}}", "StreamName", streams[i].name, "StreamModeDetails", "StreamMode",
                               streams[i].mode);
        if (streams[i].shards)
            json_object_set_new(in, "ShardCount", json_integer(streams[i].shards));
        json_decref(call("CreateStream", in));
    }
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        cr_assert_eq(tl_wait_stream_status(streams[i].name, "ACTIVE", 10000), 0);
        for (int k = 0; k < streams[i].records; k++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            json_decref(call("PutRecord", json_pack("{ss ss ss}", "StreamName", streams[i].name, "Data",
                                                    "a2VlcA==", "PartitionKey", key)));
        }
    }
    json_decref(control("POST", "/_sim/clock", "{\"advance_ms\": 120000}"));
    json_decref(
        control("PUT", "/_sim/config", "{\"seed\": 4242, \"create_delay_ms\": 40, \"max_creating\": 50}"));
    json_decref(control("POST", "/_sim/faults",
                        "{\"name\": \"not the runner's\", \"match\": {\"operations\": [\"PutRecord\"], "
                        "\"stream\": \"keep-nothing\"}, \"when\": {\"nth\": 3}, \"effect\": {\"error\": "
                        "\"InternalFailure\"}}"));
}

/* Every stream with its shards and the number of records in each, as one JSON value. */
static json_t *snapshot_streams(void)
{
    json_t *all = json_object();
    json_t *list = call("ListStreams", json_pack("{si}", "Limit", 100));
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(list, "StreamNames"), i, name)
    {
        const char *n = json_string_value(name);
        json_t *sum = call("DescribeStreamSummary", json_pack("{ss}", "StreamName", n));
        json_t *d = json_object_get(sum, "StreamDescriptionSummary");
        json_t *one = json_pack("{sO sO sO}", "status", json_object_get(d, "StreamStatus"), "mode",
                                json_object_get(d, "StreamModeDetails"), "open_shards",
                                json_object_get(d, "OpenShardCount"));
        json_decref(sum);
        json_t *shards = call("ListShards", json_pack("{ss}", "StreamName", n));
        json_t *counts = json_object();
        size_t k;
        json_t *sh;
        json_array_foreach(json_object_get(shards, "Shards"), k, sh)
        {
            const char *id = json_string_value(json_object_get(sh, "ShardId"));
            json_t *it = call("GetShardIterator", json_pack("{ss ss ss}", "StreamName", n, "ShardId", id,
                                                            "ShardIteratorType", "TRIM_HORIZON"));
            json_t *recs =
                call("GetRecords", json_pack("{sO si}", "ShardIterator", json_object_get(it, "ShardIterator"),
                                             "Limit", 10000));
            json_object_set_new(counts, id,
                                json_integer((json_int_t)json_array_size(json_object_get(recs, "Records"))));
            json_decref(it);
            json_decref(recs);
        }
        json_object_set(one, "shards", json_object_get(shards, "Shards"));
        json_object_set_new(one, "records", counts);
        json_decref(shards);
        json_object_set_new(all, n, one);
    }
    json_decref(list);
    return all;
}

/* The clock's mode and offset (not its reading, which moves), the configuration, the fault rules
 * without their counters. */
static json_t *snapshot_shared(void)
{
    json_t *clock = control("GET", "/_sim/clock", NULL);
    json_object_del(clock, "now_ms");
    json_t *faults = control("GET", "/_sim/faults", NULL);
    json_t *rules = json_incref(json_object_get(faults, "rules"));
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        json_object_del(r, "calls");
        json_object_del(r, "fired");
    }
    json_decref(faults);
    return json_pack("{so so so}", "clock", clock, "config", control("GET", "/_sim/config", NULL),
                     "fault_rules", rules);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
}

/* Run kinesis-conform against our simulator with extra arguments; its output goes to out_path.
 * Returns its exit status (-1: killed after 240 s). */
static int run_conform(const char *const *extra, const char *out_path)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[16] = {bin("KINESIS_CONFORM_BIN", "build/kinesis-conform"), "--endpoint", sim_url};
        int n = 3;
        for (size_t i = 0; extra && extra[i] && n < 15; i++)
            argv[n++] = extra[i];
        argv[n] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    double t0 = now_s();
    while (waitpid(pid, &st, WNOHANG) == 0) {
        if (now_s() - t0 > 240) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* The FAIL lines and the closing line of a run's output, for a failure message. */
static void summary_of(const char *text, char *out, size_t len)
{
    size_t used = 0;
    out[0] = 0;
    for (const char *l = text; *l && used + 1 < len;) {
        const char *nl = strchr(l, '\n');
        size_t n = nl ? (size_t)(nl - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)n, l);
        if (!strncmp(line, "FAIL ", 5) || strstr(line, " passed, ") || !strncmp(line, "kinesis-conform:", 16))
            used += (size_t)snprintf(out + used, len - used, "%s\n", line);
        l += n + (nl != NULL);
    }
}

Test(conform_leaves_state, defaults_leave_every_stream_and_the_clock_as_they_were, .timeout = 300)
{
    sim_start();
    seed_data();
    json_t *streams0 = snapshot_streams(), *shared0 = snapshot_shared();
    cr_assert_eq(json_object_size(streams0), 3);
    char out_path[] = "/tmp/kinesis-conform-state-XXXXXX";
    int fd = mkstemp(out_path);
    cr_assert_geq(fd, 0);
    close(fd);

    int rc = run_conform((const char *const[]){"--jobs", "4", NULL}, out_path);
    char *out = read_all(out_path), tail[2048];
    summary_of(out, tail, sizeof tail);
    /* whether each case passes is ci/run-tests' kinesis-conform step; here: the run went through */
    cr_assert(rc == 0 || rc == 1, "kinesis-conform exited %d:\n%s", rc, tail);
    cr_assert(strstr(out, "skip sim/control-global/reset-all: exclusive:"), "exclusive cases are skipped: %s",
              tail);
    cr_assert(strstr(out, " skipped\n"), "the closing line counts the skipped cases: %s", tail);

    /* the runner deletes every stream it made; the last ones may still be DELETING (50 ms). Wait on
     * the names alone: a stream ListStreams shows as DELETING may be gone by the time it is
     * described, so the full snapshot is taken once only the seeded names are left. */
    for (double t0 = now_s(); now_s() - t0 < 10;) {
        json_t *list = call("ListStreams", json_pack("{si}", "Limit", 100));
        size_t n = json_array_size(json_object_get(list, "StreamNames"));
        json_decref(list);
        if (n == json_object_size(streams0))
            break;
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    json_t *streams1 = snapshot_streams();
    json_t *shared1 = snapshot_shared();
    char *a = dump(streams0), *b = dump(streams1), *c = dump(shared0), *d = dump(shared1);
    cr_assert_str_eq(b, a, "streams changed by the run:\nbefore %s\nafter  %s", a, b);
    cr_assert_str_eq(d, c, "clock, configuration or fault rules changed by the run");
    cr_assert(strstr(c, "\"offset_ms\":120000"), "the clock was moved before the run: %s", c);
    free(a);
    free(b);
    free(c);
    free(d);
    json_decref(streams0);
    json_decref(streams1);
    json_decref(shared0);
    json_decref(shared1);
    unlink(out_path);
    sim_stop();
}

Test(conform_leaves_state, exclusive_cases_put_clock_config_and_faults_back, .timeout = 300)
{
    sim_start();
    seed_data();
    json_t *shared0 = snapshot_shared();
    char out_path[] = "/tmp/kinesis-conform-state-XXXXXX";
    int fd = mkstemp(out_path);
    cr_assert_geq(fd, 0);
    close(fd);

    int rc = run_conform((const char *const[]){"--exclusive", "--tags", "exclusive", NULL}, out_path);
    char *out = read_all(out_path), tail[2048];
    summary_of(out, tail, sizeof tail);
    cr_assert_eq(rc, 0, "kinesis-conform exited %d:\n%s", rc, tail);
    cr_assert(strstr(out, "ok   sim/control-global/clock-set"), "%s", tail);

    json_t *shared1 = snapshot_shared();
    char *c = dump(shared0), *d = dump(shared1);
    cr_assert_str_eq(d, c, "the exclusive cases' changes were not all put back");
    free(c);
    free(d);
    json_decref(shared0);
    json_decref(shared1);
    unlink(out_path);
    sim_stop();
}
