/**
 * The durable runtime's overhead: a 1,000-step machine whose services do nothing, run with the directory store
 * (snapshot + journal line fsynced after every transition), against the cost of the fsyncs it must do, measured in
 * the same process on the same disk.
 *
 *   npm run bench:runtime [-- --steps 1000 --dir /path/on/the/disk/to/measure]
 *
 * Rows:
 * - runtime, directory store: `startRun` end to end (XState, snapshot persistence, journal, fsyncs);
 * - runtime, memory store: the same without the disk, i.e. XState plus the runtime's bookkeeping;
 * - XState alone: the machine run by a bare actor, nothing saved;
 * - store writes alone: the same files written the same way (atomic snapshot + fsynced journal line) per step,
 *   without XState: the I/O floor of this store design;
 * - bare fsync'd writes: as many small write+fsync pairs as the runtime did fsyncs.
 */
import fs, { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createActor, fromPromise, setup, toPromise, type AnyStateMachine } from 'xstate';
import { writeFileAtomic } from '../src/io/atomic-write.ts';
import { DirectoryStore } from '../src/runtime/directory-store.ts';
import { MemoryStore } from '../src/runtime/memory-store.ts';
import { startRun } from '../src/runtime/runs.ts';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '1000' }, dir: { type: 'string' } } });
const STEPS = Number(values.steps);
const base = mkdtempSync(join(values.dir ?? tmpdir(), 'lk-bench-runtime-'));

// Count fsyncs, whoever calls them (writeFileAtomic, the journal): patched on node:fs and synced into the named
// imports of every module.
let fsyncs = 0;
const fsyncSync = fs.fsyncSync;
fs.fsyncSync = (fd: number) => {
  fsyncs++;
  fsyncSync(fd);
};
syncBuiltinESMExports();

/** s0 → s1 → … → s(n-1) → done, each step invoking a service that resolves at once. */
function chainOfSteps(n: number): AnyStateMachine {
  const states: Record<string, object> = {};
  for (let i = 0; i < n; i++) states[`s${i}`] = { invoke: { src: 'noop', onDone: i + 1 < n ? `s${i + 1}` : 'done' } };
  states.done = { type: 'final' };
  const machine = setup({ actors: { noop: fromPromise(async () => undefined) } }).createMachine({
    id: 'bench',
    initial: 's0',
    states: states as never,
  });
  return machine as unknown as AnyStateMachine;
}

interface Row {
  name: string;
  ms: number;
  fsyncs: number;
}

async function measure(name: string, body: () => Promise<void> | void): Promise<Row> {
  fsyncs = 0;
  const t0 = performance.now();
  await body();
  return { name, ms: performance.now() - t0, fsyncs };
}

const machine = chainOfSteps(STEPS);
const transitions = STEPS + 1; // the initial state, then one transition per step

// One untimed run first: otherwise the first row also pays for compiling XState's and the runtime's code (about
// 1 ms a step over 1,000 steps), which a long-lived process pays once, not per step.
await startRun({ store: new MemoryStore(), lifecycle: 'bench', machine, input: undefined });

const rows: Row[] = [];
rows.push(
  await measure('runtime, directory store', async () => {
    const r = await startRun({ store: new DirectoryStore(join(base, 'store')), lifecycle: 'bench', machine, input: undefined });
    if (r.status !== 'succeeded') throw new Error(`bench run ${r.status}: ${r.error}`);
  }),
);
const runtimeFsyncs = rows[0]!.fsyncs;
rows.push(
  await measure('runtime, memory store', async () => {
    const r = await startRun({ store: new MemoryStore(), lifecycle: 'bench', machine, input: undefined });
    if (r.status !== 'succeeded') throw new Error(`bench run ${r.status}`);
  }),
);
// The floor writes what the runtime wrote: its last snapshot, and a journal line of the same shape.
rows.push(
  await measure('XState alone (nothing saved)', async () => {
    await toPromise(createActor(machine).start());
  }),
);
const snapshotText = JSON.stringify(new DirectoryStore(join(base, 'store')).loadSnapshot());
const journalLine = `${JSON.stringify({ time: new Date().toISOString(), event: 'xstate.done.actor.0.bench.s1', from: 's1', to: 's2', step: null })}\n`;
rows.push(
  await measure('store writes alone (no XState)', () => {
    const dir = join(base, 'floor');
    fs.mkdirSync(dir);
    const fd = openSync(join(dir, 'journal.jsonl'), 'a');
    for (let i = 0; i < transitions; i++) {
      writeSync(fd, journalLine);
      fs.fsyncSync(fd);
      writeFileAtomic(join(dir, 'snapshot.json'), snapshotText);
    }
    closeSync(fd);
  }),
);
rows.push(
  await measure(`bare fsync'd writes (${runtimeFsyncs})`, () => {
    const fd = openSync(join(base, 'bare'), 'w');
    const line = Buffer.from(journalLine);
    for (let i = 0; i < runtimeFsyncs; i++) {
      writeSync(fd, line);
      fs.fsyncSync(fd);
    }
    closeSync(fd);
  }),
);
rmSync(base, { recursive: true, force: true });

const bare = rows[rows.length - 1]!.ms;
const fmt = (n: number, d = 1) => n.toFixed(d);
console.log(`runtime overhead: ${STEPS}-step machine, no-op services, ${transitions} transitions, disk ${values.dir ?? tmpdir()}, after one untimed warm-up run\n`);
console.log(`| ${'measured'.padEnd(34)} | ${'total ms'.padStart(9)} | ${'ms/step'.padStart(8)} | ${'fsyncs/step'.padStart(11)} | ${'÷ bare fsyncs'.padStart(13)} |`);
console.log(`| ${'-'.repeat(34)} | ${'-'.repeat(9)} | ${'-'.repeat(8)} | ${'-'.repeat(11)} | ${'-'.repeat(13)} |`);
for (const r of rows) {
  console.log(
    `| ${r.name.padEnd(34)} | ${fmt(r.ms).padStart(9)} | ${fmt(r.ms / STEPS, 3).padStart(8)} | ${fmt(r.fsyncs / STEPS, 2).padStart(11)} | ${fmt(r.ms / bare, 2).padStart(13)} |`,
  );
}
const runtime = rows[0]!;
console.log(
  `\nThe durable runtime costs ${fmt(runtime.ms / STEPS, 3)} ms per step, ${fmt(runtime.ms / bare, 2)}× the ${runtimeFsyncs} bare fsync'd writes it must do ` +
    `(${fmt(bare / runtimeFsyncs, 3)} ms each); without the disk the same run takes ${fmt(rows[1]!.ms / STEPS, 3)} ms per step.`,
);
