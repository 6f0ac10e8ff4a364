/**
 * The lock each statement of a rollback takes and the work it does on a live table: whether it
 * rewrites the table, scans it, or only changes the catalog — with the table's size on the target,
 * so Impact can say "rewrites "Order" (2.1 GB) under ACCESS EXCLUSIVE" and suggest a rewrite-free
 * alternative where one exists.
 *
 * Rules from the PostgreSQL documentation: "Explicit Locking" (13.3, table-level lock modes per
 * command), ALTER TABLE's Notes (which forms rewrite the table or scan it: a type change that is not
 * binary-coercible rewrites; SET NOT NULL scans unless a valid CHECK proves it; ADD CONSTRAINT
 * without NOT VALID scans; ADD COLUMN with a volatile default rewrites), CREATE INDEX (SHARE lock,
 * CONCURRENTLY: SHARE UPDATE EXCLUSIVE). squawk's and strong_migrations' rule lists were the
 * checklist of what matters.
 */
import type pg from 'pg';
import { describeDbError } from '../db';
import { quoteLiteral } from '../sql/names';
import { initSqlParser, parseMigrationSync } from '../sql/parser';

export type LockMode = 'ACCESS EXCLUSIVE' | 'SHARE ROW EXCLUSIVE' | 'SHARE' | 'SHARE UPDATE EXCLUSIVE';
/** `rewrite`: the whole table (and its indexes) is written again; `scan`: read in full under the lock. */
export type LockWork = 'rewrite' | 'scan' | 'catalog';

export interface LockRisk {
  /** 1-based line of the statement in the rollback script. */
  line: number;
  /** `"schema"."table"` as written (schema omitted when the statement omits it). */
  table: string;
  lock: LockMode;
  work: LockWork;
  /** What the statement does, e.g. `ALTER COLUMN "total" TYPE integer`. */
  what: string;
  /** A way to do it without the rewrite / long lock, when there is one. */
  alternative?: string;
  /** Size of the table with its indexes and TOAST on the target, in bytes (when measured). */
  bytes?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse-tree nodes
type N = any;

const relName = (rv: N): string => (rv?.schemaname ? `"${rv.schemaname}".` : '') + `"${rv?.relname ?? '?'}"`;

/** Type names whose conversion from the listed sources is binary-coercible (no rewrite). */
const NO_REWRITE_TARGETS = new Set(['text', 'varchar', 'citext']);

function typeLabel(tn: N): string {
  const names: string[] = (tn?.names ?? []).map((x: N) => x.String?.sval).filter(Boolean);
  return (names.filter((x) => x !== 'pg_catalog').join('.') || '?') + (tn?.arrayBounds?.length ? '[]' : '');
}

function volatileDefault(def: N): boolean {
  const cons: N[] = (def?.constraints ?? []).map((c: N) => c.Constraint);
  const d = cons.find((c) => c?.contype === 'CONSTR_DEFAULT')?.raw_expr;
  if (!d) return false;
  const text = JSON.stringify(d);
  return /"sval":"(random|gen_random_uuid|uuid_generate_v4|clock_timestamp|timeofday|nextval)"/.test(text);
}

function alterTableRisks(n: N, line: number): LockRisk[] {
  const table = relName(n.relation);
  const out: LockRisk[] = [];
  for (const c of (n.cmds ?? []).map((x: N) => x.AlterTableCmd)) {
    const col = c.name ? `"${c.name}"` : '';
    switch (c.subtype) {
      case 'AT_AlterColumnType': {
        const target = typeLabel(c.def?.ColumnDef?.typeName);
        // A USING that only casts the column itself converts like no USING at all.
        let using = c.def?.ColumnDef?.raw_default;
        while (using?.TypeCast) using = using.TypeCast.arg;
        const plain = !using || using.ColumnRef?.fields?.at(-1)?.String?.sval === c.name;
        const coercible = NO_REWRITE_TARGETS.has(target) && plain;
        out.push({
          line,
          table,
          lock: 'ACCESS EXCLUSIVE',
          work: coercible ? 'catalog' : 'rewrite',
          what: `ALTER COLUMN ${col} TYPE ${target}`,
          alternative: coercible
            ? undefined
            : `add a new column of type ${target}, backfill it in batches, then swap the names: no rewrite under ACCESS EXCLUSIVE`,
        });
        break;
      }
      case 'AT_SetNotNull':
        out.push({
          line,
          table,
          lock: 'ACCESS EXCLUSIVE',
          work: 'scan',
          what: `ALTER COLUMN ${col} SET NOT NULL`,
          alternative: `ADD CONSTRAINT … CHECK (${col} IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE), then SET NOT NULL uses it without a scan (PostgreSQL 12+)`,
        });
        break;
      case 'AT_AddColumn':
        if (volatileDefault(c.def?.ColumnDef))
          out.push({
            line,
            table,
            lock: 'ACCESS EXCLUSIVE',
            work: 'rewrite',
            what: `ADD COLUMN "${c.def.ColumnDef.colname}" with a volatile default`,
            alternative: 'add the column without a default, set the default, then backfill in batches',
          });
        break;
      case 'AT_AddConstraint': {
        const k = c.def?.Constraint;
        if (!k || k.skip_validation) break;
        if (k.contype === 'CONSTR_FOREIGN')
          out.push({
            line,
            table,
            lock: 'SHARE ROW EXCLUSIVE',
            work: 'scan',
            what: `ADD FOREIGN KEY${k.conname ? ` "${k.conname}"` : ''}`,
            alternative:
              'ADD … NOT VALID, then VALIDATE CONSTRAINT in a second step (SHARE UPDATE EXCLUSIVE)',
          });
        else if (k.contype === 'CONSTR_CHECK')
          out.push({
            line,
            table,
            lock: 'ACCESS EXCLUSIVE',
            work: 'scan',
            what: `ADD CHECK${k.conname ? ` "${k.conname}"` : ''}`,
            alternative:
              'ADD … NOT VALID, then VALIDATE CONSTRAINT in a second step (SHARE UPDATE EXCLUSIVE)',
          });
        else if ((k.contype === 'CONSTR_PRIMARY' || k.contype === 'CONSTR_UNIQUE') && !k.indexname)
          out.push({
            line,
            table,
            lock: 'ACCESS EXCLUSIVE',
            work: 'scan',
            what: `ADD ${k.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE'} (builds an index)`,
            alternative: 'CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … USING INDEX',
          });
        break;
      }
      case 'AT_SetLogged':
      case 'AT_SetUnLogged':
        out.push({
          line,
          table,
          lock: 'ACCESS EXCLUSIVE',
          work: 'rewrite',
          what: c.subtype.replace('AT_', ''),
        });
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * The statements of `script` that rewrite or scan a table under a lock that blocks its writes (or
 * reads), read from the parse tree. Statements that only change the catalog (DROP COLUMN, RENAME,
 * DROP INDEX…) take ACCESS EXCLUSIVE briefly and are left out. Throws SqlParseError on bad SQL.
 */
export async function lockRisks(script: string): Promise<LockRisk[]> {
  await initSqlParser();
  const out: LockRisk[] = [];
  for (const st of parseMigrationSync(script).statements) {
    const n = st.node as N;
    if (n.AlterTableStmt && (n.AlterTableStmt.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE')
      out.push(...alterTableRisks(n.AlterTableStmt, st.line));
    else if (n.IndexStmt && !n.IndexStmt.concurrent)
      out.push({
        line: st.line,
        table: relName(n.IndexStmt.relation),
        lock: 'SHARE',
        work: 'scan',
        what: `CREATE ${n.IndexStmt.unique ? 'UNIQUE ' : ''}INDEX${n.IndexStmt.idxname ? ` "${n.IndexStmt.idxname}"` : ''} (blocks writes while it builds)`,
        alternative: 'CREATE INDEX CONCURRENTLY, run outside the rollback transaction',
      });
  }
  return out;
}

/**
 * Adds each table's size on the target (`pg_total_relation_size`, bytes), read-only. A table that
 * is not there, or a size that cannot be read, is left without `bytes`. Never throws.
 */
export async function measureLockRisks(
  client: Pick<pg.Pool, 'query'>,
  risks: LockRisk[],
): Promise<{ risks: LockRisk[]; error?: string }> {
  const tables = [...new Set(risks.map((r) => r.table))];
  if (!tables.length) return { risks };
  try {
    const r = await client.query<{ t: string; bytes: string | null }>(
      `SELECT t, pg_total_relation_size(to_regclass(t)) AS bytes FROM unnest(ARRAY[${tables.map(quoteLiteral).join(', ')}]::text[]) AS t`,
    );
    const size = new Map(r.rows.map((x) => [x.t, x.bytes === null ? undefined : Number(x.bytes)]));
    return { risks: risks.map((x) => ({ ...x, bytes: size.get(x.table) })) };
  } catch (e) {
    return { risks, error: describeDbError(e) };
  }
}

/** `1.2 GB`, `340 kB` (powers of 1024, as pg_size_pretty). */
export function prettyBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** `line 12: rewrites "Order" (2.1 GB) under ACCESS EXCLUSIVE — ALTER COLUMN "total" TYPE int4. Instead: …` */
export function describeLockRisk(r: LockRisk): string {
  const verb = r.work === 'rewrite' ? 'rewrites' : r.work === 'scan' ? 'scans' : 'changes';
  const size = r.bytes !== undefined ? ` (${prettyBytes(r.bytes)})` : '';
  return `line ${r.line}: ${verb} ${r.table}${size} under ${r.lock} — ${r.what}${r.alternative ? `. Instead: ${r.alternative}` : ''}`;
}
