import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnyStateMachine, fromPromise, setup } from 'xstate';
import { loadMachine } from '../../src/model/load.ts';
import { assertJournalOf, formatReplay, readReplayJournal, replayJournal, type ReplayLine } from '../../src/replay/index.ts';
import { startRun, resumeRun } from '../../src/runtime/runs.ts';
import { MemoryStore } from '../../src/runtime/memory-store.ts';
import { describeValue } from '../../src/runtime/state-paths.ts';
import { SERVICES } from '../../src/services/index.ts';
import { stepsMachine, timerMachine } from '../runtime/fixtures/machines.ts';
import { RecordingStore } from './recording-store.ts';

const dirs: string[] = [];
const temp = (prefix = 'lk-replay-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A real run of a built-in in a store whose journal lines carry outputs (the proposed `output` field). */
async function recordedRun(lifecycle: 'install' | 'upgrade'): Promise<{ store: string; lines: ReplayLine[]; input: unknown }> {
  const services = await SERVICES[lifecycle]();
  const store = new RecordingStore(join(temp(), 'store'));
  const { machine } = await loadMachine(lifecycle);
  const input = await services.sandboxInput!(temp());
  const result = await startRun({ store, lifecycle, machine, actors: services.actors, input, inspect: store.inspect });
  expect(result.status).toBe('succeeded');
  const journal = readReplayJournal(store.dir);
  return { store: store.dir, lines: journal.lines, input: journal.input };
}

/** A copy of machines/<name>.ts with `edit` applied, beside the original (its imports are relative), loaded. */
async function changed(name: string, from: string, to: string): Promise<AnyStateMachine> {
  const source = readFileSync(join('machines', `${name}.ts`), 'utf8');
  expect(source).toContain(from);
  const file = join('machines', `${name}.replay-${process.pid}-${Date.now()}.ts`);
  writeFileSync(file, source.replace(from, to));
  try {
    return (await loadMachine(`./${file}#${name}Machine`)).machine;
  } finally {
    rmSync(file, { force: true });
  }
}

const withoutOutputs = (lines: ReplayLine[]) => lines.map(({ output: _output, ...line }) => line);

describe('replay of a real install run', () => {
  let run: Awaited<ReturnType<typeof recordedRun>>;
  let install: AnyStateMachine;
  beforeAll(async () => {
    run = await recordedRun('install');
    install = (await loadMachine('install')).machine;
  });

  it('against the same machine: every step the same', () => {
    const result = replayJournal(install, run.lines, run.input);
    expect(result).toEqual({ result: 'same', steps: run.lines.length });
    expect(formatReplay(result)).toBe(`replayed ${run.lines.length} steps: same`);
  });

  it('without outputs in the journal (as the runtime writes it today): the first step whose guards read one cannot be replayed exactly', () => {
    const result = replayJournal(install, withoutOutputs(run.lines), run.input);
    expect(result).toMatchObject({ result: 'unreplayable', step: 2, steps: 1, event: 'xstate.done.actor.0.install.checkingPreconditions' });
    expect(formatReplay(result)).toBe(
      'step 2 (event xstate.done.actor.0.install.checkingPreconditions) cannot be replayed exactly: the machine reads the output of 0.install.checkingPreconditions, which the journal does not record (the 1 step before it replayed the same)',
    );
  });

  it('against a machine with a retargeted transition: reported at the step that takes it', async () => {
    const retargeted = await changed(
      'install',
      "          {\n            target: 'installing',\n            actions: { type: 'recordInstallationRecord'",
      "          {\n            target: 'cleaningPrevious',\n            actions: { type: 'recordInstallationRecord'",
    );
    const result = replayJournal(retargeted, run.lines, run.input);
    expect(result).toMatchObject({ result: 'diverged', step: 3, steps: 2, event: 'xstate.done.actor.0.install.readingRecord', machine: { to: 'cleaningPrevious' } });
    expect(formatReplay(result)).toBe(
      'step 3 (event xstate.done.actor.0.install.readingRecord): the journal went from readingRecord to installing.kibana_assets.running, the machine now goes to cleaningPrevious',
    );
  });

  it('a line the journal repeats after a crash (journaled, not saved, resumed from the state before): replayed from that state', () => {
    const k = 4; // the crash came after line 5 was written, before its snapshot
    const resume: ReplayLine = { time: run.lines[k]!.time, event: 'lifecycle.resume', from: run.lines[k]!.from, to: run.lines[k]!.from, step: null };
    const lines = [...run.lines.slice(0, k + 1), resume, ...run.lines.slice(k)];
    expect(replayJournal(install, lines, run.input)).toEqual({ result: 'same', steps: lines.length });
    const elsewhere = [...run.lines.slice(0, k + 1), { ...resume, from: 'alreadyInstalled', to: 'alreadyInstalled' }];
    expect(formatReplay(replayJournal(install, elsewhere, run.input))).toBe(
      `step ${k + 2} (event lifecycle.resume): the run resumed in alreadyInstalled, which the replay never reached (it is in ${describeValue(run.lines[k]!.to)})`,
    );
  });

  it('a run interrupted mid-step and resumed (the step in flight runs again): the same', async () => {
    const services = await SERVICES.install();
    const store = new RecordingStore(join(temp(), 'store'));
    const input = await services.sandboxInput!(temp());
    const stop = new AbortController();
    const onTransition = (e: { event: string }) => e.event.includes('kibana_assets') && stop.abort();
    const first = await startRun({ store, lifecycle: 'install', machine: install, actors: services.actors, input, inspect: store.inspect, signal: stop.signal, onTransition });
    expect(first.status).toBe('interrupted');
    expect((await resumeRun({ store, lifecycle: 'install', machine: install, actors: services.actors, inspect: store.inspect })).status).toBe('succeeded');
    const journal = readReplayJournal(store.dir);
    expect(journal.lines.map((l) => l.event)).toContain('lifecycle.resume');
    expect(replayJournal(install, journal.lines, journal.input)).toEqual({ result: 'same', steps: journal.lines.length });
  });

  it('refuses the journal of another machine in one line', async () => {
    const journal = readReplayJournal(run.store);
    expect(() => assertJournalOf(journal, 'upgrade', ['checkingCurrent'])).toThrow(/^journal .*journal\.jsonl is of machine 'install', not 'upgrade' \(e\.g\. transition install\.[^\n]*: give the journal of a run of this lifecycle$/);
  });
});

describe('replay of a real upgrade run', () => {
  it('against the same machine: same; with a changed machine: the step reported', async () => {
    const run = await recordedRun('upgrade');
    const upgrade = (await loadMachine('upgrade')).machine;
    expect(replayJournal(upgrade, run.lines, run.input)).toEqual({ result: 'same', steps: run.lines.length });
    const swapped = run.lines.findIndex((l) => describeValue(l.from).includes('swapping')) + 1;
    expect(swapped).toBeGreaterThan(1);
    const retargeted = await changed('upgrade', "onDone: { target: 'trial', actions: 'markSucceeded' }", "onDone: { target: '#upgrade.rollingBack', actions: 'markSucceeded' }");
    const result = replayJournal(retargeted, run.lines, run.input);
    expect(result).toMatchObject({ result: 'diverged', step: swapped, steps: swapped - 1 });
    expect(formatReplay(result)).toBe(
      `step ${swapped} (event xstate.done.actor.0.upgrade.nextVersion.swapping): the journal went from nextVersion.swapping to nextVersion.trial.agent.starting, nextVersion.trial.watcher.waitingForAgent, the machine now goes to rollingBack`,
    );
  });
});

describe('replay of service errors, retry timers and a resume', () => {
  it('a run that failed a step, backed off, was interrupted in the backoff and resumed replays the same', async () => {
    const store = new MemoryStore();
    const input = { steps: 2, dir: temp(), failAt: 1, failTimes: 1, retry: { initialIntervalMs: 150 } };
    const stop = new AbortController();
    const first = startRun({ store, lifecycle: 'steps', machine: stepsMachine, input, signal: stop.signal, onTransition: (e) => e.event.startsWith('xstate.error.') && setTimeout(() => stop.abort(), 20) });
    expect((await first).status).toBe('interrupted');
    expect((await resumeRun({ store, lifecycle: 'steps', machine: stepsMachine })).status).toBe('succeeded');
    const lines = store.readJournal().entries;
    const events = lines.map((l) => l.event);
    expect(events).toContain('lifecycle.resume');
    expect(events.some((e) => e.startsWith('xstate.error.actor.'))).toBe(true);
    expect(events.some((e) => e.startsWith('xstate.after.'))).toBe(true);
    expect(replayJournal(stepsMachine, lines, input)).toEqual({ result: 'same', steps: lines.length });
  });
});

describe('replay of outside events and timers', () => {
  const approval = (onApprove: Record<string, unknown>) =>
    setup({
      types: { events: {} as { type: 'APPROVE'; by: string } },
      guards: { byOps: ({ event }) => event.by === 'ops' },
    }).createMachine({
      id: 'approval',
      initial: 'waiting',
      states: { waiting: { on: onApprove }, approved: { type: 'final' }, refused: { type: 'final' } },
    });
  const original = approval({ APPROVE: [{ guard: 'byOps', target: 'approved' }, { target: 'refused' }] });

  it("an event sent to the run replays with its payload when the line has it; without, a guard reading it is reported", async () => {
    const store = new RecordingStore(join(temp(), 'store'));
    const result = await startRun({ store, lifecycle: 'approval', machine: original, input: undefined, inspect: store.inspect, onControl: (c) => c.send({ type: 'APPROVE', by: 'ops' }) });
    expect(result.status).not.toBe('failed');
    const { lines } = readReplayJournal(store.dir);
    expect(lines[1]).toMatchObject({ event: 'APPROVE', payload: { by: 'ops' }, to: 'approved' });
    expect(replayJournal(original, lines, undefined)).toEqual({ result: 'same', steps: 2 });
    const unpaid = lines.map(({ payload: _payload, ...l }) => l);
    expect(formatReplay(replayJournal(original, unpaid, undefined))).toBe(
      'step 2 (event APPROVE) cannot be replayed exactly: the machine reads the payload of APPROVE, which the journal does not record (the 1 step before it replayed the same)',
    );
    const deaf = approval({ APPROVED: 'approved' });
    expect(formatReplay(replayJournal(deaf, lines, undefined))).toBe(
      'step 2 (event APPROVE): the journal went from waiting to approved, the machine now stays in waiting (the machine takes no transition on APPROVE there)',
    );
  });

  it('a timer replays on the state it belongs to, also when its delay changed; a retargeted one is reported', async () => {
    const store = new MemoryStore();
    const input = { dir: temp(), ms: 20 };
    expect((await startRun({ store, lifecycle: 'timer', machine: timerMachine, input })).status).toBe('succeeded');
    const lines = store.readJournal().entries;
    expect(lines.map((l) => l.event)).toEqual(['xstate.init', 'xstate.after.pause.timer.pausing', 'xstate.done.actor.0.timer.marking']);
    const timer = (after: Record<string, string>) =>
      setup({ actors: { mark: fromPromise(async () => {}) }, delays: { pause: 20 } }).createMachine({
        id: 'timer',
        context: ({ input }) => input as object,
        initial: 'pausing',
        states: { pausing: { after }, marking: { invoke: { src: 'mark', onDone: 'done' } }, done: { type: 'final' } },
      });
    expect(replayJournal(timer({ 5000: 'marking' }), lines, input)).toEqual({ result: 'same', steps: 3 });
    expect(formatReplay(replayJournal(timer({ pause: 'done' }), lines, input))).toBe(
      'step 2 (event xstate.after.pause.timer.pausing): the journal went from pausing to marking, the machine now goes to done',
    );
  });
});

describe('replay of a store with compacted history', () => {
  it('reads the history first, oldest first: every line of the run, the same', async () => {
    process.env.LIFECYCLE_JOURNAL_MAX_BYTES = '600';
    let store: RecordingStore;
    try {
      store = new RecordingStore(join(temp(), 'store'));
    } finally {
      delete process.env.LIFECYCLE_JOURNAL_MAX_BYTES;
    }
    const services = await SERVICES.install();
    const input = await services.sandboxInput!(temp());
    const machine = (await loadMachine('install')).machine;
    expect((await startRun({ store, lifecycle: 'install', machine, actors: services.actors, input, inspect: store.inspect })).status).toBe('succeeded');
    expect(readdirSync(join(store.dir, 'history')).length).toBeGreaterThan(1);
    const journal = readReplayJournal(store.dir);
    expect(journal.lines[0]!.event).toBe('xstate.init');
    expect(journal.lines.at(-1)!.to).toBe('installed');
    expect(replayJournal(machine, journal.lines, journal.input)).toEqual({ result: 'same', steps: journal.lines.length });
  });
});

describe('what a journal does not record', () => {
  const go = setup({ actors: { work: fromPromise(async () => {}) } }).createMachine({
    id: 'go',
    initial: 'a',
    states: {
      a: { on: { GO: 'b' } },
      b: { invoke: { src: 'work', onDone: 'c', onError: [{ guard: ({ event }) => (event.error as Error).message === 'busy', target: 'a' }, { target: 'c' }] } },
      c: { type: 'final' },
    },
  });
  const line = (event: string, from: unknown, to: unknown, transitions: string[], extra: Partial<ReplayLine> = {}): ReplayLine => ({ time: '', event, from, to, step: null, transitions, ...extra });
  const start = line('xstate.init', null, 'a', []);
  const goLine = line('GO', 'a', 'b', ['go.a:GO:0']);

  it('an event whose payload nothing reads, a done event whose output nothing reads: exact', () => {
    expect(replayJournal(go, [start, goLine, line('xstate.done.actor.0.go.b', 'b', 'c', ['go.b:xstate.done.actor.0.go.b:0'])], undefined)).toEqual({ result: 'same', steps: 3 });
  });

  it("a service error: its recorded message decides; an error the line does not record is not made up", () => {
    const failed = line('xstate.error.actor.0.go.b', 'b', 'a', ['go.b:xstate.error.actor.0.go.b:0'], { error: { message: 'busy' } });
    expect(replayJournal(go, [start, goLine, failed], undefined)).toEqual({ result: 'same', steps: 3 });
    const { error: _error, ...bare } = failed;
    expect(formatReplay(replayJournal(go, [start, goLine, bare], undefined))).toBe(
      'step 3 (event xstate.error.actor.0.go.b) cannot be replayed exactly: the machine reads the error of 0.go.b, which the journal does not record (the 2 steps before it replayed the same)',
    );
  });

  it('a journal that does not begin at the start: replayed when its first line starts where the machine does, else said so', () => {
    expect(replayJournal(go, [goLine], undefined)).toEqual({ result: 'same', steps: 1 });
    expect(formatReplay(replayJournal(go, [line('xstate.done.actor.0.go.b', 'b', 'c', [])], undefined))).toBe(
      "step 1 (event xstate.done.actor.0.go.b) cannot be replayed exactly: the journal does not begin at the run's start (this first line is from b)",
    );
  });

  it('a torn last line is left out with a warning; a file that is no journal is refused in one line', () => {
    const dir = temp();
    const file = join(dir, 'journal.jsonl');
    writeFileSync(file, `${JSON.stringify(start)}\n${JSON.stringify(goLine)}\n{"time":"`);
    const journal = readReplayJournal(file);
    expect(journal.lines).toHaveLength(2);
    expect(journal.warnings).toEqual([expect.stringMatching(/ignored a torn last line/)]);
    writeFileSync(file, `# notes\n${JSON.stringify(start)}\n`);
    expect(() => readReplayJournal(file)).toThrow(`${file} is not a run journal: line 1 is not JSON (a journal is the journal.jsonl of 'lifecycle run')`);
  });
});
