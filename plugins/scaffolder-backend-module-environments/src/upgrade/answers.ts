import { parse } from 'yaml';
import { ENVIRONMENTS, Environment } from '../parameters/model';
import { UpgradeError } from './errors';
import { isKitVersion } from './versions';

/** The answers file every kit writes at the repository root. */
export const ANSWERS_FILE = '.environment-answers.yaml';

/** Answer values as a kit records them: the validated form values, defaults filled in. */
export type AnswerValues = Record<string, unknown> & {
  environment: Environment;
};

/** What `.environment-answers.yaml` says: the template, the kit version and the answers. */
export interface Answers {
  /** Template entity reference, e.g. `template:default/production-environment`. */
  template: string;
  /** Kit version that rendered the repository. */
  templateVersion: string;
  values: AnswerValues;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an answers file; every problem names the file and the field. */
export function parseAnswers(text: string): Answers {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new UpgradeError(
      `${ANSWERS_FILE} is not valid YAML: ${(error as Error).message}`,
    );
  }
  if (!isMapping(document))
    throw new UpgradeError(
      `${ANSWERS_FILE} must hold a mapping with template, templateVersion and values`,
    );
  const { template, templateVersion, values } = document;
  if (
    typeof template !== 'string' ||
    !/^template:[^\s/]+\/[^\s/]+$/.test(template)
  ) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: template must be a template entity reference, for example "template:default/production-environment"`,
    );
  }
  if (!isKitVersion(templateVersion)) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: templateVersion must be a kit version MAJOR.MINOR.PATCH, for example "0.1.0"`,
    );
  }
  if (!isMapping(values))
    throw new UpgradeError(
      `${ANSWERS_FILE}: values must be a mapping of the answers`,
    );
  if (!(ENVIRONMENTS as readonly unknown[]).includes(values.environment)) {
    throw new UpgradeError(
      `${ANSWERS_FILE}: values.environment must be one of ${ENVIRONMENTS.join(', ')}`,
    );
  }
  return { template, templateVersion, values: values as AnswerValues };
}

/**
 * Changes to the answers: a mapping of answer fields to new values (a list replaces the list),
 * `null` removes an optional field, and `addServices` appends services to the recorded ones.
 */
export interface AnswerChanges {
  [field: string]: unknown;
  addServices?: unknown[];
}

/** Applies changes to recorded answers; the environment of a repository never changes. */
export function applyChanges(
  values: AnswerValues,
  changes: AnswerChanges | undefined,
): AnswerValues {
  if (!changes) return values;
  if (!isMapping(changes))
    throw new UpgradeError(
      'The answer changes must be a mapping of answer fields to new values, for example {glueVersion: v0.12.2}',
    );
  const next: Record<string, unknown> = { ...values };
  for (const [field, value] of Object.entries(changes)) {
    if (field === 'addServices') continue;
    if (field === 'environment') {
      if (value !== values.environment) {
        throw new UpgradeError(
          `environment cannot change: this is a ${values.environment} repository; create a new environment instead`,
        );
      }
      continue;
    }
    if (value === null) delete next[field];
    else next[field] = value;
  }
  if (changes.addServices !== undefined) {
    if (!Array.isArray(changes.addServices)) {
      throw new UpgradeError(
        'addServices must be a list of services, for example [{name: photos, port: 2283, publicHostname: photos.example.com}]',
      );
    }
    const services = Array.isArray(next.services) ? next.services : [];
    next.services = [...services, ...changes.addServices];
  }
  return next as AnswerValues;
}
