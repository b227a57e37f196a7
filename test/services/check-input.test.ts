import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVICES } from '../../src/services/index.ts';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('built-in inputs are checked before a run, relative paths made absolute', () => {
  it('upgrade: a relative source path is resolved, a URL kept; counts must be whole numbers', async () => {
    const upgrade = await SERVICES.upgrade();
    const base = { agentHome: 'home', sha256: 'ab'.repeat(32), targetVersion: '1.1.0', targetBuildDate: '2024-01-01T00:00:00Z' };
    expect(upgrade.checkInput!({ ...base, source: 'a.tar.gz' }, '/w')).toMatchObject({ agentHome: '/w/home', source: '/w/a.tar.gz' });
    expect(upgrade.checkInput!({ ...base, source: 'http://127.0.0.1:8080/a.tar.gz' }, '/w')).toMatchObject({ source: 'http://127.0.0.1:8080/a.tar.gz' });
    expect(() => upgrade.checkInput!({ ...base, source: 'a', gracePeriodMs: -1 }, '/w')).toThrow('upgrade input: gracePeriodMs must be a whole number of ms from 0 to 2147483647, found -1');
    expect(() => upgrade.checkInput!({ ...base, source: '' }, '/w')).toThrow('upgrade input: source must be a path or a URL, found ""');
  });

  it('preboot and operator: typed fields, optional ones may be left out', async () => {
    const preboot = await SERVICES.preboot();
    expect(preboot.checkInput!({ dataDir: 'd', configPath: '/etc/c.json', plugins: ['interactive-setup'] }, '/w')).toEqual({
      dataDir: '/w/d',
      configPath: '/etc/c.json',
      plugins: ['interactive-setup'],
    });
    expect(() => preboot.checkInput!({ dataDir: 'd', configPath: 'c', plugins: 'interactive-setup' }, '/w')).toThrow(
      'preboot input: plugins must be an array of strings, found "interactive-setup"',
    );
    const operator = await SERVICES.operator();
    expect(operator.checkInput!({ specPath: 'i.json', workDir: 'work', resyncMs: 1000 }, '/w')).toEqual({ specPath: '/w/i.json', workDir: '/w/work', resyncMs: 1000 });
    expect(() => operator.checkInput!({ specPath: 'i.json' }, '/w')).toThrow(
      'operator input: workDir is required (a path); the fields are { specPath, workDir, statusPath?, requeueMs?, resyncMs?, historyLimit?, retry? }',
    );
  });

  it("every built-in's sandbox input passes its own check unchanged (paths already absolute)", async () => {
    for (const name of ['install', 'upgrade', 'preboot', 'operator'] as const) {
      const services = await SERVICES[name]();
      const dir = mkdtempSync(join(tmpdir(), `lk-check-${name}-`));
      temps.push(dir);
      const input = await services.sandboxInput(dir);
      expect(services.checkInput!(input, '/elsewhere')).toEqual(input);
    }
  });
});
