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
 * Polled for as long as it takes (the test's own timeout bounds it): how fast it dies is the machine's.
 */
async function groupGone(pgid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Six listings of 50 pages with their bodies make the sync of 300 pages; each is indexed as it comes. */
const BODY_LISTINGS = 6;

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
    const [code] = await once(ingest(reference.dir), 'exit');
    expect(code).toBe(0);
    const expected = await census(reference.dir);
    expect(expected.documents).toBe(300);
    expect(expected.chunkRows).toBe(expected.chunksInRecords);
    await reference.remove();

    // Killed as it asks for the 2nd, 4th and 6th listing of bodies: mid-sync by construction (the pages
    // of the listings before are being indexed, those after are not yet known), not by a guess at timing.
    for (const listing of [2, 4, BODY_LISTINGS]) {
      const dir = await tempDir();
      try {
        const child = ingest(dir.dir);
        const exited = once(child, 'exit');
        let bodyListings = 0;
        const killed = new Promise<boolean>((resolve) => {
          server.onRequest = (r) => {
            if (!r.query.includes('body-format=storage') || ++bodyListings < listing) return;
            server.onRequest = undefined;
            const running = child.exitCode === null && child.signalCode === null;
            if (running) process.kill(-child.pid!, 'SIGKILL');
            resolve(running);
          };
        });
        // Still running when killed: the listing it asked for was never answered.
        expect(await killed).toBe(true);
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
        server.onRequest = undefined;
        await dir.remove();
      }
    }
  }, 180_000);
});
