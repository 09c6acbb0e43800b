import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { benchTables, runBench } from '../../src/cli/bench.js';
import { tempDir } from '../helpers/temp.js';

/** The bench at a tiny scale: every suite runs end to end and reports what it measured (no timing asserted). */
describe('bench CLI', () => {
  it('runs the chat and ingestion suites, with the reference, and writes JSON and charts', async () => {
    const out = await tempDir();
    try {
      const { run } = await runBench([
        '--suites',
        'chat,ingestion',
        '--chunks',
        '300',
        '--pages',
        '60',
        '--requests',
        '100',
        '--concurrency',
        '1,4',
        '--out',
        out.dir,
      ]);
      const systems = run.chat!.runs.map((r) => `${r.system} c${r.load.concurrency}`);
      expect(systems).toEqual(['rag-service c1', 'rag-service c4', 'reference c1', 'reference c4']);
      for (const r of run.chat!.runs) {
        expect(r.load.errors).toBe(0);
        expect(r.load.requests).toBe(100);
        expect(r.load.p50).toBeGreaterThan(0);
        expect(r.load.p99).toBeGreaterThanOrEqual(r.load.p50);
      }
      for (const first of Object.values(run.chat!.firstPass)) {
        expect(first).toMatchObject({ requests: 500, errors: 0, concurrency: 1 });
        expect(first.p50).toBeGreaterThan(0);
      }
      expect(Object.keys(run.chat!.firstPass).sort()).toEqual(['rag-service', 'reference']);
      expect(run.chat!.peakRssMb['rag-service']).toBeGreaterThan(0);
      expect(run.chat!.firstToken.requests).toBe(200);
      expect(run.ingestion).toMatchObject({ pages: 60, noOpResync: { bodyFetches: 0 } });
      expect(run.hostile).toBeUndefined();
      expect(JSON.parse(await readFile(path.join(out.dir, 'bench.json'), 'utf8'))).toEqual(
        JSON.parse(JSON.stringify(run)),
      );
      expect(await readFile(path.join(out.dir, 'chat-latency.svg'), 'utf8')).toMatch(
        /^<svg[\s\S]*reference[\s\S]*<\/svg>\n$/,
      );
      expect(benchTables(run)).toMatch(/throughput ratio c4/);
      expect(benchTables(run)).toMatch(
        /rag-service first pass \(cold\) +│ +[\d.]+ \/ [\d.]+ \/ [\d.]+ · [\d.]+ · 0/,
      );
    } finally {
      await out.remove();
    }
  }, 300_000);

  it('runs the hostile suite: every input answered, the run uploaded and chunked', async () => {
    const out = await tempDir();
    try {
      const { run } = await runBench(['--suites', 'hostile', '--run-bytes', '100000', '--out', out.dir]);
      const h = run.hostile!;
      expect(Object.keys(h.chatCpuMs)).toEqual([
        'short description (baseline)',
        'one run of a',
        'letters, 47 between spaces',
        'CJK, 47 between spaces',
        'symbols, 47 between spaces',
      ]);
      for (const ms of Object.values(h.chatCpuMs)) expect(ms).toBeGreaterThanOrEqual(0);
      expect(h.healthzWorstMsDuringChats).toBeGreaterThan(0);
      expect(h.longRunDocument).toMatchObject({ bytes: 100_000 });
      expect(h.longRunDocument.chunks).toBeGreaterThan(100);
      expect(h.longRunUpload.status).toBe(201);
      expect(h.longRunUpload.healthzWorstMs).toBeGreaterThan(0);
      expect(Object.fromEntries(Object.entries(h.repros).map(([k, o]) => [k, o.status]))).toEqual({
        'Jira chat, 32,000-character run': 200,
        'chat, 16,000-character history turn': 200,
        'upload, one 6 KB word': 201,
        'upload, one 10 KB word': 201,
        'chat, a question of spaces around a tag name': 200,
        'upload, 21 KB of Markdown emphasis runs': 201,
        'upload, 36 KB PDF inflating to 10 MB': 413,
      });
      expect(run.chat).toBeUndefined();
      expect(benchTables(run)).toMatch(
        /repro: upload, one 6 KB word +│ +201 in \d+ ms · \/healthz ≤ [\d.]+ ms/,
      );
      expect(benchTables(run)).toMatch(
        /0\.1 MB run uploaded: response · slowest \/healthz +│ +201 in \d+ ms/,
      );
    } finally {
      await out.remove();
    }
  }, 300_000);

  it('times grouping 10,000 content-gap questions, and hostile ones, and writes the figures', async () => {
    const out = await tempDir();
    try {
      const { run } = await runBench(['--suites', 'insights', '--out', out.dir]);
      // A few hundred missing topics (30 names, some with numbers), not one group per question.
      expect(run.insights).toMatchObject({ gapQuestions: 10_000, askedQuestions: 50_000, runs: 5 });
      expect(run.insights!.groups).toBeGreaterThan(30);
      expect(run.insights!.groups).toBeLessThan(2_000);
      expect(run.insights!.medianMs).toBeGreaterThan(0);
      // Joined by meaning: fewer groups, never more, and at least one per missing topic.
      expect(run.insights!.meaningGroups).toBeLessThan(run.insights!.groups);
      expect(run.insights!.meaningGroups).toBeGreaterThanOrEqual(30);
      expect(run.insights!.dimensions).toBe(1_536);
      // Hostile input: long questions (each a phrasing of its own), and runs of ". " (one phrasing).
      expect(run.insights!.longQuestions).toMatchObject({
        gapQuestions: 5_000,
        askedQuestions: 50_000,
        chars: 4_000,
        groups: 5_000,
      });
      expect(run.insights!.punctuationRuns).toMatchObject({ gapQuestions: 3_000, chars: 4_000, groups: 1 });
      const written = JSON.parse(await readFile(path.join(out.dir, 'bench.json'), 'utf8')) as typeof run;
      expect(written.insights).toEqual(run.insights);
      expect(benchTables(run)).toMatch(
        /insights: 10000 content-gap questions among 50000 grouped into \d+ groups .*joined by meaning \(1536 dimensions\) into \d+ groups/,
      );
      expect(benchTables(run)).toMatch(
        /insights, long questions: 5000 of 4000 characters among 50000 grouped into 5000 groups in \d+ ms/,
      );
      expect(benchTables(run)).toMatch(/insights, punctuation runs: 3000 of 4000 characters .* in \d+ ms/);
    } finally {
      await out.remove();
    }
  }, 300_000);

  it('ingests the same documents from a bucket and a folder, and resyncs each without downloads or embedding', async () => {
    const out = await tempDir();
    try {
      const { run } = await runBench(['--suites', 'objects', '--objects', '40', '--out', out.dir]);
      expect(run.objects?.documents).toBe(40);
      for (const figures of [run.objects!.s3, run.objects!.folder]) {
        expect(figures.firstSync.documentsPerSecond).toBeGreaterThan(0);
        expect(figures.firstSync.chunks).toBeGreaterThanOrEqual(40);
        expect(figures.noOpResync.downloads).toBe(0);
        // The one call is the start-up probe of the model's dimensions (a base URL other than OpenAI's).
        expect(figures.noOpResync.embeddingCalls).toBeLessThanOrEqual(1);
      }
      expect(benchTables(run)).toMatch(/S3 bucket: first sync of 40 documents/);
    } finally {
      await out.remove();
    }
  }, 120_000);

  it('refuses a bad option with a clear message', async () => {
    await expect(runBench(['--suites', 'speed'])).rejects.toThrow(/unknown suite speed/);
    await expect(runBench(['--chunks', '0'])).rejects.toThrow(/--chunks must be a positive whole number/);
    await expect(runBench(['--suites', 'hostile', '--run-bytes', 'x'])).rejects.toThrow(
      /--run-bytes must be a positive whole number/,
    );
  });
});
