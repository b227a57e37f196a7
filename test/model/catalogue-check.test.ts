import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../machines/index.ts';
import { CATALOGUE_KEYS, OUTCOME_KEYS, checkCatalogue, shapeProblems } from '../../src/model/catalogue-check.ts';
import { resolveCatalogue } from '../../src/model/catalogue.ts';
import { extractGraph } from '../../src/model/extract.ts';
import { loadMachine } from '../../src/model/load.ts';
import { closest } from '../../src/model/suggest.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
type Schema = Record<string, unknown>;
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'schema/catalogue.schema.json'), 'utf8')) as Schema;
const props = (s: unknown) => (s as { properties: Record<string, Schema> }).properties;

/**
 * The JSON Schema keywords the catalogue schema uses, evaluated as draft 2020-12 says. It refuses any other
 * keyword, so the schema cannot grow a rule that this test (and so the checker) silently ignores.
 */
function schemaAccepts(schema: Schema, value: unknown): boolean {
  for (const k of Object.keys(schema)) {
    if (!['$schema', 'title', 'description', 'type', 'properties', 'additionalProperties', 'items'].includes(k)) throw new Error(`keyword ${k} not evaluated`);
  }
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  const type = schema.type as string | undefined;
  if (type === 'object' && !isObject) return false;
  if (type === 'array' && !Array.isArray(value)) return false;
  if (type === 'string' && typeof value !== 'string') return false;
  if (isObject) {
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [k, v] of Object.entries(value)) {
      const sub = Object.hasOwn(properties, k) ? properties[k] : schema.additionalProperties;
      if (sub === false || (typeof sub === 'object' && sub !== null && !schemaAccepts(sub as Schema, v))) return false;
    }
  }
  if (Array.isArray(value) && schema.items) return value.every((v) => schemaAccepts(schema.items as Schema, v));
  return true;
}

const GOOD: unknown[] = [
  {},
  { $schema: './node_modules/lifecycle-kit/schema/catalogue.schema.json' },
  { input: null },
  { input: { job: 'nightly' }, inputs: [] },
  { inputs: [1, { force: true }, null] },
  { events: {} },
  { events: { APPROVE: [], CANCEL: [{}], 'reconnect.*': [{ type: 'reconnect.retry' }] } },
  { services: { deploy: {} } },
  { services: { deploy: { done: [null, { ok: true }], error: [{ message: 'x' }], snapshot: [1] } } },
  { identity: [] },
  { identity: ['holds.id', 'step'] },
];
const BAD: unknown[] = [
  [],
  null,
  'catalogue',
  3,
  { event: {} },
  { $schema: 1 },
  { inputs: {} },
  { events: [] },
  { events: { APPROVE: {} } },
  { events: { APPROVE: [1] } },
  { events: { APPROVE: [[]] } },
  { events: { APPROVE: [null] } },
  { services: [] },
  { services: { deploy: [] } },
  { services: { deploy: { dones: [] } } },
  { services: { deploy: { done: {} } } },
  { identity: 'step' },
  { identity: [1] },
];

describe('the catalogue schema', () => {
  it('and the checker agree on good and bad catalogues', () => {
    for (const c of GOOD) {
      expect(schemaAccepts(SCHEMA, c), JSON.stringify(c)).toBe(true);
      expect(shapeProblems(c), JSON.stringify(c)).toEqual([]);
    }
    for (const c of BAD) {
      expect(schemaAccepts(SCHEMA, c), JSON.stringify(c)).toBe(false);
      expect(shapeProblems(c).length, JSON.stringify(c)).toBeGreaterThan(0);
    }
  });

  it("has the EventCatalogue interface's keys, with its doc comments as descriptions", () => {
    const file = join(ROOT, 'machines/catalogue.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const iface = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === 'EventCatalogue')!;
    const members = iface.members.filter(ts.isPropertySignature);
    const doc = (m: ts.PropertySignature) => ts.getJSDocCommentsAndTags(m).map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').replace(/\s+/g, ' ').trim();
    const documented = Object.fromEntries(members.map((m) => [(m.name as ts.Identifier).text, doc(m)]));
    const { $schema: _, ...schemaKeys } = props(SCHEMA);
    expect(Object.keys(schemaKeys)).toEqual(Object.keys(documented));
    for (const [key, text] of Object.entries(documented)) {
      expect(text, key).not.toBe('');
      expect(schemaKeys[key]!.description, key).toBe(text);
    }
    expect(Object.keys(props(SCHEMA))).toEqual([...CATALOGUE_KEYS]);
    // services: Record<string, { done?: ...; error?: ...; snapshot?: ... }>
    const services = members.find((m) => (m.name as ts.Identifier).text === 'services')!.type as ts.TypeReferenceNode;
    const outcome = services.typeArguments![1] as ts.TypeLiteralNode;
    const outcomeKeys = outcome.members.map((m) => (m.name as ts.Identifier).text);
    expect(outcomeKeys).toEqual([...OUTCOME_KEYS]);
    expect(Object.keys(props(props(SCHEMA).services!.additionalProperties))).toEqual(outcomeKeys);
  });

  it("accepts the README's JSON example", () => {
    const example = /```json\n(\{\n  "\$schema"[\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1]!;
    expect(schemaAccepts(SCHEMA, JSON.parse(example))).toBe(true);
    expect(shapeProblems(JSON.parse(example))).toEqual([]);
  });

  it('is published: in package.json files and exports', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('schema/');
    expect(pkg.exports['./catalogue.schema.json']).toBe('./schema/catalogue.schema.json');
  });
});

describe('checkCatalogue', () => {
  const where = 'catalogue c.json';
  const error = (value: unknown, graph?: Parameters<typeof checkCatalogue>[2]) => {
    try {
      checkCatalogue(value, where, graph);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };

  it('says each shape problem in one line naming the key path and what is allowed', () => {
    expect(error([])).toBe(`${where}: must be an object with the keys $schema, input, inputs, events, services, identity, unchecked, not an array`);
    expect(error({ event: { A: [] } })).toBe(`${where}: event: not a catalogue key (did you mean 'events'?); allowed: $schema, input, inputs, events, services, identity, unchecked`);
    expect(error({ events: [] })).toMatch(/^catalogue c\.json: events: must be an object of sample lists by event type .*, not an array$/);
    expect(error({ events: { APPROVE: { by: 'lead' } } })).toBe(`${where}: events.APPROVE: must be an array of payloads ([{"by":"lead"}]), not an object`);
    expect(error({ events: { 'reconnect.retry': ['x'] } })).toBe(`${where}: events["reconnect.retry"][0]: must be an object (the event's fields without 'type'), not the string "x"`);
    expect(error({ services: { deploy: { onDone: [] } } })).toBe(`${where}: services.deploy.onDone: not an outcome of a service (did you mean 'done'?); allowed: done, error, snapshot`);
    expect(error({ services: { deploy: { done: { ok: true } } } })).toBe(`${where}: services.deploy.done: must be an array of samples ([{"ok":true}]), not an object`);
    expect(error({ services: { deploy: true } })).toBe(`${where}: services.deploy: must be an object with done, error, snapshot (each an array), not boolean true`);
    expect(error({ identity: 'step' })).toBe(`${where}: identity: must be an array of context keys (strings), not the string "step"`);
    expect(error({ identity: ['a', 2] })).toBe(`${where}: identity[1]: must be a string (a context key), not number 2`);
    expect(error({ inputs: { a: 1 } })).toBe(`${where}: inputs: must be an array of inputs, not an object (one input goes under 'input')`);
    expect(error({ evnts: {}, identity: 1 })).toMatch(/\(and 1 more problem\)$/);
    for (const c of BAD) expect(error(c)).not.toMatch(/\n/);
  });

  it('returns the catalogue without $schema', () => {
    expect(checkCatalogue({ $schema: 'x', events: { A: [{}] } }, where)).toEqual({ events: { A: [{}] } });
  });

  it('knows the events and services of the machine, wildcards included', async () => {
    const graph = extractGraph((await loadMachine(join(ROOT, 'test/fixtures/catalogue/deploy.ts#deployMachine'))).machine);
    expect(error({ events: { APROVE: [] } }, graph)).toBe(`${where}: events.APROVE: not an event the machine accepts (did you mean 'APPROVE'?); allowed: APPROVE, CANCEL, reconnect.*`);
    expect(error({ events: { DEPLOY: [] } }, graph)).toBe(`${where}: events.DEPLOY: not an event the machine accepts; allowed: APPROVE, CANCEL, reconnect.*`);
    expect(error({ services: { deplyo: {} } }, graph)).toBe(`${where}: services.deplyo: not a service the machine invokes (did you mean 'deploy'?); allowed: deploy, xstate.invoke.0.deploy.verifying`);
    expect(error({ services: { rollout: {} } }, graph)).toMatch(/services\.rollout: is an invoke id: outcomes go under the invoked src 'deploy'; allowed: /);
    expect(error({ services: { unused: {} } }, graph)).toMatch(/services\.unused: declared in setup\(\{ actors \}\) but never invoked by a state; allowed: /);
    const ok = { events: { APPROVE: [{ by: 'lead' }], 'reconnect.*': [{}], 'reconnect.retry': [{}], reconnect: [{}] }, services: { deploy: { done: [] }, 'xstate.invoke.0.deploy.verifying': { error: [] } } };
    expect(checkCatalogue(ok, where, graph)).toEqual(ok);
    expect(error({ events: { 'reconnected.x': [] } }, graph)).toMatch(/not an event the machine accepts/);

    const wild = extractGraph((await loadMachine(join(ROOT, 'test/fixtures/machines/13-wildcards.ts'))).machine);
    expect(checkCatalogue({ events: { ANYTHING: [{}], '*': [{ type: 'x' }] } }, where, wild)).toBeDefined();
  });

  it("bounds the list of what is allowed to the first 10", async () => {
    const graph = { ...extractGraph((await loadMachine('install')).machine), events: Array.from({ length: 14 }, (_, i) => `E${i}`) };
    expect(error({ events: { NOPE: [] } }, graph)).toMatch(/allowed: E0, E1, E2, E3, E4, E5, E6, E7, E8, E9, … \(14 in all\)$/);
  });

  it("accepts the built-ins' own catalogues", async () => {
    for (const b of BUILTINS) {
      const loaded = await loadMachine(b.name);
      expect(await resolveCatalogue(loaded), b.name).toEqual(b.catalogue);
    }
  });

  it('suggests only names close enough to be a typo', () => {
    expect(closest('event', CATALOGUE_KEYS)).toBe('events');
    expect(closest('approve', ['APPROVE', 'CANCEL'])).toBe('APPROVE');
    expect(closest('identities', CATALOGUE_KEYS)).toBe('identity');
    expect(closest('zzz', CATALOGUE_KEYS)).toBeUndefined();
  });
});
