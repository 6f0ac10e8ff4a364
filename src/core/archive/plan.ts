/**
 * The archive plan of one migration: which data that existed before it the migration destroys or
 * changes, in the names the tables and columns had before it (so a rollback, which brings those
 * names back, can restore them). Read from the generator's one per-statement analysis
 * (`statementRisks` in src/core/generator/script-risk.ts), folded statement by statement through
 * the schema model (src/core/generator/model.ts), with renames followed back to the original names.
 *
 * Rules (PostgreSQL 15 docs, DROP TABLE / ALTER TABLE / UPDATE / DELETE / INSERT):
 * - DROP TABLE (and TRUNCATE) of a table that existed before: every row (kind `table` / `rows`);
 * - DROP COLUMN, ALTER COLUMN … TYPE (with or without USING): the column's values keyed by the
 *   table's primary key, else its first unique index or constraint on NOT NULL columns; a table
 *   with neither is archived whole (kind `table`, said in `note`);
 * - UPDATE, DELETE, TRUNCATE, INSERT: the prior image of the whole table keyed the same way (a WHERE
 *   clause is not evaluated beforehand); after the migration the image keeps only the rows it
 *   changed or deleted, plus the keys of the rows it added (see captureSql).
 * Tables and columns the migration itself creates hold nothing from before: never archived.
 * Enum values removed by Prisma's type swap (CREATE TYPE "E_new"; ALTER COLUMN … TYPE "E_new"
 * USING …; DROP TYPE "E_old") are covered by the ALTER COLUMN … TYPE rule.
 * Not covered: data changed inside a DO block (its PL/pgSQL runs at apply time; nothing in the parse
 * tree says which rows it writes) — listed in `unarchived` (UNARCHIVED_DO), never archived.
 */
import { applyStatement } from '../generator/inverse';
import { type N, type SchemaModel, strings, type TableModel, typeKey } from '../generator/model';
import { type DataTouched, statementRisks, UNARCHIVED_DO } from '../generator/script-risk';
import { objectKey, quoteQualified } from '../sql/names';
import { deparseNode, parseMigrationSync } from '../sql/parser';
import type { ArchiveItem, ArchivePlan } from './types';

export type { ArchiveItem, ArchivePlan } from './types';
export { UNARCHIVED_DO };

const tableKeyOf = (schema: string | undefined, name: string) => objectKey(schema, name);

/** The primary key, else the first unique constraint or unique index on NOT NULL columns. */
export function tableKeyColumns(model: SchemaModel, key: string): string[] | undefined {
  const t = model.tables.get(key);
  if (!t) return undefined;
  const notNull = (c: string) => t.columns.find((x) => x.name === c)?.notNull === true;
  const keysOf = (c: N): string[] => (c.keys ?? []).map((k: N) => k.String?.sval as string);
  const pk = t.constraints.find((c) => c.node?.contype === 'CONSTR_PRIMARY');
  if (pk) return keysOf(pk.node);
  for (const c of t.constraints)
    if (c.node?.contype === 'CONSTR_UNIQUE') {
      const k = keysOf(c.node);
      if (k.length && k.every(notNull)) return k;
    }
  for (const ix of model.indexes.values()) {
    const n = ix.node;
    if (!n?.unique || n.whereClause) continue;
    if (tableKeyOf(n.relation?.schemaname || undefined, n.relation?.relname) !== key) continue;
    const cols = (n.indexParams ?? []).map((p: N) => p.IndexElem?.name as string | undefined);
    if (cols.length && cols.every((c: string | undefined) => c && notNull(c))) return cols as string[];
  }
  return undefined;
}

/**
 * Whether `typeName` (a TypeName node) is `json`, `json[]` or a domain (of `model`) over them: a
 * type whose text jsonb would normalise (PostgreSQL 15 docs §8.14: json keeps its input text
 * exactly, jsonb does not keep whitespace, key order or duplicate keys).
 */
function isJsonType(model: SchemaModel, typeName: N, depth = 0): boolean {
  const parts = strings(typeName?.names);
  if (parts.at(-1) === 'json' && (parts.length === 1 || parts[0] === 'pg_catalog')) return true;
  const key = typeKey(typeName);
  const domain = key && depth < 8 ? model.types.get(key) : undefined;
  if (!domain || !/^\s*create\s+domain\b/i.test(domain.sql)) return false;
  try {
    const n = parseMigrationSync(domain.sql, 'domain').statements[0]?.node as N;
    return n?.CreateDomainStmt ? isJsonType(model, n.CreateDomainStmt.typeName, depth + 1) : false;
  } catch {
    return false;
  }
}

/** The json-typed columns of `t` (see ArchiveItem.jsonColumns), undefined when none. */
function jsonColumnsOf(model: SchemaModel, t: TableModel): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const c of t.columns)
    if (isJsonType(model, c.typeName)) out[c.name] = deparseNode({ TypeName: c.typeName } as never);
  return Object.keys(out).length ? out : undefined;
}

function fkParents(t: TableModel): string[] {
  return t.constraints
    .filter((c) => c.node?.contype === 'CONSTR_FOREIGN')
    .map((c) => tableKeyOf(c.node.pktable?.schemaname || undefined, c.node.pktable?.relname));
}

/**
 * The archive plan of `migration` run on `before` (the schema model after every earlier migration;
 * not changed: the fold runs on a copy). Throws SqlParseError when the migration does not parse.
 */
export function planArchive(migration: { name: string; sql: string }, before: SchemaModel): ArchivePlan {
  const model = structuredClone(before);
  // current table key → key before the migration (null: created by it)
  const tableOrigin = new Map<string, string | null>();
  // `${keyBefore}\0${current column}` → column name before (null: added by it)
  const columnOrigin = new Map<string, string | null>();
  const originTable = (key: string): string | null =>
    tableOrigin.has(key) ? (tableOrigin.get(key) ?? null) : before.tables.has(key) ? key : null;
  const originColumn = (tBefore: string, col: string): string | null => {
    const k = `${tBefore}\0${col}`;
    if (columnOrigin.has(k)) return columnOrigin.get(k) ?? null;
    return before.tables.get(tBefore)?.columns.some((c) => c.name === col) ? col : null;
  };
  // updated: for an UPDATE, the columns its SET assigns, in names before the migration
  const touchedAt: { t: DataTouched; table: string; column?: string; updated?: string[] }[] = [];
  const unarchived: { line: number; what: string }[] = [];
  for (const st of parseMigrationSync(migration.sql, `${migration.name}/migration.sql`).statements) {
    const node = st.node as N;
    if (node.DoStmt) unarchived.push({ line: st.line, what: UNARCHIVED_DO });
    for (const t of statementRisks(node, st.line).touched) {
      const tBefore = originTable(tableKeyOf(t.schema, t.table));
      if (!tBefore) continue;
      const column = t.column !== undefined ? originColumn(tBefore, t.column) : undefined;
      if (t.column !== undefined && !column) continue;
      const updated =
        t.kind === 'update'
          ? (t.columns ?? []).map((c) => originColumn(tBefore, c)).filter((c): c is string => !!c)
          : undefined;
      touchedAt.push({ t, table: tBefore, column: column ?? undefined, updated });
    }
    // follow renames, creations and added columns
    const r = node.RenameStmt;
    if (r?.renameType === 'OBJECT_TABLE' && r.relation) {
      const from = tableKeyOf(r.relation.schemaname || undefined, r.relation.relname);
      const o = originTable(from);
      tableOrigin.set(tableKeyOf(r.relation.schemaname || undefined, r.newname), o);
      tableOrigin.set(from, null);
    } else if (r?.renameType === 'OBJECT_COLUMN' && r.relation) {
      const tb = originTable(tableKeyOf(r.relation.schemaname || undefined, r.relation.relname));
      if (tb) {
        const o = originColumn(tb, r.subname);
        columnOrigin.set(`${tb}\0${r.newname}`, o);
        columnOrigin.set(`${tb}\0${r.subname}`, null);
      }
    }
    if (node.CreateStmt?.relation)
      tableOrigin.set(
        tableKeyOf(node.CreateStmt.relation.schemaname || undefined, node.CreateStmt.relation.relname),
        null,
      );
    if (node.AlterTableStmt?.relation) {
      const tb = originTable(
        tableKeyOf(
          node.AlterTableStmt.relation.schemaname || undefined,
          node.AlterTableStmt.relation.relname,
        ),
      );
      for (const c of node.AlterTableStmt.cmds ?? []) {
        const cmd = c.AlterTableCmd;
        if (tb && cmd?.subtype === 'AT_AddColumn')
          columnOrigin.set(`${tb}\0${cmd.def.ColumnDef.colname}`, null);
        if (tb && cmd?.subtype === 'AT_DropColumn') columnOrigin.set(`${tb}\0${cmd.name}`, null);
      }
    }
    if (node.DropStmt?.removeType === 'OBJECT_TABLE')
      for (const o of node.DropStmt.objects ?? []) {
        const names: string[] = (o.List?.items ?? []).map((i: N) => i.String?.sval);
        tableOrigin.set(
          tableKeyOf(names.length > 1 ? names[names.length - 2] : undefined, names.at(-1)!),
          null,
        );
      }
    try {
      applyStatement(model, st);
    } catch {
      // a statement the model cannot follow: later statements are judged without it
    }
  }

  // One item per table and kind, before-migration names.
  const byTable = new Map<
    string,
    { kinds: Set<string>; columns: Set<string>; reasons: string[]; updated?: Set<string> }
  >();
  for (const { t, table, column, updated } of touchedAt) {
    const e = byTable.get(table) ?? { kinds: new Set(), columns: new Set(), reasons: [] };
    byTable.set(table, e);
    e.kinds.add(t.kind);
    if (column) e.columns.add(column);
    if (updated) {
      e.updated ??= new Set();
      for (const c of updated) e.updated.add(c);
    }
    const what = {
      dropTable: 'DROP TABLE',
      truncate: 'TRUNCATE',
      dropColumn: `DROP COLUMN ${column}`,
      alterType: `ALTER COLUMN ${column} TYPE`,
      update: 'UPDATE',
      delete: 'DELETE',
      insert: 'INSERT',
    }[t.kind];
    e.reasons.push(
      `line ${t.line}: ${what}${t.column && t.column !== column ? ` (${t.column} was ${column})` : ''}`,
    );
  }
  const items: ArchiveItem[] = [];
  // Where each table of `before` ended up (for the rows diff).
  const afterName = new Map<string, string>();
  for (const k of model.tables.keys()) {
    const o = originTable(k);
    if (o) afterName.set(o, k);
  }
  for (const [key, e] of byTable) {
    const t = before.tables.get(key)!;
    const columns = t.columns.map((c) => c.name);
    const writable = t.columns.filter((c) => !c.generated).map((c) => c.name);
    const keyCols = tableKeyColumns(before, key);
    const sequenced = t.columns
      .filter((c) => c.serial || c.identity || JSON.stringify(c.default ?? '').includes('"nextval"'))
      .map((c) => c.name);
    const jsonColumns = jsonColumnsOf(before, t);
    const base = {
      schema: t.schema,
      table: t.name,
      writable,
      reasons: e.reasons,
      sequenced,
      ...(jsonColumns ? { jsonColumns } : {}),
    };
    const dropped = e.kinds.has('dropTable') || !afterName.has(key);
    if (dropped || !keyCols) {
      items.push({
        ...base,
        kind: 'table',
        columns,
        key: keyCols,
        note: keyCols
          ? undefined
          : `${quoteQualified(t.schema, t.name)} has no primary key or unique NOT NULL key: archived whole, restored by deleting its rows and inserting the archived ones`,
      });
      continue;
    }
    const dml = ['update', 'delete', 'truncate', 'insert'].some((k) => e.kinds.has(k));
    if (dml) {
      const now = afterName.get(key)!;
      const tAfter = model.tables.get(now)!;
      const typeChanged = new Set(
        touchedAt.filter((x) => x.table === key && x.t.kind === 'alterType').map((x) => x.column),
      );
      const pairs: { before: string; after: string }[] = [];
      for (const c of tAfter.columns) {
        const o = originColumn(key, c.name);
        if (o && !typeChanged.has(o)) pairs.push({ before: o, after: c.name });
      }
      const keyAfter = keyCols.map((k) => pairs.find((p) => p.before === k)?.after);
      // a row deleted and inserted again (same key) may differ in any column: write them all back
      const onlyUpdated = e.updated && !e.kinds.has('insert');
      items.push({
        ...base,
        kind: 'rows',
        columns,
        key: keyCols,
        ...(onlyUpdated ? { updated: [...e.updated!].filter((c) => writable.includes(c)) } : {}),
        after: keyAfter.every((k) => k !== undefined)
          ? { schema: tAfter.schema, table: tAfter.name, columns: pairs, key: keyAfter as string[] }
          : undefined,
      });
    }
    if (e.columns.size)
      items.push({
        ...base,
        kind: 'columns',
        columns: [...e.columns],
        writable: [...e.columns].filter((c) => writable.includes(c)),
        key: keyCols,
      });
  }

  // referenced tables first
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (k: string) => {
    if (seen.has(k)) return;
    seen.add(k);
    const t = before.tables.get(k);
    if (t) for (const p of fkParents(t)) if (byTable.has(p) && p !== k) visit(p);
    order.push(k);
  };
  for (const k of byTable.keys()) visit(k);
  return { migration: migration.name, items, order, ...(unarchived.length ? { unarchived } : {}) };
}
