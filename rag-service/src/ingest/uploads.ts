import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentUploadResult } from '@kb/contracts';
import { AppError } from '../errors.js';
import { SerialQueue } from '../store/serial.js';
import type { VectorStore } from '../store/vector-store.js';
import { UnsupportedFileError } from './file-type.js';
import type { Indexer } from './indexer.js';
import { loadFile, sha256 } from './sources/files.js';

export const UPLOAD_ID_PREFIX = 'upload:';
export const UPLOAD_URL_PREFIX = 'uploads/';

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
 * Uploaded documents are indexed at once and their originals kept under `DATA_DIR/uploads`, so a full
 * reindex (say, with a new embedding model) rebuilds them too: nothing uploaded is lost.
 */
export class UploadService {
  /** One queue per file name: two uploads of the same name must not interleave their writes. */
  private readonly queues = new Map<string, SerialQueue>();

  constructor(
    readonly dir: string,
    private readonly store: VectorStore,
    private readonly indexer: Indexer,
  ) {}

  async ingest(originalName: string, bytes: Buffer, signal?: AbortSignal): Promise<DocumentUploadResult> {
    const name = safeFileName(originalName);
    let queue = this.queues.get(name);
    if (!queue) this.queues.set(name, (queue = new SerialQueue()));
    try {
      return await queue.run(() => this.ingestNamed(name, bytes, signal));
    } finally {
      if (!queue.busy) this.queues.delete(name);
    }
  }

  private async ingestNamed(
    name: string,
    bytes: Buffer,
    signal?: AbortSignal,
  ): Promise<DocumentUploadResult> {
    const id = `${UPLOAD_ID_PREFIX}${name}`;
    const hash = sha256(bytes);
    let loaded;
    try {
      loaded = await loadFile(bytes, name, UPLOAD_URL_PREFIX);
    } catch (err) {
      if (err instanceof UnsupportedFileError) throw new AppError('invalid_request', err.message);
      throw new AppError('invalid_request', `the file could not be read: ${(err as Error).message}`);
    }
    const [known] = (await this.store.listDocuments('upload')).filter((d) => d.id === id);
    if (known?.hash === hash) return { id, title: known.title, chunks: known.chunks, status: 'unchanged' };

    const doc = { id, source: 'upload' as const, hash, loaded };
    const chunks = this.indexer.chunk(doc);
    if (!chunks.length) throw new AppError('invalid_request', `${name} holds no text to index`);

    await mkdir(this.dir, { recursive: true });
    const target = path.join(this.dir, name);
    const temp = `${target}.${randomUUID()}.partial`;
    await writeFile(temp, bytes);
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
