import * as aws from '@pulumi/aws';

const ECS_TASKS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});

/** The role ECS itself uses to start tasks: pull images, write logs (secrets are granted per stack). */
export function executionRole(name: string): aws.iam.Role {
  const role = new aws.iam.Role(`${name}-execution`, { assumeRolePolicy: ECS_TASKS });
  new aws.iam.RolePolicyAttachment(`${name}-execution`, {
    role: role.name,
    policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
  });
  return role;
}

/**
 * The role the service's own code runs as: it lists, reads, writes and deletes documents under `prefix` in
 * the documents bucket (`S3_PREFIX`, uploads included under `<prefix>.uploads/`) and nothing else — not the
 * rest of the bucket, not other buckets. Listing is held to the prefix by the `s3:prefix` condition, since
 * ListBucket's resource is the whole bucket; the service always lists with `Prefix=<prefix>`.
 *
 * No KMS grant: the bucket encrypts with the AWS-managed `aws/s3` key (documents.ts names no key), whose key
 * policy already lets any principal of the account use it through S3. A customer-managed key would need
 * kms:Decrypt and kms:GenerateDataKey here.
 */
export function serviceTaskRole(name: string, bucket: aws.s3.Bucket, prefix: string): aws.iam.Role {
  const role = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: ECS_TASKS });
  new aws.iam.RolePolicy(`${name}-documents`, {
    role: role.id,
    policy: bucket.arn.apply((arn) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: arn,
            Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
          },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: `${arn}/${prefix}*`,
          },
        ],
      }),
    ),
  });
  return role;
}
