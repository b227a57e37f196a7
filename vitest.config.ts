import { accessSync, constants, readFileSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The repo's own tests (the generated suites in test/model import `lifecycle-kit/testing`) run the sources, not the
// build in dist/: each entry of package.json's exports resolves to its `lifecycle-kit-source` file.
const exportsMap = (JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { exports: Record<string, string | Record<string, string>> }).exports;
const alias = Object.entries(exportsMap).flatMap(([subpath, target]) =>
  typeof target === 'object' && target['lifecycle-kit-source']
    ? [{ find: new RegExp(`^lifecycle-kit${subpath.slice(1).replace(/[/.]/g, '\\$&')}$`), replacement: fileURLToPath(new URL(target['lifecycle-kit-source'], import.meta.url)) }]
    : [],
);

// The generated suites in test/model run the built-ins' real services in a fresh sandbox per path: every write is
// fsynced and every path removes its sandbox, which on a disk that other processes write to (a second test run, a
// build) cost more than the rest of the path. A RAM disk with room to spare holds the sandboxes instead (the services
// do the same work, fsyncs included, on another filesystem); LIFECYCLE_SANDBOX_DIR set by the caller wins.
function ramDisk(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    accessSync('/dev/shm', constants.W_OK);
    const fs = statfsSync('/dev/shm');
    return fs.bavail * fs.bsize >= 512 * 1024 * 1024 ? '/dev/shm' : undefined;
  } catch {
    return undefined;
  }
}
const sandboxDir = process.env.LIFECYCLE_SANDBOX_DIR || ramDisk();

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    // Browser tests start Chromium and CLI tests start Node processes: seconds, not milliseconds.
    testTimeout: 60_000,
    // Most files spend their time waiting on child processes (the CLI, crash sweeps, npm pack, Chromium), not on a
    // core: vitest's default of one worker per core less one is a single worker on a 2-core CI machine, which ran the
    // files one after another. LIFECYCLE_TEST_WORKERS overrides.
    maxWorkers: Number(process.env.LIFECYCLE_TEST_WORKERS) || Math.max(3, availableParallelism()),
    hookTimeout: 60_000,
    env: sandboxDir ? { LIFECYCLE_SANDBOX_DIR: sandboxDir } : {},
  },
});
