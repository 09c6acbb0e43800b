import { containers, deploy, type Deployment } from './harness';

type Rule = {
  protocol?: string;
  fromPort?: number;
  toPort?: number;
  cidrBlocks?: string[];
  securityGroups?: string[];
};
const ingress = (d: Deployment, suffix: string) =>
  (d.one('aws:ec2/securityGroup:SecurityGroup', suffix).inputs.ingress as Rule[] | undefined) ?? [];
const groupId = (suffix: string) => `kb-dev${suffix}-id`;

describe('dev stack (Qdrant on Fargate, HTTP)', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy('dev');
  });

  it('lets the internet reach only the load balancer', () => {
    const alb = d.one('aws:lb/loadBalancer:LoadBalancer');
    expect(alb.inputs.internal).toBe(false);
    expect(alb.inputs.subnets).toEqual(['kb-dev-public-0-id', 'kb-dev-public-1-id']);
    const open = d
      .all('aws:ec2/securityGroup:SecurityGroup')
      .filter((g) =>
        ((g.inputs.ingress as Rule[] | undefined) ?? []).some((r) => r.cidrBlocks?.includes('0.0.0.0/0')),
      );
    expect(open.map((g) => g.name)).toEqual(['kb-dev-alb']);
    expect(ingress(d, '-alb').map((r) => r.fromPort)).toEqual([80]);
    expect(d.outputs.serviceUrl).toBe('http://kb-dev-alb.eu-west-1.elb.amazonaws.com');
  });

  it('keeps the service and Qdrant private: private subnets, no public IP, reachable only from their one caller', () => {
    for (const service of d.all('aws:ecs/service:Service')) {
      const net = service.inputs.networkConfiguration as { subnets: string[]; assignPublicIp: boolean };
      expect(net.assignPublicIp).toBe(false);
      expect(net.subnets).toEqual(['kb-dev-private-0-id', 'kb-dev-private-1-id']);
    }
    expect(ingress(d, '-service')).toEqual([
      expect.objectContaining({ fromPort: 8080, toPort: 8080, securityGroups: [groupId('-alb')] }),
    ]);
    expect(ingress(d, '-qdrant')).toEqual([
      expect.objectContaining({ fromPort: 6333, toPort: 6333, securityGroups: [groupId('-service')] }),
    ]);
    expect(ingress(d, '-qdrant-storage')).toEqual([
      expect.objectContaining({ fromPort: 2049, securityGroups: [groupId('-qdrant')] }),
    ]);
    for (const subnet of d.all('aws:ec2/subnet:Subnet'))
      expect(subnet.inputs.mapPublicIpOnLaunch).toBe(false);
  });

  it('gives Qdrant encrypted persistent storage on EFS, and the service its address', () => {
    expect(d.one('aws:efs/fileSystem:FileSystem').inputs.encrypted).toBe(true);
    const [qdrant] = containers(d.one('aws:ecs/taskDefinition:TaskDefinition', '-qdrant'));
    expect(qdrant).toMatchObject({
      mountPoints: [{ sourceVolume: 'storage', containerPath: '/qdrant/storage' }],
    });
    const volumes = d.one('aws:ecs/taskDefinition:TaskDefinition', '-qdrant').inputs.volumes as {
      efsVolumeConfiguration?: { transitEncryption?: string };
    }[];
    expect(volumes[0]!.efsVolumeConfiguration!.transitEncryption).toBe('ENABLED');
    expect(d.outputs.qdrantUrl).toBe('http://qdrant.kb-dev.internal:6333');
  });

  it('takes every credential from SSM Parameter Store, never as a plain value', () => {
    const service = containers(d.one('aws:ecs/taskDefinition:TaskDefinition', '-service')).find(
      (c) => c.name === 'service',
    )!;
    const env = service.environment as { name: string; value: string }[];
    expect(env).toContainEqual({ name: 'TRUST_PROXY', value: '1' });
    expect(env).toContainEqual({ name: 'FORGE_ENVIRONMENTS', value: 'DEVELOPMENT' });
    expect(env.find((e) => e.name === 'FORGE_INSTALLATION_IDS')?.value).toMatch(
      /^ari:cloud:ecosystem::installation\//,
    );
    expect(env.map((e) => e.name).filter((n) => /KEY|TOKEN|SECRET|PASSWORD|FORGE_APP_ID/.test(n))).toEqual(
      [],
    );
    // The database's user and password come from Secrets Manager (database.test.ts); the rest from SSM.
    const all = service.secrets as { name: string; valueFrom: string }[];
    const secrets = all.filter((s) => !['PGUSER', 'PGPASSWORD'].includes(s.name));
    expect(all.length - secrets.length).toBe(2);
    expect(secrets.map((s) => s.name).sort()).toEqual(
      ['ADMIN_API_KEYS', 'API_KEYS', 'CONFLUENCE_API_TOKEN', 'FORGE_APP_ID', 'OPENAI_API_KEY'].sort(),
    );
    for (const s of secrets)
      expect(s.valueFrom).toMatch(/^arn:aws:ssm:eu-west-1:123456789012:parameter\/kb\/dev\//);
    const policy = JSON.parse(
      d.one('aws:iam/rolePolicy:RolePolicy', '-read-secrets').inputs.policy as string,
    ) as {
      Statement: { Action: string[]; Resource: unknown }[];
    };
    expect(policy.Statement[0]).toEqual({
      Effect: 'Allow',
      Action: ['ssm:GetParameters'],
      Resource: secrets.map((s) => s.valueFrom),
    });
  });

  it('refuses a credential put in the plain environment', async () => {
    await expect(
      deploy('dev', { 'kb-assistant:environment': { OPENAI_API_KEY: 'sk-live' } }),
    ).rejects.toThrow(/OPENAI_API_KEY must come from the secret store/);
  });

  it('refuses a Forge app id without the installations to serve, as the service would', async () => {
    await expect(
      deploy('dev', { 'kb-assistant:environment': { CONFLUENCE_URL: 'https://example-dev.atlassian.net' } }),
    ).rejects.toThrow(/set environment.FORGE_INSTALLATION_IDS/);
  });

  it('keeps the documents bucket private and encrypted, readable by the task role only', () => {
    expect(d.one('aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const sse = d.one(
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    );
    expect(sse.inputs.rules).toEqual([
      expect.objectContaining({ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }),
    ]);
    const grants = d
      .all('aws:iam/rolePolicy:RolePolicy')
      .filter((p) => (p.inputs.policy as string).includes('kb-dev-documents'));
    expect(grants.map((p) => p.inputs.role)).toEqual(['kb-dev-task-id']);
    const task = d.one('aws:ecs/taskDefinition:TaskDefinition', '-service');
    expect(task.inputs.taskRoleArn).toBe('arn:aws:mock:eu-west-1:123456789012:kb-dev-task');
  });

  it('health-checks /readyz and scales on CPU within the stack’s bounds', () => {
    const targetGroup = d.one('aws:lb/targetGroup:TargetGroup');
    expect(targetGroup.inputs.healthCheck).toMatchObject({ path: '/readyz', matcher: '200' });
    expect(d.one('aws:appautoscaling/target:Target').inputs).toMatchObject({
      minCapacity: 1,
      maxCapacity: 2,
    });
    expect(d.one('aws:appautoscaling/policy:Policy').inputs).toMatchObject({
      policyType: 'TargetTrackingScaling',
      targetTrackingScalingPolicyConfiguration: expect.objectContaining({ targetValue: 60 }),
    });
  });

  it('sends logs to CloudWatch and runs the image built from the repository’s Dockerfile', () => {
    const service = containers(d.one('aws:ecs/taskDefinition:TaskDefinition', '-service')).find(
      (c) => c.name === 'service',
    )!;
    expect(service.logConfiguration).toMatchObject({
      logDriver: 'awslogs',
      options: { 'awslogs-group': 'kb-dev' },
    });
    expect(service.image).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/kb-dev-service@sha256:0123');
    const image = d.one('docker-build:index:Image');
    expect((image.inputs.dockerfile as { location: string }).location).toMatch(/\/Dockerfile$/);
    expect(image.inputs.push).toBe(true);
  });
});

describe('prod stack differs where its settings say', () => {
  let dev: Deployment;
  let prod: Deployment;
  beforeAll(async () => {
    dev = await deploy('dev');
    prod = await deploy('prod');
  });

  it('serves HTTPS with its certificate and redirects HTTP', () => {
    const https = prod.one('aws:lb/listener:Listener', '-https');
    expect(https.inputs).toMatchObject({ port: 443, protocol: 'HTTPS' });
    expect(https.inputs.certificateArn).toMatch(/^arn:aws:acm:/);
    expect(prod.one('aws:lb/listener:Listener', '-http').inputs.defaultActions).toEqual([
      expect.objectContaining({ type: 'redirect' }),
    ]);
    expect(prod.outputs.serviceUrl).toMatch(/^https:\/\//);
    expect(dev.all('aws:lb/listener:Listener')).toHaveLength(1);
  });

  it('uses Qdrant Cloud instead of a Qdrant task, with its key from SSM', () => {
    expect(prod.all('aws:efs/fileSystem:FileSystem')).toEqual([]);
    expect(prod.all('aws:ecs/service:Service').map((s) => s.name)).toEqual(['kb-prod-service']);
    expect(prod.outputs.qdrantUrl).toBe('https://kb-prod.eu-central.aws.cloud.qdrant.io:6333');
    const service = containers(prod.one('aws:ecs/taskDefinition:TaskDefinition', '-service')).find(
      (c) => c.name === 'service',
    )!;
    expect((service.secrets as { name: string }[]).map((s) => s.name)).toContain('QDRANT_API_KEY');
  });

  it('is bigger: task size, scaling bounds, a NAT gateway per zone', () => {
    const size = (d: Deployment) => {
      const t = d.one('aws:ecs/taskDefinition:TaskDefinition', '-service').inputs;
      return [t.cpu, t.memory];
    };
    expect(size(dev)).toEqual(['512', '1024']);
    expect(size(prod)).toEqual(['1024', '2048']);
    expect(prod.one('aws:appautoscaling/target:Target').inputs).toMatchObject({
      minCapacity: 2,
      maxCapacity: 10,
    });
    expect([
      dev.all('aws:ec2/natGateway:NatGateway').length,
      prod.all('aws:ec2/natGateway:NatGateway').length,
    ]).toEqual([1, 2]);
  });
});
