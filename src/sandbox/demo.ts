/**
 * `sandbox demo`: a three-cluster Kubecost 3.2 fleet in this process (the version new users
 * have: a primary, an agent-only secondary and a single cluster on the keyless local store), and
 * one rotation of the federated store key end to end (discover, a new key at the emulated
 * provider, rotate with live progress, history), then everything stops. What `npm start` runs.
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
    const sandbox = await startSandbox(fleet, 'v3', kubeconfig);
    say(
      'A simulated fleet: Kubecost 3.2, a federated primary and secondary, and a single cluster (kube-sim, no real cluster)',
    );
    for (const i of sandbox.layout.installations)
      out.write(`  ${i.cluster}: ${i.role} (release ${i.release} in namespace ${i.namespace})\n`);
    await new Promise((r) => setTimeout(r, 500));

    say('kubecost-rotate discover --all-contexts');
    await run(['discover', '--kubeconfig', kubeconfig, '--all-contexts']);

    const old = sandbox.layout.credentials.get('federated-azure');
    if (!old || old.provider !== 'azure') throw new Error('the demo layout has no federated Azure key');
    // Azure keys have no id: the credential id is azure:<account>:<fingerprint>, and a prefix selects it.
    const credential = `azure:${old.accountName}`;
    say(
      `A new key for storage account ${old.accountName} (slot ${old.slot === 'key1' ? 'key2' : 'key1'}), made at the (emulated) provider next to the old one`,
    );
    const { next, keyFile } = successorOf(old);
    sandbox.allow(next);
    const keyPath = join(dir, 'new-key.json');
    await writeFile(keyPath, keyFile, { mode: 0o600 });
    out.write(`  written to ${keyPath} (fingerprints only from here on)\n`);

    say(`kubecost-rotate rotate --all-contexts --credential ${credential} --new-key-file new-key.json --yes`);
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
      'Try it yourself against a sandbox that stays up: kubecost-rotate sandbox up --layout v3 --kubeconfig /tmp/kc.yaml\n',
    );
    await sandbox.stop();
    return code;
  } finally {
    await fleet.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
