import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GOLDEN_FORMATS, goldenCases, goldenPath, renderGolden } from './cases.ts';

describe('renderers match their golden files (regenerate with `npm run golden` and review the diff)', () => {
  for (const { name, machine } of goldenCases()) {
    for (const format of GOLDEN_FORMATS) {
      it(`${name} as ${format}`, () => {
        const path = goldenPath(format, name);
        expect(existsSync(path), `${path} is missing: run npm run golden`).toBe(true);
        expect(renderGolden(format, machine)).toBe(readFileSync(path, 'utf8'));
      });
    }
  }
});
