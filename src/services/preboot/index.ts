/**
 * The real preboot services: a staged server on loopback (Kibana RFC 0019). A preboot HTTP server with a status
 * endpoint, 503 "server is not ready yet" elsewhere, plugin routes and held app-URL requests; preboot plugins that
 * hold setup or start (an interactive setup that writes the config); config load and reload; setup; the main
 * server on the same port, which redirects what preboot held to `/?next=<original>`; release of every socket.
 *
 * - `http.ts` tracked servers and a loopback client; `holds.ts` the hold registry; `watch.ts` the hold watcher;
 * - `plugins.ts` the plugin contract and the named plugins; `interactive-setup.ts` the interactive setup;
 * - `config.ts` the config file; `servers.ts` the servers, setup, release and restore after a crash;
 * - `invariants.ts` the per-state checks; `notes.ts` what `lifecycle run` prints about where the server is.
 *
 * @example
 * const input = await prebootServices.sandboxInput(dir); // data dir and config path under dir, interactive setup
 * const actor = createActor(prebootMachine.provide({ actors: prebootServices.actors }), { input }).start();
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import type { PrebootContext, PrebootInput } from '../../../machines/preboot.ts';
import type { BuiltinServices } from '../types.ts';
import { loadConfig } from './config.ts';
import { prebootInvariants } from './invariants.ts';
import { prebootNotes } from './notes.ts';
import { releaseAll, releaseResources, restoreServers, setupServices, startMainServer, startPrebootServer, stopPrebootServer } from './servers.ts';
import { watchHolds } from './watch.ts';
import { heldClientsRedirected, prebootFaults, prebootScenarios } from './test-hooks.ts';
import { createPlugins } from './plugins.ts';
import { checkInput } from '../check-input.ts';

export { elasticsearchOf, readConfig, writeConfig } from './config.ts';
export { httpRequest, isListening, nextRedirect } from './http.ts';
export { HoldRegistry, type HoldRecord } from './holds.ts';
export { INTERACTIVE_SETUP_PREFIX, MAX_CODE_ATTEMPTS, parseConnectionDetails, verificationCodeOf } from './interactive-setup.ts';
export { createPlugins, PREBOOT_PLUGINS, type PrebootCore, type PrebootPlugin } from './plugins.ts';
export { getRuntime, NOT_READY, releaseAll } from './servers.ts';

/** Plugin names and arguments are checked as the preboot server will (creating a plugin starts nothing). */
function pluginsProblem(plugins: string[]): string | null {
  try {
    createPlugins(plugins);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

const promise = <I, O>(fn: (input: I) => Promise<O>) => fromPromise<O, I>(({ input }) => fn(input));

export const prebootServices: BuiltinServices<PrebootInput, PrebootContext> = {
  lifecycle: 'preboot',
  actors: {
    loadConfig: promise(loadConfig),
    startPrebootServer: promise(startPrebootServer),
    watchHolds,
    reloadConfig: promise(loadConfig),
    setupServices: promise(setupServices),
    stopPrebootServer: promise(stopPrebootServer),
    startMainServer: promise(startMainServer),
    releaseResources: promise(releaseResources),
  },
  checkInput: (input, cwd) => checkInput<PrebootInput>('preboot', input, {
    dataDir: { kind: 'path', required: true },
    configPath: { kind: 'path', required: true },
    host: { kind: 'loopback-host' },
    port: { kind: 'port' },
    plugins: { kind: 'strings', check: pluginsProblem },
    retry: { kind: 'retry' },
  }, cwd),
  invariants: {
    ...prebootInvariants,
    // Browsers the generated suites held at preboot were answered by the main server (a no-op in other runs).
    running: async (probe) => [...(await prebootInvariants.running!(probe)), ...(await heldClientsRedirected(probe))],
  },
  /** The generated suites' set-ups: the sandbox made to give the path's samples (`test-hooks.ts`). */
  scenarios: prebootScenarios,
  /** The generated suites' failures: world faults (a config that is not an object, a port taken) where there are. */
  faults: prebootFaults,
  /** Closes every preboot and main server of this process (e.g. after Ctrl-C stopped a run waiting at preboot). */
  dispose: releaseAll,
  /** A run resumed in a new process: its preboot or main server listens again, with the id and port it had. */
  restore: ({ context }) => restoreServers(context),
  notes: prebootNotes,
  /** A server runs until told to stop: Ctrl-C or SIGTERM sends STOP (release everything, end in `stopped`). */
  shutdownEvent: { type: 'STOP' },
  /**
   * A data dir `<dir>/data` and a config path `<dir>/config/server.json` (not written: a first launch), on
   * 127.0.0.1 with a free port, with the interactive setup plugin: the run waits at preboot until connection
   * details are POSTed to `<preboot url>/internal/interactive_setup/configure`.
   */
  async sandboxInput(dir) {
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { recursive: true });
    return {
      dataDir,
      configPath: join(dir, 'config', 'server.json'),
      host: '127.0.0.1',
      port: 0,
      plugins: ['interactive-setup'],
      retry: { maxAttempts: 3, initialIntervalMs: 20, backoffRate: 2, maxIntervalMs: 200 },
    };
  },
};
