/* test_checkpoint.c: the consumer's file-backed checkpoint store (client/src/checkpoint_file.c):
 * what is saved is what a new store on the same file loads, per stream and shard; the file is
 * replaced whole (no temporary left behind); a damaged file is refused with its line number. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kinesis/kinesis.h"

static char path[128];

static void setup(void)
{
    snprintf(path, sizeof path, "/tmp/kinesis-ckpt-test-%d-%d", (int)getpid(), rand());
    unlink(path);
}

static void teardown(void)
{
    unlink(path);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

Test(checkpoint, saved_positions_are_loaded_by_a_new_store)
{
    kinesis_error *err = NULL;
    kinesis_checkpoint_store *s = kinesis_checkpoint_store_file(path, &err);
    cr_assert_not_null(s, "a missing file is an empty store: %s", err ? err->message : "");
    char *seq = (char *)1;
    uint64_t sub = 9;
    int whole = 9;
    cr_assert_eq(s->load(s->self, "orders", "shardId-000000000000", &seq, &sub, &whole), 0);
    cr_expect_null(seq, "no checkpoint yet");
    cr_assert_eq(s->save(s->self, "orders", "shardId-000000000000", "4960001", 0, 1), 0);
    cr_assert_eq(s->save(s->self, "orders", "shardId-000000000001", "4960002", 7, 0), 0);
    cr_assert_eq(s->save(s->self, "other", "shardId-000000000000", KINESIS_CHECKPOINT_SHARD_END, 0, 1), 0);
    cr_assert_eq(s->save(s->self, "orders", "shardId-000000000000", "4960003", 2, 1), 0); /* replaces */
    kinesis_checkpoint_store_free(s);
    cr_expect_neq(access(path, F_OK), -1, "the file was written");
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    cr_expect_eq(access(tmp, F_OK), -1, "no temporary file left behind");

    s = kinesis_checkpoint_store_file(path, &err);
    cr_assert_not_null(s);
    cr_assert_eq(s->load(s->self, "orders", "shardId-000000000000", &seq, &sub, &whole), 0);
    cr_expect_str_eq(seq, "4960003");
    cr_expect_eq(sub, 2);
    cr_expect_eq(whole, 1);
    free(seq);
    cr_assert_eq(s->load(s->self, "orders", "shardId-000000000001", &seq, &sub, &whole), 0);
    cr_expect_str_eq(seq, "4960002");
    cr_expect_eq(sub, 7);
    cr_expect_eq(whole, 0);
    free(seq);
    cr_assert_eq(s->load(s->self, "other", "shardId-000000000000", &seq, &sub, &whole), 0);
    cr_expect_str_eq(seq, KINESIS_CHECKPOINT_SHARD_END);
    free(seq);
    cr_assert_eq(s->load(s->self, "other", "shardId-000000000001", &seq, &sub, &whole), 0);
    cr_expect_null(seq);
    cr_expect_eq(s->save(s->self, "has space", "shardId-1", "1", 0, 1), -1, "names with spaces are refused");
    kinesis_checkpoint_store_free(s);
}

Test(checkpoint, a_damaged_file_is_refused)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("orders shardId-000000000000 4960001 0 1\norders shardId-000000000001\n", f);
    fclose(f);
    kinesis_error *err = NULL;
    kinesis_checkpoint_store *s = kinesis_checkpoint_store_file(path, &err);
    cr_expect_null(s);
    cr_assert_not_null(err);
    cr_expect_str_eq(err->name, KINESIS_ERR_CONFIGURATION);
    cr_expect(strstr(err->message, "line 2") != NULL, "message names the line: %s", err->message);
    kinesis_error_free(err);
    err = NULL;
    cr_expect_null(kinesis_checkpoint_store_file(NULL, &err));
    cr_expect_str_eq(err->name, KINESIS_ERR_INVALID_PARAMETER);
    kinesis_error_free(err);
}
