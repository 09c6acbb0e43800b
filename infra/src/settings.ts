import * as pulumi from '@pulumi/pulumi';

/** What a stack (`Pulumi.<stack>.yaml`) decides: sizes, where Qdrant runs, the database, and the secrets' names. */
export interface StackSettings {
  /** The stack's name, used in resource names: `dev`, `prod`. */
  stack: string;
  serviceCpu: number;
  serviceMemory: number;
  minTasks: number;
  maxTasks: number;
  /** Qdrant as a Fargate service with EFS storage, or an external URL (Qdrant Cloud). */
  qdrant: { kind: 'fargate' } | { kind: 'external'; url: string };
  /** An ACM certificate for HTTPS on the load balancer; without one it serves HTTP only. */
  certificateArn?: string;
  natGateways: number;
  /** Service variable → SSM Parameter Store name (SecureString) that holds its value. */
  secrets: Record<string, string>;
  /** Plain, non-secret service variables (a Confluence site URL, a cron expression). */
  environment: Record<string, string>;
  /** The key prefix in the documents bucket that the service indexes and uploads under (`S3_PREFIX`). */
  documentsPrefix: string;
  database: DatabaseSettings;
}

/** The RDS PostgreSQL that keeps conversations, feedback and sync jobs. */
export interface DatabaseSettings {
  instanceClass: string;
  /** A standby in the second zone that takes over on failure. */
  multiAz: boolean;
  backupRetentionDays: number;
  /** Deletion protection and a final snapshot: a stack whose history must not be lost by one command. */
  protect: boolean;
}

/** Variables that hold credentials: they may only come from the secret store, never as plain values. */
export const SECRET_VARIABLES = [
  'OPENAI_API_KEY',
  'GOOGLE_API_KEY',
  'CONFLUENCE_API_TOKEN',
  'QDRANT_API_KEY',
  'API_KEYS',
  'ADMIN_API_KEYS',
  'FORGE_APP_ID',
];

/** Variables the stack sets from its own database: a value from config would fight it (or leak a password). */
export const DATABASE_VARIABLES = ['DATABASE_URL', 'PGUSER', 'PGPASSWORD', 'PGHOST', 'PGSSLMODE'];

/** Variables the stack sets from its documents bucket: the task role may touch only that bucket and prefix. */
export const BUCKET_VARIABLES = ['S3_BUCKET', 'S3_PREFIX', 'S3_REGION'];

/**
 * The documents prefix, checked because it becomes part of the task role's IAM resource and condition:
 * `*` or `?` there would be wildcards and `${` a policy variable, each widening the grant beyond the prefix;
 * an empty prefix would grant the whole bucket; a folder (ending in `/`) keeps `docs/` from also matching
 * `docs-old/`.
 */
function documentsPrefix(config: pulumi.Config): string {
  const value = config.get('documentsPrefix') ?? 'docs/';
  if (!/^[A-Za-z0-9!_.'()-][A-Za-z0-9!_.'()/-]*\/$/.test(value) || value.includes('//')) {
    throw new Error(
      'config documentsPrefix must be a folder in the bucket such as "docs/": letters, digits and !_.\'()-/, ending in "/", not starting with "/"',
    );
  }
  return value;
}

function positive(config: pulumi.Config, key: string, fallback: number): number {
  const value = config.getNumber(key) ?? fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`config ${key} must be a positive whole number`);
  return value;
}

export function readSettings(): StackSettings {
  const config = new pulumi.Config();
  const qdrantKind = config.get('qdrant') ?? 'fargate';
  if (qdrantKind !== 'fargate' && qdrantKind !== 'external') {
    throw new Error('config qdrant must be "fargate" or "external"');
  }
  const environment = config.getObject<Record<string, string>>('environment') ?? {};
  const leaked = Object.keys(environment).filter((k) => SECRET_VARIABLES.includes(k));
  if (leaked.length) {
    throw new Error(
      `${leaked.join(', ')} must come from the secret store: list them under "secrets", not "environment"`,
    );
  }
  const secrets = config.getObject<Record<string, string>>('secrets') ?? {};
  const overridden = [...Object.keys(environment), ...Object.keys(secrets)].filter((k) =>
    DATABASE_VARIABLES.includes(k),
  );
  if (overridden.length) {
    throw new Error(
      `${overridden.join(', ')} are set by the stack from its RDS database: remove them from config`,
    );
  }
  const bucketSet = [...Object.keys(environment), ...Object.keys(secrets)].filter((k) =>
    BUCKET_VARIABLES.includes(k),
  );
  if (bucketSet.length) {
    throw new Error(
      `${bucketSet.join(', ')} are set by the stack from its documents bucket: remove them from config (the prefix is documentsPrefix)`,
    );
  }
  // The service refuses to start with a Forge app id and no installations to serve: say so at `pulumi up`.
  if (secrets.FORGE_APP_ID && !environment.FORGE_INSTALLATION_IDS) {
    throw new Error(
      'FORGE_APP_ID is among the secrets: set environment.FORGE_INSTALLATION_IDS to the installation ids this stack serves (`forge install list`)',
    );
  }
  const settings: StackSettings = {
    stack: pulumi.getStack(),
    serviceCpu: positive(config, 'serviceCpu', 512),
    serviceMemory: positive(config, 'serviceMemory', 1024),
    minTasks: positive(config, 'minTasks', 1),
    maxTasks: positive(config, 'maxTasks', 2),
    qdrant:
      qdrantKind === 'external'
        ? { kind: 'external', url: config.require('qdrantUrl') }
        : { kind: 'fargate' },
    certificateArn: config.get('certificateArn'),
    natGateways: positive(config, 'natGateways', 1),
    secrets,
    environment,
    documentsPrefix: documentsPrefix(config),
    database: {
      instanceClass: config.get('dbInstanceClass') ?? 'db.t4g.micro',
      multiAz: config.getBoolean('dbMultiAz') ?? false,
      backupRetentionDays: positive(config, 'dbBackupRetentionDays', 7),
      // Safe unless a stack says otherwise: dev turns it off so it can be torn down.
      protect: config.getBoolean('dbProtect') ?? true,
    },
  };
  if (settings.database.backupRetentionDays > 35) {
    throw new Error('config dbBackupRetentionDays must be at most 35 (the RDS limit)');
  }
  if (settings.maxTasks < settings.minTasks) throw new Error('config maxTasks must be at least minTasks');
  return settings;
}
