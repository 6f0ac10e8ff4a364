/**
 * The states that make people roll back, in the real VS Code (code-server + Chromium):
 * (a) a failed migration resolved from its checklist — Prisma's failure log, what drift found,
 *     only the action that fits (never Apply), the tree then reads it resolved and
 *     `_prisma_migrations` says so;
 * (b) drift shown in the tree — a column dropped by hand, "Check Drift on Environment…", the
 *     environment's row shows the warning icon and its tooltip names the column;
 * (c) "Roll Back to Here…" on a range of 3 migrations — one checklist, one Apply, and exactly those
 *     3 are recorded rolled back and their objects are gone. The project has a `staging`
 *     environment marked `"rehearsal": true` (issue 13, item 4) in production's state: the
 *     rehearsal is the real `apply-down --to` there (recorded rolled back on staging, production
 *     untouched until Apply); the rehearsal's and Apply's progress notifications are read (item 11).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE, SAMPLE_MIGRATIONS } from '../../scripts/demo/sample';
import type { SampleSetup } from '../../scripts/e2e/harness';
import { migrationRows, query, scratchWithMigrations } from './support/db';
import {
  description,
  isDisabled,
  reveal,
  type SampleJourney,
  sampleJourney,
  VIEW,
  waitStep,
} from './support/journey';
import {
  childRow,
  e2eContext,
  groupRows,
  hoverText,
  recordFailures,
  recordNotifications,
  rowLocator,
  runCommand,
  runContextMenu,
  screenshot,
  treeRows,
  type Workbench,
  waitForNotification,
  waitUntil,
  webviewFrame,
} from './support/workbench';

const INIT = '20240105093000_init';
const RANGE = [
  '20240215160000_add_post_tags',
  '20240202101000_add_widget_installs',
  '20240118141500_add_user_profile',
];

/** Step ids of the checklist, in the order shown. */
async function shownSteps(frame: FrameLocator): Promise<string[]> {
  return (await frame.locator('ol.steps > li.step').evaluateAll((els) => els.map((e) => e.id))).map((id) =>
    id.replace(/^step-/, ''),
  );
}

/** Hides the bottom panel (terminals) so that a screenshot shows the checklist; best effort. */
async function hidePanel(page: Page): Promise<void> {
  await runCommand(page, 'View: Hide Panel').catch(() => page.keyboard.press('Escape'));
}

describe('production states: a failed migration, drift, a range rolled back', () => {
  let j: SampleJourney;
  let sample: SampleSetup;
  let wb: Workbench;
  /** The staging database: production's migrations, no data. */
  let staging: { url: string; drop(): Promise<void> } | undefined;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    j = await sampleJourney({
      // The sample's edited migration would make every drift check on local "could not check" (the
      // replay would not be what ran there): its file is put back as it was applied.
      prepare: async (s) => {
        const original = SAMPLE_MIGRATIONS.find((m) => m.name === SAMPLE.edited)!.sql;
        await fs.writeFile(path.join(s.workspace.migrationDir(SAMPLE.edited), 'migration.sql'), original);
        // staging, the rehearsal environment: the migrations production has.
        staging = await scratchWithMigrations(e2eContext().adminUrl, s.workspace, SAMPLE.productionApplied);
        await fs.appendFile(s.workspace.envPath, `STAGING_DATABASE_URL="${staging.url}"\n`);
        const settings = JSON.parse(await fs.readFile(s.workspace.settingsPath, 'utf8'));
        settings['prismaRollback.environments'] = [
          { name: 'local' },
          { name: 'staging', urlEnv: 'STAGING_DATABASE_URL', rehearsal: true },
          { name: 'production', urlEnv: 'PRODUCTION_DATABASE_URL', protected: true },
        ];
        await fs.writeFile(s.workspace.settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
      },
      ready: { env: 'local', migration: SAMPLE.failed, description: /^failed/ },
    });
    ({ sample, wb } = j);
  });

  afterAll(async () => {
    await j?.close();
    await staging?.drop().catch(() => {});
  });

  it('(a) the failed migration: its checklist shows the log and what drift found, offers only "Mark rolled back", and the tree then reads it rolled back', async () => {
    const { page } = wb;
    const failedRow = async () =>
      (await migrationRows(sample.localUrl)).filter((r) => r.migration_name === SAMPLE.failed);
    const before = await failedRow();
    expect(before).toHaveLength(1);
    expect(before[0].finished_at).toBeNull();
    expect(before[0].rolled_back_at).toBeNull();

    await runContextMenu(
      page,
      await childRow(page, VIEW, 'local', SAMPLE.failed),
      'Resolve Failed Migration…',
    );
    const frame = webviewFrame(page);
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).toBe(`Resolve failed migration ${SAMPLE.failed} on local`);
    await expect
      .poll(() => page.locator('.tab.active').first().innerText(), { timeout: 10_000 })
      .toContain('Resolve failed: unique_widget_domain → local');
    // Before anything is known, no action is offered — and never an Apply.
    expect(await shownSteps(frame)).toEqual(['identify', 'assess', 'backup', 'confirm']);

    // Identify: Prisma's failure log, as _prisma_migrations keeps it.
    await frame.locator('#identify-run').click();
    await waitStep(frame, 'identify', 'done');
    const shownLog = await frame.locator('#failure-log').innerText();
    const firstLine = (before[0].logs ?? '').trim().split('\n')[0].trim();
    expect(firstLine.length).toBeGreaterThan(0);
    expect(shownLog).toContain(firstLine);

    // What it left: one implicit transaction, so nothing — the schema is that of the 6 before it.
    await frame.locator('#assess-run').click();
    await waitStep(frame, 'assess', 'done', 180_000);
    const assess = await frame.locator('#step-assess').innerText();
    expect(assess).toContain('Verdict: nothing left');
    expect(assess).toContain(`${SAMPLE.failed} left nothing applied on local`);
    expect(await shownSteps(frame)).toEqual(['identify', 'assess', 'backup', 'markRolledBack', 'confirm']);
    expect(await frame.locator('#step-apply').count()).toBe(0);
    expect(await isDisabled(frame, 'markRolledBack-run')).toBe(false);
    await hidePanel(page);
    await reveal(frame, 'h1');
    await screenshot(page, 'failed-resolve');

    // The action that fits: resolve --rolled-back (the CLI compares the schema again first).
    await frame.locator('#markRolledBack-run').click();
    await waitStep(frame, 'markRolledBack', 'done', 180_000);
    const after = await failedRow();
    expect(after).toHaveLength(1);
    expect(after[0].rolled_back_at).toBeInstanceOf(Date);
    expect(after[0].finished_at).toBeNull();
    // Nothing else changed: the 6 applied rows are still applied.
    const applied = (await migrationRows(sample.localUrl)).filter((r) => r.finished_at && !r.rolled_back_at);
    expect(applied).toHaveLength(SAMPLE.localApplied);

    await frame.locator('#confirm-run').click();
    await waitStep(frame, 'confirm', 'done');
    expect(await frame.locator('#step-confirm').innerText()).toContain('The migration reads rolled back.');
    await reveal(frame, '#step-markRolledBack');
    await screenshot(page, 'failed-resolved');
    await runCommand(page, 'Prisma Rollback: Refresh');
    await waitUntil(
      () => description(page, 'local', SAMPLE.failed),
      (d) => /^rolled back/.test(d),
      'tree shows the failed migration rolled back',
    );
    await runCommand(page, 'View: Close All Editors');
  }, 360_000);

  it('(b) drift: a column dropped by hand shows on the environment in the tree after Check Drift', async () => {
    const { page } = wb;
    await runCommand(page, 'View: Close All Editors');
    await hidePanel(page);
    await query(sample.localUrl, 'ALTER TABLE "User" DROP COLUMN "bio"');
    const envRow = async () => {
      const g = groupRows(await treeRows(page, VIEW)).get('local');
      if (!g) throw new Error('no local row in the tree');
      return g.row;
    };
    expect((await envRow()).description).not.toContain('drifted');
    await runContextMenu(page, rowLocator(page, VIEW, await envRow()), 'Check Drift on Environment…');
    const message = await waitForNotification(page, /local has drifted/, 180_000);
    expect(message).toContain('column "User"."bio" is missing on local (the migrations create it)');
    await waitUntil(
      async () => (await envRow()).description,
      (d) => d.includes('drifted'),
      'local reads drifted in the tree',
    );
    expect((await envRow()).icon).toContain('codicon-warning');
    const tip = await hoverText(page, rowLocator(page, VIEW, await envRow()), 'drift-tree');
    expect(tip).toContain('Drifted from its applied migrations');
    expect(tip).toContain('column "User"."bio" is missing on local');
  }, 240_000);

  it('(c) Roll Back to Here… on production: one checklist for 3 migrations, one Apply, exactly those 3 rolled back', async () => {
    const { page } = wb;
    const rowsBefore = await migrationRows(sample.productionUrl);
    expect(rowsBefore.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name)).toEqual(
      [INIT, ...[...RANGE].reverse()],
    );
    await runContextMenu(page, await childRow(page, VIEW, 'production', INIT), 'Roll Back to Here…');
    const frame = webviewFrame(page);
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).toBe(
      `Roll back to ${INIT} on production: 3 migrations (${RANGE.join(', ')})`,
    );
    await frame.locator('#identify-run').click();
    await waitStep(frame, 'identify', 'done');
    await frame.locator('#script-run').click();
    await waitStep(frame, 'script', 'done', 120_000);
    for (const m of RANGE) await fs.access(path.join(sample.workspace.migrationDir(m), 'down.sql'));
    await frame.locator('#verify-run').click();
    await waitStep(frame, 'verify', 'done', 240_000);
    expect(await frame.locator('#step-verify').innerText()).toContain('Result: verified');
    await frame.locator('#backup-run').click();
    await waitStep(frame, 'backup', 'done', 120_000);

    // The rehearsal: staging is marked as the rehearsal environment and has the range applied, so
    // the range is rolled back there for real (unprotected: no name to type), before Apply.
    await waitUntil(
      () => frame.locator('#title-staging').innerText(),
      (t) => t.includes('Rehearse on staging'),
      'the rehearsal names staging',
    );
    expect(await frame.locator('#step-staging').innerText()).toContain(
      'The rollback runs for real on staging (the rehearsal environment)',
    );
    expect(await frame.locator('#step-staging .short-command').innerText()).toBe(
      `prisma-rollback apply-down --to ${INIT} --env staging`,
    );
    expect(await frame.locator('#staging-typed').count()).toBe(0);
    const notifications = await recordNotifications(page);
    await frame.locator('#staging-run').click();
    await waitStep(frame, 'staging', 'done', 120_000);
    // Its progress over the whole range: the last statement it reached, of all three rollbacks.
    expect(await frame.locator('#step-staging').innerText()).toMatch(/Reached: Statement (\d+) of \1/);
    // The notification said where it ran and how far it got.
    const rehearsalSeen = await notifications();
    expect(
      rehearsalSeen.some((t) => /Rehearse on staging: running….*Statement \d+ of \d+/.test(t)),
      rehearsalSeen.join(' | '),
    ).toBe(true);
    // Rolled back on staging (recorded there); production still has them applied until Apply.
    const onStaging = new Map((await migrationRows(staging!.url)).map((r) => [r.migration_name, r]));
    for (const m of RANGE) expect(onStaging.get(m)?.rolled_back_at, `staging / ${m}`).toBeInstanceOf(Date);
    expect(onStaging.get(INIT)?.rolled_back_at).toBeNull();
    const onProduction = await migrationRows(sample.productionUrl);
    expect(onProduction.filter((r) => r.rolled_back_at)).toEqual([]);

    // Protected: Apply runs only once the environment's name is typed.
    await waitUntil(
      () => frame.locator('#step-apply .blockers').count(),
      (n) => n === 0,
      'apply unblocked',
    );
    await frame.locator('#apply-typed input').fill('production');
    expect(await isDisabled(frame, 'apply-run')).toBe(false);
    await reveal(frame, '#step-apply');
    await screenshot(page, 'roll-back-to-here-type-name');
    const applyNotifications = await recordNotifications(page);
    await frame.locator('#apply-run').click();
    await waitStep(frame, 'apply', 'done', 180_000);
    expect(await frame.locator('#step-apply').innerText()).toMatch(/Reached: Statement (\d+) of \1/);
    const applySeen = await applyNotifications();
    expect(
      applySeen.some((t) => /Apply to target — production: running….*Statement \d+ of \d+/.test(t)),
      applySeen.join(' | '),
    ).toBe(true);

    // Exactly those 3 are recorded rolled back; the target stays applied.
    const rows = await migrationRows(sample.productionUrl);
    const latest = new Map(rows.map((r) => [r.migration_name, r]));
    for (const m of RANGE) expect(latest.get(m)?.rolled_back_at, m).toBeInstanceOf(Date);
    expect(latest.get(INIT)?.rolled_back_at).toBeNull();
    expect(latest.get(INIT)?.finished_at).toBeInstanceOf(Date);
    expect(
      rows
        .filter((r) => r.rolled_back_at)
        .map((r) => r.migration_name)
        .sort(),
    ).toEqual([...RANGE].sort());
    // The schema is that of init: its tables, none of the three's objects.
    const tables = await query<{ t: string }>(
      sample.productionUrl,
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    expect(tables.map((r) => r.t)).toEqual(['Post', 'User', '_prisma_migrations']);
    const columns = await query<{ c: string }>(
      sample.productionUrl,
      `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'User' AND column_name IN ('bio', 'avatarUrl')`,
    );
    expect(columns).toEqual([]);
    const types = await query<{ t: string }>(
      sample.productionUrl,
      `SELECT typname AS t FROM pg_type WHERE typname IN ('Role', 'WidgetPlan') ORDER BY 1`,
    );
    expect(types.map((r) => r.t)).toEqual(['Role']);

    await frame.locator('#confirm-run').click();
    await waitStep(frame, 'confirm', 'done', 180_000);
    await runCommand(page, 'Prisma Rollback: Refresh');
    for (const m of RANGE)
      await waitUntil(
        () => description(page, 'production', m),
        (d) => /^rolled back/.test(d),
        `${m} reads rolled back in the tree`,
      );
    expect(await description(page, 'production', INIT)).toMatch(/^applied/);
    await hidePanel(page);
    await reveal(frame, 'h1');
    await screenshot(page, 'roll-back-to-here');
    await reveal(frame, '#step-apply');
    await screenshot(page, 'roll-back-to-here-applied');
  }, 600_000);
});
