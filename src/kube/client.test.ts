/**
 * KubeClient against a loopback HTTP server that answers as scripted: time-outs on the injected
 * clock cancel the request, and a 429's Retry-After is honoured.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../shared/clock.js';
import { KubeClient } from './client.js';
import { KubeError } from './errors.js';

interface Script {
  server: Server;
  requests: { req: IncomingMessage; closed: Promise<void> }[];
  client(options?: ConstructorParameters<typeof KubeClient>[1]): KubeClient;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose n-th request is answered by `answers[n]` (a missing answer: never answered). */
async function scripted(answers: ((res: ServerResponse) => void)[]): Promise<Script> {
  const requests: Script['requests'] = [];
  const server = createServer((req, res) => {
    const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
    requests.push({ req, closed });
    answers[requests.length - 1]?.(res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'loop', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'test-token' }],
    contexts: [{ name: 'loop', cluster: 'loop', user: 'u' }],
    currentContext: 'loop',
  });
  return { server, requests, client: (options) => new KubeClient({ name: 'loop', config }, options) };
}

const secretBody = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n' } });
const json =
  (code: number, body: string, headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
    res.end(body);
  };
const status = (code: number, reason: string, details?: object) =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: reason, details });

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error(`never saw ${what}`);
}

describe('KubeClient', () => {
  it('cancels a request that timed out on the injected clock: the server sees the connection close', async () => {
    const script = await scripted([]); // never answers
    const clock = new ManualClock();
    const call = script.client({ clock, timeoutMs: 5_000 }).readSecret('n', 's');
    const failure = call.catch((error: unknown) => error);
    await until('the request', () => script.requests.length === 1);
    await clock.advance(5_000);
    const error = await failure;
    expect(error).toBeInstanceOf(KubeError);
    expect((error as KubeError).failure).toBe('Timeout');
    expect((error as KubeError).message).toContain('no answer from the API server within 5 s');
    await script.requests[0]?.closed; // resolves only once the client closed the connection
  });

  it('stops at once when the caller aborts, cancelling the request', async () => {
    const script = await scripted([]);
    const stop = new AbortController();
    const call = script.client({ clock: new ManualClock() }).readSecret('n', 's', stop.signal);
    const failure = call.catch((error: unknown) => error);
    await until('the request', () => script.requests.length === 1);
    stop.abort();
    expect(((await failure) as KubeError).failure).toBe('Aborted');
    await script.requests[0]?.closed;
  });

  it("waits as long as a 429's Retry-After header asks before the next attempt", async () => {
    const script = await scripted([
      json(429, status(429, 'TooManyRequests'), { 'Retry-After': '3' }),
      json(200, secretBody),
    ]);
    const clock = new ManualClock();
    const read = script.client({ clock }).readSecret('n', 's');
    await until('the first answer', () => clock.sleeps.length === 1);
    expect(clock.sleeps).toEqual([3_000]);
    await clock.advance(3_000);
    expect((await read).metadata?.name).toBe('s');
    expect(script.requests).toHaveLength(2);
  });

  it('takes the delay from the Status details when a 429 carries no Retry-After header', async () => {
    const script = await scripted([
      json(429, status(429, 'TooManyRequests', { retryAfterSeconds: 2 })),
      json(200, secretBody),
    ]);
    const clock = new ManualClock();
    const read = script.client({ clock }).readSecret('n', 's');
    await until('the first answer', () => clock.sleeps.length === 1);
    expect(clock.sleeps).toEqual([2_000]);
    await clock.advance(2_000);
    expect((await read).metadata?.name).toBe('s');
  });

  it('tells a refused write (an HTTP answer below 500) from one whose fate is unknown', async () => {
    const script = await scripted([json(403, status(403, 'Forbidden')), json(500, status(500, 'InternalError'))]);
    const client = script.client({ clock: new ManualClock() });
    const body = { metadata: { name: 's', namespace: 'n', resourceVersion: '1' } };
    const refused = (await client.replaceSecret(body).catch((e: unknown) => e)) as KubeError;
    expect([refused.failure, refused.code, refused.mayHaveApplied]).toEqual(['Forbidden', 403, false]);
    const unsure = (await client.replaceSecret(body).catch((e: unknown) => e)) as KubeError;
    expect([unsure.failure, unsure.code, unsure.mayHaveApplied]).toEqual(['ServerError', 500, true]);
  });
});
