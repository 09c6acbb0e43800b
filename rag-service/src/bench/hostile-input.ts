import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAITestServer } from '../../test/fakes/openai-server.js';
import { makeInflatingPdf } from '../../test/helpers/hostile-pdf.js';
import { chunkDocument } from '../ingest/chunk.js';
import { convertDocument } from '../ingest/convert/index.js';
import { freePort, startServerProcess, type ServerProcess } from './processes.js';

/** Jira descriptions of 32,000 characters, each the worst of its kind for a tokenizer. */
export const HOSTILE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'one run of a': 'a'.repeat(32_000),
  'letters, 47 between spaces': `${'q'.repeat(47)} `.repeat(666),
  'CJK, 47 between spaces': `${'知识库问答系统'.repeat(7).slice(0, 47)} `.repeat(666),
  'symbols, 47 between spaces': `${'!@#$%^&*'.repeat(6).slice(0, 47)} `.repeat(666),
};

export interface HostileInputResult {
  /** Service CPU per chat (user + system, ms) with each description, and with a short one. */
  chatCpuMs: Record<string, number>;
  /** The slowest `/healthz` answer seen while those chats ran (ms). */
  healthzWorstMsDuringChats: number;
  /** A text file of one unbroken run (10 MB by default): conversion + chunking in process (ms), chunks made. */
  longRunDocument: { bytes: number; convertAndChunkMs: number; chunks: number };
  /** The same file uploaded to the running service: time to the response, status, worst `/healthz`. */
  longRunUpload: Outcome;
  /** Each input the security review found stalling the service, re-run one at a time. */
  repros: Record<string, Outcome>;
}

/** One request: its status, time to the response, and the slowest `/healthz` answer meanwhile (ms). */
export interface Outcome {
  status: number;
  ms: number;
  healthzWorstMs: number;
}

export interface HostileInputOptions {
  /** Size of the one-run document (default 10 MB, the figure the issue names). */
  runBytes?: number;
  /** Chats timed per description (default 20). */
  chatsPerInput?: number;
  onProgress?: (what: string) => void;
}

const API_KEY = 'bench-key';
const CLOCK_TICK_MS = 10; // Linux USER_HZ is 100

/** CPU time (user + system) a process has used so far, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

/** Polls `/healthz` until `done` settles; resolves with the slowest answer's time. */
async function watchHealth(url: string, done: Promise<unknown>): Promise<number> {
  const state = { finished: false };
  void done.finally(() => (state.finished = true));
  let worst = 0;
  while (!state.finished) {
    const started = performance.now();
    await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
    worst = Math.max(worst, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Math.round(worst * 10) / 10;
}

const jiraChat = (description: string) => ({
  message: 'Draft a reply to this issue',
  context: { product: 'jira', issue: { key: 'SUP-1', summary: 'Upload fails', description } },
});

async function post(url: string, body: object): Promise<number> {
  const response = await fetch(`${url}/api/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
}

async function chat(url: string, description: string): Promise<void> {
  const status = await post(url, jiraChat(description));
  if (status !== 200) throw new Error(`hostile bench: chat answered ${status}`);
}

async function chatCosts(server: ServerProcess, chatsPerInput: number): Promise<Record<string, number>> {
  const costs: Record<string, number> = {};
  const inputs = { 'short description (baseline)': 'My 50 MB PDF is refused.', ...HOSTILE_DESCRIPTIONS };
  // Every path warmed first: the first input measured must not pay for the JIT alone.
  for (const description of Object.values(inputs)) await chat(server.url, description);
  for (const [name, description] of Object.entries(inputs)) {
    const before = cpuMs(server.child.pid!);
    for (let i = 0; i < chatsPerInput; i++) await chat(server.url, description);
    costs[name] = Math.round(((cpuMs(server.child.pid!) - before) / chatsPerInput) * 10) / 10;
  }
  return costs;
}

async function upload(url: string, bytes: Buffer, name = 'one-run.txt'): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  const response = await fetch(`${url}/api/v1/documents`, {
    method: 'POST',
    headers: { 'x-api-key': API_KEY },
    body: form,
  });
  await response.arrayBuffer();
  return response.status;
}

/** Runs one request while watching `/healthz`. */
async function timed(url: string, send: () => Promise<number>): Promise<Outcome> {
  const started = performance.now();
  const status = send();
  const healthzWorstMs = await watchHealth(url, status);
  return { status: await status, ms: Math.round(performance.now() - started), healthzWorstMs };
}

/** The security review's repros (issue 16), each as it was reported. */
async function repros(url: string): Promise<Record<string, Outcome>> {
  const MB = 1024 * 1024;
  const history = {
    message: 'How do I reindex the knowledge base?',
    history: [
      { role: 'user', content: 'x'.repeat(16_000) },
      { role: 'assistant', content: 'I do not know.' },
    ],
  };
  return {
    'Jira chat, 32,000-character run': await timed(url, () => post(url, jiraChat('a'.repeat(32_000)))),
    'chat, 16,000-character history turn': await timed(url, () => post(url, history)),
    'upload, one 6 KB word': await timed(url, () => upload(url, Buffer.from('w'.repeat(6_000)), 'w6.txt')),
    'upload, one 10 KB word': await timed(url, () => upload(url, Buffer.from('w'.repeat(10_000)), 'w10.txt')),
    'chat, a question of spaces around a tag name': await timed(url, () =>
      post(url, { message: `<${' '.repeat(1330)}context${' '.repeat(2650)}x` }),
    ),
    'upload, 21 KB of Markdown emphasis runs': await timed(url, () =>
      upload(url, Buffer.from(' *a'.repeat(7000)), 'runs.md'),
    ),
    'upload, 36 KB PDF inflating to 10 MB': await timed(url, () =>
      upload(url, makeInflatingPdf(10 * MB), 'bomb.pdf'),
    ),
  };
}

/**
 * Inputs that once stalled the whole service (issue: no input stalls the service): chats whose Jira
 * description is 32,000 characters of the tokenizer's worst cases, and a 10 MB document of one run.
 */
export async function hostileInput({
  runBytes = 10_000_000,
  chatsPerInput = 20,
  onProgress,
}: HostileInputOptions = {}): Promise<HostileInputResult> {
  const bytes = Buffer.from('a'.repeat(runBytes));
  onProgress?.(`converting and chunking a ${runBytes}-byte run in process`);
  // The converters' worker thread is started first, as a running service has it: its start is not the document's.
  await convertDocument('text', Buffer.from('warm'), 'warm.txt');
  const started = performance.now();
  const chunks = chunkDocument(await convertDocument('text', bytes, 'one-run.txt')).length;
  const longRunDocument = {
    bytes: bytes.length,
    convertAndChunkMs: Math.round(performance.now() - started),
    chunks,
  };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'kb-bench-hostile-'));
  const model = await new OpenAITestServer().start();
  let server: ServerProcess | undefined;
  try {
    onProgress?.('starting the service');
    server = await startServerProcess(
      'src/main.ts',
      {
        DATA_DIR: dir,
        API_KEYS: API_KEY,
        OPENAI_API_KEY: model.apiKey,
        OPENAI_BASE_URL: model.baseUrl,
        RATE_LIMIT_CHAT_PER_MINUTE: '0',
        RATE_LIMIT_UPLOADS_PER_MINUTE: '0',
      },
      await freePort(),
      '/readyz',
    );
    onProgress?.('chats with hostile Jira descriptions');
    const costs = chatCosts(server, chatsPerInput);
    const healthzWorstMsDuringChats = await watchHealth(server.url, costs);
    const chatCpuMs = await costs;
    onProgress?.('the security review’s repros');
    const reproOutcomes = await repros(server.url);
    onProgress?.('uploading the run');
    const longRunUpload = await timed(server.url, () => upload(server!.url, bytes));
    return { chatCpuMs, healthzWorstMsDuringChats, longRunDocument, longRunUpload, repros: reproOutcomes };
  } finally {
    await server?.stop();
    await Promise.all([model.close(), rm(dir, { recursive: true, force: true })]);
  }
}
