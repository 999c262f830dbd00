import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { secretReferences } from '../../secrets/references';
import {
  DaggerFunction,
  expectedDaggerCall,
  GLUE_FUNCTION_FLAGS,
  Scope,
  secretVariables,
  splitDaggerArgv,
} from './expectations';
import { run, RunResult, start, Started } from '../processes';
import { eventually } from '../waitUntil';
import { Rendered } from './renders';
import {
  dotEnvFor,
  envExampleKeys,
  SECRET_MARKER,
  StubCall,
  StubControl,
  Stubs,
  valsFake,
} from '../standIns/stubs';

/** What one command did, with the stub calls it made. */
export interface Outcome {
  result: RunResult;
  calls: StubCall[];
  dagger: StubCall[];
  vals: StubCall[];
  kcl: StubCall[];
}

export interface RunStubbedOptions {
  /** stdin (for confirmations). */
  input?: string;
  control?: StubControl;
  /** false: kcl is not on PATH. */
  kcl?: boolean;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
  /** Keep the stand-in module's remote state (S3 objects) from the previous command. */
  keepState?: boolean;
}

/**
 * Runs rendered scripts and Makefiles for real (bash, GNU make) against the stub programs.
 * One per test file; commands run one at a time because they share the stub log.
 */
export class StubbedRunner {
  private constructor(readonly stubs: Stubs) {}

  static async create(root: string): Promise<StubbedRunner> {
    return new StubbedRunner(await Stubs.create(path.join(root, 'stubs')));
  }

  /**
   * Writes the `.env` a developer would (development and staging): every variable of
   * `.env.example`, with values that break naive loaders.
   */
  async prepare(r: Rendered): Promise<void> {
    if (r.params.environment === 'production') return;
    const { text } = dotEnvFor(
      envExampleKeys(r.files.get('.env.example') ?? ''),
    );
    await writeFile(path.join(r.dir, '.env'), text, { mode: 0o600 });
  }

  /** The secret values dagger must receive, by variable. */
  expectedSecrets(r: Rendered): Record<string, string> {
    const names = secretVariables(r.params);
    if (r.params.environment === 'production') {
      const fields = new Map(
        secretReferences(r.params).map(ref => [ref.key, ref.field]),
      );
      return Object.fromEntries(names.map(n => [n, valsFake(fields.get(n)!)]));
    }
    const { values } = dotEnvFor(
      envExampleKeys(r.files.get('.env.example') ?? ''),
    );
    return Object.fromEntries(names.map(n => [n, values[n]]));
  }

  /** What a production user exports for vals: the service-account token, or the Connect server. */
  static vaultAccess(r: Rendered): Record<string, string> {
    if (r.params.environment !== 'production') return {};
    return r.params.secretsProvider === 'onepasswordconnect'
      ? {
          OP_CONNECT_HOST: 'https://connect.example.com',
          OP_CONNECT_TOKEN: `${SECRET_MARKER}-connect-token`,
        }
      : { OP_SERVICE_ACCOUNT_TOKEN: `ops_${SECRET_MARKER}-service-account` };
  }

  private async setUp(r: Rendered, options: RunStubbedOptions) {
    await this.stubs.reset(options.keepState);
    await this.stubs.control({
      ...options.control,
      expectSecrets: this.expectedSecrets(r),
    });
    return {
      cwd: r.dir,
      env: this.stubs.env(
        { ...StubbedRunner.vaultAccess(r), ...(options.env ?? {}) },
        { kcl: options.kcl },
      ),
      input: options.input,
      // A rendered script that hangs fails its test in seconds, not at jest's timeout.
      timeoutMs: 30_000,
    };
  }

  private async outcome(result: RunResult): Promise<Outcome> {
    const calls = await this.stubs.calls();
    return {
      result,
      calls,
      dagger: calls.filter(c => c.tool === 'dagger'),
      vals: calls.filter(c => c.tool === 'vals'),
      kcl: calls.filter(c => c.tool === 'kcl'),
    };
  }

  /** Runs `command args...` in the render's directory with the stubs first on PATH. */
  async run(
    r: Rendered,
    command: string,
    args: string[],
    options: RunStubbedOptions = {},
  ): Promise<Outcome> {
    const result = await run(command, args, await this.setUp(r, options));
    return this.outcome(result);
  }

  /** Runs `make <target>`. */
  make(
    r: Rendered,
    target: string,
    options: RunStubbedOptions = {},
  ): Promise<Outcome> {
    return this.run(r, 'make', [target], options);
  }

  /**
   * Runs `make <target>` with a dagger that sleeps, sends `signal` to the whole process group
   * (as Ctrl-C in a terminal does) once dagger is asleep, and returns the outcome with the
   * time from the signal to the end.
   */
  async interrupt(
    r: Rendered,
    target: string,
    signal: NodeJS.Signals,
  ): Promise<Outcome & { daggerStarted: boolean; afterSignalMs: number }> {
    const started = await this.start(r, 'make', [target], {
      control: { daggerSleep: 60 },
    });
    const daggerStarted = await eventually(() => this.stubs.daggerSleeping(), {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    const signalledAt = Date.now();
    process.kill(-started.pid, signal);
    const outcome = await started.finish();
    // make may exit before the recipe's shell has run its EXIT trap (it does not wait for a
    // child the same signal stopped): the outcome counts once every process of the group is gone.
    await eventually(() => processGroupGone(started.pid), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    return {
      ...outcome,
      daggerStarted,
      afterSignalMs: Date.now() - signalledAt,
    };
  }

  /**
   * Runs a command with a dagger that sleeps, reads the --backend-config-file of its first call
   * while it sleeps (the kits remove that file once dagger ends), then stops the command with
   * SIGTERM. `config` is the file parsed as YAML; undefined when dagger never started or got no
   * such file.
   */
  async backendConfigWhileDaggerRuns(
    r: Rendered,
    command: string,
    args: string[],
    options: RunStubbedOptions = {},
  ): Promise<{ outcome: Outcome; config?: Record<string, unknown> }> {
    const started = await this.start(r, command, args, {
      ...options,
      control: { ...options.control, daggerSleep: 60 },
    });
    let ended = false;
    const done = started.done.then(() => {
      ended = true;
    });
    await eventually(() => ended || this.stubs.daggerSleeping(), {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    let config: Record<string, unknown> | undefined;
    const dagger = (await this.stubs.calls()).find(c => c.tool === 'dagger');
    const file = dagger?.argv
      .find(a => a.startsWith('--backend-config-file='))
      ?.slice('--backend-config-file='.length);
    if (!ended && file !== undefined)
      config = parse(await readFile(path.resolve(r.dir, file), 'utf8'));
    if (!ended) {
      try {
        process.kill(-started.pid, 'SIGTERM');
      } catch {
        // it ended between the check and the signal
      }
    }
    await done;
    return { outcome: await started.finish(), config };
  }

  /** Starts a command without waiting (for interrupt tests); `finish` collects the outcome. */
  async start(
    r: Rendered,
    command: string,
    args: string[],
    options: RunStubbedOptions = {},
  ): Promise<Started & { finish: () => Promise<Outcome> }> {
    const started = start(command, args, await this.setUp(r, options));
    return { ...started, finish: async () => this.outcome(await started.done) };
  }
}

/**
 * The command a user types for `fn` over `scope`: development `./deploy.sh [--plan]
 * [--unifi-only|--cloudflare-only]` and `./destroy.sh --force [...]`; staging and production
 * `make <fn>` or `make <fn>-unifi` / `make <fn>-cloudflare`. With the destroy confirmation as
 * input.
 */
export function userCommand(
  r: Rendered,
  fn: DaggerFunction,
  scope: Scope = 'full',
): { command: string; args: string[]; input: string } {
  if (r.params.environment === 'development') {
    const only = scope === 'full' ? [] : [`--${scope}-only`];
    if (fn === 'destroy')
      return { command: './destroy.sh', args: ['--force', ...only], input: '' };
    return {
      command: './deploy.sh',
      args: [...(fn === 'plan' ? ['--plan'] : []), ...only],
      input: '',
    };
  }
  return {
    command: 'make',
    args: [scope === 'full' ? fn : `${fn}-${scope}`],
    input: fn === 'destroy' ? confirmation(r) : '',
  };
}

/** The `make destroy` / `./destroy.sh` confirmation text for an environment. */
export function confirmation(r: Rendered): string {
  return r.params.environment === 'production'
    ? `destroy ${r.params.name}\n`
    : `${r.params.name}\n`;
}

/**
 * Everything wrong with one recorded dagger call over `scope`, as readable lines (empty when
 * right): the exact argv (with exactly the scope's module flag), flags the module knows, no
 * secret in argv, the KCL source, the backend config, the rendered backend.yaml's mode while
 * dagger ran, and the secrets in its environment.
 */
export function daggerCallProblems(
  call: StubCall,
  r: Rendered,
  fn: DaggerFunction,
  scope: Scope = 'full',
): string[] {
  const p = r.params;
  const problems: string[] = [];
  const actual = splitDaggerArgv(call.argv);
  const expected = expectedDaggerCall(p, fn, scope);
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    problems.push(
      `argv is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
    );
  }
  for (const flag of actual.flags) {
    const name = /^--([a-z-]+)(=|$)/.exec(flag)?.[1];
    if (!name || !(GLUE_FUNCTION_FLAGS as readonly string[]).includes(name)) {
      problems.push(
        `${flag} is not a flag of ${fn} in unifi-cloudflare-glue v0.12.2`,
      );
    }
  }
  const argvText = JSON.stringify(call.argv);
  if (argvText.includes(SECRET_MARKER))
    problems.push('a secret value appears in argv');
  if (argvText.includes('ref+'))
    problems.push('a vals reference appears in argv');
  if (!call.kclSource?.kclMod || !call.kclSource?.mainK) {
    problems.push(
      `--kcl-source ${call.kclSource?.path} lacks kcl.mod or main.k (${JSON.stringify(call.kclSource)})`,
    );
  }
  if (call.outcome !== 'ok')
    problems.push(
      `the stand-in module answered ${call.outcome}: ${call.message}`,
    );
  if (p.environment === 'development') {
    if (call.backendConfigFile)
      problems.push('development passes a backend config file');
  } else if (!call.backendConfigFile?.exists) {
    problems.push(
      `the backend config file does not exist while dagger runs (${JSON.stringify(call.backendConfigFile)})`,
    );
  } else {
    // The S3 backend can authenticate only with keys in the file (no AWS_* reaches the module).
    if (call.backendConfigFile.mode !== '600')
      problems.push(
        `the backend config file's mode while dagger runs is ${call.backendConfigFile.mode}, expected 600`,
      );
    if (!call.backendConfigFile.credentials)
      problems.push(
        'the backend config file holds no access_key and secret_key',
      );
  }
  if (p.environment === 'production') {
    if (call.backendYaml?.mode !== '600')
      problems.push(
        `backend.yaml mode while dagger runs is ${call.backendYaml?.mode}, expected 600`,
      );
    if (call.backendYaml?.refs !== 0)
      problems.push(
        `backend.yaml still holds ${call.backendYaml?.refs} vals references while dagger runs`,
      );
  }
  // The scope's secrets must arrive; the other side's may be absent, but never altered.
  const needed = secretVariables(p, scope);
  for (const [name, state] of Object.entries(call.secrets ?? {})) {
    if (state === 'different' || (state === 'missing' && needed.includes(name)))
      problems.push(
        `${name} reached dagger ${state === 'missing' ? 'not at all' : 'with a different value'}`,
      );
  }
  const other =
    p.unifiAuth === 'apiKey'
      ? ['UNIFI_USERNAME', 'UNIFI_PASSWORD']
      : ['UNIFI_API_KEY'];
  for (const name of other) {
    if (call.env?.includes(name))
      problems.push(
        `${name} reaches dagger although the auth mode is ${p.unifiAuth}`,
      );
  }
  return problems;
}

/** `shellcheck -S style` on files (paths relative to `dir`), following `source` from `dir`. */
export function shellcheck(
  dir: string,
  files: string[],
  extra: string[] = [],
): Promise<RunResult> {
  return run(
    'shellcheck',
    ['-S', 'style', '-x', '-P', dir, '-f', 'gcc', ...extra, ...files],
    {
      cwd: dir,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' },
    },
  );
}

/** `bash -n` on each file, in one process; the result's stdout lists the files that fail, with bash's message. */
export function bashSyntaxAll(
  dir: string,
  files: string[],
): Promise<RunResult> {
  return run(
    'bash',
    [
      '-c',
      'for f; do bash -n "$f" 2>&1 || echo "^ $f"; done',
      'bash-n',
      ...files,
    ],
    {
      cwd: dir,
      env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
    },
  );
}

/** `bash -n`: parses a script without running it. */
export function bashSyntax(dir: string, file: string): Promise<RunResult> {
  return run('bash', ['-n', file], {
    cwd: dir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
}

/** The shell scripts of a render and the shell each is checked as. */
export function shellScripts(r: Rendered): { file: string; shell?: 'bash' }[] {
  return r.params.environment === 'development'
    ? [{ file: 'deploy.sh' }, { file: 'destroy.sh' }]
    : [{ file: 'scripts/load-env.sh', shell: 'bash' }];
}

/** Whether no process of the group `pgid` is left (signal 0 probes without sending anything). */
function processGroupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
