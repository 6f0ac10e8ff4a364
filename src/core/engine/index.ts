/**
 * Prisma's schema engine (the one behind `prisma migrate …`) as WebAssembly, driven through
 * a driver adapter. Loaded lazily: nothing here runs until a command needs the engine.
 *
 * The versions of @prisma/schema-engine-wasm, @prisma/adapter-pg and
 * @prisma/driver-adapter-utils are pinned together in package.json: they are internal APIs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type {
  ApplyMigrationsOutput,
  DiagnoseMigrationHistoryOutput,
  MigrationList,
  SchemaEngine,
  SchemaFilter,
} from '@prisma/schema-engine-wasm';
import type pg from 'pg';
import type { MigrationsFolder } from '../migrations';
import type { ScriptErrorListener, ScriptHook } from './pg-adapter';

export type { ApplyMigrationsOutput, DiagnoseMigrationHistoryOutput, MigrationList, SchemaEngine };

type EngineClass = typeof SchemaEngine;
let runtime: Promise<EngineClass> | undefined;
let runtimeLoadMs = 0;

/** Where the engine's .wasm lives: beside the bundle in the packaged extension, else in node_modules. */
function wasmPath(): string {
  const candidates = [
    path.join(__dirname, 'schema_engine_bg.wasm'),
    path.join(__dirname, '..', 'schema_engine_bg.wasm'),
  ];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return path.join(
    path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
    'schema_engine_bg.wasm',
  );
}

/**
 * The engine's imports with its `setTimeout` made not to hold the process open. The engine
 * races some operations against a timer (e.g. 10 s around Prisma's advisory lock) and, on
 * WebAssembly, never clears the timer when the operation wins (the glue imports no
 * `clearTimeout`), so a CLI command stayed alive ~10 s after its last line. Unref'd timers
 * still fire while anything else keeps the process up (the engine's own pool does while it
 * works); the CLI also holds the process open until its command settles (src/cli.ts).
 */
export function withUnrefTimers(glue: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
  const imports: WebAssembly.ModuleImports = { ...glue };
  for (const name of Object.keys(glue)) {
    if (!name.startsWith('__wbg_setTimeout_')) continue;
    const original = glue[name] as (...a: unknown[]) => unknown;
    imports[name] = (...args: unknown[]) => {
      const timer = original(...args) as { unref?: () => unknown } | undefined;
      timer?.unref?.();
      return timer;
    };
  }
  return imports;
}

async function loadRuntime(): Promise<EngineClass> {
  const started = performance.now();
  const glue = await import('@prisma/schema-engine-wasm/schema_engine_bg');
  const bytes = await fs.promises.readFile(wasmPath());
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    './schema_engine_bg.js': withUnrefTimers(glue as unknown as WebAssembly.ModuleImports),
  });
  (glue as unknown as { __wbg_set_wasm(e: WebAssembly.Exports): void }).__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  runtimeLoadMs = performance.now() - started;
  return (glue as unknown as { SchemaEngine: EngineClass }).SchemaEngine;
}

/** How long compiling and instantiating the WebAssembly module took (0 until loaded). */
export function engineLoadMs(): number {
  return runtimeLoadMs;
}

export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

/**
 * Opens a schema engine over a migration-aware driver adapter factory (wrapped by Prisma's error
 * binder). `log` receives the engine's log lines. Rethrows (plain Error / WebAssembly errors) when
 * the engine's WebAssembly cannot be loaded; the failed load is forgotten so the next call retries.
 * Errors of `Engine.new` propagate too. Nothing is connected or written by a failed load; the
 * factory is not closed here (its owner closes it).
 */
export async function openSchemaEngine(
  factory: SqlMigrationAwareDriverAdapterFactory,
  log: (message: string) => void = () => {},
): Promise<SchemaEngine> {
  runtime ??= loadRuntime();
  let Engine: EngineClass;
  try {
    Engine = await runtime;
  } catch (e) {
    runtime = undefined;
    throw e;
  }
  const { bindMigrationAwareSqlAdapterFactory } = await import('@prisma/driver-adapter-utils');
  return Engine.new({ datamodels: undefined }, log, bindMigrationAwareSqlAdapterFactory(factory));
}

/**
 * The one way the engine is opened on a PostgreSQL database (status, resolve, deploy, reset,
 * apply-down): over `pool`, whose owner closes it (the engine never does), through
 * `@prisma/adapter-pg` sending whole scripts (./pg-adapter.ts), in Prisma's schema (`schema`, from
 * the URL's `?schema=`; `public` is the adapter's default). The caller frees the engine with
 * `engine.free()`. `onScriptError` hears PostgreSQL's own error for a migration script the database
 * refused (deploy names it); `hook` wraps a migration script with SQL run around it (the archive). Throws when the WebAssembly module cannot be loaded.
 */
export async function openEngineOnPool(
  pool: pg.Pool,
  schema: string,
  log?: (message: string) => void,
  onScriptError?: ScriptErrorListener,
  hook?: ScriptHook,
): Promise<SchemaEngine> {
  const { pgAdapterFactory } = await import('./pg-adapter');
  return openSchemaEngine(
    pgAdapterFactory(pool, schema === 'public' ? undefined : schema, onScriptError, hook),
    log,
  );
}

/** The engine's view of a migrations folder (same shape the Prisma CLI builds). */
export function toMigrationList(folder: MigrationsFolder, shadowDbInitScript = ''): MigrationList {
  return {
    baseDir: folder.dir,
    lockfile: { path: folder.lockfile.path, content: folder.lockfile.content },
    shadowDbInitScript,
    migrationDirectories: folder.migrations.map((m) => ({
      path: m.name,
      migrationFile: {
        path: 'migration.sql',
        content:
          m.sql !== undefined
            ? { tag: 'ok', value: m.sql }
            : { tag: 'error', value: m.error ?? 'unreadable' },
      },
    })),
  };
}

/**
 * The engine reports errors as objects or strings depending on where they come from; this
 * gives one readable message (and Prisma's error code when there is one).
 */
export function engineErrorMessage(e: unknown): string {
  if (e instanceof Error) return withoutBacktrace(e.message);
  if (typeof e === 'string') return withoutBacktrace(e);
  if (e && typeof e === 'object') {
    const o = e as { message?: string; error_code?: string; errorCode?: string; meta?: unknown };
    const code = o.error_code ?? o.errorCode;
    if (o.message) return withoutBacktrace(code ? `${code}: ${o.message}` : o.message);
    return JSON.stringify(e);
  }
  return String(e);
}

/**
 * An engine message without the Rust span trace it may carry (`   0: schema_engine_wasm::…`
 * followed by `at schema-engine/….rs:167` lines): what went wrong stays, where in Prisma's
 * source it went wrong goes.
 */
function withoutBacktrace(message: string): string {
  const lines = message.split('\n');
  const start = lines.findIndex((l) => /^\s*\d+: [\w:]+/.test(l));
  return (start > 0 ? lines.slice(0, start) : lines).join('\n').trimEnd();
}
