/**
 * `sandbox demo`: a three-cluster federated Kubecost fleet in this process, and one rotation of
 * its federated-storage key end to end (discover, a new key at the emulated provider, plan,
 * rotate with live progress, history), then everything stops. What `npm start` runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../sim/kube/index.js';
import { startSandbox, successorOf } from '../sim/kubecost/index.js';
import type { SandboxHost } from './commands.js';

export async function sandboxDemo(host: SandboxHost): Promise<number> {
  const out = host.io.stdout;
  const say = (text: string) => out.write(out.isTTY ? `\n\u001b[1m== ${text}\u001b[0m\n` : `\n== ${text}\n`);
  const run = host.runCli;
  const dir = await mkdtemp(join(tmpdir(), 'kubecost-rotate-demo-'));
  const kubeconfig = join(dir, 'kubeconfig');
  const fleet = await startFleet({ clusters: 3, kubeconfigPath: kubeconfig });
  try {
    const sandbox = await startSandbox(fleet, 'v2-federated', kubeconfig);
    say('A simulated fleet: Kubecost 2.4 federated, a primary and two secondaries (kube-sim, no real cluster)');
    for (const i of sandbox.layout.installations)
      out.write(`  ${i.cluster}: ${i.role} (release ${i.release} in namespace ${i.namespace})\n`);
    await new Promise((r) => setTimeout(r, 500));

    say('kubecost-rotate discover --all-contexts');
    await run(['discover', '--kubeconfig', kubeconfig, '--all-contexts']);

    const old = sandbox.layout.credentials.get('federated-gcs');
    if (!old || old.provider !== 'gcp') throw new Error('the demo layout has no federated GCS key');
    const credential = `gcp:${old.clientEmail}:${old.privateKeyId}`;
    say(`A new key for ${old.clientEmail}, created at the (emulated) provider next to the old one`);
    const { next, keyFile } = successorOf(old);
    sandbox.allow(next);
    const keyPath = join(dir, 'new-key.json');
    await writeFile(keyPath, keyFile, { mode: 0o600 });
    out.write(`  written to ${keyPath} (fingerprints only from here on)\n`);

    say(
      `kubecost-rotate rotate --all-contexts --credential ${credential.slice(0, 48)}... --new-key-file new-key.json --yes`,
    );
    const code = await run([
      'rotate',
      '--kubeconfig',
      kubeconfig,
      '--all-contexts',
      '--credential',
      credential,
      '--new-key-file',
      keyPath,
      '--yes',
      '--verify-window',
      '5s',
      '--provider-endpoints',
      sandbox.endpointsFile,
    ]);

    say('kubecost-rotate history');
    await run(['history', '--kubeconfig', kubeconfig]);
    say(
      code === 0
        ? 'Done: every cluster uses the new key; the old one can be retired.'
        : `The rotation did not verify (exit ${code}).`,
    );
    out.write(
      'Try it yourself against a sandbox that stays up: kubecost-rotate sandbox up --layout mixed --kubeconfig /tmp/kc.yaml\n',
    );
    await sandbox.stop();
    return code;
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
