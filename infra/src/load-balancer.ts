import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { Network } from './network';

export const SERVICE_PORT = 8080;
export const HEALTH_CHECK_PATH = '/readyz';

export interface LoadBalancer {
  alb: aws.lb.LoadBalancer;
  securityGroup: aws.ec2.SecurityGroup;
  targetGroup: aws.lb.TargetGroup;
  url: pulumi.Output<string>;
  /** The listeners, so the service starts only once traffic can reach it. */
  listeners: aws.lb.Listener[];
}

/**
 * The only thing the internet reaches: an Application Load Balancer in the public subnets. HTTPS with the
 * stack's certificate (HTTP then redirects to it), or plain HTTP when none is configured (a dev stack).
 */
export function createLoadBalancer(
  name: string,
  network: Network,
  certificateArn: string | undefined,
): LoadBalancer {
  const ports = certificateArn ? [80, 443] : [80];
  const securityGroup = new aws.ec2.SecurityGroup(`${name}-alb`, {
    vpcId: network.vpc.id,
    description: 'Load balancer: HTTP(S) from anywhere',
    ingress: ports.map((port) => ({
      protocol: 'tcp',
      fromPort: port,
      toPort: port,
      cidrBlocks: ['0.0.0.0/0'],
    })),
    egress: [
      { protocol: 'tcp', fromPort: SERVICE_PORT, toPort: SERVICE_PORT, cidrBlocks: [network.vpc.cidrBlock] },
    ],
  });
  const alb = new aws.lb.LoadBalancer(`${name}-alb`, {
    internal: false,
    loadBalancerType: 'application',
    securityGroups: [securityGroup.id],
    subnets: network.publicSubnetIds,
    dropInvalidHeaderFields: true,
    // Chat answers stream for up to the service's 18 s budget; leave room.
    idleTimeout: 60,
  });
  const targetGroup = new aws.lb.TargetGroup(`${name}-service`, {
    vpcId: network.vpc.id,
    port: SERVICE_PORT,
    protocol: 'HTTP',
    targetType: 'ip',
    deregistrationDelay: 20,
    healthCheck: {
      path: HEALTH_CHECK_PATH,
      matcher: '200',
      interval: 15,
      timeout: 5,
      healthyThreshold: 2,
      unhealthyThreshold: 3,
    },
  });
  const forward = [{ type: 'forward', targetGroupArn: targetGroup.arn }];
  const listeners = certificateArn
    ? [
        new aws.lb.Listener(`${name}-https`, {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificateArn,
          defaultActions: forward,
        }),
        new aws.lb.Listener(`${name}-http`, {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: [
            { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
          ],
        }),
      ]
    : [
        new aws.lb.Listener(`${name}-http`, {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: forward,
        }),
      ];
  const url = pulumi.interpolate`${certificateArn ? 'https' : 'http'}://${alb.dnsName}`;
  return { alb, securityGroup, targetGroup, url, listeners };
}
