/* app.js: kinesis-sim console (index.html). Reads the control API of its own origin (/_sim/streams,
 * /_sim/stats, /_sim/records, /_sim/faults, /_sim/clock, /_sim/config: README "The control API") and
 * nothing else. It polls once a second while the tab is visible and stops when it is hidden, so a closed
 * or background page costs the simulator nothing. Data from the server is put into the page as text
 * (textContent), never as markup. */
'use strict';

(() => {
  // ------------------------------------------------------------------ helpers
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const SVG = 'http://www.w3.org/2000/svg';

  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }
  function s(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    setAttrs(e, attrs);
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
    return e;
  }
  function setAttrs(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }

  const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
  function fmtRate(n) {
    if (!isFinite(n) || n === 0) return '0';
    if (n < 1) return String(Number(n.toPrecision(2)));
    if (n < 10) return n.toFixed(1);
    return fmtInt(n);
  }
  function fmtBytes(n) {
    if (n < 1024) return `${fmtRate(n)} B`;
    if (n < 1048576) return `${fmtRate(n / 1024)} KiB`;
    return `${fmtRate(n / 1048576)} MiB`;
  }
  const isoTime = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  function fmtDuration(ms) {
    const sign = ms < 0 ? '−' : '+';
    let t = Math.abs(Math.round(ms / 1000));
    const d = Math.floor(t / 86400); t -= d * 86400;
    const hh = Math.floor(t / 3600); t -= hh * 3600;
    const mm = Math.floor(t / 60); const ss = t - mm * 60;
    const parts = [];
    if (d) parts.push(`${d} d`);
    if (hh || d) parts.push(`${hh} h`);
    if (mm || hh || d) parts.push(`${mm} min`);
    parts.push(`${ss} s`);
    return Math.abs(ms) < 1000 ? `${sign}${Math.abs(ms)} ms` : sign + parts.join(' ');
  }
  const streamKey = (st) => `${st.account_id}/${st.region}/${st.name}`;

  // ------------------------------------------------------------------ state
  const state = {
    token: sessionStorage.getItem('kinesis-sim-token') || '',
    live: true,
    streams: [],
    streamsAt: 0,
    clock: null,
    config: null,
    faults: null,
    limits: null,
    // per shard: key "account/region/stream/shardId" -> [{t, dt, rin, bin, rout, bout, calls, thw, thr}]
    series: new Map(),
    lastT: 0,
    windowMs: 60000,
    view: 'streams',
    params: new URLSearchParams(),
    rec: { pages: [], page: null },
  };

  // ------------------------------------------------------------------ the control API
  class ApiError extends Error {
    constructor(status, type, message) { super(message); this.status = status; this.type = type; }
  }

  async function api(path, opts = {}) {
    const headers = {};
    if (state.token) headers['X-Sim-Control-Token'] = state.token;
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const resp = await fetch(path, {
      method: opts.method || 'GET', headers, cache: 'no-store',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await resp.text();
    let j = null;
    try { j = text ? JSON.parse(text) : null; } catch (_) { j = null; }
    if (!resp.ok) {
      const type = (j && j.__type) || `HTTP ${resp.status}`;
      const msg = (j && (j.message || j.Message)) || text || resp.statusText;
      if (resp.status === 403) askToken(msg);
      throw new ApiError(resp.status, type, msg);
    }
    hideError();
    return j;
  }

  function showError(msg) {
    const bar = $('#error-bar');
    bar.textContent = msg;
    bar.hidden = false;
  }
  function hideError() { $('#error-bar').hidden = true; }

  function askToken(why) {
    $('#token-why').textContent = why || 'This simulator needs its control token.';
    $('#token-bar').hidden = false;
  }

  // ------------------------------------------------------------------ polling
  let tick = 0;
  let polling = false;

  async function poll() {
    if (polling || !state.live || document.visibilityState !== 'visible') return;
    polling = true;
    try {
      const wantStreams = tick % 2 === 0 || !state.streamsAt;
      const jobs = [api(`/_sim/stats?since=${state.lastT}`).then(mergeStats), api('/_sim/clock').then((c) => { state.clock = c; })];
      if (wantStreams) jobs.push(api('/_sim/streams').then((j) => { state.streams = j.streams || []; state.streamsAt = Date.now(); }));
      if (state.view === 'faults') jobs.push(loadFaults());
      if (state.view === 'clock' && tick % 2 === 0) jobs.push(loadConfig());
      await Promise.all(jobs);
      tick++;
      render(false);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 403)) showError(`Cannot reach the simulator: ${e.message}`);
    } finally {
      polling = false;
    }
  }

  function mergeStats(j) {
    state.limits = j.limits || null;
    state.throttle = j.throttle;
    state.windowMs = j.window_ms || 60000;
    const t = j.t || [];
    const dts = j.interval_ms || [];
    if (t.length) state.lastT = t[t.length - 1];
    for (const sh of j.shards || []) {
      const key = `${sh.account_id}/${sh.region}/${sh.stream}/${sh.shard_id}`;
      let arr = state.series.get(key);
      if (!arr) { arr = []; state.series.set(key, arr); }
      arr.created = sh.stream_created_ms;
      arr.totals = sh.totals;
      for (let i = 0; i < t.length; i++) {
        arr.push({
          t: t[i], dt: dts[i] || 1000,
          rin: sh.records_in[i], bin: sh.bytes_in[i], rout: sh.records_out[i], bout: sh.bytes_out[i],
          calls: sh.get_records[i], thw: sh.throttled_write[i], thr: sh.throttled_read[i],
        });
      }
    }
    const horizon = (j.now_ms || Date.now()) - state.windowMs;
    state.now = j.now_ms;
    // the charts span the window, or less while the page has seen less of it (never under 20 s)
    let earliest = state.now;
    for (const arr of state.series.values()) if (arr.length && arr[0].t - arr[0].dt < earliest) earliest = arr[0].t - arr[0].dt;
    state.t0 = Math.max(horizon, Math.min(earliest, state.now - 20000));
    for (const [k, arr] of state.series) {
      while (arr.length && arr[0].t <= horizon) arr.shift();
      if (!arr.length && !(j.shards || []).some((sh) => `${sh.account_id}/${sh.region}/${sh.stream}/${sh.shard_id}` === k)) state.series.delete(k);
    }
  }

  // The rates of the last interval, summed over the shards of a stream.
  function streamRates(st) {
    const out = { rin: 0, rout: 0, thr: 0 };
    for (const sh of st.shards) {
      const arr = state.series.get(`${streamKey(st)}/${sh.shard_id}`);
      if (!arr || !arr.length) continue;
      const p = arr[arr.length - 1];
      out.rin += (p.rin * 1000) / p.dt;
      out.rout += (p.rout * 1000) / p.dt;
      out.thr += ((p.thw + p.thr) * 1000) / p.dt;
    }
    return out;
  }

  async function loadFaults() { state.faults = await api('/_sim/faults'); }
  async function loadConfig() { state.config = await api('/_sim/config'); }

  // ------------------------------------------------------------------ routing
  const VIEWS = ['streams', 'stream', 'records', 'faults', 'clock'];

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const [name, query] = raw.split('?');
    const params = new URLSearchParams(query || '');
    if (params.has('token')) { // a link may carry the token once; keep it for this tab, drop it from the address
      state.token = params.get('token');
      sessionStorage.setItem('kinesis-sim-token', state.token);
      params.delete('token');
      const q = params.toString();
      history.replaceState(null, '', `#/${name || 'streams'}${q ? `?${q}` : ''}`);
    }
    return { view: VIEWS.includes(name) ? name : 'streams', params };
  }

  function go(view, params) {
    const q = params ? new URLSearchParams(params).toString() : '';
    location.hash = `#/${view}${q ? `?${q}` : ''}`;
  }

  function onRoute() {
    const { view, params } = parseHash();
    const changed = view !== state.view;
    state.view = view;
    state.params = params;
    for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
    for (const a of $$('nav a')) {
      if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = `${$(`#view-${view} h1`).textContent} · kinesis-sim console`;
    if (view === 'faults' && !state.faults) loadFaults().then(() => render(false)).catch(() => {});
    if (view === 'clock') loadConfig().then(() => { fillConfigForm(); render(false); }).catch(() => {});
    if (view === 'records') enterRecords();
    render(true);
    if (changed) $('#main').focus({ preventScroll: true });
  }

  function render(full) {
    renderNow();
    if (state.view === 'streams') renderStreams();
    else if (state.view === 'stream') renderStream(full);
    else if (state.view === 'records') renderRecordPickers();
    else if (state.view === 'faults') renderFaults();
    else if (state.view === 'clock') renderClock();
  }

  function renderNow() {
    if (!state.clock) return;
    const c = state.clock;
    $('#sim-now').textContent = `${isoTime(c.now_ms).slice(0, 19)} UTC${c.mode === 'virtual' ? ' · virtual' : ''}`;
  }

  // ------------------------------------------------------------------ view 1: streams
  function renderStreams() {
    const tbody = $('#streams-table tbody');
    const filter = $('#stream-filter').value.trim().toLowerCase();
    const rows = state.streams.filter((st) => !filter || `${st.account_id} ${st.region} ${st.name}`.toLowerCase().includes(filter));
    $('#streams-empty').hidden = state.streams.length > 0;
    const keep = new Set();
    let prev = null;
    for (const st of rows) {
      const key = streamKey(st);
      keep.add(key);
      let tr = tbody.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
      if (!tr) {
        tr = h('tr', { 'data-key': key, 'data-stream': st.name });
        for (let i = 0; i < 12; i++) tr.append(h('td'));
        const link = h('a', { href: `#/stream?${new URLSearchParams({ account: st.account_id, region: st.region, name: st.name })}`, text: st.name });
        tr.children[2].append(link);
        tr.children[0].className = 'mono';
        for (const i of [5, 6, 7, 8, 9, 10]) tr.children[i].className = 'num';
      }
      const r = streamRates(st);
      const cells = tr.children;
      cells[0].textContent = st.account_id;
      cells[1].textContent = st.region;
      cells[3].replaceChildren(h('span', { class: `badge ${st.status}`, text: st.status }));
      cells[4].textContent = st.mode === 'ON_DEMAND' ? 'on-demand' : 'provisioned';
      cells[5].textContent = st.open_shards;
      cells[6].textContent = st.closed_shards;
      cells[7].textContent = `${st.retention_hours} h`;
      cells[8].textContent = fmtRate(r.rin);
      cells[9].textContent = fmtRate(r.rout);
      cells[10].textContent = fmtRate(r.thr);
      cells[10].classList.toggle('hot', r.thr > 0);
      cells[11].textContent = st.consumers.length ? st.consumers.map((c) => c.name).join(', ') : '–';
      if (tr.previousElementSibling !== prev || tr.parentNode !== tbody) {
        if (prev) prev.after(tr); else tbody.prepend(tr);
      }
      prev = tr;
    }
    for (const tr of $$('tr', tbody)) if (!keep.has(tr.dataset.key)) tr.remove();
  }

  // ------------------------------------------------------------------ view 2: one stream
  function currentStream() {
    let p = state.params;
    if (p.get('name')) state.lastStream = p;
    else if (state.lastStream) p = state.lastStream;
    let st = state.streams.find((x) => x.name === p.get('name') && (!p.get('account') || x.account_id === p.get('account')) &&
      (!p.get('region') || x.region === p.get('region')));
    if (!st && !p.get('name') && state.streams.length) st = state.streams[0];
    return st || null;
  }

  function fillStreamPicker(sel, chosen) {
    const want = state.streams.map((st) => streamKey(st)).join('|');
    if (sel.dataset.list !== want) {
      sel.replaceChildren(...state.streams.map((st) => h('option', { value: streamKey(st), text: `${st.name}  (${st.account_id}, ${st.region})` })));
      sel.dataset.list = want;
    }
    if (chosen) sel.value = streamKey(chosen);
  }

  let drawnLineage = '';
  function renderStream(full) {
    const st = currentStream();
    fillStreamPicker($('#stream-pick'), st);
    if (!st) {
      $('#stream-meta').textContent = state.streamsAt ? 'No such stream.' : 'Loading…';
      $('#hashline').replaceChildren();
      $('#shard-cards').replaceChildren();
      drawnLineage = '';
      return;
    }
    $('#h-stream').textContent = st.name;
    $('#stream-meta').textContent = `${st.status} · ${st.mode === 'ON_DEMAND' ? 'on-demand' : 'provisioned'} · ${st.open_shards} open, ${st.closed_shards} closed · retention ${st.retention_hours} h · ${st.account_id} ${st.region}`;
    const sig = `${streamKey(st)}#${st.created_ms}#` + st.shards.map((x) => `${x.shard_id}:${x.closed_ms || 0}`).join(',');
    if (full || sig !== drawnLineage) {
      drawHashLine(st);
      buildCards(st);
      drawnLineage = sig;
    }
    updateCards(st);
    const L = state.limits;
    $('#limits-note').textContent = L
      ? (state.throttle === 'off' ? 'Throttling is off; limits shown for reference: ' : 'Per-shard limits: ') +
        `write ${fmtRate(L.write_records_per_s)} records/s and ${fmtBytes(L.write_bytes_per_s)}/s, read ${fmtRate(L.read_calls_per_s)} GetRecords/s and ${fmtBytes(L.read_bytes_per_s)}/s. Charts: the last ${Math.round(((state.now || 0) - (state.t0 || 0)) / 1000) || Math.round(state.windowMs / 1000)} s (up to ${Math.round(state.windowMs / 1000)}), as % of the limit.`
      : '';
  }

  const TWO128 = 1n << 128n;
  const hashX = (dec, width) => Number((BigInt(dec) * BigInt(width * 1000)) / TWO128) / 1000;

  function drawHashLine(st) {
    const byIndex = new Map(st.shards.map((x) => [x.shard_id, x]));
    const depth = new Map();
    const depthOf = (x) => {
      if (depth.has(x.shard_id)) return depth.get(x.shard_id);
      depth.set(x.shard_id, 0);
      let d = 0;
      for (const p of [x.parent, x.adjacent_parent]) if (p && byIndex.has(p)) d = Math.max(d, depthOf(byIndex.get(p)) + 1);
      depth.set(x.shard_id, d);
      return d;
    };
    st.shards.forEach(depthOf);
    const rows = Math.max(1, ...[...depth.values()].map((d) => d + 1));
    const W = 1000, RH = 26, GAP = 18, TOP = 4;
    const H = TOP + rows * (RH + GAP) + 10;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `Hash-key ranges of ${st.shards.length} shards` });
    const pos = new Map();
    for (const x of st.shards) {
      const x0 = hashX(x.start_hash, W), x1 = hashX(BigInt(x.end_hash) + 1n, W);
      const y = TOP + depth.get(x.shard_id) * (RH + GAP);
      pos.set(x.shard_id, { x0, x1, y });
    }
    for (const x of st.shards) {
      const c = pos.get(x.shard_id);
      for (const p of [x.parent, x.adjacent_parent]) {
        const pp = p && pos.get(p);
        if (!pp) continue;
        const px = (Math.max(pp.x0, c.x0) + Math.min(pp.x1, c.x1)) / 2;
        svg.append(s('path', { class: 'link', d: `M${px} ${pp.y + RH} L${(c.x0 + c.x1) / 2} ${c.y}` }));
      }
    }
    for (const x of st.shards) {
      const c = pos.get(x.shard_id);
      const open = !x.closed_ms;
      const idx = parseInt(x.shard_id.slice(8), 10);
      const label = `${x.shard_id}, ${open ? 'open' : 'closed'}, hash keys ${x.start_hash} to ${x.end_hash}`;
      const g = s('g', {});
      const rect = s('rect', {
        class: `seg ${open ? 'open' : 'closed'}`, x: c.x0, y: c.y, width: Math.max(1, c.x1 - c.x0), height: RH, rx: 4,
        tabindex: 0, role: 'button', 'aria-label': label, 'data-shard': x.shard_id,
        onclick: () => focusCard(x.shard_id), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); focusCard(x.shard_id); } },
      }, s('title', { text: label }));
      g.append(rect);
      if (c.x1 - c.x0 > 22) g.append(s('text', { x: (c.x0 + c.x1) / 2, y: c.y + RH / 2 + 4, 'text-anchor': 'middle', text: c.x1 - c.x0 > 120 ? x.shard_id : String(idx) }));
      svg.append(g);
    }
    svg.append(s('text', { class: 'axis', x: 0, y: H - 1, text: '0' }));
    svg.append(s('text', { class: 'axis', x: W, y: H - 1, 'text-anchor': 'end', text: '2¹²⁸−1' }));
    $('#hashline').replaceChildren(svg);
  }

  function focusCard(id) {
    const card = $(`.card[data-shard="${id}"]`);
    if (!card) return;
    $$('.card.sel, .seg.sel').forEach((e) => e.classList.remove('sel'));
    card.classList.add('sel');
    const seg = $(`.seg[data-shard="${id}"]`);
    if (seg) seg.classList.add('sel');
    card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    card.focus({ preventScroll: true });
  }

  function lineageText(st, x) {
    const parts = [];
    const parents = [x.parent, x.adjacent_parent].filter(Boolean);
    if (parents.length === 2) parts.push(`merged from ${parents.join(' + ')}`);
    else if (parents.length === 1) parts.push(`split from ${parents[0]}`);
    const kids = st.shards.filter((c) => c.parent === x.shard_id || c.adjacent_parent === x.shard_id).map((c) => c.shard_id);
    if (kids.length) parts.push(`→ ${kids.join(', ')}`);
    return parts.join(' · ') || 'no parent';
  }

  function buildCards(st) {
    const wrap = $('#shard-cards');
    // open shards first, each group in shard order
    const cards = st.shards.filter((x) => !x.expired).sort((a, b) => Boolean(a.closed_ms) - Boolean(b.closed_ms) || a.shard_id.localeCompare(b.shard_id));
    wrap.replaceChildren(...cards.map((x) => {
      const recLink = h('a', { href: `#/records?${new URLSearchParams({ account: st.account_id, region: st.region, stream: st.name, shard: x.shard_id })}`, text: 'Peek records →' });
      const card = h('article', {
        class: `card${x.closed_ms ? ' closed' : ''}`, 'data-shard': x.shard_id, tabindex: 0,
        'aria-label': `${x.shard_id} (${x.closed_ms ? 'closed' : 'open'}); Enter opens its records`,
        onkeydown: (e) => { if (e.key === 'Enter' && e.target === card) recLink.click(); },
      },
      h('header', {}, h('h3', { text: x.shard_id }), h('span', { class: `badge ${x.closed_ms ? '' : 'ACTIVE'}`, text: x.closed_ms ? 'closed' : 'open' })),
      h('div', { class: 'lineage', text: lineageText(st, x) }),
      // a closed shard takes no writes: its card keeps the read line only
      x.closed_ms ? null : h('div', { class: 'spark spark-write' }, h('span', { class: 'lbl', text: 'write' }), s('svg', { viewBox: '0 0 300 42', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'write rate' }), h('span', { class: 'rate' })),
      h('div', { class: 'spark spark-read' }, h('span', { class: 'lbl', text: 'read' }), s('svg', { viewBox: '0 0 300 42', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'read rate' }), h('span', { class: 'rate' })),
      h('div', { class: 'foot' }, h('span', { class: 'muted totals' }), recLink));
      return card;
    }));
  }

  // One sparkline: utilisation (% of the limit) per interval over the window, the limit at 100%, throttling marked.
  function drawSpark(box, points, pct, thrOf, color) {
    const svg = $('svg', box);
    const W = 300, H = 42;
    const now = state.now || Date.now();
    const t0 = state.t0 || now - state.windowMs;
    const span = Math.max(1, now - t0);
    const vals = points.filter((p) => p.t > t0).map((p) => ({ x: ((p.t - t0) / span) * W, v: pct(p), thr: thrOf(p) }));
    const peak = Math.max(0, ...vals.map((v) => v.v));
    const top = peak >= 40 ? Math.max(110, peak * 1.1) : Math.max(peak * 1.4, 2);
    const y = (v) => H - 2 - (v / top) * (H - 6);
    const kids = [];
    if (vals.length) {
      let d = `M${vals[0].x} ${H}`;
      for (const p of vals) d += ` L${p.x.toFixed(1)} ${y(p.v).toFixed(1)}`;
      d += ` L${vals[vals.length - 1].x} ${H} Z`;
      kids.push(s('path', { class: color, d }));
    }
    if (top >= 100) kids.push(s('line', { class: 'limit', x1: 0, x2: W, y1: y(100), y2: y(100) }));
    let thrTotal = 0;
    for (const p of vals) {
      if (p.thr > 0) {
        thrTotal += p.thr;
        kids.push(s('rect', { class: 'throttle-mark', x: p.x - 1.5, y: 0, width: 3, height: 7 }, s('title', { text: `${p.thr} throttled` })));
      }
    }
    svg.replaceChildren(...kids);
    svg.dataset.peak = peak.toFixed(2);
    svg.dataset.throttled = String(thrTotal);
    svg.dataset.points = String(vals.length);
    return { peak, thrTotal };
  }

  function updateCards(st) {
    const L = state.limits || { write_records_per_s: 1000, write_bytes_per_s: 1048576, read_calls_per_s: 5, read_bytes_per_s: 2097152 };
    for (const card of $$('#shard-cards .card')) {
      const id = card.dataset.shard;
      const pts = state.series.get(`${streamKey(st)}/${id}`) || [];
      const last = pts[pts.length - 1];
      const per = (n, p) => (n * 1000) / p.dt;
      const hasWrite = Boolean($('.spark-write', card));
      const w = hasWrite ? drawSpark($('.spark-write', card), pts,
        (p) => 100 * Math.max(per(p.rin, p) / L.write_records_per_s, per(p.bin, p) / L.write_bytes_per_s),
        (p) => p.thw, 'w') : { peak: 0, thrTotal: 0 };
      const r = drawSpark($('.spark-read', card), pts,
        (p) => 100 * Math.max(per(p.calls, p) / L.read_calls_per_s, per(p.bout, p) / L.read_bytes_per_s),
        (p) => p.thr, 'r');
      const wr = last ? per(last.rin, last) : 0, wb = last ? per(last.bin, last) : 0;
      const rr = last ? per(last.rout, last) : 0, rb = last ? per(last.bout, last) : 0;
      if (hasWrite) {
        $('.spark-write .rate', card).textContent = `${fmtRate(wr)} rec/s · ${fmtBytes(wb)}/s · peak ${fmtRate(w.peak)}% of limit` + (w.thrTotal ? ` · ${w.thrTotal} throttled` : '');
        $('.spark-write .rate', card).classList.toggle('hot', w.thrTotal > 0);
      }
      $('.spark-read .rate', card).textContent = `${fmtRate(rr)} rec/s · ${fmtBytes(rb)}/s · peak ${fmtRate(r.peak)}% of limit` + (r.thrTotal ? ` · ${r.thrTotal} throttled` : '');
      $('.spark-read .rate', card).classList.toggle('hot', r.thrTotal > 0);
      const tot = pts.totals;
      $('.totals', card).textContent = tot ? `since watched: ${fmtInt(tot.records_in)} in, ${fmtInt(tot.records_out)} out, ${fmtInt(tot.throttled_write + tot.throttled_read)} throttled` : 'no traffic seen';
    }
  }

  // ------------------------------------------------------------------ view 3: records
  function enterRecords() {
    const p = state.params;
    renderRecordPickers();
    if (p.get('stream')) {
      const st = state.streams.find((x) => x.name === p.get('stream') && (!p.get('account') || x.account_id === p.get('account')) && (!p.get('region') || x.region === p.get('region')));
      if (st) {
        $('#rec-stream').value = streamKey(st);
        fillShardPicker(st);
        if (p.get('shard')) $('#rec-shard').value = p.get('shard');
      }
    }
  }

  function recStream() { return state.streams.find((x) => streamKey(x) === $('#rec-stream').value) || null; }

  function renderRecordPickers() {
    const sel = $('#rec-stream');
    const before = sel.value;
    fillStreamPicker(sel, null);
    if (before && state.streams.some((x) => streamKey(x) === before)) sel.value = before;
    const st = recStream();
    if (st) fillShardPicker(st);
  }

  function fillShardPicker(st) {
    const sel = $('#rec-shard');
    const want = st.shards.map((x) => x.shard_id + (x.closed_ms ? 'c' : '')).join('|');
    if (sel.dataset.list === want) return;
    const before = sel.value;
    sel.replaceChildren(...st.shards.map((x) => h('option', { value: x.shard_id, text: `${x.shard_id}${x.closed_ms ? ' (closed)' : ''}` })));
    sel.dataset.list = want;
    if (st.shards.some((x) => x.shard_id === before)) sel.value = before;
  }

  function syncRecordInputs() {
    const from = $('#rec-from').value;
    $('#rec-seq-wrap').hidden = !from.endsWith('sequence');
    $('#rec-ts-wrap').hidden = from !== 'at_timestamp';
  }

  async function peek(position) {
    const st = recStream();
    if (!st) { $('#rec-status').textContent = 'Choose a stream first.'; return; }
    const q = new URLSearchParams({ account_id: st.account_id, region: st.region, stream: st.name, shard: $('#rec-shard').value, limit: $('#rec-limit').value });
    if (position !== undefined) q.set('position', position);
    else {
      const from = $('#rec-from').value;
      q.set('from', from);
      if (from.endsWith('sequence')) q.set('sequence', $('#rec-seq').value.trim());
      if (from === 'at_timestamp') {
        const v = $('#rec-ts').value;
        if (!v) { $('#rec-status').textContent = 'Give a time.'; return; }
        q.set('timestamp', String(Date.parse(`${v}Z`)));
      }
    }
    $('#rec-status').textContent = 'Reading…';
    try {
      const page = await api(`/_sim/records?${q}`);
      page.query = q.toString();
      state.rec.page = page;
      renderRecords();
    } catch (e) {
      $('#rec-status').textContent = `${e.type || 'Error'}: ${e.message}`;
    }
  }

  function renderRecords() {
    const page = state.rec.page;
    if (!page) return;
    const fmt = $('#rec-format').value;
    const tbody = $('#records-table tbody');
    tbody.replaceChildren(...page.records.map((r) => {
      const bytes = b64bytes(r.data);
      return h('tr', { 'data-seq': r.sequence_number },
        h('td', { class: 'mono', text: r.sequence_number }),
        h('td', { class: 'mono', text: r.partition_key }),
        h('td', { class: 'mono', text: isoTime(r.arrival_ms) }),
        h('td', { class: 'num', text: fmtInt(bytes.length) }),
        h('td', { class: 'data' }, renderData(bytes, fmt)));
    }));
    const n = page.records.length;
    const pageNo = state.rec.pages.length + 1;
    $('#rec-status').textContent = n
      ? `Page ${pageNo}: ${n} record${n === 1 ? '' : 's'}${page.more ? '; more follow' : '; up to date with the shard'}.`
      : `Page ${pageNo}: no records${page.shard_closed ? ' (the shard is closed)' : ' yet; Next page reads what arrives from here'}.`;
    $('#rec-next').disabled = false;
    $('#rec-prev').disabled = state.rec.pages.length === 0;
  }

  function b64bytes(b64) {
    const bin = atob(b64 || '');
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  const utf8 = new TextDecoder('utf-8', { fatal: false });
  function asText(bytes) { return utf8.decode(bytes); }
  function asHex(bytes) {
    const lines = [];
    for (let o = 0; o < bytes.length; o += 16) {
      const row = bytes.subarray(o, o + 16);
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
      const asc = Array.from(row, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
      lines.push(`${o.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${asc}`);
    }
    return lines.join('\n');
  }
  function asJson(bytes) {
    const t = asText(bytes);
    try { return { ok: true, text: JSON.stringify(JSON.parse(t), null, 2) }; } catch (_) { return { ok: false, text: t }; }
  }
  function plain(bytes, fmt) {
    if (fmt === 'hex') return h('pre', { class: 'hex', text: asHex(bytes) });
    if (fmt === 'json') {
      const j = asJson(bytes);
      return h('div', {}, h('pre', { class: 'json', text: j.text }), j.ok ? null : h('div', { class: 'note', text: 'not JSON: shown as text' }));
    }
    return h('pre', { class: 'text', text: asText(bytes) });
  }

  function renderData(bytes, fmt) {
    const agg = kplDecode(bytes);
    if (!agg) return plain(bytes, fmt);
    if (agg.error) return h('div', {}, plain(bytes, fmt), h('div', { class: 'note', text: agg.error }));
    return h('div', { class: 'kpl' },
      h('div', { class: 'kpl-head', text: `KPL aggregated record: ${agg.records.length} user record${agg.records.length === 1 ? '' : 's'}` }),
      h('ol', {}, agg.records.map((r) => h('li', { class: 'kpl-record' },
        h('span', { class: 'pk', text: `key ${r.partitionKey}${r.explicitHashKey ? ` · hash ${r.explicitHashKey}` : ''}` }),
        plain(r.data, fmt)))));
  }

  // ---- KPL aggregation: F3 89 9A C2, a protobuf AggregatedRecord, then the MD5 of the protobuf bytes.
  // message AggregatedRecord { repeated string partition_key_table = 1; repeated string explicit_hash_key_table = 2;
  //                            repeated Record records = 3; }
  // message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
  //                  required bytes data = 3; repeated Tag tags = 4; }
  const KPL_MAGIC = [0xf3, 0x89, 0x9a, 0xc2];
  function kplDecode(bytes) {
    if (bytes.length < 4 + 16 || KPL_MAGIC.some((b, i) => bytes[i] !== b)) return null;
    const body = bytes.subarray(4, bytes.length - 16);
    const digest = bytes.subarray(bytes.length - 16);
    const want = md5(body);
    if (want.some((b, i) => b !== digest[i])) return { error: 'starts like a KPL aggregated record, but its MD5 does not match' };
    try {
      const pk = [], ehk = [], recs = [];
      for (const f of pbFields(body)) {
        if (f.no === 1 && f.wt === 2) pk.push(utf8.decode(f.bytes));
        else if (f.no === 2 && f.wt === 2) ehk.push(utf8.decode(f.bytes));
        else if (f.no === 3 && f.wt === 2) {
          const r = { pki: null, ehki: null, data: new Uint8Array(0) };
          for (const g of pbFields(f.bytes)) {
            if (g.no === 1 && g.wt === 0) r.pki = g.value;
            else if (g.no === 2 && g.wt === 0) r.ehki = g.value;
            else if (g.no === 3 && g.wt === 2) r.data = g.bytes;
          }
          if (r.pki === null || r.pki >= pk.length) throw new Error('a record names a partition key that is not in the table');
          recs.push({ partitionKey: pk[r.pki], explicitHashKey: r.ehki !== null ? ehk[r.ehki] : null, data: r.data });
        }
      }
      return { records: recs };
    } catch (e) {
      return { error: `not a valid KPL aggregated record: ${e.message}` };
    }
  }

  function* pbFields(buf) {
    let i = 0;
    const varint = () => {
      let v = 0, mul = 1;
      for (let n = 0; n < 10; n++) {
        if (i >= buf.length) throw new Error('truncated varint');
        const b = buf[i++];
        v += (b & 0x7f) * mul;
        mul *= 128;
        if (!(b & 0x80)) return v;
      }
      throw new Error('varint too long');
    };
    while (i < buf.length) {
      const key = varint();
      const no = Math.floor(key / 8), wt = key % 8;
      if (wt === 0) yield { no, wt, value: varint() };
      else if (wt === 2) {
        const len = varint();
        if (i + len > buf.length) throw new Error('truncated field');
        yield { no, wt, bytes: buf.subarray(i, i + len) };
        i += len;
      } else if (wt === 1) i += 8;
      else if (wt === 5) i += 4;
      else throw new Error(`unexpected wire type ${wt}`);
      if (i > buf.length) throw new Error('truncated field');
    }
  }

  // MD5 (RFC 1321), for the KPL trailer: browsers' SubtleCrypto has no MD5.
  function md5(bytes) {
    const K = new Int32Array(64), S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0;
    const n = bytes.length, total = ((n + 8) >>> 6) + 1;
    const M = new Int32Array(total * 16);
    for (let i = 0; i < n; i++) M[i >> 2] |= bytes[i] << ((i % 4) * 8);
    M[n >> 2] |= 0x80 << ((n % 4) * 8);
    M[total * 16 - 2] = (n * 8) | 0;
    M[total * 16 - 1] = Math.floor(n / 536870912);
    let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
    for (let blk = 0; blk < total * 16; blk += 16) {
      let A = a0, B = b0, C = c0, D = d0;
      for (let i = 0; i < 64; i++) {
        let F, g;
        if (i < 16) { F = (B & C) | (~B & D); g = i; }
        else if (i < 32) { F = (D & B) | (~D & C); g = (5 * i + 1) % 16; }
        else if (i < 48) { F = B ^ C ^ D; g = (3 * i + 5) % 16; }
        else { F = C ^ (B | ~D); g = (7 * i) % 16; }
        const sh = S[(i >> 4) * 4 + (i % 4)];
        const x = (A + F + K[i] + M[blk + g]) | 0;
        A = D; D = C; C = B;
        B = (B + ((x << sh) | (x >>> (32 - sh)))) | 0;
      }
      a0 = (a0 + A) | 0; b0 = (b0 + B) | 0; c0 = (c0 + C) | 0; d0 = (d0 + D) | 0;
    }
    const out = new Uint8Array(16);
    [a0, b0, c0, d0].forEach((w, j) => { for (let k = 0; k < 4; k++) out[j * 4 + k] = (w >>> (8 * k)) & 0xff; });
    return out;
  }

  // ------------------------------------------------------------------ view 4: faults
  const OPERATIONS = ['PutRecord', 'PutRecords', 'GetRecords', 'GetShardIterator', 'ListShards', 'DescribeStream',
    'DescribeStreamSummary', 'CreateStream', 'DeleteStream', 'ListStreams', 'SubscribeToShard', 'SplitShard', 'MergeShards',
    'UpdateShardCount', 'RegisterStreamConsumer'];
  const ERRORS = ['ProvisionedThroughputExceededException', 'InternalFailure', 'ServiceUnavailable', 'LimitExceededException',
    'ResourceNotFoundException', 'ResourceInUseException', 'InvalidArgumentException', 'ExpiredIteratorException',
    'KMSThrottlingException', 'AccessDeniedException', 'ValidationException'];

  function setupFaultForm() {
    $('#f-op').replaceChildren(h('option', { value: '', text: 'any operation' }), ...OPERATIONS.map((o) => h('option', { value: o, text: o })));
    $('#f-op').value = 'PutRecord';
    $('#f-error').replaceChildren(...ERRORS.map((o) => h('option', { value: o, text: o })));
    for (const e of $$('#fault-form input, #fault-form select')) e.addEventListener('input', syncFaultForm);
    syncFaultForm();
  }

  function syncFaultForm() {
    const when = $('#f-when').value, eff = $('#f-effect').value;
    const aLabel = { nth: 'N', every: 'K', window: 'A (from)', probability: 'P (0 to 1)' }[when];
    $('#f-when-a-wrap').hidden = when === 'always';
    $('#f-when-b-wrap').hidden = when !== 'window';
    if (aLabel) $('#f-when-a-label').textContent = aLabel;
    $('#f-when-a').step = when === 'probability' ? 'any' : '1';
    $('#f-error-wrap').hidden = eff !== 'error' && eff !== 'entry_error';
    $('#f-status-wrap').hidden = eff !== 'error';
    $('#f-msg-wrap').hidden = eff !== 'error' && eff !== 'entry_error';
    $('#f-trunc-wrap').hidden = eff !== 'truncate';
    if (eff === 'entry_error' && !['ProvisionedThroughputExceededException', 'InternalFailure'].includes($('#f-error').value)) $('#f-error').value = 'ProvisionedThroughputExceededException';
    $('#f-preview').textContent = JSON.stringify(buildRule(), null, 1).replace(/\n\s*/g, ' ');
  }

  function buildRule() {
    const rule = {};
    const v = (id) => $(id).value.trim();
    if (v('#f-name')) rule.name = v('#f-name');
    const match = {};
    if (v('#f-op')) match.operations = [v('#f-op')];
    if (v('#f-stream')) match.stream = v('#f-stream');
    if (v('#f-shard')) match.shard = /^\d+$/.test(v('#f-shard')) ? Number(v('#f-shard')) : v('#f-shard');
    if (v('#f-pkey')) match.partition_key = v('#f-pkey');
    if (Object.keys(match).length) rule.match = match;
    const when = v('#f-when'), a = v('#f-when-a'), b = v('#f-when-b');
    if (when === 'nth' && a) rule.when = { nth: Number(a) };
    if (when === 'every' && a) rule.when = { every: Number(a) };
    if (when === 'probability' && a) rule.when = { probability: Number(a) };
    if (when === 'window' && (a || b)) { rule.when = {}; if (a) rule.when.from = Number(a); if (b) rule.when.to = Number(b); }
    if (v('#f-max')) rule.max_fires = Number(v('#f-max'));
    const eff = v('#f-effect'), effect = {};
    if (eff === 'error' || eff === 'entry_error') {
      effect[eff] = v('#f-error');
      if (v('#f-msg')) effect.message = v('#f-msg');
      if (eff === 'error' && v('#f-status')) effect.status = Number(v('#f-status'));
    } else if (eff === 'drop_before') effect.drop = 'before';
    else if (eff === 'drop_after') effect.drop = 'after';
    else if (eff === 'truncate') effect.truncate = Number(v('#f-trunc') || 0);
    else if (eff === 'malform') effect.malform = true;
    if (v('#f-latency')) effect.latency_ms = Number(v('#f-latency'));
    rule.effect = effect;
    return rule;
  }

  function describeMatch(m) {
    if (!m) return 'any call';
    const parts = [];
    const ops = m.operations || m.operation;
    if (ops) parts.push(Array.isArray(ops) ? ops.join(', ') : ops);
    if (m.stream) parts.push(`stream ${m.stream}`);
    if (m.shard !== undefined) parts.push(`shard ${m.shard}`);
    if (m.partition_key) parts.push(`key ${m.partition_key}`);
    return parts.join(' · ') || 'any call';
  }
  function describeWhen(r) {
    const w = r.when;
    let t = 'every call';
    if (w && w.nth !== undefined) t = `call #${w.nth}`;
    else if (w && w.every !== undefined) t = `every ${w.every}th call`;
    else if (w && w.probability !== undefined) t = `p = ${w.probability}`;
    else if (w && (w.from !== undefined || w.to !== undefined)) t = `calls ${w.from ?? 1}–${w.to ?? '∞'}`;
    return r.max_fires ? `${t}, at most ${r.max_fires}×` : t;
  }
  function describeEffect(e) {
    const parts = [];
    if (e.error) parts.push(`error ${e.error}${e.status ? ` (HTTP ${e.status})` : ''}`);
    if (e.entry_error) parts.push(`entry ${e.entry_error}`);
    if (e.drop !== undefined) parts.push(`drop ${e.drop === 'after' ? 'after writing' : 'before'}`);
    if (e.truncate !== undefined) parts.push(`truncate to ${e.truncate} B`);
    if (e.malform) parts.push('malformed answer');
    if (e.latency_ms) parts.push(`+${e.latency_ms} ms`);
    return parts.join(' · ');
  }

  function renderFaults() {
    const f = state.faults;
    if (!f) return;
    $('#faults-meta').textContent = `seed ${f.seed} · ${f.fired_total} fired in all`;
    const tbody = $('#faults-table tbody');
    $('#faults-empty').hidden = f.rules.length > 0;
    const keep = new Set();
    for (const r of f.rules) {
      const id = String(r.id);
      keep.add(id);
      let tr = tbody.querySelector(`tr[data-id="${id}"]`);
      if (!tr) {
        tr = h('tr', { 'data-id': id },
          h('td', { class: 'num', text: id }), h('td', { text: r.name || '–' }), h('td', { text: describeMatch(r.match) }),
          h('td', { text: describeWhen(r) }), h('td', { text: describeEffect(r.effect || {}) }),
          h('td', { class: 'num calls' }), h('td', { class: 'num fired' }),
          h('td', {}, h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete rule ${id}`, text: 'Delete', onclick: () => deleteRule(r.id) })));
        tbody.append(tr);
      }
      $('.calls', tr).textContent = fmtInt(r.calls);
      $('.fired', tr).textContent = fmtInt(r.fired);
      $('.fired', tr).classList.toggle('hot', r.fired > 0);
    }
    for (const tr of $$('tr', tbody)) if (!keep.has(tr.dataset.id)) tr.remove();
  }

  async function deleteRule(id) {
    try {
      await api(`/_sim/faults?id=${encodeURIComponent(id)}`, { method: 'DELETE' });
      $('#fault-status').textContent = `Rule ${id} deleted.`;
      await loadFaults();
      renderFaults();
    } catch (e) { $('#fault-status').textContent = `${e.type}: ${e.message}`; }
  }

  // ------------------------------------------------------------------ view 5: clock and config
  function renderClock() {
    const c = state.clock;
    if (c) {
      $('#clk-mode').textContent = c.mode === 'virtual' ? 'virtual: moves only when advanced or set' : 'real: runs with the system clock';
      $('#clk-now').textContent = `${isoTime(c.now_ms)}  (${c.now_ms} ms)`;
      $('#clk-offset').textContent = c.offset_ms !== undefined ? fmtDuration(c.offset_ms) : '–';
      if (document.activeElement !== $('#clk-mode-pick')) $('#clk-mode-pick').value = c.mode;
    }
    const cfg = state.config;
    if (cfg) {
      const other = [['control-plane limits', cfg.control_limits ? 'on' : 'off'], ['max CREATING', cfg.max_creating],
        ['fault seed', cfg.seed], ['create / delete / update delay', `${cfg.create_delay_ms} / ${cfg.delete_delay_ms} / ${cfg.update_delay_ms} ms`]];
      $('#cfg-other').replaceChildren(...other.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: String(v) })]));
    }
  }

  function fillConfigForm() {
    const cfg = state.config;
    if (!cfg) return;
    $('#cfg-throttle').checked = cfg.throttle === 'aws';
    $('#cfg-scale').value = cfg.throttle_scale;
  }

  async function advance(ms) {
    try {
      state.clock = await api('/_sim/clock', { method: 'POST', body: { advance_ms: Math.round(ms) } });
      $('#clock-status').textContent = `Advanced ${fmtDuration(ms).slice(1)}; now ${isoTime(state.clock.now_ms)} UTC.`;
      renderNow(); renderClock();
    } catch (e) { $('#clock-status').textContent = `${e.type}: ${e.message}`; }
  }

  // ------------------------------------------------------------------ theme, keys, wiring
  const THEMES = ['auto', 'dark', 'light'];
  function applyTheme(t) {
    document.documentElement.dataset.theme = t;
    localStorage.setItem('kinesis-sim-theme', t);
    const names = { auto: 'follow the system', dark: 'dark', light: 'light' };
    $('#theme').setAttribute('aria-label', `Theme: ${names[t]}`);
    $('#theme').textContent = { auto: '◐', dark: '☾', light: '☀' }[t];
  }

  function setLive(on) {
    state.live = on;
    $('#live').setAttribute('aria-pressed', String(on));
    $('#live').textContent = on ? 'Live' : 'Paused';
    if (on) poll();
  }

  function wire() {
    applyTheme(localStorage.getItem('kinesis-sim-theme') || 'auto');
    $('#theme').addEventListener('click', () => applyTheme(THEMES[(THEMES.indexOf(document.documentElement.dataset.theme) + 1) % 3]));
    $('#live').addEventListener('click', () => setLive(!state.live));
    $('#help-btn').addEventListener('click', () => $('#help').showModal());
    $('#token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      state.token = $('#token-input').value;
      sessionStorage.setItem('kinesis-sim-token', state.token);
      $('#token-bar').hidden = true;
      poll();
    });
    $('#stream-filter').addEventListener('input', renderStreams);
    $('#stream-pick').addEventListener('change', () => {
      const st = state.streams.find((x) => streamKey(x) === $('#stream-pick').value);
      if (st) go('stream', { account: st.account_id, region: st.region, name: st.name });
    });
    // records
    $('#rec-from').addEventListener('change', syncRecordInputs);
    $('#rec-stream').addEventListener('change', () => { const st = recStream(); if (st) fillShardPicker(st); });
    $('#rec-format').addEventListener('change', renderRecords);
    $('#records-form').addEventListener('submit', (e) => { e.preventDefault(); state.rec.pages = []; peek(); });
    $('#rec-next').addEventListener('click', () => {
      const p = state.rec.page;
      if (!p) return;
      state.rec.pages.push(p.query);
      peek(p.next_position);
    });
    $('#rec-prev').addEventListener('click', async () => {
      const q = state.rec.pages.pop();
      if (!q) return;
      try {
        const page = await api(`/_sim/records?${q}`);
        page.query = q;
        state.rec.page = page;
        renderRecords();
      } catch (e) { $('#rec-status').textContent = `${e.type}: ${e.message}`; }
    });
    syncRecordInputs();
    // faults
    setupFaultForm();
    $('#fault-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const r = await api('/_sim/faults', { method: 'POST', body: buildRule() });
        await loadFaults();
        renderFaults();
        $('#fault-status').textContent = `Rule ${r.id} added.`;
      } catch (err) { $('#fault-status').textContent = `${err.type}: ${err.message}`; }
    });
    $('#faults-clear').addEventListener('click', async () => {
      try {
        const r = await api('/_sim/faults', { method: 'DELETE' });
        $('#fault-status').textContent = `${r.deleted} rule${r.deleted === 1 ? '' : 's'} deleted.`;
        await loadFaults();
        renderFaults();
      } catch (err) { $('#fault-status').textContent = `${err.type}: ${err.message}`; }
    });
    // clock and config
    $('#advance-form').addEventListener('submit', (e) => {
      e.preventDefault();
      advance(Number($('#adv-amount').value) * Number($('#adv-unit').value));
    });
    for (const b of $$('[data-adv]')) b.addEventListener('click', () => advance(Number(b.dataset.adv)));
    $('#mode-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        state.clock = await api('/_sim/clock', { method: 'POST', body: { mode: $('#clk-mode-pick').value } });
        $('#clock-status').textContent = `The clock is ${state.clock.mode} now.`;
        renderClock();
      } catch (err) { $('#clock-status').textContent = `${err.type}: ${err.message}`; }
    });
    $('#config-form').addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        state.config = await api('/_sim/config', { method: 'PUT', body: { throttle: $('#cfg-throttle').checked ? 'aws' : 'off', throttle_scale: Number($('#cfg-scale').value) } });
        fillConfigForm();
        $('#config-status').textContent = `Throttling ${state.config.throttle === 'aws' ? 'on' : 'off'}, scale ${state.config.throttle_scale}.`;
        renderClock();
      } catch (err) { $('#config-status').textContent = `${err.type}: ${err.message}`; }
    });

    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target;
      if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return;
      if ($('#help').open) return;
      if (e.key >= '1' && e.key <= '5') { go(VIEWS[Number(e.key) - 1]); e.preventDefault(); }
      else if (e.key === '/') { go('streams'); setTimeout(() => $('#stream-filter').focus(), 0); e.preventDefault(); }
      else if (e.key === 't') applyTheme(THEMES[(THEMES.indexOf(document.documentElement.dataset.theme) + 1) % 3]);
      else if (e.key === 'p') setLive(!state.live);
      else if (e.key === '?') $('#help').showModal();
    });
    document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') poll(); });
    window.addEventListener('hashchange', onRoute);
  }

  wire();
  onRoute();
  poll();
  setInterval(poll, 1000);
})();
