import type { AnyStateMachine } from 'xstate';
import { FIXTURES } from '../fixtures/machines/index.ts';
import { TEXT_FORMATS, type TextFormat } from '../../src/diagram/formats.ts';
import { extractGraph } from '../../src/model/extract.ts';

/** Golden files: every fixture machine in every text format, under test/golden/<format>/<fixture>.<ext>. */
export const GOLDEN_FORMATS = Object.keys(TEXT_FORMATS) as TextFormat[];

export function goldenCases(): { name: string; machine: AnyStateMachine }[] {
  return FIXTURES.map((f) => ({ name: f.name, machine: f.machine }));
}

export function goldenPath(format: TextFormat, name: string): string {
  return new URL(`./${format}/${name}.${TEXT_FORMATS[format].extension}`, import.meta.url).pathname;
}

export function renderGolden(format: TextFormat, machine: AnyStateMachine): string {
  return TEXT_FORMATS[format].render(extractGraph(machine));
}
