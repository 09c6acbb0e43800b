import type { Job } from '@kb/contracts';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { scheduleSlot, scheduleSyncs, sourceSlot } from '../../src/ingest/sync-schedule.js';
import { scheduledSources } from '../../src/service.js';

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

describe('scheduled syncs of several sources', () => {
  const log = { info: () => undefined } as unknown as Logger;
  const job = (id: string) => ({ id }) as Job;

  it('claims each source’s slot in turn, starting the next once the previous has ended', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const first = new Promise<void>((resolve) => (release = resolve));
    const cron = scheduleSyncs(
      '0 0 1 1 *',
      ['confluence', 's3'],
      async (source, slot) => {
        events.push(`start ${source} ${slot.slice(slot.indexOf('#'))}`);
        return job(source);
      },
      async (id) => {
        events.push(`wait ${id}`);
        if (id === 'confluence') await first;
        events.push(`ended ${id}`);
        return job(id);
      },
      log,
    );
    try {
      const tick = cron.trigger();
      await new Promise((resolve) => setImmediate(resolve));
      expect(events).toEqual(['start confluence #confluence', 'wait confluence']);
      release();
      await tick;
      expect(events).toEqual([
        'start confluence #confluence',
        'wait confluence',
        'ended confluence',
        'start s3 #s3',
        'wait s3',
        'ended s3',
      ]);
    } finally {
      cron.stop();
    }
  });

  it('goes on to the next source when one’s slot is taken (another replica runs it)', async () => {
    const started: string[] = [];
    const cron = scheduleSyncs(
      '0 0 1 1 *',
      ['confluence', 's3'],
      async (source) => {
        if (source === 'confluence') throw new Error('the tick ran already');
        started.push(source);
        return job(source);
      },
      async (id) => job(id),
      log,
    );
    try {
      await cron.trigger();
      expect(started).toEqual(['s3']);
    } finally {
      cron.stop();
    }
  });

  it('names a one-source tick by the tick alone, and each of several by the tick and the source', () => {
    expect(sourceSlot('p@t', 'files', ['files'])).toBe('p@t');
    expect(sourceSlot('p@t', 's3', ['confluence', 's3'])).toBe('p@t#s3');
  });
});

describe('the sources a schedule syncs', () => {
  it('syncs Confluence and the bucket (then the uploads kept in it) when configured, else the documents folder', () => {
    expect(scheduledSources(loadConfig({}))).toEqual(['files']);
    expect(scheduledSources(loadConfig({ S3_BUCKET: 'kb-docs' }))).toEqual(['s3', 'files']);
    expect(
      scheduledSources(
        loadConfig({
          S3_BUCKET: 'kb-docs',
          CONFLUENCE_URL: 'https://example.atlassian.net',
          CONFLUENCE_USERNAME: 'a@example.com',
          CONFLUENCE_API_TOKEN: 'token',
        }),
      ),
    ).toEqual(['confluence', 's3', 'files']);
  });
});
