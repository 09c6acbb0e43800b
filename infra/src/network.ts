import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface Network {
  vpc: aws.ec2.Vpc;
  publicSubnetIds: pulumi.Output<string>[];
  privateSubnetIds: pulumi.Output<string>[];
}

/**
 * A VPC over two availability zones: public subnets for the load balancer (and the NAT gateways), private
 * subnets for every task, which reach the internet (model APIs, Confluence, ECR) only through NAT.
 */
export function createNetwork(name: string, natGateways: number): Network {
  const zones = aws.getAvailabilityZonesOutput({ state: 'available' });
  const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
    cidrBlock: '10.40.0.0/16',
    enableDnsHostnames: true,
    enableDnsSupport: true,
    tags: { Name: `${name}-vpc` },
  });
  const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id });
  const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
    vpcId: vpc.id,
    routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: gateway.id }],
  });
  const publicSubnets = [0, 1].map((i) => {
    const subnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
      vpcId: vpc.id,
      cidrBlock: `10.40.${i}.0/24`,
      availabilityZone: zones.names.apply((n) => n[i]!),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-public-${i}`, tier: 'public' },
    });
    new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, {
      subnetId: subnet.id,
      routeTableId: publicRoutes.id,
    });
    return subnet;
  });
  const nats = Array.from({ length: Math.min(natGateways, 2) }, (_, i) => {
    const ip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: 'vpc' });
    return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
      subnetId: publicSubnets[i]!.id,
      allocationId: ip.id,
    });
  });
  const privateSubnets = [0, 1].map((i) => {
    const subnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
      vpcId: vpc.id,
      cidrBlock: `10.40.${10 + i}.0/24`,
      availabilityZone: zones.names.apply((n) => n[i]!),
      mapPublicIpOnLaunch: false,
      tags: { Name: `${name}-private-${i}`, tier: 'private' },
    });
    const routes = new aws.ec2.RouteTable(`${name}-private-${i}`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nats[i % nats.length]!.id }],
    });
    new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, {
      subnetId: subnet.id,
      routeTableId: routes.id,
    });
    return subnet;
  });
  return {
    vpc,
    publicSubnetIds: publicSubnets.map((s) => s.id),
    privateSubnetIds: privateSubnets.map((s) => s.id),
  };
}
