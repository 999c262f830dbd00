// The parameters kit release 0.2.0's render action handed its context (git eb9d0e4,
// src/parameters/model.ts, EnvironmentParameters), frozen as a plain type: the archive must not
// follow today's parameter model, which replaced deviceHostname, deviceMac and services with
// devices in 0.3.0.

/** An environment tier of 0.2.0. */
export type Environment = 'development' | 'staging' | 'production';

/** A service as 0.2.0 parsed it. */
export interface Service {
  name: string;
  port: number;
  protocol: 'http' | 'https' | 'tcp';
  distribution: 'both' | 'unifi_only' | 'cloudflare_only';
  publicHostname?: string;
  noTlsVerify: boolean;
}

/** 0.2.0's validated parameters, every default filled in and values normalised. */
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
  terraformVersion: string;
  kclVersion: string;
  zoneName: string;
  cloudflareAccountId: string;
  unifiHost: string;
  unifiPort: number;
  unifiAuth: 'apiKey' | 'usernamePassword';
  unifiSite: string;
  internalDomain: string;
  deviceHostname: string;
  /** Lower-case, colon-separated. */
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
