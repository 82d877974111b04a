/**
 * Generates `api-types.json`: the field names and types of the Kubernetes v1.34 API types
 * kube-sim serves, taken from the models @kubernetes/client-node 1.4.0 generates from the
 * v1.34.0 OpenAPI document. kube-sim decodes request bodies with it as the real server does
 * (unknown fields, type mismatches, Time and MicroTime). The file is checked in, so the schema
 * stays v1.34 when the client library moves on. Run: npx tsx src/sim/kube/schema/generate.ts
 */
import { writeFile } from 'node:fs/promises';
import * as k8s from '@kubernetes/client-node';

interface Attribute {
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

/** Root model class of each kind kube-sim serves (and the bodies of its subresources). */
const ROOTS: Record<string, string> = {
  Namespace: 'V1Namespace',
  Secret: 'V1Secret',
  ServiceAccount: 'V1ServiceAccount',
  ConfigMap: 'V1ConfigMap',
  Pod: 'V1Pod',
  Service: 'V1Service',
  Event: 'CoreV1Event',
  Endpoints: 'V1Endpoints',
  Node: 'V1Node',
  Deployment: 'V1Deployment',
  StatefulSet: 'V1StatefulSet',
  ReplicaSet: 'V1ReplicaSet',
  DaemonSet: 'V1DaemonSet',
  ControllerRevision: 'V1ControllerRevision',
  Lease: 'V1Lease',
  Job: 'V1Job',
  CronJob: 'V1CronJob',
  EndpointSlice: 'V1EndpointSlice',
  Role: 'V1Role',
  RoleBinding: 'V1RoleBinding',
  ClusterRole: 'V1ClusterRole',
  ClusterRoleBinding: 'V1ClusterRoleBinding',
  Scale: 'V1Scale',
  TokenRequest: 'AuthenticationV1TokenRequest',
  DeleteOptions: 'V1DeleteOptions',
};

const models = k8s as unknown as Record<string, { attributeTypeMap?: Attribute[] } | undefined>;

/** The Go type name the real server's decoder names in its errors (V1PodSpec → PodSpec). */
function goName(model: string): string {
  return model.replace(/^(CoreV1|DiscoveryV1|AuthenticationV1|RbacV1|V1)/, '');
}

const types: Record<string, Record<string, string>> = {};

function describe(type: string, format: string): string {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return `[]${describe(array[1] ?? '', format === 'byte' ? '' : format)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return `map[${describe(map[1] ?? '', format)}]`;
  switch (type) {
    case 'string':
      return format === 'byte' ? 'bytes' : 'string';
    case 'number':
      return format === 'int32' || format === 'int64' ? format : 'float64';
    case 'boolean':
      return 'bool';
    case 'Date':
      return format === 'date-time-micro' ? 'MicroTime' : 'Time';
    case 'V1MicroTime':
      return 'MicroTime';
    case 'IntOrString':
      return 'IntOrString';
    case 'any':
      return 'any';
    default:
      visit(type);
      return goName(type);
  }
}

function visit(model: string): void {
  const name = goName(model);
  if (types[name]) return;
  const attributes = models[model]?.attributeTypeMap;
  if (!attributes) throw new Error(`no model ${model} in @kubernetes/client-node`);
  const fields: Record<string, string> = {};
  types[name] = fields;
  for (const a of attributes) fields[a.baseName] = quantity(a.baseName, describe(a.type, a.format));
}

/** client-node types resource.Quantity as a string, but the real decoder also takes a JSON number. */
const QUANTITY_MAPS = new Set(['limits', 'requests', 'capacity', 'allocatable', 'overhead', 'allocatedResources']);
const QUANTITIES = new Set(['sizeLimit', 'divisor']);
function quantity(field: string, type: string): string {
  if (QUANTITY_MAPS.has(field) && type === 'map[string]') return 'map[Quantity]';
  if (QUANTITIES.has(field) && type === 'string') return 'Quantity';
  return type;
}

const kinds: Record<string, string> = {};
for (const [kind, model] of Object.entries(ROOTS)) {
  visit(model);
  kinds[kind] = goName(model);
}

const out = new URL('./api-types.json', import.meta.url);
await writeFile(
  out,
  `${JSON.stringify({ source: '@kubernetes/client-node 1.4.0 (OpenAPI v1.34.0)', kinds, types })}\n`,
);
console.log(`wrote ${Object.keys(types).length} types for ${Object.keys(kinds).length} kinds to ${out.pathname}`);
