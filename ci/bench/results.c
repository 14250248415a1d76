/* results.c: the bench's raw results as one JSON document, and from it the chart's data and a
 * Markdown table (results.h). */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double results_median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A number as JSON: an integer when it is one (counts read better without ".0"). */
static json_t *num(double v)
{
    if (!isfinite(v))
        return json_null();
    if (v == floor(v) && fabs(v) < 1e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* Ratios are shown to two decimals. */
static json_t *ratio(double a, double b)
{
    if (!(a > 0) || !(b > 0))
        return json_null();
    return num(round(100 * a / b) / 100);
}

/* *out = v when all of v is a number (strtod reads what loadgen prints); 0 otherwise. */
static int parse_num(const char *v, double *out)
{
    char *end;
    if (!*v)
        return 0;
    errno = 0;
    double d = strtod(v, &end);
    if (*end || errno || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

/* *out = DIR/NAME SUFFIX's text (malloc'd), or NULL when there is no such file. -1 on any other
 * error. */
static int read_file(const char *dir, const char *name, const char *suffix, char **out)
{
    char path[4096];
    *out = NULL;
    if (snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix) >= (int)sizeof path)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return -1;
    }
    buf[len] = 0;
    *out = buf;
    return 0;
}

/* Per mode, per numeric field: every run's value, gathered before the medians are taken. */
typedef struct field_vals {
    char *key;
    double *v;
    size_t n, cap;
} field_vals;

/* A field whose values are words (check=ok, first_error=...): the distinct ones, in order. */
typedef struct word_vals {
    char *key;
    json_t *seen; /* array of strings */
} word_vals;

typedef struct mode_vals {
    char *mode;
    size_t runs;
    field_vals *f;
    size_t nf;
    word_vals *w;
    size_t nw;
} mode_vals;

static int push(field_vals *fv, double d)
{
    if (fv->n == fv->cap) {
        size_t cap = fv->cap ? fv->cap * 2 : 4;
        double *nv = realloc(fv->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        fv->v = nv;
        fv->cap = cap;
    }
    fv->v[fv->n++] = d;
    return 0;
}

static field_vals *field_of(mode_vals *m, const char *key)
{
    for (size_t i = 0; i < m->nf; i++)
        if (!strcmp(m->f[i].key, key))
            return &m->f[i];
    field_vals *nf = realloc(m->f, (m->nf + 1) * sizeof *nf);
    if (!nf)
        return NULL;
    m->f = nf;
    field_vals *fv = &m->f[m->nf];
    memset(fv, 0, sizeof *fv);
    fv->key = strdup(key);
    if (!fv->key)
        return NULL;
    m->nf++;
    return fv;
}

static int add_word(mode_vals *m, const char *key, const char *val)
{
    word_vals *w = NULL;
    for (size_t i = 0; i < m->nw && !w; i++)
        if (!strcmp(m->w[i].key, key))
            w = &m->w[i];
    if (!w) {
        word_vals *nw = realloc(m->w, (m->nw + 1) * sizeof *nw);
        if (!nw)
            return -1;
        m->w = nw;
        w = &nw[m->nw];
        w->key = strdup(key);
        w->seen = json_array();
        if (!w->key || !w->seen) {
            free(w->key);
            json_decref(w->seen);
            return -1;
        }
        m->nw++;
    }
    size_t i;
    json_t *v;
    json_array_foreach(w->seen, i, v) if (!strcmp(json_string_value(v), val)) return 0;
    return json_array_append_new(w->seen, json_string(val));
}

/* One RESULT line (tokens separated by spaces, already split off "RESULT") into its mode. */
static int add_line(mode_vals **modes, size_t *n_modes, char *line)
{
    const char *mode = NULL;
    for (char *p = strstr(line, "mode="); p; p = strstr(p + 1, "mode="))
        if (p == line || p[-1] == ' ') {
            mode = p + 5;
            break;
        }
    if (!mode)
        return 0;
    size_t mlen = strcspn(mode, " ");
    mode_vals *m = NULL;
    for (size_t i = 0; i < *n_modes; i++)
        if (strlen((*modes)[i].mode) == mlen && !strncmp((*modes)[i].mode, mode, mlen))
            m = &(*modes)[i];
    if (!m) {
        mode_vals *nm = realloc(*modes, (*n_modes + 1) * sizeof *nm);
        if (!nm)
            return -1;
        *modes = nm;
        m = &nm[*n_modes];
        memset(m, 0, sizeof *m);
        m->mode = strndup(mode, mlen);
        if (!m->mode)
            return -1;
        (*n_modes)++;
    }
    m->runs++;
    for (char *save = NULL, *tok = strtok_r(line, " \t\r", &save); tok;
         tok = strtok_r(NULL, " \t\r", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok)
            continue;
        *eq = 0;
        const char *key = tok, *val = eq + 1;
        double d;
        if (!strcmp(key, "mode") || !strcmp(key, "stream")) /* the stream is one run's own */
            continue;
        if (parse_num(val, &d)) {
            field_vals *fv = field_of(m, key);
            if (!fv || push(fv, d) < 0)
                return -1;
        } else if (strcmp(val, "-") != 0 && add_word(m, key, val) < 0) { /* "-": none */
            return -1;
        }
    }
    return 0;
}

static void free_modes(mode_vals *modes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < modes[i].nf; j++) {
            free(modes[i].f[j].key);
            free(modes[i].f[j].v);
        }
        free(modes[i].f);
        free(modes[i].mode);
        for (size_t j = 0; j < modes[i].nw; j++) {
            free(modes[i].w[j].key);
            json_decref(modes[i].w[j].seen);
        }
        free(modes[i].w);
    }
    free(modes);
}

static json_t *modes_object(char *text)
{
    mode_vals *modes = NULL;
    size_t n = 0;
    int rc = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save))
        if (!strncmp(line, "RESULT ", 7))
            rc = add_line(&modes, &n, line + 7);
    json_t *obj = rc == 0 ? json_object() : NULL;
    for (size_t i = 0; obj && i < n; i++) {
        json_t *m = json_object();
        if (!m || json_object_set_new(obj, modes[i].mode, m) < 0) {
            json_decref(obj);
            obj = NULL;
            break;
        }
        json_object_set_new(m, "runs", json_integer((json_int_t)modes[i].runs));
        for (size_t j = 0; j < modes[i].nf; j++)
            json_object_set_new(m, modes[i].f[j].key, num(results_median(modes[i].f[j].v, modes[i].f[j].n)));
        /* a word every run agrees on as itself, else every distinct one (check: ["ok", "FAILED"]) */
        for (size_t j = 0; j < modes[i].nw; j++) {
            json_t *seen = modes[i].w[j].seen;
            json_object_set(m, modes[i].w[j].key,
                            json_array_size(seen) == 1 ? json_array_get(seen, 0) : seen);
        }
    }
    free_modes(modes, n);
    return obj;
}

/* "STARTUP runs=7 median_ms=5.2 ..." as {"runs": 7, "median_ms": 5.2, ...}. */
static json_t *kv_object(char *text)
{
    json_t *obj = json_object();
    for (char *save = NULL, *tok = strtok_r(text, " \t\r\n", &save); obj && tok;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        char *eq = strchr(tok, '=');
        double d;
        if (!eq || eq == tok)
            continue;
        *eq = 0;
        json_object_set_new(obj, tok, parse_num(eq + 1, &d) ? num(d) : json_string(eq + 1));
    }
    return obj;
}

json_t *results_server(const char *dir, const char *name)
{
    json_t *srv = json_object();
    char *t;
    if (!srv)
        return NULL;
    if (read_file(dir, name, ".skipped", &t) < 0)
        goto fail;
    if (t) {
        t[strcspn(t, "\n")] = 0;
        json_object_set_new(srv, "skipped", json_string(t));
        free(t);
    }
    if (read_file(dir, name, "", &t) < 0)
        goto fail;
    if (t) {
        json_t *m = modes_object(t);
        free(t);
        if (!m)
            goto fail;
        json_object_set_new(srv, "modes", m);
    }
    if (read_file(dir, name, ".startup", &t) < 0)
        goto fail;
    if (t) {
        json_t *s = kv_object(t);
        free(t);
        if (!s)
            goto fail;
        json_object_set_new(srv, "startup", s);
    }
    if (read_file(dir, name, ".hwm", &t) < 0)
        goto fail;
    if (t) {
        double d;
        t[strcspn(t, " \n")] = 0;
        if (parse_num(t, &d))
            json_object_set_new(srv, "peak_rss_mib", num(d));
        free(t);
    }
    if (read_file(dir, name, ".verify", &t) < 0)
        goto fail;
    if (t) {
        char verdict[16];
        long long acked, stored;
        const char *p = strstr(t, "stored-records check: ");
        if (p && sscanf(p, "stored-records check: %15s (%lld acknowledged, %lld read back)", verdict, &acked,
                        &stored) == 3)
            json_object_set_new(srv, "stored_records",
                                json_pack("{s:b, s:I, s:I}", "ok", !strcmp(verdict, "OK"), "acknowledged",
                                          (json_int_t)acked, "read_back", (json_int_t)stored));
        free(t);
    }
    return srv;
fail:
    json_decref(srv);
    return NULL;
}

int results_write(json_t *doc, const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) < 0) {
        if (!errno)
            errno = EIO;
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        remove(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int results_meta_set(json_t *meta, const char *path, json_t *value)
{
    json_t *obj = meta;
    const char *p = path;
    for (const char *dot; (dot = strchr(p, '.')); p = dot + 1) {
        char key[256];
        size_t len = (size_t)(dot - p);
        if (len == 0 || len >= sizeof key)
            goto fail;
        memcpy(key, p, len);
        key[len] = 0;
        json_t *next = json_object_get(obj, key);
        if (!next) {
            next = json_object();
            if (json_object_set_new(obj, key, next) < 0)
                goto fail;
        } else if (!json_is_object(next)) {
            goto fail;
        }
        obj = next;
    }
    if (!*p)
        goto fail;
    return json_object_set_new(obj, p, value) < 0 ? -1 : 0;
fail:
    json_decref(value);
    return -1;
}

static double field(json_t *mode, const char *key)
{
    json_t *v = json_object_get(mode, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static json_t *server_mode(json_t *doc, const char *label, const char *mode)
{
    return json_object_get(json_object_get(json_object_get(json_object_get(doc, "servers"), label), "modes"),
                           mode);
}

double results_throughput(json_t *doc, const char *server_label, const char *mode, int *per_request)
{
    const char *base = json_string_value(json_object_get(doc, "baseline"));
    json_t *bm = base ? server_mode(doc, base, mode) : NULL;
    json_t *m = server_mode(doc, server_label, mode);
    json_t *ref = bm ? bm : m;
    /* at most one record per request (PutRecord) or none (ListStreams): requests/s, as the tables */
    *per_request = !(field(ref, "recs") > field(ref, "rps"));
    if (!m)
        return -1;
    double v = field(m, *per_request ? "rps" : "recs");
    return isnan(v) ? -1 : v;
}

/* "ratios": per other server, per mode both ran, how many times the baseline's figure theirs is. */
static json_t *ratios(json_t *doc, const char *base)
{
    json_t *out = json_object();
    json_t *servers = json_object_get(doc, "servers");
    json_t *bsrv = json_object_get(servers, base);
    const char *label;
    json_t *srv;
    json_object_foreach(servers, label, srv)
    {
        if (!strcmp(label, base))
            continue;
        json_t *modes = json_object_get(srv, "modes");
        if (!modes)
            continue;
        json_t *r = json_object(), *rm = json_object();
        json_object_set_new(out, label, r);
        json_object_set_new(r, "modes", rm);
        const char *mode;
        json_t *pm;
        json_object_foreach(modes, mode, pm)
        {
            json_t *bm = server_mode(doc, base, mode);
            if (!bm)
                continue;
            int per_req;
            double a = results_throughput(doc, base, mode, &per_req);
            double b = results_throughput(doc, label, mode, &per_req);
            json_object_set_new(rm, mode,
                                json_pack("{s:s, s:o, s:o}", "unit", per_req ? "requests/s" : "records/s",
                                          "throughput", ratio(a, b), "per_cpu_s",
                                          ratio(field(bm, "per_cpu_s"), field(pm, "per_cpu_s"))));
        }
        json_t *bs = json_object_get(bsrv, "startup"), *ps = json_object_get(srv, "startup");
        if (bs && ps) {
            /* how many times faster and smaller the baseline is: theirs over ours */
            json_object_set_new(r, "startup_faster", ratio(field(ps, "median_ms"), field(bs, "median_ms")));
            json_object_set_new(r, "idle_rss_smaller",
                                ratio(field(ps, "idle_rss_mib"), field(bs, "idle_rss_mib")));
        }
    }
    return out;
}

static json_t *ceiling_object(json_t *doc, const char *base, json_t *ceil_srv)
{
    json_t *out = json_object();
    const char *mode;
    json_t *cm;
    json_object_foreach(json_object_get(ceil_srv, "modes"), mode, cm)
    {
        double c = field(cm, "rps"), v = field(server_mode(doc, base, mode), "rps");
        json_t *frac = (c > 0 && v >= 0) ? num(round(1000 * v / c) / 1000) : json_null();
        json_object_set_new(
            out, mode, json_pack("{s:o, s:o, s:o}", "ceiling_rps", num(c), "rps", num(v), "fraction", frac));
    }
    return out;
}

json_t *results_document(const char *dir, const char *const *servers, size_t n_servers, const char *ceiling,
                         json_t *meta)
{
    struct stat st;
    if (n_servers == 0 || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return NULL; /* no directory is not "no results" */
    json_t *doc = json_object();
    if (!doc)
        goto fail;
    json_object_set_new(doc, "format", json_integer(1));
    if (meta && json_object_update(doc, meta) < 0)
        goto fail;
    json_t *srvs = json_object();
    json_object_set_new(doc, "servers", srvs);
    char base[256] = "";
    for (size_t i = 0; i < n_servers; i++) {
        const char *eq = strchr(servers[i], '=');
        char label[256];
        const char *name = eq ? eq + 1 : servers[i];
        size_t llen = eq ? (size_t)(eq - servers[i]) : strlen(servers[i]);
        if (llen == 0 || llen >= sizeof label || !*name) {
            errno = EINVAL;
            goto fail;
        }
        memcpy(label, servers[i], llen);
        label[llen] = 0;
        json_t *s = results_server(dir, name);
        if (!s)
            goto fail;
        json_object_set_new(srvs, label, s);
        if (i == 0)
            memcpy(base, label, llen + 1);
    }
    json_object_set_new(doc, "baseline", json_string(base));
    if (ceiling) {
        json_t *cs = results_server(dir, ceiling);
        if (!cs)
            goto fail;
        if (json_object_get(cs, "modes"))
            json_object_set_new(doc, "ceiling", ceiling_object(doc, base, cs));
        json_decref(cs);
    }
    json_object_set_new(doc, "ratios", ratios(doc, base));
    return doc;
fail:
    json_decref(doc);
    return NULL;
}

/* A growing string. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

__attribute__((format(printf, 2, 3))) static void sb_printf(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        if (b->oom)
            return;
        size_t room = b->cap - b->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? b->cap : 256) * 2 + (size_t)n;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

/* s as the inside of a gnuplot double-quoted string. */
static void sb_quoted(sbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_printf(b, "\\%c", *s);
        else if (*s == '\n')
            sb_printf(b, "\\n");
        else if ((unsigned char)*s >= 0x20)
            sb_printf(b, "%c", *s);
    }
    sb_printf(b, "\"");
}

static const char *str_at(json_t *doc, const char *a, const char *b)
{
    json_t *v = json_object_get(doc, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

char *results_chart_data(json_t *doc)
{
    const char *base = str_at(doc, "baseline", NULL);
    json_t *servers = json_object_get(doc, "servers");
    json_t *bmodes = base ? json_object_get(json_object_get(servers, base), "modes") : NULL;
    if (!json_is_object(bmodes))
        return NULL;
    sbuf b = {0};
    const char *label, *mode;
    json_t *srv, *m;

    /* the title: what ran, when, on what */
    char names[512] = "", skipped[512] = "";
    int others_ran = 0, ncols = 0;
    json_object_foreach(servers, label, srv)
    {
        char *dst = json_object_get(srv, "modes") ? names : skipped;
        size_t l = strlen(dst);
        snprintf(dst + l, 512 - l, "%s%s", l ? (dst == names ? " vs " : ", ") : "", label);
        if (json_object_get(srv, "modes")) {
            ncols++;
            others_ran |= strcmp(label, base) != 0;
        }
    }
    char title[2048];
    json_t *nproc = json_object_get(json_object_get(doc, "machine"), "nproc");
    snprintf(title, sizeof title,
             "%s: throughput per load (log scale)%s%s%s\n%s, commit %s, %lld x %s, Linux %s", names,
             *skipped ? "; not run: " : "", skipped, *skipped ? " (see the JSON)" : "",
             str_at(doc, "date", NULL) ? str_at(doc, "date", NULL) : "?",
             str_at(doc, "commit", NULL) ? str_at(doc, "commit", NULL) : "?",
             json_is_integer(nproc) ? (long long)json_integer_value(nproc) : 0LL,
             str_at(doc, "machine", "cpu") ? str_at(doc, "machine", "cpu") : "?",
             str_at(doc, "machine", "kernel") ? str_at(doc, "machine", "kernel") : "?");
    sb_printf(&b, "# the chart's data, written by bench-json chart (ci/bench/results.c)\ntitle = ");
    sb_quoted(&b, title);
    sb_printf(&b, "\nncols = %d\n$data << EOD\nload", ncols + 1);
    json_object_foreach(servers, label, srv) if (json_object_get(srv, "modes"))
        sb_printf(&b, " \"%s\"", label);
    sb_printf(&b, "\n");

    json_object_foreach(bmodes, mode, m)
    {
        int ran_elsewhere = 0, per_req = 0;
        json_object_foreach(servers, label, srv) if (strcmp(label, base) && server_mode(doc, label, mode))
            ran_elsewhere = 1;
        if (others_ran && !ran_elsewhere)
            continue;
        results_throughput(doc, base, mode, &per_req);
        sb_printf(&b, "\"%s%s\"", mode, per_req ? " (req/s)" : "");
        json_object_foreach(servers, label, srv)
        {
            if (!json_object_get(srv, "modes"))
                continue;
            double v = results_throughput(doc, label, mode, &per_req);
            if (v >= 0)
                sb_printf(&b, " %.6g", v);
            else
                sb_printf(&b, " NaN");
        }
        sb_printf(&b, "\n");
    }
    sb_printf(&b, "EOD\n");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* A figure as the tables print it: whole numbers with thousands separators from 100 up, three
 * significant digits below; "-" when missing. */
static void sb_figure(sbuf *b, double v)
{
    if (!(v >= 0) || !isfinite(v)) {
        sb_printf(b, "-");
        return;
    }
    if (v < 100) {
        sb_printf(b, "%.3g", v);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t n = strlen(digits);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            sb_printf(b, ",");
        sb_printf(b, "%c", digits[i]);
    }
}

/* x / y as the run's printout shows it ("17.1x"), from the figures themselves: rounding the JSON's
 * two-decimal ratio again could differ by 0.1 */
static void sb_ratio(sbuf *b, double x, double y)
{
    if (x > 0 && y > 0)
        sb_printf(b, "%.1fx", x / y);
    else
        sb_printf(b, "-");
}

static double num_or_nan(json_t *v)
{
    return json_is_number(v) ? json_number_value(v) : NAN;
}

char *results_table(json_t *doc)
{
    const char *base = str_at(doc, "baseline", NULL);
    json_t *servers = json_object_get(doc, "servers");
    json_t *bmodes = base ? json_object_get(json_object_get(servers, base), "modes") : NULL;
    if (!json_is_object(bmodes))
        return NULL;
    sbuf b = {0};
    const char *label, *mode;
    json_t *srv, *m;
    sb_printf(&b, "| load |");
    json_object_foreach(servers, label, srv) if (json_object_get(srv, "modes")) sb_printf(&b, " %s |", label);
    json_object_foreach(servers, label, srv) if (strcmp(label, base) && json_object_get(srv, "modes"))
        sb_printf(&b, " vs %s (per CPU-s) |", label);
    sb_printf(&b, "\n| --- |");
    json_object_foreach(servers, label, srv) if (json_object_get(srv, "modes")) sb_printf(&b, " --- |");
    json_object_foreach(servers, label, srv) if (strcmp(label, base) && json_object_get(srv, "modes"))
        sb_printf(&b, " --- |");
    sb_printf(&b, "\n");

    json_object_foreach(bmodes, mode, m)
    {
        int per_req;
        results_throughput(doc, base, mode, &per_req);
        sb_printf(&b, "| %s, %s |", mode, per_req ? "requests/s" : "records/s");
        json_object_foreach(servers, label, srv)
        {
            if (!json_object_get(srv, "modes"))
                continue;
            sb_printf(&b, " ");
            sb_figure(&b, results_throughput(doc, label, mode, &per_req));
            sb_printf(&b, " |");
        }
        json_object_foreach(servers, label, srv)
        {
            if (!strcmp(label, base) || !json_object_get(srv, "modes"))
                continue;
            sb_printf(&b, " ");
            sb_ratio(&b, results_throughput(doc, base, mode, &per_req),
                     results_throughput(doc, label, mode, &per_req));
            sb_printf(&b, " (");
            sb_ratio(&b, field(m, "per_cpu_s"), field(server_mode(doc, label, mode), "per_cpu_s"));
            sb_printf(&b, ") |");
        }
        sb_printf(&b, "\n");
    }

    /* the baseline's advantage: their figure over ours (faster, smaller) */
    static const struct {
        const char *name, *obj, *key;
        int ratio;
    } rows[] = {
        {"start-up to first answer, ms", "startup", "median_ms", 1},
        {"idle RSS, MiB", "startup", "idle_rss_mib", 1},
        {"peak RSS under load, MiB", NULL, "peak_rss_mib", 0},
    };
    json_t *bsrv = json_object_get(servers, base);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sb_printf(&b, "| %s |", rows[i].name);
        json_object_foreach(servers, label, srv)
        {
            if (!json_object_get(srv, "modes"))
                continue;
            json_t *v = json_object_get(rows[i].obj ? json_object_get(srv, rows[i].obj) : srv, rows[i].key);
            sb_printf(&b, " ");
            sb_figure(&b, json_is_number(v) ? json_number_value(v) : -1);
            sb_printf(&b, " |");
        }
        json_object_foreach(servers, label, srv)
        {
            if (!strcmp(label, base) || !json_object_get(srv, "modes"))
                continue;
            json_t *ours = rows[i].obj ? json_object_get(bsrv, rows[i].obj) : bsrv;
            json_t *theirs = rows[i].obj ? json_object_get(srv, rows[i].obj) : srv;
            sb_printf(&b, " ");
            if (rows[i].ratio)
                sb_ratio(&b, num_or_nan(json_object_get(theirs, rows[i].key)),
                         num_or_nan(json_object_get(ours, rows[i].key)));
            else
                sb_printf(&b, "-");
            sb_printf(&b, " |");
        }
        sb_printf(&b, "\n");
    }

    /* the ceiling: the null-answer server's req/s in the baseline's column, with the fraction */
    int ncells = 0;
    json_object_foreach(servers, label, srv) if (json_object_get(srv, "modes")) ncells +=
        strcmp(label, base) ? 2 : 1;
    json_object_foreach(json_object_get(doc, "ceiling"), mode, m)
    {
        sb_printf(&b, "| %s ceiling (null answer), requests/s | ", mode);
        sb_figure(&b, field(m, "ceiling_rps"));
        double f = field(m, "fraction");
        if (f >= 0)
            sb_printf(&b, " (%s at %.0f%%)", base, 100 * f);
        sb_printf(&b, " |");
        for (int i = 1; i < ncells; i++)
            sb_printf(&b, " - |");
        sb_printf(&b, "\n");
    }
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
