#!/usr/bin/env python3
"""ci/compat/boto3_flow.py: the compat flow (ci/compat/run, `make compat`) with boto3/botocore.

Drives one stream through its life against kinesis-sim (or any Kinesis endpoint) with the real
AWS SDK for Python: create (2 shards) and wait ACTIVE, list, describe and summary, PutRecord,
PutRecords, ListShards (paged), iterators and GetRecords with a byte round trip, split and merge
with the closed parents read to their end, tags, retention up and down, errors for a missing
stream, delete and wait gone. Every answer's fields are checked; besides what botocore parses, the
raw body and headers of every answer are checked too (x-amzn-RequestId, Content-Type, no JSON
null where AWS leaves a member out). Each difference is printed as one `DIFF` line; the exit
status is 1 if there was any, 2 if the flow could not run at all (no boto3, bad arguments).

Usage: boto3_flow.py --endpoint http://127.0.0.1:PORT [--stream NAME] [--timeout-s N]
Credentials and region come from the environment (the runner sets dummy ones).
"""

import argparse
import hashlib
import json
import os
import sys
import time

try:
    import boto3
    import botocore
    from botocore.config import Config
    from botocore.exceptions import ClientError
except ImportError as exc:  # the runner reports this client as skipped
    print(f"boto3_flow: boto3 is not importable: {exc}", file=sys.stderr)
    sys.exit(2)

MAX_HASH = (1 << 128) - 1
DIFFS = []
RAW = []  # (operation, status, headers, body bytes) of every answer, filled by the hook


def diff(step, what):
    DIFFS.append(f"{step}: {what}")
    print(f"DIFF {step}: {what}", flush=True)


def check(step, cond, what):
    if not cond:
        diff(step, what)
    return cond


def eq(step, field, got, want):
    return check(step, got == want, f"{field} is {got!r}, expected {want!r}")


def is_digits(s):
    return isinstance(s, str) and s.isdigit()


def on_after_call(http_response, model, **_kwargs):
    RAW.append((model.name, http_response.status_code, dict(http_response.headers),
                http_response.content))


def find_nulls(obj, path=""):
    """Paths of JSON nulls in an answer (AWS leaves absent members out)."""
    out = []
    if obj is None:
        out.append(path or "<body>")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.extend(find_nulls(v, f"{path}.{k}" if path else k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.extend(find_nulls(v, f"{path}[{i}]"))
    return out


def check_raw_answers():
    """Transport-level checks on every answer the flow received."""
    for op, status, headers, body in RAW:
        lower = {k.lower(): v for k, v in headers.items()}
        step = f"raw {op}"
        check(step, "x-amzn-requestid" in lower, "no x-amzn-RequestId header")
        ctype = lower.get("content-type", "")
        check(step, ctype.startswith("application/x-amz-json-1.1"),
              f"Content-Type is {ctype!r}, expected application/x-amz-json-1.1")
        if not body:
            continue
        try:
            doc = json.loads(body)
        except ValueError as exc:
            diff(step, f"body is not JSON ({exc}): {body[:120]!r}")
            continue
        if status != 200:
            continue
        # NextShardIterator may be null at the end of a closed shard (AWS documents it).
        nulls = [p for p in find_nulls(doc) if p != "NextShardIterator"]
        check(step, not nulls, f"JSON null at {', '.join(nulls)} (AWS omits absent members)")


def expect_error(step, fn, code, status, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        eq(step, "error code", err.get("Code"), code)
        eq(step, "HTTP status", meta.get("HTTPStatusCode"), status)
        check(step, bool(err.get("Message")), "error has no message")
        check(step, bool(meta.get("RequestId")), "error has no request id")
        return err
    diff(step, f"call succeeded, expected {code}")
    return None


def shard_for_key(shards, pkey):
    h = int.from_bytes(hashlib.md5(pkey.encode("utf-8")).digest(), "big")
    for s in shards:
        r = s["HashKeyRange"]
        if int(r["StartingHashKey"]) <= h <= int(r["EndingHashKey"]):
            return s["ShardId"]
    return None


def wait_status(kin, name, want, deadline):
    status = None
    while time.monotonic() < deadline:
        status = kin.describe_stream_summary(StreamName=name)[
            "StreamDescriptionSummary"]["StreamStatus"]
        if status == want:
            return True
        time.sleep(0.2)
    diff("wait", f"stream {name} still {status}, expected {want}")
    return False


def read_shard(kin, step, shard_id, name, deadline, until_closed=False):
    """All records of a shard from TRIM_HORIZON; for a closed shard, read to its end."""
    it = kin.get_shard_iterator(StreamName=name, ShardId=shard_id,
                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    check(step, isinstance(it, str) and 0 < len(it) <= 512, f"bad ShardIterator {it!r}")
    records, child_shards, calls = [], None, 0
    while it and time.monotonic() < deadline and calls < 12:
        if calls:
            time.sleep(0.25)  # AWS allows 5 GetRecords per second per shard
        calls += 1
        out = kin.get_records(ShardIterator=it, Limit=100)
        recs = out["Records"]
        records.extend(recs)
        check(step, isinstance(out.get("MillisBehindLatest"), int),
              f"MillisBehindLatest missing or not an integer: {out.get('MillisBehindLatest')!r}")
        it = out.get("NextShardIterator")
        if "ChildShards" in out:
            child_shards = out["ChildShards"]
        if not recs and not until_closed:
            break
    if until_closed:
        check(step, it is None, f"{shard_id}: NextShardIterator still set after {calls} reads"
              " of a closed shard")
        check(step, bool(child_shards), f"{shard_id}: no ChildShards at the end of a closed shard")
    return records, child_shards


def run(kin, name, timeout_s):
    deadline = time.monotonic() + timeout_s

    # -- create and wait ACTIVE --------------------------------------------------------------
    out = kin.create_stream(StreamName=name, ShardCount=2)
    eq("CreateStream", "HTTP status", out["ResponseMetadata"]["HTTPStatusCode"], 200)
    kin.get_waiter("stream_exists").wait(StreamName=name,
                                         WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    expect_error("CreateStream again", kin.create_stream, "ResourceInUseException", 400,
                 StreamName=name, ShardCount=1)

    # -- list --------------------------------------------------------------------------------
    out = kin.list_streams()
    check("ListStreams", name in out.get("StreamNames", []), f"{name} not in StreamNames")
    eq("ListStreams", "HasMoreStreams", out.get("HasMoreStreams"), False)
    if "StreamSummaries" in kin.meta.service_model.operation_model(
            "ListStreams").output_shape.members:
        names = [s.get("StreamName") for s in out.get("StreamSummaries", [])]
        check("ListStreams", name in names, f"{name} not in StreamSummaries")

    # -- describe ------------------------------------------------------------------------------
    d = kin.describe_stream(StreamName=name)["StreamDescription"]
    eq("DescribeStream", "StreamName", d.get("StreamName"), name)
    arn = d.get("StreamARN", "")
    check("DescribeStream", arn.startswith("arn:aws:kinesis:") and arn.endswith(f":stream/{name}"),
          f"StreamARN {arn!r}")
    eq("DescribeStream", "StreamStatus", d.get("StreamStatus"), "ACTIVE")
    eq("DescribeStream", "HasMoreShards", d.get("HasMoreShards"), False)
    eq("DescribeStream", "RetentionPeriodHours", d.get("RetentionPeriodHours"), 24)
    eq("DescribeStream", "EncryptionType", d.get("EncryptionType"), "NONE")
    check("DescribeStream", "KeyId" not in d or d["KeyId"] is not None,
          "KeyId present as null")
    check("DescribeStream", hasattr(d.get("StreamCreationTimestamp"), "year"),
          f"StreamCreationTimestamp {d.get('StreamCreationTimestamp')!r} is not a timestamp")
    check("DescribeStream", isinstance(d.get("EnhancedMonitoring"), list),
          "EnhancedMonitoring missing")
    shards = d.get("Shards", [])
    eq("DescribeStream", "number of shards", len(shards), 2)
    if len(shards) == 2:
        eq("DescribeStream", "shard ids", [s["ShardId"] for s in shards],
           ["shardId-000000000000", "shardId-000000000001"])
        eq("DescribeStream", "shard 0 StartingHashKey",
           shards[0]["HashKeyRange"]["StartingHashKey"], "0")
        eq("DescribeStream", "shard 0 EndingHashKey",
           shards[0]["HashKeyRange"]["EndingHashKey"], str((1 << 127) - 1))
        eq("DescribeStream", "shard 1 EndingHashKey",
           shards[1]["HashKeyRange"]["EndingHashKey"], str(MAX_HASH))
        for s in shards:
            r = s.get("SequenceNumberRange", {})
            check("DescribeStream", is_digits(r.get("StartingSequenceNumber")),
                  f"{s['ShardId']} StartingSequenceNumber {r.get('StartingSequenceNumber')!r}")
            check("DescribeStream", "EndingSequenceNumber" not in r,
                  f"{s['ShardId']} open shard has EndingSequenceNumber")
            check("DescribeStream", "ParentShardId" not in s,
                  f"{s['ShardId']} has ParentShardId at creation")

    sm = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    eq("DescribeStreamSummary", "StreamName", sm.get("StreamName"), name)
    eq("DescribeStreamSummary", "StreamARN", sm.get("StreamARN"), arn)
    eq("DescribeStreamSummary", "StreamStatus", sm.get("StreamStatus"), "ACTIVE")
    eq("DescribeStreamSummary", "OpenShardCount", sm.get("OpenShardCount"), 2)
    eq("DescribeStreamSummary", "ConsumerCount", sm.get("ConsumerCount"), 0)
    eq("DescribeStreamSummary", "RetentionPeriodHours", sm.get("RetentionPeriodHours"), 24)
    eq("DescribeStreamSummary", "EncryptionType", sm.get("EncryptionType"), "NONE")
    if "StreamModeDetails" in sm:
        eq("DescribeStreamSummary", "StreamMode", sm["StreamModeDetails"].get("StreamMode"),
           "PROVISIONED")

    # -- put -----------------------------------------------------------------------------------
    sent = {}  # partition key -> bytes
    data0 = bytes(range(256)) + b"\x00end"
    out = kin.put_record(StreamName=name, Data=data0, PartitionKey="pk-single")
    sent["pk-single"] = data0
    seq0 = out.get("SequenceNumber")
    check("PutRecord", is_digits(seq0), f"SequenceNumber {seq0!r}")
    eq("PutRecord", "ShardId", out.get("ShardId"), shard_for_key(shards, "pk-single"))
    if "EncryptionType" in out:
        eq("PutRecord", "EncryptionType", out["EncryptionType"], "NONE")

    batch = [{"Data": f"record {i} \u00e9\u2603".encode() + bytes([i, 0, 255]),
              "PartitionKey": f"pk-{i}"} for i in range(10)]
    out = kin.put_records(StreamName=name, Records=batch)
    eq("PutRecords", "FailedRecordCount", out.get("FailedRecordCount"), 0)
    res = out.get("Records", [])
    eq("PutRecords", "number of results", len(res), len(batch))
    for rec, r in zip(batch, res):
        sent[rec["PartitionKey"]] = rec["Data"]
        check("PutRecords", is_digits(r.get("SequenceNumber")),
              f"{rec['PartitionKey']}: SequenceNumber {r.get('SequenceNumber')!r}")
        eq("PutRecords", f"{rec['PartitionKey']} ShardId", r.get("ShardId"),
           shard_for_key(shards, rec["PartitionKey"]))
        check("PutRecords", "ErrorCode" not in r, f"{rec['PartitionKey']}: ErrorCode present")

    # -- list shards -----------------------------------------------------------------------------
    out = kin.list_shards(StreamName=name)
    eq("ListShards", "shard ids", [s["ShardId"] for s in out.get("Shards", [])],
       [s["ShardId"] for s in shards])
    check("ListShards", "NextToken" not in out, "NextToken on the last page")
    page1 = kin.list_shards(StreamName=name, MaxResults=1)
    eq("ListShards paged", "page 1 size", len(page1.get("Shards", [])), 1)
    tok = page1.get("NextToken")
    if check("ListShards paged", bool(tok), "no NextToken after page 1 of 2"):
        page2 = kin.list_shards(NextToken=tok, MaxResults=1)
        eq("ListShards paged", "page 2 shard", [s["ShardId"] for s in page2.get("Shards", [])],
           ["shardId-000000000001"])

    # -- iterators and get records ---------------------------------------------------------------
    got = {}
    for s in shards:
        recs, _ = read_shard(kin, "GetRecords", s["ShardId"], name, deadline)
        prev = -1
        for r in recs:
            got[r["PartitionKey"]] = r["Data"]
            check("GetRecords", int(r["SequenceNumber"]) > prev,
                  f"{s['ShardId']}: sequence numbers not increasing")
            prev = int(r["SequenceNumber"])
            check("GetRecords", hasattr(r.get("ApproximateArrivalTimestamp"), "year"),
                  f"ApproximateArrivalTimestamp {r.get('ApproximateArrivalTimestamp')!r}")
    eq("GetRecords", "partition keys read", sorted(got), sorted(sent))
    for pk, data in sent.items():
        if pk in got:
            eq("GetRecords", f"bytes of {pk}", got[pk], data)

    it = kin.get_shard_iterator(StreamName=name, ShardId=shard_for_key(shards, "pk-single"),
                                ShardIteratorType="AT_SEQUENCE_NUMBER",
                                StartingSequenceNumber=seq0)["ShardIterator"]
    recs = kin.get_records(ShardIterator=it, Limit=1)["Records"]
    eq("GetRecords AT_SEQUENCE_NUMBER", "first record",
       [(r["SequenceNumber"], r["Data"]) for r in recs], [(seq0, data0)])
    it = kin.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                ShardIteratorType="LATEST")["ShardIterator"]
    eq("GetRecords LATEST", "records", kin.get_records(ShardIterator=it)["Records"], [])

    # -- reshard: split shard 0, then merge the two children back ---------------------------------
    mid = str(1 << 126)
    kin.split_shard(StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=mid)
    wait_status(kin, name, "ACTIVE", deadline)
    ls = kin.list_shards(StreamName=name)["Shards"]
    by_id = {s["ShardId"]: s for s in ls}
    eq("SplitShard", "shard ids", sorted(by_id), ["shardId-000000000000", "shardId-000000000001",
                                                  "shardId-000000000002", "shardId-000000000003"])
    parent = by_id.get("shardId-000000000000", {})
    check("SplitShard", is_digits(parent.get("SequenceNumberRange", {})
                                  .get("EndingSequenceNumber")),
          "closed parent has no EndingSequenceNumber")
    for cid, lo, hi in (("shardId-000000000002", "0", str((1 << 126) - 1)),
                        ("shardId-000000000003", mid, str((1 << 127) - 1))):
        c = by_id.get(cid, {})
        eq("SplitShard", f"{cid} ParentShardId", c.get("ParentShardId"), "shardId-000000000000")
        eq("SplitShard", f"{cid} HashKeyRange", c.get("HashKeyRange"),
           {"StartingHashKey": lo, "EndingHashKey": hi})
    _, children = read_shard(kin, "SplitShard read parent", "shardId-000000000000", name,
                             deadline, until_closed=True)
    if children is not None:
        eq("SplitShard read parent", "ChildShards ids", sorted(c["ShardId"] for c in children),
           ["shardId-000000000002", "shardId-000000000003"])
    sm = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    eq("SplitShard", "OpenShardCount", sm.get("OpenShardCount"), 3)

    kin.merge_shards(StreamName=name, ShardToMerge="shardId-000000000002",
                     AdjacentShardToMerge="shardId-000000000003")
    wait_status(kin, name, "ACTIVE", deadline)
    ls = kin.list_shards(StreamName=name)["Shards"]
    by_id = {s["ShardId"]: s for s in ls}
    merged = by_id.get("shardId-000000000004", {})
    eq("MergeShards", "number of shards", len(ls), 5)
    eq("MergeShards", "ParentShardId", merged.get("ParentShardId"), "shardId-000000000002")
    eq("MergeShards", "AdjacentParentShardId", merged.get("AdjacentParentShardId"),
       "shardId-000000000003")
    eq("MergeShards", "HashKeyRange", merged.get("HashKeyRange"),
       {"StartingHashKey": "0", "EndingHashKey": str((1 << 127) - 1)})
    _, children = read_shard(kin, "MergeShards read parent", "shardId-000000000002", name,
                             deadline, until_closed=True)
    if children is not None:
        eq("MergeShards read parent", "ChildShards ids", [c["ShardId"] for c in children],
           ["shardId-000000000004"])
    open_ids = sorted(s["ShardId"] for s in
                      kin.list_shards(StreamName=name,
                                      ShardFilter={"Type": "AT_LATEST"})["Shards"])
    eq("ListShards AT_LATEST", "open shards", open_ids,
       ["shardId-000000000001", "shardId-000000000004"])
    out = kin.put_record(StreamName=name, Data=b"after merge", PartitionKey="pk-single")
    eq("PutRecord after merge", "ShardId", out.get("ShardId"),
       shard_for_key([s for s in ls if s["ShardId"] in open_ids], "pk-single"))

    # -- tags --------------------------------------------------------------------------------------
    kin.add_tags_to_stream(StreamName=name, Tags={"team": "compat", "env": "ci"})
    out = kin.list_tags_for_stream(StreamName=name)
    eq("ListTagsForStream", "Tags", sorted((t["Key"], t.get("Value")) for t in out["Tags"]),
       [("env", "ci"), ("team", "compat")])
    eq("ListTagsForStream", "HasMoreTags", out.get("HasMoreTags"), False)
    kin.remove_tags_from_stream(StreamName=name, TagKeys=["env"])
    out = kin.list_tags_for_stream(StreamName=name)
    eq("RemoveTagsFromStream", "Tags", [(t["Key"], t.get("Value")) for t in out["Tags"]],
       [("team", "compat")])

    # -- retention ---------------------------------------------------------------------------------
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    wait_status(kin, name, "ACTIVE", deadline)
    eq("IncreaseStreamRetentionPeriod", "RetentionPeriodHours",
       kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
       ["RetentionPeriodHours"], 48)
    kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    wait_status(kin, name, "ACTIVE", deadline)
    eq("DecreaseStreamRetentionPeriod", "RetentionPeriodHours",
       kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
       ["RetentionPeriodHours"], 24)
    expect_error("DecreaseStreamRetentionPeriod below 24", kin.decrease_stream_retention_period,
                 "InvalidArgumentException", 400, StreamName=name, RetentionPeriodHours=23)

    # -- errors a client must be able to parse ----------------------------------------------------
    missing = name + "-missing"
    err = expect_error("DescribeStream missing", kin.describe_stream,
                       "ResourceNotFoundException", 400, StreamName=missing)
    if err:
        check("DescribeStream missing", missing in err.get("Message", ""),
              f"message does not name the stream: {err.get('Message')!r}")
    expect_error("PutRecord validation", kin.put_record, "ValidationException", 400,
                 StreamName="bad name!", Data=b"x", PartitionKey="k")

    # -- delete ------------------------------------------------------------------------------------
    kin.delete_stream(StreamName=name)
    kin.get_waiter("stream_not_exists").wait(StreamName=name,
                                             WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    out = kin.list_streams()
    check("DeleteStream", name not in out.get("StreamNames", []), f"{name} still listed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--stream", default=f"compat-boto3-{os.getpid()}-{int(time.time())}")
    ap.add_argument("--timeout-s", type=float, default=120)
    args = ap.parse_args()

    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}, "
          f"python {sys.version.split()[0]}", flush=True)
    kin = boto3.client("kinesis", endpoint_url=args.endpoint,
                       region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                       config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                     connect_timeout=5, read_timeout=15))
    kin.meta.events.register("after-call.kinesis", on_after_call)
    try:
        run(kin, args.stream, args.timeout_s)
    except (ClientError, botocore.exceptions.BotoCoreError) as exc:
        diff("flow stopped", f"{type(exc).__name__}: {exc}")
        try:  # best effort, so a shared endpoint is not left with the stream
            kin.delete_stream(StreamName=args.stream)
        except (ClientError, botocore.exceptions.BotoCoreError):
            pass
    check_raw_answers()
    if DIFFS:
        print(f"boto3_flow: {len(DIFFS)} difference(s)", flush=True)
        return 1
    print(f"boto3_flow: all checks passed ({len(RAW)} calls)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
