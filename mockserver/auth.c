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
 * algorithm) skipped, each "Name=value" taken up to a second '='. */
#include "auth.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [s, s+n) into out (always NUL-terminated, truncated to fit). */
static void url_decode(const char *s, size_t n, char *out, size_t out_len)
{
    size_t o = 0;
    if (!out_len)
        return;
    for (size_t i = 0; i < n && o + 1 < out_len; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
            (l = hexval((unsigned char)s[i + 2])) >= 0) {
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
