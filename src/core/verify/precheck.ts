/**
 * Live pre-check: before a rollback runs against an environment, what it would destroy there.
 * For every destructive statement of the rollback (DROP TABLE, DROP COLUMN, ALTER COLUMN TYPE,
 * enum value removal, DELETE, TRUNCATE) it counts, read-only and under a statement timeout,
 * the rows and values at stake: exactly up to a limit, above it the planner's estimate (marked
 * as such). Also says whether the migration is applied there at all.
 *
 * Fail closed: a count that fails (permission denied, statement timeout) is reported as such
 * (`incomplete`), never as "nothing destroyed"; a history table that cannot be read is not
 * "never applied". Whether a step destroys data is decided in one place (`stepDestroys`), and
 * both the summary and `destroys` follow it: a lossless cast back (citext or varchar → text,
 * integer → bigint) converts values without destroying them.
 */
import type pg from 'pg';
import { describeDbError, pgTimeoutMs, readOnly } from '../db';
import { checksumMatches, prismaChecksum } from '../migrations';
import { quoteIdent, quoteLiteral } from '../sql/names';
import { deparseNode, initSqlParser, parseMigrationSync, type SqlStatement } from '../sql/parser';

export interface Count {
  /** Exact count, or the planner's estimate when `exact` is false. */
  count: number;
  exact: boolean;
}

export type DestructiveKind =
  | 'dropTable'
  | 'dropColumn'
  | 'alterColumnType'
  | 'removeEnumValues'
  | 'delete'
  | 'truncate'
  | 'dropExtension';

export interface DestructiveStep {
  kind: DestructiveKind;
  /** 1-based position of the statement in the rollback file. */
  line: number;
  column: number;
  /** The statement as written (first 200 characters). */
  statement: string;
  /** `"Table"` or `"schema"."Table"`. */
  table: string;
  /** Dropped or converted column, for column steps. */
  columnName?: string;
  /** Rows that would be deleted (dropTable, delete, truncate) or rows holding removed enum values. */
  rows?: Count;
  /** Non-null values that would be lost (dropColumn) or converted (alterColumnType). */
  values?: Count;
  /** alterColumnType to a shorter varchar/char: values that do not fit. */
  tooLong?: Count;
  /** removeEnumValues: the labels the column's type loses. */
  removedValues?: string[];
  /**
   * removeEnumValues: the enum the rollback casts the column (or, for an array column, its
   * elements) to; `rows` counts the rows holding a value that is not one of its labels at that
   * point of the rollback (PostgreSQL rejects the cast on exactly those rows).
   */
  targetEnum?: string;
  /** removeEnumValues: the column is an array of the enum (its elements are cast). */
  array?: boolean;
  /** alterColumnType: the type the column is converted to, as written (`text`, `varchar(20)`). */
  targetType?: string;
  /** alterColumnType: the conversion keeps every value (to text, varchar, citext, bigint), so converting is not destroying. */
  lossless?: boolean;
  /** The count failed (permission denied, timeout…): why. The result is then `incomplete`. */
  countFailed?: string;
  /** The object is not there (nothing to destroy), the count failed (timeout…), or a remark (shared extension). */
  note?: string;
}

export interface PrecheckResult {
  /** Whether migration `migrationName` is applied in that database (when asked). */
  migration?: {
    name: string;
    /** `unknown`: `_prisma_migrations` exists but could not be read (`error` says why). */
    state: 'applied' | 'notApplied' | 'rolledBack' | 'failed' | 'noHistoryTable' | 'unknown';
    error?: string;
    /**
     * The checksum Prisma stored for it there (first row, as Prisma compares), when it differs from
     * `PrecheckOptions.migrationSql`: the file was edited after it was applied, so the rollback was
     * generated from text the database never ran.
     */
    editedAfterApply?: { storedChecksum: string; localChecksum: string };
  };
  /** Set when the rollback must not run there, with the reason (e.g. the migration is not applied). */
  refused?: string;
  steps: DestructiveStep[];
  /** Whether some step destroys data (`stepDestroys`); the summary says the same. */
  destroys: boolean;
  /** One line per count that failed (`"Order"."note": permission denied for table Order`); non-empty → no all-clear. */
  incomplete: string[];
  /**
   * Objects the rollback drops or changes (`"Tag"`, `column "User"."bio"`) that do not exist there
   * although the migration is recorded as applied: the target has drifted; they are in `incomplete`
   * too and the summary says so (never "would destroy no data").
   */
  drifted: string[];
  /** `down.sql would delete 12,345 rows of "WidgetInstall" and the values of 2 columns`, or `could not count …`. */
  summary: string;
  ms: number;
}

export interface PrecheckOptions {
  /** Label in the summary (default `down.sql`). */
  rollbackName?: string;
  /** The migration being rolled back: checked against `_prisma_migrations`. */
  migrationName?: string;
  /** The local migration.sql of `migrationName`: compared with the checksum stored there. */
  migrationSql?: string;
  /** Counts are exact up to this many rows (default 100,000); above it, the planner's estimate. */
  exactLimit?: number;
  /** Per query (default 5 s). */
  statementTimeoutMs?: number;
}

/** `DROP … IF EXISTS` / `ALTER TABLE IF EXISTS`: a statement that expects its object may be absent. */
const IF_EXISTS = /\bIF\s+EXISTS\b/i;

interface TableRef {
  schema?: string;
  name: string;
}

function qualified(t: TableRef): string {
  return t.schema ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}` : quoteIdent(t.name);
}

function display(t: TableRef): string {
  return t.schema && t.schema !== 'public'
    ? `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`
    : quoteIdent(t.name);
}

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse-tree nodes
type N = any;

function names(list: N[] | undefined): string[] {
  return (list ?? []).map((n: N) => n.String?.sval ?? '').filter(Boolean);
}

function rangeVar(rv: N): TableRef {
  return { schema: rv.schemaname || undefined, name: rv.relname };
}

function fromList(items: string[]): TableRef {
  return items.length > 1
    ? { schema: items[items.length - 2], name: items[items.length - 1] }
    : { name: items[0] };
}

interface Planned {
  step: Omit<DestructiveStep, 'line' | 'column' | 'statement'>;
  st: SqlStatement;
  /** For a cast to an enum the rollback itself creates: the labels it has at that point. */
  newLabels?: string[];
  /** For a cast to another type: the type, looked up in the database (an enum there → removeEnumValues). */
  target?: TableRef;
  /** Labels the rollback adds (ALTER TYPE … ADD VALUE) to `target` before this step. */
  addedLabels?: string[];
  /** The column, or its elements (array type), are cast. */
  array?: boolean;
  /** For alterColumnType: varchar/char length limit of the new type. */
  maxLength?: number;
  whereSql?: string;
}

/** Types whose conversion keeps every value of any source type it is cast from (given `tooLong` is 0). */
const LOSSLESS_TARGETS = new Set(['text', 'varchar', 'citext', 'int8']);

/**
 * The destructive statements of a rollback, read with PostgreSQL's parser. Enum labels are
 * followed through the rollback in order (CREATE TYPE … AS ENUM, ADD VALUE, RENAME VALUE,
 * RENAME TO, DROP TYPE), so a cast is checked against the labels its target has at that point.
 */
function plan(sql: string): Planned[] {
  const statements = parseMigrationSync(sql).statements;
  /** Enums created by the rollback (by last name) → labels so far. */
  const enumsCreated = new Map<string, string[]>();
  /** Other types (by last name) → labels the rollback added to them so far. */
  const added = new Map<string, string[]>();
  const out: Planned[] = [];
  for (const st of statements) {
    const n = st.node as N;
    if (n.CreateEnumStmt) {
      enumsCreated.set(
        names(n.CreateEnumStmt.typeName).at(-1)!,
        (n.CreateEnumStmt.vals ?? []).map((v: N) => v.String?.sval),
      );
      continue;
    }
    if (n.AlterEnumStmt) {
      const e = n.AlterEnumStmt;
      const type = names(e.typeName).at(-1)!;
      const labels = enumsCreated.get(type);
      if (e.oldVal && e.newVal) {
        if (labels)
          enumsCreated.set(
            type,
            labels.map((l) => (l === e.oldVal ? e.newVal : l)),
          );
        else added.set(type, [...(added.get(type) ?? []), e.newVal]);
      } else if (e.newVal) {
        if (labels) labels.push(e.newVal);
        else added.set(type, [...(added.get(type) ?? []), e.newVal]);
      }
      continue;
    }
    if (n.RenameStmt?.renameType === 'OBJECT_TYPE') {
      const from = names(n.RenameStmt.object?.List?.items).at(-1);
      const labels = from ? enumsCreated.get(from) : undefined;
      if (from && labels) {
        enumsCreated.delete(from);
        enumsCreated.set(n.RenameStmt.newname, labels);
      }
      continue;
    }
    if (n.DropStmt?.removeType === 'OBJECT_TYPE') {
      for (const o of n.DropStmt.objects ?? []) {
        const name = names(o.TypeName?.names ?? o.List?.items).at(-1);
        if (name) enumsCreated.delete(name);
      }
      continue;
    }
    if (n.DropStmt?.removeType === 'OBJECT_EXTENSION') {
      for (const o of n.DropStmt.objects ?? []) {
        const ext = o.String?.sval;
        if (ext)
          out.push({
            st,
            step: {
              kind: 'dropExtension',
              table: `extension ${quoteIdent(ext)}`,
              note: `shared: objects outside this migration may use extension ${quoteIdent(ext)}; DROP EXTENSION fails on them (without CASCADE) and destroys no rows`,
            },
          });
      }
      continue;
    }
    if (n.DropStmt?.removeType === 'OBJECT_TABLE') {
      for (const o of n.DropStmt.objects ?? []) {
        const t = fromList(names(o.List?.items));
        out.push({ st, step: { kind: 'dropTable', table: display(t), ...ref(t) } });
      }
    } else if (n.TruncateStmt) {
      for (const r of n.TruncateStmt.relations ?? []) {
        const t = rangeVar(r.RangeVar);
        out.push({ st, step: { kind: 'truncate', table: display(t), ...ref(t) } });
      }
    } else if (n.DeleteStmt) {
      const t = rangeVar(n.DeleteStmt.relation);
      const whereSql = n.DeleteStmt.whereClause ? deparseNode(n.DeleteStmt.whereClause) : undefined;
      const using = (n.DeleteStmt.usingClause ?? []).length > 0;
      out.push({
        st,
        whereSql: using ? 'USING' : whereSql,
        step: { kind: 'delete', table: display(t), ...ref(t) },
      });
    } else if (n.AlterTableStmt && (n.AlterTableStmt.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') {
      const t = rangeVar(n.AlterTableStmt.relation);
      for (const c of n.AlterTableStmt.cmds ?? []) {
        const cmd = c.AlterTableCmd as N;
        if (cmd?.subtype === 'AT_DropColumn') {
          out.push({ st, step: { kind: 'dropColumn', table: display(t), columnName: cmd.name, ...ref(t) } });
        } else if (cmd?.subtype === 'AT_AlterColumnType') {
          const typeName = cmd.def?.ColumnDef?.typeName;
          const tn = names(typeName?.names);
          const base = tn.at(-1) ?? '';
          const array = (typeName?.arrayBounds ?? []).length > 0;
          const labels = enumsCreated.get(base);
          const targetType = typeName ? deparseTypeName(typeName) : base;
          if (labels) {
            out.push({
              st,
              newLabels: [...labels],
              array,
              step: {
                kind: 'removeEnumValues',
                table: display(t),
                columnName: cmd.name,
                targetEnum: quoteIdent(base),
                ...(array ? { array } : {}),
                ...ref(t),
              },
            });
          } else {
            const mod = typeName?.typmods?.[0]?.A_Const?.ival?.ival;
            const maxLength =
              ['varchar', 'bpchar', 'char'].includes(base) && typeof mod === 'number' ? mod : undefined;
            out.push({
              st,
              maxLength,
              array,
              target: tn.length > 1 ? { schema: tn[tn.length - 2], name: base } : { name: base },
              addedLabels: [...(added.get(base) ?? [])],
              step: {
                kind: 'alterColumnType',
                table: display(t),
                columnName: cmd.name,
                targetType,
                lossless: !array && LOSSLESS_TARGETS.has(base),
                ...ref(t),
              },
            });
          }
        }
      }
    }
  }
  return out;
}

/** A type as written in SQL (`text`, `varchar(20)`, `"Role"[]`). */
function deparseTypeName(typeName: N): string {
  try {
    return deparseNode({ TypeName: typeName } as never);
  } catch {
    return names(typeName?.names)
      .filter((x) => x !== 'pg_catalog')
      .join('.');
  }
}

/** Hidden fields carried from planning to counting (removed before returning). */
function ref(t: TableRef): { __ref?: TableRef } {
  return { __ref: t } as { __ref?: TableRef };
}

const fmt = (n: number) => n.toLocaleString('en-US');

function countText(c: Count): string {
  return c.exact ? fmt(c.count) : `about ${fmt(c.count)} (planner estimate)`;
}

/**
 * Whether a step destroys data — the one rule behind both `destroys` (the CLI's exit code) and
 * the summary: rows of a dropped, truncated or emptied table; non-null values of a dropped
 * column; rows holding values the target enum lacks; values too long for the new type; and
 * values of a conversion that is not known to keep them (anything but a cast to text, varchar,
 * citext or bigint).
 */
export function stepDestroys(s: DestructiveStep): boolean {
  switch (s.kind) {
    case 'dropTable':
    case 'truncate':
    case 'delete':
    case 'removeEnumValues':
      return (s.rows?.count ?? 0) > 0;
    case 'dropColumn':
      return (s.values?.count ?? 0) > 0;
    case 'alterColumnType':
      return (s.tooLong?.count ?? 0) > 0 || (!s.lossless && (s.values?.count ?? 0) > 0);
    case 'dropExtension':
      return false;
  }
}

function summarize(name: string, steps: DestructiveStep[], incomplete: string[]): string {
  const rowsByTable = new Map<string, Count>();
  const addRows = (table: string, c: Count | undefined) => {
    if (!c || c.count === 0) return;
    const prev = rowsByTable.get(table);
    rowsByTable.set(table, prev ? { count: prev.count + c.count, exact: prev.exact && c.exact } : { ...c });
  };
  let columns = 0;
  let values: Count = { count: 0, exact: true };
  const extra: string[] = [];
  const failures: string[] = [];
  for (const s of steps) {
    if (s.kind === 'dropTable' || s.kind === 'truncate' || s.kind === 'delete') addRows(s.table, s.rows);
    else if (s.kind === 'dropColumn' && s.values && s.values.count > 0) {
      columns++;
      values = { count: values.count + s.values.count, exact: values.exact && s.values.exact };
    } else if (s.kind === 'removeEnumValues' && s.rows && s.rows.count > 0)
      failures.push(enumCastFailure(s)!);
    else if (s.kind === 'alterColumnType' && s.tooLong && s.tooLong.count > 0)
      extra.push(
        `cut or reject ${countText(s.tooLong)} values of ${s.table}.${quoteIdent(s.columnName!)} that do not fit the new type`,
      );
    else if (s.kind === 'alterColumnType' && stepDestroys(s))
      extra.push(
        `convert ${countText(s.values!)} value${s.values!.count === 1 && s.values!.exact ? '' : 's'} of ${s.table}.${quoteIdent(s.columnName!)} to ${s.targetType} (a cast that may change or reject them)`,
      );
  }
  const parts: string[] = [];
  const deleted = [...rowsByTable].map(
    ([t, c]) => `${countText(c)} row${c.count === 1 && c.exact ? '' : 's'} of ${t}`,
  );
  if (deleted.length) parts.push(`delete ${deleted.join(', ')}`);
  if (columns)
    parts.push(
      `the values of ${columns} column${columns === 1 ? '' : 's'} (${countText(values)} non-null values)`,
    );
  parts.push(...extra);
  const failed = `could not count ${incomplete.length === 1 ? 'one step' : `${incomplete.length} steps`} (${incomplete.join('; ')})`;
  // A rollback that fails on rows: said first, with what to do (it stops in its transaction there).
  const fails = failures.length ? `${name} would fail on ${failures.join('; and on ')}` : '';
  if (!parts.length) {
    if (fails) return incomplete.length ? `${fails}; and ${failed}` : fails;
    return incomplete.length
      ? `${failed}: what ${name} would destroy there is not known`
      : `${name} would destroy no data there`;
  }
  const last = parts.pop()!;
  const text = parts.length ? `${parts.join(', ')} and ${last}` : last;
  const counted = `${name} would ${text.startsWith('the values') ? `delete ${text}` : text}`;
  const both = fails
    ? `${fails}. Once they are changed, it would ${counted.slice(name.length + 7)}`
    : counted;
  return incomplete.length ? `${both}; and ${failed}, which may destroy more` : both;
}

/**
 * For a `removeEnumValues` step with rows (the rollback casts a column back to an enum that lacks
 * values those rows hold): why the rollback fails on them and what to do, e.g.
 * `2 rows of "lineup"."slots" holding THIRD, a value "Slot_rollback" lacks: PostgreSQL rejects the
 * cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first
 * (e.g. UPDATE "lineup" SET "slots" = array_remove("slots", 'THIRD'))`. Undefined for other steps
 * and for no rows. Rule: PostgreSQL 15 docs §8.7 Enumerated Types (an enum's input function rejects a label the
 * type does not have; ALTER COLUMN … TYPE … USING fails on the first such row).
 */
export function enumCastFailure(s: DestructiveStep): string | undefined {
  if (s.kind !== 'removeEnumValues' || !s.rows || s.rows.count === 0 || !s.columnName) return undefined;
  const col = quoteIdent(s.columnName);
  const rows = `${countText(s.rows)} row${s.rows.count === 1 && s.rows.exact ? '' : 's'} of ${s.table}.${col}`;
  const values = s.removedValues ?? [];
  const holding = values.length
    ? `holding ${values.join(', ')}, ${values.length === 1 ? 'a value' : 'values'} ${s.targetEnum} lacks`
    : `holding values that are not labels of ${s.targetEnum}`;
  const example = !values.length
    ? ''
    : s.array
      ? ` (e.g. UPDATE ${s.table} SET ${col} = ${values.reduce((e, v) => `array_remove(${e}, ${quoteLiteral(v)})`, col)})`
      : ` (e.g. UPDATE ${s.table} SET ${col} = <a value ${s.targetEnum} has> WHERE ${col} IN (${values.map(quoteLiteral).join(', ')}))`;
  return `${rows} ${holding}: PostgreSQL rejects the cast on exactly those rows (the rollback stops and changes nothing) — change or delete them first${example}`;
}

/** One query in a savepoint: its rows, or the error (the transaction goes on). */
type Attempt = <T>(sql: string) => Promise<{ rows: T[] } | { error: unknown }>;

/**
 * Whether `name` is applied where `attempt` reads (`_prisma_migrations`, rows in start order), and
 * whether the checksum Prisma stored there differs from `localSql` (edited after apply).
 */
async function migrationStateOf(
  attempt: Attempt,
  name: string,
  localSql: string | undefined,
): Promise<NonNullable<PrecheckResult['migration']>> {
  const r = await attempt<{ finished: boolean; rolled_back: boolean; checksum: string }>(
    `SELECT finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back, checksum
       FROM _prisma_migrations WHERE migration_name = ${quoteLiteral(name)} ORDER BY started_at`,
  );
  let state: NonNullable<PrecheckResult['migration']>['state'];
  let error: string | undefined;
  if ('error' in r) {
    // 42P01 undefined_table: no history table; anything else (permission, timeout) is not an answer
    if ((r.error as { code?: string }).code === '42P01') state = 'noHistoryTable';
    else {
      state = 'unknown';
      error = describeDbError(r.error);
    }
  } else if (r.rows.some((x) => x.finished && !x.rolled_back)) state = 'applied';
  else if (r.rows.some((x) => x.rolled_back)) state = 'rolledBack';
  else if (r.rows.length) state = 'failed';
  else state = 'notApplied';
  const migration: NonNullable<PrecheckResult['migration']> = { name, state, ...(error ? { error } : {}) };
  const stored = 'rows' in r ? r.rows[0]?.checksum : undefined;
  if (stored && localSql !== undefined && !checksumMatches(stored, localSql))
    migration.editedAfterApply = { storedChecksum: stored, localChecksum: prismaChecksum(localSql) };
  return migration;
}

/**
 * What `rollbackSql` would destroy in the database behind `pool`, read-only. Never writes; each
 * count runs under `statementTimeoutMs`; a count that fails is noted on its step.
 */
export async function precheckRollback(
  pool: pg.Pool,
  rollbackSql: string,
  opts: PrecheckOptions = {},
): Promise<PrecheckResult> {
  const started = performance.now();
  const limit = opts.exactLimit ?? 100_000;
  const timeout = opts.statementTimeoutMs ?? 5_000;
  const name = opts.rollbackName ?? 'down.sql';
  await initSqlParser();
  const planned = plan(rollbackSql);
  /** Objects a step drops or changes without IF EXISTS that are not there (drift when the migration is applied). */
  const absent: string[] = [];
  const steps: DestructiveStep[] = [];
  let migration: PrecheckResult['migration'];

  await readOnly(pool, async (c) => {
    await c.query(`SET LOCAL statement_timeout = ${pgTimeoutMs(timeout)}`);
    let sp = 0;
    /** One query in a savepoint, so that a failure (timeout, missing object) does not end the others. */
    const attempt: Attempt = async <T>(sql: string) => {
      const name = `pr_${++sp}`;
      await c.query(`SAVEPOINT ${name}`);
      try {
        const r = await c.query(sql);
        await c.query(`RELEASE SAVEPOINT ${name}`);
        return { rows: r.rows as T[] };
      } catch (error) {
        await c.query(`ROLLBACK TO SAVEPOINT ${name}`);
        return { error };
      }
    };

    if (opts.migrationName)
      migration = await migrationStateOf(attempt, opts.migrationName, opts.migrationSql);

    /** Exact count up to the limit; above it the planner's estimate for the relation. */
    const count = async (t: TableRef, where?: string): Promise<Count | { error: unknown }> => {
      const r = await attempt<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${qualified(t)}${where ? ` WHERE ${where}` : ''} LIMIT ${limit + 1}) s`,
      );
      if ('error' in r) return r;
      const n = Number(r.rows[0].n);
      if (n <= limit) return { count: n, exact: true };
      // more than the limit: the planner's estimate (EXPLAIN without ANALYZE runs nothing)
      const est = await attempt<{ plan: unknown }>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${qualified(t)}${where ? ` WHERE ${where}` : ''}`,
      );
      let e = 0;
      if (!('error' in est)) {
        const raw = (est.rows[0] as Record<string, unknown>)['QUERY PLAN'];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
          Plan?: { 'Plan Rows'?: number };
        }[];
        e = Math.round(plan?.[0]?.Plan?.['Plan Rows'] ?? 0);
      }
      return { count: Math.max(e, n), exact: false };
    };

    for (const p of planned) {
      const t = (p.step as { __ref?: TableRef }).__ref!;

      const text = p.st.text.replace(/\s+/g, ' ');
      const step: DestructiveStep = {
        ...p.step,
        line: p.st.line,
        column: p.st.column,
        statement: text.length > 200 ? `${text.slice(0, 197)}...` : text,
      };
      delete (step as { __ref?: TableRef }).__ref;
      steps.push(step);
      if (step.kind === 'dropExtension') continue;
      const failedCount = (what: string, error: unknown) => {
        step.countFailed = `${what}: ${describeDbError(error)}`;
        step.note = `could not count: ${describeDbError(error)}`;
      };
      const exists = await attempt<{ ok: boolean }>(
        `SELECT to_regclass(${quoteLiteral(qualified(t))}) IS NOT NULL AS ok`,
      );
      if ('error' in exists) {
        failedCount(step.table, exists.error);
        continue;
      }
      if (!exists.rows[0].ok) {
        step.note = `${step.table} does not exist there`;
        if (!IF_EXISTS.test(text)) absent.push(step.table);
        continue;
      }
      const col = step.columnName ? quoteIdent(step.columnName) : undefined;
      const what = col ? `${step.table}.${col}` : step.table;
      const record = (key: 'rows' | 'values' | 'tooLong', c: Count | { error: unknown }) => {
        if ('error' in c) failedCount(what, c.error);
        else step[key] = c;
      };
      if (col) {
        const has = await attempt<{ ok: boolean; labels: string | null }>(
          `SELECT true AS ok,
                  (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)::text FROM pg_catalog.pg_enum e
                    WHERE e.enumtypid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE a.atttypid END) AS labels
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = ${quoteLiteral(qualified(t))}::regclass AND a.attname = ${quoteLiteral(step.columnName!)} AND NOT a.attisdropped`,
        );
        if ('error' in has) {
          failedCount(what, has.error);
          continue;
        }
        if (!has.rows.length) {
          step.note = `column ${step.table}.${col} does not exist there`;
          if (!IF_EXISTS.test(text)) absent.push(`column ${step.table}.${col}`);
          continue;
        }
        // A cast to an enum that exists there (not created by the rollback): its labels, plus those the rollback adds first.
        if (step.kind === 'alterColumnType' && p.target) {
          const target = await attempt<{ labels: string | null }>(
            `SELECT (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)::text FROM pg_catalog.pg_enum e
                      WHERE e.enumtypid = to_regtype(${quoteLiteral(qualified(p.target))})) AS labels`,
          );
          if ('error' in target) {
            failedCount(what, target.error);
            continue;
          }
          if (target.rows[0]?.labels) {
            step.kind = 'removeEnumValues';
            step.targetEnum = display(p.target);
            if (p.array) step.array = true;
            p.newLabels = [...(JSON.parse(target.rows[0].labels) as string[]), ...(p.addedLabels ?? [])];
            delete step.targetType;
            delete step.lossless;
          }
        }
        if (step.kind === 'removeEnumValues') {
          const labels = p.newLabels!;
          if (has.rows[0].labels) {
            const current = JSON.parse(has.rows[0].labels) as string[];
            step.removedValues = current.filter((l) => !labels.includes(l));
          }
          // rows holding a value (an element, for an array) that is not a label of the target enum
          const notALabel = (v: string) =>
            labels.length ? `${v}::text NOT IN (${labels.map(quoteLiteral).join(', ')})` : 'true';
          const where = p.array
            ? `EXISTS (SELECT 1 FROM unnest(${col}) AS v(x) WHERE v.x IS NOT NULL AND ${notALabel('v.x')})`
            : `${col} IS NOT NULL AND ${notALabel(col)}`;
          if (step.removedValues && !step.removedValues.length) step.rows = { count: 0, exact: true };
          else record('rows', await count(t, where));
          continue;
        }
        record('values', await count(t, `${col} IS NOT NULL`));
        if (step.kind === 'alterColumnType' && p.maxLength !== undefined)
          record('tooLong', await count(t, `length(${col}::text) > ${p.maxLength}`));
        continue;
      }
      if (step.kind === 'delete') {
        if (p.whereSql === 'USING') {
          step.note = 'DELETE … USING: rows not counted';
          step.countFailed = `${step.table}: DELETE … USING is not counted`;
          continue;
        }
        record('rows', await count(t, p.whereSql));
        continue;
      }
      record('rows', await count(t));
    }
  });

  let refused: string | undefined;
  if (migration && migration.state !== 'applied') {
    refused =
      migration.state === 'noHistoryTable'
        ? `This database has no _prisma_migrations table: ${migration.name} was never applied here, so there is nothing to roll back.`
        : migration.state === 'unknown'
          ? `Cannot read _prisma_migrations here (${migration.error}): whether ${migration.name} is applied is not known, so the rollback must not run until it can be read.`
          : migration.state === 'notApplied'
            ? `${migration.name} is not applied in this database (it is pending): there is nothing to roll back.`
            : migration.state === 'rolledBack'
              ? `${migration.name} is already marked as rolled back in this database.`
              : `${migration.name} failed in this database and was not completed: resolve the failed migration instead of rolling it back.`;
  }
  // An object the rollback drops or changes that is not there although the migration is recorded
  // as applied: the target is not what its history built (drift) — never an all-clear.
  const drifted = migration?.state === 'applied' ? absent : [];
  const incomplete = [
    ...steps.filter((s) => s.countFailed).map((s) => s.countFailed!),
    ...drifted.map(
      (d) =>
        `${d} does not exist there although ${migration!.name} is recorded as applied: the target has drifted`,
    ),
  ];
  const summary = drifted.length
    ? `The target has drifted: ${drifted.join(', ')} ${drifted.length === 1 ? 'does' : 'do'} not exist there although ${migration!.name} is recorded as applied, so ${name} would not run as written and what it would destroy is not known. Compare the schema with its history first (prisma-rollback drift).`
    : summarize(name, steps, incomplete);
  return {
    migration,
    refused,
    steps,
    destroys: steps.some(stepDestroys),
    incomplete,
    drifted,
    summary,
    ms: Math.round(performance.now() - started),
  };
}
