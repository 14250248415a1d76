/* cmd_tail.c: `kinesis tail NAME`: follow every shard of a stream like `tail -f`, printing records
 * as they arrive, until interrupted (or --max-records/--timeout-ms). It is the CLI's use of the
 * asynchronous API: one GetShardIterator/GetRecords in flight per shard, all driven by
 * kinesis_client_run(). Resharding is followed: when a shard ends (no NextShardIterator), its
 * ChildShards are added and read from TRIM_HORIZON once all their parents are finished. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct tail_state tail_state;

typedef struct tshard {
    tail_state *t;
    char *id;
    char *parents[2];
    char *iterator;
    char *last_seq;
    int is_child; /* found through ChildShards: start at TRIM_HORIZON */
    int busy;     /* a call is in flight */
    int done;     /* closed and fully read */
    int64_t next_poll_ms;
} tshard;

struct tail_state {
    kinesis_client *c;
    const char *stream;
    tshard **shards;
    size_t n, cap;
    kinesis_starting_position from; /* LATEST, TRIM_HORIZON or AT_TIMESTAMP for the shards listed at start */
    int as_json;
    int64_t interval_ms;
    int64_t max_records, seen;
    kinesis_error *fatal;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static tshard *find(tail_state *t, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->shards[i]->id, id) == 0)
            return t->shards[i];
    return NULL;
}

static tshard *add_shard(tail_state *t, const char *id, const char *p1, const char *p2, int is_child)
{
    tshard *s = find(t, id);
    if (s)
        return s;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        tshard **ns = realloc(t->shards, cap * sizeof *ns);
        if (!ns)
            return NULL;
        t->shards = ns;
        t->cap = cap;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->t = t;
    s->id = strdup(id);
    s->parents[0] = p1 ? strdup(p1) : NULL;
    s->parents[1] = p2 ? strdup(p2) : NULL;
    s->is_child = is_child;
    t->shards[t->n++] = s;
    return s;
}

static void free_shards(tail_state *t)
{
    for (size_t i = 0; i < t->n; i++) {
        tshard *s = t->shards[i];
        free(s->id);
        free(s->parents[0]);
        free(s->parents[1]);
        free(s->iterator);
        free(s->last_seq);
        free(s);
    }
    free(t->shards);
}

/* A shard may be read once every parent we know of is finished (records stay in order). */
static int parents_done(tail_state *t, const tshard *s)
{
    for (int i = 0; i < 2; i++) {
        tshard *p = s->parents[i] ? find(t, s->parents[i]) : NULL;
        if (p && !p->done)
            return 0;
    }
    return 1;
}

static void on_iterator(kinesis_error *err, char *iterator, void *user)
{
    tshard *s = user;
    s->busy = 0;
    if (err) {
        if (!s->t->fatal)
            s->t->fatal = err;
        else
            kinesis_error_free(err);
        return;
    }
    free(s->iterator);
    s->iterator = iterator;
    s->next_poll_ms = 0;
}

static void on_records(kinesis_error *err, kinesis_get_records_result *r, void *user)
{
    tshard *s = user;
    tail_state *t = s->t;
    s->busy = 0;
    if (err) {
        if (strcmp(err->name, "ExpiredIteratorException") == 0) { /* get a fresh one after what we saw */
            free(s->iterator);
            s->iterator = NULL;
            kinesis_error_free(err);
        } else if (kinesis_is_retryable(err->name, err->http_status)) { /* retries spent: slow down */
            s->next_poll_ms = mono_ms() + 5 * t->interval_ms;
            kinesis_error_free(err);
        } else if (!t->fatal)
            t->fatal = err;
        else
            kinesis_error_free(err);
        return;
    }
    for (size_t i = 0; i < r->count && (t->max_records == 0 || t->seen < t->max_records); i++) {
        cli_print_record(s->id, &r->records[i], t->as_json);
        t->seen++;
        free(s->last_seq);
        s->last_seq = strdup(r->records[i].sequence_number);
    }
    fflush(stdout);
    free(s->iterator);
    s->iterator = r->next_shard_iterator;
    r->next_shard_iterator = NULL;
    if (!s->iterator) {
        s->done = 1;
        for (size_t i = 0; i < r->n_child_shards; i++) {
            const kinesis_child_shard *ch = &r->child_shards[i];
            if (!add_shard(t, ch->shard_id, ch->n_parent_shards > 0 ? ch->parent_shards[0] : NULL,
                           ch->n_parent_shards > 1 ? ch->parent_shards[1] : NULL, 1) &&
                !t->fatal)
                t->fatal =
                    kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_NO_MEMORY, 0, "out of memory");
        }
    }
    s->next_poll_ms = r->count > 0 ? 0 : mono_ms() + t->interval_ms;
    kinesis_get_records_result_free(r);
}

/* Start what each shard needs next. */
static void schedule(tail_state *t)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < t->n && !t->fatal; i++) {
        tshard *s = t->shards[i];
        if (s->busy || s->done)
            continue;
        int rc = 0;
        if (!s->iterator) {
            if (!parents_done(t, s))
                continue;
            kinesis_iterator_options io = {s->last_seq, 0};
            kinesis_iterator_type type = KINESIS_ITERATOR_TRIM_HORIZON; /* a child: from its start */
            if (s->last_seq) {
                type = KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
            } else if (!s->is_child) {
                type = t->from.type;
                io.timestamp_ms = t->from.timestamp_ms;
            }
            int with_opts =
                type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER || type == KINESIS_ITERATOR_AT_TIMESTAMP;
            s->busy = 1;
            rc = kinesis_get_shard_iterator_async(t->c, t->stream, s->id, type, with_opts ? &io : NULL,
                                                  on_iterator, s);
        } else if (now >= s->next_poll_ms) {
            s->busy = 1;
            rc = kinesis_get_records_async(t->c, s->iterator, 1000, on_records, s);
        }
        if (rc != 0) {
            s->busy = 0;
            t->fatal = kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_NO_MEMORY, 0, "out of memory");
        }
    }
}

int cmd_tail(const cli_globals *g, int argc, char **argv)
{
    const char *cmd = argv[0];
    if (cli_wants_help(argc, argv)) {
        puts(
            "usage: kinesis tail NAME [--from TYPE [--timestamp T]] [--format raw|json] [--interval-ms MS]\n"
            "                    [--max-records N] [--timeout-ms MS]\n"
            "Follow every shard of the stream and print records as they arrive, until interrupted\n"
            "(Ctrl-C), N records were printed, or MS milliseconds passed. Follows resharding: when a shard\n"
            "ends, its child shards are read from their start. TYPE (any case, '-' for '_'; --iterator-type\n"
            "is the same option): LATEST (the default), TRIM_HORIZON or AT_TIMESTAMP (with --timestamp:\n"
            "epoch seconds or ISO 8601). Default --interval-ms 1000.");
        return CLI_OK;
    }
    const char *name = NULL, *from = "LATEST", *format = "raw", *interval = NULL, *max = NULL,
               *timeout = NULL, *seq = NULL, *ts = NULL;
    for (int i = 1; i < argc; i++) {
        int r;
        if ((r = cli_opt(argc, argv, &i, "--from", &from)) ||
            (r = cli_opt(argc, argv, &i, "--iterator-type", &from)) ||
            (r = cli_opt(argc, argv, &i, "--sequence-number", &seq)) ||
            (r = cli_opt(argc, argv, &i, "--timestamp", &ts)) ||
            (r = cli_opt(argc, argv, &i, "--format", &format)) ||
            (r = cli_opt(argc, argv, &i, "--interval-ms", &interval)) ||
            (r = cli_opt(argc, argv, &i, "--max-records", &max)) ||
            (r = cli_opt(argc, argv, &i, "--timeout-ms", &timeout))) {
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
    t.stream = name;
    if (cli_parse_position(cmd, from, seq, ts, &t.from))
        return CLI_USAGE;
    if (t.from.type == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER ||
        t.from.type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER)
        return cli_usage_error(cmd,
                               "tail reads every shard, and a sequence number belongs to one: use LATEST, "
                               "TRIM_HORIZON or AT_TIMESTAMP (or get/subscribe for one shard)");
    if (cli_parse_format(cmd, format, "raw", "json", &t.as_json))
        return CLI_USAGE;
    t.interval_ms = interval ? cli_parse_count(interval, 3600000) : 1000;
    t.max_records = max ? cli_parse_count(max, INT64_MAX / 2) : 0;
    int64_t timeout_ms = timeout ? cli_parse_count(timeout, INT64_MAX / 4) : 0;
    if (t.interval_ms < 0 || t.max_records < 0 || timeout_ms < 0)
        return cli_usage_error(cmd, "--interval-ms, --max-records and --timeout-ms take a number");

    t.c = cli_client(g);
    if (!t.c)
        return CLI_ERROR;
    kinesis_shard_list *l = NULL;
    kinesis_error *err = kinesis_get_shards(t.c, name, &l);
    if (err) {
        kinesis_client_free(t.c);
        return cli_fail(err);
    }
    for (size_t i = 0; i < l->count && !t.fatal; i++) {
        const kinesis_shard *sh = &l->shards[i];
        tshard *s = add_shard(&t, sh->shard_id, sh->parent_shard_id, sh->adjacent_parent_shard_id, 0);
        if (!s)
            t.fatal = kinesis_error_new(KINESIS_ERROR_LIBRARY, KINESIS_ERR_NO_MEMORY, 0, "out of memory");
        else if (t.from.type == KINESIS_ITERATOR_LATEST && sh->ending_sequence_number)
            s->done = 1; /* closed: nothing new will come */
    }
    kinesis_shard_list_free(l);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t deadline = timeout_ms ? mono_ms() + timeout_ms : 0;
    while (!stop_requested && !t.fatal && (t.max_records == 0 || t.seen < t.max_records) &&
           (deadline == 0 || mono_ms() < deadline)) {
        schedule(&t);
        if (kinesis_client_run(t.c, 100) == 0) { /* nothing in flight: shards wait for their next poll */
            struct timespec pause = {0, 50 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    kinesis_client_free(t.c); /* drops calls still in flight */
    free_shards(&t);
    return t.fatal ? cli_fail(t.fatal) : CLI_OK;
}
