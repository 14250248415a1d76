/**
 * @file kinesis.h
 * @brief libkinesis: a C client for Amazon Kinesis Data Streams (and any endpoint that speaks
 *        its protocol, such as kinesis-sim).
 *
 * One header, prefix `kinesis_`. Handles are opaque (`_new`/`_free`); errors are values
 * (::kinesis_error) with a type, the Kinesis error name, the HTTP status, a message and the
 * request id.
 *
 * Ownership, one rule for every call:
 * - What a call hands out (a result struct, an error, a string through a `char **`) belongs to
 *   the caller. A struct is freed with its type's `kinesis_..._free`, which frees the struct and
 *   everything it points to; a plain string (`char *`) with free(). Every `_free` accepts NULL.
 * - On failure a call hands out only the error: its other out-parameters are left NULL.
 * - What the caller passes in is only read during the call (options, names, data), and is copied
 *   where it must outlive it; asynchronous calls copy their arguments before returning.
 * - A callback receives ownership of the result or error it is given, except the `const` views
 *   the producer and the consumer pass (kinesis_producer_result, kinesis_consumer_batch): those
 *   are borrowed for the duration of the callback.
 *
 * Threads, per handle:
 * - ::kinesis_client: one thread at a time. Its asynchronous calls and their callbacks run in the
 *   thread that calls kinesis_client_run(); several clients may run in several threads at once.
 * - ::kinesis_subscription: belongs to its client's thread (cancel and free from there, or from
 *   its own callbacks).
 * - ::kinesis_producer, ::kinesis_consumer: have no thread of their own; they run inside
 *   kinesis_client_run() of their client and belong to that client's thread (every call from there;
 *   not thread-safe). Free them before their client.
 * - Result structs and errors: plain data with no hidden sharing; any thread may read or free them.
 * - Process-wide: only libcurl's initialisation (kinesis_global_init()).
 *
 * The API follows the original AWSKinesisStreams library: a Producer (put_record, put_records)
 * and a Consumer (get_shards, get_shard_iterator, get_records), each asynchronous with a
 * callback (driven by kinesis_client_run) and with a blocking form.
 *
 * NOTE: this file is the contract between the client and its users (CLI, conformance runner,
 * benchmarks). Sections marked CONTRACT must keep their signatures.
 */
#ifndef KINESIS_KINESIS_H
#define KINESIS_KINESIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What this header declares is libkinesis's interface; the library is built with
 * -fvisibility=hidden, so nothing else it contains is exported. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/* ===================================================================== errors (CONTRACT) */

/** Error types, as in the original library. */
typedef enum kinesis_error_type {
    KINESIS_ERROR_LIBRARY = 1,             /**< bad arguments, configuration, out of memory, transport */
    KINESIS_ERROR_REQUEST_FAILED = 2,      /**< the service answered with an error (4xx/5xx) */
    KINESIS_ERROR_UNEXPECTED_RESPONSE = 3, /**< the answer could not be understood */
} kinesis_error_type;

/** An error value. Free with kinesis_error_free(). */
typedef struct kinesis_error {
    kinesis_error_type type;
    char *name;       /**< Kinesis error name (e.g. "ResourceNotFoundException"), or a library code */
    char *message;    /**< human-readable message */
    int http_status;  /**< HTTP status, 0 if no answer was received */
    char *request_id; /**< x-amzn-RequestId of the answer, or NULL */
    int attempts;     /**< how many attempts were made (retries + 1) */
} kinesis_error;

void kinesis_error_free(kinesis_error *err);
/** "LIBRARY_ERROR", "REQUEST_FAILED" or "UNEXPECTED_RESPONSE". */
const char *kinesis_error_type_name(kinesis_error_type type);

/* ===================================================================== client (CONTRACT) */

typedef struct kinesis_client kinesis_client;

/** Retry policy: exponential backoff with full jitter. */
typedef struct kinesis_retry_policy {
    int max_attempts; /**< total attempts including the first; 0: AWS_MAX_ATTEMPTS, else 5; 1: no retries */
    int64_t base_delay_ms; /**< default 100 */
    int64_t max_delay_ms;  /**< cap of one delay; default 20000 */
    int64_t max_total_ms;  /**< cap of all delays of one call; default 60000 */
} kinesis_retry_policy;

/** Options for kinesis_client_new(). Zero-initialise, then set what you need.
 *  Unset fields are resolved as the AWS SDKs do:
 *  - endpoint: AWS_ENDPOINT_URL_KINESIS, else AWS_ENDPOINT_URL (both ignored when
 *    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else KINESIS_ENDPOINT, else
 *    https://kinesis.<region>.amazonaws.com (.com.cn for cn- regions);
 *  - region: AWS_REGION, else AWS_DEFAULT_REGION, else "us-east-1" when an endpoint is configured
 *    (neither region nor endpoint: a Configuration error);
 *  - ca_bundle: AWS_CA_BUNDLE, else libcurl's system trust store;
 *  - credentials: the arguments, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN,
 *    else the profile (AWS_PROFILE or "default") in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE). */
typedef struct kinesis_client_options {
    const char *region; /**< e.g. "us-east-1" */
    const char *
        endpoint; /**< override, e.g. "http://127.0.0.1:4567"; NULL: https://kinesis.<region>.amazonaws.com */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *profile;        /**< profile name in the shared credentials file */
    int64_t connect_timeout_ms; /**< default 5000 */
    int64_t request_timeout_ms; /**< default 30000 */
    kinesis_retry_policy retry; /**< zero: defaults */
    const char *user_agent;     /**< appended to libkinesis/<version> */
    int http2_prior_knowledge;  /**< non-zero: SubscribeToShard to an http:// endpoint speaks HTTP/2
                                     without negotiation (h2c prior knowledge, as the AWS SDKs do);
                                     zero: HTTP/1.1 there. https:// endpoints use h2 when offered. */
    const char *ca_bundle;      /**< PEM file of the CA certificates to trust for https:// endpoints
                                     (e.g. kinesis-sim's self-signed one); NULL: AWS_CA_BUNDLE, else the
                                     system's. Must be readable when the client is created. */
} kinesis_client_options;

/** Create a client. On failure returns NULL and, if err is not NULL, an error of type LIBRARY. */
kinesis_client *kinesis_client_new(const kinesis_client_options *opts, kinesis_error **err);
void kinesis_client_free(kinesis_client *client);
/** Print requests and answers to stderr when on. */
void kinesis_set_debug(kinesis_client *client, int on);

/**
 * Call any Kinesis operation by name (e.g. "ListStreams") with a JSON request body (NULL: "{}").
 * Blocking; retries per the client's policy. On success returns NULL and sets *response_json to
 * the answer body (malloc'd, "{}" when empty; free with free()). On failure returns the error.
 */
kinesis_error *kinesis_call(kinesis_client *client, const char *operation, const char *json_body,
                            char **response_json);

/** Same as kinesis_call, with no retries whatever the policy: for callers that judge the first
 *  answer themselves (kinesis-conform). *http_status (may be NULL) gets the answer's status. */
kinesis_error *kinesis_call_once(kinesis_client *client, const char *operation, const char *json_body,
                                 char **response_json, int *http_status);

/* ===================================================================== library */

/** The library version, e.g. "0.1.0". */
const char *kinesis_version(void);

/**
 * Initialise libcurl once for the process (curl_global_init), thread-safely (pthread_once).
 * kinesis_client_new() calls it, so most programs never need to. A program that uses libcurl
 * itself, or creates clients from several threads while other threads use libcurl, should call
 * this (or curl_global_init) from main() before starting threads. Returns 0, or -1 on failure.
 * libkinesis keeps no other process-wide mutable state: one client per thread is safe; a client
 * must not be used by two threads at once.
 */
int kinesis_global_init(void);
/** Counterpart of kinesis_global_init(), for the end of main(), after every client is freed. */
void kinesis_global_cleanup(void);

/** Library error codes (kinesis_error.name when type is KINESIS_ERROR_LIBRARY or
 *  KINESIS_ERROR_UNEXPECTED_RESPONSE). */
#define KINESIS_ERR_INVALID_PARAMETER "InvalidParameter" /**< a bad argument */
#define KINESIS_ERR_CONFIGURATION "Configuration"        /**< region, endpoint or credentials */
#define KINESIS_ERR_NO_MEMORY "OutOfMemory"
#define KINESIS_ERR_TRANSPORT "Transport" /**< connection failed or dropped */
#define KINESIS_ERR_TIMEOUT "Timeout"     /**< connect/request timeout, or a waiter gave up */
#define KINESIS_ERR_TLS "TLS"             /**< certificate not trusted (see ca_bundle); never retried */
#define KINESIS_ERR_MALFORMED "MalformedResponse" /**< UNEXPECTED_RESPONSE: body not understood */

/** Create an error value (used by the library; handy in tests and callbacks). The strings are
 *  copied; message is printf-style. Returns NULL only when out of memory. */
kinesis_error *kinesis_error_new(kinesis_error_type type, const char *name, int http_status, const char *fmt,
                                 ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ===================================================================== retry policy */

/** Fill the zero fields of a policy with the defaults (5 attempts, 100 ms, 20 s, 60 s). */
void kinesis_retry_policy_defaults(kinesis_retry_policy *policy);

/**
 * The delay before attempt `attempt + 1`, after attempt number `attempt` (1-based) failed:
 * full jitter, uniform in [0, min(max_delay_ms, base_delay_ms * 2^(attempt-1))].
 * Pure: the only state is *rng_state (a seeded PRNG state, advanced by one step).
 */
int64_t kinesis_retry_delay_ms(const kinesis_retry_policy *policy, int attempt, uint64_t *rng_state);

/** The PRNG used for jitter (splitmix64): returns the next value and advances *state. */
uint64_t kinesis_rng_next(uint64_t *state);

/**
 * Whether a failed call may be retried: 1 for throttling (ProvisionedThroughputExceededException,
 * LimitExceededException, ThrottlingException, Throttling, KMSThrottlingException,
 * RequestLimitExceeded, TooManyRequestsException), InternalFailure(Exception), ServiceUnavailable,
 * HTTP 429 and 5xx, and transport failures (http_status 0 with name Transport or Timeout);
 * 0 for everything else (validation, not found, in use, expired iterator, access, a certificate
 * that is not trusted (TLS), ...).
 * `error_name` may be NULL.
 */
int kinesis_is_retryable(const char *error_name, int http_status);

/* ===================================================================== client: more */

/** The resolved endpoint URL (no trailing slash), e.g. "https://kinesis.us-east-1.amazonaws.com". */
const char *kinesis_client_endpoint(const kinesis_client *client);
/** The resolved region. */
const char *kinesis_client_region(const kinesis_client *client);
/** The resolved access key id (never the secret). */
const char *kinesis_client_access_key_id(const kinesis_client *client);

/* ===================================================================== event loop */

/**
 * Drive asynchronous calls: wait up to timeout_ms (0: do not wait) for network activity or a
 * retry timer, make progress, and invoke the callbacks of calls that completed (from this
 * thread, inside this function). Returns the number of calls still pending, or -1 on a
 * libcurl failure. Callbacks may start new asynchronous calls; they must not call the
 * blocking functions of the same client.
 */
int kinesis_client_run(kinesis_client *client, int timeout_ms);
/** Number of asynchronous calls not yet completed. */
int kinesis_client_pending(const kinesis_client *client);
/**
 * For an application's own select()/poll() loop: the descriptors libkinesis waits on, as
 * curl_multi_fdset() gives them (read, write, except sets of type fd_set, passed as void* so this
 * header needs no <sys/select.h>), and *max_fd (-1 when there is none yet: then wait at most
 * kinesis_client_timeout_ms()). After select() returns, call kinesis_client_run(client, 0).
 * Returns 0, or -1 on failure.
 */
int kinesis_client_fdset(kinesis_client *client, void *read_fds, void *write_fds, void *except_fds,
                         int *max_fd);
/** How long the application may wait before calling kinesis_client_run(): 0 now, -1 nothing pending. */
int64_t kinesis_client_timeout_ms(kinesis_client *client);

/* ===================================================================== any operation: async */

/** Completion of kinesis_call_async: the callback owns err and response_json (free() it); on
 *  success err is NULL. http_status is 0 when no answer was received. */
typedef void (*kinesis_call_cb)(kinesis_error *err, char *response_json, int http_status, void *user);
/** Asynchronous kinesis_call (once != 0: kinesis_call_once). Returns 0 when the callback will be
 *  called (argument errors too, from kinesis_client_run), -1 when nothing was queued (no client
 *  or callback, out of memory). */
int kinesis_call_async(kinesis_client *client, const char *operation, const char *json_body, int once,
                       kinesis_call_cb cb, void *user);

/* ===================================================================== records */

/** Server-side encryption of a record. */
typedef enum kinesis_encryption_type {
    KINESIS_ENCRYPTION_NONE = 0,
    KINESIS_ENCRYPTION_KMS = 1,
} kinesis_encryption_type;

/** A record to write. Borrowed: the library copies what it needs before returning. */
typedef struct kinesis_record {
    const void *data; /**< payload bytes (may be NULL when data_len is 0) */
    size_t data_len;
    const char *partition_key;        /**< required, 1..256 characters */
    const char *explicit_hash_key;    /**< optional decimal 128-bit hash key, or NULL */
    const char *prev_sequence_number; /**< optional SequenceNumberForOrdering (put_record only), or NULL */
} kinesis_record;

/** The outcome of writing one record. On success shard_id and sequence_number are set and
 *  error_code is NULL; on a per-record failure error_code/error_message are set. */
typedef struct kinesis_put_record_result {
    char *shard_id;
    char *sequence_number;
    kinesis_encryption_type encryption_type;
    char *error_code;
    char *error_message;
} kinesis_put_record_result;
void kinesis_put_record_result_free(kinesis_put_record_result *result);

/** The outcome of put_records: one result per input record, in request order. */
typedef struct kinesis_put_records_result {
    kinesis_put_record_result *results; /**< count entries */
    size_t count;
    size_t failed_count; /**< entries whose error_code is set */
    int attempts;        /**< PutRecords requests made (re-sends included) */
} kinesis_put_records_result;
void kinesis_put_records_result_free(kinesis_put_records_result *result);

/** Options of put_records. */
typedef struct kinesis_put_records_options {
    /** Non-zero: re-send only the failed entries (ProvisionedThroughputExceeded, InternalFailure)
     *  with backoff per the client's retry policy until all succeed or the policy's attempts or
     *  total time are spent. Zero: one PutRecords (whole-request retries still apply). */
    int retry_failed;
} kinesis_put_records_options;

/** A record read by get_records. */
typedef struct kinesis_read_record {
    uint8_t *data; /**< decoded bytes (NUL-terminated for convenience, not counted) */
    size_t data_len;
    char *partition_key;
    char *sequence_number;
    int64_t arrival_ms; /**< ApproximateArrivalTimestamp, milliseconds since the epoch */
    kinesis_encryption_type encryption_type;
} kinesis_read_record;

/** A child shard reported by GetRecords at the end of a closed shard. */
typedef struct kinesis_child_shard {
    char *shard_id;
    char **parent_shards;
    size_t n_parent_shards;
    char *starting_hash_key;
    char *ending_hash_key;
} kinesis_child_shard;

/** The outcome of get_records. next_shard_iterator is NULL when the shard is closed and fully
 *  read (then child_shards tells where to go on). */
typedef struct kinesis_get_records_result {
    kinesis_read_record *records;
    size_t count;
    char *next_shard_iterator;
    int64_t millis_behind_latest;
    kinesis_child_shard *child_shards;
    size_t n_child_shards;
} kinesis_get_records_result;
void kinesis_get_records_result_free(kinesis_get_records_result *result);

/** A shard as ListShards describes it. ending_sequence_number is NULL for an open shard. */
typedef struct kinesis_shard {
    char *shard_id;
    char *parent_shard_id;
    char *adjacent_parent_shard_id;
    char *starting_hash_key;
    char *ending_hash_key;
    char *starting_sequence_number;
    char *ending_sequence_number;
} kinesis_shard;

typedef struct kinesis_shard_list {
    kinesis_shard *shards;
    size_t count;
} kinesis_shard_list;
void kinesis_shard_list_free(kinesis_shard_list *list);

/** Iterator types (GetShardIterator ShardIteratorType). */
typedef enum kinesis_iterator_type {
    KINESIS_ITERATOR_AT_SEQUENCE_NUMBER = 0,
    KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER = 1,
    KINESIS_ITERATOR_AT_TIMESTAMP = 2,
    KINESIS_ITERATOR_TRIM_HORIZON = 3,
    KINESIS_ITERATOR_LATEST = 4,
} kinesis_iterator_type;
/** The wire name ("TRIM_HORIZON"...), or NULL for an invalid value. */
const char *kinesis_iterator_type_name(kinesis_iterator_type type);
/** Parse a wire name; returns 0 and sets *type, or -1. */
int kinesis_iterator_type_parse(const char *name, kinesis_iterator_type *type);

/** What the iterator type needs: starting_sequence_number for AT_/AFTER_SEQUENCE_NUMBER,
 *  timestamp_ms (milliseconds since the epoch, >= 0; 0 is the epoch itself, so the oldest record)
 *  for AT_TIMESTAMP. */
typedef struct kinesis_iterator_options {
    const char *starting_sequence_number;
    int64_t timestamp_ms;
} kinesis_iterator_options;

/* ---- Producer: blocking ---- */

#define KINESIS_PUT_RECORDS_MAX_RECORDS 500             /**< records in one PutRecords */
#define KINESIS_PUT_RECORDS_MAX_BYTES (5 * 1024 * 1024) /**< data + partition keys of one PutRecords */

/** PutRecord. On success returns NULL and sets *result (free with kinesis_put_record_result_free). */
kinesis_error *kinesis_put_record(kinesis_client *client, const char *stream_name,
                                  const kinesis_record *record, kinesis_put_record_result **result);
/** PutRecords. Returns NULL on full or partial success (see result->failed_count); *result holds one
 *  entry per record in request order. opts may be NULL.
 *  Limits (Kinesis's, checked here before anything is sent): 1 to KINESIS_PUT_RECORDS_MAX_RECORDS
 *  (500) records, and at most KINESIS_PUT_RECORDS_MAX_BYTES (5 MiB) for the whole request, counting
 *  each record's data and partition key. Beyond them the call fails with a LIBRARY error named
 *  InvalidParameter that names the limit; split the batch (as `kinesis put` does with stdin). */
kinesis_error *kinesis_put_records(kinesis_client *client, const char *stream_name,
                                   const kinesis_record *records, size_t n_records,
                                   const kinesis_put_records_options *opts,
                                   kinesis_put_records_result **result);

/* ---- Consumer: blocking ---- */

/** Every shard of the stream, closed ones included (ListShards, all pages). */
kinesis_error *kinesis_get_shards(kinesis_client *client, const char *stream_name,
                                  kinesis_shard_list **shards);
/** GetShardIterator; *iterator is malloc'd (free()). opts may be NULL for TRIM_HORIZON and LATEST. */
kinesis_error *kinesis_get_shard_iterator(kinesis_client *client, const char *stream_name,
                                          const char *shard_id, kinesis_iterator_type type,
                                          const kinesis_iterator_options *opts, char **iterator);
/** GetRecords from an iterator; limit 0 lets the service choose (at most 10000). */
kinesis_error *kinesis_get_records(kinesis_client *client, const char *shard_iterator, int limit,
                                   kinesis_get_records_result **result);

/* ---- Producer and Consumer: asynchronous. Callbacks own what they receive. ---- */

typedef void (*kinesis_put_record_cb)(kinesis_error *err, kinesis_put_record_result *result, void *user);
typedef void (*kinesis_put_records_cb)(kinesis_error *err, kinesis_put_records_result *result, void *user);
typedef void (*kinesis_shards_cb)(kinesis_error *err, kinesis_shard_list *shards, void *user);
typedef void (*kinesis_iterator_cb)(kinesis_error *err, char *iterator, void *user);
typedef void (*kinesis_records_cb)(kinesis_error *err, kinesis_get_records_result *result, void *user);

/* Each returns 0 when the callback will be called, -1 when nothing was queued (as kinesis_call_async). */
int kinesis_put_record_async(kinesis_client *client, const char *stream_name, const kinesis_record *record,
                             kinesis_put_record_cb cb, void *user);
int kinesis_put_records_async(kinesis_client *client, const char *stream_name, const kinesis_record *records,
                              size_t n_records, const kinesis_put_records_options *opts,
                              kinesis_put_records_cb cb, void *user);
int kinesis_get_shards_async(kinesis_client *client, const char *stream_name, kinesis_shards_cb cb,
                             void *user);
int kinesis_get_shard_iterator_async(kinesis_client *client, const char *stream_name, const char *shard_id,
                                     kinesis_iterator_type type, const kinesis_iterator_options *opts,
                                     kinesis_iterator_cb cb, void *user);
int kinesis_get_records_async(kinesis_client *client, const char *shard_iterator, int limit,
                              kinesis_records_cb cb, void *user);

/* ===================================================================== stream admin */

/** DescribeStreamSummary's main fields. */
typedef struct kinesis_stream_summary {
    char *stream_name;
    char *stream_arn;
    char *stream_status; /**< CREATING, DELETING, ACTIVE, UPDATING */
    char *stream_mode;   /**< PROVISIONED or ON_DEMAND (NULL if not reported) */
    int64_t retention_period_hours;
    int64_t creation_ms; /**< StreamCreationTimestamp in milliseconds */
    int64_t open_shard_count;
    int64_t consumer_count;
    kinesis_encryption_type encryption_type;
} kinesis_stream_summary;
void kinesis_stream_summary_free(kinesis_stream_summary *summary);

typedef struct kinesis_string_list {
    char **items;
    size_t count;
} kinesis_string_list;
void kinesis_string_list_free(kinesis_string_list *list);

/** CreateStream; shard_count > 0: provisioned with that many shards; 0: ON_DEMAND. */
kinesis_error *kinesis_create_stream(kinesis_client *client, const char *stream_name, int shard_count);
/** DeleteStream (EnforceConsumerDeletion true). */
kinesis_error *kinesis_delete_stream(kinesis_client *client, const char *stream_name);
kinesis_error *kinesis_describe_stream_summary(kinesis_client *client, const char *stream_name,
                                               kinesis_stream_summary **summary);
/** Every stream name (ListStreams, all pages). */
kinesis_error *kinesis_list_streams(kinesis_client *client, kinesis_string_list **names);
/** Poll DescribeStreamSummary every poll_ms (0: 1000) until the stream is ACTIVE; after timeout_ms
 *  (0: 180000) a LIBRARY error named Timeout. */
kinesis_error *kinesis_wait_for_stream_active(kinesis_client *client, const char *stream_name,
                                              int64_t timeout_ms, int64_t poll_ms);

typedef void (*kinesis_done_cb)(kinesis_error *err, void *user);
typedef void (*kinesis_summary_cb)(kinesis_error *err, kinesis_stream_summary *summary, void *user);
typedef void (*kinesis_strings_cb)(kinesis_error *err, kinesis_string_list *list, void *user);
int kinesis_create_stream_async(kinesis_client *client, const char *stream_name, int shard_count,
                                kinesis_done_cb cb, void *user);
int kinesis_delete_stream_async(kinesis_client *client, const char *stream_name, kinesis_done_cb cb,
                                void *user);
int kinesis_describe_stream_summary_async(kinesis_client *client, const char *stream_name,
                                          kinesis_summary_cb cb, void *user);
int kinesis_list_streams_async(kinesis_client *client, kinesis_strings_cb cb, void *user);
int kinesis_wait_for_stream_active_async(kinesis_client *client, const char *stream_name, int64_t timeout_ms,
                                         int64_t poll_ms, kinesis_done_cb cb, void *user);

/* ===================================================================== enhanced fan-out */

/** RegisterStreamConsumer (blocking). On success returns NULL and sets *consumer_arn (malloc'd;
 *  free()). The consumer starts CREATING: wait with kinesis_wait_for_consumer_active(). */
kinesis_error *kinesis_register_stream_consumer(kinesis_client *client, const char *stream_arn,
                                                const char *consumer_name, char **consumer_arn);
/** DeregisterStreamConsumer by ConsumerARN (blocking). */
kinesis_error *kinesis_deregister_stream_consumer(kinesis_client *client, const char *consumer_arn);
/** Poll DescribeStreamConsumer every poll_ms (0: 1000) until the consumer is ACTIVE; after
 *  timeout_ms (0: 180000) a LIBRARY error named Timeout. */
kinesis_error *kinesis_wait_for_consumer_active(kinesis_client *client, const char *consumer_arn,
                                                int64_t timeout_ms, int64_t poll_ms);

/** Where a subscription starts (SubscribeToShard StartingPosition): sequence_number for
 *  AT_/AFTER_SEQUENCE_NUMBER, timestamp_ms (milliseconds since the epoch, >= 0) for AT_TIMESTAMP,
 *  neither for TRIM_HORIZON and LATEST. */
typedef struct kinesis_starting_position {
    kinesis_iterator_type type;
    const char *sequence_number;
    int64_t timestamp_ms;
} kinesis_starting_position;

/** One SubscribeToShardEvent. continuation_sequence_number is where to re-subscribe from
 *  (AFTER_SEQUENCE_NUMBER); it is NULL at the end of a closed shard, and child_shards then tells
 *  where to go on. An event may carry no records (a heartbeat). */
typedef struct kinesis_subscribe_event {
    kinesis_read_record *records;
    size_t count;
    char *continuation_sequence_number;
    int64_t millis_behind_latest;
    kinesis_child_shard *child_shards;
    size_t n_child_shards;
} kinesis_subscribe_event;
void kinesis_subscribe_event_free(kinesis_subscribe_event *event);

/** What a subscription calls, from kinesis_client_run(). on_event (required) gets each event and
 *  owns it. Then exactly one of on_error (the callback owns err) and on_end (the service closed
 *  the stream normally: its 5-minute lifetime is over, or the closed shard was read to its end)
 *  is called, unless the subscription was cancelled first; either may be NULL. An exception in
 *  the stream (for instance ResourceInUseException when a newer subscription took the shard) is a
 *  REQUEST_FAILED error named after it; a stream that cannot be decoded is UNEXPECTED_RESPONSE. */
typedef struct kinesis_subscribe_callbacks {
    void (*on_event)(kinesis_subscribe_event *event, void *user);
    void (*on_error)(kinesis_error *err, void *user);
    void (*on_end)(void *user);
    void *user;
} kinesis_subscribe_callbacks;

typedef struct kinesis_subscription kinesis_subscription;

/**
 * SubscribeToShard (enhanced fan-out): start a subscription of the consumer (ConsumerARN) to the
 * shard, driven by kinesis_client_run() like every asynchronous call. The request is retried per
 * the client's policy until the stream starts, never after; a stream silent for the client's
 * request_timeout_ms fails with a LIBRARY error named Timeout (the service sends an event at least
 * every 5 seconds, so this means the connection is gone). Returns the handle (free with
 * kinesis_subscription_free() once done), or NULL when nothing was queued (no client, no
 * on_event, out of memory). Argument errors go to on_error.
 */
kinesis_subscription *kinesis_subscribe_to_shard(kinesis_client *client, const char *consumer_arn,
                                                 const char *shard_id,
                                                 const kinesis_starting_position *position,
                                                 const kinesis_subscribe_callbacks *callbacks);
/** Stop the subscription: no callback of it is called after this returns. Safe from inside its
 *  own callbacks and after it ended. */
void kinesis_subscription_cancel(kinesis_subscription *sub);
/** 1 while the subscription may still call its callbacks, 0 once it ended or was cancelled. */
int kinesis_subscription_active(const kinesis_subscription *sub);
/** Cancel if needed and release the handle (also safe from inside its callbacks, and after the
 *  client was freed). NULL is ignored. */
void kinesis_subscription_free(kinesis_subscription *sub);

/* ===================================================================== KPL aggregation */

/** A user record: one record as the application wrote it, which may have travelled inside a KPL
 *  aggregated Kinesis record. Free arrays of them with kinesis_user_records_free(). */
typedef struct kinesis_user_record {
    uint8_t *data; /**< bytes (NUL-terminated for convenience, not counted) */
    size_t data_len;
    char *partition_key;
    char *explicit_hash_key;      /**< NULL when none was given (or not aggregated) */
    char *sequence_number;        /**< of the Kinesis record that carried it */
    uint64_t sub_sequence_number; /**< its index inside that record; 0 when not aggregated */
    int aggregated;               /**< 1 when it came out of a KPL aggregated record */
    int64_t arrival_ms;           /**< the carrying record's ApproximateArrivalTimestamp */
} kinesis_user_record;
void kinesis_user_records_free(kinesis_user_record *records, size_t count);

/**
 * Aggregate records into one Kinesis record in the KPL format (magic F3 89 9A C2, a protobuf
 * AggregatedRecord, the MD5 of the protobuf), byte for byte as the KPL and aws-kinesis-agg write
 * it. records[].prev_sequence_number is ignored. On success returns NULL and sets *out (malloc'd;
 * free()) and *out_len. Kinesis accepts at most 1 MiB of data and partition key per record: the
 * caller keeps under it (the producer does).
 */
kinesis_error *kinesis_aggregate(const kinesis_record *records, size_t n, uint8_t **out, size_t *out_len);
/** 1 when data is a KPL aggregated record (magic and a matching MD5), else 0. */
int kinesis_is_aggregated(const void *data, size_t len);
/**
 * The user records of a Kinesis record: those of an aggregated record, with sub-sequence numbers
 * 0, 1, ...; or the record itself (sub-sequence 0, aggregated 0) when it is not aggregated. A record
 * with the magic but a wrong MD5 is passed through (the KCL's rule: user data may start with the
 * magic). One whose checksum matches but whose protobuf is broken is an UNEXPECTED_RESPONSE error.
 * On success *out (free with kinesis_user_records_free) and *count are set; *out is NULL when an
 * aggregated record holds no user records.
 */
kinesis_error *kinesis_deaggregate(const kinesis_read_record *record, kinesis_user_record **out,
                                   size_t *count);

/* ===================================================================== producer (KPL-style) */

/**
 * A producer in the manner of the Kinesis Producer Library: kinesis_producer_put() buffers user
 * records; the producer predicts each record's shard from the shard map (ListShards, refreshed when
 * a record lands elsewhere than predicted, as after resharding), aggregates the records of a shard
 * into KPL aggregated records (optional, on by default), collects them into PutRecords calls of at
 * most 500 entries and 5 MiB per shard, keeps each shard under its limits (1,000 records/s and
 * 1 MiB/s) times rate_limit_percent with token buckets, re-sends only the failed entries with backoff
 * until a record's time to live is spent, and calls each record's callback once with its outcome.
 *
 * Threads: the producer has no thread of its own. It is driven by the client's event loop,
 * kinesis_client_run() (or kinesis_client_fdset/timeout with kinesis_client_run(client, 0)), like
 * every asynchronous call of that client; its callbacks run inside kinesis_client_run(), on the
 * thread that runs it. Nothing of it is thread-safe: call every kinesis_producer_* function from that
 * same thread (callbacks included; but from a callback neither kinesis_producer_flush_wait() nor
 * kinesis_producer_free()). Use one client and producer per thread to produce from several threads.
 *
 * Ordering: with max_inflight_per_shard 1 (the default) records of one shard are sent in the order
 * they were put, re-sent entries first, so records of one partition key keep their order, except
 * around a reshard: records waiting for a re-send when it happens, and aggregated records sealed
 * before it (an aggregated record is routed as a whole by its first user record's hash key, as
 * the KPL routes it, so after a split it may carry keys of both children to one of them; a
 * consumer that reads the two children side by side can then see those keys out of order).
 *
 * Example (error handling shortened):
 * @code
 *   static void sent(const kinesis_producer_result *r, void *user) {
 *       if (r->error) fprintf(stderr, "lost: %s after %d attempts\n", r->error->message, r->attempts);
 *   }
 *   kinesis_producer_options po = {0};              // aggregation on, 150% rate limit
 *   kinesis_producer *p = kinesis_producer_new(client, "orders", &po, &err);
 *   kinesis_record rec = {"hello", 5, "user-1", NULL, NULL};
 *   while (kinesis_producer_put(p, &rec, sent, NULL) == KINESIS_PRODUCER_BUSY)
 *       kinesis_client_run(client, 100);            // backpressure: let the buffer drain
 *   kinesis_producer_flush_wait(p, 10000);          // send everything, wait for every callback
 *   kinesis_producer_free(p);
 * @endcode
 */
typedef struct kinesis_producer kinesis_producer;

/** Producer options. Zero-initialise: every zero field takes the default named. */
typedef struct kinesis_producer_options {
    int disable_aggregation;      /**< non-zero: one Kinesis record per user record */
    size_t aggregation_max_bytes; /**< an aggregated record's size limit; default 51200 (KPL's
                                     AggregationMaxSize) */
    size_t aggregation_max_count; /**< user records per aggregated record; default unlimited */
    size_t collection_max_count;  /**< entries per PutRecords; default and at most 500 */
    size_t collection_max_bytes;  /**< bytes per PutRecords; default and at most 5 MiB */
    int64_t
        max_buffered_ms;   /**< how long a record may wait for company; default 100 (RecordMaxBufferedTime) */
    int64_t record_ttl_ms; /**< give up on a record this long after put; default 30000 (RecordTtl) */
    int rate_limit_percent; /**< per-shard token buckets at this percent of the shard limits; default 150 */
    size_t max_buffered_bytes;    /**< put refuses (KINESIS_PRODUCER_BUSY) beyond this; default 64 MiB */
    int max_inflight_per_shard;   /**< PutRecords calls in flight per shard; default 1 (keeps order) */
    int64_t shard_map_refresh_ms; /**< least time between two ListShards; default 1000 */
} kinesis_producer_options;

/** A record's final outcome, given to its callback (borrowed: copy what you keep). On success error
 *  is NULL and shard_id, sequence_number and sub_sequence_number (its index inside the aggregated
 *  record, 0 when not aggregated) are set; on failure error says why (the last entry error or call
 *  error; a LIBRARY error named Timeout when the time to live ran out) and shard_id may be NULL. */
typedef struct kinesis_producer_result {
    const char *shard_id;
    const char *sequence_number;
    uint64_t sub_sequence_number;
    int aggregated;
    const kinesis_error *error;
    int attempts; /**< PutRecords calls that carried this record */
} kinesis_producer_result;
typedef void (*kinesis_producer_cb)(const kinesis_producer_result *result, void *user);

/** Counters since the producer was made (for progress lines and tests). */
typedef struct kinesis_producer_stats {
    uint64_t user_records_put;     /**< accepted by kinesis_producer_put */
    uint64_t user_records_sent;    /**< succeeded (callback with no error) */
    uint64_t user_records_failed;  /**< failed for good */
    uint64_t kinesis_records_sent; /**< Kinesis records (aggregated or not) that succeeded */
    uint64_t put_records_calls;    /**< PutRecords requests answered */
    uint64_t entries_retried;      /**< Kinesis records re-sent after a failure */
    uint64_t entries_throttled;    /**< entries refused with ProvisionedThroughputExceededException */
    uint64_t shard_map_refreshes;  /**< ListShards made */
    size_t buffered_bytes;         /**< user bytes not yet finished */
    size_t buffered_records;       /**< user records not yet finished */
} kinesis_producer_stats;

/** kinesis_producer_put's answers. */
#define KINESIS_PRODUCER_OK 0
#define KINESIS_PRODUCER_BUSY 1       /**< max_buffered_bytes reached: run the loop and try again */
#define KINESIS_PRODUCER_INVALID (-1) /**< bad record (no key, too large) or producer closed; no callback */

/** Make a producer for stream_name on client (borrowed: it must outlive the producer). It starts
 *  loading the shard map at once. NULL with *err on bad arguments or out of memory. */
kinesis_producer *kinesis_producer_new(kinesis_client *client, const char *stream_name,
                                       const kinesis_producer_options *opts, kinesis_error **err);
/** Buffer one record (copied). cb (may be NULL) is called once, from kinesis_client_run(), with
 *  its outcome. Returns KINESIS_PRODUCER_OK, _BUSY or _INVALID (see above). */
int kinesis_producer_put(kinesis_producer *p, const kinesis_record *record, kinesis_producer_cb cb,
                         void *user);
/** Send every buffered record now, without waiting for max_buffered_ms (returns at once). */
void kinesis_producer_flush(kinesis_producer *p);
/** Flush, then run the client's loop until every record put so far has had its callback, or
 *  timeout_ms passed. Returns 0 when all finished, -1 on timeout (records are still buffered). */
int kinesis_producer_flush_wait(kinesis_producer *p, int64_t timeout_ms);
/** User records not yet finished (buffered or in flight). */
size_t kinesis_producer_outstanding(const kinesis_producer *p);
void kinesis_producer_get_stats(const kinesis_producer *p, kinesis_producer_stats *stats);
/** Free the producer. Records not yet finished get their callback with a LIBRARY error named
 *  Cancelled (flush_wait first to avoid that). Calls in flight are abandoned. */
void kinesis_producer_free(kinesis_producer *p);

#define KINESIS_ERR_CANCELLED "Cancelled" /**< the producer or consumer was freed first */

/* ===================================================================== consumer (KCL-style) */

/**
 * A pluggable checkpoint store: where a consumer keeps, per shard, the last user record the
 * application finished. load sets *sequence_number (malloc'd, or NULL when there is no checkpoint),
 * *sub_sequence_number and *whole (1: every user record of that Kinesis record is done). A sequence
 * number of "SHARD_END" means the shard was finished. Both return 0, or -1 on failure (the consumer
 * reports it through on_error). They are called on the consumer's thread, from
 * kinesis_consumer_start() and kinesis_client_run().
 */
typedef struct kinesis_checkpoint_store {
    int (*load)(void *self, const char *stream, const char *shard_id, char **sequence_number,
                uint64_t *sub_sequence_number, int *whole);
    int (*save)(void *self, const char *stream, const char *shard_id, const char *sequence_number,
                uint64_t sub_sequence_number, int whole);
    void (*free)(void *self); /**< may be NULL */
    void *self;
} kinesis_checkpoint_store;

#define KINESIS_CHECKPOINT_SHARD_END "SHARD_END"

/**
 * The file-backed store: one text file of "stream shard sequence sub-sequence whole" lines,
 * replaced atomically (written beside it, then renamed) on every save. The file need not exist
 * yet. Returns NULL with *err when the file exists but cannot be read or parsed. Free with
 * store->free(store->self) (kinesis_consumer_free does it for a store it was given).
 */
kinesis_checkpoint_store *kinesis_checkpoint_store_file(const char *path, kinesis_error **err);
/** Free a store made by kinesis_checkpoint_store_file (calls its free). NULL is ignored. */
void kinesis_checkpoint_store_free(kinesis_checkpoint_store *store);

typedef struct kinesis_consumer kinesis_consumer;

/** One batch: the user records (de-aggregated) of one GetRecords answer or SubscribeToShard event
 *  of one shard, in order. Borrowed: valid during the callback. */
typedef struct kinesis_consumer_batch {
    const char *shard_id;
    const kinesis_user_record *records;
    size_t count;
    int64_t millis_behind_latest;
    kinesis_consumer *consumer;
} kinesis_consumer_batch;

typedef enum kinesis_consumer_mode {
    KINESIS_CONSUMER_POLLING = 0, /**< GetRecords, at most 5 calls/s per shard */
    KINESIS_CONSUMER_FANOUT = 1,  /**< enhanced fan-out: SubscribeToShard, renewed every 5 minutes */
} kinesis_consumer_mode;

/** What the consumer calls, from kinesis_client_run(). on_records is required. */
typedef struct kinesis_consumer_callbacks {
    /** A batch. Call kinesis_consumer_checkpoint(batch) (here or later, before the next batch of
     *  that shard) to record that everything in it is done. */
    void (*on_records)(const kinesis_consumer_batch *batch, void *user);
    /** A shard was read to its end and every batch of it delivered (may be NULL). */
    void (*on_shard_end)(const char *shard_id, void *user);
    /** A failure the consumer cannot retry (not found, access denied, checkpoint store failing...);
     *  the callback owns err. The consumer stops reading the shard (shard_id) or, when shard_id is
     *  NULL, the stream. May be NULL. */
    void (*on_error)(const char *shard_id, kinesis_error *err, void *user);
    void *user;
} kinesis_consumer_callbacks;

typedef struct kinesis_consumer_options {
    kinesis_consumer_mode mode;
    /** Where a shard without a checkpoint starts: TRIM_HORIZON (default, zero is AT_SEQUENCE_NUMBER
     *  which is not allowed here, so zero means TRIM_HORIZON), LATEST or AT_TIMESTAMP. Shards that
     *  appear later (children of a reshard) start at TRIM_HORIZON. With LATEST, shards already
     *  closed at start are skipped. */
    kinesis_iterator_type initial_position;
    int64_t initial_timestamp_ms;          /**< for AT_TIMESTAMP: ms since the epoch, >= 0 */
    kinesis_checkpoint_store *checkpoints; /**< NULL: none (start every shard at initial_position);
                                                the consumer owns it and frees it */
    int max_records;                       /**< GetRecords Limit; default 10000 */
    int64_t poll_interval_ms;  /**< least time between two GetRecords of a shard; default and at least 200 */
    int64_t idle_interval_ms;  /**< wait after an empty answer; default 1000 */
    int64_t shard_sync_ms;     /**< ListShards every so often to find new shards; default 10000 */
    const char *consumer_name; /**< FANOUT: registered (or found) at start */
    const char *consumer_arn;  /**< FANOUT: use this registered consumer instead */
    int64_t subscription_renew_ms; /**< FANOUT: re-subscribe after this long; default 300000 (5 min) */
} kinesis_consumer_options;

/**
 * A consumer in the manner of the Kinesis Client Library, for one process: it follows every shard
 * of the stream (ListShards; child shards reported at the end of a closed shard), reads a child
 * only after all its parents were read to their end (both parents of a merge), de-aggregates KPL
 * records and hands each shard's records to on_records in order. Expired iterators
 * (ExpiredIteratorException) are renewed from the last record delivered; throttling is retried
 * with backoff (the client's retry policy).
 *
 * Delivery is at least once: a record is delivered again after a restart unless a checkpoint
 * covering it was saved. A restarted consumer resumes each shard after its checkpoint
 * (AFTER_SEQUENCE_NUMBER; within an aggregated record, AT_SEQUENCE_NUMBER skipping the
 * sub-records already checkpointed). A shard whose last batch was checkpointed is saved as
 * SHARD_END and not read again.
 *
 * Threads: like the producer, driven by kinesis_client_run() of its client on one thread; callbacks
 * run inside it; no function of it is thread-safe. kinesis_consumer_start() is blocking (it loads
 * checkpoints and, in FANOUT mode, registers the consumer); neither it nor kinesis_consumer_free()
 * may be called from a callback (stop the loop, then free).
 *
 * Example:
 * @code
 *   static void got(const kinesis_consumer_batch *b, void *user) {
 *       for (size_t i = 0; i < b->count; i++) fwrite(b->records[i].data, 1, b->records[i].data_len, stdout);
 *       kinesis_consumer_checkpoint(b);
 *   }
 *   kinesis_consumer_options co = {0};
 *   co.checkpoints = kinesis_checkpoint_store_file("orders.ckpt", &err);
 *   kinesis_consumer_callbacks cb = {got, NULL, NULL, NULL};
 *   kinesis_consumer *c = kinesis_consumer_new(client, "orders", &co, &cb, &err);
 *   if (!(err = kinesis_consumer_start(c)))
 *       while (running) kinesis_client_run(client, 1000);
 *   kinesis_consumer_free(c);
 * @endcode
 */
kinesis_consumer *kinesis_consumer_new(kinesis_client *client, const char *stream_name,
                                       const kinesis_consumer_options *opts,
                                       const kinesis_consumer_callbacks *cb, kinesis_error **err);
/** Load checkpoints, register the fan-out consumer (FANOUT) and start following shards. Blocking. */
kinesis_error *kinesis_consumer_start(kinesis_consumer *c);
/** Checkpoint after the last record of batch (saved at once to the store). Returns 0 or -1. */
int kinesis_consumer_checkpoint(const kinesis_consumer_batch *batch);
/** Checkpoint after one user record of shard_id. Returns 0 or -1. */
int kinesis_consumer_checkpoint_at(kinesis_consumer *c, const char *shard_id, const char *sequence_number,
                                   uint64_t sub_sequence_number, int whole);
/** Shards being read, waiting for parents, and finished. */
void kinesis_consumer_shard_counts(const kinesis_consumer *c, size_t *reading, size_t *waiting,
                                   size_t *finished);
/** The fan-out consumer's ARN (FANOUT, after start), or NULL. */
const char *kinesis_consumer_arn(const kinesis_consumer *c);
/** Stop reading and free (no callback after this). The checkpoint store is freed too. */
void kinesis_consumer_free(kinesis_consumer *c);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* KINESIS_KINESIS_H */
