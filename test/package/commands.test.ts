// The CLI loads only the command it runs; help lists the others from cli/main.ts's COMMANDS table. This keeps that
// table equal to what each command registers, so `lifecycle --help` never drifts from `lifecycle <command> --help`.
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, run } from '../../cli/main.ts';

describe('the command table', () => {
  it.each(COMMANDS.map((c) => [c.name, c] as const))('%s: name, usage and description as registered', async (_name, entry) => {
    const program = new Command('lifecycle');
    (await entry.load())(program, { io: { stdout: { write: () => true }, stderr: { write: () => true } }, setExitCode: () => {} });
    const command = program.commands.find((c) => c.name() === entry.name);
    expect(command, `${entry.name} registers a command of that name`).toBeDefined();
    expect(new Help().subcommandTerm(command!)).toBe(entry.term);
    expect(command!.description()).toBe(entry.description);
  });

  it('help lists every command; an unknown one is a usage error with a suggestion', async () => {
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string | Uint8Array) => (out += String(s)) }, stderr: { write: (s: string | Uint8Array) => (err += String(s)) } };
    expect(await run(['--help'], io)).toBe(0);
    for (const c of COMMANDS) expect(out).toContain(c.term);
    expect(await run(['diagrm', 'install'], io)).toBe(2);
    expect(err).toContain("unknown command 'diagrm'");
    expect(err).toContain('diagram');
  });
});
