import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { FolderSource } from './sources/files.js';
import { objectHash, S3Source } from './sources/s3.js';
import { s3Problem, type S3Location } from './sources/s3-bucket.js';
import type { DocumentSourceAdapter } from './sources/source.js';

/** An upload's owner: the local operator, or a digest of an API key or a Forge account (see uploadOwner). */
export const OWNER = /^(local|(key|forge)-[0-9a-f]{16})$/;

export const UPLOAD_ID_PREFIX = 'upload:';
export const UPLOAD_URL_PREFIX = 'uploads/';
/** Where uploads sit under the bucket's prefix: a dot-folder, which the `s3` source skips as a folder would. */
export const S3_UPLOADS_FOLDER = '.uploads/';

/** Originals are the uploaders' documents: readable by the service's own user only. */
export async function privateFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves the mode of a folder that already existed as it was.
  await chmod(dir, 0o700);
}

/**
 * Where uploaded originals are kept, so a full reindex on any replica rebuilds them: a folder under
 * DATA_DIR (one machine), or the bucket (every replica sees the same). `relPath` is `<owner>/<name>`.
 */
export interface UploadOriginals {
  /**
   * The hash a sync's listing shows for the kept original when it holds exactly these bytes (their
   * sha256 is `sha`); undefined when none is kept or it holds other bytes.
   */
  storedHash(relPath: string, sha: string): Promise<string | undefined>;
  /**
   * Keeps the bytes and, once they are kept, runs `index` with the hash the listing will show. When
   * `index` fails, what was kept before stays, or (a new original) nothing does.
   */
  keep(relPath: string, bytes: Buffer, sha: string, index: (hash: string) => Promise<unknown>): Promise<void>;
  /** The originals as a sync lists them, under the `upload` source. */
  source(): DocumentSourceAdapter;
}

/** Originals on the task's disk, owner-readable only; written aside and renamed, so never half a file. */
export class DiskOriginals implements UploadOriginals {
  constructor(readonly dir: string) {}

  async storedHash(_relPath: string, sha: string): Promise<string> {
    // A folder's listing hashes the bytes: the same bytes, the same hash, kept or not.
    return sha;
  }

  async keep(
    relPath: string,
    bytes: Buffer,
    sha: string,
    index: (hash: string) => Promise<unknown>,
  ): Promise<void> {
    await privateFolder(this.dir);
    const target = path.join(this.dir, ...relPath.split('/'));
    await privateFolder(path.dirname(target));
    const temp = `${target}.${randomUUID()}.partial`;
    await writeFile(temp, bytes, { mode: 0o600 });
    try {
      await index(sha);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  source(): DocumentSourceAdapter {
    return new FolderSource({
      dir: this.dir,
      name: 'upload',
      idPrefix: UPLOAD_ID_PREFIX,
      urlPrefix: UPLOAD_URL_PREFIX,
      optional: true,
    });
  }
}

/**
 * Originals in the bucket, under `<S3_PREFIX>.uploads/<owner>/<name>`, each with its sha256 in its
 * metadata so a second upload of the same bytes is known without downloading them.
 */
export class BucketOriginals implements UploadOriginals {
  constructor(
    private readonly client: S3Client,
    private readonly location: S3Location,
    private readonly log: Logger,
  ) {}

  private key(relPath: string): string {
    return `${this.location.prefix}${S3_UPLOADS_FOLDER}${relPath}`;
  }

  async storedHash(relPath: string, sha: string): Promise<string | undefined> {
    const head = await this.head(relPath);
    if (head?.Metadata?.sha256 !== sha) return undefined;
    return objectHash(head.ETag, head.ContentLength, head.LastModified);
  }

  private async head(relPath: string) {
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.location.bucket, Key: this.key(relPath) }),
      );
    } catch (err) {
      // Without s3:ListBucket on the key itself (a grant limited by s3:prefix does not cover a HEAD), S3
      // answers a missing key with 403, not 404: either way there is no original to compare. A real
      // denial shows on the PUT that follows, with what to fix.
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 403) return undefined;
      throw s3Problem(err, this.location, 'reading an upload from');
    }
  }

  async keep(
    relPath: string,
    bytes: Buffer,
    sha: string,
    index: (hash: string) => Promise<unknown>,
  ): Promise<void> {
    const key = this.key(relPath);
    const existed = (await this.head(relPath)) !== undefined;
    let etag: string | undefined;
    try {
      ({ ETag: etag } = await this.client.send(
        new PutObjectCommand({
          Bucket: this.location.bucket,
          Key: key,
          Body: bytes,
          Metadata: { sha256: sha },
        }),
      ));
    } catch (err) {
      throw s3Problem(err, this.location, 'storing an upload in');
    }
    try {
      // A single PUT's ETag has no part count: the listing shows this same hash.
      await index(objectHash(etag, bytes.length, undefined));
    } catch (err) {
      if (!existed) {
        // Only if it still holds these bytes: another replica may have stored (and indexed) its own since.
        await this.client
          .send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key: key, IfMatch: etag }))
          .catch((e: unknown) =>
            this.log.warn(
              { key, err: (e as Error).message },
              'an upload that failed to index is left in the bucket',
            ),
          );
      } else {
        // The bucket holds the new bytes, the index the old ones: the next sync sees the new ETag and indexes them.
        this.log.warn(
          { key },
          'an upload that replaced an original failed to index; the next sync indexes it',
        );
      }
      throw err;
    }
  }

  source(): DocumentSourceAdapter {
    return new S3Source({
      client: this.client,
      location: this.location,
      name: 'upload',
      subPrefix: S3_UPLOADS_FOLDER,
      idPrefix: UPLOAD_ID_PREFIX,
      urlOf: (relPath) => `${UPLOAD_URL_PREFIX}${relPath}`,
      // Only `<owner>/<name>`, as the service stores them: any other key put there is not an upload.
      accepts: (relPath) => {
        const [owner, name, ...deeper] = relPath.split('/');
        return OWNER.test(owner ?? '') && Boolean(name) && !deeper.length;
      },
    });
  }
}
