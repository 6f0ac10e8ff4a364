/**
 * `prisma-rollback verify` — prove that a migration's rollback restores the schema: replay the
 * history in the embedded PostgreSQL (or on a shadow server), apply the migration and its
 * rollback, compare the catalogs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createPool, describeDbError, maskUrl } from '../core/db';
import { type LocalMigration, readMigrationsFolder } from '../core/migrations';
import { readWorkspaceSetting, resolveShadowDatabase, SHADOW_URL_ENV } from '../core/project';
import type { PrismaProject } from '../core/project/types';
import { archiveDataHooks } from '../core/runbook/archive';
import { largeScriptNote } from '../core/sql';
import { noConnectionLine } from '../core/status/present';
import {
  destructiveKindWords,
  downSqlProblems,
  editedAfterApplyWarning,
  failsOnRows,
  ROLLBACK_FAILS_ON_ROWS,
  verifiedAgainstText,
} from '../core/status/present-rollback';
import {
  defaultReplayCacheDir,
  describeFailure,
  prepareEmbeddedVerifier,
  useBaselineTierOnly,
  type VerifyResult,
  valuesAnArchiveKeeps,
  verifyHistory,
  verifyRollback,
} from '../core/verify';
import {
  findRollbackScript,
  isRollbackMigration,
  rollbackMigrationSuffix,
} from '../core/verify/rollback-file';
import type { SecondOpinion } from '../core/verify/second-opinion';
import { type CliCommand, CliError, type CliIO, flag, has, type ParsedArgs, UsageError } from './args';
import {
  findMigration,
  migrationsDirOf,
  pickEnvironment,
  readExistingFolder,
  requireReadable,
  resolveProject,
  shownPath,
} from './target';

const USAGE =
  'prisma-rollback verify <migration name|folder> | --all | --to <migration> [--generate] [--project DIR] [--migrations DIR] [--rollback FILE] [--engine auto|embedded|server] [--cache-dir DIR] [--timeout SECONDS] [--prisma-diff] [--data [--no-archive]] [--json]\n' +
  '  Replays the migrations before it in an embedded PostgreSQL, applies the migration and its rollback\n' +
  '  (down.sql in its folder, a later <timestamp>_rollback_<name> migration, or --rollback FILE), and\n' +
  '  compares the schema with the one before the migration.\n' +
  `  A history that needs an extension the embedded PostgreSQL lacks is verified on a throwaway database\n` +
  `  on the server in $${SHADOW_URL_ENV} (or the prismaRollback.shadowDatabaseUrl setting).\n` +
  "  --prisma-diff also asks Prisma's engine (migrate diff) for a second opinion: a non-empty diff is a\n" +
  '  difference; when the engine cannot run, the result rests on the catalog comparison alone.\n' +
  '  --generate with one migration: when it has no rollback, the one generated in memory is verified.\n' +
  '  --all verifies the rollback of every migration that has one (with --generate: of every migration,\n' +
  '  generating the rollbacks that are missing, in memory); the history is replayed once. A migration\n' +
  '  without a rollback counts as a failure (exit 1).\n' +
  '  --to <migration> proves the chain that apply-down --to runs: replays everything, applies the rollback of\n' +
  '  each later migration newest first, and compares with the schema after 1..<migration> (--generate: a\n' +
  '  missing down.sql is generated in memory).\n' +
  '  When no difference is found but the migration or its rollback holds a statement the comparison\n' +
  '  cannot see (a DO block, an owner change, a step marked IRREVERSIBLE…), it answers "cannot prove".\n' +
  '  --data proves the data too: before the migration every table gets a few deterministic rows (every column\n' +
  '  type, foreign keys, unique and check constraints respected); after the migration and its rollback every\n' +
  '  row of every table that existed before must read the same ("data round-trips exactly"), else each lost or\n' +
  '  changed value is listed (table, key, column, before → after). Without an archive this shows what the\n' +
  '  rollback does not bring back. One migration at a time (not with --all or --to). The archive that deploy\n' +
  '  takes and apply-down restores runs around the migration and its rollback, as on a real database;\n' +
  '  --no-archive proves the rollback alone (what it does not bring back without an archive).\n' +
  '  --timeout SECONDS limits each step of the embedded PostgreSQL (its start, each script; default 120):\n' +
  '  past it the answer is "could not verify: <statement> did not finish in N s". Replayed states are kept\n' +
  '  in a cache shared with the editor ($PRISMA_ROLLBACK_CACHE_DIR, else the user cache directory).\n' +
  '  Exit codes: 0 verified; 1 differences (Prisma diff not empty included); 2 cannot prove / could not verify / error.';

/**
 * The shadow server, resolved by core (src/core/project/shadow.ts) exactly as the editor resolves
 * it: $PRISMA_ROLLBACK_SHADOW_DATABASE_URL, else `prismaRollback.shadowDatabaseUrl` from the
 * workspace settings (a URL, or the name of a variable read from the environment, then the
 * project's .env files), else PRISMA_ROLLBACK_SHADOW_DATABASE_URL from those files. A wrong
 * configuration throws CliError (exit code 2, one line, no secret); nothing is connected to or
 * written. Resolves to undefined when no shadow server is configured.
 */
export async function resolveShadowServer(
  io: CliIO,
  root: string,
  project?: PrismaProject,
): Promise<string | undefined> {
  const setting = await readWorkspaceSetting(root, 'prismaRollback.shadowDatabaseUrl');
  const r = await resolveShadowDatabase(typeof setting === 'string' ? setting : undefined, {
    env: io.env,
    envFiles: project?.envFiles,
  });
  if (r.problem) throw new CliError(r.problem);
  return r.url;
}

interface Rollback {
  sql: string;
  name: string;
  path: string;
}

async function findRollback(
  args: ParsedArgs,
  io: CliIO,
  migrations: LocalMigration[],
  index: number,
): Promise<Rollback> {
  const target = migrations[index];
  const explicit = flag(args, 'rollback');
  if (explicit) {
    const file = path.resolve(io.cwd, explicit);
    const sql = await fs.readFile(file, 'utf8').catch((e: Error) => {
      throw new CliError(`Cannot read ${file}: ${e.message}`);
    });
    return { sql, name: path.basename(file), path: file };
  }
  const found = await findRollbackScript(migrations, index);
  if (found) return found;
  // --generate: the rollback generated in memory, as --all and --to do
  const history = migrations.slice(0, index + 1).map((m) => ({ name: m.name, sql: m.sql ?? '' }));
  const g = (await generatedWith(args, history))?.[index];
  if (g instanceof Error)
    throw new CliError(`${target.name} has no rollback and ${notGenerated(g, target.sqlPath)}`);
  if (g) return { sql: g.sql, name: 'generated down.sql', path: `${target.name} (generated)` };
  throw new CliError(
    `${target.name} has no rollback: ${noRollbackReason(target.name)}. Generate one with \`prisma-rollback down ${target.name}\`, pass --generate (in memory) or --rollback FILE.`,
  );
}

/** Why `name` has no rollback script: where one was looked for. */
function noRollbackReason(name: string): string {
  return `no down.sql in its folder and no later *${rollbackMigrationSuffix(name)} migration`;
}

/**
 * Why --generate could not generate the rollback of the migration at `sqlPath`: the parser's
 * `file:line:column: reason` for a migration PostgreSQL's parser rejects (a SqlParseError, told by
 * its name: core/sql is loaded lazily), else the error's message.
 */
function notGenerated(e: Error, sqlPath: string): string {
  const p = e as Error & { line?: number; column?: number; reason?: string };
  return `it cannot be generated: ${
    p.name === 'SqlParseError' ? `${sqlPath}:${p.line}:${p.column}: ${p.reason}` : e.message.split('\n')[0]
  }`;
}

/**
 * `--timeout SECONDS` in ms (undefined: the core's default), for every command that takes it
 * (verify, drift, impact, resolve, down --partial). Throws a UsageError when it is not a positive
 * number. A limit beyond what a timer or `statement_timeout` holds (over 24.8 days, Infinity) is
 * no limit, in the verifier's timers and in the database alike (core/db createPool).
 */
export function verifyTimeoutMs(args: ParsedArgs): number | undefined {
  const v = flag(args, 'timeout');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n > 0)) throw new UsageError('--timeout is a number of seconds.');
  return n * 1000;
}

/**
 * The options every `verify` form (one migration, `--all`, `--to`) passes to the core alike:
 * `--cache-dir DIR` (resolved against the working directory), `--no-cache`, the replay cache of
 * `defaultReplayCacheDir` and `--timeout SECONDS` in ms. Throws a UsageError on a bad `--timeout`.
 */
export function verifyRunOptions(
  args: ParsedArgs,
  io: Pick<CliIO, 'cwd' | 'env'>,
): { cacheDir?: string; noCache: boolean; replayCacheDir?: string; timeoutMs?: number } {
  const dir = flag(args, 'cache-dir');
  return {
    cacheDir: dir ? path.resolve(io.cwd, dir) : undefined,
    noCache: has(args, 'no-cache'),
    replayCacheDir: defaultReplayCacheDir(io.env),
    timeoutMs: verifyTimeoutMs(args),
  };
}

function exitCode(r: VerifyResult): number {
  return r.kind === 'verified' ? 0 : r.kind === 'differences' ? 1 : 2;
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'Prove that a rollback restores the schema: replay, apply the migration and its rollback, compare',
  usage: USAGE,
  booleans: ['json', 'prisma-diff', 'no-cache', 'all', 'generate', 'data', 'no-archive'],
  async run(args, io) {
    const data = has(args, 'data');
    if (data && (has(args, 'all') || flag(args, 'to')))
      throw new UsageError('--data proves one migration at a time: name it (not --all or --to).');
    if (has(args, 'prisma-diff') && (has(args, 'all') || flag(args, 'to')))
      throw new UsageError(
        "--prisma-diff asks Prisma's engine about one migration: name it (not --all or --to).",
      );
    if (flag(args, 'rollback') && (has(args, 'all') || flag(args, 'to')))
      throw new UsageError(
        "--rollback FILE is the rollback of one migration: name it (not --all or --to, which read each migration's down.sql).",
      );
    if (data && has(args, 'prisma-diff'))
      throw new UsageError('--data and --prisma-diff are separate proofs: run them one at a time.');
    if (has(args, 'no-archive') && !data)
      throw new UsageError('--no-archive goes with --data (the data proof without the archive).');
    const all = has(args, 'all');
    const to = flag(args, 'to');
    const wanted = args.positionals[0];
    if (!all && !to && !wanted)
      throw new UsageError('Name the migration whose rollback to verify, or pass --all.');
    const engine = flag(args, 'engine') ?? 'auto';
    if (!all && !to && !['auto', 'embedded', 'server'].includes(engine))
      throw new UsageError('--engine is auto, embedded or server.');
    if (engine !== 'server') {
      // This process only verifies: all its WebAssembly on V8's baseline tier (issue 14).
      await useBaselineTierOnly();
      // The verifier's worker loads PGlite and the parser while the history is read (issue 14).
      prepareEmbeddedVerifier();
    }
    // The verifier's worker is stopped by the CLI's main once the verdict is printed (src/cli.ts):
    // it saves the state it replayed after the result, and the verdict does not wait for that.
    if (all) return verifyAll(args, io);
    if (to) return verifyTo(args, io);
    return verifyOne(args, io, wanted, engine);
  },
};

/** `verify <migration>` (with --data, --prisma-diff): its exit code. */
async function verifyOne(args: ParsedArgs, io: CliIO, wanted: string, engine: string): Promise<number> {
  // Read first: a bad --timeout is said before any work.
  const runOptions = verifyRunOptions(args, io);
  const data = has(args, 'data');
  const { dir, root, project } = await migrationsDirOf(args, io);
  const folder = await readExistingFolder(dir);
  const index = findMigration(
    folder.migrations.map((m) => m.name),
    wanted,
  );
  requireReadable(folder.migrations.slice(0, index + 1));
  const target = folder.migrations[index];
  const rollback = await findRollback(args, io, folder.migrations, index);
  const migrations = verifyHistory(folder.migrations);
  const shadowDatabaseUrl = await resolveShadowServer(io, root, project);
  const json = has(args, 'json');

  let result: VerifyResult;
  const note = largeScriptNote(`${target.name}/migration.sql`, target.sql ?? '');
  if (note) io.err(note);
  result = await verifyRollback({
    migrations,
    index,
    rollbackSql: rollback.sql,
    rollbackName: rollback.name,
    rollbackPath: rollback.path,
    shadowDatabaseUrl,
    engine: engine as 'auto' | 'embedded' | 'server',
    ...runOptions,
    onProgress: json ? undefined : (m) => io.err(`  ${m}`),
    // the archive that deploy takes and apply-down restores (src/core/runbook/archive.ts)
    data: data ? (has(args, 'no-archive') ? {} : archiveDataHooks(migrations)) : undefined,
  });
  if (data) return printDataResult(io, result, target.name, rollback, json);

  // --prisma-diff: Prisma's engine as a second opinion, with the editor's policy (core).
  let opinion: SecondOpinion | undefined;
  if (has(args, 'prisma-diff')) {
    const { secondOpinion } = await import('../core/verify/prisma-diff');
    opinion = await secondOpinion(result, { migrations, index, rollbackSql: rollback.sql });
    result = opinion.result;
  }
  const prismaDiff =
    opinion?.outcome === 'failed'
      ? { error: opinion.error }
      : opinion && 'diff' in opinion
        ? opinion.diff
        : undefined;

  const { dependentMigrations } = await import('../core/verify/dependents');
  const dependents = await dependentMigrations(folder.migrations, index).catch(() => []);

  const code = exitCode(result);

  const rel = (p: string) => shownPath(io, p);
  if (json) {
    io.out(
      JSON.stringify(
        {
          migration: target.name,
          rollback: rel(rollback.path),
          ...result,
          prismaDiff,
          dependents: dependents.map((d) => ({ name: d.name, reasons: d.reasons })),
        },
        null,
        2,
      ),
    );
    return code;
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  switch (result.kind) {
    case 'verified':
      io.out(
        `✓ ${rel(rollback.path)} restores the schema before ${target.name} (verified against ${verifiedAgainstText(result)} ${result.engine === 'embedded' ? 'in the embedded PostgreSQL' : 'on the shadow server'} · ${seconds(result.ms)}${result.cached ? ', cached' : ''}).`,
      );
      // The proof is of the schema; say which values it does not bring back (down.sql's own markers).
      for (const p of downSqlProblems(rollback.sql).filter((x) => x.code === 'dataNotRestored'))
        io.out(`  schema only: ${rel(rollback.path)}:${p.line + 1}: ${p.message}`);
      break;
    case 'differences':
      io.out(
        `✗ ${rel(rollback.path)} does not restore the schema before ${target.name}: ${result.differences.length} difference${result.differences.length === 1 ? '' : 's'}.`,
      );
      for (const d of result.differences) io.out(`  ${d}`);
      break;
    case 'cannotProve':
      io.out(
        `? cannot prove that ${rel(rollback.path)} restores the schema before ${target.name}: the comparison found no difference, but it cannot see the effect of:`,
      );
      for (const r of result.reasons) io.out(`  ${r}`);
      break;
    case 'couldNotVerify':
      io.out(`? could not verify the rollback of ${target.name}: ${result.reason}`);
      if (result.failure && !result.reason.includes(describeFailure(result.failure)))
        io.out(`  ${describeFailure(result.failure)}`);
      break;
  }
  if (opinion?.outcome === 'agrees') io.out(`✓ ${opinion.line}`);
  if (opinion?.outcome === 'failed') io.out(`? ${opinion.line}`);
  if (opinion?.outcome === 'disagrees')
    io.out(`  the script Prisma's migrate diff would run:\n${opinion.diff.script.replace(/^/gm, '    ')}`);
  if (dependents.length) {
    io.out(
      `  note: ${dependents.length} later migration${dependents.length === 1 ? ' touches' : 's touch'} what ${target.name} created or changed; rolling it back while ${dependents.length === 1 ? 'it is' : 'they are'} applied breaks ${dependents.length === 1 ? 'it' : 'them'}:`,
    );
    for (const d of dependents.slice(0, 10))
      io.out(
        `    ${d.name}: ${d.reasons[0]}${d.reasons.length > 1 ? ` (+${d.reasons.length - 1} more)` : ''}`,
      );
    if (dependents.length > 10) io.out(`    … and ${dependents.length - 10} more (--json lists all)`);
  }
  return code;
}

/** Prints a `verify --data` result; its exit code (0 round-trips, 1 differences, 2 could not check). */
function printDataResult(
  io: CliIO,
  result: VerifyResult,
  target: string,
  rollback: Rollback,
  json: boolean,
): number {
  const rel = (p: string) => shownPath(io, p);
  const code = exitCode(result);
  if (json) {
    io.out(JSON.stringify({ migration: target, rollback: rel(rollback.path), ...result }, null, 2));
    return code;
  }
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const where = (r: { engine: string }) =>
    r.engine === 'embedded' ? 'in the embedded PostgreSQL' : 'on the shadow server';
  const proof = result.kind !== 'couldNotVerify' ? result.data : undefined;
  const covered = proof
    ? `${proof.rows} row${proof.rows === 1 ? '' : 's'} in ${proof.tables} table${proof.tables === 1 ? '' : 's'}`
    : '';
  switch (result.kind) {
    case 'verified':
      io.out(
        `✓ data round-trips exactly: ${covered} read the same before ${target} and after it and ${rel(rollback.path)}${proof?.archive ? ' with the archive' : ''} (${where(result)} · ${seconds(result.ms)}${result.cached ? ', cached' : ''}).`,
      );
      break;
    case 'differences': {
      // Only values an archive would have kept get the "no archive" words (not a failed rollback).
      const kept = valuesAnArchiveKeeps(proof);
      io.out(
        `✗ data does not round-trip through ${target} and ${rel(rollback.path)}: ${result.differences.length} difference${result.differences.length === 1 ? '' : 's'} over ${covered}${kept === result.differences.length ? ' (no archive: these are the values the rollback does not bring back)' : kept ? ` (no archive: ${kept} of them are values the rollback does not bring back)` : ''}.`,
      );
      for (const d of result.differences) io.out(`  ${d}`);
      break;
    }
    case 'cannotProve':
      io.out(`? cannot prove the data round trip of ${target}:`);
      for (const r of result.reasons) io.out(`  ${r}`);
      break;
    case 'couldNotVerify':
      io.out(`? could not check the data round trip of ${target}: ${result.reason}`);
      if (result.failure && !result.reason.includes(describeFailure(result.failure)))
        io.out(`  ${describeFailure(result.failure)}`);
      break;
  }
  if (result.kind !== 'cannotProve')
    for (const p of proof?.notSeeded ?? []) io.out(`  not fully seeded: ${p}`);
  return code;
}

/**
 * With `--generate`: the rollback generated for each of `migrations` (same order; an Error where
 * generation failed), else undefined. The generator and the SQL parser are loaded only then.
 * Rejects only if they cannot be loaded.
 */
async function generatedWith(
  args: ParsedArgs,
  migrations: { name: string; sql: string }[],
): Promise<({ sql: string } | Error)[] | undefined> {
  if (!has(args, 'generate')) return undefined;
  const [{ generateAllRollbacksSync }, { initSqlParser }] = await Promise.all([
    import('../core/generator'),
    import('../core/sql'),
  ]);
  await initSqlParser();
  return generateAllRollbacksSync(migrations);
}

/** `--to <m>`: the chain of rollbacks of every migration after m, newest first, on one replay. */
async function verifyTo(args: ParsedArgs, io: CliIO): Promise<number> {
  // Read first: a bad --timeout is said before any work.
  const runOptions = verifyRunOptions(args, io);
  if (args.positionals.length)
    throw new UsageError('--to names the migration to roll back to: name no other.');
  const { dir, root, project } = await migrationsDirOf(args, io);
  const folder = await readExistingFolder(dir);
  const to = findMigration(
    folder.migrations.map((m) => m.name),
    flag(args, 'to')!,
  );
  if (to === folder.migrations.length - 1)
    throw new CliError(
      `${folder.migrations[to].name} is the last migration: there is nothing after it to roll back.`,
    );
  requireReadable(folder.migrations);
  const migrations = verifyHistory(folder.migrations);
  const generated = await generatedWith(args, migrations);
  const rel = (p: string) => shownPath(io, p);
  const rollbacks: { name: string; sql: string; path?: string }[] = [];
  const missing: string[] = [];
  for (let index = to + 1; index < folder.migrations.length; index++) {
    const m = folder.migrations[index];
    const found = await findRollbackScript(folder.migrations, index);
    const g = generated?.[index];
    if (found) rollbacks.push({ name: `${m.name}/${found.name}`, sql: found.sql, path: found.path });
    else if (g && !(g instanceof Error))
      rollbacks.push({ name: `${m.name}/down.sql (generated)`, sql: g.sql });
    else missing.push(g instanceof Error ? `${m.name} (${notGenerated(g, m.sqlPath)})` : m.name);
  }
  if (missing.length)
    throw new CliError(
      generated
        ? `No rollback for ${missing.join(', ')}: fix the migration, or write its down.sql.`
        : `No rollback for ${missing.join(', ')}: write the missing down.sql files (prisma-rollback down --to ${folder.migrations[to].name}) or pass --generate.`,
    );
  const shadowDatabaseUrl = await resolveShadowServer(io, root, project);
  const json = has(args, 'json');
  const engine = flag(args, 'engine') ?? 'auto';
  if (!['auto', 'embedded', 'server'].includes(engine))
    throw new UsageError('--engine is auto, embedded or server.');
  const { verifyRollbackChain } = await import('../core/verify/chain');
  let result: VerifyResult;
  result = await verifyRollbackChain({
    migrations,
    to,
    rollbacks,
    shadowDatabaseUrl,
    engine: engine as 'auto' | 'embedded' | 'server',
    ...runOptions,
    onProgress: json ? undefined : (m) => io.err(`  ${m}`),
  });
  const target = folder.migrations[to].name;
  const chain = folder.migrations.slice(to + 1).map((m) => m.name);
  if (json) {
    io.out(JSON.stringify({ to: target, chain: chain.slice().reverse(), ...result }, null, 2));
    return exitCode(result);
  }
  const what = `the rollbacks of the ${chain.length} migration${chain.length === 1 ? '' : 's'} after ${target} (newest first)`;
  switch (result.kind) {
    case 'verified':
      io.out(
        `✓ ${what} restore the schema after ${target} (${result.engine === 'embedded' ? 'embedded PostgreSQL' : 'shadow server'} · ${(result.ms / 1000).toFixed(1)} s${result.cached ? ', cached' : ''}).`,
      );
      break;
    case 'differences':
      io.out(
        `✗ ${what} do not restore the schema after ${target}: ${result.differences.length} difference${result.differences.length === 1 ? '' : 's'}.`,
      );
      for (const d of result.differences) io.out(`  ${d}`);
      break;
    case 'cannotProve':
      io.out(
        `? cannot prove that ${what} restore the schema after ${target}: the comparison cannot see the effect of:`,
      );
      for (const r of result.reasons) io.out(`  ${r}`);
      break;
    case 'couldNotVerify':
      io.out(`? could not verify ${what}: ${result.reason}`);
      break;
  }
  for (const r of rollbacks.slice().reverse()) io.out(`    ${r.path ? rel(r.path) : r.name}`);
  return exitCode(result);
}

interface AllRow {
  migration: string;
  rollback: string | null;
  kind: VerifyResult['kind'] | 'noRollback';
  differences?: string[];
  /** cannotProve: what the comparison cannot see. */
  reasons?: string[];
  reason?: string;
  ms?: number;
}

/** `--all`: every migration's rollback, in order, on one replayed history. */
async function verifyAll(args: ParsedArgs, io: CliIO): Promise<number> {
  // Read first: a bad --timeout is said before any work.
  const runOptions = verifyRunOptions(args, io);
  if (args.positionals.length) throw new UsageError('--all verifies every migration: name none.');
  const { dir, root, project } = await migrationsDirOf(args, io);
  const folder = await readExistingFolder(dir);
  requireReadable(folder.migrations);
  const migrations = verifyHistory(folder.migrations);
  const shadowDatabaseUrl = await resolveShadowServer(io, root, project);
  const json = has(args, 'json');
  const rel = (p: string) => shownPath(io, p);
  const generated = await generatedWith(args, migrations);
  const rows: AllRow[] = [];
  const started = performance.now();
  for (let index = 0; index < folder.migrations.length; index++) {
    const m = folder.migrations[index];
    // a Method 2 rollback migration is itself the rollback of an earlier one
    if (isRollbackMigration(m.name)) continue;
    let rollback: Rollback | undefined = await findRollbackScript(folder.migrations, index);
    const g = generated?.[index];
    if (!rollback && g && !(g instanceof Error))
      rollback = { sql: g.sql, name: 'generated down.sql', path: `${m.name} (generated)` };
    if (!rollback) {
      const reason = g instanceof Error ? notGenerated(g, m.sqlPath) : noRollbackReason(m.name);
      rows.push({ migration: m.name, rollback: null, kind: 'noRollback', reason });
      if (!json) io.out(`✗ ${m.name}: no rollback (${reason})`);
      continue;
    }
    const r = await verifyRollback({
      migrations,
      index,
      rollbackSql: rollback.sql,
      rollbackName: rollback.name,
      rollbackPath: rollback.path,
      shadowDatabaseUrl,
      ...runOptions,
    });
    const row: AllRow = { migration: m.name, rollback: rel(rollback.path), kind: r.kind, ms: r.ms };
    if (r.kind === 'differences') row.differences = r.differences;
    if (r.kind === 'couldNotVerify') row.reason = r.reason;
    if (r.kind === 'cannotProve') row.reasons = r.reasons;
    rows.push(row);
    if (!json) {
      const mark = r.kind === 'verified' ? '✓' : r.kind === 'differences' ? '✗' : '?';
      io.out(
        `${mark} ${m.name}${r.kind === 'couldNotVerify' ? `: ${r.reason}` : r.kind === 'cannotProve' ? ': cannot prove (no difference found, but the comparison cannot see all of it)' : ''}`,
      );
      if (r.kind === 'differences') for (const d of r.differences) io.out(`    ${d}`);
      if (r.kind === 'cannotProve') for (const d of r.reasons) io.out(`    ${d}`);
    }
  }
  const count = (k: AllRow['kind']) => rows.filter((r) => r.kind === k).length;
  const summary = {
    verified: count('verified'),
    differences: count('differences'),
    cannotProve: count('cannotProve'),
    couldNotVerify: count('couldNotVerify'),
    noRollback: count('noRollback'),
    ms: Math.round(performance.now() - started),
  };
  if (json) io.out(JSON.stringify({ migrations: rows, summary }, null, 2));
  else
    io.out(
      `${summary.verified} verified, ${summary.differences} with differences, ${summary.cannotProve} cannot be proven, ${summary.couldNotVerify} could not be verified, ${summary.noRollback} without a rollback${generated ? '' : ' (--generate verifies generated ones)'} · ${(summary.ms / 1000).toFixed(1)} s`,
    );
  return summary.couldNotVerify || summary.cannotProve
    ? 2
    : summary.differences || summary.noRollback
      ? 1
      : 0;
}

const IMPACT_USAGE =
  'prisma-rollback impact <migration name|folder> [--project DIR] [--migrations DIR] [--env NAME] [--rollback FILE] [--exact-limit N] [--timeout SECONDS] [--json]\n' +
  "  Read-only: what the migration's rollback would destroy in that environment (rows of dropped tables,\n" +
  '  values of dropped columns, DELETEd rows), and the rows it would fail on (rows holding enum values it removes:\n' +
  "  the cast back rejects them), exactly up to --exact-limit rows (default 100000), above it the planner's\n" +
  '  estimate. Refuses a migration that is not applied there.\n' +
  '  Exit codes: 0 nothing would be destroyed; 1 data would be destroyed or the rollback would fail on rows;\n' +
  '  2 refused, a count failed, or error.';

export const impactCommand: CliCommand = {
  name: 'impact',
  summary: "What a migration's rollback would destroy in an environment (read-only row counts)",
  usage: IMPACT_USAGE,
  booleans: ['json'],
  async run(args, io) {
    const wanted = args.positionals[0];
    if (!wanted) throw new UsageError('Name the migration whose rollback to check.');
    const target = await resolveProject(args, io);
    const env = pickEnvironment(target, flag(args, 'env'));
    if (!env.url) throw new CliError(noConnectionLine(env.name, env.problem));
    const folder = await readMigrationsFolder(target.migrationsDir);
    const index = findMigration(
      folder.migrations.map((m) => m.name),
      wanted,
    );
    const m = folder.migrations[index];
    const rollback = await findRollback(args, io, folder.migrations, index);
    const limit = flag(args, 'exact-limit') ? Number(flag(args, 'exact-limit')) : undefined;
    if (limit !== undefined && !(limit >= 0)) throw new UsageError('--exact-limit is a number of rows.');
    const timeout = verifyTimeoutMs(args);
    const { precheckRollback } = await import('../core/verify/precheck');
    const pool = createPool(env.url, { statementTimeoutMs: timeout });
    const { lockRisks, measureLockRisks, describeLockRisk } = await import('../core/verify/lock-risk');
    let result: Awaited<ReturnType<typeof precheckRollback>>;
    let locks: Awaited<ReturnType<typeof measureLockRisks>> = { risks: [] };
    try {
      locks = await measureLockRisks(pool, await lockRisks(rollback.sql).catch(() => []));
      result = await precheckRollback(pool, rollback.sql, {
        rollbackName: rollback.name,
        migrationName: m.name,
        migrationSql: m.sql,
        exactLimit: limit,
        statementTimeoutMs: timeout,
      });
    } catch (e) {
      throw new CliError(`Cannot check ${env.name}: ${describeDbError(e, env.url)}`);
    } finally {
      await pool.end().catch(() => {});
    }
    if (has(args, 'json')) {
      io.out(
        JSON.stringify(
          {
            environment: env.name,
            rollback: shownPath(io, rollback.path),
            ...result,
            locks: locks.risks,
          },
          null,
          2,
        ),
      );
    } else {
      io.out(`Environment ${env.name} · ${maskUrl(env.url)}`);
      if (result.migration?.editedAfterApply)
        io.out(`⚠ ${editedAfterApplyWarning(m.name, env.name, result.migration.editedAfterApply)}`);
      if (result.refused) io.out(`✗ ${result.refused}`);
      io.out(result.summary);
      for (const s of result.steps) {
        const what = [
          s.rows
            ? `${s.rows.exact ? '' : 'about '}${s.rows.count.toLocaleString('en-US')} rows${s.rows.exact ? '' : ' (planner estimate)'}`
            : '',
          s.values
            ? `${s.values.exact ? '' : 'about '}${s.values.count.toLocaleString('en-US')} non-null values`
            : '',
          s.tooLong ? `${s.tooLong.count.toLocaleString('en-US')} too long for the new type` : '',
          s.removedValues?.length ? `removed enum values ${s.removedValues.join(', ')}` : '',
          failsOnRows(s) ? ROLLBACK_FAILS_ON_ROWS : '',
          s.kind === 'removeEnumValues' && !s.removedValues?.length && s.rows?.count
            ? `values that are not labels of ${s.targetEnum}`
            : '',
          s.kind === 'alterColumnType' && s.lossless && s.values?.count
            ? `converted to ${s.targetType} without loss`
            : '',
          s.note ?? '',
        ].filter(Boolean);
        io.out(
          `  ${rollback.name}:${s.line}: ${destructiveKindWords(s.kind)} ${s.table}${s.columnName ? `."${s.columnName}"` : ''}: ${what.join('; ')}`,
        );
      }
      if (locks.risks.length) {
        io.out(`Locks and table work of ${rollback.name} on ${env.name}:`);
        for (const r of locks.risks) io.out(`  ${describeLockRisk(r)}`);
      }
      if (locks.error) io.out(`  (table sizes could not be read: ${locks.error})`);
    }
    if (result.refused || result.incomplete.length) return 2;
    return result.destroys ? 1 : 0;
  },
};
