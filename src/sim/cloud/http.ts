/**
 * Small HTTP plumbing shared by the emulated cloud endpoints: a loopback server with a clean
 * stop, bounded body reading and JSON replies.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A request body over {@link MAX_BODY_BYTES}. */
export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=UTF-8',
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  body: Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
  res.end(body);
}

/** A node:http server on 127.0.0.1 with an ephemeral port, and a stop that cuts open connections. */
export class LoopbackServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly scheme: 'http' | 'https',
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on 127.0.0.1:0 and calls `handler` for every request; over TLS when `tls` is given. */
  static async start(handler: RequestListener, tls?: { cert: string; key: string }): Promise<LoopbackServer> {
    const server: Server = tls
      ? createTlsServer({ keepAlive: true, cert: tls.cert, key: tls.key }, handler)
      : createServer({ keepAlive: true }, handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new LoopbackServer(server, port, tls ? 'https' : 'http');
  }

  /** http://127.0.0.1:PORT (https:// for a TLS server) */
  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await closed;
  }
}

/** Wraps an async handler so a thrown error becomes a 500 instead of an unhandled rejection. */
export function asyncHandler(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): RequestListener {
  return (req, res) => {
    handler(req, res).catch((error: unknown) => {
      const status = error instanceof BodyTooLarge ? 413 : 500;
      sendJson(res, status, {
        error: { code: status, message: error instanceof Error ? error.message : 'internal error' },
      });
    });
  };
}
