/**
 * meta.k8s.io/v1 Table responses, which kubectl asks for to print `kubectl get` without -o.
 * Columns follow the real server's printers for the resources kube-sim serves.
 */
import { arr, num, rec } from './objects.js';
import type { ResourceDef } from './resources.js';
import type { KubeObject } from './types.js';

/** kubectl's HumanDuration, as the AGE column shows it. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

type Column = { name: string; type: string; format?: string; cell: (o: KubeObject, now: number) => string | number };

const age = (o: KubeObject, now: number) =>
  humanDuration(now - Date.parse(o.metadata.creationTimestamp ?? new Date(now).toISOString()));
const nameCol: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const ageCol: Column = { name: 'Age', type: 'string', cell: age };

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const statuses = arr(rec(pod.status).containerStatuses).map(rec);
  for (const s of statuses) {
    const waiting = rec(rec(s.state).waiting);
    if (typeof waiting.reason === 'string' && waiting.reason !== '') return waiting.reason;
  }
  return String(rec(pod.status).phase ?? 'Pending');
}

const COLUMNS: Record<string, Column[]> = {
  Pod: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => {
        const s = arr(rec(o.status).containerStatuses).map(rec);
        return `${s.filter((c) => c.ready === true).length}/${arr(rec(o.spec).containers).length}`;
      },
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(
          arr(rec(o.status).containerStatuses)
            .map(rec)
            .reduce((n, c) => n + num(c.restartCount), 0),
        ),
    },
    ageCol,
  ],
  Deployment: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas, 1)}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(rec(o.status).updatedReplicas) },
    { name: 'Available', type: 'integer', cell: (o) => num(rec(o.status).availableReplicas) },
    ageCol,
  ],
  StatefulSet: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas, 1)}`,
    },
    ageCol,
  ],
  ReplicaSet: [
    nameCol,
    { name: 'Desired', type: 'integer', cell: (o) => num(rec(o.spec).replicas, 1) },
    { name: 'Current', type: 'integer', cell: (o) => num(rec(o.status).replicas) },
    { name: 'Ready', type: 'integer', cell: (o) => num(rec(o.status).readyReplicas) },
    ageCol,
  ],
  Secret: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? 'Opaque') },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(rec(o.data)).length },
    ageCol,
  ],
  ConfigMap: [
    nameCol,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
    },
    ageCol,
  ],
  Namespace: [
    nameCol,
    { name: 'Status', type: 'string', cell: (o) => String(rec(o.status).phase ?? 'Active') },
    ageCol,
  ],
  Service: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => String(rec(o.spec).type ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => String(rec(o.spec).clusterIP ?? '') },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    {
      name: 'Port(s)',
      type: 'string',
      cell: (o) =>
        arr(rec(o.spec).ports)
          .map(rec)
          .map((p) => `${num(p.port)}/${String(p.protocol ?? 'TCP')}`)
          .join(',') || '<none>',
    },
    ageCol,
  ],
  Event: [
    {
      name: 'Last Seen',
      type: 'string',
      cell: (o, now) => humanDuration(now - Date.parse(String(o.lastTimestamp ?? o.metadata.creationTimestamp ?? ''))),
    },
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? '') },
    { name: 'Reason', type: 'string', cell: (o) => String(o.reason ?? '') },
    {
      name: 'Object',
      type: 'string',
      cell: (o) =>
        `${String(rec(o.involvedObject).kind ?? '').toLowerCase()}/${String(rec(o.involvedObject).name ?? '')}`,
    },
    { name: 'Message', type: 'string', cell: (o) => String(o.message ?? '') },
  ],
  Lease: [nameCol, { name: 'Holder', type: 'string', cell: (o) => String(rec(o.spec).holderIdentity ?? '') }, ageCol],
};

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

/** A Table of `items`, with PartialObjectMetadata rows as kubectl expects by default. */
export function toTable(def: ResourceDef, items: KubeObject[], resourceVersion: string, now: number): object {
  const columns = COLUMNS[def.kind] ?? [nameCol, ageCol];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.name,
      priority: 0,
    })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
