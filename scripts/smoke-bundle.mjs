#!/usr/bin/env node
// Runs the production bundle the way the Docker image does (pnpm deploy --prod, then node dist/main.js)
// and asks it one question: the build CI checks is the build that ships.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
// Every file of the bundle: the entry points and the chunks they load on demand.
const bundleFiles = readdirSync(path.join(root, 'rag-service', 'dist'), { recursive: true }).filter(
  (f) => typeof f === 'string' && f.endsWith('.js'),
);
for (const file of bundleFiles) {
  const code = readFileSync(path.join(root, 'rag-service', 'dist', file), 'utf8');
  const found = ['TestServer', 's3rver', 'ajv', 'test/fakes', 'benchTables'].filter((w) => code.includes(w));
  if (found.length) {
    console.log(`bundle smoke test: dist/${file} holds development code: ${found.join(', ')}`);
    process.exit(1);
  }
}
// What the service loads at start: main.js and the chunks it imports statically. The clients of integrations
// a deployment may not use are loaded when first needed (src/net/lazy-clients.ts, the model registry, the
// store registry): found here, they would hold their megabytes in every idle service again.
const dist = path.join(root, 'rag-service', 'dist');
const loadedAtStart = new Set();
const packagesAtStart = new Set();
for (const pending = ['main.js']; pending.length;) {
  const file = pending.pop();
  if (loadedAtStart.has(file)) continue;
  loadedAtStart.add(file);
  const code = readFileSync(path.join(dist, file), 'utf8');
  for (const [, spec] of code.matchAll(/^import (?:[^;]*? from )?"([^"]+)"/gm)) {
    if (spec.startsWith('./')) pending.push(spec.slice(2));
    else if (!spec.startsWith('node:')) packagesAtStart.add(spec);
  }
}
const optional = [...packagesAtStart].filter((p) => /^(confluence\.js|@qdrant\/|@langchain\/)/.test(p));
if (optional.length) {
  console.log(`bundle smoke test: main.js loads optional clients at start: ${optional.join(', ')}`);
  process.exit(1);
}
execFileSync('pnpm', ['--filter', '@kb/rag-service', 'deploy', '--prod', out], { stdio: 'inherit' });
// As the Dockerfile's CMD runs it.
const child = spawn('node', ['--max-semi-space-size=1', 'dist/main.js'], {
  cwd: out,
  env: { ...process.env, MALLOC_ARENA_MAX: '2', PORT: String(port), DATA_DIR: data, LOG_LEVEL: 'info' },
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
