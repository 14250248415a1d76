/* auth.c: SigV4 presence and format checks (see auth.h). The rules and their exact words follow
 * AWS as recorded by kinesalite's index.js (checked against the real service):
 *   - both an Authorization header and X-Amz-Algorithm in the query -> InvalidSignatureException
 *     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.";
 *   - neither -> MissingAuthenticationTokenException "Missing Authentication Token";
 *   - header form: each of Credential, Signature, SignedHeaders missing or empty adds
 *     "Authorization header requires '<P>' parameter. ", a missing X-Amz-Date and Date header adds
 *     "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
 *     and the message ends with "Authorization=<the header>" -> IncompleteSignatureException;
 *   - query form: each of X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-SignedHeaders,
 *     X-Amz-Date missing adds "AWS query-string parameters must include '<P>'. ", then
 *     "Re-examine the query-string parameters." -> IncompleteSignatureException.
 * The header's parameters are read as AWS does: split on ',' and ' ', the first word (the
 * algorithm) skipped, each "Name=value" taken up to a second '='.
 *
 * The second half of the file is --auth strict: the credentials file, the account an access key
 * maps to, and the verification of the signature with the client's signer (sigv4.h), with AWS's
 * words for each refusal (auth.h lists them). */
#include "dispatch/auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/sigv4.h"

/* Percent-decode [s, s+n) into out (always NUL-terminated, truncated to fit). */
static void url_decode(const char *s, size_t n, char *out, size_t out_len)
{
    size_t o = 0;
    if (!out_len)
        return;
    for (size_t i = 0; i < n && o + 1 < out_len; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = sigv4_hexval((unsigned char)s[i + 1])) >= 0 &&
            (l = sigv4_hexval((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else
            out[o++] = s[i] == '+' ? ' ' : s[i];
    }
    out[o] = 0;
}

int sim_query_param(const char *query, const char *key, char *out, size_t out_len)
{
    if (out_len)
        out[0] = 0;
    if (!query)
        return 0;
    char name[256];
    for (const char *p = query; *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        url_decode(p, nlen, name, sizeof name);
        if (strcmp(name, key) == 0) {
            if (eq)
                url_decode(eq + 1, len - nlen - 1, out, out_len);
            return 1;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    return 0;
}

/* Find parameter `param` among the Authorization header's words; copy its value into out.
 * Returns 1 when present with a non-empty value. */
static int header_param(const char *auth, const char *param, char *out, size_t out_len)
{
    size_t plen = strlen(param);
    int first = 1, found = 0;
    out[0] = 0;
    for (const char *p = auth; *p;) {
        size_t len = strcspn(p, ", ");
        if (len && !first) {
            const char *eq = memchr(p, '=', len);
            if (eq && (size_t)(eq - p) == plen && strncmp(p, param, plen) == 0) {
                const char *v = eq + 1;
                size_t vlen = (size_t)(p + len - v);
                const char *eq2 = memchr(v, '=', vlen);
                if (eq2)
                    vlen = (size_t)(eq2 - v);
                if (vlen >= out_len)
                    vlen = out_len - 1;
                memcpy(out, v, vlen);
                out[vlen] = 0;
                found = vlen > 0; /* a later duplicate wins, as in AWS's reading */
            }
        }
        if (len)
            first = 0;
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return found;
}

static void copy_part(const char *s, size_t n, char *out, size_t out_len)
{
    if (n >= out_len)
        n = out_len - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

/* Credential "AKID/20150830/us-east-1/kinesis/aws4_request" -> its parts (absent ones ""). */
static void parse_credential(const char *cred, sim_auth_info *info)
{
    char *outs[] = {info->access_key_id, info->date, info->region, info->service};
    size_t lens[] = {sizeof info->access_key_id, sizeof info->date, sizeof info->region,
                     sizeof info->service};
    const char *p = cred;
    for (int i = 0; i < 4; i++) {
        size_t n = strcspn(p, "/");
        copy_part(p, n, outs[i], lens[i]);
        p += n;
        if (*p != '/') {
            for (int j = i + 1; j < 4; j++)
                outs[j][0] = 0;
            break;
        }
        p++;
    }
    for (const char *r = info->region; *r; r++)
        if (!islower((unsigned char)*r) && !isdigit((unsigned char)*r) && *r != '-') {
            info->region[0] = 0;
            break;
        }
}

static void append(char *msg, size_t msg_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *msg, size_t msg_len, const char *fmt, ...)
{
    size_t used = strlen(msg);
    if (used + 1 >= msg_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, msg_len - used, fmt, ap);
    va_end(ap);
}

int sim_auth_check(const sim_request *req, sim_auth_info *info, sim_error_code *err, char *msg,
                   size_t msg_len)
{
    memset(info, 0, sizeof *info);
    msg[0] = 0;
    const char *auth = sim_request_header(req, "Authorization");
    if (auth && !*auth)
        auth = NULL; /* an empty header counts as none */
    char value[1024];
    int query_auth = sim_query_param(req->query, "X-Amz-Algorithm", value, sizeof value);

    if (auth && query_auth) {
        *err = SIM_ERR_InvalidSignatureException;
        snprintf(msg, msg_len,
                 "Found both 'X-Amz-Algorithm' as a query-string param and "
                 "'Authorization' as HTTP header.");
        return -1;
    }
    if (!auth && !query_auth) {
        *err = SIM_ERR_MissingAuthenticationTokenException;
        snprintf(msg, msg_len, "Missing Authentication Token");
        return -1;
    }

    if (auth) {
        static const char *const params[] = {"Credential", "Signature", "SignedHeaders"};
        for (size_t i = 0; i < 3; i++)
            if (!header_param(auth, params[i], value, sizeof value))
                append(msg, msg_len, "Authorization header requires '%s' parameter. ", params[i]);
        const char *date = sim_request_header(req, "X-Amz-Date");
        if (!date || !*date)
            date = sim_request_header(req, "Date");
        if (!date || !*date)
            append(msg, msg_len, "%s",
                   "Authorization header requires existence of either a 'X-Amz-Date' or a "
                   "'Date' header. ");
        if (msg[0]) {
            append(msg, msg_len, "Authorization=%s", auth);
            *err = SIM_ERR_IncompleteSignatureException;
            return -1;
        }
        header_param(auth, "Credential", value, sizeof value);
        parse_credential(value, info);
        return 0;
    }

    static const char *const qparams[] = {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature",
                                          "X-Amz-SignedHeaders", "X-Amz-Date"};
    for (size_t i = 0; i < 5; i++)
        if (!sim_query_param(req->query, qparams[i], value, sizeof value) || !value[0])
            append(msg, msg_len, "AWS query-string parameters must include '%s'. ", qparams[i]);
    if (msg[0]) {
        append(msg, msg_len, "%s", "Re-examine the query-string parameters.");
        *err = SIM_ERR_IncompleteSignatureException;
        return -1;
    }
    info->via_query = 1;
    sim_query_param(req->query, "X-Amz-Credential", value, sizeof value);
    parse_credential(value, info);
    return 0;
}

/* ------------------------------------------------------------------ */
/* credentials (--auth strict)                                         */
/* ------------------------------------------------------------------ */

typedef struct cred_entry {
    char *access_key_id;
    char *secret;
    char account[16]; /* "" when the line gave none */
} cred_entry;

struct sim_credentials {
    cred_entry *keys;
    size_t n;
};

void sim_credentials_free(sim_credentials *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->keys[i].access_key_id);
        if (c->keys[i].secret) /* wipe secrets before giving the memory back */
            memset(c->keys[i].secret, 0, strlen(c->keys[i].secret));
        free(c->keys[i].secret);
    }
    free(c->keys);
    free(c);
}

size_t sim_credentials_count(const sim_credentials *c)
{
    return c ? c->n : 0;
}

const char *sim_credentials_find(const sim_credentials *c, const char *access_key_id, const char **account)
{
    for (size_t i = 0; c && access_key_id && i < c->n; i++)
        if (strcmp(c->keys[i].access_key_id, access_key_id) == 0) {
            if (account)
                *account = c->keys[i].account;
            return c->keys[i].secret;
        }
    return NULL;
}

static int is_account_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isdigit((unsigned char)s[n]))
            return 0;
    return n == 12;
}

/* Split one line into at most 4 blank-separated fields (the 4th means "too many"). */
static size_t split_fields(char *line, char *fields[4])
{
    size_t n = 0;
    char *p = line;
    while (n < 4) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        fields[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = 0;
    }
    return n;
}

static int add_key(sim_credentials *c, const char *akid, const char *secret, const char *account)
{
    cred_entry *k = realloc(c->keys, (c->n + 1) * sizeof *k);
    if (!k)
        return -1;
    c->keys = k;
    cred_entry *e = &c->keys[c->n];
    memset(e, 0, sizeof *e);
    e->access_key_id = strdup(akid);
    e->secret = strdup(secret);
    snprintf(e->account, sizeof e->account, "%s", account ? account : "");
    c->n++;
    return e->access_key_id && e->secret ? 0 : -1;
}

sim_credentials *sim_credentials_parse(const char *text, size_t len, char *err, size_t err_len)
{
    sim_credentials *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    size_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t llen = nl ? (size_t)(nl - start) : len - pos;
        pos += llen + (nl ? 1 : 0);
        lineno++;
        if (llen && start[llen - 1] == '\r')
            llen--;
        if (memchr(start, '\0', llen)) {
            snprintf(err, err_len, "line %zu: contains a NUL byte", lineno);
            goto fail;
        }
        char *line = malloc(llen + 1);
        if (!line) {
            snprintf(err, err_len, "out of memory");
            goto fail;
        }
        memcpy(line, start, llen);
        line[llen] = 0;
        char *f[4] = {0};
        size_t n = split_fields(line, f);
        int rc = 0;
        if (n == 0 || f[0][0] == '#') {
            /* blank or comment */
        } else if (n < 2 || n > 3) {
            snprintf(err, err_len, "line %zu: expected 'ACCESS_KEY SECRET [ACCOUNT]', found %s", lineno,
                     n < 2 ? "only one field" : "more than three fields");
            rc = -1;
        } else if (strlen(f[0]) > 128) {
            snprintf(err, err_len, "line %zu: access key longer than 128 characters", lineno);
            rc = -1;
        } else if (n == 3 && !is_account_id(f[2])) {
            snprintf(err, err_len, "line %zu: account '%.32s' is not 12 digits", lineno, f[2]);
            rc = -1;
        } else if (sim_credentials_find(c, f[0], NULL)) {
            snprintf(err, err_len, "line %zu: access key '%s' appears twice", lineno, f[0]);
            rc = -1;
        } else if (add_key(c, f[0], f[1], n == 3 ? f[2] : NULL) != 0) {
            snprintf(err, err_len, "out of memory");
            rc = -1;
        }
        memset(line, 0, llen);
        free(line);
        if (rc)
            goto fail;
    }
    if (c->n == 0) {
        snprintf(err, err_len, "no access keys (expected lines 'ACCESS_KEY SECRET [ACCOUNT]')");
        goto fail;
    }
    return c;
fail:
    sim_credentials_free(c);
    return NULL;
}

#define CREDENTIALS_MAX_BYTES (1024 * 1024)

sim_credentials *sim_credentials_load(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "cannot open credentials file '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CREDENTIALS_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CREDENTIALS_MAX_BYTES + 1, f) : 0;
    int read_err = ferror(f);
    fclose(f);
    if (!buf || read_err || n > CREDENTIALS_MAX_BYTES) {
        snprintf(err, err_len, "cannot read credentials file '%s': %s", path,
                 !buf       ? "out of memory"
                 : read_err ? "read error"
                            : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    char why[512];
    sim_credentials *c = sim_credentials_parse(buf, n, why, sizeof why);
    memset(buf, 0, n);
    free(buf);
    if (!c)
        snprintf(err, err_len, "credentials file '%s': %s", path, why);
    return c;
}

void sim_auth_account(const sim_credentials *creds, const char *access_key_id, const char *default_account,
                      char account[16])
{
    const char *acct = NULL;
    if (creds && sim_credentials_find(creds, access_key_id, &acct) && acct && acct[0]) {
        snprintf(account, 16, "%s", acct);
        return;
    }
    if (access_key_id && is_account_id(access_key_id)) {
        snprintf(account, 16, "%s", access_key_id);
        return;
    }
    snprintf(account, 16, "%s", default_account ? default_account : "");
}

/* ------------------------------------------------------------------ */
/* strict verification                                                 */
/* ------------------------------------------------------------------ */

#define UNRECOGNIZED_MSG "The security token included in the request is invalid."
#define MISMATCH_MSG                                                                                         \
    "The request signature we calculated does not match the signature you provided. Check your AWS "         \
    "Secret Access Key and signing method. Consult the service documentation for details."

static int refuse(sim_error_code *err, sim_error_code code, char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int refuse(sim_error_code *err, sim_error_code code, char *msg, size_t msg_len, const char *fmt, ...)
{
    *err = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_len, fmt, ap);
    va_end(ap);
    return -1;
}

/* The 5-minute window around the clock, worded as AWS words it. 0 inside. */
static int check_skew(const char *amz_date, int64_t now_ms, sim_error_code *err, char *msg, size_t msg_len)
{
    int64_t t;
    if (sigv4_parse_time(amz_date, &t) != 0 || strlen(amz_date) != 16)
        return 0; /* malformed: sigv4_verify says so */
    int64_t now = now_ms >= 0 ? now_ms / 1000 : -((-now_ms + 999) / 1000);
    char bound[17], now_s[17], d[9];
    sigv4_format_time(now, now_s, d);
    if (t < now - SIM_AUTH_SKEW_S) {
        sigv4_format_time(now - SIM_AUTH_SKEW_S, bound, d);
        return refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len,
                      "Signature expired: %s is now earlier than %s (%s - 5 min.)", amz_date, bound, now_s);
    }
    if (t > now + SIM_AUTH_SKEW_S) {
        sigv4_format_time(now + SIM_AUTH_SKEW_S, bound, d);
        return refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len,
                      "Signature not yet current: %s is still later than %s (%s + 5 min.)", amz_date, bound,
                      now_s);
    }
    return 0;
}

int sim_auth_verify(const sim_credentials *creds, const sim_request *req, const sim_auth_info *info,
                    int64_t now_ms, sim_error_code *err, char *msg, size_t msg_len)
{
    if (msg_len)
        msg[0] = 0;
    const char *secret = sim_credentials_find(creds, info->access_key_id, NULL);
    if (!secret)
        return refuse(err, SIM_ERR_UnrecognizedClientException, msg, msg_len, "%s", UNRECOGNIZED_MSG);
    if (strcmp(info->service, "kinesis") != 0)
        return refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len,
                      "Credential should be scoped to correct service: 'kinesis'. ");

    sigv4_header *h = calloc(req->n_headers ? req->n_headers : 1, sizeof *h);
    if (!h)
        return refuse(err, SIM_ERR_InternalFailure, msg, msg_len, "Internal service error");
    for (size_t i = 0; i < req->n_headers; i++) {
        h[i].name = req->headers[i].name;
        h[i].value = req->headers[i].value ? req->headers[i].value : "";
    }
    sigv4_request sr = {
        .method = req->method,
        .path = req->path && req->path[0] ? req->path : "/",
        .query = req->query && req->query[0] ? req->query : NULL,
        .headers = h,
        .n_headers = req->n_headers,
        .body = req->body ? req->body : (const uint8_t *)"",
        .body_len = req->body ? req->body_len : 0,
    };
    sigv4_result stages = {0};
    char why[512] = "";
    int rc;
    if (info->via_query) {
        int64_t now = now_ms >= 0 ? now_ms / 1000 : 0;
        rc = sigv4_verify_query(&sr, secret, now, &stages, why, sizeof why);
    } else {
        const char *date = sim_request_header(req, "X-Amz-Date");
        if (date && check_skew(date, now_ms, err, msg, msg_len) != 0) {
            free(h);
            return -1;
        }
        rc = sigv4_verify(&sr, secret, &stages, why, sizeof why);
    }
    free(h);
    if (rc == SIGV4_OK) {
        sigv4_result_clean_up(&stages);
        return 0;
    }
    if (rc == SIGV4_E_MISMATCH) {
        /* AWS adds what it computed, which is what a client author needs to find the difference */
        if (stages.canonical_request && stages.string_to_sign)
            refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len,
                   "%s\n\nThe Canonical String for this request should have been\n'%s'\n\n"
                   "The String-to-Sign should have been\n'%s'\n",
                   MISMATCH_MSG, stages.canonical_request, stages.string_to_sign);
        else
            refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len, "%s", MISMATCH_MSG);
    } else if (rc == SIGV4_E_EXPIRED) {
        refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len, "%s", why); /* presigned URL */
    } else {
        refuse(err, SIM_ERR_InvalidSignatureException, msg, msg_len, "%s", why[0] ? why : MISMATCH_MSG);
    }
    sigv4_result_clean_up(&stages);
    return -1;
}
