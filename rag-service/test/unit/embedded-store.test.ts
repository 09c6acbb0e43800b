import { EmbeddedStore } from '../../src/store/embedded.js';
import { describeVectorStore } from '../conformance/vector-store.js';
import { tempDir } from '../helpers/temp.js';

describeVectorStore('embedded (LanceDB)', async () => {
  const tmp = await tempDir();
  return {
    open: (identity, options) => EmbeddedStore.open({ dir: tmp.dir, identity, reset: options?.reset }),
    cleanup: tmp.remove,
  };
});

describe('one writer per embedded index', () => {
  it('refuses a second live writer, names it, and takes over a lock left by a dead one', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const { IndexLockedError } = await import('../../src/store/write-lock.js');
    const tmp = await tempDir();
    const identity = { embeddings: 'none', dimensions: 0 };
    const other = spawn('sleep', ['30']);
    try {
      await writeFile(
        path.join(tmp.dir, 'write.lock'),
        JSON.stringify({ pid: other.pid, purpose: 'kb ingest' }),
      );
      const refused = await EmbeddedStore.open({ dir: tmp.dir, identity }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(IndexLockedError);
      expect((refused as Error).message).toMatch(
        new RegExp(`pid ${other.pid}, kb ingest.*POST /api/v1/admin/reindex`),
      );
      const reader = await EmbeddedStore.open({ dir: tmp.dir, identity, readOnly: true });
      await reader.close();

      other.kill('SIGKILL');
      await new Promise((resolve) => other.once('exit', resolve));
      const writer = await EmbeddedStore.open({ dir: tmp.dir, identity });
      await writer.close();
    } finally {
      other.kill('SIGKILL');
      await tmp.remove();
    }
  });

  it('takes over a lock held by a zombie: a killed writer nobody reaped holds nothing', async () => {
    const { spawn } = await import('node:child_process');
    const { readFile, writeFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const tmp = await tempDir();
    // The shell starts a child, prints its pid and becomes `sleep`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30']);
    try {
      const [line] = (await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve)))
        .toString()
        .split('\n');
      const pid = Number(line);
      for (let i = 0; i < 100; i++) {
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(() => process.kill(pid, 0)).not.toThrow();
      await writeFile(path.join(tmp.dir, 'write.lock'), JSON.stringify({ pid, purpose: 'kb ingest' }));
      const writer = await EmbeddedStore.open({
        dir: tmp.dir,
        identity: { embeddings: 'none', dimensions: 0 },
      });
      await writer.close();
    } finally {
      parent.kill('SIGKILL');
      await tmp.remove();
    }
  });
});
