/**
 * moto's server (an AWS emulator nobody here wrote), started on a free loopback port for the
 * AWS provider's conformance cases. It is installed by scripts/moto/ensure.sh (and .ci/run);
 * when it is missing the tests fail, saying how to install it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const MOTO_VERSION = '5.2.5';

/** Where scripts/moto/ensure.sh puts moto_server (same rule as the script). */
export function motoServerPath(): string {
  const venv =
    process.env.KUBECOST_ROTATE_MOTO_VENV ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubecost-rotate', `moto-${MOTO_VERSION}`);
  return join(venv, 'bin', 'moto_server');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

export interface Moto {
  readonly endpoint: string;
  /** Turns IAM authentication and authorization on for every later request (moto's reset-auth). */
  enableAuth(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts moto_server on 127.0.0.1 and resolves once it says it listens (bounded: 60 s). */
export async function startMoto(): Promise<Moto> {
  const server = motoServerPath();
  if (!existsSync(server))
    throw new Error(`moto ${MOTO_VERSION} is not installed (${server} is missing): run scripts/moto/ensure.sh`);
  const port = await freePort();
  const child: ChildProcess = spawn(server, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MOTO_CALL_RESET_API: 'true' },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`moto_server printed no "Running on" line within 60 s:\n${output}`)),
      60_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(`Running on http://127.0.0.1:${port}`)) done();
    };
    const onExit = (code: number | null) => done(new Error(`moto_server exited (${code ?? 'signal'}):\n${output}`));
    function done(error?: Error) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  // Keep draining its output so the pipe never fills.
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async enableAuth() {
      const response = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
      if (!response.ok) throw new Error(`moto reset-auth answered ${response.status}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
