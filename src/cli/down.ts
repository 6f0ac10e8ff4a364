/** `prisma-rollback down` — generate the rollback (down.sql) of one migration from the history before it. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import {
  type ArchiveEntry,
  historyTableOf,
  listArchive,
  rollbackArchiveNote,
  staleArchiveLine,
} from '../core/archive';
import { createPool, describeDbError, prismaSchema } from '../core/db';
import {
  buildSchemaModelCached,
  DOWN_SQL_CONFLICT_REASONS,
  defaultModelCacheDir,
  downSqlConflict,
  editedAfterApply,
  foldHistoryInto,
  GENERATOR_STRATEGIES,
  generateRollbackWith,
  isGeneratorStrategy,
  type RollbackArchiveNote,
  type RollbackResult,
  type RollbackSourceNote,
  rollbackWithModel,
} from '../core/generator';
import { WARNING_KIND_WORDS } from '../core/generator/warning-kinds';
import type { LocalMigration } from '../core/migrations';
import { readWorkspaceSetting } from '../core/project';
import { initSqlParser, largeScriptNote, SqlParseError } from '../core/sql';
import { quoteIdent } from '../core/sql/names';
import { formatDateTime, noConnectionLine } from '../core/status/present';
import { editedAfterApplyWarning } from '../core/status/present-rollback';
import { partialUndo } from '../core/verify/drift';
import { type CliCommand, CliError, type CliIO, flag, has, type ParsedArgs, UsageError } from './args';
import { runbookTarget } from './backup';
import {
  findMigration,
  migrationsDirOf,
  pickEnvironment,
  readExistingFolder,
  requireReadable,
  resolveProject,
  shownPath,
} from './target';
import { resolveShadowServer, verifyTimeoutMs } from './verify';

const USAGE =
  'prisma-rollback down <migration name|folder> | --to <migration> [--project DIR] [--migrations DIR] [--env NAME] [--stdout | --out FILE | --as-migration] [--strategy statements|prismaDiff] [--force] [--strict] [--json]\n' +
  '  --env NAME: when migration.sql was edited after it was applied there (checksum differs), generate from the\n' +
  '  version the database ran, found in git; refuses (exit 2) when git does not have it.\n' +
  '  Writes down.sql next to the migration.sql (never over an existing down.sql without --force).\n' +
  '  down --to <migration> writes the missing down.sql of every migration after it (existing ones are kept).\n' +
  "  With --env NAME, each one written shows that environment's archive of its migration, and one edited after it was\n" +
  '  applied there is generated from the version that environment ran, as down <migration> --env does.\n' +
  '  --as-migration writes <UTC timestamp>_rollback_<name>/migration.sql instead (it becomes part of the history).\n' +
  '  --strategy (default: the prismaRollback.generator setting, else statements): statements inverts each statement\n' +
  "  from the parse tree; prismaDiff asks Prisma's migrate diff (migrations 1..N → 1..N-1), which does not see custom SQL.\n" +
  '  Exit codes: 0 written; 1 written but incomplete (a step cannot be undone from SQL; with --strict: any warning);\n' +
  '  2 error (usage, unknown migration, parse error, existing down.sql).\n' +
  '  --partial --env NAME: for a migration that FAILED on that environment, the script that undoes only what it left\n' +
  "  applied there (live schema → replay of the applied migrations without it, by Prisma's migrate diff), written to\n" +
  '  down.partial.<env>.sql next to migration.sql (or --stdout / --out FILE). Exit 0 written; 1 written but drift\n' +
  "  outside Prisma's model remains (listed, undo by hand) or nothing is left to undo; 2 could not compute.\n" +
  '  --timeout SECONDS (with --partial) limits each step of its replay (its start, each migration; default 120).';

function utcStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function jsonOf(r: RollbackResult, written: string | undefined) {
  return {
    migration: r.migration,
    checksum: r.checksum,
    written: written ?? null,
    sql: r.sql,
    summary: r.summary,
    transactional: r.transactional,
    statements: r.steps.map((s) => ({
      line: s.line,
      kind: s.kind,
      forward: s.forward,
      inverse: s.inverse,
      warnings: s.warnings,
      irreversible: s.irreversible ?? null,
      noop: s.noop ?? null,
    })),
    flagged: r.warnings,
    unsupported: r.irreversible.map((s) => ({ line: s.line, kind: s.kind, reason: s.irreversible })),
    historyProblems: r.historyProblems,
  };
}

/**
 * The checksum `_prisma_migrations` (in the URL's `?schema=`) holds for each of `migrations`, from
 * its latest row not rolled back (else its latest row): what the database ran. Migrations without a
 * row are absent from the map. Query errors propagate.
 */
async function storedChecksums(
  pool: Pick<pg.Pool, 'query'>,
  url: string,
  migrations: string[],
): Promise<Map<string, string>> {
  const r = await pool.query<{ migration_name: string; checksum: string }>(
    `SELECT DISTINCT ON (migration_name) migration_name, checksum FROM ${quoteIdent(prismaSchema(url))}."_prisma_migrations" WHERE migration_name = ANY($1::text[]) ORDER BY migration_name, (rolled_back_at IS NULL) DESC, started_at DESC`,
    [migrations],
  );
  return new Map(r.rows.map((x) => [x.migration_name, x.checksum]));
}

/**
 * What a generated down.sql shows of `environment`'s archive of `migration` (rollbackArchiveNote),
 * from `all`, the environment's whole archive (store.ts listArchive with its history table, so
 * staleness is judged). An archive of an earlier deploy is never restored (apply-down refuses it):
 * it is left out and said on stderr. Never throws.
 */
function archiveNoteFor(
  io: CliIO,
  all: ArchiveEntry[],
  migration: string,
  environment: string,
): RollbackArchiveNote | undefined {
  const entries = all.filter((e) => e.migration === migration && e.origin === 'deploy');
  const stale = entries.find((e) => e.stale);
  if (stale)
    io.err(
      `${staleArchiveLine(migration, formatDateTime(stale.takenAt), environment)} down.sql does not show it.`,
    );
  return rollbackArchiveNote(entries, environment);
}

/**
 * `down --env NAME`: the text of migration.sql that environment ran. The local file when its
 * checksum matches the one Prisma stored there (or the migration is not applied there); else the
 * version git has with that checksum (with the header's note saying so). Also what that
 * environment's archive holds for the migration (src/core/archive archiveOf; none when it cannot
 * be read, said on stderr). Throws CliError (exit 2) when `_prisma_migrations` cannot be read or
 * git has no such version.
 */
async function versionThatRan(
  args: ParsedArgs,
  io: CliIO,
  migration: string,
  sqlPath: string,
  localSql: string,
): Promise<{ sql: string; source?: RollbackSourceNote; archive?: RollbackArchiveNote }> {
  const target = await resolveProject(args, io);
  const env = pickEnvironment(target, flag(args, 'env'));
  if (!env.url) throw new CliError(noConnectionLine(env.name, env.problem));
  const pool = createPool(env.url);
  let stored: string | undefined;
  let archive: RollbackArchiveNote | undefined;
  try {
    stored = (await storedChecksums(pool, env.url, [migration])).get(migration);
    const all = await listArchive(pool, historyTableOf(prismaSchema(env.url))).catch((e) => {
      io.err(
        `Cannot read the archive in ${env.name} (${describeDbError(e, env.url)}): down.sql does not show it.`,
      );
      return [];
    });
    archive = archiveNoteFor(io, all, migration, env.name);
  } catch (e) {
    throw new CliError(`Cannot read _prisma_migrations in ${env.name}: ${describeDbError(e, env.url)}`);
  } finally {
    await pool.end().catch(() => {});
  }
  if (!stored) {
    io.err(
      `${migration} has no row in ${env.name}'s _prisma_migrations: generating from the local migration.sql.`,
    );
    return { sql: localSql, archive };
  }
  const ran = await ranVersion(io, env.name, { name: migration, sqlPath, sql: localSql }, stored, true);
  return ran ? { ...ran, archive } : { sql: localSql, archive };
}

/**
 * When `m`'s migration.sql differs from the text `environment` ran (`stored`, its checksum in
 * `_prisma_migrations`; src/core/generator/source.ts editedAfterApply): the version git has with
 * that checksum and the down.sql header's note, said on stderr. Undefined when the file is what
 * ran, or when git lacks that version and `required` is false. Throws CliError (exit 2) when git
 * lacks it and `required` (nothing to generate from).
 */
async function ranVersion(
  io: CliIO,
  environment: string,
  m: { name: string; sqlPath: string; sql: string },
  stored: string,
  required: boolean,
): Promise<{ sql: string; source: RollbackSourceNote } | undefined> {
  const edited = await editedAfterApply(m.sqlPath, m.sql, environment, stored);
  if (!edited) return undefined;
  if (!edited.ran) {
    if (!required) return undefined;
    throw new CliError(
      `${editedAfterApplyWarning(m.name, environment, { storedChecksum: stored, localChecksum: edited.fileChecksum })} Git has no version of ${m.sqlPath} with checksum ${stored.slice(0, 12)}…: restore the file the database ran (from the commit that was deployed) and run again.`,
    );
  }
  io.err(
    `${m.name}/migration.sql was edited after it was applied in ${environment}: generating from the version it ran (git ${edited.ran.revision.slice(0, 10)}, checksum ${stored.slice(0, 12)}…), not the edited file.`,
  );
  return { sql: edited.ran.sql, source: edited.ran.note };
}

export const downCommand: CliCommand = {
  name: 'down',
  summary:
    'Generate the rollback (down.sql) of a migration from the PostgreSQL parse tree and the history before it',
  usage: USAGE,
  booleans: ['stdout', 'force', 'json', 'strict', 'as-migration', 'partial'],
  async run(args, io) {
    if (flag(args, 'to')) return downTo(args, io);
    const wanted = args.positionals[0];
    if (!wanted) throw new UsageError('Name the migration to generate a rollback for.');
    if (has(args, 'partial')) return partialDown(wanted, args, io);
    const modes = ['stdout', 'out', 'as-migration'].filter((m) => has(args, m));
    if (modes.length > 1) throw new UsageError(`Use only one of --${modes.join(', --')}.`);
    const { dir, root } = await migrationsDirOf(args, io);
    const folder = await readExistingFolder(dir);
    const names = folder.migrations.map((m) => m.name);
    const index = findMigration(names, wanted);
    const target = folder.migrations[index];
    if (target.sql === undefined) throw new CliError(`Cannot read ${target.sqlPath}: ${target.error}`);
    const history = folder.migrations.slice(0, index + 1).map((m) => ({ name: m.name, sql: m.sql ?? '' }));
    let source: RollbackSourceNote | undefined;
    let archive: RollbackArchiveNote | undefined;
    if (flag(args, 'env')) {
      const ran = await versionThatRan(args, io, target.name, target.sqlPath, target.sql);
      history[index].sql = ran.sql;
      source = ran.source;
      archive = ran.archive;
    }

    const strategy =
      flag(args, 'strategy') ??
      (await readWorkspaceSetting(root, 'prismaRollback.generator')) ??
      'statements';
    if (!isGeneratorStrategy(strategy))
      throw new UsageError(
        `--strategy must be one of ${GENERATOR_STRATEGIES.join(', ')} (got ${String(strategy)}).`,
      );
    let result: RollbackResult;
    const note = largeScriptNote(`${target.name}/migration.sql`, history[index].sql);
    if (note) io.err(note);
    try {
      // The model of the history before it: from the on-disk model cache when a run saved it.
      result = await generateRollbackWith(strategy, history, index, {
        modelCacheDir: defaultModelCacheDir(io.env),
        source,
        archive,
      });
    } catch (e) {
      if (e instanceof SqlParseError)
        throw new CliError(`${path.join(target.dir, 'migration.sql')}:${e.line}:${e.column}: ${e.reason}`);
      throw e;
    }

    let written: string | undefined;
    if (has(args, 'as-migration')) {
      const name = `${utcStamp()}_rollback_${target.name.replace(/^\d+_/, '')}`;
      const mdir = path.join(dir, name);
      written = path.join(mdir, 'migration.sql');
      await fs.mkdir(mdir, { recursive: false }).catch((e: NodeJS.ErrnoException) => {
        throw new CliError(`Cannot create ${mdir}: ${e.code === 'EEXIST' ? 'it already exists' : e.message}`);
      });
      await fs.writeFile(written, result.sql, 'utf8');
    } else if (!has(args, 'stdout')) {
      written = flag(args, 'out')
        ? path.resolve(io.cwd, flag(args, 'out')!)
        : path.join(target.dir, 'down.sql');
      if (await exists(written)) {
        const current = await fs.readFile(written, 'utf8');
        const conflict = downSqlConflict(current, result.sql, target.sql);
        if (!conflict) io.err(`${shownPath(io, written)} is already up to date.`);
        else if (!has(args, 'force'))
          throw new CliError(
            `${written} already exists (${DOWN_SQL_CONFLICT_REASONS[conflict]}); nothing was written. Pass --force to overwrite it, or --out FILE (e.g. down.new.sql) to write beside it.`,
          );
      }
      await fs.writeFile(written, result.sql, 'utf8');
    }

    if (has(args, 'json')) io.out(JSON.stringify(jsonOf(result, written), null, 2));
    else {
      if (has(args, 'stdout')) io.out(result.sql.trimEnd());
      const s = result.summary;
      const shown = written ? shownPath(io, written) : 'stdout';
      const report = has(args, 'stdout') ? (t: string) => io.err(t) : (t: string) => io.out(t);
      report(
        `Rollback of ${target.name} → ${shown}: ${s.statements} statement${s.statements === 1 ? '' : 's'}, ${s.inverted} reversed, ${s.noop} with nothing to undo, ${s.flagged} flagged, ${s.irreversible} irreversible.`,
      );
      // What the warnings cite: in the usual layout the two files by name; a rollback written
      // elsewhere (--out, --as-migration) by the paths of both files relative to the project, so
      // the new migration's migration.sql is not taken for the one it undoes. Its lines are
      // down.sql's: the file written is result.sql.
      const elsewhere =
        written !== undefined && (has(args, 'as-migration') || flag(args, 'out') !== undefined);
      const inProject = (p: string) => path.relative(root, p) || p;
      const forwardFile = elsewhere ? inProject(path.join(target.dir, 'migration.sql')) : 'migration.sql';
      const downFile = elsewhere ? inProject(written!) : 'down.sql';
      for (const w of result.warnings)
        report(
          `  ${w.kind === 'irreversible' ? 'IRREVERSIBLE' : `WARNING, ${WARNING_KIND_WORDS[w.kind] ?? w.kind}`} (${forwardFile}:${w.line}${w.downLine ? `, ${downFile}:${w.downLine}` : ''}): ${w.message}`,
        );
      for (const p of result.historyProblems) report(`  note: ${p}`);
      if (has(args, 'as-migration'))
        report('  note: this rollback is a new migration: it becomes part of the history once deployed.');
    }
    if (result.summary.irreversible > 0) return 1;
    if (has(args, 'strict') && result.warnings.length > 0) return 1;
    return 0;
  },
};

/**
 * `down --to <m> --env NAME`, read in one pass over that environment for each migration of the
 * range: `notes`, what its archive holds (rollbackArchiveNote, as `down <m> --env` reads it: a stale
 * one is left out and said on stderr); `ran`, for a migration whose migration.sql was edited after
 * it was applied there (checksum differs from `_prisma_migrations`), the version the database ran,
 * from git (src/core/generator/source.ts editedAfterApply), with its header note. Throws CliError
 * (exit 2) when the environment has no connection string, its archive or `_prisma_migrations`
 * cannot be read, or an edited migration that has no down.sql yet has no version in git with the
 * stored checksum (as `down <m> --env`).
 */
async function rangeFacts(
  args: ParsedArgs,
  io: CliIO,
  migrations: LocalMigration[],
): Promise<{
  notes: Map<string, RollbackArchiveNote>;
  ran: Map<string, { sql: string; source: RollbackSourceNote }>;
}> {
  const target = await resolveProject(args, io);
  const env = pickEnvironment(target, flag(args, 'env'));
  if (!env.url) throw new CliError(noConnectionLine(env.name, env.problem));
  const pool = createPool(env.url);
  const notes = new Map<string, RollbackArchiveNote>();
  let stored: Map<string, string>;
  try {
    const all = await listArchive(pool, historyTableOf(prismaSchema(env.url))).catch((e) => {
      throw new CliError(`Cannot read the archive in ${env.name}: ${describeDbError(e, env.url)}`);
    });
    for (const { name: m } of migrations) {
      const note = archiveNoteFor(io, all, m, env.name);
      if (note) notes.set(m, note);
    }
    stored = await storedChecksums(
      pool,
      env.url,
      migrations.map((m) => m.name),
    ).catch((e) => {
      throw new CliError(`Cannot read _prisma_migrations in ${env.name}: ${describeDbError(e, env.url)}`);
    });
  } finally {
    await pool.end().catch(() => {});
  }
  const ran = new Map<string, { sql: string; source: RollbackSourceNote }>();
  for (const m of migrations) {
    const checksum = stored.get(m.name);
    if (!checksum || m.sql === undefined) continue;
    // A migration whose down.sql exists is not generated: without git's version, it is kept.
    const version = await ranVersion(
      io,
      env.name,
      { name: m.name, sqlPath: m.sqlPath, sql: m.sql },
      checksum,
      !m.downSqlPath,
    );
    if (version) ran.set(m.name, version);
  }
  return { notes, ran };
}

/** What the terminal says of a migration's archive: `; archive on local of <date>: apply-down --env local restores it`. */
function archiveWords(note: RollbackArchiveNote | undefined): string {
  return note
    ? `; archive on ${note.environment} of ${note.entries[0].takenAt}: apply-down --env ${note.environment} restores it`
    : '';
}

/**
 * `down --to <m>`: writes the missing down.sql of every migration after m; existing ones are kept.
 * With `--env NAME`, each one written shows that environment's archive of its migration as
 * `down <m> --env NAME` does (header, "restored from the archive of <date>" warnings).
 */
async function downTo(args: ParsedArgs, io: CliIO): Promise<number> {
  if (args.positionals.length)
    throw new UsageError('--to names the migration to roll back to: name no other.');
  const other = ['stdout', 'out', 'as-migration', 'force'].filter((m) => has(args, m));
  if (other.length)
    throw new UsageError(
      `--to writes each missing down.sql beside its migration: drop --${other.join(', --')}.`,
    );
  const { dir, root } = await migrationsDirOf(args, io);
  const folder = await readExistingFolder(dir);
  const to = findMigration(
    folder.migrations.map((m) => m.name),
    flag(args, 'to')!,
  );
  requireReadable(folder.migrations);
  const strategy =
    flag(args, 'strategy') ?? (await readWorkspaceSetting(root, 'prismaRollback.generator')) ?? 'statements';
  if (!isGeneratorStrategy(strategy))
    throw new UsageError(
      `--strategy must be one of ${GENERATOR_STRATEGIES.join(', ')} (got ${String(strategy)}).`,
    );
  const { notes, ran } = flag(args, 'env')
    ? await rangeFacts(args, io, folder.migrations.slice(to + 1))
    : {
        notes: new Map<string, RollbackArchiveNote>(),
        ran: new Map<string, { sql: string; source: RollbackSourceNote }>(),
      };
  // The range's migrations as the environment ran them (an edited file's version from git).
  const history = folder.migrations.map((m) => ({ name: m.name, sql: ran.get(m.name)?.sql ?? m.sql ?? '' }));
  const rows: {
    migration: string;
    written: string | null;
    irreversible: number;
    warnings: number;
    archive?: RollbackArchiveNote | null;
  }[] = [];
  // statements: the history is parsed and folded once (the model of 1..to from the model cache),
  // each later migration folded into it in turn.
  let folded: Awaited<ReturnType<typeof buildSchemaModelCached>> | undefined;
  if (strategy === 'statements') {
    await initSqlParser();
    folded = await buildSchemaModelCached(history.slice(0, to + 1), defaultModelCacheDir(io.env));
  }
  for (let index = to + 1; index < folder.migrations.length; index++) {
    const m = folder.migrations[index];
    if (m.downSqlPath) {
      if (folded) foldHistoryInto(folded.model, [history[index]], folded.problems);
      const archive = notes.get(m.name);
      rows.push({
        migration: m.name,
        written: null,
        irreversible: 0,
        warnings: 0,
        ...(flag(args, 'env') ? { archive: archive ?? null } : {}),
      });
      if (!has(args, 'json')) io.out(`  ${m.name}: down.sql exists, kept${archiveWords(archive)}`);
      continue;
    }
    const archive = notes.get(m.name);
    const source = ran.get(m.name)?.source;
    let r: RollbackResult;
    try {
      r = folded
        ? rollbackWithModel(folded.model, history[index], [...folded.problems], { archive, source })
        : await generateRollbackWith(strategy, history.slice(0, index + 1), index, { archive, source });
    } catch (e) {
      if (e instanceof SqlParseError) throw new CliError(`${m.sqlPath}:${e.line}:${e.column}: ${e.reason}`);
      throw e;
    }
    const file = path.join(m.dir, 'down.sql');
    await fs.writeFile(file, r.sql, { encoding: 'utf8', flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      throw new CliError(
        `Cannot write ${file}: ${e.code === 'EEXIST' ? 'it appeared meanwhile' : e.message}`,
      );
    });
    rows.push({
      migration: m.name,
      written: file,
      irreversible: r.summary.irreversible,
      warnings: r.warnings.length,
      ...(flag(args, 'env') ? { archive: archive ?? null } : {}),
    });
    if (!has(args, 'json'))
      io.out(
        `  ${m.name}: wrote ${shownPath(io, file)} (${r.summary.statements} statements${r.summary.irreversible ? `, ${r.summary.irreversible} IRREVERSIBLE` : ''}${r.warnings.length ? `, ${r.warnings.length} warning(s)` : ''}${archiveWords(archive)})`,
      );
  }
  const written = rows.filter((r) => r.written).length;
  if (has(args, 'json'))
    io.out(JSON.stringify({ to: folder.migrations[to].name, migrations: rows }, null, 2));
  else
    io.out(
      rows.length
        ? `${written} down.sql written, ${rows.length - written} kept, for the ${rows.length} migration(s) after ${folder.migrations[to].name}.`
        : `${folder.migrations[to].name} is the last migration: nothing after it.`,
    );
  if (rows.some((r) => r.irreversible)) return 1;
  if (has(args, 'strict') && rows.some((r) => r.warnings)) return 1;
  return 0;
}

/** `down <failed> --partial --env NAME`: see USAGE and core `partialUndo`. */
async function partialDown(wanted: string, args: ParsedArgs, io: CliIO): Promise<number> {
  for (const no of ['as-migration', 'strategy', 'json'])
    if (has(args, no)) throw new UsageError(`--partial does not take --${no}.`);
  if (has(args, 'stdout') && has(args, 'out')) throw new UsageError('Use only one of --stdout, --out.');
  const timeoutMs = verifyTimeoutMs(args);
  const { target, env, url } = await runbookTarget(args, io);
  const folder = await readExistingFolder(target.migrationsDir, '--migrations DIR');
  const index = findMigration(
    folder.migrations.map((m) => m.name),
    wanted,
  );
  const failed = folder.migrations[index];
  requireReadable(folder.migrations);
  const r = await partialUndo({
    url,
    environment: env.name,
    migrations: folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
    failed: failed.name,
    shadowDatabaseUrl: await resolveShadowServer(io, target.project.root, target.project),
    timeoutMs,
    onProgress: (m) => io.err(m),
  });
  if (r.kind === 'couldNotCheck')
    throw new CliError(`Cannot compute the partial rollback of ${failed.name}: ${r.reason}`);
  if (r.kind === 'nothingLeft') {
    io.err(
      `${failed.name} left nothing applied on ${env.name}: its schema is the replay of its ${r.expected.length} applied migrations. Nothing to undo; \`prisma-rollback resolve --rolled-back ${failed.name} --env ${env.name}\` marks it rolled back.`,
    );
    return 1;
  }
  let written: string | undefined;
  if (has(args, 'stdout')) io.out(r.script.trimEnd());
  else {
    written = flag(args, 'out')
      ? path.resolve(io.cwd, flag(args, 'out')!)
      : path.join(failed.dir, `down.partial.${env.name.replace(/[^\w.-]+/g, '_')}.sql`);
    if ((await exists(written)) && !has(args, 'force'))
      throw new CliError(`${written} already exists; nothing was written. Pass --force to overwrite it.`);
    await fs.writeFile(written, r.script, 'utf8');
  }
  const report = (t: string) => io.err(t);
  report(
    `Partial rollback of ${failed.name} on ${env.name} → ${written ? shownPath(io, written) : 'stdout'}: ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'} to undo${r.notCovered.length ? `, ${r.notCovered.length} not in the script (undo by hand)` : ''}.`,
  );
  for (const d of r.notCovered) report(`  NOT COVERED: ${d.message}`);
  report(`  Review it, run it, then: prisma-rollback resolve --rolled-back ${failed.name} --env ${env.name}`);
  return r.notCovered.length ? 1 : 0;
}
