import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { API_KEY, askCited, BENCH_KEY_ENV, buildBenchIndex } from './bench-index.js';
import { runLoad } from './load.js';
import { freePort, startServerProcess, statusMb } from './processes.js';
import type { LoadFigures } from './stats.js';

export type HistoryVariant = 'history off' | 'history on, embedded' | 'history on, PostgreSQL server';

export interface HistoryRun {
  variant: HistoryVariant;
  c1: LoadFigures;
  c16: LoadFigures;
  /** The service process, and the embedded database's processes (proportional share), once ready and idle. */
  idleRssMb: { service: number; database: number };
  /** The service's peak (VmHWM) over the run, and the database's share right after the load. */
  peakRssMb: { service: number; database: number };
}

export interface HistoryOverheadResult {
  chunks: number;
  runs: HistoryRun[];
  /** Against history off, in the same run: c16 throughput lost, c1 p50 added, idle memory added. */
  cost: Record<string, { c16ThroughputLossPct: number; c1P50AddedMs: number; idleRssAddedMb: number }>;
  /** Why a variant was not run (no PostgreSQL server named). */
  skipped: string[];
}

const kb = (text: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);

/** Proportional set size of one process in MB: shared pages (PostgreSQL's shared buffers) counted once. */
function pssMb(pid: number): number {
  try {
    return kb(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss') / 1024;
  } catch {
    return 0;
  }
}

/** The embedded server's processes: its postmaster (from postmaster.pid) and every child of it. */
function databasePids(dataDir: string): number[] {
  let postmaster: number;
  try {
    postmaster = Number(
      readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
  } catch {
    return [];
  }
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

export const databaseMb = (dataDir: string) =>
  Math.round(databasePids(dataDir).reduce((sum, pid) => sum + pssMb(pid), 0));

/**
 * What keeping conversations costs a chat: the same service, index and questions with HISTORY=off, with
 * the embedded PostgreSQL, and (when `databaseUrl` names one) with a PostgreSQL server, one after the
 * other in one run. Every request starts a conversation (a question and its answer written in one
 * transaction). The model and embedding servers answer at once, so the figures are the service's own.
 */
export async function historyOverhead(options: {
  chunks: number;
  requests: number;
  databaseUrl?: string;
  onProgress?: (what: string) => void;
}): Promise<HistoryOverheadResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-history-'));
  // Run as root, the embedded server runs as the `postgres` account, which must pass through this folder.
  await chmod(dir, 0o711);
  const model = await new OpenAITestServer().start();
  try {
    options.onProgress?.(`history: building an index of ${options.chunks} chunks`);
    const { questions } = await buildBenchIndex({
      dir: path.join(dir, 'data', 'index'),
      chunks: options.chunks,
      embedder: model.embedder,
    });
    const variants: [HistoryVariant, Record<string, string>][] = [
      ['history off', { HISTORY: 'off' }],
      ['history on, embedded', { HISTORY: 'on' }],
    ];
    const skipped: string[] = [];
    if (options.databaseUrl)
      variants.push(['history on, PostgreSQL server', { HISTORY: 'on', DATABASE_URL: options.databaseUrl }]);
    else skipped.push('history on, PostgreSQL server: no --database-url given');
    const runs: HistoryRun[] = [];
    const dataDir = path.join(dir, 'data');
    for (const [variant, env] of variants) {
      options.onProgress?.(`history: ${variant}`);
      const server = await startServerProcess(
        'src/main.ts',
        {
          OPENAI_API_KEY: model.apiKey,
          OPENAI_BASE_URL: model.baseUrl,
          DATA_DIR: dataDir,
          DOCS_DIR: path.join(dir, 'no-docs'),
          ...BENCH_KEY_ENV,
          RATE_LIMIT_CHAT_PER_MINUTE: '0',
          ...env,
        },
        await freePort(),
        '/readyz',
      );
      try {
        const pid = server.child.pid!;
        const embedded = variant === 'history on, embedded';
        // Settled: the start-up sync and the first garbage collections are over.
        await new Promise((r) => setTimeout(r, 3000));
        const idleRssMb = {
          service: statusMb(pid, 'VmRSS'),
          database: embedded ? databaseMb(dataDir) : 0,
        };
        const load = (concurrency: number) =>
          runLoad({
            url: `${server.url}/api/v1/chat`,
            headers: { 'x-api-key': API_KEY },
            body: (i: number) => ({ message: questions[Math.abs(i) % questions.length] }),
            concurrency,
            requests: Math.max(options.requests, concurrency * 20),
            warmup: 20,
          });
        await askCited(`${server.url}/api/v1/chat`, { message: questions[0] });
        const c1 = await load(1);
        const c16 = await load(16);
        // A variant that kept nothing (its database never started) would measure the wrong thing.
        const kept = await fetch(`${server.url}/api/v1/conversations?limit=1`, {
          headers: { 'x-api-key': API_KEY },
        });
        const listed =
          kept.status === 200 ? ((await kept.clone().json()) as { conversations: unknown[] }) : undefined;
        if ((listed?.conversations.length === 1) !== (env.HISTORY === 'on')) {
          throw new Error(
            `${variant}: GET /api/v1/conversations answered ${kept.status}: ${await kept.text()}`,
          );
        }
        runs.push({
          variant,
          c1,
          c16,
          idleRssMb,
          peakRssMb: { service: statusMb(pid, 'VmHWM'), database: embedded ? databaseMb(dataDir) : 0 },
        });
      } finally {
        await server.stop();
      }
    }
    const off = runs[0]!;
    const cost: HistoryOverheadResult['cost'] = {};
    for (const r of runs.slice(1)) {
      cost[r.variant] = {
        c16ThroughputLossPct:
          Math.round((1 - r.c16.requestsPerSecond / off.c16.requestsPerSecond) * 1000) / 10,
        c1P50AddedMs: Math.round((r.c1.p50 - off.c1.p50) * 100) / 100,
        idleRssAddedMb:
          r.idleRssMb.service + r.idleRssMb.database - (off.idleRssMb.service + off.idleRssMb.database),
      };
    }
    return { chunks: options.chunks, runs, cost, skipped };
  } finally {
    await model.close();
    await rm(dir, { recursive: true, force: true });
  }
}
