/** Drift differences in plain words, from the environment's side (src/core/verify/drift.ts). */
import { describe, expect, it } from 'vitest';
import { driftDifference, driftSummary } from '../../src/core/verify/drift';

describe('driftDifference', () => {
  it('says missing, extra and changed from the environment', () => {
    expect(driftDifference('index "User_email_key" is missing', 'prod')).toEqual({
      object: 'index "User_email_key"',
      message: 'index "User_email_key" is missing on prod (the migrations create it)',
    });
    expect(driftDifference('constraint "x" on "Post" is extra', 'prod')).toEqual({
      object: 'constraint "x" on "Post"',
      message: 'constraint "x" on "Post" exists on prod but no applied migration creates it',
    });
    expect(driftDifference('column "User"."name": type is text, was character varying(200)', 'prod')).toEqual(
      {
        object: 'column "User"."name"',
        message: 'column "User"."name": type is text on prod; the migrations make it character varying(200)',
      },
    );
    expect(driftDifference('enum "Role": value \'GUEST\' is missing', 'prod')).toEqual({
      object: 'enum "Role"',
      message: 'enum "Role": value \'GUEST\' is missing on prod (the migrations create it)',
    });
  });
});

describe('driftSummary', () => {
  it('counts, names the last applied migration and shows the first differences', () => {
    const differences = ['a', 'b', 'c'].map((x) => ({
      object: `table "${x}"`,
      message: `table "${x}" is missing on s`,
    }));
    expect(
      driftSummary(
        { kind: 'drift', lastApplied: '2_b', expected: ['1_a', '2_b'], differences, cached: false, ms: 1 },
        's',
        2,
      ),
    ).toBe(
      's has drifted from its 2 applied migrations (last: 2_b): 3 differences: table "a" is missing on s; table "b" is missing on s; and 1 more.',
    );
    expect(
      driftSummary(
        { kind: 'none', lastApplied: '1_a', expected: ['1_a'], differences: [], cached: true, ms: 1 },
        's',
      ),
    ).toBe('s has no drift: its schema is what its 1 applied migration (last: 1_a) build.');
    expect(driftSummary({ kind: 'couldNotCheck', reason: 'Cannot read s: refused.', ms: 1 }, 's')).toBe(
      'Could not check drift on s: Cannot read s: refused.',
    );
  });
});
