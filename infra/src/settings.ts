import * as pulumi from '@pulumi/pulumi';

/** What a stack (`Pulumi.<stack>.yaml`) decides: sizes, where Qdrant runs, and the secrets' names. */
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
  // The service refuses to start with a Forge app id and no installations to serve: say so at `pulumi up`.
  const secrets = config.getObject<Record<string, string>>('secrets') ?? {};
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
  };
  if (settings.maxTasks < settings.minTasks) throw new Error('config maxTasks must be at least minTasks');
  return settings;
}
