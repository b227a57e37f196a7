/**
 * The success convention (`outcomeOf`), what a state at rest is waiting for (`waitInfo`), the inbox's exactly-once
 * delivery across a restart, and journal compaction with its history kept.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActor, fromPromise, setup, type AnyMachineSnapshot } from 'xstate';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalFile } from '../../src/runtime/journal-file.ts';
import { MemoryStore } from '../../src/runtime/memory-store.ts';
import { explainOutcome } from '../../src/runtime/progress-view.ts';
import { runActor } from '../../src/runtime/run-actor.ts';
import { waitInfo } from '../../src/runtime/waiting.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The snapshot of a machine that goes straight to the final state `name`. */
function finalIn(name: string, extra: { tags?: string[]; status?: string } = {}): AnyMachineSnapshot {
  const machine = setup({}).createMachine({
    initial: name,
    states: { [name]: { type: 'final', ...(extra.tags ? { tags: extra.tags } : {}) } },
    ...(extra.status ? { output: () => ({ status: extra.status }) } : {}),
  });
  return createActor(machine).start().getSnapshot() as AnyMachineSnapshot;
}

describe('outcomeOf: how a finished run ended', () => {
  it.each([
    ['released', {}, 'ended'],
    ['cancelled', {}, 'failed'],
    ['buildFailed', {}, 'failed'],
    ['timed_out', {}, 'failed'],
    ['done', {}, 'succeeded'],
    ['buildComplete', {}, 'succeeded'],
    ['cancelled', { tags: ['success'] }, 'succeeded'],
    ['done', { tags: ['failure'] }, 'failed'],
    ['stopped', { status: 'stopped' }, 'succeeded'],
    ['stopped', { status: 'failed' }, 'failed'],
    ['finished', { status: 'aborted' }, 'failed'],
  ] as const)('%s %j → %s', (name, extra, outcome) => {
    expect(explainOutcome(finalIn(name, extra as never))?.outcome).toBe(outcome);
  });
});

describe('waitInfo: what a state at rest waits for', () => {
  const machine = setup({ actors: { work: fromPromise(() => new Promise<void>(() => {})) } }).createMachine({
    initial: 'busy',
    states: {
      busy: { invoke: { src: 'work' }, on: { CANCEL: 'idle' } },
      idle: { on: { GO: 'timed', 'reconnect.*': 'idle' } },
      timed: { after: { 1000: 'idle' } },
      dead: {},
    },
  });
  it('busy while a service runs, waiting for events or a timer, stuck with neither', () => {
    const actor = createActor(machine).start();
    expect(waitInfo(machine, actor.getSnapshot())).toMatchObject({ kind: 'busy', events: ['CANCEL'] });
    actor.send({ type: 'CANCEL' });
    expect(waitInfo(machine, actor.getSnapshot())).toMatchObject({ kind: 'waiting', state: 'idle', events: ['GO', 'reconnect.*'], timers: false });
    actor.send({ type: 'GO' });
    expect(waitInfo(machine, actor.getSnapshot())).toMatchObject({ kind: 'waiting', events: [], timers: true });
    actor.stop();
    const dead = createActor(machine, { snapshot: machine.resolveState({ value: 'dead' }) as never }).start();
    expect(waitInfo(machine, dead.getSnapshot())).toMatchObject({ kind: 'stuck', events: [] });
    dead.stop();
  });
});

describe('the inbox', () => {
  const machine = setup({}).createMachine({
    context: { n: 0 },
    initial: 'waiting',
    states: {
      waiting: { on: { BUMP: { target: 'bumped', actions: ({ context }) => context.n++ }, STOP: 'done' } },
      bumped: { on: { STOP: 'done' } },
      done: { type: 'final' },
    },
  });

  it('delivers a sent event once; a message a crash left after its event was saved is settled, not sent again', async () => {
    const store = new MemoryStore();
    store.writeMeta({ version: 1, lifecycle: 'm', input: null, started: '', updated: '', status: 'running', pid: process.pid, resumes: 0, options: { verify: false, timeoutMs: null } });
    const bump = store.inbox.post({ type: 'BUMP' });
    const nope = store.inbox.post({ type: 'NOPE' });
    const ac = new AbortController();
    const running = runActor({ store, lifecycle: 'm', machine, input: undefined, signal: ac.signal });
    for (let i = 0; i < 100 && store.inbox.receipt(nope) === null; i++) await new Promise((r) => setTimeout(r, 20));
    expect(store.inbox.receipt(bump)).toMatchObject({ accepted: true, event: 'BUMP', from: 'waiting', to: 'bumped' });
    expect(store.inbox.receipt(nope)).toMatchObject({ accepted: false, reason: 'bumped does not take NOPE (it takes STOP)' });
    ac.abort();
    await running;
    const saved = store.loadSnapshot()!;
    expect(saved.delivered).toEqual([bump]);

    // The crash case: the message is still there, but the snapshot already holds its event.
    const again = new MemoryStore();
    again.meta = store.meta;
    const id = again.inbox.post({ type: 'BUMP' });
    const stop = again.inbox.post({ type: 'STOP' });
    const end = await runActor({ store: again, lifecycle: 'm', machine, input: undefined, saved: saved.snapshot, delivered: [id] });
    expect(end.status).toBe('succeeded');
    expect(again.inbox.receipt(id)).toMatchObject({ accepted: true, reason: 'delivered before the run stopped' });
    expect(again.inbox.receipt(stop)).toMatchObject({ accepted: true, to: 'done' });
    expect(again.readJournal().entries.map((e) => e.event)).toEqual(['lifecycle.resume', 'STOP']);
  });
});

describe('journal compaction', () => {
  it('moves a full journal into history/, compressed, and reads it all back in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-journal-'));
    dirs.push(dir);
    const journal = new JournalFile(join(dir, 'journal.jsonl'), 2_000);
    for (let i = 0; i < 100; i++) journal.append({ time: `t${i}`, event: `E${i}`, from: 'a', to: 'b', step: null });
    journal.close();
    const segments = readdirSync(join(dir, 'history'));
    expect(segments.length).toBeGreaterThanOrEqual(2);
    expect(segments.every((n) => /^journal-\d{6}\.jsonl\.gz$/.test(n))).toBe(true);
    const all = journal.readAll();
    expect(all.entries.map((e) => e.event)).toEqual(Array.from({ length: 100 }, (_, i) => `E${i}`));
    expect(all.warnings).toEqual([]);
    expect(journal.read().entries.length).toBeLessThan(100);
  });
});
