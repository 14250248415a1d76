/* cmd_records.c: `kinesis put` (one record from an argument or a file, or one record per line of
 * standard input sent in PutRecords batches, split at Kinesis's limits of 500 records and 5 MiB,
 * that re-send failed entries) and `kinesis get` (one GetRecords batch from a shard at any of the
 * five iterator positions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"

#define BATCH_RECORDS KINESIS_PUT_RECORDS_MAX_RECORDS
#define BATCH_BYTES ((size_t)KINESIS_PUT_RECORDS_MAX_BYTES)
#define MAX_RECORD_BYTES (1024u * 1024u)

/* ------------------------------------------------------------------ put */

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            if (cap > 2 * MAX_RECORD_BYTES)
                break; /* more than a record can hold: let the service say so */
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int put_one(kinesis_client *c, const char *stream, const kinesis_record *rec)
{
    kinesis_put_record_result *r = NULL;
    kinesis_error *err = kinesis_put_record(c, stream, rec, &r);
    if (err)
        return cli_fail(err);
    printf("%s\t%s\n", r->shard_id, r->sequence_number);
    kinesis_put_record_result_free(r);
    return CLI_OK;
}

/* Send one batch; print a line per record; count failures. */
static int put_batch(kinesis_client *c, const char *stream, kinesis_record *recs, size_t n, size_t *failed)
{
    kinesis_put_records_options po = {1};
    kinesis_put_records_result *r = NULL;
    kinesis_error *err = kinesis_put_records(c, stream, recs, n, &po, &r);
    if (err)
        return cli_fail(err);
    for (size_t i = 0; i < r->count; i++) {
        const kinesis_put_record_result *e = &r->results[i];
        if (e->error_code) {
            fprintf(stderr, "kinesis: record %zu: %s: %s\n", i, e->error_code,
                    e->error_message ? e->error_message : "");
            (*failed)++;
        } else
            printf("%s\t%s\n", e->shard_id, e->sequence_number);
    }
    kinesis_put_records_result_free(r);
    return CLI_OK;
}

static int put_lines(kinesis_client *c, const char *stream, const char *pk, const char *ehk)
{
    kinesis_record *recs = calloc(BATCH_RECORDS, sizeof *recs);
    char **lines = calloc(BATCH_RECORDS, sizeof *lines);
    size_t n = 0, bytes = 0, failed = 0;
    int rc = CLI_OK;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    if (!recs || !lines)
        rc = cli_fail(NULL);
    while (rc == CLI_OK && (len = getline(&line, &cap, stdin)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (n > 0 && (n == BATCH_RECORDS || bytes + (size_t)len + strlen(pk) > BATCH_BYTES)) {
            rc = put_batch(c, stream, recs, n, &failed);
            for (size_t i = 0; i < n; i++)
                free(lines[i]);
            n = bytes = 0;
            if (rc != CLI_OK)
                break;
        }
        lines[n] = line;
        recs[n] = (kinesis_record){line, (size_t)len, pk, ehk, NULL};
        bytes += (size_t)len + strlen(pk);
        n++;
        line = NULL;
        cap = 0;
    }
    if (rc == CLI_OK && n > 0)
        rc = put_batch(c, stream, recs, n, &failed);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(line);
    free(lines);
    free(recs);
    if (rc == CLI_OK && failed) {
        fprintf(stderr, "kinesis: %zu record(s) not written\n", failed);
        rc = CLI_ERROR;
    }
    return rc;
}

int cmd_put(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis put NAME --partition-key K [--explicit-hash-key H] "
             "[--sequence-number-for-ordering S]\n"
             "                   (DATA | --file F | < lines)\n"
             "Write DATA, or the whole file F, as one record (PutRecord); with neither, write each line of\n"
             "standard input as a record: PutRecords batches split at 500 records or 5 MiB (Kinesis's\n"
             "limits), failed entries re-sent with backoff.\n"
             "Prints SHARD_ID<TAB>SEQUENCE_NUMBER per record written.");
        return CLI_OK;
    }
    const char *name = NULL, *data = NULL, *file = NULL, *pk = NULL, *ehk = NULL, *seq = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--partition-key", &pk)) ||
            (r = cli_opt(argc, argv, &i, "--file", &file)) ||
            (r = cli_opt(argc, argv, &i, "--explicit-hash-key", &ehk)) ||
            (r = cli_opt(argc, argv, &i, "--sequence-number-for-ordering", &seq))) {
            if (r < 0)
                return cli_usage_error(cmd, "%s needs a value", argv[i]);
        } else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (!name)
            name = argv[i];
        else if (!data)
            data = argv[i];
        else
            return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
    }
    if (!name)
        return cli_usage_error(cmd, "the stream NAME is missing");
    if (!pk || !*pk)
        return cli_usage_error(cmd, "--partition-key is required");
    if (data && file)
        return cli_usage_error(cmd, "give DATA or --file, not both");
    if (seq && !data && !file)
        return cli_usage_error(cmd, "--sequence-number-for-ordering needs DATA or --file");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    int rc;
    if (data) {
        kinesis_record rec = {data, strlen(data), pk, ehk, seq};
        rc = put_one(c, name, &rec);
    } else if (file) {
        FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
        size_t len = 0;
        char *buf = f ? read_all(f, &len) : NULL;
        if (f && f != stdin)
            fclose(f);
        if (!buf) {
            fprintf(stderr, "kinesis put: cannot read %s: %s\n", file, strerror(errno ? errno : EIO));
            rc = CLI_ERROR;
        } else {
            kinesis_record rec = {buf, len, pk, ehk, seq};
            rc = put_one(c, name, &rec);
        }
        free(buf);
    } else {
        rc = put_lines(c, name, pk, ehk);
    }
    kinesis_client_free(c);
    return rc;
}

/* ------------------------------------------------------------------ get */

int cmd_get(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis get NAME --shard ID --iterator-type TYPE [--sequence-number S] [--timestamp T]\n"
             "                   [--limit N] [--format raw|json]\n"
             "Read one batch (GetRecords) from a shard. TYPE (any case, '-' for '_'; --from is the same\n"
             "option): TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER (with\n"
             "--sequence-number), AT_TIMESTAMP (with --timestamp: epoch seconds, 0 included, or ISO 8601\n"
             "such as 2016-04-04T19:58:46.480Z). raw prints each record's data and a newline; json prints\n"
             "one object per record and a last line with NextShardIterator and MillisBehindLatest.");
        return CLI_OK;
    }
    const char *name = NULL, *shard = NULL, *type = NULL, *limit = NULL, *seq = NULL, *ts = NULL,
               *format = "raw";
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--shard", &shard)) ||
            (r = cli_opt(argc, argv, &i, "--iterator-type", &type)) ||
            (r = cli_opt(argc, argv, &i, "--from", &type)) ||
            (r = cli_opt(argc, argv, &i, "--limit", &limit)) ||
            (r = cli_opt(argc, argv, &i, "--sequence-number", &seq)) ||
            (r = cli_opt(argc, argv, &i, "--timestamp", &ts)) ||
            (r = cli_opt(argc, argv, &i, "--format", &format))) {
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
    if (!shard)
        return cli_usage_error(cmd, "--shard is required");
    kinesis_starting_position pos;
    if (cli_parse_position(cmd, type, seq, ts, &pos))
        return CLI_USAGE;
    int64_t lim = limit ? cli_parse_count(limit, 10000) : 0;
    if (lim < 0 || (limit && lim == 0))
        return cli_usage_error(cmd, "--limit must be 1..10000");
    int as_json = 0;
    if (cli_parse_format(cmd, format, "raw", "json", &as_json))
        return CLI_USAGE;
    kinesis_iterator_options io = {pos.sequence_number, pos.timestamp_ms};
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    char *it = NULL;
    kinesis_get_records_result *res = NULL;
    kinesis_error *err = kinesis_get_shard_iterator(c, name, shard, pos.type, &io, &it);
    if (!err)
        err = kinesis_get_records(c, it, (int)lim, &res);
    free(it);
    kinesis_client_free(c);
    if (err)
        return cli_fail(err);
    for (size_t i = 0; i < res->count; i++)
        cli_print_record(shard, &res->records[i], as_json);
    if (as_json) {
        json_t *meta = json_pack("{s:s?, s:I}", "NextShardIterator", res->next_shard_iterator,
                                 "MillisBehindLatest", (json_int_t)res->millis_behind_latest);
        char *line = meta ? json_dumps(meta, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        if (line)
            puts(line);
        free(line);
        json_decref(meta);
    }
    kinesis_get_records_result_free(res);
    return CLI_OK;
}
