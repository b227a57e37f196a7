import { dispatchMethodSource, propertyName } from '../model/dispatch-probe.ts';
import { isActorStandIn, standInCall } from '../model/actor-stand-in.ts';
import { builtinCode, isBuiltinInstance } from '../model/builtin-code.ts';
import { dispatchCallsOf } from '../model/infer/samples.ts';

/** Longest value written on one line. */
const FLAT_WIDTH = 100;

/** What a dispatching object is swapped for while JSON.stringify writes the rest (no sample's string starts so). */
const NONCE = '\u0000lifecycle-kit sample ';

/**
 * A sample (an event, a service's output, an input) as source code in a generated test: JSON, compact on one line
 * when short, else indented to fit the surrounding code (`indent` spaces). A sample with a dispatching object in it
 * (an `Either` inferred from the types or made again from a child machine's output: `dispatchCallsOf`) is JSON but
 * for that object, written as an object literal whose methods call back the same handler with the same value, so
 * the test hands the machine what the model did:
 * `{ caseOf: (h: { Right(value: unknown): unknown }) => h.Right({"currentApp":"BOLOS"}) }`. The parameters are
 * typed, so the file type-checks under `strict`. Pure.
 *
 * @example
 * sampleCode({ type: 'x', n: 1 }, 6); // '{"type":"x","n":1}'
 */
export function sampleCode(value: unknown, indent: number): string {
  if (value === undefined) return 'undefined';
  const flat = stringify(value, false);
  if (flat.length <= FLAT_WIDTH) return flat;
  return stringify(value, true).replace(/\n/g, `\n${' '.repeat(indent)}`);
}

/**
 * JSON.stringify's text (with `pretty`, its two-space layout), each dispatching object in it written as code in its
 * place: the object is swapped for a placeholder string, which the code then replaces at the placeholder's indent.
 */
function stringify(value: unknown, pretty: boolean): string {
  if (value === undefined) return 'undefined';
  const found: object[] = [];
  const text = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key, json: unknown) {
      // The holder's own value: JSON has already replaced an actor by its `toJSON()` in `json`.
      const v = this[key];
      if (v && typeof v === 'object' && (dispatchCallsOf(v) || isActorStandIn(v) || isBuiltinInstance(v))) {
        found.push(v);
        return `${NONCE}${found.length - 1}`;
      }
      return json;
    },
    pretty ? 2 : undefined,
  );
  if (!found.length) return text;
  const quoted = JSON.stringify(NONCE).slice(1, -1);
  const pattern = new RegExp(`"${quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)"`, 'g');
  return text.replace(pattern, (_m, i: string, offset: number) => {
    const lineStart = text.lastIndexOf('\n', offset) + 1;
    const pad = /^ */.exec(text.slice(lineStart))![0].length;
    return objectCode(found[Number(i)]!, pretty).replace(/\n/g, `\n${' '.repeat(pad)}`);
  });
}

/** A dispatching object as an object literal: its data fields as JSON, then its methods. An actor stand-in as the call that makes one. */
function objectCode(o: object, pretty: boolean): string {
  if (isActorStandIn(o)) return standInCall(o, (context) => stringify(context, false));
  if (isBuiltinInstance(o)) return builtinCode(o, (v) => stringify(v, false));
  const calls = dispatchCallsOf(o)!;
  const methods = new Set(calls.map((c) => c.method));
  const entries = Object.entries(o)
    .filter(([k, v]) => !methods.has(k) && v !== undefined && typeof v !== 'function')
    .map(([k, v]) => `${JSON.stringify(k)}: ${stringify(v, pretty)}`);
  for (const c of calls) entries.push(`${propertyName(c.method)}: ${dispatchMethodSource(c, stringify(c.value, pretty))}`);
  if (!pretty) return `{ ${entries.join(', ')} }`;
  return `{\n${entries.map((e) => `  ${e.replace(/\n/g, '\n  ')}`).join(',\n')}\n}`;
}
