import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

const step = (name: string, input: Record<string, unknown>) =>
  stringify({
    steps: [
      {
        id: 'validate-secrets',
        action: 'unifiCloudflare:secretsLayout:validate',
        name,
        input,
      },
    ],
  });

/** Examples shown on the actions page; each one is run through the handler by a test. */
export const examples: TemplateExample[] = [
  {
    description:
      'Validate the production kit rendered at the workspace root, with the default provider (op) and item names.',
    example: step('Validate the secrets layout', { vault: 'Infrastructure' }),
  },
  {
    description:
      'Validate a production kit rendered into a subdirectory, taking the vault, provider and item names from the form (as the production template does).',
    example: step('Validate the secrets layout', {
      path: 'environment',
      vault: 'Infrastructure',
      secretsProvider: 'op',
      items: {
        cloudflare: 'cloudflare',
        unifi: 'unifi',
        state: 'terraform-state',
      },
    }),
  },
];
