import type { EventCatalogue } from '../../machines/catalogue.ts';
import { isActorStandIn, STAND_IN_CALL, standInCall } from './actor-stand-in.ts';
import { builtinCode, isBuiltinInstance } from './builtin-code.ts';
import { dispatchMethodSource } from './dispatch-probe.ts';
import { dispatchCallsOf } from './infer/samples.ts';

/**
 * The merged catalogue as a TypeScript module a user can start editing from: `satisfies EventCatalogue`, and a
 * comment on each entry saying where it came from (hand-written, an exported input, or what it was inferred from).
 * Pure.
 *
 * @example
 * writeFileSync('jobs.catalogue.ts', catalogueSource(catalogue, origins, { machine: './jobs.ts#jobMachine' }));
 */
export function catalogueSource(catalogue: EventCatalogue, origins: Record<string, string>, options: { machine: string; typesFrom?: string }): string {
  const lines: string[] = [
    `// Event catalogue for ${options.machine}, written by \`lifecycle catalogue\`: hand-written entries and samples`,
    '// inferred from the machine. Edit it freely, then pass it with --catalogue <this file>#catalogue (or export it',
    '// as `catalogue` beside the machine): its entries win over inference, which fills only what it leaves out.',
    `import type { EventCatalogue } from ${JSON.stringify(options.typesFrom ?? 'lifecycle-kit')};`,
    '',
    'export const catalogue = {',
  ];
  const { catalogue: data, dropped } = dataOnly(catalogue);
  catalogue = data;
  const comment = (key: string, indent: string) => {
    const origin = origins[key];
    if (origin) for (const l of wrap(origin, 110 - indent.length)) lines.push(`${indent}// ${l}`);
    if (dropped[key]) lines.push(`${indent}// (${dropped[key]} more made at run time, holding functions, are not data and left out)`);
  };
  if (catalogue.inputs !== undefined) {
    comment('input', '  ');
    lines.push(`  inputs: ${literal(catalogue.inputs, '  ')},`);
  } else if (catalogue.input !== undefined) {
    comment('input', '  ');
    lines.push(`  input: ${literal(catalogue.input, '  ')},`);
  }
  if (catalogue.events && Object.keys(catalogue.events).length) {
    lines.push('  events: {');
    for (const [event, samples] of Object.entries(catalogue.events)) {
      comment(`events.${event}`, '    ');
      lines.push(`    ${key(event)}: ${literal(samples, '    ')},`);
    }
    lines.push('  },');
  }
  if (catalogue.services && Object.keys(catalogue.services).length) {
    lines.push('  services: {');
    for (const [src, outcomes] of Object.entries(catalogue.services)) {
      lines.push(`    ${key(src)}: {`);
      for (const kind of ['done', 'error', 'snapshot'] as const) {
        if (outcomes[kind] === undefined) continue;
        comment(`services.${src}.${kind}`, '      ');
        lines.push(`      ${kind}: ${literal(outcomes[kind], '      ')},`);
      }
      lines.push('    },');
    }
    lines.push('  },');
  }
  if (catalogue.identity?.length) lines.push(`  identity: ${literal(catalogue.identity, '  ')},`);
  if (catalogue.unchecked?.length) lines.push(`  unchecked: ${literal(catalogue.unchecked, '  ')},`);
  lines.push('} satisfies EventCatalogue;', '');
  const text = lines.join('\n');
  // Actor ref samples are written as calls to the stand-in maker, which the package exports beside the type.
  if (!text.includes(`${STAND_IN_CALL}(`)) return text;
  return text.replace('import type { EventCatalogue } from', `import { ${STAND_IN_CALL}, type EventCatalogue } from`);
}

/**
 * The catalogue without the samples that hold functions (a child machine's output whose methods do more than
 * dispatch, made by running it): they cannot be written as data. A dispatching sample (an `Either` whose `caseOf`
 * calls back a handler: `dispatchCallsOf`) stays: it is written as code. Says how many each entry lost. Pure.
 */
export function dataOnly(catalogue: EventCatalogue): { catalogue: EventCatalogue; dropped: Record<string, number> } {
  const dropped: Record<string, number> = {};
  const keep = (key: string, samples: unknown[]) => {
    const kept = samples.filter((v) => !holdsFunction(v, 0));
    if (kept.length < samples.length) dropped[key] = samples.length - kept.length;
    return kept;
  };
  const out: EventCatalogue = { ...catalogue };
  if (catalogue.services) {
    out.services = Object.fromEntries(
      Object.entries(catalogue.services).map(([src, o]) => [
        src,
        Object.fromEntries(Object.entries(o).map(([kind, samples]) => [kind, Array.isArray(samples) ? keep(`services.${src}.${kind}`, samples) : samples])),
      ]),
    );
  }
  return { catalogue: out, dropped };
}

/** Whether a sample holds a function other than a dispatching sample's methods (which are written as code). */
function holdsFunction(value: unknown, depth: number): boolean {
  if (typeof value === 'function') return true;
  if (!value || typeof value !== 'object' || depth > 20 || isActorStandIn(value)) return false;
  if (value instanceof Map) return [...value].some((e) => holdsFunction(e, depth + 1));
  if (value instanceof Set) return [...value].some((v) => holdsFunction(v, depth + 1));
  const calls = dispatchCallsOf(value);
  if (calls) return calls.some((c) => holdsFunction(c.value, depth + 1)) || Object.entries(value).some(([k, v]) => !calls.some((c) => c.method === k) && holdsFunction(v, depth + 1));
  return Object.values(value).some((v) => holdsFunction(v, depth + 1));
}

/** A dispatching sample's entries: its data fields, then its methods as code that calls back the same handler. */
function dispatchEntries(value: object, write: (v: unknown) => string): string[] | undefined {
  const calls = dispatchCallsOf(value);
  if (!calls) return undefined;
  const data = Object.entries(value).filter(([k]) => !calls.some((c) => c.method === k));
  return [...data.map(([k, v]) => `${key(k)}: ${write(v)}`), ...calls.map((c) => `${key(c.method)}: ${dispatchMethodSource(c, write(c.value))}`)];
}

/** A JavaScript literal: like JSON, with `undefined` kept, identifier keys bare, short values on one line. */
function literal(value: unknown, indent: string): string {
  const flat = inline(value);
  if (flat.length + indent.length <= 100 || isActorStandIn(value) || isBuiltinInstance(value)) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => `${inner}${literal(v, inner)},`).join('\n')}\n${indent}]`;
  if (value && typeof value === 'object') {
    const entries = dispatchEntries(value, (v) => literal(v, inner)) ?? Object.entries(value).map(([k, v]) => `${key(k)}: ${literal(v, inner)}`);
    return `{\n${entries.map((e) => `${inner}${e},`).join('\n')}\n${indent}}`;
  }
  return flat;
}

function inline(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (isActorStandIn(value)) return standInCall(value as object, inline);
  if (isBuiltinInstance(value)) return builtinCode(value, inline);
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  if (value && typeof value === 'object') {
    const entries = dispatchEntries(value, inline) ?? Object.entries(value).map(([k, v]) => `${key(k)}: ${inline(v)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  }
  return JSON.stringify(value) ?? 'undefined';
}

function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
