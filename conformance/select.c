/* select.c: tag expressions and name globs (see select.h). */
#include "select.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int cf_tags_match(const cf_case *c, const char *expr)
{
    if (!expr || !*expr)
        return 1;
    char *copy = strdup(expr);
    if (!copy)
        return 0;
    int any_positive = 0, positive_hit = 0, excluded = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (t[0] == '!') {
            if (cf_case_has_tag(c, t + 1))
                excluded = 1;
        } else {
            any_positive = 1;
            if (cf_case_has_tag(c, t))
                positive_hit = 1;
        }
    }
    free(copy);
    return !excluded && (!any_positive || positive_hit);
}

int cf_name_match(const cf_case *c, char *const *patterns, size_t n_patterns)
{
    if (n_patterns == 0)
        return 1;
    for (size_t k = 0; k < n_patterns; k++)
        if (!strcmp(patterns[k], c->name) || fnmatch(patterns[k], c->name, 0) == 0)
            return 1;
    return 0;
}

int cf_source_match(const cf_case *c, const char *kinds)
{
    if (!kinds || !*kinds)
        return 1;
    char *copy = strdup(kinds);
    if (!copy)
        return 0;
    int hit = 0, bad = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int k = cf_source_kind_parse(t);
        if (k < 0)
            bad = 1;
        else if (c->source_kinds & (1u << k))
            hit = 1;
    }
    free(copy);
    return bad ? -1 : hit;
}
