/**
 * What the schema comparison cannot see. The verifier compares two catalog snapshots
 * (./snapshot.ts); a migration or rollback statement whose effect no reader of the snapshot
 * covers (a `DO` block, a rule, an owner change, a default privilege…) could leave something
 * behind that the comparison would miss, so "no difference" does not prove the rollback. The
 * same holds for a step the rollback's author marked as not undone (`-- IRREVERSIBLE: …`, the
 * marker the generator writes in down.sql; read from the text, not from the generator).
 *
 * Fail closed: statement kinds are allowed by name (those a reader covers); anything else is
 * reported. Data statements (INSERT, UPDATE, DELETE, TRUNCATE, COPY) and session statements
 * (SET, transaction control) change no schema and are allowed.
 */
import { forEachStatement, type SqlStatement } from '../sql/parser';

/** Statement kinds whose whole effect the snapshot reads (or that change no schema). */
const SEEN_KINDS = new Set([
  'CreateStmt',
  'IndexStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CreateDomainStmt',
  'AlterDomainStmt',
  'CompositeTypeStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'ViewStmt',
  'CreateTableAsStmt',
  'RefreshMatViewStmt',
  'CreateFunctionStmt',
  'AlterFunctionStmt',
  'CreateTrigStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'CreateSchemaStmt',
  'CreateExtensionStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'GrantRoleStmt',
  'AlterDatabaseSetStmt',
  // data and session statements: no schema change
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'TruncateStmt',
  'CopyStmt',
  'SelectStmt',
  'VariableSetStmt',
  'TransactionStmt',
  'LockStmt',
  'VacuumStmt',
  'ReindexStmt',
  'ClusterStmt',
  'ExplainStmt',
  'NotifyStmt',
]);

/** Object types (ObjectType in PostgreSQL's parsenodes.h) that a reader of the snapshot covers. */
const SEEN_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_COLUMN',
  'OBJECT_TABCONSTRAINT',
  'OBJECT_DOMCONSTRAINT',
  'OBJECT_INDEX',
  'OBJECT_SEQUENCE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_TYPE',
  'OBJECT_DOMAIN',
  'OBJECT_ATTRIBUTE',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_AGGREGATE',
  'OBJECT_TRIGGER',
  'OBJECT_POLICY',
  'OBJECT_SCHEMA',
  'OBJECT_EXTENSION',
  'OBJECT_ROLE',
  'OBJECT_DATABASE',
]);

/** ALTER TABLE subcommands (AlterTableType in parsenodes.h) whose effect the snapshot reads. */
const SEEN_ALTER_TABLE = new Set([
  'AT_AddColumn',
  'AT_AddColumnToView',
  'AT_ColumnDefault',
  'AT_CookedColumnDefault',
  'AT_DropNotNull',
  'AT_SetNotNull',
  'AT_SetExpression',
  'AT_DropExpression',
  'AT_SetStatistics',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_SetStorage',
  'AT_DropColumn',
  'AT_AddIndex',
  'AT_ReAddIndex',
  'AT_AddConstraint',
  'AT_ReAddConstraint',
  'AT_AlterConstraint',
  'AT_ValidateConstraint',
  'AT_AddIndexConstraint',
  'AT_DropConstraint',
  'AT_AlterColumnType',
  'AT_SetLogged',
  'AT_SetUnLogged',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_ReplaceRelOptions',
  'AT_EnableTrig',
  'AT_EnableAlwaysTrig',
  'AT_EnableReplicaTrig',
  'AT_DisableTrig',
  'AT_EnableTrigAll',
  'AT_DisableTrigAll',
  'AT_EnableTrigUser',
  'AT_DisableTrigUser',
  'AT_ReplicaIdentity',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_EnableRowSecurity',
  'AT_DisableRowSecurity',
  'AT_ForceRowSecurity',
  'AT_NoForceRowSecurity',
  'AT_AttachPartition',
  'AT_DetachPartition',
  'AT_DetachPartitionFinalize',
  'AT_AddIdentity',
  'AT_SetIdentity',
  'AT_DropIdentity',
]);

/** GRANT/REVOKE targets whose privileges the snapshot reads. */
const SEEN_GRANT_OBJECTS = new Set([
  'OBJECT_TABLE',
  'OBJECT_SEQUENCE',
  'OBJECT_SCHEMA',
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_TYPE',
  'OBJECT_DOMAIN',
  'OBJECT_DATABASE',
  'OBJECT_FOREIGN_TABLE',
]);

/** Words for a statement kind in a reason (`DoStmt` → `DO block`). */
const KIND_WORDS: Record<string, string> = {
  DoStmt: 'a DO block (its code runs at apply time and cannot be inspected)',
  AlterOwnerStmt: 'an owner change (owners are not compared)',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES (default privileges are not compared)',
  RuleStmt: 'a rule (rules are not compared)',
  CallStmt: 'a CALL (the procedure runs at apply time and cannot be inspected)',
  CreateEventTrigStmt: 'an event trigger (event triggers are not compared)',
  CreatePublicationStmt: 'a publication (publications are not compared)',
  AlterPublicationStmt: 'a publication change (publications are not compared)',
  CreateStatsStmt: 'extended statistics (not compared)',
  AlterExtensionStmt: 'an extension update (extension versions are not compared)',
  SecLabelStmt: 'a security label (not compared)',
};

// biome-ignore lint/suspicious/noExplicitAny: libpg-query parse-tree nodes
type N = any;

/** Why one statement's effect is not seen by the snapshot, or undefined when it is. */
function unseenReason(st: SqlStatement): string | undefined {
  const n = st.node as N;
  const kind = st.kind;
  if (SEEN_KINDS.has(kind)) return undefined;
  const body = n[kind] ?? {};
  switch (kind) {
    case 'AlterTableStmt': {
      const bad = (body.cmds ?? [])
        .map((c: N) => c.AlterTableCmd?.subtype as string | undefined)
        .filter((t: string | undefined) => !t || !SEEN_ALTER_TABLE.has(t));
      return bad.length
        ? `ALTER TABLE … ${bad.map((t: string | undefined) => (t ?? 'unknown').replace(/^AT_/, '')).join(', ')} (not compared)`
        : undefined;
    }
    case 'DropStmt':
      return SEEN_OBJECTS.has(body.removeType)
        ? undefined
        : `DROP of a ${objectWords(body.removeType)} (not compared)`;
    case 'RenameStmt':
      return SEEN_OBJECTS.has(body.renameType)
        ? undefined
        : `a rename of a ${objectWords(body.renameType)} (not compared)`;
    case 'AlterObjectSchemaStmt':
      return SEEN_OBJECTS.has(body.objectType)
        ? undefined
        : `SET SCHEMA of a ${objectWords(body.objectType)} (not compared)`;
    case 'CommentStmt':
      return SEEN_OBJECTS.has(body.objtype)
        ? undefined
        : `a comment on a ${objectWords(body.objtype)} (not compared)`;
    case 'GrantStmt':
      return SEEN_GRANT_OBJECTS.has(body.objtype)
        ? undefined
        : `GRANT/REVOKE on a ${objectWords(body.objtype)} (not compared)`;
    case 'DefineStmt':
      return body.kind === 'OBJECT_AGGREGATE' ? undefined : `CREATE ${objectWords(body.kind)} (not compared)`;
    case 'AlterDatabaseStmt':
      // only CONNECTION LIMIT is read
      return (body.options ?? []).every((o: N) => o.DefElem?.defname === 'connection_limit')
        ? undefined
        : 'ALTER DATABASE (only settings and the connection limit are compared)';
    default:
      return KIND_WORDS[kind] ?? `${kind.replace(/Stmt$/, '')} (its effect is not compared)`;
  }
}

function objectWords(t: string | undefined): string {
  return (t ?? 'unknown object')
    .replace(/^OBJECT_/, '')
    .toLowerCase()
    .replace(/_/g, ' ');
}

const IRREVERSIBLE_MARKER = /^\s*--\s*IRREVERSIBLE(?: \(all [\d,]+ statements\))?:\s*(.*)$/;
/**
 * The header of a step in a generated down.sql: `-- Step 3 (line 12)…` (line of the statement in
 * migration.sql), or of a run of similar ones: `-- Steps 3–9 (lines 12–18)…` (line of the first).
 */
const STEP_HEADER = /^\s*--\s*(?:Step\s+\d+\s+\(line\s+(\d+)\)|Steps\s+\d+–\d+\s+\(lines\s+(\d+)–\d+)/;
/** Statements that change rows, not the schema: a marker on them does not concern the comparison. */
const DATA_KINDS = new Set([
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'TruncateStmt',
  'CopyStmt',
  'SelectStmt',
]);

/**
 * What unseenEffects needs of one script, gathered statement by statement so that one parse of
 * the script can feed it and other readers (the verifier reads the target migration once for
 * this and for its transaction body: a 10 MB seed migration takes seconds to parse). Feed it
 * every statement of `forEachStatement(sql, …)` in order through `add`; when that parse throws,
 * call `failed(error)` instead. Holds per statement only its kind (by line) and any reason.
 */
export class UnseenReading {
  /** `name:line: why`, in file order. */
  readonly reasons: string[] = [];
  /** The first statement's kind on each 1-based line (the forward migration's, for markers). */
  readonly kinds = new Map<number, string>();
  /** Set by `failed`: the one reason this script gives. */
  private error?: string;
  constructor(readonly name: string) {}
  add(st: SqlStatement): void {
    if (!this.kinds.has(st.line)) this.kinds.set(st.line, st.kind);
    const why = unseenReason(st);
    if (why) this.reasons.push(`${this.name}:${st.line}: ${why}`);
  }
  failed(e: unknown): void {
    this.kinds.clear();
    this.reasons.length = 0;
    this.error = `${this.name}: its statements cannot be read (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`;
  }
  /** The reasons to report: the parse failure alone, or each statement's. */
  result(): string[] {
    return this.error ? [this.error] : this.reasons;
  }
}

/** One script read by PostgreSQL's parser into an UnseenReading (needs `initSqlParser()`). */
export function readUnseen(script: { name: string; sql: string }): UnseenReading {
  const r = new UnseenReading(script.name);
  try {
    forEachStatement(script.sql, undefined, (st) => r.add(st));
  } catch (e) {
    r.failed(e);
  }
  return r;
}

/**
 * Reasons the comparison cannot prove a rollback, one line each (`…/migration.sql:2: a DO block
 * (…)`), in file order: statements of the migration and of the rollback whose effect the
 * snapshot does not read, then `-- IRREVERSIBLE:` markers in the rollback (a step its author
 * says is not undone) — except markers on a step that only changes rows (the down.sql step
 * header `-- Step n (line L)` names the migration statement; INSERT, UPDATE, DELETE… change no
 * schema, and the comparison never claims to restore data). A script that PostgreSQL's parser
 * cannot read yields one reason saying so. Needs `initSqlParser()`. A caller that has already
 * read a script (UnseenReading, fed from its own parse) passes the reading instead of the
 * script, and the script is not parsed again.
 */
export function unseenEffects(
  migration: { name: string; sql: string } | UnseenReading,
  rollback: { name: string; sql: string },
  rollbackReading?: UnseenReading,
): string[] {
  // The kind of each migration statement by line (not the parse trees: a seed migration has
  // tens of thousands, see forEachStatement).
  const forward = migration instanceof UnseenReading ? migration : readUnseen(migration);
  const back = rollbackReading ?? readUnseen(rollback);
  const out = [...forward.result(), ...back.result()];
  const forwardKinds = forward.kinds;
  let stepLine: number | undefined;
  rollback.sql.split(/\r?\n|\r/).forEach((line, i) => {
    const h = STEP_HEADER.exec(line);
    if (h) stepLine = Number(h[1] ?? h[2]);
    const m = IRREVERSIBLE_MARKER.exec(line);
    if (!m) return;
    const kind = stepLine === undefined ? undefined : forwardKinds.get(stepLine);
    if (kind && DATA_KINDS.has(kind)) return;
    out.push(`${rollback.name}:${i + 1}: a step marked IRREVERSIBLE is not undone by it: ${m[1].trim()}`);
  });
  return out;
}
