/**
 * The kubelet API that a real API server calls for `pods/log`: HTTPS on the node's address and
 * kubelet port with the node's serving certificate, requiring a client certificate from the API
 * server's kubelet-client CA. It serves `/containerLogs/{namespace}/{pod}/{container}` (with
 * sinceTime, sinceSeconds, tailLines, timestamps, follow, previous, limitBytes) and `/healthz`,
 * answering as the kubelet's server.go does, errors worded alike.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { NodeAgent } from './agent.js';
import { formatLogLine, logSource, selectLogText, type LogSelection } from './logs.js';

export interface KubeletServerOptions {
  readonly address: string;
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  /** CA of the client certificates the API server presents (--kubelet-client-certificate). */
  readonly clientCaPem: string;
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** PodLogOptions decoded from the query as the kubelet does; a string is the kubelet's error. */
function decodeLogQuery(
  query: URLSearchParams,
  now: number,
): { selection: LogSelection; follow: boolean; previous: boolean } | { status: number; message: string } {
  const bool = (name: string): boolean | undefined => {
    const v = query.get(name);
    if (v === null || v === '') return false;
    if (v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T') return true;
    if (v === 'false' || v === '0' || v === 'False' || v === 'FALSE' || v === 'f' || v === 'F') return false;
    return undefined;
  };
  const int = (name: string): number | undefined | null => {
    const v = query.get(name);
    if (v === null || v === '') return undefined;
    return /^-?\d+$/.test(v) ? Number(v) : null;
  };
  // Backwards compatibility of the kubelet: `tail` (with "all") stands for tailLines.
  const tail = query.get('tail');
  if (tail) {
    if (tail === 'all') query.delete('tailLines');
    else query.set('tailLines', tail);
  }
  const follow = bool('follow');
  const previous = bool('previous');
  const timestamps = bool('timestamps');
  const tailLines = int('tailLines');
  const sinceSeconds = int('sinceSeconds');
  const limitBytes = int('limitBytes');
  const sinceTimeText = query.get('sinceTime');
  const sinceTime = sinceTimeText ? Date.parse(sinceTimeText) : undefined;
  const undecodable = { status: 400, message: '{"message": "Unable to decode query."}' };
  if (follow === undefined || previous === undefined || timestamps === undefined) return undecodable;
  if (tailLines === null || sinceSeconds === null || limitBytes === null) return undecodable;
  if (sinceTime !== undefined && !Number.isFinite(sinceTime)) return undecodable;
  const invalid = { status: 422, message: '{"message": "Invalid request."}' };
  if (tailLines !== undefined && tailLines < 0) return invalid;
  if (limitBytes !== undefined && limitBytes < 1) return invalid;
  if (sinceSeconds !== undefined && sinceSeconds < 1) return invalid;
  if (sinceSeconds !== undefined && sinceTime !== undefined) return invalid;
  const sinceMs = sinceTime ?? (sinceSeconds !== undefined ? now - sinceSeconds * 1000 : undefined);
  return {
    follow,
    previous,
    selection: {
      timestamps,
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(tailLines !== undefined ? { tailLines } : {}),
      ...(limitBytes !== undefined ? { limitBytes } : {}),
    },
  };
}

export function kubeletRequestHandler(agent: NodeAgent): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    if (url.pathname === '/healthz') return plain(res, 200, 'ok');
    const match = /^\/containerLogs(?:\/([^/]*))?(?:\/([^/]*))?(?:\/([^/]*))?\/?$/.exec(url.pathname);
    if (!match) return plain(res, 404, '404 page not found\n');
    if (req.method !== 'GET') return plain(res, 405, '405: Method Not Allowed');
    const [namespace, pod, container] = [match[1], match[2], match[3]].map((s) =>
      s === undefined ? '' : decodeURIComponent(s),
    );
    if (!pod) return plain(res, 400, '{"message": "Missing podID."}');
    if (!container) return plain(res, 400, '{"message": "Missing container name."}');
    const decoded = decodeLogQuery(url.searchParams, agent.clock.now());
    if ('status' in decoded) return plain(res, decoded.status, decoded.message);
    const object = agent.podObject(namespace ?? '', pod);
    if (!object) return plain(res, 404, `pod "${pod}" does not exist`);
    const specs = [
      ...((object.spec as { containers?: { name?: string }[] } | undefined)?.containers ?? []),
      ...((object.spec as { initContainers?: { name?: string }[] } | undefined)?.initContainers ?? []),
    ];
    if (!specs.some((c) => c.name === container))
      return plain(res, 404, `container "${container}" not found in pod "${pod}"`);
    const source = logSource(agent.container(namespace ?? '', pod, container), container, pod, decoded.previous);
    if ('error' in source) return plain(res, 400, source.error);
    const text = selectLogText(source.entries, decoded.selection);
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked' });
    res.write(text);
    const limit = decoded.selection.limitBytes;
    if (!decoded.follow || !source.live || (limit !== undefined && Buffer.byteLength(text) >= limit)) return res.end();
    let written = Buffer.byteLength(text);
    const stop = agent.follow(namespace ?? '', pod, container, (entry) => {
      if (entry === null) return res.end();
      if (res.destroyed) return;
      let chunk = formatLogLine(entry, decoded.selection.timestamps);
      if (limit !== undefined && written + Buffer.byteLength(chunk) >= limit) {
        chunk = Buffer.from(chunk)
          .subarray(0, limit - written)
          .toString('utf8');
        res.end(chunk);
        stop();
        return;
      }
      written += Buffer.byteLength(chunk);
      res.write(chunk);
    });
    req.on('close', stop);
    res.on('close', stop);
  };
}

/** Listens with TLS on the node address; resolves once it serves. */
export async function startKubeletServer(agent: NodeAgent, options: KubeletServerOptions): Promise<KubeletServer> {
  const server = createServer(
    {
      key: options.keyPem,
      cert: options.certPem,
      ca: options.clientCaPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    kubeletRequestHandler(agent),
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.address, () => resolve());
  });
  return new KubeletServer(server, sockets);
}

export class KubeletServer {
  constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
  ) {}

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
