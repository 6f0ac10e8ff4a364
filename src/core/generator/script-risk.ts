/**
 * What a rollback script written by someone else (Prisma's `migrate diff`, the `prismaDiff`
 * strategy) destroys or risks, statement by statement: the same warning kinds the statement
 * generator attaches to its own steps, so `down --strict`, Problems and the down.sql comments treat
 * both strategies alike. Read from the parse tree against the schema model at migration N (the
 * state the script runs on), folded forward statement by statement.
 *
 * Rules (PostgreSQL 15 docs, ALTER TABLE / DROP TABLE): DROP TABLE deletes the rows; DROP COLUMN
 * deletes the values (Prisma writes a rename as DROP + ADD: the new column's values are lost);
 * ADD COLUMN … NOT NULL without a default fails on a table with rows; a type change casts every
 * value (and can fail or lose precision); SET NOT NULL and new unique indexes / constraints fail
 * on rows that violate them.
 */
import { quoteIdent } from '../sql/names';
import { parseMigrationSync } from '../sql/parser';
import { applyStatement, type RollbackWarning } from './inverse';
import type { N, SchemaModel } from './model';
import type { DataChangeKind, WarningData } from './warning-kinds';

const rel = (rv: N): string =>
  (rv?.schemaname ? `${quoteIdent(rv.schemaname)}.` : '') + quoteIdent(rv?.relname ?? '?');

function columnIsBare(def: N): boolean {
  const cons: N[] = (def.constraints ?? []).map((c: N) => c.Constraint);
  const notNull = cons.some((c) => c?.contype === 'CONSTR_NOTNULL' || c?.contype === 'CONSTR_PRIMARY');
  const filled = cons.some((c) =>
    ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(c?.contype),
  );
  const serial = /^(small|big)?serial[248]?$/i.test(def.typeName?.names?.at(-1)?.String?.sval ?? '');
  return notNull && !filled && !serial;
}

/**
 * What one statement does to data that existed before it, in the statement's own names (the
 * archive of `src/core/archive` maps them back through renames): `dropTable` deletes the rows,
 * `dropColumn` the values, `alterType` casts them (a `USING` can transform them), `update`,
 * `delete`, `truncate` change or delete rows, `insert` adds rows to a table. Read from the same
 * statement analysis as the warnings (statementRisks); `insert` has no warning (it destroys
 * nothing, but a rollback must remove exactly the rows it added).
 */
export interface DataTouched {
  kind: Exclude<DataChangeKind, 'createTable' | 'addColumn'>;
  schema?: string;
  table: string;
  column?: string;
  /** For `update`: the columns its SET assigns, in the statement's names. */
  columns?: string[];
  /** 1-based line of the statement in its script. */
  line: number;
}

/**
 * What the archive (src/core/archive) says of a DO block: its PL/pgSQL runs at apply time and the
 * parse tree does not say which rows it writes, so nothing it changes is archived (fail closed).
 * The one sentence the deploy's log and down.sql's warnings use.
 */
export const UNARCHIVED_DO = 'data changed inside a DO block is not archived';

const nameOf = (rv: N): { schema?: string; table: string } => ({
  schema: rv?.schemaname || undefined,
  table: rv?.relname ?? '?',
});

/**
 * The warnings of one statement of a script (see the module comment) and the data it touches
 * (DataTouched). `n` is one libpg-query statement node, `line` its 1-based line.
 */
export function statementRisks(n: N, line: number): { warnings: RollbackWarning[]; touched: DataTouched[] } {
  const out: RollbackWarning[] = [];
  const touched: DataTouched[] = [];
  const warn = (kind: RollbackWarning['kind'], message: string, data?: WarningData) =>
    out.push({ kind, message, line, downLine: line, ...(data ? { data } : {}) });
  const subject = (t: { schema?: string; table: string }) => ({ schema: t.schema, table: t.table });
  if (n.DropStmt?.removeType === 'OBJECT_TABLE') {
    for (const o of n.DropStmt.objects ?? []) {
      const names: string[] = (o.List?.items ?? []).map((i: N) => i.String?.sval);
      const name = names.map((x) => quoteIdent(x)).join('.');
      const t = {
        schema: names.length > 1 ? names[names.length - 2] : undefined,
        table: names[names.length - 1],
      };
      warn('dataLoss', `rows of ${name} are deleted`, {
        kind: 'dropTable',
        tables: [subject(t)],
        lead: `rows of ${name}`,
      });
      touched.push({ kind: 'dropTable', ...t, line });
    }
  }
  if (n.TruncateStmt)
    for (const r of n.TruncateStmt.relations ?? []) {
      const t = nameOf(r.RangeVar ?? r);
      warn('dataLoss', `rows of ${rel(r.RangeVar ?? r)} are deleted`, {
        kind: 'truncate',
        tables: [subject(t)],
        lead: `rows of ${rel(r.RangeVar ?? r)}`,
      });
      touched.push({ kind: 'truncate', ...t, line });
    }
  if (n.DeleteStmt || n.UpdateStmt) {
    const r = (n.DeleteStmt ?? n.UpdateStmt).relation;
    warn('dataLoss', `rows of ${rel(r)} are ${n.DeleteStmt ? 'deleted' : 'changed'}`, {
      kind: n.DeleteStmt ? 'delete' : 'update',
      tables: [subject(nameOf(r))],
      lead: `rows of ${rel(r)}`,
    });
    touched.push({
      kind: n.DeleteStmt ? 'delete' : 'update',
      ...nameOf((n.DeleteStmt ?? n.UpdateStmt).relation),
      ...(n.UpdateStmt
        ? { columns: [...new Set<string>((n.UpdateStmt.targetList ?? []).map((t: N) => t.ResTarget?.name))] }
        : {}),
      line,
    });
  }
  if (n.InsertStmt) touched.push({ kind: 'insert', ...nameOf(n.InsertStmt.relation), line });
  const at = n.AlterTableStmt;
  if (at) {
    const t = rel(at.relation);
    const cmds: N[] = (at.cmds ?? []).map((c: N) => c.AlterTableCmd);
    for (const c of cmds)
      if (c.subtype === 'AT_DropColumn' || c.subtype === 'AT_AlterColumnType')
        touched.push({
          kind: c.subtype === 'AT_DropColumn' ? 'dropColumn' : 'alterType',
          ...nameOf(at.relation),
          column: c.name,
          line,
        });
    const dropped = cmds.filter((c) => c.subtype === 'AT_DropColumn').map((c) => quoteIdent(c.name));
    const added = cmds
      .filter((c) => c.subtype === 'AT_AddColumn')
      .map((c) => quoteIdent(c.def.ColumnDef.colname));
    for (const c of cmds) {
      const table = [subject(nameOf(at.relation))];
      if (c.subtype === 'AT_DropColumn')
        warn('dataLoss', `values of ${t}.${quoteIdent(c.name)} are deleted`, {
          kind: 'dropColumn',
          tables: table,
          columns: [c.name],
          lead: `values of ${t}.${quoteIdent(c.name)}`,
        });
      else if (c.subtype === 'AT_AddColumn' && columnIsBare(c.def.ColumnDef))
        warn(
          'needsBackfill',
          `${t}.${quoteIdent(c.def.ColumnDef.colname)} is added NOT NULL without a default: this fails on a table with rows; add a default or backfill it`,
        );
      else if (c.subtype === 'AT_AlterColumnType')
        warn(
          'mayFail',
          `values of ${t}.${quoteIdent(c.name)} are cast to a new type: the cast can fail or lose precision`,
        );
      else if (c.subtype === 'AT_SetNotNull')
        warn('mayFail', `SET NOT NULL on ${t}.${quoteIdent(c.name)} fails if rows hold NULL there`);
      else if (
        c.subtype === 'AT_AddConstraint' &&
        ['CONSTR_UNIQUE', 'CONSTR_CHECK', 'CONSTR_FOREIGN', 'CONSTR_PRIMARY'].includes(
          c.def?.Constraint?.contype,
        )
      )
        warn('mayFail', `adding a constraint to ${t} fails if rows violate it`);
    }
    if (dropped.length && added.length)
      warn(
        'dataNotRestored',
        `if ${added.join(', ')} stands for ${dropped.join(', ')} (Prisma's diff writes a rename as DROP + ADD), the values of ${dropped.join(', ')} are lost: rename the column instead (ALTER TABLE ${t} RENAME COLUMN …)`,
      );
  }
  if (n.IndexStmt?.unique)
    warn(
      'mayFail',
      `the unique index ${quoteIdent(n.IndexStmt.idxname ?? '?')} fails if rows hold duplicates`,
    );
  return { warnings: out, touched };
}

/**
 * The per-statement risks of `script` run on the schema `model` (the state after migration N;
 * folded forward, so it is changed). Lines are 1-based lines of `script`. Throws SqlParseError when
 * the script does not parse.
 */
export function scriptRisks(script: string, model: SchemaModel): RollbackWarning[] {
  const out: RollbackWarning[] = [];
  for (const st of parseMigrationSync(script).statements) {
    out.push(...statementRisks(st.node as N, st.line).warnings);
    try {
      applyStatement(model, st);
    } catch {
      // a statement the model cannot follow: later risks are judged without it
    }
  }
  return out;
}
