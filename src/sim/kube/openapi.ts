/**
 * Just enough OpenAPI for kubectl's validation path. kubectl (1.27+) asks /openapi/v3 whether
 * the server supports `fieldValidation` on PATCH for a kind, and then leaves validation to the
 * server; older kubectl (such as Debian's 1.20) downloads /openapi/v2 as protobuf and validates
 * only the kinds it finds there. We list every kind with that parameter in v3, and serve an
 * empty (but well-formed) v2 document, so `kubectl create -f` and `replace -f` work unchanged.
 */
import { RESOURCES, groupVersions } from './resources.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiV3Root(): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions()) {
    const path = gvPath(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=kube-sim-1` };
  }
  return { paths };
}

export function openApiV3GroupVersion(path: string): object | undefined {
  const gv = groupVersions().find((g) => gvPath(g.group, g.version) === path);
  if (!gv) return undefined;
  const fieldValidation = { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } };
  const paths: Record<string, object> = {};
  for (const r of RESOURCES.filter((x) => x.group === gv.group && x.version === gv.version)) {
    const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    const gvk = { 'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind } };
    paths[base] = { post: { operationId: `create${r.kind}`, parameters: [fieldValidation], ...gvk } };
    paths[`${base}/{name}`] = {
      put: { operationId: `replace${r.kind}`, parameters: [fieldValidation], ...gvk },
      patch: { operationId: `patch${r.kind}`, parameters: [fieldValidation], ...gvk },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths, components: { schemas: {} } };
}

function protoString(field: number, value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([Buffer.from([(field << 3) | 2, bytes.length]), bytes]);
}

/** gnostic openapi_v2.Document { swagger: "2.0", info: { title, version } } in protobuf. */
export function openApiV2Protobuf(): Buffer {
  const info = Buffer.concat([protoString(1, 'Kubernetes'), protoString(2, 'v1.31.0')]);
  return Buffer.concat([protoString(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
}

export function openApiV2Json(): object {
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.31.0' }, paths: {}, definitions: {} };
}
