/* codec.c: the AWS JSON 1.1 bodies of the typed calls, with Jansson. Builders turn arguments into
 * request bodies (checking them first: a bad argument is a LIBRARY error and nothing is sent);
 * parsers turn answer text into result structs. Both are pure functions of their inputs, so the
 * unit tests can give the parsers every kind of malformed or truncated answer: anything that does
 * not match the API model's shape is UNEXPECTED_RESPONSE (MalformedResponse), never a crash. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "internal.h"

/* ------------------------------------------------------------------ helpers */

static kinesis_error *bad_arg(const char *what)
{
    return kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0, "%s", what);
}

__attribute__((format(printf, 1, 2))) static kinesis_error *malformed(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return kc_err(KINESIS_ERROR_UNEXPECTED_RESPONSE, KINESIS_ERR_MALFORMED, 200, "%s", buf);
}

static int empty(const char *s)
{
    return !s || !*s;
}

/* Set key to a string; -1 if the text is not valid UTF-8 or memory ran out. */
static int set_str(json_t *obj, const char *key, const char *value)
{
    json_t *s = json_string(value);
    return s ? json_object_set_new(obj, key, s) : -1;
}

static char *dump(json_t *root, kinesis_error **err)
{
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text && err && !*err)
        *err = kc_err_nomem();
    return text;
}

/* Parse a body that must be a JSON object. */
static json_t *load_object(const char *body, size_t len, kinesis_error **err)
{
    json_error_t je;
    json_t *root = json_loadb(body ? body : "", len, 0, &je);
    if (!root) {
        *err = malformed("answer is not JSON: %s", je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        *err = malformed("answer is not a JSON object%s", "");
        return NULL;
    }
    return root;
}

/* A required string member (non-empty unless allow_empty); on error sets *err once. */
static const char *req_str(json_t *obj, const char *key, kinesis_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        if (!*err)
            *err = malformed("answer lacks a non-empty string %s", key);
        return NULL;
    }
    return json_string_value(v);
}

/* An optional string member: NULL if absent or null; an error if of another type. */
static const char *opt_str(json_t *obj, const char *key, kinesis_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        if (!*err)
            *err = malformed("answer member %s is not a string", key);
        return NULL;
    }
    return json_string_value(v);
}

static int64_t opt_int(json_t *obj, const char *key, kinesis_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v)) {
        if (!*err)
            *err = malformed("answer member %s is not an integer", key);
        return 0;
    }
    return (int64_t)json_integer_value(v);
}

/* Epoch seconds (integer or fraction) to milliseconds. */
static int64_t time_ms(json_t *obj, const char *key, int required, kinesis_error **err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required && !*err)
            *err = malformed("answer lacks the timestamp %s", key);
        return 0;
    }
    if (!json_is_number(v)) {
        if (!*err)
            *err = malformed("answer member %s is not a number", key);
        return 0;
    }
    double s = json_number_value(v);
    if (!isfinite(s) || fabs(s) > 9.0e12) {
        if (!*err)
            *err = malformed("answer member %s is out of range", key);
        return 0;
    }
    return (int64_t)llround(s * 1000.0);
}

static kinesis_encryption_type enc(const char *s)
{
    return s && strcmp(s, "KMS") == 0 ? KINESIS_ENCRYPTION_KMS : KINESIS_ENCRYPTION_NONE;
}

/* Copy an optional string; returns -1 on allocation failure. */
static int dup_into(char **dst, const char *src)
{
    *dst = kc_strdup(src);
    return src && !*dst ? -1 : 0;
}

/* ------------------------------------------------------------------ error answers */

kinesis_error *kc_error_from_answer(int http_status, const char *body, size_t body_len,
                                    const char *request_id, const char *error_type_header)
{
    char *name = NULL, *message = NULL;
    json_t *root = json_loadb(body ? body : "", body_len, 0, NULL);
    if (json_is_object(root)) {
        const char *t = json_string_value(json_object_get(root, "__type"));
        if (t && *t) {
            const char *hash = strrchr(t, '#');
            name = kc_strdup(hash ? hash + 1 : t);
        }
        const char *m = json_string_value(json_object_get(root, "message"));
        if (!m)
            m = json_string_value(json_object_get(root, "Message"));
        if (m)
            message = kc_strdup(m);
    }
    json_decref(root);
    if (!name && error_type_header && *error_type_header) {
        const char *colon = strchr(error_type_header, ':');
        name = colon ? kc_strndup(error_type_header, (size_t)(colon - error_type_header))
                     : kc_strdup(error_type_header);
    }
    kinesis_error *e = kc_err(KINESIS_ERROR_REQUEST_FAILED, name ? name : "UnknownError", http_status, "%s",
                              message ? message : "");
    if (e != kc_err_nomem() && !message) {
        free(e->message);
        e->message = kc_sprintf("AWS Kinesis request failed with status code: %d", http_status);
    }
    if (e != kc_err_nomem() && request_id)
        e->request_id = kc_strdup(request_id);
    free(name);
    free(message);
    return e;
}

/* ------------------------------------------------------------------ builders */

static kinesis_error *check_record(const kinesis_record *rec)
{
    if (!rec)
        return bad_arg("Non empty argument required: record");
    if (empty(rec->partition_key))
        return bad_arg("Non empty argument required: record.partition_key");
    if (rec->data_len > 0 && !rec->data)
        return bad_arg("Wrong type of argument: record.data is NULL");
    return NULL;
}

/* The entry fields shared by PutRecord and PutRecords. */
static json_t *record_object(const kinesis_record *rec, kinesis_error **err)
{
    json_t *o = json_object();
    char *b64 = kc_base64_encode(rec->data ? rec->data : "", rec->data_len);
    if (!o || !b64) {
        json_decref(o);
        free(b64);
        *err = kc_err_nomem();
        return NULL;
    }
    int bad = set_str(o, "Data", b64);
    free(b64);
    if (bad || set_str(o, "PartitionKey", rec->partition_key)) {
        *err = bad_arg("Wrong type of argument: record.partition_key is not valid UTF-8");
    } else if (rec->explicit_hash_key && set_str(o, "ExplicitHashKey", rec->explicit_hash_key)) {
        *err = bad_arg("Wrong type of argument: record.explicit_hash_key is not valid UTF-8");
    }
    if (*err) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *stream_object(const char *stream, kinesis_error **err)
{
    if (empty(stream)) {
        *err = bad_arg("Non empty argument required: stream_name");
        return NULL;
    }
    json_t *o = json_object();
    if (!o) {
        *err = kc_err_nomem();
        return NULL;
    }
    if (set_str(o, "StreamName", stream)) {
        json_decref(o);
        *err = bad_arg("Wrong type of argument: stream_name is not valid UTF-8");
        return NULL;
    }
    return o;
}

char *kc_build_put_record(const char *stream, const kinesis_record *rec, kinesis_error **err)
{
    *err = check_record(rec);
    if (*err)
        return NULL;
    json_t *root = stream_object(stream, err);
    if (!root)
        return NULL;
    json_t *r = record_object(rec, err);
    if (!r) {
        json_decref(root);
        return NULL;
    }
    json_object_update(root, r);
    json_decref(r);
    if (rec->prev_sequence_number && set_str(root, "SequenceNumberForOrdering", rec->prev_sequence_number)) {
        json_decref(root);
        *err = bad_arg("Wrong type of argument: record.prev_sequence_number is not valid UTF-8");
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_put_records_entries(const kinesis_record *recs, size_t n, kinesis_error **err)
{
    *err = NULL;
    if (!recs || n == 0) {
        *err = bad_arg("Non empty argument required: records");
        return NULL;
    }
    /* Kinesis's limits, checked here: beyond them the service answers a long validation error
     * after the whole body was sent. */
    if (n > KINESIS_PUT_RECORDS_MAX_RECORDS) {
        *err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "PutRecords takes at most %d records (the Kinesis limit); got %zu: split them into "
                      "several calls",
                      KINESIS_PUT_RECORDS_MAX_RECORDS, n);
        return NULL;
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        *err = check_record(&recs[i]);
        if (*err)
            return NULL;
        bytes += recs[i].data_len + strlen(recs[i].partition_key);
    }
    if (bytes > KINESIS_PUT_RECORDS_MAX_BYTES) {
        *err = kc_err(KINESIS_ERROR_LIBRARY, KINESIS_ERR_INVALID_PARAMETER, 0,
                      "PutRecords takes at most 5 MiB (%d bytes of data and partition keys, the Kinesis "
                      "limit); these %zu records hold %llu: split them into several calls",
                      KINESIS_PUT_RECORDS_MAX_BYTES, n, (unsigned long long)bytes);
        return NULL;
    }
    json_t *arr = json_array();
    if (!arr) {
        *err = kc_err_nomem();
        return NULL;
    }
    for (size_t i = 0; i < n && !*err; i++) {
        *err = check_record(&recs[i]);
        if (*err)
            break;
        json_t *r = record_object(&recs[i], err);
        if (r && json_array_append_new(arr, r))
            *err = kc_err_nomem();
    }
    if (*err) {
        json_decref(arr);
        return NULL;
    }
    return dump(arr, err);
}

char *kc_build_put_records(const char *stream, const char *entries_json, const size_t *idx, size_t n,
                           kinesis_error **err)
{
    *err = NULL;
    json_t *root = stream_object(stream, err);
    if (!root)
        return NULL;
    json_t *all = json_loads(entries_json ? entries_json : "", 0, NULL);
    json_t *sel = json_array();
    if (!json_is_array(all) || !sel) {
        *err = json_is_array(all) ? kc_err_nomem() : bad_arg("PutRecords entries are not a JSON array");
    } else {
        for (size_t i = 0; i < n && !*err; i++) {
            json_t *e = json_array_get(all, idx ? idx[i] : i);
            if (!e)
                *err = bad_arg("PutRecords entry index out of range");
            else if (json_array_append(sel, e))
                *err = kc_err_nomem();
        }
    }
    json_decref(all);
    if (*err || json_object_set_new(root, "Records", sel)) {
        if (!*err)
            *err = kc_err_nomem();
        else
            json_decref(sel);
        json_decref(root);
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_list_shards(const char *stream, const char *next_token, kinesis_error **err)
{
    *err = NULL;
    if (next_token) { /* NextToken cannot be combined with StreamName */
        json_t *root = json_object();
        if (!root || set_str(root, "NextToken", next_token)) {
            json_decref(root);
            *err = kc_err_nomem();
            return NULL;
        }
        return dump(root, err);
    }
    return dump(stream_object(stream, err), err);
}

const char *kinesis_iterator_type_name(kinesis_iterator_type type)
{
    switch (type) {
    case KINESIS_ITERATOR_AT_SEQUENCE_NUMBER:
        return "AT_SEQUENCE_NUMBER";
    case KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER:
        return "AFTER_SEQUENCE_NUMBER";
    case KINESIS_ITERATOR_AT_TIMESTAMP:
        return "AT_TIMESTAMP";
    case KINESIS_ITERATOR_TRIM_HORIZON:
        return "TRIM_HORIZON";
    case KINESIS_ITERATOR_LATEST:
        return "LATEST";
    }
    return NULL;
}

int kinesis_iterator_type_parse(const char *name, kinesis_iterator_type *type)
{
    for (int t = KINESIS_ITERATOR_AT_SEQUENCE_NUMBER; name && t <= KINESIS_ITERATOR_LATEST; t++)
        if (strcmp(name, kinesis_iterator_type_name((kinesis_iterator_type)t)) == 0) {
            *type = (kinesis_iterator_type)t;
            return 0;
        }
    return -1;
}

char *kc_build_get_shard_iterator(const char *stream, const char *shard_id, kinesis_iterator_type type,
                                  const kinesis_iterator_options *opts, kinesis_error **err)
{
    *err = NULL;
    const char *tname = kinesis_iterator_type_name(type);
    if (!tname) {
        *err = bad_arg("Wrong type of argument: type");
        return NULL;
    }
    if (empty(shard_id)) {
        *err = bad_arg("Non empty argument required: shard_id");
        return NULL;
    }
    int need_seq =
        type == KINESIS_ITERATOR_AT_SEQUENCE_NUMBER || type == KINESIS_ITERATOR_AFTER_SEQUENCE_NUMBER;
    int need_ts = type == KINESIS_ITERATOR_AT_TIMESTAMP;
    if (need_seq && (!opts || empty(opts->starting_sequence_number))) {
        *err = bad_arg("Non empty argument required: options.starting_sequence_number");
        return NULL;
    }
    if (need_ts && !opts) {
        *err = bad_arg("Non empty argument required: options.timestamp_ms");
        return NULL;
    }
    if (need_ts && opts->timestamp_ms < 0) { /* 0 is the epoch: a valid time, before every record */
        *err = bad_arg("Wrong type of argument: options.timestamp_ms is negative");
        return NULL;
    }
    if (opts && ((!need_seq && opts->starting_sequence_number) || (!need_ts && opts->timestamp_ms))) {
        *err = bad_arg("Wrong type of argument: options do not match the iterator type");
        return NULL;
    }
    json_t *root = stream_object(stream, err);
    if (!root)
        return NULL;
    int bad = set_str(root, "ShardId", shard_id) || set_str(root, "ShardIteratorType", tname);
    if (!bad && need_seq)
        bad = set_str(root, "StartingSequenceNumber", opts->starting_sequence_number);
    if (!bad && need_ts)
        bad = json_object_set_new(root, "Timestamp", json_real((double)opts->timestamp_ms / 1000.0));
    if (bad) {
        json_decref(root);
        *err = bad_arg("Wrong type of argument: shard_id or starting_sequence_number is not valid UTF-8");
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_get_records(const char *iterator, int limit, kinesis_error **err)
{
    *err = NULL;
    if (empty(iterator)) {
        *err = bad_arg("Non empty argument required: shard_iterator");
        return NULL;
    }
    if (limit < 0) {
        *err = bad_arg("Wrong type of argument: limit must not be negative");
        return NULL;
    }
    json_t *root = json_object();
    if (!root || set_str(root, "ShardIterator", iterator) ||
        (limit > 0 && json_object_set_new(root, "Limit", json_integer(limit)))) {
        json_decref(root);
        *err = bad_arg("Wrong type of argument: shard_iterator is not valid UTF-8");
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_create_stream(const char *stream, int shard_count, kinesis_error **err)
{
    *err = NULL;
    if (shard_count < 0) {
        *err = bad_arg("Wrong type of argument: shard_count must not be negative");
        return NULL;
    }
    json_t *root = stream_object(stream, err);
    if (!root)
        return NULL;
    int bad;
    if (shard_count > 0)
        bad = json_object_set_new(root, "ShardCount", json_integer(shard_count));
    else {
        json_t *mode = json_object();
        bad = !mode || set_str(mode, "StreamMode", "ON_DEMAND") ||
              json_object_set_new(root, "StreamModeDetails", mode);
    }
    if (bad) {
        json_decref(root);
        *err = kc_err_nomem();
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_delete_stream(const char *stream, kinesis_error **err)
{
    *err = NULL;
    json_t *root = stream_object(stream, err);
    if (root && json_object_set_new(root, "EnforceConsumerDeletion", json_true())) {
        json_decref(root);
        *err = kc_err_nomem();
        return NULL;
    }
    return dump(root, err);
}

char *kc_build_stream_name(const char *stream, kinesis_error **err)
{
    *err = NULL;
    return dump(stream_object(stream, err), err);
}

char *kc_build_list_streams(const char *next_token, const char *exclusive_start, kinesis_error **err)
{
    *err = NULL;
    json_t *root = json_object();
    if (!root || (next_token && set_str(root, "NextToken", next_token)) ||
        (!next_token && exclusive_start && set_str(root, "ExclusiveStartStreamName", exclusive_start))) {
        json_decref(root);
        *err = kc_err_nomem();
        return NULL;
    }
    return dump(root, err);
}

/* ------------------------------------------------------------------ parsers */

void kinesis_put_record_result_free(kinesis_put_record_result *r)
{
    if (!r)
        return;
    free(r->shard_id);
    free(r->sequence_number);
    free(r->error_code);
    free(r->error_message);
    free(r);
}

static void put_result_clean(kinesis_put_record_result *r)
{
    free(r->shard_id);
    free(r->sequence_number);
    free(r->error_code);
    free(r->error_message);
    memset(r, 0, sizeof *r);
}

kinesis_error *kc_parse_put_record(const char *body, size_t len, kinesis_put_record_result **out)
{
    *out = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    const char *shard = req_str(root, "ShardId", &err);
    const char *seq = req_str(root, "SequenceNumber", &err);
    const char *et = opt_str(root, "EncryptionType", &err);
    if (!err) {
        kinesis_put_record_result *r = calloc(1, sizeof *r);
        if (!r || dup_into(&r->shard_id, shard) || dup_into(&r->sequence_number, seq)) {
            kinesis_put_record_result_free(r);
            err = kc_err_nomem();
        } else {
            r->encryption_type = enc(et);
            *out = r;
        }
    }
    json_decref(root);
    return err;
}

kinesis_error *kc_parse_put_records(const char *body, size_t len, size_t n, const size_t *idx,
                                    kinesis_put_record_result *results, size_t *failed)
{
    *failed = 0;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    json_t *recs = json_object_get(root, "Records");
    json_t *frc = json_object_get(root, "FailedRecordCount");
    const char *et = opt_str(root, "EncryptionType", &err);
    if (!err && !json_is_integer(frc))
        err = malformed("answer lacks the integer FailedRecordCount%s", "");
    if (!err && (!json_is_array(recs) || json_array_size(recs) != n))
        err = malformed("answer's Records is not an array with one entry per record sent%s", "");
    /* Validate every entry before touching results, so a bad answer changes nothing. */
    for (size_t i = 0; !err && i < n; i++) {
        json_t *e = json_array_get(recs, i);
        if (!json_is_object(e)) {
            err = malformed("answer's Records entry is not an object%s", "");
            break;
        }
        const char *code = opt_str(e, "ErrorCode", &err);
        opt_str(e, "ErrorMessage", &err);
        if (!code) {
            req_str(e, "ShardId", &err);
            req_str(e, "SequenceNumber", &err);
        }
    }
    for (size_t i = 0; !err && i < n; i++) {
        json_t *e = json_array_get(recs, i);
        kinesis_put_record_result *r = &results[idx ? idx[i] : i];
        put_result_clean(r);
        const char *code = json_string_value(json_object_get(e, "ErrorCode"));
        int bad;
        if (code) {
            (*failed)++;
            bad = dup_into(&r->error_code, code) ||
                  dup_into(&r->error_message, json_string_value(json_object_get(e, "ErrorMessage")));
        } else {
            bad = dup_into(&r->shard_id, json_string_value(json_object_get(e, "ShardId"))) ||
                  dup_into(&r->sequence_number, json_string_value(json_object_get(e, "SequenceNumber")));
            r->encryption_type = enc(et);
        }
        if (bad)
            err = kc_err_nomem();
    }
    json_decref(root);
    return err;
}

void kinesis_shard_list_free(kinesis_shard_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        kinesis_shard *s = &list->shards[i];
        free(s->shard_id);
        free(s->parent_shard_id);
        free(s->adjacent_parent_shard_id);
        free(s->starting_hash_key);
        free(s->ending_hash_key);
        free(s->starting_sequence_number);
        free(s->ending_sequence_number);
    }
    free(list->shards);
    free(list);
}

kinesis_error *kc_parse_list_shards(const char *body, size_t len, kinesis_shard_list *list, char **next_token)
{
    *next_token = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    json_t *shards = json_object_get(root, "Shards");
    const char *tok = opt_str(root, "NextToken", &err);
    if (!err && !json_is_array(shards))
        err = malformed("answer lacks the array Shards%s", "");
    size_t n = err ? 0 : json_array_size(shards);
    for (size_t i = 0; !err && i < n; i++) {
        json_t *s = json_array_get(shards, i);
        if (!json_is_object(s)) {
            err = malformed("answer's Shards entry is not an object%s", "");
            break;
        }
        json_t *hk = json_object_get(s, "HashKeyRange"), *sr = json_object_get(s, "SequenceNumberRange");
        req_str(s, "ShardId", &err);
        opt_str(s, "ParentShardId", &err);
        opt_str(s, "AdjacentParentShardId", &err);
        if (!err && !json_is_object(hk))
            err = malformed("answer's shard lacks HashKeyRange%s", "");
        if (!err && !json_is_object(sr))
            err = malformed("answer's shard lacks SequenceNumberRange%s", "");
        if (!err) {
            req_str(hk, "StartingHashKey", &err);
            req_str(hk, "EndingHashKey", &err);
            req_str(sr, "StartingSequenceNumber", &err);
            opt_str(sr, "EndingSequenceNumber", &err);
        }
    }
    if (!err && n) {
        kinesis_shard *ns = realloc(list->shards, (list->count + n) * sizeof *ns);
        if (!ns)
            err = kc_err_nomem();
        else
            list->shards = ns;
    }
    for (size_t i = 0; !err && i < n; i++) {
        json_t *s = json_array_get(shards, i);
        json_t *hk = json_object_get(s, "HashKeyRange"), *sr = json_object_get(s, "SequenceNumberRange");
        kinesis_shard *d = &list->shards[list->count];
        memset(d, 0, sizeof *d);
        list->count++;
        if (dup_into(&d->shard_id, json_string_value(json_object_get(s, "ShardId"))) ||
            dup_into(&d->parent_shard_id, json_string_value(json_object_get(s, "ParentShardId"))) ||
            dup_into(&d->adjacent_parent_shard_id,
                     json_string_value(json_object_get(s, "AdjacentParentShardId"))) ||
            dup_into(&d->starting_hash_key, json_string_value(json_object_get(hk, "StartingHashKey"))) ||
            dup_into(&d->ending_hash_key, json_string_value(json_object_get(hk, "EndingHashKey"))) ||
            dup_into(&d->starting_sequence_number,
                     json_string_value(json_object_get(sr, "StartingSequenceNumber"))) ||
            dup_into(&d->ending_sequence_number,
                     json_string_value(json_object_get(sr, "EndingSequenceNumber"))))
            err = kc_err_nomem();
    }
    if (!err && tok && *tok && !(*next_token = kc_strdup(tok)))
        err = kc_err_nomem();
    json_decref(root);
    return err;
}

kinesis_error *kc_parse_get_shard_iterator(const char *body, size_t len, char **iterator)
{
    *iterator = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    const char *it = req_str(root, "ShardIterator", &err);
    if (!err && !(*iterator = kc_strdup(it)))
        err = kc_err_nomem();
    json_decref(root);
    return err;
}

void kinesis_get_records_result_free(kinesis_get_records_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->count; i++) {
        free(r->records[i].data);
        free(r->records[i].partition_key);
        free(r->records[i].sequence_number);
    }
    free(r->records);
    for (size_t i = 0; i < r->n_child_shards; i++) {
        kinesis_child_shard *c = &r->child_shards[i];
        free(c->shard_id);
        for (size_t j = 0; j < c->n_parent_shards; j++)
            free(c->parent_shards[j]);
        free(c->parent_shards);
        free(c->starting_hash_key);
        free(c->ending_hash_key);
    }
    free(r->child_shards);
    free(r->next_shard_iterator);
    free(r);
}

static kinesis_error *parse_child_shards(json_t *arr, kinesis_get_records_result *r)
{
    kinesis_error *err = NULL;
    size_t n = json_array_size(arr);
    if (n == 0)
        return NULL;
    r->child_shards = calloc(n, sizeof *r->child_shards);
    if (!r->child_shards)
        return kc_err_nomem();
    for (size_t i = 0; !err && i < n; i++) {
        json_t *c = json_array_get(arr, i);
        if (!json_is_object(c))
            return malformed("answer's ChildShards entry is not an object%s", "");
        kinesis_child_shard *d = &r->child_shards[i];
        r->n_child_shards = i + 1;
        const char *id = req_str(c, "ShardId", &err);
        json_t *parents = json_object_get(c, "ParentShards"), *hk = json_object_get(c, "HashKeyRange");
        if (!err && parents && !json_is_array(parents))
            err = malformed("answer's ParentShards is not an array%s", "");
        if (!err && hk && !json_is_object(hk))
            err = malformed("answer's HashKeyRange is not an object%s", "");
        const char *sk = hk ? opt_str(hk, "StartingHashKey", &err) : NULL;
        const char *ek = hk ? opt_str(hk, "EndingHashKey", &err) : NULL;
        if (err)
            break;
        if (dup_into(&d->shard_id, id) || dup_into(&d->starting_hash_key, sk) ||
            dup_into(&d->ending_hash_key, ek))
            return kc_err_nomem();
        size_t np = json_array_size(parents);
        if (np) {
            d->parent_shards = calloc(np, sizeof *d->parent_shards);
            if (!d->parent_shards)
                return kc_err_nomem();
        }
        for (size_t j = 0; j < np; j++) {
            const char *p = json_string_value(json_array_get(parents, j));
            if (!p)
                return malformed("answer's ParentShards entry is not a string%s", "");
            if (!(d->parent_shards[j] = kc_strdup(p)))
                return kc_err_nomem();
            d->n_parent_shards = j + 1;
        }
    }
    return err;
}

kinesis_error *kc_parse_get_records(const char *body, size_t len, kinesis_get_records_result **out)
{
    *out = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    kinesis_get_records_result *r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(root);
        return kc_err_nomem();
    }
    json_t *recs = json_object_get(root, "Records");
    json_t *children = json_object_get(root, "ChildShards");
    const char *next = opt_str(root, "NextShardIterator", &err);
    r->millis_behind_latest = opt_int(root, "MillisBehindLatest", &err);
    if (!err && !json_is_array(recs))
        err = malformed("answer lacks the array Records%s", "");
    if (!err && children && !json_is_null(children) && !json_is_array(children))
        err = malformed("answer's ChildShards is not an array%s", "");
    size_t n = err ? 0 : json_array_size(recs);
    if (n && !(r->records = calloc(n, sizeof *r->records)))
        err = kc_err_nomem();
    for (size_t i = 0; !err && i < n; i++) {
        json_t *e = json_array_get(recs, i);
        if (!json_is_object(e)) {
            err = malformed("answer's Records entry is not an object%s", "");
            break;
        }
        kinesis_read_record *d = &r->records[i];
        r->count = i + 1;
        json_t *data = json_object_get(e, "Data");
        const char *pk = req_str(e, "PartitionKey", &err);
        const char *seq = req_str(e, "SequenceNumber", &err);
        d->arrival_ms = time_ms(e, "ApproximateArrivalTimestamp", 1, &err);
        d->encryption_type = enc(opt_str(e, "EncryptionType", &err));
        if (!err && !json_is_string(data))
            err = malformed("answer's record lacks the string Data%s", "");
        if (err)
            break;
        d->data = kc_base64_decode(json_string_value(data), &d->data_len);
        if (!d->data) {
            err = malformed("answer's record Data is not valid base64%s", "");
            break;
        }
        if (dup_into(&d->partition_key, pk) || dup_into(&d->sequence_number, seq))
            err = kc_err_nomem();
    }
    if (!err && json_is_array(children))
        err = parse_child_shards(children, r);
    if (!err && next && *next && !(r->next_shard_iterator = kc_strdup(next)))
        err = kc_err_nomem();
    json_decref(root);
    if (err) {
        kinesis_get_records_result_free(r);
        return err;
    }
    *out = r;
    return NULL;
}

void kinesis_stream_summary_free(kinesis_stream_summary *s)
{
    if (!s)
        return;
    free(s->stream_name);
    free(s->stream_arn);
    free(s->stream_status);
    free(s->stream_mode);
    free(s);
}

kinesis_error *kc_parse_describe_stream_summary(const char *body, size_t len, kinesis_stream_summary **out)
{
    *out = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    json_t *d = json_object_get(root, "StreamDescriptionSummary");
    if (!json_is_object(d)) {
        json_decref(root);
        return malformed("answer lacks the object StreamDescriptionSummary%s", "");
    }
    json_t *md = json_object_get(d, "StreamModeDetails");
    const char *name = req_str(d, "StreamName", &err);
    const char *arn = req_str(d, "StreamARN", &err);
    const char *status = req_str(d, "StreamStatus", &err);
    const char *mode = json_is_object(md) ? opt_str(md, "StreamMode", &err) : NULL;
    const char *et = opt_str(d, "EncryptionType", &err);
    kinesis_stream_summary *s = calloc(1, sizeof *s);
    if (!s && !err)
        err = kc_err_nomem();
    if (s) {
        s->retention_period_hours = opt_int(d, "RetentionPeriodHours", &err);
        s->open_shard_count = opt_int(d, "OpenShardCount", &err);
        s->consumer_count = opt_int(d, "ConsumerCount", &err);
        s->creation_ms = time_ms(d, "StreamCreationTimestamp", 0, &err);
        s->encryption_type = enc(et);
    }
    if (!err && (dup_into(&s->stream_name, name) || dup_into(&s->stream_arn, arn) ||
                 dup_into(&s->stream_status, status) || dup_into(&s->stream_mode, mode)))
        err = kc_err_nomem();
    json_decref(root);
    if (err) {
        kinesis_stream_summary_free(s);
        return err;
    }
    *out = s;
    return NULL;
}

void kinesis_string_list_free(kinesis_string_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    free(list);
}

kinesis_error *kc_parse_list_streams(const char *body, size_t len, kinesis_string_list *list, int *more,
                                     char **next_token)
{
    *more = 0;
    *next_token = NULL;
    kinesis_error *err = NULL;
    json_t *root = load_object(body, len, &err);
    if (!root)
        return err;
    json_t *names = json_object_get(root, "StreamNames"), *has = json_object_get(root, "HasMoreStreams");
    const char *tok = opt_str(root, "NextToken", &err);
    if (!err && !json_is_array(names))
        err = malformed("answer lacks the array StreamNames%s", "");
    if (!err && has && !json_is_boolean(has))
        err = malformed("answer's HasMoreStreams is not a boolean%s", "");
    size_t n = err ? 0 : json_array_size(names);
    for (size_t i = 0; !err && i < n; i++)
        if (!json_is_string(json_array_get(names, i)))
            err = malformed("answer's StreamNames entry is not a string%s", "");
    if (!err && n) {
        char **ni = realloc(list->items, (list->count + n) * sizeof *ni);
        if (!ni)
            err = kc_err_nomem();
        else
            list->items = ni;
    }
    for (size_t i = 0; !err && i < n; i++) {
        if (!(list->items[list->count] = kc_strdup(json_string_value(json_array_get(names, i)))))
            err = kc_err_nomem();
        else
            list->count++;
    }
    if (!err) {
        *more = json_is_true(has);
        if (tok && *tok && !(*next_token = kc_strdup(tok)))
            err = kc_err_nomem();
    }
    json_decref(root);
    return err;
}
