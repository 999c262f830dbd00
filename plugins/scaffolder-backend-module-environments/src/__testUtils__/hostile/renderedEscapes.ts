/**
 * Door 3: is a rendered workspace inert? Checks on the files a real dry-run returns, against
 * the kit manifest, a "twin" render of the same input with a benign value in the hostile
 * field, the YAML and Markdown parsers, and bash and GNU make run against the stand-ins of
 * ../standIns (the faithful dagger, vals, kcl, aws and op every suite uses).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { isAlias, isNode, isScalar, parseDocument, visit } from 'yaml';
import { buildContext } from '../../kits/context';
import { kitManifest } from '../../kits/manifest';
import {
  Environment,
  EnvironmentParameters,
  parseParameters,
} from '../../parameters/model';
import { loadTestKits } from '../kits';
import { PACKAGE_DIR } from '../paths';
import { runOrFail } from '../processes';
import { renderToDirectory } from '../renderToDirectory';
import {
  dotEnvFor,
  envExampleKeys,
  readCalls,
  SECRET_MARKER,
  shellQuote,
  StubCall,
  Stubs,
} from '../standIns/stubs';

type Json = Record<string, any>;

/** One finding of door 3: a value that was not rendered inert. */
export interface Escape {
  file: string;
  check: string;
  detail: string;
}

/** The package version: the kit version the module writes into every file. */
export async function kitVersion(): Promise<string> {
  return JSON.parse(
    await readFile(path.join(PACKAGE_DIR, 'package.json'), 'utf8'),
  ).version;
}

/** Renders a kit in-process, as the action does, for comparison with the real dry-run. */
export async function renderLocally(
  input: Json,
  templateName: string,
  version: string,
): Promise<Map<string, string>> {
  const parsed = parseParameters(input);
  if (!parsed.success)
    throw new Error(`renderLocally: ${JSON.stringify(parsed.problems)}`);
  const kits = await loadTestKits();
  const files = kits.render(
    parsed.parameters.environment,
    buildContext(parsed.parameters, { name: templateName, version }),
  );
  return new Map(files.map(f => [f.path, f.content]));
}

const YAML_FILE = /\.(?:ya?ml)(?:\.tmpl)?$/;

/** Every key path of a parsed YAML document (`metadata.annotations.x`, `values.services.0.name`). */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value))
    return value.flatMap((v, i) => [
      `${prefix}${i}`,
      ...keyPaths(v, `${prefix}${i}.`),
    ]);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      `${prefix}${k}`,
      ...keyPaths(v, `${prefix}${k}.`),
    ]);
  }
  return [];
}

/**
 * Parses YAML strictly; returns the value and anything suspicious about the document. YAML 1.2
 * is what the catalog reads; 1.1 (where `no`, `on`, `0o17`-like and sexagesimal values are not
 * strings) is what PyYAML-based tools such as MkDocs read: a value must survive both.
 */
export function strictYaml(
  text: string,
  version: '1.1' | '1.2' = '1.2',
): { value: unknown; problems: string[] } {
  const doc = parseDocument(text, {
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    version,
  });
  const problems = [...doc.errors, ...doc.warnings].map(e => e.message);
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) problems.push(`alias *${node.source}`);
      if (isNode(node) && node.anchor) problems.push(`anchor &${node.anchor}`);
      if (isNode(node) && node.tag) problems.push(`tag ${node.tag}`);
      if (
        isScalar(node) &&
        node.type === 'QUOTE_DOUBLE' &&
        typeof node.value !== 'string'
      )
        problems.push('a quoted scalar that is not a string');
    },
  });
  return { value: doc.toJS({ maxAliasCount: 0 }), problems };
}

// GFM as markdown-it knows it: tables, strikethrough and linkify (autolinks of www., http://, emails,
// and bare domains), so a value that became a link shows as link tokens the twin does not have.
const markdown = new MarkdownIt('commonmark', { linkify: true }).enable([
  'table',
  'strikethrough',
  'linkify',
]);

/** Block token types, and the non-text inline token types, of a Markdown document. */
function markdownShape(text: string): {
  blocks: string[];
  inline: string[];
  texts: string[];
} {
  const tokens = markdown.parse(text, {});
  const inline = tokens.filter(t => t.type === 'inline');
  return {
    blocks: tokens.map(t => t.type),
    inline: inline.flatMap(t =>
      (t.children ?? []).map(c => c.type).filter(type => type !== 'text'),
    ),
    texts: inline
      .filter(t => (t.children ?? []).every(c => c.type === 'text'))
      .map(t => (t.children ?? []).map(c => c.content).join('')),
  };
}

/** Reads a nested value by `a.b.0.c`. */
function at(value: unknown, dotted: string): unknown {
  return dotted
    .split('.')
    .reduce<any>(
      (node, part) =>
        node === undefined || node === null ? undefined : node[part],
      value,
    );
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** What door 3 knows about one dry-run. */
export interface InertCase {
  environment: Environment;
  /** The fields holding the hostile value, `description` or `services[0].name`. */
  fields: string[];
  value: string;
  /** The parameters the model produced from the render step's input (normalised, defaults). */
  parameters: EnvironmentParameters;
  /** Files of the real dry-run. */
  files: Map<string, string>;
  executable: Map<string, boolean>;
  /** The same input rendered locally. */
  local: Map<string, string>;
  /** The twin: the same input with a benign value in the hostile field, rendered locally. */
  twin: Map<string, string>;
}

/** The answers-file path of a form field: `description`, `services.0.name`. */
function answersPath(field: string): string {
  return `values.${field.replace(/\[(\d+)\]/g, '.$1')}`;
}

/** The static checks of door 3 (no processes run): file list, YAML, Markdown, templates. */
export function staticEscapes(c: InertCase): Escape[] {
  const escapes: Escape[] = [];
  const fail = (file: string, check: string, detail: string) =>
    escapes.push({ file, check, detail });

  const expected = kitManifest[c.environment];
  const paths = [...c.files.keys()].sort();
  const expectedPaths = expected.map(f => f.path).sort();
  if (JSON.stringify(paths) !== JSON.stringify(expectedPaths)) {
    fail(
      '(workspace)',
      'file list',
      `got ${JSON.stringify(paths)}, the kit lists ${JSON.stringify(expectedPaths)}`,
    );
  }
  for (const p of paths) {
    if (
      path.posix.isAbsolute(p) ||
      path.posix.normalize(p) !== p ||
      p.split('/').includes('..')
    ) {
      fail(p, 'path', 'not a normalised relative path inside the workspace');
    }
  }
  for (const f of expected) {
    if (
      c.files.has(f.path) &&
      Boolean(c.executable.get(f.path)) !== (f.mode === 0o755)
    ) {
      fail(
        f.path,
        'mode',
        `executable=${c.executable.get(f.path)}, the kit says ${f.mode.toString(8)}`,
      );
    }
  }

  for (const [file, text] of c.files) {
    const local = c.local.get(file);
    if (local !== text)
      fail(
        file,
        'same bytes as an in-process render',
        'the scaffolder path changed the file (double rendering?)',
      );
    const twin = c.twin.get(file) ?? '';
    for (const evaluated of ['49', '\u0000']) {
      if (
        count(text, evaluated) !== count(twin, evaluated) &&
        !c.value.includes(evaluated)
      ) {
        fail(
          file,
          'template evaluation',
          `${JSON.stringify(evaluated)} appears ${count(text, evaluated)} times, ${count(twin, evaluated)} in the twin`,
        );
      }
    }

    if (YAML_FILE.test(file)) {
      for (const version of ['1.2', '1.1'] as const) {
        const parsed = strictYaml(text, version);
        const twinParsed = strictYaml(twin, version);
        if (parsed.problems.length > 0)
          fail(file, 'YAML', `YAML ${version}: ${parsed.problems.join('; ')}`);
        const keys = keyPaths(parsed.value).sort();
        const twinKeys = keyPaths(twinParsed.value).sort();
        if (JSON.stringify(keys) !== JSON.stringify(twinKeys)) {
          const extra = keys.filter(k => !twinKeys.includes(k));
          const missing = twinKeys.filter(k => !keys.includes(k));
          fail(
            file,
            'YAML structure',
            `YAML ${version}: keys added ${JSON.stringify(extra)}, removed ${JSON.stringify(missing)}`,
          );
        }
      }
    }
    if (file.endsWith('.md')) {
      const shape = markdownShape(text);
      const twinShape = markdownShape(twin);
      if (JSON.stringify(shape.blocks) !== JSON.stringify(twinShape.blocks))
        fail(
          file,
          'Markdown blocks',
          'the block structure differs from the twin',
        );
      if (JSON.stringify(shape.inline) !== JSON.stringify(twinShape.inline)) {
        fail(
          file,
          'Markdown inline',
          `inline markup differs from the twin: ${JSON.stringify(shape.inline.filter((t, i) => twinShape.inline[i] !== t).slice(0, 5))}`,
        );
      }
      if (
        c.fields.includes('description') &&
        c.value !== '' &&
        (file === 'README.md' || file === 'docs/index.md') &&
        !shape.texts.includes(c.value)
      ) {
        fail(
          file,
          'Markdown text',
          'no paragraph reads back as exactly the description',
        );
      }
    }
  }

  const answers = c.files.get('.environment-answers.yaml');
  for (const version of ['1.2', '1.1'] as const) {
    if (answers !== undefined) {
      const parsedAnswers = strictYaml(answers, version).value;
      for (const field of c.fields) {
        const expectedValue = at(
          c.parameters,
          field.replace(/\[(\d+)\]/g, '.$1'),
        );
        const got = at(parsedAnswers, answersPath(field));
        if (
          expectedValue !== undefined &&
          expectedValue !== '' &&
          got !== expectedValue
        ) {
          fail(
            '.environment-answers.yaml',
            'YAML round trip',
            `YAML ${version}: ${answersPath(field)} reads back ${JSON.stringify(got)?.slice(0, 80)}`,
          );
        }
      }
    }
    const catalog = c.files.get('catalog-info.yaml');
    if (catalog === undefined) continue;
    const entity: any = strictYaml(catalog, version).value;
    const expectations: [string, unknown][] = [
      ['metadata.name', c.parameters.name],
      ['spec.owner', c.parameters.owner],
      [
        'metadata.annotations.unifi-cloudflare-glue.io/zone',
        c.parameters.zoneName,
      ],
    ];
    if (c.parameters.description)
      expectations.push(['metadata.description', c.parameters.description]);
    if (c.parameters.system)
      expectations.push(['spec.system', c.parameters.system]);
    for (const [key, want] of expectations) {
      const got = key.startsWith('metadata.annotations.')
        ? entity?.metadata?.annotations?.[
            key.slice('metadata.annotations.'.length)
          ]
        : at(entity, key);
      if (got !== want)
        fail(
          'catalog-info.yaml',
          'YAML round trip',
          `YAML ${version}: ${key} reads back ${JSON.stringify(got)?.slice(0, 80)}`,
        );
    }
  }
  return escapes;
}

const DRIVER = `#!/usr/bin/env bash
# Runs the rendered scripts, Makefiles and README/SECRETS shell blocks of each workspace against
# the stand-ins of src/__testUtils__/standIns (one set per workspace, in <workspace>/.check/stubs).
# Results go to <workspace>/.check (not part of the rendered kit): NAME.rc, NAME.out and NAME.jsonl,
# the stand-ins' call log of that step, moved aside after it.
set -u
for dir in "$@"; do
  out=$dir/.check
  env=$(< "$out/environment")
  (
    cd "$dir" || exit 1
    # PATH (stand-ins first), HOME and the 1Password access, as Stubs.env gives them.
    # shellcheck source=/dev/null
    source "$out/env"
    log=$out/stubs/calls.jsonl
    step() { # step NAME STDIN COMMAND...
      local name=$1 input=$2
      shift 2
      "$@" < "$input" > "$out/$name.out" 2>&1
      echo $? > "$out/$name.rc"
      mv "$log" "$out/$name.jsonl"
      : > "$log"
    }
    case $env in
      development)
        step deploy.syntax /dev/null bash -n deploy.sh
        step destroy.syntax /dev/null bash -n destroy.sh
        step deploy /dev/null ./deploy.sh
        step plan /dev/null ./deploy.sh --plan
        step destroy "$out/confirm" ./destroy.sh
        step refuse "$out/wrong" ./destroy.sh
        ;;
      *)
        step make.dry /dev/null make -n deploy
        step deploy /dev/null make deploy
        step destroy "$out/confirm" make destroy
        step refuse "$out/wrong" make destroy
        ;;
    esac
    for block in "$out"/block-*.sh; do
      [[ -e $block ]] || continue
      name=\${block##*/}
      step "\${name%.sh}.syntax" /dev/null bash -n "$block"
      step "\${name%.sh}" /dev/null bash "$block"
    done
  )
done
`;

/** The driver script that runs the process checks over a batch of workspaces. */
export async function prepareDriver(root: string): Promise<string> {
  const driver = path.join(root, 'check.sh');
  await writeFile(driver, DRIVER, { mode: 0o755 });
  return driver;
}

/** Fenced shell blocks of a Markdown file whose commands call a tool we stub (aws, op). */
function shellBlocks(text: string): string[] {
  return markdown
    .parse(text, {})
    .filter(t => t.type === 'fence' && t.info.trim() === 'bash')
    .map(t => t.content)
    .filter(
      content =>
        /^\s*(?:aws|op) /m.test(content) &&
        !/^\s*(?:\.\/|make |cp )/m.test(content),
    );
}

const EXECUTED_FILES = [
  'deploy.sh',
  'destroy.sh',
  'Makefile',
  'scripts/load-env.sh',
];

/**
 * True when anything the process checks run (scripts, the Makefile, the shell blocks of
 * README.md and SECRETS.md) differs from the twin's: only then did the hostile value reach it.
 */
export function executableTextDiffers(c: InertCase): boolean {
  const executed = (files: Map<string, string>) =>
    JSON.stringify([
      ...EXECUTED_FILES.map(f => files.get(f) ?? ''),
      ...['README.md', 'SECRETS.md'].flatMap(f =>
        markdown
          .parse(files.get(f) ?? '', {})
          .filter(t => t.type === 'fence')
          .map(t => t.content),
      ),
    ]);
  return executed(c.files) !== executed(c.twin);
}

/**
 * Writes a dry-run's files, with their modes, and the inputs of the process checks: a set of
 * stand-ins, the environment a user would have (stand-ins first on PATH; AWS keys in the shared
 * credentials file for the README's aws commands; 1Password access for vals and op; the `.env`
 * of development and staging, every variable of `.env.example` with loader-breaking fake values),
 * the destroy confirmations and the Markdown shell blocks.
 */
export async function writeWorkspace(dir: string, c: InertCase): Promise<void> {
  await renderToDirectory(dir, c.files, file =>
    c.executable.get(file) ? 0o755 : 0o644,
  );
  const out = path.join(dir, '.check');
  await mkdir(out, { recursive: true });
  const stubs = await Stubs.create(path.join(out, 'stubs'));
  await mkdir(path.join(stubs.homeDir, '.aws'));
  await writeFile(
    path.join(stubs.homeDir, '.aws', 'credentials'),
    `[default]\naws_access_key_id = AKIA${SECRET_MARKER}0002\naws_secret_access_key = ${SECRET_MARKER}-aws\n`,
    { mode: 0o600 },
  );
  const env = stubs.env({
    OP_SERVICE_ACCOUNT_TOKEN: `ops_${SECRET_MARKER}-service-account`,
    OP_CONNECT_HOST: 'http://127.0.0.1:9',
    OP_CONNECT_TOKEN: `${SECRET_MARKER}-connect-token`,
  });
  await writeFile(
    path.join(out, 'env'),
    Object.entries(env)
      .map(([key, value]) => `export ${key}=${shellQuote(value ?? '')}\n`)
      .join(''),
  );
  if (c.environment !== 'production') {
    const { text } = dotEnvFor(
      envExampleKeys(c.files.get('.env.example') ?? ''),
    );
    await writeFile(path.join(dir, '.env'), text, { mode: 0o600 });
  }
  const confirm =
    c.environment === 'production'
      ? `destroy ${c.parameters.name}`
      : c.parameters.name;
  await writeFile(path.join(out, 'environment'), c.environment);
  await writeFile(path.join(out, 'confirm'), `${confirm}\n`);
  await writeFile(path.join(out, 'wrong'), `${confirm}x\n`);
  let n = 0;
  for (const file of ['README.md', 'SECRETS.md']) {
    for (const block of shellBlocks(c.files.get(file) ?? '')) {
      await writeFile(path.join(out, `block-${n++}.sh`), block);
    }
  }
}

/** Runs the driver over a batch of workspaces, with nothing of the test runner's environment. */
export async function runDriver(driver: string, dirs: string[]): Promise<void> {
  await runOrFail('the process-check driver', driver, dirs, {
    cwd: path.dirname(driver),
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    timeoutMs: 120_000,
  });
}

async function readOr(file: string, fallback: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** The stand-ins' calls during one step (the log the driver moved aside after it). */
async function calls(out: string, step: string): Promise<StubCall[]> {
  const file = path.join(out, `${step}.jsonl`);
  return existsSync(file) ? readCalls(file) : [];
}

/** The expected arguments that the recorded argv does not hold verbatim. */
function missingFrom(argv: string[], expected: string[]): string[] {
  return expected.filter(e => !argv.includes(e));
}

/** Reads the results of the process checks for one workspace. */
export async function processEscapes(
  dir: string,
  c: InertCase,
  moduleRef: string,
): Promise<Escape[]> {
  const out = path.join(dir, '.check');
  const escapes: Escape[] = [];
  const fail = (file: string, check: string, detail: string) =>
    escapes.push({ file, check, detail });
  const rc = async (step: string) =>
    (await readOr(path.join(out, `${step}.rc`), 'missing')).trim();
  const output = async (step: string) =>
    (await readOr(path.join(out, `${step}.out`), '')).slice(0, 400);
  const p = c.parameters;
  const literal = [
    '-m',
    moduleRef,
    `--unifi-url=https://${p.unifiHost}:${p.unifiPort}`,
    `--cloudflare-account-id=${p.cloudflareAccountId}`,
    `--zone-name=${p.zoneName}`,
  ];
  const script =
    c.environment === 'development'
      ? { deploy: 'deploy.sh', destroy: 'destroy.sh' }
      : { deploy: 'Makefile', destroy: 'Makefile' };

  // Development's destroy.sh calls nothing: its state is ephemeral, so it lists what to delete by
  // hand and exits with status 3 (kits/development/destroy.sh.njk). The twin tells which contract
  // the kit has; the hostile value must not change it.
  const destroyCallsDagger =
    c.environment !== 'development' ||
    /^\s*(?:run_glue\s+)?dagger\b/m.test(c.twin.get('destroy.sh') ?? '');
  const steps =
    c.environment === 'development'
      ? ['deploy.syntax', 'destroy.syntax', 'deploy', 'plan', 'destroy']
      : ['make.dry', 'deploy', 'destroy'];
  for (const step of steps) {
    const want = step === 'destroy' && !destroyCallsDagger ? '3' : '0';
    if ((await rc(step)) !== want)
      fail(
        step.startsWith('destroy') ? script.destroy : script.deploy,
        step,
        `exit ${await rc(step)} (expected ${want}): ${await output(step)}`,
      );
  }
  if ((await rc('refuse')) === '0')
    fail(
      script.destroy,
      'destroy confirmation',
      'a wrong confirmation was accepted',
    );
  if ((await calls(out, 'refuse')).some(call => call.tool === 'dagger'))
    fail(
      script.destroy,
      'destroy confirmation',
      'dagger ran after a wrong confirmation',
    );
  if (
    !destroyCallsDagger &&
    (await calls(out, 'destroy')).some(call => call.tool === 'dagger')
  )
    fail(
      script.destroy,
      'destroy argv',
      'dagger ran, but this destroy.sh calls nothing',
    );

  for (const [step, verb] of destroyCallsDagger
    ? ([
        ['deploy', 'deploy'],
        ['destroy', 'destroy'],
      ] as const)
    : ([['deploy', 'deploy']] as const)) {
    const dagger = (await calls(out, step)).filter(
      call => call.tool === 'dagger',
    );
    if (dagger.length !== 1) {
      fail(script[step], `${step} argv`, `dagger ran ${dagger.length} times`);
      continue;
    }
    const missing = missingFrom(dagger[0].argv, [...literal, verb]);
    if (missing.length > 0)
      fail(
        script[step],
        `${step} argv`,
        `missing ${JSON.stringify(missing)} in ${JSON.stringify(dagger[0].argv).slice(0, 400)}`,
      );
    // The stand-in module took the call as the real one would (no refused flag, no ✗ Failed).
    if (dagger[0].outcome !== 'ok')
      fail(
        script[step],
        `${step} module`,
        `the stand-in module answered ${dagger[0].outcome}: ${dagger[0].message}`,
      );
  }

  let n = 0;
  for (;;) {
    const name = `block-${n++}`;
    if ((await readOr(path.join(out, `${name}.sh`), '')) === '') break;
    for (const step of [`${name}.syntax`, name]) {
      if ((await rc(step)) !== '0')
        fail(
          `${name} (Markdown shell block)`,
          step,
          `exit ${await rc(step)}: ${await output(step)}`,
        );
    }
    for (const call of await calls(out, name)) {
      const wantByTool: Partial<Record<StubCall['tool'], string[]>> = {
        aws: ['--bucket', p.stateBucket!],
        op: ['--vault', p.vault!],
      };
      const missing = missingFrom(call.argv, wantByTool[call.tool] ?? []);
      if (missing.length > 0)
        fail(
          `${name} (Markdown shell block)`,
          `${call.tool} argv`,
          `missing ${JSON.stringify(missing)}`,
        );
    }
  }
  return escapes;
}
