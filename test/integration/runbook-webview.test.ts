/**
 * The checklist webview bundle in a real Chromium (Debian's, through playwright-core): the HTML
 * the host serves (strict CSP with a nonce) loads the built bundle, the ready handshake is sent
 * first, a state from the host renders every step, the gate and the typed confirmation behave,
 * everything is reachable by keyboard, and the CSP blocks nothing the page needs.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Capabilities,
  createChecklist,
  endCheck,
  finishStep,
  startStep,
} from '../../src/core/runbook/checklist';
import { stepCommand } from '../../src/core/runbook/commands';
import { viewChecklist } from '../../src/core/runbook/view';
import { reapplyAfterLaterNote } from '../../src/core/status/present-rollback';
import { formatDateTime } from '../../src/core/status/time';
import { checklistHtml } from '../../src/vscode/checklist/html';

const root = path.resolve(__dirname, '../..');
const out = path.join(root, 'dist', 'webview');
const CAPS: Capabilities = { generator: false, verifier: true, impact: false };

function view(o: { backup?: boolean; verified?: boolean; rehearsed?: boolean } = {}) {
  let s = createChecklist({
    key: { projectId: '/w/app', migration: '20250101000000_add_widgets', environment: 'production' },
    protected: true,
    migrationState: 'applied',
  });
  if (o.backup)
    s = finishStep(startStep(s, 'backup', { commandLine: 'node cli.js backup' }), 'backup', {
      exitCode: 0,
      detail: { file: '/b/p.dump', size: '12.0 KiB' },
    });
  if (o.verified)
    s = endCheck(startStep(s, 'verify', { caps: CAPS }), 'verify', {
      ok: true,
      detail: { result: 'verified' },
    });
  if (o.rehearsed)
    s = finishStep(
      startStep(s, 'staging', { commandLine: 'node cli.js apply-down --dry-run', typed: 'production' }),
      'staging',
      { exitCode: 0, detail: { progress: 'Statement 2 of 2' } },
    );
  const ctx = {
    runner: 'bundled' as const,
    projectRoot: '/w/app',
    migrationsDir: '/w/app/prisma/migrations',
    migration: s.key.migration,
    environment: 'production',
    migrationState: 'applied' as const,
    node: '/usr/bin/node',
    cliPath: '/ext/dist/cli.js',
    packageManager: 'npm' as const,
  };
  return viewChecklist(s, CAPS, {
    projectLabel: 'app',
    statusLine: 'applied 2025-01-01 12:00:00 UTC · 127.0.0.1:5432/app',
    historyNote: reapplyAfterLaterNote('20250101000000_add_widgets', ['20250102000000_widget_owner']),
    auditLog: '/w/app/.prisma-rollback/audit.jsonl',
    commands: {
      backup: stepCommand('backup', ctx),
      apply: stepCommand('apply', ctx),
      staging: stepCommand('staging', ctx),
    },
  });
}

describe('checklist webview in Chromium', () => {
  let browser: Browser;
  let server: http.Server;
  let base: string;
  let page: Page;
  const posted: unknown[] = [];
  const cspViolations: string[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(root, 'webview', 'build.mjs')], { cwd: root });
    server = http.createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0];
      if (name === '/') {
        const html = checklistHtml({
          cspSource: base,
          script: `${base}/checklist.js`,
          style: `${base}/checklist.css`,
          codicons: `${base}/codicon.css`,
          title: 'Checklist',
        });
        // The VS Code webview API, as the webview host injects it.
        const shim = `<script nonce="SHIM">window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted(m), getState: () => window.__state, setState: (s) => { window.__state = s; } });</script>`;
        const nonce = /nonce-([A-Za-z0-9]+)/.exec(html)![1];
        res.setHeader('content-type', 'text/html');
        res.end(html.replace('<body>', `<body>${shim.replace('SHIM', nonce)}`));
        return;
      }
      const file = path.join(out, path.basename(name));
      if (!fs.existsSync(file)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader(
        'content-type',
        name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'font/ttf',
      );
      res.end(fs.readFileSync(file));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu'],
    });
    page = await browser.newPage({ colorScheme: 'dark' });
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.exposeFunction('__posted', (m: unknown) => posted.push(m));
    await page.goto(base);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  const send = (v: unknown) => page.evaluate((m) => window.postMessage(m, '*'), { type: 'state', view: v });

  it('sends ready first, then renders the twelve steps from the host state', async () => {
    await expect.poll(() => posted[0]).toEqual({ type: 'ready' });
    await send(view());
    await page.waitForSelector('#step-followUp');
    const titles = await page.$$eval('ol.steps > li h2', (els) => els.map((e) => e.textContent));
    expect(titles).toEqual([
      '1. Identify',
      '2. Review',
      '3. Rollback script',
      '4. Verify in embedded PostgreSQL',
      '5. Impact on the target',
      '6. Backup',
      '7. Notify team',
      '8. Rehearse on production',
      '9. Apply to target',
      '10. Mark rolled back',
      '11. Confirm',
      '12. Follow up',
    ]);
    expect(await page.textContent('#step-script')).toContain('Not available yet');
    // In the middle of the history: what the next deploy does, where the migration is identified.
    expect(await page.textContent('#step-identify #history-note')).toContain(
      'The next `prisma migrate deploy` re-applies 20250101000000_add_widgets after it, not in its original place.',
    );
    // The command as a person types it; the full line (absolute paths) behind a closed disclosure.
    expect(await page.textContent('#step-apply .short-command')).toBe(
      'prisma-rollback apply-down 20250101000000_add_widgets --after keep --env production',
    );
    expect(await page.textContent('#step-backup .short-command')).toBe(
      'prisma-rollback backup --format custom --env production',
    );
    expect(await page.textContent('#backup-full-command code')).toContain('/ext/dist/cli.js backup');
    expect(await page.isVisible('#backup-full-command code')).toBe(false);
    await page.click('#backup-full-command summary');
    expect(await page.isVisible('#backup-full-command code')).toBe(true);
    expect(await page.textContent('#step-apply')).toContain('Backup is not done.');
    expect(await page.getAttribute('#apply-run', 'disabled')).not.toBeNull();
    expect(
      await page.evaluate(
        () => (document.getElementById('notify-text') as HTMLTextAreaElement & { value: string }).value,
      ),
    ).toContain('rolling back migration 20250101000000_add_widgets on production (protected)');
    expect(cspViolations).toEqual([]);
    // The page's CSP is the one the host writes.
    expect(
      await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.getAttribute('content')),
    ).toMatch(/^default-src 'none'; .*script-src 'nonce-[A-Za-z0-9]+'$/);
  });

  it('after backup, verification and the rehearsal the apply gate opens and asks for the environment name; the typed text is sent', async () => {
    await send(view({ backup: true, verified: true }));
    expect(await page.textContent('#step-apply .blockers')).toContain(
      'The rehearsal on production has not passed: rehearse, or skip it with a reason.',
    );
    await send(view({ backup: true, verified: true, rehearsed: true }));
    expect(await page.textContent('#step-staging')).toContain('Reached: Statement 2 of 2');
    await page.waitForFunction(() => !document.querySelector('#step-apply .blockers'));
    expect(await page.textContent('#step-apply')).toContain('Type “production” to run it there');
    // Run stays disabled, with the reason beside the field, until the name matches.
    expect(await page.getAttribute('#apply-run', 'disabled')).not.toBeNull();
    expect(await page.textContent('#apply-typed-hint')).toBe(
      'Run stays disabled until you type “production”.',
    );
    await page.focus('#apply-typed');
    await page.keyboard.type('prod');
    expect(await page.getAttribute('#apply-run', 'disabled')).not.toBeNull();
    expect(await page.textContent('#apply-typed-hint')).toBe(
      '“prod” is not “production”: Run stays disabled.',
    );
    await page.keyboard.type('uction');
    await page.waitForFunction(() => !document.getElementById('apply-run')?.hasAttribute('disabled'));
    expect(await page.textContent('#apply-typed-hint')).toBe('The name matches: Run is enabled.');
    posted.length = 0;
    await page.click('#apply-run');
    await expect.poll(() => posted).toEqual([{ type: 'run', step: 'apply', typed: 'production' }]);
    expect(await page.textContent('#step-backup')).toContain('File: /b/p.dump (12.0 KiB)');
  });

  it('every action is reachable with the keyboard', async () => {
    // Apply's Run is enabled (and so in the tab order) once the environment's name is typed.
    await page.fill('#apply-typed input', 'production');
    await page.waitForFunction(() => !document.getElementById('apply-run')?.hasAttribute('disabled'));
    await page.focus('body');
    const seen = new Set<string>();
    for (let i = 0; i < 120; i++) {
      await page.keyboard.press('Tab');
      // The focused element of the page (a custom element keeps focus in its shadow root, its host is what we name).
      const id = await page.evaluate(() => document.activeElement?.closest('[id]')?.id ?? '');
      if (id) seen.add(id);
    }
    for (const id of [
      'runner-bundled',
      'refresh',
      'audit',
      'review-diff',
      'backup-run',
      'notify-copy',
      'apply-typed',
      'apply-run',
      'identify-run',
    ]) {
      expect(seen, id).toContain(id);
    }
    // Skipping needs a reason typed in a field that opens inline.
    await page.click('#notify-skip-open');
    await page.waitForSelector('#notify-skip-reason');
    await page.focus('#notify-skip-reason');
    await page.keyboard.type('team already informed in #ops');
    posted.length = 0;
    await page.click('#notify-skip');
    await expect
      .poll(() => posted)
      .toEqual([{ type: 'skip', step: 'notify', reason: 'team already informed in #ops' }]);
    const shot = path.join(root, 'test-results', 'checklist-webview-dark.png');
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
  });

  it('lists the dependent later migrations with their reasons, says why when they are not listed, and shows step 10 skipped after apply-down', async () => {
    let st = createChecklist({
      key: { projectId: '/w/app', migration: '20250101000000_add_widgets', environment: 'local' },
      protected: false,
      migrationState: 'applied',
    });
    st = finishStep(startStep(st, 'apply', { commandLine: 'node cli.js apply-down' }), 'apply', {
      exitCode: 0,
      detail: { marksRolledBack: true },
      now: new Date(Date.UTC(2026, 2, 3, 9, 15, 42)),
    });
    const base = { projectLabel: 'app', auditLog: '/w/a.jsonl', commands: {} };
    await send(
      viewChecklist(st, CAPS, {
        ...base,
        dependents: [
          {
            name: '20250102000000_widget_owner',
            reasons: [
              'line 2: adds a foreign key to table "Widget", which 20250101000000_add_widgets created',
            ],
            state: 'applied',
          },
        ],
      }),
    );
    await page.waitForSelector('#dependents li');
    const deps = await page.textContent('#dependents');
    expect(deps).toContain('1 later migration depends on it:');
    expect(deps).toContain('20250102000000_widget_owner (applied in local)');
    expect(deps).toContain('line 2: adds a foreign key to table "Widget"');
    const step10 = await page.textContent('#step-markRolledBack');
    expect(step10).toContain(
      `apply-down already recorded the rollback in _prisma_migrations at ${formatDateTime('2026-03-03T09:15:42Z')}`,
    );
    expect(await page.getAttribute('#step-markRolledBack', 'class')).toContain('skipped');
    expect(await page.getAttribute('#markRolledBack-run', 'disabled')).not.toBeNull();

    await send(viewChecklist(st, CAPS, { ...base, dependents: [] }));
    await expect
      .poll(() => page.textContent('#dependents'))
      .toBe('No later migration touches what this one created or changed.');
    await send(
      viewChecklist(st, CAPS, {
        ...base,
        dependentsNote: 'Dependent later migrations could not be listed: its migration.sql does not parse.',
      }),
    );
    await expect
      .poll(() => page.textContent('#dependents'))
      .toBe('Dependent later migrations could not be listed: its migration.sql does not parse.');
    expect(await page.textContent('#step-identify')).not.toContain('not available yet');
  });
});
