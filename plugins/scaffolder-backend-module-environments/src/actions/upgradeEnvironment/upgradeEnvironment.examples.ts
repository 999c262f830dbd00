import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Upgrade a GitHub environment repository to the current kit and propose it as a pull request.',
    example: stringify({
      steps: [
        {
          id: 'entity',
          name: 'Fetch the environment',
          action: 'catalog:fetch',
          input: { entityRef: '${{ parameters.environment }}' },
        },
        {
          id: 'fetch',
          name: 'Fetch the repository',
          action: 'fetch:plain',
          input: {
            url: "${{ steps.entity.output.entity.metadata.annotations['backstage.io/source-location'] | replace('url:', '') }}",
            targetPath: 'repository',
          },
        },
        {
          id: 'upgrade',
          name: 'Upgrade',
          action: 'unifiCloudflare:environment:upgrade',
          input: {
            entity: '${{ steps.entity.output.entity }}',
            glueVersion: 'v0.12.2',
          },
        },
        {
          id: 'pr',
          name: 'Open the pull request',
          action: 'publish:github:pull-request',
          input: {
            repoUrl: '${{ steps.upgrade.output.repoUrl }}',
            branchName: '${{ steps.upgrade.output.branchName }}',
            title: '${{ steps.upgrade.output.title }}',
            description: '${{ steps.upgrade.output.body }}',
            sourcePath: 'repository',
            filesToDelete: '${{ steps.upgrade.output.filesToDelete }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Upgrade a local environment repository, adding a service to its device media-server (device may be left out when the environment has one device): the result is committed to a new branch.',
    example: stringify({
      steps: [
        {
          id: 'entity',
          name: 'Fetch the environment',
          action: 'catalog:fetch',
          input: { entityRef: 'resource:default/homelab-dns-dev' },
        },
        {
          id: 'upgrade',
          name: 'Upgrade',
          action: 'unifiCloudflare:environment:upgrade',
          input: {
            entity: '${{ steps.entity.output.entity }}',
            addServices: [
              {
                name: 'photos',
                port: 2283,
                protocol: 'http',
                distribution: 'both',
                publicHostname: 'photos.example.com',
                device: 'media-server',
              },
            ],
          },
        },
      ],
    }),
  },
  {
    description:
      'Upgrade a local environment repository, adding a device with its MAC addresses, an alias and its services.',
    example: stringify({
      steps: [
        {
          id: 'entity',
          name: 'Fetch the environment',
          action: 'catalog:fetch',
          input: { entityRef: 'resource:default/homelab-dns-dev' },
        },
        {
          id: 'upgrade',
          name: 'Upgrade',
          action: 'unifiCloudflare:environment:upgrade',
          input: {
            entity: '${{ steps.entity.output.entity }}',
            addDevices: [
              {
                hostname: 'nas',
                macAddresses: ['00:11:32:aa:bb:cc', '00:11:32:aa:bb:cd'],
                aliases: ['storage'],
                services: [
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
            ],
          },
        },
      ],
    }),
  },
];
