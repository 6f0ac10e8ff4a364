/**
 * The inverse of one statement, computed from the schema model as it was just before that
 * statement, and the statement folded into the model. Walking a migration forward with
 * `applyStatement` and emitting the inverses in reverse order yields its rollback: each inverse
 * runs in exactly the state its forward statement left, so names (renamed types, tables) resolve.
 *
 * One file per statement family (the idea of xataio/pgroll's `op_*.go`): table.ts, alter-table.ts,
 * drop.ts, rename.ts, types.ts (enums, domains, composite and range types), objects.ts (views,
 * functions, triggers, policies, extensions, schemas, sequences, comments, grants), dml.ts (data
 * statements, irreversible); common.ts holds what they share. This file only dispatches.
 */
import type { SqlStatement } from '../../sql/parser';
import type { N, SchemaModel } from '../model';
import { alterTable } from './alter-table';
import { irreversible, noop, type StepInverse } from './common';
import { DATA_STATEMENTS, dataStatement, type MigrationContext } from './dml';
import { drop } from './drop';
import {
  comment,
  createExtension,
  createFunction,
  createPolicy,
  createSchema,
  createSequence,
  createTrigger,
  createView,
  grant,
} from './objects';
import { rename } from './rename';
import { createIndex, createTable, createTableAs } from './table';
import { alterEnum, createEnum, createOtherType } from './types';

export type { RollbackWarning, RollbackWarningKind, StepInverse } from './common';
export { WARNING_KIND_WORDS } from './common';
export type { MigrationContext } from './dml';

type Family = (model: SchemaModel, n: N, stmt: SqlStatement, kind: string) => StepInverse;

/** Parse-tree node kind → the family that inverts it. */
const FAMILIES: Record<string, Family> = {
  TransactionStmt: () => noop('transaction control: the rollback has its own transaction'),
  VariableSetStmt: () => noop('session setting: nothing to undo'),
  VariableShowStmt: () => noop('session setting: nothing to undo'),
  CreateStmt: (model, n) => createTable(model, n),
  DropStmt: drop,
  AlterTableStmt: (model, n) => alterTable(model, n),
  RenameStmt: (model, n) => rename(model, n),
  IndexStmt: (model, n) => createIndex(model, n),
  CreateEnumStmt: (model, n) => createEnum(model, n),
  AlterEnumStmt: (model, n) => alterEnum(model, n),
  CompositeTypeStmt: (model, n, stmt, kind) => createOtherType(model, kind, n, stmt),
  CreateDomainStmt: (model, n, stmt, kind) => createOtherType(model, kind, n, stmt),
  CreateRangeStmt: (model, n, stmt, kind) => createOtherType(model, kind, n, stmt),
  ViewStmt: createView,
  CreateTableAsStmt: createTableAs,
  CreateFunctionStmt: createFunction,
  CreateTrigStmt: createTrigger,
  CreatePolicyStmt: createPolicy,
  CreateExtensionStmt: createExtension,
  CreateSchemaStmt: createSchema,
  CreateSeqStmt: createSequence,
  CommentStmt: (model, n) => comment(model, n),
  GrantStmt: (_model, n) => grant(n),
};

/**
 * Computes the inverse of `stmt` against `model` (the schema just before it) and folds the
 * statement into `model`. Never throws for SQL it does not know: those are irreversible steps.
 */
export function applyStatement(model: SchemaModel, stmt: SqlStatement, ctx?: MigrationContext): StepInverse {
  const [kind] = Object.keys(stmt.node);
  const n: N = (stmt.node as N)[kind];
  const family = FAMILIES[kind];
  if (family) return family(model, n, stmt, kind);
  if (DATA_STATEMENTS.has(kind)) return dataStatement(kind, n, ctx);
  return irreversible(
    `${kind.replace(/Stmt$/, '')} statements have no known inverse: undo this step by hand`,
  );
}
