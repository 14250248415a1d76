#!/bin/sh
# ci/compat/awscli.sh: the compat flow (ci/compat/run, `make compat`) with the AWS CLI (v1 or v2).
#
# Same flow as boto3_flow.py and js/flow.mjs, through the `aws kinesis` commands a user types:
# create (2 shards) and `aws kinesis wait stream-exists`, list, describe and summary, put-record
# (raw bytes from a file), put-records, list-shards (paged), get-shard-iterator and get-records
# with a byte round trip, split and merge, tags, retention up and down, the error a missing stream
# gives, delete and `wait stream-not-exists`. Answers are read with jq. Each difference is printed
# as one `DIFF` line; exit 1 if there was any, 2 if the flow could not run (no aws, no jq).
#
# Usage: awscli.sh ENDPOINT_URL [STREAM_NAME]   (AWS_CLI=/path/to/aws picks the CLI)
# Credentials and region come from the environment (the runner sets dummy ones).
set -u

EP=${1:?usage: awscli.sh ENDPOINT_URL [STREAM_NAME]}
NAME=${2:-compat-awscli-$$-$(date +%s)}
AWS=${AWS_CLI:-aws}
command -v "$AWS" >/dev/null 2>&1 || { echo "awscli.sh: $AWS not found" >&2; exit 2; }
command -v jq >/dev/null 2>&1 || { echo "awscli.sh: jq not found" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/compat-awscli.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
ndiff=0
ncalls=0

version=$("$AWS" --version 2>&1)
echo "$version"
# v2 reads blobs given inline as base64 unless told otherwise; v1 sends the text itself.
case $version in
aws-cli/1.*) major=1 ;;
*) major=2 ;;
esac

diff_() {
    ndiff=$((ndiff + 1))
    echo "DIFF $1: $2"
}
# eq STEP FIELD GOT WANT
eq() {
    [ "$3" = "$4" ] || diff_ "$1" "$2 is '$3', expected '$4'"
}

# k OUTFILE ARGS...: one `aws kinesis` call; answer in $tmp/OUTFILE, stderr in $tmp/OUTFILE.err.
k() {
    out=$1
    shift
    ncalls=$((ncalls + 1))
    timeout 120 "$AWS" --endpoint-url "$EP" --output json --cli-read-timeout 15 \
        --cli-connect-timeout 5 kinesis "$@" >"$tmp/$out" 2>"$tmp/$out.err"
}
# call STEP OUTFILE ARGS...: a call that must succeed.
call() {
    step=$1
    shift
    if ! k "$@"; then
        diff_ "$step" "call failed: $(tr '\n' ' ' <"$tmp/$1.err" | cut -c1-400)"
        return 1
    fi
}
# j OUTFILE FILTER: a jq query on an answer (raw output, "null" when absent).
j() { jq -r "$2" "$tmp/$1" 2>/dev/null; }
# expect_error STEP CODE ARGS...: a call that must fail with error CODE.
expect_error() {
    step=$1
    code=$2
    shift 2
    if k err "$@"; then
        diff_ "$step" "call succeeded, expected $code"
    elif ! grep -q "($code)" "$tmp/err.err"; then
        diff_ "$step" "expected $code, got: $(tr '\n' ' ' <"$tmp/err.err" | cut -c1-300)"
    fi
}
# wait_active STEP: poll describe-stream-summary until ACTIVE, at most 30 s.
wait_active() {
    i=0
    while [ $i -lt 60 ]; do
        k sum describe-stream-summary --stream-name "$NAME" &&
            [ "$(j sum .StreamDescriptionSummary.StreamStatus)" = ACTIVE ] && return 0
        sleep 0.5
        i=$((i + 1))
    done
    diff_ "$1" "stream not ACTIVE after 30 s"
    return 1
}
# read_shard STEP SHARD_ID OUTFILE [closed]: all records of a shard from TRIM_HORIZON as one JSON
# array in $tmp/OUTFILE; with "closed", read to the end and leave the last answer in $tmp/last.
read_shard() {
    step=$1
    sid=$2
    echo '[]' >"$tmp/$3"
    call "$step" it get-shard-iterator --stream-name "$NAME" --shard-id "$sid" \
        --shard-iterator-type TRIM_HORIZON || return 1
    it=$(j it .ShardIterator)
    n=0
    while [ "$it" != null ] && [ -n "$it" ] && [ $n -lt 6 ]; do
        [ $n -gt 0 ] && sleep 0.25 # AWS allows 5 GetRecords per second per shard
        n=$((n + 1))
        call "$step" last get-records --shard-iterator "$it" --limit 100 || return 1
        jq -s '.[0] + .[1].Records' "$tmp/$3" "$tmp/last" >"$tmp/acc" && mv "$tmp/acc" "$tmp/$3"
        it=$(j last '.NextShardIterator // "null"')
        if [ "${4:-}" != closed ] && [ "$(j last '.Records | length')" = 0 ]; then
            break
        fi
    done
    if [ "${4:-}" = closed ] && [ "$it" != null ]; then
        diff_ "$step" "$sid: NextShardIterator still set after $n reads of a closed shard"
    fi
    return 0
}

flow() {
    # -- create and wait ACTIVE ------------------------------------------------------------------
    call CreateStream c create-stream --stream-name "$NAME" --shard-count 2 || return 1
    if ! k w wait stream-exists --stream-name "$NAME"; then
        diff_ "wait stream-exists" "$(tr '\n' ' ' <"$tmp/w.err" | cut -c1-300)"
        return 1
    fi
    expect_error "CreateStream again" ResourceInUseException create-stream --stream-name "$NAME" \
        --shard-count 1

    # -- list, describe --------------------------------------------------------------------------
    call ListStreams ls list-streams &&
        eq ListStreams "$NAME listed" "$(j ls "[.StreamNames[] | select(. == \"$NAME\")] | length")" 1
    call DescribeStream d describe-stream --stream-name "$NAME" || return 1
    eq DescribeStream StreamName "$(j d .StreamDescription.StreamName)" "$NAME"
    arn=$(j d .StreamDescription.StreamARN)
    case $arn in
    arn:aws:kinesis:*:stream/"$NAME") ;;
    *) diff_ DescribeStream "StreamARN is '$arn'" ;;
    esac
    eq DescribeStream StreamStatus "$(j d .StreamDescription.StreamStatus)" ACTIVE
    eq DescribeStream RetentionPeriodHours "$(j d .StreamDescription.RetentionPeriodHours)" 24
    eq DescribeStream EncryptionType "$(j d .StreamDescription.EncryptionType)" NONE
    eq DescribeStream "shard ids" "$(j d '[.StreamDescription.Shards[].ShardId] | join(",")')" \
        "shardId-000000000000,shardId-000000000001"
    eq DescribeStream "hash ranges" \
        "$(j d '[.StreamDescription.Shards[].HashKeyRange | .StartingHashKey, .EndingHashKey] | join(",")')" \
        "0,170141183460469231731687303715884105727,170141183460469231731687303715884105728,340282366920938463463374607431768211455"
    eq DescribeStream "shards with a digit StartingSequenceNumber" \
        "$(j d '[.StreamDescription.Shards[].SequenceNumberRange.StartingSequenceNumber | select(test("^[0-9]+$"))] | length')" 2
    call DescribeStreamSummary s describe-stream-summary --stream-name "$NAME" || return 1
    eq DescribeStreamSummary StreamARN "$(j s .StreamDescriptionSummary.StreamARN)" "$arn"
    eq DescribeStreamSummary OpenShardCount "$(j s .StreamDescriptionSummary.OpenShardCount)" 2
    eq DescribeStreamSummary ConsumerCount "$(j s .StreamDescriptionSummary.ConsumerCount)" 0
    eq DescribeStreamSummary StreamStatus "$(j s .StreamDescriptionSummary.StreamStatus)" ACTIVE

    # -- put ---------------------------------------------------------------------------------------
    # Every byte value, from a file (fileb:// sends the bytes as they are in v1 and v2).
    i=0
    : >"$tmp/blob"
    while [ $i -lt 256 ]; do
        # shellcheck disable=SC2059 # the format is the octal escape of byte $i
        printf "\\$(printf %03o $i)" >>"$tmp/blob"
        i=$((i + 1))
    done
    blob_b64=$(base64 -w0 <"$tmp/blob")
    call PutRecord p put-record --stream-name "$NAME" --partition-key pk-single \
        --data "fileb://$tmp/blob" || return 1
    seq0=$(j p .SequenceNumber)
    case $seq0 in '' | *[!0-9]*) diff_ PutRecord "SequenceNumber is '$seq0'" ;; esac
    # MD5("pk-single") starts with 0xa1: the upper half of the key space, shard 1.
    eq PutRecord ShardId "$(j p .ShardId)" shardId-000000000001

    if [ $major = 2 ]; then
        fmt="--cli-binary-format base64"
        recs='[{"Data":"AAEC/w==","PartitionKey":"pk-3"},{"Data":"aGVsbG8=","PartitionKey":"pk-1"},{"Data":"w6nimIM=","PartitionKey":"pk-4"}]'
    else
        fmt=""
        recs='[{"Data":"raw text 0","PartitionKey":"pk-3"},{"Data":"hello","PartitionKey":"pk-1"},{"Data":"\u00e9\u2603","PartitionKey":"pk-4"}]'
    fi
    # shellcheck disable=SC2086 # $fmt is one option or nothing
    call PutRecords pr put-records --stream-name "$NAME" --records "$recs" $fmt || return 1
    eq PutRecords FailedRecordCount "$(j pr .FailedRecordCount)" 0
    eq PutRecords "results with a SequenceNumber" \
        "$(j pr '[.Records[] | select(.SequenceNumber | test("^[0-9]+$"))] | length')" 3
    # MD5 of pk-3, pk-1, pk-4 start with 0x0f, 0xce, 0x0c: shards 0, 1, 0.
    eq PutRecords ShardIds "$(j pr '[.Records[].ShardId] | join(",")')" \
        "shardId-000000000000,shardId-000000000001,shardId-000000000000"

    # -- list shards -------------------------------------------------------------------------------
    call ListShards lsh list-shards --stream-name "$NAME" &&
        eq ListShards "shard ids" "$(j lsh '[.Shards[].ShardId] | join(",")')" \
            "shardId-000000000000,shardId-000000000001"
    call "ListShards paged" lp list-shards --stream-name "$NAME" --max-results 1 &&
        eq "ListShards paged" "page 1" "$(j lp '[.Shards[].ShardId] | join(",")')" shardId-000000000000
    tok=$(j lp '.NextToken // ""')
    if [ -z "$tok" ]; then
        diff_ "ListShards paged" "no NextToken after page 1 of 2"
    else
        call "ListShards paged" lp2 list-shards --next-token "$tok" --max-results 1 &&
            eq "ListShards paged" "page 2" "$(j lp2 '[.Shards[].ShardId] | join(",")')" shardId-000000000001
    fi

    # -- get records: bytes round trip -------------------------------------------------------------
    read_shard GetRecords shardId-000000000000 r0
    read_shard GetRecords shardId-000000000001 r1
    got=$(jq -s -r '[.[0][], .[1][]] | map("\(.PartitionKey)=\(.Data)") | sort | join(" ")' \
        "$tmp/r0" "$tmp/r1")
    want=$(jq -r -n --arg b "$blob_b64" --argjson r "$recs" --argjson v1 "$([ $major = 1 ] && echo true || echo false)" \
        '[$r[] | "\(.PartitionKey)=\(if $v1 then (.Data | @base64) else .Data end)"] + ["pk-single=\($b)"] | sort | join(" ")')
    eq GetRecords "records (key=base64)" "$got" "$want"
    eq GetRecords "records with ApproximateArrivalTimestamp" \
        "$(jq -s '[.[0][], .[1][] | select(.ApproximateArrivalTimestamp != null)] | length' "$tmp/r0" "$tmp/r1")" 4
    call "GetShardIterator AT_SEQUENCE_NUMBER" it get-shard-iterator --stream-name "$NAME" \
        --shard-id shardId-000000000001 --shard-iterator-type AT_SEQUENCE_NUMBER \
        --starting-sequence-number "$seq0" &&
        call "GetRecords AT_SEQUENCE_NUMBER" g get-records --shard-iterator "$(j it .ShardIterator)" --limit 1 &&
        eq "GetRecords AT_SEQUENCE_NUMBER" "first record" "$(j g '.Records[0] | "\(.SequenceNumber) \(.Data)"')" "$seq0 $blob_b64"

    # -- reshard: split shard 0 at 2^126, merge the children back ----------------------------------
    call SplitShard sp split-shard --stream-name "$NAME" --shard-to-split shardId-000000000000 \
        --new-starting-hash-key 85070591730234615865843651857942052864 || return 1
    wait_active SplitShard || return 1
    call SplitShard lsh list-shards --stream-name "$NAME" || return 1
    eq SplitShard "shards" "$(j lsh '[.Shards[] | "\(.ShardId)<\(.ParentShardId // "-")"] | join(",")')" \
        "shardId-000000000000<-,shardId-000000000001<-,shardId-000000000002<shardId-000000000000,shardId-000000000003<shardId-000000000000"
    eq SplitShard "parent EndingSequenceNumber set" \
        "$(j lsh '.Shards[0].SequenceNumberRange.EndingSequenceNumber | test("^[0-9]+$")')" true
    read_shard "SplitShard read parent" shardId-000000000000 rp closed
    eq "SplitShard read parent" ChildShards "$(j last '[.ChildShards[]?.ShardId] | join(",")')" \
        "shardId-000000000002,shardId-000000000003"

    call MergeShards m merge-shards --stream-name "$NAME" --shard-to-merge shardId-000000000002 \
        --adjacent-shard-to-merge shardId-000000000003 || return 1
    wait_active MergeShards || return 1
    call MergeShards lsh list-shards --stream-name "$NAME" || return 1
    eq MergeShards "new shard" \
        "$(j lsh '.Shards[4] | "\(.ShardId) \(.ParentShardId) \(.AdjacentParentShardId) \(.HashKeyRange.StartingHashKey)-\(.HashKeyRange.EndingHashKey)"')" \
        "shardId-000000000004 shardId-000000000002 shardId-000000000003 0-170141183460469231731687303715884105727"
    call MergeShards s describe-stream-summary --stream-name "$NAME" &&
        eq MergeShards OpenShardCount "$(j s .StreamDescriptionSummary.OpenShardCount)" 2
    # The merged parents hold no records: the first read must already end the shard.
    read_shard "MergeShards read parent" shardId-000000000002 rm closed
    eq "MergeShards read parent" ChildShards "$(j last '[.ChildShards[]?.ShardId] | join(",")')" \
        "shardId-000000000004"

    # -- tags ----------------------------------------------------------------------------------------
    call AddTagsToStream t add-tags-to-stream --stream-name "$NAME" --tags team=compat,env=ci
    call ListTagsForStream t list-tags-for-stream --stream-name "$NAME" &&
        eq ListTagsForStream Tags "$(j t '[.Tags[] | "\(.Key)=\(.Value)"] | sort | join(",")')" "env=ci,team=compat"
    call RemoveTagsFromStream t remove-tags-from-stream --stream-name "$NAME" --tag-keys env
    call ListTagsForStream t list-tags-for-stream --stream-name "$NAME" &&
        eq "ListTagsForStream after remove" Tags "$(j t '[.Tags[] | "\(.Key)=\(.Value)"] | join(",")')" "team=compat"

    # -- retention -------------------------------------------------------------------------------------
    call IncreaseStreamRetentionPeriod x increase-stream-retention-period --stream-name "$NAME" \
        --retention-period-hours 48 && wait_active IncreaseStreamRetentionPeriod &&
        eq IncreaseStreamRetentionPeriod RetentionPeriodHours "$(j sum .StreamDescriptionSummary.RetentionPeriodHours)" 48
    call DecreaseStreamRetentionPeriod x decrease-stream-retention-period --stream-name "$NAME" \
        --retention-period-hours 24 && wait_active DecreaseStreamRetentionPeriod &&
        eq DecreaseStreamRetentionPeriod RetentionPeriodHours "$(j sum .StreamDescriptionSummary.RetentionPeriodHours)" 24

    # -- errors ----------------------------------------------------------------------------------------
    expect_error "DescribeStream missing" ResourceNotFoundException describe-stream-summary \
        --stream-name "$NAME-missing"
    expect_error "PutRecord validation" ValidationException put-record --stream-name "bad name!" \
        --partition-key k --data "fileb://$tmp/blob"

    # -- delete ----------------------------------------------------------------------------------------
    call DeleteStream x delete-stream --stream-name "$NAME" || return 1
    if ! k w wait stream-not-exists --stream-name "$NAME"; then
        diff_ "wait stream-not-exists" "$(tr '\n' ' ' <"$tmp/w.err" | cut -c1-300)"
    fi
    call ListStreams ls list-streams &&
        eq "ListStreams after delete" "$NAME listed" "$(j ls "[.StreamNames[] | select(. == \"$NAME\")] | length")" 0
    return 0
}

if ! flow; then
    diff_ "flow stopped" "a step the rest depends on failed"
    k x delete-stream --stream-name "$NAME" # best effort, for a shared endpoint
fi
if [ $ndiff -gt 0 ]; then
    echo "awscli.sh: $ndiff difference(s)"
    exit 1
fi
echo "awscli.sh: all checks passed ($ncalls calls)"
exit 0
