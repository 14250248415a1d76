/* test_case.c: the case parser (case.c) and the case selection (select.c): valid files, broken
 * files with a clear message naming file and line, automatic operation tags, tag expressions. */
#include <criterion/criterion.h>
#include <string.h>

#include "case.h"
#include "select.h"

static int parse(const char *text, cf_case_list *out, char *err, size_t n)
{
    return cf_parse_cases(text, "t.json", "area/t", out, err, n);
}

static void expect_broken(const char *text, const char *where, const char *fragment)
{
    cf_case_list l = {0};
    char err[1024] = "";
    cr_assert_eq(parse(text, &l, err, sizeof err), -1, "should be rejected: %s", text);
    cr_assert_eq(l.n, 0);
    cr_assert(strstr(err, where), "message '%s' lacks location '%s'", err, where);
    cr_assert(strstr(err, fragment), "message '%s' lacks '%s'", err, fragment);
}

Test(case_parser, single_case)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text =
        "{\"description\": \"d\", \"source\": \"inferred: a unit test case\", \"tags\": [\"aws\", "
        "\"streams\"],\n"
        " \"setup\": {\"streams\": [{\"shards\": 2}]},\n"
        " \"steps\": [{\"op\": \"DescribeStream\", \"body\": {\"StreamName\": \"${stream}\"},\n"
        "   \"expect\": {\"fields\": [{\"path\": \"StreamDescription.Shards\", \"length\": 2}]}},\n"
        "  {\"raw\": {\"target\": \"ListStreams\", \"body\": \"{}\"}},\n"
        "  {\"op\": \"${dynamic}\"}],\n"
        " \"cleanup\": [{\"op\": \"DeleteStream\", \"body\": {\"StreamName\": \"${stream}\"}}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.n, 1);
    cf_case *c = &l.items[0];
    cr_assert_str_eq(c->name, "area/t");
    cr_assert_str_eq(c->description, "d");
    cr_assert_null(c->gap);
    cr_assert(cf_case_has_tag(c, "aws"));
    cr_assert(cf_case_has_tag(c, "streams"));
    cr_assert(cf_case_has_tag(c, "DescribeStream"), "operation names become tags");
    cr_assert(cf_case_has_tag(c, "ListStreams"), "raw targets become tags");
    cr_assert(!cf_case_has_tag(c, "DeleteStream"), "cleanup calls are not what the case tests");
    cr_assert(!cf_case_has_tag(c, "${dynamic}"));
    cr_assert_eq(c->n_ops, 2);
    cf_case_list_free(&l);
}

Test(case_parser, multi_case_file)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text =
        "{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"cases\": [\n"
        " {\"name\": \"one\", \"steps\": [{\"op\": \"ListStreams\"}]},\n"
        " {\"name\": \"two\", \"tags\": [\"slow\"], \"gap\": \"not yet\", \"steps\": [{\"sleep_ms\": 1}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].name, "area/t/one");
    cr_assert_str_eq(l.items[1].name, "area/t/two");
    cr_assert(cf_case_has_tag(&l.items[1], "aws"), "file tags are inherited");
    cr_assert(cf_case_has_tag(&l.items[1], "slow"));
    cr_assert_str_eq(l.items[1].gap, "not yet");
    cf_case_list_free(&l);
}

Test(case_parser, syntax_error_names_file_and_line)
{
    expect_broken("{\n \"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"],\n \"steps\": [\n  "
                  "{\"op\": \"ListStreams\",}\n ]\n}",
                  "t.json:4:", "");
}

Test(case_parser, structural_errors_name_file_line_and_place)
{
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"],\n \"steps\": [{\"op\": "
                  "\"ListStreams\"},\n"
                  "  {\"op\": \"ListStreams\", \"expect\": {\"stauts\": 200}}]}",
                  "t.json:3: case 'area/t': steps[1].expect", "unknown key 'stauts'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"ListStreams\", \"raw\": {}}]}",
                  "steps[0]", "exactly one of");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": []}", "steps",
                  "non-empty");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"]}", "t.json:1",
                  "needs 'steps'");
    expect_broken("{\"tags\": [\"streams\"], \"steps\": [{\"op\": \"ListStreams\"}]}", "t.json", "\"aws\"");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"status\": \"400\"}}]}",
                  "steps[0].expect", "'status' must be");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"message_re\": \"(\"}}]}",
                  "steps[0].expect", "bad regular expression");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"fields\": [{\"path\": \"A\"}]}}]}",
                  "steps[0].expect.fields[0]", "at least one condition");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"fields\": [{\"path\": \"A\", "
                  "\"type\": \"text\"}]}}]}",
                  "fields[0]", "unknown type");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"fields\": [{\"path\": \"A\", "
                  "\"bigger\": 1}]}}]}",
                  "fields[0]", "unknown key 'bigger'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"error\": \"A\", \"any_of\": "
                  "[{\"error\": \"B\"}, {\"error\": \"C\"}]}}]}",
                  "steps[0].expect", "inside the alternatives");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"repeat\": 0}]}",
                  "steps[0]", "repeat");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": "
                  "[{\"sleep_ms\": 1, \"expect\": {}}]}",
                  "steps[0]", "belong to op or raw");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"setup\": "
                  "{\"streams\": [{\"shards\": 0}]}, \"steps\": [{\"sleep_ms\": 1}]}",
                  "setup.streams[0]", "1..1000");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"raw\": "
                  "{\"headers\": {\"A\": 1}}}]}",
                  "steps[0].raw", "header 'A'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"capture\": {\"a\": 1}}]}",
                  "capture", "capture 'a'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"cases\": [{\"steps\": "
                  "[{\"sleep_ms\": 1}]}]}",
                  "t.json", "needs a 'name'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"cases\": [{\"name\": "
                  "\"a\", \"steps\": [{\"sleep_ms\": 1}]},"
                  " {\"name\": \"a\", \"steps\": [{\"sleep_ms\": 1}]}]}",
                  "area/t/a", "duplicate");
    expect_broken("[1, 2]", "t.json:1", "one JSON object");
}

Test(case_parser, line_points_at_the_offending_case)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text = "{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"cases\": [\n"
                       " {\"name\": \"good\", \"steps\": [{\"op\": \"ListStreams\", \"note\": \"x\"}]},\n"
                       " {\"name\": \"bad\",\n"
                       "  \"steps\": [{\"op\": \"ListStreams\",\n"
                       "   \"note\": 5}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), -1);
    cr_assert(strstr(err, "t.json:5: case 'area/t/bad'"), "%s", err);
    cr_assert_eq(l.n, 0, "a broken file adds no case");
}

Test(case_parser, files_from_the_test_data_directory)
{
    cf_case_list l = {0};
    char err[512] = "";
    cr_assert_eq(
        cf_load_case_file("conformance/tests/data/broken-syntax.json", "broken-syntax", &l, err, sizeof err),
        -1);
    cr_assert(strstr(err, "conformance/tests/data/broken-syntax.json:4:"), "%s", err);
    cr_assert_eq(
        cf_load_case_file("conformance/tests/data/broken-key.json", "broken-key", &l, err, sizeof err), -1);
    cr_assert(
        strstr(err,
               "conformance/tests/data/broken-key.json:6: case 'broken-key': steps[1].expect: unknown key "
               "'stauts'"),
        "%s", err);
    cr_assert_eq(cf_load_case_file("conformance/tests/data/nope.json", "nope", &l, err, sizeof err), -1);
    cr_assert(strstr(err, "nope.json"), "%s", err);
    cr_assert_eq(cf_load_case_file("conformance/tests/data/must-fail.json", "must-fail", &l, err, sizeof err),
                 0, "%s", err);
    cf_case_list_free(&l);
}

Test(case_parser, the_checked_in_suite_loads)
{
    cf_case_list l = {0};
    char err[1024] = "";
    cr_assert_eq(cf_load_cases_dir("fixtures/conformance", &l, err, sizeof err), 0, "%s", err);
    cr_assert_gt(l.n, 0);
    cf_case_list_free(&l);
}

Test(select, tag_expressions_and_globs)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text = "{\"cases\": [\n"
                       " {\"name\": \"a\", \"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], "
                       "\"steps\": [{\"op\": \"ListStreams\"}]},\n"
                       " {\"name\": \"b\", \"source\": \"inferred: a unit test case\", \"tags\": [\"aws\", "
                       "\"slow\"], \"steps\": [{\"op\": \"PutRecord\"}]},\n"
                       " {\"name\": \"c\", \"tags\": [\"sim\"], \"steps\": [{\"sleep_ms\": 1}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cf_case *a = &l.items[0], *b = &l.items[1], *c = &l.items[2];
    cr_assert(cf_tags_match(a, NULL) && cf_tags_match(c, ""));
    cr_assert(cf_tags_match(a, "aws") && cf_tags_match(b, "aws") && !cf_tags_match(c, "aws"));
    cr_assert(cf_tags_match(a, "aws,sim") && cf_tags_match(c, "aws,sim"));
    cr_assert(cf_tags_match(a, "aws,!slow") && !cf_tags_match(b, "aws,!slow") &&
              !cf_tags_match(c, "aws,!slow"));
    cr_assert(cf_tags_match(c, "!slow") && !cf_tags_match(b, "!slow"));
    cr_assert(cf_tags_match(b, "PutRecord") && !cf_tags_match(a, "PutRecord"));
    char *pats[] = {"area/t/a", "*/c"};
    cr_assert(cf_name_match(a, pats, 2) && !cf_name_match(b, pats, 2) && cf_name_match(c, pats, 2));
    cr_assert(cf_name_match(b, NULL, 0));
    cf_case_list_free(&l);
}

Test(case_parser, exclusive_from_tag_key_or_file)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text = "{\"tags\": [\"sim\"], \"cases\": [\n"
                       " {\"name\": \"plain\", \"steps\": [{\"sleep_ms\": 1}]},\n"
                       " {\"name\": \"by-tag\", \"tags\": [\"exclusive\"], \"steps\": [{\"sleep_ms\": 1}]},\n"
                       " {\"name\": \"by-key\", \"exclusive\": true, \"steps\": [{\"sleep_ms\": 1}]},\n"
                       " {\"name\": \"key-false\", \"exclusive\": false, \"steps\": [{\"sleep_ms\": 1}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.n, 4);
    cr_assert_eq(l.items[0].exclusive, 0);
    cr_assert_eq(l.items[1].exclusive, 1);
    cr_assert_eq(l.items[2].exclusive, 1);
    cr_assert(cf_case_has_tag(&l.items[2], "exclusive"),
              "the key adds the tag, so --tags exclusive selects it");
    cr_assert_eq(l.items[3].exclusive, 0);
    cf_case_list_free(&l);
    const char *file = "{\"tags\": [\"sim\", \"exclusive\"], \"cases\": [{\"name\": \"a\", \"steps\": "
                       "[{\"sleep_ms\": 1}]}]}";
    cr_assert_eq(parse(file, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.items[0].exclusive, 1, "a file's exclusive tag makes every case exclusive");
    cf_case_list_free(&l);
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"exclusive\": \"yes\", "
                  "\"steps\": [{\"sleep_ms\": 1}]}",
                  "t.json", "'exclusive' must be true or false");
}

Test(case_parser, while_loops_capture_optional_and_body_checks)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *good = "{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [\n"
                       " {\"op\": \"GetShardIterator\", \"capture\": {\"it\": \"ShardIterator\"}},\n"
                       " {\"while\": {\"var\": \"it\", \"absent\": false}, \"max\": 50, \"steps\": [\n"
                       "   {\"op\": \"GetRecords\", \"body\": {\"ShardIterator\": \"${it}\"},\n"
                       "    \"capture_optional\": {\"it\": \"NextShardIterator\"}}]},\n"
                       " {\"raw\": {\"method\": \"GET\", \"path\": \"/_sim/metrics\"},\n"
                       "  \"expect\": {\"body_contains\": [\"a\", \"b\"], \"body_re\": \"^a [0-9]+$\"}}]}";
    cr_assert_eq(parse(good, &l, err, sizeof err), 0, "%s", err);
    cr_assert(cf_case_has_tag(&l.items[0], "GetRecords"), "operations inside a while block count");
    cf_case_list_free(&l);

    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"var\": \"it\", \"absent\": false},"
                  " \"steps\": [{\"sleep_ms\": 1}]}]}",
                  "steps[0]", "needs \"max\"");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"var\": \"it\", \"absent\": false}, \"max\": 0,"
                  " \"steps\": [{\"sleep_ms\": 1}]}]}",
                  "steps[0]", "needs \"max\"");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"max\": "
                  "3, \"sleep_ms\": 1}]}",
                  "steps[0]", "'max' bounds a 'while' loop");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"var\": \"it\"}, \"max\": 3, \"sleep_ms\": 1}]}",
                  "steps[0].while", "at least one condition");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"absent\": false}, \"max\": 3, \"sleep_ms\": 1}]}",
                  "steps[0].while", "names a variable");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"var\": \"it\", \"present\": true}, \"max\": 3,"
                  " \"sleep_ms\": 1}]}",
                  "steps[0].while", "unknown key 'present'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"while\": "
                  "{\"var\": \"i\", \"lt\": 3}, \"max\": 3,"
                  " \"repeat\": 2, \"sleep_ms\": 1}]}",
                  "steps[0]", "one of repeat, foreach or while");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": "
                  "[{\"sleep_ms\": 1, \"capture_optional\": {\"a\": \"B\"}}]}",
                  "steps[0]", "belong to op or raw");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"capture_optional\": {\"a\": 1}}]}",
                  "capture_optional", "capture 'a'");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"body_re\": [\"ok\", \"(\"]}}]}",
                  "steps[0].expect", "bad regular expression /(/");
    expect_broken("{\"source\": \"inferred: a unit test case\", \"tags\": [\"aws\"], \"steps\": [{\"op\": "
                  "\"X\", \"expect\": {\"body_contains\": 5}}]}",
                  "steps[0].expect", "'body_contains' must be a string or a list of strings");
}

/* Evidence: an aws case needs a source; each entry is "<kind>: <text>" with the kind's rules. */
Test(case_parser, aws_case_without_source_is_a_load_error)
{
    expect_broken("{\"tags\": [\"aws\"], \"steps\": [{\"op\": \"ListStreams\"}]}", "case 'area/t'",
                  "an \"aws\" case needs a 'source'");
    expect_broken("{\"tags\": [\"aws\"], \"cases\": [\n"
                  " {\"name\": \"a\", \"source\": \"model: ListStreamsInput\", \"steps\": [{\"op\": "
                  "\"ListStreams\"}]},\n"
                  " {\"name\": \"b\", \"steps\": [{\"op\": \"ListStreams\"}]}]}",
                  "t.json:3: case 'area/t/b'", "needs a 'source'");
    /* a sim case needs none */
    cf_case_list l = {0};
    char err[512] = "";
    cr_assert_eq(parse("{\"tags\": [\"sim\"], \"steps\": [{\"sleep_ms\": 1}]}", &l, err, sizeof err), 0, "%s",
                 err);
    cr_assert_eq(l.items[0].n_sources, 0);
    cr_assert_eq(cf_case_evidence(&l.items[0]), CF_SOURCE_NONE);
    cf_case_list_free(&l);
}

Test(case_parser, source_entries_are_checked)
{
    static const char *const bad[][2] = {
        {"\"source\": \"kinesalite says so\"", "starts with \"recorded: \""},
        {"\"source\": \"recorded:\"", "starts with"},
        {"\"source\": \"recorded:   \"", "needs text"},
        {"\"source\": \"doc: https://docs.aws.amazon.com/x.html\"", "<page title> <URL>"},
        {"\"source\": \"doc: PutRecord page\"", "<page title> <URL>"},
        {"\"source\": \"model: 12abc\"", "names a shape"},
        {"\"source\": \"model: PutRecordInput/Data\"", "names a shape"},
        {"\"source\": []", "a string or a list of strings"},
        {"\"source\": 5", "a string or a list of strings"},
        {"\"source\": [\"model: PutRecordInput.Data\", \"guess\"]", "source 'guess'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char text[512];
        snprintf(text, sizeof text, "{\"tags\": [\"aws\"], %s, \"steps\": [{\"op\": \"ListStreams\"}]}",
                 bad[k][0]);
        expect_broken(text, "case 'area/t'", bad[k][1]);
    }
}

Test(case_parser, sources_kinds_and_file_default)
{
    cf_case_list l = {0};
    char err[1024] = "";
    const char *text = "{\"tags\": [\"aws\"], \"source\": \"model: PutRecordInput.Data\", \"cases\": [\n"
                       " {\"name\": \"inherits\", \"steps\": [{\"op\": \"ListStreams\"}]},\n"
                       " {\"name\": \"own\", \"source\": [\"inferred: because\", \"recorded: kinesalite "
                       "test/putRecord.js \\\"x\\\"\",\n"
                       "   \"doc: PutRecord - Amazon Kinesis Data Streams "
                       "https://docs.aws.amazon.com/kinesis/latest/APIReference/"
                       "API_PutRecord.html\"], \"steps\": [{\"op\": \"ListStreams\"}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(l.n, 2);
    cr_assert_eq(l.items[0].n_sources, 1);
    cr_assert_str_eq(l.items[0].sources[0], "model: PutRecordInput.Data");
    cr_assert_eq(cf_case_evidence(&l.items[0]), CF_SOURCE_MODEL);
    cr_assert_eq(l.items[1].n_sources, 3, "the case's own source replaces the file's");
    cr_assert_eq(l.items[1].source_kinds,
                 (1u << CF_SOURCE_INFERRED) | (1u << CF_SOURCE_RECORDED) | (1u << CF_SOURCE_DOC));
    cr_assert_eq(cf_case_evidence(&l.items[1]), CF_SOURCE_RECORDED, "the strongest kind counts");
    cr_assert_str_eq(cf_source_kind_name(CF_SOURCE_DOC), "doc");
    cr_assert_eq(cf_source_kind_parse("inferred"), CF_SOURCE_INFERRED);
    cr_assert_eq(cf_source_kind_parse("none"), -1, "none is not a kind a source can have");
    cr_assert_eq(cf_source_classify("model: Shard", NULL, 0), CF_SOURCE_MODEL);
    cr_assert_eq(cf_source_classify("model: Shard.HashKeyRange (limits)", NULL, 0), CF_SOURCE_MODEL);
    cf_case_list_free(&l);
}

Test(select, source_kinds)
{
    cf_case_list l = {0};
    char err[512] = "";
    const char *text =
        "{\"cases\": [\n"
        " {\"name\": \"r\", \"source\": [\"recorded: x\", \"model: A.b\"], \"tags\": [\"aws\"], "
        "\"steps\": [{\"op\": \"ListStreams\"}]},\n"
        " {\"name\": \"i\", \"source\": \"inferred: y\", \"tags\": [\"aws\"], "
        "\"steps\": [{\"op\": \"ListStreams\"}]},\n"
        " {\"name\": \"s\", \"tags\": [\"sim\"], \"steps\": [{\"sleep_ms\": 1}]}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cf_case *r = &l.items[0], *i = &l.items[1], *s = &l.items[2];
    cr_assert(cf_source_match(r, NULL) == 1 && cf_source_match(s, "") == 1);
    cr_assert(cf_source_match(r, "recorded") == 1 && cf_source_match(i, "recorded") == 0);
    cr_assert(cf_source_match(r, "model") == 1, "any of a case's sources selects it");
    cr_assert(cf_source_match(i, "doc,inferred") == 1 && cf_source_match(r, "doc,inferred") == 0);
    cr_assert(cf_source_match(s, "recorded") == 0 && cf_source_match(s, "inferred") == 0);
    cr_assert_eq(cf_source_match(r, "guessed"), -1);
    cf_case_list_free(&l);
}

Test(case_parser, subscription_steps)
{
    cf_case_list l = {0};
    char err[1024] = "";
    const char *text = "{\"tags\": [\"sim\"], \"steps\": [\n"
                       " {\"subscribe\": {\"name\": \"a\", \"body\": {\"ConsumerARN\": \"x\", \"ShardId\": "
                       "\"s\", \"StartingPosition\": "
                       "{\"Type\": \"LATEST\"}}, \"until\": {\"records\": 2}, \"wait_ms\": 100},\n"
                       "  \"expect\": {\"fields\": [{\"path\": \"Records\", \"length\": 2}]}, \"capture\": "
                       "{\"n\": \"Ended\"}},\n"
                       " {\"read_subscription\": {\"name\": \"a\", \"until\": \"end\"}, \"expect\": "
                       "{\"error\": \"ResourceInUseException\"}},\n"
                       " {\"read_subscription\": {}}]}";
    cr_assert_eq(parse(text, &l, err, sizeof err), 0, "%s", err);
    cr_assert(cf_case_has_tag(&l.items[0], "SubscribeToShard"), "a subscribe step calls SubscribeToShard");
    cf_case_list_free(&l);
    expect_broken("{\"tags\": [\"sim\"], \"steps\": [{\"subscribe\": {\"until\": \"end\"}}]}",
                  "steps[0].subscribe", "needs a 'body'");
    expect_broken(
        "{\"tags\": [\"sim\"], \"steps\": [{\"subscribe\": {\"body\": {}, \"until\": \"forever\"}}]}",
        "steps[0].subscribe", "'until' is \"end\"");
    expect_broken(
        "{\"tags\": [\"sim\"], \"steps\": [{\"read_subscription\": {\"until\": {\"records\": 0}}}]}",
        "steps[0].read_subscription", "(N >= 1)");
    expect_broken("{\"tags\": [\"sim\"], \"steps\": [{\"read_subscription\": {\"until\": {\"records\": 1, "
                  "\"events\": 1}}}]}",
                  "steps[0].read_subscription", "'until'");
    expect_broken("{\"tags\": [\"sim\"], \"steps\": [{\"read_subscription\": {\"body\": {}}}]}",
                  "steps[0].read_subscription", "unknown key 'body'");
    expect_broken("{\"tags\": [\"sim\"], \"steps\": [{\"read_subscription\": {}, \"poll\": true}]}",
                  "steps[0]", "no 'poll'");
    expect_broken("{\"tags\": [\"sim\"], \"steps\": [{\"subscribe\": {\"body\": {}, \"wait_ms\": 0}}]}",
                  "steps[0].subscribe", "'wait_ms' must be");
    expect_broken(
        "{\"tags\": [\"sim\"], \"steps\": [{\"subscribe\": {\"body\": {}}, \"op\": \"ListStreams\"}]}",
        "steps[0]", "exactly one of");
}
