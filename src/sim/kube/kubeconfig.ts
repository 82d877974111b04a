/** The kubeconfig of a simulated fleet: one cluster, user and context per simulated cluster. */
import { stringify } from 'yaml';

export interface KubeconfigEntry {
  readonly context: string;
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly namespace?: string;
}

export function renderKubeconfig(entries: readonly KubeconfigEntry[], currentContext?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: entries.map((e) => ({
      name: e.context,
      cluster: { server: e.server, 'certificate-authority-data': Buffer.from(e.caPem).toString('base64') },
    })),
    users: entries.map((e) => ({ name: `${e.context}-admin`, user: { token: e.token } })),
    contexts: entries.map((e) => ({
      name: e.context,
      context: { cluster: e.context, user: `${e.context}-admin`, ...(e.namespace ? { namespace: e.namespace } : {}) },
    })),
    'current-context': currentContext ?? entries[0]?.context ?? '',
  });
}
