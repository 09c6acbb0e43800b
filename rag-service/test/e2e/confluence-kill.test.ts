import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { SERVICE_ROOT } from '../../src/config.js';
import { EmbeddedStore } from '../../src/store/embedded.js';
import { ConfluenceTestServer } from '../fakes/confluence-server.js';
import { tempDir } from '../helpers/temp.js';

const TSX = path.join(SERVICE_ROOT, 'node_modules', '.bin', 'tsx');

/** The index as counted from its own records and rows: duplicates would make the two disagree. */
async function census(dataDir: string) {
  const store = await EmbeddedStore.open({
    dir: path.join(dataDir, 'index'),
    identity: { embeddings: 'none', dimensions: 0 },
  });
  try {
    const records = await store.listDocuments('confluence');
    const stats = await store.stats();
    return {
      documents: records.length,
      chunksInRecords: records.reduce((n, r) => n + r.chunks, 0),
      chunkRows: stats.chunks,
    };
  } finally {
    await store.close();
  }
}

/**
 * SIGKILL is delivered at once but a process with many threads takes a moment to die; until it has, it still
 * holds the index lock and a rerun is rightly refused. The test is about what a dead writer leaves behind.
 */
async function groupGone(pgid: number): Promise<void> {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process group ${pgid} still alive 15 s after SIGKILL`);
}

describe('killing `ingest --source confluence` mid-sync, then running it again', () => {
  let server: ConfluenceTestServer;
  beforeAll(async () => {
    server = await new ConfluenceTestServer().start();
    server.maxPageSize = 50;
    const space = server.addSpace('ENG', 'Engineering');
    for (let i = 0; i < 300; i++) {
      const sections = [0, 1, 2].map(
        (s) =>
          `<h2>Part ${s}</h2><p>${`Page ${i} part ${s} explains the procedure in detail. `.repeat(20)}</p>`,
      );
      server.addContent(space, `Page ${i}`, sections.join(''));
    }
  });
  afterAll(() => server.close());

  const ingest = (dataDir: string) =>
    spawn(TSX, ['src/cli/main.ts', 'ingest', '--source', 'confluence'], {
      cwd: SERVICE_ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        CONFLUENCE_URL: server.url,
        CONFLUENCE_USERNAME: server.email,
        CONFLUENCE_API_TOKEN: server.token,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: tsx runs the program in a child, and a crash takes both down.
      detached: true,
    });

  it('leaves the same index as an uninterrupted run: no duplicate and no missing chunk', async () => {
    const reference = await tempDir();
    const started = Date.now();
    const [code] = await once(ingest(reference.dir), 'exit');
    expect(code).toBe(0);
    const duration = Date.now() - started;
    const expected = await census(reference.dir);
    expect(expected.documents).toBe(300);
    expect(expected.chunkRows).toBe(expected.chunksInRecords);
    await reference.remove();

    let killed = 0;
    for (const fraction of [0.2, 0.4, 0.6]) {
      const dir = await tempDir();
      try {
        const child = ingest(dir.dir);
        const exited = once(child, 'exit');
        await new Promise((resolve) => setTimeout(resolve, duration * fraction));
        if (child.exitCode === null && child.signalCode === null) {
          process.kill(-child.pid!, 'SIGKILL');
          killed++;
        }
        await exited;
        await groupGone(child.pid!);
        const rerun = ingest(dir.dir);
        let stderr = '';
        rerun.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const [again] = await once(rerun, 'exit');
        // The rerun's own words on failure, so a red run says why.
        expect({ exit: again, stderr: again === 0 ? '' : stderr }).toEqual({ exit: 0, stderr: '' });
        expect(await census(dir.dir)).toEqual(expected);
      } finally {
        await dir.remove();
      }
    }
    // Timing varies with load; the test proves something only if most runs really died mid-way.
    expect(killed).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
