import type { JobProgress } from '@kb/contracts';

const WIDTH = 28;
const PLAIN_INTERVAL_MS = 2000;

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/** One progress line: bar, counts, throughput and time left. */
export function progressLine(p: JobProgress, elapsedMs: number): string {
  const total = Math.max(p.discovered, 1);
  const done = Math.min(p.processed, total);
  const filled = Math.round((done / total) * WIDTH);
  const rate = elapsedMs > 0 ? (p.processed / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? (p.discovered - p.processed) / rate : Infinity;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${p.processed}/${p.discovered} documents` +
    ` · ${rate.toFixed(1)}/s · ETA ${p.processed >= p.discovered ? '0s' : formatDuration(eta)}` +
    ` · ${p.indexed} indexed, ${p.unchanged} unchanged, ${p.failed} failed`
  );
}

/** Redraws one line on a terminal; elsewhere (CI, pipes) prints a line every couple of seconds. */
export class ProgressBar {
  private readonly started = Date.now();
  private lastPlain = 0;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  update(p: JobProgress): void {
    const line = progressLine(p, Date.now() - this.started);
    if (this.out.isTTY) this.out.write(`\r${line.slice(0, (this.out.columns || 120) - 1)}\x1b[K`);
    else if (Date.now() - this.lastPlain >= PLAIN_INTERVAL_MS) {
      this.lastPlain = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  finish(p: JobProgress): number {
    const elapsed = Date.now() - this.started;
    this.out.write(
      `${this.out.isTTY ? '\r' : ''}${progressLine(p, elapsed)}${this.out.isTTY ? '\x1b[K' : ''}\n`,
    );
    return elapsed;
  }
}

/** The end-of-run summary as an aligned two-column table. */
export function summaryTable(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  const valueWidth = Math.max(...rows.map(([, v]) => String(v).length));
  const rule = `${'─'.repeat(width + 2)}┼${'─'.repeat(valueWidth + 2)}`;
  return [
    rule,
    ...rows.map(([k, v]) => ` ${k.padEnd(width)} │ ${String(v).padStart(valueWidth)}`),
    rule,
  ].join('\n');
}
