/* http_raw.h: a raw HTTP request for wire-level cases (missing auth, wrong content type,
 * malformed JSON, control API), sent with libcurl and, when asked, signed with SigV4 using the
 * client's signer (client/shared/include/shared/sigv4.h). The step's "raw" object is described in FORMAT.md.
 */
#ifndef CF_HTTP_RAW_H
#define CF_HTTP_RAW_H

#include <jansson.h>
#include <stdint.h>

#include "exec.h"
#include "match.h"

/* Send the (expanded) raw request; fills out (transport_error set when nothing came back).
 * timeout_ms bounds the whole exchange. */
void cf_http_raw(const cf_env *env, const json_t *raw, int64_t timeout_ms, cf_response *out);

/* 1 when the endpoint gives any HTTP answer (whatever the status) to a signed ListStreams
 * within timeout_ms; 0 with the transport error in why when nothing came back (refused, reset,
 * timed out). Used before a run and after a case that got no answer. */
int cf_endpoint_answers(const cf_env *env, int64_t timeout_ms, char *why, size_t why_len);

/* "Host" header value for an endpoint URL ("http://127.0.0.1:4567/x" -> "127.0.0.1:4567"); malloc'd. */
char *cf_endpoint_host(const char *endpoint);

#endif
