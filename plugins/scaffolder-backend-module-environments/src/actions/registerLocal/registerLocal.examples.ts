import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Examples shown on the actions page; each one is run through the handler by a test. */
export const examples: TemplateExample[] = [
  {
    description:
      'Register a repository published with unifiCloudflare:repository:publishLocal, when the form asked for local publishing.',
    example: stringify({
      steps: [
        {
          id: 'registerLocal',
          if: "${{ parameters.publishTarget === 'local' }}",
          action: 'unifiCloudflare:catalog:registerLocal',
          name: 'Register in the catalog',
          input: {
            localPath: "${{ steps['publishLocal'].output.localPath }}",
            catalogInfoPath: '/catalog-info.yaml',
          },
        },
      ],
    }),
  },
];
