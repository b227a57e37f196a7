import type * as TS from 'typescript';
import { matchingString } from './regex-sample.ts';
import { LENGTH_KEY } from './samples.ts';
import ts from './ts.ts';

type Literal = string | number | boolean | null;

const MAX_PER_FIELD = 12;

/**
 * Literals that the source compares fields with, by field name: `context.jobStatus === 'SUCCEEDED'`,
 * `event.value > 8`, `switch (event.kind) { case 'a': … }`, `['a', 'b'].includes(x.mode)`. A guard that
 * compares a `string` field with a literal is satisfied by that literal; a number compared with 8 by 7, 8, 9.
 */
export function comparedLiterals(sources: readonly TS.SourceFile[], checker?: TS.TypeChecker): Map<string, Literal[]> {
  const literalOf = (node: TS.Node): Literal | undefined => syntaxLiteral(node) ?? (checker ? checkedLiteral(checker, node) : undefined);
  const byField = new Map<string, Set<Literal>>();
  const add = (field: string | undefined, value: Literal | undefined) => {
    if (!field || value === undefined) return;
    let set = byField.get(field);
    if (!set) byField.set(field, (set = new Set()));
    if (set.size < MAX_PER_FIELD) set.add(value);
  };
  // `list: ['a', 'b']` anywhere, and `x.list.includes(y.kind)` elsewhere: kind may be 'a' or 'b'.
  const arraysByField = new Map<string, Literal[]>();
  const includes: { item: string; list: string }[] = [];
  // Named functions' parameters, and the fields calls pass them (`isLobby(context.roomName)`: isLobby, 0, roomName).
  const params = new Map<string, string[]>();
  const copies: { target: string; source: string }[] = [];
  const calls: { callee: string; index: number; field: string }[] = [];
  const visit = (node: TS.Node) => {
    const fn = namedFunction(node);
    if (fn) params.set(fn.name, fn.params);
    // `assign({ freeText: ({ event }) => event.value })`: what freeText is compared with, value may need to be.
    if (ts.isPropertyAssignment(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      const init = skipParens(node.initializer);
      if ((ts.isArrowFunction(init) || ts.isFunctionExpression(init)) && !ts.isBlock(init.body)) {
        for (const value of returnedValues(init.body)) {
          const source = fieldOf(value);
          if (source && source !== node.name.text && copies.length < MAX_CALLS) copies.push({ target: node.name.text, source });
        }
      }
    }
    // `new URL(event.previewSearchParam, base)`: the field holds a URL; two of different origins tell origins apart.
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL' && node.arguments?.length) {
      const field = fieldOf(node.arguments[0]!);
      for (const url of URL_SAMPLES) add(field, url);
    }
    if (ts.isCallExpression(node)) {
      const callee = ts.isIdentifier(node.expression) ? node.expression.text : ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : undefined;
      if (callee)
        node.arguments.forEach((arg, index) => {
          const field = fieldOf(arg);
          if (field && calls.length < MAX_CALLS) calls.push({ callee, index, field });
        });
    }
    if (ts.isPropertyAssignment(node) && ts.isArrayLiteralExpression(node.initializer) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      const lits = node.initializer.elements.map(literalOf).filter((l): l is Literal => l !== undefined);
      if (lits.length) arraysByField.set(node.name.text, [...(arraysByField.get(node.name.text) ?? []), ...lits]);
    }
    if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
      const l = literalOf(node.left);
      const r = literalOf(node.right);
      if (l !== undefined && r === undefined) add(fieldOf(node.right), l);
      if (r !== undefined && l === undefined) add(fieldOf(node.left), r);
      // `context.freeText.trim().length >= 20`, `items.length > 1`: a length the field's value must reach.
      if (typeof l === 'number' && r === undefined) add(lengthOf(node.right), l);
      if (typeof r === 'number' && l === undefined) add(lengthOf(node.left), r);
      // `index < steps.length - 1`: both of the guard's outcomes need a list longer than the offsets, one more.
      if (l === undefined && r === undefined) {
        const offset = offsetOf(node.left) + offsetOf(node.right);
        for (const side of [node.left, node.right]) add(lengthOf(lengthSide(side)), offset + 1);
      }
    } else if (ts.isSwitchStatement(node)) {
      const field = fieldOf(node.expression);
      for (const clause of node.caseBlock.clauses) if (ts.isCaseClause(clause)) add(field, literalOf(clause.expression));
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.arguments.length >= 1) {
      const method = node.expression.name.text;
      const receiver = node.expression.expression;
      if (method === 'includes' && ts.isArrayLiteralExpression(receiver)) {
        const field = fieldOf(node.arguments[0]);
        for (const el of receiver.elements) add(field, literalOf(el));
      } else if (method === 'includes' && literalOf(node.arguments[0]) === undefined) {
        const item = fieldOf(node.arguments[0]);
        const list = fieldOf(receiver);
        if (item && list) includes.push({ item, list });
      } else if ((method === 'test' || method === 'exec') && regexOf(receiver, checker)) {
        // `ORDER_CODE.test(event.code)`: a string the pattern matches (the guard's other outcome gets '').
        const re = regexOf(receiver, checker)!;
        add(fieldOf(node.arguments[0]), matchingString(re.source, re.flags));
      } else if ((method === 'match' || method === 'search') && regexOf(node.arguments[0], checker)) {
        const re = regexOf(node.arguments[0], checker)!;
        add(fieldOf(receiver), matchingString(re.source, re.flags));
      } else if (method === 'startsWith' || method === 'endsWith' || method === 'includes') {
        const lit = literalOf(node.arguments[0]);
        if (typeof lit === 'string') add(fieldOf(receiver), method === 'endsWith' ? `sample${lit}` : `${lit}${method === 'includes' ? '' : 'sample'}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const source of sources) visit(source);
  for (const { item, list } of includes) for (const lit of arraysByField.get(list) ?? []) add(item, lit);
  // A field an assign copies into a compared one may need the same literals and lengths.
  for (const { target, source } of copies) {
    for (const key of ['', LENGTH_KEY]) for (const lit of byField.get(`${target}${key}`) ?? []) add(`${source}${key}`, lit);
  }
  // A helper compares its parameter (`const isLobby = (room: string) => room === 'lobby'`) and a guard passes it a
  // field (`isLobby(context.roomName)`): the field may be what the parameter is compared with. Helpers that call
  // helpers pass it on, a few calls deep.
  for (let round = 0; round < HELPER_DEPTH; round++) {
    let grew = false;
    for (const call of calls) {
      const param = params.get(call.callee)?.[call.index];
      if (!param || param === call.field) continue;
      for (const lit of byField.get(param) ?? []) {
        const before = byField.get(call.field)?.size ?? 0;
        add(call.field, lit);
        if ((byField.get(call.field)?.size ?? 0) > before) grew = true;
      }
    }
    if (!grew) break;
  }
  return new Map([...byField].map(([k, v]) => [k, [...v]]));
}

const HELPER_DEPTH = 3;
const URL_SAMPLES = ['https://example.com/', 'https://other.example/page'];
const MAX_CALLS = 20_000;

/** `function f(a, b)`, `const f = (a, b) => …`, `f(a) {…}` in an object or class: its name and plain parameters. */
function namedFunction(node: TS.Node): { name: string; params: string[] } | undefined {
  let name: string | undefined;
  let fn: TS.SignatureDeclaration | undefined;
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
    name = node.name.text;
    fn = node;
  } else if ((ts.isVariableDeclaration(node) || ts.isPropertyAssignment(node)) && ts.isIdentifier(node.name) && node.initializer) {
    const init = skipParens(node.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) {
      name = node.name.text;
      fn = init;
    }
  }
  if (!name || !fn) return undefined;
  return { name, params: fn.parameters.map((p) => (ts.isIdentifier(p.name) ? p.name.text : '')) };
}

/** The values an arrow's expression body yields: itself, or each branch of a conditional (`a ? event.value : ''`). */
function returnedValues(body: TS.Expression, depth = 0): TS.Expression[] {
  const b = skipParens(body);
  if (ts.isConditionalExpression(b) && depth < 3) return [...returnedValues(b.whenTrue, depth + 1), ...returnedValues(b.whenFalse, depth + 1)];
  return [b];
}

function skipParens(node: TS.Expression): TS.Expression {
  let n = node;
  while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n)) n = n.expression;
  return n;
}

const COMPARISONS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken,
]);

/**
 * A constant that is not spelled as a literal: an enum member (`Failure.SESSION_EXPIRED`) or a `const` with a
 * literal type. Asked of the checker only for names and property accesses, which it answers without inferring
 * anything around them.
 */
function checkedLiteral(checker: TS.TypeChecker, node: TS.Node): Literal | undefined {
  if (!ts.isPropertyAccessExpression(node) && !ts.isIdentifier(node)) return undefined;
  // `Enum.MEMBER` only when the left side names an enum (scope lookup is cheap; the member of an arbitrary
  // expression like `context.x` would need the type of `context`, which is inferred from the whole setup() call).
  if (ts.isPropertyAccessExpression(node)) {
    if (!ts.isIdentifier(node.expression)) return undefined;
    let left = checker.getSymbolAtLocation(node.expression);
    if (left && left.flags & ts.SymbolFlags.Alias) left = checker.getAliasedSymbol(left);
    if (!left) return undefined;
    // `Status.DONE` of `const Status = { DONE: 'done', … } as const`: an enum written as an object.
    if (!(left.flags & ts.SymbolFlags.Enum)) return constObjectMember(left, node.name.text);
  }
  let symbol = checker.getSymbolAtLocation(ts.isPropertyAccessExpression(node) ? node.name : node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  if (!symbol) return undefined;
  const decl = symbol.valueDeclaration;
  // From the declaration, never from the type of the use: asking for a type inside setup({...}) makes the checker
  // infer the whole call first (half a second on a large machine).
  if (symbol.flags & ts.SymbolFlags.EnumMember && decl && ts.isEnumMember(decl)) {
    const value = checker.getConstantValue(decl);
    return typeof value === 'string' || typeof value === 'number' ? value : undefined;
  }
  if (symbol.flags & ts.SymbolFlags.BlockScopedVariable && decl && ts.isVariableDeclaration(decl) && ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const && decl.initializer) {
    return syntaxLiteral(decl.initializer);
  }
  return undefined;
}

function constObjectMember(object: TS.Symbol, member: string): Literal | undefined {
  const decl = object.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) || !decl.initializer) return undefined;
  let init = skipParens(decl.initializer);
  // Object.freeze({ … })
  if (ts.isCallExpression(init) && init.arguments.length === 1 && ts.isPropertyAccessExpression(init.expression) && init.expression.name.text === 'freeze') init = skipParens(init.arguments[0]!);
  if (!ts.isObjectLiteralExpression(init)) return undefined;
  for (const p of init.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === member) return syntaxLiteral(skipParens(p.initializer));
  }
  return undefined;
}

function syntaxLiteral(node: TS.Node): Literal | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  return undefined;
}

/**
 * A regular expression an expression stands for: a literal (`/^\\d+$/`), `new RegExp('…', 'i')` of literals, or a
 * `const` declared as one of those (asked of the checker, from the declaration).
 */
function regexOf(node: TS.Node, checker: TS.TypeChecker | undefined, depth = 0): { source: string; flags: string } | undefined {
  const n = unwrap(node);
  if (ts.isRegularExpressionLiteral(n)) {
    const end = n.text.lastIndexOf('/');
    return { source: n.text.slice(1, end), flags: n.text.slice(end + 1) };
  }
  if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'RegExp' && n.arguments?.length) {
    const [source, flags] = n.arguments.map(syntaxLiteral);
    return typeof source === 'string' ? { source, flags: typeof flags === 'string' ? flags : '' } : undefined;
  }
  if (!ts.isIdentifier(n) || !checker || depth > 2) return undefined;
  let symbol = checker.getSymbolAtLocation(n);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
  const decl = symbol?.valueDeclaration;
  if (!decl || !ts.isVariableDeclaration(decl) || !(ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) || !decl.initializer) return undefined;
  return regexOf(decl.initializer, checker, depth + 1);
}

/** The numbers added or taken away at the top of an expression: `steps.length - 1` → 1, `i + 2` → 2, `i` → 0. */
function offsetOf(node: TS.Node): number {
  const n = unwrap(node);
  if (!ts.isBinaryExpression(n) || (n.operatorToken.kind !== ts.SyntaxKind.PlusToken && n.operatorToken.kind !== ts.SyntaxKind.MinusToken)) return 0;
  const k = syntaxLiteral(n.right) ?? syntaxLiteral(n.left);
  return typeof k === 'number' && Number.isInteger(k) && k > 0 && k < 8 ? k : 0;
}

/** `steps.length - 1` → `steps.length`: the length an offset is taken from. */
function lengthSide(node: TS.Node): TS.Node {
  const n = unwrap(node);
  if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.PlusToken || n.operatorToken.kind === ts.SyntaxKind.MinusToken)) return syntaxLiteral(n.right) !== undefined ? n.left : n.right;
  return n;
}

/** `x.items.length` → `items#length` (through `.trim()` and the like); undefined for anything but a length. */
function lengthOf(node: TS.Node): string | undefined {
  const n = unwrap(node);
  if (!ts.isPropertyAccessExpression(n) || n.name.text !== 'length') return undefined;
  const field = fieldOf(n.expression);
  return field && `${field}${LENGTH_KEY}`;
}

/** The field an expression reads: `context.a.b` → b, `x['k']` → k, `n` → n, `s.trim()` → s's field. */
function fieldOf(node: TS.Node): string | undefined {
  const n = unwrap(node);
  if (ts.isPropertyAccessExpression(n)) return n.name.text === 'length' ? fieldOf(n.expression) : n.name.text;
  if (ts.isElementAccessExpression(n) && ts.isStringLiteral(n.argumentExpression)) return n.argumentExpression.text;
  if (ts.isIdentifier(n)) return n.text;
  if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || n.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return fieldOf(n.left);
  if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) return fieldOf(n.expression.expression);
  return undefined;
}

/** `(x)`, `x as T`, `x!` → x. */
function unwrap(node: TS.Node): TS.Node {
  let n = node;
  while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n)) n = n.expression;
  return n;
}
