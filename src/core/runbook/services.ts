/**
 * The checklist's steps over the generator (src/core/sql) and the verifier (src/core/verify):
 * step 1's dependent later migrations, step 3 makes sure `down.sql` exists and is current with
 * `migration.sql`, step 4 proves it in an embedded PostgreSQL, step 5 runs the live read-only
 * pre-check against the target. Heavy (parser, PGlite, pg): the editor loads this lazily.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createPool, describeDbError, maskUrl } from '../db';
import { generateRollback, isDownSqlHandEdited, isDownSqlStale } from '../generator';
import { readMigrationsFolder } from '../migrations';
import { resolveShadowDatabase, type ShadowSources } from '../project/shadow';
import { initSqlParser, parseMigrationSync } from '../sql/parser';
import {
  destructiveKindWords,
  editedAfterApplyWarning,
  failsOnRows,
  ROLLBACK_FAILS_ON_ROWS,
  verifiedAgainstText,
} from '../status/present-rollback';
import {
  dependentMigrations,
  findRollbackScript,
  type ProgressFn,
  unprovenData,
  type VerifyResult,
  valuesAnArchiveKeeps,
  verifyRollback,
} from '../verify';
import { verifyRollbackChain } from '../verify/chain';
import { describeLockRisk, lockRisks, measureLockRisks } from '../verify/lock-risk';
import type { DestructiveStep } from '../verify/precheck';
import { precheckRollback } from '../verify/precheck';
import { rollbackMigrationSuffix } from '../verify/rollback-file';
import { archiveDataHooks } from './archive';
import { RunbookError } from './errors';

async function history(migrationsDir: string, migration: string) {
  const folder = await readMigrationsFolder(migrationsDir);
  const index = folder.migrations.findIndex((m) => m.name === migration);
  if (index < 0) throw new RunbookError(`No folder "${migration}" in ${migrationsDir}.`, 'config');
  const unreadable = folder.migrations.slice(0, index + 1).find((m) => m.sql === undefined);
  if (unreadable) throw new RunbookError(`Cannot read ${unreadable.sqlPath}: ${unreadable.error}`, 'config');
  return { folder, index, local: folder.migrations[index] };
}

export interface EnsureRollbackResult {
  file: string;
  /** What happened: written now, already current, or hand-written (kept as it is). */
  outcome: 'generated' | 'regenerated' | 'current' | 'handWritten';
  summary: string;
}

/**
 * Step 3: `down.sql` beside `migration.sql`, current with it. A missing one is generated; a
 * generated one that is out of date is regenerated; one edited by hand is never overwritten.
 * Throws `RunbookError` code `config` (no such migration folder, or a migration.sql up to it
 * unreadable), code `state` (out of date and edited by hand: nothing written); a `SqlParseError`
 * of the generator and write errors propagate. down.sql is written only at the end: on any
 * failure it is left as it was.
 */
export async function ensureRollbackScript(
  migrationsDir: string,
  migration: string,
): Promise<EnsureRollbackResult> {
  const { folder, index, local } = await history(migrationsDir, migration);
  const file = path.join(local.dir, 'down.sql');
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined) {
    const stale = isDownSqlStale(existing, local.sql!);
    if (stale === undefined)
      return {
        file,
        outcome: 'handWritten',
        summary: 'down.sql has no generator header: written by hand, kept as it is.',
      };
    if (!stale) return { file, outcome: 'current', summary: 'down.sql is current with migration.sql.' };
    if (isDownSqlHandEdited(existing)) {
      throw new RunbookError(
        'down.sql is out of date with migration.sql and was edited by hand: regenerate it with "Create Rollback…" (which asks before overwriting) or update it yourself.',
        'state',
      );
    }
  }
  const r = await generateRollback(
    folder.migrations.slice(0, index + 1).map((m) => ({ name: m.name, sql: m.sql! })),
    index,
  );
  await fs.writeFile(file, r.sql, 'utf8');
  const s = r.summary;
  const counts = `${s.statements} statement(s), ${s.inverted} inverted, ${s.flagged} flagged, ${s.irreversible} irreversible`;
  return {
    file,
    outcome: existing === undefined ? 'generated' : 'regenerated',
    summary: `${existing === undefined ? 'Generated' : 'Regenerated'} down.sql: ${counts}.`,
  };
}

export interface VerifyStepResult {
  result: 'verified' | 'differences' | 'couldNotVerify';
  summary: string;
  /** With VerifyStepOptions.data: the data round trip (`verify --data`). */
  data?: DataCheck;
}

/**
 * The data round trip of the checklist's verify step (`verify --data`, src/core/verify/data.ts),
 * in the words the step shows. `identical` only when every row of every table that existed before
 * the migration read the same after the rollback (and the restore) AND every such table was
 * seeded: a table the seeder could not fill makes it `couldNotCheck`, never `identical`.
 */
export interface DataCheck {
  result: 'identical' | 'differences' | 'couldNotCheck';
  /** Tables that existed before the migration and were compared (0 when it could not run). */
  tables: number;
  /** Rows read before the migration over those tables. */
  rows: number;
  /** The archive's capture and restore took part (else: the rollback alone). */
  archive: boolean;
  /** The differences (`differences`), or why it could not check (`couldNotCheck`), one per line. */
  lines: string[];
  /** One sentence: rows compared and the verdict. */
  summary: string;
}

/**
 * The DataCheck of a `verify --data` result (pure). `couldNotVerify` and `cannotProve` read
 * "could not check" with their reason; tables the seeder could not fill (DataProof.notSeeded)
 * turn an otherwise clean comparison into "could not check", naming them.
 */
export function dataCheckOf(r: VerifyResult): DataCheck {
  if (r.kind === 'couldNotVerify')
    return {
      result: 'couldNotCheck',
      tables: 0,
      rows: 0,
      archive: false,
      lines: [r.reason],
      summary: `Data: could not check — ${r.reason}`,
    };
  const proof = r.data ?? { tables: 0, rows: 0, notSeeded: [], archive: false };
  const covered = `${proof.rows} row${proof.rows === 1 ? '' : 's'} in ${proof.tables} table${proof.tables === 1 ? '' : 's'}`;
  const how = proof.archive ? 'the rollback and the archive' : 'the rollback alone (no archive)';
  const notSeeded = proof.notSeeded.map((p) => `not seeded: ${p}`);
  const base = { tables: proof.tables, rows: proof.rows, archive: proof.archive };
  // Only values an archive would have kept get the "does not bring back" words (not a failed rollback).
  const kept = valuesAnArchiveKeeps(r.data);
  if (r.kind === 'differences')
    return {
      ...base,
      result: 'differences',
      lines: [...r.differences, ...notSeeded],
      summary: `Data: ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'} over ${covered} through ${how}${kept === r.differences.length ? ': values the rollback does not bring back' : kept ? `: ${kept} of them values the rollback does not bring back` : ''}.`,
    };
  if (r.kind === 'cannotProve' || notSeeded.length) {
    // verifyRollback gives one reason per table it could not seed, exactly unprovenData's line:
    // those are listed once, and the other reasons are what the comparison cannot see.
    const reasons = r.kind === 'cannotProve' ? r.reasons : [];
    const unseeded = unprovenData(proof);
    const others = reasons.filter((x) => !unseeded.includes(x));
    const cannotSee = others.length ? `the comparison cannot see ${others.join('; ')}` : '';
    return {
      ...base,
      result: 'couldNotCheck',
      lines: [
        ...reasons,
        ...proof.notSeeded.filter((_, i) => !reasons.includes(unseeded[i])).map((p) => `not seeded: ${p}`),
      ],
      summary: proof.notSeeded.length
        ? `Data: could not check — ${proof.notSeeded.length} table${proof.notSeeded.length === 1 ? '' : 's'} could not be seeded (${proof.notSeeded.join('; ')}); ${covered} read the same through ${how}, but an empty table proves nothing${cannotSee ? `; ${cannotSee}` : ''}.`
        : `Data: could not check — ${cannotSee}`,
    };
  }
  return {
    ...base,
    result: 'identical',
    lines: [],
    summary: `Data: identical — ${covered} read the same before the migration and after ${how}.`,
  };
}

export interface VerifyStepOptions extends ShadowSources {
  /**
   * The value of `prismaRollback.shadowDatabaseUrl` as written (a URL, or the name of a variable
   * read from `env`, then `envFiles`); resolved here with `resolveShadowDatabase`.
   */
  shadowSetting?: string;
  cacheDir?: string;
  /**
   * The replay cache (VerifyRollbackOptions.replayCacheDir): default `defaultReplayCacheDir()`,
   * the one the editor's other commands and the CLI share; `false`: none.
   */
  replayCacheDir?: string | false;
  /**
   * Wall-clock limit of each step of the embedded PostgreSQL, ms (the setting
   * `prismaRollback.verify.timeoutSeconds`; VerifyRollbackOptions.timeoutMs).
   */
  timeoutMs?: number;
  /** Progress of the replay (`replayProgressText` words it). */
  onProgress?: ProgressFn;
  /**
   * Also prove the data (`verify --data`) after the schema: `archive` with the archive's capture
   * and restore (an archive is in play on the target), `rollbackAlone` without (a backup is: the
   * differences are what the rollback alone does not bring back). Its result is VerifyStepResult.data.
   */
  data?: 'archive' | 'rollbackAlone';
}

/**
 * Step 4: replay 1..N-1, apply N and its rollback in an embedded PostgreSQL (or, when the history
 * needs it, on the shadow server the setting names), compare the schemas. A shadow setting that
 * does not resolve is not an error by itself: the embedded PostgreSQL is tried, and when it cannot
 * verify, the summary says what is wrong with the setting.
 */
export async function verifyRollbackScript(
  migrationsDir: string,
  migration: string,
  o: VerifyStepOptions = {},
): Promise<VerifyStepResult> {
  const { folder, index, local } = await history(migrationsDir, migration);
  const file = path.join(local.dir, 'down.sql');
  const rollbackSql = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (rollbackSql === undefined)
    return { result: 'couldNotVerify', summary: 'There is no down.sql to verify yet (step 3 writes it).' };
  const shadow = await resolveShadowDatabase(o.shadowSetting, { env: o.env, envFiles: o.envFiles });
  const migrations = folder.migrations
    .slice(0, index + 1)
    .map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath }));
  const request = {
    migrations,
    index,
    rollbackSql,
    rollbackPath: file,
    shadowDatabaseUrl: shadow.url,
    cacheDir: o.cacheDir,
    replayCacheDir: o.replayCacheDir,
    timeoutMs: o.timeoutMs,
    onProgress: o.onProgress,
  };
  const schema = schemaStepResult(await verifyRollback(request), shadow.problem);
  if (!o.data) return schema;
  const withData = await verifyRollback({
    ...request,
    data: o.data === 'archive' ? archiveDataHooks(migrations) : {},
  }).catch(
    (e): VerifyResult => ({
      kind: 'couldNotVerify',
      reason: e instanceof Error ? e.message.split('\n')[0] : String(e),
      ms: 0,
    }),
  );
  const data = dataCheckOf(withData);
  return { ...schema, summary: `${schema.summary} ${data.summary}`, data };
}

/** The step's words for the schema proof (verifyRollbackScript). */
function schemaStepResult(r: VerifyResult, shadowProblem: string | undefined): VerifyStepResult {
  if (r.kind === 'verified') {
    return {
      result: 'verified',
      // The count every surface shows (CodeLens, hover, notification): the history before N and N itself.
      summary: `Verified against ${verifiedAgainstText(r)} in ${(r.ms / 1000).toFixed(1)} s (${r.engine === 'server' ? 'shadow database server' : 'embedded PostgreSQL'}${r.cached ? ', cached' : ''}).`,
    };
  }
  if (r.kind === 'differences') {
    return {
      result: 'differences',
      summary: `${r.differences.length} difference(s): ${r.differences.slice(0, 5).join('; ')}${r.differences.length > 5 ? '; …' : ''}`,
    };
  }
  if (r.kind === 'cannotProve')
    return {
      result: 'couldNotVerify',
      summary: `Cannot prove: no difference found, but the comparison cannot see ${r.reasons.join('; ')}`,
    };
  const setting = shadowProblem ? ` (${shadowProblem})` : '';
  return { result: 'couldNotVerify', summary: `Could not verify: ${r.reason}${setting}` };
}

/**
 * Step 4 of "Roll Back to Here…": one verification of the whole chain — replay everything up to
 * `through` (default: the last migration), apply the down.sql of every migration after `to`
 * newest first, compare with the schema after 1..`to` (`verifyRollbackChain`). `couldNotVerify`
 * when a down.sql is missing (step 3 writes them); throws `RunbookError` `config` for an unknown
 * or unreadable migration.
 */
export async function verifyRollbackChainScripts(
  migrationsDir: string,
  to: string,
  o: VerifyStepOptions & { through?: string } = {},
): Promise<VerifyStepResult> {
  const last = o.through ?? (await readMigrationsFolder(migrationsDir)).migrations.at(-1)?.name ?? to;
  const { folder, index: end } = await history(migrationsDir, last);
  const t = folder.migrations.findIndex((m) => m.name === to);
  if (t < 0 || t >= end)
    throw new RunbookError(`No migration after ${to} up to ${last} in ${migrationsDir}.`, 'config');
  const rollbacks: { name: string; sql: string; path: string }[] = [];
  for (const m of folder.migrations.slice(t + 1, end + 1)) {
    const file = path.join(m.dir, 'down.sql');
    const sql = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (sql === undefined)
      return {
        result: 'couldNotVerify',
        summary: `${m.name} has no down.sql to verify yet (step 3 writes them).`,
      };
    rollbacks.push({ name: `${m.name}/down.sql`, sql, path: file });
  }
  const shadow = await resolveShadowDatabase(o.shadowSetting, { env: o.env, envFiles: o.envFiles });
  const r = await verifyRollbackChain({
    migrations: folder.migrations
      .slice(0, end + 1)
      .map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
    to: t,
    rollbacks,
    shadowDatabaseUrl: shadow.url,
    cacheDir: o.cacheDir,
    replayCacheDir: o.replayCacheDir,
    timeoutMs: o.timeoutMs,
    onProgress: o.onProgress,
  });
  const what = `the ${rollbacks.length} rollbacks (newest first)`;
  if (r.kind === 'verified')
    return {
      result: 'verified',
      summary: `Verified ${what}: the schema is back to the one after ${to} (${(r.ms / 1000).toFixed(1)} s, ${r.engine}${r.cached ? ', cached' : ''}).`,
    };
  if (r.kind === 'differences')
    return {
      result: 'differences',
      summary: `${r.differences.length} difference(s) after ${what}: ${r.differences.slice(0, 5).join('; ')}${r.differences.length > 5 ? '; …' : ''}`,
    };
  if (r.kind === 'cannotProve')
    return {
      result: 'couldNotVerify',
      summary: `Cannot prove: no difference found, but the comparison cannot see ${r.reasons.join('; ')}`,
    };
  const setting = shadow.problem ? ` (${shadow.problem})` : '';
  return { result: 'couldNotVerify', summary: `Could not verify: ${r.reason}${setting}` };
}

export interface DependentStep {
  /** Folder name of the later migration. */
  name: string;
  /** One line per statement that touches what the migration created or changed. */
  reasons: string[];
}

/**
 * Step 1: the later migrations (in folder order) that touch what `migration` created or changed,
 * read with PostgreSQL's parser. Its own Method 2 rollback migration (`…_rollback_<name>`) is
 * left out: undoing the same objects is its purpose. A later migration that cannot be read is
 * listed with that reason (it could not be checked), never silently dropped.
 * Throws `RunbookError` code `config` (no such folder, or an unreadable migration.sql up to it),
 * code `parse` (its own migration.sql does not parse), and the parser's load error. Read-only.
 */
export async function dependentsOf(migrationsDir: string, migration: string): Promise<DependentStep[]> {
  const { folder, index, local } = await history(migrationsDir, migration);
  await initSqlParser();
  try {
    parseMigrationSync(local.sql!);
  } catch (e) {
    // dependentMigrations would answer "none": say that it could not be computed instead.
    throw new RunbookError(
      `Cannot list the migrations that depend on ${migration}: its migration.sql does not parse (${(e as Error).message}).`,
      'parse',
    );
  }
  const found = await dependentMigrations(folder.migrations, index);
  return found.map((d) => ({ name: d.name, reasons: d.reasons }));
}

export interface ImpactStepResult {
  /** False when the check could not answer (no rollback script yet, the migration is not applied there…). */
  ok: boolean;
  /** `down.sql would delete 3 rows of "Tag" …`, or why it could not be checked. */
  summary: string;
  result: 'destroys' | 'destroysNothing' | 'refused' | 'noRollback' | 'couldNotCount';
  /** One line per destructive statement: `down.sql:4: dropTable "Tag": 3 rows`. */
  lines: string[];
  ms?: number;
}

function countText(c: { count: number; exact: boolean }, what: string): string {
  return `${c.exact ? '' : 'about '}${c.count.toLocaleString('en-US')} ${what}${c.exact ? '' : ' (planner estimate)'}`;
}

function describeStep(rollbackName: string, s: DestructiveStep): string {
  const what = [
    s.rows ? countText(s.rows, 'rows') : '',
    s.values ? countText(s.values, 'non-null values') : '',
    s.tooLong ? `${s.tooLong.count.toLocaleString('en-US')} too long for the new type` : '',
    s.removedValues?.length ? `removed enum values ${s.removedValues.join(', ')}` : '',
    failsOnRows(s) ? ROLLBACK_FAILS_ON_ROWS : '',
    s.note ?? '',
  ].filter(Boolean);
  return `${rollbackName}:${s.line}: ${destructiveKindWords(s.kind)} ${s.table}${s.columnName ? `."${s.columnName}"` : ''}${what.length ? `: ${what.join('; ')}` : ''}`;
}

/**
 * Step 5: what the rollback would destroy in the target environment, read-only (the live
 * pre-check of src/core/verify/precheck.ts, each count under a statement timeout of
 * `statementTimeoutMs` milliseconds). The connection string is used for this check only and never
 * appears in the result. Throws `RunbookError` code `config` for a missing/unreadable migration and
 * for any failure of the check (the URL masked); nothing is changed in the database and the pool
 * is closed. No rollback script is a result (`noRollback`), not an error.
 */
export async function impactOnTarget(o: {
  url: string;
  environment: string;
  migrationsDir: string;
  migration: string;
  statementTimeoutMs?: number;
  exactLimit?: number;
}): Promise<ImpactStepResult> {
  const { folder, index } = await history(o.migrationsDir, o.migration);
  const rollback = await findRollbackScript(folder.migrations, index);
  if (!rollback) {
    return {
      ok: false,
      result: 'noRollback',
      summary: `${o.migration} has no rollback script yet (no down.sql, no later *${rollbackMigrationSuffix(o.migration)} migration): step 3 writes down.sql, then check again.`,
      lines: [],
    };
  }
  const pool = createPool(o.url, { statementTimeoutMs: o.statementTimeoutMs });
  try {
    const r = await precheckRollback(pool, rollback.sql, {
      rollbackName: rollback.name,
      migrationName: o.migration,
      migrationSql: folder.migrations[index].sql,
      statementTimeoutMs: o.statementTimeoutMs,
      exactLimit: o.exactLimit,
    });
    const lines = r.steps.map((s) => describeStep(rollback.name, s));
    const locks = await measureLockRisks(pool, await lockRisks(rollback.sql).catch(() => []));
    for (const l of locks.risks) lines.push(`${rollback.name}: ${describeLockRisk(l)}`);
    if (r.migration?.editedAfterApply)
      lines.unshift(editedAfterApplyWarning(o.migration, o.environment, r.migration.editedAfterApply));
    if (r.refused) return { ok: false, result: 'refused', summary: r.refused, lines, ms: r.ms };
    if (r.incomplete.length)
      return {
        ok: false,
        result: 'couldNotCount',
        summary: `${o.environment}: ${r.summary}`,
        lines,
        ms: r.ms,
      };
    return {
      ok: true,
      result: r.destroys ? 'destroys' : 'destroysNothing',
      summary: `${o.environment}: ${r.summary}`,
      lines,
      ms: r.ms,
    };
  } catch (e) {
    throw new RunbookError(
      `Cannot check ${o.environment} (${maskUrl(o.url)}): ${describeDbError(e, o.url)}`,
      'config',
    );
  } finally {
    await pool.end().catch(() => {});
  }
}
