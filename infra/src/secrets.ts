import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** A container secret: the variable, and the ARN of the SSM parameter ECS reads it from at task start. */
export interface ContainerSecret {
  name: string;
  valueFrom: pulumi.Output<string>;
}

/**
 * The stack's secrets as ECS container secrets: SSM Parameter Store SecureStrings, created by the operator
 * (`aws ssm put-parameter --type SecureString`), referenced by name. Their values never pass through
 * Pulumi, its state, or the task definition — ECS injects them when a task starts.
 */
export function containerSecrets(secrets: Record<string, string>): ContainerSecret[] {
  const region = aws.getRegionOutput();
  const account = aws.getCallerIdentityOutput();
  return Object.entries(secrets).map(([name, parameter]) => ({
    name,
    valueFrom: pulumi.interpolate`arn:aws:ssm:${region.region}:${account.accountId}:parameter/${parameter.replace(/^\//, '')}`,
  }));
}

/** Lets the task execution role read exactly these parameters (and decrypt them with the SSM key). */
export function allowReadingSecrets(name: string, role: aws.iam.Role, secrets: ContainerSecret[]): void {
  if (!secrets.length) return;
  new aws.iam.RolePolicy(`${name}-read-secrets`, {
    role: role.id,
    policy: pulumi.all(secrets.map((s) => s.valueFrom)).apply((arns) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['ssm:GetParameters'], Resource: arns },
          {
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: '*',
            Condition: { StringEquals: { 'kms:ViaService': `ssm.${arns[0]!.split(':')[3]}.amazonaws.com` } },
          },
        ],
      }),
    ),
  });
}
