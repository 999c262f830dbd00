import { makefileSecrets, shellUnits } from './makefileSecrets';
import {
  CANONICAL_LAYOUT,
  renderProductionFiles,
  replaceOnce,
  tamperedInput,
} from '../../__testUtils__/secretsLayout';
import { inputFromFiles } from '../validationInput';

const check = (makefile: string) =>
  makefileSecrets(inputFromFiles({ Makefile: makefile }, CANONICAL_LAYOUT));
const shown = (vs: { line: number; message: string }[]) =>
  vs
    .map(v => `${v.line} ${v.message}`)
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10));

const WORLD_READABLE =
  'backend.yaml is written with the default umask, so the rendered secrets are readable by other users (usually mode 644)';
const NO_TRAP =
  'backend.yaml is written without a trap that removes it when the shell exits, so a failed or interrupted run leaves the rendered secrets on disk';
const RM_ON_SUCCESS =
  'this rm -f backend.yaml runs only if the recipe gets that far: a failed command or an interrupt before it leaves the rendered secrets on disk';

describe('shellUnits', () => {
  it('splits recipes into the shells make starts: continuation lines, define bodies and .ONESHELL', () => {
    const units = shellUnits(
      [
        'X := 1',
        'define body',
        'a; \\',
        'b',
        'c',
        'endef',
        'all: dep ; inline',
        '\tone \\',
        '\t  two',
        '\tthree',
        'Y = 2',
        '\tnot-a-recipe',
      ].join('\n'),
    );
    expect(
      units.map(
        u => `${u.kind}:${u.owner}:${u.lines.map(l => l.line).join(',')}`,
      ),
    ).toEqual([
      'define:body:3,4',
      'define:body:5',
      'recipe:all:7',
      'recipe:all:8,9',
      'recipe:all:10',
    ]);
    const one = shellUnits(['.ONESHELL:', 'all:', '\tone', '\ttwo'].join('\n'));
    expect(one.map(u => u.lines.length)).toEqual([2]);
  });
});

describe('makefileSecrets', () => {
  it('accepts the rendered production Makefile', async () => {
    expect(
      await makefileSecrets(
        inputFromFiles(await renderProductionFiles(), CANONICAL_LAYOUT),
      ),
    ).toEqual([]);
  });

  it('reports the upstream example: world-readable, removed only after success, plan || true (defects 4, 5, 9)', async () => {
    const found = await check(
      [
        'deploy:',
        '\tvals eval -f backend.yaml.tmpl > backend.yaml',
        '\tdagger call deploy --backend-config-file=./backend.yaml',
        '\trm -f backend.yaml',
        'plan:',
        '\tvals eval -f backend.yaml.tmpl > backend.yaml && dagger call plan || true; rm -f backend.yaml',
      ].join('\n'),
    );
    expect(
      found.every(v => v.file === 'Makefile' && v.rule === 'makefileSecrets'),
    ).toBe(true);
    expect(shown(found)).toEqual([
      `2 ${WORLD_READABLE}`,
      `2 ${NO_TRAP}`,
      `4 ${RM_ON_SUCCESS}`,
      `6 ${WORLD_READABLE}`,
      `6 ${NO_TRAP}`,
      `6 ${RM_ON_SUCCESS}`,
      '6 "|| true" makes a failed plan look like success',
    ]);
  });

  it('reports a trap set in another recipe line, which runs in another shell', async () => {
    const found = await check(
      [
        'deploy:',
        "\ttrap 'rm -f backend.yaml' EXIT",
        '\tumask 077; vals eval -f t > backend.yaml; dagger call deploy',
      ].join('\n'),
    );
    expect(shown(found)).toEqual([`3 ${NO_TRAP}`]);
  });

  it('reports chmod 600 after the write, and accepts install -m 600 or chmod before it', async () => {
    const after = await check(
      [
        'deploy:',
        "\ttrap 'rm -f backend.yaml' EXIT; vals eval -f t > backend.yaml; chmod 600 backend.yaml; dagger call",
      ].join('\n'),
    );
    expect(shown(after)).toEqual([`2 ${WORLD_READABLE}`]);
    expect(
      await check(
        [
          'deploy:',
          "\ttrap 'rm -f backend.yaml' EXIT; install -m 600 /dev/null backend.yaml; vals eval -f t > backend.yaml",
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await check(
        [
          'deploy:',
          '\ttrap "rm -f ./backend.yaml" 0; touch backend.yaml && chmod 600 backend.yaml && vals eval -f t >> backend.yaml',
        ].join('\n'),
      ),
    ).toEqual([]);
  });

  it('follows continuation lines and define bodies, reporting the physical line', async () => {
    const found = await check(
      [
        'define render',
        '@echo start; \\',
        'vals eval -f t \\',
        '  > backend.yaml; \\',
        'dagger call plan',
        'endef',
        'plan:',
        '\t$(call render)',
      ].join('\n'),
    );
    expect(shown(found)).toEqual([`4 ${WORLD_READABLE}`, `4 ${NO_TRAP}`]);
  });

  it('reports "|| true" in a define that plan calls and a "-" prefix on a plan recipe', async () => {
    const found = await check(
      [
        'define run',
        "@trap 'rm -f backend.yaml' EXIT; (umask 077 && vals eval -f t > backend.yaml); dagger call $(1) || true",
        'endef',
        'plan:',
        '\t-$(call run,plan)',
      ].join('\n'),
    );
    expect(shown(found)).toEqual([
      '2 "|| true" makes a failed plan look like success',
      '5 the "-" prefix makes make ignore a failed plan',
    ]);
  });

  it('reports the rendered Makefile when its umask or trap is removed', async () => {
    // The line that renders backend.yaml, wherever the kit has it.
    let line = 0;
    const noUmask = await tamperedInput(f => {
      line =
        f.Makefile.split('\n').findIndex(l =>
          l.includes('( umask 077 && vals eval'),
        ) + 1;
      return {
        Makefile: replaceOnce(
          f.Makefile,
          '( umask 077 && vals eval',
          '( vals eval',
        ),
      };
    });
    expect(line).toBeGreaterThan(0);
    expect(shown(await makefileSecrets(noUmask))).toEqual([
      `${line} ${WORLD_READABLE}`,
    ]);
    const noTrap = await tamperedInput(f => ({
      Makefile: replaceOnce(f.Makefile, "trap 'rm -f backend.yaml' EXIT; ", ''),
    }));
    expect(shown(await makefileSecrets(noTrap))).toEqual([
      `${line} ${NO_TRAP}`,
    ]);
  });

  it('reports a Makefile that uses backend.yaml without rendering it, and a missing Makefile', async () => {
    expect(
      shown(
        await check(
          'deploy:\n\tdagger call deploy --backend-config-file=./backend.yaml\n',
        ),
      ),
    ).toEqual([
      '0 the Makefile uses backend.yaml but never renders it in a form this check recognises (vals eval ... > backend.yaml)',
    ]);
    expect(await makefileSecrets(inputFromFiles({}, CANONICAL_LAYOUT))).toEqual(
      [expect.objectContaining({ file: 'Makefile', line: 0 })],
    );
  });
});
