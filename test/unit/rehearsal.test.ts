/**
 * Where the checklist's rehearsal runs (issue 13, item 4): the decision (planRehearsal), how the
 * checklist keeps it (withRehearsal), the gates, the command line and the words — without VS Code.
 */
import { describe, expect, it } from 'vitest';
import {
  type Capabilities,
  createChecklist,
  finishStep,
  gate,
  notifyMessage,
  parseChecklist,
  startStep,
  stepTaskName,
  withRehearsal,
} from '../../src/core/runbook/checklist';
import { type CommandContext, stepCommand } from '../../src/core/runbook/commands';
import { planRehearsal, type RehearsalCandidate } from '../../src/core/runbook/rehearsal';
import { viewChecklist } from '../../src/core/runbook/view';

const ALL: Capabilities = { generator: true, verifier: true, impact: true };
const M = '20250101000000_add_widgets';
const EARLIER = '20241201000000_init';
const LATER = '20250201000000_add_tags';
const key = { projectId: '/w/app', migration: M, environment: 'production' };

const applied = (...names: string[]) => names.map((name) => ({ name, state: 'applied' }));
const production: RehearsalCandidate = {
  name: 'production',
  protected: true,
  migrations: applied(EARLIER, M),
};
const staging = (o: Partial<RehearsalCandidate> = {}): RehearsalCandidate => ({
  name: 'staging',
  protected: false,
  rehearsal: true,
  migrations: applied(EARLIER, M),
  ...o,
});

describe('planRehearsal', () => {
  it('no environment marked: the dry run on the target, with nothing to explain', () => {
    expect(
      planRehearsal({
        target: 'production',
        migration: M,
        environments: [{ name: 'local', protected: false, migrations: applied(EARLIER, M) }, production],
      }),
    ).toEqual({ kind: 'dryRun', environment: 'production' });
  });

  it('the marked environment has the migration applied (edited counts: it ran there): the real rollback there', () => {
    expect(
      planRehearsal({ target: 'production', migration: M, environments: [staging(), production] }),
    ).toEqual({
      kind: 'rollback',
      environment: 'staging',
      protected: false,
    });
    const edited = staging({
      protected: true,
      migrations: [...applied(EARLIER), { name: M, state: 'edited' }],
    });
    expect(planRehearsal({ target: 'production', migration: M, environments: [production, edited] })).toEqual(
      {
        kind: 'rollback',
        environment: 'staging',
        protected: true,
      },
    );
  });

  it('the migration is not applied there: the dry run on the target, and the step says so in words', () => {
    const pending = staging({ migrations: [...applied(EARLIER), { name: M, state: 'pending' }] });
    expect(
      planRehearsal({ target: 'production', migration: M, environments: [pending, production] }),
    ).toEqual({
      kind: 'dryRun',
      environment: 'production',
      why: `Not applied on staging (the rehearsal environment): ${M} (pending) — there is nothing to roll back there. This step is a dry run on production instead.`,
    });
    const rolledBack = staging({ migrations: [...applied(EARLIER), { name: M, state: 'rolledBack' }] });
    expect(
      planRehearsal({ target: 'production', migration: M, environments: [rolledBack, production] }),
    ).toMatchObject({ kind: 'dryRun', why: expect.stringContaining(`${M} (rolled back)`) });
    const absent = staging({ migrations: applied(EARLIER) });
    expect(
      planRehearsal({ target: 'production', migration: M, environments: [absent, production] }),
    ).toMatchObject({ kind: 'dryRun', why: expect.stringContaining(`${M} (not in its history)`) });
  });

  it("the marked environment's status is not read: the dry run on the target, saying why", () => {
    const unread = staging({ migrations: undefined, problem: 'staging is unreachable' });
    expect(planRehearsal({ target: 'production', migration: M, environments: [unread, production] })).toEqual(
      {
        kind: 'dryRun',
        environment: 'production',
        why: 'The status of staging (the rehearsal environment) is not read (staging is unreachable): it cannot be rehearsed there. This step is a dry run on production instead.',
      },
    );
  });

  it('rolling back the rehearsal environment itself: the dry run there (no other place to rehearse)', () => {
    expect(planRehearsal({ target: 'staging', migration: M, environments: [staging(), production] })).toEqual(
      { kind: 'dryRun', environment: 'staging' },
    );
  });

  it('a range: every migration of it and its target applied there, and no other later one', () => {
    const range = [LATER, M];
    const same = staging({ migrations: applied(EARLIER, M, LATER) });
    expect(
      planRehearsal({ target: 'production', migration: EARLIER, range, environments: [same, production] }),
    ).toEqual({ kind: 'rollback', environment: 'staging', protected: false });
    const more = staging({ migrations: applied(EARLIER, M, LATER, '20250301000000_more') });
    expect(
      planRehearsal({ target: 'production', migration: EARLIER, range, environments: [more, production] }),
    ).toEqual({
      kind: 'dryRun',
      environment: 'production',
      why: `On staging (the rehearsal environment) more migrations are applied after ${EARLIER} than on production (20250301000000_more): rolling back to it there would undo those too. This step is a dry run on production instead.`,
    });
    const fewer = staging({ migrations: applied(EARLIER, M) });
    expect(
      planRehearsal({ target: 'production', migration: EARLIER, range, environments: [fewer, production] }),
    ).toMatchObject({ kind: 'dryRun', why: expect.stringContaining(`${LATER} (not in its history)`) });
  });
});

describe('the checklist with a rehearsal environment', () => {
  const onStaging = { kind: 'rollback', environment: 'staging', protected: false } as const;
  const fresh = () => createChecklist({ key, protected: true, migrationState: 'applied' });
  const ctx = (o: Partial<CommandContext> = {}): CommandContext => ({
    runner: 'bundled',
    projectRoot: '/w/app',
    migrationsDir: '/w/app/prisma/migrations',
    migration: M,
    environment: 'production',
    environmentProtected: true,
    migrationState: 'applied',
    node: '/usr/bin/node',
    cliPath: '/ext/dist/cli.js',
    packageManager: 'npm',
    ...o,
  });

  it('the step names staging, runs apply-down there without a typed name (unprotected), and its pass opens Apply on production', () => {
    const s = withRehearsal(fresh(), onStaging);
    expect(s.rehearsal).toEqual(onStaging);
    // Unchanged plan: the same object (no save, no re-render).
    expect(withRehearsal(s, { ...onStaging })).toBe(s);
    expect(gate(s, 'staging', ALL)).toMatchObject({ allowed: true, typeToConfirm: undefined });
    expect(gate(s, 'apply', ALL).blockers).toContain(
      'The rehearsal on staging has not passed: rehearse, or skip it with a reason.',
    );
    const view = viewChecklist(s, ALL, { projectLabel: 'app', auditLog: '/a', commands: {} });
    const step = view.steps.find((x) => x.id === 'staging')!;
    expect(step.title).toBe('Rehearse on staging');
    expect(step.description).toContain('The rollback runs for real on staging (the rehearsal environment)');

    const cmd = stepCommand('staging', ctx({ rehearsal: onStaging }))!;
    expect(cmd.environment).toBe('staging');
    expect(cmd.marksRolledBack).toBe(true);
    expect(cmd.short).toBe(`prisma-rollback apply-down ${M} --after keep --env staging`);
    expect(cmd.args).not.toContain('--dry-run');
    expect(cmd.args).not.toContain('--confirm');

    const passed = finishStep(startStep(s, 'staging', { caps: ALL }), 'staging', { exitCode: 0 });
    expect(gate(passed, 'apply', ALL).blockers.join(' ')).not.toContain('rehearsal');
    expect(notifyMessage(passed)).toContain('Rehearsal (the rollback) on staging: done.');
    // Done: the plan it ran with stays, even when staging now reads rolled back.
    expect(withRehearsal(passed, { kind: 'dryRun', environment: 'production', why: 'x' })).toBe(passed);
    // Saved and read back.
    expect(parseChecklist(JSON.parse(JSON.stringify(passed)))?.rehearsal).toEqual(onStaging);
  });

  it('a protected rehearsal environment asks for its own name, and apply-down there carries --confirm for it', () => {
    const guarded = { kind: 'rollback', environment: 'staging', protected: true } as const;
    const s = withRehearsal(fresh(), guarded);
    expect(gate(s, 'staging', ALL).typeToConfirm).toBe('staging');
    expect(() => startStep(s, 'staging', { caps: ALL, typed: 'production' })).toThrow(
      "Type the environment's name (staging) to run",
    );
    expect(stepCommand('staging', ctx({ rehearsal: guarded }))!.args.slice(-4)).toEqual([
      '--env',
      'staging',
      '--confirm',
      'staging',
    ]);
  });

  it('configured but not applied there: the dry run on the target, the reason first in the step; a failed dry run still blocks Apply', () => {
    const why = `Not applied on staging (the rehearsal environment): ${M} (pending) — there is nothing to roll back there. This step is a dry run on production instead.`;
    const s = withRehearsal(fresh(), { kind: 'dryRun', environment: 'production', why });
    const step = viewChecklist(s, ALL, { projectLabel: 'app', auditLog: '/a', commands: {} }).steps.find(
      (x) => x.id === 'staging',
    )!;
    expect(step.title).toBe('Rehearse on production');
    expect(step.description.startsWith(why)).toBe(true);
    expect(gate(s, 'staging', ALL).typeToConfirm).toBe('production');
    const cmd = stepCommand('staging', ctx({ rehearsal: s.rehearsal }))!;
    expect(cmd.short).toBe(`prisma-rollback apply-down ${M} --dry-run --env production`);
    const failed = finishStep(startStep(s, 'staging', { caps: ALL, typed: 'production' }), 'staging', {
      exitCode: 1,
    });
    expect(gate(failed, 'apply', ALL).blockers).toContain(
      'The rehearsal on production failed: fix it and rehearse again, or skip the rehearsal with a reason.',
    );
    // Failed: planned again (staging may have been brought up to date meanwhile).
    expect(withRehearsal(failed, onStaging).rehearsal).toEqual(onStaging);
  });

  it('names the task (terminal, progress notification) by where it runs', () => {
    expect(stepTaskName('staging', 'staging')).toBe('Rehearse on staging');
    expect(stepTaskName('apply', 'production')).toBe('Apply to target — production');
  });

  it('a range rehearses apply-down --to on staging', () => {
    const cmd = stepCommand('staging', ctx({ migration: M, migrations: [LATER], rehearsal: onStaging }))!;
    expect(cmd.short).toBe(`prisma-rollback apply-down --to ${M} --env staging`);
  });

  it('a checklist saved before issue 13 (stagingEnvironment) reads without it', () => {
    const old = { ...fresh(), stagingEnvironment: 'staging' };
    const parsed = parseChecklist(JSON.parse(JSON.stringify(old)))!;
    expect('stagingEnvironment' in parsed).toBe(false);
    expect(parsed.rehearsal).toBeUndefined();
  });
});
