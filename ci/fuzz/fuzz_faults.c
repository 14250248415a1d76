/* fuzz_faults.c: libFuzzer harness for mockserver/simulation/faults.c, the fault rules a user gives with
 * --faults FILE or POST /_sim/faults.
 *
 * The input is a rules document (seeds in corpus/faults/ are fixtures/faults/ *.json and rules of
 * every effect). sim_faults_add_document is all or nothing: it adds every rule or none and says
 * why. Added rules are evaluated at each point against a few calls (fires bounded by max, of a
 * known kind), listed (sim_faults_to_json, one entry per rule), and removed one by one. */
#include <string.h>

#include "fuzz.h"
#include "simulation/faults.h"

FUZZ_ENTRY(faults)
{
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (!doc)
        return 0;
    sim_faults *f = sim_faults_new(42);
    if (!f) {
        json_decref(doc);
        return 0;
    }
    char err[512];
    err[0] = '\0';
    int n = sim_faults_add_document(f, doc, err, sizeof err);
    if (n < 0) {
        FUZZ_CHECK(sim_faults_count(f) == 0);
        FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof err) < sizeof err);
    } else {
        FUZZ_CHECK(sim_faults_count(f) == (size_t)n);
        static const sim_fault_call calls[] = {
            {"PutRecords", "orders-1", -1, "k"}, {"PutRecord", "s", 0, ""}, {"GetRecords", "s", 3, NULL},
            {"ListShards", NULL, -1, NULL},      {"", "", 0, NULL},
        };
        for (int round = 0; round < 3; round++) {
            for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
                for (int point = 0; point <= 2; point++) {
                    sim_fault_fire fires[4];
                    size_t k = sim_faults_eval(f, (sim_fault_point)point, &calls[c], fires, 4);
                    FUZZ_CHECK(k <= 4);
                    for (size_t i = 0; i < k; i++) {
                        FUZZ_CHECK(sim_fault_kind_name(fires[i].kind) != NULL);
                        FUZZ_CHECK(strnlen(fires[i].message, sizeof fires[i].message) <
                                   sizeof fires[i].message);
                        FUZZ_CHECK(fires[i].latency_ms >= 0);
                    }
                }
            }
        }
        json_t *list = sim_faults_to_json(f);
        FUZZ_CHECK(json_is_array(list) && json_array_size(list) == (size_t)n);
        size_t i;
        json_t *r;
        json_array_foreach(list, i, r)
        {
            json_t *id = json_object_get(r, "id");
            FUZZ_CHECK(json_is_integer(id));
            FUZZ_CHECK(sim_faults_remove(f, (uint64_t)json_integer_value(id)) == 0);
        }
        FUZZ_CHECK(sim_faults_count(f) == 0);
        json_decref(list);
    }
    sim_faults_free(f);
    json_decref(doc);
    return 0;
}
