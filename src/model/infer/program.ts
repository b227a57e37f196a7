import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as TS from 'typescript';
import ts from './ts.ts';

/** A machine module opened with the TypeScript checker: the one place that uses the compiler API. */
export interface TypedModule {
  checker: TS.TypeChecker;
  source: TS.SourceFile;
  /** The type of an export of the module, or undefined when it has no such export. */
  exportType(name: string): TS.Type | undefined;
  /** The declaration an export names (`const m = …`, `export default …`), followed through re-exports. */
  exportDeclaration(name: string): TS.Node | undefined;
  /** Source files of the program that belong to the user (not lib, not node_modules). */
  ownSources(): TS.SourceFile[];
}

const OPTIONS: TS.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  allowJs: true,
  checkJs: false,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  skipDefaultLibCheck: true,
  resolveJsonModule: true,
  esModuleInterop: true,
  // Node's own types are not needed to read a machine's types, and loading them costs ~0.3 s.
  types: [],
  // The parts of the standard library that data types use; the whole of ES2022 costs twice as much to load.
  lib: ['lib.es5.d.ts', 'lib.es2015.core.d.ts', 'lib.es2015.promise.d.ts', 'lib.es2015.collection.d.ts', 'lib.es2015.symbol.d.ts', 'lib.es2015.iterable.d.ts', 'lib.es2017.object.d.ts'],
};

/**
 * The web platform's URL, which machines type fields and payloads with: neither Node's types nor the DOM's are
 * loaded (see OPTIONS), and without it a `URL` would read as `any`. Only what samples need.
 */
const GLOBALS_NAME = 'lifecycle-kit.globals.d.ts';
const GLOBALS = `interface URL { readonly href: string; readonly origin: string; readonly protocol: string; readonly host: string; readonly hostname: string; readonly pathname: string; readonly search: string; readonly hash: string; toString(): string; toJSON(): string }
declare var URL: { prototype: URL; new (url: string | URL, base?: string | URL): URL };
`;

/**
 * Opens `file` with the checker. Returns undefined when TypeScript cannot read it (not a module, no source).
 * Type errors in the user's code do not matter: the checker still computes the types it can.
 */
export function openTypedModule(file: string): TypedModule | undefined {
  if (!existsSync(file)) return undefined;
  const host = ts.createCompilerHost(OPTIONS, true);
  // Doc comments carry no types in TypeScript files; not parsing them takes a quarter off building the program
  // (lib.es5.d.ts alone is 200 KB, mostly comments). JavaScript files keep their JSDoc types.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeInfo;
  const es5 = join(dirname(host.getDefaultLibFileName(OPTIONS)), 'lib.es5.d.ts');
  const globals = join(dirname(es5), GLOBALS_NAME);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === globals || fileExists(name);
  host.getSourceFile = (name, languageVersion, ...rest) => {
    if (name === globals) return ts.createSourceFile(name, GLOBALS, languageVersion, true);
    if (name !== es5) return getSourceFile(name, languageVersion, ...rest);
    const text = host.readFile(name);
    return text === undefined ? undefined : ts.createSourceFile(name, withoutTypedArrays(text), languageVersion, true);
  };
  const options = { ...OPTIONS, ...nearestTsconfigPaths(file) };
  const program = ts.createProgram({ rootNames: [file, globals], options, host });
  const source = program.getSourceFile(file);
  if (!source) return undefined;
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exports = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
  return {
    checker,
    source,
    exportType(name) {
      const symbol = exports.find((s) => s.name === name);
      if (!symbol) return undefined;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return checker.getTypeOfSymbolAtLocation(target, source);
    },
    exportDeclaration(name) {
      const symbol = exports.find((s) => s.name === name);
      if (!symbol) return undefined;
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return target.valueDeclaration ?? target.declarations?.[0];
    },
    ownSources() {
      return program.getSourceFiles().filter((s) => !s.isDeclarationFile && !s.fileName.includes('/node_modules/'));
    },
  };
}

/**
 * lib.es5.d.ts with its ten typed arrays (61% of the file) cut to their element access, length and buffer: samples
 * are data and never a typed array, and parsing them was an eighth of the time inference takes. When the markers
 * are not found (another TypeScript), the file is left whole.
 */
export function withoutTypedArrays(lib: string): string {
  const start = lib.search(/^interface Int8Array\b/m);
  const endMark = /^declare var Float64Array: Float64ArrayConstructor;$/m.exec(lib);
  if (start < 0 || !endMark || endMark.index < start) return lib;
  const names = [...lib.slice(start, endMark.index).matchAll(/^interface (\w+Array)</gm)].map((m) => m[1]);
  const stubs = names.map(
    (name) =>
      `interface ${name}<TArrayBuffer extends ArrayBufferLike = ArrayBufferLike> { readonly buffer: TArrayBuffer; readonly length: number; [index: number]: number; }\n` +
      `interface ${name}Constructor { new (length?: number): ${name}<ArrayBuffer>; readonly BYTES_PER_ELEMENT: number; }\n` +
      `declare var ${name}: ${name}Constructor;\n`,
  );
  return lib.slice(0, start) + stubs.join('') + lib.slice(endMark.index + endMark[0].length);
}

/** A user's `paths` mapping matters for resolving their imports; nothing else of their tsconfig does. */
function nearestTsconfigPaths(file: string): TS.CompilerOptions {
  let dir = dirname(file);
  for (let i = 0; i < 20; i++) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) {
      const read = ts.readConfigFile(candidate, ts.sys.readFile);
      const compilerOptions = (read.config as { compilerOptions?: { paths?: TS.MapLike<string[]>; baseUrl?: string } } | undefined)?.compilerOptions;
      if (!compilerOptions?.paths) return {};
      return { paths: compilerOptions.paths, baseUrl: join(dir, compilerOptions.baseUrl ?? '.') };
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return {};
}
