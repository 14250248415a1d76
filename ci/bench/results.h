/* results.h: the bench's raw results turned into one JSON document, and that document into the
 * data of a gnuplot chart (ci/bench/results.c; the command is ci/bench/bench_json.c, called at the
 * end of ci/bench/run).
 *
 * The raw results are the files ci/bench/run leaves in its temporary directory, per server NAME:
 *   NAME          RESULT lines of build/loadgen, one per run ("RESULT mode=M key=value ...")
 *   NAME.startup  loadgen's STARTUP line ("STARTUP runs=N median_ms=... idle_rss_mib=...")
 *   NAME.hwm      peak RSS under load (VmHWM), in MiB
 *   NAME.verify   "stored-records check: OK (N acknowledged, M read back)" (or FAILED)
 *   NAME.skipped  why the server was not measured (one line)
 * Every file is optional. Every numeric key=value of a RESULT line becomes the median of its runs,
 * and every other one (check=ok) its value, or the list of its distinct values when runs differ
 * ("-" counts as none; stream, one run's own, is left out), so a new load mode or a new field
 * shows in the JSON without a change here. */
#ifndef BENCH_RESULTS_H
#define BENCH_RESULTS_H

#include <jansson.h>
#include <stddef.h>

/* The median of n values (sorted in place): the middle one, or the mean of the two middle ones. */
double results_median(double *v, size_t n);

/* One server's object: {"modes": {MODE: {"runs": N, FIELD: median, ...}}, "startup": {...},
 * "peak_rss_mib": N, "stored_records": {...}, "skipped": "..."}; members whose file is missing
 * are left out. Modes appear in the order of their first RESULT line. NULL on a read error other
 * than a missing file. */
json_t *results_server(const char *dir, const char *name);

/* The whole document. servers[i] is "LABEL=NAME" or "NAME" (label = name); the first is the
 * baseline, which the others are compared with in "ratios". ceiling (may be NULL) is the name of
 * the null-answer server's results: "ceiling" gets, per mode, its req/s and the baseline's fraction
 * of it. meta is merged in first (it holds date, machine, commit, settings). NULL on error. */
json_t *results_document(const char *dir, const char *const *servers, size_t n_servers, const char *ceiling,
                         json_t *meta);

/* doc as indented JSON in path: written to path.tmp, then renamed over path, so a reader never
 * sees half a file. 0, or -1 (errno set). */
int results_write(json_t *doc, const char *path);

/* Set meta[path] = value where path is dotted ("machine.nproc"), creating the objects on the way.
 * 0, or -1 when a part of the path is already a non-object. value's reference is taken. */
int results_meta_set(json_t *meta, const char *path, json_t *value);

/* The figure the ratios and the chart use for one load: records/s when the baseline's requests
 * carried several records each, requests/s otherwise (PutRecord, ListStreams); *per_request says
 * which. -1 when the server has no such mode. */
double results_throughput(json_t *doc, const char *server_label, const char *mode, int *per_request);

/* A gnuplot script fragment with the chart's data: `title = "..."`, `ncols = N` and an inline data
 * block $data with a header row (the servers measured) and a row per load (NaN where a server has
 * no figure; 0 where none of its answers fell inside the measured window). Loads: those of the baseline that
 * at least one other server ran, or all the baseline's when no other server ran. Returns a malloc'd string,
 * or NULL on error. */
char *results_chart_data(json_t *doc);

/* The document as a Markdown table, the shape of README's and docs/performance.md's: a row per load
 * of the baseline (its throughput per server, then "RATIOx (PER-CPU-RATIOx)" against each other
 * server that ran), then start-up, idle RSS, peak RSS and the ceiling rows. "-" where a figure is
 * missing. Returns a
 * malloc'd string, or NULL on error. */
char *results_table(json_t *doc);

#endif
