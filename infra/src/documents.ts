import * as aws from '@pulumi/aws';

/**
 * The documents bucket: private (every public-access block on, objects owned by the bucket owner),
 * encrypted at rest with KMS (the AWS-managed `aws/s3` key), TLS only. Only the service's task role is granted
 * it, and only under the stack's documents prefix (roles.ts).
 */
export function createDocumentsBucket(name: string): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(`${name}-documents`, { forceDestroy: false });
  new aws.s3.BucketPublicAccessBlock(`${name}-documents`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls(`${name}-documents`, {
    bucket: bucket.id,
    rule: { objectOwnership: 'BucketOwnerEnforced' },
  });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-documents`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' }, bucketKeyEnabled: true }],
  });
  new aws.s3.BucketVersioning(`${name}-documents`, {
    bucket: bucket.id,
    versioningConfiguration: { status: 'Enabled' },
  });
  new aws.s3.BucketPolicy(`${name}-documents`, {
    bucket: bucket.id,
    policy: bucket.arn.apply((arn) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    ),
  });
  return bucket;
}
