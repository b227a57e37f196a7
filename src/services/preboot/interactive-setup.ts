/**
 * The interactive setup preboot plugin (the RFC's userSetup): on a first launch (no Elasticsearch connection in the
 * config) it holds setup and serves a setup page at `/` and two routes:
 *
 * - `GET  /internal/interactive_setup/status` → `{ connectionStatus, isSetupOnHold }`
 * - `POST /internal/interactive_setup/configure` with `{ code, host, username?, password? }`: `code` is the one-time
 *   verification code printed where the URL is printed (as Kibana's interactive setup prints it on the console); a
 *   wrong one answers 403, and after {@link MAX_CODE_ATTEMPTS} wrong ones the setup is locked (429) until the server
 *   starts again with a new code. The server only takes JSON from its own origin at its own `Host` (see
 *   `servers.ts`). The details are verified
 *   (a well-formed http(s) URL on loopback that answers HTTP), written to the config file atomically, and the hold
 *   resolves with `shouldReloadConfig: true`. A refused request answers 400 and keeps the hold pending.
 *
 * A config file that already holds a connection when the plugin starts (written before a crash, or by hand) resolves
 * the hold at once with `shouldReloadConfig: true`.
 *
 * Verification only reaches loopback hosts, so a run stays sandboxed: anything else is refused, not contacted.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { PrebootConfig } from '../../../machines/preboot.ts';
import { elasticsearchOf, readConfig, writeConfig } from './config.ts';
import { httpRequest } from './http.ts';
import type { PrebootPlugin, RouteResponse } from './plugins.ts';

export const INTERACTIVE_SETUP_PREFIX = '/internal/interactive_setup';
export const SETUP_HOLD_REASON = 'waiting for Elasticsearch connection details (interactive setup)';

/** The connection details a user POSTs. */
export interface ConnectionDetails {
  host: string;
  username?: string;
  password?: string;
}

const LOOPBACK = /^(127(?:\.\d{1,3}){3}|localhost|\[::1\])$/i;
const FIELDS = ['code', 'host', 'username', 'password'];

/** Wrong verification codes accepted before the setup locks (1 in 10^6 each: a guess has a 5 in a million chance). */
export const MAX_CODE_ATTEMPTS = 5;

interface Verification {
  code: string;
  failures: number;
}

/** The live interactive setups of this process, by their server's base URL: what `notes` prints. Never on disk. */
const verifications = new Map<string, Verification>();

/**
 * The one-time verification code of the interactive setup served at `baseUrl` in this process, or null (none runs
 * there, or it is configured). For the notes a run prints, and tests.
 */
export function verificationCodeOf(baseUrl: string): string | null {
  return verifications.get(baseUrl)?.code ?? null;
}

/** Checks a POSTed code in constant time; counts a wrong one. */
function checkCode(verification: Verification, given: unknown): RouteResponse | null {
  if (verification.failures >= MAX_CODE_ATTEMPTS)
    return { status: 429, body: { error: `${MAX_CODE_ATTEMPTS} wrong verification codes: the setup is locked: stop this server (Ctrl-C) and start it again for a new code` } };
  const ok = typeof given === 'string' && given.length === verification.code.length && timingSafeEqual(Buffer.from(given), Buffer.from(verification.code));
  if (ok) return null;
  verification.failures += 1;
  const left = MAX_CODE_ATTEMPTS - verification.failures;
  const what = given === undefined ? 'code is required: the 6-digit verification code printed with the server URL' : 'wrong verification code';
  return { status: 403, body: { error: `${what} (${left} attempt${left === 1 ? '' : 's'} left)` } };
}

/** Checks the shape of a POSTed body; returns the details or a sentence saying what is wrong. */
export function parseConnectionDetails(body: unknown): ConnectionDetails | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object { host, username?, password? }';
  const b = body as Record<string, unknown>;
  if (b.code !== undefined && typeof b.code !== 'string') return 'code must be a string: the 6-digit verification code';
  const unknown = Object.keys(b).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) return `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid fields: ${FIELDS.join(', ')}`;
  if (typeof b.host !== 'string' || b.host.trim() === '') return 'host is required: a URL such as http://127.0.0.1:9200';
  for (const k of ['username', 'password'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'string') return `${k} must be a string`;
  }
  let url: URL;
  try {
    url = new URL(b.host.trim());
  } catch {
    return `host ${JSON.stringify(b.host)} is not a URL (expected e.g. http://127.0.0.1:9200)`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `host ${b.host} must use http or https, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'put credentials in username and password, not in the host URL';
  if (!LOOPBACK.test(url.hostname)) return `host ${url.hostname} is not on loopback: only 127.0.0.1, localhost and [::1] can be verified here`;
  return {
    host: url.href.replace(/\/$/, ''),
    ...(b.username !== undefined ? { username: b.username as string } : {}),
    ...(b.password !== undefined ? { password: b.password as string } : {}),
  };
}

/** Verifies that the host answers HTTP (any status: an Elasticsearch without credentials answers 401). */
export async function verifyConnection(details: ConnectionDetails, timeoutMs = 2000): Promise<string | null> {
  const auth = details.username !== undefined ? { authorization: `Basic ${Buffer.from(`${details.username}:${details.password ?? ''}`).toString('base64')}` } : undefined;
  try {
    await httpRequest('GET', `${details.host}/`, { timeoutMs, headers: auth });
    return null;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return `cannot reach ${details.host}: ${e.code ?? e.message}`;
  }
}

/** The config with the connection written in (other settings kept). */
export function withConnection(config: PrebootConfig, details: ConnectionDetails): PrebootConfig {
  const previous = (config.elasticsearch && typeof config.elasticsearch === 'object' ? config.elasticsearch : {}) as Record<string, unknown>;
  return {
    ...config,
    elasticsearch: {
      ...previous,
      hosts: [details.host],
      ...(details.username !== undefined ? { username: details.username } : {}),
      ...(details.password !== undefined ? { password: details.password } : {}),
    },
    interactiveSetup: { configuredAt: new Date().toISOString() },
  };
}

const page = (baseUrl: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Configure the server</title></head>
<body><h1>Configure the server</h1>
<p>The server is not configured yet. POST the Elasticsearch connection details as JSON
<code>{ "code": "&lt;the 6-digit verification code printed with the server URL&gt;", "host": "http://127.0.0.1:9200", "username": "...", "password": "..." }</code>
to <code>${baseUrl}${INTERACTIVE_SETUP_PREFIX}/configure</code>.</p></body></html>
`;

export function interactiveSetupPlugin(): PrebootPlugin {
  let state: 'configured' | 'waiting' | 'verifying' = 'configured';
  let resolveHold: ((value: { shouldReloadConfig: boolean }) => void) | undefined;

  let baseUrl: string | undefined;
  const forget = () => {
    if (baseUrl !== undefined) verifications.delete(baseUrl);
  };

  return {
    name: 'interactive-setup',
    async setup(core) {
      // Only a first launch is interactive: a configured server goes on without holding anything.
      if (elasticsearchOf(core.config)) return;
      state = 'waiting';
      baseUrl = core.http.baseUrl;
      const verification: Verification = { code: String(randomInt(0, 1_000_000)).padStart(6, '0'), failures: 0 };
      verifications.set(baseUrl, verification);
      core.preboot.holdSetupUntilResolved(
        SETUP_HOLD_REASON,
        new Promise((resolve) => {
          resolveHold = resolve;
        }),
      );
      core.http.registerRoutes('/', (router) => {
        router.get('/', () => ({ status: 200, body: page(core.http.baseUrl) }));
      });
      core.http.registerRoutes(INTERACTIVE_SETUP_PREFIX, (router) => {
        router.get('/status', () => ({
          status: 200,
          body: { connectionStatus: state === 'configured' ? 'configured' : 'not-configured', isSetupOnHold: core.preboot.isSetupOnHold() },
        }));
        router.post('/configure', async ({ body }): Promise<RouteResponse> => {
          if (state === 'configured') return { status: 409, body: { error: 'the connection is already configured' } };
          if (state === 'verifying') return { status: 409, body: { error: 'another configuration is being verified' } };
          const wrong = checkCode(verification, (body as { code?: unknown } | null)?.code);
          if (wrong) return wrong;
          const details = parseConnectionDetails(body);
          if (typeof details === 'string') return { status: 400, body: { error: details } };
          state = 'verifying';
          try {
            const problem = await verifyConnection(details);
            if (problem) {
              state = 'waiting';
              return { status: 400, body: { error: problem } };
            }
            writeConfig(core.configPath, withConnection(await readConfig(core.configPath), details));
          } catch (error) {
            state = 'waiting';
            return { status: 500, body: { error: `could not write ${core.configPath}: ${(error as Error).message}` } };
          }
          state = 'configured';
          forget();
          resolveHold?.({ shouldReloadConfig: true });
          return { status: 200, body: { configured: true, host: details.host, configPath: core.configPath, shouldReloadConfig: true } };
        });
      });
      // The file may already hold a connection the config read at preboot lacks: written by this plugin in a
      // process that crashed before the run saw the hold resolve (a resumed run), or by hand meanwhile. Then the
      // hold resolves at once, asking for the reload that picks it up.
      const onDisk = await readConfig(core.configPath).catch(() => null);
      if (onDisk && elasticsearchOf(onDisk)) {
        state = 'configured';
        forget();
        resolveHold?.({ shouldReloadConfig: true });
      }
    },
    stop() {
      forget();
    },
  };
}
