import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One gate in front of every call to a rate-limited API: at most `perSecond` calls start each second and
 * at most `concurrency` run at once. Retries go through it too, so a 429 storm cannot amplify itself.
 */
export class RateGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private nextStart = 0;

  constructor(
    private readonly perSecond: number,
    private readonly concurrency: number,
  ) {}

  /** Holds every call back for `ms` (a server's Retry-After applies to the whole client, not one request). */
  pause(ms: number): void {
    this.nextStart = Math.max(this.nextStart, Date.now() + ms);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      const now = Date.now();
      const start = Math.max(now, this.nextStart);
      this.nextStart = start + 1000 / this.perSecond;
      if (start > now) await sleep(start - now);
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
