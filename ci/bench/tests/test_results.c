/* test_results.c: Criterion tests for the bench's JSON results and chart data (ci/bench/results.c):
 * raw result files of the shape ci/bench/run leaves are written into a temporary directory, and
 * the document and the chart's data made from them are checked figure by figure. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

static void setup(void)
{
    strcpy(dir, "/tmp/bench-results-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Three runs of one mode in the baseline, with its other files; a peer with two of its modes. */
static void write_fixture(void)
{
    put("sim",
        "RESULT mode=put-records-100 connections=16 rps=3000.5 recs=300050 p99_ms=12.5 errors=0 "
        "per_cpu_s=290000 stream=bench-put-records-100-1 first_error=-\n"
        "RESULT mode=put-record connections=16 rps=40000 recs=40000 p99_ms=1.1 errors=0 per_cpu_s=41000 "
        "stream=bench-put-record-1 first_error=-\n"
        "RESULT mode=put-records-100 connections=16 rps=2000 recs=200000 p99_ms=20 errors=2 "
        "per_cpu_s=280000 stream=bench-put-records-100-2 first_error=HTTP_500\n"
        "RESULT mode=put-records-100 connections=16 rps=2500 recs=250000 p99_ms=10 errors=0 "
        "per_cpu_s=300000 stream=bench-put-records-100-3 first_error=ThrottlingException\n"
        "RESULT mode=put-record-h2 connections=16 rps=42000 recs=42000 per_cpu_s=42500 stream=x\n"
        "RESULT mode=list-streams connections=16 rps=20000 recs=0.0 per_cpu_s=21000 stream=y\n"
        "a line that is not a result\n");
    put("sim.startup", "STARTUP runs=7 median_ms=5.21 min_ms=4.9 max_ms=7.5 idle_rss_mib=6.8\n");
    put("sim.hwm", "80\n");
    put("sim.verify", "stored-records check: OK (2641516 acknowledged, 2641516 read back)\n");
    put("peer", "RESULT mode=put-records-100 rps=150 recs=15000 per_cpu_s=14500 stream=a\n"
                "RESULT mode=put-record rps=4000 recs=4000 per_cpu_s=3280 stream=b\n"
                "RESULT mode=list-streams rps=5000 recs=0.0 per_cpu_s=4200 stream=c\n");
    put("peer.startup", "STARTUP runs=7 median_ms=125.05 idle_rss_mib=54.4\n");
    put("peer.verify", "stored-records check: FAILED (100 acknowledged, 99 read back)\n");
    put("gone.skipped", "did not answer ListStreams within 60 s: Error: listen EADDRINUSE\nmore\n");
    put("ceil", "RESULT mode=put-record rps=80000 recs=80000 stream=z\n"
                "RESULT mode=put-record-h2 rps=56000 recs=56000 stream=z\n");
}

static double num_at(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, "/", &save); k; k = strtok_r(NULL, "/", &save))
        v = json_object_get(v, k);
    cr_assert(json_is_number(v), "%s is not a number", path);
    return json_number_value(v);
}

static json_t *at(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, "/", &save); k; k = strtok_r(NULL, "/", &save))
        v = json_object_get(v, k);
    return v;
}

Test(results, median_of_odd_and_even_counts)
{
    double a[] = {9, 1, 5};
    cr_assert_float_eq(results_median(a, 3), 5, 1e-12);
    double b[] = {4, 1, 3, 2};
    cr_assert_float_eq(results_median(b, 4), 2.5, 1e-12);
    double c[] = {7};
    cr_assert_float_eq(results_median(c, 1), 7, 1e-12);
    cr_assert(isnan(results_median(NULL, 0)));
}

Test(results, every_field_of_every_mode_becomes_its_median, .init = setup, .fini = teardown)
{
    write_fixture();
    json_t *s = results_server(dir, "sim");
    cr_assert_not_null(s);
    cr_assert_eq(num_at(s, "modes/put-records-100/runs"), 3);
    cr_assert_float_eq(num_at(s, "modes/put-records-100/rps"), 2500, 1e-9);
    cr_assert_float_eq(num_at(s, "modes/put-records-100/recs"), 250000, 1e-9);
    cr_assert_float_eq(num_at(s, "modes/put-records-100/p99_ms"), 12.5, 1e-9);
    cr_assert_float_eq(num_at(s, "modes/put-records-100/errors"), 0, 1e-9);
    cr_assert_float_eq(num_at(s, "modes/put-records-100/per_cpu_s"), 290000, 1e-9);
    /* a run's own stream is not a figure; the errors seen are kept, "-" (none) is not */
    cr_assert_null(at(s, "modes/put-records-100/stream"));
    json_t *fe = at(s, "modes/put-records-100/first_error");
    cr_assert_eq(json_array_size(fe), 2);
    cr_assert_str_eq(json_string_value(json_array_get(fe, 0)), "HTTP_500");
    cr_assert_str_eq(json_string_value(json_array_get(fe, 1)), "ThrottlingException");
    cr_assert_null(at(s, "modes/put-record/first_error"));
    /* modes in the order of their first line */
    const char *want[] = {"put-records-100", "put-record", "put-record-h2", "list-streams"};
    size_t i = 0;
    const char *mode;
    json_t *m;
    json_object_foreach(json_object_get(s, "modes"), mode, m)
    {
        cr_assert_lt(i, 4);
        cr_assert_str_eq(mode, want[i++]);
    }
    cr_assert_eq(i, 4);
    cr_assert_float_eq(num_at(s, "startup/median_ms"), 5.21, 1e-9);
    cr_assert_float_eq(num_at(s, "startup/idle_rss_mib"), 6.8, 1e-9);
    cr_assert_eq(num_at(s, "startup/runs"), 7);
    cr_assert_eq(num_at(s, "peak_rss_mib"), 80);
    cr_assert(json_is_true(at(s, "stored_records/ok")));
    cr_assert_eq(num_at(s, "stored_records/acknowledged"), 2641516);
    cr_assert_eq(num_at(s, "stored_records/read_back"), 2641516);
    cr_assert_null(at(s, "skipped"));
    json_decref(s);

    json_t *p = results_server(dir, "peer");
    cr_assert(json_is_false(at(p, "stored_records/ok")));
    cr_assert_eq(num_at(p, "stored_records/read_back"), 99);
    json_decref(p);
}

Test(results, a_new_mode_and_a_new_field_need_no_code, .init = setup, .fini = teardown)
{
    put("sim", "RESULT mode=fanout-5x4 consumers=5 delivered_per_s=1000 server_us_per_record=3.5 check=ok\n"
               "RESULT mode=fanout-5x4 consumers=5 delivered_per_s=3000 server_us_per_record=2.5 check=ok\n"
               "RESULT mode=other check=ok\nRESULT mode=other check=FAILED\nRESULT mode=other check=ok\n");
    json_t *s = results_server(dir, "sim");
    cr_assert_eq(num_at(s, "modes/fanout-5x4/runs"), 2);
    cr_assert_float_eq(num_at(s, "modes/fanout-5x4/delivered_per_s"), 2000, 1e-9);
    cr_assert_float_eq(num_at(s, "modes/fanout-5x4/server_us_per_record"), 3.0, 1e-9);
    cr_assert_str_eq(json_string_value(at(s, "modes/fanout-5x4/check")), "ok");
    json_t *both = at(s, "modes/other/check");
    cr_assert_eq(json_array_size(both), 2, "runs that differ keep every distinct word");
    cr_assert_str_eq(json_string_value(json_array_get(both, 0)), "ok");
    cr_assert_str_eq(json_string_value(json_array_get(both, 1)), "FAILED");
    json_decref(s);
}

Test(results, missing_files_leave_members_out_and_unreadable_ones_fail, .init = setup, .fini = teardown)
{
    json_t *s = results_server(dir, "nothing");
    cr_assert_not_null(s);
    cr_assert_eq(json_object_size(s), 0);
    json_decref(s);

    write_fixture();
    json_t *g = results_server(dir, "gone");
    cr_assert_eq(json_object_size(g), 1);
    cr_assert_str_eq(json_string_value(at(g, "skipped")),
                     "did not answer ListStreams within 60 s: Error: listen EADDRINUSE");
    json_decref(g);

    char path[256];
    snprintf(path, sizeof path, "%s/adir", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    cr_assert_null(results_server(dir, "adir"), "a directory where results belong is an error");
    const char *servers[] = {"sim"};
    json_t *none = results_document(path, servers, 1, NULL, NULL);
    cr_assert_not_null(none, "an empty directory is fine");
    cr_assert_eq(json_object_size(at(none, "servers/sim")), 0);
    json_decref(none);
    snprintf(path, sizeof path, "%s/no-such-dir", dir);
    cr_assert_null(results_document(path, servers, 1, NULL, NULL), "no directory is an error");
}

Test(results, document_has_meta_ratios_and_ceiling, .init = setup, .fini = teardown)
{
    write_fixture();
    json_t *meta = json_object();
    cr_assert_eq(results_meta_set(meta, "date", json_string("2026-12-06T01:00:00Z")), 0);
    cr_assert_eq(results_meta_set(meta, "machine.nproc", json_integer(2)), 0);
    cr_assert_eq(results_meta_set(meta, "machine.cpu", json_string("Test CPU \"X\"")), 0);
    cr_assert_eq(results_meta_set(meta, "settings.runs", json_integer(3)), 0);
    cr_assert_eq(results_meta_set(meta, "date.day", json_integer(6)), -1, "date is a string, not an object");
    cr_assert_eq(results_meta_set(meta, "machine.", json_integer(6)), -1);
    const char *servers[] = {"kinesis-sim=sim", "kinesalite=peer", "kinesis-mock=gone"};
    json_t *doc = results_document(dir, servers, 3, "ceil", meta);
    json_decref(meta);
    cr_assert_not_null(doc);
    cr_assert_str_eq(json_string_value(at(doc, "baseline")), "kinesis-sim");
    cr_assert_str_eq(json_string_value(at(doc, "date")), "2026-12-06T01:00:00Z");
    cr_assert_eq(num_at(doc, "machine/nproc"), 2);
    cr_assert_eq(num_at(doc, "settings/runs"), 3);
    cr_assert_eq(num_at(doc, "servers/kinesis-sim/modes/put-record/rps"), 40000);
    cr_assert_eq(num_at(doc, "servers/kinesalite/modes/put-record/rps"), 4000);
    cr_assert_not_null(at(doc, "servers/kinesis-mock/skipped"));

    /* records/s where a request carries several, requests/s where one (PutRecord) or none */
    cr_assert_str_eq(json_string_value(at(doc, "ratios/kinesalite/modes/put-records-100/unit")), "records/s");
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/modes/put-records-100/throughput"), 16.67, 1e-9);
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/modes/put-records-100/per_cpu_s"), 20, 1e-9);
    cr_assert_str_eq(json_string_value(at(doc, "ratios/kinesalite/modes/put-record/unit")), "requests/s");
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/modes/put-record/throughput"), 10, 1e-9);
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/modes/put-record/per_cpu_s"), 12.5, 1e-9);
    cr_assert_str_eq(json_string_value(at(doc, "ratios/kinesalite/modes/list-streams/unit")), "requests/s");
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/modes/list-streams/throughput"), 4, 1e-9);
    cr_assert_null(at(doc, "ratios/kinesalite/modes/put-record-h2"), "the peer did not run it");
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/startup_faster"), 24, 1e-9);
    cr_assert_float_eq(num_at(doc, "ratios/kinesalite/idle_rss_smaller"), 8, 1e-9);
    cr_assert_null(at(doc, "ratios/kinesis-mock"), "a skipped server has no ratios");

    cr_assert_eq(num_at(doc, "ceiling/put-record/ceiling_rps"), 80000);
    cr_assert_eq(num_at(doc, "ceiling/put-record/rps"), 40000);
    cr_assert_float_eq(num_at(doc, "ceiling/put-record/fraction"), 0.5, 1e-9);
    cr_assert_float_eq(num_at(doc, "ceiling/put-record-h2/fraction"), 0.75, 1e-9);

    /* written and read back as JSON, with the same figures */
    char path[256];
    snprintf(path, sizeof path, "%s/out.json", dir);
    cr_assert_eq(results_write(doc, path), 0);
    json_error_t err;
    json_t *back = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(back, "%s:%d: %s", path, err.line, err.text);
    cr_assert(json_equal(back, doc));
    cr_assert_str_eq(json_string_value(at(back, "machine/cpu")), "Test CPU \"X\"");
    json_decref(back);
    snprintf(path, sizeof path, "%s/out.json.tmp", dir);
    cr_assert_neq(access(path, F_OK), 0, "the temporary file is renamed away");
    snprintf(path, sizeof path, "%s/no-such-dir/out.json", dir);
    cr_assert_eq(results_write(doc, path), -1);
    json_decref(doc);
}

Test(results, chart_data_has_one_row_per_load_the_peers_ran, .init = setup, .fini = teardown)
{
    write_fixture();
    json_t *meta = json_object();
    results_meta_set(meta, "date", json_string("2026-12-06T01:00:00Z"));
    results_meta_set(meta, "commit", json_string("abc1234"));
    results_meta_set(meta, "machine.nproc", json_integer(2));
    results_meta_set(meta, "machine.cpu", json_string("Test CPU \"X\""));
    results_meta_set(meta, "machine.kernel", json_string("6.1.0"));
    const char *servers[] = {"kinesis-sim=sim", "kinesalite=peer", "kinesis-mock=gone"};
    json_t *doc = results_document(dir, servers, 3, NULL, meta);
    json_decref(meta);
    char *data = results_chart_data(doc);
    cr_assert_not_null(data);
    cr_assert_not_null(
        strstr(data, "title = \"kinesis-sim vs kinesalite: throughput per load (log scale); not run: "
                     "kinesis-mock (see the JSON)\\n2026-12-06T01:00:00Z, commit abc1234, 2 x Test "
                     "CPU \\\"X\\\", Linux 6.1.0\"\n"),
        "%s", data);
    cr_assert_not_null(strstr(data, "\nncols = 3\n"), "%s", data);
    const char *rows = "$data << EOD\n"
                       "load \"kinesis-sim\" \"kinesalite\"\n"
                       "\"put-records-100\" 250000 15000\n"
                       "\"put-record (req/s)\" 40000 4000\n"
                       "\"list-streams (req/s)\" 20000 5000\n"
                       "EOD\n";
    cr_assert_not_null(strstr(data, rows), "%s", data);
    cr_assert_null(strstr(data, "put-record-h2"), "no peer ran it: %s", data);
    free(data);
    json_decref(doc);
}

Test(results, chart_data_of_the_baseline_alone_has_every_load, .init = setup, .fini = teardown)
{
    put("sim", "RESULT mode=put-record rps=40000 recs=40000\n"
               "RESULT mode=put-record-h2 rps=42000 recs=42000\n"
               "RESULT mode=get-records-1k rps=0.0 recs=0.0\n");
    const char *servers[] = {"kinesis-sim=sim"};
    json_t *doc = results_document(dir, servers, 1, NULL, NULL);
    char *data = results_chart_data(doc);
    cr_assert_not_null(data);
    cr_assert_not_null(strstr(data, "load \"kinesis-sim\"\n"
                                    "\"put-record (req/s)\" 40000\n"
                                    "\"put-record-h2 (req/s)\" 42000\n"
                                    "\"get-records-1k (req/s)\" 0\n"
                                    "EOD\n"),
                       "%s", data);
    free(data);
    json_decref(doc);

    json_t *empty = json_object();
    cr_assert_null(results_chart_data(empty), "no baseline, no chart");
    json_decref(empty);
}

Test(results, chart_data_marks_a_load_a_peer_did_not_run, .init = setup, .fini = teardown)
{
    write_fixture();
    put("peer2", "RESULT mode=put-record rps=250 recs=250 stream=d\n"
                 "RESULT mode=get-records-1k rps=0.0 recs=0.0 stream=e\n");
    put("sim", "RESULT mode=put-records-100 rps=3000 recs=300000\n"
               "RESULT mode=put-record rps=40000 recs=40000\n"
               "RESULT mode=get-records-1k rps=17 recs=170000\n");
    const char *servers[] = {"kinesis-sim=sim", "kinesalite=peer", "kinesis-mock=peer2"};
    json_t *doc = results_document(dir, servers, 3, NULL, NULL);
    char *data = results_chart_data(doc);
    cr_assert_not_null(data);
    cr_assert_not_null(strstr(data, "load \"kinesis-sim\" \"kinesalite\" \"kinesis-mock\"\n"
                                    "\"put-records-100\" 300000 15000 NaN\n"
                                    "\"put-record (req/s)\" 40000 4000 250\n"
                                    "\"get-records-1k\" 170000 NaN 0\n"
                                    "EOD\n"),
                       "%s", data);
    free(data);
    json_decref(doc);
}

Test(results, table_has_figures_and_ratios_as_the_run_prints_them, .init = setup, .fini = teardown)
{
    write_fixture();
    const char *servers[] = {"kinesis-sim=sim", "kinesalite=peer", "kinesis-mock=gone"};
    json_t *doc = results_document(dir, servers, 3, "ceil", NULL);
    char *t = results_table(doc);
    cr_assert_not_null(t);
    cr_assert_str_eq(
        t, "| load | kinesis-sim | kinesalite | vs kinesalite (per CPU-s) |\n"
           "| --- | --- | --- | --- |\n"
           "| put-records-100, records/s | 250,000 | 15,000 | 16.7x (20.0x) |\n"
           "| put-record, requests/s | 40,000 | 4,000 | 10.0x (12.5x) |\n"
           "| put-record-h2, requests/s | 42,000 | - | - (-) |\n"
           "| list-streams, requests/s | 20,000 | 5,000 | 4.0x (5.0x) |\n"
           "| start-up to first answer, ms | 5.21 | 125 | 24.0x |\n"
           "| idle RSS, MiB | 6.8 | 54.4 | 8.0x |\n"
           "| peak RSS under load, MiB | 80 | - | - |\n"
           "| put-record ceiling (null answer), requests/s | 80,000 (kinesis-sim at 50%) | - | - |\n"
           "| put-record-h2 ceiling (null answer), requests/s | 56,000 (kinesis-sim at 75%) | - | - |\n");
    free(t);
    json_decref(doc);
}
