/**
 * Test controls on the request path of one simulated cluster: bearer tokens and who they are,
 * RBAC-style deny rules per user, and fault injection (status code, latency, dropped
 * connection) by verb, resource, namespace and name, limited by count or probability.
 */
import type { Identity } from './rbac.js';
export interface RequestFacts {
  readonly user: string;
  /** Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, proxy. */
  readonly verb: string;
  /** Plural resource, with subresource when there is one ('pods/log', 'services/proxy'). */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

export interface Selector {
  verb?: string | readonly string[];
  resource?: string | readonly string[];
  /** A namespace; null selects only cluster-scoped requests (such as a list across all namespaces); undefined selects any. */
  namespace?: string | null;
  name?: string;
}

export interface DenyRule extends Selector {
  /** The user the rule applies to (default: every user). */
  user?: string;
}

export interface FaultRule extends Selector {
  /** Answer with this HTTP status (a Status body shaped like the real one). */
  status?: number;
  /**
   * With 429 or 503: the Retry-After header, in seconds (default 1). A 429 is answered as the real
   * server's priority-and-fairness filter does (plain text, `Retry-After`), unless `statusBody` is
   * set (then a TooManyRequests Status with details.retryAfterSeconds, as the eviction API answers).
   */
  retryAfterSeconds?: number;
  statusBody?: boolean;
  message?: string;
  /** Wait this long before answering (or before the other effects). */
  latencyMs?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  /** Apply at most this many times (default: unlimited). */
  count?: number;
  /** Apply with this probability, 0..1 (default 1). */
  probability?: number;
}

export interface ActiveFault {
  readonly id: number;
  readonly rule: FaultRule;
  /** How many times it has applied so far. */
  hits: number;
}

function oneOf(expected: string | readonly string[] | undefined, actual: string | undefined): boolean {
  if (expected === undefined) return true;
  return typeof expected === 'string' ? expected === actual : expected.includes(actual ?? '');
}

export function selects(selector: Selector, facts: RequestFacts): boolean {
  return (
    oneOf(selector.verb, facts.verb) &&
    oneOf(selector.resource, facts.resource) &&
    (selector.namespace === undefined ||
      (selector.namespace === null ? facts.namespace === undefined : selector.namespace === facts.namespace)) &&
    (selector.name === undefined || selector.name === facts.name)
  );
}

/** Tokens and deny rules of one cluster. */
export class AccessControl {
  private readonly tokens = new Map<string, string>();
  /** Tokens issued by TokenRequest: their users are ServiceAccounts, authorized by RBAC. */
  private readonly serviceAccountTokens = new Map<string, { namespace: string; name: string }>();
  private readonly denies: DenyRule[] = [];

  addToken(token: string, user: string): void {
    this.tokens.set(token, user);
  }

  /** Registers a token issued for a ServiceAccount (TokenRequest). */
  addServiceAccountToken(token: string, namespace: string, name: string): void {
    this.serviceAccountTokens.set(token, { namespace, name });
  }

  /** Who a token is: a ServiceAccount (RBAC decides) or a user kube-sim's tests made (allowed unless denied). */
  identityFor(token: string | undefined): Identity | undefined {
    if (token === undefined) return undefined;
    const sa = this.serviceAccountTokens.get(token);
    if (sa)
      return {
        user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
        rbac: true,
      };
    const user = this.tokens.get(token);
    return user === undefined ? undefined : { user, groups: ['system:masters', 'system:authenticated'], rbac: false };
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  userFor(token: string | undefined): string | undefined {
    return this.identityFor(token)?.user;
  }

  /** Denies matching requests with 403 Forbidden. Returns a function that lifts the rule. */
  deny(rule: DenyRule): () => void {
    this.denies.push(rule);
    return () => {
      const i = this.denies.indexOf(rule);
      if (i >= 0) this.denies.splice(i, 1);
    };
  }

  clearDenies(): void {
    this.denies.length = 0;
  }

  isDenied(facts: RequestFacts): boolean {
    return this.denies.some((rule) => (rule.user === undefined || rule.user === facts.user) && selects(rule, facts));
  }
}

/** Injected faults of one cluster. */
export class FaultInjector {
  private nextId = 1;
  private readonly faults: ActiveFault[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  /** Adds a fault; returns a handle whose `hits` counts applications. */
  add(rule: FaultRule): ActiveFault {
    const fault = { id: this.nextId++, rule, hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  remove(fault: ActiveFault): void {
    const i = this.faults.indexOf(fault);
    if (i >= 0) this.faults.splice(i, 1);
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** The fault to apply to this request, if any (its count is consumed). */
  take(facts: RequestFacts): FaultRule | undefined {
    for (const fault of this.faults) {
      if (!selects(fault.rule, facts)) continue;
      if (fault.rule.count !== undefined && fault.hits >= fault.rule.count) continue;
      if (fault.rule.probability !== undefined && this.random() >= fault.rule.probability) continue;
      fault.hits += 1;
      return fault.rule;
    }
    return undefined;
  }
}
