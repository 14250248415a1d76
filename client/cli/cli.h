/* cli.h: what the `kinesis` command's files share. main.c parses the global options and picks the
 * command; each cmd_*.c implements a group of commands as a plain client of libkinesis (the CLI
 * reaches nothing the public header does not offer). Exit status: 0 success, 1 a Kinesis or
 * library error (its name and message on stderr), 2 bad usage. */
#ifndef KINESIS_CLI_H
#define KINESIS_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "kinesis/kinesis.h"

enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2 };

typedef struct cli_globals {
    const char *endpoint;
    const char *region;
    const char *profile;
    const char *ca_bundle;
    int debug;
} cli_globals;

/* A command: argv[0] is the command's name. */
typedef int (*cli_command_fn)(const cli_globals *g, int argc, char **argv);

/* Create the client from the global options; on failure print the error and return NULL. */
kinesis_client *cli_client(const cli_globals *g);
/* Print "kinesis: <Name>: <message>" (plus status and request id when known), free err, return 1. */
int cli_fail(kinesis_error *err);
/* Print "kinesis <cmd>: <message>" and the usage hint; return 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* If argv[*i] is `name` (then the value is argv[*i+1]) or `name=value`, set *value, advance *i and
 * return 1; return -1 when the value is missing; 0 when argv[*i] is another argument. */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **value);
/* Parse a non-negative decimal integer; -1 when malformed or out of range. */
int64_t cli_parse_count(const char *s, int64_t max);
/* Whether argv holds --help or -h. */
int cli_wants_help(int argc, char **argv);
/* Print a JSON text indented, or as is when it does not parse. */
void cli_print_json(FILE *f, const char *text);
/* --format: 0 when value is a, 1 when it is b (*second); else print a usage error and return 2. */
int cli_parse_format(const char *cmd, const char *value, const char *a, const char *b, int *second);
/* Epoch seconds ("0", "1459799926.480") or ISO 8601 ("2016-04-04T19:58:46.480Z", "+01:00" offsets,
 * no zone: UTC) to milliseconds since the epoch; -1 when malformed. */
int64_t cli_parse_time_ms(const char *s);
/* An iterator position as get, tail and subscribe take it: TYPE (TRIM_HORIZON, LATEST,
 * AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP; any case, '-' for '_'), with
 * --sequence-number for the sequence types and --timestamp for AT_TIMESTAMP (NULL when not given).
 * CLI_OK, or CLI_USAGE after printing what is wrong. */
int cli_parse_position(const char *cmd, const char *type, const char *seq, const char *ts,
                       kinesis_starting_position *pos);
/* Print one record: raw data + newline, or a JSON line (format_json) with metadata and base64 data. */
void cli_print_record(const char *shard_id, const kinesis_read_record *r, int format_json);

/* Commands (cmd_streams.c, cmd_records.c, cmd_tail.c, cmd_subscribe.c, cmd_call.c). */
int cmd_create_stream(const cli_globals *g, int argc, char **argv);
int cmd_delete_stream(const cli_globals *g, int argc, char **argv);
int cmd_describe_stream(const cli_globals *g, int argc, char **argv);
int cmd_list_streams(const cli_globals *g, int argc, char **argv);
int cmd_list_shards(const cli_globals *g, int argc, char **argv);
int cmd_put(const cli_globals *g, int argc, char **argv);
int cmd_get(const cli_globals *g, int argc, char **argv);
int cmd_tail(const cli_globals *g, int argc, char **argv);
int cmd_produce(const cli_globals *g, int argc, char **argv); /* cmd_produce.c */
int cmd_subscribe(const cli_globals *g, int argc, char **argv);
int cmd_call(const cli_globals *g, int argc, char **argv);

/* `kinesis sign` (client/cli/sign.c, written with the SigV4 module); argv[0] is "sign". */
int kinesis_cli_sign(int argc, char **argv);

#endif
