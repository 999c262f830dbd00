/**
 * Hostile input: nothing injected, nothing leaked, nothing written outside the workspace.
 *
 * Every value of the hostile corpus goes into every text field of every template through
 * three doors of one real scaffolder backend:
 * 1. `POST /v2/tasks`: the scaffolder's JSON Schema check of the form (400 naming the field, or
 *    201). The fields JSON Schema checks on their own share one request per page and value
 *    (formBatches); the answer is split back into one verdict per field, and a sample is asked
 *    again one field at a time to show the split gives the same verdicts;
 * 2. the render action's model, fed the input the template's render step builds: the same
 *    verdict, or a stricter one for the listed reasons (rules JSON Schema cannot express);
 * 3. whatever both accept goes through `POST /v2/dry-run` and must come out inert: the kit's
 *    files only, YAML that parses back to the value with the twin's structure, Markdown with the
 *    twin's structure, template syntax verbatim, and scripts and Makefiles that hand the value
 *    literally to the stand-ins of src/__testUtils__/standIns (run while the dry-runs go on).
 *
 * Set HOSTILE_CORPUS_SUMMARY=/some/file.json to get the counts written there.
 */
import { mergeFormValues } from '../../src/kits/render';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repositoryUrl, UPSTREAM_MODULE } from '../../src/kits/context';
import { Environment, ENVIRONMENTS } from '../../src/parameters/model';
import { rules } from '../../src/parameters/fieldRules';
import {
  decodeFiles,
  formValues,
  loadTemplate,
} from '../../src/__testUtils__/backend';
import { canonicalValues } from '../../src/__testUtils__/values';
import { startSecurityBackend } from '../../src/__testUtils__/hostile/backend';
import { mapLimit } from '../../src/__testUtils__/concurrency';
import {
  deeplyNested,
  hostileCorpus,
  HostileValue,
  pollutingValue,
  prototypeKeys,
  secretShaped,
  show,
} from '../../src/__testUtils__/hostile/corpus';
import {
  batchVerdicts,
  formBatches,
  FormVerdict,
  ModelVerdict,
  modelVerdict,
  renderStepInput,
  TextField,
  textFields,
  withOwnKey,
  withValue,
  formVerdict,
} from '../../src/__testUtils__/hostile/formAndModelVerdicts';
import {
  Escape,
  executableTextDiffers,
  InertCase,
  kitVersion,
  prepareDriver,
  processEscapes,
  renderLocally,
  runDriver,
  staticEscapes,
  writeWorkspace,
} from '../../src/__testUtils__/hostile/renderedEscapes';

jest.setTimeout(600_000);

type Json = Record<string, any>;
const CANARY = '/tmp/hostile-corpus-pwned';
const FREE_TEXT = ['description', 'repoUrl'];
/** Identifier fields in the order door 3 prefers them: the ones that reach scripts first. */
const IDENTIFIER_PREFERENCE = [
  'name',
  'zoneName',
  'unifiHost',
  'glueVersion',
  'cloudflareAccountId',
  'internalDomain',
  'devices[0].hostname',
  'devices[0].macAddresses[0]',
  'devices[0].aliases[0]',
  'devices[0].services[0].name',
  'devices[0].services[0].publicHostname',
  'owner',
  'system',
  'stateBucket',
  'stateRegion',
  'stateKey',
  'dynamodbTable',
  'kmsKeyId',
  'vault',
  'cloudflareItem',
  'unifiItem',
  'stateItem',
];

/** Benign values for the twin render, for fields the canonical values leave out. */
const BENIGN: Record<string, string> = {
  description: 'A benign twin description',
  internalDomain: 'internal.lan',
  glueVersion: 'v0.12.2',
  system: 'system:default/twin-system',
  stateKey: 'unifi-cloudflare-glue/twin/terraform.tfstate',
  cloudflareItem: 'cloudflare',
  unifiItem: 'unifi',
  stateItem: 'terraform-state',
  'devices[0].aliases[0]': 'twin-alias',
};

/**
 * Why the model may reject what the form accepts. Each entry is a rule the form's JSON Schema
 * does not (or cannot) express; a form-accepted value the model rejects for any other reason
 * is a disagreement the test reports.
 */
const MODEL_STRICTER: {
  reason: string;
  applies: (field: string, message: string, problemField: string) => boolean;
}[] = [
  {
    reason:
      'owner and system are entity references; the OwnerPicker and EntityPicker fields carry no pattern in the form',
    applies: (field, _message, problemField) =>
      (field === 'owner' || field === 'system') && problemField === field,
  },
  {
    reason:
      'a public hostname must lie inside the Cloudflare zone (cross-field: the model names the public hostname)',
    applies: (field, message) =>
      (field === 'devices[0].services[0].publicHostname' ||
        field === 'zoneName') &&
      /must lie inside the zone/.test(message),
  },
  {
    reason:
      'repoUrl is at most 512 characters (the RepoUrlPicker field has no maxLength in the form)',
    applies: (field, message) =>
      field === 'repoUrl' && /at most 512 characters/.test(message),
  },
  {
    reason:
      'repoUrl must be well-formed Unicode (no lone surrogates; no file can store one)',
    applies: (field, message) =>
      field === 'repoUrl' && /lone surrogate/.test(message),
  },
  {
    reason:
      'a device or service object has no other keys (the form items allow additional properties)',
    applies: (field, message) =>
      field.startsWith('devices[0]') && /unknown field/.test(message),
  },
  {
    reason:
      'device hostnames, aliases and service names are unique across the environment, and so are MAC addresses and public hostnames (cross-field: the model names the later of the two entries)',
    applies: (field, message) =>
      field.startsWith('devices[0]') &&
      /^repeats the (?:name|MAC address|public hostname) /.test(message),
  },
  {
    reason:
      'a value that looks like a secret (token shapes, entropy) is refused in every field; no JSON Schema pattern can say so',
    applies: (field, message, problemField) =>
      problemField === field && /^looks like it holds /.test(message),
  },
];

interface Pair {
  environment: Environment;
  field: TextField;
  value: HostileValue;
  valueIndex: number;
  form: FormVerdict;
  model: ModelVerdict;
}

interface DryRunOutcome {
  environment: Environment;
  valueIndex: number;
  fields: string[];
  status: number;
  /** The refusal message when the dry-run failed. */
  error?: string;
  /** Our render action's own log lines (without the scaffolder's "Running ... with inputs"). */
  renderLog: string[];
  /** Anything else a step of ours logged. */
  otherLog: string[];
  output: unknown;
  case?: InertCase;
}

function stripLevel(message: string): string {
  // eslint-disable-next-line no-control-regex -- the corpus is about control characters
  return message.replace(/^\u001b\[\d+m\w+\u001b\[\d+m: /, '');
}

describe('hostile input through the three doors of the real scaffolder', () => {
  let backend: Awaited<ReturnType<typeof startSecurityBackend>>;
  const templates = {} as Record<Environment, Json>;
  const fields = {} as Record<Environment, TextField[]>;
  const pairs: Pair[] = [];
  const dryRuns: DryRunOutcome[] = [];
  const escapes: (Escape & {
    value: string;
    environment: string;
    fields: string;
  })[] = [];
  const emulationMismatches: string[] = [];
  const prototypeOutcomes: string[] = [];
  /** Every other HTTP status the suite saw, for the 5xx check. */
  const statuses: number[] = [];
  let version = '';
  let workRoot = '';
  /** Renders of twin inputs, by environment and input. */
  const twins = new Map<string, Promise<Map<string, string>>>();
  let door1Requests = 0;
  let door1Splits = 0;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    const started = Date.now();
    await rm(CANARY, { force: true });
    backend = await startSecurityBackend();
    version = await kitVersion();
    workRoot = await mkdtemp(path.join(os.tmpdir(), 'hostile-corpus-'));
    for (const environment of ENVIRONMENTS) {
      templates[environment] = await loadTemplate(environment);
      fields[environment] = textFields(templates[environment]);
    }
    await backend.templatesReady();
    timings.boot = Date.now() - started;

    // Doors 1 and 2 for every (template, text field, value): door 1 one request per batch of
    // fields (formBatches), door 2 in-process for each field alone.
    const started2 = Date.now();
    const jobs = ENVIRONMENTS.flatMap(environment =>
      formBatches(templates[environment], fields[environment]).flatMap(batch =>
        hostileCorpus.map((value, valueIndex) => ({
          environment,
          batch,
          value,
          valueIndex,
        })),
      ),
    );
    const results = await mapLimit(jobs, 6, async job => {
      const verdicts = await formVerdicts(
        job.environment,
        job.batch,
        job.value.value,
      );
      return job.batch.map((field, i) => {
        const values = withValue(
          formValues(canonicalValues[job.environment]),
          field.path,
          job.value.value,
        );
        const model = modelVerdict(
          field.field,
          renderStepInput(templates[job.environment], values),
        );
        return {
          environment: job.environment,
          field,
          value: job.value,
          valueIndex: job.valueIndex,
          form: verdicts[i],
          model,
        };
      });
    });
    pairs.push(...results.flat());
    timings.doors12 = Date.now() - started2;
    timings.door1Requests = door1Requests;
    timings.door1BatchesAskedAgainFieldByField = door1Splits;
  });

  /** `POST /v2/tasks` for a template with these form values; every status is kept for the 5xx check. */
  async function postTask(environment: Environment, values: Json) {
    door1Requests++;
    const response = await backend.request('POST', '/api/scaffolder/v2/tasks', {
      templateRef: `template:default/${environment}-environment`,
      values,
    });
    // No task worker runs (see ./backend.ts): an accepted task just stays queued.
    statuses.push(response.status);
    return response;
  }

  /**
   * Door 1 for a batch of fields holding the same value: one request, split into one verdict per
   * field (batchVerdicts); when the answer cannot be split, one request per field.
   */
  async function formVerdicts(
    environment: Environment,
    batch: TextField[],
    value: unknown,
  ): Promise<FormVerdict[]> {
    let values = formValues(canonicalValues[environment]) as Json;
    for (const field of batch) values = withValue(values, field.path, value);
    const split = batchVerdicts(batch, await postTask(environment, values));
    if (split) return split;
    door1Splits++;
    return Promise.all(
      batch.map(async field =>
        formVerdict(
          field.field,
          await postTask(
            environment,
            withValue(
              formValues(canonicalValues[environment]),
              field.path,
              value,
            ),
          ),
        ),
      ),
    );
  }

  afterAll(async () => {
    await backend?.stop();
    if (workRoot) await rm(workRoot, { recursive: true, force: true });
    if (process.env.HOSTILE_CORPUS_SUMMARY) {
      await writeFile(
        process.env.HOSTILE_CORPUS_SUMMARY,
        JSON.stringify(summary(), null, 2),
      );
    }
  });

  function summary() {
    const accepted = pairs.filter(p => p.form.accepted && p.model.accepted);
    const stricter = pairs.filter(p => p.form.accepted && !p.model.accepted);
    const inertPairs = new Set<string>();
    for (const d of dryRuns) {
      if (d.case)
        for (const f of d.fields) inertPairs.add(`${d.valueIndex}|${f}`);
    }
    const acceptedPairs = new Set(
      accepted.map(p => `${p.valueIndex}|${p.field.field}`),
    );
    return {
      corpus: {
        values: hostileCorpus.length,
        families: [...new Set(hostileCorpus.map(v => v.family))].length,
      },
      fields: Object.fromEntries(
        ENVIRONMENTS.map(e => [e, fields[e].map(f => f.field)]),
      ),
      pairsTried: pairs.length,
      rejectedAtForm: pairs.filter(p => !p.form.accepted).length,
      rejectedAtFormWithoutNamingField: pairs
        .filter(p => !p.form.accepted && !p.form.namesField)
        .map(
          p =>
            `${p.environment} ${p.field.field} ${p.value.label.slice(0, 50)}: ${p.form.messages.join(' | ').slice(0, 160)}`,
        )
        .slice(0, 10),
      rejectedAtFormWithoutNamingFieldCount: pairs.filter(
        p => !p.form.accepted && !p.form.namesField,
      ).length,
      rejectedByActionModel: stricter.length,
      modelStricterReasons: Object.entries(
        stricter.reduce<Record<string, string[]>>((acc, p) => {
          const reason = stricterReason(p) ?? 'UNEXPLAINED';
          (acc[reason] ??= []).push(
            `${p.environment} ${p.field.field} ${p.value.label.slice(0, 60)}`,
          );
          return acc;
        }, {}),
      ).map(([reason, cases]) => ({
        reason,
        count: cases.length,
        examples: cases.slice(0, 6),
      })),
      acceptedByBoth: accepted.length,
      acceptedDistinctValueFieldPairs: acceptedPairs.size,
      acceptedByField: Object.entries(
        accepted.reduce<Record<string, number>>((acc, p) => {
          acc[`${p.environment}:${p.field.field}`] =
            (acc[`${p.environment}:${p.field.field}`] ?? 0) + 1;
          return acc;
        }, {}),
      ),
      dryRuns: dryRuns.length,
      dryRunsRendered: dryRuns.filter(d => d.case).length,
      dryRunsRefused: dryRuns
        .filter(d => !d.case)
        .map(
          d =>
            `${d.environment} [${d.fields.join(',')}] ${hostileCorpus[d.valueIndex].label.slice(0, 50)}: ${String(d.error).split('\n')[0].slice(0, 140)}`,
        ),
      valueFieldPairsRenderedInert: [...inertPairs].filter(k =>
        acceptedPairs.has(k),
      ).length,
      valuesRenderedInert: new Set(
        dryRuns.filter(d => d.case).map(d => d.valueIndex),
      ).size,
      valuesAcceptedSomewhere: new Set(accepted.map(p => p.valueIndex)).size,
      escapes: escapes.length,
      escapeDetails: escapes.slice(0, 20),
      emulationMismatches,
      prototypeOutcomes,
      timings,
    };
  }

  function stricterReason(p: Pair): string | undefined {
    const messages = p.model.problems.map(x => `${x.field} ${x.message}`);
    const reasons = p.model.problems.map(
      problem =>
        MODEL_STRICTER.find(r =>
          r.applies(p.field.field, problem.message, problem.field),
        )?.reason,
    );
    return messages.length > 0 && reasons.every(Boolean)
      ? [...new Set(reasons)].join('; ')
      : undefined;
  }

  it('tries at least 150 values from every family in every text field of every template', () => {
    expect(hostileCorpus.length).toBeGreaterThanOrEqual(150);
    expect(new Set(hostileCorpus.map(v => v.family)).size).toBe(22);
    for (const environment of ENVIRONMENTS) {
      const names = fields[environment].map(f => f.field);
      expect(names).toEqual(
        expect.arrayContaining([
          'name',
          'description',
          'owner',
          'zoneName',
          'devices[0].hostname',
          'devices[0].macAddresses[0]',
          'devices[0].aliases[0]',
          'devices[0].services[0].name',
          'devices[0].services[0].publicHostname',
          'repoUrl',
        ]),
      );
    }
    expect(pairs).toHaveLength(
      hostileCorpus.length *
        ENVIRONMENTS.reduce((n, e) => n + fields[e].length, 0),
    );
  });

  it('door 1: the form answers 400 naming the field, or 201', () => {
    const wrong = pairs
      .filter(
        p =>
          !(
            p.form.status === 201 ||
            (p.form.status === 400 &&
              (p.form.namesField ||
                (p.field.inDependency && p.form.viaDependency)))
          ),
      )
      .map(
        p =>
          `${p.environment} ${p.field.field} ${p.value.label}: ${p.form.status} ${p.form.messages.join(' | ').slice(0, 200)}`,
      );
    expect(wrong).toEqual([]);
  });

  it('door 1: a verdict split from a shared request is the answer to the field alone (first value of each family, each family in one template)', async () => {
    const families = [...new Set(hostileCorpus.map(v => v.family))];
    const sample = pairs.filter(
      p =>
        p.form.sharedWith !== undefined &&
        hostileCorpus.findIndex(v => v.family === p.value.family) ===
          p.valueIndex &&
        ENVIRONMENTS.indexOf(p.environment) ===
          families.indexOf(p.value.family) % ENVIRONMENTS.length,
    );
    expect(sample.length).toBeGreaterThan(families.length);
    const differ = (
      await mapLimit(sample, 6, async p => {
        const alone = formVerdict(
          p.field.field,
          await postTask(
            p.environment,
            withValue(
              formValues(canonicalValues[p.environment]),
              p.field.path,
              p.value.value,
            ),
          ),
        );
        const same =
          alone.status === p.form.status &&
          alone.namesField === p.form.namesField &&
          alone.viaDependency === p.form.viaDependency;
        return same
          ? []
          : [
              `${p.environment} ${p.field.field} ${p.value.label}: alone ${alone.status} ${alone.messages.join(' | ').slice(0, 120)}; shared with ${p.form.sharedWith!.join(',')} ${p.form.status} ${p.form.messages.join(' | ').slice(0, 120)}`,
            ];
      })
    ).flat();
    expect(differ).toEqual([]);
  });

  it('door 2: the model rejects naming the field, never accepts what the form rejects, and is stricter only for the listed reasons', () => {
    const unnamed = pairs
      .filter(
        p =>
          !p.model.accepted &&
          !p.model.namesField &&
          !stricterReason(p)?.includes('cross-field'),
      )
      .map(
        p =>
          `${p.environment} ${p.field.field} ${p.value.label}: ${JSON.stringify(p.model.problems).slice(0, 200)}`,
      );
    expect(unnamed).toEqual([]);

    const looser = pairs
      .filter(p => !p.form.accepted && p.model.accepted)
      .map(
        p =>
          `${p.environment} ${p.field.field} ${p.value.label}: the form said ${p.form.messages.join(' | ').slice(0, 200)}`,
      );
    expect(looser).toEqual([]);

    const unexplained = pairs
      .filter(
        p =>
          p.form.accepted &&
          !p.model.accepted &&
          stricterReason(p) === undefined,
      )
      .map(
        p =>
          `${p.environment} ${p.field.field} ${p.value.label}: ${JSON.stringify(p.model.problems).slice(0, 300)}`,
      );
    expect(unexplained).toEqual([]);
  });

  it('door 2: rejection messages never echo a rejected value', () => {
    // What the messages say anyway (rules, examples): a value found in there proves nothing.
    const boilerplate = new Map<string, string>();
    const said = (p: Pair) => {
      const key = `${p.environment} ${p.field.field}`;
      if (!boilerplate.has(key)) {
        const values = withValue(
          formValues(canonicalValues[p.environment]),
          p.field.path,
          '#sentinel#',
        );
        const messages = modelVerdict(
          p.field.field,
          renderStepInput(templates[p.environment], values),
        ).problems.map(x => x.message);
        boilerplate.set(
          key,
          `${JSON.stringify(rules)}\n${messages.join('\n')}`,
        );
      }
      return boilerplate.get(key)!;
    };
    const echoes = pairs
      .filter(
        p =>
          !p.model.accepted &&
          p.value.value.length >= 3 &&
          /[^a-z0-9.-]/.test(p.value.value),
      )
      .filter(
        p =>
          p.model.problems.some(x => x.message.includes(p.value.value)) &&
          !said(p).includes(p.value.value),
      )
      .map(p => `${p.environment} ${p.field.field} ${p.value.label}`);
    expect(echoes).toEqual([]);
    const controls = pairs.filter(p =>
      p.model.problems.some(x =>
        // eslint-disable-next-line no-control-regex -- finding control characters is the point
        /[\u0000-\u001f\u007f-\u009f]/.test(x.message),
      ),
    );
    expect(
      controls.map(p => `${p.environment} ${p.field.field} ${p.value.label}`),
    ).toEqual([]);
  });

  /** The twin of a form-values object: each hostile field replaced by a benign value. */
  function twinValues(
    environment: Environment,
    values: Json,
    hostileFields: TextField[],
    value: string,
  ): Json {
    let twin = values;
    const canonical = formValues(canonicalValues[environment]) as Json;
    for (const field of hostileFields) {
      let benign: unknown;
      if (value === '') {
        // An empty value leaves optional keys out: so must the twin.
        benign = '';
      } else if (field.field === 'repoUrl') {
        const url = repositoryUrl(value);
        const host = url?.startsWith('https://github.com/')
          ? 'github.com'
          : 'example.com';
        benign =
          url === undefined
            ? 'twin-not-a-repository'
            : `${host}?owner=twin&repo=twin`;
      } else {
        benign =
          field.path.reduce<any>((node, part) => node?.[part], canonical) ??
          BENIGN[field.field];
      }
      if (benign === undefined)
        throw new Error(`No benign twin value for ${field.field}`);
      twin = withValue(twin, field.path, benign);
    }
    return twin;
  }

  async function dryRun(
    environment: Environment,
    valueIndex: number,
    hostileFields: TextField[],
  ): Promise<DryRunOutcome> {
    const { value } = hostileCorpus[valueIndex];
    let values = formValues(canonicalValues[environment]) as Json;
    for (const field of hostileFields)
      values = withValue(values, field.path, value);
    const response = await backend.dryRun(templates[environment], values);
    const outcome: DryRunOutcome = {
      environment,
      valueIndex,
      fields: hostileFields.map(f => f.field),
      status: response.status,
      renderLog: [],
      otherLog: [],
      output: response.body?.output,
    };
    if (response.status !== 200) {
      outcome.error = String(
        response.body?.error?.message ?? JSON.stringify(response.body),
      );
      return outcome;
    }
    const input = renderStepInput(templates[environment], values);
    for (const line of response.body.log as {
      body: { message: string; stepId?: string; status?: string };
    }[]) {
      const { stepId, status, message } = line.body;
      if (!stepId || status) continue;
      const text = stripLevel(message);
      const inputs =
        /^Running ([\w:]+) in dry-run mode with inputs \(secrets redacted\): ([\s\S]*)$/.exec(
          text,
        );
      if (inputs) {
        if (
          inputs[1] === 'unifiCloudflare:environment:render' &&
          // The logged input is the step's own ({environment, values}); the emulation gives it
          // as the handler parses it, after the same merge.
          JSON.stringify(mergeFormValues(JSON.parse(inputs[2]))) !==
            JSON.stringify(input)
        ) {
          emulationMismatches.push(
            `${environment} ${hostileCorpus[valueIndex].label}: logged ${inputs[2].slice(0, 200)}`,
          );
        }
        continue;
      }
      if (stepId === 'render') outcome.renderLog.push(text);
      else if (/^Skipping /.test(text) === false) outcome.otherLog.push(text);
    }
    const parsed = modelVerdict(hostileFields[0].field, input);
    if (!parsed.result.success)
      throw new Error(
        `The dry-run rendered what the model rejects: ${JSON.stringify(parsed.problems)}`,
      );
    const local = await renderLocally(
      input,
      `template:default/${environment}-environment`,
      version,
    );
    const twinInput = renderStepInput(
      templates[environment],
      twinValues(environment, values, hostileFields, value),
    );
    // Twins repeat: every value put into the same fields has the same benign twin. The render
    // is a function of its input, so each distinct twin is rendered once.
    const twinKey = JSON.stringify([environment, twinInput]);
    if (!twins.has(twinKey))
      twins.set(
        twinKey,
        renderLocally(
          twinInput,
          `template:default/${environment}-environment`,
          version,
        ),
      );
    const twin = await twins.get(twinKey)!;
    outcome.case = {
      environment,
      fields: hostileFields.map(f => f.field),
      value,
      parameters: parsed.result.parameters,
      files: decodeFiles(response.body.directoryContents),
      executable: new Map(
        (
          response.body.directoryContents as {
            path: string;
            executable?: boolean;
          }[]
        ).map(f => [f.path, Boolean(f.executable)]),
      ),
      local,
      twin,
    };
    return outcome;
  }

  /**
   * The dry-runs door 3 needs: each accepted value at least once in the free-text fields and at
   * least once in an identifier field, per environment that accepts it there; as many accepting
   * fields of one environment as the model takes together share one dry-run.
   */
  function plan(): {
    environment: Environment;
    valueIndex: number;
    fields: TextField[];
  }[] {
    const planned: {
      environment: Environment;
      valueIndex: number;
      fields: TextField[];
    }[] = [];
    hostileCorpus.forEach((_, valueIndex) => {
      const accepted = pairs.filter(
        p => p.valueIndex === valueIndex && p.form.accepted && p.model.accepted,
      );
      if (accepted.length === 0) return;
      const freeTextEnvs = ENVIRONMENTS.filter(e =>
        accepted.some(
          p => p.environment === e && FREE_TEXT.includes(p.field.field),
        ),
      );
      const freeTextEnv =
        freeTextEnvs.length > 0
          ? freeTextEnvs[valueIndex % freeTextEnvs.length]
          : undefined;
      for (const environment of ENVIRONMENTS) {
        const here = accepted.filter(p => p.environment === environment);
        const identifiers = here
          .filter(p => !FREE_TEXT.includes(p.field.field))
          .sort((a, b) => rank(a.field.field) - rank(b.field.field));
        const chosen: TextField[] =
          environment === freeTextEnv
            ? here
                .filter(p => FREE_TEXT.includes(p.field.field))
                .map(p => p.field)
            : [];
        let values = formValues(canonicalValues[environment]) as Json;
        for (const f of chosen)
          values = withValue(values, f.path, hostileCorpus[valueIndex].value);
        for (const p of identifiers) {
          const next = withValue(
            values,
            p.field.path,
            hostileCorpus[valueIndex].value,
          );
          if (
            modelVerdict(
              p.field.field,
              renderStepInput(templates[environment], next),
            ).accepted
          ) {
            values = next;
            chosen.push(p.field);
          }
        }
        if (chosen.length > 0)
          planned.push({ environment, valueIndex, fields: chosen });
      }
    });
    return planned;
  }

  function rank(field: string): number {
    const index = IDENTIFIER_PREFERENCE.indexOf(field);
    return index < 0 ? IDENTIFIER_PREFERENCE.length : index;
  }

  it('door 3: every accepted value renders inert through the real dry-run', async () => {
    const started = Date.now();
    // Scripts, Makefiles and Markdown shell blocks run against the stand-ins, in batches of ten
    // workspaces on two lanes, wherever the hostile value reached them (where they equal the
    // twin's, running them proves nothing about the value; the static checks below prove them
    // byte-identical). They run in child processes while the dry-runs go on in this one.
    const driver = await prepareDriver(workRoot);
    const executed: { outcome: DryRunOutcome; dir: string }[] = [];
    const lanes = [Promise.resolve(), Promise.resolve()];
    const driverFailures: unknown[] = [];
    let pending: string[] = [];
    let launched = 0;
    const launch = () => {
      if (pending.length === 0) return;
      const dirs = pending;
      pending = [];
      const lane = launched++ % lanes.length;
      lanes[lane] = lanes[lane]
        .then(() => runDriver(driver, dirs))
        .catch(error => {
          driverFailures.push(error);
        });
    };
    const processLater = async (outcome: DryRunOutcome) => {
      if (!outcome.case || !executableTextDiffers(outcome.case)) return;
      const dir = path.join(workRoot, `w${executed.length}`);
      executed.push({ outcome, dir });
      await writeWorkspace(dir, outcome.case);
      pending.push(dir);
      if (pending.length === 10) launch();
    };
    const dryRunAndQueue = async (
      environment: Environment,
      valueIndex: number,
      hostileFields: TextField[],
    ) => {
      const outcome = await dryRun(environment, valueIndex, hostileFields);
      await processLater(outcome);
      return outcome;
    };

    const planned = plan();
    const outcomes = await mapLimit(planned, 4, p =>
      dryRunAndQueue(p.environment, p.valueIndex, p.fields),
    );
    // A production dry-run the secrets validator refuses is tried again in development for
    // its free-text part, so the value is still seen rendered.
    const retries = outcomes.flatMap(outcome => {
      if (outcome.case || outcome.environment !== 'production') return [];
      const freeText = fields.development.filter(
        f => outcome.fields.includes(f.field) && FREE_TEXT.includes(f.field),
      );
      return freeText.length > 0
        ? [{ valueIndex: outcome.valueIndex, freeText }]
        : [];
    });
    outcomes.push(
      ...(await mapLimit(retries, 4, r =>
        dryRunAndQueue('development', r.valueIndex, r.freeText),
      )),
    );
    dryRuns.push(...outcomes);
    timings.dryRuns = Date.now() - started;
    timings.twinRenders = twins.size;

    // Refusals at door 3 are allowed only from production's secrets-layout validator, which
    // checks every rendered file for plaintext secrets and foreign vals providers.
    const refused = outcomes.filter(o => !o.case);
    const unexpected = refused.filter(
      o =>
        !(
          o.environment === 'production' &&
          /^\S+:\d+ \[(?:plaintextSecrets|forbiddenProviders)\]/.test(
            o.error ?? '',
          )
        ),
    );
    expect(
      unexpected.map(
        o =>
          `${o.environment} [${o.fields}] ${hostileCorpus[o.valueIndex].label}: ${o.status} ${o.error?.slice(0, 300)}`,
      ),
    ).toEqual([]);

    const started2 = Date.now();
    const rendered = outcomes.filter(o => o.case);
    for (const o of rendered) {
      for (const e of staticEscapes(o.case!))
        escapes.push({
          ...e,
          value: hostileCorpus[o.valueIndex].label,
          environment: o.environment,
          fields: o.fields.join(','),
        });
    }
    launch();
    await Promise.all(lanes);
    if (driverFailures.length > 0) throw driverFailures[0];
    timings.processCheckedWorkspaces = executed.length;
    await Promise.all(
      executed.map(async ({ outcome: o, dir }) => {
        const moduleRef = `${UPSTREAM_MODULE}@${o.case!.parameters.glueVersion}`;
        for (const e of await processEscapes(dir, o.case!, moduleRef)) {
          escapes.push({
            ...e,
            value: hostileCorpus[o.valueIndex].label,
            environment: o.environment,
            fields: o.fields.join(','),
          });
        }
      }),
    );
    timings.staticAndRemainingProcessChecks = Date.now() - started2;

    // Our action logs one line, naming the environment and the (validated) name, nothing else.
    const badLogs = rendered.filter(
      o =>
        o.renderLog.length !== 1 ||
        o.renderLog[0] !==
          `Dry run: rendered the ${o.environment} kit (${o.case!.files.size} files) for ${o.case!.parameters.name}`,
    );
    expect(
      badLogs.map(
        o =>
          `${o.environment} ${hostileCorpus[o.valueIndex].label}: ${JSON.stringify(o.renderLog)}`,
      ),
    ).toEqual([]);

    expect(emulationMismatches).toEqual([]);
    expect(escapes).toEqual([]);
    expect(existsSync(CANARY)).toBe(false);
  });

  it('door 3 covered every value both doors accept, in a free-text and in an identifier field', () => {
    const renderedFields = new Map<number, Set<string>>();
    for (const d of dryRuns.filter(x => x.case)) {
      const set = renderedFields.get(d.valueIndex) ?? new Set<string>();
      d.fields.forEach(f => set.add(f));
      renderedFields.set(d.valueIndex, set);
    }
    const missing: string[] = [];
    hostileCorpus.forEach((v, i) => {
      const accepted = pairs.filter(
        p => p.valueIndex === i && p.form.accepted && p.model.accepted,
      );
      const seen = renderedFields.get(i) ?? new Set<string>();
      const refusedBySecretsCheck = dryRuns.some(
        d => d.valueIndex === i && !d.case,
      );
      if (
        accepted.some(p => FREE_TEXT.includes(p.field.field)) &&
        !FREE_TEXT.some(f => seen.has(f))
      )
        missing.push(`${v.label}: free text`);
      const identifiers = accepted.filter(
        p => !FREE_TEXT.includes(p.field.field),
      );
      if (
        identifiers.length > 0 &&
        !identifiers.some(p => seen.has(p.field.field)) &&
        !refusedBySecretsCheck
      )
        missing.push(`${v.label}: identifier`);
    });
    expect(missing).toEqual([]);
  });

  it('secret-shaped values: rejected by both doors, or never echoed by our actions', () => {
    const secrets = new Set(secretShaped.map(v => v.value));
    // Where both doors accept a secret-shaped value, door 3 must not echo it from our action.
    const leaks: string[] = [];
    for (const d of dryRuns) {
      const value = hostileCorpus[d.valueIndex].value;
      if (!secrets.has(value)) continue;
      if (d.renderLog.some(l => l.includes(value)))
        leaks.push(`${d.environment} render log echoes ${show(value)}`);
      if (d.otherLog.some(l => l.includes(value)))
        leaks.push(`${d.environment} a later step of ours logs ${show(value)}`);
      if (
        JSON.stringify(d.output ?? {}).includes(
          JSON.stringify(value).slice(1, -1),
        )
      )
        leaks.push(`${d.environment} dry-run output holds ${show(value)}`);
      if (d.error?.includes(value))
        leaks.push(`${d.environment} error message echoes ${show(value)}`);
    }
    for (const p of pairs.filter(
      x => secrets.has(x.value.value) && !x.model.accepted,
    )) {
      if (p.model.problems.some(x => x.message.includes(p.value.value)))
        leaks.push(
          `${p.environment} ${p.field.field} model message echoes ${p.value.label}`,
        );
    }
    expect(leaks).toEqual([]);
  });

  /** The object of the form values a test puts an undeclared key into, and the model's name for it. */
  function objectIn(
    values: Json,
    where: 'values' | 'device' | 'service',
  ): { target: Json; field: string } {
    const device = (values.devices as Json[])[0];
    if (where === 'device') return { target: device, field: 'devices[0]' };
    if (where === 'service')
      return {
        target: (device.services as Json[])[0],
        field: 'devices[0].services[0]',
      };
    return { target: values, field: '' };
  }

  it('keys __proto__ and constructor in the form values, a device or a service object: refused with 400, polluting nothing', async () => {
    const problems: string[] = [];
    for (const environment of ENVIRONMENTS) {
      for (const key of prototypeKeys) {
        for (const where of ['values', 'device', 'service'] as const) {
          const values = JSON.parse(
            JSON.stringify(formValues(canonicalValues[environment])),
          ) as Json;
          const { target, field } = objectIn(values, where);
          withOwnKey(target, key, pollutingValue);
          const label = `${environment} ${key} in ${where}`;

          const answer = await backend.request(
            'POST',
            '/api/scaffolder/v2/tasks',
            {
              templateRef: `template:default/${environment}-environment`,
              values,
            },
          );
          const model = modelVerdict(
            field,
            renderStepInput(templates[environment], values),
          );
          const response = await backend.dryRun(templates[environment], values);
          prototypeOutcomes.push(
            `${label}: form ${answer.status}, model ${model.accepted ? 'accepts' : 'rejects'}, dry-run ${response.status} ${String(
              response.body?.error?.message ?? '',
            )
              .split('\n')[0]
              .slice(0, 160)}`,
          );
          statuses.push(answer.status, response.status);

          // The templates declare every key they take (propertyNames): anything else is 400 at the form.
          if (answer.status !== 400)
            problems.push(`${label}: /v2/tasks answered ${answer.status}`);
          if (where !== 'values' && (model.accepted || !model.namesField))
            problems.push(
              `${label}: the model ${JSON.stringify(model.problems)}`,
            );
          if (response.status === 400) continue;
          // /v2/dry-run drops a top-level __proto__ before any check (upstream.test.ts): then the
          // files must be exactly the canonical render.
          if (
            response.status === 200 &&
            where === 'values' &&
            key === '__proto__'
          ) {
            const canonical = await renderLocally(
              renderStepInput(
                templates[environment],
                formValues(canonicalValues[environment]),
              ),
              `template:default/${environment}-environment`,
              version,
            );
            for (const [file, text] of decodeFiles(
              response.body.directoryContents,
            ))
              if (canonical.get(file) !== text)
                problems.push(
                  `${label}: ${file} differs from the canonical render`,
                );
            continue;
          }
          problems.push(
            `${label}: /v2/dry-run answered ${response.status} ${JSON.stringify(response.body?.error?.message)}`,
          );
        }
      }
    }
    expect(problems).toEqual([]);
    expect(({} as any).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('values nested 300 deep, unused or inside a device or a service: 400 from both /v2/tasks and /v2/dry-run', async () => {
    const problems: string[] = [];
    for (const environment of ENVIRONMENTS) {
      for (const as of ['array', 'object'] as const) {
        for (const where of ['values', 'device', 'service'] as const) {
          const values = JSON.parse(
            JSON.stringify(formValues(canonicalValues[environment])),
          ) as Json;
          const { target } = objectIn(values, where);
          target[where === 'values' ? 'unused' : 'extra'] = deeplyNested(
            300,
            as,
          );
          const answer = await backend.request(
            'POST',
            '/api/scaffolder/v2/tasks',
            {
              templateRef: `template:default/${environment}-environment`,
              values,
            },
          );
          const response = await backend.dryRun(templates[environment], values);
          statuses.push(answer.status, response.status);
          if (answer.status !== 400 || response.status !== 400)
            problems.push(
              `${environment} ${as} in ${where}: /v2/tasks ${answer.status}, /v2/dry-run ${response.status}`,
            );
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('values of the wrong type are refused by both doors, naming the field', async () => {
    const wrong: string[] = [];
    const environment = 'development';
    for (const field of fields[environment]) {
      for (const value of [7, true, null, ['x'], { a: 'b' }]) {
        const values = withValue(
          formValues(canonicalValues[environment]),
          field.path,
          value,
        );
        const answer = await backend.request(
          'POST',
          '/api/scaffolder/v2/tasks',
          {
            templateRef: `template:default/${environment}-environment`,
            values,
          },
        );
        statuses.push(answer.status);
        const form = formVerdict(field.field, answer);
        const model = modelVerdict(
          field.field,
          renderStepInput(templates[environment], values),
        );
        const formOk =
          form.status === 400 &&
          (form.namesField || (field.inDependency && form.viaDependency));
        if (!formOk || model.accepted || !model.namesField) {
          wrong.push(
            `${field.field} ${JSON.stringify(value)}: form ${form.status} ${form.messages.join('|').slice(0, 100)}, model ${JSON.stringify(model.problems).slice(0, 150)}`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no request of the suite was answered with a 5xx', () => {
    const all = [
      ...pairs.map(p => p.form.status),
      ...dryRuns.map(d => d.status),
      ...statuses,
    ];
    expect(all.length).toBeGreaterThan(pairs.length);
    expect(all.filter(status => status >= 500)).toEqual([]);
  });

  it('ran nothing and polluted nothing', () => {
    expect(existsSync(CANARY)).toBe(false);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});
