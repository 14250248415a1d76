/* engine.c: the transport and the event loop. Every call of the library is an "op" (internal.h)
 * whose current request is signed (sigv4.h) and sent on the client's one libcurl multi handle,
 * which keeps connections alive and uses HTTP/2 where the server offers it. A failed attempt is
 * retried per the client's policy (retry.c) after a jittered delay kept as a timer, never a sleep
 * inside a callback; the final answer goes to the op's step function. kinesis_client_run() is
 * the loop: it starts due requests, waits on the sockets or the next timer, and finishes
 * transfers. The blocking API runs this loop until its own op is done. A streaming op
 * (SubscribeToShard, subscribe.c) sets a sink: the bytes of its 2xx answer go to the sink as they
 * arrive, with no total timeout (only a stall limit), and over cleartext HTTP/2 with prior
 * knowledge when the client was asked for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/select.h>
#include <time.h>

#include <curl/curl.h>

#include "internal.h"
#include "shared/sigv4.h"

#define KC_MAX_RESPONSE (64u * 1024u * 1024u)

static int64_t now_ms(kinesis_client *c)
{
    return c->now(c->time_user);
}

kc_op *kc_op_new(kinesis_client *client, kc_step_fn step, void *ctx, kc_free_fn free_ctx)
{
    kc_op *op = calloc(1, sizeof *op);
    if (!op) {
        if (free_ctx)
            free_ctx(ctx);
        return NULL;
    }
    op->client = client;
    op->seq = client->next_seq++;
    op->step = step;
    op->ctx = ctx;
    op->free_ctx = free_ctx;
    op->next = client->ops;
    client->ops = op;
    return op;
}

static void reset_response(kc_op *op)
{
    free(op->resp);
    free(op->resp_request_id);
    free(op->resp_error_type);
    op->resp = op->resp_request_id = op->resp_error_type = NULL;
    op->resp_len = op->resp_cap = 0;
}

static void release_transfer(kc_op *op)
{
    if (op->easy) {
        curl_multi_remove_handle(op->client->multi, op->easy);
        curl_easy_cleanup(op->easy);
        op->easy = NULL;
    }
    curl_slist_free_all(op->headers);
    op->headers = NULL;
}

static void destroy(kc_op *op)
{
    kinesis_client *c = op->client;
    for (kc_op **pp = &c->ops; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    release_transfer(op);
    reset_response(op);
    kinesis_error_free(op->pending_err);
    free(op->operation);
    free(op->body);
    if (op->free_ctx)
        op->free_ctx(op->ctx);
    free(op);
}

void kc_op_fail(kc_op *op, kinesis_error *err)
{
    kinesis_error_free(op->pending_err);
    op->pending_err = err ? err : kc_err_nomem();
    op->state = KC_OP_WAITING;
    op->wake_at_ms = now_ms(op->client);
}

void kc_op_send(kc_op *op, const char *operation, const char *body, int64_t delay_ms)
{
    free(op->operation);
    free(op->body);
    op->operation = kc_strdup(operation);
    op->body = kc_strdup(body ? body : "{}");
    if (!op->operation || !op->body) {
        kc_op_fail(op, kc_err_nomem());
        return;
    }
    op->attempt = 0;
    op->delays_total_ms = 0;
    op->timer = 0;
    op->state = KC_OP_WAITING;
    op->wake_at_ms = now_ms(op->client) + (delay_ms > 0 ? delay_ms : 0);
}

void kc_op_finish(kc_op *op)
{
    op->state = KC_OP_DONE;
}

void kc_op_timer(kc_op *op, int64_t delay_ms)
{
    op->timer = 1;
    op->state = KC_OP_WAITING;
    /* at least 1 ms: a step that re-arms its timer must not be fired again in the same pass */
    op->wake_at_ms = now_ms(op->client) + (delay_ms > 1 ? delay_ms : 1);
}

void kc_op_abort(kc_op *op)
{
    if (op->client->in_sink) { /* libcurl forbids removing a handle from inside its callbacks */
        op->abort_requested = 1;
        op->no_retry = 1;
        return;
    }
    destroy(op);
}

/* Destroy the ops whose abort was deferred (kc_op_abort from inside a sink). */
static void sweep_aborted(kinesis_client *c)
{
    for (;;) {
        kc_op *op = c->ops;
        while (op && !op->abort_requested)
            op = op->next;
        if (!op)
            return;
        destroy(op);
    }
}

/* Hand the outcome to the step; destroy the op if the step finished it (or did nothing). */
static void deliver(kc_op *op, kinesis_error *err, kc_answer *ans)
{
    op->state = 0;
    op->step(op, err, ans);
    if (op->state == 0 || op->state == KC_OP_DONE)
        destroy(op);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    kc_op *op = userdata;
    size_t n = size * nmemb;
    if (op->sink) { /* a streaming op: a 2xx body goes to the sink as it arrives */
        long status = 0;
        curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &status);
        if (op->abort_requested)
            return 0;
        if (status >= 200 && status <= 299) {
            op->client->in_sink++;
            int rc = op->sink(op, (const uint8_t *)ptr, n);
            op->client->in_sink--;
            return rc == 0 && !op->abort_requested ? n : 0;
        }
    }
    if (op->resp_len + n + 1 > KC_MAX_RESPONSE)
        return 0;
    if (op->resp_len + n + 1 > op->resp_cap) {
        size_t cap = op->resp_cap ? op->resp_cap : 4096;
        while (cap < op->resp_len + n + 1)
            cap *= 2;
        char *nb = realloc(op->resp, cap);
        if (!nb)
            return 0;
        op->resp = nb;
        op->resp_cap = cap;
    }
    memcpy(op->resp + op->resp_len, ptr, n);
    op->resp_len += n;
    op->resp[op->resp_len] = '\0';
    return n;
}

/* Keep the value of a header "name: value" if it is `name`. */
static void take_header(const char *line, size_t len, const char *name, char **dst)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return;
    const char *v = line + nl + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t'))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
        vl--;
    free(*dst);
    *dst = kc_strndup(v, vl);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    kc_op *op = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
        free(op->resp_request_id);
        free(op->resp_error_type);
        op->resp_request_id = op->resp_error_type = NULL;
    }
    take_header(ptr, n, "x-amzn-RequestId", &op->resp_request_id);
    take_header(ptr, n, "x-amzn-ErrorType", &op->resp_error_type);
    return n;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
    char *line = kc_sprintf("%s: %s", name, value);
    if (!line)
        return -1;
    struct curl_slist *nl = curl_slist_append(*list, line);
    free(line);
    if (!nl)
        return -1;
    *list = nl;
    return 0;
}

/* Sign the op's request and put it on the multi handle. */
static kinesis_error *start_transfer(kc_op *op)
{
    kinesis_client *c = op->client;
    char amz_date[17], date[9];
    int64_t epoch = (int64_t)time(NULL);
    sigv4_format_time(epoch, amz_date, date);
    char *target = kc_sprintf("Kinesis_20131202.%s", op->operation);
    if (!target)
        return kc_err_nomem();
    sigv4_header hs[5] = {{"Host", c->endpoint.host},
                          {"X-Amz-Date", amz_date},
                          {"X-Amz-Target", target},
                          {"Content-Type", "application/x-amz-json-1.1"},
                          {"X-Amz-Security-Token", c->creds.session_token}};
    size_t nh = c->creds.session_token ? 5 : 4;
    size_t body_len = strlen(op->body);
    sigv4_request rq = {"POST", c->endpoint.path, NULL, hs, nh, (const uint8_t *)op->body, body_len};
    /* The token (if any) is one of the headers above, so the signer needs no session_token. */
    sigv4_params p = {
        c->creds.access_key_id, c->creds.secret_access_key, NULL, c->region, "kinesis", epoch, 1, 0};
    sigv4_result sr;
    memset(&sr, 0, sizeof sr);
    kinesis_error *err = NULL;
    if (sigv4_sign(&rq, &p, &sr) != 0 || !sr.authorization) {
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_CONFIGURATION, 0, "signing the %s request failed",
                     op->operation);
        goto out;
    }
    struct curl_slist *h = NULL;
    int bad = 0;
    for (size_t i = 0; i < nh; i++)
        bad |= add_header(&h, hs[i].name, hs[i].value);
    bad |= add_header(&h, "Authorization", sr.authorization);
    struct curl_slist *nl = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (!nl)
        bad = 1;
    else
        h = nl;
    CURL *e = bad ? NULL : curl_easy_init();
    if (!e) {
        curl_slist_free_all(h);
        err = kc_err_nomem();
        goto out;
    }
    op->headers = h;
    op->easy = e;
    op->curl_errbuf[0] = '\0';
    reset_response(op);
    curl_easy_setopt(e, CURLOPT_URL, c->endpoint.url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, op->body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    long http_version = CURL_HTTP_VERSION_2TLS; /* h2 over TLS when offered, else HTTP/1.1 */
    if (op->sink && c->http2_prior_knowledge && strncasecmp(c->endpoint.url, "http://", 7) == 0)
        http_version = CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, http_version);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    if (op->sink) {
        /* A stream lasts minutes: no total timeout, but fail when nothing arrives for the
         * request timeout (the service sends an event at least every 5 seconds). */
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)((c->request_timeout_ms + 999) / 1000));
    } else {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->request_timeout_ms);
    }
    if (c->ca_bundle)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, op);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, op);
    curl_easy_setopt(e, CURLOPT_PRIVATE, op);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, op->curl_errbuf);
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        release_transfer(op);
        err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TRANSPORT, 0, "curl_multi_add_handle failed");
        goto out;
    }
    op->state = KC_OP_INFLIGHT;
    if (c->debug)
        fprintf(stderr, "kinesis: > POST %s %s (attempt %d)\n> %s\n", c->endpoint.url, op->operation,
                op->attempt + 1, op->body);
out:
    sigv4_result_clean_up(&sr);
    free(target);
    return err;
}

/* A transfer ended: retry, or give the final outcome to the step. */
/* Whether a libcurl failure means the server's certificate (or our CA bundle) was not accepted:
 * trying again cannot help, so these are named TLS and are not retried (retry.c). */
static int certificate_error(CURLcode rc)
{
    switch (rc) {
    case CURLE_PEER_FAILED_VERIFICATION: /* unknown issuer, self-signed, wrong host name, expired */
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    default:
        return 0;
    }
}

static void complete(kc_op *op, CURLcode rc)
{
    kinesis_client *c = op->client;
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &status);
    release_transfer(op);
    op->attempt++;
    kinesis_error *err = NULL;
    if (c->debug)
        fprintf(stderr, "kinesis: < %s %ld %s\n< %s\n", op->operation, status,
                op->resp_request_id ? op->resp_request_id : "-", op->resp ? op->resp : "");
    if (rc != CURLE_OK) {
        const char *why = op->curl_errbuf[0] ? op->curl_errbuf : curl_easy_strerror(rc);
        if (certificate_error(rc))
            err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TLS, 0,
                         "%s %s: %s (a certificate this client does not trust: give its CA with "
                         "options.ca_bundle or AWS_CA_BUNDLE)",
                         op->operation, c->endpoint.url, why);
        else
            err = kc_err(KINESIS_ERROR_LIBRARY,
                         rc == CURLE_OPERATION_TIMEDOUT ? KINESIS_ERR_TIMEOUT : KINESIS_ERR_TRANSPORT, 0,
                         "%s %s: %s", op->operation, c->endpoint.url, why);
    } else if (status < 200 || status > 299) {
        err = kc_error_from_answer((int)status, op->resp ? op->resp : "", op->resp_len, op->resp_request_id,
                                   op->resp_error_type);
    }
    if (err && !op->no_retry && op->attempt < c->retry.max_attempts &&
        kinesis_is_retryable(err->name, err->http_status)) {
        int64_t delay = kinesis_retry_delay_ms(&c->retry, op->attempt, &c->rng);
        if (op->delays_total_ms + delay <= c->retry.max_total_ms) {
            if (c->debug)
                fprintf(stderr, "kinesis: retrying %s in %lld ms after %s\n", op->operation, (long long)delay,
                        err->name);
            op->delays_total_ms += delay;
            kinesis_error_free(err);
            reset_response(op);
            op->state = KC_OP_WAITING;
            op->wake_at_ms = now_ms(c) + delay;
            return;
        }
    }
    if (err && err != kc_err_nomem())
        err->attempts = op->attempt;
    kc_answer ans = {(int)status, op->resp ? op->resp : (char *)"", op->resp_len, op->resp_request_id,
                     op->attempt};
    deliver(op, err, &ans);
}

static void process_done(kinesis_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        char *priv = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
        if (priv)
            complete((kc_op *)(void *)priv, rc);
    }
}

/* Start every request (or deliver every deferred error) that is due, among the ops that existed
 * when this pass began (so a callback that queues a new op cannot keep this loop going). */
static void fire_due(kinesis_client *c)
{
    uint64_t limit = c->next_seq;
    for (;;) {
        int64_t now = now_ms(c);
        kc_op *due = NULL;
        for (kc_op *op = c->ops; op; op = op->next)
            if (op->state == KC_OP_WAITING && op->wake_at_ms <= now && op->seq < limit) {
                due = op;
                break;
            }
        if (!due)
            return;
        if (due->timer) { /* a timer (kc_op_timer): the step runs with no answer */
            due->timer = 0;
            kc_answer ans = {0, (char *)"", 0, NULL, 0};
            deliver(due, NULL, &ans);
            continue;
        }
        if (due->pending_err) {
            kinesis_error *err = due->pending_err;
            due->pending_err = NULL;
            if (err != kc_err_nomem())
                err->attempts = due->attempt;
            kc_answer ans = {0, (char *)"", 0, NULL, due->attempt};
            deliver(due, err, &ans);
            continue;
        }
        kinesis_error *err = start_transfer(due);
        if (err) {
            err->attempts = due->attempt;
            kc_answer ans = {0, (char *)"", 0, NULL, due->attempt};
            deliver(due, err, &ans);
        }
    }
}

static int count_state(const kinesis_client *c, int state)
{
    int n = 0;
    for (const kc_op *op = c->ops; op; op = op->next)
        if (state == 0 ? op->state != KC_OP_DONE : op->state == state)
            n++;
    return n;
}

int kinesis_client_pending(const kinesis_client *client)
{
    return client ? count_state(client, 0) : 0;
}

/* Milliseconds until the earliest waiting op is due (0 if due), -1 if none waits. */
static int64_t next_wake(kinesis_client *c)
{
    int64_t best = -1, now = now_ms(c);
    for (kc_op *op = c->ops; op; op = op->next)
        if (op->state == KC_OP_WAITING) {
            int64_t d = op->wake_at_ms - now;
            if (d < 0)
                d = 0;
            if (best < 0 || d < best)
                best = d;
        }
    return best;
}

/* A multi-handle failure: fail every transfer in flight so no caller waits forever. */
static void fail_inflight(kinesis_client *c, CURLMcode mc)
{
    for (;;) {
        kc_op *op = c->ops;
        while (op && op->state != KC_OP_INFLIGHT)
            op = op->next;
        if (!op)
            return;
        release_transfer(op);
        op->attempt++;
        kinesis_error *err =
            kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_TRANSPORT, 0, "libcurl: %s", curl_multi_strerror(mc));
        if (err != kc_err_nomem())
            err->attempts = op->attempt;
        kc_answer ans = {0, (char *)"", 0, NULL, op->attempt};
        deliver(op, err, &ans);
    }
}

static int perform(kinesis_client *c)
{
    int running = 0;
    CURLMcode mc = curl_multi_perform(c->multi, &running);
    process_done(c);
    sweep_aborted(c);
    if (mc != CURLM_OK) {
        fail_inflight(c, mc);
        return -1;
    }
    return 0;
}

int kinesis_client_run(kinesis_client *client, int timeout_ms)
{
    if (!client)
        return -1;
    kinesis_client *c = client;
    int rc = 0;
    fire_due(c);
    if (perform(c) < 0)
        rc = -1;
    fire_due(c);
    if (count_state(c, 0) == 0)
        return rc;
    int64_t wait = timeout_ms < 0 ? 0 : timeout_ms;
    int64_t nw = next_wake(c);
    if (nw >= 0 && nw < wait)
        wait = nw;
    if (count_state(c, KC_OP_INFLIGHT) > 0) {
        CURLMcode mc = curl_multi_poll(c->multi, NULL, 0, (int)wait, NULL);
        if (mc != CURLM_OK) {
            fail_inflight(c, mc);
            rc = -1;
        }
    } else if (wait > 0) {
        c->sleep_ms(wait, c->time_user);
    }
    fire_due(c);
    if (perform(c) < 0)
        rc = -1;
    return rc < 0 ? -1 : count_state(c, 0);
}

int kinesis_client_fdset(kinesis_client *client, void *read_fds, void *write_fds, void *except_fds,
                         int *max_fd)
{
    if (!client || !read_fds || !write_fds || !except_fds || !max_fd)
        return -1;
    fire_due(client);
    if (perform(client) < 0)
        return -1;
    return curl_multi_fdset(client->multi, (fd_set *)read_fds, (fd_set *)write_fds, (fd_set *)except_fds,
                            max_fd) == CURLM_OK
               ? 0
               : -1;
}

int64_t kinesis_client_timeout_ms(kinesis_client *client)
{
    if (!client || count_state(client, 0) == 0)
        return -1;
    long curl_ms = -1;
    curl_multi_timeout(client->multi, &curl_ms);
    int64_t nw = next_wake(client);
    if (curl_ms < 0)
        return nw < 0 ? 1000 : nw;
    if (nw < 0 || curl_ms < nw)
        return curl_ms;
    return nw;
}

void kc_wait(kinesis_client *client, const int *done)
{
    client->in_blocking++;
    while (!*done)
        kinesis_client_run(client, 1000);
    client->in_blocking--;
}

void kinesis_client_free(kinesis_client *client)
{
    if (!client)
        return;
    while (client->ops)
        destroy(client->ops);
    if (client->multi)
        curl_multi_cleanup(client->multi);
    kc_endpoint_clean_up(&client->endpoint);
    kc_credentials_clean_up(&client->creds);
    free(client->region);
    free(client->ca_bundle);
    free(client->user_agent);
    free(client);
}
