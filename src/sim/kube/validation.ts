/**
 * Validation of objects about to be stored, following pkg/apis/<group>/validation of Kubernetes v1.34
 * for the fields the tool, its simulated layouts and kubectl send: object metadata, Secrets and
 * ConfigMaps (keys, 1 MiB, immutability), Leases, Events, pod specs and templates (containers,
 * ports, env, volumes, mounts, restart policy), workloads (selectors, immutable and forbidden
 * updates), Jobs, CronJobs and Services. Each returns the field errors; admission turns them into
 * one 422 Invalid, as the real server does.
 */
import {
  fe,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isPortNumber,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  type FieldError,
} from './fielderrors.js';
import type { PendingFix } from './pending.js';
import { labelSelectorMatcher } from './selectors.js';
import { isRecord, type KubeObject } from './types.js';

export const MAX_SECRET_SIZE = 1024 * 1024;
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export interface ValidationContext {
  /** Leniencies still in force (PENDING_PRODUCT_FIXES). */
  readonly lenient: ReadonlySet<PendingFix>;
}

// ------------------------------------------------------------------ metadata

function nameErrors(kind: string, name: string): string[] {
  switch (kind) {
    case 'Namespace':
    case 'Service':
      return isDNS1123Label(name);
    case 'Role':
    case 'RoleBinding':
    case 'ClusterRole':
    case 'ClusterRoleBinding':
      return name === '.' || name === '..'
        ? [`may not be '${name}'`]
        : /[/%]/.test(name)
          ? [`may not contain '${name.includes('/') ? '/' : '%'}'`]
          : [];
    default:
      return isDNS1123Subdomain(name);
  }
}

export function validateLabels(labels: unknown, path: string): FieldError[] {
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(rec(labels))) {
    for (const msg of isQualifiedName(k)) out.push(fe.invalid(path, k, msg));
    for (const msg of isValidLabelValue(str(v))) out.push(fe.invalid(path, v, msg));
  }
  return out;
}

function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  const out: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(rec(annotations))) {
    for (const msg of isQualifiedName(k.toLowerCase())) out.push(fe.invalid(path, k, msg));
    total += k.length + str(v).length;
  }
  if (total > TOTAL_ANNOTATION_SIZE) out.push(fe.tooLong(path, TOTAL_ANNOTATION_SIZE));
  return out;
}

function validateMeta(kind: string, obj: KubeObject, previous: KubeObject | undefined): FieldError[] {
  const out: FieldError[] = [];
  const meta = obj.metadata;
  const name = meta.name ?? '';
  if (!name) out.push(fe.required('metadata.name', 'name or generateName is required'));
  else for (const msg of nameErrors(kind, name)) out.push(fe.invalid('metadata.name', name, msg));
  // Event names are not checked for a generateName (a real server accepts `x.kubecost-rotate.`).
  if (meta.generateName && kind !== 'Event')
    // apimachinery's maskTrailingDash, quirk included: it drops two characters and appends one.
    for (const msg of nameErrors(
      kind,
      meta.generateName.endsWith('-') ? `${meta.generateName.slice(0, -2)}a` : meta.generateName,
    ))
      out.push(fe.invalid('metadata.generateName', meta.generateName, msg));
  out.push(...validateLabels(meta.labels, 'metadata.labels'));
  out.push(...validateAnnotations(meta.annotations, 'metadata.annotations'));
  const refs = arr(meta.ownerReferences).map(rec);
  refs.forEach((ref, i) => {
    const p = `metadata.ownerReferences[${i}]`;
    if (!str(ref.apiVersion))
      out.push(fe.invalid(`${p}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!str(ref.kind)) out.push(fe.invalid(`${p}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!str(ref.name)) out.push(fe.invalid(`${p}.name`, ref.name ?? '', 'name must not be empty'));
    if (!str(ref.uid)) out.push(fe.invalid(`${p}.uid`, ref.uid ?? '', 'uid must not be empty'));
  });
  if (refs.filter((r) => r.controller === true).length > 1)
    out.push(
      fe.invalidRendered(
        'metadata.ownerReferences',
        '[]v1.OwnerReference{...}',
        'Only one reference can have Controller set to true',
      ),
    );
  for (const [i, f] of arr(meta.finalizers).entries()) {
    const text = str(f);
    const errs = isQualifiedName(text);
    if (errs.length > 0) for (const msg of errs) out.push(fe.invalid(`metadata.finalizers[${i}]`, text, msg));
    else if (!text.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(text))
      out.push(
        fe.invalid(
          `metadata.finalizers[${i}]`,
          text,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
  }
  if (previous) {
    if (previous.metadata.deletionTimestamp) {
      const before = new Set(arr(previous.metadata.finalizers).map(str));
      const added = arr(meta.finalizers)
        .map(str)
        .filter((f) => !before.has(f));
      if (added.length > 0)
        out.push(
          fe.forbidden(
            'metadata.finalizers',
            `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
          ),
        );
    }
  }
  return out;
}

// ------------------------------------------------------------------ Secrets, ConfigMaps

function dataSize(data: unknown, base64: boolean): number {
  let total = 0;
  for (const v of Object.values(rec(data)))
    total += base64 ? Buffer.from(str(v), 'base64').length : Buffer.byteLength(str(v));
  return total;
}

function validateSecret(obj: KubeObject, previous: KubeObject | undefined): FieldError[] {
  const out: FieldError[] = [];
  const data = rec(obj.data);
  for (const key of Object.keys(data))
    for (const msg of isConfigMapKey(key)) out.push(fe.invalid(`data[${key}]`, key, msg));
  const type = str(obj.type);
  const need = (key: string) => {
    if (data[key] === undefined) out.push(fe.required(`data[${key}]`));
  };
  if (type === 'kubernetes.io/tls') {
    need('tls.key');
    need('tls.crt');
  } else if (type === 'kubernetes.io/ssh-auth') need('ssh-privatekey');
  else if (type === 'kubernetes.io/dockerconfigjson') need('.dockerconfigjson');
  else if (type === 'kubernetes.io/dockercfg') need('.dockercfg');
  if (dataSize(data, true) > MAX_SECRET_SIZE) out.push(fe.tooLong('data', MAX_SECRET_SIZE));
  if (previous) {
    if (str(previous.type) !== type) out.push(fe.invalid('type', type, 'field is immutable'));
    out.push(...immutableData(obj, previous));
  }
  return out;
}

function immutableData(obj: KubeObject, previous: KubeObject): FieldError[] {
  if (previous.immutable !== true) return [];
  const out: FieldError[] = [];
  if (obj.immutable !== true) out.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
  if (JSON.stringify(previous.data ?? {}) !== JSON.stringify(obj.data ?? {}))
    out.push(fe.forbidden('data', 'field is immutable when `immutable` is set'));
  if (
    previous.kind === 'ConfigMap' &&
    JSON.stringify(previous.binaryData ?? {}) !== JSON.stringify(obj.binaryData ?? {})
  )
    out.push(fe.forbidden('binaryData', 'field is immutable when `immutable` is set'));
  return out;
}

function validateConfigMap(obj: KubeObject, previous: KubeObject | undefined): FieldError[] {
  const out: FieldError[] = [];
  const data = rec(obj.data);
  const binary = rec(obj.binaryData);
  for (const key of Object.keys(data))
    for (const msg of isConfigMapKey(key)) out.push(fe.invalid(`data[${key}]`, key, msg));
  for (const key of Object.keys(binary)) {
    for (const msg of isConfigMapKey(key)) out.push(fe.invalid(`binaryData[${key}]`, key, msg));
    if (key in data) out.push(fe.invalid(`binaryData[${key}]`, key, 'duplicate of key present in data'));
  }
  if (dataSize(data, false) + dataSize(binary, true) > MAX_SECRET_SIZE) out.push(fe.tooLong('[]', MAX_SECRET_SIZE)); // field.NewPath("") renders as []
  if (previous) out.push(...immutableData(obj, previous));
  return out;
}

// ------------------------------------------------------------------ Leases, Events

function validateLease(obj: KubeObject): FieldError[] {
  const out: FieldError[] = [];
  const spec = rec(obj.spec);
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0)
    out.push(fe.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
    out.push(fe.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  return out;
}

function validateEvent(obj: KubeObject): FieldError[] {
  const out: FieldError[] = [];
  const namespace = obj.metadata.namespace ?? '';
  const involved = rec(obj.involvedObject);
  const involvedNs = str(involved.namespace);
  if (obj.eventTime === undefined || obj.eventTime === null) {
    if (involvedNs === '') {
      if (namespace !== '' && namespace !== 'default')
        out.push(fe.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    } else if (namespace !== involvedNs)
      out.push(fe.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  } else {
    if (involvedNs === '' && namespace !== 'default' && namespace !== 'kube-system')
      out.push(fe.invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    // core/v1 names the field reportingComponent (reportingController in the internal type).
    const controller = str(obj.reportingComponent);
    if (!controller) out.push(fe.required('reportingComponent'));
    for (const msg of isQualifiedName(controller)) out.push(fe.invalid('reportingComponent', controller, msg));
    if (!str(obj.reportingInstance)) out.push(fe.required('reportingInstance'));
    else if (str(obj.reportingInstance).length > 128)
      out.push(fe.invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!str(obj.action)) out.push(fe.required('action'));
    else if (str(obj.action).length > 128) out.push(fe.invalid('action', '', 'can have at most 128 characters'));
    if (!str(obj.reason)) out.push(fe.required('reason'));
    else if (str(obj.reason).length > 128) out.push(fe.invalid('reason', '', 'can have at most 128 characters'));
    if (str(obj.message).length > 1024) out.push(fe.invalid('message', '', 'can have at most 1024 characters'));
  }
  for (const msg of isDNS1123Subdomain(namespace)) out.push(fe.invalid('namespace', namespace, msg));
  return out;
}

// ------------------------------------------------------------------ pod specs

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

export interface PodSpecOptions {
  /** Allowed restart policies (templates of Deployments and DaemonSets: only Always). */
  readonly restartPolicies: readonly string[];
  readonly lenient: ReadonlySet<PendingFix>;
}

function validateKeyToPaths(items: unknown, path: string, out: FieldError[]): void {
  arr(items)
    .map(rec)
    .forEach((item, i) => {
      const p = `${path}.items[${i}]`;
      if (!str(item.key)) out.push(fe.required(`${p}.key`));
      const target = str(item.path);
      if (!target) out.push(fe.required(`${p}.path`));
      else if (target.startsWith('/')) out.push(fe.invalid(`${p}.path`, target, 'must be a relative path'));
      else if (target.split('/').includes('..')) out.push(fe.invalid(`${p}.path`, target, "must not contain '..'"));
    });
}

function validateMode(mode: unknown, path: string, out: FieldError[]): void {
  if (typeof mode === 'number' && (mode < 0 || mode > 0o777))
    out.push(fe.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
}

function validateVolumes(volumes: unknown, path: string, out: FieldError[]): Set<string> {
  const names = new Set<string>();
  arr(volumes)
    .map(rec)
    .forEach((v, i) => {
      const p = `${path}[${i}]`;
      const name = str(v.name);
      if (!name) out.push(fe.required(`${p}.name`));
      else {
        for (const msg of isDNS1123Label(name)) out.push(fe.invalid(`${p}.name`, name, msg));
        if (names.has(name)) out.push(fe.duplicate(`${p}.name`, name));
      }
      names.add(name);
      const sources = VOLUME_SOURCES.filter((s) => v[s] !== undefined);
      if (sources.length === 0) out.push(fe.required(p, 'must specify a volume type'));
      else if (sources.length > 1)
        out.push(fe.forbidden(`${p}.${sources[1] ?? ''}`, 'may not specify more than 1 volume type'));
      if (v.secret !== undefined) {
        const s = rec(v.secret);
        if (!str(s.secretName)) out.push(fe.required(`${p}.secret.secretName`));
        validateMode(s.defaultMode, `${p}.secret.defaultMode`, out);
        validateKeyToPaths(s.items, `${p}.secret`, out);
      }
      if (v.configMap !== undefined) {
        const c = rec(v.configMap);
        if (!str(c.name)) out.push(fe.required(`${p}.configMap.name`));
        validateMode(c.defaultMode, `${p}.configMap.defaultMode`, out);
        validateKeyToPaths(c.items, `${p}.configMap`, out);
      }
      if (v.projected !== undefined) {
        const pr = rec(v.projected);
        validateMode(pr.defaultMode, `${p}.projected.defaultMode`, out);
        arr(pr.sources)
          .map(rec)
          .forEach((s, j) => {
            const sp = `${p}.projected.sources[${j}]`;
            const kinds = [
              'secret',
              'configMap',
              'downwardAPI',
              'serviceAccountToken',
              'clusterTrustBundle',
              'podCertificate',
            ].filter((k) => s[k] !== undefined);
            if (kinds.length > 1)
              out.push(fe.forbidden(`${sp}.${kinds[1] ?? ''}`, 'may not specify more than 1 volume type per source'));
            if (s.secret !== undefined) validateKeyToPaths(rec(s.secret).items, `${sp}.secret`, out);
            if (s.configMap !== undefined) validateKeyToPaths(rec(s.configMap).items, `${sp}.configMap`, out);
          });
      }
      if (v.persistentVolumeClaim !== undefined && !str(rec(v.persistentVolumeClaim).claimName))
        out.push(fe.required(`${p}.persistentVolumeClaim.claimName`));
    });
  return names;
}

function validateEnv(env: unknown, path: string, out: FieldError[]): void {
  arr(env)
    .map(rec)
    .forEach((e, i) => {
      const p = `${path}[${i}]`;
      const name = str(e.name);
      if (!name) out.push(fe.required(`${p}.name`));
      else for (const msg of isEnvVarName(name)) out.push(fe.invalid(`${p}.name`, name, msg));
      if (e.valueFrom === undefined) return;
      const from = rec(e.valueFrom);
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter(
        (k) => from[k] !== undefined,
      );
      if (str(e.value) !== '' && sources.length > 0)
        out.push(fe.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      if (sources.length === 0)
        out.push(
          fe.invalid(
            `${p}.valueFrom`,
            '',
            'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
          ),
        );
      else if (sources.length > 1)
        out.push(fe.invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
      for (const ref of ['secretKeyRef', 'configMapKeyRef'] as const) {
        if (from[ref] === undefined) continue;
        const r = rec(from[ref]);
        const key = str(r.key);
        if (!key) out.push(fe.required(`${p}.valueFrom.${ref}.key`));
        else for (const msg of isConfigMapKey(key)) out.push(fe.invalid(`${p}.valueFrom.${ref}.key`, key, msg));
        if (!str(r.name)) out.push(fe.required(`${p}.valueFrom.${ref}.name`));
      }
      if (from.fieldRef !== undefined && !str(rec(from.fieldRef).fieldPath))
        out.push(fe.required(`${p}.valueFrom.fieldRef.fieldPath`));
    });
}

function validateContainers(
  containers: unknown,
  path: string,
  volumes: Set<string>,
  seenNames: Set<string>,
  seenPorts: Set<string>,
  options: PodSpecOptions,
  out: FieldError[],
): void {
  arr(containers)
    .map(rec)
    .forEach((c, i) => {
      const p = `${path}[${i}]`;
      const name = str(c.name);
      if (!name) out.push(fe.required(`${p}.name`));
      else {
        for (const msg of isDNS1123Label(name)) out.push(fe.invalid(`${p}.name`, name, msg));
        if (seenNames.has(name)) out.push(fe.duplicate(`${p}.name`, name));
      }
      seenNames.add(name);
      if (!str(c.image)) out.push(fe.required(`${p}.image`));
      if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(str(c.imagePullPolicy)))
        out.push(fe.notSupported(`${p}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
      arr(c.ports)
        .map(rec)
        .forEach((port, j) => {
          const pp = `${p}.ports[${j}]`;
          const portName = str(port.name);
          if (portName) {
            for (const msg of isValidPortName(portName)) out.push(fe.invalid(`${pp}.name`, portName, msg));
            if (seenPorts.has(portName)) out.push(fe.duplicate(`${pp}.name`, portName));
            seenPorts.add(portName);
          }
          if (port.containerPort === undefined || port.containerPort === 0)
            out.push(fe.required(`${pp}.containerPort`));
          else
            for (const msg of isPortNumber(Number(port.containerPort)))
              out.push(fe.invalid(`${pp}.containerPort`, port.containerPort, msg));
          if (port.hostPort !== undefined && port.hostPort !== 0)
            for (const msg of isPortNumber(Number(port.hostPort)))
              out.push(fe.invalid(`${pp}.hostPort`, port.hostPort, msg));
          if (!str(port.protocol)) out.push(fe.required(`${pp}.protocol`));
          else if (!PROTOCOLS.includes(str(port.protocol)))
            out.push(fe.notSupported(`${pp}.protocol`, port.protocol, PROTOCOLS));
        });
      validateEnv(c.env, `${p}.env`, out);
      arr(c.envFrom)
        .map(rec)
        .forEach((e, j) => {
          const sources = ['configMapRef', 'secretRef'].filter((k) => e[k] !== undefined);
          if (sources.length === 0)
            out.push(fe.invalid(`${p}.envFrom[${j}]`, '', 'must specify one of: `configMapRef` or `secretRef`'));
          else if (sources.length > 1)
            out.push(fe.invalid(`${p}.envFrom[${j}]`, '', 'may not have more than one field specified at a time'));
        });
      const mountPaths = new Set<string>();
      arr(c.volumeMounts)
        .map(rec)
        .forEach((m, j) => {
          const mp = `${p}.volumeMounts[${j}]`;
          const mname = str(m.name);
          if (!mname) out.push(fe.required(`${mp}.name`));
          else if (!volumes.has(mname)) out.push(fe.notFound(`${mp}.name`, mname));
          const mountPath = str(m.mountPath);
          if (!mountPath) out.push(fe.required(`${mp}.mountPath`));
          else if (mountPaths.has(mountPath)) out.push(fe.invalid(`${mp}.mountPath`, mountPath, 'must be unique'));
          mountPaths.add(mountPath);
          const subPath = str(m.subPath);
          if (subPath.startsWith('/')) out.push(fe.invalid(`${mp}.subPath`, subPath, 'must be a relative path'));
          else if (subPath.split('/').includes('..'))
            out.push(fe.invalid(`${mp}.subPath`, subPath, "must not contain '..'"));
        });
    });
}

export function validatePodSpec(spec: unknown, path: string, options: PodSpecOptions): FieldError[] {
  const out: FieldError[] = [];
  const s = rec(spec);
  const volumes = validateVolumes(s.volumes, `${path}.volumes`, out);
  const names = new Set<string>();
  const ports = new Set<string>();
  if (arr(s.containers).length === 0) out.push(fe.required(`${path}.containers`));
  validateContainers(s.initContainers, `${path}.initContainers`, volumes, names, ports, options, out);
  validateContainers(s.containers, `${path}.containers`, volumes, names, ports, options, out);
  const restart = str(s.restartPolicy);
  if (options.restartPolicies.length === 2 && !options.restartPolicies.includes(restart))
    // ValidateJobSpec words it as a required value.
    out.push(
      fe.required(
        `${path}.restartPolicy`,
        `valid values: ${options.restartPolicies.map((p) => JSON.stringify(p)).join(', ')}`,
      ),
    );
  else if (!options.restartPolicies.includes(restart))
    out.push(
      restart === ''
        ? fe.required(`${path}.restartPolicy`)
        : fe.notSupported(`${path}.restartPolicy`, restart, options.restartPolicies),
    );
  if (s.dnsPolicy !== undefined && !DNS_POLICIES.includes(str(s.dnsPolicy)))
    out.push(fe.notSupported(`${path}.dnsPolicy`, s.dnsPolicy, DNS_POLICIES));
  if (typeof s.terminationGracePeriodSeconds === 'number' && s.terminationGracePeriodSeconds < 0)
    out.push(
      fe.invalid(
        `${path}.terminationGracePeriodSeconds`,
        s.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  if (s.serviceAccountName !== undefined && str(s.serviceAccountName) !== '')
    for (const msg of isDNS1123Subdomain(str(s.serviceAccountName)))
      out.push(fe.invalid(`${path}.serviceAccountName`, s.serviceAccountName, msg));
  out.push(...validateLabels(s.nodeSelector, `${path}.nodeSelector`));
  return out;
}

function validateTemplate(template: unknown, path: string, options: PodSpecOptions): FieldError[] {
  const t = rec(template);
  return [
    ...validateLabels(rec(t.metadata).labels, `${path}.metadata.labels`),
    ...validateAnnotations(rec(t.metadata).annotations, `${path}.metadata.annotations`),
    ...validatePodSpec(t.spec, `${path}.spec`, options),
  ];
}

// ------------------------------------------------------------------ workloads

/** A LabelSelector as field.Error renders it: JSON in struct field order (matchLabels, matchExpressions). */
function renderSelector(selector: unknown): string {
  const s = rec(selector);
  const labels = isRecord(s.matchLabels)
    ? Object.fromEntries(
        Object.keys(s.matchLabels)
          .sort()
          .map((k) => [k, rec(s.matchLabels)[k]]),
      )
    : undefined;
  return JSON.stringify({
    ...(labels ? { matchLabels: labels } : {}),
    ...(Array.isArray(s.matchExpressions) ? { matchExpressions: s.matchExpressions } : {}),
  });
}

function selectorIsEmpty(selector: unknown): boolean {
  const s = rec(selector);
  return Object.keys(rec(s.matchLabels)).length === 0 && arr(s.matchExpressions).length === 0;
}

function validateSelectorMatches(spec: Record<string, unknown>, kindName: string, out: FieldError[]): void {
  const labels = rec(rec(rec(spec.template).metadata).labels) as Record<string, string>;
  if (spec.selector === undefined) {
    // A missing selector selects nothing, so the template's labels do not match it either.
    out.push(fe.required('spec.selector'));
    out.push(fe.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
    return;
  }
  if (selectorIsEmpty(spec.selector)) {
    out.push(
      fe.invalidRendered('spec.selector', renderSelector(spec.selector), `empty selector is invalid for ${kindName}`),
    );
    return;
  }
  if (!labelSelectorMatcher(spec.selector)(labels))
    out.push(fe.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
}

function nonNegative(spec: Record<string, unknown>, field: string, out: FieldError[]): void {
  const v = spec[field];
  if (typeof v === 'number' && v < 0) out.push(fe.invalid(`spec.${field}`, v, 'must be greater than or equal to 0'));
}

function selectorImmutable(spec: Record<string, unknown>, previous: KubeObject | undefined, out: FieldError[]): void {
  if (previous && JSON.stringify(rec(previous.spec).selector) !== JSON.stringify(spec.selector))
    out.push(fe.invalidRendered('spec.selector', renderSelector(spec.selector), 'field is immutable'));
}

function validateWorkload(
  kind: string,
  obj: KubeObject,
  previous: KubeObject | undefined,
  ctx: ValidationContext,
): FieldError[] {
  const out: FieldError[] = [];
  const spec = rec(obj.spec);
  const lower = kind.toLowerCase();
  validateSelectorMatches(spec, lower, out);
  nonNegative(spec, 'replicas', out);
  nonNegative(spec, 'minReadySeconds', out);
  nonNegative(spec, 'revisionHistoryLimit', out);
  out.push(...validateTemplate(spec.template, 'spec.template', { restartPolicies: ['Always'], lenient: ctx.lenient }));
  selectorImmutable(spec, previous, out);
  if (kind === 'Deployment') {
    const strategy = rec(spec.strategy);
    const type = str(strategy.type);
    if (!['Recreate', 'RollingUpdate'].includes(type))
      out.push(fe.notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate']));
    if (type === 'Recreate' && strategy.rollingUpdate !== undefined)
      out.push(fe.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    if (
      typeof spec.progressDeadlineSeconds === 'number' &&
      typeof spec.minReadySeconds === 'number' &&
      spec.progressDeadlineSeconds <= spec.minReadySeconds
    )
      out.push(
        fe.invalid(
          'spec.progressDeadlineSeconds',
          spec.progressDeadlineSeconds,
          'must be greater than minReadySeconds',
        ),
      );
  }
  if (kind === 'StatefulSet' && previous) {
    const strip = (s: unknown) => {
      const copy: Record<string, unknown> = { ...rec(s) };
      for (const f of [
        'replicas',
        'ordinals',
        'template',
        'updateStrategy',
        'revisionHistoryLimit',
        'persistentVolumeClaimRetentionPolicy',
        'minReadySeconds',
      ])
        delete copy[f];
      return JSON.stringify(copy, Object.keys(copy).sort());
    };
    if (strip(spec) !== strip(previous.spec))
      out.push(
        fe.forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
  }
  if (kind === 'DaemonSet') {
    const type = str(rec(spec.updateStrategy).type);
    if (!['OnDelete', 'RollingUpdate'].includes(type))
      out.push(fe.notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  }
  return out;
}

function validateJob(obj: KubeObject, previous: KubeObject | undefined, ctx: ValidationContext): FieldError[] {
  const out: FieldError[] = [];
  const spec = rec(obj.spec);
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'])
    nonNegative(spec, f, out);
  if (
    spec.selector !== undefined &&
    !labelSelectorMatcher(spec.selector)(rec(rec(rec(spec.template).metadata).labels) as Record<string, string>)
  )
    out.push(
      fe.invalid(
        'spec.template.metadata.labels',
        rec(rec(rec(spec.template).metadata).labels),
        '`selector` does not match template `labels`',
      ),
    );
  out.push(
    ...validateTemplate(spec.template, 'spec.template', {
      restartPolicies: ['OnFailure', 'Never'],
      lenient: ctx.lenient,
    }),
  );
  if (previous) {
    const before = rec(previous.spec);
    if (JSON.stringify(before.template) !== JSON.stringify(spec.template))
      out.push(fe.invalidRendered('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
    if (JSON.stringify(before.selector) !== JSON.stringify(spec.selector)) selectorImmutable(spec, previous, out);
    if (before.completions !== spec.completions)
      out.push(fe.invalid('spec.completions', spec.completions ?? null, 'field is immutable'));
  }
  return out;
}

const CRON_MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** robfig/cron's standard parser (5 fields, or a macro), enough to tell a schedule from nonsense. */
export function cronScheduleError(schedule: string): string | undefined {
  const text = schedule.replace(/^(TZ|CRON_TZ)=\S+\s+/, '').trim();
  if (CRON_MACROS.has(text) || /^@every \d/.test(text)) return undefined;
  const fields = text.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  const bounds: [number, number][] = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 7],
  ];
  const names = [
    [],
    [],
    [],
    ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
    ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  ];
  for (const [i, field] of fields.entries()) {
    const [min, max] = bounds[i] ?? [0, 0];
    for (const part of field.split(',')) {
      const m = /^(\*|\?|[0-9a-zA-Z]+(?:-[0-9a-zA-Z]+)?)(?:\/(\d+))?$/.exec(part);
      if (!m) return `failed to parse int from ${part}: strconv.Atoi: parsing ${JSON.stringify(part)}: invalid syntax`;
      const range = m[1] ?? '';
      if (range === '*' || range === '?') continue;
      for (const value of range.split('-')) {
        const index = (names[i] ?? []).indexOf(value.toLowerCase());
        const n = index >= 0 ? index + (i === 3 ? 1 : 0) : Number(value);
        if (!Number.isInteger(n))
          return `failed to parse int from ${value}: strconv.Atoi: parsing ${JSON.stringify(value)}: invalid syntax`;
        if (n < min) return `beginning of range (${n}) below minimum (${min}): ${part}`;
        if (n > max) return `end of range (${n}) above maximum (${max}): ${part}`;
      }
    }
  }
  return undefined;
}

function validateCronJob(obj: KubeObject, ctx: ValidationContext): FieldError[] {
  const out: FieldError[] = [];
  const spec = rec(obj.spec);
  const schedule = str(spec.schedule);
  if (!schedule) out.push(fe.required('spec.schedule'));
  else {
    const bad = cronScheduleError(schedule);
    if (bad) out.push(fe.invalid('spec.schedule', schedule, bad));
  }
  const policy = str(spec.concurrencyPolicy);
  if (!['Allow', 'Forbid', 'Replace'].includes(policy))
    out.push(fe.notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
    nonNegative(spec, f, out);
  const jobSpec = rec(rec(spec.jobTemplate).spec);
  out.push(
    ...validateTemplate(jobSpec.template, 'spec.jobTemplate.spec.template', {
      restartPolicies: ['OnFailure', 'Never'],
      lenient: ctx.lenient,
    }),
  );
  if (obj.metadata.name && obj.metadata.name.length > 52)
    out.push(fe.invalid('metadata.name', obj.metadata.name, 'must be no more than 52 characters'));
  return out;
}

// ------------------------------------------------------------------ Services

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(obj: KubeObject, previous: KubeObject | undefined): FieldError[] {
  const out: FieldError[] = [];
  const spec = rec(obj.spec);
  const type = str(spec.type);
  if (!SERVICE_TYPES.includes(type)) out.push(fe.notSupported('spec.type', type, SERVICE_TYPES));
  const ports = arr(spec.ports).map(rec);
  if (ports.length === 0 && type !== 'ExternalName' && spec.clusterIP !== 'None') out.push(fe.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = `spec.ports[${i}]`;
    const name = str(port.name);
    if (ports.length > 1 && !name) out.push(fe.required(`${p}.name`));
    if (name) {
      for (const msg of isDNS1123Label(name)) out.push(fe.invalid(`${p}.name`, name, msg));
      if (names.has(name)) out.push(fe.duplicate(`${p}.name`, name));
      names.add(name);
    }
    for (const msg of isPortNumber(Number(port.port ?? 0))) out.push(fe.invalid(`${p}.port`, port.port ?? 0, msg));
    if (!PROTOCOLS.includes(str(port.protocol)))
      out.push(fe.notSupported(`${p}.protocol`, port.protocol ?? '', PROTOCOLS));
    const target = port.targetPort;
    if (typeof target === 'number')
      for (const msg of isPortNumber(target)) out.push(fe.invalid(`${p}.targetPort`, target, msg));
    else if (typeof target === 'string')
      for (const msg of isValidPortName(target)) out.push(fe.invalid(`${p}.targetPort`, target, msg));
  });
  for (const [k, v] of Object.entries(rec(spec.selector))) {
    for (const msg of isQualifiedName(k)) out.push(fe.invalid('spec.selector', k, msg));
    for (const msg of isValidLabelValue(str(v))) out.push(fe.invalid('spec.selector', v, msg));
  }
  if (previous) {
    const before = rec(previous.spec);
    if (str(before.clusterIP) && str(spec.clusterIP) !== str(before.clusterIP))
      out.push(fe.invalid('spec.clusterIPs[0]', [spec.clusterIP], 'may not change once set'));
  }
  return out;
}

// ------------------------------------------------------------------ entry point

/** Every field error of `obj` (about to replace `previous`, or to be created when undefined). */
export function validateObject(
  kind: string,
  obj: KubeObject,
  previous: KubeObject | undefined,
  ctx: ValidationContext,
): FieldError[] {
  const out = validateMeta(kind, obj, previous);
  switch (kind) {
    case 'Secret':
      out.push(...validateSecret(obj, previous));
      break;
    case 'ConfigMap':
      out.push(...validateConfigMap(obj, previous));
      break;
    case 'Lease':
      out.push(...validateLease(obj));
      break;
    case 'Event':
      out.push(...validateEvent(obj));
      break;
    case 'Deployment':
    case 'StatefulSet':
    case 'ReplicaSet':
    case 'DaemonSet':
      out.push(...validateWorkload(kind, obj, previous, ctx));
      break;
    case 'Job':
      out.push(...validateJob(obj, previous, ctx));
      break;
    case 'CronJob':
      out.push(...validateCronJob(obj, ctx));
      break;
    case 'Service':
      out.push(...validateService(obj, previous));
      break;
    case 'Pod':
      if (!previous)
        out.push(
          ...validatePodSpec(obj.spec, 'spec', {
            restartPolicies: ['Always', 'OnFailure', 'Never'],
            lenient: ctx.lenient,
          }),
        );
      else out.push(...validatePodUpdate(obj, previous));
      break;
    default:
      break;
  }
  return out;
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds, tolerations (added) and a few more may change. */
function validatePodUpdate(obj: KubeObject, previous: KubeObject): FieldError[] {
  const mutable = (spec: unknown) => {
    const s = structuredClone(rec(spec));
    for (const list of ['containers', 'initContainers'])
      for (const c of arr(s[list]).map(rec)) {
        delete c.image;
        delete c.resources;
      }
    delete s.activeDeadlineSeconds;
    delete s.tolerations;
    delete s.terminationGracePeriodSeconds;
    delete s.schedulingGates;
    delete s.nodeName;
    return JSON.stringify(s);
  };
  if (mutable(obj.spec) === mutable(previous.spec)) return [];
  return [
    fe.forbidden(
      'spec',
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    ),
  ];
}
