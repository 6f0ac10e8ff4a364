/** The checklist state machine without VS Code: gates, overrides, persistence, audit log, command lines, protocol. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactSecrets } from '../../src/core/db';
import { appendAudit, auditEntry, auditLogPath, readAudit } from '../../src/core/runbook/audit';
import {
  type Capabilities,
  type ChecklistState,
  canStartRollback,
  completeStep,
  confirmOutcome,
  createChecklist,
  endCheck,
  finishStep,
  flowSteps,
  gate,
  interruptStep,
  nextStep,
  notifyMessage,
  overrideGate,
  parseChecklist,
  rangeToRollBack,
  recoverInterrupted,
  resetStep,
  STEP_IDS,
  savedChecklistFits,
  skipStep,
  startStep,
  storageKey,
} from '../../src/core/runbook/checklist';
import {
  type CommandContext,
  detectPackageManager,
  detectSupabase,
  stepCommand,
} from '../../src/core/runbook/commands';
import { parseWebviewMessage } from '../../src/core/runbook/protocol';
import { viewChecklist } from '../../src/core/runbook/view';
import { formatDateTime } from '../../src/core/status/time';

const ALL: Capabilities = { generator: true, verifier: true, impact: true };
const NONE: Capabilities = { generator: false, verifier: false, impact: false };
const key = { projectId: '/work/app', migration: '20250101000000_add_widgets', environment: 'production' };
const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));

function production(): ChecklistState {
  return createChecklist({
    key,
    protected: true,
    migrationState: 'applied',
    now: t(0),
  });
}

function runTask(
  s: ChecklistState,
  id: (typeof STEP_IDS)[number],
  exitCode: number,
  detail?: Record<string, string | number | boolean>,
  typed?: string,
) {
  return finishStep(startStep(s, id, { commandLine: `cmd ${id}`, typed, caps: ALL, now: t(1) }), id, {
    exitCode,
    detail,
    now: t(5),
  });
}

describe('checklist model', () => {
  it('has the twelve steps of the runbook, all todo; the rehearsal is a dry run on the target, also without another environment', () => {
    const alone = createChecklist({ key, protected: true });
    expect(flowSteps(alone)).toEqual([
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
    ]);
    expect(STEP_IDS.filter((id) => alone.steps[id].state === 'todo')).toHaveLength(17);
    expect(alone.flow).toBe('rollback');
    // it takes the same locks as the real run: on a protected target it asks for the name too
    expect(gate(alone, 'staging')).toMatchObject({ allowed: true, typeToConfirm: 'production' });
    const view = viewChecklist(alone, ALL, { projectLabel: 'app', auditLog: '/a', commands: {} });
    expect(view.steps.find((x) => x.id === 'staging')!.title).toBe('Rehearse on production');
  });

  it('protected target: apply stays disabled until backup is done, verification passed and the rehearsal passed, then asks for the environment name', () => {
    let s = production();
    expect(gate(s, 'apply', ALL)).toMatchObject({
      allowed: false,
      overridable: true,
      typeToConfirm: 'production',
    });
    expect(gate(s, 'apply', ALL).blockers).toEqual([
      'Backup is not done.',
      'The rollback has not passed verification.',
      'The rehearsal on production has not passed: rehearse, or skip it with a reason.',
    ]);
    expect(() => startStep(s, 'apply', { typed: 'production', caps: ALL })).toThrow(
      /cannot run yet: Backup is not done/,
    );

    s = runTask(s, 'backup', 0, { file: '/tmp/b.dump', bytes: 1234 });
    expect(s.steps.backup).toMatchObject({
      state: 'done',
      exitCode: 0,
      commandLine: 'cmd backup',
      startedAt: t(1).toISOString(),
      finishedAt: t(5).toISOString(),
    });
    expect(gate(s, 'apply', ALL).blockers).toEqual([
      'The rollback has not passed verification.',
      'The rehearsal on production has not passed: rehearse, or skip it with a reason.',
    ]);

    // A verification with differences does not open the gate.
    const bad = endCheck(startStep(s, 'verify', { caps: ALL }), 'verify', {
      ok: false,
      reason: '2 differences',
      detail: { result: 'differences' },
    });
    expect(bad.steps.verify).toMatchObject({ state: 'failed', reason: '2 differences' });
    // On screen, codes read as words; the recorded state keeps the code.
    const shown = viewChecklist(bad, ALL, {
      projectLabel: 'app',
      auditLog: 'a.jsonl',
      commands: {},
      dependents: [{ name: 'b', reasons: [], state: 'rolledBack' }],
    });
    expect(shown.steps.find((x) => x.id === 'verify')?.detail?.result).toBe('differences found');
    expect(shown.dependents?.[0].state).toBe('rolled back');
    expect(gate(bad, 'apply', ALL).allowed).toBe(false);

    expect(() => completeStep(s, 'verify', { result: 'verified' }, t(6), ALL)).toThrow(
      /done when its check passes/,
    );
    s = endCheck(startStep(s, 'verify', { caps: ALL }), 'verify', {
      ok: true,
      detail: { result: 'verified' },
      now: t(6),
    });
    // A failed rehearsal keeps Apply closed and says so; one that passed opens it.
    const failedRehearsal = runTask(s, 'staging', 1, undefined, 'production');
    expect(gate(failedRehearsal, 'apply', ALL).blockers).toEqual([
      'The rehearsal on production failed: fix it and rehearse again, or skip the rehearsal with a reason.',
    ]);
    expect(
      gate(skipStep(failedRehearsal, 'staging', 'rehearsed on a copy of production'), 'apply', ALL),
    ).toMatchObject({
      allowed: true,
      blockers: [],
    });
    s = runTask(s, 'staging', 0, undefined, 'production');
    expect(gate(s, 'apply', ALL)).toMatchObject({ allowed: true, blockers: [] });
    expect(() => startStep(s, 'apply', { caps: ALL })).toThrow(/Type the environment's name \(production\)/);
    expect(() => startStep(s, 'apply', { typed: 'Production', caps: ALL })).toThrow(
      /Type the environment's name/,
    );
    const running = startStep(s, 'apply', {
      typed: 'production',
      caps: ALL,
      commandLine: 'node cli.js apply-down',
    });
    expect(running.steps.apply.state).toBe('running');
    expect(gate(running, 'apply', ALL).allowed).toBe(false);
  });

  it('a failed backup keeps the gate closed; skipping backup does not satisfy it either', () => {
    let s = runTask(production(), 'backup', 1);
    expect(s.steps.backup).toMatchObject({ state: 'failed', exitCode: 1, reason: 'Exit code 1.' });
    expect(gate(s, 'apply', ALL).blockers).toContain('Backup is not done.');
    s = skipStep(s, 'backup', 'we have a snapshot from the provider');
    expect(gate(s, 'apply', ALL).blockers).toContain('Backup is not done.');
  });

  it('overrides need a typed reason, are recorded, open the gate but still require the typed name', () => {
    const s = production();
    expect(() => overrideGate(s, 'apply', 'because')).toThrow(/at least 10 characters/);
    const o = overrideGate(s, 'apply', '  Provider snapshot taken at 11:58, verified by hand  ', t(9));
    expect(o.overrides).toEqual([
      {
        step: 'apply',
        gate: 'Backup is not done. The rollback has not passed verification. The rehearsal on production has not passed: rehearse, or skip it with a reason.',
        reason: 'Provider snapshot taken at 11:58, verified by hand',
        at: t(9).toISOString(),
      },
    ]);
    expect(gate(o, 'apply', ALL)).toMatchObject({
      allowed: true,
      overridable: true,
      typeToConfirm: 'production',
    });
    expect(() => startStep(o, 'apply', { caps: ALL })).toThrow(/Type the environment's name/);
    expect(startStep(o, 'apply', { typed: 'production', caps: ALL }).steps.apply.state).toBe('running');
    // The original state is untouched (pure functions).
    expect(s.overrides).toEqual([]);
    // Nothing to override on an unprotected target.
    const local = createChecklist({
      key: { ...key, environment: 'local' },
      protected: false,
      migrationState: 'applied',
    });
    expect(() => overrideGate(local, 'apply', 'a perfectly fine reason')).toThrow(/cannot be overridden/);
    expect(gate(local, 'apply', ALL)).toMatchObject({ allowed: true, typeToConfirm: undefined });
  });

  it('apply is refused when the migration is not applied there, whatever the overrides', () => {
    const s = createChecklist({ key, protected: false, migrationState: 'other' });
    expect(gate(s, 'apply', ALL)).toMatchObject({ allowed: false, overridable: false });
    expect(gate(s, 'apply', ALL).blockers[0]).toMatch(/not applied in production/);
  });

  it('a closed terminal marks the step failed (interrupted), never done; a reload recovers running steps as interrupted', () => {
    let s = startStep(production(), 'backup', { commandLine: 'x', caps: ALL, now: t(1) });
    const i = interruptStep(s, 'backup', undefined, t(2));
    expect(i.steps.backup).toMatchObject({
      state: 'failed',
      exitCode: null,
      reason: expect.stringMatching(/^Interrupted/),
    });
    s = recoverInterrupted(parseChecklist(JSON.stringify(s))!, t(3));
    expect(s.steps.backup.state).toBe('failed');
    expect(s.steps.backup.reason).toMatch(/reloaded or closed/);
    expect(() => finishStep(s, 'backup', { exitCode: 0 })).toThrow(/not running/);
  });

  it('steps whose capability has not landed read "not available yet" and cannot be completed or run', () => {
    const s = production();
    expect(gate(s, 'verify', NONE)).toMatchObject({
      allowed: false,
      blockers: [expect.stringMatching(/^Not available yet: the embedded verifier/)],
    });
    expect(() => startStep(s, 'verify', { caps: NONE })).toThrow(/Not available yet/);
    expect(() => completeStep(s, 'verify', { result: 'verified' }, undefined, NONE)).toThrow(
      /done when its check passes/,
    );
    expect(() => startStep(s, 'script', { caps: NONE })).toThrow(/Not available yet/);
    const v = viewChecklist(s, NONE, { projectLabel: 'app', auditLog: 'a.jsonl', commands: {} });
    expect(v.steps.filter((x) => !x.available).map((x) => x.id)).toEqual(['script', 'verify', 'impact']);
    expect(v.steps.find((x) => x.id === 'verify')?.unavailableReason).toMatch(/Not available yet/);
    // …and the apply gate stays closed on a protected target (override with a reason is the way).
    expect(v.steps.find((x) => x.id === 'apply')).toMatchObject({ allowed: false, overridable: true });
  });

  it('task steps are done only through their exit code; apply-down that marks the rollback skips step 10', () => {
    let s = createChecklist({
      key: { ...key, environment: 'local' },
      protected: false,
      migrationState: 'applied',
    });
    expect(() => completeStep(s, 'backup')).toThrow(/done when its command succeeds/);
    expect(gate(s, 'markRolledBack', ALL).blockers).toEqual(['Apply to target is not done.']);
    s = runTask(s, 'apply', 0, { marksRolledBack: true });
    expect(s.steps.markRolledBack).toMatchObject({
      state: 'skipped',
      reason: expect.stringContaining('apply-down already recorded'),
    });
    let p = createChecklist({
      key: { ...key, environment: 'local' },
      protected: false,
      migrationState: 'applied',
      runner: 'prismaCli',
    });
    p = runTask(p, 'apply', 0, { marksRolledBack: false });
    expect(p.steps.markRolledBack.state).toBe('todo');
    expect(gate(p, 'markRolledBack', ALL).allowed).toBe(true);
    expect(nextStep(p, ALL)).toBe('identify');
    expect(resetStep(p, 'apply').steps.apply).toEqual({ state: 'todo' });
    expect(() => skipStep(p, 'notify', '   ')).toThrow(/Say why/);
  });

  it('after the bundled apply-down, step 10 reads skipped with when it was recorded and cannot run (resolve would exit 1)', () => {
    const reason = `apply-down already recorded the rollback in _prisma_migrations at ${formatDateTime('2026-01-01T12:00:05Z')} (same transaction): nothing is left to mark.`;
    let s = createChecklist({
      key: { ...key, environment: 'local' },
      protected: false,
      migrationState: 'applied',
    });
    s = runTask(s, 'apply', 0, { marksRolledBack: true });
    expect(s.steps.markRolledBack).toEqual({ state: 'skipped', reason, finishedAt: t(5).toISOString() });
    // The Run button stays disabled, with the reason; running it anyway is refused before any command.
    expect(gate(s, 'markRolledBack', ALL)).toMatchObject({
      allowed: false,
      blockers: [reason],
      overridable: false,
    });
    expect(() => startStep(s, 'markRolledBack', { caps: ALL })).toThrow(/already recorded the rollback/);
    const v = viewChecklist(s, ALL, { projectLabel: 'app', auditLog: 'a.jsonl', commands: {} });
    expect(v.steps.find((x) => x.id === 'markRolledBack')).toMatchObject({
      state: 'skipped',
      reason,
      allowed: false,
    });
    // Reset brings the reason back rather than a runnable step.
    expect(resetStep(s, 'markRolledBack').steps.markRolledBack).toMatchObject({ state: 'skipped', reason });
    expect(nextStep(s, ALL)).not.toBe('markRolledBack');
    // A state saved by an older build, where step 10 was run and failed with exit code 1, is repaired on load.
    const old: ChecklistState = JSON.parse(JSON.stringify(s));
    old.steps.markRolledBack = { state: 'failed', exitCode: 1, reason: 'Exit code 1.' };
    expect(recoverInterrupted(old).steps.markRolledBack).toMatchObject({ state: 'skipped', reason });
    expect(recoverInterrupted(s)).toBe(s);
    // A failed apply-down recorded nothing: step 10 stays blocked behind Apply, not skipped.
    const failedApply = runTask(
      createChecklist({ key: { ...key, environment: 'local' }, protected: false, migrationState: 'applied' }),
      'apply',
      1,
      { marksRolledBack: true },
    );
    expect(failedApply.steps.markRolledBack.state).toBe('todo');
    expect(gate(failedApply, 'markRolledBack', ALL).blockers).toEqual(['Apply to target is not done.']);
  });

  it('prismaCli: db execute records nothing, so step 10 stays a real step that runs and turns done by its exit code', () => {
    let p = createChecklist({
      key: { ...key, environment: 'local' },
      protected: false,
      migrationState: 'applied',
      runner: 'prismaCli',
    });
    p = runTask(p, 'apply', 0, { marksRolledBack: false });
    expect(p.steps.markRolledBack.state).toBe('todo');
    expect(gate(p, 'markRolledBack', ALL)).toMatchObject({ allowed: true, blockers: [] });
    const ran = runTask(p, 'markRolledBack', 0);
    expect(ran.steps.markRolledBack).toMatchObject({
      state: 'done',
      exitCode: 0,
      commandLine: 'cmd markRolledBack',
    });
    expect(runTask(p, 'markRolledBack', 1).steps.markRolledBack).toMatchObject({
      state: 'failed',
      exitCode: 1,
    });
    expect(resetStep(ran, 'markRolledBack').steps.markRolledBack).toEqual({ state: 'todo' });
  });

  it('"Start Rollback…" (CodeLens, pickers) applies when the migration is applied, failed or edited in at least one environment', () => {
    expect(canStartRollback(['pending', 'applied'])).toBe(true);
    expect(canStartRollback([undefined, 'failed'])).toBe(true);
    expect(canStartRollback(['edited'])).toBe(true);
    expect(canStartRollback(['pending', 'rolledBack', 'missingLocally', undefined])).toBe(false);
    expect(canStartRollback([])).toBe(false);
  });

  it('persists as JSON and comes back equal; junk is rejected', () => {
    let s = runTask(production(), 'backup', 0, { file: '/tmp/x.dump', bytes: 42 });
    s = overrideGate(s, 'apply', 'verified by hand on a copy of production');
    const back = parseChecklist(JSON.parse(JSON.stringify(s)));
    expect(back).toEqual(s);
    expect(parseChecklist(JSON.stringify(s))).toEqual(s);
    expect(parseChecklist('{')).toBeUndefined();
    expect(parseChecklist({ ...s, version: 2 })).toBeUndefined();
    expect(parseChecklist({ ...s, steps: { ...s.steps, apply: { state: 'finished' } } })).toBeUndefined();
    expect(parseChecklist({ ...s, runner: 'curl' })).toBeUndefined();
    expect(storageKey(key)).toBe('prismaRollback.checklist:/work/app:20250101000000_add_widgets:production');
  });

  it('confirm reads rolled back only when the status says so', () => {
    expect(confirmOutcome({ state: 'rolledBack' }).ok).toBe(true);
    expect(confirmOutcome({ state: 'applied', latest: { rolledBackAt: null } })).toEqual({
      ok: false,
      reason: 'The migration reads applied, not rolled back.',
    });
    expect(
      confirmOutcome({ state: 'missingLocally', latest: { rolledBackAt: '2026-01-01T00:00:00Z' } }).ok,
    ).toBe(true);
    expect(confirmOutcome(undefined).ok).toBe(false);
  });

  it('notify message names migration, environment, backup and plan', () => {
    const s = runTask(production(), 'backup', 0, { file: '/backups/prod.dump' });
    const text = notifyMessage(s, { window: '14:00–14:15 UTC', dependents: ['20250102000000_more'] });
    expect(text).toContain('rolling back migration 20250101000000_add_widgets on production (protected)');
    expect(text).toContain('Backup: /backups/prod.dump.');
    expect(text).toContain('Window: 14:00–14:15 UTC.');
    expect(text).toContain('Rehearsal (dry run) on production: todo.');
    expect(text).toContain('20250102000000_more');
  });
});

describe('audit log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-audit-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('appends JSON lines with step, command, exit code, backup path and override reasons — never a password', async () => {
    const file = auditLogPath(dir);
    expect(file).toBe(path.join(dir, '.prisma-rollback', 'audit.jsonl'));
    expect(auditLogPath(dir, '/var/log/rb.jsonl')).toBe('/var/log/rb.jsonl');
    const secretUrl = 'postgresql://admin:S3cr3t-Pa55@db.example.com:5432/app?sslmode=require';
    await appendAudit(
      file,
      auditEntry(
        key,
        'app',
        {
          step: 'backup',
          event: 'finish',
          commandLine: `pg_dump ${secretUrl}`,
          exitCode: 0,
          backupPath: '/b/prod.dump',
        },
        t(1),
      ),
    );
    await appendAudit(
      file,
      auditEntry(
        key,
        'app',
        {
          step: 'apply',
          event: 'override',
          reason: `backup exists, see ${secretUrl}`,
          detail: { env: `PGPASSWORD=S3cr3t-Pa55` },
        },
        t(2),
      ),
    );
    await appendAudit(
      file,
      auditEntry(key, 'app', { step: 'apply', event: 'failed', exitCode: 1, reason: 'Exit code 1.' }, t(3)),
    );
    const raw = await fs.readFile(file, 'utf8');
    expect(raw).not.toContain('S3cr3t-Pa55');
    expect(raw.trim().split('\n')).toHaveLength(3);
    const entries = await readAudit(file);
    expect(entries[0]).toEqual({
      time: t(1).toISOString(),
      project: 'app',
      migration: key.migration,
      environment: 'production',
      step: 'backup',
      event: 'finish',
      commandLine: 'pg_dump postgresql://admin:***@db.example.com:5432/app?sslmode=require',
      exitCode: 0,
      backupPath: '/b/prod.dump',
    });
    expect(entries[1]).toMatchObject({
      event: 'override',
      reason: expect.stringContaining('admin:***@db.example.com'),
      detail: { env: 'PGPASSWORD=***' },
    });
    expect(entries[2]).toMatchObject({ step: 'apply', event: 'failed', exitCode: 1 });
    expect(redactSecrets('password=hunter2 and postgres://u:p@h/d.')).toBe(
      'password=*** and postgres://u:***@h/d.',
    );
  });
});

describe('resolve-failed flow', () => {
  const failedKey = { projectId: 'p', migration: '20250101000000_add_widgets', environment: 'production' };
  const assessed = (verdict: string, prot = false) => {
    let s = createChecklist({ key: failedKey, protected: prot, migrationState: 'failed' });
    s = endCheck(startStep(s, 'assess'), 'assess', { ok: verdict !== 'couldNotCheck', detail: { verdict } });
    return s;
  };

  it('could not check: "Mark rolled back" only with a recorded reason, then without the check', () => {
    const s = assessed('couldNotCheck');
    expect(gate(s, 'markRolledBack')).toMatchObject({ allowed: false, overridable: true });
    const o = overrideGate(s, 'markRolledBack', 'replay needs an extension; checked by hand');
    expect(gate(o, 'markRolledBack').allowed).toBe(true);
  });

  it('protected: running the undo script needs the backup (or a reason) and the typed name; after one resolution the others close', () => {
    let s = assessed('partial', true);
    s = finishStep(startStep(s, 'writePartial'), 'writePartial', { exitCode: 0, detail: { file: '/f.sql' } });
    expect(gate(s, 'runPartial')).toMatchObject({
      allowed: false,
      blockers: ['Backup is not done.'],
      overridable: true,
      typeToConfirm: 'production',
    });
    s = finishStep(startStep(s, 'backup'), 'backup', { exitCode: 0 });
    s = finishStep(startStep(s, 'runPartial', { typed: 'production' }), 'runPartial', { exitCode: 0 });
    expect(gate(s, 'markApplied').allowed).toBe(false);
    expect(gate(s, 'confirm').allowed).toBe(true);
    // A later "What it left" that reads nothing left does not hide what ran.
    s = endCheck(startStep(s, 'assess'), 'assess', { ok: true, detail: { verdict: 'nothingLeft' } });
    expect(flowSteps(s)).toContain('runPartial');
    expect(gate(s, 'markRolledBack').blockers).toEqual([
      '"Undo what it left and mark rolled back" already resolved it.',
    ]);
  });

  it("the view: the failed flow is numbered 1..n, names Prisma's log, and has no Apply", () => {
    let s = createChecklist({ key: failedKey, protected: false, migrationState: 'failed' });
    s = endCheck(startStep(s, 'identify'), 'identify', {
      ok: true,
      detail: { state: 'failed', log: 'Database error code: 23505' },
    });
    const v = viewChecklist(s, ALL, { projectLabel: 'app', auditLog: '/a', commands: {} });
    expect(v.title).toBe('Resolve failed migration 20250101000000_add_widgets on production');
    expect(v.failureLog).toBe('Database error code: 23505');
    expect(v.steps.map((x) => `${x.number}. ${x.title}`)).toEqual([
      '1. Identify',
      '2. What it left',
      '3. Backup',
      '4. Confirm',
    ]);
  });

  it('a checklist saved before the new steps existed still loads; a rollback runbook saved before the migration failed does not fit', () => {
    const old = createChecklist({ key: failedKey, protected: false, migrationState: 'applied' });
    const saved = JSON.parse(JSON.stringify(old));
    for (const id of ['assess', 'writePartial', 'runPartial', 'markApplied']) delete saved.steps[id];
    delete saved.flow;
    const parsed = parseChecklist(saved)!;
    expect(parsed.steps.assess).toEqual({ state: 'todo' });
    expect(savedChecklistFits(parsed, [{ name: failedKey.migration, state: 'failed' }])).toBe(false);
    expect(savedChecklistFits(parsed, [{ name: failedKey.migration, state: 'rolledBack' }])).toBe(true);
  });
});

describe('command lines', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-cmd-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });
  const ctx = (o: Partial<CommandContext> = {}): CommandContext => ({
    runner: 'bundled',
    projectRoot: root,
    migrationsDir: path.join(root, 'prisma', 'migrations'),
    migration: '20250101000000_add_widgets',
    environment: 'production',
    migrationState: 'applied',
    node: '/usr/bin/node',
    cliPath: '/ext/dist/cli.js',
    packageManager: 'npm',
    ...o,
  });

  it('resolve-failed flow: the undo script is written by down --partial (no --confirm), run by apply-down with it, marked applied by resolve --applied', () => {
    const m = '20250101000000_add_widgets';
    const dir = path.join(root, 'prisma', 'migrations');
    const file = path.join(dir, m, 'down.partial.production.sql');
    const c = ctx({ migrationState: 'failed', environmentProtected: true });
    const tail = ['--project', root, '--migrations', dir, '--env', 'production'];
    expect(stepCommand('writePartial', c)!.args).toEqual([
      '/ext/dist/cli.js',
      'down',
      m,
      '--partial',
      '--out',
      file,
      '--force',
      ...tail,
    ]);
    const run = stepCommand('runPartial', c)!;
    expect(run.args).toEqual([
      '/ext/dist/cli.js',
      'apply-down',
      m,
      '--file',
      file,
      ...tail,
      '--confirm',
      'production',
    ]);
    expect(run.marksRolledBack).toBe(true);
    expect(stepCommand('markApplied', c)!.args).toEqual([
      '/ext/dist/cli.js',
      'resolve',
      '--applied',
      m,
      ...tail,
      '--confirm',
      'production',
    ]);
    expect(stepCommand('markApplied', { ...c, runner: 'prismaCli' })!.args).toEqual([
      'prisma',
      'migrate',
      'resolve',
      '--applied',
      m,
    ]);
    expect(stepCommand('markRolledBack', { ...c, skipDriftCheck: true })!.args.slice(1, 5)).toEqual([
      'resolve',
      '--rolled-back',
      m,
      '--skip-drift-check',
    ]);
  });

  it('bundled: apply-down with the file, the env and never a URL', () => {
    const c = stepCommand('apply', ctx())!;
    expect(c.command).toBe('/usr/bin/node');
    expect(c.args).toEqual([
      '/ext/dist/cli.js',
      'apply-down',
      '20250101000000_add_widgets',
      '--file',
      path.join(root, 'prisma', 'migrations', '20250101000000_add_widgets', 'down.sql'),
      '--after',
      'keep',
      '--project',
      root,
      '--migrations',
      path.join(root, 'prisma', 'migrations'),
      '--env',
      'production',
    ]);
    expect(c.marksRolledBack).toBe(true);
    const dry = stepCommand('staging', ctx())!;
    expect([dry.environment, dry.marksRolledBack]).toEqual(['production', false]);
    expect(dry.args.slice(1, 6)).toEqual([
      'apply-down',
      '20250101000000_add_widgets',
      '--file',
      path.join(root, 'prisma', 'migrations', '20250101000000_add_widgets', 'down.sql'),
      '--dry-run',
    ]);
    const b = stepCommand(
      'backup',
      ctx({ backupFile: '/b/x.dump', pgDumpPath: '/opt/pg16/bin/pg_dump', backupTablesOnly: true }),
    )!;
    expect(b.display).toBe(
      `/usr/bin/node /ext/dist/cli.js backup --out /b/x.dump --format custom --tables-of 20250101000000_add_widgets --pg-dump-path /opt/pg16/bin/pg_dump --project ${root} --migrations ${path.join(root, 'prisma', 'migrations')} --env production`,
    );
    expect(stepCommand('notify', ctx())).toBeUndefined();
  });

  it('the short line is the command as a person types it: the CLI by its name, no paths the host fills in', () => {
    const p = ctx({ environmentProtected: true });
    expect(stepCommand('apply', p)!.short).toBe(
      'prisma-rollback apply-down 20250101000000_add_widgets --after keep --env production',
    );
    expect(stepCommand('staging', p)!.short).toBe(
      'prisma-rollback apply-down 20250101000000_add_widgets --dry-run --env production',
    );
    expect(stepCommand('markRolledBack', p)!.short).toBe(
      'prisma-rollback resolve --rolled-back 20250101000000_add_widgets --env production',
    );
    expect(stepCommand('backup', ctx({ backupFile: '/b/x.dump' }))!.short).toBe(
      'prisma-rollback backup --format custom --env production',
    );
    // Another runner: the same words, files relative to the project.
    expect(stepCommand('apply', ctx({ runner: 'prismaCli' }))!.short).toBe(
      `npx prisma db execute --file ${path.join('prisma', 'migrations', '20250101000000_add_widgets', 'down.sql')}`,
    );
  });

  it('a protected target: apply-down, its dry run and resolve carry --confirm <environment>; backup does not', () => {
    const p = ctx({ environmentProtected: true });
    const tail = (c: { args: string[] } | undefined) => c!.args.slice(-4);
    expect(tail(stepCommand('apply', p))).toEqual(['--env', 'production', '--confirm', 'production']);
    expect(tail(stepCommand('markRolledBack', p))).toEqual([
      '--env',
      'production',
      '--confirm',
      'production',
    ]);
    expect(stepCommand('backup', p)!.args).not.toContain('--confirm');
    expect(tail(stepCommand('staging', p))).toEqual(['--env', 'production', '--confirm', 'production']);
    expect(stepCommand('staging', p)!.note).toContain('same locks as the real run');
    // Not protected: the command lines are as before.
    expect(stepCommand('apply', ctx())!.args).not.toContain('--confirm');
  });

  it("a Supabase project with the Supabase CLI installed gets the runbook's `supabase db dump` alternative noted", async () => {
    expect(detectSupabase(root, '')).toBe(false);
    await fs.mkdir(path.join(root, 'supabase'));
    await fs.writeFile(path.join(root, 'supabase', 'config.toml'), 'project_id = "x"\n');
    const bin = path.join(root, 'bin');
    await fs.mkdir(bin);
    expect(detectSupabase(root, bin)).toBe(false);
    await fs.writeFile(path.join(bin, 'supabase'), '#!/bin/sh\n', { mode: 0o755 });
    expect(detectSupabase(path.join(root, 'apps'), bin)).toBe(true);
    expect(stepCommand('backup', ctx({ supabase: true }))!.note).toContain('supabase db dump');
    expect(stepCommand('backup', ctx())!.note).toBeUndefined();
  });

  it('prismaCli: db execute through the package manager of the lock file; never `migrate resolve --rolled-back` for an applied migration', async () => {
    expect(detectPackageManager(root)).toBe('npm');
    await fs.writeFile(path.join(root, 'pnpm-lock.yaml'), '');
    const sub = path.join(root, 'apps', 'api');
    await fs.mkdir(sub, { recursive: true });
    expect(detectPackageManager(sub)).toBe('pnpm');
    await fs.writeFile(path.join(sub, 'bun.lock'), '');
    expect(detectPackageManager(sub)).toBe('bun');

    const apply = stepCommand('apply', ctx({ runner: 'prismaCli', packageManager: 'pnpm' }))!;
    expect(apply.command).toBe('pnpm');
    expect(apply.args.slice(0, 5)).toEqual(['exec', 'prisma', 'db', 'execute', '--file']);
    expect(apply.marksRolledBack).toBe(false);
    const old = stepCommand(
      'apply',
      ctx({ runner: 'prismaCli', prismaMajor: 6, schemaPath: '/app/prisma/schema.prisma' }),
    )!;
    expect(old.display).toMatch(
      /^npx prisma db execute --file \S+down\.sql --schema \/app\/prisma\/schema\.prisma$/,
    );

    const applied = stepCommand('markRolledBack', ctx({ runner: 'prismaCli', migrationState: 'applied' }))!;
    expect(applied.display).not.toContain('migrate resolve');
    expect(applied.args).toContain('resolve');
    expect(applied.command).toBe('/usr/bin/node');
    expect(applied.note).toContain('P3012');
    const failed = stepCommand(
      'markRolledBack',
      ctx({ runner: 'prismaCli', migrationState: 'failed', packageManager: 'yarn' }),
    )!;
    expect(failed.display).toBe('yarn prisma migrate resolve --rolled-back 20250101000000_add_widgets');
  });
});

describe('webview protocol', () => {
  it('accepts well-formed messages and rejects everything else', () => {
    expect(parseWebviewMessage({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseWebviewMessage({ type: 'run', step: 'apply', typed: 'production' })).toEqual({
      type: 'run',
      step: 'apply',
      typed: 'production',
    });
    expect(parseWebviewMessage({ type: 'run', step: 'rm -rf' })).toBeUndefined();
    expect(parseWebviewMessage({ type: 'skip', step: 'notify' })).toBeUndefined();
    expect(parseWebviewMessage({ type: 'open', target: 'file:///etc/passwd' })).toBeUndefined();
    expect(parseWebviewMessage({ type: 'setRunner', runner: 'sh' })).toBeUndefined();
    expect(parseWebviewMessage({ type: 'followUp', action: 'deleteFolder' })).toEqual({
      type: 'followUp',
      action: 'deleteFolder',
    });
    expect(parseWebviewMessage('ready')).toBeUndefined();
    expect(parseWebviewMessage({ type: 'copy', text: 'x'.repeat(20_001) })).toBeUndefined();
  });
});

describe('"Roll Back to Here…": a range of migrations in one checklist', () => {
  const T = '20250101000000_add_widgets';
  const range = ['20250104000000_d', '20250103000000_c', '20250102000000_b'];
  const rangeKey = { projectId: '/work/app', migration: T, environment: 'production', migrations: range };
  const base = {
    runner: 'bundled' as const,
    projectRoot: '/work/app',
    migrationsDir: '/work/app/prisma/migrations',
    migration: T,
    migrations: range,
    environment: 'production',
    environmentProtected: true,
    migrationState: 'applied' as const,
    node: '/usr/bin/node',
    cliPath: '/ext/dist/cli.js',
    packageManager: 'npm' as const,
    backupTablesOnly: true,
  };

  it('the range is every migration applied after the target, newest first; failed or database-only ones are refused', () => {
    const st = (...x: [string, string][]) => x.map(([name, state]) => ({ name, state }));
    expect(
      rangeToRollBack(
        st(
          ['20250100000000_a', 'applied'],
          [T, 'applied'],
          ['20250102000000_b', 'applied'],
          ['20250103000000_c', 'edited'],
          ['20250103500000_x', 'rolledBack'],
          ['20250104000000_d', 'applied'],
          ['20250105000000_e', 'pending'],
        ),
        T,
        'production',
      ),
    ).toEqual(range);
    expect(() => rangeToRollBack(st([T, 'pending']), T, 'production')).toThrow(
      `${T} reads pending in production: roll back to a migration that is applied there (it stays applied).`,
    );
    expect(() =>
      rangeToRollBack(st([T, 'applied'], ['20250102000000_b', 'failed']), T, 'production'),
    ).toThrow('20250102000000_b failed in production: resolve it first');
    expect(() =>
      rangeToRollBack(st([T, 'applied'], ['20250102000000_b', 'missingLocally']), T, 'production'),
    ).toThrow('is applied in production but not in the migrations folder');
    expect(() =>
      rangeToRollBack(st([T, 'applied'], ['20250102000000_b', 'pending']), T, 'production'),
    ).toThrow(`No migration is applied after ${T} in production: nothing to roll back.`);
  });

  it('one checklist: its own storage key, persisted with the list, one title; one audit record lists every migration', () => {
    const s = createChecklist({ key: rangeKey, protected: true, migrationState: 'applied' });
    expect(storageKey(rangeKey)).toBe(`prismaRollback.checklist:/work/app:to:${T}:production`);
    expect(storageKey(rangeKey)).not.toBe(storageKey({ ...rangeKey, migrations: undefined }));
    expect(parseChecklist(JSON.stringify(s))?.key.migrations).toEqual(range);
    expect(parseChecklist({ ...s, key: { ...s.key, migrations: [1] } })).toBeUndefined();
    const view = viewChecklist(s, ALL, { projectLabel: 'app', auditLog: '/a', commands: {} });
    expect(view.title).toBe(`Roll back to ${T} on production: 3 migrations (${range.join(', ')})`);
    expect(view.dependentsNote).toContain(`Every migration applied after ${T} is rolled back, newest first`);
    expect(auditEntry(rangeKey, 'app', { step: 'apply', event: 'start' })).toMatchObject({
      migration: T,
      migrations: range,
    });
    expect(notifyMessage(s)).toContain(
      `rolling back the 3 migration(s) applied after ${T} (${range.join(', ')}), newest first, in one transaction on production (protected)`,
    );
  });

  it('the command lines use --to: one full backup, a dry run and one apply-down that marks them all', () => {
    const tail = [
      '--project',
      '/work/app',
      '--migrations',
      '/work/app/prisma/migrations',
      '--env',
      'production',
      '--confirm',
      'production',
    ];
    expect(stepCommand('apply', base)!.args.slice(1)).toEqual(['apply-down', '--to', T, ...tail]);
    expect(stepCommand('apply', base)!.marksRolledBack).toBe(true);
    // Prisma's db execute cannot run several rollbacks in one transaction: the range goes through apply-down --to
    expect(stepCommand('apply', { ...base, runner: 'prismaCli' })!.args.slice(1, 4)).toEqual([
      'apply-down',
      '--to',
      T,
    ]);
    expect(stepCommand('staging', base)!.args.slice(1)).toEqual([
      'apply-down',
      '--to',
      T,
      '--dry-run',
      ...tail,
    ]);
    expect(stepCommand('backup', base)!.args).not.toContain('--tables-of');
    expect(stepCommand('markRolledBack', base)).toBeUndefined();
  });
});
