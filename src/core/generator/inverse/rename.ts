/** ALTER … RENAME of tables, columns, constraints, indexes, types, views, sequences, schemas, triggers. */
import { objectKey, quoteIdent } from '../../sql/names';
import {
  findConstraintIndex,
  type N,
  qualifiedList,
  rangeVar,
  renameColumn,
  renameTableRefs,
  renameTypeRefs,
  type SchemaModel,
  tableKey,
} from '../model';
import { alter, irreversible, relSql, type StepInverse, unknown } from './common';

/** ALTER … RENAME [COLUMN/CONSTRAINT] …: rename back, following the object in the model. */
export function rename(model: SchemaModel, n: N): StepInverse {
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
