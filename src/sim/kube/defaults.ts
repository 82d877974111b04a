/**
 * Defaulting as the real API server does it on create (and on update for the pod template):
 * SetObjectDefaults_* of k8s.io/kubernetes/pkg/apis/<group>/v1 for the kinds kube-sim serves, plus
 * what the default admission plugins add to a Pod (ServiceAccount and its token volume,
 * DefaultTolerationSeconds, Priority).
 */
import { randomBytes } from 'node:crypto';
import { isRecord, type KubeObject } from './types.js';

const rec = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const arr = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter(isRecord) : []);

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix from the alphabet the API server uses for generateName. */
export function randomSuffix(length = 5): string {
  let out = '';
  for (const b of randomBytes(length)) out += SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length];
  return out;
}

function setIfAbsent(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (obj[key] === undefined) obj[key] = value;
}

function defaultProbe(probe: unknown): void {
  if (!isRecord(probe)) return;
  setIfAbsent(probe, 'timeoutSeconds', 1);
  setIfAbsent(probe, 'periodSeconds', 10);
  setIfAbsent(probe, 'successThreshold', 1);
  setIfAbsent(probe, 'failureThreshold', 3);
  if (isRecord(probe.httpGet)) setIfAbsent(probe.httpGet, 'scheme', 'HTTP');
}

function imagePullPolicy(image: string): string {
  const last = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = last.includes(':') ? last.slice(last.lastIndexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Record<string, unknown>): void {
  setIfAbsent(c, 'terminationMessagePath', '/dev/termination-log');
  setIfAbsent(c, 'terminationMessagePolicy', 'File');
  if (typeof c.image === 'string') setIfAbsent(c, 'imagePullPolicy', imagePullPolicy(c.image));
  setIfAbsent(c, 'resources', {});
  for (const port of arr(c.ports)) setIfAbsent(port, 'protocol', 'TCP');
  for (const env of arr(c.env)) {
    const fieldRef = rec(rec(env.valueFrom).fieldRef);
    if (isRecord(rec(env.valueFrom).fieldRef)) setIfAbsent(fieldRef, 'apiVersion', 'v1');
    const resourceFieldRef = rec(env.valueFrom).resourceFieldRef;
    if (isRecord(resourceFieldRef)) setIfAbsent(resourceFieldRef, 'divisor', '0');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

function defaultVolume(v: Record<string, unknown>): void {
  for (const key of ['secret', 'configMap', 'projected', 'downwardAPI'])
    if (isRecord(v[key])) setIfAbsent(v[key], 'defaultMode', 420);
  for (const item of arr(rec(v.downwardAPI).items))
    if (isRecord(item.fieldRef)) setIfAbsent(item.fieldRef, 'apiVersion', 'v1');
  for (const source of arr(rec(v.projected).sources)) {
    for (const item of arr(rec(source.downwardAPI).items))
      if (isRecord(item.fieldRef)) setIfAbsent(item.fieldRef, 'apiVersion', 'v1');
    if (isRecord(source.serviceAccountToken)) setIfAbsent(source.serviceAccountToken, 'expirationSeconds', 3600);
  }
  if (isRecord(v.hostPath)) setIfAbsent(v.hostPath, 'type', '');
  if (isRecord(v.persistentVolumeClaim)) setIfAbsent(v.persistentVolumeClaim, 'readOnly', false);
}

/** SetDefaults_PodSpec and its containers and volumes. Mutates `spec`. */
export function defaultPodSpec(spec: Record<string, unknown>): void {
  setIfAbsent(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfAbsent(spec, 'dnsPolicy', 'ClusterFirst');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'schedulerName', 'default-scheduler');
  if (spec.serviceAccount !== undefined && spec.serviceAccountName === undefined)
    spec.serviceAccountName = spec.serviceAccount;
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)]) defaultContainer(c);
  for (const v of arr(spec.volumes)) defaultVolume(v);
}

function defaultTemplate(template: unknown): void {
  if (!isRecord(template)) return;
  if (!isRecord(template.metadata)) template.metadata = {};
  if (!isRecord(template.spec)) template.spec = {};
  defaultPodSpec(template.spec as Record<string, unknown>);
}

const TOKEN_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What the ServiceAccount, DefaultTolerationSeconds and Priority admission plugins add to a new Pod. */
export function admitPod(pod: KubeObject, serviceAccount: KubeObject | undefined): void {
  const spec = rec(pod.spec);
  spec.serviceAccountName =
    typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const automount = spec.automountServiceAccountToken ?? serviceAccount?.automountServiceAccountToken ?? true;
  const containers = [...arr(spec.containers), ...arr(spec.initContainers)];
  const mounted = containers.some((c) => arr(c.volumeMounts).some((m) => m.mountPath === TOKEN_MOUNT));
  if (automount !== false && !mounted) {
    const name = `kube-api-access-${randomSuffix()}`;
    spec.volumes = [
      ...arr(spec.volumes),
      {
        name,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ];
    for (const c of containers)
      c.volumeMounts = [...arr(c.volumeMounts), { name, readOnly: true, mountPath: TOKEN_MOUNT }];
  }
  const tolerations = arr(spec.tolerations);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'])
    if (!tolerations.some((t) => t.key === key && (t.effect === 'NoExecute' || t.effect === undefined)))
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  spec.tolerations = tolerations;
  setIfAbsent(spec, 'priority', 0);
  setIfAbsent(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  setIfAbsent(spec, 'enableServiceLinks', true);
  // Requests default to limits (SetDefaults_Pod).
  for (const c of containers) {
    const resources = rec(c.resources);
    if (isRecord(resources.limits)) resources.requests = { ...resources.limits, ...rec(resources.requests) };
  }
  pod.spec = spec;
  pod.status = { phase: 'Pending', qosClass: qosClass(containers) };
}

function qosClass(containers: Record<string, unknown>[]): string {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const r = rec(c.resources);
    const limits = rec(r.limits);
    const requests = rec(r.requests);
    if (Object.keys(limits).length > 0 || Object.keys(requests).length > 0) any = true;
    for (const res of ['cpu', 'memory'])
      if (limits[res] === undefined || (requests[res] !== undefined && String(requests[res]) !== String(limits[res])))
        guaranteed = false;
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultStrategy(raw: unknown): Record<string, unknown> {
  const strategy = rec(raw);
  const type = strategy.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') return { ...strategy, type };
  return { type, rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%', ...rec(strategy.rollingUpdate) } };
}

/** Fills in the defaults the real API server sets on create. Mutates `obj`. */
export function applyDefaults(kind: string, obj: KubeObject): void {
  const spec = rec(obj.spec);
  switch (kind) {
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...spec };
      obj.status = { phase: 'Active' };
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
      break;
    case 'Secret':
      obj.type ??= 'Opaque';
      break;
    case 'Event':
      obj.reportingComponent ??= '';
      obj.reportingInstance ??= '';
      // A zero MicroTime/Time is serialized as null, not omitted (metav1 structs ignore omitempty).
      obj.eventTime ??= null;
      obj.firstTimestamp ??= null;
      obj.lastTimestamp ??= null;
      break;
    case 'Service': {
      const type = spec.type ?? 'ClusterIP';
      const ports = arr(spec.ports).map((p) => ({ protocol: 'TCP', ...p, targetPort: p.targetPort ?? p.port }));
      const ip =
        typeof spec.clusterIP === 'string' && spec.clusterIP !== ''
          ? spec.clusterIP
          : `10.${96 + ((randomBytes(1)[0] ?? 0) % 16)}.${randomBytes(1)[0] ?? 0}.${1 + ((randomBytes(1)[0] ?? 0) % 254)}`;
      obj.spec = {
        type,
        sessionAffinity: 'None',
        ...spec,
        ...(type !== 'ExternalName'
          ? {
              clusterIP: ip,
              clusterIPs: [ip],
              ipFamilies: ['IPv4'],
              ipFamilyPolicy: spec.ipFamilyPolicy ?? 'SingleStack',
            }
          : {}),
        ports,
        ...(type === 'NodePort' || type === 'LoadBalancer'
          ? { externalTrafficPolicy: spec.externalTrafficPolicy ?? 'Cluster' }
          : {}),
        ...(type !== 'ExternalName' ? { internalTrafficPolicy: spec.internalTrafficPolicy ?? 'Cluster' } : {}),
      };
      obj.status = { loadBalancer: {} };
      break;
    }
    case 'Deployment':
      obj.spec = {
        replicas: 1,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        ...spec,
        strategy: defaultStrategy(spec.strategy),
      };
      defaultTemplate(rec(obj.spec).template);
      obj.status = {};
      break;
    case 'StatefulSet': {
      const strategy = rec(spec.updateStrategy);
      const type = strategy.type ?? 'RollingUpdate';
      obj.spec = {
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        revisionHistoryLimit: 10,
        ...spec,
        updateStrategy:
          type === 'RollingUpdate'
            ? { type, rollingUpdate: { partition: 0, ...rec(strategy.rollingUpdate) } }
            : { type },
        persistentVolumeClaimRetentionPolicy: {
          whenDeleted: 'Retain',
          whenScaled: 'Retain',
          ...rec(spec.persistentVolumeClaimRetentionPolicy),
        },
      };
      defaultTemplate(rec(obj.spec).template);
      obj.status = { replicas: 0, availableReplicas: 0 };
      break;
    }
    case 'DaemonSet': {
      const strategy = rec(spec.updateStrategy);
      const type = strategy.type ?? 'RollingUpdate';
      obj.spec = {
        revisionHistoryLimit: 10,
        ...spec,
        updateStrategy:
          type === 'RollingUpdate'
            ? { type, rollingUpdate: { maxUnavailable: 1, maxSurge: 0, ...rec(strategy.rollingUpdate) } }
            : { type },
      };
      defaultTemplate(rec(obj.spec).template);
      obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      break;
    }
    case 'ReplicaSet':
      obj.spec = { replicas: 1, ...spec };
      defaultTemplate(rec(obj.spec).template);
      obj.status = { replicas: 0 };
      break;
    case 'Job': {
      const next: Record<string, unknown> = { ...spec };
      if (next.completions === undefined && next.parallelism === undefined) {
        next.completions = 1;
        next.parallelism = 1;
      }
      setIfAbsent(next, 'parallelism', 1);
      setIfAbsent(next, 'backoffLimit', 6);
      setIfAbsent(next, 'completionMode', 'NonIndexed');
      setIfAbsent(next, 'suspend', false);
      setIfAbsent(next, 'manualSelector', false);
      if (next.podFailurePolicy === undefined) setIfAbsent(next, 'podReplacementPolicy', 'TerminatingOrFailed');
      // The job registry generates the selector and labels the template with the Job's uid.
      if (next.manualSelector !== true) {
        const uid = obj.metadata.uid ?? '';
        const name = obj.metadata.name ?? '';
        const controllerLabels = {
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': uid,
          'job-name': name,
        };
        next.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
        const template = rec(next.template);
        template.metadata = {
          ...rec(template.metadata),
          labels: { ...rec(rec(template.metadata).labels), ...controllerLabels },
        };
        next.template = template;
        obj.metadata.labels = { ...controllerLabels, ...obj.metadata.labels };
      }
      obj.spec = next;
      defaultTemplate(next.template);
      obj.status = {};
      break;
    }
    case 'CronJob': {
      obj.spec = {
        concurrencyPolicy: 'Allow',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        ...spec,
      };
      const jobTemplate = rec(rec(obj.spec).jobTemplate);
      if (!isRecord(jobTemplate.metadata)) jobTemplate.metadata = {};
      defaultTemplate(rec(jobTemplate.spec).template);
      obj.status = {};
      break;
    }
    case 'Pod':
      obj.spec = spec;
      defaultPodSpec(spec);
      break;
    case 'EndpointSlice':
      for (const p of arr(obj.ports)) setIfAbsent(p, 'protocol', 'TCP');
      break;
    default:
      break;
  }
}
