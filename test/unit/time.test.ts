import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../../src/core/status/time';

describe('formatDateTime (the one date format on screen)', () => {
  it("writes the moment in the given locale with the zone's name", () => {
    const at = new Date('2025-11-17T14:03:09Z');
    expect(formatDateTime(at, { locale: 'en-US', timeZone: 'UTC' })).toBe('Nov 17, 2025, 02:03:09 PM UTC');
    expect(formatDateTime(at, { locale: 'en-GB', timeZone: 'Europe/London' })).toBe(
      '17 Nov 2025, 14:03:09 GMT',
    );
    expect(formatDateTime(at, { locale: 'de-DE', timeZone: 'Europe/Berlin' })).toBe(
      '17. Nov. 2025, 15:03:09 MEZ',
    );
  });

  it('accepts the ISO strings the checklist stores, and gives back what it cannot parse', () => {
    expect(formatDateTime('2025-11-17T14:03:09.000Z', { locale: 'en-US', timeZone: 'UTC' })).toBe(
      'Nov 17, 2025, 02:03:09 PM UTC',
    );
    expect(formatDateTime('not a time')).toBe('not a time');
  });
});
