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
  graphs: {}, //                  graph id -> { graph, mermaid, nodeIds, edges, members, collapsed, expanded }
  pictures: {}, //                picture key -> the same without graph: a graph drawn with its active step open
  actors: new Map(), //           actor key -> ActorInfo
  entries: new Map(), //          actor key -> Entry[]
  control: { accepts: [], wildcard: false, pending: [], fakeServices: false },
  selected: undefined, //         actor key shown
  view: undefined, //             index into the selected actor's snapshots; undefined = live
  rendered: undefined, //         { graphId, key, pictureId, nodes: Map(stateId -> Element[]), edges: Map(drawn id -> Element[]), members }
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
      state.pictures = message.pictures ?? {};
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
    case 'picture':
      state.pictures[message.id] = message.picture;
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
  const failure = actor ? failureOf(actor.key, viewedIndex()) : undefined;
  $('actor-failed').hidden = !failure;
  $('actor-failed').textContent = failure ? `failed: ${failure}` : '';
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

/** Why an actor failed, as of its snapshot `index` (default: the last): the error of the step that failed it. */
function failureOf(key, index) {
  const snaps = snapshotsOf(key);
  const upTo = index === undefined ? snaps.length - 1 : index;
  if (snaps[upTo]?.snapshot?.status !== 'error') return undefined;
  for (let i = upTo; i >= 0; i--) if (snaps[i].error) return snaps[i].error;
  return 'failed';
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
    badge.textContent = status === 'error' ? 'failed' : status;
    button.append(name, badge, meta);
    const failure = failureOf(actor.key);
    if (failure) {
      const why = document.createElement('span');
      why.className = 'actor-error';
      why.textContent = failure;
      button.title = failure;
      button.append(why);
    }
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
  const status = control.status === 'error' ? `failed: ${control.error ?? 'error'}` : control.status;
  $('controls-target').textContent = control.actor
    ? `to ${target?.label ?? 'the inspected actor'}${status && status !== 'active' ? ` (${status})` : ''}`
    : control.drives === 'run'
      ? '(waiting for the run to start)'
      : '(watch only)';
  const live = state.view === undefined || state.selected !== control.actor;

  const buttons = $('event-buttons');
  buttons.replaceChildren();
  for (const accepted of control.accepts) buttons.append(eventControl(accepted, control.actor, live));
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

/**
 * The button for an accepted event. With catalogue samples it sends the one picked (a select when there are
 * several), and `edit` copies it into the JSON field to change before sending.
 */
function eventControl(accepted, actor, live) {
  const samples = accepted.samples ?? [];
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = accepted.type;
  button.dataset.event = accepted.type;
  button.disabled = !live;
  if (samples.length === 0) {
    button.className = `event${accepted.enabled ? '' : ' guarded'}`;
    button.title = accepted.enabled ? `send ${accepted.type}` : `${accepted.type}: a guard refuses it now`;
    button.addEventListener('click', () => command({ type: 'send', actor, event: { type: accepted.type } }));
    return button;
  }
  const group = document.createElement('div');
  group.className = 'event-picker';
  group.dataset.event = accepted.type;
  const select = document.createElement('select');
  select.setAttribute('aria-label', `payload of ${accepted.type}`);
  samples.forEach((sample, i) => {
    const option = document.createElement('option');
    option.value = String(i);
    option.textContent = `${payloadText(sample.event)}${sample.enabled ? '' : ' (a guard refuses it now)'}`;
    select.append(option);
  });
  const picked = () => samples[Number(select.value)] ?? samples[0];
  const mark = () => {
    const sample = picked();
    button.className = `event${sample.enabled ? '' : ' guarded'}`;
    button.title = `send ${JSON.stringify(sample.event)}${sample.enabled ? '' : ': a guard refuses it now'}`;
  };
  select.addEventListener('change', mark);
  mark();
  button.addEventListener('click', () => command({ type: 'send', actor, event: picked().event }));
  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'edit';
  edit.textContent = 'edit';
  edit.title = 'copy this event into the JSON field below, to change and send';
  edit.disabled = !live;
  edit.addEventListener('click', () => {
    const field = $('custom-event-input');
    field.value = JSON.stringify(picked().event, null, 2);
    field.focus();
  });
  // One sample needs no select: the button says what it sends.
  if (samples.length === 1) select.hidden = true;
  group.append(button, select, edit);
  return group;
}

/** An event's payload in one short line: `{"level":"prod"}`. */
function payloadText(event) {
  const { type: _type, ...payload } = event;
  const text = JSON.stringify(payload);
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** A select of suggestions (shown when there are several) that calls `pick` with the one chosen. */
function suggestionSelect(label, items, describe, pick) {
  const select = document.createElement('select');
  select.setAttribute('aria-label', label);
  items.forEach((item, i) => {
    const option = document.createElement('option');
    option.value = String(i);
    const text = describe(item);
    option.textContent = text.length > 60 ? `${text.slice(0, 59)}…` : text;
    select.append(option);
  });
  select.hidden = items.length < 2;
  select.addEventListener('change', () => pick(items[Number(select.value)]));
  return select;
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
  output.placeholder = 'no output';
  // The catalogue's outputs, as JSON text ('' for a service that returns nothing).
  const outputs = service.outputs?.length ? service.outputs : [JSON.stringify(service.exampleOutput ?? {}, null, 2)];
  output.value = outputs[0];
  const outputPick = suggestionSelect(`suggested outputs of ${service.src}`, outputs, (text) => text.replace(/\s+/g, ' ') || '(no output)', (text) => {
    output.value = text;
  });
  const resolve = document.createElement('button');
  resolve.type = 'button';
  resolve.className = 'resolve';
  resolve.textContent = 'Resolve';
  resolve.dataset.testid = `resolve-${service.src}`;
  resolve.disabled = !live;
  resolve.addEventListener('click', () => {
    // Empty: the service finishes without output (never a `null` nobody asked for).
    if (output.value.trim() === '') return command({ type: 'resolve', service: service.id });
    let value;
    try {
      value = JSON.parse(output.value);
    } catch (error) {
      showResult(false, `output of ${service.src} is not JSON: ${error.message}`);
      return;
    }
    command({ type: 'resolve', service: service.id, output: value });
  });

  const errors = service.errors?.length ? service.errors : [{ message: `${service.src} failed` }];
  const error = document.createElement('input');
  error.type = 'text';
  error.setAttribute('aria-label', `error message for ${service.src}`);
  const kind = document.createElement('input');
  kind.type = 'text';
  kind.className = 'kind';
  kind.placeholder = 'kind';
  kind.setAttribute('aria-label', `error kind for ${service.src}`);
  const setError = (e) => {
    error.value = e.message;
    kind.value = e.kind ?? '';
  };
  setError(errors[0]);
  const errorPick = suggestionSelect(`suggested errors of ${service.src}`, errors, (e) => `${e.message}${e.kind ? ` (${e.kind})` : ''}`, setError);
  const fail = document.createElement('button');
  fail.type = 'button';
  fail.className = 'fail';
  fail.textContent = 'Fail';
  fail.dataset.testid = `fail-${service.src}`;
  fail.disabled = !live;
  fail.addEventListener('click', () =>
    command({ type: 'reject', service: service.id, error: { message: error.value, ...(kind.value.trim() ? { kind: kind.value.trim() } : {}) } }),
  );

  const resolveRow = document.createElement('div');
  resolveRow.className = 'row';
  resolveRow.append(outputPick, resolve);
  const failRow = document.createElement('div');
  failRow.className = 'row';
  failRow.append(error, kind, fail);
  card.append(title, input, output, resolveRow, errorPick, failRow);
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
  // The viewed snapshot's picture: its active step drawn open, the other steps collapsed.
  const pictureId = pictureOf(graphId);
  const isDrawn = () => state.rendered?.graphId === graphId && state.rendered.key === actor.key && state.rendered.pictureId === pictureId;
  if (isDrawn()) {
    markDiagram();
    return;
  }
  const picture = state.pictures[pictureId] ?? state.graphs[graphId];
  const key = actor.key;
  diagramJob = diagramJob.then(async () => {
    if (isDrawn()) return markDiagram();
    // Moved on while an earlier picture was drawn: the next render draws the newest.
    if (state.selected !== key || pictureOf(graphId) !== pictureId) return;
    const svgId = `lk-diagram-${++renderCounter}`;
    try {
      const { svg } = await window.mermaid.render(svgId, picture.mermaid);
      if (state.selected !== key) return;
      container.innerHTML = svg; // Mermaid's own output (securityLevel strict)
      decodeEntities(container);
      state.rendered = { graphId, key, pictureId, members: picture.members ?? {}, ...indexDiagram(container, svgId, picture) };
      container.dataset.graph = graphId;
      container.dataset.picture = pictureId;
      container.dataset.expanded = (picture.expanded ?? []).join(' ');
      applyZoom();
      markDiagram();
    } catch (error) {
      container.replaceChildren(note(`Mermaid could not draw this machine: ${error.message ?? error}`));
      state.rendered = undefined;
    }
  });
}

/** The picture the viewed snapshot is drawn with: its own (an active step open), else the graph's. */
function pictureOf(graphId) {
  const id = snapshotsOf(state.selected)[viewedIndex()]?.picture;
  return id && state.pictures[id] ? id : graphId;
}

/** Finds the SVG elements of every drawn state and transition, and marks them with what they stand for. */
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
    el.dataset.state = stateId;
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
    const members = (view.members?.[transitionId] ?? [transitionId]).join(' ');
    for (const el of els) {
      el.classList.add('lk-edge');
      el.dataset.transitions = members;
    }
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
  // An arrow standing for several transitions (a collapsed step's exits) is taken when all of them are, as in
  // `coverage -f svg`, and is the last step when one of them is.
  for (const [drawnId, els] of rendered.edges) {
    const members = rendered.members[drawnId] ?? [drawnId];
    const isTaken = members.every((id) => taken.has(id));
    const isLast = members.some((id) => last.has(id));
    for (const el of els) {
      el.classList.toggle('lk-taken', isTaken);
      el.classList.toggle('lk-untaken', !isTaken);
      el.classList.toggle('lk-last', isLast);
    }
  }
  // Counted over the machine's transitions, whatever the picture merges or hides.
  const all = new Set(state.graphs[rendered.graphId]?.graph.transitions.map((t) => t.id) ?? []);
  const exact = actor?.coverage === 'exact' ? '' : ' (inferred)';
  $('coverage').textContent = `${[...taken].filter((id) => all.has(id)).length}/${all.size} transitions taken${exact}`;
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
    showResult(false, `not sent: the event is not JSON (${error.message})`);
    return;
  }
  if (!event || typeof event !== 'object' || Array.isArray(event) || typeof event.type !== 'string' || event.type === '') {
    showResult(false, 'not sent: an event is a JSON object with a "type" string');
    return;
  }
  command({ type: 'send', actor: state.control.actor, event });
});

connect();
