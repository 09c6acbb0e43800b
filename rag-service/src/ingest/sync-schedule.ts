import type { Job } from '@kb/contracts';
import { Cron } from 'croner';
import type { Logger } from 'pino';

/**
 * The scheduled time of the tick that fires at `now`, the same string on every replica whatever its
 * timer's jitter: the latest pattern time not after now (half a second of slack for a timer that fires
 * early). Pattern times are at least a second apart; a tick fires well within an hour of its time.
 */
export function scheduleSlot(pattern: string, now = Date.now()): string {
  const cron = new Cron(pattern, { paused: true });
  // From an hour back: a tick delayed by a blocked event loop still finds its own time, not the next one.
  let due = cron.nextRun(new Date(now - 3_600_000));
  for (let next = due && cron.nextRun(due); next && next.getTime() <= now + 500; next = cron.nextRun(next)) {
    due = next;
  }
  return `${pattern}@${(due ?? new Date(now)).toISOString()}`;
}

/**
 * Scheduled incremental syncs. A tick while a job runs is skipped, not queued; with shared jobs every
 * replica fires each tick and the first to claim its slot runs it (a replica whose timer fires after
 * that run ended finds the slot taken).
 */
export function scheduleSyncs(pattern: string, start: (slot: string) => Promise<Job>, log: Logger): Cron {
  return new Cron(pattern, { protect: true }, async () => {
    const slot = scheduleSlot(pattern);
    try {
      const job = await start(slot);
      log.info({ jobId: job.id, cron: pattern, slot }, 'scheduled sync started');
    } catch (err) {
      log.info({ err: (err as Error).message, slot }, 'scheduled sync skipped');
    }
  });
}
