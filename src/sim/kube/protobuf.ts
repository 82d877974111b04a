/**
 * Protobuf request bodies (application/vnd.kubernetes.protobuf) for the kinds kube-sim can decode
 * completely.
 */
import { apiVersionOf, type ResourceDef } from './resources.js';
import { errors } from './status.js';
import type { KubeObject, OwnerReference } from './types.js';

/**
 * kubectl 1.33+ sends the objects of its generator commands (`create secret generic`, `create
 * configmap`, `create namespace`) as application/vnd.kubernetes.protobuf, which every real API
 * server accepts. kube-sim decodes that wire format for the kinds whose schema it can decode
 * completely; other kinds still answer 415, never a silently half-decoded object.
 */
export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
export const PROTOBUF_KINDS = new Set(['Secret', 'ConfigMap', 'Namespace']);
const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer };

function protoFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length || shift > 63n) throw errors.badRequest('protobuf: truncated varint');
      const b = buf[pos++] ?? 0;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ no, wire, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw errors.badRequest('protobuf: truncated field');
      fields.push({ no, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1 || wire === 5) pos += wire === 1 ? 8 : 4;
    else throw errors.badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return fields;
}

const str = (f: Field) => (f.bytes ?? Buffer.alloc(0)).toString('utf8');

/** A map<string, string|bytes> entry: key = 1, value = 2. */
function mapEntry(f: Field): [string, Buffer] {
  const entry = protoFields(f.bytes ?? Buffer.alloc(0));
  return [
    str(entry.find((e) => e.no === 1) ?? { no: 1, wire: 2 }),
    entry.find((e) => e.no === 2)?.bytes ?? Buffer.alloc(0),
  ];
}

function decodeObjectMeta(buf: Buffer): KubeObject['metadata'] {
  const meta: KubeObject['metadata'] = {};
  const strings: Record<number, string> = {
    1: 'name',
    2: 'generateName',
    3: 'namespace',
    5: 'uid',
    6: 'resourceVersion',
  };
  for (const f of protoFields(buf)) {
    const key = strings[f.no];
    // Go's generated marshallers write every non-pointer string, empty or not: empty means unset, as in JSON's omitempty.
    if (key !== undefined) {
      if (str(f) !== '') meta[key] = str(f);
    } else if (f.no === 11 || f.no === 12) {
      const [k, v] = mapEntry(f);
      const target = f.no === 11 ? (meta.labels ??= {}) : (meta.annotations ??= {});
      target[k] = v.toString('utf8');
    } else if (f.no === 13) {
      const ref: Record<string, unknown> = {};
      for (const r of protoFields(f.bytes ?? Buffer.alloc(0))) {
        const names: Record<number, string> = { 1: 'kind', 3: 'name', 4: 'uid', 5: 'apiVersion' };
        if (names[r.no] !== undefined) ref[names[r.no] as string] = str(r);
        if (r.no === 6) ref.controller = r.varint === 1n;
        if (r.no === 7) ref.blockOwnerDeletion = r.varint === 1n;
      }
      (meta.ownerReferences ??= []).push(ref as unknown as OwnerReference);
    } else if (f.no === 14) (meta.finalizers ??= []).push(str(f));
    // 4 selfLink, 7 generation, 8/9 timestamps, 10 deletionGracePeriodSeconds, 17 managedFields: set by the server.
  }
  return meta;
}

export function decodeProtobufObject(def: ResourceDef, body: Buffer): KubeObject {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC))
    throw errors.badRequest('protobuf: the body does not start with the k8s envelope prefix');
  const unknown = protoFields(body.subarray(4));
  const typeMeta = protoFields(unknown.find((f) => f.no === 1)?.bytes ?? Buffer.alloc(0));
  const kind = str(typeMeta.find((f) => f.no === 2) ?? { no: 2, wire: 2 });
  const raw = unknown.find((f) => f.no === 2)?.bytes ?? Buffer.alloc(0);
  const obj: KubeObject = { apiVersion: apiVersionOf(def), kind: kind || def.kind, metadata: {} };
  const byteMap = (target: string, f: Field, encoding: 'base64' | 'utf8') => {
    const [k, v] = mapEntry(f);
    const map = (obj[target] ??= {}) as Record<string, string>;
    map[k] = v.toString(encoding);
  };
  for (const f of protoFields(raw)) {
    if (f.no === 1) obj.metadata = decodeObjectMeta(f.bytes ?? Buffer.alloc(0));
    else if (def.kind === 'Secret') {
      if (f.no === 2) byteMap('data', f, 'base64');
      else if (f.no === 3 && str(f) !== '') obj.type = str(f);
      else if (f.no === 4) byteMap('stringData', f, 'utf8');
      else if (f.no === 5) obj.immutable = f.varint === 1n;
    } else if (def.kind === 'ConfigMap') {
      if (f.no === 2) byteMap('data', f, 'utf8');
      else if (f.no === 3) byteMap('binaryData', f, 'base64');
      else if (f.no === 4) obj.immutable = f.varint === 1n;
    } else if (def.kind === 'Namespace' && f.no === 2) {
      const finalizers = protoFields(f.bytes ?? Buffer.alloc(0))
        .filter((x) => x.no === 1)
        .map(str);
      if (finalizers.length > 0) obj.spec = { finalizers };
    }
  }
  return obj;
}
