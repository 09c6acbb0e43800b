import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { AppError } from '../../errors.js';

/** A bucket and key prefix to read, and how to reach it (S3_* variables). */
export interface S3Location {
  bucket: string;
  /** Keys under it are the source's; '' for the whole bucket. */
  prefix: string;
  region?: string;
  /** An S3-compatible store (MinIO, R2, Ceph); absent: AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
}

/**
 * Attempts per request. The SDK's standard retry mode backs off (exponentially, with jitter) on
 * throttling (`SlowDown`, 503) and dropped connections; a sync can wait, so more than its default 3.
 */
const S3_ATTEMPTS = 6;

/** A client for the location; credentials come from the standard AWS chain (environment, task role). */
export function s3Client(location: S3Location): S3Client {
  return new S3Client({
    ...(location.region ? { region: location.region } : {}),
    ...(location.endpoint ? { endpoint: location.endpoint } : {}),
    forcePathStyle: location.forcePathStyle,
    maxAttempts: S3_ATTEMPTS,
    retryMode: 'standard',
  });
}

/**
 * A bucket the service cannot use as configured, or cannot reach: a job fails with what to fix, not an
 * SDK code, and an upload gets a 503 that says the same.
 */
export class S3ProblemError extends AppError {
  constructor(message: string) {
    super('upstream_unavailable', message);
  }
}

/** The region S3 names for a bucket in a redirect: real S3 puts it in a header, not in the body. */
function regionNamed(err: Error): string | undefined {
  const fromBody = (err as { Region?: string }).Region;
  const headers = (err as { $response?: { headers?: Record<string, string | undefined> } }).$response
    ?.headers;
  return fromBody ?? headers?.['x-amz-bucket-region'];
}

const where = (l: S3Location) => `bucket "${l.bucket}"${l.prefix ? ` (prefix "${l.prefix}")` : ''}`;

/**
 * What went wrong with a bucket request, said so an operator can fix it. The SDK's own message is kept
 * after it (it never holds credentials: requests are signed, keys are not echoed).
 */
export function s3Problem(err: unknown, location: S3Location, doing: string): Error {
  if (!(err instanceof Error))
    return new S3ProblemError(`${doing} ${where(location)} failed: ${String(err)}`);
  if (err.name === 'AbortError') return err;
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  const detail =
    err.message && err.message !== 'UnknownError' ? ` (${err.name}: ${err.message})` : ` (${err.name})`;
  switch (err.name) {
    case 'AccessDenied':
    case 'AllAccessDisabled':
      return new S3ProblemError(
        `access denied ${doing} ${where(location)}: the service's credentials need s3:ListBucket and s3:GetObject (s3:PutObject for uploads) on it${detail}`,
      );
    case 'NoSuchBucket':
      return new S3ProblemError(`${where(location)} does not exist: check S3_BUCKET${detail}`);
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException': {
      const actual = regionNamed(err);
      return new S3ProblemError(
        `${where(location)} is not in region ${location.region ?? '(none set)'}${actual ? `: it is in ${actual}` : ''}; set S3_REGION${detail}`,
      );
    }
    case 'InvalidAccessKeyId':
    case 'SignatureDoesNotMatch':
    case 'ExpiredToken':
    case 'CredentialsProviderError':
      return new S3ProblemError(
        `the AWS credentials were refused ${doing} ${where(location)}: check the credential chain (environment, task role)${detail}`,
      );
  }
  if (status === 301) {
    const actual = regionNamed(err);
    return new S3ProblemError(
      `${where(location)} is not in region ${location.region ?? '(none set)'}${actual ? `: it is in ${actual}` : ''}; set S3_REGION${detail}`,
    );
  }
  if (/Region is missing/i.test(err.message)) {
    return new S3ProblemError(
      `no AWS region is set for ${where(location)}: set S3_REGION (or AWS_REGION)${detail}`,
    );
  }
  if (status === 403) {
    return new S3ProblemError(`access denied ${doing} ${where(location)}${detail}`);
  }
  if (
    !status &&
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET/.test(
      `${err.message} ${String((err as { code?: string }).code)}`,
    )
  ) {
    return new S3ProblemError(
      `cannot reach S3${location.endpoint ? ` at ${location.endpoint}` : ''} ${doing} ${where(location)}${detail}`,
    );
  }
  return new S3ProblemError(`${doing} ${where(location)} failed${detail}`);
}
