import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { link, lstat, mkdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { validate } from 'jsonschema';
import { parse } from 'yaml';
import { kitManifest } from '../../kits/manifest';
import { canonicalValues } from '../../__testUtils__/values';
import { loadTestKits } from '../../__testUtils__/kits';
import { createRenderEnvironmentAction } from './renderEnvironment';

describe('unifiCloudflare:environment:render', () => {
  const workspace = createMockDirectory();
  beforeEach(() => workspace.clear());

  async function run(
    input: Record<string, unknown>,
    extra: { isDryRun?: boolean; logger?: LoggerService } = {},
  ) {
    const action = createRenderEnvironmentAction({
      kits: await loadTestKits(),
      kitVersion: '9.9.9',
    });
    // createMockActionContext drops isDryRun, so it is set on the context itself.
    const ctx = {
      ...createMockActionContext({
        input: input as any,
        workspacePath: workspace.path,
      }),
      ...extra,
    };
    await action.handler(ctx);
    return ctx;
  }

  it.each(['development', 'staging', 'production'] as const)(
    'renders the complete %s kit with modes and outputs',
    async env => {
      const ctx = await run({ ...canonicalValues[env] });
      const expected = kitManifest[env].map(f => f.path);
      expect(ctx.output).toHaveBeenCalledWith('files', expected);
      expect(ctx.output).toHaveBeenCalledWith(
        'entityName',
        canonicalValues[env].name,
      );
      for (const file of kitManifest[env]) {
        const stat = await lstat(path.join(workspace.path, file.path));
        expect({ path: file.path, mode: stat.mode & 0o777 }).toEqual({
          path: file.path,
          mode: file.mode,
        });
      }
      const entity = parse(
        await readFile(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
      );
      expect(
        entity.metadata.annotations[
          'unifi-cloudflare-glue.io/template-version'
        ],
      ).toBe('9.9.9');
    },
  );

  it('is deterministic: a second run writes the same bytes', async () => {
    await run({ ...canonicalValues.production });
    const first = await Promise.all(
      kitManifest.production.map(f =>
        readFile(path.join(workspace.path, f.path), 'utf8'),
      ),
    );
    await run({ ...canonicalValues.production });
    const second = await Promise.all(
      kitManifest.production.map(f =>
        readFile(path.join(workspace.path, f.path), 'utf8'),
      ),
    );
    expect(second).toEqual(first);
  });

  describe('the form values at once (values: ${{ parameters }})', () => {
    const filesOf = () =>
      Promise.all(
        kitManifest.production.map(f =>
          readFile(path.join(workspace.path, f.path), 'utf8'),
        ),
      );

    it('renders the same bytes as the fields given by name, which win over values', async () => {
      const { environment, ...values } = canonicalValues.production;
      await run({ ...canonicalValues.production });
      const byName = await filesOf();
      await run({ environment, values });
      expect(await filesOf()).toEqual(byName);
      await run({
        environment,
        values: { ...values, name: 'someone-else' },
        name: values.name,
      });
      expect(await filesOf()).toEqual(byName);
    });

    it('drops a DynamoDB table the form kept after the switch to the lockfile', async () => {
      const { environment, ...values } = canonicalValues.production;
      const ctx = await run({
        environment,
        values: {
          ...values,
          locking: 'lockfile',
          dynamodbTable: 'kept-from-before',
        },
      });
      expect(ctx.output).toHaveBeenCalledWith('stateBackend', 's3-lockfile');
      await expect(
        run({
          environment,
          values: { ...values, locking: 'lockfile' },
          dynamodbTable: 'given-by-name',
        }),
      ).rejects.toThrow(/dynamodbTable/);
    });

    it('refuses values that are not an object, with an example', async () => {
      await expect(
        run({ environment: 'production', values: 'name=x' }),
      ).rejects.toThrow(/values must be the form's values as an object/);
      expect(workspace.content()).toEqual({});
    });

    it("declares values with a description, and the scaffolder's schema check takes either form", async () => {
      const action = createRenderEnvironmentAction({
        kits: await loadTestKits(),
        kitVersion: '9.9.9',
      });
      const schema = action.schema!.input as any;
      expect(schema.properties.values.description).toMatch(
        /\$\{\{ parameters \}\}/,
      );
      expect(schema.properties.name.description).toMatch(/Example/);
      const { environment, ...values } = canonicalValues.production;
      // The check the scaffolder makes before the handler (NunjucksWorkflowRunner).
      const check = (input: object) => validate(input, schema).valid;
      expect(check({ ...canonicalValues.production })).toBe(true);
      expect(check({ environment, values })).toBe(true);
      expect(check({ environment })).toBe(false);
      expect(check({ environment, values, other: 1 })).toBe(false);
    });
  });

  it('writes into targetPath and reports it', async () => {
    const ctx = await run({
      ...canonicalValues.development,
      targetPath: 'env/dev',
    });
    expect(ctx.output).toHaveBeenCalledWith('targetPath', 'env/dev');
    expect(
      (await lstat(path.join(workspace.path, 'env/dev/deploy.sh'))).isFile(),
    ).toBe(true);
  });

  it('keeps no GitHub location when publishing locally (the picker leaves "github.com?" in the form data)', async () => {
    const answers = async () =>
      parse(
        await readFile(
          path.join(workspace.path, '.environment-answers.yaml'),
          'utf8',
        ),
      ).values;
    const entity = async () =>
      parse(
        await readFile(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
      );
    await run({
      ...canonicalValues.development,
      publishTarget: 'local',
      repoUrl: 'github.com?',
    });
    expect(await answers()).toMatchObject({ publishTarget: 'local' });
    expect(await answers()).not.toHaveProperty('repoUrl');
    expect(JSON.stringify(await entity())).not.toContain('github.com?');
    await run({ ...canonicalValues.development, publishTarget: 'github' });
    expect((await answers()).repoUrl).toBe(canonicalValues.development.repoUrl);
    expect(
      (await entity()).metadata.annotations['backstage.io/source-location'],
    ).toBe('url:https://github.com/acme/homelab-dns-dev/');
  });

  it('renders the same files in dry-run mode, and says so in its log', async () => {
    const logger = mockServices.logger.mock();
    const ctx = await run(
      { ...canonicalValues.staging },
      { isDryRun: true, logger },
    );
    expect(ctx.output).toHaveBeenCalledWith(
      'files',
      kitManifest.staging.map(f => f.path),
    );
    expect(logger.info).toHaveBeenCalledWith(
      expect.stringMatching(/^Dry run: rendered the staging kit \(12 files\)/),
    );
  });

  it('refuses a targetPath outside the workspace and writes nothing', async () => {
    await expect(
      run({ ...canonicalValues.development, targetPath: '../escape' }),
    ).rejects.toThrow(/targetPath must stay inside the workspace/);
    await expect(
      run({ ...canonicalValues.development, targetPath: '/etc' }),
    ).rejects.toThrow(/inside the workspace/);
  });

  it('refuses to write through a symbolic link in the target path or at a kit file', async () => {
    const outside = createMockDirectory();
    await symlink(outside.path, path.join(workspace.path, 'linked'));
    await expect(
      run({ ...canonicalValues.development, targetPath: 'linked' }),
    ).rejects.toThrow(/symbolic link linked/);

    await mkdir(path.join(workspace.path, 'real'));
    await symlink(
      path.join(outside.path, 'x'),
      path.join(workspace.path, 'real', 'README.md'),
    );
    await expect(
      run({ ...canonicalValues.development, targetPath: 'real' }),
    ).rejects.toThrow(/symbolic link real\/README.md/);
    expect(outside.content()).toEqual({});
  });

  it('lists every invalid field with its rule and an example, and writes nothing', async () => {
    await expect(
      run({
        ...canonicalValues.development,
        zoneName: 'Example.com',
        devices: [
          { hostname: 'media-server', macAddresses: ['zz:zz'], services: [] },
        ],
      }),
    ).rejects.toThrow(
      /zoneName must be a lower-case DNS name[^\n]*for example "example.com"[\s\S]*devices\[0\]\.macAddresses\[0\] must be a MAC address[\s\S]*devices\[0\]\.services must hold at least one service/,
    );
    expect(workspace.content()).toEqual({});
  });

  it('renders hostile description text inert', async () => {
    const description = `"; rm -rf / # $(id) \`id\` {{ 7*7 }} \${{ parameters.name }}`;
    await run({ ...canonicalValues.development, description });
    const entity = parse(
      await readFile(path.join(workspace.path, 'catalog-info.yaml'), 'utf8'),
    );
    expect(entity.metadata.description).toBe(description);
    const answers = parse(
      await readFile(
        path.join(workspace.path, '.environment-answers.yaml'),
        'utf8',
      ),
    );
    expect(answers.values.description).toBe(description);
  });
});

describe('unifiCloudflare:environment:render on a hostile workspace', () => {
  const workspace = createMockDirectory();
  const outside = createMockDirectory();
  beforeEach(() => {
    workspace.clear();
    outside.clear();
  });

  async function run(input: Record<string, unknown>) {
    const action = createRenderEnvironmentAction({
      kits: await loadTestKits(),
      kitVersion: '9.9.9',
    });
    await action.handler(
      createMockActionContext({
        input: input as any,
        workspacePath: workspace.path,
      }),
    );
  }

  it('refuses to write through a hard link at a kit path, and leaves the other name untouched', async () => {
    outside.addContent({ victim: 'original' });
    await link(
      path.join(outside.path, 'victim'),
      path.join(workspace.path, 'README.md'),
    );
    await expect(run({ ...canonicalValues.development })).rejects.toThrow(
      /Refusing to write README\.md: it is a hard link \(2 names\)/,
    );
    expect(await readFile(path.join(outside.path, 'victim'), 'utf8')).toBe(
      'original',
    );
  });

  it('answers with an input error, not a crash, when a kit directory is a file', async () => {
    workspace.addContent({ kcl: 'not a directory' });
    await expect(run({ ...canonicalValues.development })).rejects.toThrow(
      /Refusing to write kcl: it exists and is not a directory/,
    );
  });
});
