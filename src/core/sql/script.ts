/**
 * A rollback script split into its statements by the real PostgreSQL parser (libpg-query),
 * each with its line and column in the file, so that an error can name the statement and
 * where it is. `BEGIN;`/`COMMIT;` written in the file are recognised (the runner supplies its
 * own transaction) and statements that cannot run inside a transaction are named.
 */

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

export class ScriptParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lastNl = -1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastNl = i;
    }
  }
  return { line, column: offset - lastNl };
}

/** libpg-query reports byte offsets into the UTF-8 text; this turns one into a character offset. */
function charOffset(buf: Buffer, byteOffset: number): number {
  return buf.subarray(0, byteOffset).toString('utf8').length;
}

const NOT_IN_TRANSACTION: Record<string, (n: Record<string, unknown>) => string | undefined> = {
  IndexStmt: (n) =>
    n.concurrent ? 'CREATE INDEX CONCURRENTLY cannot run inside a transaction block' : undefined,
  DropStmt: (n) =>
    n.concurrent ? 'DROP INDEX CONCURRENTLY cannot run inside a transaction block' : undefined,
  ReindexStmt: (n) =>
    JSON.stringify(n.params ?? []).includes('concurrently')
      ? 'REINDEX CONCURRENTLY cannot run inside a transaction block'
      : undefined,
  VacuumStmt: () => 'VACUUM cannot run inside a transaction block',
  CreatedbStmt: () => 'CREATE DATABASE cannot run inside a transaction block',
  DropdbStmt: () => 'DROP DATABASE cannot run inside a transaction block',
  CreateTableSpaceStmt: () => 'CREATE TABLESPACE cannot run inside a transaction block',
  DropTableSpaceStmt: () => 'DROP TABLESPACE cannot run inside a transaction block',
  AlterSystemStmt: () => 'ALTER SYSTEM cannot run inside a transaction block',
};

function transactionKind(node: Record<string, unknown>): ScriptStatement['transaction'] {
  const kind = String(node.kind ?? '');
  if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') return 'begin';
  if (kind === 'TRANS_STMT_COMMIT') return 'commit';
  if (kind === 'TRANS_STMT_ROLLBACK') return 'rollback';
  return 'other';
}

/** Splits a script into statements with the PostgreSQL parser; a syntax error names its line and column. */
export async function splitScript(sql: string): Promise<ScriptStatement[]> {
  const { parse } = await import('libpg-query');
  const buf = Buffer.from(sql, 'utf8');
  let result: Awaited<ReturnType<typeof parse>>;
  try {
    result = await parse(sql);
  } catch (e) {
    const details = (e as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    if (!details)
      throw new Error(`The PostgreSQL parser (libpg-query) could not run: ${(e as Error).message}`);
    const at = details ? charOffset(buf, details.cursorPosition) : 0;
    const { line, column } = lineColumn(sql, at);
    throw new ScriptParseError(
      `${details?.message ?? (e as Error).message} (line ${line}, column ${column})`,
      line,
      column,
    );
  }
  const out: ScriptStatement[] = [];
  for (const raw of result.stmts ?? []) {
    const startByte = raw.stmt_location ?? 0;
    const endByte = raw.stmt_len ? startByte + raw.stmt_len : buf.length;
    let text = buf.subarray(startByte, endByte).toString('utf8');
    let offset = charOffset(buf, startByte);
    // stmt_location of the first statement includes leading blanks and comments: skip them.
    const lead = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/.exec(text)?.[0].length ?? 0;
    text = text.slice(lead).trimEnd();
    offset += lead;
    if (!text) continue;
    const stmt = raw.stmt as unknown as Record<string, Record<string, unknown>>;
    const kind = Object.keys(stmt)[0] ?? 'Unknown';
    const node = stmt[kind] ?? {};
    const { line, column } = lineColumn(sql, offset);
    const s: ScriptStatement = { index: out.length + 1, text, offset, line, column, kind, node };
    if (kind === 'TransactionStmt') s.transaction = transactionKind(node);
    const why = NOT_IN_TRANSACTION[kind]?.(node);
    if (why) s.notInTransaction = why;
    out.push(s);
  }
  return out;
}

/** The first line of a statement, shortened for messages. */
export function statementLabel(s: ScriptStatement, max = 80): string {
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
