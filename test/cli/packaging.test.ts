/**
 * What an operator installs: the package ships bin/ and the compiled product without the simulators
 * and the sandbox, its runtime imports come from its dependencies alone (the emulated clouds are
 * development dependencies), and `sandbox` then says clearly that it is not part of the installation.
 */
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript module of the eslint configuration, without types
import { runtimeImports } from '../../eslint-layers.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
let work: string;
let packed: string[];
let installed: string;

async function sourcesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourcesOf(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** The package a bare import specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? '');

/** Bare (package) imports of a source file, static and dynamic, type-only ones left out. */
function bareImports(file: string, text: string): string[] {
  const relative = new Set(runtimeImports(file, text) as string[]);
  const all = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)(?!\s+type\s)[^'"]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/g),
  ];
  return all.map((m) => m[1] ?? m[2] ?? '').filter((s) => s && !relative.has(s));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kubecost-rotate-pack-'));
  // Pack from a fresh build, so that a stale dist/ of this checkout cannot hide anything.
  const source = join(work, 'source');
  await mkdir(source);
  await cp(join(root, 'bin'), join(source, 'bin'), { recursive: true });
  await cp(join(root, 'package.json'), join(source, 'package.json'));
  await run(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      join(source, 'dist'),
    ],
    { cwd: root },
  );
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: source });
  packed = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
  // Install what was packed: those files, the package.json, and the dependencies.
  installed = join(work, 'installed');
  for (const path of packed) {
    await mkdir(join(installed, path, '..'), { recursive: true });
    await cp(join(source, path), join(installed, path));
  }
  await symlink(join(root, 'node_modules'), join(installed, 'node_modules'), 'dir');
}, 120_000);

afterAll(() => rm(work, { recursive: true, force: true }));

async function installedCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(installed, 'bin', 'kubecost-rotate.js'), ...args]);
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the installed package', () => {
  it('ships bin/ and the compiled product, without the simulators or the sandbox', () => {
    expect(packed).toContain('bin/kubecost-rotate.js');
    expect(packed).toContain('dist/cli/main.js');
    expect(packed).toContain('dist/rotation/runner.js');
    expect(packed.filter((p) => p.startsWith('dist/sim/') || p.startsWith('dist/sandbox/'))).toEqual([]);
  });

  it('imports at run time only its dependencies and Node built-ins (the emulated clouds are devDependencies)', async () => {
    const builtins = new Set(builtinModules);
    const product = (await sourcesOf(join(root, 'src'))).filter((f) => !/[\\/]src[\\/](sim|sandbox)[\\/]/.test(f));
    const outside = new Set<string>();
    for (const file of product)
      for (const specifier of bareImports(file, await readFile(file, 'utf8'))) {
        const name = packageOf(specifier);
        if (specifier.startsWith('node:') || builtins.has(name)) continue;
        if (!(name in pkg.dependencies)) outside.add(`${name} (${file.slice(root.length + 1)})`);
      }
    expect([...outside]).toEqual([]);
    for (const emulator of ['azurite', '@20minutes/s3rver'])
      expect(Object.keys(pkg.dependencies), `${emulator} is not a runtime dependency`).not.toContain(emulator);
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['azurite', '@20minutes/s3rver']));
  });

  it('runs, and says that the sandbox is not part of it (exit 2) instead of failing on a missing module', async () => {
    const help = await installedCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rotate');
    expect(help.stdout).not.toContain('sandbox');
    const demo = await installedCli(['sandbox', 'demo']);
    expect(demo.code, demo.stderr).toBe(2);
    expect(demo.stderr).toContain('the sandbox is not part of this installation');
    expect(demo.stderr).toContain('npm ci && npm start');
  });
});
