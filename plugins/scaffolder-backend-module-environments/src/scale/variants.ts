import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { RENDER_ENVIRONMENT_ACTION_ID } from '../actions/renderEnvironment/renderEnvironment';
import { EnvironmentName, loadTemplate } from '../testing/backend';
import { RECORD_ACTION_ID } from './recordAction';

/** Our steps that only touch the workspace; publishing and registering are left out of the variants. */
const KEPT_ACTIONS = new Set([RENDER_ENVIRONMENT_ACTION_ID, 'unifiCloudflare:secretsLayout:validate']);

/** How a variant differs from its template. */
export interface VariantOptions {
  /** metadata.name of the variant. */
  name: string;
  /** A debug:wait step of this many seconds: before the render (`first`) or after it. */
  wait?: { seconds: number; at: 'first' | 'afterRender' };
  /** spec.EXPERIMENTAL_recovery of the variant. */
  recovery?: { EXPERIMENTAL_strategy: 'none' | 'startOver' };
}

const record = (id: string, label: string) => ({ id, name: `Record ${label}`, action: RECORD_ACTION_ID, input: { label } });

/**
 * A variant of one of our templates for tasks that must run without a git host: the same form
 * (so /v2/tasks validates the same values) and the same render (and secrets validation) steps,
 * wrapped in record steps instead of publishing and registering:
 * `mark` (which replica started the task), [wait], render, [validate], [record-before, wait], `record`.
 * Its output holds the render output and both records.
 */
export async function buildVariant(environment: EnvironmentName, options: VariantOptions): Promise<any> {
  const template = await loadTemplate(environment);
  const kept = template.spec.steps.filter((step: any) => KEPT_ACTIONS.has(step.action));
  const render = kept.find((step: any) => step.action === RENDER_ENVIRONMENT_ACTION_ID);
  if (!render) throw new Error(`templates/${environment}-environment has no ${RENDER_ENVIRONMENT_ACTION_ID} step`);
  const wait = options.wait && {
    id: 'wait',
    name: `Wait ${options.wait.seconds} s`,
    action: 'debug:wait',
    input: { seconds: options.wait.seconds },
  };
  const steps = [
    record('mark', 'start'),
    ...(wait && options.wait?.at === 'first' ? [wait] : []),
    ...kept,
    ...(wait && options.wait?.at === 'afterRender' ? [record('record-before', 'before wait'), wait] : []),
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
        ...(options.wait?.at === 'afterRender' ? { before: "${{ steps['record-before'].output }}" } : {}),
        record: "${{ steps['record'].output }}",
      },
    },
  };
}

/** Writes templates into one catalog file (a YAML stream) and returns its path. */
export async function writeCatalogFile(directory: string, templates: object[]): Promise<string> {
  const file = path.join(directory, 'scale-templates.yaml');
  await writeFile(file, templates.map(t => stringify(t)).join('---\n'), 'utf8');
  return file;
}
