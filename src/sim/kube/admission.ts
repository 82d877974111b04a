/**
 * What the API server does to an object between the request and the store: defaulting and the
 * validation rules our tool can run into (names, Secret data, workload selectors, immutability).
 */
import { randomBytes } from 'node:crypto';
import type { ResourceDef } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import { errors } from './status.js';
import { isRecord, type KubeObject } from './types.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A random suffix from the alphabet the API server uses for generateName. */
export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += NAME_SUFFIX_ALPHABET[b % NAME_SUFFIX_ALPHABET.length];
  return out;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** Fills in the defaults the real API server sets on create. Mutates `obj`. */
export function applyDefaults(def: ResourceDef, obj: KubeObject): void {
  const spec = record(obj.spec);
  switch (def.kind) {
    case 'Namespace':
      obj.spec = { finalizers: ['kubernetes'], ...spec };
      obj.status = { phase: 'Active' };
      break;
    case 'Secret':
      obj.type ??= 'Opaque';
      break;
    case 'Service':
      obj.spec = {
        type: 'ClusterIP',
        sessionAffinity: 'None',
        ...spec,
        clusterIP: spec.clusterIP ?? `10.96.${randomBytes(1)[0]}.${randomBytes(1)[0]}`,
      };
      obj.status = { loadBalancer: {} };
      break;
    case 'Deployment':
      obj.spec = {
        replicas: 1,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        ...spec,
        strategy: defaultDeploymentStrategy(spec.strategy),
      };
      obj.status = {};
      break;
    case 'StatefulSet': {
      const strategy = record(spec.updateStrategy);
      const type = strategy.type ?? 'RollingUpdate';
      obj.spec = {
        replicas: 1,
        podManagementPolicy: 'OrderedReady',
        revisionHistoryLimit: 10,
        ...spec,
        updateStrategy:
          type === 'RollingUpdate'
            ? { type, rollingUpdate: { partition: 0, ...record(strategy.rollingUpdate) } }
            : { type },
      };
      obj.status = { replicas: 0, availableReplicas: 0 };
      break;
    }
    case 'ReplicaSet':
      obj.spec = { replicas: 1, ...spec };
      obj.status = { replicas: 0 };
      break;
    case 'Pod':
      obj.spec = {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        ...spec,
      };
      obj.status = { phase: 'Pending', qosClass: 'BestEffort' };
      break;
    default:
      break;
  }
}

function defaultDeploymentStrategy(raw: unknown): Record<string, unknown> {
  const strategy = record(raw);
  const type = strategy.type ?? 'RollingUpdate';
  if (type !== 'RollingUpdate') return { type };
  return { type, rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%', ...record(strategy.rollingUpdate) } };
}

type Cause = { field: string; message: string; reason?: string };

/** Validates an object about to be stored; throws a 422 Invalid ApiError naming every bad field. */
export function validate(def: ResourceDef, obj: KubeObject, previous: KubeObject | undefined): void {
  const causes: Cause[] = [];
  const name = obj.metadata.name ?? '';
  const namePattern = def.kind === 'Namespace' || def.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
  if (!name)
    causes.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  else if (!namePattern.test(name) || name.length > 253)
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${namePattern === DNS_LABEL ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });

  if (def.kind === 'Secret' || def.kind === 'ConfigMap') {
    const data = obj.data;
    if (data !== undefined && !isRecord(data))
      causes.push({ field: 'data', message: 'Invalid value: must be a map of string to string' });
    for (const [key, value] of Object.entries(record(data))) {
      if (!CONFIG_KEY.test(key))
        causes.push({
          field: `data[${key}]`,
          message: `Invalid value: "${key}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
        });
      if (def.kind === 'Secret' && (typeof value !== 'string' || !BASE64.test(value)))
        throw errors.badRequest(
          `Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data key "${key}")`,
        );
    }
    if (
      previous &&
      previous.immutable === true &&
      JSON.stringify(previous.data ?? {}) !== JSON.stringify(obj.data ?? {})
    )
      causes.push({
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
        reason: 'FieldValueForbidden',
      });
  }

  if (def.kind === 'Deployment' || def.kind === 'StatefulSet' || def.kind === 'ReplicaSet') {
    const spec = record(obj.spec);
    const template = record(spec.template);
    const labels = record(record(template.metadata).labels) as Record<string, string>;
    if (!isRecord(spec.selector))
      causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    else if (!labelSelectorMatcher(spec.selector)(labels))
      causes.push({
        field: 'spec.template.metadata.labels',
        message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\``,
      });
    const containers = record(template.spec).containers;
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
    if (previous && JSON.stringify(record(previous.spec).selector) !== JSON.stringify(spec.selector))
      causes.push({
        field: 'spec.selector',
        message: `Invalid value: ${JSON.stringify(spec.selector)}: field is immutable`,
      });
    if (typeof spec.replicas === 'number' && spec.replicas < 0)
      causes.push({
        field: 'spec.replicas',
        message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
      });
  }

  if (def.kind === 'Pod' && !previous) {
    const containers = record(obj.spec).containers;
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
  }

  if (causes.length > 0) throw errors.invalid(def.group, def.kind, name, causes);
}
