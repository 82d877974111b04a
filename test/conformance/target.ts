/**
 * A server under test: kube-sim or a real kube-apiserver, reached over HTTPS with a CA and a
 * bearer token, and the raw requests the conformance table sends to it. No client library sits in
 * between, so what is compared is what the server answered.
 */
import { request } from 'node:https';

export interface Target {
  /** 'kube-sim' or 'real', for messages. */
  readonly name: string;
  /** https://host:port */
  readonly server: string;
  readonly caPem: string;
  /** A token of the cluster admin. */
  readonly token: string;
}

export interface RawRequest {
  readonly method: string;
  /** Path and query, e.g. /api/v1/namespaces/x/secrets?limit=2 */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Bearer token; the target's admin token when absent, no Authorization header when ''. */
  readonly token?: string;
  /** A streaming answer (watch): stop after this many newline-delimited JSON events, or at the deadline. */
  readonly stream?: { readonly events: number; readonly timeoutMs: number };
}

export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Parsed JSON when the body is JSON; the events of a stream; the text otherwise. */
  readonly body: unknown;
  readonly text: string;
}

const USER_AGENT = 'kube-conformance/1.0 (differential table)';

export function send(target: Target, req: RawRequest): Promise<Answer> {
  const url = new URL(req.path, target.server);
  const token = req.token ?? target.token;
  return new Promise((resolve, reject) => {
    let responded = false;
    const timeoutMs = req.stream ? req.stream.timeoutMs + 10_000 : 30_000;
    const r = request(
      url,
      {
        method: req.method,
        ca: target.caPem,
        headers: {
          'User-Agent': USER_AGENT,
          Accept: 'application/json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(req.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(req.body)) } : {}),
          ...req.headers,
        },
        timeout: timeoutMs,
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let events: unknown[] | undefined;
        let pending = '';
        let timer: NodeJS.Timeout | undefined;
        const finish = () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if (events) body = events;
          else if (/json/.test(String(res.headers['content-type'])) && text.length > 0) {
            try {
              body = JSON.parse(text) as unknown;
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
        };
        if (req.stream && res.statusCode === 200) {
          events = [];
          const stream = req.stream;
          timer = setTimeout(() => {
            res.destroy();
            finish();
          }, stream.timeoutMs);
          res.on('data', (chunk: Buffer) => {
            chunks.push(chunk);
            pending += chunk.toString('utf8');
            let newline: number;
            while ((newline = pending.indexOf('\n')) >= 0) {
              const line = pending.slice(0, newline).trim();
              pending = pending.slice(newline + 1);
              if (line) events?.push(JSON.parse(line) as unknown);
              if ((events?.length ?? 0) >= stream.events) {
                res.destroy();
                finish();
                return;
              }
            }
          });
          res.on('end', finish);
          res.on('error', () => finish());
          return;
        }
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', finish);
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${target.name}: ${req.method} ${req.path} timed out`)));
    r.on('error', (error) => {
      if (req.stream && responded) return; // a stream we cut ourselves
      reject(error);
    });
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}
