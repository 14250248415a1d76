// ci/compat/kpl/agg_flow.mjs: KPL aggregation interop, live (ci/compat/run client `kpl-agg`).
// Both directions through a running kinesis-sim, with the `kinesis` CLI for the wire:
//   1. `kinesis produce` (libkinesis's producer, aggregation on) writes lines; the raw Kinesis
//      records are read back with `kinesis call GetRecords` and de-aggregated by aws-kinesis-agg:
//      every line must come out, with its partition key, and the records must really be aggregated;
//   2. aws-kinesis-agg aggregates records, `kinesis call PutRecord` stores the bytes, and
//      `kinesis tail` (libkinesis's consumer) must print every user record.
// Each difference is one `DIFF` line; exit 1 if there was any, 2 if aws-kinesis-agg is missing
// (npm install in ci/compat/kpl first).
//
// Usage: node agg_flow.mjs --endpoint URL --kinesis PATH/TO/kinesis [--stream NAME]
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let agg, RecordAggregator;
try {
  agg = require("aws-kinesis-agg");
  ({ RecordAggregator } = require("aws-kinesis-agg/lib/kpl-agg"));
} catch (e) {
  console.error(`agg_flow.mjs: aws-kinesis-agg is not installed (npm install in ci/compat/kpl): ${e.message}`);
  process.exit(2);
}
const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
if (!args.endpoint || !args.kinesis) {
  console.error("usage: node agg_flow.mjs --endpoint URL --kinesis PATH [--stream NAME]");
  process.exit(2);
}
const stream = args.stream ?? `compat-kpl-${process.pid}-${Date.now()}`;
console.log(`aws-kinesis-agg ${require("aws-kinesis-agg/package.json").version}, node ${process.version}`);
const diffs = [];
const diff = (step, what) => {
  diffs.push(`${step}: ${what}`);
  console.log(`DIFF ${step}: ${what}`);
};

function k(argv, input) {
  const r = spawnSync(args.kinesis, ["--endpoint", args.endpoint, ...argv], { input, encoding: "utf8", timeout: 60000 });
  if (r.status !== 0) throw new Error(`kinesis ${argv.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}
const call = (op, body) => JSON.parse(k(["call", op, JSON.stringify(body)]));

function rawRecords() {
  const out = [];
  for (const s of call("ListShards", { StreamName: stream }).Shards) {
    let it = call("GetShardIterator", { StreamName: stream, ShardId: s.ShardId, ShardIteratorType: "TRIM_HORIZON" })
      .ShardIterator;
    for (let i = 0; it && i < 20; i++) {
      const r = call("GetRecords", { ShardIterator: it });
      out.push(...r.Records);
      if (r.Records.length === 0) break;
      it = r.NextShardIterator;
    }
  }
  return out;
}

try {
  k(["create-stream", stream, "--shards", "2", "--wait"]);
  // 1. libkinesis aggregates, aws-kinesis-agg de-aggregates
  const lines = Array.from({ length: 500 }, (_, i) => `ours-${i}`);
  k(["produce", stream, "--aggregate"], lines.join("\n") + "\n");
  const seen = new Map();
  let aggregated = 0;
  for (const rec of rawRecords()) {
    agg.deaggregateSync(
      { partitionKey: rec.PartitionKey, sequenceNumber: rec.SequenceNumber, data: rec.Data },
      true,
      (err, users) => {
        if (err) return diff("deaggregate", `${rec.SequenceNumber}: ${err.message}`);
        if (users.length > 1) aggregated++;
        for (const u of users) seen.set(Buffer.from(u.data, "base64").toString(), u.partitionKey);
      },
    );
  }
  if (aggregated === 0) diff("ours->theirs", "no record came out aggregated");
  lines.forEach((l, i) => {
    if (!seen.has(l)) diff("ours->theirs", `${l} missing`);
    else if (seen.get(l) !== String(i + 1)) diff("ours->theirs", `${l}: partition key ${seen.get(l)}, not ${i + 1}`);
  });
  console.log(`ours->theirs: ${seen.size} user records from ${aggregated} aggregated records`);
  // 2. aws-kinesis-agg aggregates, libkinesis de-aggregates
  const theirs = Array.from({ length: 200 }, (_, i) => ({ partitionKey: `k${i % 7}x`, data: Buffer.from(`theirs-${i}`) }));
  for (let start = 0; start < theirs.length; start += 50) {
    const a = new RecordAggregator();
    theirs.slice(start, start + 50).forEach((r) => a.addUserRecord(r));
    const enc = a.build();
    call("PutRecord", { StreamName: stream, PartitionKey: enc.partitionKey, Data: enc.data.toString("base64") });
  }
  const printed = k(["tail", stream, "--from", "trim-horizon", "--max-records", String(lines.length + theirs.length),
    "--timeout-ms", "20000", "--interval-ms", "200"]).split("\n");
  const got = new Set(printed);
  for (const r of theirs) if (!got.has(r.data.toString())) diff("theirs->ours", `${r.data} not printed by kinesis tail`);
  console.log(`theirs->ours: ${theirs.filter((r) => got.has(r.data.toString())).length} of ${theirs.length} printed`);
} catch (e) {
  diff("flow", e.message);
} finally {
  try {
    k(["delete-stream", stream]);
  } catch {}
}
console.log(diffs.length ? `${diffs.length} differences` : "no differences");
process.exit(diffs.length ? 1 : 0);
