import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Network } from './network';

export const QDRANT_PORT = 6333;
const QDRANT_IMAGE = 'qdrant/qdrant:v1.15.4';

export interface QdrantInCluster {
  url: pulumi.Output<string>;
  securityGroup: aws.ec2.SecurityGroup;
  service: aws.ecs.Service;
}

/**
 * Qdrant as its own Fargate service in the private subnets, its storage on EFS (encrypted, survives task
 * replacement), reachable only from the service's security group, found by name through Cloud Map.
 */
export function createQdrant(
  name: string,
  network: Network,
  cluster: aws.ecs.Cluster,
  serviceSecurityGroup: aws.ec2.SecurityGroup,
  executionRole: aws.iam.Role,
  logGroup: aws.cloudwatch.LogGroup,
  region: pulumi.Input<string>,
): QdrantInCluster {
  const securityGroup = new aws.ec2.SecurityGroup(`${name}-qdrant`, {
    vpcId: network.vpc.id,
    description: 'Qdrant: only from the service',
    ingress: [
      {
        protocol: 'tcp',
        fromPort: QDRANT_PORT,
        toPort: QDRANT_PORT,
        securityGroups: [serviceSecurityGroup.id],
      },
    ],
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
  });
  const storageGroup = new aws.ec2.SecurityGroup(`${name}-qdrant-storage`, {
    vpcId: network.vpc.id,
    description: 'EFS for Qdrant: NFS only from Qdrant',
    ingress: [{ protocol: 'tcp', fromPort: 2049, toPort: 2049, securityGroups: [securityGroup.id] }],
  });
  const fileSystem = new aws.efs.FileSystem(`${name}-qdrant`, {
    encrypted: true,
    performanceMode: 'generalPurpose',
    throughputMode: 'elastic',
    lifecyclePolicies: [{ transitionToIa: 'AFTER_30_DAYS' }],
  });
  const mounts = network.privateSubnetIds.map(
    (subnetId, i) =>
      new aws.efs.MountTarget(`${name}-qdrant-${i}`, {
        fileSystemId: fileSystem.id,
        subnetId,
        securityGroups: [storageGroup.id],
      }),
  );
  const accessPoint = new aws.efs.AccessPoint(`${name}-qdrant`, {
    fileSystemId: fileSystem.id,
    posixUser: { uid: 1000, gid: 1000 },
    rootDirectory: { path: '/qdrant', creationInfo: { ownerUid: 1000, ownerGid: 1000, permissions: '750' } },
  });
  const namespace = new aws.servicediscovery.PrivateDnsNamespace(`${name}-internal`, {
    name: `${name}.internal`,
    vpc: network.vpc.id,
  });
  const discovery = new aws.servicediscovery.Service(`${name}-qdrant`, {
    name: 'qdrant',
    dnsConfig: {
      namespaceId: namespace.id,
      dnsRecords: [{ type: 'A', ttl: 10 }],
      routingPolicy: 'MULTIVALUE',
    },
    healthCheckCustomConfig: { failureThreshold: 1 },
  });
  const taskDefinition = new aws.ecs.TaskDefinition(`${name}-qdrant`, {
    family: `${name}-qdrant`,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '1024',
    memory: '2048',
    executionRoleArn: executionRole.arn,
    volumes: [
      {
        name: 'storage',
        efsVolumeConfiguration: {
          fileSystemId: fileSystem.id,
          transitEncryption: 'ENABLED',
          authorizationConfig: { accessPointId: accessPoint.id, iam: 'DISABLED' },
        },
      },
    ],
    containerDefinitions: pulumi.jsonStringify([
      {
        name: 'qdrant',
        image: QDRANT_IMAGE,
        essential: true,
        portMappings: [{ containerPort: QDRANT_PORT, protocol: 'tcp' }],
        mountPoints: [{ sourceVolume: 'storage', containerPath: '/qdrant/storage' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': logGroup.name,
            'awslogs-region': region,
            'awslogs-stream-prefix': 'qdrant',
          },
        },
      },
    ]),
  });
  const service = new aws.ecs.Service(
    `${name}-qdrant`,
    {
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      launchType: 'FARGATE',
      // One writer: Qdrant's storage on EFS is not for two nodes at once.
      desiredCount: 1,
      deploymentMinimumHealthyPercent: 0,
      deploymentMaximumPercent: 100,
      networkConfiguration: {
        subnets: network.privateSubnetIds,
        securityGroups: [securityGroup.id],
        assignPublicIp: false,
      },
      serviceRegistries: { registryArn: discovery.arn },
    },
    { dependsOn: mounts },
  );
  return { url: pulumi.interpolate`http://qdrant.${namespace.name}:${QDRANT_PORT}`, securityGroup, service };
}
