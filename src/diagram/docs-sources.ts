/** Loads the lifecycles `lifecycle docs` documents and names their pages. */
import { BUILTINS } from '../../machines/index.ts';
import { UserError } from '../errors.ts';
import { extractGraph } from '../model/extract.ts';
import { loadMachine } from '../model/load.ts';
import type { DocsTarget } from './docs-config.ts';
import type { DocEntry } from './docs.ts';

/** A page name is a file name: it can never climb out of the docs directory or clash with a folder separator. */
const PAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The built-ins, as docs targets. */
export const BUILTIN_TARGETS: DocsTarget[] = BUILTINS.map((b) => ({ machine: b.name }));

/**
 * One entry per target, in order. A page is named by `name`, else the built-in's name, else the machine's own id
 * (`createMachine({ id: 'deploy' })`), else its export name; two targets with one name are an error.
 */
export async function loadDocEntries(targets: DocsTarget[], cwd: string): Promise<(DocEntry & { ref: string })[]> {
  const entries: (DocEntry & { ref: string })[] = [];
  for (const target of targets) {
    const loaded = await loadMachine(target.machine, cwd);
    const builtin = loaded.origin === 'builtin' ? BUILTINS.find((b) => b.name === loaded.name) : undefined;
    const graph = extractGraph(loaded.machine);
    const id = loaded.machine.id === '(machine)' ? '' : slug(loaded.machine.id);
    const name = target.name ?? builtin?.name ?? (id || slug(loaded.name));
    if (!PAGE_NAME.test(name)) {
      throw new UserError(`cannot name the page of ${target.machine} '${name}': use letters, digits, '.', '_' and '-' (set "name" in its lifecycle.config.json entry)`);
    }
    const clash = entries.find((e) => e.name === name);
    if (clash) {
      if (clash.ref === target.machine) continue;
      throw new UserError(`${clash.ref} and ${target.machine} would both write ${name}.md: give one another "name" in lifecycle.config.json`);
    }
    const description = target.description ?? builtin?.description ?? graph.description ?? '';
    entries.push({ ref: target.machine, name, description, graph });
  }
  return entries;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+|-+$/g, '');
