/**
 * Accessibility scan with axe-core (https://github.com/dequelabs/axe-core) inside the real
 * workbench: its source is evaluated in the frame (through the DevTools protocol, so the
 * webview's Content-Security-Policy does not stop it) and `axe.run` checks the given part of
 * the page against WCAG 2.x A/AA (colour contrast, names of controls, ARIA use).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, FrameLocator, Page } from 'playwright-core';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  /** One line per failing node: its selector and axe's summary of why. */
  nodes: string[];
}

/** The frame behind a webview's FrameLocator (VS Code nests it: iframe.webview → #active-frame). */
export async function frameOf(locator: FrameLocator): Promise<Frame> {
  const body = await locator.locator('body').elementHandle();
  const frame = await body?.ownerFrame();
  if (!frame) throw new Error('the webview frame is not attached');
  return frame;
}

/**
 * Violations of WCAG 2.x A and AA rules in `target` (a page or frame), limited to the
 * elements `include` selects when given; `disableRules` turns rules off (say why at the call). `impacts` keeps only those impacts (default serious
 * and critical: what the product's acceptance counts).
 */
export async function axeViolations(
  target: Page | Frame,
  o: { include?: string; impacts?: string[]; disableRules?: string[] } = {},
): Promise<AxeViolation[]> {
  const has = await target.evaluate(() => typeof (window as { axe?: unknown }).axe !== 'undefined');
  if (!has) await target.evaluate(axeSource);
  const impacts = o.impacts ?? ['serious', 'critical'];
  const found = await target.evaluate(
    async ({ include, disableRules }) => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected at run time, untyped here.
      const axe = (window as any).axe;
      const context = include ? { include: [[include]] } : document;
      const r = await axe.run(context, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        resultTypes: ['violations'],
        elementRef: true,
        rules: Object.fromEntries(disableRules.map((id) => [id, { enabled: false }])),
      });
      return (
        r.violations as {
          id: string;
          impact: string | null;
          help: string;
          nodes: { target: string[]; element?: HTMLElement; failureSummary?: string }[];
        }[]
      ).map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map(
          (n) =>
            `${n.target.join(' ')}: ${(n.failureSummary ?? '').replace(/\s+/g, ' ')} — name “${n.element?.getAttribute('aria-label') ?? ''}”, text “${(n.element?.innerText ?? '').replace(/\s+/g, ' ')}”`,
        ),
      }));
    },
    { include: o.include, disableRules: o.disableRules ?? [] },
  );
  return found.filter((v) => v.impact !== null && impacts.includes(v.impact));
}

/** Violations as readable lines (for an assertion's message). */
export function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.impact} ${v.id} (${v.help}):\n  ${v.nodes.join('\n  ')}`).join('\n');
}
