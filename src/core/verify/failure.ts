/** A script (migration or rollback) that the database refused: which one, where, and why. */
import { initSqlParser, LineIndex, parseMigrationSync } from '../sql/parser';

export interface ScriptFailure {
  /** Migration folder name, or the rollback's label (`down.sql`, a `_rollback_` migration's name). */
  script: string;
  /** Absolute path of the file, when known. */
  path?: string;
  /** PostgreSQL's message, e.g. `relation "User" does not exist`. */
  message: string;
  /** SQLSTATE, e.g. `42P01`. */
  code?: string;
  detail?: string;
  hint?: string;
  /** 1-based line and column in the file of the failing position, when PostgreSQL reported one. */
  line?: number;
  column?: number;
}

interface DbErrorLike {
  message?: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string | number;
  internalPosition?: string | number;
  where?: string;
}

/**
 * Turns an error from `pg` or PGlite for `sql` into a ScriptFailure; PostgreSQL's `position`
 * (1-based, in characters of the query text) becomes the file's line and column.
 */
export function scriptFailure(e: unknown, sql: string, script: string, filePath?: string): ScriptFailure {
  const err = (e ?? {}) as DbErrorLike;
  const failure: ScriptFailure = { script, message: err.message ?? String(e) };
  if (filePath) failure.path = filePath;
  if (err.code) failure.code = err.code;
  if (err.detail) failure.detail = err.detail;
  if (err.hint) failure.hint = err.hint;
  const pos = Number(err.position);
  if (Number.isFinite(pos) && pos > 0) {
    const { line, column } = new LineIndex(sql).position(Math.min(pos - 1, sql.length));
    failure.line = line;
    failure.column = column;
  }
  return failure;
}

/**
 * PostgreSQL reports no position for many execution errors (`relation "X" does not exist` in an
 * ALTER TABLE, a failing constraint…). This finds the statement that fails by running the
 * script's statements one at a time in a transaction that is rolled back (`exec` must run on a
 * database in the state the script saw), then points at the object named in the message when the
 * statement mentions it, else at the statement's start. Scripts with their own transaction
 * control are not re-run; for them the first mention of the named object in the file is used.
 */
export async function locateFailure(
  exec: (sql: string) => Promise<unknown>,
  sql: string,
  failure: ScriptFailure,
): Promise<ScriptFailure> {
  if (failure.line !== undefined) return failure;
  const quoted = /"([^"]+)"/.exec(failure.message)?.[1];
  const lines = new LineIndex(sql);
  const at = (offset: number) => ({ ...failure, ...lines.position(offset) });
  // Comments blanked out (same offsets), so a position never lands in a `-- undoes: …` comment.
  const code = blankComments(sql);
  const mention = (from: number, to: number): number | undefined => {
    if (!quoted) return undefined;
    const text = code.slice(from, to);
    let i = text.indexOf(`"${quoted}"`);
    if (i < 0) {
      const m = new RegExp(`\\b${quoted.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').exec(text);
      i = m ? m.index : -1;
    }
    return i < 0 ? undefined : from + i;
  };
  let statements: { start: number; end: number; text: string; kind: string; node: unknown }[];
  try {
    await initSqlParser();
    statements = parseMigrationSync(sql).statements;
  } catch {
    const i = mention(0, sql.length);
    return i === undefined ? failure : at(i);
  }
  const txControl = statements.some((s) => s.kind === 'TransactionStmt');
  if (!txControl) {
    let failedAt: number | undefined;
    try {
      await exec('BEGIN');
      for (let i = 0; i < statements.length; i++) {
        try {
          await exec(statements[i].text);
        } catch {
          failedAt = i;
          break;
        }
      }
    } catch {
      // could not re-run: fall back to the first mention below
    } finally {
      await exec('ROLLBACK').catch(() => {});
    }
    if (failedAt !== undefined) {
      const st = statements[failedAt];
      const lead = /\S/.exec(code.slice(st.start, st.end));
      const textStart = lead ? st.start + lead.index : st.start;
      return at(mention(textStart, st.end) ?? textStart);
    }
  }
  const i = mention(0, sql.length);
  return i === undefined ? failure : at(i);
}

/**
 * The script with `-- …` and `/* … *\/` comments replaced by spaces (line breaks kept), leaving
 * string literals, quoted identifiers and dollar-quoted bodies alone: offsets stay valid.
 */
export function blankComments(sql: string): string {
  const out = sql.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? sql.length : end + tag[0].length;
      } else i++;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl < 0 ? sql.length : nl;
      blank(i, end);
      i = end;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close < 0 ? sql.length : close + 2;
      blank(i, end);
      i = end;
    } else i++;
  }
  return out.join('');
}

/**
 * Why `f` failed in the embedded PostgreSQL because of something it lacks and every real
 * PostgreSQL server has, or undefined. Such a failure says nothing about the script: the
 * verification could not run there (it goes to the shadow server when one is set). The one such
 * thing now: `template0` (SQLSTATE 3D000 naming it), dropped from the data directory the build
 * ships (scripts/build.mjs initialPgdata; README "Limits").
 */
export function embeddedLacks(f: ScriptFailure): string | undefined {
  if (f.code === '3D000' && /template database "template0" does not exist/.test(f.message))
    return 'the embedded PostgreSQL has no template0 (left out of its data directory to save memory; CREATE DATABASE without TEMPLATE template0 works there)';
  return undefined;
}

/** `20240101_init/migration.sql:12:5: relation "User" does not exist (42P01)` */
export function describeFailure(f: ScriptFailure): string {
  const where = f.line !== undefined ? `:${f.line}:${f.column}` : '';
  const file = f.path ? f.path : f.script;
  const extra = [f.detail, f.hint ? `Hint: ${f.hint}` : undefined].filter(Boolean).join(' ');
  return `${file}${where}: ${f.message}${f.code ? ` (${f.code})` : ''}${extra ? `. ${extra}` : ''}`;
}
