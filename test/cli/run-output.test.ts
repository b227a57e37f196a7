import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { prebootMachine } from '../../machines/preboot.ts';
import { upgradeMachine } from '../../machines/upgrade.ts';
import { prebootServices } from '../../src/services/preboot/index.ts';
import { createProgressPrinter, parseInputOption, withInterruptSignal } from '../../cli/run-output.ts';
import { journalEntry } from '../../src/runtime/progress-view.ts';

const fakeIo = (tty: boolean) => {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: { write: (s: string | Uint8Array) => (out.stdout += String(s)), isTTY: tty },
      stderr: { write: (s: string | Uint8Array) => (out.stderr += String(s)), isTTY: tty },
    },
  };
};

/** An upgrade snapshot in the download step, with progress fields set as the machine sets them. */
function downloading(bytesReceived: number, totalBytes: number) {
  const snapshot = createActor(upgradeMachine, {
    input: { agentHome: '/x', source: '/a.tgz', sha256: 'x', targetVersion: '2.0.0', targetBuildDate: '2024-01-01T00:00:00Z' },
  }).getSnapshot();
  return { ...snapshot, status: 'active', context: { ...snapshot.context, step: 'download', attempts: 2, bytesReceived, totalBytes } } as never;
}

describe('run progress output', () => {
  it('on a TTY: a live line with the step n of m, the attempt and download bytes; plain lines on stdout', () => {
    const { io, out } = fakeIo(true);
    const printer = createProgressPrinter(io, 'upgrade');
    const s = downloading(1024, 4096);
    printer.transition({ ...journalEntry(null, s, { type: 'xstate.init' }), to: { currentVersion: { downloading: 'running' } } }, s);
    printer.snapshot(downloading(2048, 4096));
    printer.stop();
    expect(out.stdout).toMatch(/^\[\d\d:\d\d:\d\d\] start → currentVersion\.downloading\.running\n$/);
    expect(out.stderr).toContain('… step 2 of 9: download · attempt 2 · 2.0 KiB / 4.0 KiB (50%) · 0 s');
    expect(out.stderr.endsWith('\r\x1b[K')).toBe(true); // the live line is cleared at the end
  });

  it('not on a TTY: plain lines only, progress-only updates print nothing', () => {
    const { io, out } = fakeIo(false);
    const printer = createProgressPrinter(io, 'upgrade');
    const s = downloading(1, 2);
    printer.transition({ time: new Date().toISOString(), event: 'DOWNLOAD.PROGRESS', from: 'a', to: 'a', step: 'download' }, s);
    printer.snapshot(s);
    printer.stop();
    expect(out).toEqual({ stdout: '', stderr: '' });
  });

  it('--input takes JSON text or a JSON file and names what is wrong', () => {
    expect(parseInputOption(' {"a":1} ')).toEqual({ a: 1 });
    expect(() => parseInputOption('{"a":')).toThrow(/^--input is not valid JSON \(/);
    expect(() => parseInputOption('missing.json')).toThrow("--input: 'missing.json' is neither JSON nor an existing file");
  });

  it("prints a lifecycle's notes under a transition when they change, not again when they stay the same", () => {
    const { io, out } = fakeIo(false);
    const printer = createProgressPrinter(io, 'preboot', prebootServices.notes as never);
    const base = createActor(prebootMachine, { input: { dataDir: '/d', configPath: '/c.json' } }).getSnapshot();
    const at = (value: unknown, context: object) => ({ ...base, status: 'active', value, context: { ...base.context, ...context } }) as never;
    const server = { id: 'preboot-1', url: 'http://127.0.0.1:5601', port: 5601 };
    const hold = { id: 'interactive-setup#1', kind: 'setup', reason: 'waiting for details', registeredAt: '' };
    const held = at({ preboot: 'awaitingSetupHolds' }, { prebootServer: server, holds: [hold] });
    printer.transition(journalEntry(at({ preboot: 'startingServer' }, {}), held, { type: 'xstate.done.actor.x' }), held);
    printer.transition(journalEntry(held, held, { type: 'HOLD.REGISTERED' }), held);
    const running = at('running', { stage: 'running', prebootServer: null, mainServer: server });
    printer.transition(journalEntry(held, running, { type: 'xstate.done.actor.y' }), running);
    const lines = out.stdout.split('\n');
    expect(lines[1]).toBe('  preboot server: http://127.0.0.1:5601 (status: http://127.0.0.1:5601/api/status; app URLs wait for the main server, other routes answer 503)');
    expect(lines[2]).toBe('  holding setup: waiting for details [interactive-setup#1]');
    expect(lines[3]).toMatch(/^ {2}to configure: curl -X POST .* http:\/\/127\.0\.0\.1:5601\/internal\/interactive_setup\/configure$/);
    expect(lines[4]).toMatch(/preboot\.awaitingSetupHolds → running$/);
    expect(lines[5]).toBe('  main server: http://127.0.0.1:5601 (Ctrl-C stops it: STOP, then every socket released)');
    expect(lines).toHaveLength(7);
    printer.stop();
  });

  it('Ctrl-C: interrupts at once; with a shutdown, the first asks for it and the second interrupts', async () => {
    const plain = await withInterruptSignal(async ({ interrupt, shutdown }) => {
      process.emit('SIGINT');
      return [interrupt.aborted, shutdown.aborted];
    });
    expect(plain).toEqual([true, false]);
    const announced: string[] = [];
    const graceful = await withInterruptSignal(
      async ({ interrupt, shutdown }) => {
        process.emit('SIGTERM');
        const first = [interrupt.aborted, shutdown.aborted];
        process.emit('SIGINT');
        return [first, [interrupt.aborted, shutdown.aborted]];
      },
      { onShutdown: () => announced.push('shutdown') },
    );
    expect(graceful).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(announced).toEqual(['shutdown']);
    // The handlers are gone once the body is done.
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it("a loop's rounds print once, later rounds are counted in one line when something new happens", () => {
    const { io, out } = fakeIo(false);
    const printer = createProgressPrinter(io, 'upgrade');
    const snapshot = { status: 'active', context: {}, value: 'x' } as never;
    const move = (from: string, to: string, error?: string) =>
      printer.transition({ time: new Date(0).toISOString(), event: 'E', from, to, step: 'watch', ...(error ? { error: { message: error, step: 'watch', attempt: 1 } } : {}) }, snapshot);
    move('start', 'checking');
    for (let i = 0; i < 5; i++) {
      move('checking', 'pausing');
      move('pausing', 'checking');
    }
    move('checking', 'pausing', 'unhealthy'); // an error always prints
    move('pausing', 'completed');
    const lines = out.stdout.trim().split('\n').map((l) => l.replace(/^\[[\d:]+\] /, ''));
    expect(lines).toEqual([
      'start → checking',
      'checking → pausing',
      'pausing → checking',
      '  (… 8 more transitions repeating the ones above)',
      'checking → pausing  (watch attempt 1 failed: unhealthy)',
      'pausing → completed',
    ]);
    printer.stop();
  });

  it('a repeated line still prints when it brings new notes (an operator converging on a new version)', () => {
    const { io, out } = fakeIo(false);
    const printer = createProgressPrinter(io, 'operator', ({ context }) => [`app version ${(context as { v: string }).v}`]);
    const at = (v: string) => ({ status: 'active', context: { v }, value: 'converged' }) as never;
    const move = (from: string, to: string, v: string) => printer.transition({ time: new Date(0).toISOString(), event: 'E', from, to, step: null }, at(v));
    move('reconciling', 'converged', '1.0.0');
    move('converged', 'reconciling', '1.0.0');
    move('reconciling', 'converged', '1.0.0');
    move('converged', 'reconciling', '1.0.0');
    move('reconciling', 'converged', '2.0.0');
    const lines = out.stdout.trim().split('\n').map((l) => l.replace(/^\[[\d:]+\] /, ''));
    expect(lines).toEqual([
      'reconciling → converged',
      '  app version 1.0.0',
      'converged → reconciling',
      '  (… 2 more transitions repeating the ones above)',
      'reconciling → converged',
      '  app version 2.0.0',
    ]);
    printer.stop();
  });
});
