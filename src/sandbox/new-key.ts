/**
 * `sandbox new-key`: asks a running sandbox to create a new key for a credential's principal at its
 * emulated cloud, the way the provider does (AWS CreateAccessKey, GCP IAM keys.create, Azure
 * regenerateKey of the slot the sites do not use: sim/kubecost/sandbox-keys.ts), and prints the key
 * file on stdout only, for the user to redirect into a file (for `rotate --new-key-file`).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CliIo } from '../cli/io.js';
import { sandboxStatePath, type SandboxState } from '../sim/kubecost/index.js';
import { ConfigError, ExitCode } from '../shared/errors.js';

export async function sandboxNewKey(options: { kubeconfig: string; credential: string }, io: CliIo): Promise<number> {
  const statePath = sandboxStatePath(resolve(options.kubeconfig));
  let state: SandboxState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as SandboxState;
  } catch {
    throw new ConfigError(
      `no running sandbox for ${options.kubeconfig} (${statePath} is missing).`,
      'Start one with: kubecost-rotate sandbox up --layout v2-federated --kubeconfig PATH',
    );
  }
  let response: Response;
  try {
    response = await fetch(`${state.admin}/keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${state.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ credential: options.credential }),
    });
  } catch {
    throw new ConfigError(
      `the sandbox for ${options.kubeconfig} does not answer at ${state.admin}: is "sandbox up" still running?`,
    );
  }
  const body = (await response.json()) as { keyFile?: string; error?: string };
  if (!response.ok || !body.keyFile)
    throw new ConfigError(`the sandbox refused: ${body.error ?? `HTTP ${response.status}`}`);
  io.stdout.write(`${body.keyFile}\n`);
  io.stderr.write(
    'A new key was created and is valid in the sandbox cloud, next to the old one. Rotate with: kubecost-rotate rotate --credential ... --new-key-file FILE\n',
  );
  return ExitCode.Ok;
}
