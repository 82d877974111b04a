/**
 * The RBAC authorizer, for identities that are subject to it (ServiceAccount tokens from
 * TokenRequest): ClusterRoleBindings, then RoleBindings in the request's namespace, each rule
 * matching API group, resource (with `resource/subresource` and `*`), verb and resourceNames, as
 * k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac does. Identities kube-sim's tests create with
 * `addUser` stay unrestricted (they stand for cluster admins) unless a deny rule says otherwise.
 */
import type { RequestFacts } from './access.js';
import type { ResourceDef } from './resources.js';
import { RESOURCES } from './resources.js';
import type { ObjectStore } from './store.js';
import { isRecord, type KubeObject } from './types.js';

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
  /** Whether RBAC decides (false: a test user, allowed unless denied). */
  readonly rbac: boolean;
}

const def = (kind: string) => RESOURCES.find((r) => r.kind === kind) as ResourceDef;
const ROLES = def('Role');
const ROLE_BINDINGS = def('RoleBinding');
const CLUSTER_ROLES = def('ClusterRole');
const CLUSTER_ROLE_BINDINGS = def('ClusterRoleBinding');

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const matches = (values: string[], wanted: string) => values.includes('*') || values.includes(wanted);

function subjectMatches(
  subject: Record<string, unknown>,
  identity: Identity,
  bindingNamespace: string | undefined,
): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === identity.user;
    case 'Group':
      return typeof subject.name === 'string' && identity.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = typeof subject.namespace === 'string' && subject.namespace ? subject.namespace : bindingNamespace;
      return identity.user === `system:serviceaccount:${ns ?? ''}:${String(subject.name)}`;
    }
    default:
      return false;
  }
}

function ruleAllows(rule: Record<string, unknown>, facts: RequestFacts, group: string): boolean {
  const [resource, subresource] = facts.resource.split('/');
  const resources = list(rule.resources);
  const resourceMatches =
    resources.includes('*') ||
    resources.includes(facts.resource) ||
    (subresource !== undefined && resources.includes(`*/${subresource}`)) ||
    (subresource === undefined && resources.includes(resource ?? ''));
  const names = list(rule.resourceNames);
  return (
    matches(list(rule.verbs), facts.verb) &&
    matches(list(rule.apiGroups), group) &&
    resourceMatches &&
    (names.length === 0 || (facts.name !== undefined && names.includes(facts.name)))
  );
}

function rulesOf(store: ObjectStore, roleRef: unknown, namespace: string | undefined): Record<string, unknown>[] {
  if (!isRecord(roleRef)) return [];
  const name = String(roleRef.name ?? '');
  const role: KubeObject | undefined =
    roleRef.kind === 'ClusterRole' ? store.peek(CLUSTER_ROLES, undefined, name) : store.peek(ROLES, namespace, name);
  return Array.isArray(role?.rules) ? role.rules.filter(isRecord) : [];
}

/** Whether RBAC allows the request. */
export function rbacAllows(store: ObjectStore, identity: Identity, facts: RequestFacts, group: string): boolean {
  for (const binding of store.peekAll(CLUSTER_ROLE_BINDINGS)) {
    const subjects = Array.isArray(binding.subjects) ? binding.subjects.filter(isRecord) : [];
    if (!subjects.some((s) => subjectMatches(s, identity, undefined))) continue;
    if (rulesOf(store, binding.roleRef, undefined).some((r) => ruleAllows(r, facts, group))) return true;
  }
  if (facts.namespace === undefined) return false;
  for (const binding of store.peekAll(ROLE_BINDINGS, facts.namespace)) {
    const subjects = Array.isArray(binding.subjects) ? binding.subjects.filter(isRecord) : [];
    if (!subjects.some((s) => subjectMatches(s, identity, facts.namespace))) continue;
    if (rulesOf(store, binding.roleRef, facts.namespace).some((r) => ruleAllows(r, facts, group))) return true;
  }
  return false;
}
