/**
 * The archive in the real VS Code (code-server + Chromium), issue 12: a migration that drops a
 * column holding values is deployed through `prisma-rollback deploy` (which archives the column
 * in `_prisma_rollback`), the Migrations view shows the archive badge and its tooltip says what is
 * archived, the rollback checklist's Backup step names the archive, Apply restores it, and SQL
 * reads the column's values back exactly.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyFirst,
  createDatabase,
  createSampleWorkspace,
  dropDatabase,
  type SampleWorkspace,
} from '../../scripts/demo/sample';
import { REPO } from '../../scripts/e2e/harness';
import { query } from './support/db';
import { description, type Journey, openJourney, reveal, stepState, VIEW, waitStep } from './support/journey';
import {
  childRow,
  e2eContext,
  hoverText,
  pickFileInDialog,
  recordFailures,
  runCommand,
  runContextMenu,
  screenshot,
  type Workbench,
  waitUntil,
  webviewFrame,
} from './support/workbench';

const DROP = '20240501000000_drop_user_bio';
const BIO = [
  { email: 'ada@acme.dev', bio: 'First programmer. Notes on the Analytical Engine' },
  { email: 'grace@acme.dev', bio: null },
  { email: 'linus@acme.dev', bio: 'Ünïcode, "quotes" and \\ backslash' },
];

describe('the archive: deploy archives a dropped column, the checklist restores it', () => {
  let j: Journey | undefined;
  let wb: Workbench;
  let ws: SampleWorkspace;
  let localUrl: string;
  let prodUrl: string;
  const id = Math.random().toString(16).slice(2, 10);
  recordFailures(() => wb?.page);

  beforeAll(async () => {
    const ctx = e2eContext();
    localUrl = await createDatabase(ctx.adminUrl, `acme_arch_local_${id}`);
    prodUrl = await createDatabase(ctx.adminUrl, `acme_arch_prod_${id}`);
    ws = await createSampleWorkspace(path.join(ctx.samplesDir, `acme-archive-${id}`), {
      localUrl,
      productionUrl: prodUrl,
      migrations: 2,
    });
    await applyFirst(ws, localUrl, 2);
    await applyFirst(ws, prodUrl, 2);
    for (const u of BIO)
      await query(
        localUrl,
        `INSERT INTO "User" ("email", "name", "bio", "updatedAt") VALUES ($1, $1, $2, now())`,
        [u.email, u.bio],
      );
    // The migration that destroys values, deployed by our CLI: the archive is taken in its transaction.
    await fs.mkdir(ws.migrationDir(DROP), { recursive: true });
    await fs.writeFile(
      path.join(ws.migrationDir(DROP), 'migration.sql'),
      '-- AlterTable\nALTER TABLE "User" DROP COLUMN "bio";\n',
    );
    const out = execFileSync(
      process.execPath,
      [path.join(REPO, 'dist', 'cli.js'), 'deploy', '--project', ws.dir, '--env', 'local'],
      { encoding: 'utf8', cwd: ws.dir },
    );
    expect(out).toContain(DROP);
    const archived = await query<{ table_name: string; rows: string }>(
      localUrl,
      'SELECT table_name, rows FROM _prisma_rollback.archive',
    );
    expect(archived.map((r) => [r.table_name, Number(r.rows)])).toEqual([['User', 3]]);
    j = await openJourney(ws.dir, { ready: { env: 'local', migration: DROP, description: /^applied/ } });
    wb = j.wb;
  }, 300_000);

  afterAll(async () => {
    await j?.close();
    const ctx = e2eContext();
    await dropDatabase(ctx.adminUrl, `acme_arch_local_${id}`).catch(() => {});
    await dropDatabase(ctx.adminUrl, `acme_arch_prod_${id}`).catch(() => {});
    if (ws) await fs.rm(ws.dir, { recursive: true, force: true });
  });

  it('the badge in the tree, the archive in the Backup step, Apply restores the values exactly', async () => {
    const { page } = wb;
    // The badge: on local (where deploy archived), not on production (never deployed there).
    expect(await description(page, 'local', DROP)).toMatch(/ · archived$/);
    expect(await description(page, 'production', DROP)).not.toContain('archived');
    const tip = await hoverText(page, await childRow(page, VIEW, 'local', DROP));
    expect(tip).toContain('Archive on local (_prisma_rollback): 1 object, 3 rows');
    expect(tip).toContain('columns of User: 3 rows');
    await page.mouse.move(0, 0);

    await runContextMenu(page, await childRow(page, VIEW, 'local', DROP), 'Start Rollback…');
    const frame = webviewFrame(page);
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).toBe(`Roll back ${DROP} on local`);
    expect(await frame.locator('#step-backup').innerText()).toMatch(
      /Values this migration destroyed are archived in _prisma_rollback on local \(3 rows, taken [^)]+\d\d:\d\d:\d\d[^)]*\); Apply restores them\./,
    );

    await frame.locator('#script-run').click();
    await waitStep(frame, 'script', 'done', 120_000);
    await frame.locator('#apply-run').click();
    await waitStep(frame, 'apply', 'done', 120_000);
    await waitUntil(
      () => frame.locator('#step-apply').innerText(),
      (t) => t.includes('Restored from the archive: columns of User: 3 rows.'),
      'apply lists what it restored',
      30_000,
    );

    // SQL: the column is back with exactly its values, and the archive was consumed.
    const rows = await query<{ email: string; bio: string | null }>(
      localUrl,
      'SELECT email, bio FROM "User" ORDER BY id',
    );
    expect(rows).toEqual(BIO);
    expect(await query(localUrl, "SELECT 1 FROM _prisma_rollback.archive WHERE origin = 'deploy'")).toEqual(
      [],
    );

    await runCommand(page, 'View: Hide Panel').catch(() => page.keyboard.press('Escape'));
    await reveal(frame, '#step-apply');
    const shot = await screenshot(page, 'archive-restore');
    await fs.mkdir(path.join(REPO, 'media', 'screenshots'), { recursive: true });
    await fs.copyFile(shot, path.join(REPO, 'media', 'screenshots', 'archive-restore.png'));

    await runCommand(page, 'Prisma Rollback: Refresh');
    await waitUntil(
      () => description(page, 'local', DROP),
      (d) => /^rolled back/.test(d) && !d.includes('archived'),
      'tree: rolled back, no archive left',
    );
  }, 420_000);

  it('deployed with --no-archive: the verify step shows what the rollback alone loses; after Apply the checklist offers "Restore values from a backup…", which puts the values back from a pg_dump taken before', async () => {
    const { page } = wb;
    // production (protected): the values, a backup taken before the deploy, then the deploy without
    // the archive: the values live only in that dump.
    for (const u of BIO)
      await query(
        prodUrl,
        `INSERT INTO "User" ("email", "name", "bio", "updatedAt") VALUES ($1, $1, $2, now())`,
        [u.email, u.bio],
      );
    const dump = path.join(path.dirname(ws.dir), `acme-archive-${id}-before.dump`);
    execFileSync('pg_dump', ['--format=custom', '--file', dump, prodUrl]);
    const out = execFileSync(
      process.execPath,
      [
        path.join(REPO, 'dist', 'cli.js'),
        'deploy',
        '--project',
        ws.dir,
        '--env',
        'production',
        '--confirm',
        'production',
        '--no-archive',
      ],
      { encoding: 'utf8', cwd: ws.dir },
    );
    expect(out).toContain('--no-archive: nothing is archived');
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Prisma Rollback: Refresh');
    await waitUntil(
      () => description(page, 'production', DROP),
      (d) => /^applied/.test(d) && !d.includes('archived'),
      'tree: applied on production, no archive',
    );

    await runContextMenu(page, await childRow(page, VIEW, 'production', DROP), 'Start Rollback…');
    const frame = webviewFrame(page);
    await frame.locator('h1').waitFor({ timeout: 30_000 });
    expect(await frame.locator('h1').innerText()).toBe(`Roll back ${DROP} on production`);
    await frame.locator('#script-run').click();
    await waitStep(frame, 'script', 'done', 120_000);
    await frame.locator('#backup-run').click();
    await waitStep(frame, 'backup', 'done', 120_000);
    // A backup is in play: Verify proves the data too — the rollback alone brings no bio back.
    await frame.locator('#verify-run').click();
    await waitStep(frame, 'verify', 'done', 240_000);
    const verified = await frame.locator('#step-verify').innerText();
    expect(verified).toMatch(
      /Data: \d+ differences? over \d+ rows? in \d+ tables? through the rollback alone \(no archive\)/,
    );
    expect(verified).toMatch(/Data differences: "User": row id=\d+: "bio" /);

    // A protected target: Apply waits for the rehearsal (a dry run on production) to pass.
    await frame.locator('#staging-typed input').fill('production');
    await frame.locator('#staging-run').click();
    await waitStep(frame, 'staging', 'done', 120_000);
    await frame.locator('#apply-typed input').fill('production');
    await frame.locator('#apply-run').click();
    const dialog = page.locator('.monaco-dialog-box');
    if (
      await dialog.waitFor({ timeout: 5_000 }).then(
        () => true,
        () => false,
      )
    )
      await dialog.locator('.monaco-button', { hasText: 'Apply Rollback' }).click();
    await waitStep(frame, 'apply', 'done', 120_000);
    // The rollback re-created User.bio empty: no archive holds it, so the restore is offered.
    await frame.locator('#step-restoreBackup').waitFor({ timeout: 30_000 });
    expect(await frame.locator('#step-backup').innerText()).toContain(
      'No archive holds what this migration destroyed on production: the rollback re-creates',
    );
    expect(
      (await query<{ n: string }>(prodUrl, 'SELECT count(*) AS n FROM "User" WHERE bio IS NOT NULL'))[0].n,
    ).toBe('0');

    // The Backup step's dump was taken after the deploy: pick the one taken before.
    await pickFileInDialog(
      page,
      dump,
      async () => {
        await frame.locator('#restoreBackup-run').click();
        await dialog.waitFor({ timeout: 10_000 });
        await dialog.locator('.monaco-button', { hasText: 'Pick Another File…' }).click();
      },
      async () => !['todo', 'unavailable'].includes(await stepState(frame, 'restoreBackup')),
    );
    await waitStep(frame, 'restoreBackup', 'done', 120_000);
    const rows = await query<{ email: string; bio: string | null }>(
      prodUrl,
      'SELECT email, bio FROM "User" WHERE email LIKE \'%@acme.dev\' ORDER BY id',
    );
    expect(rows).toEqual(BIO);
    await reveal(frame, '#step-restoreBackup');
    await screenshot(page, 'archive-restore-from-backup');
  }, 420_000);
});
