/**
 * The three doors a form value goes through, as test helpers:
 * 1. the scaffolder's own JSON Schema check of the form on `POST /v2/tasks`;
 * 2. the render action's parameter model, fed the input the template's render step builds;
 * 3. the rendered files of a real dry-run (see `renderedEscapes.ts`).
 */
import { parseParameters, ParseResult } from '../../parameters/model';
import { RENDER_ENVIRONMENT_ACTION_ID } from '../../actions/renderEnvironment/renderEnvironment';
import { mergeFormValues } from '../../kits/render';

type Json = Record<string, any>;

/** A text field of a template form: where it sits in the form values. */
export interface TextField {
  /**
   * `name`, `devices[0].macAddresses[0]`, `devices[0].services[0].publicHostname`: the form's
   * and the model's way of naming it.
   */
  field: string;
  /** The path into the form values. */
  path: (string | number)[];
  /** The field's JSON Schema in the form. */
  schema: Json;
  /** True when the field is defined inside a `dependencies` branch of a page. */
  inDependency: boolean;
  /** The index of the page (`spec.parameters`) that defines the field. */
  page: number;
}

function isTextSchema(schema: Json): boolean {
  return (
    schema?.type === 'string' &&
    schema.enum === undefined &&
    schema.const === undefined
  );
}

/**
 * The text fields a property schema holds: itself when it is free text, else those of the first
 * item of an array (`macAddresses[0]`) and of the properties of an object, at any depth
 * (`devices[0].services[0].name`).
 */
function textFieldsOf(
  schema: Json,
  field: string,
  path: (string | number)[],
): { field: string; path: (string | number)[]; schema: Json }[] {
  if (isTextSchema(schema)) return [{ field, path, schema }];
  if (schema?.type === 'array' && schema.items && !Array.isArray(schema.items))
    return textFieldsOf(schema.items, `${field}[0]`, [...path, 0]);
  if (schema?.type === 'object')
    return Object.entries<Json>(schema.properties ?? {}).flatMap(
      ([name, sub]) => textFieldsOf(sub, `${field}.${name}`, [...path, name]),
    );
  return [];
}

/**
 * Every free-text field of a template: string properties of each page (also those that a
 * `dependencies` branch adds), and the strings inside its arrays and objects at any depth
 * (`devices[0].hostname`, `devices[0].aliases[0]`, `devices[0].services[0].name`), always
 * the first item. Enumerations are left out: they accept a fixed list only.
 */
export function textFields(template: Json): TextField[] {
  const fields: TextField[] = [];
  const seen = new Set<string>();
  const add = (
    found: ReturnType<typeof textFieldsOf>,
    inDependency: boolean,
    page: number,
  ) => {
    for (const f of found) {
      if (!seen.has(f.field)) {
        seen.add(f.field);
        fields.push({ ...f, inDependency, page });
      }
    }
  };
  (template.spec.parameters as Json[]).forEach((page, index) => {
    for (const [name, schema] of Object.entries<Json>(page.properties ?? {}))
      add(textFieldsOf(schema, name, [name]), false, index);
    for (const dependency of Object.values<Json>(page.dependencies ?? {})) {
      for (const branch of dependency.oneOf ?? []) {
        for (const [name, schema] of Object.entries<Json>(
          branch.properties ?? {},
        )) {
          if (!(name in (page.properties ?? {})))
            add(textFieldsOf(schema, name, [name]), true, index);
        }
      }
    }
  });
  return fields;
}

/**
 * A deep copy of form values with one field set (arrays and objects are copied, not shared); a
 * missing array or object on the way is created (`devices[0].aliases[0]` where a device has no
 * aliases yet).
 */
export function withValue(
  values: Json,
  path: (string | number)[],
  value: unknown,
): Json {
  const copy: Json = JSON.parse(JSON.stringify(values));
  let node: any = copy;
  path.slice(0, -1).forEach((part, i) => {
    node[part] ??= typeof path[i + 1] === 'number' ? [] : {};
    node = node[part];
  });
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
const ALL_PARAMETERS = '${{ parameters }}';
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
    } else if (expression === ALL_PARAMETERS) {
      value = values;
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
  // What the handler parses: the form's values spread under the fields given by name.
  return mergeFormValues(input) as Json;
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
  /**
   * Set when the verdict comes from a request in which other fields of the batch (see
   * `formBatches`) held the same value: the fields named in its answer.
   */
  sharedWith?: string[];
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
      p =>
        p.field === field ||
        field.startsWith(`${p.field}.`) ||
        field.startsWith(`${p.field}[`),
    ),
    problems,
    result,
  };
}

/** Keywords whose subschemas make one property's verdict depend on another's value. */
const CONDITIONAL_KEYWORDS = [
  'if',
  'then',
  'else',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'contains',
];

/** Property names that a schema's conditional keywords look at (conservatively: any mention). */
function conditionalNames(schema: Json): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Json;
    Object.keys(n.properties ?? {}).forEach(k => names.add(k));
    if (Array.isArray(n.required))
      n.required.forEach((k: string) => names.add(k));
    for (const key of ['dependencies', 'dependentRequired', 'dependentSchemas'])
      Object.keys(n[key] ?? {}).forEach(k => names.add(k));
    Object.values(n).forEach(visit);
  };
  for (const key of CONDITIONAL_KEYWORDS) {
    if (schema?.[key] === undefined) continue;
    if (typeof schema[key] === 'object' && !Array.isArray(schema[key]))
      Object.keys(schema[key]).forEach(k => names.add(k));
    visit(schema[key]);
  }
  return names;
}

/**
 * True when JSON Schema checks the field on its own: no page has a `when` condition or a `$ref`,
 * and no conditional keyword (if/then, allOf, oneOf, dependencies, ...) of any page, or of any
 * array or object schema on the way down to it, mentions the field or the property that holds
 * it. Then an error about the field can only come from the field's own schema (or from an array
 * it is an item of, reported at the array: see batchVerdicts), and does not depend on what the
 * other fields hold.
 */
export function checkedOnItsOwn(template: Json, field: TextField): boolean {
  if (field.inDependency) return false;
  const pages = template.spec.parameters as Json[];
  // A page shown by a `when` condition, or a `$ref` that hides a schema: not worth proving.
  if (
    pages.some(
      page => page.when !== undefined || /"\$ref"/.test(JSON.stringify(page)),
    )
  )
    return false;
  const [top, ...rest] = field.path;
  if (pages.some(page => conditionalNames(page).has(String(top)))) return false;
  let schema: Json = pages[field.page].properties?.[top];
  for (const [i, part] of rest.entries()) {
    if (conditionalNames(schema).has(String(part))) return false;
    if (typeof part === 'number') {
      const array = schema;
      if (CONDITIONAL_KEYWORDS.some(k => array[k] !== undefined)) return false;
      // Unique items compare the whole item: an object item other batched fields change too.
      if (array.uniqueItems && i < rest.length - 1) return false;
      schema = schema.items;
    } else {
      schema = schema.properties?.[part];
    }
    if (!schema) return false;
  }
  return true;
}

/**
 * The door-1 requests a value needs in one template: the fields JSON Schema checks on their own
 * share one request per page (the scaffolder checks page by page and answers with the first page
 * that fails, listing every error of that page); every other field has a request of its own.
 */
export function formBatches(
  template: Json,
  fields: TextField[],
): TextField[][] {
  const shared = new Map<number, TextField[]>();
  const alone: TextField[][] = [];
  for (const field of fields) {
    if (checkedOnItsOwn(template, field)) {
      const page = shared.get(field.page) ?? [];
      page.push(field);
      shared.set(field.page, page);
    } else {
      alone.push([field]);
    }
  }
  return [...shared.values(), ...alone];
}

/**
 * The verdict of each field of a batch, read from the answer to one request in which all of them
 * held the value: 201, or 400 whose every error names one of the fields (an error names a field
 * or nothing else; a field no error names passed its own schema, so alone it would have been
 * answered 201). Undefined when the answer cannot be split that way: then each field needs a
 * request of its own.
 */
export function batchVerdicts(
  fields: TextField[],
  response: { status: number; body: any },
): FormVerdict[] | undefined {
  if (fields.length === 1) return [formVerdict(fields[0].field, response)];
  const names = fields.map(f => f.field);
  if (response.status === 201)
    return fields.map(f => ({
      ...formVerdict(f.field, response),
      sharedWith: names,
    }));
  const errors: Json[] = Array.isArray(response.body?.errors)
    ? response.body.errors
    : [];
  if (
    response.status !== 400 ||
    errors.length === 0 ||
    !errors.every(e => names.some(n => e.property === `instance.${n}`))
  )
    return undefined;
  return fields.map(f => {
    const own = errors.filter(e => e.property === `instance.${f.field}`);
    return own.length === 0
      ? {
          status: 201,
          accepted: true,
          namesField: false,
          viaDependency: false,
          messages: [],
          sharedWith: names,
        }
      : {
          ...formVerdict(f.field, { status: 400, body: { errors: own } }),
          sharedWith: names,
        };
  });
}
