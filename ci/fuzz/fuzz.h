/* fuzz.h: what every harness in ci/fuzz/ shares.
 *
 * Each fuzz_<name>.c defines its entry point with FUZZ_ENTRY(name). Built by ci/fuzz/run with
 * clang -fsanitize=fuzzer it is libFuzzer's LLVMFuzzerTestOneInput; built with -DFUZZ_REPLAY
 * (ci/fuzz/replay.c, a Criterion test) it is fuzz_<name>_one, so every harness links into one
 * test binary that replays the seed corpora and the crash regressions under gcc, ASan and valgrind.
 * A harness returns 0 and reports a broken invariant with FUZZ_CHECK, which aborts (a crash for
 * libFuzzer, a failed test for Criterion). */
#ifndef CI_FUZZ_H
#define CI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef FUZZ_REPLAY
#define FUZZ_ENTRY(name)                                                                                     \
    int fuzz_##name##_one(const uint8_t *data, size_t size);                                                 \
    int fuzz_##name##_one(const uint8_t *data, size_t size)
#else
#define FUZZ_ENTRY(name)                                                                                     \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);                                            \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

/* Abort with the failed condition and its place: the fuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);                \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

/* A NUL-terminated malloc'd copy of the input (NULL only when out of memory). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

#endif
