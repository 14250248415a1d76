/* cmd_tail.c: `kinesis tail NAME`: follow every shard of a stream like `tail -f`, printing records
 * as they arrive, until interrupted (or --max-records/--timeout-ms). It is the CLI's use of
 * libkinesis's consumer (kinesis_consumer): shards are followed through resharding (parents before
 * children), KPL-aggregated records are printed as the user records inside them, --checkpoint FILE
 * keeps the position in a file (a later tail with the same file resumes after the last record
 * printed) and --efo CONSUMER_NAME reads through enhanced fan-out (SubscribeToShard) instead of
 * GetRecords. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct tail_state {
    int as_json;
    int checkpointing;
    int64_t max_records, seen;
    kinesis_error *fatal;
} tail_state;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One user record: raw data + newline, or a JSON line (with SubSequenceNumber when it came out of an
 * aggregated record). */
static void print_user_record(const char *shard_id, const kinesis_user_record *u, int as_json)
{
    if (!as_json) {
        fwrite(u->data, 1, u->data_len, stdout);
        fputc('\n', stdout);
        return;
    }
    char *b64 = malloc(4 * ((u->data_len + 2) / 3) + 1);
    if (!b64)
        return;
    int n = u->data_len ? EVP_EncodeBlock((unsigned char *)b64, u->data, (int)u->data_len) : 0;
    b64[n < 0 ? 0 : n] = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s}", "ShardId", shard_id ? shard_id : "", "SequenceNumber",
                          u->sequence_number ? u->sequence_number : "", "PartitionKey",
                          u->partition_key ? u->partition_key : "", "ApproximateArrivalTimestamp",
                          (double)u->arrival_ms / 1000.0, "Data", b64);
    if (o && u->aggregated)
        json_object_set_new(o, "SubSequenceNumber", json_integer((json_int_t)u->sub_sequence_number));
    if (o && u->explicit_hash_key)
        json_object_set_new(o, "ExplicitHashKey", json_string(u->explicit_hash_key));
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
    if (line)
        printf("%s\n", line);
    free(line);
    json_decref(o);
    free(b64);
}

static void on_batch(const kinesis_consumer_batch *b, void *user)
{
    tail_state *t = user;
    size_t i = 0;
    for (; i < b->count && (t->max_records == 0 || t->seen < t->max_records); i++) {
        print_user_record(b->shard_id, &b->records[i], t->as_json);
        t->seen++;
    }
    fflush(stdout);
    if (!t->checkpointing || i == 0)
        return;
    /* Checkpoint what was printed: the whole batch, or up to the last record printed (whole when no
     * sub-record of its Kinesis record is left unprinted). */
    if (i == b->count) {
        kinesis_consumer_checkpoint(b);
    } else {
        const kinesis_user_record *last = &b->records[i - 1];
        int whole = strcmp(b->records[i].sequence_number, last->sequence_number) != 0;
        kinesis_consumer_checkpoint_at(b->consumer, b->shard_id, last->sequence_number,
                                       last->sub_sequence_number, whole);
    }
}

static void on_error(const char *shard_id, kinesis_error *err, void *user)
{
    tail_state *t = user;
    (void)shard_id;
    if (!t->fatal)
        t->fatal = err;
    else
        kinesis_error_free(err);
}

int cmd_tail(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts(
            "usage: kinesis tail NAME [--from TYPE [--timestamp T]] [--format raw|json] [--interval-ms MS]\n"
            "                    [--max-records N] [--timeout-ms MS] [--checkpoint FILE] [--efo "
            "CONSUMER_NAME]\n"
            "Follow every shard of the stream and print records as they arrive, until interrupted\n"
            "(Ctrl-C), N records were printed, or MS milliseconds passed. Follows resharding (a child shard\n"
            "is read after its parents) and prints the user records inside KPL-aggregated records. TYPE\n"
            "(any case, '-' for '_'; --iterator-type is the same option): LATEST (the default),\n"
            "TRIM_HORIZON or AT_TIMESTAMP (with --timestamp: epoch seconds or ISO 8601).\n"
            "--checkpoint FILE saves the position after every batch printed and resumes from it (shards\n"
            "without one start at --from). --efo CONSUMER_NAME reads through enhanced fan-out, registering\n"
            "the consumer when needed. Default --interval-ms 1000 (the wait after an empty read).");
        return CLI_OK;
    }
    const char *name = NULL, *from = "LATEST", *format = "raw", *interval = NULL, *max = NULL,
               *timeout = NULL, *seq = NULL, *ts = NULL, *ckpt = NULL, *efo = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--from", &from)) ||
            (r = cli_opt(argc, argv, &i, "--iterator-type", &from)) ||
            (r = cli_opt(argc, argv, &i, "--sequence-number", &seq)) ||
            (r = cli_opt(argc, argv, &i, "--timestamp", &ts)) ||
            (r = cli_opt(argc, argv, &i, "--format", &format)) ||
            (r = cli_opt(argc, argv, &i, "--interval-ms", &interval)) ||
            (r = cli_opt(argc, argv, &i, "--max-records", &max)) ||
            (r = cli_opt(argc, argv, &i, "--timeout-ms", &timeout)) ||
            (r = cli_opt(argc, argv, &i, "--checkpoint", &ckpt)) ||
            (r = cli_opt(argc, argv, &i, "--efo", &efo))) {
            if (r < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (!name)
        return cli_usage_error(cmd, "the stream NAME is missing");
    tail_state t = {0};
    kinesis_starting_position pos;
    if (cli_parse_position(cmd, from, seq, ts, &pos))
        return CLI_USAGE;
    if (pos.type == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER || pos.type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER)
        return cli_usage_error(cmd,
                               "tail reads every shard, and a sequence number belongs to one: use LATEST, "
                               "TRIM_HORIZON or AT_TIMESTAMP (or get/subscribe for one shard)");
    kinesis_consumer_options co = {0};
    co.initial_position = pos.type;
    co.initial_timestamp_ms = pos.timestamp_ms;
    if (cli_parse_format(cmd, format, "raw", "json", &t.as_json))
        return CLI_USAGE;
    int64_t interval_ms = interval ? cli_parse_count(interval, 3600000) : 1000;
    t.max_records = max ? cli_parse_count(max, INT64_MAX / 2) : 0;
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 4) : 0;
    if (interval_ms < 0 || t.max_records < 0 || timeout_ms < 0)
        return cli_usage_error(cmd, "--interval-ms, --max-records and --timeout-ms take a number");
    if (efo && !*efo)
        return cli_usage_error(cmd, "--efo needs a consumer name");
    co.idle_interval_ms = interval_ms > 0 ? interval_ms : 1;
    co.shard_sync_ms = 5000;
    if (efo) {
        co.mode = KINESIS_CONSUMER_FANOUT;
        co.consumer_name = efo;
    }
    kinesis_error *err = NULL;
    if (ckpt) {
        co.checkpoints = kinesis_checkpoint_store_file(ckpt, &err);
        if (!co.checkpoints)
            return cli_fail(err);
        t.checkpointing = 1;
    }
    kinesis_client *c = cli_client(g);
    if (!c) {
        kinesis_checkpoint_store_free(co.checkpoints);
        return CLI_ERROR;
    }
    kinesis_consumer_callbacks cb = {on_batch, NULL, on_error, &t};
    kinesis_consumer *k = kinesis_consumer_new(c, name, &co, &cb, &err);
    if (!k) {
        kinesis_client_free(c);
        return cli_fail(err);
    }
    if ((err = kinesis_consumer_start(k)) != NULL) {
        kinesis_consumer_free(k);
        kinesis_client_free(c);
        return cli_fail(err);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t deadline = timeout_ms ? mono_ms() + timeout_ms : 0;
    while (!stop_requested && !t.fatal && (t.max_records == 0 || t.seen < t.max_records) &&
           (deadline == 0 || mono_ms() < deadline))
        kinesis_client_run(c, 100);
    kinesis_consumer_free(k); /* drops calls still in flight */
    kinesis_client_free(c);
    return t.fatal ? cli_fail(t.fatal) : CLI_OK;
}
