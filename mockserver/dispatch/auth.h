/* auth.h: who is calling, and whether to believe it.
 *
 *  - Always (--auth format, the default): SigV4 presence and format checks, worded as AWS words
 *    them (MissingAuthenticationTokenException, IncompleteSignatureException,
 *    InvalidSignatureException), for both forms: the Authorization header, or the query string
 *    (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-SignedHeaders, X-Amz-Date). The
 *    credential's access key and scope region come back for the handler context.
 *  - --auth strict: the signature itself is recomputed with the client's signer
 *    (client/shared/include/shared/sigv4.h) using the secret of the access key from the credentials file, and
 * the request is refused as AWS refuses it (unknown key, wrong signature, date more than 5 minutes from the
 * simulation clock).
 *  - Accounts and regions: the access key picks the account (the credentials file's ACCOUNT
 *    column; else a 12-digit access key is itself the account id; else --account-id), the
 *    credential scope's region picks the region (else --region). Streams are kept per account
 *    and region, and ARNs carry both.
 *
 * Credentials file (--credentials FILE or KINESIS_SIM_CREDENTIALS): one key per line,
 *     ACCESS_KEY_ID SECRET_ACCESS_KEY [ACCOUNT_ID]
 * fields separated by spaces or tabs; blank lines and lines whose first non-blank character is
 * '#' are ignored. ACCOUNT_ID is 12 digits. An access key may appear once. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch/errors.h"
#include "server/sim.h"

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

/* ---- accounts, credentials and strict verification ---- */

/* The known keys of --auth strict. */
typedef struct sim_credentials sim_credentials;

/* Parse a credentials file's text / read and parse a file. NULL with a message naming the line
 * ("line 3: expected 'ACCESS_KEY SECRET [ACCOUNT]'") on failure, or when there is no key. */
sim_credentials *sim_credentials_parse(const char *text, size_t len, char *err, size_t err_len);
sim_credentials *sim_credentials_load(const char *path, char *err, size_t err_len);
void sim_credentials_free(sim_credentials *c);
size_t sim_credentials_count(const sim_credentials *c);
/* The secret of an access key, NULL when unknown; *account (may be NULL) gets the key's account
 * column, or "" when the line had none. */
const char *sim_credentials_find(const sim_credentials *c, const char *access_key_id, const char **account);

/* The caller's account (16 bytes out): creds' ACCOUNT column for the key (creds may be NULL),
 * else the key itself when it is 12 digits, else default_account. */
void sim_auth_account(const sim_credentials *creds, const char *access_key_id, const char *default_account,
                      char account[16]);

/* Strict mode, after sim_auth_check passed (info from it): recompute the request's signature.
 * now_ms is the simulation clock. 0 when the signature is right; otherwise -1 with *err and AWS's
 * message:
 *   unknown access key       -> UnrecognizedClientException "The security token included in the
 *                               request is invalid."
 *   X-Amz-Date > 5 min old   -> InvalidSignatureException "Signature expired: <date> is now earlier
 *                               than <now - 5 min> (<now> - 5 min.)"
 *   X-Amz-Date > 5 min ahead -> InvalidSignatureException "Signature not yet current: <date> is still
 *                               later than <now + 5 min> (<now> + 5 min.)"
 *   wrong signature          -> InvalidSignatureException "The request signature we calculated does
 *                               not match the signature you provided. Check your AWS Secret Access
 *                               Key and signing method. Consult the service documentation for
 *                               details." followed, as AWS does, by the canonical request and the
 *                               string to sign the server computed
 *   scope of another service, malformed parts -> InvalidSignatureException saying what is wrong. */
int sim_auth_verify(const sim_credentials *creds, const sim_request *req, const sim_auth_info *info,
                    int64_t now_ms, sim_error_code *err, char *msg, size_t msg_len);

/* Allowed distance between a request's X-Amz-Date and the clock in strict mode. */
#define SIM_AUTH_SKEW_S 300

/* The value of key in a raw query string (percent-decoded, '+' as space) into out.
 * Returns 1 when the key is present (even with an empty value), 0 when absent. */
int sim_query_param(const char *query, const char *key, char *out, size_t out_len);

#endif
