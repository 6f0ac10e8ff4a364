/**
 * The inverse of one statement, computed from the schema model as it was just before that
 * statement, and the statement folded into the model. Walking a migration forward with
 * `applyStatement` and emitting the inverses in reverse order yields its rollback: each inverse
 * runs in exactly the state its forward statement left, so names (renamed types, tables) resolve.
 */

import { objectKey, quoteIdent, quoteLiteral, quoteQualified } from '../sql/names';
import { deparseNode, type SqlStatement } from '../sql/parser';
import {
  type ColumnModel,
  type ConstraintModel,
  cloneNode,
  columnDefNode,
  columnFromDef,
  constraintColumns,
  dropColumn,
  dropTable,
  findConstraintIndex,
  type IndexModel,
  indexColumns,
  indexFromStmt,
  isIntactSerial,
  isSerial,
  isTableConstraint,
  type N,
  normalizeConstraint,
  qualifiedList,
  rangeVar,
  renameColumn,
  renameTableRefs,
  renameTypeRefs,
  type SchemaModel,
  type SqlObject,
  storageType,
  str,
  strings,
  type TableModel,
  tableFromCreate,
  tableKey,
  typeKey,
  walk,
} from './model';

export type RollbackWarningKind =
  /** Running the rollback destroys data written since the migration (dropped table/column). */
  | 'dataLoss'
  /** The migration destroyed data that the rollback cannot bring back (restore from backup). */
  | 'dataNotRestored'
  /** A step with no inverse in SQL: data changes, unknown statements, objects the history does not define. */
  | 'irreversible'
  /** A NOT NULL column or constraint comes back and rows written since need values first. */
  | 'needsBackfill'
  /** An enum value cannot be dropped in place: the type is swapped and rows holding it must change first. */
  | 'enumValue'
  /** Extensions and schemas: other code may depend on them. */
  | 'shared'
  /** The inverse can fail on data written since the migration (casts, unique/check/foreign keys). */
  | 'mayFail'
  /** The inverse cannot run inside a transaction (CONCURRENTLY). */
  | 'noTransaction';

export interface RollbackWarning {
  kind: RollbackWarningKind;
  message: string;
  /** 1-based line of the forward statement in migration.sql. */
  line: number;
  /** 1-based line of the inverse (or of the irreversible block) in the generated down.sql. */
  downLine?: number;
}

/** The rollback of one forward statement. */
export interface StepInverse {
  /** SQL statements (without `;`) that undo the forward statement, in order. */
  sql: string[];
  warnings: Array<Omit<RollbackWarning, 'line'>>;
  /** Set when the statement cannot be undone from SQL: why. */
  irreversible?: string;
  /** Nothing to undo (BEGIN/COMMIT, SET, IF NOT EXISTS that found the object…): why. */
  noop?: string;
  /** The inverse cannot run in a transaction block. */
  noTransaction?: boolean;
}

const d = (node: N): string => deparseNode(node, { pretty: false });
const typeSql = (tn: N): string => d({ TypeName: tn });
const relSql = (schema: string | undefined, name: string): string => quoteQualified(schema, name);
const tableSql = (t: TableModel): string => relSql(t.schema, t.name);

function constraintSql(c: N): string {
  return d({
    Constraint: { ...c, is_enforced: c.is_enforced ?? true, initially_valid: c.initially_valid ?? true },
  });
}

function alter(t: TableModel, clause: string): string {
  return `ALTER TABLE ${tableSql(t)} ${clause}`;
}

function columnSql(col: ColumnModel, schema: string | undefined): string {
  return d(columnDefNode(col, schema));
}

/** CREATE TABLE (without foreign keys), then its indexes, foreign keys, triggers, policies, comments. */
export function recreateTable(model: SchemaModel, t: TableModel, withForeignKeys = true): string[] {
  const key = objectKey(t.schema, t.name);
  const elts: N[] = t.columns.map((c) => columnDefNode(c, t.schema));
  // sequences the table owns that are not re-created by a `serial` column
  const before: string[] = [];
  const after: string[] = [];
  for (const s of model.sequences.values()) {
    if (s.ownedBy?.table !== key) continue;
    const col = t.columns.find((c) => c.name === s.ownedBy?.column);
    if (col?.serial?.sequence === s.name && isIntactSerial(col, t.schema)) continue;
    before.push(s.sql);
    after.push(
      `ALTER SEQUENCE ${relSql(s.schema, s.name)} OWNED BY ${tableSql(t)}.${quoteIdent(s.ownedBy.column)}`,
    );
  }
  for (const c of t.constraints)
    if (c.node.contype !== 'CONSTR_FOREIGN')
      elts.push({
        Constraint: { ...c.node, is_enforced: c.node.is_enforced ?? true, initially_valid: true },
      });
  const create: N = {
    relation: {
      schemaname: t.schema,
      relname: t.name,
      inh: true,
      relpersistence: t.extra?.relpersistence ?? 'p',
    },
    tableElts: elts,
    oncommit: 'ONCOMMIT_NOOP',
  };
  if (t.extra?.partspec) create.partspec = t.extra.partspec;
  if (t.extra?.inhRelations) create.inhRelations = t.extra.inhRelations;
  if (t.extra?.options) create.options = t.extra.options;
  const out = [...before, d({ CreateStmt: create }), ...after];
  for (const ix of model.indexes.values()) if (tableKey(ix.node.relation) === key) out.push(indexSql(ix));
  if (withForeignKeys) out.push(...foreignKeysOf(t));
  for (const o of model.triggers.values()) if (o.table === key) out.push(o.sql);
  if (t.rowSecurity) out.push(alter(t, 'ENABLE ROW LEVEL SECURITY'));
  if (t.forceRowSecurity) out.push(alter(t, 'FORCE ROW LEVEL SECURITY'));
  for (const o of model.policies.values()) if (o.table === key) out.push(o.sql);
  out.push(...commentsOf(model, t));
  return out;
}

function foreignKeysOf(t: TableModel): string[] {
  return t.constraints
    .filter((c) => c.node.contype === 'CONSTR_FOREIGN')
    .map((c) => alter(t, `ADD ${constraintSql(c.node)}`));
}

function commentsOf(model: SchemaModel, t: TableModel, column?: string): string[] {
  const key = objectKey(t.schema, t.name);
  const out: string[] = [];
  const tc = model.comments.get(`table:${key}`);
  if (tc !== undefined && !column) out.push(`COMMENT ON TABLE ${tableSql(t)} IS ${quoteLiteral(tc)}`);
  for (const c of t.columns) {
    if (column && c.name !== column) continue;
    const cc = model.comments.get(`column:${key}.${c.name}`);
    if (cc !== undefined)
      out.push(`COMMENT ON COLUMN ${tableSql(t)}.${quoteIdent(c.name)} IS ${quoteLiteral(cc)}`);
  }
  return out;
}

function indexSql(ix: IndexModel, concurrent = false): string {
  return d({ IndexStmt: { ...ix.node, concurrent: concurrent || undefined } });
}

/** Foreign keys of other tables that reference `key` (optionally only some of its columns). */
function referencingForeignKeys(
  model: SchemaModel,
  key: string,
  columns?: string[],
): Array<{ t: TableModel; c: ConstraintModel }> {
  const out: Array<{ t: TableModel; c: ConstraintModel }> = [];
  for (const t of model.tables.values()) {
    if (objectKey(t.schema, t.name) === key) continue;
    for (const c of t.constraints)
      if (c.node.contype === 'CONSTR_FOREIGN' && tableKey(c.node.pktable) === key)
        if (!columns || strings(c.node.pk_attrs).some((a) => columns.includes(a)) || !c.node.pk_attrs?.length)
          out.push({ t, c });
  }
  return out;
}

function firstLine(text: string): string {
  const l = text.split(/\r?\n/)[0];
  return l.length > 100 ? `${l.slice(0, 97)}…` : l;
}

const noop = (why: string): StepInverse => ({ sql: [], warnings: [], noop: why });
const irreversible = (why: string): StepInverse => ({
  sql: [],
  warnings: [{ kind: 'irreversible', message: why }],
  irreversible: why,
});

/**
 * Computes the inverse of `stmt` against `model` (the schema just before it) and folds the
 * statement into `model`. Never throws for SQL it does not know: those are irreversible steps.
 */
export function applyStatement(model: SchemaModel, stmt: SqlStatement): StepInverse {
  const [kind] = Object.keys(stmt.node);
  const n: N = (stmt.node as N)[kind];
  switch (kind) {
    case 'TransactionStmt':
      return noop('transaction control: the rollback has its own transaction');
    case 'VariableSetStmt':
    case 'VariableShowStmt':
      return noop('session setting: nothing to undo');
    case 'CreateStmt':
      return createTable(model, n);
    case 'DropStmt':
      return drop(model, n, stmt);
    case 'AlterTableStmt':
      return alterTable(model, n);
    case 'RenameStmt':
      return rename(model, n);
    case 'IndexStmt':
      return createIndex(model, n);
    case 'CreateEnumStmt':
      return createEnum(model, n);
    case 'AlterEnumStmt':
      return alterEnum(model, n);
    case 'CompositeTypeStmt':
    case 'CreateDomainStmt':
    case 'CreateRangeStmt':
      return createOtherType(model, kind, n, stmt);
    case 'ViewStmt':
      return createView(model, n, stmt);
    case 'CreateTableAsStmt':
      return createTableAs(model, n, stmt);
    case 'CreateFunctionStmt':
      return createFunction(model, n, stmt);
    case 'CreateTrigStmt':
      return createTrigger(model, n, stmt);
    case 'CreatePolicyStmt':
      return createPolicy(model, n, stmt);
    case 'CreateExtensionStmt':
      return createExtension(model, n, stmt);
    case 'CreateSchemaStmt':
      return createSchema(model, n, stmt);
    case 'CreateSeqStmt':
      return createSequence(model, n, stmt);
    case 'CommentStmt':
      return comment(model, n);
    case 'GrantStmt':
      return {
        sql: [d({ GrantStmt: { ...n, is_grant: !n.is_grant } })],
        warnings: [
          {
            kind: 'mayFail',
            message: n.is_grant
              ? 'privileges are revoked: if the grantee already held them before the migration, re-grant them'
              : 'privileges are granted back as the migration revoked them; earlier grant options are not known',
          },
        ],
      };
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
    case 'TruncateStmt':
    case 'CopyStmt':
      return irreversible(
        `data change (${kind.replace('Stmt', '').toUpperCase()}): SQL alone cannot undo it; restore the affected rows from the backup taken before the migration`,
      );
    case 'DoStmt':
      return irreversible(
        'anonymous code block (DO): its effects are not known; undo them by hand or restore from the backup',
      );
    case 'SelectStmt':
      return irreversible('SELECT (possibly calling functions with side effects): undo any effects by hand');
    default:
      return irreversible(
        `${kind.replace(/Stmt$/, '')} statements have no known inverse: undo this step by hand`,
      );
  }
}

// ---------------------------------------------------------------------------------------------

function createTable(model: SchemaModel, n: N): StepInverse {
  const key = tableKey(n.relation);
  if (n.relation?.relpersistence === 't') {
    model.tables.set(key, tableFromCreate(n, model));
    return noop('temporary table: it disappears at the end of the session');
  }
  if (model.tables.has(key) && n.if_not_exists) return noop('the table already existed (IF NOT EXISTS)');
  const t = tableFromCreate(n, model);
  model.tables.set(key, t);
  return {
    sql: [`DROP TABLE ${tableSql(t)}`],
    warnings: [{ kind: 'dataLoss', message: `all rows of ${tableSql(t)} are deleted` }],
  };
}

function createTableAs(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const rel = n.into?.rel;
  const q = rangeVar(rel);
  const key = objectKey(q.schema, q.name);
  if (n.objtype === 'OBJECT_MATVIEW') {
    if (model.views.has(key) && n.if_not_exists)
      return noop('the materialized view already existed (IF NOT EXISTS)');
    model.views.set(key, { ...q, sql: stmt.text, materialized: true, node: n.query });
    return { sql: [`DROP MATERIALIZED VIEW ${relSql(q.schema, q.name)}`], warnings: [] };
  }
  if (rel?.relpersistence === 't') {
    model.tables.set(key, { ...q, columns: [], constraints: [], extra: { relpersistence: 't' } });
    return noop('temporary table: it disappears at the end of the session');
  }
  if (model.tables.has(key) && n.if_not_exists) return noop('the table already existed (IF NOT EXISTS)');
  model.tables.set(key, { ...q, columns: [], constraints: [] });
  return {
    sql: [`DROP TABLE ${relSql(q.schema, q.name)}`],
    warnings: [
      {
        kind: 'dataLoss',
        message: `all rows of ${relSql(q.schema, q.name)} are deleted (its columns come from a query the model cannot follow)`,
      },
    ],
  };
}

function drop(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const cascade = n.behavior === 'DROP_CASCADE';
  const parts: StepInverse[] = [];
  for (const obj of n.objects ?? [])
    parts.push(dropOne(model, n.removeType, obj, !!n.missing_ok, cascade, !!n.concurrent, stmt));
  // several objects: undo the last dropped first
  return combine(parts.reverse());
}

function combine(parts: StepInverse[]): StepInverse {
  if (parts.length === 1) return parts[0];
  const out: StepInverse = { sql: [], warnings: [] };
  for (const p of parts) {
    out.sql.push(...p.sql);
    out.warnings.push(...p.warnings);
    if (p.irreversible)
      out.irreversible = out.irreversible ? `${out.irreversible}; ${p.irreversible}` : p.irreversible;
    if (p.noTransaction) out.noTransaction = true;
  }
  if (!out.sql.length && !out.irreversible && parts.every((p) => p.noop))
    out.noop = parts.map((p) => p.noop).join('; ');
  return out;
}

function unknown(what: string, missingOk: boolean): StepInverse {
  return missingOk
    ? noop(`${what} did not exist before the migration (IF EXISTS)`)
    : irreversible(
        `${what} is not defined by any earlier migration, so its previous definition is not known: recreate it by hand`,
      );
}

function dropOne(
  model: SchemaModel,
  type: string,
  obj: N,
  missingOk: boolean,
  cascade: boolean,
  concurrent: boolean,
  stmt: SqlStatement,
): StepInverse {
  const names = obj.List ? strings(obj.List.items) : obj.String ? [str(obj)] : [];
  const q =
    names.length > 1
      ? { schema: names[names.length - 2], name: names[names.length - 1] }
      : { name: names[0] ?? '' };
  const key = objectKey(q.schema, q.name);
  const label = relSql(q.schema, q.name);
  switch (type) {
    case 'OBJECT_TABLE': {
      const t = model.tables.get(key);
      if (!t) return unknown(`table ${label}`, missingOk);
      if (t.extra?.relpersistence === 't') {
        dropTable(model, key, cascade);
        return noop('temporary table');
      }
      const sql = recreateTable(model, t);
      const warnings: StepInverse['warnings'] = [
        {
          kind: 'dataNotRestored',
          message: `the table comes back empty: rows of ${label} must be restored from the backup`,
        },
      ];
      if (cascade) {
        for (const r of referencingForeignKeys(model, key))
          sql.push(alter(r.t, `ADD ${constraintSql(r.c.node)}`));
        warnings.push({
          kind: 'mayFail',
          message: 'CASCADE may also have dropped views or other objects not recreated here',
        });
      }
      dropTable(model, key, cascade);
      return { sql, warnings };
    }
    case 'OBJECT_INDEX': {
      const ix = model.indexes.get(key);
      if (!ix) return unknown(`index ${label}`, missingOk);
      model.indexes.delete(key);
      return {
        sql: [indexSql(ix, concurrent)],
        warnings: uniqueWarning(ix),
        noTransaction: concurrent || undefined,
      };
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const tn = obj.TypeName;
      const tq = qualifiedList(tn?.names);
      const tkey = objectKey(tq.schema, tq.name);
      const e = model.enums.get(tkey);
      if (e) {
        model.enums.delete(tkey);
        return {
          sql: [
            `CREATE TYPE ${relSql(tq.schema, tq.name)} AS ENUM (${e.labels.map(quoteLiteral).join(', ')})`,
          ],
          warnings: [],
        };
      }
      const other = model.types.get(tkey);
      if (other) {
        model.types.delete(tkey);
        return { sql: [other.sql], warnings: [] };
      }
      return unknown(`type ${relSql(tq.schema, tq.name)}`, missingOk);
    }
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW': {
      const v = model.views.get(key);
      if (!v) return unknown(`view ${label}`, missingOk);
      model.views.delete(key);
      return { sql: [v.sql], warnings: viewWarnings(v) };
    }
    case 'OBJECT_SEQUENCE': {
      const s = model.sequences.get(key);
      if (!s) return unknown(`sequence ${label}`, missingOk);
      model.sequences.delete(key);
      const owner = s.ownedBy && model.tables.get(s.ownedBy.table);
      const ownerSql = owner?.columns.some((c) => c.name === s.ownedBy?.column)
        ? [
            `ALTER SEQUENCE ${relSql(s.schema, s.name)} OWNED BY ${tableSql(owner)}.${quoteIdent(s.ownedBy!.column)}`,
          ]
        : [];
      return {
        sql: [s.sql, ...ownerSql],
        warnings: [
          {
            kind: 'dataNotRestored',
            message: `the sequence restarts from its start value; set it with setval() if needed`,
          },
        ],
      };
    }
    case 'OBJECT_FUNCTION':
    case 'OBJECT_PROCEDURE':
    case 'OBJECT_ROUTINE': {
      const f = findFunction(model, obj.ObjectWithArgs);
      const fq = qualifiedList(obj.ObjectWithArgs?.objname);
      if (!f) return unknown(`function ${relSql(fq.schema, fq.name)}`, missingOk);
      model.functions.delete(f[0]);
      return { sql: [f[1].sql], warnings: [] };
    }
    case 'OBJECT_TRIGGER':
    case 'OBJECT_POLICY':
    case 'OBJECT_RULE': {
      // [schema.]table.name
      const name = names[names.length - 1];
      const tq = names.length > 2 ? { schema: names[0], name: names[1] } : { name: names[0] };
      const map = type === 'OBJECT_POLICY' ? model.policies : model.triggers;
      const k = `${objectKey(tq.schema, tq.name)}/${name}`;
      const o = map.get(k);
      const what = `${type === 'OBJECT_POLICY' ? 'policy' : 'trigger'} ${quoteIdent(name)} on ${relSql(tq.schema, tq.name)}`;
      if (!o || type === 'OBJECT_RULE') return unknown(what, missingOk);
      map.delete(k);
      return { sql: [o.sql], warnings: [] };
    }
    case 'OBJECT_EXTENSION': {
      const x = model.extensions.get(q.name);
      if (!x && missingOk) return unknown(`extension ${quoteIdent(q.name)}`, true);
      model.extensions.delete(q.name);
      return {
        sql: [x?.sql ?? `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(q.name)}`],
        warnings: x
          ? []
          : [
              {
                kind: 'mayFail',
                message:
                  'the extension was not created by an earlier migration: its schema and version are not known',
              },
            ],
      };
    }
    case 'OBJECT_SCHEMA': {
      const s = model.schemas.get(q.name);
      if (!s && missingOk) return unknown(`schema ${quoteIdent(q.name)}`, true);
      model.schemas.delete(q.name);
      return {
        sql: [`CREATE SCHEMA ${quoteIdent(q.name)}`],
        warnings: cascade
          ? [
              {
                kind: 'dataNotRestored',
                message: 'CASCADE dropped every object in the schema: restore them from the backup',
              },
            ]
          : [],
      };
    }
    default:
      return irreversible(
        `DROP of ${type.replace('OBJECT_', '').toLowerCase()} has no known inverse: ${firstLine(stmt.text)}`,
      );
  }
}

function uniqueWarning(ix: IndexModel): StepInverse['warnings'] {
  return ix.node.unique
    ? [
        {
          kind: 'mayFail',
          message: `re-creating unique index ${quoteIdent(ix.name)} fails if duplicate values were written since the migration`,
        },
      ]
    : [];
}

function functionSignature(params: N[] | undefined): string {
  const args = (params ?? [])
    .map((p: N) => p.FunctionParameter ?? { argType: p.TypeName ?? p, mode: 'FUNC_PARAM_DEFAULT' })
    .filter((p: N) => !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(p.mode))
    .map((p: N) => typeSql(p.argType));
  return args.join(', ');
}

function findFunction(model: SchemaModel, owa: N): [string, SqlObject & { signature: string }] | undefined {
  const q = qualifiedList(owa?.objname);
  const base = objectKey(q.schema, q.name);
  if (owa?.objargs || owa?.objfuncargs) {
    const sig = functionSignature(owa.objfuncargs ?? owa.objargs);
    const k = `${base}(${sig})`;
    const f = model.functions.get(k);
    if (f) return [k, f];
  }
  const matches = [...model.functions].filter(([k]) => k.startsWith(`${base}(`));
  return matches.length === 1 ? matches[0] : undefined;
}

// ---------------------------------------------------------------------------------------------
// ALTER TABLE

function alterTable(model: SchemaModel, n: N): StepInverse {
  if (n.objtype !== 'OBJECT_TABLE') {
    return irreversible(
      `ALTER ${String(n.objtype).replace('OBJECT_', '')} … has no known inverse: undo this step by hand`,
    );
  }
  const key = tableKey(n.relation);
  const t = model.tables.get(key);
  if (!t)
    return unknown(`table ${relSql(rangeVar(n.relation).schema, rangeVar(n.relation).name)}`, !!n.missing_ok);
  if (t.extra?.relpersistence === 't') return noop('change to a temporary table');
  const parts: StepInverse[] = [];
  for (const c of n.cmds ?? []) parts.push(alterTableCmd(model, t, c.AlterTableCmd));
  const result = combine(parts.reverse());
  // Prisma writes a column rename as DROP COLUMN + ADD COLUMN in one statement
  const cmds = (n.cmds ?? []).map((c: N) => c.AlterTableCmd);
  const dropped = cmds.filter((c: N) => c.subtype === 'AT_DropColumn').map((c: N) => quoteIdent(c.name));
  const added = cmds
    .filter((c: N) => c.subtype === 'AT_AddColumn')
    .map((c: N) => quoteIdent(c.def.ColumnDef.colname));
  if (dropped.length && added.length)
    result.warnings.push({
      kind: 'dataNotRestored',
      message: `if ${added.join(', ')} replaced ${dropped.join(', ')} (Prisma writes a rename as DROP + ADD), the rollback drops the new column's values: copy them into ${dropped.join(', ')} by hand before running the DROP COLUMN below`,
    });
  return result;
}

function alterTableCmd(model: SchemaModel, t: TableModel, c: N): StepInverse {
  const key = objectKey(t.schema, t.name);
  const col = c.name ? t.columns.find((x) => x.name === c.name) : undefined;
  const colSql = c.name ? quoteIdent(c.name) : '';
  switch (c.subtype) {
    case 'AT_AddColumn': {
      const def = c.def.ColumnDef;
      if (t.columns.some((x) => x.name === def.colname)) {
        if (c.missing_ok) return noop(`column ${quoteIdent(def.colname)} already existed (IF NOT EXISTS)`);
      }
      const { column, constraints } = columnFromDef(def, t, model);
      t.columns.push(column);
      for (const k of constraints) t.constraints.push(normalizeConstraint(t, k, column.name));
      return {
        sql: [alter(t, `DROP COLUMN ${quoteIdent(column.name)}`)],
        warnings: [
          { kind: 'dataLoss', message: `values of ${tableSql(t)}.${quoteIdent(column.name)} are deleted` },
        ],
      };
    }
    case 'AT_DropColumn': {
      if (!col) return unknown(`column ${colSql} of ${tableSql(t)}`, !!c.missing_ok);
      const cascade = c.behavior === 'DROP_CASCADE';
      const sql: string[] = [];
      const warnings: StepInverse['warnings'] = [
        {
          kind: 'dataNotRestored',
          message: `values of ${tableSql(t)}.${colSql} cannot be restored from SQL (restore them from the backup); the column comes back as the table's last column`,
        },
      ];
      const bare = !col.default && !col.identity && !col.generated && !isSerial(col.typeName);
      if (col.notNull && bare) {
        sql.push(alter(t, `ADD COLUMN ${columnSql({ ...col, notNull: false }, t.schema)}`));
        sql.push(alter(t, `ALTER COLUMN ${colSql} SET NOT NULL`));
        warnings.push({
          kind: 'needsBackfill',
          message: `${colSql} is NOT NULL without a default: on a non-empty table fill it (UPDATE ${tableSql(t)} SET ${colSql} = …) before SET NOT NULL`,
        });
      } else sql.push(alter(t, `ADD COLUMN ${columnSql(col, t.schema)}`));
      for (const k of t.constraints)
        if (constraintColumns(k.node).includes(col.name)) sql.push(alter(t, `ADD ${constraintSql(k.node)}`));
      for (const ix of model.indexes.values())
        if (tableKey(ix.node.relation) === key && indexColumns(ix.node).includes(col.name))
          sql.push(indexSql(ix));
      if (cascade)
        for (const r of referencingForeignKeys(model, key, [col.name]))
          sql.push(alter(r.t, `ADD ${constraintSql(r.c.node)}`));
      sql.push(...commentsOf(model, t, col.name));
      dropColumn(model, t, col.name, cascade);
      return { sql, warnings };
    }
    case 'AT_ColumnDefault': {
      if (!col) return unknown(`column ${colSql} of ${tableSql(t)}`, false);
      const prev = col.default;
      if (c.def) col.default = cloneNode(c.def);
      else delete col.default;
      return {
        sql: [
          alter(
            t,
            `ALTER COLUMN ${colSql} ${prev !== undefined ? `SET DEFAULT ${d(prev)}` : 'DROP DEFAULT'}`,
          ),
        ],
        warnings: [],
      };
    }
    case 'AT_SetNotNull': {
      if (!col) return unknown(`column ${colSql} of ${tableSql(t)}`, false);
      if (col.notNull) return noop('the column was already NOT NULL');
      col.notNull = true;
      return { sql: [alter(t, `ALTER COLUMN ${colSql} DROP NOT NULL`)], warnings: [] };
    }
    case 'AT_DropNotNull': {
      if (!col) return unknown(`column ${colSql} of ${tableSql(t)}`, false);
      if (!col.notNull) return noop('the column was already nullable');
      col.notNull = false;
      return {
        sql: [alter(t, `ALTER COLUMN ${colSql} SET NOT NULL`)],
        warnings: [
          {
            kind: 'needsBackfill',
            message: `SET NOT NULL fails if NULLs were written to ${colSql} since the migration: fill them first`,
          },
        ],
      };
    }
    case 'AT_AlterColumnType':
      return alterColumnType(model, t, col, c);
    case 'AT_AddConstraint':
      return addConstraint(model, t, c.def.Constraint);
    case 'AT_DropConstraint': {
      const k = t.constraints.find((x) => x.name === c.name);
      if (!k) return unknown(`constraint ${colSql} of ${tableSql(t)}`, !!c.missing_ok);
      const sql = [alter(t, `ADD ${constraintSql(k.node)}`)];
      const warnings: StepInverse['warnings'] =
        k.node.contype === 'CONSTR_PRIMARY'
          ? []
          : [
              {
                kind: 'mayFail',
                message: `re-adding ${colSql} fails if rows written since the migration violate it`,
              },
            ];
      if (c.behavior === 'DROP_CASCADE' && ['CONSTR_PRIMARY', 'CONSTR_UNIQUE'].includes(k.node.contype)) {
        const cols = strings(k.node.keys);
        for (const r of referencingForeignKeys(model, key, cols)) {
          sql.push(alter(r.t, `ADD ${constraintSql(r.c.node)}`));
          r.t.constraints = r.t.constraints.filter((x) => x !== r.c);
        }
      }
      t.constraints = t.constraints.filter((x) => x !== k);
      return { sql, warnings };
    }
    case 'AT_ValidateConstraint':
      return noop('validating a constraint changes no definition');
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity': {
      const on = c.subtype === 'AT_EnableRowSecurity';
      if (!!t.rowSecurity === on) return noop('row level security was already in that state');
      t.rowSecurity = on;
      return { sql: [alter(t, `${on ? 'DISABLE' : 'ENABLE'} ROW LEVEL SECURITY`)], warnings: [] };
    }
    case 'AT_ForceRowSecurity':
    case 'AT_NoForceRowSecurity': {
      const on = c.subtype === 'AT_ForceRowSecurity';
      if (!!t.forceRowSecurity === on) return noop('row level security was already in that state');
      t.forceRowSecurity = on;
      return { sql: [alter(t, `${on ? 'NO FORCE' : 'FORCE'} ROW LEVEL SECURITY`)], warnings: [] };
    }
    default:
      return irreversible(
        `ALTER TABLE … ${String(c.subtype).replace('AT_', '')} has no known inverse: undo this step by hand`,
      );
  }
}

function alterColumnType(model: SchemaModel, t: TableModel, col: ColumnModel | undefined, c: N): StepInverse {
  if (!col) return unknown(`column ${quoteIdent(c.name)} of ${tableSql(t)}`, false);
  const colSql = quoteIdent(col.name);
  const def = c.def.ColumnDef;
  const prevType = storageType(col.typeName);
  const prevColl = col.collClause;
  const viaText = typeKey(prevType) && model.enums.has(typeKey(prevType)!);
  const newIsEnum = typeKey(def.typeName) && model.enums.has(typeKey(def.typeName)!);
  col.typeName = cloneNode(def.typeName);
  if (def.collClause) col.collClause = cloneNode(def.collClause);
  else delete col.collClause;
  const arr = prevType.arrayBounds?.length ? '[]' : '';
  const using =
    viaText || newIsEnum ? `${colSql}::text${arr}::${typeSql(prevType)}` : `${colSql}::${typeSql(prevType)}`;
  const coll = prevColl ? ` ${d({ CollateClause: prevColl })}` : '';
  const sql: string[] = [];
  if (col.default !== undefined) sql.push(alter(t, `ALTER COLUMN ${colSql} DROP DEFAULT`));
  sql.push(alter(t, `ALTER COLUMN ${colSql} TYPE ${typeSql(prevType)}${coll} USING ${using}`));
  if (col.default !== undefined) sql.push(alter(t, `ALTER COLUMN ${colSql} SET DEFAULT ${d(col.default)}`));
  const warnings: StepInverse['warnings'] = [];
  if (viaText && newIsEnum) {
    const prevLabels = model.enums.get(typeKey(prevType)!)!.labels;
    const extra = model.enums.get(typeKey(def.typeName)!)!.labels.filter((l) => !prevLabels.includes(l));
    if (extra.length)
      warnings.push({
        kind: 'enumValue',
        message: `rows of ${tableSql(t)}.${colSql} holding ${extra.map(quoteLiteral).join(', ')} must be changed first: the previous type has no such value`,
      });
  } else
    warnings.push({
      kind: 'mayFail',
      message: `values of ${colSql} are cast back to ${typeSql(prevType)}: the cast can fail or lose precision for values written since`,
    });
  return { sql, warnings };
}

function addConstraint(model: SchemaModel, t: TableModel, c: N): StepInverse {
  const k = normalizeConstraint(t, c);
  if (!isTableConstraint(c)) return irreversible(`ADD CONSTRAINT of kind ${c.contype} has no known inverse`);
  const sql = [alter(t, `DROP CONSTRAINT ${quoteIdent(k.name)}`)];
  if (c.indexname) {
    // ADD CONSTRAINT … USING INDEX: the index becomes the constraint's; dropping it drops the index.
    const q = { schema: t.schema, name: c.indexname };
    const ix = model.indexes.get(objectKey(q.schema, q.name));
    if (ix) {
      model.indexes.delete(objectKey(q.schema, q.name));
      if (!k.node.keys?.length)
        k.node.keys = (ix.node.indexParams ?? []).map((p: N) => ({ String: { sval: p.IndexElem?.name } }));
      delete k.node.indexname;
      sql.push(indexSql(ix));
    }
  }
  if (c.contype === 'CONSTR_PRIMARY')
    for (const name of strings(k.node.keys)) {
      const col = t.columns.find((x) => x.name === name);
      if (col && !col.notNull) {
        col.notNull = true;
        sql.push(alter(t, `ALTER COLUMN ${quoteIdent(name)} DROP NOT NULL`));
      }
    }
  t.constraints.push(k);
  return { sql, warnings: [] };
}

// ---------------------------------------------------------------------------------------------
// Renames

function rename(model: SchemaModel, n: N): StepInverse {
  const newName: string = n.newname;
  switch (n.renameType) {
    case 'OBJECT_TABLE': {
      const q = rangeVar(n.relation);
      const key = objectKey(q.schema, q.name);
      const t = model.tables.get(key);
      if (!t) return unknown(`table ${relSql(q.schema, q.name)}`, !!n.missing_ok);
      model.tables.delete(key);
      renameTableRefs(model, key, t.schema, newName);
      t.name = newName;
      model.tables.set(objectKey(t.schema, newName), t);
      return {
        sql: [`ALTER TABLE ${relSql(t.schema, newName)} RENAME TO ${quoteIdent(q.name)}`],
        warnings: [],
      };
    }
    case 'OBJECT_COLUMN': {
      const t = model.tables.get(tableKey(n.relation));
      if (!t)
        return unknown(
          `table ${relSql(rangeVar(n.relation).schema, rangeVar(n.relation).name)}`,
          !!n.missing_ok,
        );
      if (!t.columns.some((c) => c.name === n.subname))
        return unknown(`column ${quoteIdent(n.subname)}`, false);
      renameColumn(model, t, n.subname, newName);
      return {
        sql: [alter(t, `RENAME COLUMN ${quoteIdent(newName)} TO ${quoteIdent(n.subname)}`)],
        warnings: [],
      };
    }
    case 'OBJECT_TABCONSTRAINT': {
      const t = model.tables.get(tableKey(n.relation));
      const k = t?.constraints.find((c) => c.name === n.subname);
      if (!t || !k) return unknown(`constraint ${quoteIdent(n.subname)}`, !!n.missing_ok);
      k.name = newName;
      k.node.conname = newName;
      return {
        sql: [alter(t, `RENAME CONSTRAINT ${quoteIdent(newName)} TO ${quoteIdent(n.subname)}`)],
        warnings: [],
      };
    }
    case 'OBJECT_INDEX': {
      const q = rangeVar(n.relation);
      const key = objectKey(q.schema, q.name);
      const ix = model.indexes.get(key);
      const inverse = {
        sql: [`ALTER INDEX ${relSql(q.schema, newName)} RENAME TO ${quoteIdent(q.name)}`],
        warnings: [],
      };
      if (ix) {
        model.indexes.delete(key);
        ix.name = newName;
        ix.node.idxname = newName;
        model.indexes.set(objectKey(q.schema, newName), ix);
        return inverse;
      }
      const ci = findConstraintIndex(model, q.schema, q.name);
      if (ci) {
        ci.constraint.name = newName;
        ci.constraint.node.conname = newName;
        return inverse;
      }
      return unknown(`index ${relSql(q.schema, q.name)}`, !!n.missing_ok);
    }
    case 'OBJECT_TYPE':
    case 'OBJECT_DOMAIN': {
      const q = qualifiedList(n.object?.List?.items ?? n.object);
      const key = objectKey(q.schema, q.name);
      const e = model.enums.get(key);
      const o = model.types.get(key);
      if (!e && !o) return unknown(`type ${relSql(q.schema, q.name)}`, !!n.missing_ok);
      renameTypeRefs(model, key, newName);
      const newKey = objectKey(q.schema, newName);
      if (e) {
        model.enums.delete(key);
        e.name = newName;
        model.enums.set(newKey, e);
      } else if (o) {
        model.types.delete(key);
        o.name = newName;
        model.types.set(newKey, o);
      }
      return {
        sql: [`ALTER TYPE ${relSql(q.schema, newName)} RENAME TO ${quoteIdent(q.name)}`],
        warnings: [],
      };
    }
    case 'OBJECT_VIEW':
    case 'OBJECT_MATVIEW':
    case 'OBJECT_SEQUENCE': {
      const q = rangeVar(n.relation);
      const key = objectKey(q.schema, q.name);
      const map = n.renameType === 'OBJECT_SEQUENCE' ? model.sequences : model.views;
      const o = map.get(key);
      const word =
        n.renameType === 'OBJECT_SEQUENCE'
          ? 'SEQUENCE'
          : n.renameType === 'OBJECT_VIEW'
            ? 'VIEW'
            : 'MATERIALIZED VIEW';
      if (o) {
        map.delete(key);
        o.name = newName;
        (map as Map<string, typeof o>).set(objectKey(q.schema, newName), o);
      } else if (n.renameType !== 'OBJECT_SEQUENCE')
        return unknown(`view ${relSql(q.schema, q.name)}`, !!n.missing_ok);
      return {
        sql: [`ALTER ${word} ${relSql(q.schema, newName)} RENAME TO ${quoteIdent(q.name)}`],
        warnings: o
          ? []
          : [
              {
                kind: 'mayFail',
                message:
                  'the sequence is not defined by an earlier migration (serial sequences are implicit)',
              },
            ],
      };
    }
    case 'OBJECT_SCHEMA': {
      const s = model.schemas.get(n.subname);
      if (s) {
        model.schemas.delete(n.subname);
        model.schemas.set(newName, { ...s, name: newName });
      }
      return {
        sql: [`ALTER SCHEMA ${quoteIdent(newName)} RENAME TO ${quoteIdent(n.subname)}`],
        warnings: [],
      };
    }
    case 'OBJECT_TRIGGER': {
      const tk = tableKey(n.relation);
      const o = model.triggers.get(`${tk}/${n.subname}`);
      if (!o) return unknown(`trigger ${quoteIdent(n.subname)}`, false);
      model.triggers.delete(`${tk}/${n.subname}`);
      model.triggers.set(`${tk}/${newName}`, { ...o, name: newName });
      const q = rangeVar(n.relation);
      return {
        sql: [
          `ALTER TRIGGER ${quoteIdent(newName)} ON ${relSql(q.schema, q.name)} RENAME TO ${quoteIdent(n.subname)}`,
        ],
        warnings: [],
      };
    }
    default:
      return irreversible(
        `RENAME of ${String(n.renameType).replace('OBJECT_', '').toLowerCase()} has no known inverse: undo it by hand`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Indexes, types, views, functions, triggers, extensions, schemas, sequences, comments

function createIndex(model: SchemaModel, n: N): StepInverse {
  const ix = indexFromStmt(model, n);
  const key = objectKey(ix.schema, ix.name);
  if (model.tables.get(tableKey(n.relation))?.extra?.relpersistence === 't')
    return noop('index of a temporary table');
  if ((model.indexes.has(key) || findConstraintIndex(model, ix.schema, ix.name)) && n.if_not_exists)
    return noop('the index already existed (IF NOT EXISTS)');
  model.indexes.set(key, ix);
  const concurrent = !!n.concurrent;
  return {
    sql: [`DROP INDEX${concurrent ? ' CONCURRENTLY' : ''} ${relSql(ix.schema, ix.name)}`],
    warnings: concurrent
      ? [
          {
            kind: 'noTransaction',
            message: 'DROP INDEX CONCURRENTLY cannot run inside a transaction block: run it on its own',
          },
        ]
      : [],
    noTransaction: concurrent || undefined,
  };
}

function createEnum(model: SchemaModel, n: N): StepInverse {
  const q = qualifiedList(n.typeName);
  model.enums.set(objectKey(q.schema, q.name), { ...q, labels: (n.vals ?? []).map(str) });
  return { sql: [`DROP TYPE ${relSql(q.schema, q.name)}`], warnings: [] };
}

function createOtherType(model: SchemaModel, kind: string, n: N, stmt: SqlStatement): StepInverse {
  const q =
    kind === 'CompositeTypeStmt'
      ? rangeVar(n.typevar)
      : qualifiedList(kind === 'CreateDomainStmt' ? n.domainname : n.typeName);
  model.types.set(objectKey(q.schema, q.name), { ...q, sql: stmt.text });
  return {
    sql: [`DROP ${kind === 'CreateDomainStmt' ? 'DOMAIN' : 'TYPE'} ${relSql(q.schema, q.name)}`],
    warnings: [],
  };
}

function alterEnum(model: SchemaModel, n: N): StepInverse {
  const q = qualifiedList(n.typeName);
  const key = objectKey(q.schema, q.name);
  const e = model.enums.get(key);
  const typeSqlName = relSql(q.schema, q.name);
  if (n.oldVal) {
    if (e) e.labels = e.labels.map((l) => (l === n.oldVal ? n.newVal : l));
    return {
      sql: [`ALTER TYPE ${typeSqlName} RENAME VALUE ${quoteLiteral(n.newVal)} TO ${quoteLiteral(n.oldVal)}`],
      warnings: e
        ? []
        : [{ kind: 'mayFail', message: `enum ${typeSqlName} is not defined by an earlier migration` }],
    };
  }
  if (!e)
    return irreversible(
      `enum ${typeSqlName} is not defined by any earlier migration: its labels are not known, so the added value cannot be removed`,
    );
  if (e.labels.includes(n.newVal)) {
    if (n.skipIfNewValExists)
      return noop(`the value ${quoteLiteral(n.newVal)} already existed (IF NOT EXISTS)`);
  }
  const prev = [...e.labels];
  // views and functions that mention the type keep the old one alive: DROP TYPE would fail
  const users = [...model.views.values(), ...model.functions.values()]
    .filter((o) => o.sql.includes(q.name))
    .map((o) => relSql(o.schema, o.name));
  // fold: insert the label where PostgreSQL puts it
  if (n.newValNeighbor && e.labels.includes(n.newValNeighbor)) {
    const i = e.labels.indexOf(n.newValNeighbor);
    e.labels.splice(n.newValIsAfter ? i + 1 : i, 0, n.newVal);
  } else e.labels.push(n.newVal);
  return {
    ...enumSwap(model, q, prev),
    warnings: [
      {
        kind: 'enumValue',
        message: `PostgreSQL cannot drop an enum value: ${typeSqlName} is replaced by a new type without ${quoteLiteral(n.newVal)}; rows holding it must be changed first`,
      },
      ...(users.length
        ? [
            {
              kind: 'mayFail' as const,
              message: `${users.join(', ')} may use ${typeSqlName}: drop and re-create them around the type swap, or DROP TYPE fails`,
            },
          ]
        : []),
    ],
  };
}

/** Replaces an enum by a new type with `labels` (PostgreSQL cannot drop enum values). */
function enumSwap(model: SchemaModel, q: { schema?: string; name: string }, labels: string[]): StepInverse {
  const key = objectKey(q.schema, q.name);
  const tmp = `${q.name}_old`;
  const newName = `${q.name}_rollback`;
  const sql = [`CREATE TYPE ${relSql(q.schema, newName)} AS ENUM (${labels.map(quoteLiteral).join(', ')})`];
  const after: string[] = [];
  for (const t of model.tables.values())
    for (const c of t.columns) {
      if (typeKey(c.typeName) !== key) continue;
      const colSql = quoteIdent(c.name);
      const arr = c.typeName.arrayBounds?.length ? '[]' : '';
      if (c.default !== undefined) {
        sql.push(alter(t, `ALTER COLUMN ${colSql} DROP DEFAULT`));
        after.push(alter(t, `ALTER COLUMN ${colSql} SET DEFAULT ${d(c.default)}`));
      }
      sql.push(
        alter(
          t,
          `ALTER COLUMN ${colSql} TYPE ${relSql(q.schema, newName)}${arr} USING (${colSql}::text${arr}::${relSql(q.schema, newName)}${arr})`,
        ),
      );
    }
  sql.push(`ALTER TYPE ${relSql(q.schema, q.name)} RENAME TO ${quoteIdent(tmp)}`);
  sql.push(`ALTER TYPE ${relSql(q.schema, newName)} RENAME TO ${quoteIdent(q.name)}`);
  sql.push(`DROP TYPE ${relSql(q.schema, tmp)}`);
  sql.push(...after);
  return { sql, warnings: [] };
}

function ensureOrReplace(sql: string, word: RegExp): string {
  return sql.replace(word, (m) =>
    /\bOR\s+REPLACE\b/i.test(m) ? m : m.replace(/^CREATE\s+/i, 'CREATE OR REPLACE '),
  );
}

/** Whether a view's query selects `*` (expanded when the view is created, so re-creating it later may differ). */
function selectsStar(node: N): boolean {
  let star = false;
  walk(node, (o) => {
    if (o.ColumnRef?.fields?.some((f: N) => f.A_Star !== undefined)) star = true;
  });
  return star;
}

function viewWarnings(v: SqlObject): StepInverse['warnings'] {
  return v.node && selectsStar(v.node)
    ? [
        {
          kind: 'mayFail',
          message: `the previous definition of ${relSql(v.schema, v.name)} selects *, which now expands to the tables' current columns: the view can come back with other columns (or fail on a repeated name); list its previous columns explicitly`,
        },
      ]
    : [];
}

/**
 * A view's query with every `*` / `alias.*` replaced by the columns the tables have now (what
 * PostgreSQL does when it stores a view), so that re-creating the view later yields the same
 * columns. `undefined` when a star cannot be resolved from the model (a subquery, a CTE, another
 * view as its source).
 */
export function expandViewStars(model: SchemaModel, query: N): N | undefined {
  const out = cloneNode(query);
  const ctes = new Set<string>();
  let ok = true;
  const expandSelect = (sel: N): void => {
    if (!sel) return;
    for (const c of sel.withClause?.ctes ?? []) {
      if (c.CommonTableExpr?.ctename) ctes.add(c.CommonTableExpr.ctename);
      expandSelect(c.CommonTableExpr?.ctequery?.SelectStmt);
    }
    if (sel.larg || sel.rarg) {
      expandSelect(sel.larg);
      expandSelect(sel.rarg);
    }
    if (!sel.targetList) return;
    // the FROM items in order: their reference name and their table's columns (undefined: unknown)
    const sources: Array<{ ref: string; columns?: string[] }> = [];
    const from = (item: N): void => {
      if (item.RangeVar) {
        const rv = item.RangeVar;
        const t = !rv.schemaname && ctes.has(rv.relname) ? undefined : model.tables.get(tableKey(rv));
        sources.push({ ref: rv.alias?.aliasname ?? rv.relname, columns: t?.columns.map((c) => c.name) });
      } else if (item.JoinExpr) {
        from(item.JoinExpr.larg);
        from(item.JoinExpr.rarg);
      } else if (item.RangeSubselect) {
        expandSelect(item.RangeSubselect.subquery?.SelectStmt);
        sources.push({ ref: item.RangeSubselect.alias?.aliasname ?? '' });
      } else sources.push({ ref: '' });
    };
    for (const item of sel.fromClause ?? []) from(item);
    const targets: N[] = [];
    for (const t of sel.targetList) {
      const fields = t.ResTarget?.val?.ColumnRef?.fields;
      if (!fields || fields[fields.length - 1]?.A_Star === undefined) {
        targets.push(t);
        continue;
      }
      const alias = fields.length > 1 ? str(fields[fields.length - 2]) : undefined;
      const chosen = alias ? sources.filter((x) => x.ref === alias) : sources;
      if (!chosen.length || chosen.some((x) => !x.columns)) {
        ok = false;
        targets.push(t);
        continue;
      }
      for (const src of chosen)
        for (const col of src.columns!)
          targets.push({
            ResTarget: {
              val: { ColumnRef: { fields: [{ String: { sval: src.ref } }, { String: { sval: col } }] } },
            },
          });
    }
    sel.targetList = targets;
  };
  expandSelect(out.SelectStmt);
  return ok ? out : undefined;
}

/** The SQL that re-creates a view as it was: its original text, or with `*` expanded when it selects `*`. */
function viewSqlNow(model: SchemaModel, n: N, text: string): { sql: string; node: N } {
  if (!selectsStar(n.query)) return { sql: text, node: n.query };
  const expanded = expandViewStars(model, n.query);
  if (!expanded) return { sql: text, node: n.query };
  return { sql: d({ ViewStmt: { ...n, query: expanded, replace: false } }), node: expanded };
}

function createView(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.view);
  const key = objectKey(q.schema, q.name);
  const prev = model.views.get(key);
  const now = viewSqlNow(model, n, stmt.text);
  model.views.set(key, { ...q, sql: now.sql, materialized: false, node: now.node });
  if (prev) return { sql: [`DROP VIEW ${relSql(q.schema, q.name)}`, prev.sql], warnings: viewWarnings(prev) };
  return { sql: [`DROP VIEW ${relSql(q.schema, q.name)}`], warnings: [] };
}

function createFunction(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = qualifiedList(n.funcname);
  const signature = functionSignature(n.parameters);
  const key = `${objectKey(q.schema, q.name)}(${signature})`;
  const prev = model.functions.get(key);
  model.functions.set(key, { ...q, signature, sql: stmt.text });
  const word = n.is_procedure ? 'PROCEDURE' : 'FUNCTION';
  if (prev) return { sql: [ensureOrReplace(prev.sql, /^\s*CREATE\s+(OR\s+REPLACE\s+)?/i)], warnings: [] };
  return { sql: [`DROP ${word} ${relSql(q.schema, q.name)}(${signature})`], warnings: [] };
}

function createTrigger(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.relation);
  const key = `${objectKey(q.schema, q.name)}/${n.trigname}`;
  const prev = model.triggers.get(key);
  model.triggers.set(key, { name: n.trigname, table: objectKey(q.schema, q.name), sql: stmt.text });
  const dropSql = `DROP TRIGGER ${quoteIdent(n.trigname)} ON ${relSql(q.schema, q.name)}`;
  return { sql: prev ? [dropSql, prev.sql] : [dropSql], warnings: [] };
}

function createPolicy(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.table);
  const key = `${objectKey(q.schema, q.name)}/${n.policy_name}`;
  model.policies.set(key, { name: n.policy_name, table: objectKey(q.schema, q.name), sql: stmt.text });
  return { sql: [`DROP POLICY ${quoteIdent(n.policy_name)} ON ${relSql(q.schema, q.name)}`], warnings: [] };
}

function createExtension(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  if (model.extensions.has(n.extname) && n.if_not_exists)
    return noop('the extension already existed (IF NOT EXISTS)');
  model.extensions.set(n.extname, { name: n.extname, sql: stmt.text });
  return {
    sql: [`DROP EXTENSION ${quoteIdent(n.extname)}`],
    warnings: [
      {
        kind: 'shared',
        message: `extension ${quoteIdent(n.extname)} may be used by objects outside this migration (and IF NOT EXISTS may have found it installed already): keep this line only if the migration really installed it`,
      },
    ],
  };
}

function createSchema(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  if (model.schemas.has(n.schemaname) && n.if_not_exists)
    return noop('the schema already existed (IF NOT EXISTS)');
  model.schemas.set(n.schemaname, { name: n.schemaname, sql: stmt.text });
  return {
    sql: [`DROP SCHEMA ${quoteIdent(n.schemaname)}`],
    warnings: [
      {
        kind: 'shared',
        message: `schema ${quoteIdent(n.schemaname)} may hold objects created outside this migration`,
      },
    ],
  };
}

function createSequence(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.sequence);
  const key = objectKey(q.schema, q.name);
  if (model.sequences.has(key) && n.if_not_exists)
    return noop('the sequence already existed (IF NOT EXISTS)');
  model.sequences.set(key, { ...q, sql: stmt.text });
  return { sql: [`DROP SEQUENCE ${relSql(q.schema, q.name)}`], warnings: [] };
}

function commentKey(n: N): string | undefined {
  const items = n.object?.List
    ? strings(n.object.List.items)
    : n.object?.String
      ? [str(n.object)]
      : undefined;
  if (!items) return undefined;
  if (n.objtype === 'OBJECT_TABLE') {
    const q = items.length > 1 ? { schema: items[0], name: items[1] } : { name: items[0] };
    return `table:${objectKey(q.schema, q.name)}`;
  }
  if (n.objtype === 'OBJECT_COLUMN') {
    const col = items[items.length - 1];
    const q = items.length > 2 ? { schema: items[0], name: items[1] } : { name: items[0] };
    return `column:${objectKey(q.schema, q.name)}.${col}`;
  }
  return `${n.objtype}:${items.join('.')}`;
}

function comment(model: SchemaModel, n: N): StepInverse {
  const key = commentKey(n) ?? `${n.objtype}:${d(n.object ?? {})}`;
  const prev = model.comments.get(key);
  if (n.comment === undefined || n.comment === null) model.comments.delete(key);
  else model.comments.set(key, n.comment);
  const inv = cloneNode(n);
  if (prev === undefined) delete inv.comment;
  else inv.comment = prev;
  return { sql: [d({ CommentStmt: inv })], warnings: [] };
}
