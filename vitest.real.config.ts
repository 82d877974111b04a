import { defineConfig } from 'vitest/config';

/**
 * The real-cluster suite (test/real): real kube-apiserver, controller-manager and scheduler from
 * test/real/controlplane. Run it with `npm run test:real`, which builds kcp and runs vitest inside
 * a private network namespace (scripts/real-cluster/run.sh); `npm test` leaves these files out.
 */
export default defineConfig({
  test: {
    // REAL_CLUSTER_FIXTURE: one file that is not part of the suite (test/real/keeps-logs.test.ts runs one).
    include: process.env.REAL_CLUSTER_FIXTURE
      ? [process.env.REAL_CLUSTER_FIXTURE]
      : ['test/real/**/*.test.ts', 'test/conformance/differential.test.ts'],
    // Real controllers lag and a control plane takes seconds to start on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // Every file's control plane uses the same addresses (10.90.i.1:6443…): one file at a time.
    fileParallelism: false,
    ...(process.env.VITEST_JSON_REPORT
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.VITEST_JSON_REPORT } }
      : {}),
    // A 2 s Lease, as in the kube-sim suite: a resume after a SIGKILL takes over the dead run's Lease in 2 s, not 30.
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KUBECOST_ROTATE_PROBE: 'off',
      KUBECOST_ROTATE_LEASE_SECONDS: '2',
    },
  },
});
