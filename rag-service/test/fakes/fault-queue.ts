/** What a test server answers instead of a normal response: for `times` requests, to paths `only` matches. */
export interface Queued {
  times?: number;
  only?: RegExp;
}

/** Faults a test has queued for a server, taken in order by the requests they apply to. */
export class FaultQueue<F extends Queued> {
  private readonly faults: F[] = [];

  push(fault: F): void {
    this.faults.push(fault);
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The first fault that applies to `path`, counted down (and dropped once used up). */
  take(path: string): F | undefined {
    const index = this.faults.findIndex((f) => !f.only || f.only.test(path));
    const fault = this.faults[index];
    if (!fault) return undefined;
    if ((fault.times ?? 1) <= 1) this.faults.splice(index, 1);
    else fault.times = (fault.times ?? 1) - 1;
    return fault;
  }
}
