import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVICE_ROOT } from '../config.js';
import { databaseMb } from './history-overhead.js';
import { freePort, IMAGE_START } from './processes.js';

/** How the bundle is started: Node's defaults, or as the Dockerfile's CMD and ENV start it. */
const VARIANTS = {
  'node defaults': { args: [] as string[], env: {} as Record<string, string> },
  'as the image runs it': IMAGE_START as { args: string[]; env: Record<string, string> },
};
export type IdleVariant = keyof typeof VARIANTS;

export interface IdleSample {
  /** The service process: resident in all, anonymous (heaps), file-backed (node and native modules' code). */
  rssMb: number;
  anonMb: number;
  fileMb: number;
  /** Its highest resident size over start, first sync and the question. */
  peakMb: number;
  /** The embedded PostgreSQL's processes (proportional share). */
  databaseMb: number;
}

export interface IdleMemoryResult {
  runsPerVariant: number;
  settleSeconds: number;
  /** Per variant, the median of each figure over the runs, and every run's. */
  variants: Record<IdleVariant, { median: IdleSample; runs: IdleSample[] }>;
}

const kb = (text: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
const mb = (n: number) => Math.round(n / 1024);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`idle memory: ${what} did not happen within a minute`);
}

/**
 * The production bundle (dist/main.js, from `pnpm build`) at idle with the sample documents: a fresh data
 * folder, started, the first sync done, one question answered, then `settleSeconds` of nothing. What an
 * operator's `docker stats` shows for a quiet task.
 */
export async function idleMemory(options: {
  runs?: number;
  settleSeconds?: number;
  onProgress?: (what: string) => void;
}): Promise<IdleMemoryResult> {
  const runs = options.runs ?? 3;
  const settleSeconds = options.settleSeconds ?? 10;
  const main = path.join(SERVICE_ROOT, 'dist', 'main.js');
  if (!existsSync(main))
    throw new Error('idle memory measures the production bundle: run `pnpm build` first');
  const variants = {} as IdleMemoryResult['variants'];
  for (const [variant, how] of Object.entries(VARIANTS) as [IdleVariant, (typeof VARIANTS)[IdleVariant]][]) {
    const samples: IdleSample[] = [];
    for (let run = 1; run <= runs; run++) {
      options.onProgress?.(`idle memory: ${variant}, run ${run} of ${runs}`);
      samples.push(await oneRun(main, how, settleSeconds));
    }
    const pick = (f: keyof IdleSample) => median(samples.map((s) => s[f]));
    variants[variant] = {
      median: {
        rssMb: pick('rssMb'),
        anonMb: pick('anonMb'),
        fileMb: pick('fileMb'),
        peakMb: pick('peakMb'),
        databaseMb: pick('databaseMb'),
      },
      runs: samples,
    };
  }
  return { runsPerVariant: runs, settleSeconds, variants };
}

async function oneRun(
  main: string,
  how: { args: string[]; env: Record<string, string> },
  settleSeconds: number,
): Promise<IdleSample> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-idle-'));
  // Run as root, the embedded server runs as the `postgres` account, which must pass through this folder.
  await chmod(dir, 0o711);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...how.args, main], {
    cwd: SERVICE_ROOT,
    env: {
      ...process.env,
      ...how.env,
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, 'readiness');
    // The start-up sync of the sample documents has filled the index.
    await waitFor(async () => {
      const index = (await (await fetch(`${url}/api/v1/admin/index`)).json()) as { documents?: number };
      return (index.documents ?? 0) > 0;
    }, 'the first sync');
    const answer = await fetch(`${url}/api/v1/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'How do I reindex the knowledge base?' }),
    });
    if (!answer.ok) throw new Error(`idle memory: the question was answered ${answer.status}`);
    await answer.arrayBuffer();
    await sleep(settleSeconds * 1000);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return {
      rssMb: mb(kb(status, 'VmRSS')),
      anonMb: mb(kb(status, 'RssAnon')),
      fileMb: mb(kb(status, 'RssFile')),
      peakMb: mb(kb(status, 'VmHWM')),
      databaseMb: databaseMb(dataDir),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
