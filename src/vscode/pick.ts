/**
 * The one way a command finds what it acts on (after GitLens' `commandContext.utils.ts`):
 * 1. the tree item it was run on (context menu of the Migrations view);
 * 2. else the file it was given (CodeLens, explorer menu: a `migration.sql` / `down.sql` Uri);
 * 3. else the migration file in the active editor, when it belongs to a project of the workspace;
 * 4. else it asks (a quick pick; no question when there is only one choice).
 * A refusal (nothing to choose from, a file that is not a migration) is a UserError; a dismissed
 * quick pick resolves to undefined (the command then does nothing).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import { ROLLBACKABLE_STATES } from '../core/runbook/checklist';
import { stateWord } from '../core/status/present';
import { UserError } from './commands/boundary';
import { loadCore } from './core';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from './repository';
import { isMigrationNode, type MigrationsNode } from './tree';

/** The texts of a quick pick (as each command words them). */
export interface Prompt {
  title?: string;
  placeHolder?: string;
}

/** One migration; `project` is unknown for a file outside the workspace's projects, `env` set from a tree item. */
export interface MigrationTarget {
  migrationsDir: string;
  name: string;
  project?: ProjectEntry;
  env?: EnvironmentEntry;
}

const MIGRATION_FILE = /^(migration|down)\.sql$/;

/** The project / environment / migration of a Migrations view item (undefined for anything else). */
function treeItem(
  arg: unknown,
): { project: ProjectEntry; env?: EnvironmentEntry; node: MigrationsNode } | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const n = arg as MigrationsNode;
  if (n.kind === 'project' && n.entry) return { project: n.entry, node: n };
  if ((n.kind === 'environment' || n.kind === 'migration') && n.project && n.env)
    return { project: n.project, env: n.env, node: n };
  if (n.kind === 'message' && n.connection) return { ...n.connection, node: n };
  return undefined;
}

/** A file argument: a Uri, or an absolute path (as `executeCommand` callers may pass). */
function fileArg(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && path.isAbsolute(arg)) return vscode.Uri.file(arg);
  return undefined;
}

/** The migration of the active editor, when it shows a migration.sql / down.sql of a known project. */
function activeMigration(repo: MigrationsRepository): MigrationTarget | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme !== 'file' || !MIGRATION_FILE.test(path.basename(uri.fsPath))) return undefined;
  const found = repo.findMigration(path.join(path.dirname(uri.fsPath), 'migration.sql'));
  return (
    found && { migrationsDir: found.entry.project.migrationsDir, name: found.name, project: found.entry }
  );
}

/** The projects are read before the first question (a command may run before the view was shown). */
async function projectsOf(repo: MigrationsRepository, reason: string): Promise<readonly ProjectEntry[]> {
  if (repo.projects.length === 0) await repo.refresh(reason);
  return repo.projects;
}

export interface MigrationQuery {
  prompt: Prompt;
  /** Refresh reason when the projects are not read yet. */
  reason: string;
  /**
   * What is offered when asking: `local` every migration of the migrations folders (most recent
   * first; for commands that work from migration.sql), `rollbackable` those applied, failed or
   * edited in at least one environment (from the status).
   */
  among: 'local' | 'rollbackable';
  /** The command needs migration.sql: a tree item of a migration that exists only in the database is refused. */
  needsLocal?: boolean;
  /** The command needs the migration's project: a file outside the workspace's projects is refused. */
  needsProject?: boolean;
}

/**
 * The migration a command acts on: tree item → file argument → active editor → quick pick.
 * Resolves to undefined when the user dismisses the quick pick. Throws `UserError` when the tree
 * item exists only in the database but `q.needsLocal`, the file is not a migration.sql/down.sql,
 * or (with `q.needsProject`) its folder belongs to no project; errors of refreshing the projects
 * propagate. Nothing is changed: it only reads and asks.
 */
export async function pickMigration(
  repo: MigrationsRepository,
  arg: unknown,
  q: MigrationQuery,
): Promise<MigrationTarget | undefined> {
  if (isMigrationNode(arg)) {
    if (q.needsLocal && !arg.migration.local)
      throw new UserError(
        `${arg.migration.name} is not in the local migrations folder (it exists only in the database): there is no migration.sql to work from.`,
      );
    return {
      migrationsDir: arg.project.project.migrationsDir,
      name: arg.migration.name,
      project: arg.project,
      env: arg.env,
    };
  }
  const uri = fileArg(arg);
  if (uri) {
    const base = path.basename(uri.fsPath);
    if (!MIGRATION_FILE.test(base))
      throw new UserError(
        `${base} is not a migration: run this on a migration.sql or down.sql in a Prisma migrations folder.`,
      );
    await projectsOf(repo, q.reason);
    const dir = path.dirname(uri.fsPath);
    const found = repo.findMigration(path.join(dir, 'migration.sql'));
    if (!found && q.needsProject)
      throw new UserError(`${path.basename(dir)} does not belong to a Prisma project of this workspace.`);
    return {
      migrationsDir: found?.entry.project.migrationsDir ?? path.dirname(dir),
      name: path.basename(dir),
      project: found?.entry,
    };
  }
  await projectsOf(repo, q.reason);
  const active = activeMigration(repo);
  if (active) return active;
  const items = q.among === 'local' ? await localItems(repo) : rollbackableItems(repo);
  const picked = await vscode.window.showQuickPick(items, { ...q.prompt, matchOnDescription: true });
  return picked?.target;
}

type MigrationItem = vscode.QuickPickItem & { target: MigrationTarget };

/** Every local migration of the supported projects, most recent first. */
async function localItems(repo: MigrationsRepository): Promise<MigrationItem[]> {
  const projects = repo.projects.filter((p) => p.project.support.supported);
  if (projects.length === 0)
    throw new UserError('No Prisma project with a PostgreSQL migrations folder was found in this workspace.');
  const core = await loadCore();
  const items: MigrationItem[] = [];
  for (const p of projects) {
    const folder = await core.readMigrationsFolder(p.project.migrationsDir);
    for (const m of [...folder.migrations].reverse()) {
      items.push({
        label: m.name,
        description: [m.downSqlPath ? 'has down.sql' : '', projects.length > 1 ? p.project.label : '']
          .filter(Boolean)
          .join(' · '),
        target: { migrationsDir: p.project.migrationsDir, name: m.name, project: p },
      });
    }
  }
  if (items.length === 0) throw new UserError('The migrations folder has no migrations yet.');
  return items;
}

/** Migrations applied, failed or edited in at least one environment, most recent first, with where. */
function rollbackableItems(repo: MigrationsRepository): MigrationItem[] {
  const projects = repo.projects.filter((p) => p.environments.length > 0);
  if (projects.length === 0)
    throw new UserError('No Prisma project with a configured environment in this workspace.');
  const items: MigrationItem[] = [];
  for (const p of projects) {
    const names = new Map<string, string[]>();
    for (const env of p.environments) {
      for (const m of env.status?.migrations ?? []) {
        if (ROLLBACKABLE_STATES.has(m.state))
          names.set(m.name, [...(names.get(m.name) ?? []), `${env.name}: ${stateWord(m.state)}`]);
      }
    }
    for (const [name, where] of [...names.entries()].reverse())
      items.push({
        label: name,
        description: [...where, ...(projects.length > 1 ? [p.project.label] : [])].join(' · '),
        target: { migrationsDir: p.project.migrationsDir, name, project: p },
      });
  }
  if (items.length === 0)
    throw new UserError(
      `No migration of ${projects.length === 1 ? projects[0].project.label : 'this workspace'} is applied or failed in any environment: nothing to roll back.`,
    );
  return items;
}

export interface ProjectQuery {
  prompt: Prompt;
  reason: string;
  /** Which projects qualify (default: every project). */
  filter?: (p: ProjectEntry) => boolean;
  /** The refusal when none qualifies. */
  none: string;
}

/**
 * The project a command acts on: tree item → file argument → active editor → the only one → quick
 * pick. Resolves to undefined when the user dismisses the quick pick. Throws `UserError` with
 * `q.none` when no project (after `q.filter`) exists; errors of refreshing the projects propagate.
 * Nothing is changed.
 */
export async function pickProject(
  repo: MigrationsRepository,
  arg: unknown,
  q: ProjectQuery,
): Promise<ProjectEntry | undefined> {
  const fromTree = treeItem(arg);
  if (fromTree) return fromTree.project;
  const projects = (await projectsOf(repo, q.reason)).filter(q.filter ?? (() => true));
  const uri = fileArg(arg) ?? vscode.window.activeTextEditor?.document.uri;
  if (uri?.scheme === 'file' && MIGRATION_FILE.test(path.basename(uri.fsPath))) {
    const found = repo.findMigration(path.join(path.dirname(uri.fsPath), 'migration.sql'));
    if (found && projects.includes(found.entry)) return found.entry;
  }
  if (projects.length === 0) throw new UserError(q.none);
  if (projects.length === 1) return projects[0];
  const picked = await vscode.window.showQuickPick(
    projects.map((p) => ({ label: p.project.label, description: p.project.root, entry: p })),
    q.prompt,
  );
  return picked?.entry;
}

function isProjectList(p: ProjectEntry | readonly ProjectEntry[]): p is readonly ProjectEntry[] {
  return Array.isArray(p);
}

export interface EnvironmentQuery {
  prompt: Prompt;
  /** The refusal when there is no environment to choose from. */
  none: string;
  /** How an environment reads in the quick pick (default: its name, and its server or problem as detail). */
  item?: (e: EnvironmentEntry) => Omit<vscode.QuickPickItem, 'kind'>;
}

/**
 * The project × environment a command acts on: the tree item's → the only one → quick pick.
 * `projects` is the project the command already found, or all of them (then each choice names its
 * project when there are several). Resolves to undefined when the user dismisses the quick pick.
 * Throws `UserError` with `q.none` when none of the projects has an environment. Nothing is changed.
 */
export async function pickEnvironment(
  projects: ProjectEntry | readonly ProjectEntry[],
  arg: unknown,
  q: EnvironmentQuery,
): Promise<{ project: ProjectEntry; env: EnvironmentEntry } | undefined> {
  const list: readonly ProjectEntry[] = isProjectList(projects) ? projects : [projects];
  const fromTree = treeItem(arg);
  // A tree item may hold the entry of an earlier refresh: projects are compared by id.
  if (fromTree?.env && list.some((p) => p.project.id === fromTree.project.project.id))
    return { project: fromTree.project, env: fromTree.env };
  const targets = list.flatMap((project) => project.environments.map((env) => ({ project, env })));
  if (targets.length === 0) throw new UserError(q.none);
  if (targets.length === 1) return targets[0];
  const item: (e: EnvironmentEntry) => Omit<vscode.QuickPickItem, 'kind'> =
    q.item ?? ((e) => ({ label: e.name, detail: e.status?.target ?? e.resolved?.problem }));
  const picked = await vscode.window.showQuickPick(
    targets.map((t) => {
      const i = item(t.env);
      const project = list.length > 1 ? t.project.project.label : undefined;
      return {
        ...i,
        description: [i.description, project].filter(Boolean).join(' · ') || undefined,
        target: t,
      };
    }),
    q.prompt,
  );
  return picked?.target;
}

/** The migration and the project × environment a checklist (or a read-only check of it) acts on. */
export interface ChecklistTarget {
  /** The migration, always with its project (as `pickMigration` found it). */
  migration: MigrationTarget & { project: ProjectEntry };
  /** The project of the chosen environment (as `pickEnvironment` found it; same id as the migration's). */
  project: ProjectEntry;
  env: EnvironmentEntry;
}

export interface ChecklistTargetQuery {
  /** The migration question; the migration must belong to a project of the workspace. */
  migration: Omit<MigrationQuery, 'needsProject'>;
  /** The environment question, worded for the chosen migration (`name`) of `project`. */
  environment: (name: string, project: ProjectEntry) => EnvironmentQuery;
}

/**
 * The target of a checklist: the migration (`pickMigration` with `needsProject`), then the
 * environment of its project (`pickEnvironment`), both from the tree item when run on one.
 * Resolves to undefined when the user dismisses either quick pick. Throws the `UserError`s of
 * `pickMigration` and `pickEnvironment` (`q.environment(...).none` when the project has no
 * environment); errors of refreshing the projects propagate. Nothing is changed: it only reads and asks.
 */
export async function pickChecklistTarget(
  repo: MigrationsRepository,
  arg: unknown,
  q: ChecklistTargetQuery,
): Promise<ChecklistTarget | undefined> {
  const t = await pickMigration(repo, arg, { ...q.migration, needsProject: true });
  if (!t?.project) return undefined;
  const migration = { ...t, project: t.project };
  const picked = await pickEnvironment(t.project, arg, q.environment(t.name, t.project));
  return picked && { migration, project: picked.project, env: picked.env };
}

/**
 * An environment as a quick pick item: its name, with "$(shield) protected" (when it is) and
 * `note` joined by " · " as the description.
 */
export function environmentItem(e: EnvironmentEntry, note: string): Omit<vscode.QuickPickItem, 'kind'> {
  return {
    label: e.name,
    description: [e.protected ? '$(shield) protected' : '', note].filter(Boolean).join(' · '),
  };
}

/** The texts of the project question of `pickConfiguredEnvironment`, as each command words them. */
export interface ConfiguredEnvironmentQuery {
  project: Pick<ProjectQuery, 'prompt' | 'reason'>;
  /** The environment question, worded for the chosen project. */
  environment: (project: ProjectEntry) => EnvironmentQuery;
}

/**
 * The project × environment of a command that acts on an environment (not on one migration): a
 * project with at least one configured environment (`pickProject`), then one of its environments
 * (`pickEnvironment`). Resolves to undefined when the user dismisses either quick pick. Throws
 * `UserError` "No Prisma project with a configured environment in this workspace." when no project
 * has one, and those of `pickEnvironment`; errors of refreshing the projects propagate. Nothing is changed.
 */
export async function pickConfiguredEnvironment(
  repo: MigrationsRepository,
  arg: unknown,
  q: ConfiguredEnvironmentQuery,
): Promise<{ project: ProjectEntry; env: EnvironmentEntry } | undefined> {
  const entry = await pickProject(repo, arg, {
    ...q.project,
    filter: (p) => p.environments.length > 0,
    none: 'No Prisma project with a configured environment in this workspace.',
  });
  return entry && pickEnvironment(entry, arg, q.environment(entry));
}
