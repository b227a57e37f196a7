import type * as TS from 'typescript';
import ts from './ts.ts';
import type { TypedModule } from './program.ts';
import type { DispatchMethod, ReturningMethod, Shape, ShapeField } from './shape.ts';

/** What a machine's TypeScript types say about its events, input and services. */
export interface MachineTypes {
  /** User events by `type` literal: the payload fields beside `type`. */
  events: { type: string; payload: Shape }[];
  input?: Shape;
  context?: Shape;
  /**
   * Per `src` name in `setup({ actors })`: what the actor takes and what it finishes with, and for one that emits
   * values as snapshots (`fromObservable<T>`), what their `context` holds.
   */
  actors: Record<string, { input?: Shape; output?: Shape; snapshotContext?: Shape }>;
}

const MAX_DEPTH = 10;
const MAX_FIELDS = 40;
const MAX_OPTIONS = 24;

/**
 * Reads the type arguments of the exported machine (`StateMachine<TContext, TEvent, TChildren, TActor, …, TInput,
 * TOutput, …>`): the same types whether they came from `setup({ types })`, `createMachine({ types })` or inference.
 * Returns undefined when the export is not typed as a machine (plain JS, `any`).
 */
export function readMachineTypes(mod: TypedModule, exportName: string): MachineTypes | undefined {
  return readFromSetup(mod, exportName) ?? readFromMachineType(mod, exportName);
}

/**
 * The cheap way: find the `setup({ types, actors })` / `createMachine({ types })` call the export is built from and
 * ask the checker for the types of those few expressions only. Checking the whole `createMachine` call (what the
 * export's type needs) costs seconds on a large machine; this costs milliseconds.
 */
function readFromSetup(mod: TypedModule, exportName: string): MachineTypes | undefined {
  const { checker } = mod;
  const calls = machineCalls(checker, mod.exportDeclaration(exportName));
  if (!calls) return undefined;
  const typesOf = (obj: TS.ObjectLiteralExpression | undefined) => property(obj, 'types');
  const types = typesOf(calls.setup) ?? typesOf(calls.config);
  const typeOfProp = (name: string): TS.Type | undefined => {
    if (!types) return undefined;
    if (ts.isObjectLiteralExpression(types)) {
      const p = property(types, name);
      return p ? typeOfExpression(checker, p) : undefined;
    }
    // `types: {} as { events: E; ... }`
    const prop = typeOfExpression(checker, types).getProperty(name);
    return prop ? checker.getTypeOfSymbol(prop) : undefined;
  };
  const event = typeOfProp('events');
  const input = typeOfProp('input');
  const context = typeOfProp('context');
  const actors: MachineTypes['actors'] = {};
  const actorsObj = property(calls.setup, 'actors') ?? property(calls.implementations, 'actors');
  if (actorsObj && ts.isObjectLiteralExpression(actorsObj)) {
    for (const p of actorsObj.properties) {
      const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
      if (!name) continue;
      const at = ts.isPropertyAssignment(p) ? p.initializer : ts.isShorthandPropertyAssignment(p) ? p.name : undefined;
      if (!at) continue;
      const emitted = observed(checker, at);
      actors[name] = { output: outputShape(checker, actorOutput(checker, at)), ...(emitted ? { snapshotContext: emitted } : {}) };
    }
  }
  return {
    events: event ? eventShapes(checker, event) : [],
    input: input && isUseful(input) ? shapeOf(checker, input) : undefined,
    ...(context && isUseful(context) ? { context: shapeOf(checker, context) } : {}),
    actors,
  };
}

/**
 * The type of an expression, cheaply where the source spells it out: `{} as T` is T without checking the call
 * around it (asking the checker for an expression inside `setup({...})` makes it infer the whole call first).
 */
function typeOfExpression(checker: TS.TypeChecker, expr: TS.Expression): TS.Type {
  if (ts.isAsExpression(expr) || ts.isTypeAssertionExpression(expr) || ts.isSatisfiesExpression(expr)) return checker.getTypeFromTypeNode(expr.type);
  return checker.getTypeAtLocation(expr);
}

/**
 * What an actor in `setup({ actors })` finishes with. Read from the source where it is written down (the first type
 * argument of `fromPromise<Output, Input>`, the function's return annotation); callbacks finish with nothing; the
 * checker infers the rest.
 */
function actorOutput(checker: TS.TypeChecker, at: TS.Expression): TS.Type | 'nothing' | undefined {
  const expr = skipWrappers(at) as TS.Expression;
  if (ts.isCallExpression(expr)) {
    const callee = skipWrappers(expr.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    if (name === 'fromCallback') return 'nothing';
    if (name === 'fromPromise') {
      const explicit = expr.typeArguments?.[0];
      if (explicit) return checker.getTypeFromTypeNode(explicit);
      const fn = expr.arguments[0] && skipWrappers(expr.arguments[0]);
      if (fn && (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn)) && fn.type) {
        const declared = checker.getTypeFromTypeNode(fn.type);
        return checker.getAwaitedType(declared) ?? declared;
      }
    }
  }
  // A call with explicit type arguments (`notProvided<Out, In>('x')`) resolves without the setup() call around it;
  // asking for the call's type in place would make the checker infer that whole call first.
  const logic = ts.isIdentifier(expr)
    ? identifierType(checker, expr)
    : ts.isCallExpression(expr) && expr.typeArguments?.length
      ? resolvedReturnType(checker, expr)
      : checker.getTypeAtLocation(expr);
  const machineArgs = logic ? machineTypeArguments(checker, logic) : undefined;
  if (machineArgs) return isUseful(machineArgs[10]) || isVoid(machineArgs[10]) ? machineArgs[10] : undefined;
  return logic ? logicOutput(checker, logic) : undefined;
}

/**
 * What an observable actor's snapshots hold as their `context`: the value it last emitted, the first type argument
 * of `fromObservable<T, Input>(…)` (as written: inferring it from the function would infer the setup() call around it).
 */
function observed(checker: TS.TypeChecker, at: TS.Expression): Shape | undefined {
  const expr = skipWrappers(at) as TS.Expression;
  if (!ts.isCallExpression(expr)) return undefined;
  const callee = skipWrappers(expr.expression);
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  const explicit = name === 'fromObservable' ? expr.typeArguments?.[0] : undefined;
  if (!explicit) return undefined;
  const type = checker.getTypeFromTypeNode(explicit);
  return isUseful(type) ? shapeOf(checker, type) : undefined;
}

/**
 * An actor's output as a Shape. `void` (`fromPromise(async () => { await work(); })`) and a callback say the actor
 * finishes with nothing: `{ kind: 'undefined' }`, no samples. Only a type that says nothing at all (none, `any`)
 * is undefined here, and gets the structural guesses.
 */
function outputShape(checker: TS.TypeChecker, output: TS.Type | 'nothing' | undefined): Shape | undefined {
  if (output === 'nothing') return { kind: 'undefined' };
  return output ? shapeOf(checker, output) : undefined;
}

function isVoid(t: TS.Type): boolean {
  return !!(t.flags & ts.TypeFlags.Void);
}

function resolvedReturnType(checker: TS.TypeChecker, call: TS.CallExpression): TS.Type | undefined {
  const signature = checker.getResolvedSignature(call);
  return signature ? checker.getReturnTypeOfSignature(signature) : undefined;
}

/** The type of what an identifier names, from its own declaration (outside any call being inferred). */
function identifierType(checker: TS.TypeChecker, id: TS.Identifier): TS.Type | undefined {
  let symbol = checker.getSymbolAtLocation(id);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  return symbol ? checker.getTypeOfSymbol(symbol) : undefined;
}

/** The expensive way, for machines built in ways `machineCalls` does not follow: the export's own type. */
function readFromMachineType(mod: TypedModule, exportName: string): MachineTypes | undefined {
  const { checker } = mod;
  const type = mod.exportType(exportName);
  if (!type) return undefined;
  const args = machineTypeArguments(checker, type);
  if (!args) return undefined;
  const [, event, , actor, , , , , , input] = args;
  const actors: MachineTypes['actors'] = {};
  for (const member of unionMembers(actor)) {
    const srcProp = member.getProperty('src');
    const logicProp = member.getProperty('logic');
    if (!srcProp || !logicProp) continue;
    const src = checker.getTypeOfSymbol(srcProp);
    if (!src.isStringLiteral()) continue;
    actors[src.value] = { output: outputShape(checker, logicOutput(checker, checker.getTypeOfSymbol(logicProp))) };
  }
  return { events: eventShapes(checker, event), input: isUseful(input) ? shapeOf(checker, input) : undefined, actors };
}

function eventShapes(checker: TS.TypeChecker, event: TS.Type): MachineTypes['events'] {
  const events: MachineTypes['events'] = [];
  for (const member of unionMembers(event)) {
    const typeProp = member.getProperty('type');
    if (!typeProp) continue;
    for (const literal of unionMembers(checker.getTypeOfSymbol(typeProp))) {
      if (!literal.isStringLiteral()) continue;
      events.push({ type: literal.value, payload: objectShape(checker, member, new Set(['type']), 0) });
    }
  }
  return events;
}

/** The `setup(...)` and `createMachine(...)` object arguments an expression is built from. */
function machineCalls(checker: TS.TypeChecker, start: TS.Node | undefined): { setup?: TS.ObjectLiteralExpression; config?: TS.ObjectLiteralExpression; implementations?: TS.ObjectLiteralExpression } | undefined {
  let node: TS.Node | undefined = start;
  if (node && ts.isVariableDeclaration(node)) node = node.initializer;
  if (node && ts.isExportAssignment(node)) node = node.expression;
  for (let hops = 0; node && hops < 8; hops++) {
    node = skipWrappers(node);
    if (ts.isIdentifier(node)) {
      node = declarationOf(checker, node);
      continue;
    }
    if (!ts.isCallExpression(node)) return undefined;
    const callee = skipWrappers(node.expression);
    const arg0 = node.arguments[0] && skipWrappers(node.arguments[0]);
    const objectArg = arg0 && ts.isObjectLiteralExpression(arg0) ? arg0 : undefined;
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text;
      if (method === 'createMachine') {
        const setupCall = resolveSetupCall(checker, callee.expression);
        return { setup: setupCall, config: objectArg };
      }
      if (method === 'provide') {
        node = callee.expression;
        continue;
      }
      // A method that builds the machine (`new Action(args).makeStateMachine(api)`): what it returns.
      node = returnedExpression(checker, callee.name);
      continue;
    }
    if (ts.isIdentifier(callee) && (callee.text === 'createMachine' || callee.text === 'setup')) {
      // `createMachine(config, { actors, guards })`: the actors are given in the second argument.
      const arg1 = node.arguments[1] && skipWrappers(node.arguments[1]);
      return { config: objectArg, ...(callee.text === 'createMachine' && arg1 && ts.isObjectLiteralExpression(arg1) ? { implementations: arg1 } : {}) };
    }
    // A factory (`createRequestMachine<Msg>()`, `function makeMachine(deps) { ... return setup(...).createMachine(...) }`).
    if (ts.isIdentifier(callee)) {
      node = returnedExpression(checker, callee);
      continue;
    }
    return undefined;
  }
  return undefined;
}

/**
 * What a function or method named by `name` returns, read from its declaration: the body of an arrow function, or
 * the first `return` of its body (not of functions nested in it) whose expression is a call. The checker only
 * resolves the name (the method of the receiver's class, a subclass's override included), never infers a call.
 */
function returnedExpression(checker: TS.TypeChecker, name: TS.Node): TS.Node | undefined {
  let symbol = checker.getSymbolAtLocation(name);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  let decl: TS.Node | undefined = symbol?.valueDeclaration ?? symbol?.declarations?.find((d) => ts.isFunctionLike(d) && 'body' in d && d.body);
  if (decl && (ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertyAssignment(decl))) decl = decl.initializer && skipWrappers(decl.initializer);
  if (!decl || !(ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl) || ts.isArrowFunction(decl) || ts.isFunctionExpression(decl))) return undefined;
  const body = decl.body;
  if (!body) return undefined;
  if (!ts.isBlock(body)) return body;
  const returns: TS.Expression[] = [];
  const visit = (node: TS.Node) => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) returns.push(node.expression);
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return returns.find((r) => ts.isCallExpression(skipWrappers(r))) ?? returns[0];
}

function resolveSetupCall(checker: TS.TypeChecker, expr: TS.Node): TS.ObjectLiteralExpression | undefined {
  let node: TS.Node | undefined = expr;
  for (let hops = 0; node && hops < 8; hops++) {
    node = skipWrappers(node);
    if (ts.isIdentifier(node)) {
      node = declarationOf(checker, node);
      if (node && ts.isVariableDeclaration(node)) node = node.initializer;
      continue;
    }
    if (ts.isCallExpression(node)) {
      const callee = skipWrappers(node.expression);
      // setup({...}).extend?  Only plain setup({...}) is read.
      if (ts.isIdentifier(callee) && callee.text === 'setup') {
        const arg = node.arguments[0] && skipWrappers(node.arguments[0]);
        return arg && ts.isObjectLiteralExpression(arg) ? arg : undefined;
      }
    }
    return undefined;
  }
  return undefined;
}

function declarationOf(checker: TS.TypeChecker, id: TS.Identifier): TS.Node | undefined {
  let symbol = checker.getSymbolAtLocation(id);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  if (decl && ts.isVariableDeclaration(decl)) return decl.initializer;
  return decl;
}

function skipWrappers(node: TS.Node): TS.Node {
  let n = node;
  while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isNonNullExpression(n) || ts.isTypeAssertionExpression(n)) n = n.expression;
  return n;
}

function property(obj: TS.ObjectLiteralExpression | undefined, name: string): TS.Expression | undefined {
  if (!obj) return undefined;
  for (const p of obj.properties) {
    if (!p.name || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) || p.name.text !== name) continue;
    if (ts.isPropertyAssignment(p)) return p.initializer;
    if (ts.isShorthandPropertyAssignment(p)) return p.name;
  }
  return undefined;
}

function machineTypeArguments(checker: TS.TypeChecker, type: TS.Type): readonly TS.Type[] | undefined {
  // Through a union (`machine | undefined`) or an alias, find the StateMachine reference.
  for (const t of unionMembers(type)) {
    const symbol = t.getSymbol();
    if (symbol?.name === 'StateMachine' && (t as TS.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
      const args = checker.getTypeArguments(t as TS.TypeReference);
      if (args.length >= 11) return args;
    }
  }
  return undefined;
}

/** ActorLogic's input: the second parameter of `getInitialSnapshot(actorScope, input)`. */
function logicInput(checker: TS.TypeChecker, logic: TS.Type): TS.Type | undefined {
  const sig = methodSignature(checker, logic, 'getInitialSnapshot');
  const param = sig?.getParameters()[1];
  if (!param) return undefined;
  const t = checker.getTypeOfSymbol(param);
  return isUseful(t) ? t : undefined;
}

/** ActorLogic's output: `output` of the snapshot variant whose `status` is `'done'`. */
function logicOutput(checker: TS.TypeChecker, logic: TS.Type): TS.Type | undefined {
  const sig = methodSignature(checker, logic, 'getInitialSnapshot');
  if (!sig) return undefined;
  const snapshot = checker.getReturnTypeOfSignature(sig);
  const outputs: TS.Type[] = [];
  for (const variant of unionMembers(snapshot)) {
    const status = variant.getProperty('status');
    const output = variant.getProperty('output');
    if (!status || !output) continue;
    const st = checker.getTypeOfSymbol(status);
    if (st.isStringLiteral() && st.value === 'done') outputs.push(checker.getTypeOfSymbol(output));
  }
  const out = outputs[0];
  return out && (isUseful(out) || isVoid(out)) ? out : undefined;
}

function methodSignature(checker: TS.TypeChecker, type: TS.Type, name: string): TS.Signature | undefined {
  const prop = type.getProperty(name);
  if (!prop) return undefined;
  return checker.getTypeOfSymbol(prop).getCallSignatures()[0];
}

function isUseful(t: TS.Type): boolean {
  return !(t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never | ts.TypeFlags.Void));
}

function unionMembers(t: TS.Type): TS.Type[] {
  return t.isUnion() ? t.types : [t];
}

/** The checker's type as a Shape, bounded in depth and breadth; cycles become `unknown`. */
export function shapeOf(checker: TS.TypeChecker, type: TS.Type, depth = 0, seen = new Set<TS.Type>()): Shape {
  const f = type.flags;
  if (depth > MAX_DEPTH) return { kind: 'unknown' };
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.Never | ts.TypeFlags.NonPrimitive)) return { kind: 'unknown' };
  if (f & (ts.TypeFlags.Undefined | ts.TypeFlags.Void)) return { kind: 'undefined' };
  if (f & ts.TypeFlags.Null) return { kind: 'literal', value: null };
  if (type.isStringLiteral()) return { kind: 'literal', value: type.value };
  if (type.isNumberLiteral()) return { kind: 'literal', value: type.value };
  if (f & ts.TypeFlags.BooleanLiteral) return { kind: 'literal', value: (type as unknown as { intrinsicName: string }).intrinsicName === 'true' };
  if (f & ts.TypeFlags.EnumLiteral && type.isUnion()) return union(type.types.map((t) => shapeOf(checker, t, depth + 1, seen)));
  if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral | ts.TypeFlags.StringMapping)) return { kind: 'string' };
  if (f & (ts.TypeFlags.Number | ts.TypeFlags.BigInt)) return { kind: 'number' };
  if (f & ts.TypeFlags.Boolean) return { kind: 'boolean' };
  if (type.isUnion()) {
    // `boolean` is `true | false` inside a union.
    const options = type.types.map((t) => shapeOf(checker, t, depth, seen));
    return union(options);
  }
  if (seen.has(type)) return { kind: 'unknown' };
  seen.add(type);
  try {
    if (checker.isTupleType(type)) {
      return { kind: 'tuple', items: checker.getTypeArguments(type as TS.TypeReference).map((t) => shapeOf(checker, t, depth + 1, seen)) };
    }
    if (checker.isArrayType(type)) {
      const [item] = checker.getTypeArguments(type as TS.TypeReference);
      return { kind: 'array', item: item ? shapeOf(checker, item, depth + 1, seen) : { kind: 'unknown' } };
    }
    if (type.getCallSignatures().length > 0) return { kind: 'unknown' };
    const name = type.getSymbol()?.name;
    if (name === 'Date' || name === 'URL') return { kind: 'instance', of: name };
    if ((name === 'Map' || name === 'Set' || name === 'ReadonlyMap' || name === 'ReadonlySet') && (type as TS.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
      const [key, value] = checker.getTypeArguments(type as TS.TypeReference).map((t) => shapeOf(checker, t, depth + 1, seen));
      if (key) return name.endsWith('Map') ? { kind: 'collection', of: 'Map', key, value: value ?? { kind: 'unknown' } } : { kind: 'collection', of: 'Set', key };
    }
    if (name === 'Map' || name === 'Set' || name === 'Promise' || name === 'RegExp') return { kind: 'unknown' };
    // An actor ref is known by what XState's refs all have; its fields (a system, a scheduler) are no data to make.
    if (type.getProperty('send') && type.getProperty('getSnapshot') && type.getProperty('sessionId')) return actorShape(checker, type, depth, seen);
    if (type.isIntersection() || f & ts.TypeFlags.Object) {
      const index = checker.getIndexInfosOfType(type)[0];
      if (index && type.getProperties().length === 0) return { kind: 'record', value: shapeOf(checker, index.type, depth + 1, seen) };
      return objectShape(checker, type, new Set(), depth, seen);
    }
    return { kind: 'unknown' };
  } finally {
    seen.delete(type);
  }
}

/** An actor ref, with the context type of its snapshot (`getSnapshot(): MachineSnapshot<Ctx, …>`) where it is useful. */
function actorShape(checker: TS.TypeChecker, ref: TS.Type, depth: number, seen: Set<TS.Type>): Shape {
  const sig = methodSignature(checker, ref, 'getSnapshot');
  if (!sig || depth > MAX_DEPTH - 3) return { kind: 'actor' };
  for (const variant of unionMembers(checker.getReturnTypeOfSignature(sig))) {
    const prop = variant.getProperty('context');
    if (!prop) continue;
    const context = checker.getTypeOfSymbol(prop);
    if (!isUseful(context) || context.flags & ts.TypeFlags.Undefined) continue;
    const shape = shapeOf(checker, context, depth + 1, seen);
    return shape.kind === 'object' || shape.kind === 'record' ? { kind: 'actor', context: shape } : { kind: 'actor' };
  }
  return { kind: 'actor' };
}

function objectShape(checker: TS.TypeChecker, type: TS.Type, skip: Set<string>, depth: number, seen = new Set<TS.Type>()): Shape {
  const fields: ShapeField[] = [];
  let methods = false;
  const dispatch: DispatchMethod[] = [];
  const returning: ReturningMethod[] = [];
  for (const prop of checker.getPropertiesOfType(type).slice(0, MAX_FIELDS)) {
    if (skip.has(prop.name)) continue;
    const decl = prop.valueDeclaration ?? prop.declarations?.[0];
    const propType = decl ? checker.getTypeOfSymbolAtLocation(prop, decl) : checker.getTypeOfSymbol(prop);
    if (propType.getCallSignatures().length > 0) {
      // Methods are not data, but one that calls back a handler can be made (see DispatchMethod), and any other
      // as a stub returning a sample (see ReturningMethod).
      methods = true;
      const d = dispatchMethod(checker, prop.name, propType, depth, seen);
      if (d && dispatch.length < MAX_DISPATCH) dispatch.push(d);
      else if (!d && returning.length < MAX_RETURNING) returning.push(returningMethod(checker, prop.name, propType, depth, seen));
      continue;
    }
    const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
    fields.push({ name: prop.name, shape: shapeOf(checker, propType, depth + 1, seen), optional });
  }
  const shape: Extract<Shape, { kind: 'object' }> = methods ? { kind: 'object', fields, methods } : { kind: 'object', fields };
  if (dispatch.length) shape.dispatch = dispatch;
  if (returning.length) shape.returning = returning;
  return shape;
}

const MAX_DISPATCH = 4;
const MAX_RETURNING = 8;

/** A method as a stub: its return type's shape, awaited when it is a promise. */
function returningMethod(checker: TS.TypeChecker, name: string, methodType: TS.Type, depth: number, seen: Set<TS.Type>): ReturningMethod {
  const signature = methodType.getCallSignatures()[0]!;
  const returned = checker.getReturnTypeOfSignature(signature);
  // `Promise<T>`, or `Promise<T> | T` (a method that may be async): the stub resolves to T.
  const promise = (returned.isUnion() ? returned.types : [returned]).some((t) => t.getSymbol()?.name === 'Promise');
  const awaited = promise ? checker.getAwaitedType(returned) : undefined;
  const type = awaited ?? returned;
  const returns: Shape = depth > MAX_DEPTH - 2 ? { kind: 'unknown' } : shapeOf(checker, type, depth + 1, seen);
  return { method: name, returns, async: awaited !== undefined };
}
const MAX_HANDLERS = 6;

/**
 * A method whose parameters are handlers (functions, or an object of functions): `caseOf(p: { Left: (l: L) => T;
 * Right: (r: R) => T })`, `match(ok: (v: V) => T, err: (e: E) => T)`. Undefined for any other method.
 */
function dispatchMethod(checker: TS.TypeChecker, name: string, methodType: TS.Type, depth: number, seen: Set<TS.Type>): DispatchMethod | undefined {
  const signature = methodType.getCallSignatures()[0];
  if (!signature || depth > MAX_DEPTH - 2) return undefined;
  const handlers: DispatchMethod['handlers'] = [];
  const firstParam = (fn: TS.Type): Shape | undefined => {
    const sig = fn.getCallSignatures()[0];
    if (!sig) return undefined;
    const p = sig.getParameters()[0];
    return p ? shapeOf(checker, checker.getTypeOfSymbol(p), depth + 2, seen) : { kind: 'undefined' };
  };
  signature.getParameters().forEach((param, index) => {
    const t = checker.getNonNullableType(checker.getTypeOfSymbol(param));
    const direct = firstParam(t);
    if (direct) {
      handlers.push({ index, param: direct });
      return;
    }
    if (!(t.flags & ts.TypeFlags.Object)) return;
    const props = checker.getPropertiesOfType(t);
    if (!props.length) return;
    const each = props.map((p) => ({ key: p.name, param: firstParam(checker.getNonNullableType(checker.getTypeOfSymbol(p))) }));
    if (each.every((h) => h.param)) for (const h of each) handlers.push({ index, key: h.key, param: h.param! });
  });
  return handlers.length >= 2 ? { method: name, handlers: handlers.slice(0, MAX_HANDLERS) } : undefined;
}

function union(options: Shape[]): Shape {
  const flat: Shape[] = [];
  for (const o of options) {
    if (o.kind === 'union') flat.push(...o.options);
    else flat.push(o);
  }
  const bools = flat.filter((o) => o.kind === 'literal' && typeof o.value === 'boolean');
  const rest = flat.filter((o) => !(o.kind === 'literal' && typeof o.value === 'boolean'));
  // `undefined` last: an optional field's default sample is the field present.
  const ordered = [...rest.filter((o) => o.kind !== 'undefined'), ...rest.filter((o) => o.kind === 'undefined')];
  const merged = bools.length === 2 ? [{ kind: 'boolean' } as Shape, ...ordered] : bools.length === 1 ? [...bools, ...ordered] : ordered;
  return merged.length === 1 ? merged[0] : { kind: 'union', options: merged.slice(0, MAX_OPTIONS) };
}
