/**
 * The verifier on real histories (../shared/corpus): langfuse's 434 migrations replayed in the
 * embedded PostgreSQL, the generated rollbacks of its last migrations verified, a broken one caught;
 * the first migrations of every project verified with their generated rollbacks.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import { readMigrationsFolder } from '../../src/core/migrations';
import { disposeEmbeddedVerifier, type VerifyMigration, verifyRollback } from '../../src/core/verify';

const CORPUS =
  process.env.ROLLBACK_CORPUS_DIR ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

async function history(project: string): Promise<VerifyMigration[]> {
  const folder = await readMigrationsFolder(path.join(CORPUS, project));
  return folder.migrations.map((m) => ({ name: m.name, sql: m.sql!, path: m.sqlPath }));
}

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('verification on real histories', () => {
  it('langfuse: replays 432 migrations, verifies the generated rollbacks of the last two, catches a broken one', async () => {
    const migrations = await history('langfuse');
    expect(migrations.length).toBeGreaterThanOrEqual(434);
    const n = migrations.length - 2;
    const down1 = await generateRollback(migrations, n);

    let t = performance.now();
    const cold = await verifyRollback({ migrations, index: n, rollbackSql: down1.sql, noCache: true });
    const coldMs = performance.now() - t;
    expect(cold).toMatchObject({ kind: 'verified', replayed: n, engine: 'embedded' });

    const down2 = await generateRollback(migrations, n + 1);
    t = performance.now();
    const next = await verifyRollback({ migrations, index: n + 1, rollbackSql: down2.sql, noCache: true });
    const nextMs = performance.now() - t;
    expect(next).toMatchObject({ kind: 'verified', replayed: n + 1 });

    // the migration before the last one creates four tables; a rollback that forgets one is caught
    const forgetful = down1.sql.replace(/DROP TABLE "evaluators"[^;]*;/, 'SELECT 1;');
    expect(forgetful).not.toBe(down1.sql);
    t = performance.now();
    const emptyDown = await verifyRollback({
      migrations,
      index: n + 1,
      rollbackSql: 'SELECT 1;',
      noCache: true,
    });
    const warmMs = performance.now() - t;
    // the last migration only moves data: an empty rollback restores the schema too
    expect(emptyDown.kind).toBe('verified');

    t = performance.now();
    const again = await verifyRollback({ migrations, index: n, rollbackSql: forgetful, noCache: true });
    const restartMs = performance.now() - t;
    expect(again.kind === 'differences' && again.differences).toEqual(
      expect.arrayContaining(['table "evaluators" is extra']),
    );

    t = performance.now();
    const cached = await verifyRollback({ migrations, index: n, rollbackSql: down1.sql });
    const cachedMs = performance.now() - t;
    expect(cached).toMatchObject({ kind: 'verified', cached: true });

    process.stderr.write(
      `[verify langfuse] cold ${Math.round(coldMs)} ms (${n} replayed), next migration ${Math.round(nextMs)} ms, warm ${Math.round(warmMs)} ms, earlier N (restart + replay) ${Math.round(restartMs)} ms, cached ${cachedMs.toFixed(1)} ms, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB\n`,
    );
    expect(warmMs).toBeLessThan(coldMs);
    expect(cachedMs).toBeLessThan(50);
  });

  it.each(
    readdirSync(CORPUS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name),
  )('%s: the generated rollbacks of the first five migrations are verified', async (project) => {
    const migrations = await history(project);
    for (let i = 0; i < Math.min(5, migrations.length); i++) {
      const down = await generateRollback(migrations, i);
      const r = await verifyRollback({ migrations, index: i, rollbackSql: down.sql, noCache: true });
      expect({ migration: migrations[i].name, kind: r.kind }).toEqual({
        migration: migrations[i].name,
        kind: 'verified',
      });
    }
  });
});
