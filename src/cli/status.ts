/** `prisma-rollback status` — the migration status of one environment, as a table or JSON. */
import path from 'node:path';
import { connectionUrlProblem, isPostgresUrl, maskUrl } from '../core/db';
import { migrationDate } from '../core/migrations';
import { computeStatus, isUpToDate } from '../core/status';
import {
  formatDateTime,
  formatDay,
  STATE_PRESENTATION,
  shownState,
  stateMoment,
  statesAreKnown,
} from '../core/status/present';
import type { EnvironmentStatus, ProjectDiagnosis } from '../core/status/types';
import { type CliCommand, CliError, flag, has } from './args';
import { pickEnvironment, resolveProject } from './target';

/**
 * One paragraph for an environment's verdict (the `message` of `status --json`'s diagnosis). Never
 * says "up to date" while a migration is failed or edited; names them and the next step.
 */
export function describeDiagnosis(d: ProjectDiagnosis): string {
  switch (d.kind) {
    case 'upToDate':
      return 'Database schema is up to date.';
    case 'failedMigrations': {
      const n = d.failed.length;
      return (
        `${n} migration${n === 1 ? '' : 's'} failed: ${d.failed.join(', ')}. Prisma's migrate deploy refuses to run until ${n === 1 ? 'it is' : 'they are'} resolved: ` +
        `undo what ${n === 1 ? 'it' : 'they'} left applied, then \`prisma-rollback resolve --rolled-back <migration> --env <name>\` (or finish ${n === 1 ? 'it' : 'them'} by hand and resolve --applied).` +
        (d.edited.length ? ` Also edited after they were applied: ${d.edited.join(', ')}.` : '') +
        (d.besides ? ` ${describeDiagnosis(d.besides)}` : '')
      );
    }
    case 'editedMigrations':
      return (
        `${d.edited.length} applied migration${d.edited.length === 1 ? ' was' : 's were'} edited after ${d.edited.length === 1 ? 'it was' : 'they were'} applied (checksum differs): ${d.edited.join(', ')}. ` +
        'The database ran the earlier text; restore the file from version control or create a new migration for the change.' +
        (d.besides ? ` ${describeDiagnosis(d.besides)}` : '')
      );
    case 'noMigrationsTable':
      return 'The database has no _prisma_migrations table yet: no migration has been applied.';
    case 'databaseIsBehind':
      return `${d.unapplied.length} migration(s) not applied yet: ${d.unapplied.join(', ')}`;
    case 'migrationsDirectoryIsBehind':
      return `${d.missingLocally.length} migration(s) in the database are missing locally: ${d.missingLocally.join(', ')}`;
    case 'historiesDiverge':
      return `Local and database histories diverge after ${d.lastCommon ?? '(no common migration)'}: not applied locally-only ${d.unappliedLocal.join(', ') || '—'}; in the database only ${d.missingLocally.join(', ') || '—'}`;
    case 'unreachable':
    case 'notConfigured':
    case 'unsupported':
    case 'error':
      return d.reason;
  }
}

/**
 * `status --json`'s object. When the environment's states were not read (unreachable, not
 * configured, unsupported: core/status/present.ts statesAreKnown), each such migration's `state` is
 * `unknown` and `counts` is null: nothing says they are pending.
 */
export function statusJson(project: string, s: EnvironmentStatus) {
  return {
    project,
    environment: s.environment,
    target: s.target,
    diagnosis: { ...s.diagnosis, message: describeDiagnosis(s.diagnosis) },
    counts: statesAreKnown(s.diagnosis) ? s.counts : null,
    migrations: s.migrations.map((m) => ({
      name: m.name,
      state: shownState(m, s),
      startedAt: m.latest?.startedAt?.toISOString() ?? null,
      finishedAt: m.latest?.finishedAt?.toISOString() ?? null,
      rolledBackAt: m.latest?.rolledBackAt?.toISOString() ?? null,
      appliedSteps: m.latest?.appliedStepsCount ?? null,
      checksumMatches: m.checksumMatches ?? null,
      logs: m.latest?.logs ?? null,
      rows: m.rows.length,
      ...(m.note ? { note: m.note } : {}),
    })),
  };
}

/** The width of the state column: its longest word and two spaces. */
const STATE_WIDTH = Math.max(...Object.values(STATE_PRESENTATION).map((p) => p.word.length)) + 2;

function table(s: EnvironmentStatus): string {
  const lines = s.migrations.map((m) => {
    const when = stateMoment(m);
    const date = migrationDate(m.name);
    return [
      STATE_PRESENTATION[shownState(m, s)].word.padEnd(STATE_WIDTH),
      m.name,
      when ? `  (${when.what} ${formatDateTime(when.at)})` : '',
      !when && date ? `  (created ${formatDay(date)})` : '',
      m.note ? `\n${' '.repeat(STATE_WIDTH)}${m.note}` : '',
    ].join('');
  });
  const c = s.counts;
  const n = s.migrations.length;
  if (!statesAreKnown(s.diagnosis))
    return [
      ...lines,
      '',
      `${n} migration${n === 1 ? '' : 's'} in the folder; their state on ${s.environment} was not read`,
      describeDiagnosis(s.diagnosis),
    ].join('\n');
  const summary = [
    `${c.applied} applied`,
    c.pending && `${c.pending} pending`,
    c.failed && `${c.failed} failed`,
    c.edited && `${c.edited} edited`,
    c.rolledBack && `${c.rolledBack} rolled back`,
    c.missingLocally && `${c.missingLocally} missing locally`,
  ]
    .filter(Boolean)
    .join(' · ');
  return [...lines, '', summary, describeDiagnosis(s.diagnosis)].join('\n');
}

export const statusCommand: CliCommand = {
  name: 'status',
  summary: 'Migration status of one environment (exit 0 up to date, 1 needs attention, 2 error)',
  usage: 'prisma-rollback status [--project DIR] [--migrations DIR] [--env NAME] [--url URL] [--json]',
  booleans: ['json'],
  async run(args, io) {
    const target = await resolveProject(args, io);
    const env = pickEnvironment(target, flag(args, 'env'));
    const given = flag(args, 'url');
    const invalid = given !== undefined ? connectionUrlProblem(given) : undefined;
    if (given !== undefined && (!isPostgresUrl(given) || invalid))
      throw new CliError(
        `--url is not a usable PostgreSQL URL: ${invalid ?? 'it does not start with postgresql://'}.`,
      );
    const url = given ?? env.url;
    const status = await computeStatus({
      environment: env.name,
      migrationsDir: target.migrationsDir,
      url,
      problem: env.problem,
    });
    const label = path.relative(io.cwd, target.project.root) || '.';
    if (has(args, 'json')) io.out(JSON.stringify(statusJson(label, status), null, 2));
    else {
      io.out(`Project ${label} · environment ${env.name}${url ? ` · ${maskUrl(url)}` : ''}`);
      for (const w of [...target.project.warnings, ...env.warnings]) io.err(`warning: ${w}`);
      io.out(table(status));
    }
    const k = status.diagnosis.kind;
    if (k === 'unreachable' || k === 'notConfigured' || k === 'unsupported' || k === 'error') {
      io.err(describeDiagnosis(status.diagnosis));
      return 2;
    }
    return isUpToDate(status) ? 0 : 1;
  },
};
