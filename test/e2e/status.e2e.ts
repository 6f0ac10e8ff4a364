/**
 * Journey 1 — Status. A user opens the sample project and the Prisma Rollback container:
 * the Migrations view lists every migration under each environment with the state Prisma's
 * engine and `_prisma_migrations` give it (applied / pending / failed / edited after apply),
 * tooltips explain the failure and the edit, no password is shown anywhere, and an empty
 * folder shows the welcome text instead of a tree.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE, SAMPLE_MIGRATIONS } from '../../scripts/demo/sample';
import { createSample, type SampleSetup } from '../../scripts/e2e/harness';
import {
  activeTabTitle,
  childRow,
  codeLenses,
  e2eContext,
  groupRows,
  hoverText,
  launchBrowser,
  openFile,
  openViewContainer,
  openWorkbench,
  recordFailures,
  runCommand,
  screenshot,
  setTheme,
  treeRows,
  viewPane,
  type Workbench,
  welcomeText,
  widenSidebar,
} from './support/workbench';

const VIEW = 'Migrations';
const ICONS: Record<string, string> = {
  applied: 'codicon-pass',
  pending: 'codicon-arrow-circle-up',
  failed: 'codicon-error',
  edited: 'codicon-warning',
};

/** `20240312090000_x` → `2024-03-12`, the day the tree shows after the state. */
function day(name: string): string {
  return `${name.slice(0, 4)}-${name.slice(4, 6)}-${name.slice(6, 8)}`;
}

/** What each environment must show for each migration, from the sample's design. */
function expectedStates(): Record<'local' | 'production', Map<string, string>> {
  const local = new Map<string, string>();
  const production = new Map<string, string>();
  SAMPLE_MIGRATIONS.forEach((m, i) => {
    local.set(
      m.name,
      m.name === SAMPLE.edited
        ? 'edited'
        : m.name === SAMPLE.failed
          ? 'failed'
          : i < SAMPLE.localApplied
            ? 'applied'
            : 'pending',
    );
    production.set(m.name, i < SAMPLE.productionApplied ? 'applied' : 'pending');
  });
  return { local, production };
}

describe('journey 1: status', () => {
  let browser: Browser;
  let sample: SampleSetup;
  let wb: Workbench;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    const ctx = e2eContext();
    sample = await createSample(ctx.adminUrl, ctx.samplesDir);
    browser = await launchBrowser();
    wb = await openWorkbench(browser, sample.workspace.dir);
    await openViewContainer(wb.page, 'Prisma Rollback');
    await widenSidebar(wb.page, 720);
  });

  afterAll(async () => {
    await wb?.close();
    await browser?.close();
    await sample?.remove();
  });

  it('lists every migration under local and production with its real state', async () => {
    const { page } = wb;
    const expected = expectedStates();
    // The first refresh reads both databases; wait until both environments list all migrations.
    await expect
      .poll(
        async () => {
          const groups = groupRows(await treeRows(page, VIEW));
          return ['local', 'production'].map((e) => {
            const g = groups.get(e);
            // Both the environment's summary and its migrations must have been rendered from a status.
            if (!g || /loading/.test(g.row.description)) return -1;
            return g.children.filter((r) => / · \d{4}-\d\d-\d\d/.test(r.description)).length;
          });
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual([SAMPLE_MIGRATIONS.length, SAMPLE_MIGRATIONS.length]);

    const groups = groupRows(await treeRows(page, VIEW));
    expect([...groups.keys()]).toEqual(['local', 'production']);
    for (const env of ['local', 'production'] as const) {
      const children = groups.get(env)?.children ?? [];
      const migrations = children.filter((r) => /^\d{14}_/.test(r.name));
      // Newest first (the default sort order).
      expect(migrations.map((r) => r.name)).toEqual(SAMPLE_MIGRATIONS.map((m) => m.name).reverse());
      for (const r of migrations) {
        const state = expected[env].get(r.name);
        // The label is the name without its timestamp; the description has the day after the state.
        expect(r.label).toBe(r.name.replace(/^\d{14}_/, ''));
        expect(r.description, `${env} / ${r.name}`).toBe(`${state} · ${day(r.name)}`);
        // Screen readers hear the whole name and the state; the icon tells it at a glance.
        expect(r.ariaLabel).toBe(`${r.name}, ${r.description}`);
        expect(r.icon, `${env} / ${r.name} icon`).toContain(ICONS[state ?? '']);
      }
    }

    const local = groups.get('local')?.row;
    const production = groups.get('production')?.row;
    expect(local?.description).toMatch(
      /^5 applied · 1 pending · 1 failed · 1 edited — 127\.0\.0\.1:\d+\/acme_local_/,
    );
    expect(production?.description).toMatch(/^4 applied · 4 pending — 127\.0\.0\.1:\d+\/acme_production_/);

    // At the default side bar width (300 px): the state word comes first in every description
    // (asserted above), each state has its own icon (pending is no longer a circular arrow like rolled back).
    await widenSidebar(page, 300);
    await screenshot(viewPane(page, VIEW), 'status-tree-300px');
    await widenSidebar(page, 560);

    // The connection strings' password never reaches the screen.
    const password = new URL(e2eContext().adminUrl).password;
    expect(await viewPane(page, VIEW).innerText()).not.toContain(password);

    await setTheme(page, sample.workspace.settingsPath, 'light');
    await screenshot(page, 'status-tree-light');
    await screenshot(viewPane(page, VIEW), 'status-tree-light-view');
    await setTheme(page, sample.workspace.settingsPath, 'dark');
    await screenshot(page, 'status-tree-dark');
    await screenshot(viewPane(page, VIEW), 'status-tree-dark-view');
    await setTheme(page, sample.workspace.settingsPath, 'light');
  });

  it('explains the failed migration with the engine log from _prisma_migrations', async () => {
    const { page } = wb;
    const text = await hoverText(
      page,
      await childRow(page, VIEW, 'local', SAMPLE.failed),
      'status-tooltip-failed',
    );
    expect(text).toContain(`${SAMPLE.failed} — failed in local`);
    expect(text).toMatch(/never finished/);
    expect(text).toMatch(/Failure log/);
    expect(text).toContain('Unique constraint failed: (domain)');
  });

  it('flags the migration edited after it was applied', async () => {
    const { page } = wb;
    const text = await hoverText(
      page,
      await childRow(page, VIEW, 'local', SAMPLE.edited),
      'status-tooltip-edited',
    );
    expect(text).toContain(`${SAMPLE.edited} — edited after apply in local`);
    expect(text).toMatch(/Checksum: differs — migration\.sql was edited after it was applied/);
    // Both checksums: what the database ran and what the file has now.
    expect(text).toMatch(/the database ran [0-9a-f]{12}…, the file now has [0-9a-f]{12}…/);
    const prod = await hoverText(page, await childRow(page, VIEW, 'production', SAMPLE.edited));
    expect(prod).toContain(`${SAMPLE.edited} — pending in production`);
  });

  it('shows the applied time of an applied migration', async () => {
    const { page } = wb;
    const first = SAMPLE_MIGRATIONS[0].name;
    const text = await hoverText(page, await childRow(page, VIEW, 'production', first));
    expect(text).toContain(`${first} — applied in production`);
    // One date format: the user's locale with the zone (here en-US, UTC).
    expect(text).toMatch(/Applied at: [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d:\d\d [AP]M UTC/);
    expect(text).toContain('Checksum: matches the local migration.sql');
  });

  it('shows the state in each environment above migration.sql (CodeLens)', async () => {
    const { page } = wb;
    await openFile(page, `prisma/migrations/${SAMPLE.edited}/migration.sql`);
    expect(await activeTabTitle(page)).toBe('migration.sql');
    const lenses = await codeLenses(page);
    expect(lenses).toContain('local: edited after apply · production: pending');
    await screenshot(page, 'status-codelens-edited');

    await openFile(page, `prisma/migrations/${SAMPLE_MIGRATIONS[0].name}/migration.sql`);
    await expect
      .poll(() => codeLenses(page), { timeout: 10_000 })
      .toContainEqual(
        expect.stringMatching(/^local: applied \d{4}-\d\d-\d\d · production: applied \d{4}-\d\d-\d\d$/),
      );
    await openFile(page, `prisma/migrations/${SAMPLE.failed}/migration.sql`);
    await expect
      .poll(() => codeLenses(page), { timeout: 10_000 })
      .toContain('local: failed · production: pending');
    await runCommand(page, 'View: Close All Editors');
  });

  it('shows the welcome text in a folder without a Prisma project', async () => {
    const empty = path.join(e2eContext().samplesDir, `empty-${Date.now()}`);
    await fs.mkdir(empty, { recursive: true });
    const other = await openWorkbench(browser, empty);
    try {
      await openViewContainer(other.page, 'Prisma Rollback');
      const text = await welcomeText(other.page, VIEW, /No Prisma project/);
      expect(text).toContain('No Prisma project was found in this workspace');
      expect(await viewPane(other.page, VIEW).locator('.monaco-list-row[role="treeitem"]').count()).toBe(0);
      await screenshot(other.page, 'status-welcome-empty-folder');
    } finally {
      await other.close();
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
