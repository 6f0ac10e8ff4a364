/**
 * src/cli/early-verifier.ts: which command lines start the verifier's worker before the CLI's
 * command modules load (a `verify` that may use the embedded PostgreSQL), and which do not.
 */
import { describe, expect, it } from 'vitest';
import { verifiesEmbedded } from '../../src/cli/early-verifier';

describe('the CLI starts the verifier early', () => {
  it('for verify on the embedded engine', () => {
    expect(verifiesEmbedded(['verify', '20250101000000_a'])).toBe(true);
    expect(verifiesEmbedded(['verify', '--all', '--json'])).toBe(true);
    expect(verifiesEmbedded(['verify', 'a', '--engine', 'embedded'])).toBe(true);
    expect(verifiesEmbedded(['verify', 'a', '--engine=auto'])).toBe(true);
  });
  it('not for other commands, help, or the server engine', () => {
    expect(verifiesEmbedded([])).toBe(false);
    expect(verifiesEmbedded(['status'])).toBe(false);
    expect(verifiesEmbedded(['down', 'verify'])).toBe(false);
    expect(verifiesEmbedded(['verify', '--help'])).toBe(false);
    expect(verifiesEmbedded(['verify', 'a', '-h'])).toBe(false);
    expect(verifiesEmbedded(['verify', 'a', '--engine', 'server'])).toBe(false);
    expect(verifiesEmbedded(['verify', 'a', '--engine=server'])).toBe(false);
  });
});
