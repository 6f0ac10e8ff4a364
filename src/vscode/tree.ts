/**
 * The Migrations view: a thin TreeDataProvider over MigrationsRepository.
 * Project (only when more than one) → Environment (only when more than one) → migrations.
 */
import * as vscode from 'vscode';
import {
  diagnosisMessage,
  environmentDescription,
  escapeMarkdown,
  formatDateTime,
  migrationContextValue,
  migrationDescription,
  migrationLabel,
  migrationTooltip,
  type Severity,
  STATE_PRESENTATION,
  shownState,
  sortMigrations,
} from '../core/status/present';
import type { EnvironmentStatus, MigrationStatus } from '../core/status/types';
import { driftOf, onDidChangeDrift } from './drift';
import type { EnvironmentEntry, MigrationsRepository, ProjectEntry } from './repository';
import { readSettings } from './settings';

export type MigrationsNode = ProjectNode | EnvironmentNode | MigrationNode | MessageNode;

export interface ProjectNode {
  kind: 'project';
  entry: ProjectEntry;
}
export interface EnvironmentNode {
  kind: 'environment';
  project: ProjectEntry;
  env: EnvironmentEntry;
}
export interface MigrationNode {
  kind: 'migration';
  project: ProjectEntry;
  env: EnvironmentEntry;
  status: EnvironmentStatus;
  migration: MigrationStatus;
}
export interface MessageNode {
  kind: 'message';
  id: string;
  text: string;
  severity: Severity | 'loading';
  tooltip?: string;
  /** Offers "Set connection string…" for this project and environment. */
  connection?: { project: ProjectEntry; env: EnvironmentEntry };
}

export function isMigrationNode(v: unknown): v is MigrationNode {
  return (
    !!v &&
    typeof v === 'object' &&
    (v as MigrationNode).kind === 'migration' &&
    !!(v as MigrationNode).migration
  );
}

/** The project and environment a node belongs to (for "Set connection string…" from the tree). */
export function connectionTarget(v: unknown): { project: ProjectEntry; env: EnvironmentEntry } | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const n = v as MigrationsNode;
  if (n.kind === 'environment' || n.kind === 'migration') return { project: n.project, env: n.env };
  if (n.kind === 'message') return n.connection;
  return undefined;
}

const SEVERITY_ICON: Record<MessageNode['severity'], vscode.ThemeIcon> = {
  info: new vscode.ThemeIcon('info'),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground')),
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground')),
  loading: new vscode.ThemeIcon('loading~spin'),
};

/** Extra description words and tooltip lines of a migration (its rollback: generated, verified…). */
export type MigrationDecorator = (
  migrationsDir: string,
  name: string,
) => { description?: string; tooltip: string[] } | undefined;

export class MigrationsTreeProvider implements vscode.TreeDataProvider<MigrationsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MigrationsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly driftSubscription: vscode.Disposable;

  constructor(
    private readonly repo: MigrationsRepository,
    private readonly decorate?: MigrationDecorator,
  ) {
    this.subscription = repo.onDidChange(() => this.changed.fire(undefined));
    this.driftSubscription = onDidChangeDrift(() => this.changed.fire(undefined));
  }

  dispose(): void {
    this.subscription.dispose();
    this.driftSubscription.dispose();
    this.changed.dispose();
  }

  getChildren(node?: MigrationsNode): MigrationsNode[] {
    if (!node) {
      this.repo.ensureStarted();
      const state = this.repo.state;
      if (state === 'noWorkspace' || state === 'noProjects' || state === 'notConfigured' || state === 'error')
        return [];
      const projects = this.repo.projects;
      if (projects.length === 0) return [];
      if (projects.length === 1) return this.projectChildren(projects[0]);
      return projects.map((entry) => ({ kind: 'project', entry }));
    }
    switch (node.kind) {
      case 'project':
        return this.projectChildren(node.entry);
      case 'environment':
        return this.environmentChildren(node.project, node.env);
      default:
        return [];
    }
  }

  private projectChildren(project: ProjectEntry): MigrationsNode[] {
    const p = project.project;
    const notes: MigrationsNode[] = p.warnings.map((w, i) => ({
      kind: 'message',
      id: `${p.id}|warning|${i}`,
      text: w,
      severity: 'warning',
      tooltip: w,
    }));
    if (!p.support.supported) {
      return [
        {
          kind: 'message',
          id: `${p.id}|unsupported`,
          text: `Not supported: ${p.support.reason}`,
          severity: 'warning',
          tooltip: p.support.reason,
        },
      ];
    }
    if (project.environments.length === 1)
      return [...notes, ...this.environmentChildren(project, project.environments[0])];
    return [
      ...notes,
      ...project.environments.map((env): MigrationsNode => ({ kind: 'environment', project, env })),
    ];
  }

  private environmentChildren(project: ProjectEntry, env: EnvironmentEntry): MigrationsNode[] {
    const base = `${project.project.id}|${env.name}`;
    const status = env.status;
    if (!status) {
      return [{ kind: 'message', id: `${base}|loading`, text: 'Loading…', severity: 'loading' }];
    }
    const out: MigrationsNode[] = [];
    // In Restricted Mode the view's message already says why nothing was checked.
    const restricted = !vscode.workspace.isTrusted && status.diagnosis.kind === 'notConfigured';
    const msg = restricted ? undefined : diagnosisMessage(status.diagnosis);
    if (msg) {
      out.push({
        kind: 'message',
        id: `${base}|diagnosis`,
        text: msg.text,
        severity: msg.severity,
        tooltip: msg.detail,
        connection: msg.needsConnection ? { project, env } : undefined,
      });
    }
    for (const w of [...(env.resolved?.warnings ?? []), ...status.warnings]) {
      out.push({ kind: 'message', id: `${base}|w|${w}`, text: w, severity: 'warning', tooltip: w });
    }
    const order = readSettings(vscode.Uri.file(project.project.root)).sortOrder;
    for (const migration of sortMigrations(status.migrations, order)) {
      out.push({ kind: 'migration', project, env, status, migration });
    }
    if (status.migrations.length === 0) {
      out.push({
        kind: 'message',
        id: `${base}|empty`,
        text: `No migrations in ${vscode.workspace.asRelativePath(project.project.migrationsDir)}`,
        severity: 'info',
      });
    }
    return out;
  }

  getTreeItem(node: MigrationsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'project':
        return projectItem(node);
      case 'environment':
        return environmentItem(node);
      case 'migration':
        return migrationItem(node, this.decorate?.(node.project.project.migrationsDir, node.migration.name));
      case 'message':
        return messageItem(node);
    }
  }
}

function projectItem(node: ProjectNode): vscode.TreeItem {
  const p = node.entry.project;
  const item = new vscode.TreeItem(p.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `project|${p.id}`;
  item.contextValue = p.support.supported ? 'project' : 'project:unsupported';
  item.iconPath = p.support.supported
    ? new vscode.ThemeIcon('database')
    : new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
  item.description = p.support.supported ? (p.provider ?? '') : 'not supported';
  const md = new vscode.MarkdownString(
    [
      `**${escapeMarkdown(p.label)}**`,
      `Root: ${escapeMarkdown(p.root)}`,
      `Migrations: ${escapeMarkdown(p.migrationsDir)}`,
      p.provider ? `Provider: ${escapeMarkdown(p.provider)}` : '',
      p.prismaMajor ? `Prisma ${p.prismaMajor}` : '',
      p.support.supported ? '' : `Not supported: ${escapeMarkdown(p.support.reason)}`,
    ]
      .filter(Boolean)
      .join('\n\n'),
  );
  item.tooltip = md;
  return item;
}

function environmentItem(node: EnvironmentNode): vscode.TreeItem {
  const { env, project } = node;
  const item = new vscode.TreeItem(env.name, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `env|${project.project.id}|${env.name}`;
  item.contextValue = env.protected ? 'environment:protected' : 'environment';
  const s = env.status;
  const d = s?.diagnosis.kind;
  item.description = !s
    ? 'loading…'
    : !vscode.workspace.isTrusted && s.diagnosis.kind === 'notConfigured'
      ? 'Restricted Mode: not checked'
      : environmentDescription(s);
  item.iconPath =
    !s || env.loading
      ? new vscode.ThemeIcon(s ? 'sync~spin' : 'loading~spin')
      : d === 'unreachable' || d === 'error'
        ? new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'))
        : d === 'notConfigured'
          ? new vscode.ThemeIcon('plug')
          : new vscode.ThemeIcon(env.protected ? 'lock' : 'server-environment');
  const drift = driftOf(project.project.id, env.name, s);
  if (drift?.kind === 'drift') {
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    item.description = `${item.description ?? ''} · drifted`.replace(/^ · /, '');
  }
  const lines = [`**${escapeMarkdown(env.name)}**${env.protected ? ' (protected)' : ''}`];
  if (drift?.kind === 'drift') {
    const first = drift.differences.slice(0, 5).map((d) => `- ${escapeMarkdown(d)}`);
    const more =
      drift.differences.length > first.length
        ? `\n- … and ${drift.differences.length - first.length} more`
        : '';
    lines.push(
      `$(warning) Drifted from its applied migrations (checked ${formatDateTime(drift.checkedAt)}):\n${first.join('\n')}${more}`,
    );
  } else if (drift?.kind === 'none') lines.push(`No drift (checked ${formatDateTime(drift.checkedAt)})`);
  if (s?.target) lines.push(`Database: ${escapeMarkdown(s.target)}`);
  if (env.resolved?.source) lines.push(`Connection string from: ${escapeMarkdown(env.resolved.source)}`);
  if (env.resolved?.problem) lines.push(escapeMarkdown(env.resolved.problem));
  if (s) lines.push(`Checked ${formatDateTime(s.fetchedAt)} in ${s.durationMs.toFixed(0)} ms`);
  item.tooltip = new vscode.MarkdownString(lines.join('\n\n'), true);
  return item;
}

function migrationItem(node: MigrationNode, extra?: ReturnType<MigrationDecorator>): vscode.TreeItem {
  const { migration: m, status } = node;
  const state = shownState(m, status);
  const look = STATE_PRESENTATION[state];
  // The label without the timestamp (the description carries the day); the full name stays in the
  // tooltip and the accessible name.
  const item = new vscode.TreeItem(migrationLabel(m.name), vscode.TreeItemCollapsibleState.None);
  item.id = `migration|${node.project.project.id}|${node.env.name}|${m.name}`;
  item.description = migrationDescription(m, state);
  item.iconPath = new vscode.ThemeIcon(look.icon, look.color ? new vscode.ThemeColor(look.color) : undefined);
  item.contextValue = migrationContextValue(state);
  if (extra?.description) item.description = `${item.description} · ${extra.description}`;
  // The archive badge: what `deploy` archived of this migration on this environment (issue 12).
  const archived = node.env.archive?.migrations.get(m.name);
  if (archived) item.description = `${item.description} · ${archived.badge}`;
  const tooltip = [migrationTooltip(m, status), ...(extra?.tooltip ?? []), ...(archived?.tooltip ?? [])].join(
    '\n\n',
  );
  item.tooltip = new vscode.MarkdownString(tooltip);
  item.accessibilityInformation = { label: `${m.name}, ${item.description}` };
  if (m.local && !m.local.error) {
    item.command = {
      command: 'prismaRollback.openMigration',
      title: 'Open migration.sql',
      arguments: [node],
    };
  }
  return item;
}

function messageItem(node: MessageNode): vscode.TreeItem {
  const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
  item.id = `message|${node.id}`;
  item.iconPath = node.connection
    ? new vscode.ThemeIcon('plug', SEVERITY_ICON[node.severity].color)
    : SEVERITY_ICON[node.severity];
  if (node.tooltip) item.tooltip = node.tooltip;
  item.contextValue = node.connection ? 'message:needsConnection' : 'message';
  if (node.connection) {
    item.command = {
      command: 'prismaRollback.setConnectionString',
      title: 'Set connection string…',
      arguments: [node],
    };
  }
  return item;
}
