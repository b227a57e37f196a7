// The published declarations a consumer of the picture API loads must not name Node's `Buffer`: without
// @types/node that is TS2591. Emitted in memory from the sources (as `npm run build` does), then the .d.ts files
// reachable from the entry points that export diagram functions are read.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = ['src/index.ts', 'src/entries/render.ts', 'src/entries/infer.ts', 'src/steps/index.ts', 'src/testgen/harness.ts'];

it('the declarations of the diagram entry points never mention Buffer', () => {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.build.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const options = { ...config.options, declaration: true, emitDeclarationOnly: true, noEmit: false, outDir: join(ROOT, '.d-test'), rootDir: ROOT };
  const program = ts.createProgram(ENTRIES.map((e) => join(ROOT, e)), options);
  const out = new Map<string, string>();
  program.emit(undefined, (file, text) => out.set(resolve(file), text), undefined, true);
  // Follow the declarations' own imports from the entries: what a consumer's compiler reads.
  const seen = new Set<string>();
  const queue = ENTRIES.map((e) => join(ROOT, '.d-test', e.replace(/\.ts$/, '.d.ts')));
  const offenders: string[] = [];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || !out.has(file)) continue;
    seen.add(file);
    const text = out.get(file)!;
    if (/\bBuffer\b/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) offenders.push(file.slice(ROOT.length + '.d-test/'.length));
    for (const m of text.matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) queue.push(resolve(dirname(file), m[1]!.replace(/\.(ts|js)$/, '.d.ts')));
  }
  expect(seen.size).toBeGreaterThan(5);
  expect(offenders).toEqual([]);
}, 120_000);
