import { containers, databaseSecretArn, deploy, type Deployment, type Recorded } from './harness';

type Rule = {
  protocol?: string;
  fromPort?: number;
  toPort?: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
  securityGroups?: string[];
};
type Variable = { name: string; value: string };
type Secret = { name: string; valueFrom: string };

const INSTANCE = 'aws:rds/instance:Instance';
const instance = (d: Deployment) => d.one(INSTANCE);
const serviceTask = (d: Deployment) => d.one('aws:ecs/taskDefinition:TaskDefinition', '-service');
const serviceContainer = (d: Deployment) => containers(serviceTask(d)).find((c) => c.name === 'service')!;

describe('the history database (dev)', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy('dev');
  });

  it('is reachable only from the service’s security group, on 5432, from no address range', () => {
    const group = d.one('aws:ec2/securityGroup:SecurityGroup', '-database');
    expect(group.inputs.ingress).toEqual([
      expect.objectContaining({
        protocol: 'tcp',
        fromPort: 5432,
        toPort: 5432,
        securityGroups: ['kb-dev-service-id'],
      }),
    ]);
    for (const rule of group.inputs.ingress as Rule[]) {
      expect(rule.cidrBlocks ?? []).toEqual([]);
      expect(rule.ipv6CidrBlocks ?? []).toEqual([]);
    }
    // Rules declared apart from the group would escape the check above: there must be none.
    const detached = d.resources.filter((r) =>
      /^aws:(ec2\/securityGroupRule|vpc\/securityGroupIngressRule)/.test(r.type),
    );
    expect(detached).toEqual([]);
    expect(instance(d).inputs.vpcSecurityGroupIds).toEqual(['kb-dev-database-id']);
  });

  it('lives in the private subnets, not publicly accessible', () => {
    const subnets = d.one('aws:rds/subnetGroup:SubnetGroup', '-database');
    expect(subnets.inputs.subnetIds).toEqual(['kb-dev-private-0-id', 'kb-dev-private-1-id']);
    expect(instance(d).inputs).toMatchObject({
      dbSubnetGroupName: 'kb-dev-database',
      publiclyAccessible: false,
    });
  });

  it('is encrypted, backed up, on a current PostgreSQL, and requires TLS', () => {
    const inputs = instance(d).inputs;
    expect(inputs).toMatchObject({ engine: 'postgres', storageEncrypted: true });
    expect(inputs.engineVersion).toMatch(/^1[67](\.|$)/);
    expect(inputs.backupRetentionPeriod).toBeGreaterThan(0);
    const parameters = d.one('aws:rds/parameterGroup:ParameterGroup', '-database');
    expect(inputs.parameterGroupName).toBe(parameters.inputs.name ?? 'kb-dev-database');
    expect(parameters.inputs.parameters).toContainEqual(
      expect.objectContaining({ name: 'rds.force_ssl', value: '1' }),
    );
  });

  it('has its master password made and kept by AWS: no password in the program', () => {
    const inputs = instance(d).inputs;
    expect(inputs.manageMasterUserPassword).toBe(true);
    expect(Object.keys(inputs).filter((k) => /password/i.test(k))).toEqual(['manageMasterUserPassword']);
  });

  it('keeps the managed secret from rotating under tasks that read it only at start', () => {
    expect(d.one('aws:secretsmanager/secretRotation:SecretRotation').inputs).toMatchObject({
      secretId: databaseSecretArn('kb-dev-database'),
      rotationEnabled: false,
    });
  });

  it('gives the service its address without credentials, and the credentials from the managed secret', () => {
    const service = serviceContainer(d);
    const env = service.environment as Variable[];
    const url = new URL(env.find((e) => e.name === 'DATABASE_URL')!.value);
    expect(url.protocol).toBe('postgres:');
    expect(url.host).toBe('kb-dev-database.abcdefghijkl.eu-west-1.rds.amazonaws.com:5432');
    expect(url.pathname).toBe('/kb');
    expect([url.username, url.password]).toEqual(['', '']);
    // Encrypted: node-postgres reads `require` as verify-full, which the RDS CA would fail (database.ts).
    expect(url.searchParams.get('sslmode')).toBe('no-verify');
    const arn = databaseSecretArn('kb-dev-database');
    expect(service.secrets as Secret[]).toEqual(
      expect.arrayContaining([
        { name: 'PGUSER', valueFrom: `${arn}:username::` },
        { name: 'PGPASSWORD', valueFrom: `${arn}:password::` },
      ]),
    );
  });

  it('puts no password anywhere in the task definition', () => {
    const task = serviceTask(d);
    // Secrets are only references (ARNs) ECS resolves at task start; everything else is plain text.
    const plain = containers(task).map(({ secrets, ...rest }) => {
      for (const s of (secrets as Secret[] | undefined) ?? [])
        expect(s.valueFrom).toMatch(/^arn:aws:(ssm|secretsmanager):/);
      return rest;
    });
    const serialized = JSON.stringify({ ...task.inputs, containerDefinitions: plain });
    expect(serialized).not.toMatch(/password/i);
    for (const c of plain)
      for (const e of (c.environment as Variable[] | undefined) ?? [])
        if (/^postgres(ql)?:/.test(e.value)) expect(new URL(e.value).password).toBe('');
  });

  it('lets the execution role read exactly the managed secret, and nothing else of Secrets Manager', () => {
    const grant = d.one('aws:iam/rolePolicy:RolePolicy', '-read-database-secret');
    expect(grant.inputs.role).toBe('kb-dev-execution-id');
    expect(JSON.parse(grant.inputs.policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: databaseSecretArn('kb-dev-database'),
        },
      ],
    });
    const others = d
      .all('aws:iam/rolePolicy:RolePolicy')
      .filter((p: Recorded) => p !== grant && (p.inputs.policy as string).includes('secretsmanager'));
    expect(others).toEqual([]);
  });

  it('refuses database variables in config: the stack sets them', async () => {
    await expect(
      deploy('dev', {
        'kb-assistant:environment': {
          FORGE_INSTALLATION_IDS: '*',
          DATABASE_URL: 'postgres://kb:hunter2@db.example.com:5432/kb',
        },
      }),
    ).rejects.toThrow(/DATABASE_URL are set by the stack/);
  });
});

describe('the history database differs between dev and prod', () => {
  let dev: Deployment;
  let prod: Deployment;
  beforeAll(async () => {
    dev = await deploy('dev');
    prod = await deploy('prod');
  });

  it('is Multi-AZ in prod and in one zone in dev', () => {
    expect(instance(prod).inputs.multiAz).toBe(true);
    expect(instance(dev).inputs.multiAz).toBe(false);
  });

  it('is protected from deletion and leaves a final snapshot in prod; dev may be torn down', () => {
    expect(instance(prod).inputs).toMatchObject({
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: 'kb-prod-database-final',
    });
    expect(instance(prod).inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(
      instance(dev).inputs.backupRetentionPeriod as number,
    );
    expect(instance(dev).inputs).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true });
  });

  it('gives prod’s service the prod secret', () => {
    const arn = databaseSecretArn('kb-prod-database');
    expect(serviceContainer(prod).secrets as Secret[]).toContainEqual({
      name: 'PGPASSWORD',
      valueFrom: `${arn}:password::`,
    });
  });
});
