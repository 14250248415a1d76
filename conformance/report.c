/* report.c: console lines, the operations table and the TAP / JUnit / JSON writers (see report.h). */
#include "report.h"
#include "vars.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void cf_print_case_line(FILE *f, const cf_outcome *o)
{
    if (o->res.passed)
        fprintf(f, "ok   %s", o->c->name);
    else if (o->res.skipped)
        fprintf(f, "skip %s: %s", o->c->name, o->res.reason ? o->res.reason : "skipped");
    else {
        /* one line per case: a reason quoting a peer's multi-line answer is shown with \n */
        fprintf(f, "FAIL %s: ", o->c->name);
        for (const char *p = o->res.reason ? o->res.reason : "failed"; *p; p++) {
            if (*p == '\n' || *p == '\r')
                fputs(*p == '\n' ? "\\n" : "\\r", f);
            else
                fputc(*p, f);
        }
    }
    if (o->c->gap)
        fprintf(f, "  [gap: %s]", o->c->gap);
    fputc('\n', f);
}

void cf_print_op_table(FILE *f, char *const *ops, size_t n_ops, const cf_outcome *o, size_t n)
{
    fprintf(f, "\n%-32s %6s %6s %6s\n", "operation", "passed", "failed", "gaps");
    size_t uncovered = 0;
    for (size_t k = 0; k < n_ops; k++) {
        size_t pass = 0, failn = 0, gaps = 0;
        for (size_t j = 0; j < n; j++) {
            if (!cf_case_has_tag(o[j].c, ops[k]) || o[j].res.skipped)
                continue;
            if (o[j].res.passed)
                pass++;
            else
                failn++;
            if (o[j].c->gap)
                gaps++;
        }
        if (pass + failn == 0) {
            fprintf(f, "%-32s %6s %6s %6s  not covered\n", ops[k], "-", "-", "-");
            uncovered++;
        } else {
            fprintf(f, "%-32s %6zu %6zu %6zu\n", ops[k], pass, failn, gaps);
        }
    }
    fprintf(f, "%zu of %zu operations covered\n\n", n_ops - uncovered, n_ops);
}

void cf_count_evidence(const cf_outcome *o, size_t n, size_t *passed, size_t *failed)
{
    for (int k = 0; k < CF_SOURCE_KINDS; k++)
        passed[k] = failed[k] = 0;
    for (size_t j = 0; j < n; j++) {
        cf_source_kind k = cf_case_evidence(o[j].c);
        if (o[j].res.passed)
            passed[k]++;
        else if (!o[j].res.skipped) /* a skipped case is neither */
            failed[k]++;
    }
}

void cf_print_evidence(FILE *f, const cf_outcome *o, size_t n)
{
    size_t passed[CF_SOURCE_KINDS], failed[CF_SOURCE_KINDS];
    cf_count_evidence(o, n, passed, failed);
    fprintf(f, "cases by evidence:\n");
    for (int k = 0; k < CF_SOURCE_KINDS; k++) {
        if (passed[k] + failed[k] == 0 && k == CF_SOURCE_NONE)
            continue;
        fprintf(f, "%6zu  %-9s %6zu passed %6zu failed\n", passed[k] + failed[k],
                cf_source_kind_name((cf_source_kind)k), passed[k], failed[k]);
    }
    fputc('\n', f);
}

/* TAP: the description may not contain '#' (it starts a directive) or a newline. */
static void tap_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc(*s == '#' ? '_' : (*s == '\n' || *s == '\r') ? ' ' : *s, f);
}

int cf_write_tap(FILE *f, const cf_outcome *o, size_t n)
{
    fprintf(f, "TAP version 13\n1..%zu\n", n);
    size_t passed[CF_SOURCE_KINDS], failed[CF_SOURCE_KINDS];
    cf_count_evidence(o, n, passed, failed);
    for (int k = 0; k < CF_SOURCE_KINDS; k++)
        if (passed[k] + failed[k])
            fprintf(f, "# evidence %s: %zu cases, %zu passed, %zu failed\n",
                    cf_source_kind_name((cf_source_kind)k), passed[k] + failed[k], passed[k], failed[k]);
    for (size_t k = 0; k < n; k++) {
        fprintf(f, "%s %zu - ", o[k].res.passed || o[k].res.skipped ? "ok" : "not ok", k + 1);
        tap_text(f, o[k].c->name);
        if (o[k].res.skipped) {
            fputs(" # SKIP ", f);
            tap_text(f, o[k].res.reason);
            fputc('\n', f);
            continue;
        }
        fputc('\n', f);
        if (!o[k].res.passed || o[k].c->gap || o[k].c->n_sources) {
            fprintf(f, "  ---\n");
            fprintf(f, "  evidence: %s\n", cf_source_kind_name(cf_case_evidence(o[k].c)));
            if (o[k].c->n_sources) {
                fprintf(f, "  source:\n");
                for (size_t j = 0; j < o[k].c->n_sources; j++) {
                    json_t *s = json_string(o[k].c->sources[j]);
                    char *q = json_dumps(s, JSON_ENCODE_ANY);
                    fprintf(f, "    - %s\n", q ? q : "\"\"");
                    free(q);
                    json_decref(s);
                }
            }
            if (!o[k].res.passed) {
                json_t *s = json_string(o[k].res.reason ? o[k].res.reason : "failed");
                char *q = json_dumps(s, JSON_ENCODE_ANY);
                fprintf(f, "  message: %s\n", q ? q : "\"failed\"");
                free(q);
                json_decref(s);
            }
            if (o[k].c->gap)
                fprintf(f, "  gap: true\n");
            fprintf(f, "  duration_ms: %lld\n  ...\n", (long long)o[k].res.duration_ms);
        }
    }
    return ferror(f) ? -1 : 0;
}

static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        switch (ch) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            /* XML 1.0 forbids most control characters, even escaped */
            if (ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r')
                fputc('?', f);
            else
                fputc(ch, f);
        }
    }
}

int cf_write_junit(FILE *f, const cf_outcome *o, size_t n, const char *suite_name, double wall_seconds)
{
    size_t failures = 0, skipped = 0;
    for (size_t k = 0; k < n; k++) {
        skipped += o[k].res.skipped != 0;
        failures += !o[k].res.passed && !o[k].res.skipped;
    }
    /* the suite's time is the run's wall time: with --jobs the cases overlap, so their sum is not */
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"");
    xml_text(f, suite_name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", n, failures,
            skipped, wall_seconds);
    size_t ev_pass[CF_SOURCE_KINDS], ev_fail[CF_SOURCE_KINDS];
    cf_count_evidence(o, n, ev_pass, ev_fail);
    fprintf(f, "    <properties>\n");
    for (int k = 0; k < CF_SOURCE_KINDS; k++)
        fprintf(f,
                "      <property name=\"evidence.%s.passed\" value=\"%zu\"/>\n"
                "      <property name=\"evidence.%s.failed\" value=\"%zu\"/>\n",
                cf_source_kind_name((cf_source_kind)k), ev_pass[k], cf_source_kind_name((cf_source_kind)k),
                ev_fail[k]);
    fprintf(f, "    </properties>\n");
    for (size_t k = 0; k < n; k++) {
        const char *name = o[k].c->name, *slash = strrchr(name, '/');
        fprintf(f, "    <testcase classname=\"");
        if (slash) {
            char *cls = strndup(name, (size_t)(slash - name));
            xml_text(f, cls);
            free(cls);
        } else {
            xml_text(f, "conformance");
        }
        fprintf(f, "\" name=\"");
        xml_text(f, name);
        fprintf(f, "\" time=\"%.3f\"", (double)o[k].res.duration_ms / 1000.0);
        if (o[k].res.passed && !o[k].c->gap && !o[k].c->n_sources) {
            fprintf(f, "/>\n");
            continue;
        }
        fprintf(f, ">\n");
        if (o[k].c->n_sources) {
            fprintf(f, "      <properties>\n        <property name=\"evidence\" value=\"%s\"/>\n",
                    cf_source_kind_name(cf_case_evidence(o[k].c)));
            for (size_t j = 0; j < o[k].c->n_sources; j++) {
                fprintf(f, "        <property name=\"source\" value=\"");
                xml_text(f, o[k].c->sources[j]);
                fprintf(f, "\"/>\n");
            }
            fprintf(f, "      </properties>\n");
        }
        if (o[k].res.skipped) {
            fprintf(f, "      <skipped message=\"");
            xml_text(f, o[k].res.reason);
            fprintf(f, "\"/>\n");
        } else if (!o[k].res.passed) {
            fprintf(f, "      <failure message=\"");
            xml_text(f, o[k].res.reason);
            fprintf(f, "\">");
            xml_text(f, o[k].res.reason);
            fprintf(f, "</failure>\n");
        }
        if (o[k].c->gap) {
            fprintf(f, "      <system-out>gap: ");
            xml_text(f, o[k].c->gap);
            fprintf(f, "</system-out>\n");
        }
        fprintf(f, "    </testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return ferror(f) ? -1 : 0;
}

int cf_write_json(FILE *f, const cf_outcome *o, size_t n)
{
    json_t *cases = json_array();
    size_t passed = 0, skipped = 0;
    for (size_t k = 0; k < n; k++) {
        json_t *tags = json_array();
        for (size_t t = 0; t < o[k].c->n_tags; t++)
            json_array_append_new(tags, json_string(o[k].c->tags[t]));
        json_t *one = json_pack("{sssbsIso}", "name", o[k].c->name, "passed", o[k].res.passed, "duration_ms",
                                (json_int_t)o[k].res.duration_ms, "tags", tags);
        if (o[k].res.reason)
            json_object_set_new(one, "reason", json_string(o[k].res.reason));
        if (o[k].res.skipped)
            json_object_set_new(one, "skipped", json_true());
        else if (!o[k].res.passed)
            json_object_set_new(one, "kind", json_string(cf_failure_kind(o[k].res.reason)));
        if (o[k].c->gap)
            json_object_set_new(one, "gap", json_string(o[k].c->gap));
        json_t *src = json_array();
        for (size_t j = 0; j < o[k].c->n_sources; j++)
            json_array_append_new(src, json_string(o[k].c->sources[j]));
        json_object_set_new(one, "source", src);
        json_object_set_new(one, "evidence", json_string(cf_source_kind_name(cf_case_evidence(o[k].c))));
        json_array_append_new(cases, one);
        passed += o[k].res.passed != 0;
        skipped += o[k].res.skipped != 0;
    }
    size_t ev_pass[CF_SOURCE_KINDS], ev_fail[CF_SOURCE_KINDS];
    cf_count_evidence(o, n, ev_pass, ev_fail);
    json_t *evidence = json_object();
    for (int k = 0; k < CF_SOURCE_KINDS; k++)
        json_object_set_new(
            evidence, cf_source_kind_name((cf_source_kind)k),
            json_pack("{sIsI}", "passed", (json_int_t)ev_pass[k], "failed", (json_int_t)ev_fail[k]));
    json_t *root =
        json_pack("{sIsIsIsoso}", "passed", (json_int_t)passed, "failed", (json_int_t)(n - passed - skipped),
                  "skipped", (json_int_t)skipped, "evidence", evidence, "cases", cases);
    int rc = json_dumpf(root, f, JSON_INDENT(2));
    fputc('\n', f);
    json_decref(root);
    return rc < 0 || ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------------ failure kinds */

/* The reason's text after the step location ("steps[2].steps[0]#3 (GetRecords): "). */
static const char *after_location(const char *r)
{
    const char *p = strstr(r, "): ");
    if (!strncmp(r, "steps[", 6) && p)
        return p + 3;
    if (!strncmp(r, "steps[", 6) && (p = strstr(r, ": ")))
        return p + 2;
    return r;
}

const char *cf_failure_kind(const char *reason)
{
    if (!reason)
        return "other";
    if (!strncmp(reason, "not run", 7))
        return "not run";
    if (strstr(reason, "no answer") || strstr(reason, "Couldn't connect") ||
        strstr(reason, "Timeout was reached"))
        return "no answer";
    if (strstr(reason, "timed out after"))
        return "timed out";
    if (!strncmp(reason, "setup:", 6))
        return "setup failed";
    const char *r = after_location(reason);
    if (!strncmp(r, "(polled until the wait ran out): ", 33))
        r += 33;
    if (strstr(r, "got UnknownOperationException") || strstr(r, "HTTP 400 UnknownOperationException"))
        return "operation not supported";
    if (strstr(r, "expected, got success") || (!strncmp(r, "HTTP status 2", 13) && strstr(r, "(no error")))
        return "accepted a request that must be refused";
    if (!strncmp(r, "expected success, got", 21))
        return "refused a valid request";
    if (!strncmp(r, "error ", 6) || (strstr(r, "none of the") && strstr(r, "error ")))
        return "different error name";
    if (!strncmp(r, "HTTP status", 11))
        return "different HTTP status";
    if (!strncmp(r, "message", 7))
        return "different error message";
    if (!strncmp(r, "field ", 6) || !strncmp(r, "header ", 7) || !strncmp(r, "capture", 7) ||
        !strncmp(r, "body ", 5) || !strncmp(r, "none of the", 11))
        return "different answer content";
    if (strstr(r, "still held after"))
        return "loop did not end";
    return "other";
}

void cf_print_failure_kinds(FILE *f, const cf_outcome *o, size_t n)
{
    const char *kinds[32];
    size_t counts[32], nk = 0, failed = 0;
    for (size_t k = 0; k < n; k++) {
        if (o[k].res.passed || o[k].res.skipped)
            continue;
        failed++;
        const char *kind = cf_failure_kind(o[k].res.reason);
        size_t j = 0;
        while (j < nk && strcmp(kinds[j], kind))
            j++;
        if (j == nk && nk < 32) {
            kinds[nk] = kind;
            counts[nk++] = 0;
        }
        if (j < nk)
            counts[j]++;
    }
    if (!failed)
        return;
    /* most frequent first; equal counts keep their first-seen order */
    for (size_t a = 1; a < nk; a++)
        for (size_t b = a; b > 0 && counts[b] > counts[b - 1]; b--) {
            size_t c = counts[b];
            counts[b] = counts[b - 1];
            counts[b - 1] = c;
            const char *t = kinds[b];
            kinds[b] = kinds[b - 1];
            kinds[b - 1] = t;
        }
    fprintf(f, "failures by kind:\n");
    for (size_t j = 0; j < nk; j++)
        fprintf(f, "%6zu  %s\n", counts[j], kinds[j]);
    fputc('\n', f);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cf_model_operations(const char *model_path, size_t *n, char *err, size_t err_len)
{
    json_error_t jerr;
    json_t *m = json_load_file(model_path, 0, &jerr);
    if (!m) {
        cf_fmt(err, err_len, "%s:%d: %s", model_path, jerr.line, jerr.text);
        return NULL;
    }
    const json_t *ops = json_object_get(m, "operations");
    if (!json_is_object(ops)) {
        cf_fmt(err, err_len, "%s: no \"operations\" object", model_path);
        json_decref(m);
        return NULL;
    }
    char **v = calloc(json_object_size(ops) + 1, sizeof *v);
    size_t k = 0;
    const char *key;
    const json_t *val;
    json_object_foreach((json_t *)ops, key, val) v[k++] = strdup(key);
    qsort(v, k, sizeof *v, cmp_str);
    *n = k;
    json_decref(m);
    return v;
}

void cf_free_strings(char **v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(v[k]);
    free(v);
}
