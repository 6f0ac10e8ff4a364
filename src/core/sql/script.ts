/**
 * A script split into its statements by the one PostgreSQL parser entry (parser.ts), each with
 * its position in the file, so that an error can name the statement and where it is; and the one
 * table of statements that cannot run inside a transaction block (`notInTransaction`), used by the
 * runner (apply-down refuses them) and by the verifier (runs such a script outside its own
 * transaction).
 */
import { initSqlParser, parseMigrationSync, type SqlStatement } from './parser';

/** Scripts longer than this (characters) get largeScriptNote's line before they are read. */
export const LARGE_SCRIPT_CHARS = 4 * 1024 * 1024;

/**
 * One line to show before reading a script over LARGE_SCRIPT_CHARS — so that a long parse is
 * never silent (issue 14: `down` on a 74 MB migration ran for minutes with no word) — else
 * undefined. `file` is how to name it (`<migration>/migration.sql`). The rate is measured, not
 * promised: ~0.7 s per MB for `down` on a 10 MB migration of INSERTs on a loaded 2-core machine
 * (README, performance table). Pure; never throws.
 */
export function largeScriptNote(file: string, sql: string): string | undefined {
  if (sql.length <= LARGE_SCRIPT_CHARS) return undefined;
  const mb = sql.length / (1024 * 1024);
  return `Reading ${file} (${mb.toFixed(1)} MB of SQL): large scripts take about a second per MB to parse…`;
}

export interface ScriptStatement {
  /** 1-based position in the script. */
  index: number;
  /** The statement's text as written (without the trailing `;`). */
  text: string;
  /** Character offset of its first character in the file. */
  offset: number;
  /** 1-based line and column of its first character. */
  line: number;
  column: number;
  /** Parse-tree node type, e.g. `AlterTableStmt`. */
  kind: string;
  /** `BEGIN` / `COMMIT` / `ROLLBACK` / … when it is transaction control. */
  transaction?: 'begin' | 'commit' | 'rollback' | 'other';
  /** Why it cannot run inside a transaction block (CREATE INDEX CONCURRENTLY, VACUUM…). */
  notInTransaction?: string;
  /** The parse tree node, for callers that need more (table names…). */
  node: Record<string, unknown>;
}

type Node = Record<string, unknown>;

/** A DefElem option list (`REINDEX (CONCURRENTLY)`, `WITH (create_slot = false)`) as name → value. */
function options(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const o of (list as { DefElem?: { defname?: string; arg?: unknown } }[] | undefined) ?? [])
    if (o.DefElem?.defname) out.set(o.DefElem.defname.toLowerCase(), o.DefElem.arg);
  return out;
}

/** Whether a DefElem option is on: present without a value, or with a value other than false/off/0. */
function optionOn(list: unknown, name: string): boolean {
  const opts = options(list);
  if (!opts.has(name)) return false;
  const arg = opts.get(name) as
    | { Boolean?: { boolval?: boolean }; String?: { sval?: string }; Integer?: { ival?: number } }
    | undefined;
  if (!arg) return true;
  if (arg.Boolean) return !!arg.Boolean.boolval;
  if (arg.Integer) return (arg.Integer.ival ?? 0) !== 0;
  if (arg.String) return !['false', 'off', 'no', '0'].includes(String(arg.String.sval).toLowerCase());
  return true;
}

/** A verdict of the table: why the statement cannot run in a transaction block. */
export interface NotInTransaction {
  reason: string;
  /**
   * The statement is the CONCURRENTLY form of one that can: dropping the word gives the same
   * resulting schema (only locking differs), which is what the verifier runs instead.
   */
  concurrently?: boolean;
}

/**
 * The one table of statements that cannot run inside a transaction block, by parse-tree kind.
 * Sources: the PostgreSQL 17 reference pages (each says "cannot be executed inside a transaction
 * block"), and `PreventInTransactionBlock` calls in the server (src/backend) where the page is
 * silent (ALTER DATABASE SET TABLESPACE in commands/dbcommands.c).
 * ALTER TYPE … ADD VALUE is not listed: it could not run in a transaction block before
 * PostgreSQL 12; since 12 it can (the new value is usable only after the transaction commits),
 * and Prisma's supported servers are newer.
 */
const NOT_IN_TRANSACTION: Record<string, (n: Node) => NotInTransaction | undefined> = {
  // CREATE INDEX: "a regular CREATE INDEX command can be performed within a transaction block,
  // but CREATE INDEX CONCURRENTLY cannot".
  IndexStmt: (n) =>
    n.concurrent
      ? { reason: 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block', concurrently: true }
      : undefined,
  // DROP INDEX: "DROP INDEX CONCURRENTLY … cannot be executed inside a transaction block".
  DropStmt: (n) =>
    n.concurrent
      ? { reason: 'DROP INDEX CONCURRENTLY cannot run inside a transaction block', concurrently: true }
      : undefined,
  // REINDEX: "REINDEX SCHEMA, DATABASE and SYSTEM … and REINDEX … CONCURRENTLY cannot be executed
  // inside a transaction block".
  ReindexStmt: (n) => {
    if (optionOn(n.params, 'concurrently'))
      return { reason: 'REINDEX CONCURRENTLY cannot run inside a transaction block', concurrently: true };
    const kind = String(n.kind ?? '');
    if (['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_SYSTEM', 'REINDEX_OBJECT_DATABASE'].includes(kind))
      return {
        reason: `REINDEX ${kind.replace('REINDEX_OBJECT_', '')} cannot run inside a transaction block`,
      };
    return undefined;
  },
  // VACUUM: "VACUUM cannot be executed inside a transaction block". The same node carries
  // ANALYZE, which can.
  VacuumStmt: (n) =>
    n.is_vacuumcmd ? { reason: 'VACUUM cannot run inside a transaction block' } : undefined,
  // CLUSTER: "CLUSTER without a table_name … cannot be executed inside a transaction block".
  ClusterStmt: (n) =>
    n.relation ? undefined : { reason: 'CLUSTER without a table cannot run inside a transaction block' },
  CreatedbStmt: () => ({ reason: 'CREATE DATABASE cannot run inside a transaction block' }),
  DropdbStmt: () => ({ reason: 'DROP DATABASE cannot run inside a transaction block' }),
  AlterDatabaseStmt: (n) =>
    options(n.options).has('tablespace')
      ? { reason: 'ALTER DATABASE … SET TABLESPACE cannot run inside a transaction block' }
      : undefined,
  CreateTableSpaceStmt: () => ({ reason: 'CREATE TABLESPACE cannot run inside a transaction block' }),
  DropTableSpaceStmt: () => ({ reason: 'DROP TABLESPACE cannot run inside a transaction block' }),
  AlterSystemStmt: () => ({ reason: 'ALTER SYSTEM cannot run inside a transaction block' }),
  // DISCARD: "DISCARD ALL cannot be executed inside a transaction block".
  DiscardStmt: (n) =>
    n.target === 'DISCARD_ALL' ? { reason: 'DISCARD ALL cannot run inside a transaction block' } : undefined,
  // CREATE SUBSCRIPTION: "When creating a replication slot (the default behavior), CREATE
  // SUBSCRIPTION cannot be executed inside a transaction block" (no slot: connect or create_slot false).
  CreateSubscriptionStmt: (n) => {
    const opts = options(n.options);
    const off = (k: string) => opts.has(k) && !optionOn(n.options, k);
    return off('connect') || off('create_slot')
      ? undefined
      : { reason: 'CREATE SUBSCRIPTION (creating a replication slot) cannot run inside a transaction block' };
  },
  // DROP SUBSCRIPTION: cannot run in a transaction block "if the subscription is associated with a
  // replication slot" — not knowable from the text, so assumed.
  DropSubscriptionStmt: () => ({
    reason:
      'DROP SUBSCRIPTION cannot run inside a transaction block when the subscription has a replication slot',
  }),
  // ALTER SUBSCRIPTION: "… REFRESH PUBLICATION and … {SET|ADD|DROP} PUBLICATION … with refresh
  // option as true cannot be executed inside a transaction block".
  AlterSubscriptionStmt: (n) => {
    const kind = String(n.kind ?? '');
    if (kind === 'ALTER_SUBSCRIPTION_REFRESH')
      return { reason: 'ALTER SUBSCRIPTION … REFRESH PUBLICATION cannot run inside a transaction block' };
    const publication = [
      'ALTER_SUBSCRIPTION_SET_PUBLICATION',
      'ALTER_SUBSCRIPTION_ADD_PUBLICATION',
      'ALTER_SUBSCRIPTION_DROP_PUBLICATION',
    ];
    const refresh = !options(n.options).has('refresh') || optionOn(n.options, 'refresh');
    return publication.includes(kind) && refresh
      ? { reason: 'ALTER SUBSCRIPTION … PUBLICATION (with refresh) cannot run inside a transaction block' }
      : undefined;
  },
  // ALTER TABLE: "DETACH PARTITION … CONCURRENTLY … cannot be run in a transaction block".
  AlterTableStmt: (n) =>
    ((n.cmds as { AlterTableCmd?: Node }[] | undefined) ?? []).some(
      (c) =>
        c.AlterTableCmd?.subtype === 'AT_DetachPartition' &&
        (c.AlterTableCmd.def as { PartitionCmd?: { concurrent?: boolean } } | undefined)?.PartitionCmd
          ?.concurrent,
    )
      ? {
          reason: 'ALTER TABLE … DETACH PARTITION CONCURRENTLY cannot run inside a transaction block',
          concurrently: true,
        }
      : undefined,
};

/**
 * Why `stmt` (a statement from `parseMigrationSync`) cannot run inside a transaction block, or
 * undefined when it can. Transaction control itself (BEGIN, COMMIT, COMMIT PREPARED…) is not
 * judged here: see `transactionControl`.
 */
export function notInTransaction(stmt: Pick<SqlStatement, 'node' | 'kind'>): NotInTransaction | undefined {
  const inner = (stmt.node as unknown as Record<string, Node>)[stmt.kind] ?? {};
  return NOT_IN_TRANSACTION[stmt.kind]?.(inner);
}

/** `begin` / `commit` / `rollback` / `other` for a TransactionStmt, else undefined. */
export function transactionControl(
  stmt: Pick<SqlStatement, 'node' | 'kind'>,
): ScriptStatement['transaction'] {
  if (stmt.kind !== 'TransactionStmt') return undefined;
  const kind = String((stmt.node as unknown as Record<string, Node>).TransactionStmt?.kind ?? '');
  if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') return 'begin';
  if (kind === 'TRANS_STMT_COMMIT') return 'commit';
  if (kind === 'TRANS_STMT_ROLLBACK') return 'rollback';
  return 'other';
}

/**
 * Splits a script into statements with the PostgreSQL parser (loaded on first use).
 * Throws `SqlParseError` (reason, line, column, offset) when the parser rejects the script, or an
 * Error when the parser's WebAssembly cannot be loaded. Reads nothing else and leaves nothing behind.
 */
export async function splitScript(sql: string, file?: string): Promise<ScriptStatement[]> {
  await initSqlParser();
  return parseMigrationSync(sql, file).statements.map((st, i) => {
    const s: ScriptStatement = {
      index: i + 1,
      text: st.text,
      offset: st.start,
      line: st.line,
      column: st.column,
      kind: st.kind,
      node: (st.node as unknown as Record<string, Node>)[st.kind] ?? {},
    };
    const tx = transactionControl(st);
    if (tx) s.transaction = tx;
    const why = notInTransaction(st);
    if (why) s.notInTransaction = why.reason;
    return s;
  });
}

/** The first line of a statement, shortened for messages. */
export function statementLabel(s: Pick<ScriptStatement, 'text'>, max = 80): string {
  const first = s.text.split('\n').find((l) => l.trim() && !l.trim().startsWith('--')) ?? s.text;
  const t = first.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** Tables (schema-qualified when written so) that a list of statements reads or changes. */
export function tablesOf(statements: ScriptStatement[]): { schema?: string; name: string }[] {
  const seen = new Map<string, { schema?: string; name: string }>();
  const walk = (v: unknown, parentKey: string) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, parentKey);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (parentKey === 'RangeVar' || (typeof o.relname === 'string' && 'relpersistence' in o)) {
      const name = o.relname as string;
      const schema = typeof o.schemaname === 'string' ? o.schemaname : undefined;
      seen.set(`${schema ?? ''}.${name}`, { schema, name });
    }
    for (const [k, x] of Object.entries(o)) walk(x, k);
  };
  for (const s of statements) {
    // DROP TABLE lists its objects as name lists, not RangeVars.
    if (s.kind === 'DropStmt' && s.node.removeType === 'OBJECT_TABLE') {
      for (const obj of (s.node.objects as { List?: { items: { String?: { sval: string } }[] } }[]) ?? []) {
        const parts = (obj.List?.items ?? []).map((i) => i.String?.sval ?? '');
        const name = parts[parts.length - 1];
        const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
        if (name) seen.set(`${schema ?? ''}.${name}`, { schema, name });
      }
    }
    walk(s.node, s.kind);
  }
  return [...seen.values()];
}
