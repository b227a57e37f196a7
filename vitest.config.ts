import { readFileSync } from 'node:fs';
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
    hookTimeout: 60_000,
  },
});
