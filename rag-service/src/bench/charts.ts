import type { ChatOverheadResult } from './chat-overhead.js';

interface Bar {
  label: string;
  value: number;
  color: string;
}

const COLORS = { 'rag-service': '#0052cc', reference: '#ff8b00' } as const;
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** A grouped bar chart as a standalone SVG: one group per category, one bar per series. */
function barChart(
  title: string,
  unit: string,
  groups: { name: string; bars: Bar[] }[],
  logScale = false,
): string {
  const width = 720;
  const height = 360;
  const left = 70;
  const bottom = 60;
  const top = 40;
  const plotH = height - top - bottom;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value)), 1e-9);
  const scale = (v: number) =>
    logScale ? (Math.log10(Math.max(v, 0.1)) + 1) / (Math.log10(max) + 1) : v / max;
  const groupW = (width - left - 20) / groups.length;
  const barW = Math.min(40, (groupW - 20) / Math.max(...groups.map((g) => g.bars.length)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${width - 10}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${escape(unit)}${logScale ? ' (log scale)' : ''}</text>`,
  ];
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * g.bars.length) / 2;
    g.bars.forEach((b, bi) => {
      const h = Math.max(1, scale(b.value) * plotH);
      const x = x0 + bi * barW;
      const y = top + plotH - h;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${b.color}"><title>${escape(`${b.label}: ${b.value}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${(x + (barW - 4) / 2).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="10">${b.value}</text>`,
      );
    });
    parts.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${escape(g.name)}</text>`,
    );
  });
  const legend = [
    ...new Map(groups.flatMap((g) => g.bars.map((b) => [b.label, b.color] as const))).entries(),
  ];
  legend.forEach(([label, color], i) => {
    const x = left + i * 170;
    parts.push(`<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${x + 18}" y="${height - 12}">${escape(label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Latency percentiles per concurrency, both systems side by side. */
export function latencyChart(result: ChatOverheadResult): string {
  const groups = [...new Set(result.runs.map((r) => r.load.concurrency))].flatMap((c) =>
    (['p50', 'p95', 'p99'] as const).map((p) => ({
      name: `c${c} ${p}`,
      bars: result.runs
        .filter((r) => r.load.concurrency === c)
        .map((r) => ({ label: r.system, value: r.load[p], color: COLORS[r.system] })),
    })),
  );
  return barChart(
    `Chat latency over ${result.chunks.toLocaleString('en')} chunks`,
    'milliseconds',
    groups,
    true,
  );
}

/** Requests per second per concurrency, both systems, with the ratio in the group name. */
export function throughputChart(result: ChatOverheadResult): string {
  const groups = [...new Set(result.runs.map((r) => r.load.concurrency))].map((c) => ({
    name: `concurrency ${c} (×${result.throughputRatio[String(c)]})`,
    bars: result.runs
      .filter((r) => r.load.concurrency === c)
      .map((r) => ({ label: r.system, value: r.load.requestsPerSecond, color: COLORS[r.system] })),
  }));
  return barChart('Chat throughput (rag-service ÷ reference in brackets)', 'requests per second', groups);
}
