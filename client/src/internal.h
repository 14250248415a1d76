/* internal.h: what libkinesis's modules share and its users never see.
 * - the client object (config.c resolves it, engine.c drives it);
 * - the operation engine (engine.c): one asynchronous "op" sends one or more signed calls, each
 *   retried per the policy, and hands every final answer to the op's step function, which either
 *   sends the next call (pagination, re-sends, waiter polls) or finishes;
 * - the codec (codec.c): request bodies and response parsing as pure functions of text, so the
 *   tests can feed them malformed and truncated answers;
 * - small helpers (util.c). */
#ifndef KINESIS_INTERNAL_H
#define KINESIS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kinesis/kinesis.h"
#include "testing.h"

/* ------------------------------------------------------------------ helpers (util.c) */

char *kc_strdup(const char *s); /* NULL in, NULL out */
char *kc_strndup(const char *s, size_t n);
char *kc_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
kinesis_error *kc_err(kinesis_error_type type, const char *name, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
kinesis_error *kc_err_nomem(void);
/* Standard base64 with padding. Encode returns a NUL-terminated string; decode returns bytes
 * (NUL-terminated, length in *len) or NULL when the text is not valid base64. */
char *kc_base64_encode(const void *data, size_t len);
uint8_t *kc_base64_decode(const char *text, size_t *len);
int64_t kc_real_now_ms(void *user);
void kc_real_sleep_ms(int64_t ms, void *user);

/* ------------------------------------------------------------------ configuration (config.c) */

typedef struct kc_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token;
} kc_credentials;
void kc_credentials_clean_up(kc_credentials *c);

/* Parse the text of a shared credentials file and take the named profile's keys.
 * Returns NULL, or a LIBRARY error (Configuration) naming the problem. */
kinesis_error *kc_parse_credentials_file(const char *text, const char *profile, const char *file_name,
                                         kc_credentials *out);
/* Resolve credentials from options, environment and profile file, in that order (an explicit
 * options->profile goes before the environment). */
kinesis_error *kc_resolve_credentials(const kinesis_client_options *opts, kc_credentials *out);
/* The endpoint URL configured for the client, or NULL (then it is derived from the region):
 * options.endpoint, else AWS_ENDPOINT_URL_KINESIS, else AWS_ENDPOINT_URL (both skipped when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else KINESIS_ENDPOINT. *source (if not NULL) names
 * where it came from. */
const char *kc_configured_endpoint(const kinesis_client_options *opts, const char **source);
/* The CA bundle: options.ca_bundle, else AWS_CA_BUNDLE; *path is malloc'd, NULL when neither is set
 * (libcurl's default trust store). A file that cannot be read is a Configuration error. */
kinesis_error *kc_resolve_ca_bundle(const kinesis_client_options *opts, char **path);
/* options.retry.max_attempts, else AWS_MAX_ATTEMPTS, else 0 (the default). */
kinesis_error *kc_resolve_max_attempts(const kinesis_client_options *opts, int *max_attempts);
/* Region from options or environment (AWS_REGION, AWS_DEFAULT_REGION); if none and an endpoint is
 * configured (kc_configured_endpoint), "us-east-1". *region is malloc'd. */
kinesis_error *kc_resolve_region(const kinesis_client_options *opts, char **region);
/* Endpoint URL from the override or the region; split into the parts signing needs. */
typedef struct kc_endpoint {
    char *url;  /* scheme://host[:port][/path] without trailing slash */
    char *host; /* the Host header value: host[:port] */
    char *path; /* "/" or the endpoint's path */
} kc_endpoint;
kinesis_error *kc_resolve_endpoint(const char *override, const char *region, kc_endpoint *out);
void kc_endpoint_clean_up(kc_endpoint *e);

/* ------------------------------------------------------------------ the client and the engine */

typedef struct kc_op kc_op;

struct kinesis_client {
    char *region;
    kc_endpoint endpoint;
    char *ca_bundle; /* CURLOPT_CAINFO, or NULL */
    kc_credentials creds;
    char *user_agent;
    int64_t connect_timeout_ms;
    int64_t request_timeout_ms;
    kinesis_retry_policy retry;
    int debug;
    uint64_t rng;
    kc_now_fn now;
    kc_sleep_fn sleep_ms;
    void *time_user;
    void *multi; /* CURLM* */
    kc_op *ops;  /* every live op */
    uint64_t next_seq;
    int in_blocking;           /* a blocking call is running its loop */
    int http2_prior_knowledge; /* streaming calls to http:// endpoints use h2c with prior knowledge */
    int in_sink;               /* inside a streaming op's sink (a libcurl write callback) */
};

/* The answer to one call after retries: status 0 and err set when nothing usable came back. */
typedef struct kc_answer {
    int http_status;
    char *body; /* NUL-terminated, may be empty */
    size_t body_len;
    char *request_id;
    int attempts;
} kc_answer;

/* Step function: called with the final outcome of the op's current call. err is NULL for a 2xx
 * answer; otherwise the step owns err. The step either calls kc_op_send() again or kc_op_finish(). */
typedef void (*kc_step_fn)(kc_op *op, kinesis_error *err, kc_answer *answer);
/* Called once when the op ends (finish or client free) to release ctx. */
typedef void (*kc_free_fn)(void *ctx);

struct kc_op {
    kinesis_client *client;
    kc_op *next;
    uint64_t seq;
    kc_step_fn step;
    kc_free_fn free_ctx;
    void *ctx;
    int no_retry;
    /* current call */
    char *operation;
    char *body;
    int attempt;                /* attempts made so far for this call */
    int64_t delays_total_ms;    /* sum of retry delays of this call */
    int64_t wake_at_ms;         /* when waiting: send (or deliver pending_err) at this time */
    int state;                  /* KC_OP_WAITING / KC_OP_INFLIGHT / KC_OP_DONE */
    kinesis_error *pending_err; /* delivered to step instead of sending (argument errors) */
    void *easy;                 /* CURL* while in flight */
    void *headers;              /* struct curl_slist* while in flight */
    char *resp;
    size_t resp_len, resp_cap;
    char *resp_request_id;
    char *resp_error_type;
    char curl_errbuf[256];
    /* Streaming answers (SubscribeToShard): when set, the bytes of a 2xx answer go to sink as
     * they arrive (other answers are collected as usual, for the error); a non-zero return aborts
     * the transfer (the step then gets a Transport error: set no_retry first). */
    int (*sink)(kc_op *op, const uint8_t *data, size_t len);
    int abort_requested; /* kc_op_abort() from inside a sink: destroyed after the transfer step */
    int timer;           /* kc_op_timer(): the wake-up calls the step instead of sending */
};
enum { KC_OP_WAITING = 1, KC_OP_INFLIGHT = 2, KC_OP_DONE = 3 };

/* Create an op (not yet sending). NULL when out of memory (ctx is then freed with free_ctx). */
kc_op *kc_op_new(kinesis_client *client, kc_step_fn step, void *ctx, kc_free_fn free_ctx);
/* Send operation with body (copied) after delay_ms; starts a new logical call (attempts reset). */
void kc_op_send(kc_op *op, const char *operation, const char *body, int64_t delay_ms);
/* Call the step after delay_ms with no error and an empty answer (status 0, attempts 0), sending
 * nothing: a timer for the producer and consumer (kpl_producer.c, kcl_consumer.c), which the step
 * re-arms or replaces with kc_op_send, or ends with kc_op_finish. */
void kc_op_timer(kc_op *op, int64_t delay_ms);
/* Deliver err to the step at the next kinesis_client_run (argument errors). */
void kc_op_fail(kc_op *op, kinesis_error *err);
/* End the op: frees ctx and the op (after the current step returns). */
void kc_op_finish(kc_op *op);
/* Destroy the op, stopping its transfer, without calling its step again (free_ctx runs): at once,
 * or, when called from inside a sink (a libcurl callback), as soon as libcurl has returned. Never
 * from inside the op's own step. */
void kc_op_abort(kc_op *op);
/* Run the client loop until *done is set (blocking wrappers). */
void kc_wait(kinesis_client *client, const int *done);

/* Build a REQUEST_FAILED error from an error answer: name after the last '#' of __type (or the
 * x-amzn-ErrorType header), message from message/Message. Pure. */
kinesis_error *kc_error_from_answer(int http_status, const char *body, size_t body_len,
                                    const char *request_id, const char *error_type_header);

/* ------------------------------------------------------------------ typed calls (call.c) */

/* Give a parse error the answer's status, request id and attempts. */
void kc_annotate(kinesis_error *err, const kc_answer *ans);

/* A call with one request and one parsed result. `parse` turns a 2xx body into *out (NULL for
 * operations without a result); `done` calls the typed user callback `cb` (stored as a generic
 * function pointer, cast back by `done`). body == NULL means build_err says why (delivered to
 * the callback from kinesis_client_run). Returns 0 when the callback will be called, else -1. */
typedef void (*kc_generic_fn)(void);
typedef kinesis_error *(*kc_parse_fn)(const char *body, size_t len, void **out);
typedef void (*kc_done_fn)(kc_generic_fn cb, kinesis_error *err, void *result, void *user);
int kc_simple_call(kinesis_client *client, const char *operation, char *body, kinesis_error *build_err,
                   kc_parse_fn parse, kc_done_fn done, kc_generic_fn cb, void *user);

/* ------------------------------------------------------------------ event streams (subscribe.c) */

/* The decoding side of one SubscribeToShard answer, separate from the transport so the tests can
 * feed it bytes split anywhere: bytes are buffered until whole event stream messages
 * (eventstream.h) are present; each SubscribeToShardEvent is parsed and handed to on_event;
 * initial-response and unknown event types are skipped; an exception message or a malformed one
 * ends the stream with *err set. */
typedef struct kc_event_stream {
    uint8_t *buf;
    size_t len, cap;
    size_t messages;    /* whole messages decoded */
    size_t events;      /* SubscribeToShardEvents delivered */
    kinesis_error *err; /* set when the stream failed; owned here until taken */
    const int *stop;    /* checked after each on_event: non-zero stops feeding (cancel) */
    void (*on_event)(kinesis_subscribe_event *event, void *user);
    void *user;
} kc_event_stream;
/* Append bytes and deliver every whole event. Returns 0 to go on, -1 when the stream must stop
 * (es->err set, or *es->stop became non-zero). */
int kc_event_stream_feed(kc_event_stream *es, const uint8_t *data, size_t len);
/* The answer ended: NULL if it ended cleanly, else (and after a failure) the error, which the
 * caller then owns. */
kinesis_error *kc_event_stream_finish(kc_event_stream *es);
void kc_event_stream_clean_up(kc_event_stream *es);
/* Parse one SubscribeToShardEvent payload (JSON). NULL on success, else UNEXPECTED_RESPONSE. */
kinesis_error *kc_parse_subscribe_event(const char *body, size_t len, kinesis_subscribe_event **out);
/* The SubscribeToShard request body, or NULL with *err (LIBRARY, InvalidParameter). */
char *kc_build_subscribe_to_shard(const char *consumer_arn, const char *shard_id,
                                  const kinesis_starting_position *pos, kinesis_error **err);

/* ------------------------------------------------------------------ codec (codec.c) */

/* Request builders: return a malloc'd JSON body, or NULL with *err (LIBRARY, InvalidParameter). */
char *kc_build_put_record(const char *stream, const kinesis_record *rec, kinesis_error **err);
/* PutRecords entries: a JSON array text of {Data, PartitionKey[, ExplicitHashKey]} per record. */
char *kc_build_put_records_entries(const kinesis_record *recs, size_t n, kinesis_error **err);
/* PutRecords body from the stream and a subset (indices) of an entries array text. */
char *kc_build_put_records(const char *stream, const char *entries_json, const size_t *idx, size_t n,
                           kinesis_error **err);
char *kc_build_list_shards(const char *stream, const char *next_token, kinesis_error **err);
char *kc_build_get_shard_iterator(const char *stream, const char *shard_id, kinesis_iterator_type type,
                                  const kinesis_iterator_options *opts, kinesis_error **err);
char *kc_build_get_records(const char *iterator, int limit, kinesis_error **err);
char *kc_build_create_stream(const char *stream, int shard_count, kinesis_error **err);
char *kc_build_stream_name(const char *stream, kinesis_error **err); /* {"StreamName":...} */
/* ListStreams: {} or {"NextToken"} or {"ExclusiveStartStreamName"} (next_token wins). */
char *kc_build_list_streams(const char *next_token, const char *exclusive_start, kinesis_error **err);
/* DeleteStream with EnforceConsumerDeletion. */
char *kc_build_delete_stream(const char *stream, kinesis_error **err);

/* Response parsers: pure functions of the body. NULL on success, else UNEXPECTED_RESPONSE. */
kinesis_error *kc_parse_put_record(const char *body, size_t len, kinesis_put_record_result **out);
/* Parse a PutRecords answer for n sent entries into results[idx[i]] (replacing what was there).
 * *failed is set to the number of failed entries in this answer. */
kinesis_error *kc_parse_put_records(const char *body, size_t len, size_t n, const size_t *idx,
                                    kinesis_put_record_result *results, size_t *failed);
/* Append a ListShards page to list; *next_token malloc'd or NULL. */
kinesis_error *kc_parse_list_shards(const char *body, size_t len, kinesis_shard_list *list,
                                    char **next_token);
kinesis_error *kc_parse_get_shard_iterator(const char *body, size_t len, char **iterator);
kinesis_error *kc_parse_get_records(const char *body, size_t len, kinesis_get_records_result **out);
kinesis_error *kc_parse_describe_stream_summary(const char *body, size_t len, kinesis_stream_summary **out);
/* Append a ListStreams page; *more set from HasMoreStreams; *next_token from NextToken (or NULL). */
kinesis_error *kc_parse_list_streams(const char *body, size_t len, kinesis_string_list *list, int *more,
                                     char **next_token);

/* ------------------------------------------------------------------ KPL aggregation (aggregation.c) */

#define KC_AGG_MAGIC_LEN 4
#define KC_AGG_MD5_LEN 16
/* Bytes of v as a protobuf varint. */
size_t kc_varint_size(uint64_t v);
/* The size bookkeeping of one aggregated record being filled (the producer's): what the record
 * would weigh with one more user record, without encoding it. Keys are borrowed until reset. */
typedef struct kc_agg kc_agg;
kc_agg *kc_agg_new(void);
void kc_agg_free(kc_agg *a);
void kc_agg_reset(kc_agg *a);
size_t kc_agg_count(const kc_agg *a);
/* Magic + message + MD5 bytes of the records added so far. */
size_t kc_agg_size(const kc_agg *a);
/* The same with one more record (pk required, ehk may be NULL). */
size_t kc_agg_size_with(const kc_agg *a, const char *pk, const char *ehk, size_t data_len);
/* Count one more record. 0, or -1 when out of memory. */
int kc_agg_add(kc_agg *a, const char *pk, const char *ehk, size_t data_len);

/* ------------------------------------------------------------------ hash keys (kpl_producer.c) */

/* A 128-bit hash key: MD5 of a partition key read big-endian, or a decimal ExplicitHashKey. */
__extension__ typedef unsigned __int128 kc_u128;
kc_u128 kc_hash_partition_key(const char *pk);
/* Parse a decimal hash key (0 .. 2^128-1). 0 on success, -1 when not one. */
int kc_parse_hash_key(const char *text, kc_u128 *out);
/* Decimal text of v into buf (at least 40 bytes). */
void kc_format_hash_key(kc_u128 v, char *buf);

#endif
