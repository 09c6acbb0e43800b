import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVICE_ROOT } from '../config.js';

/** A server run as its own process, so its memory is its own and a crash cannot take the bench down. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Peak resident memory so far (Linux VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/**
 * Runs a TypeScript entry point of this package with tsx in a plain node process, waits for `readyPath`
 * to answer 200, and hands back its URL. The entry must print `listening <url>` on stdout or log it.
 */
export async function startServerProcess(
  entry: string,
  env: Record<string, string>,
  port: number,
  readyPath: string,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: SERVICE_ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null)
      throw new Error(`${entry} exited (${child.exitCode}): ${stderr.slice(-2000)}`);
    const ok = await fetch(`${url}${readyPath}`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (i > 1200) throw new Error(`${entry} did not get ready in 2 minutes: ${stderr.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    child,
    peakRssMb: () => statusMb(child.pid!, 'VmHWM'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export { freePort } from '../net/free-port.js';

/** How the image starts the bundle (the Dockerfile's CMD flags and ENV). */
export const IMAGE_START = { args: ['--max-semi-space-size=1'], env: { MALLOC_ARENA_MAX: '2' } };

/** One memory figure of a running process (VmRSS, VmHWM, RssAnon, RssFile) from `/proc/<pid>/status`, in MB. */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM' | 'RssAnon' | 'RssFile'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
}
