/**
 * A loopback HTTP proxy in front of one emulated endpoint that injects network faults into the
 * requests a test chooses: a connection reset (TCP RST, seen by the client as ECONNRESET) or a
 * 5xx answer; every other request is forwarded unchanged, streaming both ways.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';

export type Fault = 'reset' | 503 | 500;

export interface FaultProxy {
  /** http://127.0.0.1:PORT: use it in place of the target. */
  readonly url: string;
  /** Injects `fault` into the next `times` requests that `match` selects (default: every request). */
  inject(fault: Fault, times?: number, match?: (req: IncomingMessage) => boolean): void;
  /** Drops every fault not injected yet. */
  clear(): void;
  /** The faults injected so far, as `fault method path`. */
  readonly injected: string[];
  /** How many requests reached the proxy (faulted or forwarded). */
  readonly requests: () => number;
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const base = new URL(target);
  const pending: { fault: Fault; left: number; match: (req: IncomingMessage) => boolean }[] = [];
  const injected: string[] = [];
  const sockets = new Set<Socket>();
  let seen = 0;
  const server: Server = createServer((req, res) => {
    seen += 1;
    const plan = pending.find((p) => p.left > 0 && p.match(req));
    if (plan) {
      plan.left -= 1;
      injected.push(`${plan.fault} ${req.method ?? ''} ${req.url ?? ''}`);
      if (plan.fault === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      req.resume();
      req.on('end', () => {
        res.writeHead(plan.fault as number, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end('injected fault');
      });
      return;
    }
    const upstream = request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.url,
        // The Host header as sent: it is signed (SigV4).
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    inject: (fault, times = 1, match = () => true) => pending.push({ fault, left: times, match }),
    clear: () => {
      pending.length = 0;
    },
    injected,
    requests: () => seen,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}
