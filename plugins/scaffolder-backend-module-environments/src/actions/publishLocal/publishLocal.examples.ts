import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import { stringify } from 'yaml';

const steps = (list: object[]) => stringify({ steps: list });

/** Examples shown on the actions page; each one is run through the handler by a test. */
export const examples: TemplateExample[] = [
  {
    description:
      'Publish the whole workspace as a new local git repository named after the environment.',
    example: steps([
      {
        id: 'publishLocal',
        action: 'unifiCloudflare:repository:publishLocal',
        name: 'Publish to a local repository',
        input: { name: 'homelab-dns-dev' },
      },
    ]),
  },
  {
    description:
      'Publish only a subdirectory of the workspace, with your own commit message.',
    example: steps([
      {
        id: 'publishLocal',
        action: 'unifiCloudflare:repository:publishLocal',
        name: 'Publish the environment directory',
        input: {
          name: 'homelab-dns',
          sourcePath: 'environment',
          gitCommitMessage: 'Add the homelab-dns production environment',
        },
      },
    ]),
  },
  {
    description:
      'Offer GitHub or a local repository as a form choice: run this step only when the form asked for local publishing.',
    example: steps([
      {
        id: 'publishLocal',
        if: "${{ parameters.publishTarget === 'local' }}",
        action: 'unifiCloudflare:repository:publishLocal',
        name: 'Publish to a local repository',
        input: { name: '${{ parameters.name }}' },
      },
    ]),
  },
];
