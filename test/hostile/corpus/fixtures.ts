/**
 * What the cases share, built once per corpus run outside every case's directory: the example agent artifacts (good,
 * unhealthy, corrupt, escaping) and a way to give a case an agent home with 1.0.0 installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examplePackage } from '../../../src/services/install/index.ts';
import { buildExampleArtifacts, installAgent, stopHomeAgent, type BuiltArtifact } from '../../../src/services/upgrade/index.ts';

export const STEPS = `${new URL('../../runtime/fixtures/machines.ts', import.meta.url).pathname}#stepsMachine`;
export const HOSTILE = new URL('../', import.meta.url).pathname;

export interface Fixtures {
  artifacts: Record<'v1' | 'v2' | 'unhealthy' | 'corrupt' | 'escaping', BuiltArtifact>;
  /** The nginx 1.0.0 example package (never written by a case: cases that need to damage one copy it). */
  nginx: string;
  dispose(): void;
}

export async function buildFixtures(): Promise<Fixtures> {
  const dir = mkdtempSync(join(tmpdir(), 'lk-hostile-fixtures-'));
  const artifacts = await buildExampleArtifacts(join(dir, 'artifacts'));
  return { artifacts, nginx: examplePackage('nginx', '1.0.0'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `<dir>/agent` with 1.0.0 installed and current; its agent (if a run starts one) is stopped after the case. */
export async function agentHome(dir: string, fx: Fixtures, defer: (f: () => Promise<void>) => void): Promise<{ home: string; v1: string }> {
  const home = join(dir, 'agent');
  const v1 = await installAgent(home, fx.artifacts.v1.path, '1.0.0');
  defer(() => stopHomeAgent(home));
  return { home, v1 };
}
