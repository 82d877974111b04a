/** Importing the providers loads no cloud SDK, and an AWS-only run never loads Google's or Azure's. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('loads each cloud SDK only when its provider first calls it', async () => {
  const script = fileURLToPath(new URL('./fixtures/lazy-sdks.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 60_000,
  });
  const { afterImport, afterAwsCall } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    afterImport: string[];
    afterAwsCall: string[];
  };
  expect(afterImport).toEqual([]);
  expect(afterAwsCall).toContain('@aws-sdk/client-sts');
  expect(afterAwsCall.filter((p) => /^@azure\/|^@googleapis\/|^googleapis|^google-auth-library/.test(p))).toEqual([]);
});
