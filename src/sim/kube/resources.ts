/**
 * The resources kube-sim serves, as one table. Discovery documents, URL routing, Table output
 * and validation all read from here, so adding a resource is adding a row.
 */
export interface SubresourceDef {
  readonly verbs: readonly string[];
  /** The kind of the subresource's body (default: the resource's kind). */
  readonly kind?: string;
  /** Group and version of that kind when it differs (Scale is autoscaling/v1). */
  readonly group?: string;
  readonly version?: string;
}

export interface ResourceDef {
  /** API group; '' is the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  /** Verbs, when not all eight object verbs. */
  readonly verbs?: readonly string[];
  /** Subresources this simulator implements. */
  readonly subresources?: Readonly<Record<string, SubresourceDef>>;
  /** Whether `spec` changes bump metadata.generation (and status is written through /status only). */
  readonly hasSpecAndStatus: boolean;
  /** Whether the real server bumps metadata.generation on spec changes. */
  readonly generation?: boolean;
  /** Field selector labels accepted besides metadata.name and metadata.namespace. */
  readonly fieldLabels?: readonly string[];
  /** DELETE answers the object itself (the real registry's ReturnDeletedObject), not a Status. */
  readonly deleteReturnsObject?: boolean;
  /** PUT of a missing object creates it (the real strategy's AllowCreateOnUpdate). */
  readonly createOnUpdate?: boolean;
}

const objectVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
const STATUS: SubresourceDef = { verbs: ['get', 'patch', 'update'] };
const SCALE: SubresourceDef = { verbs: ['get', 'patch', 'update'], kind: 'Scale', group: 'autoscaling', version: 'v1' };

export const RESOURCES: readonly ResourceDef[] = [
  {
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: STATUS },
    hasSpecAndStatus: false,
    fieldLabels: ['status.phase'],
    deleteReturnsObject: true,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    subresources: { status: STATUS },
    hasSpecAndStatus: true,
    fieldLabels: ['spec.unschedulable'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    singular: 'secret',
    namespaced: true,
    hasSpecAndStatus: false,
    fieldLabels: ['type'],
  },
  {
    group: '',
    version: 'v1',
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    subresources: { token: { verbs: ['create'], kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' } },
    hasSpecAndStatus: false,
  },
  {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    hasSpecAndStatus: false,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: {
      log: { verbs: ['get'] },
      status: STATUS,
      proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'PodProxyOptions' },
    },
    hasSpecAndStatus: true,
    generation: true,
    fieldLabels: [
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    deleteReturnsObject: true,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Service',
    plural: 'services',
    singular: 'service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: {
      proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'ServiceProxyOptions' },
      status: STATUS,
    },
    hasSpecAndStatus: true,
    deleteReturnsObject: true,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Endpoints',
    plural: 'endpoints',
    singular: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    hasSpecAndStatus: false,
  },
  {
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    hasSpecAndStatus: false,
    createOnUpdate: true,
    fieldLabels: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: { status: STATUS, scale: SCALE },
    hasSpecAndStatus: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    singular: 'statefulset',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: { status: STATUS, scale: SCALE },
    hasSpecAndStatus: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    singular: 'daemonset',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: { status: STATUS },
    hasSpecAndStatus: true,
    generation: true,
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: { status: STATUS, scale: SCALE },
    hasSpecAndStatus: true,
    generation: true,
    fieldLabels: ['status.replicas'],
  },
  {
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    singular: 'controllerrevision',
    namespaced: true,
    hasSpecAndStatus: false,
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    singular: 'job',
    namespaced: true,
    categories: ['all'],
    subresources: { status: STATUS },
    hasSpecAndStatus: true,
    generation: true,
    fieldLabels: ['status.successful'],
  },
  {
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    singular: 'cronjob',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: { status: STATUS },
    hasSpecAndStatus: true,
    generation: true,
  },
  {
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    singular: 'lease',
    namespaced: true,
    hasSpecAndStatus: false,
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    singular: 'endpointslice',
    namespaced: true,
    hasSpecAndStatus: false,
    generation: true,
  },
  ...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map((kind): ResourceDef => ({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced: !kind.startsWith('Cluster'),
    hasSpecAndStatus: false,
  })),
];

export const OBJECT_VERBS = objectVerbs;

export function apiVersionOf(def: ResourceDef): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`;
}

/** Finds a resource by group/version/plural, as it appears in a URL. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function resourceByKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/** The group/versions served, for /api and /apis. */
export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

/** The APIResourceList of one group/version, as /api/v1 or /apis/apps/v1 return it. */
export function apiResourceList(group: string, version: string): object | undefined {
  const defs = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (defs.length === 0) return undefined;
  const resources: object[] = [];
  for (const r of defs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...(r.verbs ?? objectVerbs)],
      ...(r.shortNames ? { shortNames: [...r.shortNames] } : {}),
      ...(r.categories ? { categories: [...r.categories] } : {}),
      storageVersionHash: Buffer.from(`${r.group}/${r.plural}`).toString('base64').slice(0, 11),
    });
    for (const [sub, d] of Object.entries(r.subresources ?? {})) {
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(d.group !== undefined ? { group: d.group, version: d.version } : {}),
        kind: d.kind ?? (sub === 'log' ? 'Pod' : r.kind),
        verbs: [...d.verbs],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    // The legacy core group's document has no apiVersion; the named groups' do.
    ...(group === '' ? {} : { apiVersion: 'v1' }),
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources,
  };
}
