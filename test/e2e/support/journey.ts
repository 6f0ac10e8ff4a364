/**
 * The set-up every journey repeats, in one place: a sample workspace with its own databases
 * (scripts/e2e/harness.ts createSample, optionally prepared further), Chromium, the workbench on
 * that folder, the Prisma Rollback container open, the side bar at a given width, and the tree
 * loaded (a migration's description read from the databases). Plus the checklist webview's
 * readers the journeys share (a step's state, waiting for one, a disabled button).
 */
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { createSample, type SampleSetup } from '../../../scripts/e2e/harness';
import {
  e2eContext,
  groupRows,
  launchBrowser,
  openViewContainer,
  openWorkbench,
  treeRows,
  type Workbench,
  waitUntil,
  widenSidebar,
} from './workbench';

export const VIEW = 'Migrations';

export interface Journey {
  browser: Browser;
  wb: Workbench;
  page: Page;
  /** Closes the workbench and the browser (the workspace is the caller's). */
  close(): Promise<void>;
}

export interface JourneyOptions {
  /** Side bar width in pixels (default 560, so that long migration names fit); null leaves VS Code's default (300). */
  width?: number | null;
  /** Waits until the tree shows this migration of this environment with a matching description. */
  ready?: { env: string; migration: string; description: RegExp };
}

/**
 * Opens `folder` in a new Chromium on the e2e code-server, opens the Prisma Rollback container,
 * sets the side bar's width and waits until the tree is loaded (`ready`, up to 60 s). Throws
 * (after closing what it opened) when any of it times out.
 */
export async function openJourney(folder: string, o: JourneyOptions = {}): Promise<Journey> {
  const browser = await launchBrowser();
  try {
    const wb = await openWorkbench(browser, folder);
    await openViewContainer(wb.page, 'Prisma Rollback');
    if (o.width !== null) await widenSidebar(wb.page, o.width ?? 560);
    const ready = o.ready;
    if (ready)
      await waitUntil(
        () => description(wb.page, ready.env, ready.migration),
        (d) => ready.description.test(d),
        `tree loaded (${ready.env} / ${ready.migration})`,
        60_000,
      );
    return {
      browser,
      wb,
      page: wb.page,
      close: async () => {
        await wb.close().catch(() => {});
        await browser.close();
      },
    };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

export interface SampleJourney extends Journey {
  sample: SampleSetup;
}

/**
 * A fresh sample workspace (local and production databases in the sample's states), changed by
 * `prepare` before VS Code opens it, then `openJourney`. `close()` also drops the databases and
 * removes the workspace.
 */
export async function sampleJourney(
  o: JourneyOptions & { prepare?: (sample: SampleSetup) => Promise<void> } = {},
): Promise<SampleJourney> {
  const ctx = e2eContext();
  const sample = await createSample(ctx.adminUrl, ctx.samplesDir);
  try {
    await o.prepare?.(sample);
    const j = await openJourney(sample.workspace.dir, o);
    return {
      ...j,
      sample,
      close: async () => {
        await j.close();
        await sample.remove();
      },
    };
  } catch (e) {
    await sample.remove();
    throw e;
  }
}

/** The description of a migration's row under an environment in the Migrations view ("" when not rendered). */
export async function description(page: Page, env: string, name: string): Promise<string> {
  const group = groupRows(await treeRows(page, VIEW)).get(env);
  return group?.children.find((r) => r.name === name)?.description ?? '';
}

/** State class of a checklist step (`todo`, `running`, `done`, `failed`, `skipped`). */
export async function stepState(frame: FrameLocator, id: string): Promise<string> {
  // The webview re-renders while a task's terminal opens: a read that finds no step is retried.
  const cls =
    (await frame
      .locator(`#step-${id}`)
      .getAttribute('class', { timeout: 5_000 })
      .catch(() => 'unavailable')) ?? '';
  return ['running', 'done', 'failed', 'skipped', 'todo'].find((s) => cls.split(/\s+/).includes(s)) ?? cls;
}

/** Waits until a step reads `state`; a step that failed instead throws with the step's text. */
export async function waitStep(
  frame: FrameLocator,
  id: string,
  state: string,
  timeout = 60_000,
): Promise<void> {
  // The value that ended the wait (a second read may meet the webview mid re-render).
  const now = await waitUntil(
    () => stepState(frame, id),
    (s) => s === state || (s === 'failed' && state !== 'failed'),
    `step ${id} ${state}`,
    timeout,
  );
  if (now !== state)
    throw new Error(
      `step ${id} is ${now}, expected ${state}:\n${await frame.locator(`#step-${id}`).innerText()}`,
    );
}

/** Whether the checklist button with this id carries the `disabled` attribute. */
export async function isDisabled(frame: FrameLocator, buttonId: string): Promise<boolean> {
  return (await frame.locator(`#${buttonId}`).getAttribute('disabled')) !== null;
}

/** Scrolls a checklist element into view; a re-render (a state update) may replace it meanwhile: try again. */
export async function reveal(frame: FrameLocator, selector: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await frame.locator(selector).scrollIntoViewIfNeeded({ timeout: 5_000 });
      return;
    } catch (e) {
      if (attempt >= 3 || !/not attached/.test(String(e))) throw e;
    }
  }
}
