#!/usr/bin/env node
/**
 * Builds the checklist webview into dist/webview/: the browser bundle (checklist.js), its
 * stylesheet and the codicon font. Called by scripts/build.mjs (`buildWebview`) or on its own:
 *   node webview/build.mjs [--production]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildWebview({ production = false, outdir = path.join(root, 'dist', 'webview') } = {}) {
  await fs.mkdir(outdir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { checklist: 'webview/src/main.ts' },
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome114',
    minify: production,
    sourcemap: production ? false : 'inline',
    logLevel: 'warning',
  });
  await fs.copyFile(path.join(root, 'webview', 'src', 'checklist.css'), path.join(outdir, 'checklist.css'));
  const codicons = path.join(root, 'node_modules', '@vscode', 'codicons', 'dist');
  await fs.copyFile(path.join(codicons, 'codicon.css'), path.join(outdir, 'codicon.css'));
  await fs.copyFile(path.join(codicons, 'codicon.ttf'), path.join(outdir, 'codicon.ttf'));
  return result;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildWebview({ production: process.argv.includes('--production') });
  const size = (await fs.stat(path.join(root, 'dist', 'webview', 'checklist.js'))).size;
  console.log(
    `dist/webview/checklist.js ${(size / 1024).toFixed(0)} KiB, built in ${Date.now() - started} ms`,
  );
}
