/* seeds.c: writes the seed corpora of the fuzz harnesses (ci/fuzz/corpus/<harness>/) from the
 * project's own encoders and fixtures, so seeds are real inputs and can be made again when a
 * format changes: `ci/fuzz/run --seeds` builds and runs it from the repository root.
 *
 *   ids         shard iterators from iterator_encode (under fuzz_ids.c's fixed key), sequence
 *               numbers from seqnum_format, hash keys, shard ids, comparison pairs
 *   sigv4       the official vectors' request files (fixtures/sigv4/v4) and a signed Kinesis call
 *   case        every conformance case file (fixtures/conformance)
 *   vars        ${...} templates and big-number pairs
 *   validate    "<Operation>\n<body>" from fixtures/validation/cases.json and the bodies the
 *               conformance cases send
 *   codec       the same bodies, and Content-Type values
 *   cbor        the same bodies encoded as CBOR requests (sim_json_to_cbor_op)
 *   eventstream SubscribeToShard event and exception frames, and one header of every type
 *   client      answers of each operation the client parses, error bodies, credentials files
 *   auth        the sigv4 request seeds, a presigned request, and simulator credentials files
 *   faults      fixtures/faults/ *.json and one rule of each effect
 *   base64      base64 texts of several lengths and paddings
 * Generated files are named gen-*; other files in the corpus directories are kept. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "case.h"
#include "shared/eventstream.h"
#include "shared/sigv4.h"
#include "vars.h"
#include "wire/cbor_codec.h"
#include "wire/ids.h"

static const char *root_dir;
static int n_written;

static void write_seed(const char *harness, const char *name, const void *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root_dir, harness);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/gen-%s", root_dir, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    n_written++;
}

static void write_str(const char *harness, const char *name, const char *s)
{
    write_seed(harness, name, s, strlen(s));
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

/* ------------------------------------------------------------------ ids */

static void seeds_ids(void)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i; /* fuzz_ids.c's key */
    iterator_pos pos[3];
    memset(pos, 0, sizeof pos);
    strcpy(pos[0].stream_name, "seed-stream");
    strcpy(pos[0].account_id, "000000000000");
    strcpy(pos[0].region, "us-east-1");
    pos[0].stream_created_ms = 1700000000000;
    pos[0].next_counter = 1;
    pos[0].issued_ms = 1700000001000;
    pos[1] = pos[0];
    memset(pos[1].stream_name, 'a', 128);
    pos[1].stream_name[128] = '\0';
    strcpy(pos[1].region, "ap-southeast-2");
    pos[1].shard_index = 499;
    pos[1].next_counter = UINT64_MAX;
    pos[2] = pos[0];
    strcpy(pos[2].stream_name, "s");
    pos[2].issued_ms = 0;
    for (int i = 0; i < 3; i++) {
        char tok[ITERATOR_MAX], name[64];
        if (iterator_encode(key, &pos[i], tok) != 0)
            continue;
        snprintf(name, sizeof name, "iterator-%d", i);
        write_str("ids", name, tok);
    }
    seqnum sq[3] = {{1542776258, 6, 0x67648a17, 1545084650},
                    {1700000000, 0, 0, 1700000000},
                    {0, 499, UINT64_MAX >> 4, 1}};
    for (int i = 0; i < 3; i++) {
        char s[SEQNUM_MAX], name[64];
        seqnum_format(&sq[i], s);
        snprintf(name, sizeof name, "seqnum-%d", i);
        write_str("ids", name, s);
    }
    write_str("ids", "seqnum-aws-example", "49590338271490256608559692538361571095921575989136588898");
    write_str("ids", "u128-max", "340282366920938463463374607431768211455");
    write_str("ids", "u128-over", "340282366920938463463374607431768211456");
    write_str("ids", "u128-half", "170141183460469231731687303715884105728");
    write_str("ids", "u128-zero", "0");
    write_str("ids", "shard-id", "shardId-000000000007");
    write_str("ids", "shard-id-bare", "12");
    write_str("ids", "cmp-pair",
              "49590338271490256608559692538361571095921575989136588898\n"
              "49590338271490256608559692538361571095921575989136588899");
    write_str("ids", "cmp-equal", "123\n123");
}

/* ------------------------------------------------------------------ sigv4 */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir (not . or ..); *n set; NULL if it cannot be read. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    *n = 0;
    if (!d)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void seeds_sigv4(void)
{
    static const char *const files[] = {"request.txt", "header-signed-request.txt",
                                        "query-signed-request.txt"};
    size_t n;
    char **cases = list_dir("fixtures/sigv4/v4", &n);
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < 3; f++) {
            char path[1024], name[512];
            snprintf(path, sizeof path, "fixtures/sigv4/v4/%s/%s", cases[i], files[f]);
            size_t len;
            char *text = read_file(path, &len);
            if (!text)
                continue;
            snprintf(name, sizeof name, "%s-%s", cases[i], files[f]);
            write_seed("sigv4", name, text, len);
            if (f > 0)
                write_seed("auth", name, text, len);
            free(text);
        }
    }
    free_list(cases, n);

    /* A PutRecord as the client sends it, signed. */
    const char *body = "{\"StreamName\":\"seed-stream\",\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"k\"}";
    sigv4_header h[] = {{"Host", "127.0.0.1:4567"},
                        {"Content-Type", "application/x-amz-json-1.1"},
                        {"X-Amz-Target", "Kinesis_20131202.PutRecord"}};
    sigv4_request req = {"POST", "/", NULL, h, 3, (const uint8_t *)body, strlen(body)};
    sigv4_params p = {.access_key_id = "AKIDEXAMPLE",
                      .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      .session_token = "seed-session-token",
                      .region = "us-east-1",
                      .service = "kinesis",
                      .epoch_seconds = 1440938160,
                      .normalize_path = 1};
    sigv4_result r;
    memset(&r, 0, sizeof r);
    if (sigv4_sign(&req, &p, &r) == 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        fprintf(m, "POST / HTTP/1.1\n");
        for (size_t i = 0; i < 3; i++)
            fprintf(m, "%s:%s\n", h[i].name, h[i].value);
        fprintf(m, "X-Amz-Date:%s\nX-Amz-Security-Token:%s\nAuthorization:%s\n\n%s", r.amz_date,
                p.session_token, r.authorization, body);
        fclose(m);
        write_seed("sigv4", "kinesis-put-record-signed.txt", text, len);
        write_seed("auth", "kinesis-put-record-signed.txt", text, len);
        free(text);
    }
    sigv4_result_clean_up(&r);
}

/* ------------------------------------------------------------------ case, validate, codec, cbor */

static void walk_cases(const char *dir, const char *prefix, json_t *bodies)
{
    size_t n;
    char **names = list_dir(dir, &n);
    for (size_t i = 0; i < n; i++) {
        char path[1024], name[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(name, sizeof name, "%s%s", prefix, names[i]);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s%s_", prefix, names[i]);
            walk_cases(path, sub, bodies);
            continue;
        }
        size_t len = strlen(names[i]);
        if (len < 5 || strcmp(names[i] + len - 5, ".json") != 0)
            continue;
        char *text = read_file(path, &len);
        if (!text)
            continue;
        write_seed("case", name, text, len);
        /* the (op, body) of every step, for the request harnesses */
        cf_case_list list = {0};
        char err[512];
        if (cf_parse_cases(text, path, "seed", &list, err, sizeof err) == 0) {
            json_t *vars = json_pack("{s:s, s:i, s:s, s:s}", "stream", "seed-stream", "i", 1, "seq",
                                     "49590338271490256608559692538361571095921575989136588898", "it",
                                     "AAAAAAAAAAGK9EEG0sJqVeCAzpbK1Bp1xXyD3mG8a5fTRfIGbF4M0Q==");
            for (size_t c = 0; c < list.n; c++) {
                json_t *steps = json_object_get(list.items[c].root, "steps");
                size_t k;
                json_t *step;
                json_array_foreach(steps, k, step)
                {
                    const char *op = json_string_value(json_object_get(step, "op"));
                    json_t *body = json_object_get(step, "body");
                    if (!op || !json_is_object(body))
                        continue;
                    json_t *x = cf_expand_json(vars, body, err, sizeof err);
                    json_array_append_new(bodies, json_pack("{s:s, s:O}", "op", op, "input", x ? x : body));
                    json_decref(x);
                }
            }
            json_decref(vars);
            cf_case_list_free(&list);
        }
        free(text);
    }
    free_list(names, n);
}

static void seeds_requests(void)
{
    json_t *bodies = json_array();
    json_error_t jerr;
    json_t *vc = json_load_file("fixtures/validation/cases.json", 0, &jerr);
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(vc, "cases"), k, c) json_array_append(bodies, c);
    json_decref(vc);
    walk_cases("fixtures/conformance", "", bodies);

    /* one seed per distinct (op, body) */
    json_t *seen = json_object();
    json_array_foreach(bodies, k, c)
    {
        const char *op = json_string_value(json_object_get(c, "op"));
        char *body = json_dumps(json_object_get(c, "input"), JSON_COMPACT | JSON_SORT_KEYS);
        if (!op || !body || strlen(body) > 16384) { /* big bodies only slow the fuzzer down */
            free(body);
            continue;
        }
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        fprintf(m, "%s\n%s", op, body);
        fclose(m);
        if (!json_object_get(seen, text)) {
            json_object_set_new(seen, text, json_true());
            char name[128];
            snprintf(name, sizeof name, "%s-%03zu", op, json_object_size(seen));
            write_seed("validate", name, text, len);
            write_str("codec", name, body);
            uint8_t *cb = NULL;
            size_t cb_len = 0;
            if (sim_json_to_cbor_op(json_object_get(c, "input"), op, SIM_CBOR_INPUT, &cb, &cb_len) == 0)
                write_seed("cbor", name, cb, cb_len);
            free(cb);
        }
        free(text);
        free(body);
    }
    json_decref(seen);
    json_decref(bodies);

    write_str("codec", "content-type-json", "application/x-amz-json-1.1");
    write_str("codec", "content-type-cbor", "Application/X-Amz-Cbor-1.1; charset=utf-8");
    write_str("codec", "content-type-plain", " application/json ");
    write_str("codec", "nested",
              "{\"a\":[{\"b\":{\"c\":[1,2.5,-3e10,true,null,\"\\u00e9\\ud83d\\ude00\"]}}]}");
    write_str("validate", "regex-stream-name", "[a-zA-Z0-9_.-]+");
    write_str("validate", "regex-arn", "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
    write_str("validate", "regex-tag", "^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$");
    write_str("validate", "regex-lazy", "(?:a+?|\\d*?)\\w\\s\\D\\W\\S");
}

/* ------------------------------------------------------------------ vars */

static void seeds_vars(void)
{
    write_str("vars", "stream", "${stream}-suffix");
    write_str("vars", "md5int", "${md5int:${key}}");
    write_str("vars", "b64", "${b64:hello world}");
    write_str("vars", "repeat", "${repeat:3:ab}");
    write_str("vars", "add", "${add:340282366920938463463374607431768211455:1}");
    write_str("vars", "sub", "${sub:${n}:1}");
    write_str("vars", "escape", "$${literal} and ${flag} and ${list}");
    write_str("vars", "now", "${now} ${now_ms}");
    write_str("vars", "unknown", "${nope}");
    write_str("vars", "unclosed", "${stream");
    write_str("vars", "big-pair", "99999999999999999999999999999999999999999\n1");
    write_str("vars", "zero-pair", "000\n0");
}

/* ------------------------------------------------------------------ eventstream */

static void seeds_eventstream(void)
{
    const char *ev =
        "{\"Records\":[{\"SequenceNumber\":\"49590338271490256608559692538361571095921575989136588898\","
        "\"ApproximateArrivalTimestamp\":1.7E9,\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"k\"}],"
        "\"ContinuationSequenceNumber\":\"49590338271490256608559692538361571095921575989136588898\","
        "\"MillisBehindLatest\":0,\"ChildShards\":[]}";
    uint8_t *a = NULL, *b = NULL, *c = NULL;
    size_t al = 0, bl = 0, cl = 0;
    if (eventstream_encode_event("initial-response", NULL, (const uint8_t *)"{}", 2, &a, &al) == 0)
        write_seed("eventstream", "initial-response", a, al);
    if (eventstream_encode_event("SubscribeToShardEvent", NULL, (const uint8_t *)ev, strlen(ev), &b, &bl) ==
        0)
        write_seed("eventstream", "event", b, bl);
    const char *ex = "{\"message\":\"Rate exceeded\"}";
    if (eventstream_encode_exception("ResourceInUseException", NULL, (const uint8_t *)ex, strlen(ex), &c,
                                     &cl) == 0)
        write_seed("eventstream", "exception", c, cl);
    if (a && b && c) {
        uint8_t *all = malloc(al + bl + cl);
        if (all) {
            memcpy(all, a, al);
            memcpy(all + al, b, bl);
            memcpy(all + al + bl, c, cl);
            write_seed("eventstream", "three-frames", all, al + bl + cl);
            free(all);
        }
    }
    free(a);
    free(b);
    free(c);
    es_header h[10];
    memset(h, 0, sizeof h);
    static const char *const names[10] = {"t",    "f",     "byte",   "short", "int",
                                          "long", "bytes", "string", "ts",    "uuid"};
    for (int i = 0; i < 10; i++) {
        h[i].name = names[i];
        h[i].name_len = strlen(names[i]);
        h[i].type = (es_value_type)i;
    }
    h[0].v.b = true;
    h[2].v.i = -7;
    h[3].v.i = -300;
    h[4].v.i = 70000;
    h[5].v.i = -5000000000LL;
    h[6].v.bytes.ptr = (const uint8_t *)"\x00\x01\x02";
    h[6].v.bytes.len = 3;
    h[7].v.bytes.ptr = (const uint8_t *)"text";
    h[7].v.bytes.len = 4;
    h[8].v.i = 1700000000000LL;
    memcpy(h[9].v.uuid, "0123456789abcdef", 16);
    uint8_t *out = NULL;
    size_t ol = 0;
    if (eventstream_encode(h, 10, (const uint8_t *)"payload", 7, &out, &ol) == 0)
        write_seed("eventstream", "every-header-type", out, ol);
    free(out);
}

/* ------------------------------------------------------------------ client */

static void seeds_client(void)
{
    write_str("client", "put-record",
              "{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":"
              "\"49590338271490256608559692538361571095921575989136588898\",\"EncryptionType\":\"NONE\"}");
    write_str(
        "client", "put-records",
        "{\"FailedRecordCount\":1,\"Records\":[{\"ShardId\":\"shardId-000000000000\",\"SequenceNumber\":"
        "\"49590338271490256608559692538361571095921575989136588898\"},{\"ErrorCode\":"
        "\"ProvisionedThroughputExceededException\",\"ErrorMessage\":\"Rate exceeded for shard "
        "shardId-000000000001\"},{\"ShardId\":\"shardId-000000000001\",\"SequenceNumber\":\"1\"}],"
        "\"EncryptionType\":\"KMS\"}");
    write_str(
        "client", "list-shards",
        "{\"Shards\":[{\"ShardId\":\"shardId-000000000000\",\"HashKeyRange\":{\"StartingHashKey\":\"0\","
        "\"EndingHashKey\":\"170141183460469231731687303715884105727\"},\"SequenceNumberRange\":"
        "{\"StartingSequenceNumber\":\"49590338271490256608559692538361571095921575989136588898\"}},"
        "{\"ShardId\":\"shardId-000000000002\",\"ParentShardId\":\"shardId-000000000000\","
        "\"AdjacentParentShardId\":\"shardId-000000000001\",\"HashKeyRange\":{\"StartingHashKey\":"
        "\"170141183460469231731687303715884105728\",\"EndingHashKey\":"
        "\"340282366920938463463374607431768211455\"},\"SequenceNumberRange\":{\"StartingSequenceNumber\":"
        "\"1\",\"EndingSequenceNumber\":\"2\"}}],\"NextToken\":\"AAAAAAAAAAE=\"}");
    write_str("client", "get-shard-iterator",
              "{\"ShardIterator\":\"AAAAAAAAAAGK9EEG0sJqVeCAzpbK1Bp1xXyD3mG8a5fTRfIGbF4M0Q==\"}");
    write_str(
        "client", "get-records",
        "{\"Records\":[{\"SequenceNumber\":\"49590338271490256608559692538361571095921575989136588898\","
        "\"ApproximateArrivalTimestamp\":1.700000000123E9,\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"k\","
        "\"EncryptionType\":\"NONE\"}],\"NextShardIterator\":\"AAAAAAAAAAE=\",\"MillisBehindLatest\":0}");
    write_str(
        "client", "get-records-end",
        "{\"Records\":[],\"MillisBehindLatest\":0,\"ChildShards\":[{\"ShardId\":\"shardId-000000000002\","
        "\"ParentShards\":[\"shardId-000000000000\",\"shardId-000000000001\"],\"HashKeyRange\":"
        "{\"StartingHashKey\":\"0\",\"EndingHashKey\":\"340282366920938463463374607431768211455\"}}]}");
    write_str("client", "describe-stream-summary",
              "{\"StreamDescriptionSummary\":{\"StreamName\":\"s\",\"StreamARN\":"
              "\"arn:aws:kinesis:us-east-1:000000000000:stream/s\",\"StreamStatus\":\"ACTIVE\","
              "\"StreamModeDetails\":{\"StreamMode\":\"PROVISIONED\"},\"RetentionPeriodHours\":24,"
              "\"StreamCreationTimestamp\":1700000000.5,\"EnhancedMonitoring\":[{\"ShardLevelMetrics\":[]}],"
              "\"EncryptionType\":\"NONE\",\"OpenShardCount\":2,\"ConsumerCount\":0}}");
    write_str("client", "list-streams",
              "{\"StreamNames\":[\"a\",\"b\"],\"HasMoreStreams\":true,\"NextToken\":\"tok\","
              "\"StreamSummaries\":[]}");
    write_str("client", "error-validation",
              "{\"__type\":\"ValidationException\",\"message\":\"1 validation error detected: Value 'x' at "
              "'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
              "[a-zA-Z0-9_.-]+\"}");
    write_str("client", "error-serialization",
              "{\"__type\":\"com.amazon.coral.service#SerializationException\",\"Message\":\"Start of list "
              "found\"}");
    write_str("client", "credentials",
              "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n"
              "aws_session_token=token\n\n[profile other]\r\naws_access_key_id=x\r\n# comment\n; comment\n");
}

/* ------------------------------------------------------------------ auth, faults, base64 */

static void seeds_more(void)
{
    write_str("auth", "credentials",
              "# key secret account\nAKIDEXAMPLE wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY 123456789012\n"
              "\n  AKID2\tsecret2\n");
    write_str("auth", "credentials-bad", "AKID secret 12345\n");
    size_t n;
    char **names = list_dir("fixtures/faults", &n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len < 5 || strcmp(names[i] + len - 5, ".json") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "fixtures/faults/%s", names[i]);
        char *text = read_file(path, &len);
        if (text)
            write_seed("faults", names[i], text, len);
        free(text);
    }
    free_list(names, n);
    write_str("faults", "every-effect",
              "{\"seed\": 7, \"rules\": ["
              "{\"name\": \"entries\", \"match\": {\"operations\": [\"PutRecords\", \"PutRecord\"], "
              "\"stream\": \"orders*\", \"partition_key\": \"user-[0-9]*\"}, \"when\": {\"every\": 2}, "
              "\"max_fires\": 10, \"effect\": {\"entry_error\": \"ProvisionedThroughputExceededException\"}},"
              "{\"match\": {\"shard\": \"shardId-000000000003\"}, \"when\": {\"from\": 1, \"to\": 2}, "
              "\"effect\": {\"error\": \"InternalFailure\", \"status\": 500, \"message\": \"boom\", "
              "\"latency_ms\": 5}},"
              "{\"match\": {\"shard\": 0, \"operation\": \"*\"}, \"effect\": {\"truncate\": 5}},"
              "{\"effect\": {\"malform\": true}, \"when\": {\"probability\": 0.5}},"
              "{\"effect\": {\"latency_ms\": 100}},"
              "{\"effect\": {\"drop\": \"after\"}, \"when\": {\"nth\": 3}}]}");
    static const char *const b64[] = {
        "", "AA==", "AAE=", "AAEC", "aGVsbG8gd29ybGQ=", "/+/+", "AB==", "A===", "QUJD\nREVG"};
    for (size_t i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "b64-%zu", i);
        write_str("base64", name, b64[i]);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR   (run from the repository root)\n", argv[0]);
        return 2;
    }
    root_dir = argv[1];
    if (mkdir(root_dir, 0755) != 0 && errno != EEXIST) {
        perror(root_dir);
        return 1;
    }
    seeds_ids();
    seeds_sigv4();
    seeds_requests();
    seeds_vars();
    seeds_eventstream();
    seeds_client();
    seeds_more();
    sim_cbor_codec_cleanup();
    printf("seeds: wrote %d files under %s\n", n_written, root_dir);
    return 0;
}
