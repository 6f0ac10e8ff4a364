/** The seeder's fill order: parents first, and a cycle broken at the table whose references can be NULL. */
import { describe, expect, it } from 'vitest';
import { type ForeignKey, fillOrder } from '../../src/core/verify/seed';

const fk = (columns: string[], parent: string): ForeignKey => ({ columns, parent, parentColumns: ['id'] });

describe('fillOrder', () => {
  it('puts parents before children, ties by name, self-references ignored', () => {
    expect(
      fillOrder(['"C"', '"B"', '"A"'], {
        '"C"': [fk(['b'], '"B"'), fk(['c'], '"C"')],
        '"B"': [fk(['a'], '"A"')],
      }),
    ).toEqual(['"A"', '"B"', '"C"']);
  });

  it('breaks a cycle at the table whose references to unfilled tables can be NULL', () => {
    // "Org" needs "Settings" (NOT NULL); "Settings" points back at "Org" through a nullable column.
    const fks = { '"Org"': [fk(['settingsId'], '"Settings"')], '"Settings"': [fk(['orgId'], '"Org"')] };
    const optional = (table: string) => table === '"Settings"';
    expect(fillOrder(['"Org"', '"Settings"'], fks, optional)).toEqual(['"Settings"', '"Org"']);
    // without that knowledge: name order
    expect(fillOrder(['"Settings"', '"Org"'], fks)).toEqual(['"Org"', '"Settings"']);
  });
});
