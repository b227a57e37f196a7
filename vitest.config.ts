import { readFileSync } from 'node:fs';
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
  },
});
