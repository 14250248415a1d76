/* main.c: the `kinesis` command line: global options (--endpoint, --region, --profile, --debug),
 * the command table, and the helpers every command uses (client creation, error printing,
 * option parsing, JSON and record printing). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("usage: kinesis [--endpoint URL] [--region R] [--profile P] [--debug] COMMAND [ARGS]\n"
          "\n"
          "A command line client for Amazon Kinesis Data Streams and kinesis-sim (libkinesis).\n"
          "\n"
          "commands:\n"
          "  create-stream NAME --shards N [--on-demand] [--wait]   create a stream\n"
          "  delete-stream NAME                                     delete a stream\n"
          "  describe-stream NAME                                   DescribeStreamSummary, as JSON\n"
          "  list-streams                                           every stream name\n"
          "  list-shards NAME                                       every shard, closed ones too\n"
          "  put NAME --partition-key K (DATA | --file F | stdin)   write records (stdin: one per line)\n"
          "  get NAME --shard ID --iterator-type T [--limit N]      read one batch from a shard\n"
          "  tail NAME [--from latest|trim-horizon]                 follow every shard until interrupted\n"
          "  subscribe CONSUMER_ARN SHARD_ID [--from P]            enhanced fan-out: print pushed records\n"
          "  call OPERATION [JSON|-]                                any operation, JSON in and out\n"
          "  sign --context F --request F                           show how a raw request is signed\n"
          "\n"
          "global options:\n"
          "  --endpoint URL   e.g. http://127.0.0.1:4567 (default https://kinesis.REGION.amazonaws.com)\n"
          "  --region R       default AWS_REGION, AWS_DEFAULT_REGION (us-east-1 with --endpoint)\n"
          "  --profile P      profile of ~/.aws/credentials (default: AWS_ACCESS_KEY_ID/... or AWS_PROFILE)\n"
          "  --debug          print every request and answer on stderr\n"
          "\n"
          "'kinesis COMMAND --help' describes a command. Exit status: 0 ok, 1 error, 2 bad usage.\n",
          f);
}

kinesis_client *cli_client(const cli_globals *g)
{
    kinesis_client_options o = {0};
    o.endpoint = g->endpoint;
    o.region = g->region;
    o.profile = g->profile;
    o.user_agent = "kinesis-cli";
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    if (!c) {
        cli_fail(err);
        return NULL;
    }
    kinesis_set_debug(c, g->debug);
    return c;
}

int cli_fail(kinesis_error *err)
{
    if (!err) {
        fprintf(stderr, "kinesis: OutOfMemory: out of memory\n");
        return CLI_ERROR;
    }
    fprintf(stderr, "kinesis: %s: %s", err->name ? err->name : "Error", err->message ? err->message : "");
    if (err->http_status)
        fprintf(stderr, " (HTTP %d", err->http_status);
    if (err->http_status && err->request_id)
        fprintf(stderr, ", request id %s", err->request_id);
    if (err->http_status)
        fputc(')', stderr);
    if (err->attempts > 1)
        fprintf(stderr, " after %d attempts", err->attempts);
    fputc('\n', stderr);
    kinesis_error_free(err);
    return CLI_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kinesis %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'kinesis %s --help')\n", cmd);
    return CLI_USAGE;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *value = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

int64_t cli_parse_count(const char *s, int64_t max)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0 || v > max || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return -1;
    return (int64_t)v;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

void cli_print_json(FILE *f, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    fprintf(f, "%s\n", pretty ? pretty : text);
    free(pretty);
    json_decref(j);
}

void cli_print_record(const char *shard_id, const kinesis_read_record *r, int format_json)
{
    if (!format_json) {
        fwrite(r->data, 1, r->data_len, stdout);
        fputc('\n', stdout);
        return;
    }
    char *b64 = malloc(4 * ((r->data_len + 2) / 3) + 1);
    if (!b64)
        return;
    int n = r->data_len ? EVP_EncodeBlock((unsigned char *)b64, r->data, (int)r->data_len) : 0;
    b64[n < 0 ? 0 : n] = '\0';
    json_t *o = json_pack("{s:s, s:s, s:s, s:f, s:s}", "ShardId", shard_id ? shard_id : "", "SequenceNumber",
                          r->sequence_number, "PartitionKey", r->partition_key, "ApproximateArrivalTimestamp",
                          (double)r->arrival_ms / 1000.0, "Data", b64);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : NULL;
    if (line)
        printf("%s\n", line);
    free(line);
    json_decref(o);
    free(b64);
}

static const struct {
    const char *name;
    cli_command_fn fn;
} commands[] = {
    {"create-stream", cmd_create_stream},
    {"delete-stream", cmd_delete_stream},
    {"describe-stream", cmd_describe_stream},
    {"list-streams", cmd_list_streams},
    {"list-shards", cmd_list_shards},
    {"put", cmd_put},
    {"get", cmd_get},
    {"tail", cmd_tail},
    {"subscribe", cmd_subscribe},
    {"call", cmd_call},
};

int main(int argc, char **argv)
{
    cli_globals g = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v = NULL;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("kinesis %s\n", kinesis_version());
            return CLI_OK;
        } else if (strcmp(argv[i], "--debug") == 0) {
            g.debug = 1;
        } else if ((r = cli_opt(argc, argv, &i, "--endpoint", &v)) != 0) {
            if (r < 0)
                return cli_usage_error("", "--endpoint needs a URL");
            g.endpoint = v;
        } else if ((r = cli_opt(argc, argv, &i, "--region", &v)) != 0) {
            if (r < 0)
                return cli_usage_error("", "--region needs a value");
            g.region = v;
        } else if ((r = cli_opt(argc, argv, &i, "--profile", &v)) != 0) {
            if (r < 0)
                return cli_usage_error("", "--profile needs a value");
            g.profile = v;
        } else {
            fprintf(stderr, "kinesis: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "sign") == 0)
        return kinesis_cli_sign(argc - i, argv + i);
    if (strcmp(argv[i], "help") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof *commands; k++)
        if (strcmp(argv[i], commands[k].name) == 0) {
            if (kinesis_global_init() != 0) {
                fprintf(stderr, "kinesis: cannot initialise libcurl\n");
                return CLI_ERROR;
            }
            int rc = commands[k].fn(&g, argc - i, argv + i);
            kinesis_global_cleanup();
            return rc;
        }
    fprintf(stderr, "kinesis: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return CLI_USAGE;
}
