/**
 * Which lifecycles `lifecycle docs` documents, and where: the machines named on the command line, else those
 * listed in `lifecycle.config.json` in the current directory. The built-ins only when asked (`--builtins`), so a
 * user's project is never checked against pages of lifecycles it does not have.
 *
 * ```json
 * { "lifecycles": ["src/deploy.ts#deployMachine", { "machine": "src/jobs.ts", "name": "jobs" }], "docs": "docs/lifecycles" }
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { fsUserError } from '../io/fs-errors.ts';

export const CONFIG_FILE = 'lifecycle.config.json';
export const DEFAULT_DOCS_DIR = 'docs/lifecycles';

/** One lifecycle to document: a machine reference, with the page's name and summary if the default will not do. */
export interface DocsTarget {
  machine: string;
  name?: string;
  description?: string;
}

export interface DocsConfig {
  lifecycles: DocsTarget[];
  /** The docs directory, relative to the config's folder. */
  docs?: string;
}

const ENTRY_KEYS = ['machine', 'name', 'description'];
const SHAPE = `"lifecycles" must be an array of "path/to/file.ts#exportName" strings or { "machine", "name"?, "description"? } objects`;

/** Reads `lifecycle.config.json` in `cwd`, or undefined when there is none; a malformed one is a one-line error. */
export function readDocsConfig(cwd: string): DocsConfig | undefined {
  const path = join(cwd, CONFIG_FILE);
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserError(`${CONFIG_FILE} is not valid JSON (${error.message})`);
    throw fsUserError(error, path, 'read');
  }
  return parseDocsConfig(raw);
}

/** Checks a config's shape; other top-level keys are left alone (the file may configure other commands). */
export function parseDocsConfig(raw: unknown): DocsConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${CONFIG_FILE} must hold a JSON object such as { "lifecycles": ["src/deploy.ts#deployMachine"] }`);
  const { lifecycles = [], docs } = raw as { lifecycles?: unknown; docs?: unknown };
  if (!Array.isArray(lifecycles)) throw new UserError(`${CONFIG_FILE}: ${SHAPE}`);
  const targets = lifecycles.map((entry, i): DocsTarget => {
    if (typeof entry === 'string' && entry.trim()) return { machine: entry };
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) throw new UserError(`${CONFIG_FILE}: lifecycles[${i}]: ${SHAPE}`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).find((k) => !ENTRY_KEYS.includes(k));
    if (unknown) throw new UserError(`${CONFIG_FILE}: lifecycles[${i}].${unknown}: not a key of a lifecycle entry (allowed: ${ENTRY_KEYS.join(', ')})`);
    for (const k of ENTRY_KEYS) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || !(e[k] as string).trim())) throw new UserError(`${CONFIG_FILE}: lifecycles[${i}].${k} must be a non-empty string`);
    }
    if (e.machine === undefined) throw new UserError(`${CONFIG_FILE}: lifecycles[${i}] names no "machine" (path/to/file.ts#exportName)`);
    return { machine: e.machine as string, ...(e.name ? { name: e.name as string } : {}), ...(e.description ? { description: e.description as string } : {}) };
  });
  if (docs !== undefined && (typeof docs !== 'string' || !docs.trim())) throw new UserError(`${CONFIG_FILE}: "docs" must be the docs directory, e.g. "${DEFAULT_DOCS_DIR}"`);
  return { lifecycles: targets, ...(docs ? { docs } : {}) };
}
