/* faults.h: fault-injection rules. A rule says which calls it matches
 * (operations, stream, shard, partition key), when it fires among the calls it matched (nth,
 * every k-th, a window, or a probability drawn from its own seeded generator), and what it does
 * (an error answer, a failed PutRecords entry, added latency, a dropped connection, a truncated
 * or malformed answer body). Rules come from a JSON file at start (--faults FILE) or from the
 * control API; the format is documented in fixtures/faults/README.md.
 *
 * This module decides; it does not answer requests. simulation.c asks it at three points:
 *   REQUEST: before the handler (operation, stream name, partition key of PutRecord, ShardId
 *            when the input names one) - rules without a shard filter whose effect is not
 *            entry_error;
 *   SHARD:   when a handler knows the shard (GetRecords, GetShardIterator, each PutRecord(s)
 *            record) - rules with a shard filter whose effect is not entry_error;
 *   ENTRY:   each record of PutRecord/PutRecords - entry_error rules.
 * Each matching evaluation is one "call" of that rule for its trigger. Determinism: a rule's
 * generator is splitmix64 seeded from (--seed, rule id), consumed once per matching call, so the
 * same seed, rules and requests give the same faults. */
#ifndef SIM_FAULTS_H
#define SIM_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_faults sim_faults;

typedef enum {
    SIM_FAULT_POINT_REQUEST = 0,
    SIM_FAULT_POINT_SHARD = 1,
    SIM_FAULT_POINT_ENTRY = 2
} sim_fault_point;

typedef enum {
    SIM_FAULT_ERROR = 0,   /* answer with a Kinesis error (errors.h) */
    SIM_FAULT_ENTRY_ERROR, /* fail one PutRecords entry (or the PutRecord) */
    SIM_FAULT_LATENCY,     /* answer late */
    SIM_FAULT_DROP,        /* close the connection without answering */
    SIM_FAULT_TRUNCATE,    /* cut the answer body */
    SIM_FAULT_MALFORM      /* make the answer body invalid JSON */
} sim_fault_kind;

const char *sim_fault_kind_name(sim_fault_kind k);

/* What a call looks like to the matcher; NULL / -1 when the point does not know it. */
typedef struct sim_fault_call {
    const char *operation;     /* "PutRecords" */
    const char *stream;        /* stream name */
    int64_t shard;             /* shard index, -1 unknown */
    const char *partition_key; /* PutRecord(s) record's key */
} sim_fault_call;

/* A fired rule's effect, as the caller must apply it. */
typedef struct sim_fault_fire {
    uint64_t rule_id;
    sim_fault_kind kind;
    int error;             /* sim_error_code for ERROR / ENTRY_ERROR */
    int status;            /* ERROR: HTTP status override, 0 = the error's own status */
    char message[512];     /* ERROR / ENTRY_ERROR: message override, "" = the default */
    int64_t latency_ms;    /* LATENCY (also added by any rule with "latency_ms") */
    size_t truncate_bytes; /* TRUNCATE: bytes kept */
    int drop_after;        /* DROP: 1 = after the handler ran (its writes happened) */
} sim_fault_fire;

sim_faults *sim_faults_new(uint64_t seed);
void sim_faults_free(sim_faults *f);
/* Changing the seed restarts every rule's generator and call counter. */
void sim_faults_set_seed(sim_faults *f, uint64_t seed);
uint64_t sim_faults_seed(const sim_faults *f);

/* Add one rule (a JSON object, format in fixtures/faults/README.md). Returns 0 and its id, or -1
 * with a message naming the offending field. */
int sim_faults_add(sim_faults *f, const json_t *rule, uint64_t *id, char *err, size_t err_len);
/* Add a document: one rule object, an array of rules, or {"seed": N, "rules": [...]}. All or
 * nothing: on error no rule is added. Returns the number of rules added, or -1. */
int sim_faults_add_document(sim_faults *f, const json_t *doc, char *err, size_t err_len);
/* Load a file holding such a document (errors name the file and line). */
int sim_faults_load_file(sim_faults *f, const char *path, char *err, size_t err_len);
/* Remove one rule: 0, or -1 when no rule has that id. */
int sim_faults_remove(sim_faults *f, uint64_t id);
void sim_faults_clear(sim_faults *f);
size_t sim_faults_count(const sim_faults *f);
/* Every rule as given, plus "id", "calls" (matching calls seen) and "fired". New reference. */
json_t *sim_faults_to_json(const sim_faults *f);
/* Total fires of all rules since start (removed rules included). */
uint64_t sim_faults_fired_total(const sim_faults *f);

/* Evaluate the rules that belong to `point` against `call`, in rule order. Each fired rule is
 * written to fires[] (up to max) and counted. Returns the number written. */
size_t sim_faults_eval(sim_faults *f, sim_fault_point point, const sim_fault_call *call,
                       sim_fault_fire *fires, size_t max);

/* splitmix64 (Steele, Lea, Flood 2014): exposed for tests. */
uint64_t sim_splitmix64(uint64_t *state);

#endif
