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
    char *gap;      /* non-NULL: a known gap of the simulator (the reason, or "gap") */
    int exclusive;  /* changes global endpoint state: run alone, after the parallel cases */
    char **sources; /* the evidence: "recorded: ...", "doc: ...", "model: ...", "inferred: ..." */
    size_t n_sources;
    unsigned source_kinds; /* bit (1 << cf_source_kind) for each kind of evidence among sources */
    json_t *root;          /* the validated case object */
} cf_case;

/* Kinds of evidence a `source` entry gives, strongest first (docs/aws-behaviour.md: recorded
 * answers beat documentation, documentation beats the API model, anything beats inference). */
typedef enum cf_source_kind {
    CF_SOURCE_RECORDED = 0,
    CF_SOURCE_DOC,
    CF_SOURCE_MODEL,
    CF_SOURCE_INFERRED,
    CF_SOURCE_NONE, /* a case without a source (only `sim` cases may lack one) */
    CF_SOURCE_KINDS
} cf_source_kind;

/* "recorded", "doc", "model", "inferred", "none". */
const char *cf_source_kind_name(cf_source_kind k);
/* The kind named name ("recorded"...), or -1. */
int cf_source_kind_parse(const char *name);
/* The kind of one source entry ("doc: Title https://..." -> CF_SOURCE_DOC), or -1 when it is not
 * "<kind>: <text>" with the text rules of FORMAT.md; why says what is wrong. */
int cf_source_classify(const char *entry, char *why, size_t why_len);
/* The strongest kind of evidence a case has (CF_SOURCE_NONE when it has no source). */
cf_source_kind cf_case_evidence(const cf_case *c);

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
