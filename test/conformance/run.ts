/**
 * Runs conformance cases against one target: a fresh namespace per case, each step sent as a raw
 * HTTPS request, each checked step matched against its recorded answer.
 */
import { randomBytes } from 'node:crypto';
import { mismatches } from './match.js';
import type { CaseContext, ConformanceCase, Expectation, Step } from './model.js';
import { send, type Answer, type RawRequest, type Target } from './target.js';

export interface StepResult {
  readonly index: number;
  readonly request: string;
  readonly answer: Answer | undefined;
  /** Why the answer differs from the recorded one (empty when it matches). */
  readonly mismatches: readonly string[];
  readonly checked: boolean;
}

export interface CaseResult {
  readonly id: string;
  readonly target: string;
  readonly ns: string;
  readonly steps: readonly StepResult[];
  /** Every checked step matched and every setup step succeeded. */
  readonly ok: boolean;
}

export interface Identity {
  readonly token: string;
  readonly user: string;
}

const IDENTITY_NAMESPACE = 'conformance-identity';

function dynamic<T>(value: T | ((c: CaseContext) => T) | undefined, c: CaseContext): T | undefined {
  return typeof value === 'function' ? (value as (c: CaseContext) => T)(c) : value;
}

function toRequest(step: Step, c: CaseContext): RawRequest {
  const path = (dynamic(step.path, c) ?? '').replaceAll('{ns}', c.ns);
  const query = dynamic(step.query, c);
  const search = query ? `${path.includes('?') ? '&' : '?'}${new URLSearchParams(query).toString()}` : '';
  const raw = dynamic(step.raw, c);
  const json = dynamic(step.body, c);
  const body = raw !== undefined ? raw : json !== undefined ? JSON.stringify(json) : undefined;
  const contentType =
    step.contentType ??
    (body !== undefined ? (step.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json') : undefined);
  const token =
    step.as === 'nobody'
      ? c.nobody.token
      : step.as === 'anonymous'
        ? ''
        : step.as === 'bad-token'
          ? 'conformance-token-nobody-issued'
          : undefined;
  return {
    method: step.method,
    path: `${path}${search}`,
    headers: {
      ...(contentType ? { 'Content-Type': contentType } : {}),
      ...(step.accept ? { Accept: step.accept } : {}),
    },
    ...(body !== undefined ? { body } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(step.stream ? { stream: step.stream } : {}),
  };
}

function check(expectation: Expectation, answer: Answer): string[] {
  const out: string[] = [];
  out.push(...mismatches(expectation.status, answer.status, 'status'));
  if (expectation.body !== undefined) out.push(...mismatches(expectation.body, answer.body, '$body'));
  for (const [name, pattern] of Object.entries(expectation.headers ?? {})) {
    const raw = answer.headers[name];
    const value = Array.isArray(raw) ? raw.join('\n') : raw;
    out.push(...mismatches(pattern, value, `header ${name}`, value !== undefined));
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCase(target: Target, testCase: ConformanceCase, nobody: Identity): Promise<CaseResult> {
  const ns = `conf-${testCase.id
    .slice(0, 40)
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+$/, '')}-${randomBytes(2).toString('hex')}`;
  const saved: Record<string, Answer> = {};
  const c: CaseContext = { ns, target, saved, nobody };
  const steps: StepResult[] = [];
  const created = await send(target, {
    method: 'POST',
    path: '/api/v1/namespaces',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
  });
  if (created.status !== 201) throw new Error(`${target.name}: cannot create namespace ${ns}: ${created.text}`);
  let ok = true;
  for (const [index, step] of testCase.steps.entries()) {
    const expectation = dynamic(step.expect, c);
    const deadline = Date.now() + (step.eventually ?? 0);
    let answer: Answer | undefined;
    let why: string[];
    let request: string;
    for (;;) {
      const raw = toRequest(step, c);
      request = `${raw.method} ${raw.path}`;
      try {
        answer = await send(target, raw);
        why = expectation
          ? check(expectation, answer)
          : answer.status >= 200 && answer.status < 300
            ? []
            : [`setup step answered ${answer.status}: ${answer.text.slice(0, 400)}`];
      } catch (error: unknown) {
        answer = undefined;
        why = [`no answer: ${error instanceof Error ? error.message : String(error)}`];
      }
      if (why.length === 0 || Date.now() >= deadline) break;
      await sleep(100);
    }
    if (answer && step.name) saved[step.name] = answer;
    steps.push({ index, request, answer, mismatches: why, checked: expectation !== undefined });
    if (why.length > 0) {
      ok = false;
      break;
    }
  }
  // Best effort: the namespace controller (or kube-sim) removes the rest.
  await send(target, { method: 'DELETE', path: `/api/v1/namespaces/${ns}` }).catch(() => undefined);
  return { id: testCase.id, target: target.name, ns, steps, ok };
}

/** A ServiceAccount with no role bindings and a token for it (TokenRequest), as the 403 cases need. */
export async function nobodyIdentity(target: Target): Promise<Identity> {
  const json = { 'Content-Type': 'application/json' };
  const ns = await send(target, {
    method: 'POST',
    path: '/api/v1/namespaces',
    headers: json,
    body: JSON.stringify({ metadata: { name: IDENTITY_NAMESPACE } }),
  });
  if (ns.status !== 201 && ns.status !== 409)
    throw new Error(`${target.name}: cannot create ${IDENTITY_NAMESPACE}: ${ns.text}`);
  const sa = await send(target, {
    method: 'POST',
    path: `/api/v1/namespaces/${IDENTITY_NAMESPACE}/serviceaccounts`,
    headers: json,
    body: JSON.stringify({ metadata: { name: 'nobody' } }),
  });
  if (sa.status !== 201 && sa.status !== 409)
    throw new Error(`${target.name}: cannot create ServiceAccount nobody: ${sa.text}`);
  const token = await send(target, {
    method: 'POST',
    path: `/api/v1/namespaces/${IDENTITY_NAMESPACE}/serviceaccounts/nobody/token`,
    headers: json,
    body: JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: { expirationSeconds: 3600 },
    }),
  });
  const value = (token.body as { status?: { token?: string } } | undefined)?.status?.token;
  if (token.status !== 201 || !value)
    throw new Error(`${target.name}: TokenRequest for nobody failed: ${token.status} ${token.text}`);
  return { token: value, user: `system:serviceaccount:${IDENTITY_NAMESPACE}:nobody` };
}

/** One line per mismatch, with the answer, for a failure message. */
export function describeResult(result: CaseResult): string {
  const failed = result.steps.find((s) => s.mismatches.length > 0);
  if (!failed) return `${result.target}: ${result.id} matches`;
  const body = failed.answer ? failed.answer.text.slice(0, 1500) : '(no answer)';
  const warning = failed.answer?.headers.warning;
  return [
    `${result.target}: ${result.id}, step ${failed.index + 1} (${failed.request}):`,
    ...failed.mismatches.map((m) => `  - ${m}`),
    `  answer: ${failed.answer?.status ?? '-'} ${body}`,
    ...(warning ? [`  warning: ${String(warning)}`] : []),
  ].join('\n');
}
