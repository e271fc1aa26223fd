// DSI web view: live, read-only. Plain ES2020, no dependencies, no build step.
// Every string from the policy or from nodes is put into the page with textContent or as an SVG
// text node / attribute value, never parsed as HTML.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  // Set once per page load: a test can check that the page was never reloaded.
  window.dsiViewLoadId = Math.random().toString(36).slice(2);

  const state = {
    overview: null,
    graph: null,
    graphVersion: -1,
    minutes: 5,
    flows: new Map(),     // "src|tgt" -> aggregated denial flow
    selected: null,       // "src|tgt" of the flow shown in the panel
    fresh: new Map(),     // "src|tgt" -> time of the last increase
    events: null,
  };

  const $ = (id) => document.getElementById(id);

  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) {
        e.setAttribute(k, String(v));
      }
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  };

  const svg = (tag, attrs, text) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) {
        e.setAttribute(k, String(v));
      }
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  };

  const toLogin = () => location.replace('login');

  async function getJson(path) {
    const r = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.status === 401) {
      toLogin();
      throw new Error('login required');
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      throw new Error(body.error || ('HTTP ' + r.status));
    }
    return body;
  }

  const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');

  const age = (iso) => {
    if (!iso) {
      return 'never';
    }
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 120) {
      return s + ' s ago';
    }
    if (s < 7200) {
      return Math.round(s / 60) + ' min ago';
    }
    return Math.round(s / 3600) + ' h ago';
  };

  // ------------------------------------------------------------------ overview

  function renderOverview(o) {
    state.overview = o;
    const ssVersion = o.server.policyVersion;
    $('cluster').textContent = o.server.cluster || '';
    $('ss-version').textContent = String(ssVersion);
    $('ss-version').dataset.version = String(ssVersion);
    $('policy-name').textContent = o.policy ? o.policy.name : 'no policy';
    renderNodes(o.nodes, ssVersion);
    renderAlarms(o.alarms, o.openAlarmCount);
    renderHistory(o.history);
    if (state.graphVersion !== (o.policy ? o.policy.version : 0)) {
      loadGraph();
    }
  }

  function renderNodes(nodes, ssVersion) {
    const body = $('nodes').tBodies[0];
    const rows = [];
    for (const n of nodes) {
      const tr = el('tr', { 'data-snid': n.snid, 'data-state': n.state });
      tr.append(el('td', { class: 'snid' }, n.snid));
      tr.append(el('td', { class: 'name' }, n.name));
      tr.append(el('td', { class: 'address' }, n.address));
      tr.append(el('td', { class: 'state', 'data-state': n.state }, n.state));
      const acked = el('td', { class: 'acked', 'data-version': n.ackedVersion }, n.ackedVersion);
      if (n.ackError) {
        acked.classList.add('error');
        acked.title = 'refused: ' + n.ackError;
      } else if (n.ackedVersion === ssVersion) {
        acked.classList.add('current');
        acked.title = 'the Security Server\'s version';
      } else {
        acked.classList.add('behind');
        acked.title = 'the Security Server has version ' + ssVersion;
      }
      tr.append(acked);
      tr.append(el('td', { class: 'heartbeat', 'data-time': n.lastHeartbeat || '' }, age(n.lastHeartbeat)));
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  function renderAlarms(alarms, count) {
    $('alarm-count').textContent = '(' + count + ')';
    const rows = alarms.map((a) => {
      const tr = el('tr', { 'data-id': a.id, 'data-priority': a.priority, 'data-snid': a.snid });
      tr.append(el('td', { class: 'priority' }, a.priority));
      tr.append(el('td', { class: 'node' }, (a.node || '') + ' (' + a.snid + ')'));
      tr.append(el('td', { class: 'time' }, time(a.time)));
      tr.append(el('td', { class: 'source' }, a.source));
      tr.append(el('td', { class: 'text' }, a.text));
      return tr;
    });
    $('alarms').tBodies[0].replaceChildren(...rows);
  }

  function renderHistory(history) {
    const rows = history.map((v, i) => {
      const tr = el('tr', { 'data-version': v.version });
      tr.append(el('td', { class: 'version' }, v.version));
      tr.append(el('td', { class: 'applied' }, time(v.appliedAt)));
      tr.append(el('td', { class: 'name' }, v.name));
      const d = el('td', { class: 'digest', title: v.digest }, (v.digest || '').slice(0, 12));
      tr.append(d);
      tr.append(el('td', { class: 'source' }, v.source));
      const td = el('td');
      const b = el('button', { class: 'diff', type: 'button', 'data-version': v.version }, 'diff');
      if (i === history.length - 1) {
        b.disabled = true;   // the oldest version kept has nothing before it
        b.title = 'no earlier version kept';
      }
      b.addEventListener('click', () => showDiff(v.version));
      td.append(b);
      tr.append(td);
      return tr;
    });
    $('history').tBodies[0].replaceChildren(...rows);
  }

  setInterval(() => {
    for (const td of document.querySelectorAll('#nodes td.heartbeat')) {
      td.textContent = age(td.dataset.time);
    }
  }, 1000);

  // ------------------------------------------------------------------ diff

  async function showDiff(version) {
    const box = $('diff');
    box.hidden = false;
    box.dataset.state = 'loading';
    box.dataset.to = String(version);
    box.replaceChildren(el('p', { class: 'message' }, 'Loading the diff of version ' + version + '…'));
    let d;
    try {
      d = await getJson('api/diff?to=' + encodeURIComponent(version));
    } catch (e) {
      box.dataset.state = 'error';
      box.replaceChildren(el('p', { class: 'message' }, 'No diff: ' + e.message));
      return;
    }
    box.dataset.from = String(d.from);
    const parts = [el('h3', {}, 'Version ' + d.from + ' → ' + d.to)];
    if (d.changes) {
      parts.push(el('h4', {}, 'Semantic changes (' + d.changeCount + (d.changesTruncated ? ', first ones shown' : '') + ')'));
      const t = el('table', { class: 'changes' });
      const head = el('tr');
      for (const h of ['', 'Table', 'Key', 'Before', 'After']) {
        head.append(el('th', {}, h));
      }
      t.append(el('thead'));
      t.tHead.append(head);
      const tb = el('tbody');
      for (const c of d.changes) {
        const tr = el('tr', { 'data-kind': c.kind });
        tr.append(el('td', { class: 'kind' }, c.kind));
        tr.append(el('td', { class: 'table' }, c.table));
        tr.append(el('td', { class: 'key' }, c.key));
        tr.append(el('td', { class: 'before' }, c.before));
        tr.append(el('td', { class: 'after' }, c.after));
        tb.append(tr);
      }
      if (!d.changes.length) {
        const tr = el('tr');
        tr.append(el('td', { colspan: 5 }, 'no change in the compiled tables'));
        tb.append(tr);
      }
      t.append(tb);
      parts.push(t);
    } else {
      parts.push(el('p', { class: 'message' }, 'Semantic diff unavailable: ' + d.changesError));
    }
    if (d.lines.ok) {
      parts.push(el('h4', {}, 'DSP source: +' + d.lines.added + ' −' + d.lines.removed + ' lines'
        + (d.lines.coarse ? ' (too different for a line-by-line match)' : '')
        + (d.lines.truncated ? ' (truncated)' : '')));
      const pre = el('div', { class: 'lines' });
      for (const h of d.lines.hunks) {
        pre.append(el('div', { class: 'line hunk' }, '@@ -' + h.oldStart + ' +' + h.newStart + ' @@'));
        for (const l of h.lines) {
          const cls = l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same';
          const row = el('div', { class: 'line ' + cls });
          row.append(el('span', { class: 'no' }, l.op === '+' ? '' : l.old));
          row.append(el('span', { class: 'no' }, l.op === '-' ? '' : l.new));
          row.append(document.createTextNode(l.op + ' ' + l.text));
          pre.append(row);
        }
      }
      if (!d.lines.hunks.length) {
        pre.append(el('div', { class: 'line' }, 'identical sources'));
      }
      parts.push(pre);
    } else {
      parts.push(el('p', { class: 'message' }, d.lines.message));
    }
    box.replaceChildren(...parts);
    box.dataset.state = 'ready';
  }

  // ------------------------------------------------------------------ graph

  async function loadGraph() {
    try {
      const g = await getJson('api/graph');
      state.graph = g;
      state.graphVersion = g.version;
      renderGraph();
    } catch (e) {
      console.warn('graph', e);
    }
  }

  const BOX_W = 150;
  const BOX_H = 34;
  const GAP_Y = 22;
  const ZONE_PAD = 18;
  const ZONE_GAP = 60;
  const PER_ROW = 4;

  /** Positions of zones and contexts; contexts of no zone, and ScIDs only denials name, get groups of their own. */
  function layout() {
    const g = state.graph || { contexts: [], zones: [] };
    const names = new Map(g.contexts.map((c) => [String(c.scid), c]));
    const groups = [];
    const placed = new Set();
    for (const z of g.zones) {
      const members = z.contexts.map(String).filter((s) => names.has(s) && !placed.has(s));
      members.forEach((s) => placed.add(s));
      groups.push({ name: z.name, kind: z.admin ? 'admin' : 'zone', members });
    }
    const rest = g.contexts.map((c) => String(c.scid)).filter((s) => !placed.has(s));
    if (rest.length) {
      groups.push({ name: 'no zone', kind: 'none', members: rest });
      rest.forEach((s) => placed.add(s));
    }
    const outside = new Set();
    for (const f of state.flows.values()) {
      for (const s of [String(f.srcScid), String(f.tgtScid)]) {
        if (!placed.has(s)) {
          outside.add(s);
        }
      }
    }
    if (outside.size) {
      groups.push({ name: 'not in the policy', kind: 'none', members: [...outside].sort() });
    }
    const pos = new Map();
    let x = 20;
    let y = 20;
    let rowH = 0;
    let width = 0;
    groups.forEach((gr, i) => {
      if (i > 0 && i % PER_ROW === 0) {
        x = 20;
        y += rowH + ZONE_GAP;
        rowH = 0;
      }
      const h = ZONE_PAD * 2 + 14 + Math.max(1, gr.members.length) * (BOX_H + GAP_Y) - GAP_Y;
      gr.x = x;
      gr.y = y;
      gr.w = BOX_W + ZONE_PAD * 2;
      gr.h = h;
      gr.members.forEach((s, k) => {
        const c = names.get(s);
        pos.set(s, {
          x: x + ZONE_PAD,
          y: y + ZONE_PAD + 14 + k * (BOX_H + GAP_Y),
          label: c ? c.name + ' (' + s + ')' : (s === '0' ? 'unlabeled (0)' : 'ScID ' + s),
          audit: c ? c.audit : false,
        });
      });
      rowH = Math.max(rowH, h);
      width = Math.max(width, x + gr.w);
      x += gr.w + ZONE_GAP * 1.6;
    });
    return { groups, pos, width: width + 140, height: y + rowH + 40 };
  }

  const center = (p) => ({ x: p.x + BOX_W / 2, y: p.y + BOX_H / 2 });

  /** Where the segment from the center of box p towards q leaves the box. */
  function border(p, q) {
    const c = center(p);
    const dx = q.x - c.x;
    const dy = q.y - c.y;
    if (dx === 0 && dy === 0) {
      return c;
    }
    const sx = Math.abs(dx) > 0 ? (BOX_W / 2) / Math.abs(dx) : Infinity;
    const sy = Math.abs(dy) > 0 ? (BOX_H / 2) / Math.abs(dy) : Infinity;
    const s = Math.min(sx, sy);
    return { x: c.x + dx * s, y: c.y + dy * s };
  }

  /** A curved path from box a to box b, bent by `bend` px; returns the path and its midpoint. */
  function curve(a, b, bend) {
    if (a === b) {
      const x = a.x + BOX_W;
      const y = a.y + BOX_H / 2;
      const r = 18 + bend;
      return { d: `M ${x} ${y - 8} C ${x + r * 2} ${y - r * 1.5}, ${x + r * 2} ${y + r * 1.5}, ${x} ${y + 8}`, mx: x + r * 1.5, my: y };
    }
    const ca = center(a);
    const cb = center(b);
    const mx0 = (ca.x + cb.x) / 2;
    const my0 = (ca.y + cb.y) / 2;
    const len = Math.hypot(cb.x - ca.x, cb.y - ca.y) || 1;
    const nx = -(cb.y - ca.y) / len;
    const ny = (cb.x - ca.x) / len;
    const ctrl = { x: mx0 + nx * bend, y: my0 + ny * bend };
    const s = border(a, ctrl);
    const e = border(b, ctrl);
    return {
      d: `M ${s.x} ${s.y} Q ${ctrl.x} ${ctrl.y} ${e.x} ${e.y}`,
      mx: 0.25 * s.x + 0.5 * ctrl.x + 0.25 * e.x,
      my: 0.25 * s.y + 0.5 * ctrl.y + 0.25 * e.y,
    };
  }

  function renderGraph() {
    const root = $('graph');
    const L = layout();
    root.setAttribute('width', L.width);
    root.setAttribute('height', Math.max(200, L.height));
    root.setAttribute('viewBox', `0 0 ${L.width} ${Math.max(200, L.height)}`);
    root.dataset.version = String(state.graphVersion);
    const defs = svg('defs');
    for (const [id, size] of [['arrow-allow', 7], ['arrow-deny', 9]]) {
      const m = svg('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: size, markerHeight: size, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' });
      m.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }));
      defs.append(m);
    }
    const layers = [defs];
    const zones = svg('g', { class: 'zones' });
    for (const gr of L.groups) {
      const g = svg('g', { class: 'zone ' + gr.kind, 'data-zone': gr.name });
      g.append(svg('rect', { x: gr.x, y: gr.y, width: gr.w, height: gr.h, rx: 8 }));
      g.append(svg('text', { x: gr.x + 8, y: gr.y + 15 }, (gr.kind === 'admin' ? 'admin zone ' : gr.kind === 'zone' ? 'zone ' : '') + gr.name));
      zones.append(g);
    }
    layers.push(zones);
    const allowed = svg('g', { class: 'allowed-layer' });
    for (const r of (state.graph && state.graph.relations) || []) {
      const a = L.pos.get(String(r.src));
      const b = L.pos.get(String(r.tgt));
      if (!a || !b) {
        continue;
      }
      const c = curve(a, b, 14);
      const g = svg('g', { class: 'allowed', 'data-src': r.src, 'data-tgt': r.tgt });
      g.append(svg('path', { d: c.d, 'marker-end': 'url(#arrow-allow)' }));
      g.append(svg('title', {}, r.permissions.map((p) => p.permission + ' from node(s) ' + p.nodes.join(', ') + ' (' + p.rules.join('; ') + ')').join('\n')));
      allowed.append(g);
    }
    layers.push(allowed);
    const ctxs = svg('g', { class: 'contexts' });
    for (const [scid, p] of L.pos) {
      const g = svg('g', { class: 'context' + (p.audit ? ' audit' : ''), 'data-scid': scid });
      g.append(svg('rect', { x: p.x, y: p.y, width: BOX_W, height: BOX_H, rx: 5 }));
      g.append(svg('text', { x: p.x + 8, y: p.y + 21 }, p.label));
      ctxs.append(g);
    }
    layers.push(ctxs);
    const denials = svg('g', { class: 'denial-layer' });
    const pairCount = new Map();
    const now = Date.now();
    const flows = [...state.flows.values()].sort((x, y) => (x.key < y.key ? -1 : 1));
    for (const f of flows) {
      const a = L.pos.get(String(f.srcScid));
      const b = L.pos.get(String(f.tgtScid));
      if (!a || !b) {
        continue;
      }
      const pk = f.srcScid + '>' + f.tgtScid;
      const n = pairCount.get(pk) || 0;
      pairCount.set(pk, n + 1);
      const c = curve(a, b, -(26 + n * 22));
      const cls = 'denial' + ((now - (state.fresh.get(f.key) || 0)) < 3000 ? ' fresh' : '') + (state.selected === f.key ? ' selected' : '');
      const g = svg('g', { class: cls, 'data-src': f.src, 'data-tgt': f.tgt, 'data-count': f.count, 'data-rule': [...f.rules].join('; ') });
      g.append(svg('path', { d: c.d, 'marker-end': 'url(#arrow-deny)' }));
      g.append(svg('text', { x: c.mx + 4, y: c.my - 4, class: 'label' }, f.count + ' × ' + f.src + '→' + f.tgt + ' · ' + [...f.rules].join('; ')));
      g.append(svg('title', {}, f.srcName + '@' + f.srcSnid + ' → ' + f.tgtName + '@' + f.tgtSnid + ': ' + f.count + ' denied'));
      g.addEventListener('click', () => {
        state.selected = f.key;
        renderPanel();
        scheduleGraph();
      });
      denials.append(g);
    }
    layers.push(denials);
    root.replaceChildren(...layers);
    root.classList.toggle('hide-allowed', !$('show-allowed').checked);
    let total = 0;
    for (const f of state.flows.values()) {
      total += f.count;
    }
    $('denial-total').textContent = total + ' denied in the last ' + state.minutes + ' min';
    $('denial-total').dataset.total = String(total);
  }

  let graphPending = false;
  function scheduleGraph() {
    if (!graphPending) {
      graphPending = true;
      setTimeout(() => {   // not requestAnimationFrame: it pauses in hidden tabs
        graphPending = false;
        renderGraph();
        renderPanel();
      }, 50);
    }
  }

  function renderPanel() {
    const panel = $('flow-panel');
    const f = state.selected && state.flows.get(state.selected);
    if (!f) {
      panel.hidden = true;
      return;
    }
    panel.hidden = false;
    panel.dataset.src = f.src;
    panel.dataset.tgt = f.tgt;
    const dl = el('dl');
    const row = (k, v) => {
      dl.append(el('dt', {}, k));
      dl.append(el('dd', {}, v));
    };
    row('from', f.srcName + ' (' + f.srcScid + ') on node ' + f.srcSnid);
    row('to', f.tgtName + ' (' + f.tgtScid + ') on node ' + f.tgtSnid);
    row('denied', f.count + ' in the last ' + state.minutes + ' min');
    row('rule', [...f.rules].join('; '));
    row('type', [...f.types].join(', '));
    row('permission', [...f.permissions].join(', ') || '—');
    row('reported by', [...f.reporters].map((r) => 'node ' + r).join(', '));
    row('last', time(f.last));
    const close = el('button', { type: 'button', class: 'close' }, 'close');
    close.addEventListener('click', () => {
      state.selected = null;
      renderPanel();
      scheduleGraph();
    });
    const list = el('ol', { class: 'latest' });
    for (const s of f.latest.slice().reverse()) {
      const li = el('li');
      li.append(el('div', { class: 'text' }, s.text));
      li.append(el('div', { class: 'meta' }, time(s.time) + ' · pid ' + s.pid + ' ' + (s.comm || '') + ' · ' + (s.protocol || '')
        + ' ' + (s.srcAddr || '') + ':' + s.srcPort + ' → ' + (s.dstAddr || '') + ':' + s.dstPort + ' · #' + s.seq));
      list.append(li);
    }
    panel.replaceChildren(el('h3', {}, 'Denied ' + f.src + ' → ' + f.tgt), dl, el('h4', {}, 'Latest records'), list, close);
  }

  // ------------------------------------------------------------------ denials

  const MAX_LATEST = 5;

  /** Adds flows (as the API sends them) to the per-(src, tgt) aggregates. */
  function addFlows(flows, live) {
    for (const f of flows) {
      const key = f.src + '|' + f.tgt;
      let a = state.flows.get(key);
      if (!a) {
        a = {
          key, src: f.src, tgt: f.tgt, srcScid: f.srcScid, srcSnid: f.srcSnid, tgtScid: f.tgtScid, tgtSnid: f.tgtSnid,
          srcName: f.srcName, tgtName: f.tgtName, count: 0, rules: new Set(), types: new Set(),
          permissions: new Set(), reporters: new Set(), latest: [], last: null,
        };
        state.flows.set(key, a);
      }
      a.count += f.count;
      a.rules.add(f.rule);
      a.types.add(f.type);
      if (f.permission) {
        a.permissions.add(f.permission);
      }
      a.reporters.add(f.reporter);
      if (!a.last || (f.last && f.last > a.last)) {
        a.last = f.last;
      }
      a.latest = a.latest.concat(f.latest).sort((x, y) => (x.time < y.time ? -1 : 1)).slice(-MAX_LATEST);
      if (live) {
        state.fresh.set(key, Date.now());
      }
    }
    scheduleGraph();
  }

  async function loadDenials() {
    try {
      const d = await getJson('api/denials?minutes=' + state.minutes);
      state.flows = new Map();
      addFlows(d.flows, false);
    } catch (e) {
      console.warn('denials', e);
    }
  }

  // ------------------------------------------------------------------ live events

  function setLive(s, text) {
    const live = $('live');
    live.dataset.state = s;
    live.textContent = text;
  }

  function connect() {
    if (state.events) {
      state.events.close();
    }
    const es = new EventSource('api/events');
    state.events = es;
    es.addEventListener('open', () => {
      setLive('live', 'live');
      loadDenials();   // whatever was missed while disconnected
    });
    es.addEventListener('overview', (ev) => renderOverview(JSON.parse(ev.data)));
    es.addEventListener('denials', (ev) => addFlows(JSON.parse(ev.data).flows, true));
    es.addEventListener('error', async () => {
      setLive('offline', 'offline');
      if (es.readyState === EventSource.CLOSED) {
        // refused (e.g. session ended): find out whether a login is needed, else retry
        try {
          await getJson('api/session');
          setTimeout(connect, 3000);
        } catch (e) {
          // getJson went to the login page on 401
          setTimeout(connect, 5000);
        }
      }
    });
  }

  // ------------------------------------------------------------------ start

  $('minutes').addEventListener('change', () => {
    state.minutes = Number($('minutes').value);
    loadDenials();
  });
  $('show-allowed').addEventListener('change', () => scheduleGraph());

  (async () => {
    try {
      const s = await getJson('api/session');
      $('user').textContent = s.user;
      renderOverview(await getJson('api/overview'));
      await loadDenials();
      connect();
    } catch (e) {
      setLive('offline', 'error: ' + e.message);
    }
  })();
  // the window moves on: re-read the denials of the selected minutes now and then
  setInterval(loadDenials, 30000);
  // fade the "fresh" highlight
  setInterval(() => {
    if (state.fresh.size) {
      const now = Date.now();
      for (const [k, t] of state.fresh) {
        if (now - t > 3000) {
          state.fresh.delete(k);
        }
      }
      scheduleGraph();
    }
  }, 1000);
})();
