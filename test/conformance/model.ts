/**
 * The shape of a conformance case: a few requests in a namespace of its own, each either a setup
 * step (it must succeed) or a checked step with the answer recorded from a real v1.34.4
 * kube-apiserver (status, the body fields that matter, headers).
 */
import type { Matcher } from './match.js';
import type { Answer, Target } from './target.js';

export interface CaseContext {
  /** The case's own namespace (fresh for every case and target). */
  readonly ns: string;
  readonly target: Target;
  /** Answers of the named steps run so far. */
  readonly saved: Readonly<Record<string, Answer>>;
  /** A ServiceAccount token with no permissions, and its user name. */
  readonly nobody: { readonly token: string; readonly user: string };
}

export type JsonBody = Record<string, unknown> | readonly unknown[];

type Dynamic<T> = T | ((c: CaseContext) => T);

export interface Expectation {
  /** The status code, or a matcher of it. */
  readonly status: number | Matcher;
  /** Pattern of the body (see match.ts); for streams, of the array of events. */
  readonly body?: unknown;
  /** Patterns of response headers by lower-case name (`absent` for a header that must not be sent). */
  readonly headers?: Readonly<Record<string, unknown>>;
}

export interface Step {
  /** Saves the answer as `saved[name]` for later steps. */
  readonly name?: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path, `{ns}` replaced by the case's namespace. */
  readonly path: Dynamic<string>;
  readonly query?: Dynamic<Record<string, string>>;
  /** A JSON body (serialized), or raw text/bytes with `raw`. */
  readonly body?: JsonBody | ((c: CaseContext) => JsonBody);
  readonly raw?: Dynamic<string | Buffer>;
  readonly contentType?: string;
  readonly accept?: string;
  /** Whose request: the admin (default), the ServiceAccount without permissions, no credentials, or a token nobody issued. */
  readonly as?: 'admin' | 'nobody' | 'anonymous' | 'bad-token';
  readonly stream?: { readonly events: number; readonly timeoutMs: number };
  /** The recorded answer. Without one the step is setup and must answer 2xx. */
  readonly expect?: Dynamic<Expectation>;
  /** Re-send until the answer matches, for at most this many ms (controllers, GC, namespaces). */
  readonly eventually?: number;
}

export type Area =
  | 'secrets'
  | 'configmaps'
  | 'leases'
  | 'events'
  | 'namespaces'
  | 'deployments'
  | 'statefulsets'
  | 'daemonsets'
  | 'jobs'
  | 'cronjobs'
  | 'pods'
  | 'services'
  | 'watch'
  | 'selectors'
  | 'lists'
  | 'patch'
  | 'apply'
  | 'decoding'
  | 'tables'
  | 'auth'
  | 'discovery'
  | 'gc';

export interface ConformanceCase {
  /** Stable id, referenced by the lists of known differences. */
  readonly id: string;
  /** What the real server does, as a sentence. */
  readonly title: string;
  readonly area: Area;
  readonly steps: readonly Step[];
  /** Needs pods that run (a node agent on the real control plane). */
  readonly needsNodeAgent?: boolean;
  /**
   * Why the two servers' Status messages are compared only through the recorded pattern (the
   * differential suite compares them word for word otherwise).
   */
  readonly messagesDiffer?: string;
}
