/**
 * Journey 2 — Rollback, and journey 3 — Verify. From the Migrations view's context menu on an
 * applied migration, "Create Rollback…" writes down.sql beside migration.sql and opens the two
 * side by side; that SQL, run on a real PostgreSQL, brings the schema back to what the earlier
 * migrations built. "Verify Rollback" then shows it verified in the notification, the tree and
 * the CodeLens; a deliberately broken down.sql shows the difference.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_MIGRATIONS } from '../../scripts/demo/sample';
import { createSample, type SampleSetup } from '../../scripts/e2e/harness';
import { compareSnapshots } from '../../src/core/verify/snapshot';
import { query, schemaSnapshot, scratchWithMigrations } from './support/db';
import {
  activeTabTitle,
  childRow,
  clearNotifications,
  codeLenses,
  e2eContext,
  groupRows,
  isDiffEditorActive,
  launchBrowser,
  openFile,
  openViewContainer,
  openWorkbench,
  recordFailures,
  runCommand,
  runContextMenu,
  screenshot,
  setTheme,
  treeRows,
  type Workbench,
  waitForNotification,
  waitUntil,
  widenSidebar,
} from './support/workbench';

const VIEW = 'Migrations';
/** Creates two tables with a join table: its rollback drops them; nothing later depends on them. */
const TARGET = '20240215160000_add_post_tags';
const TARGET_INDEX = SAMPLE_MIGRATIONS.findIndex((m) => m.name === TARGET);

async function localDescription(wb: Workbench, name: string): Promise<string> {
  const group = groupRows(await treeRows(wb.page, VIEW)).get('local');
  return group?.children.find((r) => r.name === name)?.description ?? '';
}

describe('journeys 2 and 3: create and verify a rollback', () => {
  let browser: Browser;
  let sample: SampleSetup;
  let wb: Workbench;
  let downPath: string;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    const ctx = e2eContext();
    sample = await createSample(ctx.adminUrl, ctx.samplesDir);
    downPath = path.join(sample.workspace.migrationDir(TARGET), 'down.sql');
    browser = await launchBrowser();
    wb = await openWorkbench(browser, sample.workspace.dir);
    await openViewContainer(wb.page, 'Prisma Rollback');
    await widenSidebar(wb.page, 540);
    await waitUntil(
      () => localDescription(wb, TARGET),
      (d) => /^applied · /.test(d),
      `${TARGET} applied on local`,
      60_000,
    );
  });

  afterAll(async () => {
    await wb?.close();
    await browser?.close();
    await sample?.remove();
  });

  it('journey 2: Create Rollback… writes down.sql beside migration.sql and opens the diff', async () => {
    const { page } = wb;
    await expect(fs.stat(downPath)).rejects.toThrow(/ENOENT/);
    await runContextMenu(page, await childRow(page, VIEW, 'local', TARGET), 'Create Rollback…');

    const note = await waitForNotification(page, /Rollback of .* written to/, 60_000);
    expect(note).toContain(`Rollback of ${TARGET} written to ${TARGET}/down.sql`);
    const down = await fs.readFile(downPath, 'utf8');
    expect(down).toMatch(/DROP TABLE (IF EXISTS )?"_PostToTag"/);
    expect(down).toMatch(/DROP TABLE (IF EXISTS )?"Tag"/);

    await expect.poll(() => isDiffEditorActive(page), { timeout: 15_000 }).toBe(true);
    expect(await activeTabTitle(page)).toContain(`${TARGET}: migration.sql ↔ down.sql (rollback)`);
    await clearNotifications(page);
    await setTheme(page, sample.workspace.settingsPath, 'light');
    await screenshot(page, 'rollback-diff-light');
    await setTheme(page, sample.workspace.settingsPath, 'dark');
    await screenshot(page, 'rollback-diff-dark');
    await setTheme(page, sample.workspace.settingsPath, 'light');
  });

  it('journey 2: the generated down.sql really undoes the migration on PostgreSQL', async () => {
    const { adminUrl } = e2eContext();
    const before = await scratchWithMigrations(adminUrl, sample.workspace, TARGET_INDEX);
    const after = await scratchWithMigrations(adminUrl, sample.workspace, TARGET_INDEX + 1);
    try {
      const expected = await schemaSnapshot(before.url);
      const migrated = await schemaSnapshot(after.url);
      expect(Object.keys(migrated.tables)).toContain('"Tag"');
      await query(after.url, await fs.readFile(downPath, 'utf8'));
      expect(compareSnapshots(expected, await schemaSnapshot(after.url))).toEqual([]);
    } finally {
      await before.drop();
      await after.drop();
    }
  });

  it('journey 3: Verify Rollback shows it verified in the notification, the tree and the CodeLens', async () => {
    const { page } = wb;
    await clearNotifications(page);
    await runContextMenu(page, await childRow(page, VIEW, 'local', TARGET), 'Verify Rollback');
    const note = await waitForNotification(
      page,
      /The rollback of .* (is verified|does not|could not)/,
      120_000,
    );
    expect(note).toMatch(
      new RegExp(`^✓ The rollback of ${TARGET} is verified against ${TARGET_INDEX + 1} migrations`),
    );

    await expect
      .poll(() => localDescription(wb, TARGET), { timeout: 10_000 })
      .toContain('rollback ✓ verified');
    // Journey 2 left the migration.sql ↔ down.sql diff open; Quick Open may reveal down.sql there,
    // and a diff editor shows no CodeLens: open it in a plain editor.
    await runCommand(page, 'View: Close All Editors');
    await openFile(page, `prisma/migrations/${TARGET}/down.sql`);
    await expect
      .poll(async () => (await codeLenses(page)).join(' | '), { timeout: 15_000 })
      .toMatch(new RegExp(`✓ Verified against ${TARGET_INDEX + 1} migrations`));
    await screenshot(page, 'verify-verified-codelens');
    await runCommand(page, 'View: Close All Editors');
  });

  it('journey 3: a deliberately broken down.sql shows the difference', async () => {
    const { page } = wb;
    const good = await fs.readFile(downPath, 'utf8');
    // Forget to drop the Tag table: the schema after the rollback keeps it.
    const broken = good.replace(/^DROP TABLE (IF EXISTS )?"Tag".*$/m, '-- (removed by the test)');
    expect(broken).not.toBe(good);
    await fs.writeFile(downPath, broken);

    await clearNotifications(page);
    await runContextMenu(page, await childRow(page, VIEW, 'local', TARGET), 'Verify Rollback');
    const note = await waitForNotification(
      page,
      /The rollback of .* (is verified|does not|could not)/,
      120_000,
    );
    expect(note).toMatch(
      new RegExp(`^✗ The rollback of ${TARGET} does not restore the schema: \\d+ differences?`),
    );
    expect(note).toMatch(/Tag/);
    await expect
      .poll(() => localDescription(wb, TARGET), { timeout: 10_000 })
      .toMatch(/rollback ✗ \d+ differences?/);
    await screenshot(page, 'verify-differences');

    await openFile(page, `prisma/migrations/${TARGET}/down.sql`);
    await expect
      .poll(async () => (await codeLenses(page)).join(' | '), { timeout: 15_000 })
      .toMatch(/✗ \d+ differences?/);
    await screenshot(page, 'verify-differences-codelens');
    await runCommand(page, 'View: Close All Editors');
  });
});
