import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  packageName,
  packagesOfBuiltCode,
  packagesOfDeclarations,
  packagesOfSourceGraph,
  specifiersIn,
} from '../../src/__testUtils__/install/dependencies';

describe('the runtime dependency scan', () => {
  it('names the package of a specifier and skips relative paths and Node built-ins', () => {
    expect(packageName('@backstage/errors')).toBe('@backstage/errors');
    expect(packageName('zod/v3')).toBe('zod');
    expect(packageName('@scope/pkg/deep/file.js')).toBe('@scope/pkg');
    expect(packageName('./module')).toBeUndefined();
    expect(packageName('node:fs/promises')).toBeUndefined();
    expect(packageName('fs')).toBeUndefined();
    expect(packageName('path/posix')).toBeUndefined();
  });

  it('finds static, type-only, side-effect and dynamic imports, re-exports and requires', () => {
    const text = [
      "import { a } from 'one';",
      "import type { B } from 'two';",
      'import {\n  c,\n  d,\n} from "three";',
      "import 'four';",
      "export { e } from 'five';",
      "const f = await import('six');",
      "var g = require('seven');",
    ].join('\n');
    expect(specifiersIn(text).sort()).toEqual([
      'five',
      'four',
      'one',
      'seven',
      'six',
      'three',
      'two',
    ]);
  });

  describe('on files', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'ucg-deps-'));
      await mkdir(path.join(dir, 'dist', 'nested'), { recursive: true });
      await writeFile(
        path.join(dir, 'dist', 'index.cjs.js'),
        "require('./nested/a.cjs.js'); require('node:path');",
      );
      await writeFile(
        path.join(dir, 'dist', 'nested', 'a.cjs.js'),
        "var y = require('yaml'); var z = require('zod/v3');",
      );
      await writeFile(
        path.join(dir, 'dist', 'index.d.ts'),
        "import { z } from 'zod';\nexport { z };",
      );
      await mkdir(path.join(dir, 'src', 'lib'), { recursive: true });
      await writeFile(
        path.join(dir, 'src', 'index.ts'),
        "export * from './lib';\nimport { x } from '@scope/used';",
      );
      await writeFile(
        path.join(dir, 'src', 'lib', 'index.ts'),
        "import type { T } from 'types-only';",
      );
      await writeFile(
        path.join(dir, 'src', 'unreached.ts'),
        "import 'not-reached';",
      );
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('collects the packages the built code requires, wherever it sits under dist/', async () => {
      expect(
        [...(await packagesOfBuiltCode(path.join(dir, 'dist'))).keys()].sort(),
      ).toEqual(['yaml', 'zod']);
    });

    it('collects the packages the declarations import', async () => {
      expect([
        ...(await packagesOfDeclarations(path.join(dir, 'dist'))).keys(),
      ]).toEqual(['zod']);
    });

    it('follows relative imports from the entry point and ignores files it does not reach', async () => {
      const { packages, files } = await packagesOfSourceGraph(
        path.join(dir, 'src', 'index.ts'),
      );
      expect([...packages.keys()].sort()).toEqual([
        '@scope/used',
        'types-only',
      ]);
      expect(files.map(f => path.relative(dir, f))).toEqual([
        'src/index.ts',
        'src/lib/index.ts',
      ]);
    });
  });
});
