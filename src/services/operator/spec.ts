/**
 * The instance spec: a JSON file standing in for the custom resource, `{ "version": "1.0.0", "parameters": {...} }`.
 * A missing file means the resource was deleted (`{ spec: null }`); bad JSON or a bad shape is `invalid-spec`
 * (never retried: the file has to change first).
 */
import { readFile } from 'node:fs/promises';
import type { InstanceSpec, ReadSpecInput, ReadSpecOutput } from '../../../machines/operator.ts';
import { writeFileAtomic } from '../../io/atomic-write.ts';
import { fsServiceError, serviceError } from '../install/fs.ts';

const FIELDS = ['version', 'parameters'];
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/** Checks a parsed spec; returns it (parameters defaulting to `{}`) or a sentence naming what is wrong. */
export function validateSpec(value: unknown): InstanceSpec | string {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'the spec must be a JSON object { "version": "1.0.0", "parameters": { ... } }';
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !FIELDS.includes(k));
  if (unknown.length > 0) return `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; valid fields: ${FIELDS.join(', ')}`;
  if (typeof v.version !== 'string' || !VERSION.test(v.version)) {
    return `version must be a string of letters, digits and . + _ - (at most 64), found ${JSON.stringify(v.version)}`;
  }
  const parameters = v.parameters ?? {};
  if (!parameters || typeof parameters !== 'object' || Array.isArray(parameters)) return `parameters must be a JSON object, found ${JSON.stringify(v.parameters)}`;
  return { version: v.version, parameters: parameters as Record<string, unknown> };
}

/** The `readSpec` service. */
export async function readSpec(input: ReadSpecInput): Promise<ReadSpecOutput> {
  let text: string;
  try {
    text = await readFile(input.specPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { spec: null };
    // Of its errno kind (what the retry policy reads), naming the spec: a folder where the file should be is EISDIR.
    throw fsServiceError(error, input.specPath, 'read the spec');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw serviceError('invalid-spec', `spec ${input.specPath} is not valid JSON: ${(error as Error).message}`);
  }
  const spec = validateSpec(parsed);
  if (typeof spec === 'string') throw serviceError('invalid-spec', `spec ${input.specPath} is invalid: ${spec}`);
  return { spec };
}

/** The spec `sandboxInput` writes (and the operator catalogue's first spec sample, so a fresh sandbox follows it). */
export const SANDBOX_SPEC: InstanceSpec = { version: '1.0.0', parameters: { message: 'hello from the sandbox' } };

/** Writes a spec file atomically (for tests, demos and `sandboxInput`). */
export function writeSpec(specPath: string, spec: InstanceSpec): void {
  writeFileAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);
}
