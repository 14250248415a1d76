/* validate.h: input validation driven by the Kinesis API model (service-2.json, embedded at
 * build time). Checks types (SerializationException), then required members, lengths,
 * patterns, ranges and enums (ValidationException with AWS's exact message). */
#ifndef SIM_VALIDATE_H
#define SIM_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "errors.h"

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
int sim_validate_input(const sim_model *m, const char *op, const json_t *in,
                       sim_error_code *err, char *msg, size_t msg_len);

#endif
