import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import S3rver from 's3rver';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FaultQueue } from './fault-queue.js';
import { LocalServer } from './local-server.js';

/** An S3 error as S3 sends it: a status, an XML body with its code, and for a wrong region the right one. */
export interface S3Fault {
  status: number;
  code: string;
  message?: string;
  /** `PermanentRedirect`: the region the bucket is really in (S3 names it in a header, not the body). */
  region?: string;
  times?: number;
  /** Requests it applies to, matched against "METHOD /path?query". */
  only?: RegExp;
}

/**
 * s3rver seals ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 18+) no longer offers:
 * every listing past 1,000 keys fails with InternalError. Its 'des' calls (it is the only caller in the
 * process) are done with AES-128 instead, a key and IV the same length doubled; the token stays opaque.
 */
function sealTokensWithAes(): void {
  const marked = crypto as { s3rverDes?: boolean };
  if (marked.s3rverDes) return;
  marked.s3rverDes = true;
  const aes = (key: crypto.BinaryLike, iv: crypto.BinaryLike | null) => {
    const k = Buffer.from(key as Buffer);
    const v = Buffer.from(iv as Buffer);
    return [Buffer.concat([k, k]).subarray(0, 16), Buffer.concat([v, v]).subarray(0, 16)] as const;
  };
  const cipher = crypto.createCipheriv.bind(crypto);
  const decipher = crypto.createDecipheriv.bind(crypto);
  (crypto as { createCipheriv: unknown }).createCipheriv = (algorithm: string, key: Buffer, iv: Buffer) =>
    algorithm === 'des' ? cipher('aes-128-cbc', ...aes(key, iv)) : cipher(algorithm, key, iv);
  (crypto as { createDecipheriv: unknown }).createDecipheriv = (
    algorithm: string,
    key: Buffer,
    iv: Buffer,
  ) => (algorithm === 'des' ? decipher('aes-128-cbc', ...aes(key, iv)) : decipher(algorithm, key, iv));
}

export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * S3's REST API on loopback: s3rver (objects in a folder, ListObjectsV2 paged at 1,000 keys, ETags as
 * S3 makes them) behind a front that records each request and can answer S3's own errors instead
 * (SlowDown, AccessDenied, PermanentRedirect), as the real service does.
 */
export class S3TestServer extends LocalServer {
  readonly requests: string[] = [];
  private readonly faults = new FaultQueue<S3Fault>();
  private readonly s3: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(directory: string) {
    super();
    sealTokensWithAes();
    this.s3 = new S3rver({ directory, silent: true }).callback();
  }

  fail(fault: S3Fault): this {
    this.faults.push(fault);
    return this;
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** A client as the tests' own setup uses it (the service makes its own from S3_*). */
  client(): S3Client {
    return new S3Client({
      endpoint: this.url,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: S3_TEST_CREDENTIALS,
    });
  }

  async bucket(name: string, objects: Record<string, string | Buffer> = {}): Promise<S3Client> {
    const client = this.client();
    await client.send(new CreateBucketCommand({ Bucket: name }));
    for (const [key, body] of Object.entries(objects)) {
      await client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: body }));
    }
    return client;
  }

  protected async receive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const line = `${req.method ?? ''} ${req.url ?? ''}`;
    this.requests.push(line);
    const fault = this.faults.take(line);
    if (!fault) {
      this.s3(req, res);
      return;
    }
    req.resume();
    res.writeHead(fault.status, {
      'Content-Type': 'application/xml',
      'x-amz-request-id': 'TESTFAULT',
      ...(fault.region ? { 'x-amz-bucket-region': fault.region } : {}),
    });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${
        fault.message ?? fault.code
      }</Message><RequestId>TESTFAULT</RequestId></Error>`,
    );
  }
}
