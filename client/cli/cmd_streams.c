/* cmd_streams.c: the stream administration commands of `kinesis`: create-stream (waits until the
 * stream is ACTIVE unless --no-wait), delete-stream (--wait: until it is gone), describe-stream,
 * list-streams and list-shards (--format text|json), each a thin use of libkinesis's typed calls. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

#define DEFAULT_WAIT_MS 180000

/* The one positional NAME of a command (options were consumed by the caller's loop). */
static int need_name(const char *cmd, const char *name)
{
    if (!name)
        return cli_usage_error(cmd, "the stream NAME is missing");
    return CLI_OK;
}

/* Print {"<key>": value} indented; takes value. */
static void print_json_object(const char *key, json_t *value)
{
    json_t *o = json_object();
    if (o && value)
        json_object_set_new(o, key, value);
    else
        json_decref(value);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    if (text)
        puts(text);
    free(text);
    json_decref(o);
}

int cmd_create_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis create-stream NAME (--shards N | --on-demand) [--no-wait] [--timeout-ms MS]\n"
             "Create a stream with N shards (provisioned) or in on-demand mode, then wait until it is\n"
             "ACTIVE (polling every 250 ms, at most MS milliseconds, default 180000), so that the next\n"
             "command can use it. --no-wait returns at once, while the stream is still CREATING.\n"
             "--wait, the default, is accepted.");
        return CLI_OK;
    }
    const char *name = NULL, *shards = NULL, *timeout = NULL;
    int wait = 1, on_demand = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--shards", &shards)) != 0) {
            if (r < 0)
                return cli_usage_error(cmd, "--shards needs a number");
        } else if ((r = cli_opt(argc, argv, &i, "--timeout-ms", &timeout)) != 0) {
            if (r < 0)
                return cli_usage_error(cmd, "--timeout-ms needs a number");
        } else if (strcmp(argv[i], "--wait") == 0)
            wait = 1;
        else if (strcmp(argv[i], "--no-wait") == 0)
            wait = 0;
        else if (strcmp(argv[i], "--on-demand") == 0)
            on_demand = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (need_name(cmd, name))
        return CLI_USAGE;
    int64_t n = shards ? cli_parse_count(shards, 100000) : -1;
    if (!on_demand && n < 1)
        return cli_usage_error(cmd, "--shards N (N >= 1) or --on-demand is required");
    if (on_demand && shards)
        return cli_usage_error(cmd, "--shards and --on-demand exclude each other");
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 2) : DEFAULT_WAIT_MS;
    if (timeout_ms < 0)
        return cli_usage_error(cmd, "--timeout-ms needs a number");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_error *err = kinesis_create_stream(c, name, on_demand ? 0 : (int)n);
    if (!err && wait)
        err = kinesis_wait_for_stream_active(c, name, timeout_ms, 250);
    kinesis_client_free(c);
    return err ? cli_fail(err) : CLI_OK;
}

/* Poll DescribeStreamSummary every 250 ms until the stream is gone (ResourceNotFoundException). */
static kinesis_error *wait_deleted(kinesis_client *c, const char *name, int64_t timeout_ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        kinesis_stream_summary *sum = NULL;
        kinesis_error *err = kinesis_describe_stream_summary(c, name, &sum);
        kinesis_stream_summary_free(sum);
        if (err && err->type == KINESIS_ERROR_REQUEST_FAILED && err->name &&
            strcmp(err->name, "ResourceNotFoundException") == 0) {
            kinesis_error_free(err);
            return NULL;
        }
        if (err)
            return err;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t spent = (int64_t)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (spent >= timeout_ms)
            return kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TIMEOUT, 0,
                                     "stream %s still exists after %lld ms", name, (long long)timeout_ms);
        struct timespec pause = {0, 250 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

int cmd_delete_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis delete-stream NAME [--wait] [--timeout-ms MS]\n"
             "Delete a stream (and its consumers). It stays DELETING for a while; --wait polls every\n"
             "250 ms (at most MS milliseconds, default 180000) until it is gone.");
        return CLI_OK;
    }
    const char *name = NULL, *timeout = NULL;
    int wait = 0;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--timeout-ms", &timeout)) != 0) {
            if (r < 0)
                return cli_usage_error(cmd, "--timeout-ms needs a number");
        } else if (strcmp(argv[i], "--wait") == 0)
            wait = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (need_name(cmd, name))
        return CLI_USAGE;
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 2) : DEFAULT_WAIT_MS;
    if (timeout_ms < 0)
        return cli_usage_error(cmd, "--timeout-ms needs a number");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_error *err = kinesis_delete_stream(c, name);
    if (!err && wait)
        err = wait_deleted(c, name, timeout_ms);
    kinesis_client_free(c);
    return err ? cli_fail(err) : CLI_OK;
}

int cmd_describe_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts(
            "usage: kinesis describe-stream NAME\n"
            "Print the stream's DescribeStreamSummary answer as JSON, its numbers as the service sent them.");
        return CLI_OK;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(cmd, "expected exactly one stream NAME");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    json_t *req = json_pack("{s:s}", "StreamName", argv[1]);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    char *resp = NULL;
    kinesis_error *err = body ? kinesis_call(c, "DescribeStreamSummary", body, &resp)
                              : kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                                                  "the stream name is not valid UTF-8");
    free(body);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    cli_print_json(stdout, resp);
    free(resp);
    return CLI_OK;
}

/* The options of a listing command: --format text|json and at most one NAME (when name != NULL). */
static int listing_args(int argc, char **argv, const char **name, int *as_json)
{
    const char *cmd = argv[0], *format = "text";
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--format", &format)) != 0) {
            if (r < 0)
                return cli_usage_error(cmd, "--format needs text or json");
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (name && !*name)
            *name = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (name && need_name(cmd, *name))
        return CLI_USAGE;
    return cli_parse_format(cmd, format, "text", "json", as_json);
}

int cmd_list_streams(const cli_globals *g, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis list-streams [--format text|json]\n"
             "Print every stream name (ListStreams, all pages): text, one per line (the default), or json,\n"
             "{\"StreamNames\": [...]}.");
        return CLI_OK;
    }
    int as_json = 0;
    if (listing_args(argc, argv, NULL, &as_json))
        return CLI_USAGE;
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_string_list *l = NULL;
    kinesis_error *err = kinesis_list_streams(c, &l);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    if (as_json) {
        json_t *names = json_array();
        for (size_t i = 0; names && i < l->count; i++)
            json_array_append_new(names, json_string(l->items[i]));
        print_json_object("StreamNames", names);
    } else {
        for (size_t i = 0; i < l->count; i++)
            puts(l->items[i]);
    }
    kinesis_string_list_free(l);
    return CLI_OK;
}

int cmd_list_shards(const cli_globals *g, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis list-shards NAME [--format text|json]\n"
             "Print every shard (ListShards, all pages). text (the default): one per line, tab-separated:\n"
             "SHARD_ID  OPEN|CLOSED  STARTING_HASH_KEY  ENDING_HASH_KEY  PARENT (or -)  ADJACENT_PARENT (or "
             "-)\n"
             "json: {\"Shards\": [...]} with ListShards' fields.");
        return CLI_OK;
    }
    const char *name = NULL;
    int as_json = 0;
    if (listing_args(argc, argv, &name, &as_json))
        return CLI_USAGE;
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_shard_list *l = NULL;
    kinesis_error *err = kinesis_get_shards(c, name, &l);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    json_t *shards = as_json ? json_array() : NULL;
    for (size_t i = 0; i < l->count; i++) {
        const kinesis_shard *s = &l->shards[i];
        if (as_json) {
            json_t *range = json_pack("{s:s}", "StartingSequenceNumber", s->starting_sequence_number);
            if (range && s->ending_sequence_number)
                json_object_set_new(range, "EndingSequenceNumber", json_string(s->ending_sequence_number));
            json_t *o = json_pack("{s:s}", "ShardId", s->shard_id);
            if (o && s->parent_shard_id)
                json_object_set_new(o, "ParentShardId", json_string(s->parent_shard_id));
            if (o && s->adjacent_parent_shard_id)
                json_object_set_new(o, "AdjacentParentShardId", json_string(s->adjacent_parent_shard_id));
            if (o)
                json_object_set_new(o, "HashKeyRange",
                                    json_pack("{s:s, s:s}", "StartingHashKey", s->starting_hash_key,
                                              "EndingHashKey", s->ending_hash_key));
            if (o && range)
                json_object_set(o, "SequenceNumberRange", range);
            json_decref(range);
            json_array_append_new(shards, o);
        } else {
            printf("%s\t%s\t%s\t%s\t%s\t%s\n", s->shard_id, s->ending_sequence_number ? "CLOSED" : "OPEN",
                   s->starting_hash_key, s->ending_hash_key, s->parent_shard_id ? s->parent_shard_id : "-",
                   s->adjacent_parent_shard_id ? s->adjacent_parent_shard_id : "-");
        }
    }
    if (as_json)
        print_json_object("Shards", shards);
    kinesis_shard_list_free(l);
    return CLI_OK;
}
