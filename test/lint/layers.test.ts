/** The layer rules of eslint-layers.js: one-way imports, the sandbox loaded lazily, and no import circle. */
import { Linter } from 'eslint';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import tseslint from 'typescript-eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the eslint configuration, without types
import { createLayersPlugin } from '../../eslint-layers.js';

let root: string;
const files: Record<string, string> = {
  'shared/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
  'shared/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
  'shared/c.ts': "import type { D } from './d.js';\nexport type C = D;\n",
  'shared/d.ts': "import type { C } from './c.js';\nexport type D = { c?: C };\n",
  'cli/main.ts': "import { up } from '../sandbox/up.js';\nexport const x = up;\n",
  'cli/lazy.ts': "export const load = () => import('../sandbox/up.js');\n",
  'sandbox/up.ts': "import { sim } from '../sim/x.js';\nexport const up = sim;\n",
  'sandbox/demo.ts': "import { run } from '../cli/run.js';\nexport const demo = run;\n",
  'cli/run.ts': "export const run = () => import('../sandbox/demo.js');\n",
  'rotation/r.ts': "import { sim } from '../sim/x.js';\nexport const r = sim;\n",
  'sim/x.ts': 'export const sim = 1;\n',
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

function lint(path: string): string[] {
  const linter = new Linter({ configType: 'flat', cwd: root });
  const messages = linter.verify(
    files[path] ?? '',
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { layers: createLayersPlugin(root) as never },
        rules: { 'layers/one-way': 'error', 'layers/no-cycle': 'error' },
      },
    ],
    { filename: join(root, path) },
  );
  return messages.map((m) => m.message);
}

describe('the layer rules', () => {
  it('fail on an import circle, naming its modules', () => {
    expect(lint('shared/a.ts')).toEqual([expect.stringContaining('import circle: shared/')]);
    expect(lint('shared/a.ts')[0]).toMatch(/shared\/a\.ts.*shared\/b\.ts|shared\/b\.ts.*shared\/a\.ts/);
  });

  it('count a dynamic import in a circle (the old main ↔ sandbox-demo circle)', () => {
    expect(lint('cli/run.ts')).toEqual([expect.stringContaining('import circle')]);
    expect(lint('sandbox/demo.ts')).toEqual([expect.stringContaining('import circle')]);
  });

  it('do not count type-only imports, which are erased', () => {
    expect(lint('shared/c.ts')).toEqual([]);
  });

  it('let the CLI load the sandbox only lazily', () => {
    expect(lint('cli/main.ts')).toEqual([expect.stringContaining('may load src/sandbox only lazily')]);
    expect(lint('cli/lazy.ts')).toEqual([]);
  });

  it('let only the sandbox import the simulators', () => {
    expect(lint('sandbox/up.ts')).toEqual([]);
    expect(lint('rotation/r.ts')).toEqual([expect.stringContaining('src/rotation may not import src/sim')]);
  });
});
