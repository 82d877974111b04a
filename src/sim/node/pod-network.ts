/**
 * The programs' HTTP on their pod IPs: one plain HTTP listener per pod IP and container port,
 * open while a running container serves that port (so a stopped container refuses connections,
 * as a real one does). services/proxy through a real API server reaches them via the Service's
 * endpoints. Pod IPs must be local addresses (inside the test's network namespace).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { HttpHandler, ProxyResponse } from '../kube/program.js';
import type { PodNetwork } from './agent.js';

interface Listener {
  server: Server;
  handler: HttpHandler;
  sockets: Set<Socket>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function write(res: ServerResponse, response: ProxyResponse): void {
  const payload = response.body;
  const isRaw = typeof payload === 'string' || Buffer.isBuffer(payload);
  const text = isRaw ? payload : JSON.stringify(payload ?? '');
  const headers = { ...(response.headers ?? {}) };
  headers['content-type'] ??= isRaw ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(response.status, { ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class HttpPodNetwork implements PodNetwork {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly onError: (message: string) => void = () => undefined) {}

  serve(podIP: string, port: number, handler: HttpHandler): void {
    const key = `${podIP}:${port}`;
    const existing = this.listeners.get(key);
    if (existing) {
      existing.handler = handler;
      return;
    }
    const listener: Listener = { server: createServer(), handler, sockets: new Set() };
    listener.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const url = new URL(req.url ?? '/', `http://${key}`);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        try {
          const body = await readBody(req);
          write(
            res,
            await listener.handler({
              method: req.method ?? 'GET',
              path: url.pathname,
              query: url.searchParams,
              headers,
              body,
            }),
          );
        } catch (error: unknown) {
          if (!res.headersSent)
            write(res, { status: 500, body: `${error instanceof Error ? error.message : String(error)}\n` });
        }
      })();
    });
    listener.server.on('connection', (socket: Socket) => {
      listener.sockets.add(socket);
      socket.on('close', () => listener.sockets.delete(socket));
    });
    listener.server.on('error', (error) => {
      this.onError(`cannot serve ${key}: ${error.message}`);
      if (this.listeners.get(key) === listener) this.listeners.delete(key);
    });
    listener.server.listen(port, podIP);
    this.listeners.set(key, listener);
  }

  unserve(podIP: string, port: number): void {
    const key = `${podIP}:${port}`;
    const listener = this.listeners.get(key);
    if (!listener) return;
    this.listeners.delete(key);
    listener.server.close();
    for (const socket of listener.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(
      all.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.server.close(() => resolve());
            for (const socket of l.sockets) socket.destroy();
            if (!l.server.listening) resolve();
          }),
      ),
    );
  }
}
