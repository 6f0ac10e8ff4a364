/**
 * Driving a real VS Code (code-server in Debian's Chromium, through playwright-core) the way
 * a user does: open a folder, run palette commands, read notifications, open the Prisma
 * Rollback view container, read tree rows (label, description, aria-label, tooltip), answer
 * quick inputs, switch theme, take screenshots.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { beforeEach, inject } from 'vitest';
import { REPO } from '../../../scripts/e2e/harness';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** What the global set-up started (see test/e2e/global-setup.ts). */
export function e2eContext() {
  return {
    codeServerUrl: inject('codeServerUrl'),
    adminUrl: inject('adminUrl'),
    samplesDir: inject('samplesDir'),
    screenshotsDir: inject('screenshotsDir'),
    userDataDir: inject('userDataDir'),
    chromium: inject('chromiumPath'),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: e2eContext().chromium, args: CHROMIUM_ARGS });
}

export interface Workbench {
  page: Page;
  folder: string;
  close(): Promise<void>;
}

/**
 * Opens `folder` in the workbench and waits until the workbench is up and the extension's view
 * container (`container`, default "Prisma Rollback"; null to skip) is in the activity bar.
 */
export async function openWorkbench(
  browser: Browser,
  folder: string,
  container: string | null = 'Prisma Rollback',
): Promise<Workbench> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(`${e2eContext().codeServerUrl}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The activity bar lists contributed containers once the extension host has read the manifests.
  await page.locator('.activitybar .action-item').first().waitFor({ timeout: 30_000 });
  if (container)
    await page
      .locator(`.activitybar .action-item [aria-label^="${container}"]`)
      .first()
      .waitFor({ timeout: 30_000 });
  return { page, folder, close: () => context.close() };
}

/** Runs a command by its palette title (F1, type, Enter on the row whose label is exactly `title`). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
  });
  // The palette opened while an editor (a diff editor, a webview) was taking focus may drop the
  // typed text, not list the command yet, or close under the pointer (the row goes inert, then
  // hidden): open it again, up to three times. A click that landed ran the command and closed the
  // palette; one that did not leaves nothing run, so a retry never runs the command twice.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    try {
      await row.first().waitFor({ state: 'visible', timeout: 10_000 });
      await row.first().click({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/**
 * Picks `file` in the web workbench's simple file dialog that `open` opens (it must leave the
 * dialog's input showing). The dialog fills in its folder first, possibly twice while it lists it:
 * the path is typed once the input has held a folder for 500 ms, then OK. Retries the whole pick
 * (up to three times) when the dialog closed without taking the path, which `picked` reports.
 */
export async function pickFileInDialog(
  page: Page,
  file: string,
  open: () => Promise<void>,
  picked: () => Promise<boolean>,
): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await open();
    await input.waitFor({ timeout: 15_000 });
    let folder = '';
    let since = Date.now();
    await waitUntil(
      async () => {
        const v = await input.inputValue();
        if (v !== folder) {
          folder = v;
          since = Date.now();
        }
        return v.endsWith('/') && Date.now() - since >= 500;
      },
      (ready) => ready,
      'file dialog ready',
      15_000,
    );
    await input.fill(file);
    await waitUntil(
      () => input.inputValue(),
      (v) => v === file,
      'path typed',
      10_000,
    );
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
    // A dialog still open after OK did not take the path (it may have re-listed its folder).
    await page
      .locator('.quick-input-widget')
      .waitFor({ state: 'hidden', timeout: 15_000 })
      .catch(() => page.keyboard.press('Escape'));
    const ok = await waitUntil(picked, (p) => p, 'the picked file taken', 10_000).then(
      () => true,
      (e) => {
        if (attempt >= 3) throw e;
        return false;
      },
    );
    if (ok) return;
  }
}

/** The commands the palette offers for `query` (their labels), e.g. to check what an extension contributes. */
export async function paletteCommands(page: Page, query: string): Promise<string[]> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${query}`);
  await page.waitForTimeout(300);
  const labels = await page.locator('.quick-input-widget .monaco-list-row .label-name').allInnerTexts();
  await page.keyboard.press('Escape');
  return labels.map((l) => l.trim());
}

/** Texts of the notification toasts currently shown. */
export async function notifications(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).map(
    (t) => t.trim(),
  );
}

/** Waits for a notification toast whose text matches and returns that text. */
export async function waitForNotification(page: Page, match: RegExp, timeout = 20_000): Promise<string> {
  const toast = page
    .locator('.notifications-toasts .notification-list-item-message')
    .filter({ hasText: match });
  await toast.first().waitFor({ state: 'visible', timeout });
  return (await toast.first().innerText()).trim();
}

/**
 * Starts recording every text the notification toasts show from now on (a MutationObserver in the
 * workbench: a progress notification's message changes faster than a poll, and the toast may be
 * gone by the time the step ends). Returns a reader of the texts seen, in order, each once.
 */
export async function recordNotifications(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { toastsSeen: string[]; toastsObserver?: MutationObserver };
    w.toastsObserver?.disconnect();
    w.toastsSeen = [];
    const read = () => {
      for (const el of Array.from(
        document.querySelectorAll('.notifications-toasts .notification-list-item-message'),
      )) {
        const t = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (t && !w.toastsSeen.includes(t)) w.toastsSeen.push(t);
      }
    };
    w.toastsObserver = new MutationObserver(read);
    w.toastsObserver.observe(document.querySelector('.notifications-toasts') ?? document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  });
  return () => page.evaluate(() => (window as unknown as { toastsSeen: string[] }).toastsSeen);
}

/** Clicks a button on the notification toast whose text matches. */
export async function clickNotificationButton(page: Page, match: RegExp, button: string): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: match });
  await toast.first().locator('.monaco-button', { hasText: button }).first().click();
}

/** Dismisses all toasts (so the next assertion reads only new ones). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
}

/** Clicks the activity bar entry whose accessible name starts with `title` and waits for its side bar. */
export async function openViewContainer(page: Page, title = 'Prisma Rollback'): Promise<Locator> {
  const entry = page.locator(`.activitybar .action-item [aria-label^="${title}"]`).first();
  await entry.waitFor({ state: 'visible', timeout: 30_000 });
  const sidebar = page.locator('.part.sidebar');
  const titleLabel = sidebar.locator('.composite.title .title-label h2');
  if (!(await sidebar.isVisible()) || !(await titleLabel.innerText().catch(() => '')).startsWith(title)) {
    await entry.click();
  }
  await titleLabel
    .filter({ hasText: new RegExp(`^${escapeRegExp(title)}`, 'i') })
    .waitFor({ timeout: 10_000 });
  return sidebar;
}

/** The pane of a view (by its name, e.g. "Migrations") inside the side bar. */
export function viewPane(page: Page, viewName: string): Locator {
  return page.locator('.part.sidebar .pane').filter({
    has: page.locator(`.pane-header[aria-label^="${viewName} "], .pane-header[aria-label="${viewName}"]`),
  });
}

export interface TreeRow {
  /**
   * What the row stands for, whole: a migration's folder name (its label shows it without the
   * timestamp prefix; the full name leads its accessible name, `name, description`), otherwise the label.
   * Rows are found by this (childRow, groupRows, journey's description()).
   */
  name: string;
  /** The label as shown. */
  label: string;
  description: string;
  ariaLabel: string;
  level: number;
  /** true / false for expandable rows, undefined for leaves. */
  expanded?: boolean;
  /** Codicon classes of the row's icon, e.g. "codicon-check". */
  icon: string;
  /** Position in the list (rows are virtualised and absolutely positioned; this is their order). */
  index: number;
}

/** The rows a tree view renders right now (visible rows; the lists are virtualised). */
export async function treeRows(page: Page, viewName: string): Promise<TreeRow[]> {
  const rows = viewPane(page, viewName).locator('.monaco-list-row[role="treeitem"]');
  return rows
    .evaluateAll((els) =>
      els.map((el) => {
        const expanded = el.getAttribute('aria-expanded');
        const iconEl = el.querySelector('.custom-view-tree-node-item-icon, .monaco-icon-label .codicon');
        const label = (el.querySelector('.label-name')?.textContent ?? '').trim();
        const ariaLabel = el.getAttribute('aria-label') ?? '';
        // The accessible name's first part when it ends with the shown label (a migration:
        // `20240105093000_init, applied · 2024-01-05` shown as `init`), else the label.
        const head = ariaLabel.split(', ')[0];
        return {
          name: label && head.endsWith(label) ? head : label,
          label,
          description: (el.querySelector('.label-description')?.textContent ?? '').trim(),
          ariaLabel,
          level: Number(el.getAttribute('aria-level') ?? '1'),
          expanded: expanded === null ? undefined : expanded === 'true',
          icon: Array.from(iconEl?.classList ?? [])
            .filter((c) => c.startsWith('codicon-'))
            .join(' '),
          index: Number(el.getAttribute('data-index') ?? '0'),
        };
      }),
    )
    .then((rows) => rows.sort((a, b) => a.index - b.index));
}

/** The locator of a row read by treeRows(). */
export function rowLocator(page: Page, viewName: string, row: TreeRow): Locator {
  return viewPane(page, viewName).locator(`.monaco-list-row[role="treeitem"][data-index="${row.index}"]`);
}

/**
 * The row named `name` (TreeRow.name) under the level-1 row named `parent` (e.g. a migration of one
 * environment), waited for up to `timeout` ms: a refresh or a collapse-and-expand re-renders the
 * list, and a row read in between is missing for a moment (a fresh-clone e2e run failed so, 0.8 s
 * after the journey saw the row). Throws with the rows that were there when it never appears.
 */
export async function childRow(
  page: Page,
  viewName: string,
  parent: string,
  name: string,
  timeout = 10_000,
): Promise<Locator> {
  const until = Date.now() + timeout;
  for (;;) {
    const group = groupRows(await treeRows(page, viewName)).get(parent);
    const row = group?.children.find((r) => r.name === name);
    if (row) return rowLocator(page, viewName, row);
    if (Date.now() > until)
      throw new Error(
        `no row "${name}" under "${parent}" in the ${viewName} view (${group ? `under it: ${group.children.map((r) => r.name).join(', ') || 'nothing'}` : `no "${parent}" row`})`,
      );
    await page.waitForTimeout(250);
  }
}

/** Expands every collapsed row of a view, level by level (up to `maxRounds` passes). */
export async function expandAll(page: Page, viewName: string, maxRounds = 5): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    const collapsed = viewPane(page, viewName).locator('.monaco-list-row[aria-expanded="false"]');
    const n = await collapsed.count();
    if (n === 0) return;
    for (let k = 0; k < n; k++) {
      const row = viewPane(page, viewName).locator('.monaco-list-row[aria-expanded="false"]').first();
      if (!(await row.count())) break;
      await row.locator('.monaco-tl-twistie').click();
      await page.waitForTimeout(150);
    }
  }
}

/** A tree's rows grouped under their level-1 parents by name (e.g. environment → migrations). */
export function groupRows(rows: TreeRow[]): Map<string, { row: TreeRow; children: TreeRow[] }> {
  const groups = new Map<string, { row: TreeRow; children: TreeRow[] }>();
  let current: { row: TreeRow; children: TreeRow[] } | undefined;
  for (const r of rows) {
    if (r.level === 1) {
      current = { row: r, children: [] };
      groups.set(r.name, current);
    } else current?.children.push(r);
  }
  return groups;
}

/** Drags the side bar's edge so that it is `width` pixels wide (long migration names fit). */
export async function widenSidebar(page: Page, width = 560): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const edge = box.x + box.width;
  const sashes = await page.locator('.monaco-sash.vertical').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2, h: r.height };
    }),
  );
  const sash = sashes.find((s) => Math.abs(s.x - edge) < 6 && s.h > 100);
  if (!sash) return;
  await page.mouse.move(sash.x, sash.y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, sash.y, { steps: 5 });
  await page.mouse.up();
  await page.mouse.move(box.x + width + 200, 5);
  await page.waitForTimeout(200);
}

/** Hovers a row and returns the text of the hover (the item's tooltip); `shot` names a screenshot taken meanwhile. */
export async function hoverText(page: Page, row: Locator, shot?: string): Promise<string> {
  const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: /\S/ }).last();
  // The hover can miss its first pointer event while the tree re-renders (a refresh after a
  // command): move away and hover again, three times at most.
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(0, 0);
    await row.locator('.monaco-icon-label').first().hover();
    const shown = await hover.waitFor({ state: 'visible', timeout: 10_000 }).then(
      () => true,
      (e) => {
        if (attempt === 3) throw e;
        return false;
      },
    );
    if (shown) break;
  }
  const text = (await hover.innerText()).trim();
  if (shot) await screenshot(page, shot);
  await page.mouse.move(0, 0);
  await page.keyboard.press('Escape');
  return text;
}

/** Opens the context menu of a row and returns its entries. */
export async function contextMenu(page: Page, row: Locator): Promise<string[]> {
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu .action-label');
  await menu.first().waitFor({ state: 'visible' });
  return (await menu.allInnerTexts()).map((t) => t.trim()).filter(Boolean);
}

/**
 * Picks a context menu entry of a row by its label. Uses the keyboard (the way monaco menus are
 * reliably driven): arrow down to the entry, check that it has focus, Enter.
 */
export async function runContextMenu(page: Page, row: Locator, entry: string): Promise<void> {
  // The tree may re-render (a refresh) between finding the row and clicking it: check that the
  // row still carries the same label once the menu is open, else close the menu and retry.
  const label = (await row.locator('.label-name').first().innerText()).trim();
  for (let attempt = 0; ; attempt++) {
    await row.click({ button: 'right' });
    const now = (
      await row
        .locator('.label-name')
        .first()
        .innerText()
        .catch(() => '')
    ).trim();
    const focused = await row.evaluate((e) => e.classList.contains('focused')).catch(() => false);
    if (now === label && focused) break;
    await page.keyboard.press('Escape');
    if (attempt >= 3) throw new Error(`the row "${label}" changed while opening its context menu`);
    await page.waitForTimeout(500);
  }
  const items = page.locator(
    '.context-view .monaco-menu .action-item:not(.disabled) .action-label:not(.separator)',
  );
  await items.first().waitFor({ state: 'visible' });
  const labels = (await items.allInnerTexts()).map((t) => t.trim());
  const index = labels.indexOf(entry);
  if (index < 0) throw new Error(`context menu has no "${entry}": ${labels.join(', ')}`);
  for (let k = 0; k <= index; k++) await page.keyboard.press('ArrowDown');
  const focused = page.locator('.context-view .monaco-menu .action-item.focused .action-label');
  const text = (await focused.innerText().catch(() => '')).trim();
  if (text !== entry) throw new Error(`context menu focus is on "${text}", expected "${entry}"`);
  await page.keyboard.press('Enter');
  // When the tree re-rendered (a refresh after a file change) while the menu was open, VS Code runs
  // the command without its item, and the command asks which migration — as from the palette.
  // Answer with the row the menu was opened on: the tree labels a migration without its 14-digit
  // timestamp, the quick pick with its whole folder name.
  const ask = page.locator('.quick-input-widget input[placeholder^="Migration whose"]');
  if (
    await ask.waitFor({ state: 'visible', timeout: 1_500 }).then(
      () => true,
      () => false,
    )
  ) {
    await answerQuickPick(page, new RegExp(`^(\\d{14}_)?${escapeRegExp(label)}$`));
  }
}

/**
 * The welcome text a view shows when it has nothing to list (viewsWelcome). With `match`, waits
 * until the text matches (a view usually shows a "loading" welcome first).
 */
export async function welcomeText(
  page: Page,
  viewName: string,
  match?: RegExp,
  timeout = 30_000,
): Promise<string> {
  const w = viewPane(page, viewName).locator('.welcome-view-content');
  await w.first().waitFor({ state: 'visible', timeout });
  if (match) await w.filter({ hasText: match }).first().waitFor({ state: 'visible', timeout });
  return (await w.first().innerText()).trim();
}

/** Answers an open quick pick by item label: a string its start, or a RegExp. */
export async function answerQuickPick(page: Page, label: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-widget .monaco-list-row', {
    has: page.locator('.label-name', {
      hasText: typeof label === 'string' ? new RegExp(`^${escapeRegExp(label)}`) : label,
    }),
  });
  await row.first().waitFor({ state: 'visible', timeout: 10_000 });
  await row.first().click();
}

export async function answerInputBox(page: Page, text: string): Promise<{ prompt: string }> {
  const widget = page.locator('.quick-input-widget');
  await widget.waitFor({ state: 'visible', timeout: 10_000 });
  const prompt = (
    await widget
      .locator('.quick-input-message')
      .innerText()
      .catch(() => '')
  ).trim();
  await widget.locator('.quick-input-box input').fill(text);
  await page.keyboard.press('Enter');
  return { prompt };
}

/** Opens a workspace file by its path relative to the folder (Quick Open, Ctrl+P) and waits until its editor is active. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relativePath);
  // Quick Open lists recently opened files first; pick the row whose path is this one.
  const dir = path.dirname(relativePath);
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: path.basename(relativePath) }) })
    .filter({ hasText: dir === '.' ? /.*/ : dir });
  await row.first().waitFor({ state: 'visible', timeout: 10_000 });
  await row.first().click();
  await page
    .locator(`.editor-group-container.active .tab.active .monaco-icon-label[aria-label*="${relativePath}"]`)
    .waitFor({ timeout: 10_000 });
}

/** Title of the active editor tab (e.g. "migration.sql", "down.sql ↔ migration.sql"). */
export async function activeTabTitle(page: Page): Promise<string> {
  const tab = page.locator('.editor-group-container.active .tabs-container .tab.active');
  return ((await tab.first().getAttribute('aria-label')) ?? '').trim();
}

/** Whether the active editor is a diff editor. */
export async function isDiffEditorActive(page: Page): Promise<boolean> {
  return page.locator('.editor-group-container.active .monaco-diff-editor').first().isVisible();
}

/** Texts of the CodeLenses shown in the active editor (waits until at least one is rendered). */
export async function codeLenses(page: Page, timeout = 20_000): Promise<string[]> {
  const lens = page.locator('.editor-group-container.active .codelens-decoration');
  await lens.first().waitFor({ state: 'visible', timeout });
  // One decoration holds a line's lenses, separated by " | ".
  return (await lens.allInnerTexts())
    .flatMap((t) => t.split(/\s*\n?\|\n?\s*/))
    .map((t) => t.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

/** The lines a Monaco editor renders (visible lines only), top to bottom. */
export async function editorLines(editor: Locator): Promise<string[]> {
  return editor.locator('.view-lines .view-line').evaluateAll((els) =>
    els
      .map((e) => ({
        top: Number.parseFloat((e as HTMLElement).style.top || '0'),
        text: (e.textContent ?? '').replace(/\u00a0/g, ' '),
      }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text),
  );
}

/** The content frame of a webview panel (VS Code nests it: iframe.webview → #active-frame); `index` picks one of several. */
export function webviewFrame(page: Page, index = 0) {
  return page.frameLocator('iframe.webview.ready').nth(index).frameLocator('#active-frame');
}

/** Text of the integrated terminal (DOM renderer; the harness turns GPU acceleration off). */
export async function terminalText(page: Page): Promise<string> {
  const rows = page.locator('.terminal-wrapper.active .xterm-rows, .xterm .xterm-rows').first();
  await rows.waitFor({ state: 'attached', timeout: 10_000 });
  return (await rows.innerText()).replace(/\u00a0/g, ' ');
}

/** Switches the colour theme through the workspace settings file and waits for the workbench to repaint. */
export async function setTheme(page: Page, settingsPath: string, theme: 'light' | 'dark'): Promise<void> {
  const current = JSON.parse(await fs.readFile(settingsPath, 'utf8').catch(() => '{}')) as Record<
    string,
    unknown
  >;
  current['workbench.colorTheme'] = theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern';
  await fs.writeFile(settingsPath, `${JSON.stringify(current, null, 2)}\n`);
  await page
    .locator(theme === 'dark' ? '.monaco-workbench.vs-dark' : '.monaco-workbench.vs')
    .waitFor({ timeout: 15_000 });
  await page.waitForTimeout(300);
}

/** Saves a PNG into the run's screenshot folder and returns its path. */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  const file = path.join(e2eContext().screenshotsDir, `${name}.png`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await target.screenshot({ path: file });
  return file;
}

/**
 * A screenshot the README shows: saved like `screenshot()` and copied to media/screenshots/<name>.png
 * (the folder README.md points at), so that every green run retakes it.
 */
export async function readmeScreenshot(target: Page | Locator, name: string): Promise<string> {
  const file = await screenshot(target, name);
  const dir = path.join(REPO, 'media', 'screenshots');
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(file, path.join(dir, `${name}.png`));
  return file;
}

/** Contents of the extension's output channels written by code-server (for failure messages). */
export async function extensionLogs(match = /prisma/i): Promise<string> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.log') && (match.test(e.name) || e.name.endsWith('exthost.log'))) {
        out.push(`--- ${e.name}\n${(await fs.readFile(p, 'utf8')).slice(-4000)}`);
      }
    }
  }
  await walk(path.join(e2eContext().userDataDir, 'logs'));
  return out.join('\n');
}

/**
 * On every failing test of the calling file: a screenshot named FAILED-<test> and the tail of the
 * extension's logs on stderr, so that a red CI run says what the screen showed.
 */
export function recordFailures(page: () => Page | undefined): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      const p = page();
      const name = `FAILED-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}`;
      if (p) await screenshot(p, name).catch(() => {});
      process.stderr.write(
        `[e2e] ${ctx.task.name} failed; screenshot ${name}.png\n${await extensionLogs().catch(() => '')}\n`,
      );
    });
  });
}

/** Polls `read` until `ok` holds (usable in hooks, where expect.poll is not); returns the last value. */
export async function waitUntil<T>(
  read: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  timeout = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeout;
  let last: T = await read();
  while (!ok(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeout} ms waiting for ${what}; last value: ${JSON.stringify(last)}`,
      );
    await new Promise((r) => setTimeout(r, 300));
    last = await read();
  }
  return last;
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
