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
import { basename, join, resolve as resolvePath } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fromCallback, type EventObject } from 'xstate';
import type { DownloadEvent, DownloadInput } from '../../../machines/upgrade.ts';
import { ServiceError, serviceError } from '../install/fs.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
/**
 * Progress is reported by time, not by bytes: every report is a transition the runtime saves durably (a journal
 * line and a snapshot, three fsyncs), so a fast download must not cost one per chunk. 10 a second feeds the live line.
 */
const PROGRESS_EVERY_MS = 100;

export type ProgressListener = (bytesReceived: number, totalBytes: number | null) => void;

export interface DownloadResult {
  artifactPath: string;
  bytes: number;
}

const inflight = new Map<string, Promise<unknown>>();

/** Waits until no transfer into `destDir` is running (a stopped one settles once its streams are closed). */
export async function settleDownloads(destDir: string): Promise<void> {
  await inflight.get(resolvePath(destDir))?.catch(() => undefined);
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
export async function fetchArtifact(source: string, destDir: string, signal: AbortSignal, onProgress: ProgressListener): Promise<DownloadResult> {
  const name = artifactName(source);
  await mkdir(destDir, { recursive: true });
  const final = join(destDir, name);
  const part = `${final}.part`;
  // A complete file from an earlier attempt is treated as a part: the resume below finds it complete.
  await rename(final, part).catch(() => undefined);
  const offset = await stat(part).then((s) => s.size, () => 0);
  const bytes = isUrl(source)
    ? await fetchHttp(source, part, offset, signal, onProgress)
    : await copyFile(source, part, offset, signal, onProgress);
  const fd = await open(part, 'r+');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
  await rename(part, final);
  return { artifactPath: final, bytes };
}

async function copyFile(source: string, part: string, offset: number, signal: AbortSignal, onProgress: ProgressListener): Promise<number> {
  let total: number;
  try {
    total = (await stat(source)).size;
  } catch {
    throw serviceError('ENOENT', `artifact ${source} does not exist`);
  }
  const start = offset <= total ? offset : 0;
  await pipeline(createReadStream(source, { start }), counter(start, total, onProgress), createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }), { signal });
  return total;
}

async function fetchHttp(source: string, part: string, offset: number, signal: AbortSignal, onProgress: ProgressListener): Promise<number> {
  const url = new URL(source);
  if (url.protocol !== 'http:') throw serviceError('unsupported-source', `cannot download ${source}: only http:// on loopback and local paths are supported`);
  if (!LOOPBACK.has(url.hostname)) throw serviceError('source-not-loopback', `refusing to download ${source}: the host must be 127.0.0.1, localhost or [::1]`);
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { signal, headers: offset > 0 ? { range: `bytes=${offset}-` } : {} }, resolve);
    req.on('error', (error) => reject(signal.aborted ? error : Object.assign(error, { message: `GET ${source} failed: ${error.message}` })));
    req.end();
  });
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : null;
  let start = 0;
  let total: number | null = length;
  if (res.statusCode === 206 && offset > 0) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (range && Number(range[1]) === offset) {
      start = offset;
      total = range[2] === '*' ? null : Number(range[2]);
    } else {
      res.resume();
      throw serviceError('bad-range', `GET ${source} answered a range other than the one asked for (${res.headers['content-range'] ?? 'none'})`);
    }
  } else if (res.statusCode === 416 && offset > 0) {
    res.resume();
    onProgress(offset, offset);
    return offset;
  } else if (res.statusCode !== 200) {
    res.resume();
    throw serviceError(`http-${res.statusCode}`, `GET ${source} answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim());
  }
  let received = start;
  await pipeline(
    res,
    counter(start, total, (n, t) => {
      received = n;
      onProgress(n, t);
    }),
    createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }),
    { signal },
  ).catch((error: Error) => {
    if (signal.aborted) throw error;
    throw serviceError('ECONNRESET', `download of ${source} broke off after ${received} bytes${total !== null ? ` of ${total}` : ''}: ${error.message}`);
  });
  if (total !== null && received !== total)
    throw serviceError('ECONNRESET', `download of ${source} ended after ${received} of ${total} bytes`);
  return received;
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
  const transfer = fetchArtifact(input.source, input.destDir, abort.signal, (bytesReceived, totalBytes) =>
    send({ type: 'DOWNLOAD.PROGRESS', bytesReceived, totalBytes }),
  ).then(
    ({ artifactPath, bytes }) => send({ type: 'DOWNLOAD.DONE', artifactPath, bytes }),
    (error: Error & { code?: string }) =>
      send({ type: 'DOWNLOAD.FAILED', message: error.message, ...(error instanceof ServiceError ? { kind: error.kind } : error.code ? { kind: error.code } : {}) }),
  );
  inflight.set(key, transfer);
  void transfer.finally(() => {
    if (inflight.get(key) === transfer) inflight.delete(key);
  });
  return () => abort.abort();
});
