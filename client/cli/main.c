/* main.c: the `kinesis` command line: global options (--endpoint/--endpoint-url, --region,
 * --profile, --ca-bundle, --debug; accepted anywhere on the line, as the AWS CLI does), the command
 * table, and the helpers every command uses (client creation, error printing, option parsing,
 * iterator positions and times, JSON and record printing). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs(
        "usage: kinesis [GLOBAL OPTIONS] COMMAND [ARGS]   (global options may also follow the command)\n"
        "\n"
        "A command line client for Amazon Kinesis Data Streams and kinesis-sim (libkinesis).\n"
        "\n"
        "commands:\n"
        "  create-stream NAME (--shards N | --on-demand) [--no-wait]  create a stream, wait until ACTIVE\n"
        "  delete-stream NAME [--wait]                           delete a stream (--wait: until it is gone)\n"
        "  describe-stream NAME                                  DescribeStreamSummary, as JSON\n"
        "  list-streams [--format text|json]                     every stream name\n"
        "  list-shards NAME [--format text|json]                 every shard, closed ones too\n"
        "  put NAME --partition-key K (DATA | --file F | stdin)  write records (stdin: one per line)\n"
        "  get NAME --shard ID --iterator-type TYPE [--limit N]  read one batch from a shard\n"
        "  tail NAME [--from TYPE] [--checkpoint F] [--efo C]    follow every shard until interrupted\n"
        "  produce NAME [--aggregate|--no-aggregate] [--rate N]  stdin lines through the KPL-style producer\n"
        "  subscribe CONSUMER_ARN SHARD_ID [--from TYPE]         enhanced fan-out: print pushed records\n"
        "  call OPERATION [JSON|-]                               any operation, JSON in and out\n"
        "  sign --context F --request F                          show how a raw request is signed\n"
        "\n"
        "TYPE (get, tail, subscribe): TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER\n"
        "(with --sequence-number S), AT_TIMESTAMP (with --timestamp T: epoch seconds such as 0 or\n"
        "1459799926.480, or ISO 8601 such as 2016-04-04T19:58:46.480Z); lower case and '-' also work\n"
        "(trim-horizon).\n"
        "\n"
        "global options:\n"
        "  --endpoint URL     also --endpoint-url; else AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL,\n"
        "                     KINESIS_ENDPOINT; else https://kinesis.REGION.amazonaws.com (said on stderr)\n"
        "  --region R         default AWS_REGION, AWS_DEFAULT_REGION (us-east-1 with an endpoint)\n"
        "  --profile P        profile of ~/.aws/credentials (default: AWS_ACCESS_KEY_ID/... or AWS_PROFILE)\n"
        "  --ca-bundle FILE   PEM certificates to trust for https:// (default AWS_CA_BUNDLE)\n"
        "  --debug            print every request and answer on stderr\n"
        "\n"
        "'kinesis COMMAND --help' describes a command. Exit status: 0 ok, 1 error, 2 bad usage.\n",
        f);
}

/* Whether an endpoint is configured in the environment (the library reads the same variables). */
static int endpoint_in_environment(void)
{
    const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    int aws = !(ignore && strcasecmp(ignore, "true") == 0);
    const char *names[] = {"AWS_ENDPOINT_URL_KINESIS", "AWS_ENDPOINT_URL", "KINESIS_ENDPOINT"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(names[i]);
        if (v && *v && (aws || i == 2))
            return 1;
    }
    return 0;
}

kinesis_client *cli_client(const cli_globals *g)
{
    kinesis_client_options o = {0};
    o.endpoint = g->endpoint;
    o.region = g->region;
    o.profile = g->profile;
    o.ca_bundle = g->ca_bundle;
    o.user_agent = "kinesis-cli";
    kinesis_error *err = NULL;
    kinesis_client *c = kinesis_client_new(&o, &err);
    if (!c) {
        cli_fail(err);
        return NULL;
    }
    /* Like the AWS CLI, no endpoint means AWS itself; unlike it, say so, since a forgotten
     * endpoint otherwise sends a simulator's test traffic (and credentials) to AWS. */
    if (!g->endpoint && !endpoint_in_environment())
        fprintf(stderr,
                "kinesis: no endpoint given (--endpoint, AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL or "
                "KINESIS_ENDPOINT): using %s\n",
                kinesis_client_endpoint(c));
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

static void newline_indent(FILE *f, int depth)
{
    fputc('\n', f);
    for (int i = 0; i < depth; i++)
        fputs("  ", f);
}

/* Jansson reads numbers into doubles and writes them back with 17 digits (1796505897.794 becomes
 * 1796505897.7939999), so the answer, once checked to be JSON, is re-indented as text: numbers
 * and strings stay exactly as the server sent them, in json_dumps(JSON_INDENT(2))'s layout. */
void cli_print_json(FILE *f, const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    if (!j) {
        fprintf(f, "%s\n", text);
        return;
    }
    json_decref(j);
    int depth = 0;
    for (const char *p = text; *p; p++) {
        char ch = *p;
        if (ch == '"') { /* a string, escapes included, as is */
            const char *q = p + 1;
            while (*q && *q != '"')
                q += (*q == '\\' && q[1]) ? 2 : 1;
            fwrite(p, 1, (size_t)(q - p) + (*q ? 1 : 0), f);
            if (!*q)
                break;
            p = q;
        } else if (ch == '{' || ch == '[') {
            const char *q = p + 1;
            while (*q && isspace((unsigned char)*q))
                q++;
            fputc(ch, f);
            if (*q == (ch == '{' ? '}' : ']')) { /* empty: {} or [] */
                fputc(*q, f);
                p = q;
            } else {
                newline_indent(f, ++depth);
            }
        } else if (ch == '}' || ch == ']') {
            newline_indent(f, --depth);
            fputc(ch, f);
        } else if (ch == ',') {
            fputc(',', f);
            newline_indent(f, depth);
        } else if (ch == ':') {
            fputs(": ", f);
        } else if (!isspace((unsigned char)ch)) {
            fputc(ch, f);
        }
    }
    fputc('\n', f);
}

/* A JSON string literal for s (malloc'd), "" when s is NULL or not UTF-8. */
static char *json_quote(const char *s)
{
    json_t *j = json_string(s ? s : "");
    char *out = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return out ? out : strdup("\"\"");
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
    /* Written by hand so the arrival time is exact: epoch seconds with three decimals, as the
     * service sends it (a double through Jansson could print 1796505897.7939999). */
    char *shard = json_quote(shard_id), *seq = json_quote(r->sequence_number),
         *pk = json_quote(r->partition_key);
    if (shard && seq && pk)
        printf("{\"ShardId\":%s,\"SequenceNumber\":%s,\"PartitionKey\":%s,"
               "\"ApproximateArrivalTimestamp\":%lld.%03lld,\"Data\":\"%s\"}\n",
               shard, seq, pk, (long long)(r->arrival_ms / 1000), (long long)(r->arrival_ms % 1000), b64);
    free(shard);
    free(seq);
    free(pk);
    free(b64);
}

int cli_parse_format(const char *cmd, const char *value, const char *a, const char *b, int *second)
{
    if (strcmp(value, a) == 0)
        *second = 0;
    else if (strcmp(value, b) == 0)
        *second = 1;
    else
        return cli_usage_error(cmd, "--format must be %s or %s", a, b);
    return CLI_OK;
}

/* Digits at *p: exactly n of them into *out; advances *p. */
static int take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int64_t cli_parse_time_ms(const char *s)
{
    if (!s || !*s)
        return -1;
    /* Epoch seconds: digits, optionally a fraction (0, 1459799926, 1459799926.480). */
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p > s && (*p == '\0' || (*p == '.' && p[1]))) {
        const char *q = *p == '.' ? p + 1 : p;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == '\0') {
            errno = 0;
            double v = strtod(s, NULL);
            if (errno || v >= 1e11)
                return -1;
            return (int64_t)(v * 1000.0 + 0.5);
        }
    }
    /* ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss[.fff]]][Z|(+|-)hh[:]mm]; no zone means UTC. */
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    int64_t frac_ms = 0;
    p = s;
    if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) || *p++ != '-' ||
        take_digits(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (take_digits(&p, 2, &h) || *p++ != ':' || take_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (take_digits(&p, 2, &sec))
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100, any = 0;
                for (; isdigit((unsigned char)*p); p++, any = 1, scale /= 10)
                    frac_ms += scale * (*p - '0'); /* digits beyond milliseconds are dropped */
                if (!any)
                    return -1;
            }
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (take_digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p && take_digits(&p, 2, &om))
                return -1;
            if (oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d && sec < 60) /* 2023-02-30 rolled over into March */
        return -1;
    int64_t ms = ((int64_t)t - off) * 1000 + frac_ms;
    return ms < 0 ? -1 : ms;
}

int cli_parse_position(const char *cmd, const char *type, const char *seq, const char *ts,
                       kinesis_starting_position *pos)
{
    memset(pos, 0, sizeof *pos);
    char name[32];
    size_t n = type ? strlen(type) : 0;
    if (n == 0 || n >= sizeof name)
        n = 0;
    for (size_t i = 0; i < n; i++) /* trim-horizon and TRIM_HORIZON are one spelling */
        name[i] = type[i] == '-' ? '_' : (char)toupper((unsigned char)type[i]);
    name[n] = '\0';
    kinesis_iterator_type t;
    if (n == 0 || kinesis_iterator_type_parse(name, &t) != 0)
        return cli_usage_error(
            cmd,
            "%s%s%sthe iterator type (--iterator-type or --from) must be TRIM_HORIZON, LATEST, "
            "AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER or AT_TIMESTAMP (lower case and '-' "
            "also work)",
            type ? "'" : "", type ? type : "", type ? "': " : "");
    int need_seq = t == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER || t == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
    int need_ts = t == KINESIS_ITERATOR_AT_TIMESTAMP;
    if (need_seq && (!seq || !*seq))
        return cli_usage_error(cmd, "%s needs --sequence-number", name);
    if (need_ts && !ts)
        return cli_usage_error(cmd, "AT_TIMESTAMP needs --timestamp");
    if (!need_seq && seq)
        return cli_usage_error(cmd,
                               "--sequence-number goes with AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER");
    if (!need_ts && ts)
        return cli_usage_error(cmd, "--timestamp goes with AT_TIMESTAMP");
    pos->type = t;
    pos->sequence_number = seq;
    if (need_ts) {
        pos->timestamp_ms = cli_parse_time_ms(ts);
        if (pos->timestamp_ms < 0)
            return cli_usage_error(
                cmd,
                "--timestamp: '%s' is neither epoch seconds (0, 1459799926.480) nor ISO 8601 "
                "(2016-04-04T19:58:46.480Z)",
                ts);
    }
    return CLI_OK;
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
    {"produce", cmd_produce},
    {"subscribe", cmd_subscribe},
    {"call", cmd_call},
};

/* If argv[*i] is a global option, take it (and its value) into g: 1; -1 after printing a usage
 * error; 0 when it is something else. */
static int global_option(cli_globals *g, int argc, char **argv, int *i)
{
    if (strcmp(argv[*i], "--debug") == 0) {
        g->debug = 1;
        return 1;
    }
    const struct {
        const char *name, *what;
        const char **value;
    } opts[] = {
        {"--endpoint", "a URL", &g->endpoint},    {"--endpoint-url", "a URL", &g->endpoint},
        {"--region", "a value", &g->region},      {"--profile", "a value", &g->profile},
        {"--ca-bundle", "a file", &g->ca_bundle},
    };
    for (size_t k = 0; k < sizeof opts / sizeof *opts; k++) {
        int r = cli_opt(argc, argv, i, opts[k].name, opts[k].value);
        if (r < 0)
            fprintf(stderr, "kinesis: %s needs %s\n", opts[k].name, opts[k].what);
        if (r != 0)
            return r;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_globals g = {0};
    /* Global options may come before or after the command (as with the AWS CLI): take them out
     * of the line wherever they are; the command sees the rest. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return cli_fail(NULL);
    int n = 0, command_at = -1;
    rest[n++] = argv[0];
    for (int i = 1; i < argc; i++) {
        int r = global_option(&g, argc, argv, &i);
        if (r < 0) {
            free(rest);
            return CLI_USAGE;
        }
        if (r > 0)
            continue;
        if (command_at < 0 && argv[i][0] != '-')
            command_at = n;
        rest[n++] = argv[i];
    }
    rest[n] = NULL;
    int rc = CLI_USAGE;
    if (n > 1 && command_at != 1) { /* an option before the command that is not a global one */
        if (strcmp(rest[1], "--help") == 0 || strcmp(rest[1], "-h") == 0) {
            usage(stdout);
            rc = CLI_OK;
        } else if (strcmp(rest[1], "--version") == 0) {
            printf("kinesis %s\n", kinesis_version());
            rc = CLI_OK;
        } else {
            fprintf(stderr, "kinesis: unknown option '%s'\n", rest[1]);
            usage(stderr);
        }
        free(rest);
        return rc;
    }
    if (n == 1) {
        usage(stderr);
        free(rest);
        return CLI_USAGE;
    }
    argc = n - 1;
    argv = rest + 1;
    if (strcmp(argv[0], "sign") == 0) {
        rc = kinesis_cli_sign(argc, argv);
    } else if (strcmp(argv[0], "help") == 0) {
        usage(stdout);
        rc = CLI_OK;
    } else {
        size_t k = 0;
        while (k < sizeof commands / sizeof *commands && strcmp(argv[0], commands[k].name) != 0)
            k++;
        if (k == sizeof commands / sizeof *commands) {
            fprintf(stderr, "kinesis: unknown command '%s'\n", argv[0]);
            usage(stderr);
        } else if (kinesis_global_init() != 0) {
            fprintf(stderr, "kinesis: cannot initialise libcurl\n");
            rc = CLI_ERROR;
        } else {
            rc = commands[k].fn(&g, argc, argv);
            kinesis_global_cleanup();
        }
    }
    free(rest);
    return rc;
}
