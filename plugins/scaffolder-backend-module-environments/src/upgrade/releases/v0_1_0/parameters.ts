// The parameters kit release 0.1.0's render action handed its context (git 5b3e4c0,
// src/parameters/model.ts, EnvironmentParameters), frozen as a plain type: the archive must not
// follow today's parameter model, which has since changed shape.

/** An environment tier of 0.1.0. */
export type Environment = 'development' | 'staging' | 'production';

/** A service as 0.1.0 parsed it. */
export interface Service {
  name: string;
  port: number;
  protocol: 'http' | 'https' | 'tcp';
  distribution: 'both' | 'unifi_only' | 'cloudflare_only';
  publicHostname?: string;
}

/** 0.1.0's validated parameters, every default filled in. */
export interface Parameters {
  environment: Environment;
  targetPath: string;
  name: string;
  owner: string;
  system?: string;
  description?: string;
  repoUrl?: string;
  publishTarget: 'github' | 'local';
  glueVersion: string;
  zoneName: string;
  cloudflareAccountId: string;
  unifiHost: string;
  unifiPort: number;
  unifiAuth: 'apiKey' | 'usernamePassword';
  internalDomain: string;
  deviceHostname: string;
  deviceMac: string;
  services: Service[];
  skipTlsVerify: boolean;
  stateBucket?: string;
  stateRegion?: string;
  stateKey?: string;
  locking?: 'dynamodb' | 'lockfile';
  dynamodbTable?: string;
  kmsKeyId?: string;
  secretsProvider?: 'op' | 'onepasswordconnect';
  vault?: string;
  cloudflareItem?: string;
  unifiItem?: string;
  stateItem?: string;
}
