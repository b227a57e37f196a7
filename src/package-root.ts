import { fileURLToPath } from 'node:url';

/**
 * Whether this module runs from the sources: by the path, not the whole URL, since a module loaded through tsx
 * carries a query (`…/package-root.ts?tsx-namespace=…`) when a user's services import it.
 */
const FROM_SOURCES = new URL(import.meta.url).pathname.endsWith('.ts');

/**
 * The folder of lifecycle-kit's `package.json` (where `machines/` and `examples/` are), whether this runs from the
 * sources (`src/package-root.ts`) or from the build (`dist/src/package-root.js`).
 */
export const PACKAGE_ROOT: string = fileURLToPath(new URL(FROM_SOURCES ? '../' : '../../', import.meta.url));

/** `.ts` when running from the sources, `.js` from the build: for module paths computed at run time. */
export const MODULE_EXTENSION: '.ts' | '.js' = FROM_SOURCES ? '.ts' : '.js';
