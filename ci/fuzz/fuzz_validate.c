/* fuzz_validate.c: libFuzzer harness for mockserver/dispatch/validate.c, the model-driven input checks
 * every request goes through before its handler.
 *
 * The model is loaded once (sim_model_load, the embedded service-2.json). The input is
 * "<Operation>\n<JSON body>" (seeds in corpus/validate/ come from fixtures/validation/cases.json
 * and from requests of each operation); an unknown operation name picks one of the model's
 * operations by a hash of the name, so mutated names still reach the checks. The body is decoded
 * as the router does (codec_decode) and must validate or be refused with a SerializationException
 * or ValidationException and a bounded message. The input is also tried as a Java regular
 * expression (sim_regex_java_to_posix). */
#include <string.h>

#include "dispatch/validate.h"
#include "fuzz.h"
#include "wire/codec.h"

static sim_model *model(void)
{
    static sim_model *m;
    static int tried;
    if (!tried) {
        char err[256];
        tried = 1;
        m = sim_model_load(err, sizeof err);
        if (!m)
            fprintf(stderr, "fuzz_validate: model: %s\n", err);
        FUZZ_CHECK(m != NULL);
    }
    return m;
}

static const char *pick_op(const sim_model *m, const char *name)
{
    if (sim_model_has_operation(m, name))
        return name;
    size_t n = sim_model_operation_count(m);
    FUZZ_CHECK(n > 0);
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    return sim_model_operation_name(m, h % n);
}

FUZZ_ENTRY(validate)
{
    const sim_model *m = model();
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    char *nl = memchr(text, '\n', size);
    size_t body_off = nl ? (size_t)(nl - text) + 1 : 0;
    if (nl)
        *nl = '\0';
    const char *op = pick_op(m, nl ? text : "");
    json_t *in = NULL;
    if (codec_decode(CODEC_AWS_JSON, data + body_off, size - body_off, &in, NULL, 0) == CODEC_OK) {
        sim_error_code err = SIM_ERR_InternalFailureException;
        char msg[4096];
        msg[0] = '\0';
        if (sim_validate_input(m, op, in, &err, msg, sizeof msg) != 0) {
            FUZZ_CHECK(err == SIM_ERR_SerializationException || err == SIM_ERR_ValidationException);
            FUZZ_CHECK(strnlen(msg, sizeof msg) < sizeof msg);
            if (err == SIM_ERR_ValidationException)
                FUZZ_CHECK(strstr(msg, "validation error") != NULL);
        }
        /* every member read as an Integer, as handlers do */
        const char *key;
        json_t *v;
        json_object_foreach(in, key, v)
        {
            long long x = sim_validate_integer(v);
            FUZZ_CHECK(x >= -2147483648LL && x <= 2147483647LL);
        }
        json_decref(in);
    }
    if (!nl) {
        char posix[1024];
        (void)sim_regex_java_to_posix(text, posix, sizeof posix);
    }
    free(text);
    return 0;
}
