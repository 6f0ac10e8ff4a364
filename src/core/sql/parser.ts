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
 * Above this many characters a script is parsed in pieces of about this size (see parsePieces),
 * and scriptPieces' default size (what the embedded PostgreSQL parses per query string). The
 * parser's WebAssembly memory never shrinks, so its peak per piece stays resident: measured on
 * `verify` of a 10 MB migration of INSERTs, peak RSS 459–493 MB with 64 K (n=4) against 497–532 MB
 * with 256 K (n=5), in the same time (issue 14; loaded 2-core machine); later, with PGlite
 * compiled by Liftoff only: 342–345 MB with 16 K against 349–351 MB with 64 K (n=3 each,
 * interleaved, loaded machine), and 16 K together with the verifier worker's capped young
 * generation (worker-client.ts) 320–377 MB against 350–376 MB (n=4 each, interleaved).
 */
const PIECE_CHARS = 16 * 1024;

/**
 * Character offsets just after each `;` that ends a statement as PostgreSQL's lexer sees it:
 * outside '…' strings (E'…' with backslash escapes), "…" identifiers, $tag$…$tag$ bodies,
 * `--` and nested `/* *\/` comments. A cut it gets wrong (inside BEGIN ATOMIC … END, the one place
 * a `;` is inside a statement) leaves a piece that does not parse, and parsePieces then falls back
 * to the whole script.
 */
function statementEnds(sql: string): number[] {
  const out: number[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 59 /* ; */) {
      out.push(++i);
    } else if (c === 39 /* ' */) {
      const prev = i > 0 ? sql[i - 1] : '';
      const escapes = (prev === 'E' || prev === 'e') && !/[A-Za-z0-9_]/.test(i > 1 ? sql[i - 2] : '');
      i++;
      while (i < n) {
        const d = sql.charCodeAt(i);
        if (escapes && d === 92 /* \ */) i += 2;
        else if (d === 39) {
          if (sql.charCodeAt(i + 1) === 39) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (c === 34 /* " */) {
      const close = sql.indexOf('"', i + 1);
      i = close < 0 ? n : close + 1;
    } else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === 36 /* $ */ && !/[A-Za-z0-9_]/.test(i > 0 ? sql[i - 1] : '')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        i = close < 0 ? n : close + m[0].length;
      } else i++;
    } else i++;
  }
  return out;
}

/**
 * `sql` cut at statement ends into pieces of at most about `maxChars` characters (a statement
 * longer than that is a piece of its own); the pieces joined are `sql`. For running a large
 * script inside a transaction of ours piece by piece (the embedded PostgreSQL then parses one
 * piece at a time). A cut statementEnds gets wrong (inside BEGIN ATOMIC … END) gives a piece
 * that fails to run, never a different effect. Pure; never throws.
 */
export function scriptPieces(sql: string, maxChars = PIECE_CHARS): string[] {
  if (sql.length <= maxChars) return [sql];
  const out: string[] = [];
  const ends = statementEnds(sql);
  ends.push(sql.length);
  let from = 0;
  for (let k = 0; k < ends.length; k++) {
    let to = ends[k];
    while (k + 1 < ends.length && ends[k + 1] - from <= maxChars) to = ends[++k];
    if (to > from) out.push(sql.slice(from, to));
    from = to;
  }
  return out;
}

interface RawStatement {
  stmt: Node;
  /** Character offsets in the whole script. */
  start: number;
  end: number;
}

/** libpg-query's statements of `text` (which starts at character `base` of the script). Throws what parseSync throws. */
function parseRaw(text: string, base: number): RawStatement[] {
  const result = parser().parseSync(text);
  const toChar = byteToCharMapper(text);
  const out: RawStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const startByte = raw.stmt_location ?? 0;
    const start = toChar(startByte);
    const end = raw.stmt_len ? toChar(startByte + raw.stmt_len) : text.length;
    out.push({ stmt: raw.stmt, start: base + start, end: base + end });
  }
  return out;
}

/**
 * Calls `each` with the raw statements of a large script piece by piece, cut at statement ends:
 * the parser's WebAssembly heap and its JSON output then stay the size of one piece, and a
 * piece's parse trees are garbage once `each` has seen them (a seed migration of 10 MB of
 * INSERTs no longer holds ~80,000 trees at once). Returns how many statements were given, or
 * `{ failedAfter }` when a piece does not parse (a cut statementEnds got wrong, or a real syntax
 * error): the caller then parses the whole script, for the rest or for the error's position.
 */
function parsePieces(sql: string, each: (r: RawStatement) => void): { failedAfter?: number } {
  let given = 0;
  let from = 0;
  const ends = statementEnds(sql);
  ends.push(sql.length);
  for (let k = 0; k < ends.length; k++) {
    // the furthest end that keeps the piece under PIECE_CHARS (at least one statement)
    let to = ends[k];
    while (k + 1 < ends.length && ends[k + 1] - from <= PIECE_CHARS) to = ends[++k];
    const piece = sql.slice(from, to);
    if (piece.trim() !== '') {
      let raws: RawStatement[];
      try {
        raws = parseRaw(piece, from);
      } catch {
        return { failedAfter: given };
      }
      for (const r of raws) {
        each(r);
        given++;
      }
    }
    from = to;
  }
  return {};
}

/**
 * Parses a whole migration. Throws `SqlParseError` (file, line, column) when PostgreSQL's parser
 * rejects it. Requires `initSqlParser()` to have completed. Scripts over 16 K characters are
 * parsed in pieces cut at statement ends (same statements, bounded parser memory); to hold only
 * one piece's parse trees at a time, use forEachStatement.
 */
export function parseMigrationSync(sql: string, file?: string): ParsedMigration {
  const statements: SqlStatement[] = [];
  forEachStatement(sql, file, (s) => statements.push(s));
  return { file, statements };
}

/**
 * Calls `each` with every statement of a migration, in order, as parseMigrationSync would list
 * them, without keeping them: a caller that keeps only what it needs of each (the generator keeps
 * text and line) lets the parse trees go piece by piece. Throws `SqlParseError` (file, line,
 * column) when PostgreSQL's parser rejects the script — possibly after `each` has seen the
 * statements before the error. Requires `initSqlParser()` to have completed.
 */
export function forEachStatement(
  sql: string,
  file: string | undefined,
  each: (s: SqlStatement) => void,
): void {
  // An empty script is a valid migration (Prisma applies it) with no statements; libpg-query
  // refuses the empty string ("Query cannot be empty").
  if (sql.trim() === '') return;
  const lines = new LineIndex(sql);
  let prevEnd = 0;
  const emit = ({ stmt, start, end }: RawStatement) => {
    let text = sql.slice(start, end).trim();
    if (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
    // The gap before the statement: Prisma's `-- CreateTable` style step names.
    let step: string | undefined;
    for (const l of sql.slice(prevEnd, start).split(/\r?\n|\r/)) {
      const m = STEP_COMMENT.exec(l.trim());
      if (m) step = m[1];
    }
    const kind = Object.keys(stmt)[0];
    const { line, column } = lines.position(start);
    each({ node: stmt, kind, text, start, end, line, column, step });
    prevEnd = end;
  };
  let skip = 0;
  if (sql.length > PIECE_CHARS) {
    const r = parsePieces(sql, emit);
    if (r.failedAfter === undefined) return;
    skip = r.failedAfter;
  }
  let raws: RawStatement[];
  try {
    raws = parseRaw(sql, 0);
  } catch (e) {
    const details = (e as { sqlDetails?: { cursorPosition?: number; message?: string } }).sqlDetails;
    const offset = Math.max(0, Math.min(sql.length, details?.cursorPosition ?? 0));
    const { line, column } = lines.position(offset);
    throw new SqlParseError(details?.message ?? (e as Error).message, file, line, column, offset);
  }
  for (let i = skip; i < raws.length; i++) emit(raws[i]);
}

/** Deparses a parse-tree node back to SQL with pgsql-deparser (identifiers quoted when needed). */
export function deparseNode(node: Node | Node[], opts?: { pretty?: boolean }): string {
  return deparseSync(node as Node, opts);
}
