/**
 * The checklist's steps 3 and 4 over the generator (src/core/sql) and the verifier
 * (src/core/verify): make sure `down.sql` exists and is current with `migration.sql`, and prove
 * it in an embedded PostgreSQL. Heavy (parser, PGlite): the editor loads this lazily.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readMigrationsFolder } from '../migrations';
import { generateRollback, isDownSqlHandEdited, isDownSqlStale } from '../sql';
import { verifyRollback } from '../verify';
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
}

/** Step 4: replay 1..N-1, apply N and its rollback in an embedded PostgreSQL, compare the schemas. */
export async function verifyRollbackScript(
  migrationsDir: string,
  migration: string,
  o: { shadowDatabaseUrl?: string; cacheDir?: string } = {},
): Promise<VerifyStepResult> {
  const { folder, index, local } = await history(migrationsDir, migration);
  const file = path.join(local.dir, 'down.sql');
  const rollbackSql = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (rollbackSql === undefined)
    return { result: 'couldNotVerify', summary: 'There is no down.sql to verify yet (step 3 writes it).' };
  const r = await verifyRollback({
    migrations: folder.migrations
      .slice(0, index + 1)
      .map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
    index,
    rollbackSql,
    rollbackPath: file,
    shadowDatabaseUrl: o.shadowDatabaseUrl,
    cacheDir: o.cacheDir,
  });
  if (r.kind === 'verified') {
    return {
      result: 'verified',
      summary: `Verified against ${r.replayed} earlier migration(s) in ${(r.ms / 1000).toFixed(1)} s (${r.engine}${r.cached ? ', cached' : ''}).`,
    };
  }
  if (r.kind === 'differences') {
    return {
      result: 'differences',
      summary: `${r.differences.length} difference(s): ${r.differences.slice(0, 5).join('; ')}${r.differences.length > 5 ? '; …' : ''}`,
    };
  }
  return { result: 'couldNotVerify', summary: `Could not verify: ${r.reason}` };
}
