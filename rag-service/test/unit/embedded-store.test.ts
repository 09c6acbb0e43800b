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
});
