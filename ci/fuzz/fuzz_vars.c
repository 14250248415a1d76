/* fuzz_vars.c: libFuzzer harness for conformance/vars.c: ${...} expansion and the big decimal
 * helpers the matchers use.
 *
 * The input is expanded as a template with a few variables (cf_expand: NULL and a reason, or a
 * string). When it is two lines of decimal digits a and b, the big-integer helpers must agree
 * with each other: cmp(a,b) == -cmp(b,a), (a + b) - b == a, and a - b exists when b <= a. */
#include <string.h>

#include "fuzz.h"
#include "vars.h"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

static void check_big(const char *s)
{
    const char *nl = strchr(s, '\n');
    if (!nl)
        return;
    char *a = fuzz_cstr((const uint8_t *)s, (size_t)(nl - s));
    const char *b = nl + 1;
    if (a && cf_is_decimal(a) && cf_is_decimal(b)) {
        int ab = cf_bigcmp(a, b);
        FUZZ_CHECK(sign(ab) == -sign(cf_bigcmp(b, a)));
        char *sum = cf_bigadd(a, b);
        if (sum) {
            FUZZ_CHECK(cf_is_decimal(sum));
            FUZZ_CHECK(cf_bigcmp(sum, a) >= 0 && cf_bigcmp(sum, b) >= 0);
            char *back = cf_bigsub(sum, b);
            FUZZ_CHECK(back && cf_bigcmp(back, a) == 0);
            free(back);
            free(sum);
        }
        if (ab >= 0) {
            char *d = cf_bigsub(a, b);
            FUZZ_CHECK(d && cf_is_decimal(d));
            free(d);
        }
    }
    free(a);
}

FUZZ_ENTRY(vars)
{
    char *s = fuzz_cstr(data, size);
    if (!s)
        return 0;
    json_t *vars = json_pack("{s:s, s:s, s:i, s:[i,i], s:b}", "stream", "fuzz-stream", "key", "k", "n", 3,
                             "list", 1, 2, "flag", 1);
    if (vars) {
        char err[512];
        err[0] = '\0';
        char *out = cf_expand(vars, s, err, sizeof err);
        if (!out)
            FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof err) < sizeof err);
        free(out);
        json_t *tmpl = json_string(s);
        if (tmpl) {
            json_t *x = cf_expand_json(vars, tmpl, err, sizeof err);
            json_decref(x);
            json_decref(tmpl);
        }
        json_decref(vars);
    }
    check_big(s);
    free(s);
    return 0;
}
