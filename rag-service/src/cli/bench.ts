import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { latencyChart, throughputChart } from '../bench/charts.js';
import { historyOverhead, type HistoryOverheadResult } from '../bench/history-overhead.js';
import { idleMemory, type IdleMemoryResult } from '../bench/idle-memory.js';
import { insightsGrouping, type InsightsGroupingResult } from '../bench/insights-grouping.js';
import { chatOverhead, type ChatOverheadResult } from '../bench/chat-overhead.js';
import { hostileInput, type HostileInputResult } from '../bench/hostile-input.js';
import { ingestion, type IngestionResult } from '../bench/ingestion.js';
import {
  objectIngestion,
  type ObjectIngestionResult,
  type SourceSyncFigures,
} from '../bench/object-ingestion.js';
import { scaleCurves, type ScaleMode, type ScaleResult, type SystemFigures } from '../bench/scale.js';
import { scaleCharts } from '../bench/scale-charts.js';
import { summaryTable } from './progress-bar.js';

export const BENCH_HELP = `Usage: pnpm kb bench [options]

Performance suites, each printing a table and writing JSON (and SVG charts for chat):
  chat        chat overhead over a synthetic index: the model and embedding servers answer at once;
              each system's first pass over the 500 questions from a cold start, then p50/p95/p99,
              requests/s and peak RSS at each concurrency, against a reference built on LangChain.js's
              retrieval chain and in-memory store (same requests, same run, each in its own process);
              plus the time to the first streamed token
  ingestion   Confluence pages/s (test server, instant embeddings) and a no-op resync
  objects     the same Markdown documents from an S3 bucket (the AWS SDK against S3 on loopback) and
              from a folder: documents/s, and a no-op resync's downloads and embedding calls (only
              when named)
  hostile     inputs that once stalled the service: service CPU per chat with 32,000-character Jira
              descriptions of the tokenizer's worst cases, a 10 MB document of one unbroken run
              (convert + chunk, and uploaded), the security review's repros one by one (long runs in a
              chat and its history, one-word uploads, a PDF that inflates 300-fold), and the slowest
              /healthz answer during each
  history     what keeping conversations costs a chat (only when named): HISTORY=off, the embedded
              PostgreSQL and a PostgreSQL server (--database-url) one after the other: c1 p50, c16
              throughput, idle and peak memory of the service and of the embedded database
  idle        the production bundle's memory at idle (only when named; \`pnpm build\` first): the
              sample documents indexed, one question answered, 10 s of nothing; Node's defaults against
              the Dockerfile's flags, three runs each: RSS (anonymous and file-backed), peak, database
  scale       curves as the index grows (only when named; \`pnpm build\` first): for each size and mode
              (lexical; hybrid with --dimensions vectors), the index build time and size on disk, then
              the production bundle over it: cold start to ready and the first answer, c1 p50/p99, c16
              requests/s, idle and peak RSS; beside the reference where its vectors fit in 1 GB; size 0
              is the service's floor (an empty index). Writes bench-scale.json after every point, and
              SVG charts
  insights    what grouping the admin insights' content gaps costs a request (only when named):
              10,000 unanswered questions among 50,000, grouped five times; then 5,000 questions of
              4,000 characters among 50,000, and 3,000 runs of ". " (hostile input), three times each

Options:
  --suites <a,b>        chat, ingestion, objects, hostile, history, idle, insights, scale
                        (default: chat,ingestion,hostile)
  --sizes <a,b>         index sizes for scale (default 0,10000,50000,100000,500000,1000000)
  --modes <a,b>         retrieval modes for scale: lexical, hybrid (default both)
  --dimensions <n>      vector size for scale's hybrid indexes (default 768)
  --chunks <n>          index size for chat (default 50000) and history (default 5000)
  --database-url <url>  the PostgreSQL server the history suite also measures (a database it may write to)
  --pages <n>           Confluence pages for ingestion (default 5000)
  --objects <n>         documents for the objects suite, in the bucket and in the folder (default 2000)
  --requests <n>        requests per concurrency level, at least 20 per client (default 2000;
                        scale: 300 at concurrency 1, 800 at 16)
  --concurrency <a,b>   concurrency levels (default 1,16,64)
  --run-bytes <n>       size of the hostile suite's one-run document (default 10000000)
  --out <folder>        where JSON and charts go (default bench-results)
  -h, --help            show this help
`;

export interface BenchRun {
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string };
  chat?: ChatOverheadResult;
  ingestion?: IngestionResult;
  objects?: ObjectIngestionResult;
  hostile?: HostileInputResult;
  history?: HistoryOverheadResult;
  idle?: IdleMemoryResult;
  scale?: ScaleResult;
  insights?: InsightsGroupingResult;
}

const SUITES = ['chat', 'ingestion', 'objects', 'hostile', 'history', 'idle', 'insights', 'scale'];
/** Run unless named: the default stays the three suites it always was. */
const DEFAULT_SUITES = ['chat', 'ingestion', 'hostile'];

const positive = (value: string | undefined, name: string, fallback: number) => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`);
  return n;
};

export async function runBench(
  argv: string[],
  onProgress?: (what: string) => void,
): Promise<{ run: BenchRun; out: string }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      suites: { type: 'string', default: DEFAULT_SUITES.join(',') },
      'database-url': { type: 'string' },
      chunks: { type: 'string' },
      pages: { type: 'string' },
      objects: { type: 'string' },
      requests: { type: 'string' },
      concurrency: { type: 'string', default: '1,16,64' },
      'run-bytes': { type: 'string' },
      sizes: { type: 'string', default: '0,10000,50000,100000,500000,1000000' },
      modes: { type: 'string', default: 'lexical,hybrid' },
      dimensions: { type: 'string' },
      out: { type: 'string', default: 'bench-results' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const suites = values.suites.split(',').map((s) => s.trim());
  const unknown = suites.filter((s) => !SUITES.includes(s));
  if (unknown.length) throw new Error(`unknown suite ${unknown.join(', ')}: use ${SUITES.join(', ')}`);
  const concurrencies = values.concurrency.split(',').map((c) => positive(c.trim(), 'concurrency', 1));
  const requests = positive(values.requests, 'requests', 2000);
  const cpus = os.cpus();
  const run: BenchRun = {
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
  };
  await mkdir(values.out, { recursive: true });
  if (suites.includes('chat')) {
    run.chat = await chatOverhead({
      chunks: positive(values.chunks, 'chunks', 50_000),
      concurrencies,
      requests: (c) => Math.max(requests, c * 20),
      onProgress,
    });
    await writeFile(path.join(values.out, 'chat-latency.svg'), latencyChart(run.chat));
    await writeFile(path.join(values.out, 'chat-throughput.svg'), throughputChart(run.chat));
  }
  if (suites.includes('ingestion'))
    run.ingestion = await ingestion(positive(values.pages, 'pages', 5000), onProgress);
  if (suites.includes('objects'))
    run.objects = await objectIngestion(positive(values.objects, 'objects', 2000), onProgress);
  if (suites.includes('hostile')) {
    const runBytes = positive(values['run-bytes'], 'run-bytes', 10_000_000);
    run.hostile = await hostileInput({ runBytes, onProgress });
  }
  if (suites.includes('history')) {
    run.history = await historyOverhead({
      chunks: positive(values.chunks, 'chunks', 5_000),
      requests,
      databaseUrl: values['database-url'],
      onProgress,
    });
  }
  if (suites.includes('idle')) run.idle = await idleMemory({ onProgress });
  if (suites.includes('scale')) {
    const sizes = values.sizes.split(',').map((n) => Number(n.trim()));
    if (sizes.some((n) => !Number.isInteger(n) || n < 0))
      throw new Error('--sizes must be whole numbers of chunks, 0 or more');
    const modes = values.modes.split(',').map((m) => m.trim());
    if (modes.some((m) => m !== 'lexical' && m !== 'hybrid'))
      throw new Error('--modes takes lexical and hybrid');
    const writeScale = async (result: ScaleResult) => {
      await writeFile(path.join(values.out, 'bench-scale.json'), `${JSON.stringify(result, null, 2)}\n`);
      for (const [name, svg] of Object.entries(scaleCharts(result)))
        await writeFile(path.join(values.out, name), svg);
    };
    run.scale = await scaleCurves({
      sizes: [...sizes].sort((a, b) => a - b),
      modes: modes as ScaleMode[],
      dimensions: positive(values.dimensions, 'dimensions', 768),
      requests: { c1: values.requests ? requests : 300, c16: values.requests ? requests : 800 },
      onPoint: writeScale,
      onProgress,
    });
  }
  if (suites.includes('insights')) {
    onProgress?.('insights: grouping 10,000 content-gap questions, then long questions and punctuation runs');
    run.insights = await insightsGrouping();
  }
  await writeFile(path.join(values.out, 'bench.json'), `${JSON.stringify(run, null, 2)}\n`);
  return { run, out: values.out };
}

/** The figures as text tables. */
export function benchTables(run: BenchRun): string {
  const out: string[] = [];
  if (run.chat) {
    const rows: [string, string | number][] = [
      [`chat over ${run.chat.chunks} chunks`, 'p50 / p95 / p99 ms · req/s · errors'],
    ];
    for (const [system, load] of Object.entries(run.chat.firstPass)) {
      rows.push([
        `${system} first pass (cold)`,
        `${load.p50} / ${load.p95} / ${load.p99} · ${load.requestsPerSecond} · ${load.errors}`,
      ]);
    }
    for (const r of run.chat.runs) {
      rows.push([
        `${r.system} c${r.load.concurrency}`,
        `${r.load.p50} / ${r.load.p95} / ${r.load.p99} · ${r.load.requestsPerSecond} · ${r.load.errors}`,
      ]);
    }
    for (const [c, ratio] of Object.entries(run.chat.throughputRatio))
      rows.push([`throughput ratio c${c}`, `×${ratio}`]);
    rows.push([
      'peak RSS (MB)',
      `rag-service ${run.chat.peakRssMb['rag-service']} · reference ${run.chat.peakRssMb.reference}`,
    ]);
    const ft = run.chat.firstToken;
    rows.push(['first streamed token (ms)', `p50 ${ft.p50} · p95 ${ft.p95} · p99 ${ft.p99}`]);
    out.push(summaryTable(rows));
  }
  if (run.ingestion) {
    const i = run.ingestion;
    out.push(
      summaryTable([
        [`ingestion of ${i.pages} Confluence pages`, `${i.firstSync.seconds.toFixed(1)} s`],
        ['pages/s', i.firstSync.pagesPerSecond],
        ['chunks', i.firstSync.chunks],
        ['no-op resync', `${i.noOpResync.seconds.toFixed(2)} s (${i.noOpResync.bodyFetches} bodies fetched)`],
      ]),
    );
  }
  if (run.objects) {
    const o = run.objects;
    const row = (name: string, f: SourceSyncFigures): [string, string][] => [
      [
        `${name}: first sync of ${o.documents} documents`,
        `${f.firstSync.seconds.toFixed(1)} s (${f.firstSync.documentsPerSecond}/s)`,
      ],
      [
        `${name}: no-op resync`,
        `${f.noOpResync.seconds.toFixed(2)} s (${f.noOpResync.downloads} downloads, ${f.noOpResync.embeddingCalls} embedding calls)`,
      ],
    ];
    out.push(summaryTable([...row('S3 bucket', o.s3), ...row('folder', o.folder)]));
  }
  if (run.hostile) out.push(hostileTable(run.hostile));
  if (run.history) out.push(historyTable(run.history));
  if (run.idle) out.push(idleTable(run.idle));
  if (run.scale) out.push(scaleTable(run.scale));
  if (run.insights) {
    const i = run.insights;
    out.push(
      `insights: ${i.gapQuestions} content-gap questions among ${i.askedQuestions} grouped into ${i.groups} groups in ${i.medianMs} ms (median of ${i.runs}, max ${i.maxMs} ms); joined by meaning (${i.dimensions} dimensions) into ${i.meaningGroups} groups in ${i.meaningMedianMs} ms (max ${i.meaningMaxMs} ms)`,
      ...(
        [
          ['long questions', i.longQuestions],
          ['punctuation runs', i.punctuationRuns],
        ] as const
      ).map(
        ([what, c]) =>
          `insights, ${what}: ${c.gapQuestions} of ${c.chars} characters among ${c.askedQuestions} grouped into ${c.groups} groups in ${c.medianMs} ms (median of ${c.runs}, max ${c.maxMs} ms)`,
      ),
    );
  }
  return out.join('\n\n');
}

function hostileTable(h: HostileInputResult): string {
  const rows: [string, string | number][] = [['hostile input', 'figure']];
  for (const [input, ms] of Object.entries(h.chatCpuMs)) rows.push([`chat CPU, ${input}`, `${ms} ms`]);
  rows.push(['slowest /healthz during those chats', `${h.healthzWorstMsDuringChats} ms`]);
  const d = h.longRunDocument;
  for (const [input, o] of Object.entries(h.repros))
    rows.push([`repro: ${input}`, `${o.status} in ${o.ms} ms · /healthz ≤ ${o.healthzWorstMs} ms`]);
  const size = `${(d.bytes / 1_000_000).toLocaleString('en')} MB run`;
  rows.push([`${size}: convert + chunk (${d.chunks} chunks)`, `${d.convertAndChunkMs} ms`]);
  rows.push([
    `${size} uploaded: response · slowest /healthz`,
    `${h.longRunUpload.status} in ${h.longRunUpload.ms} ms · ${h.longRunUpload.healthzWorstMs} ms`,
  ]);
  return summaryTable(rows);
}

function scaleTable(scale: ScaleResult): string {
  const rows: [string, string | number][] = [
    [
      `scale (hybrid: ${scale.dimensions} dimensions)`,
      'build s · disk MB · ready + first answer ms · c1 p50/p99 ms · c16 req/s · idle/peak MB',
    ],
  ];
  for (const p of scale.points) {
    const of = (f: SystemFigures) =>
      `${f.coldStartMs} + ${f.firstAnswerMs} · ${f.c1.p50}/${f.c1.p99} · ${f.c16.requestsPerSecond} · ${f.idleRssMb}/${f.peakRssMb}`;
    const recall = p.recallAt10 === undefined ? '' : ` · recall@10 ${p.recallAt10}`;
    rows.push([`${p.mode} ${p.chunks}`, `${p.buildSeconds} · ${p.diskMb} · ${of(p.service)}${recall}`]);
    if (!('skipped' in p.reference)) rows.push([`  reference ${p.chunks}`, of(p.reference)]);
  }
  return summaryTable(rows);
}

function idleTable(idle: IdleMemoryResult): string {
  const rows: [string, string | number][] = [
    [
      `production bundle at idle (median of ${idle.runsPerVariant})`,
      'RSS MB = anonymous + file-backed · peak · embedded PostgreSQL',
    ],
  ];
  for (const [variant, { median: m }] of Object.entries(idle.variants))
    rows.push([variant, `${m.rssMb} = ${m.anonMb} + ${m.fileMb} · ${m.peakMb} · ${m.databaseMb}`]);
  return summaryTable(rows);
}

function historyTable(h: HistoryOverheadResult): string {
  const rows: [string, string | number][] = [
    [`history over ${h.chunks} chunks`, 'c1 p50 ms · c16 req/s · idle RSS MB (service + database) · peak'],
  ];
  for (const r of h.runs) {
    rows.push([
      r.variant,
      `${r.c1.p50} · ${r.c16.requestsPerSecond} · ${r.idleRssMb.service} + ${r.idleRssMb.database} · ${r.peakRssMb.service} + ${r.peakRssMb.database}`,
    ]);
  }
  for (const [variant, c] of Object.entries(h.cost)) {
    rows.push([
      `cost of ${variant}`,
      `c16 −${c.c16ThroughputLossPct}% · c1 p50 +${c.c1P50AddedMs} ms · idle +${c.idleRssAddedMb} MB`,
    ]);
  }
  for (const s of h.skipped) rows.push(['skipped', s]);
  return summaryTable(rows);
}
