/**
 * The verifier's real findings, as the editor shows them: a deliberately broken down.sql is
 * verified in the embedded PostgreSQL and each difference lands on the down.sql line that names
 * its object; the CodeLens title counts them. "Check Impact" text from the real pre-check on a
 * real PostgreSQL with rows, and the later migrations that depend on the one rolled back.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import {
  impactReport,
  verificationLensTitle,
  verificationProblems,
} from '../../src/core/status/present-rollback';
import {
  dependentMigrations,
  disposeEmbeddedVerifier,
  precheckRollback,
  verifyRollback,
} from '../../src/core/verify';
import { prismaDiffDifference } from '../../src/core/verify/second-opinion';
import { createTestDatabase, query } from '../support/pg';

const HISTORY = [
  {
    name: '20240101000000_init',
    sql: 'CREATE TABLE "Post" ("id" INTEGER NOT NULL, "authorId" INTEGER, "title" VARCHAR(200), CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\nCREATE INDEX "Post_authorId_idx" ON "Post"("authorId");\n',
  },
  {
    name: '20240102000000_change',
    sql: 'DROP INDEX "Post_authorId_idx";\nALTER TABLE "Post" ALTER COLUMN "title" SET DATA TYPE TEXT;\nCREATE TABLE "Tag" ("id" INTEGER NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("id"));\n',
  },
];

afterAll(async () => {
  await disposeEmbeddedVerifier();
});

describe('verification results in the editor', () => {
  it('shows a generated rollback as verified and a broken one with its differences on the right lines', async () => {
    const generated = await generateRollback(HISTORY, 1);
    const ok = await verifyRollback({
      migrations: HISTORY,
      index: 1,
      rollbackSql: generated.sql,
      noCache: true,
    });
    expect(ok.kind).toBe('verified');
    expect(verificationLensTitle(ok)).toMatch(/^✓ Verified against 2 migrations · \d+(\.\d)? m?s$/);
    expect(verificationProblems(ok, generated.sql)).toEqual([]);

    // Broken by hand: the index comes back on the wrong column, the column type is not restored,
    // and Tag is left over.
    const broken = generated.sql
      .split('\n')
      .map((l) =>
        l.startsWith('CREATE INDEX "Post_authorId_idx"')
          ? 'CREATE INDEX "Post_authorId_idx" ON "Post"("id");'
          : l.startsWith('ALTER TABLE "Post" ALTER COLUMN "title"') || l.startsWith('DROP TABLE "Tag"')
            ? `-- removed: ${l}`
            : l,
      )
      .join('\n');
    expect(broken).not.toBe(generated.sql);
    const bad = await verifyRollback({ migrations: HISTORY, index: 1, rollbackSql: broken, noCache: true });
    expect(bad.kind).toBe('differences');
    if (bad.kind !== 'differences') return;
    expect(verificationLensTitle(bad)).toBe(`✗ ${bad.differences.length} differences`);
    expect(bad.differences.length).toBeGreaterThanOrEqual(3);
    const problems = verificationProblems(bad, broken);
    expect(problems).toHaveLength(bad.differences.length);
    const lines = broken.split('\n');
    const onIndex = problems.find((p) => p.message.includes('Post_authorId_idx'));
    expect(lines[onIndex!.line]).toBe('CREATE INDEX "Post_authorId_idx" ON "Post"("id");');
    const onTag = problems.find((p) => /"Tag"/.test(p.message) && !p.message.includes('Post'));
    expect(onTag, bad.differences.join('\n')).toBeDefined();
    for (const p of problems) expect(p.severity).toBe('error');

    // The second oracle (setting prismaRollback.verify.prismaDiff) agrees, in the editor's words.
    const { prismaDiffRollback } = await import('../../src/core/verify/prisma-diff');
    const diff = await prismaDiffRollback({ migrations: HISTORY, index: 1, rollbackSql: broken });
    expect(diff.empty).toBe(false);
    const line = prismaDiffDifference(diff.script);
    expect(line, diff.script).toMatch(
      /^Prisma's migrate diff still sees a difference: it would run .*"(Tag|Post_authorId_idx|Post)"/,
    );
    expect(
      (await prismaDiffRollback({ migrations: HISTORY, index: 1, rollbackSql: generated.sql })).empty,
    ).toBe(true);
  }, 90_000);
});

describe('Check Impact text', () => {
  it('counts the rows the rollback would delete and names the applied migrations that depend on it', async () => {
    const history = [
      { name: '20240101000000_users', sql: 'CREATE TABLE "User" ("id" INTEGER PRIMARY KEY);' },
      {
        name: '20240102000000_widgets',
        sql: 'CREATE TABLE "WidgetInstall" ("id" INTEGER PRIMARY KEY, "ownerId" INTEGER, "domain" TEXT);\nALTER TABLE "User" ADD COLUMN "nick" TEXT;',
      },
      {
        name: '20240103000000_widget_owner_fk',
        sql: 'ALTER TABLE "WidgetInstall" ADD CONSTRAINT "WidgetInstall_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "User"("id");',
      },
    ];
    const db = await createTestDatabase('impact');
    const pool = new pg.Pool({ connectionString: db.url });
    try {
      await query(
        db.url,
        `${history.map((m) => m.sql).join('\n')}
         CREATE TABLE _prisma_migrations (id text, checksum text, migration_name text, started_at timestamptz DEFAULT now(), finished_at timestamptz, logs text, rolled_back_at timestamptz, applied_steps_count int DEFAULT 1);
         INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at) SELECT m, '', m, now() FROM unnest(ARRAY['20240101000000_users','20240102000000_widgets','20240103000000_widget_owner_fk']) m;
         INSERT INTO "User" ("id", "nick") SELECT g, CASE WHEN g % 2 = 0 THEN 'n' || g END FROM generate_series(1, 40) g;
         INSERT INTO "WidgetInstall" ("id", "ownerId") SELECT g, 1 + g % 40 FROM generate_series(1, 1234) g;`,
      );
      const down = (await generateRollback(history.slice(0, 2), 1)).sql;
      const pre = await precheckRollback(pool, down, { migrationName: history[1].name });
      const deps = await dependentMigrations(history, 1);
      const r = impactReport(
        'staging',
        history[1].name,
        pre,
        deps.map((d) => ({ ...d, state: 'applied' })),
      );
      expect(r.refused).toBe(false);
      expect(r.title).toBe(
        'Rollback of 20240102000000_widgets in staging: down.sql would delete 1,234 rows of "WidgetInstall" and the values of 1 column (20 non-null values)',
      );
      expect(r.detail.startsWith('Destructive steps:\n')).toBe(true);
      expect(r.detail).toMatch(/• line \d+: DROP TABLE "WidgetInstall" — 1,234 rows/);
      expect(r.detail).toMatch(/• line \d+: ALTER TABLE "User" DROP COLUMN "nick" — 20 non-null values/);
      expect(r.blocking.map((d) => d.name)).toEqual(['20240103000000_widget_owner_fk']);
      expect(r.detail).toContain('• 20240103000000_widget_owner_fk (applied in staging): ');
      expect(r.detail).toContain(
        'Roll it back first, newest first: 20240103000000_widget_owner_fk (applied in staging) uses what 20240102000000_widgets created or changed.',
      );

      // A migration that is not applied there is refused, with the reason.
      await query(db.url, `DELETE FROM _prisma_migrations WHERE migration_name = '${history[1].name}'`);
      const refused = impactReport(
        'staging',
        history[1].name,
        await precheckRollback(pool, down, { migrationName: history[1].name }),
        [],
      );
      expect(refused.refused).toBe(true);
      expect(refused.title).toBe('The rollback of 20240102000000_widgets must not run in staging');
      expect(refused.detail).toMatch(/^Refused: .*not applied/);
    } finally {
      await pool.end();
      await db.drop();
    }
  }, 60_000);
});
