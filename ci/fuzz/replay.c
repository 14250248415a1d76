/* replay.c: Criterion test that replays every fuzz input kept in the tree through its harness:
 * the seed corpora (ci/fuzz/corpus/<harness>/) and the inputs that once crashed
 * (ci/fuzz/regressions/<harness>/). The harnesses are compiled with -DFUZZ_REPLAY (see fuzz.h),
 * so this runs under gcc, ASan and valgrind with the ordinary test binaries, and a crash found by
 * the fuzzer stays fixed. Built as test-fuzz-unit by ci/fuzz/fuzz.mk; reads the inputs from
 * $FUZZ_DIR (default ci/fuzz, relative to the repository root where tests run). Inputs named
 * *.oom are left to ci/fuzz/run, which replays them under libFuzzer's memory limits. When a harness
 * crashes, FUZZ_REPLAY_VERBOSE=1 prints each input's name before it is replayed. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);
int fuzz_ids_one(const uint8_t *data, size_t size);
int fuzz_sigv4_one(const uint8_t *data, size_t size);
int fuzz_case_one(const uint8_t *data, size_t size);
int fuzz_vars_one(const uint8_t *data, size_t size);
int fuzz_validate_one(const uint8_t *data, size_t size);
int fuzz_codec_one(const uint8_t *data, size_t size);
int fuzz_json_fast_one(const uint8_t *data, size_t size);
int fuzz_cbor_one(const uint8_t *data, size_t size);
int fuzz_eventstream_one(const uint8_t *data, size_t size);
int fuzz_client_one(const uint8_t *data, size_t size);
int fuzz_deaggregate_one(const uint8_t *data, size_t size);
int fuzz_auth_one(const uint8_t *data, size_t size);
int fuzz_faults_one(const uint8_t *data, size_t size);
int fuzz_base64_one(const uint8_t *data, size_t size);

static const char *fuzz_dir(void)
{
    const char *d = getenv("FUZZ_DIR");
    return d && *d ? d : "ci/fuzz";
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
            buf = malloc((size_t)n + 1); /* +1: never malloc(0) */
            if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            }
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

/* Feed every regular file of dir/<kind>/<name>/ to fn; returns how many (0 if no such dir). */
static size_t replay_dir(const char *kind, const char *name, fuzz_fn fn)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s/%s", fuzz_dir(), kind, name);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        /* *.oom inputs ask for gigabytes: only ci/fuzz/run replays them, under libFuzzer's limits */
        size_t nl = strlen(e->d_name);
        if (nl > 4 && strcmp(e->d_name + nl - 4, ".oom") == 0)
            continue;
        size_t len = 0;
        uint8_t *data = slurp(path, &len);
        cr_assert_not_null(data, "cannot read %s", path);
        if (getenv("FUZZ_REPLAY_VERBOSE"))
            fprintf(stderr, "replay %s\n", path); /* names a crash's input */
        cr_assert_eq(fn(data, len), 0, "%s", path);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void replay(const char *name, fuzz_fn fn)
{
    size_t seeds = replay_dir("corpus", name, fn);
    size_t regressions = replay_dir("regressions", name, fn);
    cr_assert_gt(seeds, 0, "no seeds in %s/corpus/%s (run from the repository root or set FUZZ_DIR)",
                 fuzz_dir(), name);
    cr_log_info("%s: %zu seeds, %zu regressions replayed", name, seeds, regressions);
}

Test(fuzz_replay, ids, .timeout = 300)
{
    replay("ids", fuzz_ids_one);
}
Test(fuzz_replay, sigv4, .timeout = 300)
{
    replay("sigv4", fuzz_sigv4_one);
}
Test(fuzz_replay, case_files, .timeout = 300)
{
    replay("case", fuzz_case_one);
}
Test(fuzz_replay, vars, .timeout = 300)
{
    replay("vars", fuzz_vars_one);
}
Test(fuzz_replay, validate, .timeout = 300)
{
    replay("validate", fuzz_validate_one);
}
Test(fuzz_replay, codec, .timeout = 300)
{
    replay("codec", fuzz_codec_one);
}
Test(fuzz_replay, json_fast, .timeout = 300)
{
    replay("json_fast", fuzz_json_fast_one);
}
Test(fuzz_replay, cbor, .timeout = 300)
{
    replay("cbor", fuzz_cbor_one);
}
Test(fuzz_replay, eventstream, .timeout = 300)
{
    replay("eventstream", fuzz_eventstream_one);
}
Test(fuzz_replay, client, .timeout = 300)
{
    replay("client", fuzz_client_one);
}
Test(fuzz_replay, deaggregate, .timeout = 300)
{
    replay("deaggregate", fuzz_deaggregate_one);
}
Test(fuzz_replay, auth, .timeout = 300)
{
    replay("auth", fuzz_auth_one);
}
Test(fuzz_replay, faults, .timeout = 300)
{
    replay("faults", fuzz_faults_one);
}
Test(fuzz_replay, base64, .timeout = 300)
{
    replay("base64", fuzz_base64_one);
}
