/**
 * `lifecycle init <name>`: a lifecycle scaffolded into a project — the machine, its services, its catalogue, the
 * generated test, npm scripts and a docs entry — that passes `validate`, `paths --min-coverage 100`, `run` and its
 * own test as written. Every target is checked before the first write: an existing file stops it with nothing
 * written.
 */
import { existsSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic-write.ts';
import { extractGraph } from '../model/extract.ts';
import { loadMachine } from '../model/load.ts';
import { resolveSamples } from '../model/samples.ts';
import { findServicesBeside } from '../services/load-user.ts';
import { buildSuite } from '../testgen/index.ts';
import { lifecycleNames } from './names.ts';
import { configUpdate, type FileUpdate, packageJsonUpdate } from './project-files.ts';
import { catalogueSource, machineSource, servicesSource, type TemplateRefs } from './templates.ts';

export const DEFAULT_MACHINES_DIR = 'src/lifecycles';
export const DEFAULT_TESTS_DIR = 'test/lifecycles';

export interface InitOptions {
  name: string;
  /** The project's folder (created when missing). */
  root: string;
  machinesDir?: string;
  testsDir?: string;
}

export interface InitResult {
  /** Absolute paths of the files written, the test last. */
  written: string[];
  updates: FileUpdate[];
  machineRef: string;
  testgen: string;
  /** The generated suite, or why it could not be generated (the lifecycle's own files are written either way). */
  suite: { tests: number; transitions: { covered: number; total: number } } | { error: string };
}

/** Plans, checks and writes the scaffold; throws a one-line `UserError` (nothing written) when a target exists. */
export async function initLifecycle(options: InitOptions): Promise<InitResult> {
  const names = lifecycleNames(options.name);
  const root = resolve(options.root);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new UserError(`--dir ${options.root} is not a folder`);
  const machinesDir = options.machinesDir ?? DEFAULT_MACHINES_DIR;
  const testsDir = options.testsDir ?? DEFAULT_TESTS_DIR;
  const at = (...parts: string[]) => join(root, ...parts);
  const machineFile = at(machinesDir, `${names.name}.ts`);
  const servicesFile = at(machinesDir, `${names.name}.services.ts`);
  const catalogueFile = at(machinesDir, `${names.name}.catalogue.json`);
  // buildSuite's name for the suite of `<file>#<export>`; checked now, written once the machine can be loaded.
  const testFile = at(testsDir, `${names.name}.${names.machineExport}.paths.test.ts`);
  const machineRef = toPosix(relative(root, machineFile));
  const testgen = `npx lifecycle testgen ${machineRef} -o ${toPosix(testsDir)}`;
  const refs: TemplateRefs = {
    machineImport: `./${names.name}.ts`,
    catalogueImport: `./${names.name}.catalogue.json`,
    schema: toPosix(relative(dirname(catalogueFile), at('node_modules/lifecycle-kit/schema/catalogue.schema.json'))),
    testgen,
    machineRef,
  };

  const taken = [machineFile, servicesFile, catalogueFile, testFile].find(exists);
  if (taken) throw new UserError(`${relative(process.cwd(), taken) || taken} already exists: lifecycle init writes over no file; choose another name or move it away (nothing was written)`);
  const updates = [
    packageJsonUpdate(root, { 'lifecycle:test': `vitest run ${toPosix(testsDir)}`, 'lifecycle:docs': 'lifecycle docs', 'lifecycle:docs:check': 'lifecycle docs --check' }),
    configUpdate(root, machineRef),
  ].filter((u): u is FileUpdate => u !== undefined);

  const files: [string, string][] = [
    [catalogueFile, catalogueSource(names, refs)],
    [machineFile, machineSource(names, refs)],
    [servicesFile, servicesSource(names, refs)],
  ];
  mkdirSync(dirname(machineFile), { recursive: true });
  for (const [path, source] of files) writeFileAtomic(path, source);
  for (const u of updates) if (u.source !== undefined) writeFileAtomic(u.path, u.source);

  const written = files.map(([p]) => p);
  const result = { written, updates, machineRef, testgen };
  let suite: Awaited<ReturnType<typeof generateSuite>>;
  try {
    suite = await generateSuite(`${machineFile}#${names.machineExport}`, at(testsDir));
  } catch (error) {
    const why = (error as Error).message.split('\n')[0].replace(/ Require stack:.*/, '');
    return { ...result, suite: { error: `the test is not written: ${why}: install the packages it imports (npm install -D lifecycle-kit xstate vitest), then run '${testgen}'` } };
  }
  mkdirSync(at(testsDir), { recursive: true });
  for (const f of suite.files) writeFileAtomic(f.path, f.source);
  return { ...result, written: [...written, ...suite.files.map((f) => f.path)], suite: { tests: suite.tests, transitions: suite.transitions } };
}

/**
 * The suite `lifecycle testgen` writes for the machine (same samples, the services beside it, default options), so
 * `testgen --check` agrees: its default-scenario paths run the real services in a sandbox.
 */
async function generateSuite(ref: string, outDir: string) {
  const loaded = await loadMachine(ref, undefined, { atModelTime: true });
  const found = await findServicesBeside(loaded);
  const graph = extractGraph(loaded.machine);
  const { catalogue } = await resolveSamples(loaded, graph, {});
  const services = found ? { ref: found.ref, sandbox: typeof found.services.sandboxInput === 'function' } : undefined;
  const { files, coverage } = buildSuite(loaded, graph, { outDir, catalogue, ...(services ? { services } : {}) });
  const tests = files.reduce((n, f) => n + (f.source.match(/^ {2}it\(/gm)?.length ?? 0), 0);
  return { files, tests, transitions: { covered: coverage.transitions.covered, total: coverage.transitions.total } };
}

function exists(path: string): boolean {
  try {
    lstatSync(path); // a dangling symbolic link is a file in the way too
    return true;
  } catch {
    return false;
  }
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}
