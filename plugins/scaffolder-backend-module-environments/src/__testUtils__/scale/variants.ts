import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { PUBLISH_LOCAL_ACTION_ID } from '../../actions/publishLocal/publishLocal';
import { RENDER_ENVIRONMENT_ACTION_ID } from '../../actions/renderEnvironment/renderEnvironment';
import { kitManifest } from '../../kits/manifest';
import { EnvironmentName, formValues, loadTemplate } from '../backend';
import { canonicalValues } from '../values';
import { GATE_ACTION_ID, RECORD_ACTION_ID } from './recordAction';

/** Our steps that only touch the workspace; publishing and registering are left out of the variants. */
const KEPT_ACTIONS = new Set([
  RENDER_ENVIRONMENT_ACTION_ID,
  'unifiCloudflare:secretsLayout:validate',
]);

/** How a variant differs from its template. */
export interface VariantOptions {
  /** metadata.name of the variant. */
  name: string;
  /** A debug:wait step of this many seconds: before the render (`first`) or after it. */
  wait?: { seconds: number; at: 'first' | 'afterRender' };
  /**
   * Publish with the template's own local publishing step, held back by a gate step after the
   * render until the test creates the gate file in `gateDirectory` (see recordAction.ts). Tasks
   * then need `publishTarget: local` and a backend with unifiCloudflare.localPublisher enabled.
   */
  gatedPublish?: { gateDirectory: string };
  /** spec.EXPERIMENTAL_recovery of the variant. */
  recovery?: { EXPERIMENTAL_strategy: 'none' | 'startOver' };
}

const record = (id: string, label: string) => ({
  id,
  name: `Record ${label}`,
  action: RECORD_ACTION_ID,
  input: { label },
});

/**
 * A variant of one of our templates for tasks that must run without a git host: the same form
 * (so /v2/tasks validates the same values) and the same render (and secrets validation) steps,
 * wrapped in record steps instead of publishing and registering:
 * `mark` (which replica started the task), [wait], render, [validate], [record-before, wait],
 * [record-before, gate, the template's publishLocal step], `record`.
 * Its output holds the render output, the records and what was published.
 */
export async function buildVariant(
  environment: EnvironmentName,
  options: VariantOptions,
): Promise<any> {
  const template = await loadTemplate(environment);
  const kept = template.spec.steps.filter((step: any) =>
    KEPT_ACTIONS.has(step.action),
  );
  const render = kept.find(
    (step: any) => step.action === RENDER_ENVIRONMENT_ACTION_ID,
  );
  if (!render)
    throw new Error(
      `templates/${environment}-environment has no ${RENDER_ENVIRONMENT_ACTION_ID} step`,
    );
  const wait = options.wait && {
    id: 'wait',
    name: `Wait ${options.wait.seconds} s`,
    action: 'debug:wait',
    input: { seconds: options.wait.seconds },
  };
  const publish = template.spec.steps.find(
    (step: any) => step.action === PUBLISH_LOCAL_ACTION_ID,
  );
  if (options.gatedPublish && !publish) {
    throw new Error(
      `templates/${environment}-environment has no ${PUBLISH_LOCAL_ACTION_ID} step`,
    );
  }
  const gatedPublish = options.gatedPublish
    ? [
        record('record-before', 'before gate'),
        {
          id: 'gate',
          name: 'Gate',
          action: GATE_ACTION_ID,
          input: { directory: options.gatedPublish.gateDirectory },
        },
        publish,
      ]
    : [];
  const steps = [
    record('mark', 'start'),
    ...(wait && options.wait?.at === 'first' ? [wait] : []),
    ...kept,
    ...(wait && options.wait?.at === 'afterRender'
      ? [record('record-before', 'before wait'), wait]
      : []),
    ...gatedPublish,
    record('record', 'end'),
  ];
  return {
    ...template,
    metadata: {
      name: options.name,
      title: `${template.metadata.title} (scale test variant)`,
      description: `Test only: ${template.metadata.name} without publishing.`,
      tags: ['scale-test'],
    },
    spec: {
      ...template.spec,
      ...(options.recovery ? { EXPERIMENTAL_recovery: options.recovery } : {}),
      steps,
      output: {
        files: `\${{ steps['${render.id}'].output.files }}`,
        entityName: `\${{ steps['${render.id}'].output.entityName }}`,
        startedOn: "${{ steps['mark'].output.replica }}",
        ...(options.wait?.at === 'afterRender' || options.gatedPublish
          ? { before: "${{ steps['record-before'].output }}" }
          : {}),
        ...(publish && options.gatedPublish
          ? { published: `\${{ steps['${publish.id}'].output }}` }
          : {}),
        record: "${{ steps['record'].output }}",
      },
    },
  };
}

/** Writes templates into one catalog file (a YAML stream) and returns its path. */
export async function writeCatalogFile(
  directory: string,
  templates: object[],
): Promise<string> {
  const file = path.join(directory, 'scale-templates.yaml');
  await writeFile(file, templates.map(t => stringify(t)).join('---\n'), 'utf8');
  return file;
}

/** Form values for a variant task: the canonical values of the environment under another name. */
export function variantValues(
  environment: EnvironmentName,
  name: string,
): Record<string, unknown> {
  return { ...formValues(canonicalValues[environment]), name };
}

/** The paths the kit of an environment writes, sorted. */
export function kitPaths(environment: EnvironmentName): string[] {
  return kitManifest[environment].map(f => f.path).sort();
}
