import { usageError } from './io.ts';

/** `--min-coverage <pct>`: a percentage of transitions, 0 to 100 (`90` or `90%`). */
export function parseMinCoverage(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/%$/, ''));
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) throw usageError(`--min-coverage takes a percentage from 0 to 100, not '${value}'`);
  return n;
}

/** `75%`, `66.6%`: rounded down, so a figure below a target never prints as the target. */
export function formatPercent(covered: number, total: number): string {
  const pct = total === 0 ? 100 : Math.floor((covered * 1000) / total) / 10;
  return `${pct}%`;
}

/** The line saying a figure misses its target, or undefined when it does not. */
export function belowTarget(what: string, covered: number, total: number, min: number | undefined): string | undefined {
  if (min === undefined || (total === 0 ? 100 : (covered * 100) / total) >= min) return undefined;
  return `${what} ${formatPercent(covered, total)} (${covered}/${total}) is below --min-coverage ${min}%`;
}
