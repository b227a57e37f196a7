/**
 * The scenarios and faults the generated operator suite drives the real services with: each makes the real service
 * return the sample (or fail as the catalogue's error says), and none touches anything outside the sandbox.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OperatorInput } from '../../machines/operator.ts';
import { operatorCatalogue } from '../../machines/operator.catalogue.ts';
import { layout, operatorServices, readPid, SANDBOX_SPEC, stopSpawnedApps } from '../../src/services/operator/index.ts';
import { observe, runAction } from '../../src/services/operator/actions.ts';
import { readSpec } from '../../src/services/operator/spec.ts';
import { writeStatus } from '../../src/services/operator/status.ts';
import { operatorFaults, operatorScenarios } from '../../src/services/operator/test-hooks.ts';
import { isAlive } from '../../src/services/upgrade/index.ts';
import { comparable } from '../../src/testgen/comparable.ts';

let dir: string;
let runInput: OperatorInput;
const statusPath = () => join(dir, 'instance.status.json');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lk-operator-hooks-'));
  runInput = await operatorServices.sandboxInput(dir);
});
afterEach(async () => {
  await stopSpawnedApps();
  await rm(dir, { recursive: true, force: true });
});

/** A real error as the generated suite compares it: sandbox paths written as the catalogue's input names them. */
function asCatalogue(error: unknown): unknown {
  const input = operatorCatalogue.input as OperatorInput;
  return JSON.parse(
    JSON.stringify(comparable(error))
      .split(runInput.workDir).join(input.workDir)
      .split(runInput.specPath).join(input.specPath)
      .split(dir).join('.lifecycle/operator'),
  );
}

const failure = async (p: Promise<unknown>) => p.then(() => expect.fail('expected the service to fail'), (error: unknown) => error);
const samples = operatorCatalogue.services!;

describe('operator scenarios and faults', () => {
  it('a fresh sandbox gives the first samples: the spec and an absent app', async () => {
    expect(await readSpec({ specPath: runInput.specPath })).toEqual(samples.readSpec!.done![0]);
    expect(SANDBOX_SPEC).toEqual((samples.readSpec!.done![0] as { spec: unknown }).spec);
    expect(await observe(runInput.workDir)).toBe('absent');
  });

  it('readSpec scenarios write each sampled spec, or take the file away', async () => {
    for (const output of samples.readSpec!.done!) {
      await operatorScenarios.readSpec!({ input: { specPath: runInput.specPath }, runInput, dir, calls: 0, output });
      expect(await readSpec({ specPath: runInput.specPath })).toEqual(output);
    }
  });

  it('readSpec faults: every check of the validation refuses an invalid spec; a folder is EISDIR, as the catalogue says', async () => {
    const [invalid, folder] = samples.readSpec!.error!;
    for (let calls = 0; calls < 4; calls++) {
      await operatorFaults.readSpec!({ input: { specPath: runInput.specPath }, runInput, dir, calls, error: invalid });
      const error = await failure(readSpec({ specPath: runInput.specPath }));
      expect((error as { kind?: string }).kind).toBe('invalid-spec');
      if (calls === 0) expect(asCatalogue(error)).toEqual(invalid);
    }
    await operatorFaults.readSpec!({ input: { specPath: runInput.specPath }, runInput, dir, calls: 0, error: folder });
    expect(asCatalogue(await failure(readSpec({ specPath: runInput.specPath })))).toEqual(folder);
  });

  it('observeApp scenarios put the app at every node; the fault makes it unobservable', async () => {
    const input = { workDir: runInput.workDir };
    for (const output of samples.observeApp!.done!) {
      await operatorScenarios.observeApp!({ input, runInput, dir, calls: 0, output });
      expect(await observe(runInput.workDir)).toBe((output as { appState: string }).appState);
    }
    await operatorFaults.observeApp!({ input, runInput, dir, calls: 0, error: samples.observeApp!.error![0] });
    expect(asCatalogue(await failure(observe(runInput.workDir)))).toEqual(samples.observeApp!.error![0]);
    await operatorScenarios.observeApp!({ input, runInput, dir, calls: 1, output: { appState: 'absent' } });
    expect(await observe(runInput.workDir)).toBe('absent');
  });

  it('a runAction fault kills the app the action starts, and the one that ran', async () => {
    const input = { workDir: runInput.workDir, from: 'absent' as const, to: 'start' as const, spec: SANDBOX_SPEC, plan: null };
    await runAction(input);
    const first = (await readPid(runInput.workDir))!;
    await operatorFaults.runAction!({ input: { ...input, to: 'running' }, runInput, dir, calls: 0, error: samples.runAction!.error![0] });
    expect(isAlive(first)).toBe(false);
    const error = await failure(runAction({ ...input, to: 'running' }));
    expect(error).toMatchObject({ kind: 'app-exited' });
    expect(await observe(runInput.workDir)).toBe('absent');
    expect(await operatorScenarios.runAction!({ input, runInput, dir, calls: 0, output: { appState: 'running' } })).toBe(false);
    expect(await operatorFaults.runAction!({ input: { ...input, to: 'end' }, runInput, dir, calls: 0, error: samples.runAction!.error![0] })).toBe(false);
  });

  it('a writeStatus fault is a folder in the way, as the catalogue says; the scenario takes it away', async () => {
    const { input: machineInput } = { input: { statusPath: statusPath(), status: null as never } };
    await operatorFaults.writeStatus!({ input: machineInput, runInput, dir, calls: 0, error: samples.writeStatus!.error![0] });
    const status = (await import('../../machines/operator.ts')).toInstanceStatus;
    const { createActor } = await import('xstate');
    const { operatorMachine } = await import('../../machines/operator.ts');
    const context = createActor(operatorMachine, { input: runInput }).getSnapshot().context;
    expect(asCatalogue(await failure(writeStatus({ statusPath: statusPath(), status: status(context) })))).toEqual(samples.writeStatus!.error![0]);
    await operatorScenarios.writeStatus!({ input: machineInput, runInput, dir, calls: 0, output: undefined });
    await writeStatus({ statusPath: statusPath(), status: status(context) });
    expect(existsSync(statusPath())).toBe(true);
  });

  it('refuses paths outside the sandbox', async () => {
    const outside = { ...runInput, specPath: join(tmpdir(), 'not-the-sandbox.json') };
    expect(() => operatorScenarios.readSpec!({ input: {}, runInput: outside, dir, calls: 0, output: { spec: null } })).toThrow(/not inside the sandbox/);
    await expect(async () => operatorFaults.observeApp!({ input: { workDir: tmpdir() }, runInput, dir, calls: 0, error: {} })).rejects.toThrow(/not inside the sandbox/);
    expect(existsSync(layout.record(tmpdir()))).toBe(false);
  });
});
