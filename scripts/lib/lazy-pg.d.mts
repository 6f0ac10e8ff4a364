import type { Plugin } from 'esbuild';

/** See ./lazy-pg.mjs. */
export declare const lazyPg: Plugin;
