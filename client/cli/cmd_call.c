/* cmd_call.c: `kinesis call OPERATION [JSON|-]`: any of the Kinesis operations by name, with a JSON
 * request from the argument or standard input, the answer printed as indented JSON. --once makes
 * one attempt (no retries) and prints the HTTP status on stderr, which is handy against a
 * simulator with faults. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"

static char *read_stdin(void)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, stdin);
        n += r;
        if (r == 0)
            break;
        if (n + 1 == cap) {
            if (cap >= (64u << 20))
                break; /* 64 MiB: far above any Kinesis request */
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    return buf;
}

int cmd_call(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis call [--once] OPERATION [JSON|-]\n"
             "Call any Kinesis operation (e.g. ListStreams, DescribeStream, SplitShard) with a JSON request\n"
             "(default {}; '-' reads standard input) and print the JSON answer. --once: a single attempt,\n"
             "no retries, and the HTTP status printed on stderr.");
        return CLI_OK;
    }
    const char *op = NULL, *json = NULL;
    int once = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--once") == 0)
            once = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!op)
            op = argv[i];
        else if (!json)
            json = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (!op)
        return cli_usage_error(cmd, "the OPERATION is missing");
    char *in = NULL;
    if (json && strcmp(json, "-") == 0) {
        in = read_stdin();
        if (!in)
            return cli_fail(NULL);
        json = in;
    }
    if (json) { /* checked here: a typo is a usage error, not a SerializationException from afar */
        json_error_t jerr;
        json_t *j = json_loads(json, 0, &jerr);
        int is_object = json_is_object(j);
        json_decref(j);
        if (!is_object) {
            int rc = j ? cli_usage_error(cmd, "the request must be a JSON object")
                       : cli_usage_error(cmd, "the request is not JSON: %s (line %d, column %d)", jerr.text,
                                         jerr.line, jerr.column);
            free(in);
            return rc;
        }
    }
    kinesis_client *c = cli_client(g);
    if (!c) {
        free(in);
        return CLI_ERROR;
    }
    char *resp = NULL;
    int status = 0;
    kinesis_error *err =
        once ? kinesis_call_once(c, op, json, &resp, &status) : kinesis_call(c, op, json, &resp);
    kinesis_client_free(c);
    free(in);
    if (once)
        fprintf(stderr, "HTTP %d\n", status);
    if (err)
        return cli_fail(err);
    cli_print_json(stdout, resp);
    free(resp);
    return CLI_OK;
}
