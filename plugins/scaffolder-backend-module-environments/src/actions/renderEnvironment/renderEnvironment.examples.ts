import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

const step = (name: string, input: Record<string, unknown>) =>
  stringify({
    steps: [
      {
        id: 'render',
        action: 'unifiCloudflare:environment:render',
        name,
        input,
      },
    ],
  });

const base = {
  name: 'homelab-dns',
  owner: 'group:default/platform-team',
  zoneName: 'example.com',
  cloudflareAccountId: '0123456789abcdef0123456789abcdef',
  unifiHost: 'unifi.internal.lan',
};

/** Examples shown on the actions page; each one is run through the handler by a test. */
export const examples: TemplateExample[] = [
  {
    description:
      'Render a development environment with one service published both locally and through a tunnel.',
    example: step('Render development environment', {
      environment: 'development',
      ...base,
      name: 'homelab-dns-dev',
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
          ],
        },
      ],
    }),
  },
  {
    description:
      'Render a staging environment with S3 state and the native lockfile, using UniFi username and password.',
    example: step('Render staging environment', {
      environment: 'staging',
      ...base,
      name: 'homelab-dns-staging',
      unifiAuth: 'usernamePassword',
      stateBucket: 'acme-terraform-state',
      stateRegion: 'eu-central-1',
      devices: [
        {
          hostname: 'media-server',
          macAddresses: ['AA-BB-CC-DD-EE-FF'],
          services: [
            {
              name: 'grafana',
              port: 3000,
              protocol: 'http',
              distribution: 'unifi_only',
            },
            {
              name: 'status',
              port: 443,
              protocol: 'https',
              distribution: 'cloudflare_only',
              publicHostname: 'status.example.com',
            },
          ],
        },
      ],
    }),
  },
  {
    description:
      'Render a production environment of two devices (one with two network interfaces and an alias) with DynamoDB locking and secrets from 1Password through vals, into a subdirectory.',
    example: step('Render production environment', {
      environment: 'production',
      ...base,
      targetPath: 'environment',
      stateBucket: 'acme-terraform-state',
      stateRegion: 'eu-central-1',
      locking: 'dynamodb',
      dynamodbTable: 'terraform-state-locks',
      vault: 'Infrastructure',
      devices: [
        {
          hostname: 'media-server',
          macAddresses: ['AA-BB-CC-DD-EE-FF', 'aabb.ccdd.ee01'],
          aliases: ['media'],
          services: [
            {
              name: 'jellyfin',
              port: 8096,
              protocol: 'http',
              distribution: 'both',
              publicHostname: 'media.example.com',
            },
          ],
        },
        {
          hostname: 'nas',
          macAddresses: ['aa:bb:cc:dd:ee:02'],
          services: [
            {
              name: 'files',
              port: 5001,
              protocol: 'https',
              distribution: 'unifi_only',
            },
          ],
        },
      ],
    }),
  },
];
