import { describe, expect, it } from 'vitest';
import {
  diagnosisMessage,
  environmentDescription,
  escapeMarkdown,
  firstLines,
  formatDuration,
  lensTitle,
  migrationContextValue,
  migrationDescription,
  migrationLabel,
  migrationTooltip,
  noConnectionLine,
  STATE_PRESENTATION,
  shownState,
  sortMigrations,
  summarizeCounts,
  withoutBacktrace,
} from '../../src/core/status/present';
import { formatDateTime } from '../../src/core/status/time';
import type {
  EnvironmentStatus,
  MigrationRow,
  MigrationStatus,
  ProjectDiagnosis,
} from '../../src/core/status/types';

const row = (name: string, over: Partial<MigrationRow> = {}): MigrationRow => ({
  id: `${name}-${Math.random()}`,
  checksum: 'abc',
  migrationName: name,
  startedAt: new Date('2025-11-17T10:00:00Z'),
  finishedAt: new Date('2025-11-17T10:00:01.500Z'),
  logs: null,
  rolledBackAt: null,
  appliedStepsCount: 1,
  ...over,
});

const local = (name: string) => ({
  name,
  dir: `/p/migrations/${name}`,
  sqlPath: `/p/migrations/${name}/migration.sql`,
  sql: 'SELECT 1;',
});

function status(
  migrations: MigrationStatus[],
  diagnosis: ProjectDiagnosis = { kind: 'upToDate' },
  environment = 'local',
): EnvironmentStatus {
  const counts = { applied: 0, pending: 0, failed: 0, rolledBack: 0, edited: 0, missingLocally: 0 };
  for (const m of migrations) counts[m.state]++;
  return {
    environment,
    target: 'db.example.com:5432/app',
    diagnosis,
    migrations,
    counts,
    warnings: [],
    fetchedAt: new Date(),
    durationMs: 3,
  };
}

const applied: MigrationStatus = (() => {
  const r = row('20251117100000_init');
  return {
    name: r.migrationName,
    state: 'applied',
    local: local(r.migrationName),
    rows: [r],
    latest: r,
    checksumMatches: true,
  };
})();
const pending: MigrationStatus = {
  name: '20251118093000_add_posts',
  state: 'pending',
  local: local('20251118093000_add_posts'),
  rows: [],
};
const failed: MigrationStatus = (() => {
  const r = row('20251119000000_bad', {
    finishedAt: null,
    appliedStepsCount: 0,
    logs: Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'),
  });
  return { name: r.migrationName, state: 'failed', local: local(r.migrationName), rows: [r], latest: r };
})();

describe('presentation of a status', () => {
  it('gives each state its own codicon and word', () => {
    const icons = Object.values(STATE_PRESENTATION).map((p) => p.icon);
    expect(new Set(icons).size).toBe(icons.length);
    expect(STATE_PRESENTATION.applied).toMatchObject({ icon: 'pass', word: 'applied' });
    expect(STATE_PRESENTATION.failed).toMatchObject({ icon: 'error' });
    expect(STATE_PRESENTATION.edited).toMatchObject({ icon: 'warning', color: 'charts.yellow' });
    expect(STATE_PRESENTATION.rolledBack.icon).toBe('discard');
    expect(STATE_PRESENTATION.missingLocally.icon).toBe('question');
  });

  it('describes a migration by the date in its folder name and its state', () => {
    expect(migrationDescription(applied, 'applied')).toBe('applied · 2025-11-17');
    // The short word: at 300 px "edited after apply" would go behind the ellipsis.
    expect(migrationDescription(applied, 'edited')).toBe('edited · 2025-11-17');
    expect(migrationDescription({ ...pending, name: 'custom_name' }, 'pending')).toBe('pending');
    expect(migrationDescription({ ...pending, name: '20241301000000_bad_month' }, 'pending')).toBe('pending');
    expect(migrationContextValue('rolledBack')).toBe('migration:rolledBack');
  });

  it('labels a migration in the tree by its name without the timestamp prefix', () => {
    expect(migrationLabel('20240320113000_unique_widget_domain')).toBe('unique_widget_domain');
    // 8 digits is a valid Prisma prefix too.
    expect(migrationLabel('20240320_unique')).toBe('unique');
    // No valid timestamp, or nothing after it: the name whole.
    expect(migrationLabel('20241301000000_bad_month')).toBe('20241301000000_bad_month');
    expect(migrationLabel('custom_name')).toBe('custom_name');
    expect(migrationLabel('20240320113000')).toBe('20240320113000');
    expect(migrationLabel('20240320113000_')).toBe('20240320113000_');
  });

  it('summarizes counts leaving zeros out', () => {
    const s = status([applied, applied, pending, failed]);
    expect(summarizeCounts(s.counts)).toBe('2 applied · 1 pending · 1 failed');
    expect(environmentDescription(s)).toBe('2 applied · 1 pending · 1 failed — db.example.com:5432/app');
    expect(summarizeCounts(status([]).counts)).toBe('no migrations');
    const edited: MigrationStatus = { ...applied, state: 'edited', checksumMatches: false };
    expect(summarizeCounts(status([applied, edited]).counts)).toBe('1 applied · 1 edited');
  });

  it('marks states unknown when the database was not read, and says why', () => {
    const s = status([pending], { kind: 'unreachable', reason: 'Connection refused (db:5432)' });
    expect(shownState(pending, s)).toBe('unknown');
    expect(environmentDescription(s)).toBe('unreachable — db.example.com:5432/app');
    expect(diagnosisMessage(s.diagnosis)).toMatchObject({ severity: 'error', needsConnection: true });
    expect(migrationTooltip(pending, s)).toContain('State not checked: Connection refused');
    expect(diagnosisMessage({ kind: 'notConfigured', reason: 'DATABASE_URL is not set' })?.text).toBe(
      'Not configured: DATABASE_URL is not set',
    );
    expect(diagnosisMessage({ kind: 'upToDate' })).toBeUndefined();
    expect(
      diagnosisMessage({
        kind: 'historiesDiverge',
        lastCommon: 'a_1',
        unappliedLocal: ['b'],
        missingLocally: ['c'],
      })?.text,
    ).toBe('Histories diverge after a_1');
  });

  it('puts applied at, duration, steps and checksum in the tooltip', () => {
    const t = migrationTooltip(applied, status([applied]));
    expect(t).toContain(`Applied at: ${formatDateTime(new Date('2025-11-17T10:00:01Z'))}`);
    expect(t).toContain('Duration: 1.5 s');
    expect(t).toContain('Steps applied: 1');
    expect(t).toContain('Checksum: matches');
    expect(t).toContain('**20251117100000\\_init**');
  });

  it('names both checksums of a migration edited after it was applied', () => {
    const ran = '1a2b3c4d5e6f7a8b'.padEnd(64, '0');
    const now = '9f8e7d6c5b4a3928'.padEnd(64, '1');
    const r = row('20251117100000_init', { checksum: ran });
    const edited: MigrationStatus = {
      ...applied,
      state: 'edited',
      rows: [r],
      latest: r,
      local: { ...local(r.migrationName), checksum: now },
      checksumMatches: false,
    };
    const t = migrationTooltip(edited, status([edited]));
    expect(t).toContain('edited after apply in *local*');
    expect(t).toContain(
      'Checksum: **differs** — migration.sql was edited after it was applied: the database ran `1a2b3c4d5e6f…`, the file now has `9f8e7d6c5b4a…`.',
    );
  });

  it("shows a failed migration's first log lines, and the history of several rows", () => {
    const t = migrationTooltip(failed, status([failed]));
    expect(t).toContain('line 1\n');
    expect(t).toContain('line 8\n… (12 more lines)');
    expect(t).not.toContain('line 9\n');
    const again = row(failed.name, {
      startedAt: new Date('2025-11-20T00:00:00Z'),
      finishedAt: new Date('2025-11-20T00:00:02Z'),
    });
    const rolled = { ...failed.rows[0], rolledBackAt: new Date('2025-11-19T12:00:00Z') };
    const m: MigrationStatus = { ...failed, state: 'applied', rows: [rolled, again], latest: again };
    const h = migrationTooltip(m, status([m]));
    expect(h).toContain('History (2 rows)');
    expect(h).toContain(`rolled back ${formatDateTime(new Date('2025-11-19T12:00:00Z'))}`);
    expect(h).toContain(`applied ${formatDateTime(new Date('2025-11-20T00:00:02Z'))}`);
    expect(h).not.toContain('Failure log');
  });

  it("drops the schema engine's backtrace frames from a failure log", () => {
    // The log Prisma's engine wrote for a failed migration on this machine's PostgreSQL 15.
    const logs = [
      'external connector error',
      'Unique constraint failed: WidgetInstall_domain_key',
      '   0: sql_schema_connector::apply_migration::apply_script',
      '           with migration_name="20240320113000_unique_widget_domain"',
      '             at schema-engine/connectors/sql-schema-connector/src/apply_migration.rs:113',
      '   1: schema_commands::commands::apply_migrations::Applying migration',
      '           with migration_name="20240320113000_unique_widget_domain"',
      '             at schema-engine/commands/src/commands/apply_migrations.rs:95',
    ].join('\n');
    const m: MigrationStatus = {
      ...failed,
      rows: [{ ...failed.rows[0], logs }],
      latest: { ...failed.rows[0], logs },
    };
    const t = migrationTooltip(m, status([m]));
    expect(t).toContain('external connector error\nUnique constraint failed: WidgetInstall_domain_key\n```');
    expect(t).not.toContain('sql_schema_connector');
    expect(withoutBacktrace('   0: only frames')).toBe('   0: only frames');
  });

  it('says when the local file was edited after it was applied', () => {
    const m: MigrationStatus = { ...applied, state: 'edited', checksumMatches: false };
    expect(migrationTooltip(m, status([m]))).toContain('**differs**');
  });

  it('writes one CodeLens line for all environments', () => {
    const local = status(
      [applied, pending],
      { kind: 'databaseIsBehind', unapplied: [pending.name] },
      'local',
    );
    const prod = status(
      [{ ...applied, state: 'pending', rows: [], latest: undefined }],
      { kind: 'databaseIsBehind', unapplied: [] },
      'production',
    );
    const staging = status(
      [applied],
      { kind: 'notConfigured', reason: 'STAGING_DATABASE_URL is not set' },
      'staging',
    );
    expect(
      lensTitle(applied.name, [
        { environment: 'local', status: local },
        { environment: 'staging', status: staging },
        { environment: 'production', status: prod },
        { environment: 'qa', status: undefined },
      ]),
    ).toBe('local: applied 2025-11-17 · staging: not configured · production: pending · qa: loading…');
  });

  it('orders newest first or oldest first without changing the input', () => {
    const list = [applied, pending, failed];
    expect(sortMigrations(list, 'newestFirst').map((m) => m.name)).toEqual([
      failed.name,
      pending.name,
      applied.name,
    ]);
    expect(sortMigrations(list, 'oldestFirst')).toEqual(list);
    expect(list[0]).toBe(applied);
  });

  it('formats durations and escapes markdown', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4200)).toBe('4.2 s');
    expect(formatDuration(192_000)).toBe('3 min 12 s');
    expect(escapeMarkdown('a_b*[c]')).toBe('a\\_b\\*\\[c\\]');
    expect(firstLines('a\r\nb\r\nc', 2)).toBe('a\nb\n… (1 more lines)');
  });
});

describe('noConnectionLine', () => {
  it('ends with exactly one period whether or not the problem has its own, and says "not configured" without one', () => {
    expect(
      noConnectionLine(
        'production',
        'The connection string (DATABASE_URL) is not a PostgreSQL URL: Prisma Rollback works with postgresql:// URLs.',
      ),
    ).toBe(
      'Environment production has no connection string: The connection string (DATABASE_URL) is not a PostgreSQL URL: Prisma Rollback works with postgresql:// URLs.',
    );
    expect(noConnectionLine('staging', 'STAGING_DATABASE_URL is not set')).toBe(
      'Environment staging has no connection string: STAGING_DATABASE_URL is not set.',
    );
    expect(noConnectionLine('local', undefined)).toBe(
      'Environment local has no connection string: not configured.',
    );
  });
});
