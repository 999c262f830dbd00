/**
 * The three doors a form value goes through, as test helpers:
 * 1. the scaffolder's own JSON Schema check of the form on `POST /v2/tasks`;
 * 2. the render action's parameter model, fed the input the template's render step builds;
 * 3. the rendered files of a real dry-run (see `renderedEscapes.ts`).
 */
import { parseParameters, ParseResult } from '../../parameters/model';
import { RENDER_ENVIRONMENT_ACTION_ID } from '../../actions/renderEnvironment/renderEnvironment';

type Json = Record<string, any>;

/** A text field of a template form: where it sits in the form values. */
export interface TextField {
  /** `name`, `services[0].publicHostname`: the form's and the model's way of naming it. */
  field: string;
  /** The path into the form values. */
  path: (string | number)[];
  /** The field's JSON Schema in the form. */
  schema: Json;
  /** True when the field is defined inside a `dependencies` branch of a page. */
  inDependency: boolean;
}

function isTextSchema(schema: Json): boolean {
  return (
    schema?.type === 'string' &&
    schema.enum === undefined &&
    schema.const === undefined
  );
}

/**
 * Every free-text field of a template: string properties of each page (also those that a
 * `dependencies` branch adds) and the string properties of the first service. Enumerations
 * are left out: they accept a fixed list only.
 */
export function textFields(template: Json): TextField[] {
  const fields: TextField[] = [];
  const seen = new Set<string>();
  const add = (field: TextField) => {
    if (!seen.has(field.field)) {
      seen.add(field.field);
      fields.push(field);
    }
  };
  for (const page of template.spec.parameters as Json[]) {
    for (const [name, schema] of Object.entries<Json>(page.properties ?? {})) {
      if (isTextSchema(schema))
        add({ field: name, path: [name], schema, inDependency: false });
      if (schema.type === 'array' && schema.items?.type === 'object') {
        for (const [sub, subSchema] of Object.entries<Json>(
          schema.items.properties ?? {},
        )) {
          if (isTextSchema(subSchema)) {
            add({
              field: `${name}[0].${sub}`,
              path: [name, 0, sub],
              schema: subSchema,
              inDependency: false,
            });
          }
        }
      }
    }
    for (const dependency of Object.values<Json>(page.dependencies ?? {})) {
      for (const branch of dependency.oneOf ?? []) {
        for (const [name, schema] of Object.entries<Json>(
          branch.properties ?? {},
        )) {
          if (!(name in (page.properties ?? {})) && isTextSchema(schema)) {
            add({ field: name, path: [name], schema, inDependency: true });
          }
        }
      }
    }
  }
  return fields;
}

/** A deep copy of form values with one field set (services are copied, not shared). */
export function withValue(
  values: Json,
  path: (string | number)[],
  value: unknown,
): Json {
  const copy: Json = JSON.parse(JSON.stringify(values));
  let node: any = copy;
  for (const part of path.slice(0, -1)) node = node[part];
  node[path[path.length - 1]] = value;
  return copy;
}

/** Adds an own, enumerable property (also for `__proto__`, which plain assignment would not). */
export function withOwnKey<T extends object>(
  target: T,
  key: string,
  value: unknown,
): T {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return target;
}

const SOLE_PARAMETER = /^\$\{\{ parameters\.([A-Za-z]+) \}\}$/;
const CONDITIONAL_PARAMETER =
  /^\$\{\{ parameters\.([A-Za-z]+) if parameters\.([A-Za-z]+) != '([a-z]+)' else undefined \}\}$/;

/**
 * The input the template's render step hands the action, built the way the scaffolder builds
 * it: a sole `${{ parameters.x }}` keeps the value's type, an undefined result drops the key.
 * Only the expressions the templates use are understood; anything else throws, so a template
 * change forces this emulation (checked against the dry-run log) to be extended.
 */
export function renderStepInput(template: Json, values: Json): Json {
  const step = (template.spec.steps as Json[]).find(
    s => s.action === RENDER_ENVIRONMENT_ACTION_ID,
  );
  if (!step)
    throw new Error(
      `${template.metadata.name} has no ${RENDER_ENVIRONMENT_ACTION_ID} step`,
    );
  const input: Json = {};
  for (const [key, expression] of Object.entries<unknown>(step.input)) {
    let value: unknown;
    if (typeof expression !== 'string' || !expression.includes('${{')) {
      value = expression;
    } else if (SOLE_PARAMETER.test(expression)) {
      value = values[SOLE_PARAMETER.exec(expression)![1]];
    } else if (CONDITIONAL_PARAMETER.test(expression)) {
      const [, name, condition, literal] =
        CONDITIONAL_PARAMETER.exec(expression)!;
      value = values[condition] !== literal ? values[name] : undefined;
    } else {
      throw new Error(
        `The render step input ${key}: ${expression} is not understood by renderStepInput; extend it`,
      );
    }
    if (value !== undefined) input[key] = JSON.parse(JSON.stringify(value));
  }
  return input;
}

/** The verdict of door 1, the scaffolder's form check on `POST /v2/tasks`. */
export interface FormVerdict {
  status: number;
  accepted: boolean;
  /** An error's property is `instance.<field>`. */
  namesField: boolean;
  /** A `dependencies` branch (`oneOf`) failed: jsonschema then names no field. */
  viaDependency: boolean;
  messages: string[];
  taskId?: string;
}

/** Reads the scaffolder's answer to `POST /v2/tasks`. */
export function formVerdict(
  field: string,
  response: { status: number; body: any },
): FormVerdict {
  const errors: Json[] =
    response.status === 400 && Array.isArray(response.body?.errors)
      ? response.body.errors
      : [];
  return {
    status: response.status,
    accepted: response.status === 201,
    namesField: errors.some(e => e.property === `instance.${field}`),
    viaDependency: errors.some(e => e.name === 'oneOf'),
    messages: errors.map(e => String(e.stack ?? e.message)),
    taskId: response.status === 201 ? response.body?.id : undefined,
  };
}

/** The verdict of door 2, the render action's model. */
export interface ModelVerdict {
  accepted: boolean;
  namesField: boolean;
  problems: { field: string; message: string }[];
  result: ParseResult;
}

/** Runs the render action's validation on the render step's input. */
export function modelVerdict(field: string, input: Json): ModelVerdict {
  const result = parseParameters(input);
  const problems = result.success ? [] : result.problems;
  return {
    accepted: result.success,
    namesField: problems.some(
      p => p.field === field || field.startsWith(`${p.field}.`),
    ),
    problems,
    result,
  };
}
