import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DocumentSource } from '@kb/contracts';
import { FORMAT_BY_EXTENSION } from '../file-type.js';
import { DocumentLimitError } from '../limits.js';
import { loadFile } from './files.js';
import { s3Problem, type S3Location } from './s3-bucket.js';
import type { DocumentSourceAdapter, LoadedDocument, SourceItem } from './source.js';

/** Largest object downloaded: past it the document fails on its own, unread (uploads stop at 10 MB). */
export const S3_OBJECT_MAX_BYTES = 100 * 1024 * 1024;
/** Objects downloaded ahead of the one being converted: S3's latency is hidden… */
const READ_AHEAD = 8;
/** …and the bytes they may hold together: eight large PDFs must not take a task's memory. */
const READ_AHEAD_BYTES = 32 * 1024 * 1024;

export interface S3SourceOptions {
  client: S3Client;
  location: S3Location;
  name: DocumentSource;
  /** Keys under `location.prefix` + this are the source's (uploads: `.uploads/`). */
  subPrefix?: string;
  /** Prefix of document ids; the id continues with the key relative to the source's prefix. */
  idPrefix: string;
  /** The citation link of a key relative to the source's prefix. */
  urlOf: (relPath: string, key: string) => string;
  /** Which keys (relative to the source's prefix) are the source's, beyond a folder's own rules. */
  accepts?: (relPath: string) => boolean;
  /** Objects larger than this fail on their own, never downloaded (default S3_OBJECT_MAX_BYTES). */
  maxObjectBytes?: number;
  /** Bytes the read-ahead may hold, the object being read included (default READ_AHEAD_BYTES). */
  readAheadBytes?: number;
}

/** An S3 URL of a key, each segment percent-encoded: a key's `#` or `?` must not read as a fragment. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * What a listing tells of an object's content without reading it. A single-part upload's ETag changes
 * with its bytes; a multipart one ("…-3") depends on how it was cut into parts, so size and time stand in.
 */
export function objectHash(
  etag: string | undefined,
  size: number | undefined,
  modified: Date | undefined,
): string {
  const tag = etag?.replaceAll('"', '');
  if (tag && !tag.includes('-')) return `etag:${tag}`;
  return `size:${size ?? 0}:${modified?.toISOString() ?? ''}`;
}

/** Keys a folder would hide: "folder" markers, dot-files and dot-folders (the uploads live in `.uploads/`). */
function indexable(relPath: string): boolean {
  if (!relPath || relPath.endsWith('/')) return false;
  if (relPath.split('/').some((segment) => segment.startsWith('.'))) return false;
  return Boolean(FORMAT_BY_EXTENSION[path.posix.extname(relPath).toLowerCase()]);
}

/**
 * The supported files under a bucket's prefix, read with the AWS SDK: listed page by page (any number of
 * keys), each known by its ETag so an unchanged object is neither downloaded nor embedded, and downloaded
 * a few ahead of the one being converted.
 */
export class S3Source implements DocumentSourceAdapter {
  readonly name: DocumentSource;
  private readonly prefix: string;
  private readonly ahead = new Map<string, Promise<Uint8Array>>();
  /** Each listed key's size, for the read-ahead's byte budget. */
  private readonly sizes = new Map<string, number>();
  private queue: string[] = [];
  /** Where the sync is in `queue`: it loads in order, so the next key is almost always here. */
  private cursor = 0;

  private readonly maxObjectBytes: number;
  private readonly readAheadBytes: number;

  constructor(private readonly options: S3SourceOptions) {
    this.name = options.name;
    this.prefix = `${options.location.prefix}${options.subPrefix ?? ''}`;
    this.maxObjectBytes = options.maxObjectBytes ?? S3_OBJECT_MAX_BYTES;
    this.readAheadBytes = options.readAheadBytes ?? READ_AHEAD_BYTES;
  }

  /**
   * A listing that finds nothing under a prefix where documents were indexed is far likelier a mistyped
   * S3_PREFIX than an emptied bucket: the sync stops before deleting, whatever the count (see sync.ts).
   */
  get emptyListingProblem(): string {
    return `nothing is listed under "${this.prefix}" in bucket "${this.options.location.bucket}": check S3_BUCKET and S3_PREFIX`;
  }

  async list(signal?: AbortSignal): Promise<SourceItem[]> {
    const { client, location } = this.options;
    const items: SourceItem[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await client.send(
          new ListObjectsV2Command({
            Bucket: location.bucket,
            Prefix: this.prefix,
            ContinuationToken: token,
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw s3Problem(err, location, 'listing');
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const relPath = key.slice(this.prefix.length);
        if (!key.startsWith(this.prefix) || !indexable(relPath)) continue;
        if (this.options.accepts && !this.options.accepts(relPath)) continue;
        const size = object.Size ?? 0;
        this.sizes.set(key, size);
        items.push({
          id: `${this.options.idPrefix}${relPath}`,
          hash: objectHash(object.ETag, size, object.LastModified),
          load: (s) => this.load(key, relPath, size, s),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return items;
  }

  /** The order the sync will load changed objects in: downloads run that far ahead of it. */
  async prefetch(items: readonly SourceItem[]): Promise<void> {
    this.ahead.clear();
    this.queue = items.map((i) => this.keyOf(i.id));
    this.cursor = 0;
  }

  private keyOf(id: string): string {
    return `${this.prefix}${id.slice(this.options.idPrefix.length)}`;
  }

  private async load(
    key: string,
    relPath: string,
    size: number,
    signal?: AbortSignal,
  ): Promise<LoadedDocument> {
    if (size > this.maxObjectBytes) {
      throw new DocumentLimitError(
        `${relPath} is ${Math.ceil(size / 1024 / 1024)} MB, more than the ${Math.round(this.maxObjectBytes / 1024 / 1024)} MB read from S3: it was not downloaded`,
      );
    }
    const doc = await loadFile(await this.take(key, signal), relPath, '');
    return { ...doc, url: this.options.urlOf(relPath, key) };
  }

  /**
   * This object's bytes (downloaded ahead, or now), and the next few started: at most READ_AHEAD objects
   * and READ_AHEAD_BYTES between them, never one past the size limit (it fails unread when its turn comes).
   */
  private async take(key: string, signal?: AbortSignal): Promise<Uint8Array> {
    let at = this.cursor;
    while (at < this.queue.length && this.queue[at] !== key) at++;
    if (at < this.queue.length) {
      this.cursor = at + 1;
      // The object being read counts too: beside a 90 MB PDF nothing is read ahead.
      let bytes = this.sizes.get(key) ?? 0;
      for (const next of this.queue.slice(at + 1, at + 1 + READ_AHEAD)) {
        const size = this.sizes.get(next) ?? 0;
        if (size > this.maxObjectBytes) continue;
        bytes += size;
        if (bytes > this.readAheadBytes) break;
        if (!this.ahead.has(next)) {
          const pending = this.download(next, signal);
          // A read-ahead that fails is reported when its own turn comes, not as an unhandled rejection.
          pending.catch(() => undefined);
          this.ahead.set(next, pending);
        }
      }
    }
    const pending = this.ahead.get(key) ?? this.download(key, signal);
    this.ahead.delete(key);
    return pending;
  }

  private async download(key: string, signal?: AbortSignal): Promise<Uint8Array> {
    const { client, location } = this.options;
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }), {
        abortSignal: signal,
      });
      if (!object.Body) throw new Error('the object has no body');
      return await object.Body.transformToByteArray();
    } catch (err) {
      throw s3Problem(err, location, `reading ${key} from`);
    }
  }
}
