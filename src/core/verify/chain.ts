/**
 * Proves a chain of rollbacks (`verify --to <m>`): replay migrations 1..m, snapshot (A); apply
 * every later migration, then each one's rollback newest first, snapshot (B); compare. It is
 * `verifyRollback` on a history whose migration m+1 is the later migrations joined into one
 * script and whose rollback is their rollbacks joined newest first — so it runs wherever
 * `verifyRollback` runs (embedded or shadow server) and is cached the same way. A failure's line
 * in a joined script is mapped back to the migration or rollback file it came from.
 */
import { initSqlParser, parseMigrationSync } from '../sql/parser';
import { transactionControl } from '../sql/script';
import { describeFailure, type ScriptFailure } from './failure';
import {
  type ScriptSegment,
  type VerifyMigration,
  type VerifyResult,
  type VerifyRollbackOptions,
  verifyRollback,
} from './index';

export interface ChainRollback {
  /** How it is named in messages, e.g. `20240102_post/down.sql`. */
  name: string;
  sql: string;
  /** Absolute path of the file, when there is one. */
  path?: string;
}

export interface VerifyChainOptions
  extends Omit<
    VerifyRollbackOptions,
    'migrations' | 'index' | 'rollbackSql' | 'rollbackName' | 'rollbackPath'
  > {
  /** The project's migrations in order. */
  migrations: VerifyMigration[];
  /** 0-based position of the target m: it stays applied; every later migration is rolled back. */
  to: number;
  /** The rollbacks of migrations[to+1 ..], in migration order (they are applied newest first). */
  rollbacks: ChainRollback[];
}

interface Piece {
  name: string;
  path?: string;
  /** 1-based line of the joined script where this piece starts. */
  line: number;
  /** Character offset of the joined script where this piece starts (after the separator). */
  offset: number;
}

const SEPARATOR = '\n;\n';

/**
 * The script with its BEGIN/COMMIT statements blanked (same length, same lines), so that joined
 * rollbacks run as one transaction; unchanged when it does not parse or has other transaction
 * control.
 */
function withoutOwnTransaction(sql: string): string {
  let statements: ReturnType<typeof parseMigrationSync>['statements'];
  try {
    statements = parseMigrationSync(sql).statements;
  } catch {
    return sql;
  }
  const tx = statements.map((s) => transactionControl(s));
  if (tx.some((t) => t && t !== 'begin' && t !== 'commit')) return sql;
  let out = sql;
  statements.forEach((s, i) => {
    if (!tx[i]) return;
    const blank = out.slice(s.start, s.end).replace(/[^\n\r]/g, ' ');
    out = out.slice(0, s.start) + blank + out.slice(s.end);
  });
  return out;
}

function join(parts: { name: string; path?: string; sql: string }[]): { sql: string; pieces: Piece[] } {
  let sql = '';
  let line = 1;
  const pieces: Piece[] = [];
  for (const p of parts) {
    if (sql) {
      sql += SEPARATOR;
      line += 2;
    }
    pieces.push({ name: p.name, path: p.path, line, offset: sql.length });
    sql += p.sql;
    line += (p.sql.match(/\n/g) ?? []).length;
  }
  return { sql, pieces };
}

/** The runs of a joined script, one per file it joins, each said by `message` (VerifyRollbackOptions.segments). */
function runsOf(
  joined: { sql: string; pieces: Piece[] },
  message: (p: Piece, k: number) => string,
  script: (p: Piece) => string,
): ScriptSegment[] {
  return joined.pieces.map((p, k) => ({
    message: message(p, k),
    end: joined.pieces[k + 1]?.offset ?? joined.sql.length,
    script: script(p),
    path: p.path,
  }));
}

/** A failure in a joined script, pointed back at the file it came from. */
function mapFailure(f: ScriptFailure, pieces: Piece[]): ScriptFailure {
  if (f.line === undefined) return { ...f, script: pieces.map((p) => p.name).join(' + '), path: undefined };
  const piece = [...pieces].reverse().find((p) => p.line <= f.line!) ?? pieces[0];
  return { ...f, script: piece.name, path: piece.path, line: f.line - piece.line + 1 };
}

/**
 * Verifies that the rollbacks of `migrations[to+1..]`, applied newest first after those
 * migrations, bring the schema back to the one after `migrations[0..to]` (see the module
 * comment). Same results as `verifyRollback`; a failure (`failure`, and the first line of
 * `differences` or the `reason`) names the migration or rollback file and its line. Throws
 * RangeError when `to` is not followed by at least one migration or `rollbacks` does not have one
 * rollback per later migration; never throws for database or script problems.
 */
export async function verifyRollbackChain(opts: VerifyChainOptions): Promise<VerifyResult> {
  const { migrations, to, rollbacks, ...rest } = opts;
  const later = migrations.slice(to + 1);
  if (!Number.isInteger(to) || to < 0 || !later.length)
    throw new RangeError(`no migration after index ${to} of ${migrations.length}`);
  if (rollbacks.length !== later.length)
    throw new RangeError(`${later.length} migrations after the target but ${rollbacks.length} rollbacks`);
  await initSqlParser();
  const forward = join(later.map((m) => ({ name: m.name, path: m.path, sql: m.sql })));
  const backward = join(
    [...rollbacks].reverse().map((r) => ({ name: r.name, path: r.path, sql: withoutOwnTransaction(r.sql) })),
  );
  const chainName = `${later[0].name}..${later[later.length - 1].name}`;
  const rollbackName = `the rollbacks of ${chainName}`;
  const n = later.length;
  rest.onProgress?.(
    `Verifying the rollbacks of the ${n} migration${n === 1 ? '' : 's'} after ${migrations[to].name} as one chain: replay the ${to + 1} migration${to === 0 ? '' : 's'} up to it, apply ${n === 1 ? 'the one' : `the ${n}`} after it, then ${n === 1 ? 'its rollback' : 'their rollbacks newest first'}`,
  );
  const result = await verifyRollback({
    ...rest,
    migrations: [...migrations.slice(0, to + 1), { name: chainName, sql: forward.sql }],
    index: to + 1,
    rollbackSql: backward.sql,
    rollbackName,
    segments: {
      forward: runsOf(
        forward,
        (p, k) => `Applying migration ${k + 1} of ${n} after ${migrations[to].name}: ${p.name}`,
        (p) => `${p.name}/migration.sql`,
      ),
      rollback: runsOf(
        backward,
        (p, k) => `Applying rollback ${k + 1} of ${n} (newest first): ${p.name}`,
        (p) => p.name,
      ),
    },
  });
  if (result.kind === 'cannotProve') {
    // `<joined name>:<line>: why` → `<file it came from>:<line in that file>: why`
    const sources: [string, Piece[], string][] = [
      [`${chainName}/migration.sql`, forward.pieces, '/migration.sql'],
      [rollbackName, backward.pieces, ''],
    ];
    const reasons = result.reasons.map((r) => {
      for (const [name, pieces, suffix] of sources) {
        const m = r.startsWith(`${name}:`) ? /^:(\d+): /.exec(r.slice(name.length)) : null;
        if (!m) continue;
        const line = Number(m[1]);
        const piece = [...pieces].reverse().find((p) => p.line <= line) ?? pieces[0];
        return `${piece.name}${suffix}:${line - piece.line + 1}: ${r.slice(name.length + m[0].length)}`;
      }
      return r;
    });
    return { ...result, reasons };
  }
  if (result.kind === 'differences' && result.failure) {
    const failure = mapFailure(result.failure, backward.pieces);
    return {
      ...result,
      failure,
      differences: [
        `${failure.script} failed to apply: ${describeFailure(failure)}`,
        ...result.differences.slice(1),
      ],
    };
  }
  if (result.kind === 'couldNotVerify' && result.failure) {
    const inChain = result.failure.script === chainName;
    const failure = inChain ? mapFailure(result.failure, forward.pieces) : result.failure;
    return {
      ...result,
      failure,
      reason: inChain
        ? `Migration ${failure.script} failed to apply: ${describeFailure(failure)}`
        : result.reason,
    };
  }
  return result;
}
