/* main.c: kinesis-conform, the conformance runner. Loads the cases (fixtures/conformance, or
 * PREFIX/share/kinesis-sim/conformance next to an installed binary), selects them by tag and
 * name, checks the URL, the report files and that the endpoint answers at all, runs them
 * (sched.c: --jobs threads with one kinesis_client each, exclusive cases alone afterwards),
 * prints one line per case, the operations table and "N passed, M failed[, K skipped]", writes
 * the requested reports, and exits 0 only when every case that ran passed (2 when nothing could
 * run). SIGINT stops the run; every case still cleans up the streams it made.
 * Safe to point at anything: cases that change what the whole endpoint shares (tag exclusive:
 * the clock, /_sim/config, a reset of every stream) are skipped unless --exclusive, and with it
 * the clock, configuration and fault rules are put back afterwards (endpoint_state.c). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "case.h"
#include "endpoint_state.h"
#include "exec.h"
#include "http_raw.h"
#include "profile.h"
#include "report.h"
#include "sched.h"
#include "select.h"
#include "vars.h"
#include <kinesis/kinesis.h>

#define CF_MAX_JOBS 64
#define CF_MAX_REPORTS 8
#define CF_MAX_PATTERNS 64

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

typedef struct options {
    const char *endpoint, *region, *tags, *cases_dir, *model, *profile, *source;
    char *patterns[CF_MAX_PATTERNS];
    size_t n_patterns;
    char *skips[CF_MAX_PATTERNS];
    size_t n_skips;
    const char *report_fmt[CF_MAX_REPORTS], *report_file[CF_MAX_REPORTS];
    size_t n_reports;
    int jobs, list, verbose, exclusive;
    int64_t timeout_ms;
} options;

typedef struct runner {
    const cf_env *env;
    pthread_mutex_t lock; /* the first client error is printed once */
    int client_failed;
    cf_endpoint_state saved; /* the endpoint's shared state before the exclusive cases */
    int restore_failed;
} runner;

#ifndef KINESIS_VERSION
#define KINESIS_VERSION "0.0.0"
#endif

#define EXCLUSIVE_SKIP_REASON                                                                                \
    "exclusive: changes what the whole endpoint shares (clock, /_sim/config, every stream); run with "       \
    "--exclusive"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: kinesis-conform --endpoint URL [options]\n"
        "Runs the conformance cases against a Kinesis endpoint. It touches only the streams it creates\n"
        "(and deletes them); cases that change what the whole endpoint shares are skipped unless\n"
        "--exclusive.\n"
        "  --endpoint URL        the Kinesis endpoint to test (e.g. http://127.0.0.1:4567)\n"
        "  --region NAME         signing region (default AWS_REGION, AWS_DEFAULT_REGION or us-east-1)\n"
        "  --tags EXPR           select by tags: \"aws,sim\", \"aws,!slow\" (default: all)\n"
        "  --case NAME|GLOB      select by name (repeatable)\n"
        "  --source KINDS        select by evidence: recorded, doc, model, inferred (\"recorded,doc\": "
        "either)\n"
        "  --skip NAME|GLOB      leave out cases by name (repeatable), e.g. one that crashes the endpoint\n"
        "  --exclusive           also run the cases tagged exclusive (they reset every stream, move the\n"
        "                        clock, change /_sim/config): only against an endpoint of your own; the\n"
        "                        clock, the configuration and the fault rules are put back afterwards\n"
        "  --jobs N              cases in parallel (default from the profile)\n"
        "  --report FMT FILE     write a report: tap, junit or json (repeatable)\n"
        "  --list                list the selected cases and their tags, run nothing\n"
        "  --timeout SECONDS     per case (default from the profile)\n"
        "  --cases DIR           case directory (default ./fixtures/conformance, else the installed\n"
        "                        PREFIX/share/kinesis-sim/conformance next to the binary)\n"
        "  --model FILE          API model for the operations table (default "
        "DIR/../kinesis-api/service-2.json)\n"
        "  --profile NAME        %s (waits and timeouts only; default kinesis-sim)\n"
        "  --verbose             print every call to stderr\n"
        "  --version             print the version and exit\n"
        "Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else dummy "
        "ones.\n"
        "Exit status: 0 every case that ran passed, 1 some failed, 2 nothing could run (bad arguments,\n"
        "invalid URL, endpoint not reachable, report file not writable).\n",
        cf_profile_names());
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *next = k + 1 < argc ? argv[k + 1] : NULL;
#define NEED_ARG                                                                                             \
    do {                                                                                                     \
        if (!next) {                                                                                         \
            fprintf(stderr, "kinesis-conform: %s needs a value\n", a);                                       \
            return -1;                                                                                       \
        }                                                                                                    \
        k++;                                                                                                 \
    } while (0)
        long v;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
            printf("kinesis-conform %s\n", KINESIS_VERSION);
            exit(0);
        } else if (!strcmp(a, "--exclusive")) {
            o->exclusive = 1;
        } else if (!strcmp(a, "--endpoint")) {
            NEED_ARG;
            o->endpoint = next;
        } else if (!strcmp(a, "--region")) {
            NEED_ARG;
            o->region = next;
        } else if (!strcmp(a, "--tags")) {
            NEED_ARG;
            o->tags = next;
        } else if (!strcmp(a, "--source")) {
            NEED_ARG;
            cf_case probe;
            memset(&probe, 0, sizeof probe);
            if (cf_source_match(&probe, next) < 0 || !*next) {
                fprintf(
                    stderr,
                    "kinesis-conform: --source takes recorded, doc, model or inferred (comma-separated)\n");
                return -1;
            }
            o->source = next;
        } else if (!strcmp(a, "--case")) {
            NEED_ARG;
            if (o->n_patterns == CF_MAX_PATTERNS) {
                fprintf(stderr, "kinesis-conform: too many --case options\n");
                return -1;
            }
            o->patterns[o->n_patterns++] = (char *)next;
        } else if (!strcmp(a, "--skip")) {
            NEED_ARG;
            if (o->n_skips == CF_MAX_PATTERNS) {
                fprintf(stderr, "kinesis-conform: too many --skip options\n");
                return -1;
            }
            o->skips[o->n_skips++] = (char *)next;
        } else if (!strcmp(a, "--jobs")) {
            NEED_ARG;
            if (parse_int(next, 1, CF_MAX_JOBS, &v) < 0) {
                fprintf(stderr, "kinesis-conform: --jobs must be 1..%d\n", CF_MAX_JOBS);
                return -1;
            }
            o->jobs = (int)v;
        } else if (!strcmp(a, "--report")) {
            if (k + 2 >= argc) {
                fprintf(stderr, "kinesis-conform: --report needs a format (tap|junit|json) and a file\n");
                return -1;
            }
            const char *fmt = argv[k + 1];
            if (strcmp(fmt, "tap") && strcmp(fmt, "junit") && strcmp(fmt, "json")) {
                fprintf(stderr, "kinesis-conform: unknown report format '%s' (tap, junit or json)\n", fmt);
                return -1;
            }
            if (o->n_reports == CF_MAX_REPORTS) {
                fprintf(stderr, "kinesis-conform: too many --report options\n");
                return -1;
            }
            o->report_fmt[o->n_reports] = fmt;
            o->report_file[o->n_reports++] = argv[k + 2];
            k += 2;
        } else if (!strcmp(a, "--list")) {
            o->list = 1;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            o->verbose = 1;
        } else if (!strcmp(a, "--timeout")) {
            NEED_ARG;
            if (parse_int(next, 1, 86400, &v) < 0) {
                fprintf(stderr, "kinesis-conform: --timeout is seconds, 1..86400\n");
                return -1;
            }
            o->timeout_ms = (int64_t)v * 1000;
        } else if (!strcmp(a, "--cases")) {
            NEED_ARG;
            o->cases_dir = next;
        } else if (!strcmp(a, "--model")) {
            NEED_ARG;
            o->model = next;
        } else if (!strcmp(a, "--profile")) {
            NEED_ARG;
            o->profile = next;
        } else {
            fprintf(stderr, "kinesis-conform: unknown argument '%s' (see --help)\n", a);
            return -1;
        }
#undef NEED_ARG
    }
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* fixtures/conformance from the working directory, else relative to the binary. */
static const char *find_cases_dir(char *buf, size_t n)
{
    if (is_dir("fixtures/conformance"))
        return "fixtures/conformance";
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    static const char *const rel[] = {"/../fixtures/conformance", "/../../fixtures/conformance",
                                      "/../share/kinesis-sim/conformance"};
    for (size_t k = 0; k < sizeof rel / sizeof rel[0]; k++) {
        cf_fmt(buf, n, "%s%s", exe, rel[k]);
        if (is_dir(buf))
            return buf;
    }
    return NULL;
}

static void *client_new(void *ud)
{
    runner *rn = ud;
    kinesis_client_options co;
    memset(&co, 0, sizeof co);
    co.region = rn->env->region;
    co.endpoint = rn->env->endpoint;
    co.access_key_id = rn->env->access_key_id;
    co.secret_access_key = rn->env->secret_access_key;
    co.session_token = rn->env->session_token;
    co.request_timeout_ms = rn->env->profile->request_timeout_ms;
    co.user_agent = "kinesis-conform";
    kinesis_error *err = NULL;
    kinesis_client *client = kinesis_client_new(&co, &err);
    if (!client) {
        pthread_mutex_lock(&rn->lock);
        if (!rn->client_failed)
            fprintf(stderr, "kinesis-conform: cannot create a client: %s\n",
                    err && err->message ? err->message : "unknown error");
        rn->client_failed = 1;
        pthread_mutex_unlock(&rn->lock);
        kinesis_error_free(err);
    }
    return client;
}

static void client_free(void *ctx, void *ud)
{
    (void)ud;
    kinesis_client_free(ctx);
}

static void run_case(cf_outcome *o, size_t index, void *ctx, void *ud)
{
    runner *rn = ud;
    cf_run_case(o->c, index, rn->env, ctx, &o->res);
}

static void case_done(const cf_outcome *o, void *ud)
{
    (void)ud;
    cf_print_case_line(stdout, o);
    fflush(stdout);
}

static int endpoint_alive(void *ud)
{
    runner *rn = ud;
    return cf_endpoint_answers(rn->env, 3000, NULL, 0);
}

/* Before the run: each report file can be written (an existing one is writable, a new one can be
 * created: tried and removed again), so a long run never ends in "cannot write". */
static int check_reports(const options *o)
{
    for (size_t k = 0; k < o->n_reports; k++) {
        const char *path = o->report_file[k];
        struct stat st;
        int rc = 0;
        if (stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                errno = EISDIR;
                rc = -1;
            } else {
                rc = access(path, W_OK);
            }
        } else {
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            rc = fd < 0 ? -1 : 0;
            if (fd >= 0) {
                close(fd);
                unlink(path);
            }
        }
        if (rc != 0) {
            fprintf(stderr, "kinesis-conform: cannot write report file %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* An http:// or https:// URL with a host; why says what is wrong. */
static int endpoint_url_ok(const char *url, char *why, size_t why_len)
{
    CURLU *u = curl_url();
    if (!u) {
        cf_fmt(why, why_len, "out of memory");
        return 0;
    }
    char *scheme = NULL, *host = NULL;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    int ok = 0;
    if (rc != CURLUE_OK)
        cf_fmt(why, why_len, "%s", curl_url_strerror(rc));
    else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
             (strcmp(scheme, "http") && strcmp(scheme, "https")))
        cf_fmt(why, why_len, "the scheme must be http or https");
    else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
        cf_fmt(why, why_len, "no host");
    else
        ok = 1;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static void exclusive_begin(void *ud)
{
    runner *rn = ud;
    cf_endpoint_state_save(rn->env, &rn->saved);
}

static void exclusive_end(void *ud)
{
    runner *rn = ud;
    char why[1024];
    if (cf_endpoint_state_restore(rn->env, &rn->saved, why, sizeof why) != 0) {
        fprintf(stderr, "kinesis-conform: could not put back %s\n", why);
        rn->restore_failed = 1;
    }
}

/* kinesis-sim with control-plane limits off (GET /_sim/config) does not need the runner's pacing:
 * without it a run takes a fraction of the time. */
static int endpoint_enforces_control_limits(const cf_env *env)
{
    json_t *raw = json_pack("{ss ss}", "method", "GET", "path", "/_sim/config");
    json_object_set_new(raw, "content_type", json_null());
    cf_response r;
    cf_http_raw(env, raw, 5000, &r);
    json_decref(raw);
    json_t *cl = r.status == 200 ? json_object_get(r.body, "control_limits") : NULL;
    int enforces = !json_is_false(cl);
    cf_response_clean_up(&r);
    return enforces;
}

static int write_reports(const options *o, const cf_outcome *out, size_t n, double wall_seconds)
{
    int rc = 0;
    for (size_t k = 0; k < o->n_reports; k++) {
        FILE *f = fopen(o->report_file[k], "w");
        if (!f) {
            fprintf(stderr, "kinesis-conform: cannot write %s: %s\n", o->report_file[k], strerror(errno));
            rc = -1;
            continue;
        }
        int w = !strcmp(o->report_fmt[k], "tap") ? cf_write_tap(f, out, n)
                : !strcmp(o->report_fmt[k], "junit")
                    ? cf_write_junit(f, out, n, "kinesis-conform", wall_seconds)
                    : cf_write_json(f, out, n);
        if (fclose(f) != 0 || w < 0) {
            fprintf(stderr, "kinesis-conform: error writing %s\n", o->report_file[k]);
            rc = -1;
        }
    }
    return rc;
}

int main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    if (parse_args(argc, argv, &o) < 0)
        return 2;
    const cf_profile *prof = cf_profile_find(o.profile ? o.profile : "kinesis-sim");
    if (!prof) {
        fprintf(stderr, "kinesis-conform: unknown profile '%s' (%s)\n", o.profile, cf_profile_names());
        return 2;
    }
    char dirbuf[PATH_MAX + 64];
    const char *dir = o.cases_dir ? o.cases_dir : find_cases_dir(dirbuf, sizeof dirbuf);
    if (!dir) {
        fprintf(stderr, "kinesis-conform: no case directory found; give --cases DIR\n");
        return 2;
    }
    char err[2048];
    cf_case_list all = {0};
    if (cf_load_cases_dir(dir, &all, err, sizeof err) < 0) {
        fprintf(stderr, "kinesis-conform: %s\n", err);
        cf_case_list_free(&all);
        return 2;
    }
    cf_outcome *out = calloc(all.n ? all.n : 1, sizeof *out);
    size_t n = 0;
    for (size_t k = 0; k < all.n; k++)
        if (cf_tags_match(&all.items[k], o.tags) && cf_name_match(&all.items[k], o.patterns, o.n_patterns) &&
            cf_source_match(&all.items[k], o.source) == 1 &&
            !(o.n_skips && cf_name_match(&all.items[k], o.skips, o.n_skips)))
            out[n++].c = &all.items[k];
    if (o.list) {
        for (size_t k = 0; k < n; k++) {
            printf("%s", out[k].c->name);
            for (size_t t = 0; t < out[k].c->n_tags; t++)
                printf("%s%s", t ? "," : "  [", out[k].c->tags[t]);
            printf("]%s%s %s\n", out[k].c->gap ? " gap" : "", out[k].c->exclusive ? " exclusive" : "",
                   cf_source_kind_name(cf_case_evidence(out[k].c)));
        }
        free(out);
        cf_case_list_free(&all);
        return 0;
    }
    if (!o.endpoint) {
        fprintf(stderr, "kinesis-conform: --endpoint URL is required (see --help)\n");
        free(out);
        cf_case_list_free(&all);
        return 2;
    }
    if (n == 0) {
        fprintf(stderr, "kinesis-conform: no case matches the selection\n");
        free(out);
        cf_case_list_free(&all);
        return 2;
    }
    char why_url[256];
    if (!endpoint_url_ok(o.endpoint, why_url, sizeof why_url)) {
        fprintf(
            stderr,
            "kinesis-conform: invalid endpoint URL '%s': %s (expected http://HOST[:PORT] or https://...)\n",
            o.endpoint, why_url);
        free(out);
        cf_case_list_free(&all);
        return 2;
    }
    if (check_reports(&o) != 0) {
        free(out);
        cf_case_list_free(&all);
        return 2;
    }
    /* without --exclusive, the cases that change what the whole endpoint shares are left out */
    size_t skipped = 0;
    for (size_t k = 0; k < n; k++)
        if (out[k].c->exclusive && !o.exclusive) {
            out[k].res.skipped = 1;
            out[k].res.reason = strdup(EXCLUSIVE_SKIP_REASON);
            skipped++;
        }
    char modelbuf[PATH_MAX + 64];
    cf_fmt(modelbuf, sizeof modelbuf, "%s/../kinesis-api/service-2.json", dir);
    size_t n_ops = 0;
    char **ops = cf_model_operations(o.model ? o.model : modelbuf, &n_ops, err, sizeof err);
    if (!ops)
        fprintf(stderr, "kinesis-conform: no operations table: %s\n", err);

    const char *region = o.region ? o.region : getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    if (!region || !*region)
        region = "us-east-1";
    const char *akid = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    if (!akid || !*akid || !secret || !*secret) {
        akid = "AKIAIOSFODNN7EXAMPLE";
        secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        token = NULL;
    }
    char prefix[32];
    cf_fmt(prefix, sizeof prefix, "cf%06lx",
           ((unsigned long)getpid() * 2654435761u ^ (unsigned long)time(NULL)) & 0xffffffUL);
    cf_env env = {.endpoint = o.endpoint,
                  .region = region,
                  .access_key_id = akid,
                  .secret_access_key = secret,
                  .session_token = token && *token ? token : NULL,
                  .profile = prof,
                  .timeout_ms = o.timeout_ms ? o.timeout_ms : prof->case_timeout_ms,
                  .run_prefix = prefix,
                  .interrupted = &g_interrupted,
                  .verbose = o.verbose};
    cf_profile unpaced;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* an endpoint that does not answer at all is one line and exit 2, not a table of failures */
    char perr[512];
    if (!cf_endpoint_answers(&env, prof->request_timeout_ms, perr, sizeof perr)) {
        fprintf(stderr, "kinesis-conform: cannot reach %s: %s\n", env.endpoint, perr);
        for (size_t k = 0; k < n; k++)
            cf_result_clean_up(&out[k].res);
        free(out);
        if (ops)
            cf_free_strings(ops, n_ops);
        cf_case_list_free(&all);
        curl_global_cleanup();
        return 2;
    }
    if (prof->pace && !endpoint_enforces_control_limits(&env)) {
        unpaced = *prof;
        unpaced.pace = 0;
        env.profile = &unpaced;
    }
    for (size_t k = 0; k < n; k++)
        if (out[k].res.skipped)
            case_done(&out[k], NULL);

    runner rn = {.env = &env};
    pthread_mutex_init(&rn.lock, NULL);
    cf_sched sched = {.out = out,
                      .n = n,
                      .jobs = o.jobs ? o.jobs : prof->default_jobs,
                      .ctx_new = client_new,
                      .ctx_free = client_free,
                      .run = run_case,
                      .done = case_done,
                      .alive = endpoint_alive,
                      .interrupted = &g_interrupted,
                      .exclusive_begin = exclusive_begin,
                      .exclusive_end = exclusive_end,
                      .ud = &rn};
    int64_t t0 = cf_now_ms();
    size_t passed = cf_sched_run(&sched);
    double wall_seconds = (double)(cf_now_ms() - t0) / 1000.0;
    cf_endpoint_state_clean_up(&rn.saved);
    pthread_mutex_destroy(&rn.lock);
    if (ops)
        cf_print_op_table(stdout, ops, n_ops, out, n);
    cf_print_evidence(stdout, out, n);
    cf_print_failure_kinds(stdout, out, n);
    int rep = write_reports(&o, out, n, wall_seconds);
    /* the plain closing line CI tools read: "N passed, M failed", then the skipped when any */
    if (skipped)
        printf("%zu passed, %zu failed, %zu skipped\n", passed, n - passed - skipped, skipped);
    else
        printf("%zu passed, %zu failed\n", passed, n - passed);
    fflush(stdout);

    for (size_t k = 0; k < n; k++)
        cf_result_clean_up(&out[k].res);
    free(out);
    if (ops)
        cf_free_strings(ops, n_ops);
    cf_case_list_free(&all);
    curl_global_cleanup();
    return passed + skipped == n && rep == 0 && !rn.restore_failed && !g_interrupted ? 0 : 1;
}
