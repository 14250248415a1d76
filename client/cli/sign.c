/* sign.c: the `kinesis sign` command, for when a signature is rejected.
 *
 *   kinesis sign --context context.json --request request.txt [--query]
 *
 * Reads a raw HTTP request and the signing context in the SigV4 test-suite format (the files of
 * fixtures/sigv4/v4/<case>/) and prints every stage of the signer: canonical request, string to
 * sign, signature, and the headers to add (X-Amz-Date, X-Amz-Security-Token, Authorization), or
 * with --query the presigned query string. It is a plain client of the signer in
 * client/shared/include/shared/sigv4.h; the CLI's main calls kinesis_cli_sign for the `sign` subcommand.
 * Exit status: 0 signed, 1 signing failed, 2 bad usage or bad input. */
#include "shared/sigv4.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kinesis_cli_sign(int argc, char **argv);

static void sign_usage(FILE *f)
{
    fputs(
        "usage: kinesis sign --context FILE --request FILE [--query]\n"
        "\n"
        "Print the SigV4 canonical request, string to sign, signature and Authorization header\n"
        "for a raw HTTP request (the SigV4 test-suite format).\n"
        "\n"
        "  --context FILE   JSON: {\"credentials\": {\"access_key_id\", \"secret_access_key\", \"token\"?},\n"
        "                   \"region\", \"service\", \"timestamp\"? (2015-08-30T12:36:00Z; default now),\n"
        "                   \"normalize\"? (default true), \"sign_body\"?, \"omit_session_token\"?,\n"
        "                   \"expiration_in_seconds\"? (--query; default 3600)}\n"
        "  --request FILE   raw request: 'METHOD target HTTP/1.1', 'Name:value' headers, blank line,\n"
        "                   body ('-' reads standard input)\n"
        "  --query          presign (query-string signing) instead of header signing\n",
        f);
}

/* Read a whole file (or stdin for "-"); NUL-terminated, length in *len. */
static char *sign_read_file(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > ((size_t)64 << 20)) { /* 64 MiB is more than any request to sign */
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0)
            break;
        n += got;
    }
    int read_error = ferror(f);
    if (f != stdin)
        fclose(f);
    if (buf && read_error) {
        free(buf);
        return NULL;
    }
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* A string member, or NULL; *bad set when present with another type. */
static const char *sign_str(json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (v && !json_is_string(v) && !json_is_null(v))
        *bad = 1;
    return json_string_value(v);
}

static int sign_bool(json_t *obj, const char *key, int dflt, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return dflt;
    if (!json_is_boolean(v)) {
        *bad = 1;
        return dflt;
    }
    return json_is_true(v);
}

int kinesis_cli_sign(int argc, char **argv)
{
    const char *ctx_path = NULL, *req_path = NULL;
    int query = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (i == 0 && a[0] != '-')
            continue; /* the subcommand's own name */
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            sign_usage(stdout);
            return 0;
        } else if (strcmp(a, "--query") == 0) {
            query = 1;
        } else if ((strcmp(a, "--context") == 0 || strcmp(a, "--request") == 0) && i + 1 < argc) {
            if (a[2] == 'c')
                ctx_path = argv[++i];
            else
                req_path = argv[++i];
        } else if (strcmp(a, "--context") == 0 || strcmp(a, "--request") == 0) {
            fprintf(stderr, "kinesis sign: %s needs a file name\n", a);
            return 2;
        } else {
            fprintf(stderr, "kinesis sign: unexpected argument '%s'\n", a);
            sign_usage(stderr);
            return 2;
        }
    }
    if (!ctx_path || !req_path) {
        fprintf(stderr, "kinesis sign: --context and --request are required\n");
        sign_usage(stderr);
        return 2;
    }

    json_error_t jerr;
    json_t *ctx = json_load_file(ctx_path, JSON_REJECT_DUPLICATES, &jerr);
    if (!ctx) {
        if (jerr.line > 0)
            fprintf(stderr, "kinesis sign: %s: %s (line %d)\n", ctx_path, jerr.text, jerr.line);
        else
            fprintf(stderr, "kinesis sign: %s\n", jerr.text);
        return 2;
    }
    int rc = 2, bad = 0;
    sigv4_raw_request raw;
    memset(&raw, 0, sizeof raw);
    sigv4_result r;
    memset(&r, 0, sizeof r);
    char *text = NULL, *signed_query = NULL;
    sigv4_header *h = NULL;

    json_t *cred = json_object_get(ctx, "credentials");
    if (!json_is_object(ctx) || !json_is_object(cred)) {
        fprintf(stderr, "kinesis sign: %s: expected an object with a \"credentials\" object\n", ctx_path);
        goto out;
    }
    sigv4_params p;
    memset(&p, 0, sizeof p);
    p.access_key_id = sign_str(cred, "access_key_id", &bad);
    p.secret_access_key = sign_str(cred, "secret_access_key", &bad);
    p.session_token = sign_str(cred, "token", &bad);
    p.region = sign_str(ctx, "region", &bad);
    p.service = sign_str(ctx, "service", &bad);
    p.normalize_path = sign_bool(ctx, "normalize", 1, &bad);
    p.omit_session_token = sign_bool(ctx, "omit_session_token", 0, &bad);
    int sign_body = sign_bool(ctx, "sign_body", 0, &bad);
    const char *ts = sign_str(ctx, "timestamp", &bad);
    json_t *exp = json_object_get(ctx, "expiration_in_seconds");
    json_int_t expires = 3600;
    if (exp && !json_is_integer(exp))
        bad = 1;
    else if (exp)
        expires = json_integer_value(exp);
    if (bad || !p.access_key_id || !*p.access_key_id || !p.secret_access_key || !p.region || !*p.region ||
        !p.service || !*p.service) {
        fprintf(stderr,
                "kinesis sign: %s: need string credentials.access_key_id, credentials.secret_access_key, "
                "region and "
                "service (token, timestamp strings; normalize, sign_body, omit_session_token booleans; "
                "expiration_in_seconds integer)\n",
                ctx_path);
        goto out;
    }
    if (ts) {
        if (sigv4_parse_time(ts, &p.epoch_seconds)) {
            fprintf(stderr,
                    "kinesis sign: %s: timestamp '%s' is not 2015-08-30T12:36:00Z or 20150830T123600Z\n",
                    ctx_path, ts);
            goto out;
        }
    } else {
        p.epoch_seconds = (int64_t)time(NULL);
    }
    if (query && (expires < 1 || expires > 604800)) {
        fprintf(stderr, "kinesis sign: expiration_in_seconds must be 1..604800\n");
        goto out;
    }

    size_t len = 0;
    text = sign_read_file(req_path, &len);
    if (!text) {
        fprintf(stderr, "kinesis sign: cannot read %s: %s\n", req_path, strerror(errno));
        goto out;
    }
    char why[256];
    if (sigv4_raw_request_parse(text, len, &raw, why, sizeof why)) {
        fprintf(stderr, "kinesis sign: %s: %s\n", req_path, why);
        goto out;
    }

    sigv4_request req = raw.req;
    char body_hash[65];
    if (sign_body && !query) { /* sign the body hash as x-amz-content-sha256, as the test suite does */
        h = malloc((req.n_headers + 1) * sizeof *h);
        if (!h) {
            fprintf(stderr, "kinesis sign: out of memory\n");
            rc = 1;
            goto out;
        }
        if (req.n_headers)
            memcpy(h, req.headers, req.n_headers * sizeof *h);
        sigv4_sha256_hex(req.body, req.body_len, body_hash);
        h[req.n_headers].name = "x-amz-content-sha256";
        h[req.n_headers].value = body_hash;
        req.headers = h;
        req.n_headers++;
    }

    int failed =
        query ? sigv4_presign(&req, &p, (int64_t)expires, &r, &signed_query) : sigv4_sign(&req, &p, &r);
    if (failed) {
        fprintf(stderr, "kinesis sign: cannot sign this request (bad header name, method or body?)\n");
        rc = 1;
        goto out;
    }
    printf("# Canonical request\n%s\n\n", r.canonical_request);
    printf("# String to sign\n%s\n\n", r.string_to_sign);
    printf("# Signature\n%s\n\n", r.signature);
    if (query) {
        printf("# Signed request line\n%s %s?%s HTTP/1.1\n", req.method,
               req.path && *req.path ? req.path : "/", signed_query);
    } else {
        printf("# Headers to add\n");
        printf("X-Amz-Date: %s\n", r.amz_date);
        if (sign_body)
            printf("x-amz-content-sha256: %s\n", body_hash);
        if (p.session_token && *p.session_token)
            printf("X-Amz-Security-Token: %s\n", p.session_token);
        printf("Authorization: %s\n", r.authorization);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    free(h);
    free(signed_query);
    free(text);
    sigv4_result_clean_up(&r);
    sigv4_raw_request_clean_up(&raw);
    json_decref(ctx);
    return rc;
}
