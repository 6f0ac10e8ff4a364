/**
 * The import graph of src/core, read with the TypeScript compiler's own import scanner
 * (`ts.preProcessFile`: static imports, `export … from`, `import()` and `import type`).
 * A module is the folder under src/core (sql, generator, verify, db…). The layering is the one of
 * /work/shared/ARCHITECTURE.md: `sql`, `migrations` ← `db` ← `engine`, `project` ← `status`,
 * `verify` ← `generator` ← `archive` ← `runbook` ← `present`. Biome's `noRestrictedImports` overrides
 * (biome.json) say the same per file; this test sees the whole graph, so it also catches cycles.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..');
const core = path.join(root, 'src', 'core');

/** Rank of each module: a module may import only modules of a lower rank. */
const LAYER: Record<string, number> = {
  sql: 0,
  migrations: 0,
  db: 1,
  engine: 2,
  project: 2,
  status: 3,
  verify: 3,
  generator: 4,
  archive: 5,
  runbook: 6,
  present: 7,
};

/**
 * Imports that break the layering today, each with its reason. An entry that no longer matches an
 * import fails the test, so the list only shrinks.
 */
const KNOWN_EXCEPTIONS: { from: string; to: string; why: string }[] = [
  {
    from: 'status/present-rollback.ts',
    to: 'generator',
    why: 'rollback wording (types only) that belongs in present/',
  },
  { from: 'status/present-rollback.ts', to: 'verify', why: 'rollback wording that belongs in present/' },
];

interface Edge {
  /** File relative to src/core. */
  file: string;
  specifier: string;
  /** Resolved target relative to src/core, or `../vscode/…` etc. when outside. */
  target: string;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolve(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')])
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  return base;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(core)) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      const rel = path.relative(core, file).split(path.sep).join('/');
      if (!imp.fileName.startsWith('.')) {
        edges.push({ file: rel, specifier: imp.fileName, target: `package:${imp.fileName}` });
        continue;
      }
      const target = path.relative(core, resolve(file, imp.fileName)!).split(path.sep).join('/');
      edges.push({ file: rel, specifier: imp.fileName, target });
    }
  }
  return edges;
}

const moduleOf = (rel: string): string => rel.split('/')[0];
const isCore = (target: string) => !target.startsWith('package:') && !target.startsWith('..');

/** Module-level cycles (each printed as `a → b → a` with one file edge per step), or []. */
function moduleCycles(edges: Edge[]): string[] {
  const graph = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    if (!isCore(e.target)) continue;
    const a = moduleOf(e.file);
    const b = moduleOf(e.target);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.get(a)!.has(b)) graph.get(a)!.set(b, e);
  }
  const cycles: string[] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 'open');
    stack.push(m);
    for (const next of graph.get(m)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const loop = [...stack.slice(stack.indexOf(next)), next];
        const key = [...loop.slice(0, -1)].sort().join(',');
        if (!seen.has(key)) {
          seen.add(key);
          const steps = loop
            .slice(0, -1)
            .map((a, i) => `${a} → ${loop[i + 1]} (${graph.get(a)!.get(loop[i + 1])!.file})`);
          cycles.push(steps.join(', '));
        }
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(m, 'done');
  };
  for (const m of [...graph.keys()].sort()) if (!state.has(m)) visit(m);
  return cycles;
}

describe('src/core import graph', () => {
  const edges = importEdges();

  it('reads a real graph (the scanner sees the imports)', () => {
    expect(
      edges.some((e) => e.file === 'generator/rollback.ts' && e.target === 'generator/inverse/index.ts'),
    ).toBe(true);
    expect(
      edges.some((e) => e.file === 'generator/strategy.ts' && e.target === 'verify/prisma-diff.ts'),
    ).toBe(true);
  });

  it('finds a cycle when there is one (the checker itself works)', () => {
    const e = (file: string, target: string): Edge => ({ file, specifier: '', target });
    expect(
      moduleCycles([e('sql/a.ts', 'verify/b.ts'), e('verify/b.ts', 'db/c.ts'), e('db/c.ts', 'sql/d.ts')]),
    ).toEqual(['db → sql (db/c.ts), sql → verify (sql/a.ts), verify → db (verify/b.ts)']);
    expect(moduleCycles([e('sql/a.ts', 'sql/b.ts'), e('db/a.ts', 'sql/a.ts')])).toEqual([]);
  });

  it('has no cycle between modules', () => {
    expect(moduleCycles(edges)).toEqual([]);
  });

  it('never imports vscode, src/vscode or src/cli', () => {
    const bad = edges.filter(
      (e) => e.target === 'package:vscode' || /^\.\.\/(vscode|cli)(\/|$)/.test(e.target),
    );
    expect(bad.map((e) => `${e.file} → ${e.specifier}`)).toEqual([]);
  });

  it('has every module in the layer table', () => {
    const modules = new Set(edges.map((e) => moduleOf(e.file)));
    expect([...modules].filter((m) => !(m in LAYER) && !m.endsWith('.ts'))).toEqual([]);
  });

  it('imports only lower layers (ARCHITECTURE.md), apart from the listed exceptions', () => {
    const violations: string[] = [];
    const used = new Set<number>();
    for (const e of edges) {
      if (!isCore(e.target)) continue;
      const a = moduleOf(e.file);
      const b = moduleOf(e.target);
      if (a === b || LAYER[b] < LAYER[a]) continue;
      const ex = KNOWN_EXCEPTIONS.findIndex((x) => x.from === e.file && x.to === b);
      if (ex >= 0) used.add(ex);
      else violations.push(`${e.file} → ${e.target} (${a} may not import ${b})`);
    }
    expect(violations).toEqual([]);
    expect(KNOWN_EXCEPTIONS.filter((_, i) => !used.has(i))).toEqual([]);
  });

  it('keeps the proof apart from what it proves: verify never imports the generator', () => {
    const bad = edges.filter((e) => moduleOf(e.file) === 'verify' && moduleOf(e.target) === 'generator');
    expect(bad.map((e) => `${e.file} → ${e.specifier}`)).toEqual([]);
  });
});
