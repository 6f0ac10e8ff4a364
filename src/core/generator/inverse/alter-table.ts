/** ALTER TABLE: columns, defaults, NOT NULL, types, constraints, row level security. */
import { objectKey, quoteIdent, quoteLiteral } from '../../sql/names';
import {
  type ColumnModel,
  cloneNode,
  columnFromDef,
  constraintColumns,
  dropColumn,
  indexColumns,
  isSerial,
  isTableConstraint,
  type N,
  normalizeConstraint,
  rangeVar,
  type SchemaModel,
  storageType,
  strings,
  type TableModel,
  tableKey,
  typeKey,
} from '../model';
import {
  alter,
  columnSql,
  combine,
  commentsOf,
  constraintSql,
  d,
  indexSql,
  irreversible,
  noop,
  referencingForeignKeys,
  relSql,
  type StepInverse,
  tableSql,
  typeSql,
  unknown,
} from './common';

/** ALTER TABLE (one or more commands, undone last first). Other ALTER … kinds are irreversible. */
export function alterTable(model: SchemaModel, n: N): StepInverse {
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
          {
            kind: 'dataLoss',
            message: `values of ${tableSql(t)}.${quoteIdent(column.name)} are deleted`,
            data: {
              kind: 'addColumn',
              tables: [{ schema: t.schema, table: t.name }],
              columns: [column.name],
            },
          },
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
          data: {
            kind: 'dropColumn',
            tables: [{ schema: t.schema, table: t.name }],
            columns: [col.name],
            lead: `values of ${tableSql(t)}.${colSql}`,
          },
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
  const rewrite = valueRewrite(def.raw_default, col.name);
  if (rewrite)
    warnings.push({
      kind: 'dataNotRestored',
      message: `the migration rewrote the values of ${colSql} (USING ${rewrite}): casting back restores the type ${typeSql(prevType)}, not the values (e.g. 0.05 → 5 stays 5). Restore them from the backup, or add the inverse expression to this step's USING`,
      data: {
        kind: 'alterType',
        tables: [{ schema: t.schema, table: t.name }],
        columns: [col.name],
        lead: `the migration rewrote the values of ${colSql} (USING ${rewrite})`,
      },
    });
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

/**
 * The SQL of a `USING` expression that computes new values (anything but the column itself, cast
 * any number of times), or undefined for a plain cast. Such a rewrite is not undone by a cast back.
 */
function valueRewrite(using: N | undefined, column: string): string | undefined {
  if (!using) return undefined;
  let e: N = using;
  while (e?.TypeCast) e = e.TypeCast.arg;
  const fields = e?.ColumnRef?.fields;
  if (fields?.length && fields.at(-1)?.String?.sval === column) return undefined;
  return d(using);
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
