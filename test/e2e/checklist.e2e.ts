/**
 * Journey 4 — Checklist, and journey 5 — Guard. "Start Rollback…" (the CodeLens on migration.sql,
 * the tree's context menu) opens the rollback checklist webview. On the unprotected `local`:
 * Identify lists the dependent later migrations, the rollback script is generated and verified,
 * Impact counts the rows it would destroy there, the backup runs as a task in a terminal and its
 * step turns done with the dump on disk, Apply runs the rollback, "Mark rolled back" reads skipped
 * because apply-down recorded it, and the migration reads "rolled back" in the tree and in
 * `_prisma_migrations`. On the protected
 * `production`: Apply stays disabled until backup and verification are done, then asks for the
 * environment's name, and only the right name runs it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleSetup } from '../../scripts/e2e/harness';
import { formatDateTime } from '../../src/core/status/time';
import { axeViolations, describeViolations, frameOf } from './support/a11y';
import { migrationRows, query } from './support/db';
import {
  description,
  isDisabled,
  reveal,
  type SampleJourney,
  sampleJourney,
  stepState,
  VIEW,
  waitStep,
} from './support/journey';
import {
  answerQuickPick,
  childRow,
  codeLenses,
  e2eContext,
  openFile,
  readmeScreenshot,
  recordFailures,
  runCommand,
  runContextMenu,
  screenshot,
  setTheme,
  terminalText,
  viewPane,
  type Workbench,
  waitForNotification,
  waitUntil,
  webviewFrame,
} from './support/workbench';

const TARGET = '20240215160000_add_post_tags';

/** Id of the element that has focus in the checklist webview ("" when it is the page itself). */
async function focusedId(frame: FrameLocator): Promise<string> {
  return frame.locator('body').evaluate(() => {
    const a = document.activeElement;
    return a && a !== document.body ? a.id || a.tagName.toLowerCase() : '';
  });
}

/** Waits until focus rests on `id` (after a step action, focus moves on by itself). */
async function waitFocus(frame: FrameLocator, id: string): Promise<void> {
  await waitUntil(
    () => focusedId(frame),
    (f) => f === id,
    `focus on #${id}`,
    15_000,
  );
}

/** The focused element's outline: a visible ring is at least 2 px and not "none". */
async function focusRing(frame: FrameLocator): Promise<{ style: string; width: number }> {
  return frame.locator('body').evaluate(() => {
    const c = getComputedStyle(document.activeElement as Element);
    return { style: c.outlineStyle, width: Number.parseFloat(c.outlineWidth) };
  });
}

async function openChecklist(wb: Workbench, env: string): Promise<FrameLocator> {
  await runContextMenu(wb.page, await childRow(wb.page, VIEW, env, TARGET), 'Start Rollback…');
  const frame = webviewFrame(wb.page);
  await frame.locator('h1').waitFor({ timeout: 30_000 });
  expect(await frame.locator('h1').innerText()).toBe(`Roll back ${TARGET} on ${env}`);
  await frame.locator('#step-apply').waitFor();
  return frame;
}

describe('journeys 4 and 5: the rollback checklist', () => {
  let j: SampleJourney;
  let sample: SampleSetup;
  let wb: Workbench;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    j = await sampleJourney({ ready: { env: 'local', migration: TARGET, description: /^applied · / } });
    ({ sample, wb } = j);
  });

  afterAll(async () => {
    await j?.close();
  });

  it('journey 4: script, verify, backup in a terminal and apply on local; the migration reads rolled back', async () => {
    const { page } = wb;
    // From the CodeLens on migration.sql: "Start Rollback…" beside the states, then the environment.
    await openFile(page, `prisma/migrations/${TARGET}/migration.sql`);
    await expect.poll(() => codeLenses(page), { timeout: 15_000 }).toContain('Start Rollback…');
    // The hover Quick Open leaves under the mouse (the file's path) would take the click.
    await page.mouse.move(5, 5);
    await page.keyboard.press('Escape');
    await page.locator('.context-view .hover-contents').waitFor({ state: 'hidden', timeout: 10_000 });
    await page
      .locator('.editor-group-container.active .codelens-decoration a', { hasText: 'Start Rollback…' })
      .click();
    await answerQuickPick(page, 'local');
    const frame = webviewFrame(page);
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).toBe(`Roll back ${TARGET} on local`);
    expect(await frame.locator('header .sub').innerText()).toContain('environment local');

    // Identify: live status and the later migrations that depend on it (none in the sample).
    expect(await frame.locator('#dependents').innerText()).toMatch(/Run Identify to list/);
    await frame.locator('#identify-run').click();
    await waitStep(frame, 'identify', 'done');
    expect(await frame.locator('#dependents').innerText()).toBe(
      'No later migration touches what this one created or changed.',
    );
    // Keyboard: after each step action focus moves on to the next thing to do, never to the page.
    await waitFocus(frame, 'review-complete');
    await page.keyboard.press('Enter');
    await waitStep(frame, 'review', 'done');
    await waitFocus(frame, 'script-run');
    const ring = await focusRing(frame);
    expect(ring.style).not.toBe('none');
    expect(ring.width).toBeGreaterThanOrEqual(2);
    // Accessibility in light and dark: axe-core over the checklist webview and the Migrations tree,
    // no serious or critical violation (contrast 4.5:1, names of controls, ARIA).
    const webview = await frameOf(frame);
    await viewPane(page, VIEW).evaluate((e) => e.setAttribute('data-axe', 'migrations'));
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, sample.workspace.settingsPath, theme);
      await readmeScreenshot(page, `checklist-${theme}`);
      const inWebview = await axeViolations(webview);
      expect(inWebview, `${theme}: ${describeViolations(inWebview)}`).toEqual([]);
      // label-content-name-mismatch is off for the tree: the workbench renders a row's label and
      // description as adjacent spans spaced by CSS margin, so axe reads "add_post_tags2024-02-15"
      // as one word and finds it in no name — while the row's name is exactly "label, description".
      const inTree = await axeViolations(page, {
        include: '[data-axe="migrations"]',
        disableRules: ['label-content-name-mismatch'],
      });
      expect(inTree, `${theme} tree: ${describeViolations(inTree)}`).toEqual([]);
    }
    await setTheme(page, sample.workspace.settingsPath, 'light');

    // The rollback script and its verification.
    await frame.locator('#script-run').focus();
    await page.keyboard.press('Enter');
    await waitStep(frame, 'script', 'done');
    await fs.access(`${sample.workspace.migrationDir(TARGET)}/down.sql`);
    await waitFocus(frame, 'verify-run');
    await page.keyboard.press('Enter');
    await waitStep(frame, 'verify', 'done', 120_000);
    await waitFocus(frame, 'impact-run');
    expect(await frame.locator('#step-verify').innerText()).toMatch(/Result: verified/);
    // The same count as the CodeLens and the hover: the history before it and itself.
    expect(await frame.locator('#step-verify').innerText()).toMatch(/Verified against \d+ migrations in/);

    // Impact on the target: the live read-only pre-check counts the rows the rollback would destroy.
    await query(sample.localUrl, `INSERT INTO "Tag" ("name") VALUES ('a'), ('b'), ('c')`);
    await frame.locator('#impact-run').click();
    await waitStep(frame, 'impact', 'done');
    const impact = await frame.locator('#step-impact').innerText();
    expect(impact).toContain('local: down.sql would delete 3 rows of "Tag"');
    expect(impact).toMatch(/down\.sql:\d+: drops table "Tag": 3 rows/);
    expect(
      Number((await query<{ n: string }>(sample.localUrl, 'SELECT count(*) AS n FROM "Tag"'))[0].n),
    ).toBe(3);

    // Backup: a task in a terminal, done by its exit code, the dump on disk.
    await frame.locator('#backup-run').click();
    await waitStep(frame, 'backup', 'done', 120_000);
    const backupText = await frame.locator('#step-backup').innerText();
    const file = /File: (\S+)/.exec(backupText)?.[1];
    expect(file, backupText).toBeTruthy();
    // A full dump never lands in the work tree: the default folder is the extension's storage.
    expect(path.relative(sample.workspace.dir, file as string)).toMatch(/^\.\./);
    const size = (await fs.stat(file as string)).size;
    expect(size).toBeGreaterThan(1000);
    expect(backupText).toMatch(/exit code 0/);
    const terminal = await terminalText(page);
    expect(terminal).toMatch(/pg_dump --format=custom/);
    expect(terminal).toMatch(/Backup written: /);
    expect(terminal).not.toContain(new URL(e2eContext().adminUrl).password);
    await reveal(frame, '#step-backup');
    await screenshot(page, 'checklist-backup-done');

    // Apply on the unprotected environment: no typed confirmation, the tables are gone.
    expect(await frame.locator('#apply-typed').count()).toBe(0);
    // ...but Impact found rows it deletes: a modal says how many and asks; Cancel runs nothing.
    await frame.locator('#apply-run').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 10_000 });
    const asked = await dialog.innerText();
    expect(asked).toContain('Apply the rollback on local? It destroys data there.');
    expect(asked).toContain('down.sql would delete 3 rows of "Tag"');
    expect(asked).toMatch(/Backup: \S+\.dump/);
    await screenshot(page, 'apply-confirm-data-loss');
    await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await stepState(frame, 'apply')).toBe('todo');
    await frame.locator('#apply-run').click();
    await dialog.locator('.monaco-button', { hasText: 'Apply Rollback' }).click();
    await waitStep(frame, 'apply', 'done', 120_000);
    const tables = await query<{ t: string }>(
      sample.localUrl,
      `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('Tag', '_PostToTag')`,
    );
    expect(tables).toEqual([]);

    // The bundled apply route records the rollback itself: step 10 reads skipped, with when, and cannot run.
    const row = (await migrationRows(sample.localUrl)).find((r) => r.migration_name === TARGET);
    expect(row?.rolled_back_at).toBeInstanceOf(Date);
    expect(row?.finished_at).toBeInstanceOf(Date);
    await waitStep(frame, 'markRolledBack', 'skipped');
    const step10 = await frame.locator('#step-markRolledBack').innerText();
    // The time apply-down finished (the checklist's record), in the one date format (here en-US, UTC).
    expect(step10).toMatch(
      /apply-down already recorded the rollback in _prisma_migrations at [A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d:\d\d [AP]M UTC/,
    );
    expect(await isDisabled(frame, 'markRolledBack-run')).toBe(true);
    // Reset brings the same reason back, not a step that would fail with exit code 1.
    await frame.locator('#markRolledBack-reset').click();
    await waitStep(frame, 'markRolledBack', 'skipped');
    expect(await isDisabled(frame, 'markRolledBack-run')).toBe(true);
    await reveal(frame, '#step-markRolledBack');
    await screenshot(page, 'checklist-mark-rolled-back-skipped');

    await runCommand(page, 'Prisma Rollback: Refresh');
    await waitUntil(
      () => description(page, 'local', TARGET),
      (d) => /rolled back/.test(d),
      'tree shows rolled back',
    );
    expect(await description(page, 'local', TARGET)).toMatch(/^rolled back · 2024-02-15/);
    expect(await description(page, 'production', TARGET)).toMatch(/^applied · 2024-02-15/);
    // One truth: the checklist's status line gives the time of the rollback (rolled_back_at), not of the apply.
    const rolledBackAt = formatDateTime(row!.rolled_back_at as Date);
    await waitUntil(
      () => frame.locator('#step-identify .status').innerText(),
      (t) => t.startsWith('rolled back · '),
      'status line reads rolled back',
    );
    expect(await frame.locator('#step-identify .status').innerText()).toContain(
      `rolled back · rolled back ${rolledBackAt}`,
    );
    // "Keep folder" marks Follow up done in the checklist, as in the audit log.
    await frame.locator('#follow-keep').click();
    await waitStep(frame, 'followUp', 'done');
    const audit = await fs.readFile(
      path.join(sample.workspace.dir, '.prisma-rollback', 'audit.jsonl'),
      'utf8',
    );
    const entries = audit
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: string; event: string });
    expect(entries.some((e) => e.step === 'followUp' && e.event === 'done')).toBe(true);
    await screenshot(page, 'checklist-rolled-back');
    await runCommand(page, 'View: Close All Editors');
  }, 240_000); // many steps, two axe scans per theme and a cold verification in one journey

  it('journey 5: on production, Apply waits for backup and verification, then for the typed name', async () => {
    const { page } = wb;
    // A backup folder chosen inside a git work tree goes into .git/info/exclude.
    execFileSync('git', ['init', '-q'], { cwd: sample.workspace.dir });
    const settings = JSON.parse(await fs.readFile(sample.workspace.settingsPath, 'utf8')) as Record<
      string,
      unknown
    >;
    settings['prismaRollback.backupDirectory'] = '.prisma-rollback/backups';
    await fs.writeFile(sample.workspace.settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
    const frame = await openChecklist(wb, 'production');
    expect(await frame.locator('header .sub').innerText()).toMatch(/environment production\s*protected/);

    expect(await isDisabled(frame, 'apply-run')).toBe(true);
    const blockers = await frame.locator('#step-apply .blockers').innerText();
    expect(blockers).toContain('Backup is not done.');
    expect(blockers).toContain('The rollback has not passed verification.');
    expect(blockers).toContain(
      'The rehearsal on production has not passed: rehearse, or skip it with a reason.',
    );
    // The command as a person types it; the full line (absolute paths) only behind its disclosure.
    expect(await frame.locator('#step-apply .short-command').innerText()).toBe(
      `prisma-rollback apply-down ${TARGET} --after keep --env production`,
    );
    expect(await frame.locator('#apply-full-command code').isVisible()).toBe(false);
    await reveal(frame, '#step-apply');
    await screenshot(page, 'guard-apply-blocked');

    await frame.locator('#backup-run').click();
    await waitForNotification(
      page,
      /added \/\.prisma-rollback\/backups\/ to \S*exclude so that no dump is ever committed/,
    );
    await waitStep(frame, 'backup', 'done', 120_000);
    const dump = /File: (\S+)/.exec(await frame.locator('#step-backup').innerText())?.[1] ?? '';
    expect(path.relative(sample.workspace.dir, dump)).toMatch(/^\.prisma-rollback\/backups\//);
    expect(await fs.readFile(path.join(sample.workspace.dir, '.git', 'info', 'exclude'), 'utf8')).toContain(
      '/.prisma-rollback/backups/',
    );
    const untracked = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: sample.workspace.dir,
    }).toString();
    expect(untracked).not.toContain('backups');
    expect(await isDisabled(frame, 'apply-run')).toBe(true);
    expect(await frame.locator('#step-apply .blockers').innerText()).not.toContain('Backup is not done.');

    if ((await stepState(frame, 'script')) !== 'done') {
      await frame.locator('#script-run').click();
      await waitStep(frame, 'script', 'done');
    }
    await frame.locator('#verify-run').click();
    await waitStep(frame, 'verify', 'done', 120_000);
    expect(await frame.locator('#step-apply .blockers').innerText()).toContain(
      'The rehearsal on production has not passed',
    );
    await frame.locator('#staging-typed input').fill('production');
    await frame.locator('#staging-run').click();
    await waitStep(frame, 'staging', 'done', 120_000);

    // Now nothing blocks it but the environment's name.
    await waitUntil(
      () => frame.locator('#step-apply .blockers').count(),
      (n) => n === 0,
      'apply unblocked',
    );
    expect(await frame.locator('#step-apply .confirm-label').innerText()).toContain(
      'Type “production” to run it there',
    );
    await reveal(frame, '#step-apply');
    await readmeScreenshot(page, 'checklist-protected-type-name');

    // Run stays disabled until the typed name matches; the reason is beside the field.
    const hint = frame.locator('#apply-typed-hint');
    expect(await isDisabled(frame, 'apply-run')).toBe(true);
    expect(await hint.innerText()).toContain('Run stays disabled until you type “production”.');
    await frame.locator('#apply-typed input').fill('prod');
    expect(await isDisabled(frame, 'apply-run')).toBe(true);
    expect(await hint.innerText()).toContain('“prod” is not “production”: Run stays disabled.');
    // The hint is beside the field, not a screen away.
    const [fieldBox, hintBox] = await Promise.all([
      frame.locator('#apply-typed').boundingBox(),
      hint.boundingBox(),
    ]);
    expect(Math.abs((hintBox?.y ?? 1e6) - (fieldBox?.y ?? 0))).toBeLessThan(60);
    // Neither a click nor Enter runs it with the wrong name.
    await frame.locator('#apply-run').click({ force: true });
    await frame.locator('#apply-typed input').press('Enter');
    await new Promise((r) => setTimeout(r, 500));
    expect(await stepState(frame, 'apply')).toBe('todo');
    await screenshot(page, 'guard-wrong-name');
    const stillThere = await query<{ n: string }>(
      sample.productionUrl,
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'Tag'`,
    );
    expect(Number(stillThere[0].n)).toBe(1);

    await frame.locator('#apply-typed input').fill('production');
    expect(await isDisabled(frame, 'apply-run')).toBe(false);
    expect(await hint.innerText()).toContain('The name matches: Run is enabled.');
    await frame.locator('#apply-run').click();
    await waitStep(frame, 'apply', 'done', 120_000);
    const gone = await query<{ n: string }>(
      sample.productionUrl,
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'Tag'`,
    );
    expect(Number(gone[0].n)).toBe(0);
    await reveal(frame, '#step-apply');
    await screenshot(page, 'guard-applied');
  }, 240_000); // many steps, two axe scans per theme and a cold verification in one journey
});
