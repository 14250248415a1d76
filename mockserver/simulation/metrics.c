/* metrics.c: labelled counters and one latency histogram, rendered as Prometheus text (see
 * metrics.h). The label sets are small (operations x outcomes, a few kinds, the fault rules),
 * so each family is a growable array searched linearly. Label values are escaped as the
 * exposition format requires (backslash, double quote, newline). */
#include "simulation/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 96

typedef struct {
    char a[LABEL_MAX];
    char b[LABEL_MAX];
    uint64_t count;
} counter;

typedef struct {
    counter *items;
    size_t n, cap;
} family;

static const double bucket_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
#define N_BOUNDS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct sim_metrics {
    family requests;  /* a = operation, b = outcome */
    family throttled; /* a = kind */
    family faults;    /* a = rule id, b = effect */
    uint64_t records, bytes;
    uint64_t hist[N_BOUNDS + 1]; /* last = +Inf */
    uint64_t hist_count;
    double hist_sum;
};

sim_metrics *sim_metrics_new(void)
{
    return calloc(1, sizeof(sim_metrics));
}

void sim_metrics_free(sim_metrics *m)
{
    if (!m)
        return;
    free(m->requests.items);
    free(m->throttled.items);
    free(m->faults.items);
    free(m);
}

void sim_metrics_reset(sim_metrics *m)
{
    free(m->requests.items);
    free(m->throttled.items);
    free(m->faults.items);
    memset(m, 0, sizeof *m);
}

static counter *find(const family *f, const char *a, const char *b)
{
    for (size_t i = 0; i < f->n; i++)
        if (strncmp(f->items[i].a, a, LABEL_MAX - 1) == 0 && strncmp(f->items[i].b, b, LABEL_MAX - 1) == 0)
            return &f->items[i];
    return NULL;
}

static void bump(family *f, const char *a, const char *b, uint64_t by)
{
    counter *c = find(f, a, b);
    if (!c) {
        if (f->n == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 16;
            counter *grown = realloc(f->items, cap * sizeof *grown);
            if (!grown)
                return;
            f->items = grown;
            f->cap = cap;
        }
        c = &f->items[f->n++];
        snprintf(c->a, sizeof c->a, "%s", a);
        snprintf(c->b, sizeof c->b, "%s", b);
        c->count = 0;
    }
    c->count += by;
}

void sim_metrics_request(sim_metrics *m, const char *operation, const char *outcome)
{
    bump(&m->requests, operation ? operation : "unknown", outcome ? outcome : "ok", 1);
}

void sim_metrics_stored(sim_metrics *m, uint64_t records, uint64_t bytes)
{
    m->records += records;
    m->bytes += bytes;
}

void sim_metrics_throttled(sim_metrics *m, const char *kind)
{
    bump(&m->throttled, kind, "", 1);
}

void sim_metrics_fault(sim_metrics *m, uint64_t rule_id, const char *effect)
{
    char id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)rule_id);
    bump(&m->faults, id, effect, 1);
}

void sim_metrics_duration(sim_metrics *m, double seconds)
{
    if (seconds < 0)
        seconds = 0;
    size_t i = 0;
    while (i < N_BOUNDS && seconds > bucket_bounds[i])
        i++;
    m->hist[i]++;
    m->hist_count++;
    m->hist_sum += seconds;
}

uint64_t sim_metrics_requests(const sim_metrics *m, const char *operation, const char *outcome)
{
    const counter *c = find(&m->requests, operation, outcome);
    return c ? c->count : 0;
}

uint64_t sim_metrics_throttled_count(const sim_metrics *m, const char *kind)
{
    const counter *c = find(&m->throttled, kind, "");
    return c ? c->count : 0;
}

uint64_t sim_metrics_records_stored(const sim_metrics *m)
{
    return m->records;
}
uint64_t sim_metrics_bytes_stored(const sim_metrics *m)
{
    return m->bytes;
}

uint64_t sim_metrics_faults_fired(const sim_metrics *m, uint64_t rule_id)
{
    uint64_t total = 0;
    char id[32];
    snprintf(id, sizeof id, "%llu", (unsigned long long)rule_id);
    for (size_t i = 0; i < m->faults.n; i++)
        if (strcmp(m->faults.items[i].a, id) == 0)
            total += m->faults.items[i].count;
    return total;
}

/* ---- rendering ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_printf(sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->failed = 1;
            return;
        }
        if ((size_t)n < s->cap - s->len) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = (s->cap + (size_t)n + 1) * 2;
        char *grown = realloc(s->buf, cap);
        if (!grown) {
            s->failed = 1;
            return;
        }
        s->buf = grown;
        s->cap = cap;
    }
}

/* Label value escaping per the exposition format. */
static void escape_label(const char *in, char *out, size_t out_len)
{
    size_t o = 0;
    for (; *in && o + 3 < out_len; in++) {
        if (*in == '\\' || *in == '"') {
            out[o++] = '\\';
            out[o++] = *in;
        } else if (*in == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

char *sim_metrics_render(const sim_metrics *m, size_t *len)
{
    sbuf s = {malloc(4096), 0, 4096, 0};
    if (!s.buf)
        return NULL;
    s.buf[0] = '\0';
    char a[2 * LABEL_MAX + 2], b[2 * LABEL_MAX + 2];

    sb_printf(&s, "# HELP kinesis_sim_requests_total Requests answered, by operation and outcome.\n"
                  "# TYPE kinesis_sim_requests_total counter\n");
    for (size_t i = 0; i < m->requests.n; i++) {
        escape_label(m->requests.items[i].a, a, sizeof a);
        escape_label(m->requests.items[i].b, b, sizeof b);
        sb_printf(&s, "kinesis_sim_requests_total{operation=\"%s\",outcome=\"%s\"} %llu\n", a, b,
                  (unsigned long long)m->requests.items[i].count);
    }
    sb_printf(&s,
              "# HELP kinesis_sim_records_stored_total Records acknowledged by PutRecord and PutRecords.\n"
              "# TYPE kinesis_sim_records_stored_total counter\n"
              "kinesis_sim_records_stored_total %llu\n"
              "# HELP kinesis_sim_bytes_stored_total Data plus partition key bytes of those records.\n"
              "# TYPE kinesis_sim_bytes_stored_total counter\n"
              "kinesis_sim_bytes_stored_total %llu\n",
              (unsigned long long)m->records, (unsigned long long)m->bytes);
    sb_printf(&s, "# HELP kinesis_sim_throttled_total Requests or records refused by a rate limit.\n"
                  "# TYPE kinesis_sim_throttled_total counter\n");
    for (size_t i = 0; i < m->throttled.n; i++) {
        escape_label(m->throttled.items[i].a, a, sizeof a);
        sb_printf(&s, "kinesis_sim_throttled_total{kind=\"%s\"} %llu\n", a,
                  (unsigned long long)m->throttled.items[i].count);
    }
    sb_printf(&s, "# HELP kinesis_sim_faults_fired_total Injected faults, by rule and effect.\n"
                  "# TYPE kinesis_sim_faults_fired_total counter\n");
    for (size_t i = 0; i < m->faults.n; i++) {
        escape_label(m->faults.items[i].a, a, sizeof a);
        escape_label(m->faults.items[i].b, b, sizeof b);
        sb_printf(&s, "kinesis_sim_faults_fired_total{rule=\"%s\",effect=\"%s\"} %llu\n", a, b,
                  (unsigned long long)m->faults.items[i].count);
    }
    sb_printf(&s,
              "# HELP kinesis_sim_request_duration_seconds Time to answer (handling plus injected latency).\n"
              "# TYPE kinesis_sim_request_duration_seconds histogram\n");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < N_BOUNDS; i++) {
        cumulative += m->hist[i];
        sb_printf(&s, "kinesis_sim_request_duration_seconds_bucket{le=\"%g\"} %llu\n", bucket_bounds[i],
                  (unsigned long long)cumulative);
    }
    cumulative += m->hist[N_BOUNDS];
    sb_printf(&s,
              "kinesis_sim_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
              "kinesis_sim_request_duration_seconds_sum %.6f\n"
              "kinesis_sim_request_duration_seconds_count %llu\n",
              (unsigned long long)cumulative, m->hist_sum, (unsigned long long)m->hist_count);
    if (s.failed) {
        free(s.buf);
        return NULL;
    }
    if (len)
        *len = s.len;
    return s.buf;
}
