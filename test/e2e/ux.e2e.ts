/**
 * Issue 13 in the real VS Code (code-server + Chromium), items the other journeys do not cover:
 * (e) the Migrations tree at VS Code's default side bar width — the state word first and whole,
 *     a distinct icon and colour per state;
 * (b) a migration edited after it was applied, in a workspace with a git history: Create Rollback
 *     offers to generate from the version the database ran (and the down.sql comes from it), Impact
 *     and Identify say it with both checksums;
 * (c, d) Impact's next actions (no down.sql yet → Create Rollback…; Back Up Now runs the backup in
 *     the checklist, with its notification and size), the middle-of-history note, progress of
 *     verify (migrations replayed) and Apply (statement n of m) in the step and Apply's notification;
 * (a) the rehearsal (no rehearsal environment configured) is a dry run on the target the step
 *     names: a failing one shows PostgreSQL's reason in the step and keeps Apply closed on the
 *     protected target until it passes; its notification shows the statement it reached.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDITED_SQL, SAMPLE, SAMPLE_MIGRATIONS } from '../../scripts/demo/sample';
import type { SampleSetup } from '../../scripts/e2e/harness';
import { query } from './support/db';
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
  clickNotificationButton,
  readmeScreenshot,
  recordFailures,
  recordNotifications,
  runCommand,
  runContextMenu,
  screenshot,
  setTheme,
  viewPane,
  type Workbench,
  waitForNotification,
  waitUntil,
  webviewFrame,
} from './support/workbench';

const TARGET = '20240215160000_add_post_tags';
const EDITED = SAMPLE.edited;
/** The edit made after the migration ran: one more index (so a rollback of the file would drop it). */
const EDIT = `${EDITED_SQL}\n-- CreateIndex\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n`;

/** A modal dialog's text, after waiting for it. */
async function dialogText(page: Page): Promise<string> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 60_000 });
  return dialog.innerText();
}

async function clickDialogButton(page: Page, label: string): Promise<void> {
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.locator('.monaco-button', { hasText: label }).first().click();
  await dialog.waitFor({ state: 'hidden' });
}

async function checklistTitle(frame: FrameLocator): Promise<string> {
  await frame.locator('h1').waitFor({ timeout: 30_000 });
  return frame.locator('h1').innerText();
}

/** Hides the terminal panel so that a screenshot shows the checklist (best effort). */
async function hidePanel(page: Page): Promise<void> {
  await runCommand(page, 'View: Hide Panel').catch(() => page.keyboard.press('Escape'));
}

/**
 * The look of each state in the Migrations view as rendered (at the current width): every
 * migration row's description starts with its state word, the accessible name carries it too,
 * and rows of one state share one icon and one colour. Returns state word → icon and colour.
 */
async function stateLooks(page: Page): Promise<Map<string, { icon: string; color: string }>> {
  const rows = viewPane(page, VIEW).locator('.monaco-list-row[role="treeitem"][aria-level="2"]');
  await waitUntil(
    () => rows.count(),
    (n) => n >= 16,
    'migration rows rendered',
  );
  const shown = await rows.evaluateAll((els) =>
    els.map((row) => {
      const icon = row.querySelector('.custom-view-tree-node-item-icon');
      return {
        name: (row.getAttribute('aria-label') ?? '').split(', ')[0],
        label: (row.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (row.querySelector('.label-description')?.textContent ?? '').trim(),
        ariaLabel: row.getAttribute('aria-label') ?? '',
        icon: Array.from(icon?.classList ?? [])
          .filter((c) => c.startsWith('codicon-') && c !== 'codicon-')
          .join(' '),
        color: icon ? getComputedStyle(icon).color : '',
      };
    }),
  );
  // The tree's short words (`edited`, the tooltip says "edited after apply").
  const words = ['applied', 'pending', 'failed', 'rolled back', 'edited'];
  const looks = new Map<string, { icon: string; color: string }>();
  for (const r of shown) {
    const word = words.find((w) => r.description.startsWith(`${w} · `));
    expect(word, `${r.name}: "${r.description}" starts with its state`).toBeDefined();
    // The label is the name without its timestamp; the accessible name has it whole.
    expect(r.label).toBe(r.name.replace(/^\d{14}_/, ''));
    expect(r.ariaLabel).toBe(`${r.name}, ${r.description}`);
    const seen = looks.get(word!);
    if (seen) expect({ icon: r.icon, color: r.color }, r.name).toEqual(seen);
    else looks.set(word!, { icon: r.icon, color: r.color });
  }
  return looks;
}

/**
 * How each migration row's state word (its description up to the first ` · `) sits in the row as
 * rendered: `right` is the word's right edge and `clip` the right edge up to which the row's
 * label container shows text (its right edge, less the ellipsis's width when the text overflows:
 * `text-overflow: ellipsis` draws the `…` over the last visible pixels). Pixels, page coordinates.
 */
async function stateWordEdges(
  page: Page,
): Promise<{ name: string; word: string; right: number; clip: number; overflows: boolean }[]> {
  const rows = viewPane(page, VIEW).locator('.monaco-list-row[role="treeitem"][aria-level="2"]');
  return rows.evaluateAll((els) =>
    els.map((row) => {
      const name = (row.getAttribute('aria-label') ?? '').split(', ')[0];
      const desc = row.querySelector('.label-description');
      const text = desc?.firstChild;
      const word = (desc?.textContent ?? '').split(' · ')[0];
      const box = (desc?.closest('.monaco-icon-label-container') ?? row) as HTMLElement;
      const overflows = box.scrollWidth > box.clientWidth;
      const canvas = document.createElement('canvas').getContext('2d')!;
      canvas.font = desc ? getComputedStyle(desc).font : '';
      const ellipsis = overflows ? canvas.measureText('…').width : 0;
      let right = Number.POSITIVE_INFINITY;
      if (text && text.nodeType === Node.TEXT_NODE && word) {
        const range = document.createRange();
        range.setStart(text, 0);
        range.setEnd(text, word.length);
        right = range.getBoundingClientRect().right;
      }
      return { name, word, right, clip: box.getBoundingClientRect().right - ellipsis, overflows };
    }),
  );
}

/** No two states share an icon or a colour. */
function expectDistinct(looks: Map<string, { icon: string; color: string }>): void {
  const all = [...looks.entries()];
  for (const [a, la] of all)
    for (const [b, lb] of all) {
      if (a >= b) continue;
      expect(la.icon, `${a} vs ${b} icon`).not.toBe(lb.icon);
      expect(la.color, `${a} vs ${b} colour`).not.toBe(lb.color);
    }
}

/**
 * Waits (up to 15 s, no assertion) until a migration's row description changes after a file was
 * written: the tree re-renders on the change, and a context menu opened meanwhile would run its
 * command without the row.
 */
async function treeSettled(page: Page, env: string, name: string, before: string): Promise<void> {
  await waitUntil(
    () => description(page, env, name),
    (d) => d !== before,
    `${env} / ${name} re-rendered`,
    15_000,
  ).catch(() => {});
  await page.waitForTimeout(500);
}

describe('issue 13: the tree at 300 px, edited after apply, next actions, progress, the rehearsal', () => {
  let j: SampleJourney;
  let sample: SampleSetup;
  let wb: Workbench;
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    j = await sampleJourney({
      // VS Code's default side bar width: item (e) is about what fits there.
      width: null,
      // A git history: the migration as it was applied is committed, then edited.
      prepare: async (s) => {
        const dir = s.workspace.dir;
        const file = path.join(s.workspace.migrationDir(EDITED), 'migration.sql');
        await fs.writeFile(file, SAMPLE_MIGRATIONS.find((m) => m.name === EDITED)!.sql);
        const git = (...args: string[]) =>
          execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], {
            cwd: dir,
          });
        git('init', '-q');
        git('add', '-A');
        git('commit', '-q', '-m', 'migrations as deployed');
        await fs.writeFile(file, EDIT);
      },
      ready: { env: 'local', migration: EDITED, description: /^edited · / },
    });
    ({ sample, wb } = j);
  });

  afterAll(async () => {
    await j?.close();
  });

  it('(e) at the default side bar width: the state word first, an icon and a colour of its own per state', async () => {
    const { page } = wb;
    const width = (await page.locator('.part.sidebar').boundingBox())?.width ?? 0;
    expect(width).toBeGreaterThanOrEqual(250);
    expect(width).toBeLessThanOrEqual(310);
    const looks = await stateLooks(page);
    expect([...looks.keys()].sort()).toEqual(['applied', 'edited', 'failed', 'pending']);
    expectDistinct(looks);
    // Every state word is whole at this width — the row of the sample's longest name included.
    const edges = await stateWordEdges(page);
    const longest = SAMPLE_MIGRATIONS.map((m) => m.name).reduce((a, b) => (b.length > a.length ? b : a));
    expect(
      edges.filter((e) => e.name === longest).map((e) => e.word),
      'the longest name is shown',
    ).toHaveLength(2);
    for (const e of edges)
      expect(
        e.right,
        `${e.name}: "${e.word}" ends at ${e.right}, text shown up to ${e.clip}`,
      ).toBeLessThanOrEqual(e.clip);
    // No hover (the activity bar's tooltip) over the picture.
    await page.mouse.move(900, 450);
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, sample.workspace.settingsPath, theme);
      // README: the tree at VS Code's default width.
      await readmeScreenshot(viewPane(page, VIEW), `migrations-tree-${theme}`);
    }
    await setTheme(page, sample.workspace.settingsPath, 'light');
  });

  it('(b) edited after apply: Create Rollback generates from the version in git; Impact and Identify name both checksums', async () => {
    const { page } = wb;
    const down = path.join(sample.workspace.migrationDir(EDITED), 'down.sql');
    const editedBefore = await description(page, 'local', EDITED);
    await runContextMenu(page, await childRow(page, VIEW, 'local', EDITED), 'Create Rollback…');
    const asked = await dialogText(page);
    expect(asked).toContain(`${EDITED}/migration.sql was edited after it was applied in local.`);
    expect(asked).toMatch(/The database ran the version with checksum [0-9a-f]{12}… \(git [0-9a-f]{10}\)/);
    await screenshot(page, 'edited-generate-from');
    await clickDialogButton(page, 'Generate from the version the database ran');
    const sql = await waitUntil(
      () => fs.readFile(down, 'utf8').catch(() => ''),
      (t) => t.length > 0,
      'down.sql written',
    );
    // The header says where it came from; the body undoes what ran, not the edit.
    expect(sql).toMatch(
      /-- Note: generated from the version of migration\.sql that local ran \(git [0-9a-f]{10}\); the file was edited after it was applied/,
    );
    expect(sql).toContain('"Post_published_createdAt_idx"');
    expect(sql).not.toContain('Post_title_idx');
    await runCommand(page, 'View: Close All Editors');
    await treeSettled(page, 'local', EDITED, editedBefore);

    // Impact: the modal's detail says it first, with both checksums; its Start Rollback… opens the checklist.
    await runContextMenu(page, await childRow(page, VIEW, 'local', EDITED), 'Check Impact on Environment…');
    const impact = await dialogText(page);
    expect(impact).toMatch(
      new RegExp(
        `${EDITED}/migration\\.sql was edited after it was applied in local: the database ran the version with checksum [0-9a-f]{12}…, the file now has [0-9a-f]{12}…`,
      ),
    );
    // README: Impact with its next actions, in both themes.
    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, sample.workspace.settingsPath, theme);
      await readmeScreenshot(page, `impact-${theme}`);
    }
    await clickDialogButton(page, 'Start Rollback…');
    const frame = webviewFrame(page);
    expect(await checklistTitle(frame)).toBe(`Roll back ${EDITED} on local`);
    await frame.locator('#identify-run').click();
    await waitStep(frame, 'identify', 'done');
    expect(await frame.locator('#edited-note').innerText()).toMatch(
      /was edited after it was applied in local: the database ran the version with checksum [0-9a-f]{12}…, the file now has [0-9a-f]{12}…/,
    );
    await runCommand(page, 'View: Close All Editors');
  }, 180_000);

  it('(c, d) no down.sql → Create Rollback…; Impact → Back Up Now; the history note; progress of backup, verify and Apply', async () => {
    const { page } = wb;
    const down = path.join(sample.workspace.migrationDir(TARGET), 'down.sql');
    const targetBefore = await description(page, 'local', TARGET);
    await runContextMenu(page, await childRow(page, VIEW, 'local', TARGET), 'Check Impact on Environment…');
    await waitForNotification(page, /has no down\.sql yet: create the rollback first/);
    await clickNotificationButton(page, /has no down\.sql yet/, 'Create Rollback…');
    await waitUntil(
      () =>
        fs.access(down).then(
          () => true,
          () => false,
        ),
      (ok) => ok,
      'Create Rollback… wrote down.sql',
    );
    await runCommand(page, 'View: Close All Editors');
    await treeSettled(page, 'local', TARGET, targetBefore);

    await query(sample.localUrl, `INSERT INTO "Tag" ("name") VALUES ('a'), ('b')`);
    await runContextMenu(page, await childRow(page, VIEW, 'local', TARGET), 'Check Impact on Environment…');
    expect(await dialogText(page)).toContain('down.sql would delete 2 rows of "Tag"');
    await clickDialogButton(page, 'Back Up Now');
    // Back Up Now opens the checklist and runs its backup: a notification while pg_dump runs,
    // the size in the step when it is done.
    await waitForNotification(page, /Backup — local: running…/, 15_000);
    const frame = webviewFrame(page);
    expect(await checklistTitle(frame)).toBe(`Roll back ${TARGET} on local`);
    await waitStep(frame, 'backup', 'done', 120_000);
    expect(await frame.locator('#step-backup').innerText()).toMatch(/File: \S+\.dump \(\d+(\.\d)? KiB\)/);
    // Two later migrations stay applied on local: the note says what migrate deploy does next.
    expect(await frame.locator('#history-note').innerText()).toMatch(
      new RegExp(
        `${TARGET} is in the middle of the history: 2 later migrations stay applied \\(.+\\)\\. The next \`prisma migrate deploy\` re-applies ${TARGET} after them`,
      ),
    );

    // Verify reports how many migrations it replayed while it runs.
    await frame.locator('#script-run').click();
    await waitStep(frame, 'script', 'done');
    // Every progress line the step shows while it runs (a MutationObserver in the webview: the
    // lines change faster than a poll).
    await frame.locator('body').evaluate(() => {
      const w = window as unknown as { progressSeen: string[] };
      w.progressSeen = [];
      new MutationObserver(() => {
        const t = document.getElementById('verify-progress')?.textContent?.trim();
        if (t && w.progressSeen[w.progressSeen.length - 1] !== t) w.progressSeen.push(t);
      }).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
    });
    await frame.locator('#verify-run').click();
    await waitStep(frame, 'verify', 'done', 120_000);
    const seen = await frame
      .locator('body')
      .evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(
      seen.some((t) => /^\d+ of \d+ migrations replayed \(\d+%\)$/.test(t)),
      `progress shown: ${seen.join(' | ') || 'none'}`,
    ).toBe(true);

    // Apply: the statement it reached, of how many — in the step and in its notification.
    const applyNotifications = await recordNotifications(page);
    await frame.locator('#apply-run').click();
    await waitStep(frame, 'apply', 'done', 120_000);
    expect(await frame.locator('#step-apply').innerText()).toMatch(/Reached: Statement (\d+) of \1/);
    const applySeen = await applyNotifications();
    expect(
      applySeen.some((t) => /Apply to target — local: running….*Statement \d+ of \d+/.test(t)),
      applySeen.join(' | '),
    ).toBe(true);
    await hidePanel(page);
    await reveal(frame, '#step-apply');
    await screenshot(page, 'apply-progress-reached');
    await runCommand(page, 'View: Close All Editors');

    // Rolled back has its own icon and colour, not pending's.
    await runCommand(page, 'Prisma Rollback: Refresh');
    await waitUntil(
      () => description(page, 'local', TARGET),
      (d) => d.startsWith('rolled back · '),
      'the tree reads rolled back',
    );
    const looks = await stateLooks(page);
    expect([...looks.keys()], 'states in the tree').toContain('rolled back');
    expectDistinct(looks);
  }, 300_000);

  it('(a) the rehearsal runs on the target it names; a failure shows its reason and keeps Apply closed until it passes', async () => {
    const { page } = wb;
    // Something on production the rollback cannot drop without CASCADE: the dry run fails there.
    await query(sample.productionUrl, 'CREATE VIEW "TagNames" AS SELECT "name" FROM "Tag"');
    await runContextMenu(page, await childRow(page, VIEW, 'production', TARGET), 'Start Rollback…');
    // A refresh (after the previous Apply) re-rendered the tree while the menu was open: VS Code then
    // runs the command without its row, and it asks — answer as the row would have.
    const asks = page.locator('.quick-input-widget', { hasText: 'Start Rollback: migration' });
    if (
      await asks.waitFor({ state: 'visible', timeout: 3_000 }).then(
        () => true,
        () => false,
      )
    ) {
      await answerQuickPick(page, TARGET);
      await answerQuickPick(page, 'production');
    }
    const frame = webviewFrame(page);
    expect(await checklistTitle(frame)).toBe(`Roll back ${TARGET} on production`);
    const staging = frame.locator('#step-staging');
    expect(await staging.innerText()).toContain('Rehearse on production');
    const short = await frame.locator('#step-staging .short-command').innerText();
    expect(short).toContain('--dry-run');
    expect(short).toContain('--env production');
    expect(short).not.toContain('--env local');

    await frame.locator('#staging-typed input').fill('production');
    await frame.locator('#staging-run').click();
    await waitStep(frame, 'staging', 'failed', 120_000);
    // PostgreSQL's reason, in the step (not only in the terminal).
    expect(await staging.locator('.error-text').first().innerText()).toMatch(
      /Exit code \d+: .*cannot drop table "Tag" because other objects depend on it/s,
    );
    expect(await frame.locator('#step-apply .blockers').innerText()).toContain(
      'The rehearsal on production failed: fix it and rehearse again, or skip the rehearsal with a reason.',
    );
    expect(await isDisabled(frame, 'apply-run')).toBe(true);
    await hidePanel(page);
    await reveal(frame, '#step-staging');
    await screenshot(page, 'rehearsal-failed');

    // Fixed on production: the rehearsal passes, and no longer blocks Apply.
    await query(sample.productionUrl, 'DROP VIEW "TagNames"');
    await frame.locator('#staging-typed input').fill('production');
    const notifications = await recordNotifications(page);
    await frame.locator('#staging-run').click();
    // The step reads failed (the first run) until the host re-renders it running: wait for that first.
    await waitUntil(
      () => stepState(frame, 'staging'),
      (st) => st !== 'failed',
      'the rehearsal started again',
      30_000,
    );
    await waitStep(frame, 'staging', 'done', 120_000);
    expect(await staging.innerText()).toMatch(/Reached: Statement (\d+) of \1/);
    // The notification names where the rehearsal runs and how far it got.
    const seen = await notifications();
    expect(
      seen.some((t) => /Rehearse on production: running….*Statement \d+ of \d+/.test(t)),
      seen.join(' | '),
    ).toBe(true);
    expect(await frame.locator('#step-apply .blockers').innerText()).not.toContain('rehearsal');
    // Nothing changed on production: the table is still there.
    const tag = await query<{ n: string }>(
      sample.productionUrl,
      `SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'Tag'`,
    );
    expect(Number(tag[0].n)).toBe(1);
    expect(await description(page, 'production', TARGET)).toMatch(/^applied/);
  }, 240_000);
});
