import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { SERVICE_ROOT } from '../../src/config.js';
import { tempDir } from '../helpers/temp.js';

const TSX = path.join(SERVICE_ROOT, 'node_modules', '.bin', 'tsx');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface Running {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
}

/** Starts the service as `pnpm start` does (tsx src/main.ts), with the given environment. */
function startService(env: Record<string, string>): Running {
  const child = spawn(TSX, ['src/main.ts'], {
    cwd: SERVICE_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return {
    child,
    output: () => out,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = setInterval(() => {
          if (pattern.test(out)) {
            clearInterval(check);
            resolve();
          } else if (child.exitCode !== null || Date.now() - started > 45_000) {
            clearInterval(check);
            reject(new Error(`never saw ${pattern}; output:\n${out}`));
          }
        }, 50);
      }),
  };
}

async function ask(port: number, message: string) {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ message }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      answer: string;
      conversationId: string;
      messageId: string | null;
      sources: { id: string; cited: boolean }[];
    },
  };
}

describe('the start command (tsx src/main.ts)', () => {
  it('indexes the sample docs, answers, and on restart re-indexes nothing', async () => {
    const tmp = await tempDir();
    const port = await freePort();
    const env = { PORT: String(port), DATA_DIR: tmp.dir, LOG_LEVEL: 'info' };
    try {
      const first = startService(env);
      await first.waitFor(/documents folder synced: 9 indexed, 0 unchanged/);
      expect(first.output()).toContain(`listening on http://127.0.0.1:${port}/`);
      const answer = await ask(port, 'How do I reindex the knowledge base?');
      expect(answer.status).toBe(200);
      expect(answer.body.sources.filter((s) => s.cited).length).toBeGreaterThan(0);
      // History is on by default, on the embedded PostgreSQL under DATA_DIR: the answer was kept.
      expect(answer.body.messageId).toEqual(expect.any(String));
      first.child.kill('SIGTERM');
      const [code] = await once(first.child, 'exit');
      expect(code).toBe(0);
      expect(first.output()).toContain('"msg":"stopped"');

      const second = startService(env);
      await second.waitFor(/documents folder synced: 0 indexed, 9 unchanged, 0 removed, 0 failed/);
      const again = await ask(port, 'How do I reindex the knowledge base?');
      expect(again.body).toEqual({
        ...answer.body,
        conversationId: again.body.conversationId,
        messageId: again.body.messageId,
      });
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
      expect(second.output()).not.toMatch(/"level":50/);
    } finally {
      await tmp.remove();
    }
  });

  it.each([
    [{ HOST: '0.0.0.0' }, /HOST=0\.0\.0\.0 is not a loopback address/],
    [{ PORT: 'http' }, /PORT/],
    [{ LLM_PROVIDER: 'openai' }, /OPENAI_API_KEY/],
  ])('refuses to start with %j and says why', async (env, message) => {
    const tmp = await tempDir();
    try {
      const run = startService({ DATA_DIR: tmp.dir, PORT: String(await freePort()), ...env });
      const [code] = await once(run.child, 'exit');
      expect(code).toBe(1);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
    } finally {
      await tmp.remove();
    }
  });
});
