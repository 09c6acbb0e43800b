import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { allowReadingDatabaseSecret, createDatabase } from './database';
import { createDocumentsBucket } from './documents';
import { createLoadBalancer, SERVICE_PORT } from './load-balancer';
import { createNetwork } from './network';
import { createQdrant } from './qdrant';
import { executionRole, serviceTaskRole } from './roles';
import { allowReadingSecrets, containerSecrets } from './secrets';
import { createService } from './service';
import type { StackSettings } from './settings';

export interface StackOutputs {
  /** Put this in manifest.yml as the `rag-service` remote's baseUrl. */
  serviceUrl: pulumi.Output<string>;
  documentsBucket: pulumi.Output<string>;
  /** Where in documentsBucket the service indexes: `aws s3 sync ./docs s3://<bucket>/<prefix>`. */
  documentsPrefix: pulumi.Output<string>;
  qdrantUrl: pulumi.Output<string>;
  /** For rotating the database password by hand, then restarting the service's tasks (README). */
  databaseInstance: pulumi.Output<string>;
  cluster: pulumi.Output<string>;
  service: pulumi.Output<string>;
}

/** The whole deployment for one stack's settings. */
export function createStack(settings: StackSettings): StackOutputs {
  const name = `kb-${settings.stack}`;
  const region = aws.getRegionOutput().region;
  const network = createNetwork(name, settings.natGateways);
  const loadBalancer = createLoadBalancer(name, network, settings.certificateArn);
  const bucket = createDocumentsBucket(name);
  const cluster = new aws.ecs.Cluster(name, { settings: [{ name: 'containerInsights', value: 'enabled' }] });
  const logGroup = new aws.cloudwatch.LogGroup(name, { retentionInDays: 30 });

  const serviceGroup = new aws.ec2.SecurityGroup(`${name}-service`, {
    vpcId: network.vpc.id,
    description: 'Service tasks: only from the load balancer',
    ingress: [
      {
        protocol: 'tcp',
        fromPort: SERVICE_PORT,
        toPort: SERVICE_PORT,
        securityGroups: [loadBalancer.securityGroup.id],
      },
    ],
    // Out to the model APIs, Confluence, ECR, SSM, S3, Qdrant and PostgreSQL (through NAT or inside the VPC).
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'] }],
  });
  const execution = executionRole(name);
  const secrets = containerSecrets(settings.secrets);
  allowReadingSecrets(name, execution, secrets);
  const database = createDatabase(name, network, serviceGroup, settings.database);
  allowReadingDatabaseSecret(name, execution, database.secretArn);

  const qdrantUrl =
    settings.qdrant.kind === 'external'
      ? pulumi.output(settings.qdrant.url)
      : createQdrant(name, network, cluster, serviceGroup, execution, logGroup, region).url;

  const service = createService({
    name,
    network,
    cluster,
    loadBalancer,
    securityGroup: serviceGroup,
    executionRole: execution,
    taskRole: serviceTaskRole(name, bucket, settings.documentsPrefix),
    logGroup,
    region,
    bucket,
    documentsPrefix: settings.documentsPrefix,
    qdrantUrl,
    databaseUrl: database.url,
    secrets: [...secrets, ...database.secrets],
    environment: settings.environment,
    cpu: settings.serviceCpu,
    memory: settings.serviceMemory,
    minTasks: settings.minTasks,
    maxTasks: settings.maxTasks,
  });
  return {
    serviceUrl: loadBalancer.url,
    documentsBucket: bucket.bucket,
    documentsPrefix: pulumi.output(settings.documentsPrefix),
    qdrantUrl,
    databaseInstance: database.instance.identifier,
    cluster: cluster.name,
    service: service.name,
  };
}
