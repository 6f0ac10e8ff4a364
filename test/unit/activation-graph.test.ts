/**
 * Activation stays cheap: what src/extension.ts imports at load time (following relative value
 * imports, not `import type`, and not the lazily required ./core-api) reaches none of the heavy
 * core — project discovery and config evaluation (dotenv), the schema engine, the verifier, the
 * generator, the SQL parser. Those load through src/vscode/core.ts on first use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const f of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(f)) return f;
  return undefined;
}

/** Files reached from `entry` by value imports, and the bare packages they import. */
function loadGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm)) {
      const spec = m[1];
      if (spec === './core-api') continue;
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      const next = resolve(file, spec);
      if (next) queue.push(next);
    }
  }
  return { files, packages };
}

describe('activation', () => {
  it('loads none of the heavy core (it comes through the lazy core-api)', () => {
    const { files, packages } = loadGraph(path.join(root, 'src/extension.ts'));
    const rel = [...files].map((f) => path.relative(root, f).split(path.sep).join('/'));
    expect(rel).toContain('src/vscode/commands/index.ts');
    const heavy = rel.filter((f) =>
      // generator/warning-kinds is a leaf of words and types (no imports): the tree's wording reads it.
      /^src\/core\/(project|engine|generator\/(?!warning-kinds)|sql\/(?!names)|status\/index|verify\/(?!rollback-file))/.test(
        f,
      ),
    );
    expect(heavy).toEqual([]);
    // `pg` (imported by src/core/db for its pure helpers) is dropped from the bundle by
    // scripts/build.mjs's pg-without-side-effects plugin; no other package is loaded at activation.
    expect([...packages].filter((p) => !p.startsWith('node:') && p !== 'vscode' && p !== 'pg')).toEqual([]);
  });
});
