import type { ScalePoint, ScaleResult, SystemFigures } from './scale.js';

interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const short = (n: number) =>
  n >= 1e6 ? `${n / 1e6}M` : n >= 1e4 ? `${Math.round(n / 100) / 10}k` : String(Math.round(n * 10) / 10);
/** A round step (1, 2 or 5 times a power of ten) that cuts `max` into about four. */
function tickStep(max: number): number {
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= raw)!;
}

/** A line chart as a standalone SVG: chunks on a log axis, one line per series, each point labelled. */
export function lineChart(title: string, unit: string, series: Series[]): string {
  const [width, height, left, right, top, bottom] = [720, 380, 70, 20, 40, 70];
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const step = tickStep(Math.max(...ys, 1e-9));
  const yMax = Math.max(Math.max(...ys, 1e-9) * 1.1, step);
  const lx = (x: number) => Math.log10(Math.max(x, 1));
  const px = (x: number) =>
    left + ((lx(x) - lx(xMin)) / Math.max(lx(xMax) - lx(xMin), 1e-9)) * (width - left - right);
  const py = (y: number) => top + (1 - y / yMax) * (height - top - bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${left}" y1="${py(0)}" x2="${width - right}" y2="${py(0)}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${py(0)}" stroke="#333"/>`,
    `<text x="16" y="${(top + py(0)) / 2}" transform="rotate(-90 16 ${(top + py(0)) / 2})" text-anchor="middle">${escape(unit)}</text>`,
    `<text x="${(left + width - right) / 2}" y="${py(0) + 34}" text-anchor="middle">chunks in the index (log scale)</text>`,
  ];
  for (const x of [...new Set(xs)].sort((a, b) => a - b))
    parts.push(`<text x="${px(x).toFixed(1)}" y="${py(0) + 16}" text-anchor="middle">${short(x)}</text>`);
  for (let y = step; y <= yMax; y += step) {
    parts.push(
      `<line x1="${left}" y1="${py(y).toFixed(1)}" x2="${width - right}" y2="${py(y).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${short(y)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const path = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) {
      parts.push(
        `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3.5" fill="${s.color}"><title>${escape(`${s.label}, ${x} chunks: ${y}`)}</title></circle>`,
        `<text x="${px(x).toFixed(1)}" y="${(py(y) - 7).toFixed(1)}" text-anchor="middle" font-size="10" fill="${s.color}">${short(y)}</text>`,
      );
    }
    const lx0 = left + i * 200;
    parts.push(
      `<rect x="${lx0}" y="${height - 18}" width="12" height="12" fill="${s.color}"/>`,
      `<text x="${lx0 + 18}" y="${height - 8}">${escape(s.label)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

const COLORS = { lexical: '#00875a', hybrid: '#0052cc', reference: '#ff8b00' } as const;

/** One series per system: the service in each mode, and the reference where it ran. */
function seriesOf(result: ScaleResult, value: (f: SystemFigures, p: ScalePoint) => number): Series[] {
  const out: Series[] = [];
  for (const mode of ['lexical', 'hybrid'] as const) {
    const points = result.points.filter((p) => p.mode === mode && p.chunks > 0);
    if (points.length)
      out.push({
        label: `rag-service, ${mode}`,
        color: COLORS[mode],
        points: points.map((p) => [p.chunks, value(p.service, p)]),
      });
  }
  const reference = result.points.filter((p) => p.chunks > 0 && !('skipped' in p.reference));
  if (reference.length)
    out.push({
      label: 'reference (LangChain.js)',
      color: COLORS.reference,
      points: reference.map((p) => [p.chunks, value(p.reference as SystemFigures, p)]),
    });
  return out;
}

/** The suite's charts by file name. */
export function scaleCharts(result: ScaleResult): Record<string, string> {
  const dims = `${result.dimensions}-dimension vectors for hybrid`;
  return {
    'scale-latency.svg': lineChart(
      `Chat p50 at concurrency 1 (${dims})`,
      'milliseconds',
      seriesOf(result, (f) => f.c1.p50),
    ),
    'scale-throughput.svg': lineChart(
      'Chat throughput at concurrency 16',
      'requests per second',
      seriesOf(result, (f) => f.c16.requestsPerSecond),
    ),
    'scale-memory.svg': lineChart(
      'Peak resident memory over the run',
      'MB',
      seriesOf(result, (f) => f.peakRssMb),
    ),
    'scale-idle-memory.svg': lineChart(
      'Resident memory once ready and idle',
      'MB',
      seriesOf(result, (f) => f.idleRssMb),
    ),
    'scale-cold-start.svg': lineChart(
      'Cold start: process start to ready, plus the first answer',
      'seconds',
      seriesOf(result, (f) => Math.round((f.coldStartMs + f.firstAnswerMs) / 100) / 10),
    ),
    'scale-disk.svg': lineChart(
      'Index on disk',
      'MB',
      seriesOf(result, (_f, p) => p.diskMb).filter((s) => !s.label.startsWith('reference')),
    ),
  };
}
