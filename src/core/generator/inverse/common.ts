/**
 * What every statement family shares: the inverse of one step (`StepInverse`), the warnings a
 * rollback carries, and the small SQL writers (deparse, qualified names, ALTER TABLE clauses).
 */
import { objectKey, quoteIdent, quoteLiteral, quoteQualified } from '../../sql/names';
import { deparseNode } from '../../sql/parser';
import {
  type ColumnModel,
  type ConstraintModel,
  columnDefNode,
  type IndexModel,
  type N,
  type SchemaModel,
  strings,
  type TableModel,
  tableKey,
} from '../model';

import type { RollbackWarningKind, WarningData } from '../warning-kinds';

export {
  type DataChangeKind,
  type RollbackWarningKind,
  WARNING_KIND_WORDS,
  type WarningData,
} from '../warning-kinds';

export interface RollbackWarning {
  kind: RollbackWarningKind;
  message: string;
  /** 1-based line of the forward statement in migration.sql. */
  line: number;
  /** 1-based line of the inverse (or of the irreversible block) in the generated down.sql. */
  downLine?: number;
  /**
   * A run of similar statements with this same warning, grouped into one section of down.sql
   * (see groupSimilarSteps in ../rollback.ts): how many statements, and the line of the last one.
   */
  group?: { count: number; lastLine: number };
  /**
   * The data it is about (data-loss, data-not-restored and data-change warnings), set by the
   * family that writes it: what the archive's coverage is matched on (../rollback.ts).
   */
  data?: WarningData;
  /**
   * Set when the environment's archive covers the data this warning is about (RollbackOptions.archive,
   * ../rollback.ts archiveCovering): when the archive was taken (formatted for people). What
   * `apply-down --to --generate` decides on: a step is run without its inverse only when set.
   */
  archived?: { takenAt: string };
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

/** Deparses a parse-tree node to one-line SQL (pgsql-deparser, identifiers quoted when needed). */
export const d = (node: N): string => deparseNode(node, { pretty: false });

/** SQL of a `TypeName` node, e.g. `varchar(20)[]`. */
export const typeSql = (tn: N): string => d({ TypeName: tn });

/** `"schema"."name"` (or `"name"` without a schema), quoted as PostgreSQL needs. */
export const relSql = (schema: string | undefined, name: string): string => quoteQualified(schema, name);

/** The qualified name of a table of the model. */
export const tableSql = (t: TableModel): string => relSql(t.schema, t.name);

/** A table constraint as written in ADD CONSTRAINT (enforced and valid unless the node says otherwise). */
export function constraintSql(c: N): string {
  return d({
    Constraint: { ...c, is_enforced: c.is_enforced ?? true, initially_valid: c.initially_valid ?? true },
  });
}

/** `ALTER TABLE <table> <clause>`. */
export function alter(t: TableModel, clause: string): string {
  return `ALTER TABLE ${tableSql(t)} ${clause}`;
}

/** A column definition as in ADD COLUMN (type, default, NOT NULL, identity…). */
export function columnSql(col: ColumnModel, schema: string | undefined): string {
  return d(columnDefNode(col, schema));
}

/** The CREATE INDEX of an index of the model, optionally CONCURRENTLY. */
export function indexSql(ix: IndexModel, concurrent = false): string {
  return d({ IndexStmt: { ...ix.node, concurrent: concurrent || undefined } });
}

/** COMMENT ON statements that restore the comments of a table (or of one of its columns). */
export function commentsOf(model: SchemaModel, t: TableModel, column?: string): string[] {
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

/** Foreign keys of other tables that reference `key` (optionally only some of its columns). */
export function referencingForeignKeys(
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

/** A step with nothing to undo, and why. */
export const noop = (why: string): StepInverse => ({ sql: [], warnings: [], noop: why });

/**
 * A step SQL cannot undo: flagged with an `irreversible` warning saying why and what to do, and
 * (`data`) the rows it changes when they are known (an INSERT, UPDATE, DELETE, TRUNCATE).
 */
export const irreversible = (why: string, data?: WarningData): StepInverse => ({
  sql: [],
  warnings: [{ kind: 'irreversible', message: why, ...(data ? { data } : {}) }],
  irreversible: why,
});

/** The inverses of several parts of one statement, in the order given, as one step. */
export function combine(parts: StepInverse[]): StepInverse {
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

/**
 * An object the history never defined: nothing to undo when the statement said IF EXISTS
 * (`missingOk`), else irreversible (its previous definition is not known).
 */
export function unknown(what: string, missingOk: boolean): StepInverse {
  return missingOk
    ? noop(`${what} did not exist before the migration (IF EXISTS)`)
    : irreversible(
        `${what} is not defined by any earlier migration, so its previous definition is not known: recreate it by hand`,
      );
}

/** The first line of a statement, cut at 100 characters, for messages. */
export function firstLine(text: string): string {
  const l = text.split(/\r?\n/)[0];
  return l.length > 100 ? `${l.slice(0, 97)}…` : l;
}
