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

type Column = {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  description?: string;
  cell: (o: KubeObject, now: number) => string | number | boolean;
};

const age = (o: KubeObject, now: number) =>
  humanDuration(now - Date.parse(o.metadata.creationTimestamp ?? new Date(now).toISOString()));
const nameCol: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name ?? '' };
const ageCol: Column = { name: 'Age', type: 'string', cell: age };
const none = (v: unknown) => (typeof v === 'string' && v !== '' ? v : '<none>');

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const statuses = arr(rec(pod.status).containerStatuses).map(rec);
  for (const s of statuses) {
    const waiting = rec(rec(s.state).waiting);
    if (typeof waiting.reason === 'string' && waiting.reason !== '') return waiting.reason;
    const terminated = rec(rec(s.state).terminated);
    if (typeof terminated.reason === 'string' && terminated.reason !== '') return terminated.reason;
  }
  return String(rec(pod.status).reason ?? rec(pod.status).phase ?? 'Pending');
}

const templateContainers = (o: KubeObject) => arr(rec(rec(rec(o.spec).template).spec).containers).map(rec);
const jobTemplateContainers = (o: KubeObject) =>
  arr(rec(rec(rec(rec(rec(o.spec).jobTemplate).spec).template).spec).containers).map(rec);
const wide = (containers: (o: KubeObject) => Record<string, unknown>[], selector = true): Column[] => [
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o)
        .map((c) => String(c.name))
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o)
        .map((c) => String(c.image))
        .join(','),
  },
  ...(selector
    ? [{ name: 'Selector', type: 'string', priority: 1, cell: (o: KubeObject) => selectorText(rec(o.spec).selector) }]
    : []),
];

function selectorText(selector: unknown): string {
  const s = rec(selector);
  const parts = Object.entries(rec(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  for (const e of arr(s.matchExpressions).map(rec)) {
    const values = arr(e.values).map(String).join(',');
    if (e.operator === 'In') parts.push(`${String(e.key)} in (${values})`);
    if (e.operator === 'NotIn') parts.push(`${String(e.key)} notin (${values})`);
    if (e.operator === 'Exists') parts.push(String(e.key));
    if (e.operator === 'DoesNotExist') parts.push(`!${String(e.key)}`);
  }
  return parts.length > 0 ? parts.join(',') : '<none>';
}

function mapText(map: unknown): string {
  const entries = Object.entries(rec(map));
  return entries.length > 0 ? entries.map(([k, v]) => `${k}=${String(v)}`).join(',') : '<none>';
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
    { name: 'IP', type: 'string', priority: 1, cell: (o) => none(rec(o.status).podIP) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => none(rec(o.spec).nodeName) },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o) => none(rec(o.status).nominatedNodeName) },
    {
      name: 'Readiness Gates',
      type: 'string',
      priority: 1,
      cell: (o) => {
        const gates = arr(rec(o.spec).readinessGates).map(rec);
        if (gates.length === 0) return '<none>';
        const conditions = arr(rec(o.status).conditions).map(rec);
        const ready = gates.filter((g) =>
          conditions.some((c) => c.type === g.conditionType && c.status === 'True'),
        ).length;
        return `${ready}/${gates.length}`;
      },
    },
  ],
  Deployment: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas, 1)}`,
    },
    { name: 'Up-to-date', type: 'string', cell: (o) => num(rec(o.status).updatedReplicas) },
    { name: 'Available', type: 'string', cell: (o) => num(rec(o.status).availableReplicas) },
    ageCol,
    ...wide(templateContainers),
  ],
  StatefulSet: [
    nameCol,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(rec(o.status).readyReplicas)}/${num(rec(o.spec).replicas, 1)}`,
    },
    ageCol,
    ...wide(templateContainers, false),
  ],
  DaemonSet: [
    nameCol,
    { name: 'Desired', type: 'integer', cell: (o) => num(rec(o.status).desiredNumberScheduled) },
    { name: 'Current', type: 'integer', cell: (o) => num(rec(o.status).currentNumberScheduled) },
    { name: 'Ready', type: 'integer', cell: (o) => num(rec(o.status).numberReady) },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(rec(o.status).updatedNumberScheduled) },
    { name: 'Available', type: 'integer', cell: (o) => num(rec(o.status).numberAvailable) },
    { name: 'Node Selector', type: 'string', cell: (o) => mapText(rec(rec(rec(o.spec).template).spec).nodeSelector) },
    ageCol,
    ...wide(templateContainers),
  ],
  ReplicaSet: [
    nameCol,
    { name: 'Desired', type: 'integer', cell: (o) => num(rec(o.spec).replicas, 1) },
    { name: 'Current', type: 'integer', cell: (o) => num(rec(o.status).replicas) },
    { name: 'Ready', type: 'integer', cell: (o) => num(rec(o.status).readyReplicas) },
    ageCol,
    ...wide(templateContainers),
  ],
  Job: [
    nameCol,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const conditions = arr(rec(o.status).conditions).map(rec);
        const has = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
        if (has('Complete')) return 'Complete';
        if (has('Failed')) return 'Failed';
        if (o.metadata.deletionTimestamp) return 'Terminating';
        if (has('Suspended')) return 'Suspended';
        if (has('FailureTarget')) return 'FailureTarget';
        return 'Running';
      },
    },
    {
      name: 'Completions',
      type: 'string',
      cell: (o) => {
        const completions = rec(o.spec).completions;
        const succeeded = num(rec(o.status).succeeded);
        return typeof completions === 'number'
          ? `${succeeded}/${completions}`
          : `${succeeded}/1 of ${num(rec(o.spec).parallelism, 1)}`;
      },
    },
    {
      name: 'Duration',
      type: 'string',
      cell: (o, now) => {
        const start = Date.parse(String(rec(o.status).startTime ?? ''));
        if (!Number.isFinite(start)) return '';
        const end = Date.parse(String(rec(o.status).completionTime ?? ''));
        return humanDuration((Number.isFinite(end) ? end : now) - start);
      },
    },
    ageCol,
    ...wide(templateContainers),
  ],
  CronJob: [
    nameCol,
    { name: 'Schedule', type: 'string', cell: (o) => String(rec(o.spec).schedule ?? '') },
    { name: 'Timezone', type: 'string', cell: (o) => none(rec(o.spec).timeZone) },
    { name: 'Suspend', type: 'boolean', cell: (o) => rec(o.spec).suspend === true },
    { name: 'Active', type: 'integer', cell: (o) => arr(rec(o.status).active).length },
    {
      name: 'Last Schedule',
      type: 'string',
      cell: (o, now) => {
        const last = Date.parse(String(rec(o.status).lastScheduleTime ?? ''));
        return Number.isFinite(last) ? humanDuration(now - last) : '<none>';
      },
    },
    ageCol,
    ...wide(jobTemplateContainers, false),
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      cell: (o) => selectorText(rec(rec(rec(o.spec).jobTemplate).spec).selector),
    },
  ],
  Secret: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => String(o.type ?? 'Opaque') },
    // The real printer declares the column a string and fills it with an int64.
    { name: 'Data', type: 'string', cell: (o) => Object.keys(rec(o.data)).length },
    ageCol,
  ],
  ConfigMap: [
    nameCol,
    {
      name: 'Data',
      type: 'string',
      cell: (o) => Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length,
    },
    ageCol,
  ],
  ServiceAccount: [nameCol, { name: 'Secrets', type: 'string', cell: (o) => arr(o.secrets).length }, ageCol],
  Namespace: [
    nameCol,
    { name: 'Status', type: 'string', cell: (o) => String(rec(o.status).phase ?? 'Active') },
    ageCol,
  ],
  Node: [
    nameCol,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const ready = arr(rec(o.status).conditions)
          .map(rec)
          .find((c) => c.type === 'Ready');
        const text = ready?.status === 'True' ? 'Ready' : 'NotReady';
        return rec(o.spec).unschedulable === true ? `${text},SchedulingDisabled` : text;
      },
    },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) =>
        Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    ageCol,
    { name: 'Version', type: 'string', cell: (o) => String(rec(rec(o.status).nodeInfo).kubeletVersion ?? '') },
    ...(['InternalIP', 'ExternalIP'] as const).map((type): Column => ({
      name: type === 'InternalIP' ? 'Internal-IP' : 'External-IP',
      type: 'string',
      priority: 1,
      cell: (o) =>
        none(
          arr(rec(o.status).addresses)
            .map(rec)
            .find((a) => a.type === type)?.address,
        ),
    })),
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => none(rec(rec(o.status).nodeInfo).osImage) },
    {
      name: 'Kernel-Version',
      type: 'string',
      priority: 1,
      cell: (o) => none(rec(rec(o.status).nodeInfo).kernelVersion),
    },
    {
      name: 'Container-Runtime',
      type: 'string',
      priority: 1,
      cell: (o) => none(rec(rec(o.status).nodeInfo).containerRuntimeVersion),
    },
  ],
  Service: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => String(rec(o.spec).type ?? 'ClusterIP') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => none(rec(o.spec).clusterIP) },
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
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => mapText(rec(o.spec).selector) },
  ],
  Endpoints: [
    nameCol,
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) => {
        const list: string[] = [];
        for (const s of arr(o.subsets).map(rec))
          for (const a of arr(s.addresses).map(rec))
            for (const p of arr(s.ports).map(rec)) list.push(`${String(a.ip)}:${num(p.port)}`);
        return list.length > 0 ? list.join(',') : '<none>';
      },
    },
    ageCol,
  ],
  EndpointSlice: [
    nameCol,
    { name: 'AddressType', type: 'string', cell: (o) => String(o.addressType ?? '') },
    {
      name: 'Ports',
      type: 'string',
      cell: (o) =>
        arr(o.ports)
          .map(rec)
          .map((p) => String(num(p.port)))
          .join(',') || '<unset>',
    },
    {
      name: 'Endpoints',
      type: 'string',
      cell: (o) =>
        arr(o.endpoints)
          .map(rec)
          .flatMap((e) => arr(e.addresses).map(String))
          .join(',') || '<unset>',
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
    { name: 'Subobject', type: 'string', priority: 1, cell: (o) => String(rec(o.involvedObject).fieldPath ?? '') },
    {
      name: 'Source',
      type: 'string',
      priority: 1,
      cell: (o) => {
        const source = rec(o.source);
        return [source.component, source.host].filter((x) => typeof x === 'string' && x !== '').join(', ');
      },
    },
    { name: 'Message', type: 'string', cell: (o) => String(o.message ?? '') },
    {
      name: 'First Seen',
      type: 'string',
      priority: 1,
      cell: (o, now) => humanDuration(now - Date.parse(String(o.firstTimestamp ?? o.metadata.creationTimestamp ?? ''))),
    },
    { name: 'Count', type: 'string', priority: 1, cell: (o) => num(o.count, 1) },
    { name: 'Name', type: 'string', format: 'name', priority: 1, cell: (o) => o.metadata.name ?? '' },
  ],
  Lease: [nameCol, { name: 'Holder', type: 'string', cell: (o) => String(rec(o.spec).holderIdentity ?? '') }, ageCol],
  ControllerRevision: [
    nameCol,
    {
      name: 'Controller',
      type: 'string',
      cell: (o) => {
        const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
        return owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split('/')[0] ?? ''}/${owner.name}` : '<none>';
      },
    },
    { name: 'Revision', type: 'integer', cell: (o) => num(o.revision) },
    ageCol,
  ],
};

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept);
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The includeObject query parameter (default Metadata: PartialObjectMetadata rows). */
export function includeObjectOf(query: URLSearchParams): IncludeObject {
  const raw = query.get('includeObject');
  return raw === 'None' || raw === 'Object' ? raw : 'Metadata';
}

/** A Table of `items`, with rows carrying the object as `includeObject` asks (kubectl get --sort-by wants Object). */
export function toTable(
  def: ResourceDef,
  items: KubeObject[],
  resourceVersion: string,
  now: number,
  include: IncludeObject = 'Metadata',
): object {
  const columns = COLUMNS[def.kind] ?? [nameCol, ageCol];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? c.name,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object:
        include === 'None'
          ? null
          : include === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
