// `diff` of each built-in against a modified copy lists exactly the changes made, and the states a run persisted
// on the original could not resume in.
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../machines/index.ts';
import { diffGraphs } from '../../src/diff/compare.ts';
import { changeLine } from '../../src/diff/format.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { type Edit, editSource, loadVariant } from './variants.ts';

interface Case {
  name: string;
  exportName: string;
  edits: Edit[];
  changes: string[];
  cannotResume: string[];
}

const CASES: Case[] = [
  {
    name: 'install',
    exportName: 'installMachine',
    edits: [
      [/rollingBack/g, 'restoringPrevious'], // rename a state
      ["target: 'preconditionFailed',\n          actions: 'refuseDowngrade'", "target: 'failed',\n          actions: 'refuseDowngrade'"], // retarget
      ['    recovering: {', "    verifying: { on: { VERIFIED: 'installing' } },\n    recovering: {"], // add a state
      ["src: 'cleanupPrevious'", "src: 'removePrevious'"], // rename an invoked service
      ["cleanupPrevious: notProvided<void, CleanupPreviousInput>('cleanupPrevious')", "removePrevious: notProvided<void, CleanupPreviousInput>('removePrevious')"],
    ],
    changes: [
      '- state rollingBack (renamed? → restoringPrevious)',
      '+ state verifying',
      '+ state restoringPrevious (renamed? ← rollingBack)',
      '+ verifying: VERIFIED → installing',
      '~ decidingVersion: always [installedVersionIs(relation: newer)] → failed (was → preconditionFailed)',
      '~ cleaningPrevious invokes removePrevious (was cleanupPrevious)',
    ],
    cannotResume: ['cleaningPrevious: service-changed', 'rollingBack: removed'],
  },
  {
    name: 'upgrade',
    exportName: 'upgradeMachine',
    edits: [
      [/waitingForAgent/g, 'awaitingAgent'], // rename a state (the watcher region's initial one)
      ["after: { healthCheckInterval: 'checking' }", "after: { 5000: 'checking' }"], // change a delay
      ["src: 'verifyChecksum'", "src: 'checkDigest'"], // rename an invoked service (still declaring the old one)
      ["onDone: { target: 'extracting', actions: 'markSucceeded' }", "onDone: { target: '#upgrade.handingOff', actions: 'markSucceeded' }"], // retarget
    ],
    changes: [
      '- state nextVersion.trial.watcher.waitingForAgent (renamed? → nextVersion.trial.watcher.awaitingAgent)',
      '+ state nextVersion.trial.watcher.awaitingAgent (renamed? ← nextVersion.trial.watcher.waitingForAgent)',
      '~ currentVersion.verifying: done: checkDigest → handingOff (was → currentVersion.extracting)',
      '~ nextVersion.trial.watcher.watching.pausing: after 5s → nextVersion.trial.watcher.watching.checking (delay was healthCheckInterval)',
      '~ currentVersion.verifying invokes checkDigest (was verifyChecksum)',
    ],
    cannotResume: ['currentVersion.verifying: service-changed', 'nextVersion.trial.watcher.waitingForAgent: removed'],
  },
  {
    name: 'preboot',
    exportName: 'prebootMachine',
    edits: [
      [/stoppingPrebootServer/g, 'closingPrebootServer'], // rename a state that invokes a service
      ["always: [{ guard: 'reloadRequested', target: 'reloadingConfig' }", "always: [{ guard: 'reloadWanted', target: 'reloadingConfig' }"], // change a guard
      ["      on: { STOP: '#preboot.stopping' },\n      states: {\n        closingPrebootServer", "      on: { STOP: '#preboot.draining' },\n      states: {\n        closingPrebootServer"], // retarget
      ['\n    start: {', "\n    draining: { on: { DRAINED: 'stopping' } },\n    start: {"], // add a state
    ],
    changes: [
      '- state start.stoppingPrebootServer (renamed? → start.closingPrebootServer)',
      '+ state draining',
      '+ state start.closingPrebootServer (renamed? ← start.stoppingPrebootServer)',
      '+ draining: DRAINED → stopping',
      '~ start: STOP → draining (was → stopping)',
      '~ preboot.checkingReload: always [reloadWanted] → preboot.reloadingConfig (guard was [reloadRequested])',
    ],
    cannotResume: ['start.stoppingPrebootServer: removed'],
  },
  {
    name: 'operator',
    exportName: 'operatorMachine',
    edits: [
      ["after: { requeue: 'reconciling' }", "after: { 30000: 'reconciling' }"], // change a delay
      ["src: 'writeStatus'", "src: 'publishStatus'"], // rename an invoked service
      ["    writeStatus: notProvided<void, WriteStatusInput>('writeStatus')", "    publishStatus: notProvided<void, WriteStatusInput>('publishStatus')"],
      ["tags: ['waiting'],\n      on: { 'SPEC.CHANGED': 'reconciling' },\n    },\n    ended", "tags: ['waiting'],\n    },\n    ended"], // remove a transition
      ['    ended: {', "    paused: { tags: ['waiting'], on: { RESUME: 'reconciling' } },\n    ended: {"], // add a state
    ],
    changes: [
      '+ state paused',
      '- blocked: SPEC.CHANGED → reconciling',
      '+ paused: RESUME → reconciling',
      '~ requeued: after 30s → reconciling (delay was requeue)',
      '~ reconciling.reporting.attempt invokes publishStatus (was writeStatus)',
    ],
    cannotResume: ['reconciling.reporting.attempt: service-changed'],
  },
];

describe('diff of each built-in against a modified copy', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: exactly the changes made', async (_name, c) => {
    const original = extractGraph(BUILTINS.find((b) => b.name === c.name)!.machine);
    const changed = await loadVariant(editSource(c.name, c.edits), c.exportName);
    const diff = diffGraphs(original, changed);
    expect(diff.changes.map(changeLine)).toEqual(c.changes);
    expect(diff.cannotResume.map((b) => `${b.state}: ${b.reason}`).sort()).toEqual(c.cannotResume);
    expect(diff.equal).toBe(false);
    // The other way round, the same changes undone.
    expect(diffGraphs(changed, original).changes.length).toBe(c.changes.length);
  });

  it.each(BUILTINS.map((b) => [b.name, b] as const))('%s against an unchanged copy: equal', async (name, b) => {
    const copy = await loadVariant(editSource(name, []), CASES.find((c) => c.name === name)!.exportName);
    const diff = diffGraphs(extractGraph(b.machine), copy);
    expect(diff).toMatchObject({ equal: true, changes: [], cannotResume: [] });
  });
});
