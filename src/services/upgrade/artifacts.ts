/**
 * Builds example agent artifacts (`.tar.gz`) from `examples/agent/files/`: a version's `agent.json`, its agent
 * script `bin/agent.mjs`, and its upgrade entrypoint `upgrade` at the root. Output is deterministic (fixed mtimes,
 * portable headers), so a version's sha256 is stable. Also builds the faulty artifacts the tests need: one that is
 * unhealthy once started, a corrupt copy (a flipped byte), and one with entries escaping the target.
 */
import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tar from 'tar';
import { PACKAGE_ROOT } from '../../package-root.ts';
import { sha256 } from '../install/fs.ts';
import type { AgentManifest } from './home.ts';

/** The sources every example version is built from. */
export const AGENT_FILES = join(PACKAGE_ROOT, 'examples/agent/files/');

export interface ArtifactSpec {
  version: string;
  /** ISO-8601. */
  buildDate: string;
  health?: AgentManifest['health'];
  /** When set, the version's entrypoint refuses the hand-off with this reason. */
  refuseHandoff?: string;
  /** File name; default `agent-<version>.tar.gz`. */
  name?: string;
}

export interface BuiltArtifact {
  path: string;
  sha256: string;
  version: string;
  buildDate: string;
  bytes: number;
}

const MTIME = new Date('2024-01-01T00:00:00Z');

async function pack(cwd: string, entries: string[], file: string, preservePaths = false): Promise<BuiltArtifact & { data: Buffer }> {
  await tar.c({ cwd, file, gzip: true, portable: true, mtime: MTIME, preservePaths }, entries);
  const data = await readFile(file);
  return { path: file, sha256: sha256(data), version: '', buildDate: '', bytes: data.length, data };
}

/** Builds one version's artifact into `outDir`. */
export async function buildArtifact(outDir: string, spec: ArtifactSpec): Promise<BuiltArtifact> {
  const stage = join(outDir, `.stage-${spec.name ?? spec.version}`);
  await rm(stage, { recursive: true, force: true });
  await cp(AGENT_FILES, stage, { recursive: true });
  const manifest: AgentManifest & { refuseHandoff?: string } = {
    version: spec.version,
    buildDate: spec.buildDate,
    entry: 'bin/agent.mjs',
    health: spec.health ?? 'healthy',
    ...(spec.refuseHandoff ? { refuseHandoff: spec.refuseHandoff } : {}),
  };
  await writeFile(join(stage, 'agent.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await chmod(join(stage, 'upgrade'), 0o755);
  await chmod(join(stage, 'bin', 'agent.mjs'), 0o755);
  await mkdir(outDir, { recursive: true });
  const { data: _data, ...built } = await pack(stage, ['agent.json', 'package.json', 'upgrade', 'bin'], join(outDir, spec.name ?? `agent-${spec.version}.tar.gz`));
  await rm(stage, { recursive: true, force: true });
  return { ...built, version: spec.version, buildDate: spec.buildDate };
}

/** A copy of `artifact` with one byte flipped in the middle; its `sha256` is the original's, as a download would expect. */
export async function buildCorruptArtifact(outDir: string, artifact: BuiltArtifact, name = `agent-${artifact.version}-corrupt.tar.gz`): Promise<BuiltArtifact> {
  const data = Buffer.from(await readFile(artifact.path));
  const i = data.length >> 1;
  data[i] = data[i]! ^ 0xff;
  const path = join(outDir, name);
  await writeFile(path, data);
  return { ...artifact, path };
}

/**
 * An artifact of `version` whose entries escape the target: `../escape.txt`, and a symlink `bin/passwd` to
 * `/etc/passwd`; its `sha256` is its own, so only the extraction can refuse it.
 */
export async function buildEscapingArtifact(outDir: string, spec: ArtifactSpec): Promise<BuiltArtifact> {
  const good = await buildArtifact(outDir, { ...spec, name: `.escaping-base-${spec.version}.tar.gz` });
  const stage = join(outDir, `.stage-escaping-${spec.version}`, 'root');
  await rm(join(stage, '..'), { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await tar.x({ file: good.path, cwd: stage });
  await writeFile(join(stage, '..', 'escape.txt'), 'written outside the version directory\n');
  await symlink('/etc/passwd', join(stage, 'bin', 'passwd'));
  const built = await pack(stage, ['agent.json', 'package.json', 'upgrade', 'bin', '../escape.txt'], join(outDir, spec.name ?? `agent-${spec.version}-escaping.tar.gz`), true);
  await rm(join(stage, '..'), { recursive: true, force: true });
  await rm(good.path, { force: true });
  return { path: built.path, sha256: built.sha256, bytes: built.bytes, version: spec.version, buildDate: spec.buildDate };
}

/** The example set: what the tests and the demo use. */
export interface ExampleArtifacts {
  v1: BuiltArtifact;
  v2: BuiltArtifact;
  unhealthy: BuiltArtifact;
  corrupt: BuiltArtifact;
  escaping: BuiltArtifact;
}

export const EXAMPLE_VERSIONS = {
  v1: { version: '1.0.0', buildDate: '2024-01-10T00:00:00Z' },
  v2: { version: '1.1.0', buildDate: '2024-03-01T00:00:00Z' },
} as const;

type ExampleName = keyof ExampleArtifacts;

/** The example set's files, built once per process (the build is deterministic): name, record and bytes. */
let built: Promise<{ key: ExampleName; artifact: BuiltArtifact; data: Buffer }[]> | undefined;

async function buildExamplesOnce(outDir: string): Promise<{ key: ExampleName; artifact: BuiltArtifact; data: Buffer }[]> {
  const v1 = await buildArtifact(outDir, EXAMPLE_VERSIONS.v1);
  const v2 = await buildArtifact(outDir, EXAMPLE_VERSIONS.v2);
  const unhealthy = await buildArtifact(outDir, { ...EXAMPLE_VERSIONS.v2, health: 'unhealthy', name: 'agent-1.1.0-unhealthy.tar.gz' });
  const corrupt = await buildCorruptArtifact(outDir, v2);
  const escaping = await buildEscapingArtifact(outDir, EXAMPLE_VERSIONS.v2);
  const all = { v1, v2, unhealthy, corrupt, escaping };
  return Promise.all(Object.entries(all).map(async ([key, artifact]) => ({ key: key as ExampleName, artifact, data: await readFile(artifact.path) })));
}

/**
 * Builds 1.0.0, 1.1.0, an unhealthy 1.1.0, a corrupt 1.1.0 and an escaping 1.1.0 into `outDir`, with `artifacts.json`.
 * The build is deterministic, so it runs once per process and later calls write the same bytes (a sandbox per
 * generated test path makes a set each: building them every time cost a fifth of the upgrade suite's time).
 */
export async function buildExampleArtifacts(outDir: string): Promise<ExampleArtifacts> {
  await mkdir(outDir, { recursive: true });
  const first = built === undefined;
  if (first) built = buildExamplesOnce(outDir);
  let files;
  try {
    files = await built!;
  } catch (error) {
    if (first) built = undefined;
    throw error;
  }
  const all = {} as ExampleArtifacts;
  for (const { key, artifact, data } of files) {
    const path = join(outDir, basename(artifact.path));
    if (!first) await writeFile(path, data);
    all[key] = { ...artifact, path };
  }
  await writeFile(join(outDir, 'artifacts.json'), `${JSON.stringify(all, null, 2)}\n`);
  return all;
}
