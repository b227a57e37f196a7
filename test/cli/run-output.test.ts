import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { upgradeMachine } from '../../machines/upgrade.ts';
import { createProgressPrinter, parseInputOption } from '../../cli/run-output.ts';
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
});
