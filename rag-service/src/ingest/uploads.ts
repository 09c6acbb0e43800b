import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentUploadResult } from '@kb/contracts';
import { AppError } from '../errors.js';
import { SerialQueue } from '../store/serial.js';
import type { VectorStore } from '../store/vector-store.js';
import { UnsupportedFileError } from './file-type.js';
import type { Indexer } from './indexer.js';
import { DocumentLimitError } from './limits.js';
import { loadFile, sha256 } from './sources/files.js';
import { indexedHash } from './conversion-version.js';

export const UPLOAD_ID_PREFIX = 'upload:';
export const UPLOAD_URL_PREFIX = 'uploads/';
/** Who uploads without credentials (the loopback mode): the operator, at their own machine. */
export const LOCAL_OWNER = 'local';
const OWNER = /^(local|(key|forge)-[0-9a-f]{16})$/;

/**
 * The owner of an authenticated caller's uploads: a digest of who they are (an API key, or a Forge
 * installation and account), never the key itself. Hex, so it reads the same on a case-insensitive disk.
 */
export function uploadOwner(kind: 'key' | 'forge', identity: string): string {
  const digest = createHash('sha256').update(`kb upload owner\n${kind}\n${identity}`).digest('hex');
  return `${kind}-${digest.slice(0, 16)}`;
}

/** Originals are the uploaders' documents: readable by the service's own user only. */
export async function privateFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves the mode of a folder that already existed as it was.
  await chmod(dir, 0o700);
}

/** A file name safe to keep on disk and in ids: no folders, no control or shell-special characters. */
export function safeFileName(original: string): string {
  const base = path.basename(original.replace(/\\/g, '/'));
  const cleaned = base
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._ -]+/gu, '_')
    .replace(/^[.\s]+/, '')
    .slice(-120);
  if (!cleaned || !path.extname(cleaned))
    throw new AppError('invalid_request', `unusable file name "${original}"`);
  return cleaned;
}

/**
 * Uploaded documents are indexed at once and their originals kept under `DATA_DIR/uploads/<owner>/`, so a
 * full reindex (say, with a new embedding model) rebuilds them too, under the same ids: the files source
 * names each `upload:<owner>/<name>` after its path. An upload belongs to its owner: another caller's
 * upload of the same name is another document, and never replaces it.
 */
export class UploadService {
  /** One queue per owner and file name: two uploads of the same document must not interleave their writes. */
  private readonly queues = new Map<string, SerialQueue>();

  constructor(
    readonly dir: string,
    private readonly store: VectorStore,
    private readonly indexer: Indexer,
  ) {}

  async ingest(
    owner: string,
    originalName: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<DocumentUploadResult> {
    if (!OWNER.test(owner)) throw new Error(`not an upload owner: ${owner}`);
    const relPath = `${owner}/${safeFileName(originalName)}`;
    let queue = this.queues.get(relPath);
    if (!queue) this.queues.set(relPath, (queue = new SerialQueue()));
    try {
      return await queue.run(() => this.ingestAt(relPath, bytes, signal));
    } finally {
      if (!queue.busy) this.queues.delete(relPath);
    }
  }

  private async ingestAt(
    relPath: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<DocumentUploadResult> {
    const id = `${UPLOAD_ID_PREFIX}${relPath}`;
    const name = path.posix.basename(relPath);
    const hash = sha256(bytes);
    let loaded;
    try {
      loaded = await loadFile(bytes, relPath, UPLOAD_URL_PREFIX);
    } catch (err) {
      // A document past a limit says so with 413, as the job does for a sync.
      if (err instanceof DocumentLimitError) throw err;
      if (err instanceof UnsupportedFileError) throw new AppError('invalid_request', err.message);
      throw new AppError('invalid_request', `the file could not be read: ${(err as Error).message}`);
    }
    const [known] = (await this.store.listDocuments('upload')).filter((d) => d.id === id);
    if (known?.hash === indexedHash(hash))
      return { id, title: known.title, chunks: known.chunks, status: 'unchanged' };

    const doc = { id, source: 'upload' as const, hash, loaded };
    const chunks = await this.indexer.chunk(doc);
    if (!chunks.length) throw new AppError('invalid_request', `${name} holds no text to index`);

    await privateFolder(this.dir);
    const target = path.join(this.dir, ...relPath.split('/'));
    await privateFolder(path.dirname(target));
    const temp = `${target}.${randomUUID()}.partial`;
    await writeFile(temp, bytes, { mode: 0o600 });
    try {
      await this.indexer.writeNow(doc, chunks, signal);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return { id, title: loaded.title, chunks: chunks.length, status: 'indexed' };
  }
}
