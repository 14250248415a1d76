#!/usr/bin/env node
// console-test.js: `make test-ui` (issue 18; README "The console"). Starts its own kinesis-sim on a
// loopback port with the console on (--console-port 0, --throttle-scale 0.01), drives Debian's chromium
// headless through puppeteer-core, checks every point of the issue's browser test list (and the console's
// keyboard use, labels and KPL expansion), saves a screenshot of each view in both themes under
// build/ui-screenshots/ with an artefact list, and ends with "ui-test: N passed, M failed" (exit 1 when
// anything failed). Kinesis calls go through the project's own CLI (build/kinesis call --once).
//
// Why puppeteer-core and not selenium: it speaks the DevTools protocol to Debian's chromium directly (no
// chromedriver), sees every request the page makes (so a request leaving 127.0.0.1 is caught and
// aborted) and every console message, and Node is already what `make compat` uses.
'use strict';

const { spawn, execFile } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const puppeteer = require('puppeteer-core');

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const BUILD = path.resolve(opt('--build', 'build'));
const OUT = path.resolve(opt('--out', path.join(BUILD, 'ui-screenshots')));
const CHROMIUM = opt('--chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const SIM = path.join(BUILD, 'kinesis-sim');
const CLI = path.join(BUILD, 'kinesis');
const TIMEOUT_MS = 180000; // the whole run

const results = [];
const artefacts = [];
let sim = null, guarded = null, browser = null, profile = null;

function log(msg) { process.stdout.write(`ui-test: ${msg}\n`); }
function check(name, ok, detail) {
  results.push({ name, ok: Boolean(ok), detail });
  log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the simulator
function startSim(extra = []) {
  return new Promise((resolve, reject) => {
    const p = spawn(SIM, ['--host', '127.0.0.1', '--port', '0', '--console-port', '0', '--db', ':memory:',
      '--throttle', 'aws', '--throttle-scale', '0.01', '--control-limits', 'off', '--create-delay-ms', '0',
      '--delete-delay-ms', '0', '--update-delay-ms', '0', '--log-level', 'warn', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const t = setTimeout(() => reject(new Error('kinesis-sim did not print its console line within 10 s')), 10000);
    p.on('exit', (code) => reject(new Error(`kinesis-sim exited (${code})`)));
    p.stdout.on('data', (d) => {
      out += d;
      const api = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      const ui = /console on (http:\/\/127\.0\.0\.1:\d+)\/_sim\/ui\//.exec(out);
      if (api && ui) { clearTimeout(t); resolve({ proc: p, api: api[1], ui: ui[1] }); }
    });
  });
}

// A Kinesis call through the project's CLI: {ok, json, stderr}.
function kinesis(op, body, endpoint) {
  return new Promise((resolve) => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1' };
    delete env.AWS_PROFILE;
    execFile(CLI, ['--endpoint', endpoint || sim.api, 'call', '--once', op, JSON.stringify(body)], { env, timeout: 15000 }, (err, stdout, stderr) => {
      let json = null;
      try { json = JSON.parse(stdout); } catch (_) { json = null; }
      resolve({ ok: !err, json, stderr: String(stderr) });
    });
  });
}
async function control(pathname, init) {
  const r = await fetch(sim.ui + pathname, init);
  return r.json();
}

// ---- the KPL aggregated record format: magic, protobuf AggregatedRecord, MD5 of the protobuf
function varint(n) { const b = []; while (n > 127) { b.push((n & 127) | 128); n >>>= 7; } b.push(n); return Buffer.from(b); }
function field(no, wt, payload) {
  return wt === 0 ? Buffer.concat([varint((no << 3) | 0), varint(payload)]) : Buffer.concat([varint((no << 3) | 2), varint(payload.length), payload]);
}
function kplRecord(entries) {
  const keys = [...new Set(entries.map((e) => e.key))];
  const parts = keys.map((k) => field(1, 2, Buffer.from(k)));
  for (const e of entries) parts.push(field(3, 2, Buffer.concat([field(1, 0, keys.indexOf(e.key)), field(3, 2, Buffer.from(e.data))])));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, crypto.createHash('md5').update(body).digest()]);
}

// ---- page helpers
async function waitFor(page, fn, arg, ms) {
  try { await page.waitForFunction(fn, { timeout: ms, polling: 100 }, arg); return true; } catch (_) { return false; }
}
async function view(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await sleep(150);
}
async function shot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  artefacts.push(path.relative(process.cwd(), file));
}

async function main() {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  sim = await startSim();
  log(`kinesis-sim on ${sim.api}, console on ${sim.ui}/_sim/ui/`);
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kinesis-sim-ui-'));
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true, userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const consoleErrors = [], offsite = [], failed = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => { if (!offsite.includes(r.url())) failed.push(`${r.url()}: ${r.failure() && r.failure().errorText}`); });
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const u = r.url();
    let local = u.startsWith('data:');
    try { local = local || new URL(u).hostname === '127.0.0.1'; } catch (_) { /* not a URL: counted below */ }
    if (local) r.continue();
    else { offsite.push(u); r.abort(); }
  });
  await page.evaluateOnNewDocument(() => localStorage.setItem('kinesis-sim-theme', 'dark'));

  // 1. the page loads (the console and request checks are made again at the end, over the whole run)
  await page.goto(`${sim.ui}/`, { waitUntil: 'networkidle0' });
  check('the page loads at /_sim/ui/ (from / by redirect)', page.url() === `${sim.ui}/_sim/ui/` && (await page.title()).includes('kinesis-sim'), page.url());
  check('the page loads with no console errors and no request leaving 127.0.0.1', consoleErrors.length === 0 && offsite.length === 0,
    [...consoleErrors, ...offsite].join('; '));

  // 2. two streams created through the API appear
  const a = await kinesis('CreateStream', { StreamName: 'alpha', ShardCount: 2 });
  const b = await kinesis('CreateStream', { StreamName: 'beta', ShardCount: 1 });
  const both = await waitFor(page, () => ['alpha', 'beta'].every((n) => document.querySelector(`#streams-table tr[data-stream="${n}"]`)), null, 5000);
  check('two streams created through the API appear in the streams view', a.ok && b.ok && both, a.ok && b.ok ? '' : `${a.stderr}${b.stderr}`);
  await shot(page, '01-streams-dark');

  // 3. a PutRecords burst shows in the chosen shard's sparkline within 2 s
  await view(page, '#/stream?account=000000000000&region=us-east-1&name=alpha');
  await waitFor(page, () => document.querySelectorAll('#shard-cards .card').length === 2, null, 3000);
  const shard1 = 'shardId-000000000001';
  const burst = await kinesis('PutRecords', { StreamName: 'alpha', Records: Array.from({ length: 6 }, (_, i) => ({ Data: Buffer.from(`burst ${i}`).toString('base64'), PartitionKey: `k${i}`, ExplicitHashKey: '340282366920938463463374607431768211455' })) });
  const t0 = Date.now();
  const shown = await waitFor(page, (id) => Number(document.querySelector(`.card[data-shard="${id}"] .spark-write svg`).dataset.peak) > 0, shard1, 2000);
  const quiet = await page.$eval('.card[data-shard="shardId-000000000000"] .spark-write svg', (e) => Number(e.dataset.peak));
  check('a PutRecords burst shows in the chosen shard\'s sparkline within 2 s', burst.ok && burst.json && burst.json.FailedRecordCount === 0 && shown && quiet === 0,
    `${Date.now() - t0} ms; other shard peak ${quiet}`);

  // 4. a throttling event appears when the write limit is passed (10 records/s per shard at scale 0.01)
  const flood = await kinesis('PutRecords', { StreamName: 'alpha', Records: Array.from({ length: 40 }, (_, i) => ({ Data: Buffer.from(`flood ${i}`).toString('base64'), PartitionKey: `f${i}`, ExplicitHashKey: '0' })) });
  const marked = await waitFor(page, () => document.querySelectorAll('.card[data-shard="shardId-000000000000"] .spark-write .throttle-mark').length > 0, null, 3000);
  const rate = await page.$eval('.card[data-shard="shardId-000000000000"] .spark-write .rate', (e) => e.textContent);
  check('a throttling event appears in the sparkline when the write limit is passed', flood.ok && flood.json && flood.json.FailedRecordCount > 0 && marked && /throttled/.test(rate),
    `${flood.json && flood.json.FailedRecordCount} of 40 refused; "${rate}"`);
  await sleep(1200); // one more poll: the rates of the last interval settle
  await shot(page, '02-stream-dark');
  const keyHit = await page.$eval('#hashline .seg[data-shard="shardId-000000000001"]', (e) => e.getAttribute('aria-label'));
  check('the shards are drawn on the hash-key line with their ranges', /hash keys 170141183460469231731687303715884105728 to 340282366920938463463374607431768211455/.test(keyHit), keyHit);

  // 5. a fault rule added through the form makes the next PutRecord fail with the chosen error; its counter rises
  await view(page, '#/faults');
  await page.select('#f-op', 'PutRecord');
  await page.type('#f-stream', 'beta');
  await page.select('#f-effect', 'error');
  await page.select('#f-error', 'InternalFailure');
  await page.type('#f-name', 'ui test');
  await page.click('#fault-form button[type="submit"]');
  const added = await waitFor(page, () => /Rule \d+ added/.test(document.querySelector('#fault-status').textContent), null, 3000);
  const ruleId = await page.evaluate(() => (/Rule (\d+) added/.exec(document.querySelector('#fault-status').textContent) || [])[1]);
  await waitFor(page, (id) => document.querySelector(`#faults-table tr[data-id="${id}"] .fired`), ruleId, 3000);
  const firedBefore = await page.evaluate((id) => { const c = document.querySelector(`#faults-table tr[data-id="${id}"] .fired`); return c ? c.textContent : null; }, ruleId);
  const put = await kinesis('PutRecord', { StreamName: 'beta', Data: Buffer.from('x').toString('base64'), PartitionKey: 'p' });
  const rose = await waitFor(page, (id) => { const c = document.querySelector(`#faults-table tr[data-id="${id}"] .fired`); return c && c.textContent === '1'; }, ruleId, 3000);
  check('a fault rule added through the form makes the next PutRecord fail with the chosen error', added && !put.ok && /InternalFailure/.test(put.stderr), put.stderr.replace(/^HTTP \d+\n/, '').trim());
  check('the fault rule\'s counter rises in the faults view', firedBefore === '0' && rose, `fired ${firedBefore} -> ${rose ? 1 : '?'}`);
  await shot(page, '04-faults-dark');
  await page.click(`#faults-table tr[data-id="${ruleId}"] button`);
  const gone = await waitFor(page, (id) => !document.querySelector(`#faults-table tr[data-id="${id}"]`), ruleId, 3000);
  const left = await control('/_sim/faults');
  check('a rule deleted through the console is gone', gone && left.rules.length === 0);

  // 6. advancing the clock by 301 s through the console expires an iterator obtained before
  const it = await kinesis('GetShardIterator', { StreamName: 'beta', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
  await view(page, '#/clock');
  await page.$eval('#adv-amount', (e) => { e.value = ''; });
  await page.type('#adv-amount', '301');
  await page.select('#adv-unit', '1000');
  await page.click('#advance-form button[type="submit"]');
  const advanced = await waitFor(page, () => /Advanced/.test(document.querySelector('#clock-status').textContent), null, 3000);
  const offset = await page.$eval('#clk-offset', (e) => e.textContent);
  const read = await kinesis('GetRecords', { ShardIterator: it.json && it.json.ShardIterator });
  check('advancing the clock by 301 s through the console expires an iterator obtained before',
    it.ok && advanced && !read.ok && /ExpiredIteratorException/.test(read.stderr), `offset "${offset}"; ${read.stderr.replace(/^HTTP \d+\n/, '').trim().slice(0, 80)}…`);
  await sleep(1100);
  await shot(page, '05-clock-dark');

  // throttling off and a new scale through the console, then back
  await page.click('#cfg-throttle');
  await page.$eval('#cfg-scale', (e) => { e.value = ''; });
  await page.type('#cfg-scale', '0.5');
  await page.click('#config-form button[type="submit"]');
  await waitFor(page, () => /Throttling off/.test(document.querySelector('#config-status').textContent), null, 3000);
  const cfgOff = await control('/_sim/config');
  await page.click('#cfg-throttle');
  await page.$eval('#cfg-scale', (e) => { e.value = ''; });
  await page.type('#cfg-scale', '0.01');
  await page.click('#config-form button[type="submit"]');
  await waitFor(page, () => /Throttling on/.test(document.querySelector('#config-status').textContent), null, 3000);
  const cfgOn = await control('/_sim/config');
  check('throttling is turned off and on, and its scale changed, through the console',
    cfgOff.throttle === 'off' && cfgOff.throttle_scale === 0.5 && cfgOn.throttle === 'aws' && cfgOn.throttle_scale === 0.01);

  // 7. the records view shows the UTF-8 text of records put through the API (and expands KPL aggregates)
  const text = 'héllo wörld · Ελληνικά · Кириллица · 5 € ✓'; // 2- and 3-byte UTF-8, in the fonts Debian's chromium has here
  const agg = kplRecord([{ key: 'user-1', data: 'first inner record' }, { key: 'user-2', data: '{"inner": 2}' }]);
  const puts = await kinesis('PutRecords', { StreamName: 'beta', Records: [
    { Data: Buffer.from(text).toString('base64'), PartitionKey: 'utf8' },
    { Data: Buffer.from('{"n": 1, "ok": true}').toString('base64'), PartitionKey: 'json' },
    { Data: agg.toString('base64'), PartitionKey: 'kpl' }] });
  await view(page, '#/records?account=000000000000&region=us-east-1&stream=beta&shard=shardId-000000000000');
  await page.select('#rec-from', 'trim_horizon');
  await page.select('#rec-format', 'text');
  await page.click('#records-form button[type="submit"]');
  const showsText = await waitFor(page, (t) => Array.from(document.querySelectorAll('#records-table td.data pre')).some((p) => p.textContent === t), text, 3000);
  const kpl = await page.evaluate(() => Array.from(document.querySelectorAll('#records-table .kpl-record')).map((li) => li.textContent));
  check('the records view shows the UTF-8 text of records put through the API', puts.ok && puts.json.FailedRecordCount === 0 && showsText, text);
  check('a KPL-aggregated record is expanded into its user records', kpl.length === 2 && /user-1/.test(kpl[0]) && /first inner record/.test(kpl[0]) && /user-2/.test(kpl[1]), kpl.join(' | '));
  await shot(page, '03-records-dark');
  await page.select('#rec-format', 'hex');
  const hex = await page.evaluate(() => Array.from(document.querySelectorAll('#records-table pre.hex')).map((p) => p.textContent).join('\n'));
  await page.select('#rec-format', 'json');
  const json = await page.evaluate(() => Array.from(document.querySelectorAll('#records-table pre.json')).map((p) => p.textContent).join('\n'));
  check('records show as hex and as JSON', /68 c3 a9 6c 6c 6f/.test(hex) && json.includes('"ok": true'));
  // paging: 8 more records (a second later: the shard's write budget is 10 records/s) make 11, two pages of 10
  await sleep(1100);
  const more = await kinesis('PutRecords', { StreamName: 'beta', Records: Array.from({ length: 8 }, (_, i) => ({ Data: Buffer.from(`more ${i}`).toString('base64'), PartitionKey: 'm' })) });
  await page.select('#rec-format', 'text');
  await page.select('#rec-limit', '10');
  await page.click('#records-form button[type="submit"]');
  await waitFor(page, () => /^Page 1: 10 records; more follow/.test(document.querySelector('#rec-status').textContent), null, 3000);
  const page1 = await page.$$eval('#records-table tbody tr', (rows) => rows.map((r) => r.dataset.seq));
  await page.click('#rec-next');
  const onPage2 = await waitFor(page, () => /^Page 2: 1 record;/.test(document.querySelector('#rec-status').textContent), null, 3000);
  const page2 = await page.$$eval('#records-table tbody tr', (rows) => rows.map((r) => r.dataset.seq));
  await page.click('#rec-prev');
  const back = await waitFor(page, () => /^Page 1: 10 records/.test(document.querySelector('#rec-status').textContent), null, 3000);
  check('records page forward and back', more.ok && more.json.FailedRecordCount === 0 && page1.length === 10 && onPage2 &&
    page2.length === 1 && !page1.includes(page2[0]) && back, `${page1.length} + ${page2.length}`);

  // a resharded stream under steady load: lineage and live rates (the README's screenshot, docs/console.png)
  await kinesis('CreateStream', { StreamName: 'orders', ShardCount: 3 });
  const pre = (await control('/_sim/streams')).streams.find((x) => x.name === 'orders');
  const s0 = pre.shards[0];
  const mid = ((BigInt(s0.start_hash) + BigInt(s0.end_hash)) / 2n).toString();
  const split = await kinesis('SplitShard', { StreamName: 'orders', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: mid });
  await sleep(100);
  const merge = await kinesis('MergeShards', { StreamName: 'orders', ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' });
  const open = (await control('/_sim/streams')).streams.find((x) => x.name === 'orders').shards.filter((x) => !x.closed_ms);
  await view(page, '#/stream?account=000000000000&region=us-east-1&name=orders');
  for (let round = 0; round < 14; round++) {
    const recs = [];
    open.forEach((x, i) => { for (let k = 0; k < 2 + i * 2 + (round === 9 && i === 2 ? 12 : 0); k++) recs.push({ Data: Buffer.from(`order ${round}-${k}`).toString('base64'), PartitionKey: `o${k}`, ExplicitHashKey: x.start_hash }); });
    await kinesis('PutRecords', { StreamName: 'orders', Records: recs });
    if (round % 3 === 0) {
      const itr = await kinesis('GetShardIterator', { StreamName: 'orders', ShardId: open[round % open.length].shard_id, ShardIteratorType: 'TRIM_HORIZON' });
      if (itr.ok) await kinesis('GetRecords', { ShardIterator: itr.json.ShardIterator });
    }
    await sleep(450);
  }
  const lineage = await waitFor(page, () => document.querySelectorAll('#hashline .seg').length === 6 && document.querySelectorAll('#hashline .link').length === 4, null, 3000);
  check('a resharded stream shows its lineage: parents above their children', split.ok && merge.ok && lineage);
  await shot(page, '06-stream-lineage-dark');
  // the README's picture (docs/console.png): the hash-key line and the open shards' cards
  const readme = path.join(OUT, 'readme-stream.png');
  await page.screenshot({ path: readme, clip: { x: 0, y: 0, width: 1280, height: 625 } });
  artefacts.push(path.relative(process.cwd(), readme));

  // keyboard: 1-5 switch views, t switches the theme; every control has a label
  await page.focus('body');
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  const seen = [];
  for (const k of ['1', '2', '3', '4', '5']) {
    await page.keyboard.press(k);
    await sleep(100);
    seen.push(await page.evaluate(() => location.hash.split('?')[0]));
  }
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.keyboard.press('t');
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  check('keys 1-5 switch views and t switches the theme', seen.join(',') === '#/streams,#/stream,#/records,#/faults,#/clock' && before !== after, `${seen.join(',')}; ${before} -> ${after}`);
  const unlabeled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea, button')).filter((e) => {
    const named = (e.labels && e.labels.length) || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby') || (e.tagName === 'BUTTON' && e.textContent.trim());
    return !named;
  }).map((e) => e.id || e.outerHTML.slice(0, 60)));
  check('every control has a label', unlabeled.length === 0, unlabeled.join(', '));
  await view(page, '#/stream?name=alpha');
  await waitFor(page, () => document.querySelectorAll('#shard-cards .card').length === 2, null, 3000);
  const tabbable = await page.evaluate(() => Array.from(document.querySelectorAll('#hashline .seg, #shard-cards .card')).every((e) => e.getAttribute('tabindex') === '0'));
  check('shards are reachable with the keyboard', tabbable);

  // both themes: one screenshot of each view
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => { localStorage.setItem('kinesis-sim-theme', t); }, theme);
    for (const [name, hash] of [['01-streams', '#/streams'], ['02-stream', '#/stream?name=alpha'], ['03-records', '#/records?stream=beta&shard=shardId-000000000000'], ['04-faults', '#/faults'], ['05-clock', '#/clock'], ['06-stream-lineage', '#/stream?name=orders']]) {
      if (theme === 'dark' && artefacts.some((f) => f.includes(`${name}-dark`))) continue;
      await page.goto(`${sim.ui}/_sim/ui/${hash}`, { waitUntil: 'networkidle0' });
      await sleep(1200);
      if (name === '03-records') { await page.click('#records-form button[type="submit"]'); await sleep(400); }
      await shot(page, `${name}-${theme}`);
    }
  }

  // the control token: a simulator started with --control-token; the page asks for it, then reads
  guarded = await startSim(['--control-token', 'console-test-token']);
  const tab = await browser.newPage();
  await tab.setViewport({ width: 1280, height: 800 });
  await tab.goto(`${guarded.ui}/_sim/ui/#/streams`, { waitUntil: 'networkidle0' });
  const asked = await waitFor(tab, () => !document.querySelector('#token-bar').hidden, null, 3000);
  const rowsBefore = await tab.$$eval('#streams-table tbody tr', (r) => r.length);
  await kinesis('CreateStream', { StreamName: 'guarded', ShardCount: 1 }, guarded.api);
  await tab.type('#token-input', 'console-test-token');
  await tab.click('#token-form button[type="submit"]');
  const listed = await waitFor(tab, () => document.querySelector('#token-bar').hidden && document.querySelector('#streams-table tr[data-stream="guarded"]'), null, 4000);
  const sent = await tab.evaluate(() => sessionStorage.getItem('kinesis-sim-token'));
  await tab.close();
  check('with --control-token the page asks for the token, then reads with it', asked && rowsBefore === 0 && listed && sent === 'console-test-token');

  check('no console errors and no request left 127.0.0.1 during the whole run', consoleErrors.length === 0 && offsite.length === 0 && failed.length === 0,
    [...consoleErrors, ...offsite, ...failed].join('; '));
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
  for (const x of [sim, guarded]) {
    if (!x || x.proc.exitCode !== null) continue;
    x.proc.removeAllListeners('exit');
    const done = new Promise((r) => x.proc.on('exit', r));
    x.proc.kill('SIGTERM');
    await Promise.race([done, sleep(5000)]);
    if (x.proc.exitCode === null) x.proc.kill('SIGKILL');
  }
}

(async () => {
  const guard = setTimeout(() => { log('the run took over 180 s: stopping'); cleanup().then(() => process.exit(1)); }, TIMEOUT_MS);
  try {
    await main();
  } catch (e) {
    check('the run completed', false, e.stack || String(e));
  }
  await cleanup();
  clearTimeout(guard);
  fs.writeFileSync(path.join(OUT, 'artefacts.txt'), `${artefacts.join('\n')}\n`);
  log(`screenshots: ${artefacts.length} in ${path.relative(process.cwd(), OUT)} (list: artefacts.txt)`);
  const bad = results.filter((r) => !r.ok).length;
  log(`${results.length - bad} passed, ${bad} failed`);
  process.exit(bad || !results.length ? 1 : 0);
})();
