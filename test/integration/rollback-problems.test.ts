/**
 * The verifier's real findings, as the editor shows them: a deliberately broken down.sql is
 * verified in the embedded PostgreSQL and each difference lands on the down.sql line that names
 * its object; the CodeLens title counts them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/sql';
import { verificationLensTitle, verificationProblems } from '../../src/core/status/present-rollback';
import { disposeEmbeddedVerifier, verifyRollback } from '../../src/core/verify';

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
  }, 60_000);
});
