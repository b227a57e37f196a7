/**
 * Downloading the artifact: from a local path or an `http://` URL on loopback, streamed into
 * `<destDir>/<name>.part` and renamed to `<destDir>/<name>` when complete. A transfer that breaks keeps its `.part`
 * file, and the next attempt resumes it with a `Range` request (a server that ignores ranges sends it all again).
 * Progress is reported as bytes arrive; an abort stops the transfer, and {@link settleDownloads} lets a cleanup wait
 * until a stopped transfer has let go of its files.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { request, type IncomingMessage } from 'node:http';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromCallback, type EventObject } from 'xstate';
import type { DownloadEvent, DownloadInput } from '../../../machines/upgrade.ts';
import { isUserFsError } from '../../io/fs-errors.ts';
import { fsServiceError, remove, ServiceError, serviceError } from '../install/fs.ts';
import { assertInside, isWithin, realPathOf } from '../safe-paths.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/**
 * Progress is reported by time, not by bytes: every report is a transition the runtime saves durably (a journal
 * line and a snapshot, three fsyncs), so a fast download must not cost one per chunk. 10 a second feeds the live line.
 */
const PROGRESS_EVERY_MS = 100;

/** The download's limits: every transfer ends, in bounded time and size. */
export interface DownloadLimits {
  /** Largest artifact accepted, in bytes. */
  maxBytes: number;
  /** Longest wait for the answer's headers or for the next bytes of its body, ms. */
  idleTimeoutMs: number;
  /** Longest whole transfer, ms. */
  timeoutMs: number;
}

export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = { maxBytes: 1024 ** 3, idleTimeoutMs: 30_000, timeoutMs: 10 * 60_000 };

const mib = (n: number) => (n >= 1024 * 1024 ? `${Math.round((n / 1024 / 1024) * 10) / 10} MiB` : `${n} bytes`);

export type ProgressListener = (bytesReceived: number, totalBytes: number | null) => void;

export interface DownloadResult {
  artifactPath: string;
  bytes: number;
}

const inflight = new Map<string, Promise<unknown>>();
/** How the last transfer into each download folder ended, as it reported it (`DOWNLOAD.DONE` or `DOWNLOAD.FAILED`). */
const reports = new Map<string, DownloadEvent>();

/**
 * What the last transfer into `destDir` reported when it ended, or undefined while it runs (or when none ran in this
 * process). The generated suites' set-ups check it against the path's sample: a download that misreports its
 * result fails them instead of only leaving the real system.
 */
export function lastDownloadReport(destDir: string): DownloadEvent | undefined {
  return reports.get(resolvePath(destDir));
}

/** Waits until no transfer into `destDir` is running (a stopped one settles once its streams are closed). */
export async function settleDownloads(destDir: string): Promise<void> {
  await inflight.get(resolvePath(destDir))?.catch(() => undefined);
}

/** Waits until every transfer of this process has settled (a stopped one, once its streams are closed). */
export async function settleAllDownloads(): Promise<void> {
  await Promise.all([...inflight.values()].map((t) => t.catch(() => undefined)));
}

/** The artifact's file name, from the path or the URL's last segment. */
export function artifactName(source: string): string {
  const name = isUrl(source) ? decodeURIComponent(basename(new URL(source).pathname)) : basename(source);
  if (!name || name === '.' || name === '..' || name.includes('/')) throw serviceError('invalid-source', `cannot name the artifact of ${source}: it has no file name`);
  return name;
}

function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

/**
 * Fetches `source` into `destDir`, resuming a `.part` file left by an earlier attempt.
 *
 * @example
 * const { artifactPath } = await fetchArtifact('http://127.0.0.1:8080/agent-1.1.0.tar.gz', '/home/agent/downloads', signal,
 *   (received, total) => console.error(`${received}/${total}`));
 */
export async function fetchArtifact(
  source: string,
  destDir: string,
  signal: AbortSignal,
  onProgress: ProgressListener,
  limits: Partial<DownloadLimits> = {},
): Promise<DownloadResult> {
  const limit: DownloadLimits = { ...DEFAULT_DOWNLOAD_LIMITS, ...limits };
  const name = artifactName(source);
  await assertSafeDestination(source, destDir);
  await mkdir(destDir, { recursive: true });
  const final = join(destDir, name);
  const part = `${final}.part`;
  // A complete file from an earlier attempt is treated as a part: the resume below finds it complete.
  await rename(final, part).catch(() => undefined);
  const offset = await stat(part).then((s) => s.size, () => 0);
  let bytes: number;
  try {
    bytes = isUrl(source)
      ? await fetchHttp(source, part, offset, signal, onProgress, limit)
      : await copyFile(source, part, offset, signal, onProgress, limit);
  } catch (error) {
    // Too large: what was kept is no part of a good artifact, and resuming it would only fail again.
    if (error instanceof ServiceError && error.kind === 'artifact-too-large') await remove(part);
    throw error;
  }
  const fd = await open(part, 'r+');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
  await rename(part, final);
  return { artifactPath: final, bytes };
}

/**
 * Refuses, before anything is touched, an artifact that lies in the download folder (the download renames what it
 * finds there and a cleanup empties it: the user's file would go) and a download folder reached through a symlink
 * out of the agent home.
 */
async function assertSafeDestination(source: string, destDir: string): Promise<void> {
  await assertInside(dirname(resolvePath(destDir)), destDir, 'the download folder');
  if (isUrl(source)) return;
  const [real, dest] = await Promise.all([realPathOf(source), realPathOf(destDir)]);
  if (isWithin(dest, real))
    throw serviceError(
      'paths-overlap',
      `artifact ${source}${real !== resolvePath(source) ? ` (really ${real})` : ''} lies in the download folder ${destDir}, which the upgrade uses for its own files and empties when it ends; nothing was changed: move the artifact out of ${destDir} and pass its new path as source`,
    );
}

/** A filesystem error of the transfer, naming the file it was reading (a local source) or writing (the part). */
function diskError(error: unknown, source: string, part: string): Error {
  const path = (error as NodeJS.ErrnoException).path;
  return fsServiceError(error, path ?? part, path === source ? 'read the artifact' : 'write the download to');
}

function tooLarge(source: string, size: string, maxBytes: number): ServiceError {
  return serviceError('artifact-too-large', `artifact ${source} is ${size}, more than the ${mib(maxBytes)} allowed: pass a larger maxDownloadBytes in the input if it is the right artifact`);
}

async function copyFile(source: string, part: string, offset: number, signal: AbortSignal, onProgress: ProgressListener, limit: DownloadLimits): Promise<number> {
  let info;
  try {
    info = await stat(source);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw serviceError('ENOENT', `artifact ${source} does not exist`);
    throw fsServiceError(error, source, 'read the artifact');
  }
  // A FIFO or a device would never end (or never start): only a regular file is an artifact.
  if (!info.isFile()) throw serviceError('invalid-source', `artifact ${source} is not a regular file`);
  const total = info.size;
  if (total > limit.maxBytes) throw tooLarge(source, mib(total), limit.maxBytes);
  const start = offset <= total ? offset : 0;
  const timer = new AbortController();
  const deadline = setTimeout(() => timer.abort(), limit.timeoutMs);
  try {
    await pipeline(createReadStream(source, { start }), counter(start, total, onProgress), createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }), {
      signal: AbortSignal.any([signal, timer.signal]),
    });
  } catch (error) {
    if (timer.signal.aborted && !signal.aborted) throw serviceError('ETIMEDOUT', `copying the artifact ${source} took longer than ${limit.timeoutMs} ms`);
    throw diskError(error, source, part);
  } finally {
    clearTimeout(deadline);
  }
  return total;
}

async function fetchHttp(source: string, part: string, offset: number, signal: AbortSignal, onProgress: ProgressListener, limit: DownloadLimits): Promise<number> {
  const url = new URL(source);
  if (url.protocol !== 'http:') throw serviceError('unsupported-source', `cannot download ${source}: only http:// on loopback and local paths are supported`);
  if (!LOOPBACK.has(url.hostname)) throw serviceError('source-not-loopback', `refusing to download ${source}: the host must be 127.0.0.1, localhost or [::1]`);
  // Every wait is bounded: the headers and each next chunk by the idle timeout, the whole transfer by the total one.
  const stop = new AbortController();
  let failure: ServiceError | undefined;
  const fail = (error: ServiceError) => {
    failure ??= error;
    stop.abort(error);
  };
  let received = offset;
  const total = setTimeout(
    () => fail(serviceError('ETIMEDOUT', `download of ${source} did not finish within ${limit.timeoutMs} ms (${received} bytes received); a larger downloadTimeoutMs in the input allows more`)),
    limit.timeoutMs,
  );
  let idle: NodeJS.Timeout | undefined;
  const touch = (waitingFor: string) => {
    clearTimeout(idle);
    idle = setTimeout(
      () => fail(serviceError('ETIMEDOUT', `download of ${source} stalled: no ${waitingFor} for ${limit.idleTimeoutMs} ms (${received} bytes received); the server may be hung`)),
      limit.idleTimeoutMs,
    );
  };
  const both = AbortSignal.any([signal, stop.signal]);
  const rethrow = (error: unknown): never => {
    if (failure) throw failure;
    throw error;
  };
  try {
    touch('answer');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { signal: both, agent: false, headers: offset > 0 ? { range: `bytes=${offset}-` } : {} }, resolve);
      req.on('error', (error) => reject(signal.aborted || failure ? error : Object.assign(error, { message: `GET ${source} failed: ${error.message}` })));
      req.end();
    }).catch(rethrow);
    const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
    let start = 0;
    let size: number | null = length;
    if (res.statusCode === 206 && offset > 0) {
      const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
      if (range && Number(range[1]) === offset) {
        start = offset;
        size = range[2] === '*' ? null : Number(range[2]);
      } else {
        res.destroy();
        throw serviceError('bad-range', `GET ${source} answered a range other than the one asked for (${res.headers['content-range'] ?? 'none'})`);
      }
    } else if (res.statusCode === 416 && offset > 0) {
      res.destroy();
      onProgress(offset, offset);
      return offset;
    } else if (res.statusCode !== 200) {
      res.destroy();
      throw serviceError(`http-${res.statusCode}`, `GET ${source} answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
    }
    if (size !== null && Number.isFinite(size) && size > limit.maxBytes) {
      res.destroy();
      throw tooLarge(source, `${mib(size)} (Content-Length)`, limit.maxBytes);
    }
    received = start;
    touch('bytes');
    const guard = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        touch('bytes');
        if (received + chunk.length > limit.maxBytes) return callback(tooLarge(source, `more than ${mib(limit.maxBytes)} (the body went on)`, limit.maxBytes));
        callback(null, chunk);
      },
    });
    await pipeline(
      res,
      guard,
      counter(start, size, (n, t) => {
        received = n;
        onProgress(n, t);
      }),
      createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }),
      { signal: both },
    ).catch((error: Error) => {
      if (failure) throw failure;
      if (signal.aborted || error instanceof ServiceError) throw error;
      // A full or read-only disk under the part file is not a broken connection.
      if (isUserFsError(error)) throw diskError(error, source, part);
      throw serviceError('ECONNRESET', `download of ${source} broke off after ${received} bytes${size !== null ? ` of ${size}` : ''}: ${error.message}`);
    });
    if (size !== null && received !== size)
      throw serviceError('ECONNRESET', `download of ${source} ended after ${received} of ${size} bytes`);
    return received;
  } finally {
    clearTimeout(total);
    clearTimeout(idle);
  }
}

/** A pass-through that reports the running byte count: on the first chunk, then at most every 100 ms, and at the end. */
function counter(start: number, total: number | null, onProgress: ProgressListener): Transform {
  let n = start;
  let lastTime = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      n += chunk.length;
      const now = Date.now();
      if (now - lastTime >= PROGRESS_EVERY_MS) {
        lastTime = now;
        onProgress(n, total);
      }
      callback(null, chunk);
    },
    flush(callback) {
      onProgress(n, total);
      callback();
    },
  });
}

/**
 * The `download` service: a callback actor speaking the machine's `DOWNLOAD.*` protocol. Stopping it (the state is
 * left, e.g. on CANCEL) aborts the transfer.
 */
export const downloadActor = fromCallback<EventObject, DownloadInput>(({ input, sendBack }) => {
  const abort = new AbortController();
  const send = (event: DownloadEvent) => {
    if (!abort.signal.aborted) sendBack(event);
  };
  const key = resolvePath(input.destDir);
  const limits: Partial<DownloadLimits> = {
    ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}),
    ...(input.idleTimeoutMs !== undefined ? { idleTimeoutMs: input.idleTimeoutMs } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
  };
  const report = (event: DownloadEvent) => {
    if (!abort.signal.aborted) reports.set(key, event);
    send(event);
  };
  reports.delete(key);
  const transfer = fetchArtifact(
    input.source,
    input.destDir,
    abort.signal,
    (bytesReceived, totalBytes) => send({ type: 'DOWNLOAD.PROGRESS', bytesReceived, totalBytes }),
    limits,
  ).then(
    ({ artifactPath, bytes }) => report({ type: 'DOWNLOAD.DONE', artifactPath, bytes }),
    (error: Error & { code?: string }) =>
      report({ type: 'DOWNLOAD.FAILED', message: error.message, ...(error instanceof ServiceError ? { kind: error.kind } : error.code ? { kind: error.code } : {}) }),
  );
  inflight.set(key, transfer);
  void transfer.finally(() => {
    if (inflight.get(key) === transfer) inflight.delete(key);
  });
  return () => abort.abort();
});
