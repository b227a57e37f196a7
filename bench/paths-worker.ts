// One measurement in a fresh process (so peak RSS is this run's): `tsx bench/paths-worker.ts <algorithm> <N>`.
// Prints one JSON line.
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { extractGraph } from '../src/model/extract.ts';
import { generatePaths } from '../src/paths/index.ts';
import { chainMachine } from './chain.ts';

const [algorithm, nText] = process.argv.slice(2);
const n = Number(nText);
const machine = chainMachine(n);
const graph = extractGraph(machine);
const events = ['NEXT', 'SKIP', 'FAIL', 'RETRY'].map((type) => ({ type }));

const start = performance.now();
let paths = 0;
let steps = 0;
const taken = new Set<string>();
if (algorithm === 'ours') {
  const result = generatePaths(machine, graph, { cover: 'transitions' });
  paths = result.stats.paths;
  steps = result.stats.steps;
  for (const p of result.paths) for (const s of p.steps) for (const id of s.transitions) taken.add(id);
} else {
  const fn = algorithm === 'shortest' ? getShortestPaths : getSimplePaths;
  const result = fn(machine, { events });
  paths = result.length;
  for (const p of result) {
    steps += p.steps.length;
    // Each step of a chain machine takes exactly the transition `<machine>.<state>:<event>:0` of its source state.
    let prev: unknown;
    for (const s of p.steps) {
      if (prev !== undefined) taken.add(`${machine.id}.${prev}:${s.event.type}:0`);
      prev = s.state.value;
    }
  }
}
const ms = performance.now() - start;
console.log(JSON.stringify({ algorithm, n, ms, paths, steps, transitions: graph.transitions.length, taken: taken.size, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
