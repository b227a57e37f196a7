/**
 * The real services of deploy.ts, on the file system. `lifecycle run` finds them beside the machine (and records
 * where, so `resume` does too); the generated tests run their sandboxed paths against them.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fromPromise } from 'xstate';
import { defineServices, UserError } from 'lifecycle-kit';
import { type BuildOutput, type DeployInput, deployMachine, type PublishOutput, type VerifyOutput } from './deploy.ts';
import { currentVersion, differences, hashTree, readManifest, replaceTree, switchCurrent, writeManifest } from './release-files.ts';

const buildDir = (input: DeployInput) => join(input.work, 'build', input.version);
const lockFile = (input: DeployInput) => join(input.releases, '.publish-lock');

/** An error with a kind the retry policy reads (`locked` is retried, `ENOENT` is not). */
const failure = (message: string, kind: string) => Object.assign(new Error(message), { kind });

async function build(input: DeployInput): Promise<BuildOutput> {
  if (!existsSync(input.source)) throw failure(`the app's files are not at ${input.source}`, 'ENOENT');
  const dir = buildDir(input);
  replaceTree(input.source, dir, (tmp) => writeManifest(tmp, hashTree(tmp)));
  return { dir, files: Object.keys(readManifest(dir)).length };
}

async function publish(input: DeployInput): Promise<PublishOutput> {
  if (existsSync(lockFile(input))) throw failure(`${input.releases} is locked by another deploy (${readFileSync(lockFile(input), 'utf8').trim() || 'no owner named'})`, 'locked');
  if (!existsSync(buildDir(input))) throw failure(`there is no build at ${buildDir(input)}`, 'ENOENT');
  const release = join(input.releases, input.version);
  replaceTree(buildDir(input), release);
  switchCurrent(input.releases, input.version);
  return { release };
}

async function verify(input: DeployInput): Promise<VerifyOutput> {
  const serving = currentVersion(input.releases);
  if (serving !== input.version) throw failure(`${input.releases}/current points at ${serving ?? 'nothing'}, not ${input.version}`, 'mismatch');
  const manifest = readManifest(buildDir(input));
  const problems = differences(manifest, join(input.releases, 'current'));
  if (problems.length) throw failure(`${input.releases}/current: ${problems.join('; ')}`, 'mismatch');
  return { checked: Object.keys(manifest).length };
}

export const services = defineServices(deployMachine, {
  actors: {
    build: fromPromise<BuildOutput, DeployInput>(({ input }) => build(input)),
    publish: fromPromise<PublishOutput, DeployInput>(({ input }) => publish(input)),
    verify: fromPromise<VerifyOutput, DeployInput>(({ input }) => verify(input)),
  },
  // What must hold on disk in a state: checked after every transition with --verify, and by the sandboxed tests.
  invariants: {
    awaitingApproval: ({ input }) => {
      if (!existsSync(join(buildDir(input), 'manifest.json'))) return [`the build ${buildDir(input)} has no manifest`];
      return differences(readManifest(buildDir(input)), buildDir(input));
    },
    verifying: ({ input }) => (currentVersion(input.releases) === input.version ? [] : [`${input.releases}/current should point at ${input.version}`]),
    released: ({ input }) => differences(readManifest(buildDir(input)), join(input.releases, 'current')),
    rejected: ({ input }) => (currentVersion(input.releases) === input.version ? [`${input.version} was rejected but is served`] : []),
  },
  // The failures the generated tests inject, by breaking the sandbox the way the world would: the real service then
  // meets them and fails for real, and the test goes on against the real system (the retry, the failure state).
  faults: {
    // The app's files gone: build finds nothing to build (ENOENT). They come back, for a retry.
    build: ({ input }) => {
      const { source } = input as DeployInput;
      const aside = `${source}.aside`;
      renameSync(source, aside);
      return () => renameSync(aside, source);
    },
    // Another deploy holds the lock: publish refuses (locked), and the lock is released once it did.
    publish: ({ input }) => {
      mkdirSync((input as DeployInput).releases, { recursive: true });
      writeFileSync(lockFile(input as DeployInput), 'another deploy (a test)\n');
      return () => rmSync(lockFile(input as DeployInput), { force: true });
    },
    // A served file that differs from the build: verify's comparison must catch it (mismatch).
    verify: ({ input }) => {
      const served = join((input as DeployInput).releases, 'current', 'index.html');
      if (!existsSync(served)) return false; // nothing served yet: this failure cannot be made here
      const before = readFileSync(served);
      writeFileSync(served, 'tampered\n');
      return () => writeFileSync(served, before);
    },
  },
  // `lifecycle run` without --input: a two-file site in a temp folder.
  sandboxInput: async (dir) => {
    mkdirSync(join(dir, 'app/assets'), { recursive: true });
    writeFileSync(join(dir, 'app/index.html'), '<!doctype html><title>shop</title><script src="assets/app.js"></script>\n');
    writeFileSync(join(dir, 'app/assets/app.js'), 'console.log("shop 1.0.0");\n');
    return { source: join(dir, 'app'), work: join(dir, 'work'), releases: join(dir, 'releases'), version: '1.0.0' };
  },
  // The input is saved with the run and a resume may start elsewhere: its folders are made absolute.
  checkInput: (input, cwd) => {
    const given = input as Partial<Record<keyof DeployInput, unknown>>;
    for (const key of ['source', 'work', 'releases', 'version'] as const) {
      if (typeof given[key] !== 'string' || !given[key]) throw new UserError(`input.${key} must be a non-empty string (a folder, or the version for version)`);
    }
    const abs = (p: unknown) => (isAbsolute(p as string) ? (p as string) : resolve(cwd, p as string));
    return { source: abs(given.source), work: abs(given.work), releases: abs(given.releases), version: given.version as string };
  },
  notes: ({ context, value }) => (value === 'released' ? [`serving ${context.releases}/current → ${context.version} (approved by ${context.approvedBy})`] : []),
});
