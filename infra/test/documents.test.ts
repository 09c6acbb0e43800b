import { containers, deploy, type Deployment, type Recorded } from './harness';

type Variable = { name: string; value: string };
type Statement = {
  Effect: string;
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
};

const BUCKET_ARN = 'arn:aws:mock:eu-west-1:123456789012:kb-dev-documents';
const serviceTask = (d: Deployment) => d.one('aws:ecs/taskDefinition:TaskDefinition', '-service');
const serviceContainer = (d: Deployment) => containers(serviceTask(d)).find((c) => c.name === 'service')!;
const variable = (d: Deployment, name: string) =>
  (serviceContainer(d).environment as Variable[]).find((v) => v.name === name)?.value;
const documentsPolicy = (d: Deployment) =>
  JSON.parse(d.one('aws:iam/rolePolicy:RolePolicy', '-documents').inputs.policy as string) as {
    Statement: Statement[];
  };
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('the documents bucket as the service’s S3 source (dev)', () => {
  let d: Deployment;
  beforeAll(async () => {
    d = await deploy('dev');
  });

  it('points the service at the stack’s bucket, its prefix and the stack’s region', () => {
    expect(variable(d, 'S3_BUCKET')).toBe('kb-dev-documents-bucket');
    expect(variable(d, 'S3_BUCKET')).toBe(d.outputs.documentsBucket);
    expect(variable(d, 'S3_PREFIX')).toBe('docs/');
    expect(variable(d, 'S3_REGION')).toBe('eu-west-1');
    // Credentials come from the task role, never from variables.
    const names = (serviceContainer(d).environment as Variable[]).map((v) => v.name);
    expect(names.filter((n) => n.startsWith('AWS_'))).toEqual([]);
  });

  it('copies the bucket nowhere: one container, no start-up dependency, an empty read-only documents folder', () => {
    const task = serviceTask(d);
    const all = containers(task);
    expect(all.map((c) => c.name)).toEqual(['service']);
    expect(serviceContainer(d).dependsOn).toBeUndefined();
    for (const definition of d.all('aws:ecs/taskDefinition:TaskDefinition')) {
      for (const c of containers(definition)) {
        expect(String(c.image)).not.toMatch(/aws-cli/);
        const run = JSON.stringify([c.entryPoint ?? [], c.command ?? []]);
        expect(run).not.toMatch(/s3:\/\/|\bs3\b|kb-dev-documents/);
      }
    }
    // DOCS_DIR is a task-local volume that nothing fills, so the `files` source adds nothing (not even the
    // image's sample docs) and the bucket reaches the index only through the S3 source.
    expect(variable(d, 'DOCS_DIR')).toBe('/documents');
    expect(serviceContainer(d).mountPoints).toEqual([
      { sourceVolume: 'no-documents', containerPath: '/documents', readOnly: true },
    ]);
    expect(task.inputs.volumes).toEqual([{ name: 'no-documents' }]);
  });

  it('lets the task role list, read, write and delete under the prefix only', () => {
    const policy = documentsPolicy(d);
    expect(d.one('aws:iam/rolePolicy:RolePolicy', '-documents').inputs.role).toBe('kb-dev-task-id');
    expect(policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: BUCKET_ARN,
        Condition: { StringLike: { 's3:prefix': ['docs/*'] } },
      },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: `${BUCKET_ARN}/docs/*`,
      },
    ]);
    // Said again as the properties that matter, so a change to the shape above cannot hide a wider grant.
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const resource of resources(statement)) {
        if (statement.Action.includes('s3:ListBucket')) {
          expect(resource).toBe(BUCKET_ARN);
          expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': ['docs/*'] } });
        } else {
          expect(resource.startsWith(`${BUCKET_ARN}/docs/`)).toBe(true);
        }
      }
    }
    const actions = policy.Statement.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('needs no KMS grant: the bucket encrypts with the AWS-managed key, which S3 may use for the account', () => {
    const sse = d.one(
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
    );
    // A customer-managed key here would need kms:Decrypt and kms:GenerateDataKey in the task role.
    expect(sse.inputs.rules).toEqual([
      expect.objectContaining({ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }),
    ]);
  });

  it('grants the task role nothing else: no other inline policy, no managed policy', () => {
    // A policy may name the role by id or by name: count both.
    const onTaskRole = (r: Recorded) => ['kb-dev-task', 'kb-dev-task-id'].includes(String(r.inputs.role));
    const inline = d.all('aws:iam/rolePolicy:RolePolicy').filter(onTaskRole);
    expect(inline.map((p) => p.name)).toEqual(['kb-dev-documents']);
    const attached = d.all('aws:iam/rolePolicyAttachment:RolePolicyAttachment').filter(onTaskRole);
    expect(attached).toEqual([]);
    const role = d.one('aws:iam/role:Role', '-task').inputs;
    expect(role.managedPolicyArns ?? []).toEqual([]);
    expect(role.inlinePolicies ?? []).toEqual([]);
  });
});

describe('the documents prefix from config', () => {
  it('is docs/ when a stack does not say', async () => {
    const d = await deploy('dev', { 'kb-assistant:documentsPrefix': undefined });
    expect(variable(d, 'S3_PREFIX')).toBe('docs/');
    expect(documentsPolicy(d).Statement[1]!.Resource).toBe(`${BUCKET_ARN}/docs/*`);
  });

  it('moves the variable and the grant together', async () => {
    const d = await deploy('dev', { 'kb-assistant:documentsPrefix': 'kb/handbook/' });
    expect(variable(d, 'S3_PREFIX')).toBe('kb/handbook/');
    const [list, objects] = documentsPolicy(d).Statement;
    expect(list!.Condition).toEqual({ StringLike: { 's3:prefix': ['kb/handbook/*'] } });
    expect(objects!.Resource).toBe(`${BUCKET_ARN}/kb/handbook/*`);
  });

  it.each([
    ['empty (the whole bucket)', ''],
    ['without the closing slash', 'docs'],
    ['from the root', '/docs/'],
    ['with an IAM wildcard', 'do*s/'],
    ['with an IAM single-character wildcard', 'doc?/'],
    ['with a policy variable', '${aws:username}/'],
    ['with an empty folder', 'docs//'],
  ])('refuses a prefix %s', async (_, prefix) => {
    await expect(deploy('dev', { 'kb-assistant:documentsPrefix': prefix })).rejects.toThrow(
      /config documentsPrefix must be a folder/,
    );
  });

  it('refuses S3_BUCKET, S3_PREFIX or S3_REGION in config: the stack sets them from its bucket', async () => {
    await expect(
      deploy('dev', {
        'kb-assistant:environment': {
          FORGE_INSTALLATION_IDS: 'ari:cloud:ecosystem::installation/x',
          S3_PREFIX: '',
        },
      }),
    ).rejects.toThrow(/S3_PREFIX are set by the stack from its documents bucket/);
    await expect(deploy('dev', { 'kb-assistant:secrets': { S3_BUCKET: '/kb/dev/bucket' } })).rejects.toThrow(
      /S3_BUCKET are set by the stack/,
    );
  });
});
