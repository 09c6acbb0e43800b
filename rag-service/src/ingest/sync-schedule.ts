import type { Job, SyncSource } from '@kb/contracts';
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

/** The claim of one source's sync in a tick: the tick's slot itself when it syncs one source. */
export function sourceSlot(slot: string, source: SyncSource, sources: readonly SyncSource[]): string {
  return sources.length === 1 ? slot : `${slot}#${source}`;
}

/**
 * Scheduled incremental syncs of each source in turn (one sync runs at a time). A tick while a job runs
 * is skipped, not queued; with shared jobs every replica fires each tick and the first to claim a
 * source's slot runs it, then claims the next (a replica that finds a slot taken, or a sync running,
 * leaves that source to the replica that runs the tick).
 */
export function scheduleSyncs(
  pattern: string,
  sources: readonly SyncSource[],
  start: (source: SyncSource, slot: string) => Promise<Job>,
  finished: (jobId: string) => Promise<Job>,
  log: Logger,
): Cron {
  return new Cron(pattern, { protect: true }, async () => {
    const slot = scheduleSlot(pattern);
    for (const source of sources) {
      const claim = sourceSlot(slot, source, sources);
      let job: Job;
      try {
        job = await start(source, claim);
      } catch (err) {
        log.info({ err: (err as Error).message, slot: claim }, 'scheduled sync skipped');
        continue;
      }
      log.info({ jobId: job.id, cron: pattern, slot: claim, source }, 'scheduled sync started');
      await finished(job.id).catch(() => undefined);
    }
  });
}
