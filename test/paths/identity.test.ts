// `paths --identity` keys are checked against the machine's context: a misspelt key used to be accepted and
// silently merged every state with the same value.
import { describe, expect, it } from 'vitest';
import { run } from '../../cli/main.ts';
import { checkIdentity } from '../../src/paths/identity.ts';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: { write: (s) => (stdout += String(s)) }, stderr: { write: (s) => (stderr += String(s)) } });
  return { code, stdout, stderr };
}

describe('--identity', () => {
  const contexts = [{ status: 'idle', job: null, holds: [] }, { status: 'busy', job: { id: 'j1' }, holds: [{ id: 'h' }] }];

  it('accepts keys and dotted paths some context has (null or [] on the way may still fill in)', () => {
    for (const keys of [['status'], ['job.id'], ['holds.id'], ['job.anything']]) expect(() => checkIdentity({ context: keys }, contexts)).not.toThrow();
    expect(() => checkIdentity('value', [])).not.toThrow();
  });

  it('refuses a key no context has, a path into a value that cannot hold it, and a malformed path', () => {
    expect(() => checkIdentity({ context: ['bogus'] }, contexts)).toThrow("--identity: 'bogus' is not in the machine's context (its keys: holds, job, status)");
    expect(() => checkIdentity({ context: ['status.code'] }, contexts)).toThrow(/'status\.code' is not in/);
    expect(() => checkIdentity({ context: ['job.id.x.'] }, contexts)).toThrow(/not a context key or dotted path/);
    expect(() => checkIdentity({ context: ['x'] }, [undefined])).toThrow(/it has none/);
  });

  it('lifecycle paths --identity bogus: exit 2, one line naming the key', async () => {
    const r = await cli(['paths', 'install', '--identity', 'bogus', '--max-time', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^lifecycle: --identity: 'bogus' is not in the machine's context \(its keys: .*\bstep\b/);
    expect((await cli(['paths', 'install', '--identity', 'step,', '--max-time', '5', '--json'])).code).toBe(0);
  });
});
