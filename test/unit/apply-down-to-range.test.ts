/** apply-down --to: which migrations it rolls back, and the refusal that names the next command. */
import { describe, expect, it } from 'vitest';
import { migrationsToRollBack } from '../../src/core/runbook/apply-down-to';
import type { RowState } from '../../src/core/runbook/history';

const A = '20250101000000_a';
const B = '20250102000000_b';
const C = '20250103000000_c';
const D = '20250104000000_d';
const states = (...s: [string, RowState][]) => new Map(s);

describe('migrationsToRollBack', () => {
  it('newest first, only the applied ones after the target', () => {
    expect(
      migrationsToRollBack(
        [A, B, C, D],
        A,
        states([A, 'applied'], [B, 'applied'], [C, 'rolledBack'], [D, 'applied']),
        'local',
      ),
    ).toEqual([D, B]);
  });

  it('a later failed migration: the command to run names it (not a NAME placeholder)', () => {
    expect(() =>
      migrationsToRollBack([A, B, C], A, states([A, 'applied'], [B, 'applied'], [C, 'failed']), 'production'),
    ).toThrow(
      `${C} failed in production: resolve it first (prisma-rollback resolve --rolled-back ${C} --env production, or apply-down ${C} --env production alone). Nothing was run.`,
    );
    expect(() =>
      migrationsToRollBack([A, B, C], A, states([A, 'applied'], [B, 'failed'], [C, 'failed']), 'production'),
    ).toThrow(
      `${B}, ${C} failed in production: resolve them first (prisma-rollback resolve --rolled-back <each of them> --env production, or apply-down <each of them> --env production alone). Nothing was run.`,
    );
  });
});
