/* cmd_subscribe.c: `kinesis subscribe CONSUMER_ARN SHARD_ID`: enhanced fan-out from the command
 * line. It subscribes to one shard (kinesis_subscribe_to_shard) and prints records as they are
 * pushed, like `tail` does for polling, until interrupted, N records were printed, MS milliseconds
 * passed or the service ended the stream (its 5-minute lifetime, or the end of a closed shard).
 * The consumer is registered beforehand, e.g. with `kinesis call RegisterStreamConsumer`. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

int cmd_subscribe(const cli_globals *g, int argc, char **argv);

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct sub_state {
    const char *shard_id;
    int as_json;
    int64_t max_records, seen;
    int ended;
    kinesis_error *err;
} sub_state;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_event(kinesis_subscribe_event *ev, void *user)
{
    sub_state *s = user;
    for (size_t i = 0; i < ev->count && (s->max_records == 0 || s->seen < s->max_records); i++, s->seen++)
        cli_print_record(s->shard_id, &ev->records[i], s->as_json);
    fflush(stdout);
    if (!ev->continuation_sequence_number && ev->n_child_shards) {
        fprintf(stderr, "kinesis subscribe: shard %s is closed; its children:", s->shard_id);
        for (size_t i = 0; i < ev->n_child_shards; i++)
            fprintf(stderr, " %s", ev->child_shards[i].shard_id);
        fputc('\n', stderr);
    }
    kinesis_subscribe_event_free(ev);
}

static void on_error(kinesis_error *err, void *user)
{
    sub_state *s = user;
    s->err = err;
    s->ended = 1;
}

static void on_end(void *user)
{
    ((sub_state *)user)->ended = 1;
}

int cmd_subscribe(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts(
            "usage: kinesis subscribe CONSUMER_ARN SHARD_ID [--from TYPE [--sequence-number S | --timestamp "
            "T]]\n"
            "                         [--format raw|json] [--max-records N] [--timeout-ms MS]\n"
            "Subscribe the registered consumer to the shard (SubscribeToShard, enhanced fan-out) and print\n"
            "records as the service pushes them, until interrupted (Ctrl-C), N records were printed, MS\n"
            "milliseconds passed, or the service ended the stream. TYPE (any case, '-' for '_';\n"
            "--iterator-type is the same option): LATEST (the default), TRIM_HORIZON, AT_SEQUENCE_NUMBER or\n"
            "AFTER_SEQUENCE_NUMBER (with --sequence-number), AT_TIMESTAMP (with --timestamp: epoch seconds\n"
            "or ISO 8601), as for get.");
        return CLI_OK;
    }
    const char *arn = NULL, *shard = NULL, *from = "LATEST", *format = "raw", *max = NULL, *timeout = NULL,
               *seq = NULL, *ts = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--from", &from)) ||
            (r = cli_opt(argc, argv, &i, "--iterator-type", &from)) ||
            (r = cli_opt(argc, argv, &i, "--sequence-number", &seq)) ||
            (r = cli_opt(argc, argv, &i, "--timestamp", &ts)) ||
            (r = cli_opt(argc, argv, &i, "--format", &format)) ||
            (r = cli_opt(argc, argv, &i, "--max-records", &max)) ||
            (r = cli_opt(argc, argv, &i, "--timeout-ms", &timeout))) {
            if (r < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        } else if (!arn) {
            arn = argv[i];
        } else if (!shard) {
            shard = argv[i];
        } else {
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        }
    }
    if (!arn || !shard)
        return cli_usage_error(cmd, "CONSUMER_ARN and SHARD_ID are required");
    kinesis_starting_position pos;
    if (cli_parse_position(cmd, from, seq, ts, &pos))
        return CLI_USAGE;
    sub_state s = {.shard_id = shard};
    s.as_json = strcmp(format, "json") == 0;
    if (!s.as_json && strcmp(format, "raw") != 0)
        return cli_usage_error(cmd, "--format must be raw or json");
    s.max_records = max ? cli_parse_count(max, INT64_MAX / 2) : 0;
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 4) : 0;
    if (s.max_records < 0 || timeout_ms < 0)
        return cli_usage_error(cmd, "--max-records and --timeout-ms take a number");

    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_subscribe_callbacks cb = {on_event, on_error, on_end, &s};
    kinesis_subscription *sub = kinesis_subscribe_to_shard(c, arn, shard, &pos, &cb);
    if (!sub) {
        kinesis_client_free(c);
        return cli_fail(kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_NO_MEMORY, 0, "out of memory"));
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t deadline = timeout_ms ? mono_ms() + timeout_ms : 0;
    while (!stop_requested && !s.ended && (s.max_records == 0 || s.seen < s.max_records) &&
           (deadline == 0 || mono_ms() < deadline))
        kinesis_client_run(c, 100);
    kinesis_subscription_free(sub);
    kinesis_client_free(c);
    return s.err ? cli_fail(s.err) : CLI_OK;
}
