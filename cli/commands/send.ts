import { createActor, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { DirectoryStore } from '../../src/runtime/directory-store.ts';
import { resolveLifecycle } from '../../src/runtime/resolve-lifecycle.ts';
import { refusalOf } from '../../src/runtime/run-actor.ts';
import { isProcessAlive } from '../../src/runtime/lock-file.ts';
import { MAX_INBOX_EVENT_BYTES, type InboxReceipt } from '../../src/runtime/inbox.ts';
import { UserError } from '../../src/errors.ts';
import { type Register, usageError } from '../io.ts';
import { parseInputOption } from '../run-output.ts';

/** How long `send` waits for a running run to take the event, by default. */
const DEFAULT_WAIT_MS = 10_000;

export const registerSend: Register = (program, { io, setExitCode }) => {
  program
    .command('send')
    .description("send an event to the run in a store: delivered at once to a running run, or when a stopped one resumes")
    .argument('<event>', 'the event as JSON text or a JSON file: {"type":"APPROVE","by":"ops"}')
    .option('--store <dir>', 'the directory that keeps the run', '.lifecycle')
    .option('--wait <ms>', 'how long to wait for a running run to take it (0: do not wait)', parseWait, DEFAULT_WAIT_MS)
    .addHelpText(
      'after',
      `
The event goes into the store's inbox, so it is not lost if the run crashes in between: a running run takes it
within a moment and says what it did; a run that is down (interrupted, crashed) takes it when it resumes. The run
checks it first: an event the current state does not take, or whose guard does not hold, is refused and changes
nothing.

Exit code: 0 when the run took it (or, with the run down or --wait 0, when it is queued), 1 when it was refused,
or there is no unfinished run, 2 for a malformed event.

Examples:
  $ lifecycle send '{"type":"APPROVE","by":"ops"}'
  $ lifecycle send --store /var/lib/deploy/.lifecycle approve.json`,
    )
    .action(async (text: string, opts: { store: string; wait: number }) => {
      const event = parseEvent(text);
      const store = new DirectoryStore(opts.store);
      const meta = store.readMeta();
      if (!meta) throw new UserError(`no run in ${store.location}: start one with 'lifecycle run <lifecycle>'`);
      if (meta.status !== 'running' && meta.status !== 'interrupted') {
        throw new UserError(`the ${meta.lifecycle} run in ${store.location} already ${meta.status}: there is nothing to send ${event.type} to`);
      }
      const alive = meta.status === 'running' && isProcessAlive(meta.pid);
      // A run that is down is checked against where it stopped, so a mistyped or unwanted event is refused now
      // rather than warned about when it resumes.
      if (!alive) {
        const refusal = await refusalWhereStopped(store, meta.lifecycle, meta.services, event);
        if (refusal) {
          io.stderr.write(`lifecycle: ${event.type} refused: ${refusal}\n`);
          setExitCode(1);
          return;
        }
      }
      const id = store.inbox.post(event);
      if (!alive || opts.wait === 0) {
        io.stdout.write(
          alive
            ? `queued ${event.type} for the ${meta.lifecycle} run (message ${id})\n`
            : `queued ${event.type}: the run is not running now; 'lifecycle resume${opts.store === '.lifecycle' ? '' : ` --store ${opts.store}`}' delivers it (message ${id})\n`,
        );
        return;
      }
      const receipt = await waitForReceipt(() => store.inbox.receipt(id, true), opts.wait);
      if (!receipt) {
        io.stdout.write(`queued ${event.type}: the run did not take it within ${opts.wait} ms; it will when it can (message ${id})\n`);
        return;
      }
      if (receipt.accepted) {
        io.stdout.write(`delivered ${event.type}: ${receipt.from ?? '?'} → ${receipt.to ?? '?'}\n`);
        return;
      }
      io.stderr.write(`lifecycle: ${event.type} refused: ${receipt.reason ?? 'no reason given'}\n`);
      setExitCode(1);
    });
};

function parseWait(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms < 0) throw usageError(`--wait must be a number of milliseconds (0 or more), got '${value}'`);
  return ms;
}

/** The event argument: a JSON object with a string `type` that is not one of XState's own. */
function parseEvent(text: string): { type: string } {
  let event: unknown;
  try {
    event = parseInputOption(text);
  } catch (error) {
    // parseInputOption speaks of --input; here the argument is the event.
    throw usageError((error as Error).message.replace(/^--input file/, 'the event file').replace(/^--input:? ?/, 'the event '));
  }
  if (!event || typeof event !== 'object' || Array.isArray(event) || typeof (event as { type?: unknown }).type !== 'string') {
    throw usageError(`an event is a JSON object with a string "type", e.g. '{"type":"APPROVE"}'`);
  }
  const type = (event as { type: string }).type;
  if (type.startsWith('xstate.')) throw usageError(`${type} is an event of XState itself: send one of the machine's events`);
  if (JSON.stringify(event).length > MAX_INBOX_EVENT_BYTES) throw usageError(`the event is larger than ${MAX_INBOX_EVENT_BYTES} bytes: send a command, not data`);
  return event as { type: string };
}

async function waitForReceipt(read: () => InboxReceipt | null, ms: number): Promise<InboxReceipt | null> {
  const until = Date.now() + ms;
  for (;;) {
    const receipt = read();
    if (receipt) return receipt;
    if (Date.now() >= until) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Why the state a stopped run was saved in would refuse `event` (the same checks the run makes), or null when it
 * takes it or that cannot be told (no snapshot yet, a machine that no longer loads: the run decides on resume).
 */
async function refusalWhereStopped(store: DirectoryStore, lifecycle: string, services: string | undefined, event: EventObject): Promise<string | null> {
  try {
    const saved = store.loadSnapshot();
    if (!saved) return null;
    const { machine } = await resolveLifecycle(lifecycle, { services });
    const snapshot = createActor(machine, { snapshot: saved.snapshot as never }).getSnapshot() as AnyMachineSnapshot;
    if (snapshot.status !== 'active') return null;
    return refusalOf(machine, snapshot, event);
  } catch {
    return null;
  }
}
