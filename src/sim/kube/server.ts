/**
 * The HTTP face of one simulated cluster: the Kubernetes REST API as kubectl and
 * @kubernetes/client-node use it. Every request is authenticated by bearer token, authorized
 * (RBAC for ServiceAccount tokens, deny rules for everyone), checked against injected faults,
 * decoded as the real server decodes (fieldValidation, Warning headers), then routed to the verbs
 * of ClusterApi, to subresources (status, scale, token), to watch, to pods/log (served by the
 * kubelet) or to services/proxy (served by container programs).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { AccessControl, FaultInjector, RequestFacts } from './access.js';
import { applyConfiguration, managerOf } from './apply.js';
import { clone, type ClusterApi, type DeleteOptions } from './api.js';
import type { SimClock } from './clock.js';
import { decodeBody, fieldValidationOf, type FieldValidation } from './decode.js';
import type { Kubelet } from './kubelet.js';
import { formatLogLine, logSource, selectLogText } from '../node/logs.js';
import { isPodReady, R, rec, arr, num } from './objects.js';
import { APPLY_PATCH } from './patch.js';
import type { ProxyResponse } from './program.js';
import { openApiV2Json, openApiV2Protobuf, openApiV3GroupVersion, openApiV3Root } from './openapi.js';
import { rbacAllows, type Identity } from './rbac.js';
import { apiResourceList, apiVersionOf, findResource, groupVersions, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector, selectorToString } from './selectors.js';
import { ApiError, errors, reasonForCode } from './status.js';
import type { StoreEvent } from './store.js';
import { includeObjectOf, toTable, wantsTable } from './table.js';
import { isRecord, type KubeObject } from './types.js';
import { decodeProtobufObject, PROTOBUF, PROTOBUF_KINDS } from './protobuf.js';

/** The real server's --max-request-bytes default for the API (3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;
const KUBERNETES_VERSION = { major: '1', minor: '34', gitVersion: 'v1.34.4' };
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);
const ANONYMOUS: Identity = { user: 'system:anonymous', groups: ['system:unauthenticated'], rbac: true };
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export interface RecordedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly user: string | undefined;
  readonly facts: RequestFacts | undefined;
  readonly contentType: string | undefined;
  /** Parsed JSON body of writes (tests check preconditions such as resourceVersion). */
  readonly body: unknown;
  status?: number;
}

/** What a cluster counts of the requests it serves (for benchmarks: requests per rotation, watches apart). */
export interface RequestStats {
  requests: number;
  /** By `verb resource`, e.g. `update secrets`, `watch deployments`, `get pods/log`. */
  readonly calls: Map<string, number>;
}

export interface ServerDeps {
  readonly name: string;
  readonly api: ClusterApi;
  readonly kubelet: Kubelet;
  readonly access: AccessControl;
  readonly faults: FaultInjector;
  readonly clock: SimClock;
  /** Requests served, most recent last (bounded). */
  readonly requests: RecordedRequest[];
  readonly requestLogLimit: number;
  stats: RequestStats;
  serverAddress(): string;
}

interface Route {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  tail: string[];
  trailingSlash: boolean;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  const retry = error.details?.retryAfterSeconds;
  send(res, error.code, error.toStatus(), 'application/json', retry ? { 'Retry-After': String(retry) } : {});
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buf);
  }
  if (tooLarge)
    throw new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY_BYTES}`);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer, kind?: string): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error: unknown) {
    const detail = `couldn't get version/kind; json parse error: ${error instanceof Error ? error.message : String(error)}`;
    throw errors.badRequest(kind ? `the object provided is unrecognized (must be of type ${kind}): ${detail}` : detail);
  }
}

function parseYamlBody(body: Buffer): unknown {
  try {
    return parseYaml(body.toString('utf8')) as unknown;
  } catch (error: unknown) {
    throw errors.badRequest(`error converting YAML to JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function route(path: string): Route | 'discovery' | undefined {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1]) {
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments[1] && segments[2]) {
    group = segments[1];
    version = segments[2];
    rest = segments.slice(3);
  } else return undefined;
  if (rest.length === 0) return 'discovery';
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = '', name, subresource, ...tail] = rest;
  const def = findResource(group, version, plural);
  if (!def) return undefined;
  if (!def.namespaced && namespace !== undefined) return undefined;
  if (def.namespaced && namespace === undefined && name !== undefined) return undefined;
  return {
    def,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    tail,
    trailingSlash: path.endsWith('/'),
  };
}

function verbOf(method: string, r: Route, query: URLSearchParams): string {
  if (r.subresource === 'proxy')
    return (
      ({ GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<string, string>)[
        method
      ] ?? 'get'
    );
  switch (method) {
    case 'GET':
      if (r.name !== undefined) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return r.name !== undefined ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function discoveryGroups(): object {
  const groups = new Map<string, string[]>();
  for (const gv of groupVersions())
    if (gv.group !== '') groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
  };
}

function apiGroup(name: string, versions: string[]): object {
  const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: list, preferredVersion: list[0] };
}

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      if (error instanceof ApiError) sendError(res, error);
      else send(res, 500, errors.internal(error instanceof Error ? error.message : String(error)).toStatus());
    });
  };
}

const NOT_FOUND = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'the server could not find the requested resource',
  reason: 'NotFound',
  details: {},
  code: 404,
};

/** The priority-and-fairness filter's rejection: plain text and Retry-After, no Status. */
function sendTooManyRequests(res: ServerResponse, retryAfterSeconds: number): void {
  send(res, 429, 'Too many requests, please try again later.\n', 'text/plain; charset=utf-8', {
    'Retry-After': String(retryAfterSeconds),
    'X-Content-Type-Options': 'nosniff',
  });
}

function authorized(deps: ServerDeps, identity: Identity, facts: RequestFacts, group: string): boolean {
  if (deps.access.isDenied(facts)) return false;
  return !identity.rbac || rbacAllows(deps.api.store, identity, facts, group);
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  deps.stats.requests += 1;
  const url = new URL(req.url ?? '/', 'https://kube-sim');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const query = url.searchParams;

  if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', 'text/plain');
  if (path === '/version') {
    return send(res, 200, {
      ...KUBERNETES_VERSION,
      emulationMajor: KUBERNETES_VERSION.major,
      emulationMinor: KUBERNETES_VERSION.minor,
      minCompatibilityMajor: KUBERNETES_VERSION.major,
      minCompatibilityMinor: String(Number(KUBERNETES_VERSION.minor) - 1),
      gitCommit: 'kube-sim',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.26.8',
      compiler: 'gc',
      platform: 'linux/amd64',
    });
  }

  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
  // No credentials: the anonymous user (kube-apiserver's --anonymous-auth default), authorized by RBAC.
  const identity = auth === undefined ? ANONYMOUS : deps.access.identityFor(token);
  const user = identity?.user;
  const r = route(path);
  const facts: RequestFacts | undefined =
    r && r !== 'discovery' && user
      ? {
          user,
          verb: verbOf(method, r, query),
          resource: r.subresource ? `${r.def.plural}/${r.subresource}` : r.def.plural,
          ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
          ...(r.name !== undefined ? { name: r.name } : {}),
        }
      : undefined;

  let bodyBytes: Buffer = Buffer.alloc(0);
  let tooLarge: ApiError | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    try {
      bodyBytes = await readBody(req);
    } catch (error: unknown) {
      if (!(error instanceof ApiError)) throw error;
      tooLarge = error;
    }
  }
  const contentType = req.headers['content-type'];
  const isProxy = r !== undefined && r !== 'discovery' && r.subresource === 'proxy';
  const parsedBody = !isProxy && bodyBytes.length > 0 ? safeJson(bodyBytes) : undefined;
  const record: RecordedRequest = {
    at: deps.clock.now(),
    method,
    path,
    query: url.search,
    user,
    facts,
    contentType,
    body: parsedBody,
  };
  deps.requests.push(record);
  if (facts) {
    const call = `${facts.verb} ${facts.resource}`;
    deps.stats.calls.set(call, (deps.stats.calls.get(call) ?? 0) + 1);
  }
  // Trim in batches so a busy cluster does not shift the whole log on every request.
  if (deps.requests.length > deps.requestLogLimit * 1.25)
    deps.requests.splice(0, deps.requests.length - deps.requestLogLimit);
  res.on('finish', () => {
    record.status = res.statusCode;
  });

  if (!identity) return sendError(res, errors.unauthorized());
  // Non-resource paths: system:public-info-viewer lets anyone read these; the rest needs an authenticated user.
  if (!facts && identity === ANONYMOUS && !PUBLIC_PATHS.has(path))
    return sendError(
      res,
      new ApiError(
        403,
        'Forbidden',
        `forbidden: User "${identity.user}" cannot ${method.toLowerCase()} path "${path}"`,
        {},
      ),
    );

  if (facts && r && r !== 'discovery') {
    if (!authorized(deps, identity, facts, r.def.group)) {
      return sendError(
        res,
        errors.forbidden(user ?? '', facts.verb, r.def.group, r.def.plural, r.subresource, facts.namespace, facts.name),
      );
    }
    const fault = deps.faults.take(facts);
    if (fault) {
      if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        const retryAfter = fault.retryAfterSeconds ?? 1;
        if (fault.status === 429 && !fault.statusBody) return sendTooManyRequests(res, retryAfter);
        const reason = reasonForCode(fault.status);
        return sendError(
          res,
          new ApiError(
            fault.status,
            reason,
            fault.message ??
              (fault.status === 429
                ? 'Too many requests, please try again later.'
                : `kube-sim injected fault: ${reason}`),
            fault.status === 429 || fault.status === 503 ? { retryAfterSeconds: retryAfter } : undefined,
          ),
        );
      }
    }
  }
  if (tooLarge) return sendError(res, tooLarge);

  if (path === '/openapi/v3' || path === '/openapi/v3/') return send(res, 200, openApiV3Root());
  if (path.startsWith('/openapi/v3/')) {
    const doc = openApiV3GroupVersion(path.slice('/openapi/v3/'.length));
    if (doc) return send(res, 200, doc);
  }
  if (path === '/openapi/v2') {
    // The real server hands the protobuf document to http.ServeContent, which labels it
    // application/octet-stream: the negotiated type (with its '@') is not a valid media type, and
    // client-go's mime.ParseMediaType rejects it (kubectl 1.20: "mime: unexpected content after media subtype").
    if ((req.headers.accept ?? '').includes('protobuf'))
      return send(res, 200, openApiV2Protobuf(), 'application/octet-stream');
    return send(res, 200, openApiV2Json());
  }
  if (path === '/api' || path === '/api/') {
    return send(res, 200, {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: deps.serverAddress() }],
    });
  }
  if (path === '/apis' || path === '/apis/') return send(res, 200, discoveryGroups());
  const groupOnly = /^\/apis\/([^/]+)\/?$/.exec(path);
  if (groupOnly) {
    const versions = groupVersions()
      .filter((gv) => gv.group === groupOnly[1])
      .map((gv) => gv.version);
    if (versions.length > 0) return send(res, 200, apiGroup(groupOnly[1] ?? '', versions));
  }
  if (r === 'discovery') {
    const segments = path.split('/').filter(Boolean);
    const list =
      segments[0] === 'api'
        ? apiResourceList('', segments[1] ?? '')
        : apiResourceList(segments[1] ?? '', segments[2] ?? '');
    if (list) return send(res, 200, list);
  }
  if (!r || r === 'discovery' || !facts) return send(res, 404, NOT_FOUND);

  await serveResource(deps, req, res, r, facts, method, query, bodyBytes, contentType ?? '');
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** `299 - "text"`, one per warning, as the real server writes Warning headers. */
function warningHeaders(warnings: readonly string[]): Record<string, string[]> {
  return warnings.length === 0 ? {} : { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

interface Body {
  readonly type: string;
  readonly value: unknown;
}

function readRequestBody(def: ResourceDef, contentType: string, bytes: Buffer, method: string): Body {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === PROTOBUF && PROTOBUF_KINDS.has(def.kind)) return { type, value: decodeProtobufObject(def, bytes) };
  if (method === 'PATCH') {
    if (type === APPLY_PATCH) return { type, value: parseYamlBody(bytes) };
    return { type, value: parseJson(bytes) };
  }
  if (YAML_TYPES.has(type)) return { type, value: parseYamlBody(bytes) };
  if (type !== '' && type !== 'application/json' && type !== '*/*')
    throw errors.unsupportedMediaType(type, ['application/json', 'application/yaml', PROTOBUF]);
  return { type, value: parseJson(bytes, def.kind) };
}

async function serveResource(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  r: Route,
  facts: RequestFacts,
  method: string,
  query: URLSearchParams,
  bodyBytes: Buffer,
  contentType: string,
): Promise<void> {
  const { api } = deps;
  const { def, namespace, name } = r;
  const dryRun = query.getAll('dryRun').includes('All');

  if (r.subresource === 'log' && def === R.pods && method === 'GET')
    return serveLogs(deps, req, res, namespace ?? '', name ?? '', query);
  if (r.subresource === 'proxy' && (def === R.services || def === R.pods))
    return serveProxy(deps, req, res, r, method, query, bodyBytes);
  const sub = r.subresource !== undefined ? def.subresources?.[r.subresource] : undefined;
  if (r.subresource !== undefined && !sub)
    throw errors.notFound(def.group, `${def.plural}/${r.subresource}`, name ?? '');
  if (sub && !sub.verbs.includes(facts.verb))
    throw errors.methodNotAllowed(method, `${def.plural}/${r.subresource ?? ''}`);
  if (r.subresource === 'scale')
    return serveScale(deps, res, def, namespace, name ?? '', method, contentType, bodyBytes, query);
  if (r.subresource === 'token') return serveToken(deps, res, namespace ?? '', name ?? '', bodyBytes);
  const writeOptions = { dryRun, ...(r.subresource === 'status' ? { subresource: 'status' as const } : {}) };
  const validation: FieldValidation = fieldValidationOf(query.get('fieldValidation'));
  const manager = managerOf(query.get('fieldManager'), req.headers['user-agent']);
  const decode = (value: unknown, mode: FieldValidation = validation) =>
    decodeBody(def.kind, def.version, value, mode, {}, def.group);

  switch (facts.verb) {
    case 'get': {
      // Stored objects are never mutated in place, so a read can serialize the stored object directly.
      const obj = api.store.peek(def, namespace, name ?? '');
      if (!obj) throw errors.notFound(def.group, def.plural, name ?? '');
      if (wantsTable(req.headers.accept))
        return send(
          res,
          200,
          toTable(def, [obj], obj.metadata.resourceVersion ?? '', deps.clock.now(), includeObjectOf(query)),
        );
      return send(res, 200, obj);
    }
    case 'list': {
      const limit = Number(query.get('limit') ?? 0);
      const list = api.list(def, namespace, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
        limit: Number.isFinite(limit) ? limit : 0,
        continue: query.get('continue'),
      });
      if (wantsTable(req.headers.accept)) {
        const table = toTable(
          def,
          list.items.map((o) => ({ apiVersion: apiVersionOf(def), kind: def.kind, ...o })),
          String(list.metadata.resourceVersion ?? ''),
          deps.clock.now(),
          includeObjectOf(query),
        );
        return send(res, 200, { ...table, metadata: { ...list.metadata } });
      }
      return send(res, 200, list);
    }
    case 'watch':
      return serveWatch(deps, req, res, def, namespace, query);
    case 'create': {
      if (name !== undefined && r.subresource === undefined) throw errors.methodNotAllowed(method, def.plural);
      const decoded = decode(readRequestBody(def, contentType, bodyBytes, method).value);
      const created = api.create(def, namespace, decoded.object, { ...writeOptions, manager });
      return send(res, 201, created, 'application/json', warningHeaders(decoded.unknownFields));
    }
    case 'update': {
      if (name === undefined) throw errors.methodNotAllowed(method, def.plural);
      const decoded = decode(readRequestBody(def, contentType, bodyBytes, method).value);
      const existed = api.store.peek(def, namespace, name) !== undefined;
      const updated = api.update(def, namespace, name, decoded.object, { ...writeOptions, manager });
      const status = existed ? 200 : 201;
      return send(res, status, updated, 'application/json', warningHeaders(decoded.unknownFields));
    }
    case 'patch': {
      if (name === undefined) throw errors.methodNotAllowed(method, def.plural);
      const body = readRequestBody(def, contentType, bodyBytes, method);
      if (body.type === APPLY_PATCH) {
        const applied = applyConfiguration(api, def, namespace, name, body.value, {
          fieldManager: query.get('fieldManager'),
          force: query.get('force') === 'true',
          decode,
          clock: deps.clock,
          writeOptions,
        });
        return send(
          res,
          applied.created ? 201 : 200,
          applied.object,
          'application/json',
          warningHeaders(applied.warnings),
        );
      }
      const current = api.store.peek(def, namespace, name);
      if (!current) throw errors.notFound(def.group, def.plural, name);
      const patched = api.patched(def, current, contentType, body.value);
      const decoded = decode(patched, validation === 'Strict' ? 'Warn' : validation);
      // A strict patch is refused as an invalid patch: a 422 quoting the patched object.
      if (validation === 'Strict' && decoded.unknownFields.length > 0) {
        const detail = `strict decoding error: ${decoded.unknownFields.join(', ')}`;
        const message = `Invalid value: ${JSON.stringify(JSON.stringify(patched))}: ${detail}`;
        throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, {
          causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }],
        });
      }
      const next = {
        ...decoded.object,
        metadata: { ...rec(decoded.object.metadata), resourceVersion: patched.metadata.resourceVersion },
      };
      const updated = api.update(def, namespace, name, next, { ...writeOptions, manager });
      return send(res, 200, updated, 'application/json', warningHeaders(decoded.unknownFields));
    }
    case 'delete': {
      const body = parseJson(bodyBytes);
      const options: DeleteOptions = isRecord(body) ? (body as DeleteOptions) : {};
      const grace = query.get('gracePeriodSeconds');
      if (grace !== null) options.gracePeriodSeconds = Number(grace);
      const policy = query.get('propagationPolicy');
      if (policy !== null) options.propagationPolicy = policy;
      if (dryRun) options.dryRun = ['All'];
      const result = api.delete(def, namespace, name ?? '', options);
      if (!result.removed || def.deleteReturnsObject) return send(res, 200, result.object);
      return send(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: {
          name: result.object.metadata.name,
          ...(def.group ? { group: def.group } : {}),
          kind: def.plural,
          uid: result.object.metadata.uid,
        },
      });
    }
    case 'deletecollection': {
      if (def.verbs && !def.verbs.includes('deletecollection')) throw errors.methodNotAllowed(method, def.plural);
      const items = api.select(def, namespace, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
      });
      const deleted = items.map((o) => api.delete(def, o.metadata.namespace, o.metadata.name ?? '').object);
      return send(res, 200, {
        apiVersion: apiVersionOf(def),
        kind: `${def.kind}List`,
        metadata: { resourceVersion: String(api.store.currentRevision()) },
        items: deleted,
      });
    }
    default:
      throw errors.methodNotAllowed(method, def.plural);
  }
}

/** autoscaling/v1 Scale of a Deployment, StatefulSet or ReplicaSet. */
function scaleOf(def: ResourceDef, obj: KubeObject): KubeObject {
  const spec = rec(obj.spec);
  const status = rec(obj.status);
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: num(spec.replicas, 1) },
    status: { replicas: num(status.replicas), selector: selectorToString(spec.selector) },
  };
  void def;
}

function serveScale(
  deps: ServerDeps,
  res: ServerResponse,
  def: ResourceDef,
  namespace: string | undefined,
  name: string,
  method: string,
  contentType: string,
  bodyBytes: Buffer,
  query: URLSearchParams,
): void {
  const { api } = deps;
  const current = api.store.peek(def, namespace, name);
  if (!current) throw errors.notFound(def.group, def.plural, name);
  if (method === 'GET') return send(res, 200, scaleOf(def, current));
  const scale = scaleOf(def, current);
  let next: unknown;
  if (method === 'PUT') next = parseJson(bodyBytes);
  else next = api.patched(def, scale, contentType, parseJson(bodyBytes));
  const decoded = decodeBody('Scale', 'v1', next, fieldValidationOf(query.get('fieldValidation')));
  const meta = rec(decoded.object.metadata);
  const expected = typeof meta.resourceVersion === 'string' ? meta.resourceVersion : undefined;
  if (expected && expected !== current.metadata.resourceVersion) throw errors.conflict(def.group, def.plural, name);
  const replicas = rec(decoded.object.spec).replicas;
  const updated = clone(current);
  updated.spec = { ...rec(updated.spec), replicas: typeof replicas === 'number' ? replicas : 0 };
  const saved = api.update(def, namespace, name, updated);
  return send(res, 200, scaleOf(def, saved), 'application/json', warningHeaders(decoded.unknownFields));
}

/** TokenRequest: a token for the ServiceAccount, authorized by RBAC from then on. */
function serveToken(deps: ServerDeps, res: ServerResponse, namespace: string, name: string, bodyBytes: Buffer): void {
  deps.api.get(R.serviceaccounts, namespace, name);
  const body = decodeBody('TokenRequest', 'v1', parseJson(bodyBytes) ?? {}, 'Warn').object;
  const spec = rec(body.spec);
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  const token = `kube-sim.${randomBytes(24).toString('base64url')}`;
  deps.access.addServiceAccountToken(token, namespace, name);
  return send(res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name, namespace, creationTimestamp: null },
    spec: {
      audiences: arr(spec.audiences).length > 0 ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'],
      expirationSeconds,
      boundObjectRef: spec.boundObjectRef ?? null,
    },
    status: { token, expirationTimestamp: deps.clock.timestamp(deps.clock.now() + expirationSeconds * 1000) },
  });
}

function serveWatch(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  def: ResourceDef,
  namespace: string | undefined,
  query: URLSearchParams,
): void {
  const labels = parseLabelSelector(query.get('labelSelector'));
  const fields = parseFieldSelector(query.get('fieldSelector'), def.fieldLabels ?? []);
  const rv = query.get('resourceVersion');
  if (rv && !/^\d+$/.test(rv))
    throw errors.badRequest(
      `resourceVersion: Invalid value: "${rv}": strconv.ParseUint: parsing "${rv}": invalid syntax`,
    );
  const matches = (o: KubeObject | undefined) =>
    !!o && (namespace === undefined || o.metadata.namespace === namespace) && labels(o.metadata.labels) && fields(o);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  const write = (type: string, object: unknown) => {
    if (!res.destroyed && !res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const forward = (event: StoreEvent) => {
    if (event.def !== def) return;
    const now = matches(event.object);
    const before = matches(event.previous);
    if (event.type === 'DELETED') {
      if (before || now) write('DELETED', clone(event.object));
    } else if (now) write(before || event.type === 'ADDED' ? event.type : 'ADDED', clone(event.object));
    // Leaving the selection: the object as it was, at the new resourceVersion (as the watch cache sends it).
    else if (before && event.previous)
      write('DELETED', {
        ...clone(event.previous),
        metadata: { ...clone(event.previous.metadata), resourceVersion: event.object.metadata.resourceVersion },
      });
  };

  if (!rv || rv === '0') {
    for (const o of deps.api.select(def, namespace, {
      labelSelector: query.get('labelSelector'),
      fieldSelector: query.get('fieldSelector'),
    }))
      write('ADDED', clone(o));
  } else {
    const past = deps.api.store.eventsSince(Number(rv));
    if (past === 'expired') {
      write('ERROR', errors.gone(`too old resource version: ${rv} (${deps.api.store.currentRevision()})`).toStatus());
      res.end();
      return;
    }
    for (const e of past) forward(e);
  }
  const unsubscribe = deps.api.store.subscribe(forward);
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
  timer?.unref();
  const close = () => {
    unsubscribe();
    clearTimeout(timer);
  };
  req.on('close', close);
  res.on('close', close);
}

/** A query flag as the API server decodes it: present and neither "false" nor "0" means true. */
function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && !['false', '0'].includes(value.toLowerCase());
}

/** An integer query parameter, or the API server's 400 for one that is not. */
function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^[-+]?\d+$/.test(value))
    throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

function serveLogs(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  name: string,
  query: URLSearchParams,
): void {
  // PodLogOptions: decoded (400), then validated (422), as the API server does before anything else.
  const tailLines = queryInt(query, 'tailLines');
  const sinceSeconds = queryInt(query, 'sinceSeconds');
  const limitBytes = queryInt(query, 'limitBytes');
  const sinceTime = query.get('sinceTime');
  let sinceTimeMs: number | undefined;
  if (sinceTime) {
    sinceTimeMs = Date.parse(sinceTime);
    if (!Number.isFinite(sinceTimeMs))
      throw errors.badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
    // The API server hands sinceTime on to the kubelet formatted as RFC 3339: whole seconds.
    sinceTimeMs = Math.floor(sinceTimeMs / 1000) * 1000;
  }
  const invalid: { field: string; message: string; reason?: string }[] = [];
  if (tailLines !== undefined && tailLines < 0)
    invalid.push({ field: 'tailLines', message: `Invalid value: ${tailLines}: must be greater than or equal to 0` });
  if (limitBytes !== undefined && limitBytes < 1)
    invalid.push({ field: 'limitBytes', message: `Invalid value: ${limitBytes}: must be greater than 0` });
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    invalid.push({ field: 'sinceSeconds', message: `Invalid value: ${sinceSeconds}: must be greater than 0` });
  if (sinceSeconds !== undefined && sinceTimeMs !== undefined)
    invalid.push({
      field: '[]',
      message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
      reason: 'FieldValueForbidden',
    });
  if (invalid.length > 0) throw errors.invalid('', 'PodLogOptions', name, invalid);

  const pod = deps.api.get(R.pods, namespace, name);
  const containers = arr(rec(pod.spec).containers).map((c) => String(rec(c).name));
  const container = query.get('container') ?? (containers.length === 1 ? containers[0] : undefined);
  if (container === undefined)
    throw errors.badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`,
    );
  if (!containers.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const previous = queryFlag(query, 'previous');
  // What the kubelet answers (the API server hands its 400 on as a BadRequest with the same words).
  const view = deps.kubelet.container(namespace, name, container);
  const source = view
    ? logSource(view, container, name, previous)
    : {
        error: previous
          ? `previous terminated container "${container}" in pod "${name}" not found`
          : `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`,
      };
  if ('error' in source) throw errors.badRequest(source.error);
  const since = sinceTimeMs ?? (sinceSeconds !== undefined ? deps.clock.now() - sinceSeconds * 1000 : undefined);
  const timestamps = queryFlag(query, 'timestamps');
  const text = selectLogText(source.entries, {
    ...(since !== undefined ? { sinceMs: since } : {}),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    timestamps,
  });

  if (!queryFlag(query, 'follow') || !source.live) return send(res, 200, text, 'text/plain');
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.write(text);
  const stop = deps.kubelet.follow(namespace, name, container, (entry) => {
    if (entry === null) res.end();
    else if (!res.destroyed) res.write(formatLogLine(entry, timestamps));
  });
  req.on('close', stop);
  res.on('close', stop);
}

/** Splits `[scheme:]name[:port]` as the API server's proxy paths allow. */
function splitProxyName(raw: string): { name: string; port?: string } {
  const parts = raw.split(':');
  if (parts.length === 3) return { name: parts[1] ?? '', ...(parts[2] ? { port: parts[2] } : {}) };
  if (parts.length === 2)
    return parts[0] === 'http' || parts[0] === 'https'
      ? { name: parts[1] ?? '' }
      : { name: parts[0] ?? '', ...(parts[1] ? { port: parts[1] } : {}) };
  return { name: raw };
}

async function serveProxy(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  r: Route,
  method: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<void> {
  const namespace = r.namespace ?? '';
  const { name, port } = splitProxyName(r.name ?? '');
  let podName: string;
  let targetPort: number;
  if (r.def === R.services) {
    const svc = deps.api.get(R.services, namespace, name);
    const ports = arr(rec(svc.spec).ports).map(rec);
    const chosen = port === undefined ? ports[0] : ports.find((p) => p.name === port || String(p.port) === port);
    if (!chosen) throw errors.serviceUnavailable(`no endpoints available for service "${name}"`);
    const selector = rec(rec(svc.spec).selector) as Record<string, string>;
    const pods =
      Object.keys(selector).length === 0
        ? []
        : deps.api
            .select(R.pods, namespace)
            .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v) && isPodReady(p));
    const pod = pods[0];
    if (!pod) throw errors.serviceUnavailable(`no endpoints available for service "${name}"`);
    podName = pod.metadata.name ?? '';
    const target = chosen.targetPort ?? chosen.port;
    targetPort = typeof target === 'string' && !/^\d+$/.test(target) ? namedPort(pod, target) : Number(target);
  } else {
    const pod = deps.api.get(R.pods, namespace, name);
    podName = pod.metadata.name ?? '';
    targetPort = port === undefined ? namedPort(pod, '') : /^\d+$/.test(port) ? Number(port) : namedPort(pod, port);
  }
  const handler = deps.kubelet.handler(namespace, podName, targetPort);
  if (!handler) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `error trying to reach service: dial tcp ${podName}:${targetPort}: connect: connection refused`,
    );
  }
  // The API server routes on the decoded path (Go's URL.Path), so an escaped '/' in the proxied
  // part (client-node sends `path` as one encodeURIComponent'd segment) is a '/' for the target.
  const path = `/${r.tail.join('/')}${r.trailingSlash && r.tail.length > 0 ? '/' : ''}`;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'authorization') headers[k] = v;
  let response: ProxyResponse;
  try {
    response = await handler({ method, path, query, headers, body });
  } catch (error: unknown) {
    throw new ApiError(
      502,
      'InternalError',
      `error trying to reach service: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const payload = response.body;
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    return send(res, response.status, payload, response.headers?.['content-type'] ?? 'text/plain; charset=utf-8');
  }
  return send(res, response.status, payload ?? '', response.headers?.['content-type'] ?? 'application/json');
}

function namedPort(pod: KubeObject, portName: string): number {
  for (const c of arr(rec(pod.spec).containers).map(rec)) {
    for (const p of arr(c.ports).map(rec)) if (portName === '' || p.name === portName) return num(p.containerPort);
  }
  throw errors.serviceUnavailable(
    `pod ${pod.metadata.name ?? ''} has no container port ${portName ? `named "${portName}"` : ''}`,
  );
}
