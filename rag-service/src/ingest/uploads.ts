import { createHash } from 'node:crypto';
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

import {
  OWNER,
  privateFolder,
  UPLOAD_ID_PREFIX,
  UPLOAD_URL_PREFIX,
  type UploadOriginals,
} from './upload-originals.js';

export { privateFolder, UPLOAD_ID_PREFIX, UPLOAD_URL_PREFIX };
/** Who uploads without credentials (the loopback mode): the operator, at their own machine. */
export const LOCAL_OWNER = 'local';

/**
 * The owner of an authenticated caller's uploads: a digest of who they are (an API key, or a Forge
 * installation and account), never the key itself. Hex, so it reads the same on a case-insensitive disk.
 */
export function uploadOwner(kind: 'key' | 'forge', identity: string): string {
  const digest = createHash('sha256').update(`kb upload owner\n${kind}\n${identity}`).digest('hex');
  return `${kind}-${digest.slice(0, 16)}`;
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
 * Uploaded documents are indexed at once and their originals kept (under `DATA_DIR/uploads/<owner>/`, or
 * in the bucket when S3 is configured), so a full reindex (say, with a new embedding model) rebuilds them
 * too, under the same ids: the files source names each `upload:<owner>/<name>` after its path. An upload belongs to its owner: another caller's
 * upload of the same name is another document, and never replaces it.
 */
export class UploadService {
  /** One queue per owner and file name: two uploads of the same document must not interleave their writes. */
  private readonly queues = new Map<string, SerialQueue>();

  constructor(
    private readonly originals: UploadOriginals,
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
    const sha = sha256(bytes);
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
    const stored = known && (await this.originals.storedHash(relPath, sha));
    if (stored && known.hash === indexedHash(stored))
      return { id, title: known.title, chunks: known.chunks, status: 'unchanged' };

    const chunks = await this.indexer.chunk({ id, source: 'upload', hash: sha, loaded });
    if (!chunks.length) throw new AppError('invalid_request', `${name} holds no text to index`);
    // The record keeps the hash the originals' listing shows, so the next sync finds it unchanged.
    await this.originals.keep(relPath, bytes, sha, (hash) =>
      this.indexer.writeNow({ id, source: 'upload', hash, loaded }, chunks, signal),
    );
    return { id, title: loaded.title, chunks: chunks.length, status: 'indexed' };
  }
}
