/* cbor_codec.h: the AWS CBOR protocol (application/x-amz-cbor-1.1, the Java SDKs' default) to and
 * from the JSON form the simulator's pipeline works on (see codec.h), using libcbor.
 *
 *  - Requests: sim_cbor_to_json converts by CBOR type alone, so it needs no model: byte strings
 *    (blobs) become base64 strings, tag 1 (timestamps) becomes a number of epoch seconds, maps
 *    become objects (text keys only), and everything else maps one to one. Validation and the
 *    handlers then see exactly what a JSON client would have sent.
 *  - Answers: sim_json_to_cbor walks the operation's output shape in the embedded API model
 *    (sim_model_json) alongside the value, so blob members (base64 strings in the JSON form)
 *    become byte strings and timestamp members (epoch seconds) become tag 1 + integer epoch
 *    milliseconds, as the AWS SDKs read them. Members the model does not know are encoded by
 *    JSON type. Errors ({"__type":..,"message":..}) are encoded with op NULL.
 *
 * Timestamps in: AWS writes tag 1 with integer milliseconds (contrary to RFC 8949, which says
 * seconds). Tolerant of both: a tag-1 number whose magnitude is at least SIM_CBOR_MILLIS_FROM
 * is read as milliseconds, anything smaller as seconds (1e11 ms is March 1973, 1e11 s is the
 * year 5138, so no Kinesis timestamp is ambiguous). */
#ifndef SIM_CBOR_CODEC_H
#define SIM_CBOR_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Nesting deeper than this (maps, arrays, tags, indefinite strings) is refused when decoding
 * and encoding. Kinesis shapes nest at most 5 deep. */
#define SIM_CBOR_MAX_DEPTH 32
#define SIM_CBOR_MILLIS_FROM 1e11

/* Decode one CBOR data item filling buf[0..len) exactly into a new JSON value (caller
 * json_decref's). On failure returns NULL and writes a reason into err (if not NULL), e.g.
 * "truncated CBOR body at byte 12", "malformed CBOR at byte 3", "trailing bytes after the CBOR
 * item at byte 9", "CBOR map key is not a text string", "CBOR nesting deeper than 32",
 * "invalid UTF-8 in a CBOR text string", "CBOR integer out of range", "non-finite CBOR float",
 * "CBOR tag 1 (epoch time) on a non-number". The top level may be any type: the caller checks
 * that it is a map (json_is_object). */
json_t *sim_cbor_to_json(const uint8_t *buf, size_t len, char *err, size_t err_len);

/* Encode v into a malloc'd CBOR buffer (*out, *len; free()). op names the operation whose OUTPUT
 * shape guides blobs and timestamps (NULL, or an operation unknown to the model: by JSON type
 * only). Returns 0, or -1 when memory runs out, a blob member is not valid base64, nesting is
 * deeper than SIM_CBOR_MAX_DEPTH, or the embedded model cannot be parsed (*out = NULL). */
int sim_json_to_cbor(const json_t *v, const char *op, uint8_t **out, size_t *len);

/* Which side of an operation to encode (requests are encoded by tests and clients). */
typedef enum { SIM_CBOR_OUTPUT = 0, SIM_CBOR_INPUT = 1 } sim_cbor_side;
int sim_json_to_cbor_op(const json_t *v, const char *op, sim_cbor_side side, uint8_t **out, size_t *len);
/* Encode v as the model shape named shape (e.g. "SubscribeToShardEvent" for the payload of an
 * event stream message); NULL or unknown: by JSON type only. */
int sim_json_to_cbor_shape(const json_t *v, const char *shape, uint8_t **out, size_t *len);

/* Release the parsed model (tests and valgrind runs; it is parsed again on the next use). */
void sim_cbor_codec_cleanup(void);

#endif
