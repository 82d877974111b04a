/**
 * JSON over HTTPS to a real API server, with the credentials of a client-node KubeConfig (client
 * certificate or bearer token). The agent writes plain JSON it builds itself, so MicroTime fields
 * keep their 6 fractional digits and nothing is dropped by a model's serializer; watches are read
 * line by line from the same connection pool.
 */
import type * as k8s from '@kubernetes/client-node';
import { request, type Agent, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';

export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
  ) {
    super(message);
  }
}

export interface RequestSpec {
  readonly query?: Record<string, string | number | boolean | undefined>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Abandon the request after this long (default 30 s). */
  readonly timeoutMs?: number;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: Record<string, unknown>;
}

function withQuery(path: string, query: RequestSpec['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export class RestClient {
  private constructor(
    private readonly server: URL,
    private readonly base: RequestOptions,
  ) {}

  static async fromKubeConfig(kc: k8s.KubeConfig): Promise<RestClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('node agent: the kubeconfig has no current cluster');
    const options: RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    const agent = options.agent as Agent | undefined;
    if (agent) (agent as Agent & { keepAlive?: boolean }).keepAlive = true;
    return new RestClient(new URL(cluster.server), options);
  }

  /** Sends a request and resolves with the status and the raw response body. */
  raw(method: string, path: string, spec: RequestSpec = {}): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const body = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
      const req = request(
        {
          ...this.base,
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          method,
          path: withQuery(path, spec.query),
          headers: {
            ...(this.base.headers ?? {}),
            Accept: 'application/json',
            ...(body ? { 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': body.length } : {}),
          },
          ...(spec.signal ? { signal: spec.signal } : {}),
          timeout: spec.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer within ${spec.timeoutMs ?? 30_000} ms`)),
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends a request and parses the JSON answer; a non-2xx answer throws ApiStatusError with the server's Status. */
  async json<T = Record<string, unknown>>(method: string, path: string, spec: RequestSpec = {}): Promise<T> {
    const { status, text } = await this.raw(method, path, spec);
    let parsed: unknown;
    try {
      parsed = text ? (JSON.parse(text) as unknown) : {};
    } catch {
      parsed = { message: text };
    }
    if (status < 200 || status > 299) {
      const s = (parsed ?? {}) as { reason?: string; message?: string };
      throw new ApiStatusError(
        status,
        s.reason ?? 'Unknown',
        `${method} ${path}: ${status} ${s.reason ?? ''}: ${s.message ?? text}`.replace(/\s+/g, ' '),
        method,
        path,
      );
    }
    return parsed as T;
  }

  /**
   * Watches `path` from `resourceVersion` and calls `onEvent` per event until the server ends the
   * watch, the signal aborts, or the connection fails (then `onEnd` gets the error).
   */
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          ...this.base,
          protocol: this.server.protocol,
          hostname: this.server.hostname,
          port: this.server.port,
          method: 'GET',
          path: withQuery(path, { ...query, watch: 'true' }),
          headers: { ...(this.base.headers ?? {}), Accept: 'application/json' },
          signal,
        },
        (res: IncomingMessage) => {
          if ((res.statusCode ?? 0) !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8');
              let reason = 'Unknown';
              try {
                reason = String((JSON.parse(text) as { reason?: string }).reason ?? reason);
              } catch {
                // not a Status
              }
              reject(
                new ApiStatusError(
                  res.statusCode ?? 0,
                  reason,
                  `watch ${path}: ${res.statusCode}: ${text}`,
                  'GET',
                  path,
                ),
              );
            });
            return;
          }
          let buffered = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf('\n');
            while (newline >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (line) {
                try {
                  onEvent(JSON.parse(line) as WatchEvent);
                } catch (error: unknown) {
                  req.destroy(error instanceof Error ? error : new Error(String(error)));
                  return;
                }
              }
              newline = buffered.indexOf('\n');
            }
          });
          res.on('end', () => resolve());
          res.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
        },
      );
      req.on('error', (error) => (signal.aborted ? resolve() : reject(error)));
      req.end();
    });
  }
}
