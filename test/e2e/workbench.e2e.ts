/**
 * The harness itself: code-server serves a real workbench, the packaged extension is
 * installed, its view container sits in the activity bar and its Migrations view renders.
 */

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSample, type SampleSetup } from '../../scripts/e2e/harness';
import {
  e2eContext,
  launchBrowser,
  openViewContainer,
  openWorkbench,
  recordFailures,
  screenshot,
  viewPane,
  type Workbench,
} from './support/workbench';

describe('workbench', () => {
  let browser: Browser;
  let sample: SampleSetup;
  let wb: Workbench;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    const ctx = e2eContext();
    sample = await createSample(ctx.adminUrl, ctx.samplesDir);
    browser = await launchBrowser();
    wb = await openWorkbench(browser, sample.workspace.dir);
  });

  afterAll(async () => {
    await wb?.close();
    await browser?.close();
    await sample?.remove();
  });

  it('serves VS Code with the sample folder open and the extension in the activity bar', async () => {
    const { page } = wb;
    const title = await page.title();
    expect(title).toContain('acme-widgets-');
    const entries = await page
      .locator('.activitybar .action-item [aria-label]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    expect(entries.some((e) => e.startsWith('Explorer'))).toBe(true);
    expect(entries).toContain('Prisma Rollback');
  });

  it('opens the Prisma Rollback container with its Migrations view', async () => {
    const { page } = wb;
    const sidebar = await openViewContainer(page, 'Prisma Rollback');
    expect(await sidebar.locator('.composite.title h2').innerText()).toMatch(
      /^PRISMA ROLLBACK|^Prisma Rollback/i,
    );
    await expect.poll(() => viewPane(page, 'Migrations').count(), { timeout: 10_000 }).toBe(1);
    await screenshot(page, 'workbench-sidebar');
  });
});
