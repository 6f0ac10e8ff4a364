/**
 * Reads a Prisma schema (one file or a folder of `*.prisma` files) with `@prisma/internals`:
 * the files are loaded the way the CLI loads them, the provider comes from Prisma's own
 * `getConfig` (the prisma-schema WebAssembly parser) and the datasource URLs of a Prisma ≤ 6
 * schema are located by that same parser.
 *
 * The pinned parser is Prisma 7's, which rejects `url`/`directUrl`/`shadowDatabaseUrl` in a
 * schema. Its linter reports each such property with its exact byte span; we take the
 * property's text from that span (`env("X")` or a string literal), blank the span out and
 * ask `getConfig` about the rest — so a Prisma 6 schema validates exactly as Prisma would,
 * minus the properties Prisma 6 itself accepts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { stripAnsi } from './config-file';
import type { UrlExpression } from './types';

type Internals = typeof import('@prisma/internals');
let internalsPromise: Promise<Internals> | undefined;

/** `@prisma/internals`, loaded on first use (it pulls in the schema parser's WebAssembly). */
export function loadInternals(): Promise<Internals> {
  internalsPromise ??= import('@prisma/internals').then(
    (m) => ((m as unknown as { default?: Internals }).default ?? m) as Internals,
  );
  return internalsPromise;
}

export interface LoadedSchema {
  /** What the schema path points at: a file, or a folder of `*.prisma` files. */
  schemaPath: string;
  /** Folder of the schema file, or the schema folder itself (Prisma's `schemaRootDir`). */
  schemaRootDir: string;
  files: [path: string, content: string][];
}

/** Loads an explicitly configured schema (config `schema`, `package.json#prisma.schema`). */
export async function loadSchemaAt(schemaPath: string, cwd: string): Promise<LoadedSchema> {
  const { getSchemaWithPath } = await loadInternals();
  const r = await getSchemaWithPath({ schemaPath: { cliProvidedPath: schemaPath }, cwd });
  return { schemaPath: r.schemaPath, schemaRootDir: r.schemaRootDir, files: r.schemas };
}

/**
 * Prisma's default locations under `root`: `schema.prisma`, `prisma/schema.prisma`, then
 * (Prisma ≥ 5.15) the `prisma/schema` folder of `*.prisma` files.
 */
export async function loadDefaultSchema(root: string): Promise<LoadedSchema | undefined> {
  const { getSchemaWithPathOptional } = await loadInternals();
  const r = await getSchemaWithPathOptional({ schemaPath: { baseDir: root }, cwd: root });
  if (r) return { schemaPath: r.schemaPath, schemaRootDir: r.schemaRootDir, files: r.schemas };
  const folder = path.join(root, 'prisma', 'schema');
  const entries = await fs.readdir(folder).catch(() => [] as string[]);
  if (!entries.some((e) => e.endsWith('.prisma'))) return undefined;
  return loadSchemaAt(folder, root);
}

export interface SchemaFacts {
  /** `postgresql`, `mysql`, … from the datasource block. */
  provider?: string;
  /** `url` of the datasource block (Prisma ≤ 6). */
  url?: UrlExpression;
  /** `directUrl` of the datasource block (Prisma ≤ 6); migrations use it when set. */
  directUrl?: UrlExpression;
  /** Prisma 7's message for a schema that still holds connection URLs. */
  urlInSchemaMessage?: string;
  /** Prisma's validation error, when the schema is invalid. */
  error?: string;
}

const URL_PROPERTIES = ['url', 'directUrl', 'shadowDatabaseUrl'] as const;
type UrlProperty = (typeof URL_PROPERTIES)[number];

/**
 * The value of a datasource property as Prisma 6 reads it: `env("NAME")` or a string
 * literal (Prisma string literals use JSON escapes).
 */
export function parseUrlProperty(propertyText: string): UrlExpression | undefined {
  const eq = propertyText.indexOf('=');
  if (eq < 0) return undefined;
  const value = propertyText.slice(eq + 1).trim();
  const stringAt = (s: string): string | undefined => {
    const t = s.trim();
    if (!t.startsWith('"')) return undefined;
    for (let i = 1; i < t.length; i++) {
      if (t[i] === '\\') i++;
      else if (t[i] === '"') {
        try {
          return JSON.parse(t.slice(0, i + 1)) as string;
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  };
  if (value.startsWith('env')) {
    const open = value.indexOf('(');
    const close = value.lastIndexOf(')');
    if (open < 0 || close < open || value.slice(3, open).trim() !== '') return undefined;
    const name = stringAt(value.slice(open + 1, close));
    return name ? { kind: 'env', name } : undefined;
  }
  const literal = stringAt(value);
  return literal !== undefined ? { kind: 'literal', value: literal } : undefined;
}

/** Prisma's error text without colours, version footer and context lines. */
function cleanPrismaError(e: unknown): string {
  const text = stripAnsi(e instanceof Error ? e.message : String(e));
  return text
    .split('\n')
    .filter((l) => !/^\s*(\[Context: |Prisma CLI Version|Error code: P1012)/.test(l))
    .join('\n')
    .replace(/^Prisma schema validation - \([\w-]+ wasm\)\s*/, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Runs `fn` while dropping the bare `console.error('')` that Prisma's getConfig/validate print
 * before throwing (everything else still reaches the console).
 */
let silenced = 0;
let originalError: typeof console.error | undefined;
async function withoutBlankErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  if (silenced++ === 0) {
    const original = console.error;
    originalError = original;
    console.error = (...args: unknown[]) => {
      if (args.length === 1 && args[0] === '') return;
      original.apply(console, args);
    };
  }
  try {
    return await fn();
  } finally {
    if (--silenced === 0 && originalError) {
      console.error = originalError;
      originalError = undefined;
    }
  }
}

/**
 * Provider, URL expressions and validity of a loaded schema. File names in messages are
 * relative to `root`. Never throws.
 */
export async function readSchemaFacts(schema: LoadedSchema, root: string): Promise<SchemaFacts> {
  const { lintSchema, getConfig, validate } = await loadInternals();
  const files = schema.files.map(([p, c]): [string, string] => [
    path.relative(root, p).split(path.sep).join('/') || p,
    c,
  ]);
  const facts: SchemaFacts = {};
  const texts = new Map(files);
  try {
    const diagnostics = lintSchema({ schemas: files }) as {
      file_name: string;
      start: number;
      end: number;
      text: string;
      is_warning: boolean;
    }[];
    for (const d of diagnostics) {
      if (d.is_warning) continue;
      const prop = URL_PROPERTIES.find((p) => d.text.includes(`datasource property \`${p}\``)) as
        | UrlProperty
        | undefined;
      const text = texts.get(d.file_name);
      if (!prop || text === undefined) continue;
      // Spans index the JS string (UTF-16 code units), also after non-ASCII text (tested).
      const expr = parseUrlProperty(text.slice(d.start, d.end));
      if (prop === 'url') facts.url = expr;
      if (prop === 'directUrl') facts.directUrl = expr;
      if (prop !== 'shadowDatabaseUrl') facts.urlInSchemaMessage ??= d.text;
      texts.set(
        d.file_name,
        text.slice(0, d.start) + text.slice(d.start, d.end).replace(/[^\r\n]/g, ' ') + text.slice(d.end),
      );
    }
  } catch {
    // The linter panicked; getConfig below reports what is wrong.
  }
  const cleaned = files.map(([p]): [string, string] => [p, texts.get(p)!]);
  try {
    const config = await withoutBlankErrors(() => getConfig({ datamodel: cleaned }));
    const ds = config.datasources[0];
    if (ds) facts.provider = ds.activeProvider ?? ds.provider;
    else facts.error = 'The schema has no datasource block.';
  } catch (e) {
    facts.error = cleanPrismaError(e);
  }
  if (!facts.error) {
    // getConfig reads datasource and generators only; validate checks models too, as migrate does.
    try {
      await withoutBlankErrors(() => validate({ schemas: cleaned }));
    } catch (e) {
      facts.error = cleanPrismaError(e);
    }
  }
  return facts;
}
