#!/usr/bin/env node
// Runs the production bundle the way the Docker image does (pnpm deploy --prod, then node dist/main.js)
// and asks it one question: the build CI checks is the build that ships.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Inside the repository (git-ignored): pnpm 9's deploy, given a target outside the workspace, also
// writes bin links to the same path taken relative to the workspace root, littering its parent folder.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, '.deploy-smoke');
rmSync(out, { recursive: true, force: true });
const data = mkdtempSync(path.join(os.tmpdir(), 'kb-data-'));
const port = 18000 + Math.floor(Math.random() * 1000);
execFileSync('pnpm', ['--filter', '@kb/rag-service', 'build'], { stdio: 'inherit' });
// What ships is only what runs in production: no test server, no spec validator, no bench.
for (const file of ['main.js', 'cli.js']) {
  const code = readFileSync(path.join(root, 'rag-service', 'dist', file), 'utf8');
  const found = ['TestServer', 's3rver', 'ajv', 'test/fakes', 'benchTables'].filter((w) => code.includes(w));
  if (found.length) {
    console.log(`bundle smoke test: dist/${file} holds development code: ${found.join(', ')}`);
    process.exit(1);
  }
}
execFileSync('pnpm', ['--filter', '@kb/rag-service', 'deploy', '--prod', out], { stdio: 'inherit' });
const child = spawn('node', ['dist/main.js'], {
  cwd: out,
  env: { ...process.env, PORT: String(port), DATA_DIR: data, LOG_LEVEL: 'info' },
});
let log = '';
child.stdout.on('data', (c) => (log += c));
child.stderr.on('data', (c) => (log += c));
const stop = (code, message) => {
  child.kill('SIGTERM');
  rmSync(out, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
  console.log(message);
  process.exit(code);
};
const deadline = Date.now() + 60_000;
while (!log.includes('documents folder synced')) {
  if (Date.now() > deadline || child.exitCode !== null)
    stop(1, `bundle smoke test: the service did not start\n${log}`);
  await new Promise((r) => setTimeout(r, 200));
}
const res = await fetch(`http://127.0.0.1:${port}/api/v1/chat`, {
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ message: 'How do I reindex the knowledge base?' }),
});
const body = await res.json();
if (res.status !== 200 || !body.sources?.some((s) => s.cited))
  stop(1, `bundle smoke test: bad answer ${res.status} ${JSON.stringify(body)}`);
stop(0, `bundle smoke test: production bundle answered with ${body.sources.length} sources`);
