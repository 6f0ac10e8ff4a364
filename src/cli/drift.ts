/** `prisma-rollback drift` — the live schema of an environment against the replay of its applied migrations. */
import path from 'node:path';
import { checkDrift } from '../core/verify/drift';
import { defaultReplayCacheDir } from '../core/verify/replay-cache';
import { type CliCommand, flag, has } from './args';
import { runbookTarget } from './backup';
import { readExistingFolder, requireReadable } from './target';
import { resolveShadowServer, verifyTimeoutMs } from './verify';

const USAGE =
  'prisma-rollback drift --env NAME [--json] [--project DIR] [--migrations DIR] [--cache-dir DIR] [--timeout SECONDS]\n' +
  '  Compares the live schema of the environment (read only) with the schema its applied migrations\n' +
  '  (_prisma_migrations) build when replayed in the embedded PostgreSQL (or on the shadow server).\n' +
  "  The replay runs in the verifier's worker thread from its replay cache (replayed states and their schema\n" +
  '  on disk, shared with verify; --cache-dir DIR keeps it in DIR); --timeout SECONDS limits each of its steps (its start, each migration; default 120).\n' +
  '  Exit codes: 0 no drift; 1 drift; 2 could not check.';

export const driftCommand: CliCommand = {
  name: 'drift',
  summary: 'Compare the live schema of an environment with what its applied migrations build',
  usage: USAGE,
  booleans: ['json'],
  async run(args, io) {
    const { target, env, url } = await runbookTarget(args, io);
    const folder = await readExistingFolder(target.migrationsDir, '--migrations DIR');
    requireReadable(folder.migrations);
    const shadowDatabaseUrl = await resolveShadowServer(io, target.project.root, target.project);
    const r = await checkDrift({
      url,
      environment: env.name,
      migrations: folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath })),
      shadowDatabaseUrl,
      // --cache-dir: where the replay cache (states and their snapshots) is kept.
      replayCacheDir: flag(args, 'cache-dir')
        ? path.resolve(io.cwd, flag(args, 'cache-dir')!)
        : defaultReplayCacheDir(io.env),
      timeoutMs: verifyTimeoutMs(args),
      onProgress: has(args, 'json') ? undefined : (m) => io.err(m),
    });
    if (has(args, 'json')) {
      io.out(
        JSON.stringify(
          r.kind === 'couldNotCheck'
            ? { environment: env.name, lastApplied: null, drift: null, differences: [], error: r.reason }
            : {
                environment: env.name,
                lastApplied: r.lastApplied,
                drift: r.kind === 'drift',
                differences: r.differences,
              },
          null,
          2,
        ),
      );
    } else if (r.kind === 'couldNotCheck') io.err(`Could not check drift on ${env.name}: ${r.reason}`);
    else if (r.kind === 'none')
      io.out(
        `✓ ${env.name} has no drift: its schema is what its ${r.expected.length} applied migration${r.expected.length === 1 ? '' : 's'} build (last: ${r.lastApplied ?? 'none'}).`,
      );
    else {
      io.out(
        `✗ ${env.name} has drifted from its ${r.expected.length} applied migration${r.expected.length === 1 ? '' : 's'} (last: ${r.lastApplied ?? 'none'}): ${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}.`,
      );
      for (const d of r.differences) io.out(`  ${d.message}`);
    }
    return r.kind === 'none' ? 0 : r.kind === 'drift' ? 1 : 2;
  },
};
