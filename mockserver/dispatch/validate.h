/* validate.h: input validation driven by the Kinesis API model (service-2.json, embedded at
 * build time). Checks types (SerializationException), then required members, lengths,
 * patterns, ranges and enums (ValidationException with AWS's exact message). */
#ifndef SIM_VALIDATE_H
#define SIM_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "dispatch/errors.h"

typedef struct sim_model sim_model;

/* Load the embedded model; NULL (and a message) on failure. */
sim_model *sim_model_load(char *err, size_t err_len);
void sim_model_free(sim_model *m);
/* Does the model know this operation? */
int sim_model_has_operation(const sim_model *m, const char *op);
/* Number of operations and the i-th name (for the router table check and coverage lists). */
size_t sim_model_operation_count(const sim_model *m);
const char *sim_model_operation_name(const sim_model *m, size_t i);

/* Validate `in` (the parsed JSON body) against operation op's input shape.
 * Returns 0 when valid. Otherwise sets *err (SerializationException or ValidationException)
 * and writes the message into msg, and returns -1. */
int sim_validate_input(const sim_model *m, const char *op, const json_t *in, sim_error_code *err, char *msg,
                       size_t msg_len);

/* ---- the embedded model ---- */

/* The embedded model (build/gen/model_data.c, generated from fixtures/kinesis-api/service-2.json
 * by ci/tools/model_compact, which drops documentation and what else nothing here reads, then
 * ci/tools/embed; the array ends with a NUL byte not counted in sim_model_json_len). */
extern const unsigned char sim_model_json[];
extern const size_t sim_model_json_len;

/* Load a model from JSON text (sim_model_load uses the embedded one; tests use other texts). */
sim_model *sim_model_load_json(const char *json, size_t len, char *err, size_t err_len);

/* Translate one of the model's Java regular expressions into a POSIX extended expression anchored
 * to the whole value (Java's matches()): \d \s \w and their negations become classes, escaped
 * punctuation becomes literal, (?: becomes (, lazy quantifiers lose their '?'. Returns 0, or -1
 * for a construct with no POSIX equivalent (lookaround, \p{..}, possessive, nested classes) or
 * when out is too small. */
int sim_regex_java_to_posix(const char *java, char *out, size_t out_len);

/* The integer AWS sees for an Integer member: JSON reals are truncated toward negative infinity,
 * and the result is clamped to the 32-bit range. Handlers reading an Integer member should use
 * this (json_integer_value returns 0 for a real). Not a number: 0. */
long long sim_validate_integer(const json_t *v);

/* At most this many constraint violations are listed in one ValidationException (as AWS). */
#define SIM_VALIDATE_MAX_ERRORS 10

#endif
