import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SERVICE_ROOT } from '../../src/config.js';
import { ingest } from '../../src/cli/ingest.js';
import { progressLine, summaryTable } from '../../src/cli/progress-bar.js';
import { tempDir } from '../helpers/temp.js';

describe('ingest', () => {
  it('syncs a folder, then finds nothing to do, then rebuilds with --full', async () => {
    const tmp = await tempDir();
    try {
      const docs = path.join(tmp.dir, 'docs');
      await mkdir(docs);
      await writeFile(path.join(docs, 'a.md'), '# A\n\nAlpha.');
      await writeFile(path.join(docs, 'b.txt'), 'Bravo.');
      const env = { DATA_DIR: path.join(tmp.dir, 'data'), LOG_LEVEL: 'silent' };
      const seen: number[] = [];
      const first = await ingest(['--dir', docs], env, (p) => seen.push(p.processed));
      expect(first.progress).toMatchObject({ discovered: 2, indexed: 2, failed: 0 });
      expect(seen.at(-1)).toBe(2);
      expect((await ingest(['--dir', docs], env)).progress).toMatchObject({ indexed: 0, unchanged: 2 });
      expect((await ingest(['--dir', docs, '--full'], env)).progress).toMatchObject({
        indexed: 2,
        unchanged: 0,
      });
      await expect(ingest(['--source', 'confluence'], env)).rejects.toThrow(/needs CONFLUENCE_URL/);
      await expect(ingest(['--source', 'sharepoint'], env)).rejects.toThrow(
        /files, confluence or s3, not "sharepoint"/,
      );
      await expect(ingest(['--bogus'], env)).rejects.toThrow(/bogus/);
    } finally {
      await tmp.remove();
    }
  });

  it('prints its help and exits 0', () => {
    const run = spawnSync(
      path.join(SERVICE_ROOT, 'node_modules/.bin/tsx'),
      ['src/cli/main.ts', 'ingest', '--help'],
      { cwd: SERVICE_ROOT, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('--full');
  });

  it('names an unknown command before the usage, and exits 1', () => {
    const run = spawnSync(path.join(SERVICE_ROOT, 'node_modules/.bin/tsx'), ['src/cli/main.ts', 'bogus'], {
      cwd: SERVICE_ROOT,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('unknown command bogus: see pnpm kb --help\n');
    expect(run.stdout).toMatch(/^Usage: pnpm kb <command>/);
  });

  it('draws progress and a summary', () => {
    const line = progressLine(
      { discovered: 10, processed: 5, indexed: 4, unchanged: 1, deleted: 0, failed: 0, chunks: 9 },
      1000,
    );
    expect(line).toBe(
      '[##############--------------] 5/10 documents · 5.0/s · ETA 1s · 4 indexed, 1 unchanged, 0 failed',
    );
    expect(
      summaryTable([
        ['indexed', 4],
        ['time', '1.0s'],
      ]),
    ).toContain(' indexed │    4');
  });
});
