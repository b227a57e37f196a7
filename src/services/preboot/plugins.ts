/**
 * Preboot plugins (the RFC's `PrebootPlugin`: `setup(core)` and an optional `stop()`), named in the run's input as
 * strings `name[:arg...]` so that a run stays plain JSON: `interactive-setup`, `hold-until-file:start:ready.flag`,
 * `reject-hold:setup:50:license expired`, `resolve-hold:setup:20:reload`.
 *
 * A plugin gets the preboot core contract: the config, routes on the preboot server, and the Preboot service's
 * `holdSetupUntilResolved` / `holdStartUntilResolved`.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { HoldKind, PrebootConfig } from '../../../machines/preboot.ts';
import { serviceError } from '../install/fs.ts';
import { interactiveSetupPlugin } from './interactive-setup.ts';

/** A request to a plugin route: the parsed URL, the headers, and the JSON body of a POST. */
export interface RouteRequest {
  url: URL;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}
/** A plugin route's answer: an object is sent as JSON, a string as text (HTML when it starts with `<!doctype html>`). */
export interface RouteResponse {
  status: number;
  body: unknown;
}
export type RouteHandler = (request: RouteRequest) => RouteResponse | Promise<RouteResponse>;

export interface Router {
  get(path: string, handler: RouteHandler): void;
  post(path: string, handler: RouteHandler): void;
}

/** What a preboot plugin receives in `setup` (the RFC's `CorePrebootSetup`, reduced to what is used here). */
export interface PrebootCore {
  dataDir: string;
  /** The config file the interactive setup writes (the RFC exposes the known config paths to plugins). */
  configPath: string;
  config: PrebootConfig;
  http: {
    /** The preboot server's base URL. */
    baseUrl: string;
    /** Routes under `prefix` on the preboot server (e.g. `/internal/interactive_setup`). */
    registerRoutes(prefix: string, register: (router: Router) => void): void;
  };
  preboot: {
    isSetupOnHold(): boolean;
    holdSetupUntilResolved(reason: string, promise: Promise<{ shouldReloadConfig: boolean } | void>): void;
    isStartOnHold(): boolean;
    holdStartUntilResolved(reason: string, promise: Promise<void>): void;
  };
}

export interface PrebootPlugin {
  name: string;
  setup(core: PrebootCore): void | Promise<void>;
  /** Called when the preboot server stops (before the main server starts, or at shutdown). */
  stop?(): void | Promise<void>;
}

export interface PluginDefinition {
  usage: string;
  description: string;
  create(args: string[]): PrebootPlugin;
}

const kindArg = (name: string, value: string | undefined): HoldKind => {
  if (value === 'setup' || value === 'start') return value;
  throw serviceError('invalid-plugin', `preboot plugin ${name}: the first argument must be "setup" or "start", found ${JSON.stringify(value ?? '')}`);
};

const delayArg = (name: string, value: string | undefined): number => {
  const ms = Number(value ?? '0');
  if (!Number.isInteger(ms) || ms < 0) throw serviceError('invalid-plugin', `preboot plugin ${name}: the delay must be a whole number of ms, found ${JSON.stringify(value)}`);
  return ms;
};

/**
 * What a file a `hold-until-file` plugin waits for decides, once it appears: a JSON object `{ "reject": "<message>" }`
 * rejects the hold (the server shuts down), `{ "shouldReloadConfig": true }` resolves it asking for a config reload
 * (a setup hold), anything else (an empty file) resolves it.
 */
export type FileDecision = { reject: string } | { shouldReloadConfig: boolean };

/** Reads the decision a file holds (see {@link FileDecision}); null while the file is not there. */
export async function readFileDecision(path: string): Promise<FileDecision | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? null : JSON.parse(text);
  } catch {
    parsed = null; // not JSON: the file's presence is what counts
  }
  const o = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  if (typeof o.reject === 'string') return { reject: o.reject || 'rejected' };
  return { shouldReloadConfig: o.shouldReloadConfig === true };
}

/** The reason a `hold-until-file` hold gives: the file (relative to the data dir) it waits for. */
export const fileHoldReason = (rel: string) => `waiting for ${rel} to appear`;

/** The file (relative to the data dir) a `hold-until-file` hold waits for, from its reason; null for another hold. */
export function fileOfHold(reason: string): string | null {
  return /^waiting for (.+) to appear$/.exec(reason)?.[1] ?? null;
}

/**
 * Holds `kind` until a file appears (a path relative to the data dir, which it may not leave); what the file holds
 * decides how the hold settles ({@link FileDecision}). A file already there that simply lets the server go on
 * leaves nothing to wait for: the plugin then holds nothing (as a configured server skips the interactive setup).
 */
function holdUntilFile(args: string[]): PrebootPlugin {
  const kind = kindArg('hold-until-file', args[0]);
  const file = args.slice(1).join(':');
  if (!file) throw serviceError('invalid-plugin', 'preboot plugin hold-until-file needs a file: hold-until-file:<setup|start>:<path under the data dir>');
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  return {
    name: 'hold-until-file',
    async setup(core) {
      const path = resolve(core.dataDir, file);
      const rel = relative(core.dataDir, path);
      if (rel.startsWith('..') || isAbsolute(rel)) throw serviceError('invalid-plugin', `preboot plugin hold-until-file: ${file} is outside the data dir ${core.dataDir}`);
      const already = await readFileDecision(path).catch(() => null);
      if (already && !('reject' in already) && !already.shouldReloadConfig) return;
      const decided = new Promise<{ shouldReloadConfig: boolean }>((done, fail) => {
        const settle = (decision: FileDecision) => ('reject' in decision ? fail(new Error(decision.reject)) : done({ shouldReloadConfig: decision.shouldReloadConfig }));
        if (already) return settle(already);
        const poll = () => {
          if (stopped) return;
          readFileDecision(path).then(
            (decision) => (decision ? settle(decision) : (timer = setTimeout(poll, 25))),
            () => (timer = setTimeout(poll, 25)),
          );
        };
        poll();
      });
      if (kind === 'setup') core.preboot.holdSetupUntilResolved(fileHoldReason(rel), decided);
      else core.preboot.holdStartUntilResolved(fileHoldReason(rel), decided.then(() => undefined));
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Holds `kind`, then rejects after a delay with a message: a plugin that finds it cannot let the server go on. */
function rejectHold(args: string[]): PrebootPlugin {
  const kind = kindArg('reject-hold', args[0]);
  const delay = delayArg('reject-hold', args[1]);
  const message = args.slice(2).join(':') || 'rejected';
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'reject-hold',
    setup(core) {
      const promise = new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), delay);
      });
      if (kind === 'setup') core.preboot.holdSetupUntilResolved('checking whether the server may start', promise);
      else core.preboot.holdStartUntilResolved('checking whether the server may start', promise);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/** Holds `kind`, then resolves after a delay (a setup hold asks for a config reload with a `reload` argument). */
function resolveHold(args: string[]): PrebootPlugin {
  const kind = kindArg('resolve-hold', args[0]);
  const delay = delayArg('resolve-hold', args[1]);
  const reload = args[2] === 'reload';
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'resolve-hold',
    setup(core) {
      const promise = new Promise<{ shouldReloadConfig: boolean }>((done) => {
        timer = setTimeout(() => done({ shouldReloadConfig: reload }), delay);
      });
      if (kind === 'setup') core.preboot.holdSetupUntilResolved(`waiting ${delay} ms`, promise);
      else core.preboot.holdStartUntilResolved(`waiting ${delay} ms`, promise.then(() => undefined));
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/** The preboot plugins a run can name. */
export const PREBOOT_PLUGINS: Record<string, PluginDefinition> = {
  'interactive-setup': {
    usage: 'interactive-setup',
    description: 'holds setup until Elasticsearch connection details are POSTed and verified, then writes them to the config',
    create: () => interactiveSetupPlugin(),
  },
  'hold-until-file': {
    usage: 'hold-until-file:<setup|start>:<path under the data dir>',
    description: 'holds setup or start until the file appears; a file holding {"reject":"<message>"} rejects the hold, {"shouldReloadConfig":true} asks for a config reload',
    create: holdUntilFile,
  },
  'reject-hold': {
    usage: 'reject-hold:<setup|start>:<delay ms>:<message>',
    description: 'holds setup or start, then rejects (the server shuts down)',
    create: rejectHold,
  },
  'resolve-hold': {
    usage: 'resolve-hold:<setup|start>:<delay ms>[:reload]',
    description: 'holds setup or start, then resolves (asking for a config reload with :reload)',
    create: resolveHold,
  },
};

/**
 * Creates the plugins a run names, in order. Unknown names and bad arguments fail before anything is started.
 *
 * @example
 * createPlugins(['interactive-setup', 'hold-until-file:start:ready.flag']);
 */
export function createPlugins(specs: readonly string[]): PrebootPlugin[] {
  return specs.map((spec) => {
    const [name = '', ...args] = spec.split(':');
    const definition = PREBOOT_PLUGINS[name];
    if (!definition) {
      throw serviceError(
        'unknown-plugin',
        `unknown preboot plugin ${JSON.stringify(name)}; known plugins: ${Object.values(PREBOOT_PLUGINS).map((d) => d.usage).join(', ')}`,
      );
    }
    return definition.create(args);
  });
}
