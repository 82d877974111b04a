import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The real-cluster suite needs root, Go and a network namespace: `npm run test:real` (vitest.real.config.ts).
    exclude: [...configDefaults.exclude, 'test/real/**', 'test/conformance/differential.test.ts'],
    // Simulated clusters and rollouts take real (short) time; keep headroom on a 2-core CI machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI asks for a JSON report too, to print a plain "N passed, N failed" line.
    ...(process.env.VITEST_JSON_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.VITEST_JSON_REPORT } }
      : {}),
    // Tests never reach a public cloud: the direct probe runs only where a test gives emulator endpoints.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KUBECOST_ROTATE_PROBE: 'off',
      KUBECOST_ROTATE_LEASE_SECONDS: '2',
    },
  },
});
