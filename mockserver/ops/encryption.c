/* ops/encryption.c: server-side encryption: StartStreamEncryption and StopStreamEncryption.
 * There is no KMS behind the simulator: a KeyId is accepted when it has one of the forms KMS
 * accepts (a key id UUID, a multi-Region key id mrk-..., alias/<name> such as the Kinesis-owned
 * alias/aws/kinesis, or the ARN of a key or an alias); anything else is KMSNotFoundException.
 * Like AWS, the change puts the stream in UPDATING for --update-delay-ms; the simulator applies
 * the setting to records written from the call on, and they report EncryptionType KMS in
 * PutRecord(s) and GetRecords answers (ops/records.c). DescribeStream(Summary) show
 * EncryptionType and KeyId. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/ops.h"
#include "ops/resources.h"

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

/* 8-4-4-4-12 hex digits */
static int is_uuid(const char *p)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (size_t g = 0; g < 5; g++) {
        size_t n = (size_t)groups[g];
        if (strlen(p) < n || !is_hex(p, n))
            return 0;
        p += n;
        if (g < 4 && *p++ != '-')
            return 0;
    }
    return *p == 0;
}

static int is_key_id(const char *p)
{
    if (strncmp(p, "mrk-", 4) == 0)
        return strlen(p + 4) == 32 && is_hex(p + 4, 32);
    return is_uuid(p);
}

/* alias/<name>: letters, digits, / _ - (AWS's alias name characters) */
static int is_alias(const char *p)
{
    if (strncmp(p, "alias/", 6) != 0 || !p[6] || strlen(p) > 256)
        return 0;
    for (p += 6; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '/' ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

/* arn:<partition>:kms:<region>:<12 digits>:key/<id> or :alias/<name> */
static int is_kms_arn(const char *p)
{
    if (strncmp(p, "arn:aws", 7) != 0)
        return 0;
    const char *kms = strstr(p, ":kms:");
    if (!kms)
        return 0;
    const char *region = kms + 5, *colon = strchr(region, ':');
    if (!colon || colon == region)
        return 0;
    const char *account = colon + 1;
    for (int i = 0; i < 12; i++)
        if (account[i] < '0' || account[i] > '9')
            return 0;
    if (account[12] != ':')
        return 0;
    const char *res = account + 13;
    if (strncmp(res, "key/", 4) == 0)
        return is_key_id(res + 4);
    return is_alias(res);
}

static int kms_key_id_valid(const char *key)
{
    return key && (is_key_id(key) || is_alias(key) || is_kms_arn(key));
}

static int change_encryption(sim_ctx *ctx, json_t *in, json_t **out, int start)
{
    const char *type = json_string_value(json_object_get(in, "EncryptionType"));
    const char *key = json_string_value(json_object_get(in, "KeyId"));
    store_stream st;
    if (stream_lookup(ctx, in, STREAM_ANY, &st) != 0)
        return -1;
    if (!type || strcmp(type, "KMS") != 0)
        return sim_fail(ctx, SIM_ERR_InvalidArgumentException,
                        "Encryption type %s is not supported by %s: the only valid value is KMS.",
                        type ? type : "null", ctx->op ? ctx->op : "this operation");
    if (stream_require_active(ctx, &st) != 0)
        return -1;
    if (start && !kms_key_id_valid(key))
        return sim_fail(ctx, SIM_ERR_KMSNotFoundException,
                        "KMS key %s could not be found: use a key id, a key ARN, an alias ARN or an alias "
                        "name such as alias/aws/kinesis.",
                        key ? key : "null");
    snprintf(st.encryption_type, sizeof st.encryption_type, "%s", start ? "KMS" : "NONE");
    snprintf(st.key_id, sizeof st.key_id, "%s", start ? key : "");
    if (ctx->srv->cfg.update_delay_ms > 0) {
        snprintf(st.status, sizeof st.status, "UPDATING");
        st.status_until_ms = ctx->now_ms + ctx->srv->cfg.update_delay_ms;
    }
    if (store_stream_update(ctx->srv->store, &st) != 0)
        return ops_store_fail(ctx);
    *out = json_object();
    return 0;
}

int op_start_stream_encryption(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_encryption(ctx, in, out, 1);
}

int op_stop_stream_encryption(sim_ctx *ctx, json_t *in, json_t **out)
{
    return change_encryption(ctx, in, out, 0);
}
