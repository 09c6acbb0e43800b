import { scheduleSlot } from '../../src/ingest/sync-schedule.js';

const at = (iso: string) => new Date(iso).getTime();

/** Every replica names a tick by its scheduled time, so the shared ledger can run it once. */
describe('scheduleSlot', () => {
  it('names a tick by its scheduled time, however late (or slightly early) a replica’s timer fires', () => {
    const pattern = '*/2 * * * * *';
    const slot = `${pattern}@2026-12-06T21:00:04.000Z`;
    expect(scheduleSlot(pattern, at('2026-12-06T21:00:04.003Z'))).toBe(slot);
    expect(scheduleSlot(pattern, at('2026-12-06T21:00:05.400Z'))).toBe(slot);
    expect(scheduleSlot(pattern, at('2026-12-06T21:00:03.800Z'))).toBe(slot);
  });

  it('gives the next tick a slot of its own', () => {
    const pattern = '*/2 * * * * *';
    expect(scheduleSlot(pattern, at('2026-12-06T21:00:06.001Z'))).toBe(`${pattern}@2026-12-06T21:00:06.000Z`);
  });

  it('works for minute patterns too', () => {
    const pattern = '*/15 * * * *';
    expect(scheduleSlot(pattern, at('2026-12-06T21:15:02.250Z'))).toBe(`${pattern}@2026-12-06T21:15:00.000Z`);
  });
});

describe('scheduleSlot for a late tick', () => {
  it('keeps the tick’s own time when its timer fires long after it (a blocked event loop)', () => {
    const pattern = '0 * * * *';
    expect(scheduleSlot(pattern, at('2026-12-06T10:00:10.500Z'))).toBe(`${pattern}@2026-12-06T10:00:00.000Z`);
    expect(scheduleSlot(pattern, at('2026-12-06T10:12:00.000Z'))).toBe(`${pattern}@2026-12-06T10:00:00.000Z`);
  });
});
