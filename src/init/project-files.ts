/**
 * The two project files `lifecycle init` adds to instead of writing: package.json (npm scripts, only those it does
 * not have) and lifecycle.config.json (the machine, for `lifecycle docs`). Both are read and checked before
 * anything is written, so a malformed one stops init with nothing changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_FILE, DEFAULT_DOCS_DIR, parseDocsConfig } from '../diagram/docs-config.ts';
import { UserError } from '../errors.ts';
import { fsUserError } from '../io/fs-errors.ts';

export interface FileUpdate {
  path: string;
  /** The new text; undefined when the file stays as it is. */
  source?: string;
  /** What changed, for the report. */
  summary: string;
}

/** package.json with the scripts it lacks added; undefined when there is no package.json or nothing to add. */
export function packageJsonUpdate(root: string, scripts: Record<string, string>): FileUpdate | undefined {
  const path = join(root, 'package.json');
  const pkg = readJsonObject(path, 'package.json');
  if (!pkg) return undefined;
  if (pkg.scripts !== undefined && (typeof pkg.scripts !== 'object' || pkg.scripts === null || Array.isArray(pkg.scripts))) {
    throw new UserError(`${path}: "scripts" is not an object: fix it, then run lifecycle init again`);
  }
  const own = (pkg.scripts ?? {}) as Record<string, unknown>;
  const added = Object.keys(scripts).filter((k) => !(k in own));
  const kept = Object.keys(scripts).filter((k) => k in own);
  if (!added.length) return { path, summary: `package.json already has the scripts ${kept.join(', ')}: left as they are` };
  pkg.scripts = { ...own, ...Object.fromEntries(added.map((k) => [k, scripts[k]])) };
  const text = readFileSync(path, 'utf8');
  return { path, source: `${JSON.stringify(pkg, null, indentOf(text))}\n`, summary: `added npm scripts ${added.join(', ')}${kept.length ? ` (kept your ${kept.join(', ')})` : ''}` };
}

/** lifecycle.config.json listing `machineRef` among its lifecycles (created when there is none). */
export function configUpdate(root: string, machineRef: string): FileUpdate | undefined {
  const path = join(root, CONFIG_FILE);
  const raw = readJsonObject(path, CONFIG_FILE);
  if (!raw) return { path, source: `${JSON.stringify({ lifecycles: [machineRef], docs: DEFAULT_DOCS_DIR }, null, 2)}\n`, summary: `wrote ${CONFIG_FILE} (for lifecycle docs)` };
  const config = parseDocsConfig(raw);
  if (config.lifecycles.some((l) => l.machine === machineRef)) return undefined;
  const updated = { ...raw, lifecycles: [...((raw.lifecycles as unknown[] | undefined) ?? []), machineRef] };
  return { path, source: `${JSON.stringify(updated, null, indentOf(readFileSync(path, 'utf8')))}\n`, summary: `added ${machineRef} to ${CONFIG_FILE}` };
}

function readJsonObject(path: string, name: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof SyntaxError) throw new UserError(`${path} is not valid JSON (${error.message}): fix it, then run lifecycle init again; nothing was written`);
    throw fsUserError(error, path, 'read');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${path} does not hold a JSON object: fix it, then run lifecycle init again; nothing was written`);
  return value as Record<string, unknown>;
}

/** The file's own indentation, so that the diff is only the added lines. */
function indentOf(text: string): string | number {
  const m = /^\{\r?\n([ \t]+)"/.exec(text);
  return m ? m[1] : 2;
}
