// Rewrites the golden files from the current renderers: `npm run golden`, then review the diff.
import { writeFileAtomic } from '../../src/io/atomic-write.ts';
import { GOLDEN_FORMATS, goldenCases, goldenPath, renderGolden } from './cases.ts';

let count = 0;
for (const { name, machine } of goldenCases()) {
  for (const format of GOLDEN_FORMATS) {
    writeFileAtomic(goldenPath(format, name), renderGolden(format, machine));
    count++;
  }
}
console.log(`wrote ${count} golden files`);
