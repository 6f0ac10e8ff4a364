/**
 * Dependent migrations: later migrations that touch what migration N created or changed (a
 * later foreign key to a table N created, an index on a column N added, a later change of an enum
 * N extended…). Rolling N back while they are applied breaks them, or fails.
 *
 * Read from the parse trees (libpg-query) of N and of each later migration. Objects N created
 * count at object level (any mention); tables N only altered count at column level (the
 * columns N added, changed or renamed), so a popular table does not make everything dependent.
 */
import { forEachStatement, initSqlParser, type SqlStatement } from '../sql/parser';
import { isRollbackOf } from './rollback-file';

export interface DependentMigration {
  /** Folder name of the later migration. */
  name: string;
  /** Its position in the list given. */
  index: number;
  /** One line per touching statement: `line 4: adds a foreign key to table "Profile", which N created`. */
  reasons: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse-tree nodes
type N = any;

type Kind = 'table' | 'type' | 'index' | 'function' | 'sequence' | 'view';

interface Footprint {
  /** kind:name → 'created' | 'changed'. */
  objects: Map<string, 'created' | 'changed'>;
  /** table → columns N added or changed. */
  columns: Map<string, Set<string>>;
}

function names(list: N[] | undefined): string[] {
  return (list ?? [])
    .map((n: N) => n?.String?.sval)
    .filter((s: unknown): s is string => typeof s === 'string');
}

const last = (list: N[] | undefined) => names(list).at(-1);

function walk(n: N, visit: (key: string, v: N) => void): void {
  if (Array.isArray(n)) {
    for (const x of n) walk(x, visit);
  } else if (n && typeof n === 'object') {
    for (const [k, v] of Object.entries(n)) {
      visit(k, v);
      walk(v, visit);
    }
  }
}

/** What `sql`'s statements create or change, read one statement at a time (no tree kept). Throws SqlParseError. */
function footprint(sql: string): Footprint {
  const objects = new Map<string, 'created' | 'changed'>();
  const columns = new Map<string, Set<string>>();
  const created = (kind: Kind, name: string | undefined) => name && objects.set(`${kind}:${name}`, 'created');
  const changedColumn = (table: string, col: string | undefined) => {
    if (!col) return;
    const set = columns.get(table) ?? new Set<string>();
    set.add(col);
    columns.set(table, set);
  };
  forEachStatement(sql, undefined, (st) => {
    const n = st.node as N;
    if (n.CreateStmt) created('table', n.CreateStmt.relation?.relname);
    else if (n.CreateTableAsStmt) created('view', n.CreateTableAsStmt.into?.rel?.relname);
    else if (n.ViewStmt) created('view', n.ViewStmt.view?.relname);
    else if (n.CreateEnumStmt) created('type', last(n.CreateEnumStmt.typeName));
    else if (n.CompositeTypeStmt) created('type', n.CompositeTypeStmt.typevar?.relname);
    else if (n.CreateDomainStmt) created('type', last(n.CreateDomainStmt.domainname));
    else if (n.CreateSeqStmt) created('sequence', n.CreateSeqStmt.sequence?.relname);
    else if (n.CreateFunctionStmt) created('function', last(n.CreateFunctionStmt.funcname));
    else if (n.IndexStmt) created('index', n.IndexStmt.idxname);
    else if (n.AlterEnumStmt) {
      const t = last(n.AlterEnumStmt.typeName);
      if (t && !objects.has(`type:${t}`)) objects.set(`type:${t}`, 'changed');
    } else if (n.AlterTableStmt) {
      const table = n.AlterTableStmt.relation?.relname as string;
      for (const c of n.AlterTableStmt.cmds ?? []) {
        const cmd = c.AlterTableCmd as N;
        if (!cmd) continue;
        if (cmd.subtype === 'AT_AddColumn') changedColumn(table, cmd.def?.ColumnDef?.colname);
        else if (cmd.subtype === 'AT_AddConstraint') {
          const con = cmd.def?.Constraint;
          if (con?.conname) created('index', con.conname);
        } else if (cmd.name && cmd.subtype !== 'AT_DropColumn' && cmd.subtype !== 'AT_DropConstraint')
          changedColumn(table, cmd.name);
      }
    } else if (n.RenameStmt) {
      const r = n.RenameStmt;
      if (r.renameType === 'OBJECT_COLUMN') changedColumn(r.relation?.relname, r.newname);
      else if (r.renameType === 'OBJECT_TABLE') created('table', r.newname);
      else if (r.renameType === 'OBJECT_TYPE') created('type', r.newname);
      else if (r.renameType === 'OBJECT_INDEX') created('index', r.newname);
    }
  });
  return { objects, columns };
}

const VERBS: Record<string, string> = {
  AlterTableStmt: 'alters',
  IndexStmt: 'indexes',
  DropStmt: 'drops',
  CreateStmt: 'references',
  InsertStmt: 'writes to',
  UpdateStmt: 'writes to',
  DeleteStmt: 'deletes from',
  RenameStmt: 'renames',
  AlterEnumStmt: 'alters',
  ViewStmt: 'selects from',
  CommentStmt: 'comments on',
};

/** What one later statement touches of N's footprint, as reasons. */
function touches(st: SqlStatement, fp: Footprint, nName: string): string[] {
  const found = new Map<string, string>();
  const n = st.node as N;
  const verb = VERBS[st.kind] ?? 'uses';
  const typeVerb = st.kind === 'AlterEnumStmt' || st.kind === 'RenameStmt' ? verb : 'uses';
  const hit = (kind: Kind, name: string | undefined, how = verb) => {
    if (!name) return;
    const state = fp.objects.get(`${kind}:${name}`);
    if (state) found.set(`${kind}:${name}`, `${how} ${kind} "${name}", which ${nName} ${state}`);
  };
  walk(n, (key, v) => {
    if (key === 'RangeVar' || key === 'relation') {
      const rel = v?.relname as string | undefined;
      hit('table', rel, key === 'RangeVar' && st.kind === 'CreateStmt' ? 'references' : verb);
      hit('view', rel);
      hit('sequence', rel);
    } else if (key === 'pktable') hit('table', v?.relname, 'adds a foreign key to');
    else if (key === 'TypeName' || (key === 'typeName' && v?.names)) hit('type', last(v?.names), typeVerb);
    else if (key === 'typeName' && Array.isArray(v)) hit('type', last(v), typeVerb);
    else if (key === 'FuncCall') hit('function', last(v?.funcname));
  });
  if (n.DropStmt) {
    for (const o of n.DropStmt.objects ?? []) {
      const nm = last(o?.List?.items ?? (o?.String ? [o] : o?.TypeName?.names));
      const kind: Kind | undefined =
        n.DropStmt.removeType === 'OBJECT_INDEX'
          ? 'index'
          : n.DropStmt.removeType === 'OBJECT_FUNCTION'
            ? 'function'
            : n.DropStmt.removeType === 'OBJECT_TYPE'
              ? 'type'
              : undefined;
      if (kind) hit(kind, nm, 'drops');
      if (kind === 'function') hit('function', last(o?.ObjectWithArgs?.objname), 'drops');
    }
  }
  // columns N added or changed, on tables N did not create
  const table = (n.AlterTableStmt?.relation ?? n.IndexStmt?.relation ?? n.RenameStmt?.relation)?.relname as
    | string
    | undefined;
  const cols = table ? fp.columns.get(table) : undefined;
  if (table && cols && !fp.objects.has(`table:${table}`)) {
    const used = new Set<string>();
    for (const c of n.AlterTableStmt?.cmds ?? []) {
      const cmd = c.AlterTableCmd as N;
      if (cmd?.name && cols.has(cmd.name)) used.add(cmd.name);
      walk(cmd?.def, (k, v) => {
        if (k === 'fk_attrs' || k === 'keys') for (const s of names(v)) if (cols.has(s)) used.add(s);
      });
    }
    for (const p of n.IndexStmt?.indexParams ?? []) {
      const col = p?.IndexElem?.name;
      if (col && cols.has(col)) used.add(col);
    }
    if (n.RenameStmt?.renameType === 'OBJECT_COLUMN' && cols.has(n.RenameStmt.subname))
      used.add(n.RenameStmt.subname);
    for (const col of used)
      found.set(
        `column:${table}.${col}`,
        `${verb} column "${table}"."${col}", which ${nName} added or changed`,
      );
  }
  return [...found.values()].map((r) => `line ${st.line}: ${r}`);
}

/** One migration folder as the dependents check reads it (a `LocalMigration` fits). */
export interface HistoryEntry {
  name: string;
  /** The text of `migration.sql`; undefined when it could not be read. */
  sql?: string;
  /** Why `migration.sql` could not be read. */
  error?: string;
  /** True when the folder has no `migration.sql` at all: not a migration (Prisma lists it as an error). */
  missing?: boolean;
}

/**
 * Later migrations (after `index`) that touch what `migrations[index]` created or changed, in
 * folder order. Left out: folders without a `migration.sql` (not migrations) and the migration's own
 * Method 2 rollback (`<ts>_rollback_<name>`: undoing the same objects is its purpose). A later
 * migration that cannot be read or parsed is listed with that reason (it could not be checked),
 * never silently dropped. Throws only when the parser cannot be loaded (and is needed: with no
 * later migration nothing is parsed); when migration N itself does not parse the answer is `[]`
 * (callers that must say "could not check" parse it first). Each script is read one statement at
 * a time (no parse trees kept: a 10 MB seed migration has ~80,000).
 */
export async function dependentMigrations(
  migrations: HistoryEntry[],
  index: number,
): Promise<DependentMigration[]> {
  const target = migrations[index];
  // Nothing after N (the usual case: the newest migration): nothing to check, and N is not
  // parsed (seconds for a 10 MB seed migration).
  const later = migrations.slice(index + 1).filter((m) => !m.missing && !isRollbackOf(m.name, target.name));
  if (later.length === 0) return [];
  await initSqlParser();
  let fp: Footprint;
  try {
    fp = footprint(target.sql ?? '');
  } catch {
    return [];
  }
  const out: DependentMigration[] = [];
  for (let i = index + 1; i < migrations.length; i++) {
    const m = migrations[i];
    if (m.missing || isRollbackOf(m.name, target.name)) continue;
    let reasons: string[];
    if (m.sql === undefined)
      reasons = [`could not be checked: cannot read its migration.sql: ${m.error ?? 'unreadable'}`];
    else
      try {
        reasons = [];
        forEachStatement(m.sql, undefined, (st) => reasons.push(...touches(st, fp, target.name)));
      } catch (e) {
        reasons = [`could not be checked: ${(e as Error).message}`];
      }
    if (reasons.length) out.push({ name: m.name, index: i, reasons });
  }
  return out;
}
