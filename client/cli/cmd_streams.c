/* cmd_streams.c: the stream administration commands of `kinesis`: create-stream, delete-stream,
 * describe-stream, list-streams and list-shards, each a thin use of libkinesis's typed calls. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

/* The one positional NAME of a command (options were consumed by the caller's loop). */
static int need_name(const char *cmd, const char *name)
{
    if (!name)
        return cli_usage_error(cmd, "the stream NAME is missing");
    return CLI_OK;
}

int cmd_create_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis create-stream NAME (--shards N | --on-demand) [--wait] [--timeout-ms MS]\n"
             "Create a stream with N shards (provisioned) or in on-demand mode; --wait polls until it is "
             "ACTIVE.");
        return CLI_OK;
    }
    const char *name = NULL, *shards = NULL, *timeout = NULL;
    int wait = 0, on_demand = 0;
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
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 2) : 0;
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

int cmd_delete_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis delete-stream NAME\nDelete a stream (and its consumers).");
        return CLI_OK;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(cmd, "expected exactly one stream NAME");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_error *err = kinesis_delete_stream(c, argv[1]);
    kinesis_client_free(c);
    return err ? cli_fail(err) : CLI_OK;
}

int cmd_describe_stream(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis describe-stream NAME\nPrint the stream's DescribeStreamSummary answer as JSON.");
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

int cmd_list_streams(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis list-streams\nPrint every stream name, one per line (all pages).");
        return CLI_OK;
    }
    if (argc != 1)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[1]);
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_string_list *l = NULL;
    kinesis_error *err = kinesis_list_streams(c, &l);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    for (size_t i = 0; i < l->count; i++)
        puts(l->items[i]);
    kinesis_string_list_free(l);
    return CLI_OK;
}

int cmd_list_shards(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis list-shards NAME\n"
             "Print every shard (ListShards, all pages), one per line, tab-separated:\n"
             "SHARD_ID  OPEN|CLOSED  STARTING_HASH_KEY  ENDING_HASH_KEY  PARENT (or -)  ADJACENT_PARENT (or "
             "-)");
        return CLI_OK;
    }
    if (argc != 2 || argv[1][0] == '-')
        return cli_usage_error(cmd, "expected exactly one stream NAME");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_shard_list *l = NULL;
    kinesis_error *err = kinesis_get_shards(c, argv[1], &l);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    for (size_t i = 0; i < l->count; i++) {
        const kinesis_shard *s = &l->shards[i];
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", s->shard_id, s->ending_sequence_number ? "CLOSED" : "OPEN",
               s->starting_hash_key, s->ending_hash_key, s->parent_shard_id ? s->parent_shard_id : "-",
               s->adjacent_parent_shard_id ? s->adjacent_parent_shard_id : "-");
    }
    kinesis_shard_list_free(l);
    return CLI_OK;
}
