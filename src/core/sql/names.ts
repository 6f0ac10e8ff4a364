/** Identifier quoting and the names PostgreSQL derives for unnamed constraints and indexes. */

/** Always double-quotes (as Prisma does), doubling embedded quotes: round-trips any name. */
export function quoteIdent(...parts: string[]): string {
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** `"schema"."name"`, or `"name"` when the object was named without a schema. */
export function quoteQualified(schema: string | undefined, name: string): string {
  return schema ? `${quoteIdent(schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** A SQL string literal (standard_conforming_strings on, as every supported server has). */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The model's key for a schema-level object: unqualified names and `public` are the same schema
 * (Prisma writes unqualified names and runs with the schema of the datasource URL first on the
 * search path).
 */
export function objectKey(schema: string | undefined, name: string): string {
  return `${schema && schema !== 'public' ? schema : ''}.${name}`;
}

const NAMEDATALEN = 64;

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character (pg_mbcliplen). */
function clip(s: string, max: number): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    const b = byteLength(ch);
    if (n + b > max) break;
    out += ch;
    n += b;
  }
  return out;
}

/**
 * PostgreSQL's makeObjectName (src/backend/commands/indexcmds.c): `name1_name2_label`, the longer
 * of name1/name2 truncated until the whole fits in NAMEDATALEN-1 bytes.
 */
export function makeObjectName(name1: string, name2: string | undefined, label: string): string {
  let n1 = byteLength(name1);
  let n2 = name2 ? byteLength(name2) : 0;
  const overhead = (label ? byteLength(label) + 1 : 0) + (name2 ? 1 : 0);
  const avail = NAMEDATALEN - 1 - overhead;
  while (n1 + n2 > avail) {
    if (n1 > n2) n1--;
    else n2--;
  }
  let name = clip(name1, n1);
  if (name2) name += `_${clip(name2, n2)}`;
  if (label) name += `_${label}`;
  return name;
}

/** Name of an unnamed constraint: `<table>_pkey`, `<table>_<cols>_key|fkey|check`. */
export function implicitConstraintName(
  table: string,
  columns: string[],
  label: 'pkey' | 'key' | 'fkey' | 'check' | 'excl',
): string {
  if (label === 'pkey') return makeObjectName(table, undefined, 'pkey');
  const cols = columns.length ? clip(columns.join('_'), NAMEDATALEN - 1) : undefined;
  return makeObjectName(table, cols, label);
}

/** Name of an unnamed index: `<table>_<cols>_idx` (`expr` for expressions). */
export function implicitIndexName(table: string, columns: string[]): string {
  return makeObjectName(table, clip(columns.join('_'), NAMEDATALEN - 1), 'idx');
}

/**
 * Identifiers of a comma- or dot-separated list as PostgreSQL prints them (`"User", id` →
 * ["User", "id"]; `public."User"` → ["public", "User"]), from offset `from`; stops at the first
 * character that is neither. Returns the names, the separators between them (`,` or `.`) and
 * the offset where parsing stopped. Used on catalog text (pg_get_constraintdef, format_type) and
 * on pg_dump's COPY lines. Never throws.
 */
export function readIdentifiers(text: string, from = 0): { names: string[]; seps: string[]; end: number } {
  const names: string[] = [];
  const seps: string[] = [];
  let i = from;
  const skip = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  for (;;) {
    skip();
    if (text[i] === '"') {
      let name = '';
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          name += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else name += text[i++];
      }
      names.push(name);
    } else {
      const m = /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/.exec(text.slice(i));
      if (!m) break;
      names.push(m[0]);
      i += m[0].length;
    }
    skip();
    if (text[i] === ',' || text[i] === '.') {
      seps.push(text[i]);
      i++;
    } else break;
  }
  return { names, seps, end: i };
}
