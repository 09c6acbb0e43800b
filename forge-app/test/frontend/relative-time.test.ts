import { relativeTime } from '../../src/frontend/relative-time';

describe('when a conversation was last active', () => {
  const now = Date.parse('2026-11-20T12:00:00.000Z');
  const before = (ms: number) => new Date(now - ms).toISOString();

  it.each([
    [before(20_000), 'just now'],
    [before(60_000), '1 minute ago'],
    [before(45 * 60_000), '45 minutes ago'],
    [before(3_600_000), '1 hour ago'],
    [before(23 * 3_600_000), '23 hours ago'],
    [before(30 * 3_600_000), 'yesterday'],
    [before(6 * 86_400_000), '6 days ago'],
    ['2026-03-03T09:00:00.000Z', '3 Mar'],
    ['2025-12-24T09:00:00.000Z', '24 Dec 2025'],
    [new Date(now + 5_000).toISOString(), 'just now'], // a clock a little ahead of the service's
    ['not a date', ''],
  ])('%s reads "%s"', (iso, expected) => {
    expect(relativeTime(iso, now)).toBe(expected);
  });
});
