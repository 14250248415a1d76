/* auth.h: SigV4 presence and format checks on a request, worded as AWS words them
 * (MissingAuthenticationTokenException, IncompleteSignatureException, InvalidSignatureException),
 * for both forms: the Authorization header, or the query string (X-Amz-Algorithm, X-Amz-Credential,
 * X-Amz-Signature, X-Amz-SignedHeaders, X-Amz-Date). The credential's access key and scope region
 * come back for the handler context (the region selects the caller's region).
 *
 * Seam: strict verification of the signature itself (a later issue) runs after sim_auth_check
 * succeeds, recomputing the signature with client/src/sigv4.h; nothing here changes for it. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <stddef.h>

#include "errors.h"
#include "sim.h"

typedef struct sim_auth_info {
    int via_query;           /* 1 when the query-string form was used */
    char access_key_id[129]; /* from the credential; "" when it has none */
    char date[9];            /* the credential scope's date, "" when absent */
    char region[64];         /* the credential scope's region, "" when absent or not a region name */
    char service[64];        /* the credential scope's service, "" when absent */
} sim_auth_info;

/* 0 when a signature is present and complete (info filled). Otherwise -1 with *err set and
 * AWS's message in msg. */
int sim_auth_check(const sim_request *req, sim_auth_info *info, sim_error_code *err, char *msg,
                   size_t msg_len);

/* The value of key in a raw query string (percent-decoded, '+' as space) into out.
 * Returns 1 when the key is present (even with an empty value), 0 when absent. */
int sim_query_param(const char *query, const char *key, char *out, size_t out_len);

#endif
