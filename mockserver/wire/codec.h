/* codec.h: request and response bodies between the wire and Jansson values.
 *
 * The router asks codec_from_content_type which codec a request speaks, decodes the body with
 * codec_decode, and encodes the answer (or an error) with codec_encode / codec_error_body in the
 * same codec. JSON (application/x-amz-json-1.1; application/json is only parsed, the router answers it
 * with AWS's Output envelope) with Jansson;
 * CBOR (application/x-amz-cbor-1.1, the Java SDKs' default) through cbor_codec.h, decoded into the
 * same JSON form (blobs as base64 strings, timestamps as epoch seconds) and encoded back by the
 * operation's output shape (blobs as byte strings, timestamps as tag 1 + epoch milliseconds). */
#ifndef SIM_CODEC_H
#define SIM_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch/errors.h"

typedef enum {
    CODEC_UNSUPPORTED = 0, /* any other content type (AWS answers 404) */
    CODEC_AWS_JSON,        /* application/x-amz-json-1.1 */
    CODEC_PLAIN_JSON,      /* application/json (parsed; AWS goes no further: router.c answers it) */
    CODEC_CBOR,            /* application/x-amz-cbor-1.1 */
} codec_kind;

#define CODEC_JSON_TYPE "application/x-amz-json-1.1"
#define CODEC_CBOR_TYPE "application/x-amz-cbor-1.1"

/* From a Content-Type header value (NULL for none): the media type before any ';', trimmed,
 * compared case-insensitively. */
codec_kind codec_from_content_type(const char *content_type);
/* The Content-Type of answers in this codec (errors in an unsupported codec are sent as JSON). */
const char *codec_content_type(codec_kind k);

typedef enum {
    CODEC_OK = 0,
    CODEC_ERR_SYNTAX,      /* not parseable (malformed, truncated, bad UTF-8) */
    CODEC_ERR_NOT_OBJECT,  /* parsed, but the top level is not an object/map */
    CODEC_ERR_UNSUPPORTED, /* the content type is unknown */
} codec_status;

/* Decode a request body into a new JSON object (*out, caller json_decref's). On failure *out is
 * NULL and why (may be NULL) gets a short human reason. */
codec_status codec_decode(codec_kind k, const uint8_t *body, size_t len, json_t **out, char *why,
                          size_t why_len);

/* Encode an answer; NULL v encodes "{}". *body is malloc'd (free()); 0, or -1 on allocation failure.
 * codec_encode_op also names the operation whose output shape v is (CBOR needs it to tell blobs
 * and timestamps apart; NULL when unknown); codec_encode is codec_encode_op with op NULL. */
int codec_encode(codec_kind k, const json_t *v, uint8_t **body, size_t *len);
int codec_encode_op(codec_kind k, const char *op, const json_t *v, uint8_t **body, size_t *len);

/* Build an AWS error body: {"__type":"<name>","message":"<msg>"}, with "Message" for
 * SerializationException, and no message member when msg is NULL. 0, or -1 on allocation failure. */
int codec_error_body(codec_kind k, sim_error_code code, const char *msg, uint8_t **body, size_t *len);

#endif
