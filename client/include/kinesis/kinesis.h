/**
 * @file kinesis.h
 * @brief libkinesis: a C client for Amazon Kinesis Data Streams (and any endpoint that speaks
 *        its protocol, such as kinesis-sim).
 *
 * One header, prefix `kinesis_`. Handles are opaque (`_new`/`_free`); results belong to the
 * caller and are freed with their matching `_free`; errors are values (::kinesis_error) with a
 * type, the Kinesis error name, the HTTP status, a message and the request id.
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
    char *name;         /**< Kinesis error name (e.g. "ResourceNotFoundException"), or a library code */
    char *message;      /**< human-readable message */
    int http_status;    /**< HTTP status, 0 if no answer was received */
    char *request_id;   /**< x-amzn-RequestId of the answer, or NULL */
    int attempts;       /**< how many attempts were made (retries + 1) */
} kinesis_error;

void kinesis_error_free(kinesis_error *err);
/** "LIBRARY_ERROR", "REQUEST_FAILED" or "UNEXPECTED_RESPONSE". */
const char *kinesis_error_type_name(kinesis_error_type type);

/* ===================================================================== client (CONTRACT) */

typedef struct kinesis_client kinesis_client;

/** Retry policy: exponential backoff with full jitter. */
typedef struct kinesis_retry_policy {
    int max_attempts;        /**< total attempts including the first; default 5; 1 disables retries */
    int64_t base_delay_ms;   /**< default 100 */
    int64_t max_delay_ms;    /**< cap of one delay; default 20000 */
    int64_t max_total_ms;    /**< cap of all delays of one call; default 60000 */
} kinesis_retry_policy;

/** Options for kinesis_client_new(). Zero-initialise, then set what you need.
 *  Unset fields are resolved: region from AWS_REGION/AWS_DEFAULT_REGION; credentials from the
 *  arguments, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, else the profile
 *  (AWS_PROFILE or "default") in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE). */
typedef struct kinesis_client_options {
    const char *region;             /**< e.g. "us-east-1" */
    const char *endpoint;           /**< override, e.g. "http://127.0.0.1:4567"; NULL: https://kinesis.<region>.amazonaws.com */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *profile;            /**< profile name in the shared credentials file */
    int64_t connect_timeout_ms;     /**< default 5000 */
    int64_t request_timeout_ms;     /**< default 30000 */
    kinesis_retry_policy retry;     /**< zero: defaults */
    const char *user_agent;         /**< appended to libkinesis/<version> */
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

/** Same as kinesis_call, with no retries whatever the policy (for tests that want the first answer). */
kinesis_error *kinesis_call_once(kinesis_client *client, const char *operation, const char *json_body,
                                 char **response_json, int *http_status);

#ifdef __cplusplus
}
#endif

#endif /* KINESIS_KINESIS_H */
