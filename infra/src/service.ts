import * as aws from '@pulumi/aws';
import * as dockerBuild from '@pulumi/docker-build';
import * as pulumi from '@pulumi/pulumi';
import path from 'node:path';
import type { LoadBalancer } from './load-balancer';
import { SERVICE_PORT } from './load-balancer';
import type { Network } from './network';
import type { ContainerSecret } from './secrets';

export interface ServiceArgs {
  name: string;
  network: Network;
  cluster: aws.ecs.Cluster;
  loadBalancer: LoadBalancer;
  securityGroup: aws.ec2.SecurityGroup;
  executionRole: aws.iam.Role;
  taskRole: aws.iam.Role;
  logGroup: aws.cloudwatch.LogGroup;
  region: pulumi.Input<string>;
  /** The documents bucket and the key prefix the service indexes there (the task role's grant, roles.ts). */
  bucket: aws.s3.Bucket;
  documentsPrefix: string;
  qdrantUrl: pulumi.Input<string>;
  /** The stack's PostgreSQL, without credentials (PGUSER / PGPASSWORD come among `secrets`). */
  databaseUrl: pulumi.Input<string>;
  secrets: ContainerSecret[];
  environment: Record<string, string>;
  cpu: number;
  memory: number;
  minTasks: number;
  maxTasks: number;
}

/** The service image, built from the repository's Dockerfile and pushed to a private ECR repository. */
function serviceImage(name: string): pulumi.Output<string> {
  const repository = new aws.ecr.Repository(`${name}-service`, {
    imageScanningConfiguration: { scanOnPush: true },
    imageTagMutability: 'IMMUTABLE',
    forceDelete: false,
  });
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId });
  const image = new dockerBuild.Image(`${name}-service`, {
    context: { location: path.resolve(__dirname, '..', '..') },
    dockerfile: { location: path.resolve(__dirname, '..', '..', 'Dockerfile') },
    platforms: ['linux/amd64'],
    push: true,
    tags: [pulumi.interpolate`${repository.repositoryUrl}:${pulumi.getStack()}`],
    registries: [{ address: repository.repositoryUrl, username: auth.userName, password: auth.password }],
  });
  return pulumi.interpolate`${repository.repositoryUrl}@${image.digest}`;
}

/**
 * The service on Fargate in the private subnets, behind the load balancer, scaled on CPU between the
 * stack's bounds. It reads the documents bucket itself (S3_BUCKET, S3_PREFIX, S3_REGION, as the task role),
 * so the scheduled sync and the admin reindex see the bucket as it is now, not a copy taken when the task
 * started; credentials come from SSM and Secrets Manager through `secrets` only.
 */
export function createService(args: ServiceArgs): aws.ecs.Service {
  const { name } = args;
  const logOptions = (prefix: string) => ({
    logDriver: 'awslogs',
    options: {
      'awslogs-group': args.logGroup.name,
      'awslogs-region': args.region,
      'awslogs-stream-prefix': prefix,
    },
  });
  const environment = {
    ...args.environment,
    HOST: '0.0.0.0',
    PORT: String(SERVICE_PORT),
    VECTOR_STORE: 'qdrant',
    // The documents come from the bucket. The `files` source still reads a folder, and without DOCS_DIR it
    // would index the image's sample docs (the service's own operator guide) into the stack's knowledge
    // base; an empty task-local folder keeps the knowledge base to Confluence and the bucket.
    DOCS_DIR: '/documents',
    DATA_DIR: '/data',
    // One ALB in front: its X-Forwarded-For entry is the client, whose address keys the auth-failure limit.
    TRUST_PROXY: '1',
  };
  const taskDefinition = new aws.ecs.TaskDefinition(`${name}-service`, {
    family: `${name}-service`,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: String(args.cpu),
    memory: String(args.memory),
    executionRoleArn: args.executionRole.arn,
    taskRoleArn: args.taskRole.arn,
    runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    // DATA_DIR (/data in the image) is per-task scratch only: conversations, feedback and sync jobs live in
    // the stack's database (DATABASE_URL), shared by every task.
    // `no-documents` is empty and stays so: nothing writes to it (see DOCS_DIR above).
    volumes: [{ name: 'no-documents' }],
    containerDefinitions: pulumi.jsonStringify([
      {
        name: 'service',
        image: serviceImage(name),
        essential: true,
        portMappings: [{ containerPort: SERVICE_PORT, protocol: 'tcp' }],
        environment: [
          ...Object.entries(environment).map(([key, value]) => ({ name: key, value })),
          { name: 'QDRANT_URL', value: args.qdrantUrl },
          { name: 'DATABASE_URL', value: args.databaseUrl },
          { name: 'S3_BUCKET', value: args.bucket.bucket },
          { name: 'S3_PREFIX', value: args.documentsPrefix },
          // The bucket is created in the stack's region: no redirect, and the signature's region matches.
          { name: 'S3_REGION', value: args.region },
        ],
        secrets: args.secrets.map((s) => ({ name: s.name, valueFrom: s.valueFrom })),
        mountPoints: [{ sourceVolume: 'no-documents', containerPath: '/documents', readOnly: true }],
        logConfiguration: logOptions('service'),
      },
    ]),
  });
  const service = new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: args.cluster.arn,
      taskDefinition: taskDefinition.arn,
      launchType: 'FARGATE',
      desiredCount: args.minTasks,
      healthCheckGracePeriodSeconds: 60,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      networkConfiguration: {
        subnets: args.network.privateSubnetIds,
        securityGroups: [args.securityGroup.id],
        assignPublicIp: false,
      },
      loadBalancers: [
        {
          targetGroupArn: args.loadBalancer.targetGroup.arn,
          containerName: 'service',
          containerPort: SERVICE_PORT,
        },
      ],
    },
    // Autoscaling owns the task count once the service exists.
    { dependsOn: args.loadBalancer.listeners, ignoreChanges: ['desiredCount'] },
  );
  const target = new aws.appautoscaling.Target(`${name}-service`, {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: pulumi.interpolate`service/${args.cluster.name}/${service.name}`,
    minCapacity: args.minTasks,
    maxCapacity: args.maxTasks,
  });
  new aws.appautoscaling.Policy(`${name}-service-cpu`, {
    policyType: 'TargetTrackingScaling',
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: 60,
      predefinedMetricSpecification: { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      scaleInCooldown: 120,
      scaleOutCooldown: 60,
    },
  });
  return service;
}
