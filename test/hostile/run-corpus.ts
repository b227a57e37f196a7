/**
 * Runs the whole hostile corpus through the real binary and prints one line per case and the figures; then the
 * synchronised lock races. `npx tsx test/hostile/run-corpus.ts [--only <text>] [--races <n>] [--racers <n>]`
 * (defaults: every case, 200 races of 8 racers). Exit 1 when a case or a race failed.
 */
import { ALL_CASES, buildFixtures, runCases } from './corpus/index.ts';
import { raceMany } from './corpus/races.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const only = arg('only');
const races = Number(arg('races') ?? 200);
const racers = Number(arg('racers') ?? 8);

const fx = await buildFixtures();
const cases = only ? ALL_CASES.filter((c) => c.id.includes(only) || c.cls.includes(only)) : ALL_CASES;
const started = Date.now();
const verdicts = await runCases(cases, fx, (v) => {
  const mark = v.skipped ? 'skip' : v.problems.length === 0 ? (v.open ? 'FIXED?' : 'ok') : v.open ? 'open' : 'FAIL';
  console.log(`${mark.padEnd(6)} ${v.cls.padEnd(40)} ${v.id} (${v.ms} ms)${v.skipped ? `: ${v.skipped}` : ''}`);
  for (const p of v.problems) console.log(`         ${p}`);
});
fx.dispose();
const count = (f: (v: (typeof verdicts)[number]) => boolean) => verdicts.filter(f).length;
const failed = count((v) => !v.skipped && !v.open && v.problems.length > 0);
console.log(
  `\n${verdicts.length} cases in ${Math.round((Date.now() - started) / 1000)} s: ${count((v) => !v.skipped && v.problems.length === 0)} passed, ${failed} failed, ` +
    `${count((v) => !!v.open && v.problems.length > 0)} open (fix outside the services), ${count((v) => !!v.skipped)} skipped`,
);
let raceFailed = false;
if (races > 0 && !only) {
  const r = await raceMany(races, racers);
  console.log(`lock: ${r.races} synchronised races of ${racers} processes: ${r.doubles} with two holders, ${r.none} with none, ${r.lost} lost, ${r.errors.length} errors`);
  for (const e of r.errors.slice(0, 10)) console.log(`  ${e}`);
  raceFailed = r.doubles + r.none + r.lost + r.errors.length > 0;
}
process.exit(failed > 0 || raceFailed ? 1 : 0);
