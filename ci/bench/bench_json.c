/* bench_json.c: build/bench-json, which ci/bench/run calls at the end of `make bench` and
 * `make bench-peers` to keep the run's results (ci/bench/results.h says what it reads):
 *   bench-json write --dir DIR --out FILE [--ceiling NAME] [--meta PATH=STRING]...
 *                    [--meta-num PATH=NUMBER]... [--meta-bool PATH=0|1]... SERVER...
 *       the results in DIR as one JSON document in FILE (written whole, then renamed into place);
 *       SERVER is LABEL=NAME or NAME, the first being the baseline of the ratios
 *   bench-json chart FILE
 *       the chart's data from that document, as a gnuplot script fragment on stdout
 *       (ci/bench/chart.gp draws it)
 *   bench-json table FILE
 *       the document as a Markdown table on stdout, for README and docs/performance.md */
#include "results.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr,
            "usage: bench-json write --dir DIR --out FILE [--ceiling NAME] [--meta PATH=STRING]...\n"
            "                        [--meta-num PATH=NUMBER]... [--meta-bool PATH=0|1]... SERVER...\n"
            "       bench-json chart FILE\n");
    return 2;
}

static int meta_arg(json_t *meta, const char *opt, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char path[256];
    if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof path) {
        fprintf(stderr, "bench-json: %s wants PATH=VALUE, not '%s'\n", opt, arg);
        return -1;
    }
    memcpy(path, arg, (size_t)(eq - arg));
    path[eq - arg] = 0;
    const char *v = eq + 1;
    json_t *val;
    if (!strcmp(opt, "--meta")) {
        val = json_string(v);
    } else if (!strcmp(opt, "--meta-bool")) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            fprintf(stderr, "bench-json: %s %s: want 0 or 1\n", opt, path);
            return -1;
        }
        val = json_boolean(*v == '1');
    } else {
        char *end;
        errno = 0;
        double d = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(d)) {
            fprintf(stderr, "bench-json: %s %s: '%s' is not a number\n", opt, path, v);
            return -1;
        }
        val = d == floor(d) && fabs(d) < 1e15 ? json_integer((json_int_t)d) : json_real(d);
    }
    if (!val || results_meta_set(meta, path, val) < 0) {
        fprintf(stderr, "bench-json: cannot set %s\n", path);
        return -1;
    }
    return 0;
}

static int cmd_write(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *ceiling = NULL;
    json_t *meta = json_object();
    int rc = 1, i = 0;
    if (!meta)
        return 1;
    for (; i < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (i + 1 >= argc) {
            json_decref(meta);
            return usage();
        }
        const char *o = argv[i], *v = argv[i + 1];
        if (!strcmp(o, "--dir")) {
            dir = v;
        } else if (!strcmp(o, "--out")) {
            out = v;
        } else if (!strcmp(o, "--ceiling")) {
            ceiling = v;
        } else if (!strcmp(o, "--meta") || !strcmp(o, "--meta-num") || !strcmp(o, "--meta-bool")) {
            if (meta_arg(meta, o, v) < 0)
                goto done;
        } else {
            json_decref(meta);
            return usage();
        }
    }
    if (!dir || !out || i >= argc) {
        json_decref(meta);
        return usage();
    }
    json_t *doc = results_document(dir, (const char *const *)(argv + i), (size_t)(argc - i), ceiling, meta);
    if (!doc) {
        fprintf(stderr, "bench-json: cannot read the results in %s\n", dir);
        goto done;
    }
    errno = 0;
    if (results_write(doc, out) < 0)
        fprintf(stderr, "bench-json: cannot write %s: %s\n", out, strerror(errno));
    else
        rc = 0;
    json_decref(doc);
done:
    json_decref(meta);
    return rc;
}

static int cmd_print(const char *file, int table)
{
    json_error_t err;
    json_t *doc = json_load_file(file, 0, &err);
    if (!doc) {
        fprintf(stderr, "bench-json: %s:%d: %s\n", file, err.line, err.text);
        return 1;
    }
    char *data = table ? results_table(doc) : results_chart_data(doc);
    json_decref(doc);
    if (!data) {
        fprintf(stderr, "bench-json: %s holds no baseline results\n", file);
        return 1;
    }
    int rc = fputs(data, stdout) < 0 || fflush(stdout) != 0;
    free(data);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "write"))
        return cmd_write(argc - 2, argv + 2);
    if (argc == 3 && (!strcmp(argv[1], "chart") || !strcmp(argv[1], "table")))
        return cmd_print(argv[2], !strcmp(argv[1], "table"));
    return usage();
}
