/**
 * recreatedByRollback: what a rollback re-creates empty, which makes the checklist offer
 * "Restore values from a backup…" after Apply when no archive restored it (real parser).
 */
import { describe, expect, it } from 'vitest';
import {
  createChecklist,
  finishStep,
  restoreFromBackupOffered,
  startStep,
} from '../../src/core/runbook/checklist';
import { recreatedByRollback } from '../../src/core/runbook/restore';

describe('recreatedByRollback', () => {
  it('names dropped tables, dropped columns and retyped columns', async () => {
    const sql = [
      'DROP TABLE "Note";',
      'ALTER TABLE "User" DROP COLUMN "nickname", DROP COLUMN "meta";',
      'ALTER TABLE "Post" ALTER COLUMN "views" SET DATA TYPE INTEGER USING "views"::integer;',
    ].join('\n');
    const got = await recreatedByRollback(sql);
    expect(got).toEqual(expect.arrayContaining(['Note', 'User.nickname', 'User.meta', 'Post.views']));
    expect(got).toHaveLength(4);
  });

  it('keeps the schema when the script qualifies the table', async () => {
    expect(await recreatedByRollback('ALTER TABLE "app"."User" DROP COLUMN "bio";')).toEqual([
      'app.User.bio',
    ]);
  });

  it('names nothing for a table the same script created, for additions, and for a script that does not parse', async () => {
    expect(await recreatedByRollback('CREATE TABLE "Tmp" ("id" INT);\nDROP TABLE "Tmp";')).toEqual([]);
    expect(await recreatedByRollback('ALTER TABLE "User" ADD COLUMN "bio" TEXT;')).toEqual([]);
    expect(await recreatedByRollback('ALTER TABLE "User" DROP COLUMN;;; nonsense')).toEqual([]);
  });

  it('after Apply without an archive, what it names makes the checklist offer the restore; nothing named, no offer', async () => {
    const key = {
      projectId: '/work/app',
      migration: '20250101000000_drop_nickname',
      environment: 'production',
    };
    const applied = (recreated: string[]) => {
      const s = createChecklist({ key, protected: false, migrationState: 'applied' });
      const r = startStep({ ...s, data: { recreated } }, 'apply', { commandLine: 'apply-down' });
      return finishStep(r, 'apply', { exitCode: 0 });
    };
    expect(
      restoreFromBackupOffered(
        applied(await recreatedByRollback('ALTER TABLE "User" DROP COLUMN "nickname";')),
      ),
    ).toBe(true);
    expect(
      restoreFromBackupOffered(
        applied(await recreatedByRollback('ALTER TABLE "User" ADD COLUMN "bio" TEXT;')),
      ),
    ).toBe(false);
  });
});
