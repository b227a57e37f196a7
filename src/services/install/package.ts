/**
 * Reading a package: a directory or a `.tar.gz` holding `manifest.json` (`{ name, version, assets: { kind: [path] } }`)
 * and the asset files it names. The manifest is validated with errors that name the package, the field, what was
 * wrong and what would be valid. A `.tar.gz` is read in memory (packages are small; a size cap guards against a
 * bomb) and its entries must stay inside it.
 */
import { lstat, readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import * as tar from 'tar';
import type { InstallStep, PackageManifest } from '../../../machines/install.ts';
import { INSTALL_STEPS } from '../../../machines/install.ts';
import { isSafeRelativePath, serviceError } from './fs.ts';
import { ASSET_KINDS } from './kinds.ts';
import { preview } from '../check-input.ts';

/**
 * A fault a package asks the services to inject (for tests and demos): step `step` fails `times` times (counted in
 * the target, so across runs), after writing its first asset and leaving a temp file behind, as a crash would.
 */
export interface InstallFault {
  step: InstallStep;
  times: number;
  /** The error's kind (what a retry policy's `nonRetryable` matches); default `injected-fault`. */
  errorKind?: string;
  message?: string;
}

/** A manifest as the services read it: the machine's {@link PackageManifest} plus optional injected faults. */
export interface ServiceManifest extends PackageManifest {
  faults?: InstallFault[];
}

/** A package opened for reading. */
export interface InstallPackage {
  path: string;
  manifest: ServiceManifest;
  /** Reads an asset named in the manifest (a path relative to the package root). */
  read(asset: string): Promise<Buffer>;
}

const MAX_ARCHIVE_BYTES = 64 * 1024 * 1024;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export function isArchive(path: string): boolean {
  return path.endsWith('.tar.gz') || path.endsWith('.tgz');
}

/**
 * Opens a package directory or `.tar.gz`, validates its manifest and checks that every asset it names is there.
 * Rejects with kind `package-unreadable` or `invalid-manifest`.
 *
 * @example
 * const pkg = await readPackage('examples/packages/nginx/1.0.0');
 * pkg.manifest.version; // '1.0.0'
 * await pkg.read('ilm/logs-nginx.json');
 */
export async function readPackage(path: string): Promise<InstallPackage> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw serviceError('package-unreadable', `package ${path} does not exist: pass a package directory or a .tar.gz holding manifest.json`);
  }
  const files = info.isDirectory() ? null : await readArchive(path);
  const readRaw = async (rel: string): Promise<Buffer | undefined> => {
    if (files) return files.get(rel);
    await assertPlainEntry(path, rel);
    try {
      return await readFile(join(path, ...rel.split('/')));
    } catch {
      return undefined;
    }
  };
  const raw = await readRaw('manifest.json');
  if (raw === undefined) throw serviceError('invalid-manifest', `package ${path} has no manifest.json at its root`);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw serviceError('invalid-manifest', `${path}/manifest.json is not valid JSON: ${(error as Error).message}`);
  }
  const manifest = validateManifest(json, `${path}/manifest.json`);
  for (const [kind, assets] of Object.entries(manifest.assets)) {
    for (const asset of assets) {
      if ((await readRaw(asset)) === undefined)
        throw serviceError('invalid-manifest', `${path}/manifest.json: asset "${asset}" (kind ${kind}) is not in the package`);
    }
  }
  return {
    path,
    manifest,
    async read(asset) {
      const data = await readRaw(asset);
      if (data === undefined) throw serviceError('package-unreadable', `package ${path}: asset "${asset}" is missing`);
      return data;
    },
  };
}

/**
 * Refuses an entry of a package directory reached through a symlink (or that is not a regular file: a FIFO would
 * hang the read, a device leak it), as an archive's links are refused: a package may only hold its own files. A
 * missing entry passes (the caller reports it as missing).
 */
async function assertPlainEntry(root: string, rel: string): Promise<void> {
  const segments = rel.split('/').filter((s) => s !== '' && s !== '.');
  let at = root;
  for (const [i, segment] of segments.entries()) {
    at = join(at, segment);
    let entry;
    try {
      entry = await lstat(at);
    } catch {
      return;
    }
    const shown = segments.slice(0, i + 1).join('/');
    if (entry.isSymbolicLink())
      throw serviceError('unsafe-package', `package ${root}: "${shown}" is a symbolic link; a package directory may hold only regular files and directories (as in a .tar.gz): copy the file it points to into the package`);
    const last = i === segments.length - 1;
    if (last ? !entry.isFile() : !entry.isDirectory())
      throw serviceError('unsafe-package', `package ${root}: "${shown}" is not a regular ${last ? 'file' : 'directory'}; a package may hold only regular files and directories`);
  }
}

/**
 * Checks a parsed `manifest.json`. Pure.
 *
 * @example
 * validateManifest({ name: 'nginx', version: '1.0.0', assets: { ilm_policies: ['ilm/logs.json'] } }, 'manifest.json');
 */
export function validateManifest(json: unknown, where: string): ServiceManifest {
  const fail = (message: string): never => {
    throw serviceError('invalid-manifest', `${where}: ${message}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('expected a JSON object with name, version and assets');
  const m = json as Record<string, unknown>;
  if (typeof m.name !== 'string' || !NAME.test(m.name))
    fail(`"name" must be a lowercase package name (letters, digits, . _ -), got ${preview(m.name)}`);
  if (typeof m.version !== 'string' || !VERSION.test(m.version))
    fail(`"version" must be a semantic version such as "1.2.3", got ${preview(m.version)}`);
  if (typeof m.assets !== 'object' || m.assets === null || Array.isArray(m.assets))
    fail(`"assets" must be an object of asset paths by kind (${ASSET_KINDS.join(', ')})`);
  const assets: Record<string, string[]> = {};
  for (const [kind, list] of Object.entries(m.assets as Record<string, unknown>)) {
    if (!ASSET_KINDS.includes(kind)) fail(`unknown asset kind "${kind}": valid kinds are ${ASSET_KINDS.join(', ')}`);
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string'))
      fail(`assets.${kind} must be an array of paths relative to the package root`);
    const seen = new Set<string>();
    for (const asset of list as string[]) {
      if (!isSafeRelativePath(asset)) fail(`assets.${kind}: "${asset}" must be a relative path inside the package (no "..", not absolute)`);
      const base = posix.basename(asset);
      if (seen.has(base)) fail(`assets.${kind}: two assets are named "${base}"; file names must be unique within a kind`);
      seen.add(base);
    }
    assets[kind] = [...(list as string[])];
  }
  const manifest: ServiceManifest = { name: m.name as string, version: m.version as string, assets };
  if (m.faults !== undefined) manifest.faults = validateFaults(m.faults, fail);
  return manifest;
}

function validateFaults(json: unknown, fail: (message: string) => never): InstallFault[] {
  if (!Array.isArray(json)) return fail('"faults" must be an array of { step, times, errorKind? }');
  return json.map((f, i) => {
    const step = (f as InstallFault)?.step;
    const times = (f as InstallFault)?.times;
    if (!INSTALL_STEPS.includes(step)) fail(`faults[${i}].step must be one of ${INSTALL_STEPS.join(', ')}, got ${JSON.stringify(step)}`);
    if (!Number.isInteger(times) || times < 0) fail(`faults[${i}].times must be a non-negative integer`);
    const fault: InstallFault = { step, times };
    if (typeof f.errorKind === 'string') fault.errorKind = f.errorKind;
    if (typeof f.message === 'string') fault.message = f.message;
    return fault;
  });
}

/**
 * Reads every regular file of a `.tar.gz` into memory, keyed by its path relative to the package root. The root is
 * the archive's root, or its single top-level directory when `manifest.json` is there.
 */
async function readArchive(path: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let total = 0;
  let problem: Error | undefined;
  try {
    await tar.t({
      file: path,
      strict: true,
      onReadEntry: (entry) => {
        const p = entry.path.replace(/^\.\//, '');
        if (!isSafeRelativePath(p)) {
          problem ??= serviceError('package-unreadable', `package ${path}: entry "${entry.path}" escapes the package`);
          return;
        }
        if (entry.type !== 'File') return;
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => {
          total += c.length;
          if (total > MAX_ARCHIVE_BYTES)
            problem ??= serviceError('package-unreadable', `package ${path} unpacks to more than ${MAX_ARCHIVE_BYTES} bytes`);
          else chunks.push(c);
        });
        entry.on('end', () => files.set(p, Buffer.concat(chunks)));
      },
    });
  } catch (error) {
    throw serviceError('package-unreadable', `package ${path} is not a readable .tar.gz: ${(error as Error).message}`);
  }
  if (problem) throw problem;
  if (files.size === 0) throw serviceError('package-unreadable', `package ${path} is not a readable .tar.gz: it holds no files`);
  if (files.has('manifest.json')) return files;
  const tops = new Set([...files.keys()].map((k) => k.split('/')[0]));
  const [top] = tops;
  if (tops.size === 1 && top !== undefined && files.has(`${top}/manifest.json`)) {
    const inner = new Map<string, Buffer>();
    for (const [k, v] of files) inner.set(k.slice(top.length + 1), v);
    return inner;
  }
  return files;
}
