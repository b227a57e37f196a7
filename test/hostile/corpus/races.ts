/**
 * Synchronised races for one store lock, many times over (test/runtime/lock-race.ts runs one): the measure
 * is 0 double holders in 200 races.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleLock, raceForLock } from '../../runtime/lock-race.ts';

export interface Races {
  races: number;
  /** Races where more than one process held the lock. */
  doubles: number;
  /** Races nobody won. */
  none: number;
  lost: number;
  errors: string[];
}

export async function raceMany(races: number, racers: number): Promise<Races> {
  // raceForLock leaves its directories in the temp dir: give it a private one, removed at the end (200 races would
  // otherwise leave 200 directories in /tmp).
  const previous = process.env.TMPDIR;
  const own = mkdtempSync(join(tmpdir(), 'lk-hostile-races-'));
  process.env.TMPDIR = own;
  try {
    const bundle = bundleLock();
    const out: Races = { races, doubles: 0, none: 0, lost: 0, errors: [] };
    for (let i = 0; i < races; i++) {
      const r = await raceForLock(bundle, racers);
      if (r.got > 1) out.doubles++;
      if (r.got === 0) out.none++;
      out.lost += r.lost;
      out.errors.push(...r.errors.map((e) => `race ${i + 1}: ${e}`));
    }
    return out;
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(own, { recursive: true, force: true });
  }
}
