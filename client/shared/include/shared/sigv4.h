/* sigv4.h: AWS Signature Version 4, as a pipeline of separately callable stages (the model is
 * aws-c-auth): canonical request -> string to sign -> signing key -> signature -> Authorization.
 * Time is an input, never read from a clock here, so the official test vectors are deterministic
 * and a server (kinesis-sim in strict mode) can verify a signature with the same code.
 * Internal to libkinesis (not in the public header), but linked into kinesis-sim and
 * kinesis-conform, which sign or verify raw requests. */
#ifndef KINESIS_SIGV4_H
#define KINESIS_SIGV4_H

#include <stddef.h>
#include <stdint.h>

typedef struct sigv4_header {
    const char *name;
    const char *value;
} sigv4_header;

/* A raw HTTP request as it goes on the wire (or as parsed from request.txt). */
typedef struct sigv4_request {
    const char *method;          /* "POST" */
    const char *path;            /* raw path, e.g. "/" (may contain %-escapes) */
    const char *query;           /* raw query string without '?', or NULL */
    const sigv4_header *headers; /* all headers; duplicates allowed */
    size_t n_headers;
    const uint8_t *body;
    size_t body_len;
} sigv4_request;

typedef struct sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* NULL if none */
    const char *region;        /* "us-east-1" */
    const char *service;       /* "kinesis" */
    int64_t epoch_seconds;     /* the signing time */
    int normalize_path;        /* 1: normalise the path (all services but S3) */
    int omit_session_token;    /* 1: add X-Amz-Security-Token after signing (not signed) */
} sigv4_params;

/* Stage results; every string is malloc'd and freed by sigv4_result_clean_up. */
typedef struct sigv4_result {
    char *amz_date; /* 20150830T123600Z */
    char *canonical_request;
    char *signed_headers; /* host;x-amz-date */
    char *string_to_sign;
    uint8_t signing_key[32];
    char *signature;     /* lowercase hex */
    char *authorization; /* full Authorization header value */
} sigv4_result;

/* Format epoch seconds as 20150830T123600Z (out >= 17 bytes) and 20150830 (date >= 9 bytes). */
void sigv4_format_time(int64_t epoch_seconds, char amz_date[17], char date[9]);

/* Each stage alone; 0 on success, -1 on bad input or allocation failure.
 * The canonical request uses the request's headers as given: the caller includes Host and
 * X-Amz-Date (and X-Amz-Security-Token) itself, or uses sigv4_sign for the whole pipeline. */
int sigv4_canonical_request(const sigv4_request *req, const sigv4_params *p, sigv4_result *out);
int sigv4_string_to_sign(const sigv4_params *p, sigv4_result *out);
void sigv4_signing_key(const char *secret, const char *date, const char *region, const char *service,
                       uint8_t key[32]);
int sigv4_signature(const sigv4_params *p, sigv4_result *out);
int sigv4_authorization(const sigv4_params *p, sigv4_result *out);

/* The whole pipeline for header signing. */
int sigv4_sign(const sigv4_request *req, const sigv4_params *p, sigv4_result *out);
void sigv4_result_clean_up(sigv4_result *r);

/* Parse an Authorization header value "AWS4-HMAC-SHA256
 * Credential=AKID/20150830/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex".
 * Returns 0, or -1 with a reason in why. */
typedef struct sigv4_auth_header {
    char access_key_id[129];
    char date[9];
    char region[64];
    char service[64];
    char signed_headers[1024];
    char signature[65];
} sigv4_auth_header;
int sigv4_parse_authorization(const char *value, sigv4_auth_header *out, char *why, size_t why_len);

/* ===================================================================== additions (H5a) */

/* How sigv4_sign treats headers: it signs X-Amz-Date = out->amz_date and, when session_token is set
 * and omit_session_token is 0, X-Amz-Security-Token, replacing any such header already given;
 * the caller sends both (and the token even when omitted from the signature). Every stage leaves
 * out Authorization and the headers proxies rewrite (User-Agent, X-Amzn-Trace-Id, Connection,
 * Expect, Upgrade, Transfer-Encoding, Sec-WebSocket-*). The payload hash is the request's
 * x-amz-content-sha256 header when present (e.g. "UNSIGNED-PAYLOAD"), else SHA-256 of the body.
 * The path is URI-encoded once more (non-S3 "double encoding"); normalize_path drops "." and
 * empty segments and resolves "..". */

/* Status codes of sigv4_verify (and of the presigned variant). */
#define SIGV4_OK 0
#define SIGV4_E_MALFORMED (-1) /* missing or malformed Authorization, X-Amz-Date, signed header */
#define SIGV4_E_MISMATCH (-2)  /* well formed, but the signature is not the one we compute */

/* Lowercase hex SHA-256 of data (out gets 64 chars + NUL). For x-amz-content-sha256. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Parse a signing time: "20150830T123600Z" (X-Amz-Date form) or "2015-08-30T12:36:00Z"
 * (ISO 8601 extended, as in the test vectors' context.json). Strict; 0 or -1. */
int sigv4_parse_time(const char *s, int64_t *epoch_seconds);

/* Which of the three parts an Authorization value lacks (bits below; 0 if all present or the
 * value does not start with AWS4-HMAC-SHA256). Lets a server word AWS's IncompleteSignature
 * message ("Authorization header requires 'Credential' parameter. ..."). */
#define SIGV4_MISSING_CREDENTIAL 1u
#define SIGV4_MISSING_SIGNED_HEADERS 2u
#define SIGV4_MISSING_SIGNATURE 4u
unsigned sigv4_authorization_missing(const char *value);

/* Query (presigned URL) signing. Signs the request's own headers (the caller includes Host) and
 * adds X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders (and
 * X-Amz-Security-Token unless omit_session_token) to the canonical query. *signed_query (malloc'd)
 * receives the request's query followed by every X-Amz-* parameter including X-Amz-Signature
 * (and the token), ready to put after '?'. out gets every stage but authorization (NULL).
 * expires_seconds: 1..604800. */
int sigv4_presign(const sigv4_request *req, const sigv4_params *p, int64_t expires_seconds, sigv4_result *out,
                  char **signed_query);

/* Server side (kinesis-sim strict mode): recompute the signature of a header-signed request from
 * its Authorization and X-Amz-Date headers, signing exactly the headers listed in SignedHeaders,
 * with the secret of the access key found there (the caller looks it up first with
 * sigv4_parse_authorization). Returns SIGV4_OK, SIGV4_E_MALFORMED or SIGV4_E_MISMATCH with a
 * reason in why. If out is not NULL it receives the computed stages (for AWS's "The Canonical
 * String for this request should have been ..." message); free it with sigv4_result_clean_up.
 * The time window (RequestExpired, 15 minutes) is the caller's check: see sigv4_parse_time. */
int sigv4_verify(const sigv4_request *req, const char *secret, sigv4_result *out, char *why, size_t why_len);

/* Server side, query (presigned) form: the request's query carries X-Amz-Algorithm,
 * X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and X-Amz-Signature (each
 * once). Recomputes the signature over every other parameter and the signed headers. Returns
 * SIGV4_OK, SIGV4_E_MALFORMED, SIGV4_E_MISMATCH, or SIGV4_E_EXPIRED when now_epoch is past
 * X-Amz-Date + X-Amz-Expires or more than 15 minutes before X-Amz-Date. The access key is in
 * the credential: the caller may get it with sigv4_query_access_key first. */
#define SIGV4_E_EXPIRED (-3)
int sigv4_verify_query(const sigv4_request *req, const char *secret, int64_t now_epoch, sigv4_result *out,
                       char *why, size_t why_len);
/* The access key id of X-Amz-Credential in a raw query (decoded), into out; 0 or -1. */
int sigv4_query_access_key(const char *query, char *out, size_t out_len);

/* A raw HTTP/1.1 request in the test-suite format (request.txt): request line
 * "METHOD target HTTP/1.1" (the target may hold raw spaces), header lines "Name:value" with
 * duplicates kept in order and folded continuation lines joined by one space, a blank line, the
 * body. LF or CRLF line ends. Used by the tests and by `kinesis sign`. */
typedef struct sigv4_raw_request {
    sigv4_request req; /* points into the fields below */
    char *method;
    char *path;
    char *query; /* NULL when the target has no '?' */
    sigv4_header *headers;
    uint8_t *body;
} sigv4_raw_request;
int sigv4_raw_request_parse(const char *text, size_t len, sigv4_raw_request *out, char *why, size_t why_len);
void sigv4_raw_request_clean_up(sigv4_raw_request *r);

/* The value of one hex digit (either case), or -1: what every %XX decoder here shares. */
int sigv4_hexval(int c);

#endif
