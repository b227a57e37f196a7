// `npm run build` (and `prepare`: `npm ci`, `npm pack`, `npm publish`): the sources compiled to ESM .js + .d.ts in
// dist/ by tsc (tsconfig.build.json), with the inspector page's static files beside its server. The build goes to a
// fresh folder that then replaces dist/, so a program running from dist/ meanwhile never sees half a build.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const started = new Date();
const out = `${root}.dist-${process.pid}`;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', out], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(out, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
cpSync(`${root}src/inspect/page`, `${out}/src/inspect/page`, { recursive: true });
// bin/lifecycle.js runs the sources instead when any is newer than this stamp: dated when the build began.
writeFileSync(`${out}/.build-stamp`, `${started.toISOString()}\n`);
utimesSync(`${out}/.build-stamp`, started, started);
const old = `${root}.dist-old-${process.pid}`;
if (existsSync(`${root}dist`)) renameSync(`${root}dist`, old);
renameSync(out, `${root}dist`);
rmSync(old, { recursive: true, force: true });
