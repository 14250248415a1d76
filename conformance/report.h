/* report.h: the results of a run, on the console (one line per case, the operations table, the
 * failures by kind, the cases by kind of evidence, the final "N passed, M failed") and as files for
 * CI: TAP (version 13), JUnit XML, JSON; each carries every case's sources and the counts by evidence. */
#ifndef CF_REPORT_H
#define CF_REPORT_H

#include <stdio.h>

#include "case.h"
#include "exec.h"

typedef struct cf_outcome {
    const cf_case *c;
    cf_result res;
} cf_outcome;

/* The console line for one case: "ok   name", "FAIL name: reason" or "skip name: reason" (plus
 * "  [gap: why]"). */
void cf_print_case_line(FILE *f, const cf_outcome *o);
/* Per operation: cases passed, failed, gaps; "-" marks an operation no selected case covered. */
void cf_print_op_table(FILE *f, char *const *ops, size_t n_ops, const cf_outcome *o, size_t n);

/* The kind of a failure, from its reason (the reasons are the runner's own wording):
 * "operation not supported", "different error name", "different error message", "different
 * HTTP status", "different answer content", "accepted a request that must be refused", "refused
 * a valid request", "setup failed", "no answer", "timed out", "not run", "loop did not end",
 * "other". The JSON report carries it per case as "kind". */
const char *cf_failure_kind(const char *reason);
/* "failures by kind:" and one "count  kind" line per kind, most frequent first (nothing when
 * every case passed): where an endpoint deviates, at a glance. */
void cf_print_failure_kinds(FILE *f, const cf_outcome *o, size_t n);

/* Cases by evidence: "cases by evidence:" then one line per kind with cases, passed and failed,
 * each case counted once under its strongest source (recorded > doc > model > inferred; "none"
 * is a sim case without one). How much of what passed rests on recorded AWS answers. */
void cf_print_evidence(FILE *f, const cf_outcome *o, size_t n);
/* Count the outcomes by their strongest evidence: passed[k] and failed[k] per cf_source_kind. */
void cf_count_evidence(const cf_outcome *o, size_t n, size_t *passed, size_t *failed);

int cf_write_tap(FILE *f, const cf_outcome *o, size_t n);
/* wall_seconds: the run's duration, the <testsuite> time (cases overlap under --jobs). Skipped
 * cases are <skipped/> in JUnit, "# SKIP" in TAP, "skipped": true in JSON. */
int cf_write_junit(FILE *f, const cf_outcome *o, size_t n, const char *suite_name, double wall_seconds);
int cf_write_json(FILE *f, const cf_outcome *o, size_t n);

/* Operation names of an API model (service-2.json), sorted; NULL with err on failure. */
char **cf_model_operations(const char *model_path, size_t *n, char *err, size_t err_len);
void cf_free_strings(char **v, size_t n);

#endif
