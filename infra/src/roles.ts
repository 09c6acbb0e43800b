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

/** The role the service's own code runs as: the documents bucket and nothing else. */
export function serviceTaskRole(name: string, bucket: aws.s3.Bucket): aws.iam.Role {
  const role = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: ECS_TASKS });
  new aws.iam.RolePolicy(`${name}-documents`, {
    role: role.id,
    policy: bucket.arn.apply((arn) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: arn },
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: `${arn}/*`,
          },
        ],
      }),
    ),
  });
  return role;
}
