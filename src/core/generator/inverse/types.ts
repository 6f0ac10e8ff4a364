/** User-defined types: CREATE TYPE … AS ENUM, composite, range and domain types; ALTER TYPE on enums. */
import { objectKey, quoteIdent, quoteLiteral } from '../../sql/names';
import type { SqlStatement } from '../../sql/parser';
import { type N, qualifiedList, rangeVar, type SchemaModel, str, typeKey } from '../model';
import { alter, d, irreversible, noop, relSql, type StepInverse } from './common';

/** CREATE TYPE … AS ENUM: drop the type. */
export function createEnum(model: SchemaModel, n: N): StepInverse {
  const q = qualifiedList(n.typeName);
  model.enums.set(objectKey(q.schema, q.name), { ...q, labels: (n.vals ?? []).map(str) });
  return { sql: [`DROP TYPE ${relSql(q.schema, q.name)}`], warnings: [] };
}

/** CREATE TYPE (composite, range) and CREATE DOMAIN: drop it. */
export function createOtherType(model: SchemaModel, kind: string, n: N, stmt: SqlStatement): StepInverse {
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

/**
 * ALTER TYPE … RENAME VALUE (renamed back) and ADD VALUE (PostgreSQL cannot drop an enum value:
 * the type is swapped for one without it, flagged `enumValue`).
 */
export function alterEnum(model: SchemaModel, n: N): StepInverse {
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
