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
    const char *session_token;   /* NULL if none */
    const char *region;          /* "us-east-1" */
    const char *service;         /* "kinesis" */
    int64_t epoch_seconds;       /* the signing time */
    int normalize_path;          /* 1: normalise the path (all services but S3) */
    int omit_session_token;      /* 1: add X-Amz-Security-Token after signing (not signed) */
} sigv4_params;

/* Stage results; every string is malloc'd and freed by sigv4_result_clean_up. */
typedef struct sigv4_result {
    char *amz_date;              /* 20150830T123600Z */
    char *canonical_request;
    char *signed_headers;        /* host;x-amz-date */
    char *string_to_sign;
    uint8_t signing_key[32];
    char *signature;             /* lowercase hex */
    char *authorization;         /* full Authorization header value */
} sigv4_result;

/* Format epoch seconds as 20150830T123600Z (out >= 17 bytes) and 20150830 (date >= 9 bytes). */
void sigv4_format_time(int64_t epoch_seconds, char amz_date[17], char date[9]);

/* Each stage alone; 0 on success, -1 on bad input or allocation failure.
 * The canonical request uses the request's headers as given: the caller includes Host and
 * X-Amz-Date (and X-Amz-Security-Token) itself, or uses sigv4_sign for the whole pipeline. */
int sigv4_canonical_request(const sigv4_request *req, const sigv4_params *p, sigv4_result *out);
int sigv4_string_to_sign(const sigv4_params *p, sigv4_result *out);
void sigv4_signing_key(const char *secret, const char *date, const char *region,
                       const char *service, uint8_t key[32]);
int sigv4_signature(const sigv4_params *p, sigv4_result *out);
int sigv4_authorization(const sigv4_params *p, sigv4_result *out);

/* The whole pipeline for header signing. */
int sigv4_sign(const sigv4_request *req, const sigv4_params *p, sigv4_result *out);
void sigv4_result_clean_up(sigv4_result *r);

/* Parse an Authorization header value "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/kinesis/aws4_request,
 * SignedHeaders=host;x-amz-date, Signature=hex". Returns 0, or -1 with a reason in why. */
typedef struct sigv4_auth_header {
    char access_key_id[129];
    char date[9];
    char region[64];
    char service[64];
    char signed_headers[1024];
    char signature[65];
} sigv4_auth_header;
int sigv4_parse_authorization(const char *value, sigv4_auth_header *out, char *why, size_t why_len);

#endif
