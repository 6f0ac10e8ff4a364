/**
 * The editor's wording and Problems entries for rollbacks (src/core/status/present-rollback.ts),
 * checked against the real generator's down.sql where the input is a generated file.
 */
import { describe, expect, it } from 'vitest';
import { generateRollback } from '../../src/core/generator';
import {
  conflictQuestion,
  differenceLine,
  downSqlProblems,
  editedAfterApplyNote,
  generationCounts,
  generationDescription,
  generationMessage,
  rollbackFileDescription,
  rollbackMigrationName,
  shortDuration,
  verificationDescription,
  verificationLensTitle,
  verificationMessage,
  verificationProblems,
  verificationTooltipLines,
} from '../../src/core/status/present-rollback';
import type { VerifyResult } from '../../src/core/verify';

const base = {
  replayed: 433,
  engine: 'embedded' as const,
  cached: false,
  key: 'k',
  verifiedAt: '2026-01-01T00:00:00Z',
};
const verified: VerifyResult = { kind: 'verified', ms: 2049, ...base };
const differences: VerifyResult = {
  kind: 'differences',
  ms: 900,
  ...base,
  differences: [
    'index "Post_authorId_idx": definition is CREATE INDEX … (id), was … ("authorId")',
    'table "Tag" is left over',
  ],
};
const couldNot: VerifyResult = {
  kind: 'couldNotVerify',
  ms: 10,
  reason:
    'extension postgis is not available in the embedded PostgreSQL; set prismaRollback.shadowDatabaseUrl to verify on a real server',
};

describe('durations', () => {
  it('reads like the CodeLens examples', () => {
    expect(shortDuration(850.4)).toBe('850 ms');
    expect(shortDuration(2000)).toBe('2 s');
    expect(shortDuration(2049)).toBe('2 s');
    expect(shortDuration(1449)).toBe('1.4 s');
    expect(shortDuration(12_300)).toBe('12 s');
    expect(shortDuration(125_000)).toBe('2 min 5 s');
  });
});

describe('verification lens, tree and notification texts', () => {
  it('has one stable lens title per state', () => {
    expect(verificationLensTitle(undefined)).toBe('Verify rollback');
    expect(verificationLensTitle({ kind: 'running' })).toBe('$(sync~spin) Verifying rollback…');
    // 433 replayed + the migration itself
    expect(verificationLensTitle(verified)).toBe('✓ Verified against 434 migrations · 2 s');
    expect(verificationLensTitle({ ...verified, replayed: 0 })).toBe('✓ Verified against 1 migration · 2 s');
    expect(verificationLensTitle(differences)).toBe('✗ 2 differences');
    expect(verificationLensTitle({ ...differences, differences: ['x'] } as VerifyResult)).toBe(
      '✗ 1 difference',
    );
    const t = verificationLensTitle(couldNot);
    expect(t.startsWith('? could not verify: extension postgis is not available')).toBe(true);
    expect(t.endsWith('…')).toBe(true);
    expect(t.length).toBeLessThanOrEqual('? could not verify: '.length + 60);
  });

  it('describes and explains results in the tree', () => {
    expect(verificationDescription(undefined)).toBeUndefined();
    expect(verificationDescription(verified)).toBe('rollback ✓ verified');
    expect(verificationDescription(differences)).toBe('rollback ✗ 2 differences');
    expect(verificationDescription(couldNot)).toBe('rollback ? not verified');
    const lines = verificationTooltipLines(differences, (s) => s.replace(/"/g, '\\"'));
    expect(lines[0]).toContain('2 differences');
    expect(lines[1]).toBe(
      '- index \\"Post_authorId_idx\\": definition is CREATE INDEX … (id), was … (\\"authorId\\")',
    );
    expect(verificationTooltipLines(verified)[0]).toContain('migrations 1–434');
    expect(verificationTooltipLines({ ...verified, cached: true })[0]).toContain('cached');
  });

  it('says what was found in the notification', () => {
    expect(verificationMessage('20240101_add_post', verified)).toMatch(
      /^✓ The rollback of 20240101_add_post is verified against 434 migrations/,
    );
    expect(verificationMessage('m', differences)).toContain('2 differences (index "Post_authorId_idx"');
    const failed = {
      ...differences,
      differences: ['down.sql failed to apply: /abs/path/down.sql:34:1: cannot drop type "P"'],
      failure: {
        script: 'down.sql',
        path: '/abs/path/down.sql',
        message: 'cannot drop type "P"',
        code: '2BP01',
        line: 34,
        column: 1,
      },
    } as VerifyResult;
    expect(verificationMessage('m', failed)).toBe(
      '✗ The rollback of m does not restore the schema: 1 difference (down.sql:34:1 failed to apply: cannot drop type "P" (2BP01)). See the Problems panel.',
    );
    expect(verificationMessage('m', couldNot)).toBe(
      `? The rollback of m could not be verified: ${(couldNot as { reason: string }).reason}`,
    );
  });
});

const HISTORY = [
  {
    name: '20240101000000_init',
    sql: 'CREATE TABLE "Post" ("id" INTEGER NOT NULL, "authorId" INTEGER, CONSTRAINT "Post_pkey" PRIMARY KEY ("id"));\nCREATE INDEX "Post_authorId_idx" ON "Post"("authorId");\n',
  },
  {
    name: '20240102000000_tags',
    sql: [
      '-- CreateTable',
      'CREATE TABLE "Tag" ("id" SERIAL NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "Tag_pkey" PRIMARY KEY ("id"));',
      '-- AlterTable',
      'ALTER TABLE "Post" DROP COLUMN "authorId";',
      'INSERT INTO "Post" ("id") VALUES (1);',
      '',
    ].join('\n'),
  },
];

describe('a rollback that cannot be proven (no difference, but a statement the comparison cannot see)', () => {
  const cannot: VerifyResult = {
    kind: 'cannotProve',
    ms: 1200,
    ...base,
    reasons: [
      '20250202000000_x/migration.sql:2: a DO block (its code runs at apply time and cannot be inspected)',
      'down.sql:18: a step marked IRREVERSIBLE is not undone by it: anonymous code block (DO)',
    ],
  };
  it('never reads as verified: lens, tree, tooltip, notification, Problems', () => {
    expect(verificationLensTitle(cannot)).toBe(
      '? cannot prove: a DO block (its code runs at apply time and cannot be inspe…',
    );
    expect(verificationDescription(cannot)).toBe('rollback ? cannot prove');
    expect(verificationTooltipLines(cannot)).toEqual([
      'Rollback **cannot be proven**: the schema comparison found no difference, but it cannot see the effect of:',
      '- 20250202000000_x/migration.sql:2: a DO block (its code runs at apply time and cannot be inspected)',
      '- down.sql:18: a step marked IRREVERSIBLE is not undone by it: anonymous code block (DO)',
    ]);
    expect(verificationMessage('20250202000000_x', cannot)).toBe(
      '? The rollback of 20250202000000_x cannot be proven: the schema comparison found no difference, but it cannot see the effect of 2 statements (20250202000000_x/migration.sql:2: a DO block (its code runs at apply time and cannot be inspected); down.sql:18: a step marked IRREVERSIBLE is not undone by it: anonymous code block (DO)).',
    );
    expect(verificationProblems(cannot, 'SELECT 1;\n')).toEqual([]);
    for (const text of [verificationLensTitle(cannot), verificationDescription(cannot) ?? ''])
      expect(text).not.toContain('✓');
  });
});

describe('Problems entries of a generated down.sql', () => {
  it('puts each WARNING and IRREVERSIBLE block on the line the generator reports', async () => {
    const r = await generateRollback(HISTORY, 1);
    const problems = downSqlProblems(r.sql);
    expect(r.warnings.length).toBeGreaterThanOrEqual(3);
    // one entry per warning, each at the generator's down.sql line (1-based there, 0-based here)
    expect(problems.map((p) => p.line + 1).sort((a, b) => a - b)).toEqual(
      r.warnings.map((w) => w.downLine).sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    const lines = r.sql.split('\n');
    for (const p of problems) expect(lines[p.line]).toMatch(/^-- (WARNING \(\w+\)|IRREVERSIBLE):/);
    const kinds = problems.map((p) => p.code);
    expect(kinds).toContain('dataLoss');
    expect(kinds).toContain('irreversible');
    const irr = problems.find((p) => p.code === 'irreversible')!;
    expect(irr.message).toContain('restore the data from the backup');
    expect(problems.find((p) => p.code === 'dataLoss')!.message).toMatch(/^Rollback data loss: /);
    expect(problems.every((p) => p.severity === 'warning')).toBe(true);
  });

  it('finds nothing in a hand-written down.sql without markers', () => {
    expect(downSqlProblems('DROP TABLE "Tag";\n-- a note\n')).toEqual([]);
  });

  it('counts what the generator flagged', async () => {
    const r = await generateRollback(HISTORY, 1);
    const counts = generationCounts(r.summary);
    expect(counts).toBe(
      `${r.summary.statements} statements, ${r.summary.inverted} reversed, ${r.summary.flagged} flagged (${Object.entries(
        r.summary.byKind,
      )
        .map(
          ([k, n]) =>
            `${n} ${k === 'dataLoss' ? 'data loss' : k === 'irreversible' ? 'irreversible' : k === 'dataNotRestored' ? 'data not restored' : k === 'needsBackfill' ? 'needs backfill' : k}`,
        )
        .join(', ')}), ${r.summary.irreversible} irreversible`,
    );
    expect(r.summary.irreversible).toBe(1);
    expect(generationMessage('m', 'm/down.sql', r.summary)).toContain('IRREVERSIBLE blocks');
    expect(generationDescription(r.summary)).toBe(`${r.summary.flagged} flagged · 1 irreversible`);
    const clean = await generateRollback(HISTORY.slice(0, 1), 0);
    expect(generationDescription(clean.summary)).toBe(`${clean.summary.flagged} flagged`);
  });
});

describe('a down.sql on disk in the tree', () => {
  it('says when it is out of date and how many warnings it carries', async () => {
    const r = await generateRollback(HISTORY, 1);
    const problems = downSqlProblems(r.sql);
    const info = {
      warnings: problems.filter((p) => p.code !== 'irreversible').length,
      irreversible: problems.filter((p) => p.code === 'irreversible').length,
      stale: false,
    };
    expect(info.irreversible).toBe(1);
    expect(rollbackFileDescription(info)).toBe(`${info.warnings} warnings · 1 irreversible`);
    expect(rollbackFileDescription({ warnings: 1, irreversible: 0, stale: true })).toBe(
      'rollback out of date · 1 warning',
    );
    expect(rollbackFileDescription({ warnings: 0, irreversible: 0, stale: false })).toBeUndefined();
  });
});

describe('differences on down.sql lines', () => {
  const down = [
    '-- Step 1 (line 2), undoes:',
    '--   DROP INDEX "Post_authorId_idx"',
    'CREATE INDEX "Post_authorId_idx" ON "Post"("id");',
    'ALTER TABLE "Post" ADD COLUMN "authorId" INTEGER;',
    'DROP TABLE "Tag";',
  ].join('\n');

  it('picks the statement line that names the objects, never a comment', () => {
    expect(differenceLine('index "Post_authorId_idx": definition differs', down)).toBe(2);
    expect(differenceLine('column "Post"."authorId": type is text, was integer', down)).toBe(3);
    expect(differenceLine('table "Tag" is left over', down)).toBe(4);
    expect(differenceLine('sequence "Other_id_seq" is missing', down)).toBe(0);
    // no statement names it (its DROP was removed): the comment quoting the forward statement
    const withoutDrop = `${down.replace('DROP TABLE "Tag";', '-- (removed)')}\n-- Step 0 (line 1), undoes:\n--   CREATE TABLE "Tag" ("id" int)`;
    expect(differenceLine('table "Tag" is extra', withoutDrop)).toBe(6);
    expect(differenceLine('index "Post_authorId_idx" is missing', withoutDrop)).toBe(2);
    expect(differenceLine('something without names', down)).toBe(0);
  });

  it('maps differences and a failed rollback to Problems entries', () => {
    const entries = verificationProblems(differences, down);
    expect(entries.map((e) => [e.line, e.severity, e.code])).toEqual([
      [2, 'error', 'difference'],
      [4, 'error', 'difference'],
    ]);
    expect(entries[1].message).toBe(
      'After this rollback the schema differs from before the migration: table "Tag" is left over',
    );
    expect(verificationProblems(verified, down)).toEqual([]);
    const failed: VerifyResult = {
      ...(differences as Extract<VerifyResult, { kind: 'differences' }>),
      differences: ['down.sql failed'],
      failure: {
        script: 'down.sql',
        message: 'relation "Tag" does not exist',
        code: '42P01',
        line: 5,
        column: 12,
      },
    };
    const [f] = verificationProblems(failed, down);
    expect(f).toMatchObject({ line: 4, startColumn: 11, severity: 'error', code: 'verify' });
    expect(f.message).toBe('The rollback failed to apply: relation "Tag" does not exist (42P01)');
    // a failure of an earlier migration is not a problem of down.sql
    expect(
      verificationProblems(
        {
          ...couldNot,
          failure: { script: 'x', path: '/m/x/migration.sql', message: 'boom', line: 1, column: 1 },
        } as VerifyResult,
        down,
        '/m/y/down.sql',
      ),
    ).toEqual([]);
  });
});

describe('names and settings', () => {
  it('names a rollback migration with a UTC timestamp', () => {
    const at = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(rollbackMigrationName('20240102000000_add_tags', at)).toBe('20260102030405_rollback_add_tags');
    expect(rollbackMigrationName('init', at)).toBe('20260102030405_rollback_init');
  });

  it('explains what overwriting would lose', () => {
    expect(conflictQuestion('m', 'handEdited')).toBe(
      'm/down.sql already exists. It was edited by hand after it was generated: those edits would be lost.',
    );
    expect(conflictQuestion('m', 'handWritten')).toContain('written by hand');
  });

  it("Identify's edited-after-apply note: both checksums when the file changed after it ran there, else nothing", () => {
    const ran = 'a'.repeat(64);
    const now = 'b'.repeat(64);
    const m = { name: 'm1', checksumMatches: false, rows: [{ checksum: ran }], local: { checksum: now } };
    expect(editedAfterApplyNote('m1', 'production', [m])).toBe(
      `m1/migration.sql was edited after it was applied in production: the database ran the version with checksum ${'a'.repeat(12)}…, the file now has ${'b'.repeat(12)}…. A rollback generated from the file undoes text the database never ran: generate it from the version that ran (\`prisma-rollback down m1 --env production\` finds it in git) or check it against that version.`,
    );
    expect(editedAfterApplyNote('m1', 'production', [{ ...m, checksumMatches: true }])).toBeUndefined();
    expect(editedAfterApplyNote('m1', 'production', [{ ...m, rows: [] }])).toBeUndefined();
    expect(editedAfterApplyNote('m2', 'production', [m])).toBeUndefined();
  });
});
