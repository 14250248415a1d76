/* test_ops_settings.c: stream and account settings at the handler level: server-side encryption
 * (ops/encryption.c: UPDATING then ACTIVE, KeyId forms, records report EncryptionType KMS),
 * enhanced monitoring (ops/monitoring.c), and ops/limits.c: DescribeLimits, account settings
 * (the billing commitment window), UpdateStreamMode, UpdateStreamWarmThroughput and
 * UpdateMaxRecordSize (PutRecord then enforces the new size). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_fixture.h"

#define ARN(s) "arn:aws:kinesis:" FX_REGION ":" FX_ACCOUNT ":stream/" s

static fx f;
static void setup(void)
{
    fx_init(&f, ":memory:");
}
static void teardown(void)
{
    fx_fini(&f);
}
TestSuite(ops_settings, .init = setup, .fini = teardown);

static json_t *summary(const char *name)
{
    json_t *out =
        fx_call(&f, op_describe_stream_summary, "DescribeStreamSummary", "{\"StreamName\":\"%s\"}", name);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_t *d = json_incref(json_object_get(out, "StreamDescriptionSummary"));
    json_decref(out);
    return d;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* ---- encryption ---- */

Test(ops_settings, start_encryption_updates_then_records_report_kms)
{
    fx_stream(&f, "s", 1);
    char shard[24];
    free(fx_put(&f, "s", "k", "YQ==", shard));
    json_decref(fx_call(&f, op_start_stream_encryption, "StartStreamEncryption",
                        "{\"StreamName\":\"s\",\"EncryptionType\":\"KMS\",\"KeyId\":\"alias/aws/kinesis\"}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    json_t *d = summary("s");
    cr_assert_str_eq(str(d, "StreamStatus"), "UPDATING");
    cr_assert_str_eq(str(d, "EncryptionType"), "KMS");
    cr_assert_str_eq(str(d, "KeyId"), "alias/aws/kinesis");
    json_decref(d);
    /* only one change at a time */
    fx_error(&f, op_start_stream_encryption, "StartStreamEncryption", SIM_ERR_ResourceInUseException,
             "{\"StreamName\":\"s\",\"EncryptionType\":\"KMS\",\"KeyId\":\"alias/aws/kinesis\"}");
    fx_advance(&f, 501);
    d = summary("s");
    cr_assert_str_eq(str(d, "StreamStatus"), "ACTIVE");
    json_decref(d);

    json_t *out = fx_call(&f, op_put_record, "PutRecord",
                          "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"Yg==\"}");
    cr_assert_str_eq(str(out, "EncryptionType"), "KMS");
    json_decref(out);
    out = fx_call(&f, op_put_records, "PutRecords",
                  "{\"StreamName\":\"s\",\"Records\":[{\"PartitionKey\":\"k\",\"Data\":\"Yw==\"}]}");
    cr_assert_str_eq(str(out, "EncryptionType"), "KMS");
    json_decref(out);

    char *it = fx_iterator(&f, "s", shard, "TRIM_HORIZON");
    out = fx_call(&f, op_get_records, "GetRecords", "{\"ShardIterator\":\"%s\"}", it);
    json_t *recs = json_object_get(out, "Records");
    cr_assert_eq(json_array_size(recs), 3);
    cr_assert_null(json_object_get(json_array_get(recs, 0), "EncryptionType"), "written before encryption");
    cr_assert_str_eq(str(json_array_get(recs, 1), "EncryptionType"), "KMS");
    cr_assert_str_eq(str(json_array_get(recs, 2), "EncryptionType"), "KMS");
    json_decref(out);
    free(it);

    json_decref(fx_call(
        &f, op_stop_stream_encryption, "StopStreamEncryption",
        "{\"StreamARN\":\"" ARN("s") "\",\"EncryptionType\":\"KMS\",\"KeyId\":\"alias/aws/kinesis\"}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    out = fx_call(&f, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\"}");
    json_t *sd = json_object_get(out, "StreamDescription");
    cr_assert_str_eq(str(sd, "EncryptionType"), "NONE");
    cr_assert_null(json_object_get(sd, "KeyId"));
    json_decref(out);
    out = fx_call(&f, op_put_record, "PutRecord",
                  "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"Yg==\"}");
    cr_assert_null(json_object_get(out, "EncryptionType"));
    json_decref(out);
}

Test(ops_settings, encryption_key_forms_and_errors)
{
    const char *good[] = {"alias/aws/kinesis",
                          "alias/my-key_1",
                          "12345678-1234-1234-1234-123456789012",
                          "mrk-1234567890abcdef1234567890abcdef",
                          "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012",
                          "arn:aws:kms:us-east-1:123456789012:alias/mine"};
    char name[16];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(name, sizeof name, "s%zu", i);
        fx_stream(&f, name, 1);
        json_decref(fx_call(&f, op_start_stream_encryption, "StartStreamEncryption",
                            "{\"StreamName\":\"%s\",\"EncryptionType\":\"KMS\",\"KeyId\":\"%s\"}", name,
                            good[i]));
        cr_assert_not(f.ctx.err_set, "%s: %s", good[i], f.ctx.err_msg);
    }
    fx_stream(&f, "b", 1);
    const char *bad[] = {"not-a-key", "alias/", "1234", "arn:aws:kms:us-east-1:1234:key/x",
                         "alias/has space"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        fx_error(&f, op_start_stream_encryption, "StartStreamEncryption", SIM_ERR_KMSNotFoundException,
                 "{\"StreamName\":\"b\",\"EncryptionType\":\"KMS\",\"KeyId\":\"%s\"}", bad[i]);
    fx_error(&f, op_start_stream_encryption, "StartStreamEncryption", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"b\",\"EncryptionType\":\"NONE\",\"KeyId\":\"alias/aws/kinesis\"}");
    fx_error(&f, op_start_stream_encryption, "StartStreamEncryption", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"nope\",\"EncryptionType\":\"KMS\",\"KeyId\":\"alias/aws/kinesis\"}");
}

/* ---- enhanced monitoring ---- */

Test(ops_settings, enhanced_monitoring_enable_disable_and_all)
{
    fx_stream(&f, "s", 1);
    json_t *out =
        fx_call(&f, op_enable_enhanced_monitoring, "EnableEnhancedMonitoring",
                "{\"StreamName\":\"s\",\"ShardLevelMetrics\":[\"IncomingBytes\",\"OutgoingRecords\"]}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    cr_assert_str_eq(str(out, "StreamName"), "s");
    cr_assert_str_eq(str(out, "StreamARN"), ARN("s"));
    cr_assert_eq(json_array_size(json_object_get(out, "CurrentShardLevelMetrics")), 0);
    json_t *want = json_pack("[s, s]", "IncomingBytes", "OutgoingRecords");
    cr_assert(json_equal(json_object_get(out, "DesiredShardLevelMetrics"), want));
    json_decref(want);
    json_decref(out);

    out = fx_call(&f, op_describe_stream, "DescribeStream", "{\"StreamName\":\"s\"}");
    json_t *em = json_object_get(
        json_array_get(json_object_get(json_object_get(out, "StreamDescription"), "EnhancedMonitoring"), 0),
        "ShardLevelMetrics");
    cr_assert_eq(json_array_size(em), 2);
    json_decref(out);

    out = fx_call(&f, op_enable_enhanced_monitoring, "EnableEnhancedMonitoring",
                  "{\"StreamARN\":\"" ARN("s") "\",\"ShardLevelMetrics\":[\"ALL\"]}");
    cr_assert_eq(json_array_size(json_object_get(out, "CurrentShardLevelMetrics")), 2);
    cr_assert_eq(json_array_size(json_object_get(out, "DesiredShardLevelMetrics")), 7);
    json_decref(out);

    out = fx_call(&f, op_disable_enhanced_monitoring, "DisableEnhancedMonitoring",
                  "{\"StreamName\":\"s\",\"ShardLevelMetrics\":[\"IncomingBytes\"]}");
    cr_assert_eq(json_array_size(json_object_get(out, "CurrentShardLevelMetrics")), 7);
    cr_assert_eq(json_array_size(json_object_get(out, "DesiredShardLevelMetrics")), 6);
    json_decref(out);
    out = fx_call(&f, op_disable_enhanced_monitoring, "DisableEnhancedMonitoring",
                  "{\"StreamName\":\"s\",\"ShardLevelMetrics\":[\"ALL\"]}");
    cr_assert_eq(json_array_size(json_object_get(out, "DesiredShardLevelMetrics")), 0);
    json_decref(out);

    fx_error(&f, op_enable_enhanced_monitoring, "EnableEnhancedMonitoring", SIM_ERR_InvalidArgumentException,
             "{\"StreamName\":\"s\",\"ShardLevelMetrics\":[\"Bogus\"]}");
    fx_error(&f, op_enable_enhanced_monitoring, "EnableEnhancedMonitoring", SIM_ERR_ResourceNotFoundException,
             "{\"StreamName\":\"nope\",\"ShardLevelMetrics\":[\"ALL\"]}");
}

/* ---- DescribeLimits ---- */

Test(ops_settings, describe_limits_counts_shards_and_on_demand_streams)
{
    f.srv.cfg.shard_limit = 77;
    fx_stream(&f, "p", 3);
    json_decref(fx_call(&f, op_create_stream, "CreateStream",
                        "{\"StreamName\":\"od\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}"));
    json_t *out = fx_call(&f, op_describe_limits, "DescribeLimits", "{}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    cr_assert_eq(json_integer_value(json_object_get(out, "ShardLimit")), 77);
    cr_assert_eq(json_integer_value(json_object_get(out, "OpenShardCount")), 7);
    cr_assert_eq(json_integer_value(json_object_get(out, "OnDemandStreamCount")), 1);
    cr_assert_eq(json_integer_value(json_object_get(out, "OnDemandStreamCountLimit")), 50);
    json_decref(out);
}

/* ---- account settings ---- */

Test(ops_settings, billing_commitment_window)
{
    json_t *out = fx_call(&f, op_describe_account_settings, "DescribeAccountSettings", "{}");
    json_t *c = json_object_get(out, "MinimumThroughputBillingCommitment");
    cr_assert_str_eq(str(c, "Status"), "DISABLED");
    cr_assert_null(json_object_get(c, "StartedAt"));
    json_decref(out);

    out = fx_call(&f, op_update_account_settings, "UpdateAccountSettings",
                  "{\"MinimumThroughputBillingCommitment\":{\"Status\":\"ENABLED\"}}");
    c = json_object_get(out, "MinimumThroughputBillingCommitment");
    cr_assert_str_eq(str(c, "Status"), "ENABLED");
    cr_assert_eq(json_integer_value(json_object_get(c, "StartedAt")), FX_T0_MS / 1000);
    cr_assert_eq(json_integer_value(json_object_get(c, "EarliestAllowedEndAt")), FX_T0_MS / 1000 + 86400);
    json_decref(out);

    fx_advance(&f, 3600 * 1000);
    out = fx_call(&f, op_update_account_settings, "UpdateAccountSettings",
                  "{\"MinimumThroughputBillingCommitment\":{\"Status\":\"DISABLED\"}}");
    c = json_object_get(out, "MinimumThroughputBillingCommitment");
    cr_assert_str_eq(str(c, "Status"), "ENABLED_UNTIL_EARLIEST_ALLOWED_END");
    cr_assert_eq(json_integer_value(json_object_get(c, "EndedAt")), FX_T0_MS / 1000 + 86400);
    json_decref(out);

    fx_advance(&f, 24 * 3600 * 1000);
    out = fx_call(&f, op_describe_account_settings, "DescribeAccountSettings", "{}");
    cr_assert_str_eq(str(json_object_get(out, "MinimumThroughputBillingCommitment"), "Status"), "DISABLED");
    json_decref(out);
    fx_error(&f, op_update_account_settings, "UpdateAccountSettings", SIM_ERR_InvalidArgumentException,
             "{\"MinimumThroughputBillingCommitment\":{\"Status\":\"MAYBE\"}}");
}

/* ---- UpdateStreamMode and warm throughput ---- */

Test(ops_settings, update_stream_mode_and_warm_throughput)
{
    fx_stream(&f, "s", 2);
    fx_error(&f, op_update_stream_mode, "UpdateStreamMode", SIM_ERR_InvalidArgumentException,
             "{\"StreamARN\":\"" ARN("s") "\",\"StreamModeDetails\":{\"StreamMode\":\"PROVISIONED\"}}");
    fx_error(&f, op_update_stream_warm_throughput, "UpdateStreamWarmThroughput",
             SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"WarmThroughputMiBps\":100}");
    json_decref(
        fx_call(&f, op_update_stream_mode, "UpdateStreamMode",
                "{\"StreamARN\":\"" ARN("s") "\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    json_t *d = summary("s");
    cr_assert_str_eq(str(d, "StreamStatus"), "UPDATING");
    cr_assert_str_eq(str(json_object_get(d, "StreamModeDetails"), "StreamMode"), "ON_DEMAND");
    cr_assert_eq(json_integer_value(json_object_get(d, "OpenShardCount")), 2);
    json_decref(d);
    fx_error(&f, op_update_stream_mode, "UpdateStreamMode", SIM_ERR_ResourceInUseException,
             "{\"StreamARN\":\"" ARN("s") "\",\"StreamModeDetails\":{\"StreamMode\":\"PROVISIONED\"}}");
    fx_advance(&f, 501);
    /* on demand, but the account has no billing commitment */
    fx_error(&f, op_update_stream_warm_throughput, "UpdateStreamWarmThroughput",
             SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"WarmThroughputMiBps\":100}");
    json_decref(fx_call(&f, op_update_account_settings, "UpdateAccountSettings",
                        "{\"MinimumThroughputBillingCommitment\":{\"Status\":\"ENABLED\"}}"));
    fx_error(&f, op_update_stream_warm_throughput, "UpdateStreamWarmThroughput",
             SIM_ERR_InvalidArgumentException, "{\"StreamName\":\"s\",\"WarmThroughputMiBps\":10241}");
    json_t *out = fx_call(&f, op_update_stream_warm_throughput, "UpdateStreamWarmThroughput",
                          "{\"StreamName\":\"s\",\"WarmThroughputMiBps\":100}");
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    cr_assert_str_eq(str(out, "StreamARN"), ARN("s"));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "WarmThroughput"), "TargetMiBps")),
                 100);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(out, "WarmThroughput"), "CurrentMiBps")),
                 0);
    json_decref(out);
    fx_advance(&f, 501);
    d = summary("s");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(d, "WarmThroughput"), "CurrentMiBps")),
                 100);
    json_decref(d);

    json_decref(
        fx_call(&f, op_update_stream_mode, "UpdateStreamMode",
                "{\"StreamARN\":\"" ARN("s") "\",\"StreamModeDetails\":{\"StreamMode\":\"PROVISIONED\"}}"));
    fx_advance(&f, 501);
    d = summary("s");
    cr_assert_str_eq(str(json_object_get(d, "StreamModeDetails"), "StreamMode"), "PROVISIONED");
    cr_assert_null(json_object_get(d, "WarmThroughput"));
    json_decref(d);
    fx_error(&f, op_update_stream_mode, "UpdateStreamMode", SIM_ERR_ResourceNotFoundException,
             "{\"StreamARN\":\"" ARN("nope") "\",\"StreamModeDetails\":{\"StreamMode\":\"ON_DEMAND\"}}");
}

/* ---- UpdateMaxRecordSize ---- */

Test(ops_settings, update_max_record_size_is_enforced_by_put_record)
{
    fx_stream(&f, "s", 1);
    /* 1.5 MiB of data: refused at the default 1024 KiB */
    size_t raw = 1536 * 1024, b64len = 4 * ((raw + 2) / 3);
    char *body = malloc(b64len + 128);
    int off = sprintf(body, "{\"StreamName\":\"s\",\"PartitionKey\":\"k\",\"Data\":\"");
    memset(body + off, 'A', b64len);
    strcpy(body + off + b64len, "\"}");
    fx_error(&f, op_put_record, "PutRecord", SIM_ERR_ValidationException, "%s", body);
    fx_error(&f, op_update_max_record_size, "UpdateMaxRecordSize", SIM_ERR_InvalidArgumentException,
             "{\"StreamARN\":\"" ARN("s") "\",\"MaxRecordSizeInKiB\":10241}");
    json_decref(fx_call(&f, op_update_max_record_size, "UpdateMaxRecordSize",
                        "{\"StreamARN\":\"" ARN("s") "\",\"MaxRecordSizeInKiB\":2048}"));
    cr_assert_not(f.ctx.err_set, "%s", f.ctx.err_msg);
    json_t *d = summary("s");
    cr_assert_eq(json_integer_value(json_object_get(d, "MaxRecordSizeInKiB")), 2048);
    cr_assert_str_eq(str(d, "StreamStatus"), "UPDATING");
    json_decref(d);
    json_t *out = fx_call(&f, op_put_record, "PutRecord", "%s", body);
    cr_assert_not_null(out, "%s", f.ctx.err_msg);
    json_decref(out);
    free(body);
}
