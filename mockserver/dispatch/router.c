/* router.c: one table of operations and one function that does the generic checks before any
 * handler runs (the shape of redis's processCommand). sim_dispatch never fails: every problem
 * becomes an AWS-style error answer.
 *
 * Order of checks for AWS's `POST /` space: AWS's answers as kinesalite 3.3.3's index.js and its
 * recorded connection tests give them (docs/aws-behaviour.md, "The front door"):
 *   0. Origin header            -> Access-Control-Allow-Origin: *; OPTIONS with Origin is a CORS
 *                                  preflight: 200, empty, no Content-Type and no x-amz-id-2, the
 *                                  Access-Control-Request-* headers echoed, Max-Age 172800; any
 *                                  other request with Origin also gets Access-Control-Expose-Headers
 *   1. method is not POST       -> 403 AccessDeniedException as XML, no Content-Type
 *                                  "Unable to determine service/operation name to be authorized"
 *   2. empty body               -> 400 SerializationException when the target names a known
 *                                  operation, else UnknownOperationException; as JSON 1.1 when the
 *                                  content type is exactly that, as CBOR for anything else
 *   3. content type not JSON 1.1, application/json or CBOR 1.1
 *                               -> 403 AccessDeniedException as in 1 when X-Amz-Target has no
 *                                  "Service.Operation" form, else 404 <UnknownOperationException/>
 *   4. application/json         -> AWS's old "Output" envelope, content type application/json:
 *                                  400 SerializationException when the body is not a JSON object,
 *                                  else 404 UnknownOperationException (it goes no further)
 *   5. body does not parse, or is not an object -> 400 {"__type":"SerializationException"}
 *   6. X-Amz-Target is not "Kinesis_20131202.<known operation>" -> 400 {"__type":"UnknownOperationException"}
 *   7. signature presence and format (auth.c)   -> 400 InvalidSignature / MissingAuthenticationToken /
 *                                                  IncompleteSignature
 *      with --auth strict, the signature itself -> 400 UnrecognizedClientException (unknown key) /
 *                                                  InvalidSignatureException (wrong, or stale date)
 *      then the access key picks the account and the credential scope the region (auth.h)
 *   8. model validation (validate.c)            -> 400 SerializationException ("Message")
 *                                                  or ValidationException
 *      the simulation layer (simulation.h)      -> fault rules (error, latency, dropped connection)
 *                                                  and control-plane rates (LimitExceededException)
 *   9. operation not implemented by kinesis-sim -> 400 UnknownOperationException
 *                                                  "kinesis-sim does not implement <Op> yet"
 *  10. the handler; an operation without output answers 200 with an empty body (the API
 *      reference: "an HTTP 200 response with an empty HTTP body").
 * Every answer, error or not, then passes through sim_sim_after_op (metrics, body faults).
 * Answers use the request's codec: JSON, or CBOR for application/x-amz-cbor-1.1 (codec.h).
 * The control API (/_sim/...) skips all of this; it is gated only by --control-token (see
 * control_gate below). */
#include "dispatch/router.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dispatch/auth.h"
#include "dispatch/control.h"
#include "dispatch/validate.h"
#include "ops/ops.h"
#include "ops/resources.h"
#include "server/config.h"
#include "simulation/simulation.h"

/* ---- the operation table: all 39 operations of the API model (service-2.json) ---- */
/* The one list of operations, in the API model's order, with their properties: the control-plane
 * rate AWS documents (calls per second per account and region, or per stream; docs/aws-behaviour.md
 * "Control-plane rates") and how the simulation hooks treat them (server/sim.h, SIM_OP_*). */
static const sim_op op_table[] = {
    {"AddTagsToStream", op_add_tags_to_stream, 5, SIM_OP_NO_OUTPUT},
    {"CreateStream", op_create_stream, 5, SIM_OP_NO_OUTPUT},
    {"DecreaseStreamRetentionPeriod", op_decrease_stream_retention_period, 0, SIM_OP_NO_OUTPUT},
    {"DeleteResourcePolicy", op_delete_resource_policy, 0, SIM_OP_NO_OUTPUT},
    {"DeleteStream", op_delete_stream, 5, SIM_OP_NO_OUTPUT},
    {"DeregisterStreamConsumer", op_deregister_stream_consumer, 5, SIM_OP_RATE_PER_STREAM | SIM_OP_NO_OUTPUT},
    {"DescribeAccountSettings", op_describe_account_settings, 5, 0},
    {"DescribeLimits", op_describe_limits, 1, 0},
    {"DescribeStream", op_describe_stream, 10, 0},
    {"DescribeStreamConsumer", op_describe_stream_consumer, 20, SIM_OP_RATE_PER_STREAM},
    {"DescribeStreamSummary", op_describe_stream_summary, 20, 0},
    {"DisableEnhancedMonitoring", op_disable_enhanced_monitoring, 0, 0},
    {"EnableEnhancedMonitoring", op_enable_enhanced_monitoring, 0, 0},
    {"GetRecords", op_get_records, 0, SIM_OP_STREAM_FROM_ITERATOR},
    {"GetResourcePolicy", op_get_resource_policy, 0, 0},
    {"GetShardIterator", op_get_shard_iterator, 0, 0},
    {"IncreaseStreamRetentionPeriod", op_increase_stream_retention_period, 0, SIM_OP_NO_OUTPUT},
    {"ListShards", op_list_shards, 1000, SIM_OP_RATE_PER_STREAM},
    {"ListStreamConsumers", op_list_stream_consumers, 5, SIM_OP_RATE_PER_STREAM},
    {"ListStreams", op_list_streams, 5, 0},
    {"ListTagsForResource", op_list_tags_for_resource, 0, 0},
    {"ListTagsForStream", op_list_tags_for_stream, 5, 0},
    {"MergeShards", op_merge_shards, 5, SIM_OP_NO_OUTPUT},
    {"PutRecord", op_put_record, 0, 0},
    {"PutRecords", op_put_records, 0, 0},
    {"PutResourcePolicy", op_put_resource_policy, 0, SIM_OP_NO_OUTPUT},
    {"RegisterStreamConsumer", op_register_stream_consumer, 5, 0},
    {"RemoveTagsFromStream", op_remove_tags_from_stream, 5, SIM_OP_NO_OUTPUT},
    {"SplitShard", op_split_shard, 5, SIM_OP_NO_OUTPUT},
    {"StartStreamEncryption", op_start_stream_encryption, 0, SIM_OP_NO_OUTPUT},
    {"StopStreamEncryption", op_stop_stream_encryption, 0, SIM_OP_NO_OUTPUT},
    {"SubscribeToShard", op_subscribe_to_shard, 0, 0},
    {"TagResource", op_tag_resource, 0, SIM_OP_NO_OUTPUT},
    {"UntagResource", op_untag_resource, 0, SIM_OP_NO_OUTPUT},
    {"UpdateAccountSettings", op_update_account_settings, 5, 0},
    {"UpdateMaxRecordSize", op_update_max_record_size, 0, SIM_OP_NO_OUTPUT},
    {"UpdateShardCount", op_update_shard_count, 10, 0},
    {"UpdateStreamMode", op_update_stream_mode, 0, SIM_OP_NO_OUTPUT},
    {"UpdateStreamWarmThroughput", op_update_stream_warm_throughput, 5, 0},
};
#define N_OPS (sizeof op_table / sizeof op_table[0])

size_t sim_router_op_count(void)
{
    return N_OPS;
}

const sim_op *sim_router_op(size_t i)
{
    return i < N_OPS ? &op_table[i] : NULL;
}

const sim_op *sim_router_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_OPS; i++)
        if (strcmp(op_table[i].name, name) == 0)
            return &op_table[i];
    return NULL;
}

/* ---- shared helpers declared in sim.h ---- */

const char *sim_request_header(const sim_request *req, const char *name)
{
    for (size_t i = 0; req && i < req->n_headers; i++)
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

int sim_fail(sim_ctx *ctx, sim_error_code err, const char *fmt, ...)
{
    ctx->err = err;
    ctx->err_set = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err_msg, sizeof ctx->err_msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- responses ---- */

static void set_body(sim_response *resp, codec_kind k, int status, uint8_t *body, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->body = body;
    resp->body_len = len;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", codec_content_type(k));
}

void sim_response_error(sim_response *resp, codec_kind k, sim_error_code code, int status, const char *msg)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (k == CODEC_UNSUPPORTED)
        k = CODEC_AWS_JSON;
    if (msg && !msg[0] && (code == SIM_ERR_SerializationException || code == SIM_ERR_InternalFailure))
        msg = NULL; /* a bare {"__type": ...}: validation's SerializationException, AWS's InternalFailure */
    if (status <= 0)
        status = sim_error_status(code);
    if (status <= 0)
        status = 500;
    if (codec_error_body(k, code, msg, &body, &len) != 0)
        status = 500; /* out of memory: an empty 500 is all we can say */
    set_body(resp, k, status, body, len);
}

void sim_response_ok(sim_response *resp, codec_kind k, const char *op, const json_t *v)
{
    uint8_t *body = NULL;
    size_t len = 0;
    if (codec_encode_op(k, op, v, &body, &len) != 0) {
        sim_response_error(resp, k, SIM_ERR_InternalFailure, 0, "Internal service error");
        return;
    }
    set_body(resp, k, 200, body, len);
}

void sim_response_clean_up(sim_response *resp)
{
    if (resp->stream)
        resp->stream->close(resp->stream);
    free(resp->body);
    for (size_t i = 0; i < resp->n_extra; i++) {
        free(resp->extra[i].name);
        free(resp->extra[i].value);
    }
    memset(resp, 0, sizeof *resp);
}

/* ---- dispatch ---- */

static int is_control_path(const char *path)
{
    return path && strncmp(path, "/_sim", 5) == 0 && (path[5] == 0 || path[5] == '/');
}

static int64_t now_ms(const sim_server *srv)
{
    if (srv->clock)
        return sim_clock_now_ms(srv->clock);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define ACCESS_DENIED_MSG "Unable to determine service/operation name to be authorized"

/* Answer an error and record it in ctx, so the simulation layer's metrics name it whatever the
 * codec. */
static void fail_answer(sim_ctx *ctx, sim_response *resp, codec_kind k, sim_error_code code, int status,
                        const char *msg)
{
    ctx->err = code;
    ctx->err_set = 1;
    sim_response_error(resp, k, code, status, msg);
}

/* Equal strings, in time that does not depend on where they differ. */
static int token_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned)(unsigned char)a[i] ^ (unsigned)(unsigned char)(i < lb ? b[i] : 0);
    return diff == 0;
}

/* The control API's gate. With --control-token every /_sim/ request but
 * GET /_sim/health must carry it in X-Sim-Control-Token; without one the control API is open
 * only while the server listens on loopback. 0 to go on, -1 with resp filled (403). */
static int control_gate(const sim_server *srv, const sim_request *req, sim_response *resp)
{
    if (req->method && strcmp(req->method, "GET") == 0 && req->path && strcmp(req->path, "/_sim/health") == 0)
        return 0;
    const char *want = srv->cfg.control_token;
    if (want[0]) {
        const char *got = sim_request_header(req, SIM_CONTROL_TOKEN_HEADER);
        if (got && token_equal(got, want))
            return 0;
        sim_response_error(resp, CODEC_AWS_JSON, SIM_ERR_AccessDeniedException, 403,
                           got ? "The " SIM_CONTROL_TOKEN_HEADER " header does not match --control-token."
                               : "The control API needs the " SIM_CONTROL_TOKEN_HEADER
                                 " header (kinesis-sim was started with --control-token).");
        return -1;
    }
    if (sim_config_host_is_loopback(srv->cfg.host))
        return 0;
    sim_response_error(resp, CODEC_AWS_JSON, SIM_ERR_AccessDeniedException, 403,
                       "The control API is disabled because kinesis-sim listens on a non-loopback address: "
                       "start it with --control-token TOKEN and send the token in " SIM_CONTROL_TOKEN_HEADER
                       ".");
    return -1;
}

/* Add a response header (copies of name and value); silently dropped when there is no room. */
static void add_header(sim_response *resp, const char *name, const char *value)
{
    if (resp->n_extra >= SIM_RESPONSE_EXTRA_MAX)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    resp->extra[resp->n_extra].name = n;
    resp->extra[resp->n_extra].value = v;
    resp->n_extra++;
}

/* AWS's XML error answers outside the JSON protocol: no Content-Type. message NULL gives the empty
 * element form (<UnknownOperationException/>). */
static void xml_answer(sim_ctx *ctx, sim_response *resp, sim_error_code code, int status, const char *message)
{
    char text[256];
    const char *name = sim_error_name(code);
    int n = message
                ? snprintf(text, sizeof text, "<%s>\n  <Message>%s</Message>\n</%s>\n", name, message, name)
                : snprintf(text, sizeof text, "<%s/>\n", name);
    ctx->err = code;
    ctx->err_set = 1;
    free(resp->body);
    resp->body = n > 0 && (size_t)n < sizeof text ? (uint8_t *)strdup(text) : NULL;
    resp->body_len = resp->body ? (size_t)n : 0;
    resp->status = status;
    resp->content_type[0] = 0;
}

/* AWS's answer to application/json: the old Coral "Output" envelope, as application/json. */
static void envelope_answer(sim_ctx *ctx, sim_response *resp, sim_error_code code, int status)
{
    char text[160];
    int n = snprintf(text, sizeof text,
                     "{\"Output\":{\"__type\":\"com.amazon.coral.service#%s\"},\"Version\":\"1.0\"}",
                     sim_error_name(code));
    ctx->err = code;
    ctx->err_set = 1;
    free(resp->body);
    resp->body = (uint8_t *)strdup(text);
    resp->body_len = resp->body ? (size_t)n : 0;
    resp->status = status;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", codec_content_type(CODEC_PLAIN_JSON));
}

#define CORS_EXPOSE_HEADERS                                                                                  \
    "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date"
#define CORS_MAX_AGE "172800"

/* Step 0: CORS. 1 when the request was a preflight and resp is its whole answer. */
static int cors(const sim_request *req, sim_response *resp)
{
    if (!sim_request_header(req, "Origin"))
        return 0;
    add_header(resp, "Access-Control-Allow-Origin", "*");
    if (req->method && strcmp(req->method, "OPTIONS") == 0) {
        const char *h = sim_request_header(req, "Access-Control-Request-Headers");
        const char *m = sim_request_header(req, "Access-Control-Request-Method");
        if (h)
            add_header(resp, "Access-Control-Allow-Headers", h);
        if (m)
            add_header(resp, "Access-Control-Allow-Methods", m);
        add_header(resp, "Access-Control-Max-Age", CORS_MAX_AGE);
        resp->status = 200;
        resp->content_type[0] = 0;
        resp->no_amz_id2 = 1;
        return 1;
    }
    add_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
    return 0;
}

/* The stream a request names (StreamName, else the name in StreamARN or ConsumerARN), for the
 * front door's debug line: "... -> 400 (0.31 ms) <request id> stream orders error ResourceNotFound..." */
static void note_stream(sim_response *resp, const json_t *in)
{
    const char *name = json_string_value(json_object_get(in, "StreamName"));
    size_t len = name ? strlen(name) : 0;
    if (!name) {
        const char *arn = json_string_value(json_object_get(in, "StreamARN"));
        if (!arn)
            arn = json_string_value(json_object_get(in, "ConsumerARN"));
        const char *p = arn ? strstr(arn, ":stream/") : NULL;
        if (p) {
            name = p + strlen(":stream/");
            len = strcspn(name, "/");
        }
    }
    if (name && len)
        snprintf(resp->log_note, sizeof resp->log_note, " stream %.*s", (int)(len > 128 ? 128 : len), name);
}

static void dispatch_request(sim_server *srv, const sim_request *req, sim_response *resp, sim_ctx *ctx)
{
    codec_kind k = codec_from_content_type(sim_request_header(req, "Content-Type"));
    codec_kind reply = k == CODEC_UNSUPPORTED ? CODEC_AWS_JSON : k;

    /* X-Amz-Target: "Service.Operation". AWS tells "no operation named at all" (a target without a
     * dot, or with nothing on either side of it) from "an operation it does not know". */
    const char *target = sim_request_header(req, "X-Amz-Target");
    char service[64] = "", opname[128] = "";
    int has_form = 0, names_both = 0;
    if (target) {
        const char *dot = strchr(target, '.');
        size_t slen = dot ? (size_t)(dot - target) : 0;
        names_both = dot && slen > 0 && dot[1] && dot[1] != '.';
        if (dot && slen > 0 && slen < sizeof service && dot[1] && strlen(dot + 1) < sizeof opname &&
            !strchr(dot + 1, '.')) {
            memcpy(service, target, slen);
            service[slen] = 0;
            snprintf(opname, sizeof opname, "%s", dot + 1);
            has_form = 1;
        }
    }
    const sim_op *op = has_form && strcmp(service, SIM_TARGET_PREFIX) == 0 ? sim_router_lookup(opname) : NULL;
    if (op) {
        ctx->op = op->name;
        ctx->op_def = op;
    }

    /* 0. CORS */
    if (cors(req, resp))
        return;
    /* 1. method */
    if (!req->method || strcmp(req->method, "POST") != 0) {
        xml_answer(ctx, resp, SIM_ERR_AccessDeniedException, 403, ACCESS_DENIED_MSG);
        return;
    }
    /* 2. empty body: JSON only for exactly JSON 1.1, CBOR for everything else */
    if (req->body_len == 0) {
        fail_answer(ctx, resp, k == CODEC_AWS_JSON ? CODEC_AWS_JSON : CODEC_CBOR,
                    op ? SIM_ERR_SerializationException : SIM_ERR_UnknownOperationException, 400, NULL);
        return;
    }
    /* 3. content type */
    if (k == CODEC_UNSUPPORTED) {
        if (!names_both)
            xml_answer(ctx, resp, SIM_ERR_AccessDeniedException, 403, ACCESS_DENIED_MSG);
        else
            xml_answer(ctx, resp, SIM_ERR_UnknownOperationException, 404, NULL);
        return;
    }
    /* 4, 5. body */
    json_t *in = NULL;
    char why[256];
    codec_status cs = codec_decode(k, req->body, req->body_len, &in, why, sizeof why);
    if (k == CODEC_PLAIN_JSON) {
        json_decref(in);
        if (cs != CODEC_OK)
            envelope_answer(ctx, resp, SIM_ERR_SerializationException, 400);
        else
            envelope_answer(ctx, resp, SIM_ERR_UnknownOperationException, 404);
        return;
    }
    if (cs != CODEC_OK) {
        sim_log(SIM_LOG_DEBUG, "request body rejected: %s", why);
        fail_answer(ctx, resp, reply, SIM_ERR_SerializationException, 0, NULL);
        return;
    }
    note_stream(resp, in); /* for the debug log line */
    /* 6. target */
    if (!op) {
        json_decref(in);
        fail_answer(ctx, resp, reply, SIM_ERR_UnknownOperationException, 0, NULL);
        return;
    }
    /* 7. signature: presence and format always; the signature itself with --auth strict */
    sim_auth_info auth;
    sim_error_code err = SIM_ERR_InternalFailure;
    if (sim_auth_check(req, &auth, &err, ctx->err_msg, sizeof ctx->err_msg) != 0 ||
        (srv->cfg.auth_mode == SIM_AUTH_STRICT &&
         sim_auth_verify(srv->credentials, req, &auth, ctx->now_ms, &err, ctx->err_msg,
                         sizeof ctx->err_msg) != 0)) {
        json_decref(in);
        fail_answer(ctx, resp, reply, err, 0, ctx->err_msg);
        return;
    }
    /* the access key picks the account, the credential scope the region */
    sim_auth_account(srv->credentials, auth.access_key_id, srv->cfg.account_id, ctx->account_id);
    snprintf(ctx->region, sizeof ctx->region, "%s", auth.region[0] ? auth.region : srv->cfg.region);

    /* 8. model validation */
    if (srv->model && sim_validate_input(srv->model, op->name, in, &err, ctx->err_msg, sizeof ctx->err_msg)) {
        json_decref(in);
        fail_answer(ctx, resp, reply, err, 0, ctx->err_msg);
        return;
    }
    /* the simulation layer: fault rules, control-plane rate limits (simulation.h) */
    int hook = sim_sim_before_op(ctx, in, resp);
    if (hook == SIM_HOOK_DROP) {
        json_decref(in);
        return;
    }
    if (hook == SIM_HOOK_ERROR) {
        json_decref(in);
        fail_answer(ctx, resp, reply, ctx->err, 0, ctx->err_msg);
        return;
    }

    /* 9. implemented? */
    if (!op->handler) {
        json_decref(in);
        char msg[192];
        snprintf(msg, sizeof msg, "kinesis-sim does not implement %s yet", op->name);
        sim_log(SIM_LOG_WARN, "%s", msg);
        fail_answer(ctx, resp, reply, SIM_ERR_UnknownOperationException, 0, msg);
        return;
    }
    /* 10. the handler */
    json_t *out = NULL;
    int rc = sim_op_run(ctx, op, in, &out);
    json_decref(in);
    if (rc == 0 && ctx->stream) { /* a streaming answer (SubscribeToShard) */
        json_decref(out);
        resp->status = 200;
        snprintf(resp->content_type, sizeof resp->content_type, "%s", ctx->stream->content_type);
        resp->stream = ctx->stream;
        ctx->stream = NULL;
        return;
    }
    if (ctx->stream) {
        ctx->stream->close(ctx->stream);
        ctx->stream = NULL;
    }
    if (rc != 0) {
        json_decref(out);
        if (!ctx->err_set) {
            sim_log(SIM_LOG_ERROR, "%s failed without an error", op->name);
            sim_fail(ctx, SIM_ERR_InternalFailureException, "Internal service error");
        }
        fail_answer(ctx, resp, reply, ctx->err, 0, ctx->err_msg);
        return;
    }
    if (op->flags & SIM_OP_NO_OUTPUT)
        set_body(resp, reply, 200, NULL, 0);
    else
        sim_response_ok(resp, reply, op->name, out);
    json_decref(out);
}

int sim_op_run(sim_ctx *ctx, const sim_op *op, json_t *in, json_t **out)
{
    *out = NULL;
    if (ops_begin(ctx) != 0)
        return -1;
    int rc = ops_end(ctx, op->handler(ctx, in, out), out);
    if (rc != 0 && ctx->stream) { /* a stream set up before a failed commit is not delivered */
        ctx->stream->close(ctx->stream);
        ctx->stream = NULL;
    }
    return rc;
}

void sim_dispatch(sim_server *srv, const sim_request *req, sim_response *resp)
{
    memset(resp, 0, sizeof *resp);
    if (is_control_path(req->path)) {
        if (control_gate(srv, req, resp) == 0)
            sim_control_dispatch(srv, req, resp);
        return;
    }
    /* One context per request, on the heap: its error buffer is large (SIM_ERR_MSG_MAX). Only the
     * fields before the buffer need zeroing. */
    sim_ctx *ctx = malloc(sizeof *ctx);
    if (!ctx) {
        sim_response_error(resp, CODEC_AWS_JSON, SIM_ERR_InternalFailure, 500, "Internal service error");
        return;
    }
    memset(ctx, 0, offsetof(sim_ctx, err_msg));
    ctx->err_msg[0] = 0;
    ctx->srv = srv;
    ctx->req = req;
    snprintf(ctx->account_id, sizeof ctx->account_id, "%s", srv->cfg.account_id);
    snprintf(ctx->region, sizeof ctx->region, "%s", srv->cfg.region);
    ctx->now_ms = now_ms(srv);
    dispatch_request(srv, req, resp, ctx);
    sim_sim_after_op(ctx, resp);
    if (ctx->err_set) {
        size_t used = strlen(resp->log_note);
        snprintf(resp->log_note + used, sizeof resp->log_note - used, " error %s", sim_error_name(ctx->err));
    }
    free(ctx);
}
