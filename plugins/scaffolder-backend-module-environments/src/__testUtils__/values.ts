import { ParameterInput } from '../parameters/model';

/** Canonical good parameter sets per environment, shared by tests, golden files and benchmarks. */
export const canonicalValues: Record<
  'development' | 'staging' | 'production',
  ParameterInput
> = {
  development: {
    environment: 'development',
    name: 'homelab-dns-dev',
    owner: 'group:default/platform-team',
    description: 'Development DNS and tunnels for the media server',
    repoUrl: 'github.com?owner=acme&repo=homelab-dns-dev',
    publishTarget: 'github',
    zoneName: 'example.com',
    cloudflareAccountId: '0123456789abcdef0123456789abcdef',
    unifiHost: 'unifi.internal.lan',
    unifiSite: 'default',
    devices: [
      {
        hostname: 'media-server',
        macAddresses: ['AA-BB-CC-DD-EE-FF'],
        services: [
          {
            name: 'jellyfin',
            port: 8096,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'media.example.com',
          },
          {
            name: 'grafana',
            port: 3000,
            protocol: 'http',
            distribution: 'unifi_only',
          },
          {
            name: 'status',
            port: 8443,
            protocol: 'https',
            distribution: 'cloudflare_only',
            publicHostname: 'status.example.com',
          },
        ],
      },
    ],
  },
  staging: {
    environment: 'staging',
    name: 'homelab-dns-staging',
    owner: 'group:default/platform-team',
    system: 'system:default/home-network',
    repoUrl: 'github.com?owner=acme&repo=homelab-dns-staging',
    publishTarget: 'github',
    zoneName: 'staging.example.com',
    cloudflareAccountId: '0123456789abcdef0123456789abcdef',
    unifiHost: '192.168.1.1',
    unifiSite: 'x1y2z3w4',
    unifiPort: 8443,
    unifiAuth: 'usernamePassword',
    devices: [
      {
        hostname: 'media-server',
        macAddresses: ['aabbccddeeff'],
        services: [
          {
            name: 'jellyfin',
            port: 8096,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'media.staging.example.com',
          },
        ],
      },
      {
        hostname: 'pi',
        macAddresses: ['dc:a6:32:01:02:03'],
        aliases: ['dns'],
        services: [
          {
            name: 'pihole',
            port: 8080,
            protocol: 'http',
            distribution: 'unifi_only',
          },
        ],
      },
    ],
    stateBucket: 'acme-terraform-state',
    stateRegion: 'eu-central-1',
  },
  production: {
    environment: 'production',
    name: 'homelab-dns',
    owner: 'group:default/platform-team',
    system: 'system:default/home-network',
    description: 'Production DNS and tunnels for the media server',
    repoUrl: 'github.com?owner=acme&repo=homelab-dns',
    publishTarget: 'github',
    zoneName: 'example.com',
    cloudflareAccountId: '0123456789abcdef0123456789abcdef',
    unifiHost: 'unifi.internal.lan',
    unifiSite: 'default',
    devices: [
      {
        hostname: 'media-server',
        macAddresses: ['aa:bb:cc:dd:ee:ff', 'AA-BB-CC-DD-EE-01'],
        aliases: ['media'],
        services: [
          {
            name: 'jellyfin',
            port: 8096,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'media.example.com',
          },
          {
            name: 'photos',
            port: 2283,
            protocol: 'http',
            distribution: 'cloudflare_only',
            publicHostname: 'photos.example.com',
          },
        ],
      },
      {
        hostname: 'nas',
        macAddresses: ['00:11:32:aa:bb:cc', '0011.32aa.bbcd'],
        aliases: ['storage', 'backup'],
        services: [
          {
            name: 'dsm',
            port: 5001,
            protocol: 'https',
            distribution: 'unifi_only',
          },
          {
            name: 'files',
            port: 5443,
            protocol: 'https',
            distribution: 'both',
            publicHostname: 'files.example.com',
            noTlsVerify: true,
          },
        ],
      },
      {
        hostname: 'homeassistant',
        macAddresses: ['b8:27:eb:12:34:56'],
        services: [
          {
            name: 'hass',
            port: 8123,
            protocol: 'http',
            distribution: 'both',
            publicHostname: 'home.example.com',
          },
        ],
      },
    ],
    stateBucket: 'acme-terraform-state',
    stateRegion: 'eu-central-1',
    locking: 'dynamodb',
    dynamodbTable: 'terraform-state-locks',
    kmsKeyId:
      'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-86ef-1234567890ab',
    vault: 'Infrastructure',
  },
};
