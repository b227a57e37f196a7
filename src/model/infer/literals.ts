import type * as TS from 'typescript';
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
  const visit = (node: TS.Node) => {
    if (ts.isPropertyAssignment(node) && ts.isArrayLiteralExpression(node.initializer) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
      const lits = node.initializer.elements.map(literalOf).filter((l): l is Literal => l !== undefined);
      if (lits.length) arraysByField.set(node.name.text, [...(arraysByField.get(node.name.text) ?? []), ...lits]);
    }
    if (ts.isBinaryExpression(node) && COMPARISONS.has(node.operatorToken.kind)) {
      const l = literalOf(node.left);
      const r = literalOf(node.right);
      if (l !== undefined && r === undefined) add(fieldOf(node.right), l);
      if (r !== undefined && l === undefined) add(fieldOf(node.left), r);
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
      } else if (method === 'startsWith' || method === 'endsWith' || method === 'includes') {
        const lit = literalOf(node.arguments[0]);
        if (typeof lit === 'string') add(fieldOf(receiver), method === 'endsWith' ? `sample${lit}` : `${lit}${method === 'includes' ? '' : 'sample'}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const source of sources) visit(source);
  for (const { item, list } of includes) for (const lit of arraysByField.get(list) ?? []) add(item, lit);
  return new Map([...byField].map(([k, v]) => [k, [...v]]));
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
    if (!left || !(left.flags & ts.SymbolFlags.Enum)) return undefined;
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

function syntaxLiteral(node: TS.Node): Literal | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  return undefined;
}

/** The field an expression reads: `context.a.b` → b, `x['k']` → k, `n` → n, `s.trim()` → s's field. */
function fieldOf(node: TS.Node): string | undefined {
  let n = node;
  while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isNonNullExpression(n)) n = n.expression;
  if (ts.isPropertyAccessExpression(n)) return n.name.text === 'length' ? fieldOf(n.expression) : n.name.text;
  if (ts.isElementAccessExpression(n) && ts.isStringLiteral(n.argumentExpression)) return n.argumentExpression.text;
  if (ts.isIdentifier(n)) return n.text;
  if (ts.isBinaryExpression(n) && (n.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || n.operatorToken.kind === ts.SyntaxKind.BarBarToken)) return fieldOf(n.left);
  if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) return fieldOf(n.expression.expression);
  return undefined;
}
