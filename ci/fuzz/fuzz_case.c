/* fuzz_case.c: libFuzzer harness for conformance/case.c, the strict loader of conformance case
 * files (fixtures/conformance/ *.json, the seeds in corpus/case/).
 *
 * The input is a case file's text. cf_parse_cases must either append cases or leave the list
 * untouched and name the problem in err; every case it keeps has a name, its JSON and its tags.
 * Each kept case is then expanded as the executor would (cf_expand_json with a few variables). */
#include <string.h>

#include "case.h"
#include "fuzz.h"
#include "vars.h"

FUZZ_ENTRY(case)
{
    char *text = fuzz_cstr(data, size);
    if (!text)
        return 0;
    cf_case_list list = {0};
    char err[1024];
    err[0] = '\0';
    int rc = cf_parse_cases(text, "fuzz.json", "fuzz", &list, err, sizeof err);
    if (rc != 0) {
        FUZZ_CHECK(list.n == 0 && list.items == NULL);
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(strnlen(err, sizeof err) < sizeof err);
    } else {
        FUZZ_CHECK(list.n > 0);
        json_t *vars = json_pack("{s:s, s:s, s:i}", "stream", "fuzz-stream", "key", "k", "n", 3);
        for (size_t i = 0; i < list.n; i++) {
            const cf_case *c = &list.items[i];
            FUZZ_CHECK(c->name != NULL && strncmp(c->name, "fuzz", 4) == 0);
            FUZZ_CHECK(json_is_object(c->root));
            FUZZ_CHECK(c->n_ops <= c->n_tags);
            for (size_t t = 0; t < c->n_tags; t++)
                FUZZ_CHECK(c->tags[t] != NULL);
            (void)cf_case_has_tag(c, "aws");
            char xerr[512];
            json_t *x = vars ? cf_expand_json(vars, c->root, xerr, sizeof xerr) : NULL;
            json_decref(x);
        }
        json_decref(vars);
    }
    cf_case_list_free(&list);
    free(text);
    return 0;
}
