/**
 * node-forge (1.8 MB of live heap), loaded the first time a certificate is made, read or packed: most turns
 * never touch one. Types come from `import type forge from 'node-forge'`, values from nodeForge().
 */
import type forge from 'node-forge';
import { lazy } from '../lazy';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a load on first use is a require
export const nodeForge = lazy(() => require('node-forge') as typeof forge);
