/**
 * Drift's replay runs in the verifier's worker thread and uses the persistent replay cache, as
 * verification does (issues 11 and 14): on a generated 100-migration history deployed with
 * Prisma's engine on a real PostgreSQL 15, the calling thread's event loop stays free while the
 * history is replayed; a second check in a "new session" (worker ended, in-memory snapshots
 * forgotten) loads the replayed state from the cache instead of replaying; a migration that runs
 * too long is named in the time-out, with its statement.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrationsFolder } from '../../src/core/migrations';
import { disposeEmbeddedVerifier, type VerifyMigration, verifierWorkerIdle } from '../../src/core/verify';
import { checkDrift, clearDriftCache } from '../../src/core/verify/drift';
import { deploy, tempMigrations } from '../support/engine';
import { createTestDatabase, type TestDatabase } from '../support/pg';

const N = 100;

/** Migration i of the generated history: a table every third one, else a column and an index on it. */
function generated(i: number): string {
  const t = i - (i % 3);
  return i % 3 === 0
    ? `CREATE TABLE "T${i}" ("id" SERIAL NOT NULL, "name" TEXT, CONSTRAINT "T${i}_pkey" PRIMARY KEY ("id"));\n`
    : `ALTER TABLE "T${t}" ADD COLUMN "c${i}" INTEGER;\nCREATE INDEX "T${i}_idx" ON "T${t}"("c${i}");\n`;
}

describe('drift replays in the worker thread, from the replay cache', () => {
  let db: TestDatabase;
  let mig: Awaited<ReturnType<typeof tempMigrations>>;
  let migrations: VerifyMigration[];
  let cache: string;
  beforeAll(async () => {
    db = await createTestDatabase('driftworker');
    mig = await tempMigrations();
    for (let i = 0; i < N; i++) await mig.add(`${String(20200101000000 + i * 100)}_m${i}`, generated(i));
    await deploy(db.url, mig.dir);
    migrations = (await readMigrationsFolder(mig.dir)).migrations.map((m) => ({
      name: m.name,
      sql: m.sql ?? '',
    }));
    cache = await fs.mkdtemp(path.join(os.tmpdir(), 'drift-replay-cache-'));
    clearDriftCache();
    await disposeEmbeddedVerifier();
  });
  afterAll(async () => {
    await disposeEmbeddedVerifier();
    await db?.drop();
    await mig?.cleanup();
    if (cache) await fs.rm(cache, { recursive: true, force: true });
  });

  it('replays 100 migrations without blocking the calling thread, then finds the state in the replay cache', async () => {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const cold = await checkDrift({ url: db.url, environment: 'bench', migrations, replayCacheDir: cache });
    h.disable();
    expect(cold).toMatchObject({ kind: 'none', cached: false, replay: { reused: 0, ran: N } });
    // `replay` is only answered by the worker (reused/ran of its session): the structural proof.
    // On the calling thread (before this change) PGlite's start alone blocked it for seconds
    // (bench: 3.8–6.2 s at 800 migrations); in the worker only the live read, the snapshot's
    // structured clone and our bookkeeping run here (tens of ms; the margin is for a loaded machine).
    expect(h.max / 1e6).toBeLessThan(500);

    // The replayed state of 1..100 and its schema's snapshot are on disk, keyed by the history
    // (the state saved once the result was returned, before the worker takes more work).
    await verifierWorkerIdle();
    const files = (await fs.readdir(cache)).filter((f) => f.endsWith('.pgdata'));
    expect(files).toHaveLength(1);
    const snapshotFile = files[0].replace(/\.pgdata$/, '.snapshot.json');
    expect(await fs.readdir(cache)).toContain(snapshotFile);

    // A new session: the worker (and its PGlite) ended, the in-memory snapshots forgotten. The
    // snapshot beside the state answers: no state loaded, no PGlite started.
    clearDriftCache();
    await disposeEmbeddedVerifier();
    const progress: string[] = [];
    const warm = await checkDrift({
      url: db.url,
      environment: 'bench',
      migrations,
      replayCacheDir: cache,
      onProgress: (m) => progress.push(m),
    });
    expect(warm).toMatchObject({ kind: 'none', cached: false, replay: { reused: N, ran: 0 } });
    expect(progress.filter((m) => m.startsWith('Loading the replayed state'))).toEqual([]);

    // Without the snapshot (deleted), the state is loaded and read again; the snapshot is saved again.
    await fs.rm(path.join(cache, snapshotFile));
    clearDriftCache();
    await disposeEmbeddedVerifier();
    progress.length = 0;
    const loaded = await checkDrift({
      url: db.url,
      environment: 'bench',
      migrations,
      replayCacheDir: cache,
      onProgress: (m) => progress.push(m),
    });
    expect(loaded).toMatchObject({ kind: 'none', cached: false, replay: { reused: N, ran: 0 } });
    expect(progress).toContain(`Loading the replayed state of migrations 1..${N} from the cache`);
    expect(await fs.readdir(cache)).toContain(snapshotFile);

    // The same history again in this session: the in-memory snapshot, no replay at all.
    const again = await checkDrift({ url: db.url, environment: 'bench', migrations, replayCacheDir: cache });
    expect(again).toMatchObject({ kind: 'none', cached: true });
    expect(again.kind !== 'couldNotCheck' && again.replay).toBe(undefined);
    // Four checks, one of them a cold replay of 100 migrations: more than the default 60 s on a loaded machine.
  }, 180_000);

  it('a migration that runs too long is named with its statement, like verify', async () => {
    const slow: VerifyMigration[] = [
      ...migrations.slice(0, 3),
      { name: '20990101000000_slow', sql: '-- waits\nDO $$ BEGIN PERFORM pg_sleep(30); END $$;\n' },
    ];
    clearDriftCache();
    // The worker's session first holds 1..3 (PGlite's start is not what is timed here).
    const first = await checkDrift({
      url: db.url,
      environment: 'bench',
      migrations: slow,
      expected: slow.slice(0, 3).map((m) => m.name),
      replayCacheDir: false,
    });
    expect(first.kind).toBe('drift');
    const r = await checkDrift({
      url: db.url,
      environment: 'bench',
      migrations: slow,
      expected: slow.map((m) => m.name),
      replayCacheDir: false,
      timeoutMs: 2000,
    });
    expect(r.kind).toBe('couldNotCheck');
    expect(r.kind === 'couldNotCheck' && r.reason).toMatch(
      /^20990101000000_slow\/migration\.sql \(line 2: DO\b.*\) did not finish in 2 s \(the limit is the setting prismaRollback\.verify\.timeoutSeconds, or --timeout\)\.$/,
    );
  });
});
