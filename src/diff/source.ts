import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';
import { type LoadedMachine, loadMachine } from '../model/load.ts';

/** A side of a diff: a machine ref, or `<rev>:<path>[#export]` naming a file as git has it at a revision. */
export interface GitRef {
  rev: string;
  /** The path as given (relative to the repository's top, as git reads it, unless it starts with `./` or `../`). */
  path: string;
  exportName?: string;
}

/**
 * Reads `<rev>:<path>[#export]` (`HEAD~1:machines/install.ts#installMachine`); undefined when `ref` is not one: it
 * has no `:`, or it names a file that exists as it is.
 */
export function parseGitRef(ref: string, cwd: string = process.cwd()): GitRef | undefined {
  const hash = ref.lastIndexOf('#');
  const file = hash >= 0 ? ref.slice(0, hash) : ref;
  const colon = file.indexOf(':');
  if (colon < 0 || existsSync(resolve(cwd, file))) return undefined;
  const path = file.slice(colon + 1);
  if (path === '') throw new UserError(`'${ref}' names no file after ':': use <revision>:path/to/file.ts#exportName`);
  return { rev: file.slice(0, colon), path, ...(hash >= 0 ? { exportName: ref.slice(hash + 1) } : {}) };
}

/**
 * Loads one side of a diff: a machine ref through `loadMachine`, or a git revision of a file. The revision's text
 * is written beside the file as it is now (same folder, so its relative imports resolve, to the working tree's
 * versions of them) under a hidden random name, loaded, and removed whatever happens: on an error, and on
 * SIGINT/SIGTERM or an exit while it loads.
 *
 * @example
 * const { machine } = await loadSide('HEAD~1:machines/install.ts#installMachine');
 */
export async function loadSide(ref: string, cwd: string = process.cwd()): Promise<LoadedMachine> {
  const git = parseGitRef(ref, cwd);
  if (!git) return loadMachine(ref, cwd);
  const text = gitShow(git, ref, cwd);
  const original = originalPath(git, cwd);
  const folder = dirname(original);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UserError(`cannot load ${ref}: the folder ${folder} it imports from does not exist in the working tree`);
  }
  const temp = join(folder, `.lifecycle-diff-${randomBytes(6).toString('hex')}${extname(original) || '.ts'}`);
  const remove = () => rmSync(temp, { force: true });
  const onSignal = (signal: NodeJS.Signals) => {
    remove();
    release();
    process.kill(process.pid, signal); // as if no handler had been there
  };
  const release = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', remove);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', remove);
  try {
    writeFileSync(temp, text, { flag: 'wx' });
    const loaded = await loadMachine(`${temp}${git.exportName !== undefined ? `#${git.exportName}` : ''}`, cwd);
    return { ...loaded, origin: ref };
  } catch (error) {
    // The loader's messages name the temp file; the user named the revision.
    if (error instanceof UserError) throw new UserError(error.message.split(temp).join(ref.split('#')[0]!), error.exitCode);
    throw error;
  } finally {
    remove();
    release();
  }
}

/** The file as it is at the revision, or a one-line error naming it. */
function gitShow(git: GitRef, ref: string, cwd: string): string {
  try {
    return execFileSync('git', ['show', `${git.rev}:${git.path}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UserError(`cannot read ${ref}: git is not installed (or not on PATH)`);
    const why = String(e.stderr ?? e.message).trim().split('\n')[0]!.replace(/^fatal: /, '');
    throw new UserError(`cannot read ${ref} from git: ${why}`);
  }
}

/** Where the file lies in the working tree: git reads `rev:path` from the repository's top, `rev:./path` from cwd. */
function originalPath(git: GitRef, cwd: string): string {
  if (isAbsolute(git.path)) return git.path;
  if (git.path.startsWith('./') || git.path.startsWith('../')) return resolve(cwd, git.path);
  const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return join(top, git.path);
}
