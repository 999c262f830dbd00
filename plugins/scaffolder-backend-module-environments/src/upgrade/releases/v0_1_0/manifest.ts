// Archived verbatim from kit release 0.1.0 (git 5b3e4c0, src/kits/manifest.ts); only the imports are
// adapted. Never edit: repositories made by 0.1.0 are merged against exactly this output.
import { Environment } from './parameters';

/** One file of a kit: the Nunjucks template it comes from and where and how it is written. */
export interface KitFile {
  /** Template path relative to the kits root. */
  template: string;
  /** Output path relative to the target directory (POSIX separators). */
  path: string;
  /** File mode: 0o755 for programs, 0o644 otherwise. */
  mode: number;
}

const READ = 0o644;
const EXEC = 0o755;

const common = (env: Environment): KitFile[] => [
  { template: `${env}/README.md.njk`, path: 'README.md', mode: READ },
  { template: `${env}/README.md.njk`, path: 'docs/index.md', mode: READ },
  { template: 'shared/mkdocs.yml.njk', path: 'mkdocs.yml', mode: READ },
  { template: 'shared/kcl.mod.njk', path: 'kcl/kcl.mod', mode: READ },
  { template: 'shared/main.k.njk', path: 'kcl/main.k', mode: READ },
  { template: `${env}/env.example.njk`, path: '.env.example', mode: READ },
  { template: `${env}/gitignore.njk`, path: '.gitignore', mode: READ },
  {
    template: 'shared/catalog-info.yaml.njk',
    path: 'catalog-info.yaml',
    mode: READ,
  },
  {
    template: 'shared/environment-answers.yaml.njk',
    path: '.environment-answers.yaml',
    mode: READ,
  },
];

/** Every file each environment renders; the order is the order they are written and listed. */
export const kitManifest: Record<Environment, KitFile[]> = {
  development: [
    ...common('development'),
    { template: 'development/deploy.sh.njk', path: 'deploy.sh', mode: EXEC },
    { template: 'development/destroy.sh.njk', path: 'destroy.sh', mode: EXEC },
  ],
  staging: [
    ...common('staging'),
    { template: 'staging/backend.yaml.njk', path: 'backend.yaml', mode: READ },
    {
      template: 'shared/load-env.sh.njk',
      path: 'scripts/load-env.sh',
      mode: READ,
    },
    { template: 'staging/Makefile.njk', path: 'Makefile', mode: READ },
  ],
  production: [
    ...common('production'),
    {
      template: 'production/backend.yaml.tmpl.njk',
      path: 'backend.yaml.tmpl',
      mode: READ,
    },
    {
      template: 'production/secrets.vals.yaml.njk',
      path: 'secrets.vals.yaml',
      mode: READ,
    },
    {
      template: 'shared/load-env.sh.njk',
      path: 'scripts/load-env.sh',
      mode: READ,
    },
    { template: 'production/Makefile.njk', path: 'Makefile', mode: READ },
    { template: 'production/SECRETS.md.njk', path: 'SECRETS.md', mode: READ },
  ],
};
