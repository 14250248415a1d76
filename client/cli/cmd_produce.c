/* cmd_produce.c: `kinesis produce NAME`: every line of standard input becomes one record, sent
 * through libkinesis's producer (kinesis_producer: batching, KPL aggregation, per-shard rate
 * limits, re-sends). Standard input is read only while the producer has room (its buffer limit
 * is the backpressure), with poll() so the event loop keeps running when input is slow. When
 * stderr is a terminal a progress line shows records sent, their rate, re-sends and throttled
 * entries. Exit status 1 when any record could not be written. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

typedef struct produce_state {
    size_t failed;
    char first_error[512];
} produce_state;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_result(const kinesis_producer_result *r, void *user)
{
    produce_state *st = user;
    if (r->error && !st->failed++)
        snprintf(st->first_error, sizeof st->first_error, "%s: %s (after %d attempts)", r->error->name,
                 r->error->message ? r->error->message : "", r->attempts);
}

static void progress(kinesis_producer *p, int64_t t0, int final)
{
    kinesis_producer_stats s;
    kinesis_producer_get_stats(p, &s);
    double secs = (double)(mono_ms() - t0) / 1000.0;
    fprintf(stderr, "\rsent %llu records (%.0f/s), %llu re-sent, %llu throttled, %zu buffered   %s",
            (unsigned long long)s.user_records_sent, secs > 0 ? (double)s.user_records_sent / secs : 0.0,
            (unsigned long long)s.entries_retried, (unsigned long long)s.entries_throttled,
            s.buffered_records, final ? "\n" : "");
}

int cmd_produce(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts("usage: kinesis produce NAME [--aggregate|--no-aggregate] [--rate N] [--partition-key K]\n"
             "Send every line of standard input as one record through the producer: records are batched\n"
             "into PutRecords calls per shard, aggregated KPL-style (--aggregate, the default), kept under\n"
             "N percent of each shard's limits of 1,000 records/s and 1 MiB/s (--rate, default 150, the\n"
             "KPL's RateLimit) and re-sent when a shard refuses them. The partition key is the line number\n"
             "unless --partition-key gives one. A progress line goes to stderr when it is a terminal.");
        return CLI_OK;
    }
    const char *name = NULL, *rate = NULL, *key = NULL;
    int aggregate = 1;
    for (int i = 1; i < argc; i++) {
        int r;
        if (strcmp(argv[i], "--aggregate") == 0)
            aggregate = 1;
        else if (strcmp(argv[i], "--no-aggregate") == 0)
            aggregate = 0;
        else if ((r = cli_opt(argc, argv, &i, "--rate", &rate)) ||
                 (r = cli_opt(argc, argv, &i, "--partition-key", &key))) {
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
    int64_t rate_pct = rate ? cli_parse_count(rate, 100000) : 150;
    if (rate_pct <= 0)
        return cli_usage_error(cmd, "--rate takes a percentage above 0");
    if (key && (!*key || strlen(key) > 256))
        return cli_usage_error(cmd, "--partition-key takes 1 to 256 characters");
    kinesis_client *c = cli_client(g);
    if (!c)
        return CLI_ERROR;
    kinesis_producer_options po = {0};
    po.disable_aggregation = !aggregate;
    po.rate_limit_percent = (int)rate_pct;
    po.max_buffered_bytes = 8 * 1024 * 1024;
    kinesis_error *err = NULL;
    kinesis_producer *p = kinesis_producer_new(c, name, &po, &err);
    if (!p) {
        kinesis_client_free(c);
        return cli_fail(err);
    }
    produce_state st = {0};
    int tty = isatty(2);
    int64_t t0 = mono_ms(), last_progress = 0;
    size_t cap = 1024 * 1024 + 2, len = 0;
    char *buf = malloc(cap);
    uint64_t line_no = 0;
    int eof = 0, rc = CLI_OK, busy = 0;
    if (!buf) {
        kinesis_producer_free(p);
        kinesis_client_free(c);
        return cli_fail(kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_NO_MEMORY, 0, "out of memory"));
    }
    while (!eof || len) {
        /* hand whole lines to the producer while it takes them */
        busy = 0;
        char *start = buf, *nl;
        while ((nl = memchr(start, '\n', len - (size_t)(start - buf))) || (eof && start < buf + len)) {
            size_t l = nl ? (size_t)(nl - start) : len - (size_t)(start - buf);
            char pk[32];
            if (!key)
                snprintf(pk, sizeof pk, "%llu", (unsigned long long)line_no + 1);
            kinesis_record r = {start, l, key ? key : pk, NULL, NULL};
            int prc = kinesis_producer_put(p, &r, on_result, &st);
            if (prc == KINESIS_PRODUCER_BUSY) {
                busy = 1;
                break;
            }
            line_no++;
            if (prc == KINESIS_PRODUCER_INVALID && !st.failed++)
                snprintf(st.first_error, sizeof st.first_error, "line %llu: not a valid record (too long?)",
                         (unsigned long long)line_no);
            start += l + (nl ? 1 : 0);
        }
        memmove(buf, start, len - (size_t)(start - buf));
        len -= (size_t)(start - buf);
        if (len == cap && !busy) { /* a line longer than a record may be: send what we have */
            kinesis_record r = {buf, len, key ? key : "overlong", NULL, NULL};
            kinesis_producer_put(p, &r, on_result, &st);
            len = 0;
        }
        if (eof && !busy && !len)
            break;
        /* read more input when there is room, without stalling the producer's loop */
        if (!eof && !busy && len < cap) {
            struct pollfd pfd = {0, POLLIN, 0};
            int pr = poll(&pfd, 1, kinesis_client_pending(c) ? 10 : 200);
            if (pr > 0) {
                ssize_t n = read(0, buf + len, cap - len);
                if (n > 0)
                    len += (size_t)n;
                else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                    eof = 1;
            }
        }
        kinesis_client_run(c, busy ? 20 : 0);
        if (tty && mono_ms() - last_progress >= 250) {
            progress(p, t0, 0);
            last_progress = mono_ms();
        }
    }
    while (kinesis_producer_flush_wait(p, 1000) != 0)
        if (tty)
            progress(p, t0, 0);
    if (tty)
        progress(p, t0, 1);
    free(buf);
    kinesis_producer_free(p);
    kinesis_client_free(c);
    if (st.failed) {
        fprintf(stderr, "kinesis produce: %zu of %llu records not written; first: %s\n", st.failed,
                (unsigned long long)line_no, st.first_error);
        rc = CLI_ERROR;
    }
    return rc;
}
