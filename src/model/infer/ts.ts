import { createRequire } from 'node:module';
import type * as TS from 'typescript';

/**
 * The TypeScript compiler, loaded with `require`: importing it as an ES module makes Node scan its 9 MB for named
 * exports first, which costs about a second on every command that infers samples.
 */
const ts = createRequire(import.meta.url)('typescript') as typeof TS;
export default ts;
