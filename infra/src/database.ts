import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Network } from './network';
import type { ContainerSecret } from './secrets';
import type { DatabaseSettings } from './settings';

export const DATABASE_PORT = 5432;
/** A major version only: RDS picks its current minor release and applies minor upgrades in maintenance. */
const ENGINE_VERSION = '17';
const PARAMETER_FAMILY = 'postgres17';
const DATABASE_NAME = 'kb';
const MASTER_USERNAME = 'kb';

export interface HistoryDatabase {
  instance: aws.rds.Instance;
  securityGroup: aws.ec2.SecurityGroup;
  /** Where the service connects, without credentials: they arrive as `secrets`. */
  url: pulumi.Output<string>;
  /** PGUSER and PGPASSWORD from the secret RDS manages in Secrets Manager. */
  secrets: ContainerSecret[];
  /** The managed secret's ARN: the execution role may read this one secret. */
  secretArn: pulumi.Output<string>;
}

/**
 * The service's PostgreSQL (conversations, feedback, insights, shared sync jobs) on RDS: private subnets,
 * reachable only from the service, encrypted, backed up, its master password generated and kept by AWS in
 * Secrets Manager so it is never in Pulumi's config, state or the task definition.
 */
export function createDatabase(
  name: string,
  network: Network,
  serviceSecurityGroup: aws.ec2.SecurityGroup,
  settings: DatabaseSettings,
): HistoryDatabase {
  const securityGroup = new aws.ec2.SecurityGroup(`${name}-database`, {
    vpcId: network.vpc.id,
    description: 'PostgreSQL: only from the service',
    ingress: [
      {
        protocol: 'tcp',
        fromPort: DATABASE_PORT,
        toPort: DATABASE_PORT,
        securityGroups: [serviceSecurityGroup.id],
      },
    ],
    // No egress: the database starts no connections of its own.
  });
  const subnetGroup = new aws.rds.SubnetGroup(`${name}-database`, {
    subnetIds: network.privateSubnetIds,
    description: 'The private subnets: no route from the internet',
  });
  // PostgreSQL 15+ on RDS already defaults to this; said here so a changed default cannot turn TLS off.
  const parameters = new aws.rds.ParameterGroup(`${name}-database`, {
    family: PARAMETER_FAMILY,
    description: 'TLS required for every connection',
    parameters: [{ name: 'rds.force_ssl', value: '1', applyMethod: 'immediate' }],
  });
  const instance = new aws.rds.Instance(`${name}-database`, {
    engine: 'postgres',
    engineVersion: ENGINE_VERSION,
    autoMinorVersionUpgrade: true,
    instanceClass: settings.instanceClass,
    allocatedStorage: 20,
    // Storage grows on its own up to this bound rather than filling up with history.
    maxAllocatedStorage: 100,
    storageType: 'gp3',
    storageEncrypted: true,
    dbName: DATABASE_NAME,
    username: MASTER_USERNAME,
    manageMasterUserPassword: true,
    port: DATABASE_PORT,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: [securityGroup.id],
    parameterGroupName: parameters.name,
    publiclyAccessible: false,
    multiAz: settings.multiAz,
    backupRetentionPeriod: settings.backupRetentionDays,
    copyTagsToSnapshot: true,
    deletionProtection: settings.protect,
    skipFinalSnapshot: !settings.protect,
    finalSnapshotIdentifier: settings.protect ? `${name}-database-final` : undefined,
  });
  const secretArn = instance.masterUserSecrets.apply((secrets) => {
    const arn = secrets[0]?.secretArn;
    if (!arn) throw new Error('RDS returned no managed master user secret');
    return arn;
  });
  // RDS would rotate the password every 7 days, but ECS hands a secret to a task only when it starts:
  // running tasks would keep the old password and fail on their next connection. Rotate by hand and
  // redeploy the service (README) until the service reads the secret itself.
  new aws.secretsmanager.SecretRotation(`${name}-database`, {
    secretId: secretArn,
    rotationEnabled: false,
  });
  // `sslmode=no-verify`: encrypted. node-postgres reads `require` as verify-full against Node's own CAs,
  // which lack the RDS CA, so it would refuse to connect; verifying needs the RDS bundle in the image.
  const url = pulumi.interpolate`postgres://${instance.address}:${DATABASE_PORT}/${DATABASE_NAME}?sslmode=no-verify`;
  return {
    instance,
    securityGroup,
    url,
    secretArn,
    // node-postgres takes the user and password from PGUSER / PGPASSWORD when the URL has none.
    secrets: [
      { name: 'PGUSER', valueFrom: pulumi.interpolate`${secretArn}:username::` },
      { name: 'PGPASSWORD', valueFrom: pulumi.interpolate`${secretArn}:password::` },
    ],
  };
}

/** Lets the task execution role read exactly the database's managed secret, to inject it at task start. */
export function allowReadingDatabaseSecret(
  name: string,
  role: aws.iam.Role,
  secretArn: pulumi.Output<string>,
): void {
  new aws.iam.RolePolicy(`${name}-read-database-secret`, {
    role: role.id,
    // The secret is encrypted with the AWS managed key aws/secretsmanager, usable through Secrets Manager by
    // any principal allowed to read the secret: no KMS grant needed.
    policy: secretArn.apply((arn) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: arn }],
      }),
    ),
  });
}
