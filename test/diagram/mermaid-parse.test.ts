import { describe, expect, it } from 'vitest';
import { parseMermaid } from '../../src/diagram/mermaid-parse.ts';

describe('parseMermaid', { timeout: 60_000 }, () => {
  it('accepts a valid state diagram', async () => {
    const text = [
      'stateDiagram-v2',
      '  [*] --> Idle',
      '  state Running {',
      '    [*] --> A',
      '    --',
      '    [*] --> B',
      '  }',
      '  state Pick <<choice>>',
      '  Idle --> Pick: start',
      '  Pick --> Running',
      '  note right of Idle: waits',
    ].join('\n');
    expect(await parseMermaid(text)).toEqual({ ok: true });
  });

  it('rejects invalid text with Mermaid’s message on one line', async () => {
    const result = await parseMermaid('stateDiagram-v2\n  A --> --> B\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(/^Parse error on line 2:.*Expecting/);
    expect(result.error).not.toContain('\n');
  });

  it('rejects text that is no diagram', async () => {
    const result = await parseMermaid('not a diagram');
    expect(result).toEqual({ ok: false, error: expect.stringContaining('No diagram type detected') });
  });
});
