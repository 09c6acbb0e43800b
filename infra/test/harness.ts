import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';

/** A resource the program asked Pulumi to create, with its inputs resolved. */
export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

export interface Deployment {
  resources: Recorded[];
  outputs: { serviceUrl: string; documentsBucket: string; qdrantUrl: string };
  /** Every recorded resource of one type. */
  all(type: string): Recorded[];
  /** The one resource of this type whose name ends with `suffix`. */
  one(type: string, suffix?: string): Recorded;
}

const ACCOUNT = '123456789012';

/** The ARN of the master user secret RDS creates for an instance with `manageMasterUserPassword`. */
export const databaseSecretArn = (instance: string) =>
  `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:rds!db-${instance}-AbCdEf`;

/** What AWS adds to a resource of this type once it exists (beyond the generic fields below). */
function created(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  if (args.type !== 'aws:rds/instance:Instance') return {};
  return {
    address: `${args.name}.abcdefghijkl.eu-west-1.rds.amazonaws.com`,
    masterUserSecrets: [{ secretArn: databaseSecretArn(args.name), secretStatus: 'active' }],
  };
}

/** What Pulumi's engine would hand back for data sources the program reads. */
function call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  switch (args.token) {
    case 'aws:index/getRegion:getRegion':
      return { name: 'eu-west-1', region: 'eu-west-1' };
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: 'ci' };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones':
      return { names: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] };
    case 'aws:ecr/getAuthorizationToken:getAuthorizationToken':
      return { userName: 'AWS', password: 'mock-password', proxyEndpoint: 'https://mock' };
    default:
      return args.inputs as Record<string, unknown>;
  }
}

/** The stack's settings file as Pulumi config: objects as JSON strings, as the CLI passes them. */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
  const file = parse(readFileSync(path.join(__dirname, '..', `Pulumi.${stack}.yaml`), 'utf8')) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.config, ...overrides })) {
    if (value !== undefined) config[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return config;
}

/**
 * Runs the program for a stack against Pulumi's mocks (no cloud, no Pulumi service, no CLI) and records
 * every resource it declares with its resolved inputs.
 */
export async function deploy(stack: string, overrides: Record<string, unknown> = {}): Promise<Deployment> {
  const resources: Recorded[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return {
          id: `${args.name}-id`,
          state: {
            ...args.inputs,
            arn: `arn:aws:mock:eu-west-1:${ACCOUNT}:${args.name}`,
            name: (args.inputs as { name?: string }).name ?? args.name,
            bucket: `${args.name}-bucket`,
            dnsName: `${args.name}.eu-west-1.elb.amazonaws.com`,
            repositoryUrl: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/${args.name}`,
            registryId: ACCOUNT,
            digest: 'sha256:0123',
            ...created(args),
          },
        };
      },
      call: (args) => call(args),
    },
    'kb-assistant',
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(stackConfig(stack, overrides));
  const { readSettings } = await import('../src/settings');
  const { createStack } = await import('../src/stack');
  const stackOutputs = createStack(readSettings());
  const outputs = await new Promise<Deployment['outputs']>((resolve) => {
    pulumi
      .all([stackOutputs.serviceUrl, stackOutputs.documentsBucket, stackOutputs.qdrantUrl])
      .apply(([serviceUrl, documentsBucket, qdrantUrl]) =>
        resolve({ serviceUrl, documentsBucket, qdrantUrl }),
      );
  });
  // Registrations whose inputs wait on other resources finish after the outputs: wait until none arrive.
  for (let seen = -1; seen !== resources.length;) {
    seen = resources.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const all = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    all,
    one(type, suffix = '') {
      const found = all(type).filter((r) => r.name.endsWith(suffix));
      if (found.length !== 1) throw new Error(`expected one ${type} named *${suffix}, found ${found.length}`);
      return found[0]!;
    },
  };
}

/** A task definition's containers, parsed from the JSON ECS receives. */
export function containers(task: Recorded): Record<string, unknown>[] {
  return JSON.parse(task.inputs.containerDefinitions as string) as Record<string, unknown>[];
}
