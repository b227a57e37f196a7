/**
 * Hostile and careless inputs to the built-ins: every field a built-in takes is checked before a run, retry policies
 * included, and each refusal is one line naming the field (never a guard error later, never a retry forever).
 */
import { describe, expect, it } from 'vitest';
import { shouldRetry, resolveRetryPolicy } from '../../machines/progress.ts';
import { resolveHealthPolicy } from '../../machines/upgrade.ts';
import { checkRetryPolicy } from '../../src/services/check-input.ts';
import { SERVICES } from '../../src/services/index.ts';

const upgradeBase = { agentHome: '/h', source: '/a.tar.gz', sha256: 'ab'.repeat(32), targetVersion: '1.1.0', targetBuildDate: '2024-01-01T00:00:00Z' };
const bases: Record<string, Record<string, unknown>> = {
  install: { package: '/p', target: '/t' },
  upgrade: upgradeBase,
  preboot: { dataDir: '/d', configPath: '/c.json' },
  operator: { specPath: '/s.json', workDir: '/w' },
};

/** The one-line refusal of `input` by `lifecycle`'s check. */
async function refusal(lifecycle: string, input: unknown): Promise<string> {
  const services = await SERVICES[lifecycle]!();
  try {
    services.checkInput!(input, '/cwd');
  } catch (error) {
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message.length).toBeLessThan(400);
    return message;
  }
  throw new Error(`${lifecycle} accepted ${JSON.stringify(input)}`);
}

describe('retry policies are checked in every built-in, field by field', () => {
  const bad: [unknown, RegExp][] = [
    [{ maxAttempts: 'x' }, /retry\.maxAttempts must be a whole number from 1 to 1000 .*found "x"/],
    [{ maxAttempts: 0 }, /retry\.maxAttempts must be/],
    [{ maxAttempts: 2.5 }, /retry\.maxAttempts must be/],
    [{ maxAttempts: 1e9 }, /retry\.maxAttempts must be a whole number from 1 to 1000/],
    [{ nonRetryable: 5 }, /retry\.nonRetryable must be an array of error kinds \(strings\), found 5/],
    [{ nonRetryable: ['ok', 3] }, /retry\.nonRetryable must be/],
    [{ initialIntervalMs: -1 }, /retry\.initialIntervalMs must be a whole number of ms from 0/],
    [{ maxIntervalMs: 3e9 }, /retry\.maxIntervalMs must be a whole number of ms from 0 to 2147483647/],
    [{ backoffRate: 0.5 }, /retry\.backoffRate must be a number from 1 to 100/],
    [{ jitter: 2 }, /retry\.jitter must be a number from 0 to 1/],
    [{ initialIntervalMs: 500, maxIntervalMs: 100 }, /retry\.maxIntervalMs \(100\) must not be below retry\.initialIntervalMs \(500\)/],
    [{ maxAtempts: 3 }, /retry has unknown field "maxAtempts"/],
    ['3 times', /retry must be a retry policy object/],
  ];
  for (const lifecycle of Object.keys(bases)) {
    it(lifecycle, async () => {
      for (const [retry, expected] of bad) expect(await refusal(lifecycle, { ...bases[lifecycle], retry })).toMatch(new RegExp(`^${lifecycle} input: ${expected.source}`));
      const services = await SERVICES[lifecycle]!();
      expect(() => services.checkInput!({ ...bases[lifecycle], retry: { maxAttempts: 2, nonRetryable: ['fatal'], jitter: 0.5 } }, '/cwd')).not.toThrow();
    });
  }

  it('a policy that bypassed the check still ends: a non-number maxAttempts never retries, a non-array nonRetryable is ignored', () => {
    expect(shouldRetry(resolveRetryPolicy({ maxAttempts: 'x' as never }), 1, { kind: 'boom' })).toBe(false);
    expect(() => shouldRetry(resolveRetryPolicy({ nonRetryable: 5 as never }), 1, { kind: 'boom' })).not.toThrow();
    expect(checkRetryPolicy({ maxAttempts: 3 })).toBeNull();
  });
});

describe('every other field of a built-in', () => {
  it('upgrade: checksum, version, build date, durations, source URL, health policy', async () => {
    expect(await refusal('upgrade', { ...upgradeBase, sha256: 'abc' })).toMatch(/^upgrade input: sha256 must be a sha256: 64 hexadecimal digits, found "abc"$/);
    expect(await refusal('upgrade', { ...upgradeBase, targetVersion: 'latest' })).toMatch(/targetVersion must be a semantic version/);
    expect(await refusal('upgrade', { ...upgradeBase, targetBuildDate: 'yesterday' })).toMatch(/targetBuildDate must be an ISO-8601 date/);
    // Longer than Node's timers keep: it would fire after 1 ms and complete the watch at once.
    expect(await refusal('upgrade', { ...upgradeBase, gracePeriodMs: 3e9 })).toMatch(/gracePeriodMs must be a whole number of ms from 0 to 2147483647, found 3000000000/);
    expect(await refusal('upgrade', { ...upgradeBase, source: 'https://example.com/a.tar.gz' })).toMatch(/source: only http:\/\/ URLs on loopback/);
    expect(await refusal('upgrade', { ...upgradeBase, source: 'http://example.com/a.tar.gz' })).toMatch(/source: the URL's host must be 127\.0\.0\.1, localhost or \[::1\], not "example\.com"/);
    expect(await refusal('upgrade', { ...upgradeBase, healthyProbes: 0 })).toMatch(/healthyProbes must be a whole number ≥ 1/);
    expect(await refusal('upgrade', { ...upgradeBase, maxDownloadBytes: -5 })).toMatch(/maxDownloadBytes must be a whole number ≥ 1/);
  });

  it('upgrade: a grace period the required probes cannot fit in is refused, naming the fields', async () => {
    expect(await refusal('upgrade', { ...upgradeBase, gracePeriodMs: 0 })).toMatch(/^upgrade input: gracePeriodMs \(0\) leaves no time for healthyProbes \(1\).*raise gracePeriodMs/);
    expect(await refusal('upgrade', { ...upgradeBase, gracePeriodMs: 1000, healthCheckTimeoutMs: 2000 })).toMatch(
      /healthCheckTimeoutMs \(2000\) does not fit in gracePeriodMs \(1000\).*at most 1000 ms a probe/,
    );
    expect(await refusal('upgrade', { ...upgradeBase, gracePeriodMs: 1000, healthyProbes: 3, healthCheckIntervalMs: 500 })).toMatch(
      /gracePeriodMs \(1000\) leaves no time for healthyProbes \(3\): 3 healthy probes with 2 pauses of healthCheckIntervalMs \(500\)/,
    );
    // The default probe timeout (2 s) is lowered to fit a short grace period instead.
    expect(resolveHealthPolicy({ gracePeriodMs: 1500, healthCheckIntervalMs: 200 })).toEqual({ healthyProbes: 1, probeTimeoutMs: 1500, problem: null });
    expect(resolveHealthPolicy({ gracePeriodMs: 1000, healthCheckIntervalMs: 100, healthyProbes: 3 })).toMatchObject({ probeTimeoutMs: 266, problem: null });
  });

  it('preboot: loopback host, port range, known plugins', async () => {
    expect(await refusal('preboot', { ...bases.preboot, host: '0.0.0.0' })).toMatch(/^preboot input: host must be a loopback host/);
    expect(await refusal('preboot', { ...bases.preboot, port: 70000 })).toMatch(/port must be a port from 0 to 65535, found 70000/);
    expect(await refusal('preboot', { ...bases.preboot, plugins: ['interactive-setpu'] })).toMatch(/^preboot input: plugins: unknown preboot plugin "interactive-setpu"/);
    expect(await refusal('preboot', { ...bases.preboot, plugins: ['reject-hold:later:5'] })).toMatch(/plugins: preboot plugin reject-hold: the first argument must be "setup" or "start"/);
  });

  it('operator: delays within what a timer keeps', async () => {
    expect(await refusal('operator', { ...bases.operator, requeueMs: 1e12 })).toMatch(/^operator input: requeueMs must be a whole number of ms/);
    expect(await refusal('operator', { ...bases.operator, resyncMs: '30s' })).toMatch(/resyncMs must be a whole number of ms/);
  });

  it('a huge value or field name is not echoed whole', async () => {
    const huge = 'x'.repeat(1_000_000);
    expect((await refusal('install', { ...bases.install, force: huge })).length).toBeLessThan(200);
    expect((await refusal('install', { ...bases.install, [huge]: 1 })).length).toBeLessThan(300);
  });
});
