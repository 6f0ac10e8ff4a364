/**
 * The checklist's verify step and the data (issue 12): when an archive or a backup is in play it
 * proves the data too (verifyDataProof), shows the result (dataCheckOf: rows compared, identical
 * or the differences, "could not check" with why — never identical when a table was not seeded),
 * and the step's note lists the differences or the reasons (verifyDataNote).
 */
import { describe, expect, it } from 'vitest';
import {
  type ChecklistState,
  createChecklist,
  dataNotes,
  endCheck,
  finishStep,
  startStep,
  verifyDataNote,
  verifyDataProof,
} from '../../src/core/runbook/checklist';
import { dataCheckOf } from '../../src/core/runbook/services';
import { formatDateTime } from '../../src/core/status/time';
import { unprovenData } from '../../src/core/verify/data';

const key = { projectId: '/work/app', migration: '20250101000000_drop_nickname', environment: 'production' };
const fresh = (): ChecklistState => createChecklist({ key, protected: false, migrationState: 'applied' });
const base = {
  engine: 'embedded' as const,
  ms: 1200,
  verifiedAt: '2026-12-01T00:00:00Z',
  cached: false,
  replayed: 1,
  key: 'k',
};

function backedUp(s: ChecklistState): ChecklistState {
  return finishStep(startStep(s, 'backup', { commandLine: 'pg_dump' }), 'backup', {
    exitCode: 0,
    detail: { file: '/backups/production.dump' },
  });
}

describe('verifyDataProof: when the verify step proves the data', () => {
  it('archive in play → archive; backup only → rollbackAlone; neither → none', () => {
    expect(verifyDataProof(fresh(), true)).toBe('archive');
    expect(
      verifyDataProof({ ...fresh(), data: { archive: { rows: 3, takenAt: '2026-11-30T10:00:00Z' } } }, false),
    ).toBe('archive');
    expect(verifyDataProof(backedUp(fresh()), false)).toBe('rollbackAlone');
    expect(verifyDataProof(backedUp(fresh()), true)).toBe('archive');
    expect(verifyDataProof(fresh(), false)).toBeUndefined();
  });

  it('a range (Roll Back to Here…) verifies its chain: no single-migration data proof', () => {
    const range = createChecklist({
      key: { ...key, migrations: ['b', 'a'] },
      protected: false,
      migrationState: 'applied',
    });
    expect(verifyDataProof(range, true)).toBeUndefined();
  });
});

describe('dataCheckOf: the data result in the step', () => {
  it('identical: rows compared, through the archive', () => {
    const d = dataCheckOf({
      kind: 'verified',
      ...base,
      data: { tables: 2, rows: 8, notSeeded: [], archive: true },
    });
    expect(d).toEqual({
      result: 'identical',
      tables: 2,
      rows: 8,
      archive: true,
      lines: [],
      summary:
        'Data: identical — 8 rows in 2 tables read the same before the migration and after the rollback and the archive.',
    });
  });

  it('a table that could not be seeded is never identical: could not check, naming it and why', () => {
    const d = dataCheckOf({
      kind: 'verified',
      ...base,
      data: {
        tables: 2,
        rows: 4,
        notSeeded: ['"Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")'],
        archive: true,
      },
    });
    expect(d.result).toBe('couldNotCheck');
    expect(d.lines).toEqual([
      'not seeded: "Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")',
    ]);
    expect(d.summary).toBe(
      'Data: could not check — 1 table could not be seeded ("Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")); 4 rows in 2 tables read the same through the rollback and the archive, but an empty table proves nothing.',
    );
  });

  it('cannotProve as verifyRollback gives it (one reason per unseeded table, others): each line once, only the others as what the comparison cannot see', () => {
    const notSeeded = ['"Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")'];
    const proof = { tables: 2, rows: 4, notSeeded, archive: false };
    const d = dataCheckOf({
      kind: 'cannotProve',
      ...base,
      reasons: [...unprovenData(proof), 'migration.sql:2: a DO block'],
      data: proof,
    });
    expect(d.result).toBe('couldNotCheck');
    expect(d.lines).toEqual([
      'not fully seeded, so its rows are not proven: "Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")',
      'migration.sql:2: a DO block',
    ]);
    expect(d.summary).toBe(
      'Data: could not check — 1 table could not be seeded ("Impossible": 0 of 4 rows (violates check constraint "Impossible_x_check")); 4 rows in 2 tables read the same through the rollback alone (no archive), but an empty table proves nothing; the comparison cannot see migration.sql:2: a DO block.',
    );
  });

  it('differences: listed; without an archive they are the values the rollback does not bring back', () => {
    const d = dataCheckOf({
      kind: 'differences',
      ...base,
      differences: [`"User": row id=1: "nickname" 'a' → NULL`],
      data: { tables: 2, rows: 8, notSeeded: [], archive: false, valueDifferences: 1 },
    });
    expect([d.result, d.lines, d.summary]).toEqual([
      'differences',
      [`"User": row id=1: "nickname" 'a' → NULL`],
      'Data: 1 difference over 8 rows in 2 tables through the rollback alone (no archive): values the rollback does not bring back.',
    ]);
  });

  it('a failed rollback or a schema difference is not "values the rollback does not bring back"; a mix says how many are', () => {
    const failed = dataCheckOf({
      kind: 'differences',
      ...base,
      differences: ['down.sql failed to apply: column "nope" of relation "User" does not exist'],
      data: { tables: 1, rows: 4, notSeeded: [], archive: false },
    });
    expect(failed.summary).toBe(
      'Data: 1 difference over 4 rows in 1 table through the rollback alone (no archive).',
    );
    const mixed = dataCheckOf({
      kind: 'differences',
      ...base,
      differences: [
        '"User": column "active" is new and holds values',
        `"User": row id=1: "nickname" 'a' → NULL`,
      ],
      data: { tables: 1, rows: 4, notSeeded: [], archive: false, valueDifferences: 1 },
    });
    expect(mixed.summary).toBe(
      'Data: 2 differences over 4 rows in 1 table through the rollback alone (no archive): 1 of them values the rollback does not bring back.',
    );
  });

  it('could not verify / cannot prove: could not check, with the reason', () => {
    expect(
      dataCheckOf({ kind: 'couldNotVerify', reason: 'PGlite lacks the extension "vector".', ms: 3 }),
    ).toMatchObject({
      result: 'couldNotCheck',
      rows: 0,
      lines: ['PGlite lacks the extension "vector".'],
      summary: 'Data: could not check — PGlite lacks the extension "vector".',
    });
    expect(
      dataCheckOf({
        kind: 'cannotProve',
        ...base,
        reasons: ['migration.sql:2: a DO block'],
        data: { tables: 1, rows: 4, notSeeded: [], archive: true },
      }),
    ).toMatchObject({ result: 'couldNotCheck', lines: ['migration.sql:2: a DO block'] });
  });
});

describe('verifyDataNote: the verify step note', () => {
  const verified = (detail: Record<string, string>) =>
    endCheck(startStep(fresh(), 'verify', {}), 'verify', {
      ok: true,
      detail: { result: 'verified', ...detail },
    });

  it('lists the differences (first 5 and how many more)', () => {
    const lines = Array.from({ length: 7 }, (_, i) => `"User": row id=${i + 1}: "nickname" → NULL`);
    const s = verified({ data: 'differences', dataLines: lines.join('\n') });
    expect(dataNotes(s, formatDateTime).verify).toBe(
      `Data differences: ${lines.slice(0, 5).join('; ')}; … and 2 more.`,
    );
  });

  it('says why it could not check; nothing when identical or not proved', () => {
    expect(
      verifyDataNote({ data: 'couldNotCheck', dataLines: 'not seeded: "Impossible": 0 of 4 rows' }),
    ).toBe('Data not checked: not seeded: "Impossible": 0 of 4 rows.');
    expect(verifyDataNote({ data: 'identical', dataLines: '' })).toBeUndefined();
    expect(verifyDataNote({ result: 'verified' })).toBeUndefined();
    expect(dataNotes(fresh(), formatDateTime)).toEqual({});
  });
});
