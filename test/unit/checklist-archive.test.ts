/**
 * The checklist's data steps (issue 12): the Backup line names the archive, Apply/Confirm list what
 * it restored, and "Restore values from a backup…" (restoreBackup) is offered after Apply only when
 * the rollback re-created data and no archive held it, as a task running `restore --from`.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ChecklistState,
  createChecklist,
  dataNotes,
  finishStep,
  flowSteps,
  gate,
  nextStep,
  parseChecklist,
  restoreFromBackupOffered,
  STEP_IDS,
  startStep,
} from '../../src/core/runbook/checklist';
import { type CommandContext, stepCommand } from '../../src/core/runbook/commands';
import { formatDateTime } from '../../src/core/status/time';

const key = { projectId: '/work/app', migration: '20250101000000_drop_nickname', environment: 'production' };
const ALL = { generator: true, verifier: true, impact: true };

function fresh(data?: ChecklistState['data']): ChecklistState {
  const s = createChecklist({ key, protected: false, migrationState: 'applied' });
  return data ? { ...s, data } : s;
}

function applied(s: ChecklistState): ChecklistState {
  const r = startStep(s, 'apply', { commandLine: 'apply-down' });
  return finishStep(r, 'apply', { exitCode: 0 });
}

const BASE = [
  'identify',
  'review',
  'script',
  'verify',
  'impact',
  'backup',
  'notify',
  'staging',
  'apply',
  'markRolledBack',
  'confirm',
  'followUp',
];

describe('checklist: restore values from a backup', () => {
  it('is the last step id (ids are appended, never reordered)', () => {
    expect(STEP_IDS[STEP_IDS.length - 1]).toBe('restoreBackup');
  });

  it('is not shown before Apply, nor with an archive, nor when nothing with data is re-created', () => {
    const recreated = fresh({ recreated: ['User.nickname'] });
    expect(flowSteps(recreated)).toEqual(BASE);
    expect(gate(recreated, 'restoreBackup').allowed).toBe(false);
    const archived = applied(
      fresh({ recreated: ['User.nickname'], archive: { rows: 3, takenAt: '2026-11-30T20:00:00.000Z' } }),
    );
    expect(restoreFromBackupOffered(archived)).toBe(false);
    expect(flowSteps(archived)).toEqual(BASE);
    expect(flowSteps(applied(fresh({ recreated: [] })))).toEqual(BASE);
  });

  it('after Apply, re-created data without archive: offered between Apply and Mark rolled back, its gate open', () => {
    const s = applied(fresh({ recreated: ['User.nickname'] }));
    expect(restoreFromBackupOffered(s)).toBe(true);
    expect(flowSteps(s)).toEqual([...BASE.slice(0, 9), 'restoreBackup', ...BASE.slice(9)]);
    expect(gate(s, 'restoreBackup')).toMatchObject({ allowed: true, blockers: [] });
    expect(nextStep(s, ALL)).toBe('identify');
  });

  it('a checklist saved before the step existed parses with it todo', () => {
    const s = fresh();
    const { restoreBackup: _, ...old } = s.steps;
    const parsed = parseChecklist(JSON.stringify({ ...s, steps: old }));
    expect(parsed?.steps.restoreBackup).toEqual({ state: 'todo' });
  });
});

describe('checklist: data notes', () => {
  it('Backup names the archive; Apply and Confirm list what was restored', () => {
    const at = '2026-11-30T20:01:02.000Z';
    const s = fresh({ archive: { rows: 3, takenAt: at }, restored: ['columns of User: 3 rows'] });
    expect(dataNotes(s, formatDateTime)).toEqual({
      backup: `Values this migration destroyed are archived in _prisma_rollback on production (3 rows, taken ${formatDateTime(new Date(at))}); Apply restores them.`,
      apply: 'Restored from the archive: columns of User: 3 rows.',
      confirm: 'Restored from the archive: columns of User: 3 rows.',
    });
  });

  it('without an archive, Backup says what the rollback re-creates empty and that the backup puts it back', () => {
    expect(dataNotes(fresh({ recreated: ['User.nickname', 'Audit'] }), formatDateTime)).toEqual({
      backup:
        'No archive holds what this migration destroyed on production: the rollback re-creates User.nickname, Audit empty. Keep this backup: after Apply, "Restore values from a backup…" puts them back from it.',
    });
    expect(dataNotes(fresh(), formatDateTime)).toEqual({});
  });
});

describe('command line of restoreBackup', () => {
  const root = '/work/app';
  const dir = path.join(root, 'prisma', 'migrations');
  const ctx = (o: Partial<CommandContext> = {}): CommandContext => ({
    runner: 'bundled',
    projectRoot: root,
    migrationsDir: dir,
    migration: key.migration,
    environment: 'production',
    node: '/usr/bin/node',
    cliPath: '/ext/dist/cli.js',
    packageManager: 'npm',
    ...o,
  });
  const tail = ['--project', root, '--migrations', dir, '--env', 'production'];

  it('restore --migration <m> --from <the Backup step file>, with --confirm on a protected target', () => {
    const c = stepCommand('restoreBackup', ctx({ backupFile: '/b/prod.dump', environmentProtected: true }))!;
    expect(c.args).toEqual([
      '/ext/dist/cli.js',
      'restore',
      '--migration',
      key.migration,
      '--from',
      '/b/prod.dump',
      ...tail,
      '--confirm',
      'production',
    ]);
    expect(c.marksRolledBack).toBe(false);
  });

  it('a picked file wins over the backup; no file or a range: no command', () => {
    expect(
      stepCommand('restoreBackup', ctx({ backupFile: '/b/a.dump', restoreFrom: '/b/picked.dump' }))!.args[5],
    ).toBe('/b/picked.dump');
    expect(stepCommand('restoreBackup', ctx())).toBeUndefined();
    expect(
      stepCommand('restoreBackup', ctx({ backupFile: '/b/a.dump', migrations: ['x', 'y'] })),
    ).toBeUndefined();
  });
});
