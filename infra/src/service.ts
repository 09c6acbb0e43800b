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
  bucket: aws.s3.Bucket;
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
 * stack's bounds. A short-lived first container copies the documents bucket into the task's volume, which
 * the service indexes as its documents folder; credentials come from SSM and Secrets Manager through
 * `secrets` only.
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
    volumes: [{ name: 'documents' }],
    containerDefinitions: pulumi.jsonStringify([
      {
        name: 'documents',
        image: 'public.ecr.aws/aws-cli/aws-cli:2.27.0',
        essential: false,
        command: ['s3', 'sync', '--delete', pulumi.interpolate`s3://${args.bucket.bucket}`, '/documents'],
        mountPoints: [{ sourceVolume: 'documents', containerPath: '/documents' }],
        logConfiguration: logOptions('documents'),
      },
      {
        name: 'service',
        image: serviceImage(name),
        essential: true,
        dependsOn: [{ containerName: 'documents', condition: 'SUCCESS' }],
        portMappings: [{ containerPort: SERVICE_PORT, protocol: 'tcp' }],
        environment: [
          ...Object.entries(environment).map(([key, value]) => ({ name: key, value })),
          { name: 'QDRANT_URL', value: args.qdrantUrl },
          { name: 'DATABASE_URL', value: args.databaseUrl },
        ],
        secrets: args.secrets.map((s) => ({ name: s.name, valueFrom: s.valueFrom })),
        mountPoints: [{ sourceVolume: 'documents', containerPath: '/documents', readOnly: true }],
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
