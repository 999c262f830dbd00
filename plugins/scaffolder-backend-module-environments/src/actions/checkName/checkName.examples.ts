import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

/** Examples shown on the actions page; each one is run through the handler by a test. */
export const examples: TemplateExample[] = [
  {
    description:
      'Refuse, before publishing, an environment name the catalog already holds.',
    example: stringify({
      steps: [
        {
          id: 'checkName',
          action: 'unifiCloudflare:catalog:checkName',
          name: 'Check the name is free in the catalog',
          input: { entityRef: 'resource:default/${{ parameters.name }}' },
        },
      ],
    }),
  },
  {
    description:
      'After catalog:register, fail unless the catalog holds the entity from the location just registered.',
    example: stringify({
      steps: [
        {
          id: 'checkRegistered',
          action: 'unifiCloudflare:catalog:checkName',
          name: 'Check the catalog holds our entity',
          input: {
            entityRef: "${{ steps['register'].output.entityRef }}",
            origin: "url:${{ steps['register'].output.catalogInfoUrl }}",
          },
        },
      ],
    }),
  },
];
