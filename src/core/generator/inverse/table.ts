/** CREATE TABLE, CREATE TABLE AS / materialized views, CREATE INDEX, and re-creating a dropped table. */
import { objectKey, quoteIdent } from '../../sql/names';
import type { SqlStatement } from '../../sql/parser';
import {
  columnDefNode,
  findConstraintIndex,
  indexFromStmt,
  isIntactSerial,
  type N,
  rangeVar,
  type SchemaModel,
  type TableModel,
  tableFromCreate,
  tableKey,
} from '../model';
import {
  alter,
  commentsOf,
  constraintSql,
  d,
  indexSql,
  noop,
  relSql,
  type StepInverse,
  tableSql,
} from './common';

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

/** CREATE TABLE: drop it (flagged `dataLoss`). Temporary tables and IF NOT EXISTS hits are no-ops. */
export function createTable(model: SchemaModel, n: N): StepInverse {
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
    warnings: [
      {
        kind: 'dataLoss',
        message: `all rows of ${tableSql(t)} are deleted`,
        data: { kind: 'createTable', tables: [{ schema: t.schema, table: t.name }] },
      },
    ],
  };
}

/** CREATE TABLE AS / CREATE MATERIALIZED VIEW: drop it. */
export function createTableAs(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
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
        data: { kind: 'createTable', tables: [{ schema: q.schema, table: q.name }] },
      },
    ],
  };
}

/** CREATE INDEX: drop it (CONCURRENTLY when it was created so, outside a transaction). */
export function createIndex(model: SchemaModel, n: N): StepInverse {
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
