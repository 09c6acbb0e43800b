import type { Logger } from 'pino';
import type { ConversationStore } from './conversation-store.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Deletes conversations untouched for longer than `HISTORY_RETENTION_DAYS`: once at start, then every
 * hour. Each replica runs it; the deletion is the same whoever runs it, so no coordination is needed.
 * Days = 0 keeps everything.
 */
export class RetentionSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly store: ConversationStore,
    private readonly days: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(everyMs = HOUR_MS): void {
    if (this.days <= 0 || this.timer) return;
    const tick = () => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    };
    tick();
    // Never keeps the process alive on its own: a service that is stopping does not wait an hour.
    this.timer = setInterval(tick, everyMs).unref();
  }

  /** One pass: how many conversations it deleted (0 when the database is down; the next pass retries). */
  async sweep(): Promise<number> {
    const before = new Date(this.now() - this.days * DAY_MS);
    try {
      const deleted = await this.store.deleteUntouchedSince(before);
      if (deleted) this.log.info({ deleted, before: before.toISOString() }, 'old conversations deleted');
      return deleted;
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'history retention skipped');
      return 0;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
