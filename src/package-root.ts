import { fileURLToPath } from 'node:url';

/**
 * The folder of lifecycle-kit's `package.json` (where `machines/` and `examples/` are), whether this runs from the
 * sources (`src/package-root.ts`) or from the build (`dist/src/package-root.js`).
 */
export const PACKAGE_ROOT: string = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../' : '../../', import.meta.url));

/** `.ts` when running from the sources, `.js` from the build: for module paths computed at run time. */
export const MODULE_EXTENSION: '.ts' | '.js' = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
