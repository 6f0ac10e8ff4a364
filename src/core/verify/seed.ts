/**
 * Deterministic rows for every table of a schema, so that a replay can prove what a migration
 * and its rollback do to data (`verify --data`, ./data.ts).
 *
 * Input is the normalized catalog snapshot (./snapshot.ts): column types come from
 * `format_type()`, keys and foreign keys from `pg_get_constraintdef()`, unique indexes from
 * `pg_get_indexdef()`. Tables are filled parents first (foreign keys, topological order; a
 * self-reference or a reference inside a cycle is NULL where the column allows it), a few rows
 * each. Every generated value depends only on (table, column, row number): the same schema gives
 * the same rows. Values differ from row to row in every column, so single- and multi-column
 * UNIQUE constraints hold; a row that a CHECK (or anything else) rejects is tried again with its
 * nullable columns NULL, then left out, and the reason is reported.
 *
 * The last row of each table holds NULL in every nullable column that is not part of a key.
 * Sequences of serial and identity columns are moved past the seeded values (as INSERTs would).
 */
import { createHash } from 'node:crypto';
import { quoteIdent, quoteLiteral, readIdentifiers } from '../sql/names';
import type { ColumnSnapshot, QueryFn, SchemaSnapshot } from './snapshot';

/** Rows generated per table by default. */
export const SEED_ROWS = 4;

/** A foreign key read from `pg_get_constraintdef`: the child's columns and the parent's. */
export interface ForeignKey {
  columns: string[];
  /** Display name of the referenced table (`"User"`, `"auth"."User"`). */
  parent: string;
  parentColumns: string[];
}

export interface SeedReport {
  /** Display name → rows inserted. */
  inserted: Record<string, number>;
  /** One line per table that got fewer rows than asked, or none: `"Post": 2 of 4 rows (new row … violates check constraint "x")`. */
  problems: string[];
  /** The tables in the order they were filled. */
  order: string[];
}

export interface SeedOptions {
  /** Rows per table; default SEED_ROWS. */
  rows?: number;
}

// ---------------------------------------------------------------------------------------------
// Reading names out of the catalog's text

/** `"auth"."User"` / `auth."User"` / `"User"` / `public."User"` → the snapshot's display name. */
function displayOf(parts: string[]): string {
  if (parts.length >= 2 && parts[parts.length - 2] !== 'public')
    return quoteIdent(parts[parts.length - 2], parts[parts.length - 1]);
  return quoteIdent(parts[parts.length - 1]);
}

/** The column list in parentheses after `keyword` in a constraint definition. */
function columnsAfter(def: string, keyword: RegExp): string[] | undefined {
  const m = keyword.exec(def);
  if (!m) return undefined;
  const open = def.indexOf('(', m.index + m[0].length - 1);
  if (open < 0) return undefined;
  const r = readIdentifiers(def, open + 1);
  return def[r.end] === ')' ? r.names : undefined;
}

/** Foreign keys of every table, from the snapshot's constraint definitions. Display name → keys. */
export function foreignKeysOf(schema: SchemaSnapshot): Record<string, ForeignKey[]> {
  const out: Record<string, ForeignKey[]> = {};
  for (const c of Object.values(schema.constraints)) {
    if (!c.definition.startsWith('FOREIGN KEY')) continue;
    const columns = columnsAfter(c.definition, /^FOREIGN KEY\s*\(/);
    const at = c.definition.indexOf(' REFERENCES ');
    if (!columns || at < 0) continue;
    const ref = readIdentifiers(c.definition, at + ' REFERENCES '.length);
    if (c.definition[ref.end] !== '(' || ref.seps.includes(',')) continue;
    const cols = readIdentifiers(c.definition, ref.end + 1);
    out[c.table] ??= [];
    out[c.table].push({ columns, parent: displayOf(ref.names), parentColumns: cols.names });
  }
  return out;
}

/**
 * The columns that identify a row of each table: the primary key, else the first UNIQUE
 * constraint or plain unique index (no expression, no WHERE) whose columns are all NOT NULL.
 * Tables without one are absent. Display name → column names.
 */
export function rowKeysOf(schema: SchemaSnapshot): Record<string, string[]> {
  const primary: Record<string, string[]> = {};
  const unique: Record<string, string[][]> = {};
  for (const key of Object.keys(schema.constraints).sort()) {
    const c = schema.constraints[key];
    const pk = columnsAfter(c.definition, /^PRIMARY KEY\s*\(/);
    if (pk) primary[c.table] = pk;
    const uq = columnsAfter(c.definition, /^UNIQUE(?: NULLS NOT DISTINCT)?\s*\(/);
    if (uq) {
      unique[c.table] ??= [];
      unique[c.table].push(uq);
    }
  }
  for (const key of Object.keys(schema.indexes).sort()) {
    const ix = schema.indexes[key];
    if (!/^CREATE UNIQUE INDEX /.test(ix.definition) || / WHERE /.test(ix.definition)) continue;
    const m = / USING \w+ \(/.exec(ix.definition);
    if (!m) continue;
    const r = readIdentifiers(ix.definition, m.index + m[0].length);
    if (ix.definition[r.end] !== ')' || r.seps.includes('.')) continue;
    unique[ix.table] ??= [];
    unique[ix.table].push(r.names);
  }
  const out: Record<string, string[]> = {};
  for (const [table, t] of Object.entries(schema.tables)) {
    if (primary[table]) out[table] = primary[table];
    else {
      const u = (unique[table] ?? []).find((cols) => cols.every((c) => t.columns[c]?.notNull));
      if (u) out[table] = u;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

/** 32 hex digits from (table, column, row): the seed of every value that is not a small number. */
function digest(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Fractional digits of seeded numerics, none of them 0: any smaller scale rounds them. */
const FRACTION = '123456789'.repeat(110);

/**
 * A SQL literal of `type` (as `format_type()` prints it) for row `row` of column `column`, cast
 * to the type. Values carry all the precision their type holds (every fractional digit of a
 * numeric's scale, a double that `real` cannot hold exactly, microseconds in times), so a type
 * change that narrows them changes them, and a round trip through it is never read as exact; undefined when this seeder has no value for the type (the column then gets its
 * default, or NULL).
 */
export function literalFor(
  type: string,
  where: { table: string; column: string; row: number; position: number },
  schema: Pick<SchemaSnapshot, 'enums' | 'domains'>,
  depth = 0,
): string | undefined {
  const { row, position } = where;
  const cast = (text: string) => `${quoteLiteral(text)}::${type}`;
  if (type.endsWith('[]')) {
    const element = type.slice(0, -2);
    const a = literalFor(element, where, schema, depth + 1);
    const b = literalFor(element, { ...where, row: row + 1 }, schema, depth + 1);
    return a && b ? `ARRAY[${a}, ${b}]::${type}` : undefined;
  }
  const display = displayOf(readIdentifiers(type).names);
  const labels = schema.enums[display];
  if (labels) return labels.length ? cast(labels[row % labels.length]) : undefined;
  const domain = schema.domains[display];
  if (domain) {
    if (depth > 4) return undefined;
    const base = literalFor(domain.type, where, schema, depth + 1);
    return base && `${base}::${type}`;
  }
  const small = row + 1 + 10 * (position % 50);
  const base = type.replace(/\(.*\)/, '').replace(/ with(out)? time zone$/, (m) => m);
  const typmod = /\(([\d, ]+)\)/
    .exec(type)?.[1]
    ?.split(',')
    .map((s) => Number(s.trim()));
  const text = () => {
    const full = `${row + 1}-${where.column}-${digest(where.table, where.column, row).slice(0, 6)}`;
    return typmod?.[0] ? full.slice(0, typmod[0]) : full;
  };
  switch (base) {
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'oid':
      return cast(String(small));
    case 'numeric': {
      if (!typmod) return cast(`${small}.${FRACTION.slice(0, 9)}`);
      const [p, s = 0] = typmod;
      const whole = p - s >= String(small).length ? String(small) : '0';
      return cast(s > 0 ? `${whole}.${FRACTION.slice(0, s)}` : whole);
    }
    case 'real':
      return cast(`${small}.1`);
    case 'double precision':
      // 17 significant digits: what float8 holds, more than float4's 6–9
      return cast(`${small}.123456789012`);
    case 'money':
      return cast(`${small}.00`);
    case 'text':
    case 'character varying':
    case 'character':
    case 'citext':
    case 'name':
    case 'bpchar':
      return cast(text());
    case '"char"':
      return cast(String.fromCharCode(97 + (row % 26)));
    case 'boolean':
      return row % 2 === 0 ? 'true' : 'false';
    case 'timestamp without time zone':
    case 'timestamp':
      return cast(`2024-${pad((row % 12) + 1)}-${pad((position % 28) + 1)} 10:${pad(row % 60)}:30.123456`);
    case 'timestamp with time zone':
      return cast(`2024-${pad((row % 12) + 1)}-${pad((position % 28) + 1)} 10:${pad(row % 60)}:30.123456+00`);
    case 'date':
      return cast(`2024-${pad((row % 12) + 1)}-${pad((position % 28) + 1)}`);
    case 'time without time zone':
    case 'time':
      return cast(`10:${pad(row % 60)}:${pad(position % 60)}.123456`);
    case 'time with time zone':
      return cast(`10:${pad(row % 60)}:${pad(position % 60)}.123456+00`);
    case 'interval':
      return cast(`${row + 1} days ${position} minutes`);
    case 'uuid': {
      const h = digest(where.table, where.column, row);
      return cast(
        `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`,
      );
    }
    case 'json':
    case 'jsonb':
      return cast(
        JSON.stringify({
          row: row + 1,
          column: where.column,
          list: [row, 'x'],
          nested: { ok: row % 2 === 0 },
        }),
      );
    case 'bytea':
      return cast(`\\x${digest(where.table, where.column, row).slice(0, 8)}`);
    case 'inet':
      return cast(`10.0.${position % 250}.${row + 1}`);
    case 'cidr':
      return cast(`10.${position % 250}.${row}.0/24`);
    case 'macaddr':
      return cast(`08:00:2b:01:${pad(position % 100)}:${pad(row % 100)}`);
    case 'xml':
      return cast(`<v row="${row + 1}">${where.column}</v>`);
    case 'tsvector':
      return cast(`word${row} ${where.column.toLowerCase().replace(/\W/g, '')}`);
    case 'point':
      return cast(`(${row},${position})`);
    case 'bit':
    case 'bit varying':
      return cast((row % 2 ? '1' : '0').repeat(typmod?.[0] ?? 1));
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Order

/**
 * Tables in an order that puts parents before children (Kahn's algorithm, ties by name, so the
 * order is deterministic). On a cycle, the table whose references to unfilled tables can all be
 * NULL (`optional(table, fk)`) goes first (its references stay NULL), else the first by name.
 * Self-references are ignored.
 */
export function fillOrder(
  tables: string[],
  fks: Record<string, ForeignKey[]>,
  optional: (table: string, fk: ForeignKey) => boolean = () => false,
): string[] {
  const set = new Set(tables);
  const parents = new Map<string, Set<string>>();
  for (const t of tables)
    parents.set(t, new Set((fks[t] ?? []).map((f) => f.parent).filter((p) => p !== t && set.has(p))));
  const order: string[] = [];
  const done = new Set<string>();
  while (done.size < tables.length) {
    const ready = tables.filter((t) => !done.has(t) && [...parents.get(t)!].every((p) => done.has(p))).sort();
    if (!ready.length) {
      const left = tables.filter((t) => !done.has(t)).sort();
      const breaker =
        left.find((t) =>
          (fks[t] ?? []).every(
            (f) => f.parent === t || done.has(f.parent) || !set.has(f.parent) || optional(t, f),
          ),
        ) ?? left[0];
      ready.push(breaker);
    }
    for (const t of ready) {
      order.push(t);
      done.add(t);
    }
  }
  return order;
}

// ---------------------------------------------------------------------------------------------

/** One way of building a row: values of row + shift × rows, NULL in `nulls` (or every nullable column) but `keep`. */
interface Variant {
  shift: number;
  nullAll: boolean;
  nulls: string[];
  /** A column given a value even where NULL would be (a one-of-several CHECK). */
  keep?: string;
}

/** The columns of `table` that its CHECK constraint `name` names (read from its definition). */
function checkColumns(schema: SchemaSnapshot, table: string, name: string): string[] {
  const def = Object.values(schema.constraints).find((c) => c.table === table && c.name === name)?.definition;
  const t = schema.tables[table];
  if (!def || !t) return [];
  const words = new Set<string>();
  for (const m of def.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][\w$]*)/g))
    words.add(m[1]?.replace(/""/g, '"') ?? m[2]);
  return t.columnOrder.filter((c) => words.has(c));
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/**
 * Inserts `opts.rows` deterministic rows into every table of `schema` (ordinary and partitioned
 * tables; partitions are filled through their parent, foreign tables are left alone), through
 * `query`, which must be inside a transaction: each row is inserted under a SAVEPOINT so that a
 * rejected row does not abort the rest. Identity columns get explicit values (`OVERRIDING SYSTEM
 * VALUE`); generated columns are left to PostgreSQL; a column of a type this seeder has no value
 * for gets its default, else NULL, else the table cannot be filled (reported). Never throws for
 * rows the database rejects (they are in `problems`); throws only when `query` itself fails
 * outside a row (no transaction, connection lost). What was inserted stays in the transaction.
 */
export async function seedSchema(
  query: QueryFn,
  schema: SchemaSnapshot,
  opts: SeedOptions = {},
): Promise<SeedReport> {
  const rowsWanted = opts.rows ?? SEED_ROWS;
  const fks = foreignKeysOf(schema);
  const keys = rowKeysOf(schema);
  const tables = Object.keys(schema.tables).filter((t) => {
    const s = schema.tables[t];
    return s.kind !== 'foreign table' && !s.partitionOf;
  });
  const order = fillOrder(tables, fks, (table, fk) =>
    fk.columns.every((c) => !schema.tables[table].columns[c]?.notNull),
  );
  /** Inserted rows per table, every column as text (for the children's foreign keys). */
  const inserted = new Map<string, Record<string, string | null>[]>();
  const report: SeedReport = { inserted: {}, problems: [], order };

  for (const table of order) {
    const t = schema.tables[table];
    const columns = t.columnOrder.filter((c) => t.columns[c] && !t.columns[c].generated);
    const keyCols = new Set(keys[table] ?? []);
    const tableFks = fks[table] ?? [];
    const fkOf = new Map<string, { fk: ForeignKey; index: number }>();
    for (const fk of tableFks) for (const [index, c] of fk.columns.entries()) fkOf.set(c, { fk, index });
    const rows: Record<string, string | null>[] = [];
    let lastError: string | undefined;
    let noValue: string | undefined;

    for (let row = 0; row < rowsWanted; row++) {
      const nullRow = row === rowsWanted - 1 && rowsWanted > 1;
      /** The value of each column for this row in one variant (undefined: DEFAULT); undefined when none can be built. */
      const build = (v: Variant): Map<string, string | undefined> | undefined => {
        const values = new Map<string, string | undefined>();
        const r = row + v.shift * rowsWanted;
        for (const [position, name] of columns.entries()) {
          const col: ColumnSnapshot = t.columns[name];
          const nullable = !col.notNull && !keyCols.has(name);
          const forcedNull = nullable && name !== v.keep && (nullRow || v.nullAll || v.nulls.includes(name));
          const ref = fkOf.get(name);
          if (ref) {
            const self = ref.fk.parent === table;
            const parentRows = self ? rows : inserted.get(ref.fk.parent);
            if (!parentRows?.length || forcedNull || (nullable && self)) {
              if (nullable) {
                values.set(name, 'NULL');
                continue;
              }
              if (!self) {
                noValue = `column ${quoteIdent(name)} references ${ref.fk.parent}, which has no rows`;
                return undefined;
              }
            }
            const parent = parentRows?.length ? parentRows[(row + v.shift) % parentRows.length] : undefined;
            if (parent) {
              const pv = parent[ref.fk.parentColumns[ref.index]];
              values.set(name, pv === null || pv === undefined ? 'NULL' : `${quoteLiteral(pv)}::${col.type}`);
              continue;
            }
            // NOT NULL self-reference on the first row: the referenced column's own value in this row
            const target = ref.fk.parentColumns[ref.index];
            const own = literalFor(
              t.columns[target]?.type ?? col.type,
              { table, column: target, row: r, position: columns.indexOf(target) },
              schema,
            );
            values.set(name, own && `${own}::${col.type}`);
            continue;
          }
          if (forcedNull) {
            values.set(name, 'NULL');
            continue;
          }
          const lit = literalFor(col.type, { table, column: name, row: r, position }, schema);
          if (lit !== undefined) values.set(name, lit);
          else if (col.default !== null || col.identity) values.set(name, undefined);
          else if (!col.notNull) values.set(name, 'NULL');
          else {
            noValue = `column ${quoteIdent(name)} has type ${col.type}, for which no value is generated`;
            return undefined;
          }
        }
        return values;
      };
      // Variants, tried in order until one is accepted: as generated; after a duplicate key (rows the
      // migrations inserted), other values; after a CHECK, NULL in the columns it names but one
      // (one-of-several checks), then NULL in every nullable column.
      const queue: Variant[] = [{ shift: 0, nullAll: false, nulls: [] }];
      const tried = new Set<string>();
      let done = false;
      while (queue.length && !done && tried.size < 8) {
        const v = queue.shift()!;
        const id = JSON.stringify(v);
        if (tried.has(id)) continue;
        tried.add(id);
        const values = build(v);
        if (!values) break;
        const cols = [...values.entries()].filter(([, x]) => x !== undefined);
        const returning = t.columnOrder.map((c) => `${quoteIdent(c)}::text AS ${quoteIdent(c)}`).join(', ');
        const sql = cols.length
          ? `INSERT INTO ${table} (${cols.map(([c]) => quoteIdent(c)).join(', ')}) OVERRIDING SYSTEM VALUE VALUES (${cols.map(([, x]) => x).join(', ')}) RETURNING ${returning}`
          : `INSERT INTO ${table} DEFAULT VALUES RETURNING ${returning}`;
        await query('SAVEPOINT prisma_rollback_seed');
        try {
          const r = await query(sql);
          await query('RELEASE SAVEPOINT prisma_rollback_seed');
          rows.push(r.rows[0] as Record<string, string | null>);
          done = true;
        } catch (e) {
          lastError = message(e);
          await query('ROLLBACK TO SAVEPOINT prisma_rollback_seed');
          await query('RELEASE SAVEPOINT prisma_rollback_seed');
          if (/duplicate key/.test(lastError) && v.shift < 3) queue.unshift({ ...v, shift: v.shift + 1 });
          const check = /violates check constraint "((?:[^"]|"")*)"/.exec(lastError)?.[1];
          if (check) {
            const named = checkColumns(schema, table, check.replace(/""/g, '"')).filter(
              (c) => !t.columns[c].notNull && !keyCols.has(c),
            );
            for (const keep of named) queue.push({ ...v, keep, nulls: named.filter((c) => c !== keep) });
          }
          queue.push({ ...v, nullAll: true });
        }
      }
      if (noValue) break;
    }
    inserted.set(table, rows);
    report.inserted[table] = rows.length;
    // As in a database that got its rows by INSERT: the column's sequence is past the seeded values,
    // so a migration that inserts with nextval() does not collide with them.
    if (rows.length)
      for (const c of columns.filter(
        (x) => t.columns[x].identity || /^nextval\(/.test(t.columns[x].default ?? ''),
      )) {
        await query('SAVEPOINT prisma_rollback_seed');
        try {
          await query(
            `SELECT pg_catalog.setval(s, m) FROM (SELECT pg_catalog.pg_get_serial_sequence(${quoteLiteral(table)}, ${quoteLiteral(c)}) AS s, (SELECT max(${quoteIdent(c)})::bigint FROM ${table}) AS m) x WHERE s IS NOT NULL AND m IS NOT NULL`,
          );
          await query('RELEASE SAVEPOINT prisma_rollback_seed');
        } catch {
          await query('ROLLBACK TO SAVEPOINT prisma_rollback_seed');
          await query('RELEASE SAVEPOINT prisma_rollback_seed');
        }
      }
    if (rows.length < rowsWanted)
      report.problems.push(
        `${table}: ${rows.length} of ${rowsWanted} rows (${noValue ?? lastError ?? 'no reason given'})`,
      );
  }
  return report;
}
