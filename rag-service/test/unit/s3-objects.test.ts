import { S3ServiceException } from '@aws-sdk/client-s3';
import { objectHash } from '../../src/ingest/sources/s3.js';
import { s3Problem, S3ProblemError } from '../../src/ingest/sources/s3-bucket.js';

const location = { bucket: 'kb-docs', prefix: 'docs/', region: 'us-east-1', forcePathStyle: false };

function serviceError(name: string, status: number, extra: object = {}): S3ServiceException {
  return Object.assign(
    new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name }),
    extra,
  );
}

describe('what a listing says of an object', () => {
  it('knows a single-part object by its ETag, and a multipart one by its size and time', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    expect(objectHash('"9dd4e461268c8034f5c8564e155c67a6"', 10, at)).toBe(
      'etag:9dd4e461268c8034f5c8564e155c67a6',
    );
    // A multipart ETag depends on the part size the uploader chose, not only on the bytes.
    expect(objectHash('"3858f62230ac3c915f300c664312c11f-9"', 10, at)).toBe(`size:10:${at.toISOString()}`);
    expect(objectHash(undefined, 7, undefined)).toBe('size:7:');
  });
});

describe('what went wrong with the bucket, said so an operator can fix it', () => {
  it('names the credentials chain when keys are refused, never the keys', () => {
    const err = s3Problem(serviceError('InvalidAccessKeyId', 403), location, 'listing');
    expect(err).toBeInstanceOf(S3ProblemError);
    // An upload that meets it answers 503 upstream_unavailable, not a 500.
    expect(err).toMatchObject({ code: 'upstream_unavailable', status: 503 });
    expect(err.message).toMatch(
      /the AWS credentials were refused listing bucket "kb-docs" \(prefix "docs\/"\)/,
    );
  });

  it('says the bucket is elsewhere on a bare 301, and denied on a bare 403', () => {
    expect(s3Problem(serviceError('UnknownError', 301), location, 'listing').message).toMatch(
      /is not in region us-east-1; set S3_REGION/,
    );
    expect(s3Problem(serviceError('Forbidden', 403), location, 'listing').message).toMatch(
      /^access denied listing bucket "kb-docs"/,
    );
  });

  it('says S3 cannot be reached when the connection is refused', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(s3Problem(refused, { ...location, endpoint: 'http://127.0.0.1:9' }, 'listing').message).toMatch(
      /^cannot reach S3 at http:\/\/127\.0\.0\.1:9 listing bucket "kb-docs"/,
    );
  });

  it('says which region S3 names in its redirect header, and asks for one when none is set', () => {
    const moved = Object.assign(serviceError('PermanentRedirect', 301), {
      $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } },
    });
    expect(s3Problem(moved, location, 'listing').message).toMatch(
      /is not in region us-east-1: it is in eu-west-1; set S3_REGION/,
    );
    expect(
      s3Problem(new Error('Region is missing'), { ...location, region: undefined }, 'listing').message,
    ).toMatch(/^no AWS region is set for bucket "kb-docs" \(prefix "docs\/"\): set S3_REGION/);
  });

  it('lets a cancellation through as it is', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(s3Problem(abort, location, 'listing')).toBe(abort);
  });
});
