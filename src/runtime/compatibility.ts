import { createActor, type AnyStateMachine } from 'xstate';
import type { MachineSummary } from '../model/fingerprint.ts';
import { activePaths } from './state-paths.ts';

/**
 * Whether a changed machine can take over a run persisted on an older one, judged on what the run holds: where it
 * is (active states, history), the services running there (an invoked child whose state or `src` is gone would be
 * dropped by XState's restore without a word: a run that looks active with nothing to move it), and its context.
 */
export interface Compatibility {
  /** Same fingerprint and nothing the run holds is at odds with the machine: nothing to say. */
  same: boolean;
  /** Reasons the run cannot resume on the new machine, one sentence each (refused; a `--migrate` may fix them). */
  incompatible: string[];
  /** Changes that touch the run but may be fine (a new context field, a changed transition of a state it is in): resumed only with `--accept-changes`. */
  touching: string[];
  /** Changes elsewhere in the machine, said when the run resumes. */
  elsewhere: string[];
}

interface PersistedShape {
  value?: unknown;
  context?: unknown;
  children?: Record<string, { src?: unknown } | undefined>;
  historyValue?: Record<string, { id?: string }[] | undefined>;
}

/**
 * Compares a persisted snapshot (and the summary of the machine it was saved on, when the run recorded one) with
 * the machine that would resume it. Pure but for building the new machine's initial context from `input`.
 */
export function checkCompatibility(old: MachineSummary | undefined, next: MachineSummary, machine: AnyStateMachine, persisted: unknown, input: unknown): Compatibility {
  const report: Compatibility = { same: false, incompatible: [], touching: [], elsewhere: [] };
  const sameGraph = old?.fingerprint === next.fingerprint;
  const snap = (persisted ?? {}) as PersistedShape;
  const states = new Map(next.states.map((s) => [s.path, s]));
  const active = activePaths(snap.value);

  for (const path of active) if (!states.has(path)) report.incompatible.push(`the run is in \`${path}\`, which the machine no longer has`);

  // Each running service must still be invoked, under the same id and src, by a state the run is in.
  const invokedNow = new Map<string, { src: string; state: string }>();
  for (const path of active) {
    const node = states.get(path);
    for (const inv of node?.invoke ?? []) {
      const [id, src] = splitInvoke(inv);
      if (id !== '*') invokedNow.set(id, { src, state: path });
    }
  }
  const generatedNow = generatedInvokeIds(machine, active);
  for (const [id, child] of Object.entries(snap.children ?? {})) {
    const src = typeof child?.src === 'string' ? child.src : id;
    const now = invokedNow.get(id) ?? generatedNow.get(id);
    if (!now) report.incompatible.push(`the run's service \`${src}\` (${id}) is no longer invoked by a state it is in: resuming would drop it`);
    else if (now.src !== src && !src.startsWith('xstate.invoke.')) {
      report.incompatible.push(`the run's service \`${src}\` in \`${now.state}\` is now \`${now.src}\`: the running one would be dropped`);
    }
  }

  const ids = new Set(next.states.map((s) => (s.path ? `${next.id}.${s.path}` : next.id)));
  for (const [stateId, entries] of Object.entries(snap.historyValue ?? {})) {
    if (!ids.has(stateId)) report.incompatible.push(`the run remembers history of \`${stateId}\`, which the machine no longer has`);
    for (const entry of entries ?? []) if (entry?.id && !ids.has(entry.id)) report.incompatible.push(`the run's history points at \`${entry.id}\`, which the machine no longer has`);
  }

  // Fields the new machine's context starts with that the run's context lacks: they stay undefined.
  const fresh = initialContext(machine, input);
  const held = snap.context && typeof snap.context === 'object' ? (snap.context as Record<string, unknown>) : {};
  for (const key of Object.keys(fresh ?? {})) {
    if (!(key in held)) report.touching.push(`the machine's context now has \`${key}\`, which the run's lacks (it stays undefined unless a --migrate sets it)`);
  }

  if (sameGraph || !old) {
    // The graph is the one the run started on (or the run predates fingerprints, and only where it is can be
    // checked): only what the run holds can be at odds with the machine.
    report.same = report.incompatible.length === 0 && report.touching.length === 0;
    return report;
  }
  {
    const oldStates = new Map(old.states.map((s) => [s.path, s]));
    const activeSet = new Set(active);
    const before = new Set(old.transitions);
    const after = new Set(next.transitions);
    const sourceOf = (t: string) => t.slice(0, t.indexOf(' --'));
    for (const t of [...before].filter((x) => !after.has(x))) (activeSet.has(sourceOf(t)) ? report.touching : report.elsewhere).push(`removed: ${t}`);
    for (const t of [...after].filter((x) => !before.has(x))) (activeSet.has(sourceOf(t)) ? report.touching : report.elsewhere).push(`added: ${t}`);
    for (const [path, s] of states) {
      const was = oldStates.get(path);
      if (!was) report.elsewhere.push(`new state \`${path}\``);
      else if (JSON.stringify(was.after) !== JSON.stringify(s.after) && activeSet.has(path)) {
        report.touching.push(`the timer of \`${path}\`, which the run is in, changed from ${was.after.join(', ')} to ${s.after.join(', ')} (it restarts with the new delay)`);
      }
    }
    for (const path of oldStates.keys()) if (!states.has(path) && !activeSet.has(path)) report.elsewhere.push(`removed state \`${path}\``);
  }
  return report;
}

function splitInvoke(inv: string): [id: string, src: string] {
  const i = inv.indexOf('=');
  return [inv.slice(0, i), inv.slice(i + 1)];
}

/** Invocations without an explicit id get one XState makes from their position: read them from the machine itself. */
function generatedInvokeIds(machine: AnyStateMachine, active: string[]): Map<string, { src: string; state: string }> {
  const out = new Map<string, { src: string; state: string }>();
  for (const path of active) {
    let node = machine.root;
    for (const key of path ? path.split('.') : []) {
      const child = node.states[key];
      if (!child) break;
      node = child;
    }
    if (node.path.join('.') !== path) continue;
    for (const inv of node.invoke) out.set(inv.id, { src: typeof inv.src === 'string' ? inv.src : inv.id, state: path });
  }
  return out;
}

function initialContext(machine: AnyStateMachine, input: unknown): Record<string, unknown> | null {
  try {
    const context = createActor(machine, { input }).getSnapshot().context as unknown;
    return context && typeof context === 'object' ? (context as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
