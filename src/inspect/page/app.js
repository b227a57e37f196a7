// lifecycle inspector page. Plain JavaScript, no build step.
//
// The server sends the whole buffered history once (`init`), then every change (`actor`, `entry`, `graph`,
// `control`). The page keeps no state of its own that the server could not send again: after a lost connection it
// reconnects and rebuilds everything from the next `init`. It sends only three commands: `send` (an event for the
// inspected actor), `resolve` and `reject` (a pending fake service); the server checks them all.
'use strict';

const PAGE_PATH = '/_lifecycle/page';

const state = {
  title: '',
  graphs: {}, //                  graph id -> { graph, mermaid, nodeIds, edges }
  actors: new Map(), //           actor key -> ActorInfo
  entries: new Map(), //          actor key -> Entry[]
  control: { accepts: [], wildcard: false, pending: [], fakeServices: false },
  selected: undefined, //         actor key shown
  view: undefined, //             index into the selected actor's snapshots; undefined = live
  rendered: undefined, //         { graphId, nodes: Map(stateId -> Element[]), edges: Map(transitionId -> Element[]) }
  zoom: undefined, //             'fit' or a scale picked by the user; undefined = chosen per diagram
};

const $ = (id) => document.getElementById(id);

// ---- connection --------------------------------------------------------------------------------------------------

let socket;
let retryMs = 250;
let requests = 0;

function connect() {
  setConnection('connecting', 'connecting…');
  // The session token of the printed URL guards the page's socket too.
  const token = new URLSearchParams(location.search).get('token') ?? '';
  socket = new WebSocket(`ws://${location.host}${PAGE_PATH}?token=${encodeURIComponent(token)}`);
  socket.onopen = () => {
    retryMs = 250;
    setConnection('live', 'live');
  };
  socket.onmessage = (message) => {
    try {
      receive(JSON.parse(message.data));
    } catch (error) {
      console.error('inspector: bad message', error);
    }
  };
  socket.onclose = () => {
    const seconds = Math.round(retryMs / 100) / 10;
    setConnection('lost', `connection lost: reconnecting in ${seconds}s…`);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

const MAX_PAGE_ENTRIES = 5000;

/** The server's notice about its limits (oldest history dropped, frames refused), shown above the page. */
function showNotice(text) {
  const el = $('notice');
  if (!el) return;
  el.hidden = !text;
  el.textContent = text ?? '';
}

function setConnection(kind, text) {
  const el = $('connection');
  el.dataset.state = kind;
  el.textContent = text;
}

function command(body) {
  if (!socket || socket.readyState !== WebSocket.OPEN) {
    showResult(false, 'not connected: the command was not sent');
    return;
  }
  socket.send(JSON.stringify({ ...body, requestId: String(++requests) }));
}

function receive(message) {
  switch (message.type) {
    case 'init': {
      // Rebuild from nothing: this is also what happens after a reconnect.
      state.title = message.title;
      state.graphs = message.graphs;
      state.actors = new Map(message.actors.map((a) => [a.key, a]));
      state.entries = new Map();
      for (const entry of message.entries) entriesOf(entry.actor).push(entry);
      state.control = message.control;
      state.rendered = undefined;
      showNotice(message.notice);
      if (!state.actors.has(state.selected)) state.selected = defaultActor();
      if (state.view !== undefined && state.view >= snapshotsOf(state.selected).length) state.view = undefined;
      document.title = `${message.title} · lifecycle inspector`;
      $('title').textContent = message.title;
      renderAll();
      break;
    }
    case 'graph':
      state.graphs[message.id] = message.view;
      break;
    case 'actor':
      state.actors.set(message.actor.key, message.actor);
      if (!state.selected) state.selected = defaultActor();
      renderActors();
      if (message.actor.key === state.selected) renderSelected();
      break;
    case 'notice':
      showNotice(message.text);
      break;
    case 'entry': {
      const list = entriesOf(message.entry.actor);
      list.push(message.entry);
      // The server keeps a bounded history; so does the page.
      if (list.length > MAX_PAGE_ENTRIES) list.splice(0, list.length - MAX_PAGE_ENTRIES);
      if (!state.selected) state.selected = defaultActor();
      renderActors();
      if (message.entry.actor === state.selected) renderSelected();
      break;
    }
    case 'control':
      state.control = message.control;
      renderControls();
      break;
    case 'result':
      // Refusals also arrive as `refused` entries, so every page's log (and a reloaded one) shows them.
      showResult(message.ok, message.message);
      break;
  }
}

function entriesOf(key) {
  if (!state.entries.has(key)) state.entries.set(key, []);
  return state.entries.get(key);
}

function snapshotsOf(key) {
  return (state.entries.get(key) ?? []).filter((e) => e.kind === 'snapshot');
}

/** The controlled actor, else the first root actor, else any. */
function defaultActor() {
  const actors = [...state.actors.values()];
  return (actors.find((a) => a.controlled) ?? actors.find((a) => !a.parentKey) ?? actors[0])?.key;
}

// ---- rendering ---------------------------------------------------------------------------------------------------

function renderAll() {
  renderActors();
  renderControls();
  renderSelected();
}

function renderSelected() {
  const actor = state.actors.get(state.selected);
  $('actor-title').textContent = actor ? `${actor.label}${actor.label !== actor.name ? ` (${actor.name})` : ''}` : 'no actor yet';
  renderTimeTravel();
  renderDiagram();
  renderLog();
  renderState();
}

/** The snapshot shown: the live one, or the one picked in the time-travel slider. */
function viewedIndex() {
  const count = snapshotsOf(state.selected).length;
  if (count === 0) return -1;
  return state.view === undefined ? count - 1 : Math.min(state.view, count - 1);
}

function statusOf(key) {
  const snaps = snapshotsOf(key);
  return snaps.length ? snaps[snaps.length - 1].snapshot?.status ?? 'active' : 'starting';
}

function renderActors() {
  const list = $('actors');
  list.replaceChildren();
  const actors = [...state.actors.values()];
  const children = (parent) => actors.filter((a) => a.parentKey === parent);
  const add = (actor, depth) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'actor';
    button.dataset.key = actor.key;
    button.style.paddingLeft = `${0.5 + depth * 1.1}rem`;
    if (actor.key === state.selected) button.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'actor-name';
    name.textContent = actor.label;
    const meta = document.createElement('span');
    meta.className = 'actor-meta';
    const status = statusOf(actor.key);
    meta.textContent = `${actor.source} · ${actor.sessionId}${actor.controlled ? ' · controlled' : ''}`;
    const badge = document.createElement('span');
    badge.className = `badge status-${status}`;
    badge.textContent = status;
    button.append(name, badge, meta);
    button.addEventListener('click', () => {
      state.selected = actor.key;
      state.view = undefined;
      renderActors();
      renderSelected();
    });
    li.append(button);
    list.append(li);
    for (const child of children(actor.key)) add(child, depth + 1);
  };
  const roots = actors.filter((a) => !a.parentKey || !state.actors.has(a.parentKey));
  for (const root of roots) add(root, 0);
}

function renderControls() {
  const control = state.control;
  const target = control.actor ? state.actors.get(control.actor) : undefined;
  $('controls-target').textContent = control.actor
    ? `to ${target?.label ?? 'the inspected actor'}${control.status && control.status !== 'active' ? ` (${control.status})` : ''}`
    : '(watch only)';
  const live = state.view === undefined || state.selected !== control.actor;

  const buttons = $('event-buttons');
  buttons.replaceChildren();
  for (const accepted of control.accepts) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `event${accepted.enabled ? '' : ' guarded'}`;
    button.textContent = accepted.type;
    button.dataset.event = accepted.type;
    button.title = accepted.enabled ? `send ${accepted.type}` : `${accepted.type}: a guard refuses it now`;
    button.disabled = !live;
    button.addEventListener('click', () => command({ type: 'send', actor: control.actor, event: { type: accepted.type } }));
    buttons.append(button);
  }
  if (control.accepts.length === 0) {
    const none = document.createElement('p');
    none.className = 'muted';
    none.textContent = control.actor ? 'the current state accepts no user events' : 'no actor to control';
    buttons.append(none);
  }
  $('custom-event').hidden = !control.actor;

  const pending = $('pending');
  pending.replaceChildren();
  $('pending-empty').hidden = control.pending.length > 0;
  $('pending-empty').textContent = control.fakeServices ? 'none' : 'real services (start with --fake-services to settle them here)';
  for (const service of control.pending) pending.append(pendingCard(service, live));
}

function pendingCard(service, live) {
  const card = document.createElement('div');
  card.className = 'service';
  card.dataset.service = service.src;
  const title = document.createElement('div');
  title.className = 'service-title';
  const src = document.createElement('strong');
  src.textContent = service.src;
  const id = document.createElement('span');
  id.className = 'muted small';
  id.textContent = ` ${service.invokeId}`;
  title.append(src, id);

  const input = document.createElement('details');
  const inputSummary = document.createElement('summary');
  inputSummary.textContent = 'input';
  input.append(inputSummary, jsonTree(service.input, 1));

  const output = document.createElement('textarea');
  output.rows = 3;
  output.spellcheck = false;
  output.setAttribute('aria-label', `output of ${service.src}`);
  output.value = JSON.stringify(service.exampleOutput, null, 2);
  const resolve = document.createElement('button');
  resolve.type = 'button';
  resolve.className = 'resolve';
  resolve.textContent = 'Resolve';
  resolve.dataset.testid = `resolve-${service.src}`;
  resolve.disabled = !live;
  resolve.addEventListener('click', () => {
    let value;
    try {
      value = output.value.trim() === '' ? null : JSON.parse(output.value);
    } catch (error) {
      showResult(false, `output of ${service.src} is not JSON: ${error.message}`);
      return;
    }
    command({ type: 'resolve', service: service.id, output: value });
  });

  const error = document.createElement('input');
  error.type = 'text';
  error.value = `${service.src} failed`;
  error.setAttribute('aria-label', `error message for ${service.src}`);
  const fail = document.createElement('button');
  fail.type = 'button';
  fail.className = 'fail';
  fail.textContent = 'Fail';
  fail.dataset.testid = `fail-${service.src}`;
  fail.disabled = !live;
  fail.addEventListener('click', () => command({ type: 'reject', service: service.id, error: { message: error.value } }));

  const resolveRow = document.createElement('div');
  resolveRow.className = 'row';
  resolveRow.append(resolve);
  const failRow = document.createElement('div');
  failRow.className = 'row';
  failRow.append(error, fail);
  card.append(title, input, output, resolveRow, failRow);
  return card;
}

function showResult(ok, message) {
  const el = $('result');
  el.className = `result ${ok ? 'ok' : 'refused'}`;
  el.textContent = ok ? message : `refused: ${message}`;
}

// ---- time travel -------------------------------------------------------------------------------------------------

function renderTimeTravel() {
  const count = snapshotsOf(state.selected).length;
  const slider = $('history-slider');
  const index = viewedIndex();
  slider.max = String(Math.max(0, count - 1));
  slider.value = String(Math.max(0, index));
  slider.disabled = count <= 1;
  $('history-position').textContent = count === 0 ? 'none yet' : `${index + 1} of ${count}${state.view === undefined ? ' · live' : ' · past (view only)'}`;
  $('live').disabled = state.view === undefined;
  $('timetravel').classList.toggle('past', state.view !== undefined);
}

function travelTo(index) {
  const count = snapshotsOf(state.selected).length;
  state.view = index >= count - 1 ? undefined : Math.max(0, index);
  renderSelected();
  renderControls();
}

// ---- diagram -----------------------------------------------------------------------------------------------------

let renderCounter = 0;
let diagramJob = Promise.resolve();

function renderDiagram() {
  const actor = state.actors.get(state.selected);
  const graphId = actor?.graphId;
  const container = $('diagram');
  if (!graphId || !state.graphs[graphId]) {
    state.rendered = undefined;
    container.replaceChildren(note(actor ? 'no diagram for this actor (not a state machine, or its definition could not be read)' : 'waiting for an actor…'));
    $('coverage').textContent = '';
    return;
  }
  if (state.rendered?.graphId === graphId && state.rendered.key === actor.key) {
    markDiagram();
    return;
  }
  const view = state.graphs[graphId];
  const key = actor.key;
  diagramJob = diagramJob.then(async () => {
    if (state.rendered?.graphId === graphId && state.rendered.key === key) return markDiagram();
    const svgId = `lk-diagram-${++renderCounter}`;
    try {
      const { svg } = await window.mermaid.render(svgId, view.mermaid);
      if (state.selected !== key) return;
      container.innerHTML = svg; // Mermaid's own output (securityLevel strict)
      decodeEntities(container);
      state.rendered = { graphId, key, ...indexDiagram(container, svgId, view) };
      container.dataset.graph = graphId;
      applyZoom();
      markDiagram();
    } catch (error) {
      container.replaceChildren(note(`Mermaid could not draw this machine: ${error.message ?? error}`));
      state.rendered = undefined;
    }
  });
}

/** Finds the SVG elements of every state and transition. */
function indexDiagram(container, svgId, view) {
  const stateOf = new Map(Object.entries(view.nodeIds).map(([stateId, nodeId]) => [nodeId, stateId]));
  const nodes = new Map();
  const prefix = `${svgId}-state-`;
  for (const el of container.querySelectorAll('svg g[id]')) {
    if (!el.id.startsWith(prefix)) continue;
    const nodeId = el.id.slice(prefix.length).replace(/-\d+$/, '');
    const stateId = stateOf.get(nodeId);
    if (!stateId) continue;
    el.classList.add('lk-state');
    if (!nodes.has(stateId)) nodes.set(stateId, []);
    nodes.get(stateId).push(el);
  }
  const edges = new Map();
  for (const [transitionId, indexes] of Object.entries(view.edges)) {
    const els = [];
    for (const n of indexes) {
      const path = container.querySelector(`[id="${svgId}-edge${n}"]`);
      const label = container.querySelector(`g.label[data-id="edge${n}"]`)?.closest('.edgeLabel') ?? container.querySelector(`g.label[data-id="edge${n}"]`);
      if (path) els.push(path);
      if (label) els.push(label);
    }
    for (const el of els) el.classList.add('lk-edge');
    edges.set(transitionId, els);
  }
  return { nodes, edges };
}

/** Marks active states, the last step and coverage, as of the viewed snapshot. */
function markDiagram() {
  const rendered = state.rendered;
  if (!rendered) return;
  const actor = state.actors.get(state.selected);
  const snapshots = snapshotsOf(state.selected);
  const index = viewedIndex();
  const current = snapshots[index];
  const active = new Set(current?.active ?? []);
  const taken = new Set(actor?.droppedTaken ?? []);
  for (let i = 0; i <= index; i++) for (const id of snapshots[i].taken ?? []) taken.add(id);
  const last = new Set(current?.taken ?? []);

  for (const [stateId, els] of rendered.nodes) {
    for (const el of els) el.classList.toggle('lk-active', active.has(stateId));
  }
  for (const [transitionId, els] of rendered.edges) {
    for (const el of els) {
      el.classList.toggle('lk-taken', taken.has(transitionId));
      el.classList.toggle('lk-untaken', !taken.has(transitionId));
      el.classList.toggle('lk-last', last.has(transitionId));
    }
  }
  const total = rendered.edges.size;
  const exact = actor?.coverage === 'exact' ? '' : ' (inferred)';
  $('coverage').textContent = `${[...taken].filter((id) => rendered.edges.has(id)).length}/${total} transitions taken${exact}`;
  $('diagram').dataset.active = [...active].join(' ');
  follow();
}

/**
 * `fit` shows the whole machine, never above 100%. When the user has not picked a zoom, a machine that would be
 * shrunk below 45% to fit is shown at 75% instead, and `follow` keeps its active states in view.
 */
function applyZoom() {
  const svg = $('diagram').querySelector('svg');
  if (!svg) return;
  const [, , width, height] = (svg.getAttribute('viewBox') ?? '0 0 0 0').split(/[\s,]+/).map(Number);
  const panel = $('diagram').getBoundingClientRect();
  const fitScale = Math.min(1, (panel.width - 16) / width, (panel.height - 16) / height);
  const zoom = state.zoom ?? (fitScale >= 0.45 ? 'fit' : '0.75');
  $('zoom').value = zoom;
  const scale = zoom === 'fit' ? fitScale : Number(zoom);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.style.maxWidth = 'none';
  svg.style.width = `${width * scale}px`;
  svg.style.height = `${height * scale}px`;
  $('diagram').dataset.zoom = zoom;
}

/** Scrolls the diagram panel (only it) so that the active leaf states (all regions) are in its middle. */
function follow() {
  if (!$('follow').checked || $('diagram').dataset.zoom === 'fit' || !state.rendered) return;
  const container = $('diagram');
  const leaves = [...container.querySelectorAll('.lk-active.node')];
  if (leaves.length === 0) return;
  const rects = leaves.map((el) => el.getBoundingClientRect());
  const left = Math.min(...rects.map((r) => r.left));
  const right = Math.max(...rects.map((r) => r.right));
  const top = Math.min(...rects.map((r) => r.top));
  const bottom = Math.max(...rects.map((r) => r.bottom));
  const box = container.getBoundingClientRect();
  container.scrollLeft += (left + right) / 2 - (box.left + box.width / 2);
  container.scrollTop += (top + bottom) / 2 - (box.top + box.height / 2);
}

/**
 * With SVG text labels, Mermaid shows the entity codes the Mermaid renderer escapes with (`#34;` for a quote) as
 * they are, sometimes split over two wrapped lines, and sometimes turns a quote into a fullwidth one (a box in
 * fonts without it). Decode each label as a whole, keeping its lines.
 */
function decodeEntities(container) {
  const entity = /^&?#(\d+);/;
  for (const label of container.querySelectorAll('svg text')) {
    const leaves = [];
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) leaves.push(node);
    const whole = leaves.map((n) => n.nodeValue).join('');
    if (!/#\d+;|\uff02/.test(whole)) continue;
    // Decode, remembering where each original position lands in the decoded text.
    const at = new Array(whole.length + 1);
    let out = '';
    for (let i = 0; i < whole.length; ) {
      const match = entity.exec(whole.slice(i));
      if (match) {
        for (let k = 0; k < match[0].length; k++) at[i + k] = out.length;
        out += String.fromCharCode(Number(match[1]));
        i += match[0].length;
      } else {
        at[i] = out.length;
        out += whole[i] === '\uff02' ? '"' : whole[i];
        i += 1;
      }
    }
    at[whole.length] = out.length;
    let start = 0;
    for (const leaf of leaves) {
      const end = start + leaf.nodeValue.length;
      leaf.nodeValue = out.slice(at[start], at[end]);
      start = end;
    }
  }
}

function note(text) {
  const p = document.createElement('p');
  p.className = 'muted note';
  p.textContent = text;
  return p;
}

// ---- log and state -----------------------------------------------------------------------------------------------

function renderLog() {
  const tbody = $('log').querySelector('tbody');
  tbody.replaceChildren();
  const raw = $('raw-events').checked;
  const rows = (state.entries.get(state.selected) ?? []).filter((e) => raw || e.kind !== 'event');
  const snapshots = snapshotsOf(state.selected);
  const viewed = snapshots[viewedIndex()];
  for (const row of rows) {
    const tr = document.createElement('tr');
    if (row.kind === 'refused') {
      tr.className = 'refused';
      tr.dataset.seq = String(row.seq);
      tr.append(cell('·'), cell(clock(row.time)), cell(`${row.event.type} (refused)`, 'event-type'), cell(''), cell(row.error));
    } else {
      const n = row.kind === 'snapshot' ? snapshots.indexOf(row) : -1;
      tr.className = `${row.kind}${row.error ? ' error' : ''}${row === viewed ? ' viewed' : ''}`;
      tr.dataset.seq = String(row.seq);
      const sender = row.sourceKey && row.sourceKey !== row.actor ? state.actors.get(row.sourceKey)?.label : undefined;
      const eventText = `${describeEvent(row)}${sender ? ` ← ${sender}` : ''}`;
      // Break long state paths at their dots, not inside a name.
      const breakable = (path) => path.replace(/\./g, '.\u200b');
      const move = row.kind === 'snapshot' ? `${breakable(row.from ?? '∅')} → ${breakable(row.to ?? '?')}` : '';
      tr.append(cell(n >= 0 ? String(n + 1) : '·'), cell(clock(row.time)), cell(eventText, 'event-type'), cell(move), cell(row.error ?? ''));
      tr.children[2].title = row.event.type;
      if (n >= 0) {
        tr.title = 'show this snapshot';
        tr.addEventListener('click', () => travelTo(n));
      }
    }
    tbody.append(tr);
  }
  const scroll = tbody.closest('.log-scroll');
  if (state.view === undefined) scroll.scrollTop = scroll.scrollHeight;
}

/**
 * XState's internal event types, shortened for people: `done: checkPreconditions` for
 * `xstate.done.actor.0.install.checkingPreconditions`, `after backoff` for a timer. The full type is the tooltip.
 */
function describeEvent(entry) {
  const type = entry.event.type;
  const service = (invokeId) => {
    const actor = state.actors.get(entry.actor);
    const graph = actor?.graphId ? state.graphs[actor.graphId]?.graph : undefined;
    const invoke = graph?.states.flatMap((s) => s.invoke).find((i) => i.id === invokeId);
    return invoke && invoke.src !== 'inline' ? invoke.src : invokeId;
  };
  let match;
  if ((match = /^xstate\.done\.actor\.(.+)$/.exec(type))) return `done: ${service(match[1])}`;
  if ((match = /^xstate\.error\.actor\.(.+)$/.exec(type))) return `error: ${service(match[1])}`;
  if ((match = /^xstate\.after\.([^.]+)\./.exec(type))) return `after ${match[1]}`;
  if (type === 'xstate.init') return 'start';
  if (type === 'xstate.promise.resolve') return 'resolved';
  if (type === 'xstate.promise.reject') return 'rejected';
  if (type === 'xstate.stop') return 'stop';
  return type;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function clock(ms) {
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function renderState() {
  const snapshot = snapshotsOf(state.selected)[viewedIndex()]?.snapshot;
  const context = $('context');
  const full = $('snapshot');
  if (!snapshot) {
    context.replaceChildren(note('no snapshot yet'));
    full.replaceChildren(note('no snapshot yet'));
    return;
  }
  context.replaceChildren(snapshot.context === undefined ? note('this actor has no context') : jsonTree(snapshot.context, 2));
  full.replaceChildren(jsonTree(snapshot, 1));
}

/** JSON as nested <details>: objects and arrays collapse, the first `openDepth` levels start open. */
function jsonTree(value, openDepth, key, depth = 0) {
  const isObject = value !== null && typeof value === 'object';
  if (!isObject) {
    const line = document.createElement('div');
    line.className = 'json-line';
    if (key !== undefined) {
      const k = document.createElement('span');
      k.className = 'json-key';
      k.textContent = `${key}: `;
      line.append(k);
    }
    const v = document.createElement('span');
    v.className = `json-${value === null ? 'null' : typeof value}`;
    v.textContent = JSON.stringify(value) ?? 'undefined';
    line.append(v);
    return line;
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const details = document.createElement('details');
  details.open = depth < openDepth;
  const summary = document.createElement('summary');
  const brackets = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  summary.textContent = key === undefined ? brackets : `${key}: ${brackets}`;
  details.append(summary);
  for (const [k, v] of entries) details.append(jsonTree(v, openDepth, k, depth + 1));
  return details;
}

// ---- start -------------------------------------------------------------------------------------------------------

window.mermaid.initialize({
  startOnLoad: false,
  securityLevel: 'strict',
  theme: 'default',
  // Labels as SVG text, like lifecycle-kit's SVG/PNG output (src/diagram/render-image.ts).
  htmlLabels: false,
  state: { useMaxWidth: false },
  handDrawnSeed: 1,
});

$('history-slider').addEventListener('input', (e) => travelTo(Number(e.target.value)));
$('live').addEventListener('click', () => travelTo(Number.MAX_SAFE_INTEGER));
$('raw-events').addEventListener('change', renderLog);
$('zoom').addEventListener('change', (e) => {
  state.zoom = e.target.value;
  applyZoom();
  follow();
});
$('follow').addEventListener('change', follow);
$('custom-event').addEventListener('submit', (e) => {
  e.preventDefault();
  const text = $('custom-event-input').value.trim();
  let event;
  try {
    event = JSON.parse(text.startsWith('{') ? text : JSON.stringify({ type: text }));
  } catch (error) {
    showResult(false, `not JSON: ${error.message}`);
    return;
  }
  command({ type: 'send', actor: state.control.actor, event });
});

connect();
