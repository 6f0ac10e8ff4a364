/**
 * What Prisma's migrate diff means for a verdict (src/core/verify/second-opinion.ts): it can add a
 * difference, never remove one; an engine failure leaves the verdict to the catalogs and says so.
 */
import { describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/core/verify';
import { prismaDiffDifference, secondOpinionOf } from '../../src/core/verify/second-opinion';

const base = {
  ms: 900,
  replayed: 3,
  engine: 'embedded' as const,
  cached: true,
  key: 'k',
  verifiedAt: '2026-01-01T00:00:00.000Z',
};
const verified: VerifyResult = { kind: 'verified', ...base };
const differences: VerifyResult = {
  kind: 'differences',
  differences: ['index "Post_title_idx" is missing'],
  ...base,
};
const couldNot: VerifyResult = {
  kind: 'couldNotVerify',
  reason: 'extension "postgis" is not available',
  ms: 5,
};
const SCRIPT = '-- AlterTable\nCREATE INDEX "Post_title_idx" ON "Post"("title");\n';
const empty = { empty: true, script: '-- This is an empty migration.', ms: 1234 };
const notEmpty = { empty: false, script: SCRIPT, ms: 1234 };

describe('secondOpinionOf', () => {
  it('agrees: the verdict is unchanged', () => {
    expect(secondOpinionOf(verified, empty)).toEqual({
      outcome: 'agrees',
      result: verified,
      diff: empty,
      line: "Prisma's migrate diff agrees: no difference (1.2 s).",
    });
    const after = secondOpinionOf(differences, empty);
    expect(after.result).toBe(differences);
    expect(after).toMatchObject({
      outcome: 'agrees',
      line: "Prisma's migrate diff sees no difference; it compares only what Prisma models, not functions, triggers, views or comments (1.2 s).",
    });
  });

  it("disagrees: a verified result (cached too) becomes a difference; a list of differences gains Prisma's line", () => {
    const line =
      'Prisma\'s migrate diff still sees a difference: it would run CREATE INDEX "Post_title_idx" ON "Post"("title")';
    expect(prismaDiffDifference(SCRIPT)).toBe(line);
    expect(secondOpinionOf(verified, notEmpty)).toEqual({
      outcome: 'disagrees',
      result: { ...base, kind: 'differences', differences: [line] },
      diff: notEmpty,
      line,
    });
    expect(secondOpinionOf(differences, notEmpty).result).toEqual({
      ...base,
      kind: 'differences',
      differences: ['index "Post_title_idx" is missing', line],
    });
  });

  it('failed: the verdict rests on the catalogs, and the line says why without a password', () => {
    const r = secondOpinionOf(verified, {
      error: "Prisma's engine could not diff the migrations: cannot reach postgresql://u:hunter2@h/d",
    });
    expect(r).toEqual({
      outcome: 'failed',
      result: verified,
      error: "Prisma's engine could not diff the migrations: cannot reach postgresql://u:***@h/d",
      line: "Prisma's migrate diff could not run: Prisma's engine could not diff the migrations: cannot reach postgresql://u:***@h/d. The result rests on the catalog comparison alone.",
    });
  });

  it('is not asked without a verdict', () => {
    expect(secondOpinionOf(couldNot, notEmpty)).toEqual({ outcome: 'notAsked', result: couldNot });
  });

  it('names at most two statements, without the comments', () => {
    const script =
      '-- DropIndex\nDROP INDEX "a";\n\n-- CreateIndex\nCREATE INDEX "b" ON "T"("x");\n\n-- AlterTable\nALTER TABLE "T" DROP COLUMN "y";\n';
    expect(prismaDiffDifference(script)).toBe(
      'Prisma\'s migrate diff still sees a difference: it would run DROP INDEX "a"; CREATE INDEX "b" ON "T"("x"); … (3 statements)',
    );
  });
});
