/**
 * The HTTP face of one simulated cluster: the Kubernetes REST API as kubectl and
 * @kubernetes/client-node use it. Every request is authenticated by bearer token, checked
 * against deny rules and injected faults, then routed to the verbs of ClusterApi, to watch,
 * to pods/log (served by the kubelet) or to services/proxy (served by container programs).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessControl, FaultInjector, RequestFacts } from './access.js';
import { clone, type ClusterApi, type DeleteOptions } from './api.js';
import type { SimClock } from './clock.js';
import type { Kubelet } from './kubelet.js';
import { formatLogLine, logSource, selectLogText } from '../node/logs.js';
import { isPodReady, R, rec, arr, num } from './objects.js';
import type { ProxyResponse } from './program.js';
import { openApiV2Json, openApiV2Protobuf, openApiV3GroupVersion, openApiV3Root } from './openapi.js';
import { apiResourceList, apiVersionOf, findResource, groupVersions, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ApiError, errors, reasonForCode } from './status.js';
import type { StoreEvent } from './store.js';
import { toTable, wantsTable } from './table.js';
import { isRecord, type KubeObject } from './types.js';
import { decodeProtobufObject, PROTOBUF, PROTOBUF_KINDS } from './protobuf.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

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
  stats: { requests: number };
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

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  send(res, error.code, error.toStatus());
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error: unknown) {
    throw errors.badRequest(
      `the body of the request could not be decoded as JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
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

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  deps.stats.requests += 1;
  const url = new URL(req.url ?? '/', 'https://kube-sim');
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  const query = url.searchParams;

  if (path === '/healthz' || path === '/livez' || path === '/readyz') return send(res, 200, 'ok', 'text/plain');
  if (path === '/version') {
    return send(res, 200, {
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0-kube-sim',
      gitCommit: 'kube-sim',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.22.0',
      compiler: 'gc',
      platform: 'linux/amd64',
    });
  }

  const auth = req.headers.authorization;
  const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
  const user = deps.access.userFor(token);
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

  const bodyBytes = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
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
  // Trim in batches so a busy cluster does not shift the whole log on every request.
  if (deps.requests.length > deps.requestLogLimit * 1.25)
    deps.requests.splice(0, deps.requests.length - deps.requestLogLimit);
  res.on('finish', () => {
    record.status = res.statusCode;
  });

  if (!user) return sendError(res, errors.unauthorized());

  if (facts) {
    if (deps.access.isDenied(facts)) {
      return sendError(
        res,
        errors.forbidden(
          user,
          facts.verb,
          r && r !== 'discovery' ? r.def.group : '',
          facts.resource,
          facts.namespace,
          facts.name,
        ),
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
        const reason = reasonForCode(fault.status);
        return sendError(
          res,
          new ApiError(
            fault.status,
            reason,
            fault.message ?? `kube-sim injected fault: ${reason}`,
            fault.status === 429 ? { retryAfterSeconds: 1 } : undefined,
          ),
        );
      }
    }
  }

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
  if (!r || r === 'discovery' || !facts)
    return send(res, 404, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'the server could not find the requested resource',
      reason: 'NotFound',
      details: {},
      code: 404,
    });

  await serveResource(deps, req, res, r, facts, method, query, bodyBytes, contentType ?? '');
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
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
  const writeOptions = { dryRun, ...(r.subresource === 'status' ? { subresource: 'status' as const } : {}) };

  if (r.subresource === 'log' && def === R.pods && method === 'GET')
    return serveLogs(deps, req, res, namespace ?? '', name ?? '', query);
  if (r.subresource === 'proxy' && (def === R.services || def === R.pods))
    return serveProxy(deps, req, res, r, method, query, bodyBytes);
  if (r.subresource !== undefined && r.subresource !== 'status')
    throw errors.notFound(def.group, `${def.plural}/${r.subresource}`, name ?? '');

  const jsonBody = () => {
    const type = contentType.split(';')[0]?.trim() ?? '';
    if (type === PROTOBUF && PROTOBUF_KINDS.has(def.kind)) return decodeProtobufObject(def, bodyBytes);
    if (method !== 'PATCH' && type !== '' && type !== 'application/json' && type !== '*/*')
      throw errors.unsupportedMediaType(type, [
        'application/json',
        ...(PROTOBUF_KINDS.has(def.kind) ? [PROTOBUF] : []),
      ]);
    return parseJson(bodyBytes);
  };

  switch (facts.verb) {
    case 'get': {
      // Stored objects are never mutated in place, so a read can serialize the stored object directly.
      const obj = api.store.peek(def, namespace, name ?? '');
      if (!obj) throw errors.notFound(def.group, def.plural, name ?? '');
      if (wantsTable(req.headers.accept))
        return send(res, 200, toTable(def, [obj], obj.metadata.resourceVersion ?? '', deps.clock.now()));
      return send(res, 200, obj);
    }
    case 'list': {
      const list = api.list(def, namespace, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
      });
      const limit = Number(query.get('limit') ?? 0);
      if (limit > 0 && list.items.length > limit) list.items = list.items.slice(0, limit); // no continue tokens: callers here never page
      if (wantsTable(req.headers.accept))
        return send(res, 200, toTable(def, list.items, String(list.metadata.resourceVersion ?? ''), deps.clock.now()));
      return send(res, 200, list);
    }
    case 'watch':
      return serveWatch(deps, req, res, def, namespace, query);
    case 'create':
      return send(res, 201, api.create(def, namespace, jsonBody(), writeOptions));
    case 'update':
      return send(res, 200, api.update(def, namespace, name ?? '', jsonBody(), writeOptions));
    case 'patch':
      return send(res, 200, api.patch(def, namespace, name ?? '', contentType, parseJson(bodyBytes), writeOptions));
    case 'delete': {
      const body = parseJson(bodyBytes);
      const options: DeleteOptions = isRecord(body) ? (body as DeleteOptions) : {};
      const grace = query.get('gracePeriodSeconds');
      if (grace !== null) options.gracePeriodSeconds = Number(grace);
      return send(res, 200, api.delete(def, namespace, name ?? '', options));
    }
    case 'deletecollection': {
      const items = api.select(def, namespace, {
        labelSelector: query.get('labelSelector'),
        fieldSelector: query.get('fieldSelector'),
      });
      const deleted = items.map((o) => api.delete(def, o.metadata.namespace, o.metadata.name ?? ''));
      return send(res, 200, { apiVersion: apiVersionOf(def), kind: `${def.kind}List`, metadata: {}, items: deleted });
    }
    default:
      throw errors.methodNotAllowed(method, def.plural);
  }
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
    else if (before) write('DELETED', clone(event.object));
  };

  const rv = query.get('resourceVersion');
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
