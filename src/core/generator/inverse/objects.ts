/**
 * Objects defined by their SQL text: views, functions and procedures, triggers, policies,
 * extensions, schemas, sequences, comments.
 */
import { objectKey, quoteIdent } from '../../sql/names';
import type { SqlStatement } from '../../sql/parser';
import {
  cloneNode,
  type N,
  qualifiedList,
  rangeVar,
  type SchemaModel,
  type SqlObject,
  str,
  strings,
  tableKey,
  walk,
} from '../model';
import { d, noop, relSql, type StepInverse, typeSql } from './common';

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

/** The warning for re-creating a view whose definition selects `*`, if it does. */
export function viewWarnings(v: SqlObject): StepInverse['warnings'] {
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

/** CREATE [OR REPLACE] VIEW: drop it, and bring back the replaced definition if there was one. */
export function createView(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.view);
  const key = objectKey(q.schema, q.name);
  const prev = model.views.get(key);
  const now = viewSqlNow(model, n, stmt.text);
  model.views.set(key, { ...q, sql: now.sql, materialized: false, node: now.node });
  if (prev) return { sql: [`DROP VIEW ${relSql(q.schema, q.name)}`, prev.sql], warnings: viewWarnings(prev) };
  return { sql: [`DROP VIEW ${relSql(q.schema, q.name)}`], warnings: [] };
}

function functionSignature(params: N[] | undefined): string {
  const args = (params ?? [])
    .map((p: N) => p.FunctionParameter ?? { argType: p.TypeName ?? p, mode: 'FUNC_PARAM_DEFAULT' })
    .filter((p: N) => !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(p.mode))
    .map((p: N) => typeSql(p.argType));
  return args.join(', ');
}

/** The model's function named by an ObjectWithArgs: by exact signature, else the only overload. */
export function findFunction(
  model: SchemaModel,
  owa: N,
): [string, SqlObject & { signature: string }] | undefined {
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

/** CREATE [OR REPLACE] FUNCTION/PROCEDURE: drop it, or restore the replaced body. */
export function createFunction(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = qualifiedList(n.funcname);
  const signature = functionSignature(n.parameters);
  const key = `${objectKey(q.schema, q.name)}(${signature})`;
  const prev = model.functions.get(key);
  model.functions.set(key, { ...q, signature, sql: stmt.text });
  const word = n.is_procedure ? 'PROCEDURE' : 'FUNCTION';
  if (prev) return { sql: [ensureOrReplace(prev.sql, /^\s*CREATE\s+(OR\s+REPLACE\s+)?/i)], warnings: [] };
  return { sql: [`DROP ${word} ${relSql(q.schema, q.name)}(${signature})`], warnings: [] };
}

/** CREATE [OR REPLACE] TRIGGER: drop it, and bring back the replaced one if there was one. */
export function createTrigger(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.relation);
  const key = `${objectKey(q.schema, q.name)}/${n.trigname}`;
  const prev = model.triggers.get(key);
  model.triggers.set(key, { name: n.trigname, table: objectKey(q.schema, q.name), sql: stmt.text });
  const dropSql = `DROP TRIGGER ${quoteIdent(n.trigname)} ON ${relSql(q.schema, q.name)}`;
  return { sql: prev ? [dropSql, prev.sql] : [dropSql], warnings: [] };
}

/** CREATE POLICY: drop it. */
export function createPolicy(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
  const q = rangeVar(n.table);
  const key = `${objectKey(q.schema, q.name)}/${n.policy_name}`;
  model.policies.set(key, { name: n.policy_name, table: objectKey(q.schema, q.name), sql: stmt.text });
  return { sql: [`DROP POLICY ${quoteIdent(n.policy_name)} ON ${relSql(q.schema, q.name)}`], warnings: [] };
}

/** CREATE EXTENSION: drop it (flagged `shared`: other objects may use it). */
export function createExtension(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
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

/** CREATE SCHEMA: drop it (flagged `shared`). */
export function createSchema(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
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

/** CREATE SEQUENCE: drop it. */
export function createSequence(model: SchemaModel, n: N, stmt: SqlStatement): StepInverse {
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

/** COMMENT ON: put back the previous comment, or remove it when there was none. */
export function comment(model: SchemaModel, n: N): StepInverse {
  const key = commentKey(n) ?? `${n.objtype}:${d(n.object ?? {})}`;
  const prev = model.comments.get(key);
  if (n.comment === undefined || n.comment === null) model.comments.delete(key);
  else model.comments.set(key, n.comment);
  const inv = cloneNode(n);
  if (prev === undefined) delete inv.comment;
  else inv.comment = prev;
  return { sql: [d({ CommentStmt: inv })], warnings: [] };
}

/** GRANT ↔ REVOKE of the same privileges. */
export function grant(n: N): StepInverse {
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
}
