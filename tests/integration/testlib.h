/* testlib.h: a small libcurl helper for the integration tests (the files in tests/integration/), which
 * drive a running kinesis-sim at $KINESIS_SIM_ENDPOINT (ci/run-tests starts one and sets it).
 *
 *   tl_raw(...)        any request, exactly as given (method, path?query, headers, body);
 *   tl_call(op, json)  an operation call with a syntactically valid (fake) SigV4 Authorization
 *                      and X-Amz-Date, as every SDK sends them;
 *   tl_call_json(...)  the same with Jansson values in and out;
 *   tl_cert_make(...)  a self-signed certificate and key in a fresh directory, for the TLS tests.
 * Every request has a 10 s timeout, so no test can hang. */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <jansson.h>
#include <stddef.h>

#include "shared/http_exchange.h"
#include "tl_sim.h" /* a simulator of a test's own, and the tests' clock */

/* One answer (shared/http_exchange.h): status (0 when the transport failed), body and body_len
 * (NUL-terminated), headers (the raw header block(s), any 100 Continue included), num_connects
 * (0: a kept-alive connection was reused), curl_code (CURLE_OK, or libcurl's error, e.g. 52: empty
 * reply, the server closed). */
typedef hx_response tl_response;

/* $KINESIS_SIM_ENDPOINT without a trailing '/', e.g. "http://127.0.0.1:4567". Fails the current
 * Criterion test with a clear message when the variable is not set. */
const char *tl_endpoint(void);

/* One request on a fresh connection. path includes any query ("/?X-Amz-Algorithm=..").
 * headers: NULL-terminated array of "Name: value" strings ("Name:" removes one curl would add,
 * e.g. "Expect:"), or NULL. Returns 0 when an answer came back, -1 on a transport failure
 * (out->curl_code says which); out is filled either way and must be freed. */
int tl_raw(const char *method, const char *path, const char *const *headers, const void *body,
           size_t body_len, tl_response *out);

/* A connection that is kept alive across requests (HTTP/1.1 keep-alive). */
typedef struct tl_conn tl_conn;
tl_conn *tl_conn_new(void);
void tl_conn_free(tl_conn *c);
int tl_conn_raw(tl_conn *c, const char *method, const char *path, const char *const *headers,
                const void *body, size_t body_len, tl_response *out);

void tl_response_free(tl_response *r);
/* The value of the last response header called name (case-insensitive), malloc'd; NULL if none. */
char *tl_header(const tl_response *r, const char *name);

/* The fake credentials tl_call signs with: region us-east-1, service kinesis. */
#define TL_ACCESS_KEY "AKIDEXAMPLE"
#define TL_REGION "us-east-1"

/* POST / with Content-Type application/x-amz-json-1.1, X-Amz-Target Kinesis_20131202.<op>, a
 * well-formed Authorization and X-Amz-Date. *body (malloc'd, NUL-terminated; free()) may be
 * NULL when not wanted. Returns 0 when an answer came back, -1 on a transport failure. */
int tl_call(const char *op, const char *json_body, long *status, char **body);

/* tl_call with Jansson values: in is borrowed (NULL sends "{}"); returns the parsed answer
 * (json_decref it) or NULL when the transport failed or the answer is not JSON. */
json_t *tl_call_json(const char *op, const json_t *in, long *status);

/* The answer's "__type" and "message" (or "Message"); "" when absent. Pointers into j. */
const char *tl_error_type(const json_t *j);
const char *tl_error_message(const json_t *j);

/* A stream name unique to this process and call: "<prefix>-<pid>-<n>". */
void tl_unique_name(const char *prefix, char *out, size_t len);

/* Poll DescribeStreamSummary until StreamStatus is status (e.g. "ACTIVE"), at most timeout_ms.
 * Returns 0 when reached, -1 on timeout or error. */
int tl_wait_stream_status(const char *stream, const char *status, int timeout_ms);

/* ---- fault rules (POST/GET/DELETE /_sim/faults; fixtures/faults/README.md) ---- */
/* Add one rule (JSON text) to the simulator; returns its id. Fails the test when refused. */
json_int_t tl_fault_add(const char *rule);
/* Delete a rule (no check: a test's clean-up). */
void tl_fault_remove(json_int_t id);
/* The rule's counters: calls it matched and times it fired. Fails the test when it is not listed. */
void tl_fault_counters(json_int_t id, long long *calls, long long *fired);

/* A self-signed P-256 certificate for 127.0.0.1 and localhost (subjectAltName IP and DNS) and its
 * key, written as PEM files into a new directory /tmp/<prefix>-XXXXXX. Fails the current test when
 * it cannot; tl_cert_remove deletes the files and the directory. */
typedef struct tl_cert {
    char dir[64], cert[128], key[128];
} tl_cert;
void tl_cert_make(tl_cert *c, const char *prefix);
void tl_cert_remove(const tl_cert *c);

#endif
