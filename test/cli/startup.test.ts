/** The CLI starts fast: --version and --help load neither the Kubernetes client nor a cloud SDK. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('answers --version and --help without loading @kubernetes/client-node or any cloud SDK', async () => {
  const script = fileURLToPath(new URL('./fixtures/startup-imports.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { timeout: 60_000 });
  const { codes, loaded } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    codes: number[];
    loaded: string[];
  };
  expect(codes).toEqual([0, 0]);
  expect(loaded).toEqual([]);
});
