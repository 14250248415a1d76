// ci/compat/js/flow.mjs: the compat flow (ci/compat/run, `make compat`) with the AWS SDK for
// JavaScript v3 (@aws-sdk/client-kinesis).
//
// Same flow as ../boto3_flow.py and ../awscli.sh: create (2 shards) and wait ACTIVE, list,
// describe and summary, PutRecord, PutRecords, ListShards (paged), iterators and GetRecords with a
// byte round trip, split and merge with the closed parents read to their end, tags, retention up
// and down, errors for a missing stream, delete and wait gone. Each difference is printed as one
// `DIFF` line; exit 1 if there was any, 2 if the SDK is not installed (npm install here first).
//
// The client's default request handler is NodeHttp2Handler: against an http:// endpoint it speaks
// cleartext HTTP/2 with prior knowledge. `--handler http1` passes an explicit NodeHttpHandler
// (HTTP/1.1) instead; `--handler default` keeps the SDK's choice. The runner tries both.
//
// Usage: node flow.mjs --endpoint http://127.0.0.1:PORT [--handler default|http1]
//                      [--stream NAME] [--timeout-s N]
import { createHash } from "node:crypto";
import { createRequire } from "node:module";

let sdk, smithy;
try {
  sdk = await import("@aws-sdk/client-kinesis");
  smithy = await import("@smithy/node-http-handler");
} catch (e) {
  console.error(`flow.mjs: the SDK is not installed (npm install in ci/compat/js): ${e.message}`);
  process.exit(2);
}
const K = sdk;

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
if (!args.endpoint) {
  console.error("usage: node flow.mjs --endpoint URL [--handler default|http1] [--stream NAME]");
  process.exit(2);
}
const handlerKind = args.handler ?? "default";
const name = args.stream ?? `compat-js-${handlerKind}-${process.pid}-${Date.now()}`;
const deadline = Date.now() + 1000 * Number(args["timeout-s"] ?? 120);
const MAX_HASH = (1n << 128n) - 1n;

const require = createRequire(import.meta.url);
const versionOf = (p) => {
  try {
    return require(`${p}/package.json`).version;
  } catch {
    return "?";
  }
};
console.log(
  `@aws-sdk/client-kinesis ${versionOf("@aws-sdk/client-kinesis")}, ` +
    `@smithy/node-http-handler ${versionOf("@smithy/node-http-handler")}, node ${process.version}, ` +
    `handler ${handlerKind}`,
);

const diffs = [];
function diff(step, what) {
  diffs.push(`${step}: ${what}`);
  console.log(`DIFF ${step}: ${what}`);
}
function check(step, cond, what) {
  if (!cond) diff(step, what);
  return cond;
}
const show = (v) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
function eq(step, field, got, want) {
  return check(step, show(got) === show(want), `${field} is ${show(got)}, expected ${show(want)}`);
}
const isDigits = (s) => typeof s === "string" && /^[0-9]+$/.test(s);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const config = {
  endpoint: args.endpoint,
  region: process.env.AWS_DEFAULT_REGION ?? "us-east-1",
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "AKIDEXAMPLE",
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "x",
  },
  maxAttempts: 2,
};
if (handlerKind === "http1") {
  config.requestHandler = new smithy.NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 15000 });
} else if (handlerKind !== "default") {
  console.error(`flow.mjs: unknown --handler ${handlerKind}`);
  process.exit(2);
}
const kin = new K.KinesisClient(config);

// Every answer's status and request id, for the transport checks at the end.
const answers = [];
kin.middlewareStack.add(
  (next, context) => async (input) => {
    const out = await next(input);
    answers.push({ op: context.commandName, status: out.response?.statusCode, headers: out.response?.headers });
    return out;
  },
  { step: "deserialize", name: "compatRecordAnswer" },
);

const call = (Cmd, input) => kin.send(new Cmd(input));

async function expectError(step, Cmd, input, code, status) {
  try {
    await call(Cmd, input);
  } catch (e) {
    eq(step, "error name", e.name, code);
    eq(step, "HTTP status", e.$metadata?.httpStatusCode, status);
    check(step, Boolean(e.message) && e.message !== "UnknownError", `error message ${show(e.message)}`);
    check(step, Boolean(e.$metadata?.requestId), "error has no request id");
    return e;
  }
  diff(step, `call succeeded, expected ${code}`);
  return null;
}

function shardForKey(shards, pkey) {
  const h = BigInt("0x" + createHash("md5").update(pkey, "utf8").digest("hex"));
  const s = shards.find(
    (x) => BigInt(x.HashKeyRange.StartingHashKey) <= h && h <= BigInt(x.HashKeyRange.EndingHashKey),
  );
  return s?.ShardId;
}

async function waitStatus(want) {
  let status;
  while (Date.now() < deadline) {
    status = (await call(K.DescribeStreamSummaryCommand, { StreamName: name })).StreamDescriptionSummary
      .StreamStatus;
    if (status === want) return true;
    await sleep(200);
  }
  diff("wait", `stream ${name} still ${status}, expected ${want}`);
  return false;
}

async function readShard(step, shardId, untilClosed = false) {
  let it = (
    await call(K.GetShardIteratorCommand, { StreamName: name, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" })
  ).ShardIterator;
  check(step, typeof it === "string" && it.length > 0 && it.length <= 512, `bad ShardIterator ${show(it)}`);
  const records = [];
  let children = null;
  let calls = 0;
  while (it && Date.now() < deadline && calls < 12) {
    if (calls) await sleep(250); // AWS allows 5 GetRecords per second per shard
    calls++;
    const out = await call(K.GetRecordsCommand, { ShardIterator: it, Limit: 100 });
    records.push(...out.Records);
    check(step, Number.isInteger(out.MillisBehindLatest), `MillisBehindLatest ${show(out.MillisBehindLatest)}`);
    it = out.NextShardIterator;
    if (out.ChildShards) children = out.ChildShards;
    if (out.Records.length === 0 && !untilClosed) break;
  }
  if (untilClosed) {
    check(step, !it, `${shardId}: NextShardIterator still set after ${calls} reads of a closed shard`);
    check(step, Boolean(children?.length), `${shardId}: no ChildShards at the end of a closed shard`);
  }
  return { records, children };
}

async function flow() {
  // -- create and wait ACTIVE ----------------------------------------------------------------------
  await call(K.CreateStreamCommand, { StreamName: name, ShardCount: 2 });
  const w = await K.waitUntilStreamExists({ client: kin, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { StreamName: name });
  eq("waitUntilStreamExists", "state", w.state, "SUCCESS");
  await expectError("CreateStream again", K.CreateStreamCommand, { StreamName: name, ShardCount: 1 }, "ResourceInUseException", 400);

  // -- list, describe -------------------------------------------------------------------------------
  let out = await call(K.ListStreamsCommand, {});
  check("ListStreams", out.StreamNames?.includes(name), `${name} not in StreamNames`);
  eq("ListStreams", "HasMoreStreams", out.HasMoreStreams, false);
  check("ListStreams", (out.StreamSummaries ?? []).some((s) => s.StreamName === name), `${name} not in StreamSummaries`);

  const d = (await call(K.DescribeStreamCommand, { StreamName: name })).StreamDescription;
  eq("DescribeStream", "StreamName", d.StreamName, name);
  const arn = d.StreamARN ?? "";
  check("DescribeStream", arn.startsWith("arn:aws:kinesis:") && arn.endsWith(`:stream/${name}`), `StreamARN ${arn}`);
  eq("DescribeStream", "StreamStatus", d.StreamStatus, "ACTIVE");
  eq("DescribeStream", "HasMoreShards", d.HasMoreShards, false);
  eq("DescribeStream", "RetentionPeriodHours", d.RetentionPeriodHours, 24);
  eq("DescribeStream", "EncryptionType", d.EncryptionType, "NONE");
  check("DescribeStream", d.StreamCreationTimestamp instanceof Date && !isNaN(d.StreamCreationTimestamp),
    `StreamCreationTimestamp ${show(d.StreamCreationTimestamp)}`);
  const shards = d.Shards ?? [];
  eq("DescribeStream", "shard ids", shards.map((s) => s.ShardId), ["shardId-000000000000", "shardId-000000000001"]);
  eq("DescribeStream", "hash ranges", shards.map((s) => [s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey]),
    [["0", ((1n << 127n) - 1n).toString()], [(1n << 127n).toString(), MAX_HASH.toString()]]);
  for (const s of shards) {
    check("DescribeStream", isDigits(s.SequenceNumberRange?.StartingSequenceNumber), `${s.ShardId} StartingSequenceNumber`);
    check("DescribeStream", s.SequenceNumberRange?.EndingSequenceNumber === undefined, `${s.ShardId} open shard has EndingSequenceNumber`);
  }
  const sm = (await call(K.DescribeStreamSummaryCommand, { StreamName: name })).StreamDescriptionSummary;
  eq("DescribeStreamSummary", "StreamARN", sm.StreamARN, arn);
  eq("DescribeStreamSummary", "OpenShardCount", sm.OpenShardCount, 2);
  eq("DescribeStreamSummary", "ConsumerCount", sm.ConsumerCount, 0);
  eq("DescribeStreamSummary", "StreamMode", sm.StreamModeDetails?.StreamMode, "PROVISIONED");

  // -- put -------------------------------------------------------------------------------------------
  const sent = new Map();
  const data0 = new Uint8Array(260).map((_, i) => i % 256);
  out = await call(K.PutRecordCommand, { StreamName: name, Data: data0, PartitionKey: "pk-single" });
  sent.set("pk-single", data0);
  const seq0 = out.SequenceNumber;
  check("PutRecord", isDigits(seq0), `SequenceNumber ${show(seq0)}`);
  eq("PutRecord", "ShardId", out.ShardId, shardForKey(shards, "pk-single"));
  const batch = Array.from({ length: 10 }, (_, i) => ({
    Data: new Uint8Array([...new TextEncoder().encode(`record ${i} \u00e9\u2603`), i, 0, 255]),
    PartitionKey: `pk-${i}`,
  }));
  out = await call(K.PutRecordsCommand, { StreamName: name, Records: batch });
  eq("PutRecords", "FailedRecordCount", out.FailedRecordCount, 0);
  eq("PutRecords", "number of results", out.Records?.length, batch.length);
  batch.forEach((rec, i) => {
    sent.set(rec.PartitionKey, rec.Data);
    const r = out.Records?.[i] ?? {};
    check("PutRecords", isDigits(r.SequenceNumber), `${rec.PartitionKey}: SequenceNumber ${show(r.SequenceNumber)}`);
    eq("PutRecords", `${rec.PartitionKey} ShardId`, r.ShardId, shardForKey(shards, rec.PartitionKey));
  });

  // -- list shards -----------------------------------------------------------------------------------
  out = await call(K.ListShardsCommand, { StreamName: name });
  eq("ListShards", "shard ids", out.Shards.map((s) => s.ShardId), shards.map((s) => s.ShardId));
  check("ListShards", out.NextToken === undefined, "NextToken on the last page");
  const p1 = await call(K.ListShardsCommand, { StreamName: name, MaxResults: 1 });
  eq("ListShards paged", "page 1", p1.Shards.map((s) => s.ShardId), ["shardId-000000000000"]);
  if (check("ListShards paged", Boolean(p1.NextToken), "no NextToken after page 1 of 2")) {
    const p2 = await call(K.ListShardsCommand, { NextToken: p1.NextToken, MaxResults: 1 });
    eq("ListShards paged", "page 2", p2.Shards.map((s) => s.ShardId), ["shardId-000000000001"]);
  }

  // -- get records: bytes round trip ---------------------------------------------------------------
  const got = new Map();
  for (const s of shards) {
    const { records } = await readShard("GetRecords", s.ShardId);
    let prev = -1n;
    for (const r of records) {
      got.set(r.PartitionKey, r.Data);
      check("GetRecords", BigInt(r.SequenceNumber) > prev, `${s.ShardId}: sequence numbers not increasing`);
      prev = BigInt(r.SequenceNumber);
      check("GetRecords", r.ApproximateArrivalTimestamp instanceof Date, `ApproximateArrivalTimestamp ${show(r.ApproximateArrivalTimestamp)}`);
      check("GetRecords", r.Data instanceof Uint8Array, `Data is not bytes: ${show(r.Data)}`);
    }
  }
  eq("GetRecords", "partition keys read", [...got.keys()].sort(), [...sent.keys()].sort());
  for (const [pk, data] of sent) {
    if (got.has(pk)) eq("GetRecords", `bytes of ${pk}`, Array.from(got.get(pk)), Array.from(data));
  }
  let it = (await call(K.GetShardIteratorCommand, {
    StreamName: name, ShardId: shardForKey(shards, "pk-single"),
    ShardIteratorType: "AT_SEQUENCE_NUMBER", StartingSequenceNumber: seq0,
  })).ShardIterator;
  out = await call(K.GetRecordsCommand, { ShardIterator: it, Limit: 1 });
  eq("GetRecords AT_SEQUENCE_NUMBER", "first record", out.Records.map((r) => [r.SequenceNumber, Array.from(r.Data)]),
    [[seq0, Array.from(data0)]]);

  // -- reshard: split shard 0 at 2^126, merge the children back --------------------------------------
  const mid = (1n << 126n).toString();
  await call(K.SplitShardCommand, { StreamName: name, ShardToSplit: "shardId-000000000000", NewStartingHashKey: mid });
  await waitStatus("ACTIVE");
  let ls = (await call(K.ListShardsCommand, { StreamName: name })).Shards;
  eq("SplitShard", "shards", ls.map((s) => [s.ShardId, s.ParentShardId ?? null]), [
    ["shardId-000000000000", null], ["shardId-000000000001", null],
    ["shardId-000000000002", "shardId-000000000000"], ["shardId-000000000003", "shardId-000000000000"],
  ]);
  check("SplitShard", isDigits(ls[0]?.SequenceNumberRange?.EndingSequenceNumber), "closed parent has no EndingSequenceNumber");
  let r = await readShard("SplitShard read parent", "shardId-000000000000", true);
  if (r.children) eq("SplitShard read parent", "ChildShards", r.children.map((c) => c.ShardId).sort(), ["shardId-000000000002", "shardId-000000000003"]);

  await call(K.MergeShardsCommand, { StreamName: name, ShardToMerge: "shardId-000000000002", AdjacentShardToMerge: "shardId-000000000003" });
  await waitStatus("ACTIVE");
  ls = (await call(K.ListShardsCommand, { StreamName: name })).Shards;
  const m = ls[4] ?? {};
  eq("MergeShards", "new shard", [m.ShardId, m.ParentShardId, m.AdjacentParentShardId, m.HashKeyRange?.StartingHashKey, m.HashKeyRange?.EndingHashKey],
    ["shardId-000000000004", "shardId-000000000002", "shardId-000000000003", "0", ((1n << 127n) - 1n).toString()]);
  r = await readShard("MergeShards read parent", "shardId-000000000002", true);
  if (r.children) eq("MergeShards read parent", "ChildShards", r.children.map((c) => c.ShardId), ["shardId-000000000004"]);
  const open = (await call(K.ListShardsCommand, { StreamName: name, ShardFilter: { Type: "AT_LATEST" } })).Shards;
  eq("ListShards AT_LATEST", "open shards", open.map((s) => s.ShardId).sort(), ["shardId-000000000001", "shardId-000000000004"]);

  // -- tags ------------------------------------------------------------------------------------------
  await call(K.AddTagsToStreamCommand, { StreamName: name, Tags: { team: "compat", env: "ci" } });
  out = await call(K.ListTagsForStreamCommand, { StreamName: name });
  eq("ListTagsForStream", "Tags", out.Tags.map((t) => `${t.Key}=${t.Value}`).sort(), ["env=ci", "team=compat"]);
  eq("ListTagsForStream", "HasMoreTags", out.HasMoreTags, false);
  await call(K.RemoveTagsFromStreamCommand, { StreamName: name, TagKeys: ["env"] });
  out = await call(K.ListTagsForStreamCommand, { StreamName: name });
  eq("RemoveTagsFromStream", "Tags", out.Tags.map((t) => `${t.Key}=${t.Value}`), ["team=compat"]);

  // -- retention ---------------------------------------------------------------------------------------
  await call(K.IncreaseStreamRetentionPeriodCommand, { StreamName: name, RetentionPeriodHours: 48 });
  await waitStatus("ACTIVE");
  eq("IncreaseStreamRetentionPeriod", "RetentionPeriodHours",
    (await call(K.DescribeStreamSummaryCommand, { StreamName: name })).StreamDescriptionSummary.RetentionPeriodHours, 48);
  await call(K.DecreaseStreamRetentionPeriodCommand, { StreamName: name, RetentionPeriodHours: 24 });
  await waitStatus("ACTIVE");
  eq("DecreaseStreamRetentionPeriod", "RetentionPeriodHours",
    (await call(K.DescribeStreamSummaryCommand, { StreamName: name })).StreamDescriptionSummary.RetentionPeriodHours, 24);

  // -- errors ------------------------------------------------------------------------------------------
  const e = await expectError("DescribeStream missing", K.DescribeStreamCommand, { StreamName: `${name}-missing` }, "ResourceNotFoundException", 400);
  if (e) check("DescribeStream missing", e instanceof K.ResourceNotFoundException, "error is not a ResourceNotFoundException instance");
  await expectError("PutRecord validation", K.PutRecordCommand, { StreamName: "bad name!", Data: new Uint8Array([1]), PartitionKey: "k" }, "ValidationException", 400);

  // -- delete ------------------------------------------------------------------------------------------
  await call(K.DeleteStreamCommand, { StreamName: name });
  const g = await K.waitUntilStreamNotExists({ client: kin, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { StreamName: name });
  eq("waitUntilStreamNotExists", "state", g.state, "SUCCESS");
}

const timer = setTimeout(() => {
  diff("flow", "did not finish in time");
  process.exit(1);
}, deadline - Date.now() + 30000);
try {
  await flow();
} catch (e) {
  diff("flow stopped", `${e.name}: ${e.message}${e.code ? ` (${e.code})` : ""}${e.$metadata?.httpStatusCode ? ` HTTP ${e.$metadata.httpStatusCode}` : ""}`);
  // Best effort, so a shared endpoint is not left with the stream.
  await call(K.DeleteStreamCommand, { StreamName: name }).catch(() => {});
}
clearTimeout(timer);
for (const a of answers) {
  const h = Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  check(`raw ${a.op}`, Boolean(h["x-amzn-requestid"]), "no x-amzn-RequestId header");
  check(`raw ${a.op}`, (h["content-type"] ?? "").startsWith("application/x-amz-json-1.1"), `Content-Type ${show(h["content-type"])}`);
}
kin.destroy();
if (diffs.length) {
  console.log(`flow.mjs: ${diffs.length} difference(s)`);
  process.exit(1);
}
console.log(`flow.mjs: all checks passed (${answers.length} calls)`);
process.exit(0);
