/* case.h: conformance cases as data (JSON files under fixtures/conformance/, documented in FORMAT.md).
 *
 * A case file holds one case object, or {"description", "tags", "cases": [...]} with several
 * named cases that share the file's tags. Loading checks the whole structure strictly (unknown
 * keys, wrong types, bad regular expressions) so a typo is an error with file and line, never a
 * case that silently asserts nothing. The validated JSON is kept and read by the executor. */
#ifndef CF_CASE_H
#define CF_CASE_H

#include <jansson.h>
#include <stddef.h>

typedef struct cf_case {
    char *name;        /* "streams/create-basic", or "validation/put-record/partition-key-empty" */
    char *file;        /* the case file */
    char *description; /* may be NULL */
    char **tags;       /* declared tags plus the operation names the steps call */
    size_t n_tags;
    char **ops; /* operation names the steps call (a subset of tags) */
    size_t n_ops;
    char *gap;     /* non-NULL: a known gap of the simulator (the reason, or "gap") */
    int exclusive; /* changes global endpoint state: run alone, after the parallel cases */
    json_t *root;  /* the validated case object */
} cf_case;

typedef struct cf_case_list {
    cf_case *items;
    size_t n;
} cf_case_list;

/* Parse cases from text. file is used in messages; base_name is the case name for a
 * single-case file and the prefix ("base_name/<name>") in a multi-case file. Appends to out.
 * Returns 0, or -1 with "file:line: reason" in err (nothing appended). */
int cf_parse_cases(const char *text, const char *file, const char *base_name, cf_case_list *out, char *err,
                   size_t err_len);

/* Read one file (see cf_parse_cases). */
int cf_load_case_file(const char *path, const char *base_name, cf_case_list *out, char *err, size_t err_len);

/* Every *.json under dir (recursively, sorted by path); names are paths relative to dir without
 * ".json". Stops at the first broken file. */
int cf_load_cases_dir(const char *dir, cf_case_list *out, char *err, size_t err_len);

void cf_case_list_free(cf_case_list *list);
int cf_case_has_tag(const cf_case *c, const char *tag);

#endif
