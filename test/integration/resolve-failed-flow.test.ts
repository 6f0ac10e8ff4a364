/**
 * The checklist's "Resolve failed migration" flow on a real PostgreSQL 15: what a failed migration
 * left (core `assessFailedMigration`: live vs. the replay of 1..N-1 and 1..N) decides which actions
 * the checklist offers — mark rolled back when nothing is left; write + run the undo script, or finish
 * by hand then mark applied, when part of it is left; mark applied when it is there whole — and Apply
 * is never offered on a failed migration.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTERS, toMigrationList } from '../../src/core/engine';
import { readMigrationsFolder } from '../../src/core/migrations';
import {
  type ChecklistState,
  createChecklist,
  endCheck,
  failedActions,
  flowSteps,
  gate,
  startStep,
} from '../../src/core/runbook/checklist';
import { assessFailedMigration } from '../../src/core/runbook/failed';
import { deployMigrations, resolveMigration } from '../../src/core/runbook/resolve';
import { disposeEmbeddedVerifier } from '../../src/core/verify';
import { partialUndo } from '../../src/core/verify/drift';
import { tempMigrations, withEngine } from '../support/engine';
import { createTestDatabase, query, type TestDatabase } from '../support/pg';

const INIT = 'CREATE TABLE "User" ("id" SERIAL PRIMARY KEY, "email" TEXT NOT NULL);\n';
const FAILED = '20240102000000_unique_email';
/** One implicit transaction: the unique index fails on duplicate e-mails, the column goes with it. */
const ONE_TX =
  'ALTER TABLE "User" ADD COLUMN "age" INTEGER;\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n';
/** Its first block commits before the unique index fails: the column stays. */
const TWO_TX =
  'BEGIN;\nALTER TABLE "User" ADD COLUMN "age" INTEGER;\nCOMMIT;\nBEGIN;\nCREATE UNIQUE INDEX "User_email_key" ON "User"("email");\nCOMMIT;\n';

describe('the checklist of a failed migration (PostgreSQL 15)', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;

  beforeAll(async () => {
    mig = await tempMigrations();
    await mig.add('20240101000000_init', INIT);
  });
  beforeEach(async () => {
    db = await createTestDatabase('failedflow');
    await mig.remove(FAILED);
  });
  afterAll(async () => {
    await disposeEmbeddedVerifier();
    await db?.drop();
    await mig.cleanup();
  });

  /** Deploys init, adds duplicate e-mails, then deploys `sql` as FAILED, which fails on them. */
  async function failOn(sql: string): Promise<void> {
    await deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir });
    await query(db.url, `INSERT INTO "User" ("email") VALUES ('a@x.io'), ('a@x.io')`);
    await mig.add(FAILED, sql);
    await expect(
      deployMigrations({ url: db.url, environment: 'staging', migrationsDir: mig.dir }),
    ).rejects.toThrow(new RegExp(FAILED));
  }

  const assess = () =>
    assessFailedMigration({ url: db.url, environment: 'staging', migrationsDir: mig.dir, failed: FAILED });

  /** A checklist opened on the failed row, its Identify and "What it left" done with `verdict`. */
  function checklistAfter(verdict: string): ChecklistState {
    let s = createChecklist({
      key: { projectId: 'p', migration: FAILED, environment: 'staging' },
      protected: false,
      migrationState: 'failed',
    });
    s = endCheck(startStep(s, 'identify'), 'identify', { ok: true, detail: { state: 'failed', log: 'x' } });
    return endCheck(startStep(s, 'assess'), 'assess', {
      ok: verdict !== 'couldNotCheck',
      detail: { verdict },
    });
  }

  const allowed = (s: ChecklistState) => flowSteps(s).filter((id) => gate(s, id).allowed);

  it('left nothing (one implicit transaction): only "Mark rolled back" is offered, and it marks it', async () => {
    await failOn(ONE_TX);
    const a = await assess();
    expect(a.verdict).toBe('nothingLeft');
    expect(a.withIt).toBeUndefined();
    expect(a.summary).toContain(`${FAILED} left nothing applied on staging`);
    const s = checklistAfter(a.verdict);
    expect(flowSteps(s)).toEqual(['identify', 'assess', 'backup', 'markRolledBack', 'confirm']);
    expect(allowed(s)).toEqual(['identify', 'assess', 'backup', 'markRolledBack']);
    expect(gate(s, 'apply')).toMatchObject({ allowed: false, overridable: false });
    expect(() => startStep(s, 'apply')).toThrow(/no Apply is offered/);
    // The action it offers works: resolve --rolled-back checks the schema again and marks it.
    await resolveMigration({
      url: db.url,
      environment: 'staging',
      migrationsDir: mig.dir,
      migration: FAILED,
      action: 'rolledBack',
    });
    const rows = await query<{ rolled: boolean }>(
      db.url,
      `SELECT rolled_back_at IS NOT NULL AS rolled FROM "_prisma_migrations" WHERE migration_name = $1`,
      [FAILED],
    );
    expect(rows).toEqual([{ rolled: true }]);
  });

  it('left part of itself (its own BEGIN/COMMIT): undo script or finish by hand; the undo makes it "nothing left"', async () => {
    await failOn(TWO_TX);
    const a = await assess();
    expect(a.verdict).toBe('partial');
    expect(a.withoutIt.kind).toBe('drift');
    expect(a.summary).toContain('column "User"."age" exists on staging but no applied migration creates it');
    expect(a.summary).toContain('index "User_email_key" is missing on staging');
    const s = checklistAfter(a.verdict);
    expect(flowSteps(s)).toEqual([
      'identify',
      'assess',
      'backup',
      'writePartial',
      'runPartial',
      'markApplied',
      'confirm',
    ]);
    // The undo script is written first; mark applied waits for the schema to be 1..N.
    expect(allowed(s)).toEqual(['identify', 'assess', 'backup', 'writePartial']);
    expect(gate(s, 'markApplied').blockers.join(' ')).toContain('finish it by hand');
    expect(gate(s, 'runPartial').blockers).toEqual(['The undo script is not written yet.']);
    expect(flowSteps(s)).not.toContain('apply');
    expect(gate(s, 'markRolledBack').allowed).toBe(false);

    // The undo script (down --partial) takes the schema back to 1..N-1: "What it left" then reads nothing left.
    const folder = await readMigrationsFolder(mig.dir);
    const undo = await partialUndo({
      url: db.url,
      environment: 'staging',
      migrations: folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
      failed: FAILED,
    });
    expect(undo.kind).toBe('script');
    if (undo.kind !== 'script') return;
    await query(db.url, undo.script);
    expect((await assess()).verdict).toBe('nothingLeft');
  });

  it('finished by hand: "What it left" reads applied whole, only "Mark applied" is offered, and Prisma then reads it applied', async () => {
    await failOn(TWO_TX);
    expect((await assess()).verdict).toBe('partial');
    await query(db.url, `DELETE FROM "User" WHERE id = (SELECT max(id) FROM "User")`);
    await query(db.url, `CREATE UNIQUE INDEX "User_email_key" ON "User"("email")`);
    const a = await assess();
    expect(a.verdict).toBe('complete');
    expect(a.withIt?.kind).toBe('none');
    const s = checklistAfter(a.verdict);
    expect(flowSteps(s)).toEqual(['identify', 'assess', 'backup', 'markApplied', 'confirm']);
    expect(allowed(s)).toEqual(['identify', 'assess', 'backup', 'markApplied']);
    expect(gate(s, 'apply').allowed).toBe(false);
    await resolveMigration({
      url: db.url,
      environment: 'staging',
      migrationsDir: mig.dir,
      migration: FAILED,
      action: 'applied',
    });
    const diag = await withEngine(db.url, async (e) =>
      e.diagnoseMigrationHistory({
        migrationsList: toMigrationList(await readMigrationsFolder(mig.dir)),
        optInToShadowDatabase: false,
        filters: NO_FILTERS,
      }),
    );
    expect(diag.failedMigrationNames).toEqual([]);
    expect(diag.history).toBeNull();
  });

  it('offers no action before "What it left" ran, and never Apply in any verdict', () => {
    const fresh = createChecklist({
      key: { projectId: 'p', migration: FAILED, environment: 'staging' },
      protected: true,
      migrationState: 'failed',
    });
    expect(fresh.flow).toBe('resolveFailed');
    expect(flowSteps(fresh)).toEqual(['identify', 'assess', 'backup', 'confirm']);
    for (const v of ['nothingLeft', 'complete', 'partial', 'couldNotCheck'] as const) {
      expect(failedActions(v)).not.toContain('apply');
      expect(flowSteps(checklistAfter(v))).not.toContain('apply');
    }
  });
});
