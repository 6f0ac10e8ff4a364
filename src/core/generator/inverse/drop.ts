/** DROP of every object kind the model knows: the inverse re-creates the object as the history defined it. */
import { objectKey, quoteIdent, quoteLiteral } from '../../sql/names';
import type { SqlStatement } from '../../sql/parser';
import { dropTable, type IndexModel, type N, qualifiedList, type SchemaModel, str, strings } from '../model';
import {
  alter,
  combine,
  constraintSql,
  firstLine,
  indexSql,
  irreversible,
  noop,
  referencingForeignKeys,
  relSql,
  type StepInverse,
  tableSql,
  unknown,
} from './common';
import { findFunction, viewWarnings } from './objects';
import { recreateTable } from './table';

/** DROP of one or more objects: each comes back as the history defined it, the last dropped first. */
export function drop(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const cascade = n.behavior === 'DROP_CASCADE';
  const parts: StepInverse[] = [];
  for (const obj of n.objects ?? [])
    parts.push(dropOne(model, n.removeType, obj, !!n.missing_ok, cascade, !!n.concurrent, stmt));
  // several objects: undo the last dropped first
  return combine(parts.reverse());
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
          data: {
            kind: 'dropTable',
            tables: [{ schema: t.schema, table: t.name }],
            lead: `rows of ${label}`,
          },
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
