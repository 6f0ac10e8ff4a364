/**
 * An in-memory model of the schema, built by folding parsed migration statements in order.
 * It keeps parse-tree nodes (columns' types and defaults, constraints, indexes) so that the
 * generator can deparse previous definitions, and the original SQL of functions, views and
 * triggers, whose bodies it never needs to understand.
 */
import {
  implicitConstraintName,
  implicitIndexName,
  makeObjectName,
  objectKey,
  quoteIdent,
} from '../sql/names';

// Parse-tree nodes are plain JSON objects; the model reads a few fields of many node types.
// biome-ignore lint/suspicious/noExplicitAny: libpg-query's JSON parse tree
export type N = any;

export interface ColumnModel {
  name: string;
  /** The `TypeName` node. */
  typeName: N;
  notNull: boolean;
  /** The default expression node (`raw_expr`). */
  default?: N;
  /** `Constraint` node of an identity or generated column. */
  identity?: N;
  generated?: N;
  collClause?: N;
  /** Declared `serial`/`bigserial`/`smallserial`: the pseudo-type and its implicit sequence's name. */
  serial?: { typeName: N; sequence: string };
}

export interface ConstraintModel {
  name: string;
  /** `Constraint` node, `conname` set, column lists explicit (`keys` / `fk_attrs`). */
  node: N;
}

export interface TableModel {
  schema?: string;
  name: string;
  columns: ColumnModel[];
  constraints: ConstraintModel[];
  rowSecurity?: boolean;
  forceRowSecurity?: boolean;
  /** Other clauses of CREATE TABLE kept as nodes (PARTITION BY, INHERITS…), rarely used. */
  extra?: { partspec?: N; inhRelations?: N[]; options?: N[]; relpersistence?: string };
}

export interface IndexModel {
  schema?: string;
  name: string;
  /** `IndexStmt` node with `idxname` and `relation` set. */
  node: N;
}

export interface EnumModel {
  schema?: string;
  name: string;
  labels: string[];
}

/** An object kept as the SQL that created it (functions, views, triggers, sequences…). */
export interface SqlObject {
  schema?: string;
  name: string;
  /** The statement's original text, without the trailing `;`. */
  sql: string;
  /** For triggers and policies: the table's key. */
  table?: string;
  node?: N;
}

/** A sequence: its original SQL, or the implicit one of a serial column (owned by it). */
export interface SequenceModel extends SqlObject {
  ownedBy?: { table: string; column: string };
}

export interface SchemaModel {
  tables: Map<string, TableModel>;
  indexes: Map<string, IndexModel>;
  enums: Map<string, EnumModel>;
  /** Other user types (composite, domain, range): original SQL. */
  types: Map<string, SqlObject>;
  views: Map<string, SqlObject & { materialized: boolean }>;
  /** Keyed by `schema.name(argtypes)`. */
  functions: Map<string, SqlObject & { signature: string }>;
  /** Keyed by `tableKey/name`. */
  triggers: Map<string, SqlObject>;
  policies: Map<string, SqlObject>;
  sequences: Map<string, SequenceModel>;
  extensions: Map<string, SqlObject>;
  schemas: Map<string, SqlObject>;
  /** `COMMENT ON` texts, keyed by `<objtype>:<object key>`. */
  comments: Map<string, string>;
}

export function emptyModel(): SchemaModel {
  return {
    tables: new Map(),
    indexes: new Map(),
    enums: new Map(),
    types: new Map(),
    views: new Map(),
    functions: new Map(),
    triggers: new Map(),
    policies: new Map(),
    sequences: new Map(),
    extensions: new Map(),
    schemas: new Map(),
    comments: new Map(),
  };
}

export function cloneNode<T>(n: T): T {
  return n === undefined ? n : (JSON.parse(JSON.stringify(n)) as T);
}

// ---------------------------------------------------------------------------------------------
// Small readers of parse-tree nodes

export function str(n: N): string {
  return n?.String?.sval ?? '';
}

export function strings(list: N[] | undefined): string[] {
  return (list ?? []).map(str);
}

/** `{schema, name}` of a RangeVar. */
export function rangeVar(rv: N): { schema?: string; name: string } {
  return { schema: rv?.schemaname || undefined, name: rv?.relname ?? '' };
}

/** `{schema, name}` of a dotted name list (`List` of `String`). */
export function qualifiedList(list: N[] | undefined): { schema?: string; name: string } {
  const parts = strings(list);
  return parts.length > 1
    ? { schema: parts[parts.length - 2], name: parts[parts.length - 1] }
    : { name: parts[0] ?? '' };
}

export function tableKey(rv: N): string {
  const q = rangeVar(rv);
  return objectKey(q.schema, q.name);
}

/** The model key of a user type named by a TypeName node (undefined for built-in types). */
export function typeKey(typeName: N): string | undefined {
  const parts = strings(typeName?.names);
  if (parts[0] === 'pg_catalog' && parts.length === 2) return undefined;
  return parts.length > 1
    ? objectKey(parts[parts.length - 2], parts[parts.length - 1])
    : objectKey(undefined, parts[0]);
}

const SERIALS: Record<string, string> = {
  serial: 'int4',
  serial4: 'int4',
  bigserial: 'int8',
  serial8: 'int8',
  smallserial: 'int2',
  serial2: 'int2',
};

/** The type as `ALTER COLUMN … TYPE` can use it: serial pseudo-types become their integer types. */
export function storageType(typeName: N): N {
  const parts = strings(typeName?.names);
  const base = SERIALS[parts[parts.length - 1]?.toLowerCase() ?? ''];
  if (parts.length === 1 && base)
    return { ...typeName, names: [{ String: { sval: 'pg_catalog' } }, { String: { sval: base } }] };
  return typeName;
}

export function isSerial(typeName: N): boolean {
  const parts = strings(typeName?.names);
  return parts.length === 1 && SERIALS[parts[0].toLowerCase()] !== undefined;
}

/** Visits every object in a parse tree (depth first). */
export function walk(n: N, visit: (o: N) => void): void {
  if (Array.isArray(n)) for (const x of n) walk(x, visit);
  else if (n && typeof n === 'object') {
    visit(n);
    for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v, visit);
  }
}

/** Renames column references `from` → `to` inside expressions (CHECK, index expressions, WHERE). */
export function renameColumnRefs(n: N, from: string, to: string): void {
  walk(n, (o) => {
    if (o.ColumnRef?.fields) {
      const f = o.ColumnRef.fields;
      const last = f[f.length - 1];
      if (last?.String?.sval === from) last.String.sval = to;
    }
  });
}

/** Column names an expression refers to. */
export function columnRefs(n: N): Set<string> {
  const out = new Set<string>();
  walk(n, (o) => {
    if (o.ColumnRef?.fields) {
      const f = o.ColumnRef.fields;
      const last = f[f.length - 1];
      if (last?.String?.sval) out.add(last.String.sval);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Constraints and indexes

/** The columns a table constraint covers (its own table's columns). */
export function constraintColumns(c: N): string[] {
  if (c.contype === 'CONSTR_FOREIGN') return strings(c.fk_attrs);
  if (c.contype === 'CONSTR_CHECK') return [...columnRefs(c.raw_expr)];
  const cols = strings(c.keys);
  for (const inc of strings(c.including)) cols.push(inc);
  if (c.exclusions)
    for (const e of c.exclusions) walk(e, (o) => o.IndexElem?.name && cols.push(o.IndexElem.name));
  return cols;
}

export function indexColumns(ix: N): string[] {
  const cols: string[] = [];
  for (const p of ix.indexParams ?? []) {
    const e = p.IndexElem;
    if (e?.name) cols.push(e.name);
    else if (e?.expr) cols.push(...columnRefs(e.expr));
  }
  for (const p of ix.indexIncludingParams ?? []) if (p.IndexElem?.name) cols.push(p.IndexElem.name);
  if (ix.whereClause) cols.push(...columnRefs(ix.whereClause));
  return cols;
}

const LABELS: Record<string, 'pkey' | 'key' | 'fkey' | 'check' | 'excl'> = {
  CONSTR_PRIMARY: 'pkey',
  CONSTR_UNIQUE: 'key',
  CONSTR_FOREIGN: 'fkey',
  CONSTR_CHECK: 'check',
  CONSTR_EXCLUSION: 'excl',
};

/** Is this a constraint the model keeps on the table (not NOT NULL / DEFAULT / identity…)? */
export function isTableConstraint(c: N): boolean {
  return c?.contype in LABELS;
}

/** Normalizes a table constraint: explicit columns, and the name PostgreSQL would give it. */
export function normalizeConstraint(table: TableModel, c: N, column?: string): ConstraintModel {
  const node = cloneNode(c);
  if (column) {
    if (node.contype === 'CONSTR_FOREIGN' && !node.fk_attrs?.length)
      node.fk_attrs = [{ String: { sval: column } }];
    if ((node.contype === 'CONSTR_PRIMARY' || node.contype === 'CONSTR_UNIQUE') && !node.keys?.length)
      node.keys = [{ String: { sval: column } }];
  }
  if (!node.conname) {
    const label = LABELS[node.contype];
    let cols: string[];
    if (node.contype === 'CONSTR_CHECK') {
      // PostgreSQL names a CHECK after its column when the expression uses exactly one
      const refs = [...columnRefs(node.raw_expr)];
      cols = refs.length === 1 ? refs : [];
    } else cols = constraintColumns(node);
    node.conname = implicitConstraintName(table.name, cols, label);
  }
  delete node.location;
  return { name: node.conname, node };
}

// ---------------------------------------------------------------------------------------------
// Column definitions

/** `nextval('"seq"'::regclass)` as a parse-tree node. */
export function nextvalNode(schema: string | undefined, sequence: string): N {
  const literal = schema ? `${quoteIdent(schema)}.${quoteIdent(sequence)}` : quoteIdent(sequence);
  return {
    FuncCall: {
      funcname: [{ String: { sval: 'nextval' } }],
      args: [
        {
          TypeCast: {
            arg: { A_Const: { sval: { sval: literal } } },
            typeName: { names: [{ String: { sval: 'regclass' } }], typemod: -1 },
          },
        },
      ],
      funcformat: 'COERCE_EXPLICIT_CALL',
    },
  };
}

const SERIAL_SEQUENCE_TYPE: Record<string, string> = { int4: 'integer', int8: 'bigint', int2: 'smallint' };

/**
 * The column of a ColumnDef, and its table constraints. A serial column becomes what PostgreSQL
 * makes of it: an integer column, NOT NULL, defaulting to nextval() of an implicit sequence
 * (registered in the model when `model` and `table` are given).
 */
export function columnFromDef(
  def: N,
  table?: TableModel,
  model?: SchemaModel,
): { column: ColumnModel; constraints: N[] } {
  const column: ColumnModel = { name: def.colname, typeName: cloneNode(def.typeName), notNull: false };
  if (table && isSerial(def.typeName)) {
    const sequence = makeObjectName(table.name, def.colname, 'seq');
    const storage = storageType(def.typeName);
    column.serial = { typeName: cloneNode(def.typeName), sequence };
    column.typeName = cloneNode(storage);
    column.default = nextvalNode(table.schema, sequence);
    const base = strings(storage.names)[1];
    model?.sequences.set(objectKey(table.schema, sequence), {
      schema: table.schema,
      name: sequence,
      sql: `CREATE SEQUENCE ${table.schema ? `${quoteIdent(table.schema)}.` : ''}${quoteIdent(sequence)} AS ${SERIAL_SEQUENCE_TYPE[base] ?? 'integer'}`,
      ownedBy: { table: objectKey(table.schema, table.name), column: def.colname },
    });
  }
  if (def.collClause) column.collClause = cloneNode(def.collClause);
  const constraints: N[] = [];
  for (const cn of def.constraints ?? []) {
    const c = cn.Constraint;
    switch (c.contype) {
      case 'CONSTR_NOTNULL':
        column.notNull = true;
        break;
      case 'CONSTR_NULL':
        column.notNull = false;
        break;
      case 'CONSTR_DEFAULT':
        column.default = cloneNode(c.raw_expr);
        break;
      case 'CONSTR_IDENTITY':
        column.identity = cloneNode(c);
        column.notNull = true;
        break;
      case 'CONSTR_GENERATED':
        column.generated = cloneNode(c);
        break;
      case 'CONSTR_PRIMARY':
        column.notNull = true;
        constraints.push(c);
        break;
      default:
        if (isTableConstraint(c)) constraints.push(c);
    }
  }
  if (isSerial(column.typeName)) column.notNull = true;
  return { column, constraints };
}

/** Whether a serial column still has its implicit default (it can be re-created as `serial`). */
export function isIntactSerial(col: ColumnModel, schema: string | undefined): boolean {
  return (
    !!col.serial && JSON.stringify(col.default) === JSON.stringify(nextvalNode(schema, col.serial.sequence))
  );
}

/** A `ColumnDef` node for the column as it is in the model (`serial` when it still is one). */
export function columnDefNode(col: ColumnModel, schema?: string): N {
  if (col.serial && isIntactSerial(col, schema)) {
    const { default: _d, serial, ...rest } = col;
    return columnDefNode({ ...rest, typeName: serial.typeName }, schema);
  }
  const constraints: N[] = [];
  if (col.identity) constraints.push({ Constraint: col.identity });
  else if (col.notNull && !isSerial(col.typeName))
    constraints.push({ Constraint: { contype: 'CONSTR_NOTNULL' } });
  if (col.default !== undefined)
    constraints.push({ Constraint: { contype: 'CONSTR_DEFAULT', raw_expr: col.default } });
  if (col.generated) constraints.push({ Constraint: col.generated });
  const def: N = { colname: col.name, typeName: col.typeName, is_local: true };
  if (constraints.length) def.constraints = constraints;
  if (col.collClause) def.collClause = col.collClause;
  if (isSerial(col.typeName) && col.notNull === false) {
    // a serial column made nullable later: keep that
    def.constraints = [...(def.constraints ?? []), { Constraint: { contype: 'CONSTR_NULL' } }];
  }
  return { ColumnDef: def };
}

// ---------------------------------------------------------------------------------------------
// Folding statements into the model

/** Index and constraint names share a namespace per schema: find which table holds a constraint index. */
export function findConstraintIndex(
  model: SchemaModel,
  schema: string | undefined,
  name: string,
): { table: TableModel; constraint: ConstraintModel } | undefined {
  const s = objectKey(schema, '').slice(0, -1);
  for (const t of model.tables.values()) {
    if (objectKey(t.schema, '').slice(0, -1) !== s) continue;
    const c = t.constraints.find(
      (x) =>
        x.name === name && ['CONSTR_PRIMARY', 'CONSTR_UNIQUE', 'CONSTR_EXCLUSION'].includes(x.node.contype),
    );
    if (c) return { table: t, constraint: c };
  }
  return undefined;
}

export function tableFromCreate(stmt: N, model?: SchemaModel): TableModel {
  const q = rangeVar(stmt.relation);
  const table: TableModel = { schema: q.schema, name: q.name, columns: [], constraints: [] };
  const pending: Array<{ c: N; column?: string }> = [];
  for (const el of stmt.tableElts ?? []) {
    if (el.ColumnDef) {
      const { column, constraints } = columnFromDef(el.ColumnDef, table, model);
      table.columns.push(column);
      for (const c of constraints) pending.push({ c, column: column.name });
    } else if (el.Constraint) pending.push({ c: el.Constraint });
  }
  for (const p of pending) {
    const nc = normalizeConstraint(table, p.c, p.column);
    if (nc.node.contype === 'CONSTR_PRIMARY')
      for (const k of strings(nc.node.keys)) {
        const col = table.columns.find((c) => c.name === k);
        if (col) col.notNull = true;
      }
    table.constraints.push(nc);
  }
  const extra: TableModel['extra'] = {};
  if (stmt.partspec) extra.partspec = stmt.partspec;
  if (stmt.inhRelations) extra.inhRelations = stmt.inhRelations;
  if (stmt.options) extra.options = stmt.options;
  if (stmt.relation?.relpersistence && stmt.relation.relpersistence !== 'p')
    extra.relpersistence = stmt.relation.relpersistence;
  if (Object.keys(extra).length) table.extra = extra;
  return table;
}

export function indexFromStmt(model: SchemaModel, stmt: N): IndexModel {
  const node = cloneNode(stmt);
  const t = rangeVar(stmt.relation);
  if (!node.idxname) {
    // PostgreSQL's FigureIndexColname: the column, else the function's name, else "expr"
    const figure = (e: N): string => {
      if (e?.FuncCall) return str(e.FuncCall.funcname[e.FuncCall.funcname.length - 1]);
      if (e?.TypeCast) return figure(e.TypeCast.arg);
      if (e?.ColumnRef) return str(e.ColumnRef.fields[e.ColumnRef.fields.length - 1]) || 'expr';
      return 'expr';
    };
    const cols = (stmt.indexParams ?? []).map((p: N) => p.IndexElem?.name ?? figure(p.IndexElem?.expr));
    node.idxname = implicitIndexName(t.name, cols);
  }
  delete node.if_not_exists;
  delete node.concurrent;
  // an index lives in its table's schema
  const table = model.tables.get(objectKey(t.schema, t.name));
  return { schema: t.schema ?? table?.schema, name: node.idxname, node };
}

/** Renames a table everywhere it is referenced (FKs, indexes, triggers, policies). */
export function renameTableRefs(
  model: SchemaModel,
  oldKey: string,
  schema: string | undefined,
  newName: string,
): void {
  for (const t of model.tables.values())
    for (const c of t.constraints)
      if (c.node.contype === 'CONSTR_FOREIGN' && tableKey(c.node.pktable) === oldKey)
        c.node.pktable.relname = newName;
  for (const ix of model.indexes.values())
    if (tableKey(ix.node.relation) === oldKey) ix.node.relation.relname = newName;
  const newKey = objectKey(schema, newName);
  for (const s of model.sequences.values()) if (s.ownedBy?.table === oldKey) s.ownedBy.table = newKey;
  for (const map of [model.triggers, model.policies])
    for (const [k, o] of [...map])
      if (o.table === oldKey) {
        map.delete(k);
        o.table = newKey;
        map.set(`${newKey}/${o.name}`, o);
      }
  for (const [k, v] of [...model.comments])
    if (k === `table:${oldKey}` || k.startsWith(`column:${oldKey}.`)) {
      model.comments.delete(k);
      model.comments.set(k.replace(oldKey, newKey), v);
    }
}

/** Renames a column in its table and everything that refers to it. */
export function renameColumn(model: SchemaModel, table: TableModel, from: string, to: string): void {
  const key = objectKey(table.schema, table.name);
  const col = table.columns.find((c) => c.name === from);
  if (col) col.name = to;
  for (const s of model.sequences.values())
    if (s.ownedBy?.table === key && s.ownedBy.column === from) s.ownedBy.column = to;
  const ren = (list: N[] | undefined) => {
    for (const s of list ?? []) if (s.String?.sval === from) s.String.sval = to;
  };
  for (const c of table.constraints) {
    ren(c.node.keys);
    ren(c.node.including);
    ren(c.node.fk_attrs);
    if (c.node.raw_expr) renameColumnRefs(c.node.raw_expr, from, to);
  }
  for (const t of model.tables.values())
    for (const c of t.constraints)
      if (c.node.contype === 'CONSTR_FOREIGN' && tableKey(c.node.pktable) === key) ren(c.node.pk_attrs);
  for (const ix of model.indexes.values()) {
    if (tableKey(ix.node.relation) !== key) continue;
    for (const p of [...(ix.node.indexParams ?? []), ...(ix.node.indexIncludingParams ?? [])]) {
      if (p.IndexElem?.name === from) p.IndexElem.name = to;
      if (p.IndexElem?.expr) renameColumnRefs(p.IndexElem.expr, from, to);
    }
    if (ix.node.whereClause) renameColumnRefs(ix.node.whereClause, from, to);
  }
  const ck = `column:${key}.${from}`;
  const comment = model.comments.get(ck);
  if (comment !== undefined) {
    model.comments.delete(ck);
    model.comments.set(`column:${key}.${to}`, comment);
  }
}

/** Renames a user type in every column (and array column) that uses it. */
export function renameTypeRefs(model: SchemaModel, oldKey: string, newName: string): void {
  const fix = (tn: N) => {
    if (tn && typeKey(tn) === oldKey) tn.names[tn.names.length - 1] = { String: { sval: newName } };
  };
  for (const t of model.tables.values()) for (const c of t.columns) fix(c.typeName);
  walkDefaults(model, (n) => walk(n, (o) => o.TypeCast && fix(o.TypeCast.typeName)));
}

function walkDefaults(model: SchemaModel, f: (n: N) => void): void {
  for (const t of model.tables.values()) for (const c of t.columns) if (c.default) f(c.default);
}

/** Drops a column and everything PostgreSQL drops with it (indexes, constraints that use it). */
export function dropColumn(model: SchemaModel, table: TableModel, name: string, cascade: boolean): void {
  const key = objectKey(table.schema, table.name);
  table.columns = table.columns.filter((c) => c.name !== name);
  for (const [k, s] of [...model.sequences])
    if (s.ownedBy?.table === key && s.ownedBy.column === name) model.sequences.delete(k);
  table.constraints = table.constraints.filter((c) => !constraintColumns(c.node).includes(name));
  for (const [k, ix] of [...model.indexes])
    if (tableKey(ix.node.relation) === key && indexColumns(ix.node).includes(name)) model.indexes.delete(k);
  if (cascade)
    for (const t of model.tables.values())
      t.constraints = t.constraints.filter(
        (c) =>
          !(
            c.node.contype === 'CONSTR_FOREIGN' &&
            tableKey(c.node.pktable) === key &&
            strings(c.node.pk_attrs).includes(name)
          ),
      );
  model.comments.delete(`column:${key}.${name}`);
}

/** Drops a table and everything that goes with it. */
export function dropTable(model: SchemaModel, key: string, cascade: boolean): void {
  model.tables.delete(key);
  for (const [k, s] of [...model.sequences]) if (s.ownedBy?.table === key) model.sequences.delete(k);
  for (const [k, ix] of [...model.indexes]) if (tableKey(ix.node.relation) === key) model.indexes.delete(k);
  for (const map of [model.triggers, model.policies])
    for (const [k, o] of [...map]) if (o.table === key) map.delete(k);
  for (const k of [...model.comments.keys()])
    if (k === `table:${key}` || k.startsWith(`column:${key}.`)) model.comments.delete(k);
  if (cascade)
    for (const t of model.tables.values())
      t.constraints = t.constraints.filter(
        (c) => !(c.node.contype === 'CONSTR_FOREIGN' && tableKey(c.node.pktable) === key),
      );
}
