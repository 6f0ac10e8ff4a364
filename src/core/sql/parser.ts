/**
 * Parses a `migration.sql` with libpg-query (the real PostgreSQL parser, compiled to WebAssembly).
 *
 * The WebAssembly module is loaded lazily on first use (`initSqlParser()`); after that every
 * function here is synchronous. libpg-query's loader reads `libpg-query.wasm` from the directory of
 * the script that contains it (`__dirname`), so a bundle must ship that file next to itself.
 */
import type { Node } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';

type LibPgQuery = typeof import('libpg-query');
let lib: LibPgQuery | undefined;
let loading: Promise<LibPgQuery> | undefined;

/**
 * Loads the parser's WebAssembly once (about 50 ms); later calls return at once. Rejects with a
 * plain `Error` ("Cannot load the PostgreSQL parser (libpg-query.wasm)…") when the module cannot be
 * loaded; that failure is kept, so later calls reject the same way (no retry). Nothing is written.
 */
export async function initSqlParser(): Promise<void> {
  if (lib) return;
  loading ??= import('libpg-query')
    .then(async (m) => {
      // The CommonJS build is reached through `default` when imported from ESM.
      const mod = ((m as unknown as { default?: LibPgQuery }).default ?? m) as LibPgQuery;
      await mod.loadModule();
      lib = mod;
      return mod;
    })
    .catch((e: unknown) => {
      const why = e instanceof Error ? e.message : String(e);
      throw new Error(
        `Cannot load the PostgreSQL parser (libpg-query.wasm): ${why}. A bundled build must ship libpg-query.wasm next to its script.`,
      );
    });
  await loading;
}

function parser(): LibPgQuery {
  if (!lib) throw new Error('The SQL parser is not loaded: await initSqlParser() first.');
  return lib;
}

/** A statement of a migration, with where it is in the file. */
export interface SqlStatement {
  /** The parse tree of the statement (one key: `CreateStmt`, `AlterTableStmt`…). */
  node: Node;
  /** The node's kind, e.g. `CreateStmt`. */
  kind: string;
  /** The statement's text as written (without the trailing `;`). */
  text: string;
  /** Character offsets in the file (start inclusive, end exclusive). */
  start: number;
  end: number;
  /** 1-based line and column of the statement's first character. */
  line: number;
  column: number;
  /** The `-- StepName` comment Prisma writes above a section, when one precedes the statement. */
  step?: string;
}

export interface ParsedMigration {
  file?: string;
  statements: SqlStatement[];
}

/** A migration that PostgreSQL's parser rejects: where and why. */
export class SqlParseError extends Error {
  constructor(
    /** The parser's message, e.g. `syntax error at or near "TABL"`. */
    readonly reason: string,
    readonly file: string | undefined,
    /** 1-based line and column (CRLF counts as one line break). */
    readonly line: number,
    readonly column: number,
    /** 0-based character offset in the file. */
    readonly offset: number,
  ) {
    super(`${file ?? 'SQL'}:${line}:${column}: ${reason}`);
    this.name = 'SqlParseError';
  }
}

/** Maps character offsets to 1-based line/column; `\r\n`, `\n` and lone `\r` end a line. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10) this.starts.push(i + 1);
    }
  }
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }
}

/** Converts UTF-8 byte offsets (what libpg-query reports for statements) to string offsets. */
function byteToCharMapper(text: string): (byte: number) => number {
  // ASCII-only files (nearly all migrations): bytes are characters.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting non-ASCII
  if (!/[^\u0000-\u007f]/.test(text)) return (b) => b;
  const bytes: number[] = [];
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    bytes.push(b);
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) {
      bytes.push(b);
      i++;
      b += 4;
    } else b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
  }
  bytes.push(b);
  return (byte) => {
    let lo = 0;
    let hi = bytes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (bytes[mid] <= byte) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
}

const STEP_COMMENT = /^--\s*([A-Z][A-Za-z]+)\s*$/;

/**
 * Parses a whole migration. Throws `SqlParseError` (file, line, column) when PostgreSQL's parser
 * rejects it. Requires `initSqlParser()` to have completed.
 */
export function parseMigrationSync(sql: string, file?: string): ParsedMigration {
  const p = parser();
  let result: ReturnType<LibPgQuery['parseSync']>;
  // An empty script is a valid migration (Prisma applies it) with no statements; libpg-query
  // refuses the empty string ("Query cannot be empty").
  if (sql.trim() === '') return { file, statements: [] };
  try {
    result = p.parseSync(sql);
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number; message?: string } }).sqlDetails;
    const offset = Math.max(0, Math.min(sql.length, details?.cursorPosition ?? 0));
    const { line, column } = new LineIndex(sql).position(offset);
    throw new SqlParseError(details?.message ?? (e as Error).message, file, line, column, offset);
  }
  const toChar = byteToCharMapper(sql);
  const lines = new LineIndex(sql);
  const statements: SqlStatement[] = [];
  let prevEnd = 0;
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = toChar(startByte);
    const end = raw.stmt_len ? toChar(startByte + raw.stmt_len) : sql.length;
    let text = sql.slice(start, end).trim();
    if (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
    // The gap before the statement: Prisma's `-- CreateTable` style step names.
    let step: string | undefined;
    for (const l of sql.slice(prevEnd, start).split(/\r?\n|\r/)) {
      const m = STEP_COMMENT.exec(l.trim());
      if (m) step = m[1];
    }
    const kind = Object.keys(raw.stmt)[0];
    const { line, column } = lines.position(start);
    statements.push({ node: raw.stmt, kind, text, start, end, line, column, step });
    prevEnd = end;
  }
  return { file, statements };
}

/** Deparses a parse-tree node back to SQL with pgsql-deparser (identifiers quoted when needed). */
export function deparseNode(node: Node | Node[], opts?: { pretty?: boolean }): string {
  return deparseSync(node as Node, opts);
}
