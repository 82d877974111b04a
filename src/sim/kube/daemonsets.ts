/**
 * The DaemonSet controller: one pod per node (Node objects; without any, the one implicit node
 * kube-sim's kubelet runs), labelled with the template's revision (controller-revision-hash) and
 * generation, pinned to its node by node affinity and tolerating node conditions as the real
 * controller does; RollingUpdate within maxUnavailable/maxSurge, OnDelete left to the user; and
 * the status fields `kubectl rollout status daemonset` reads.
 */
import { clone } from './api.js';
import { scaledValue } from './scaled.js';
import { createPodFor, omitZero, podsOf, save, type ControllerKit } from './kit.js';
import { isPodAvailable, isPodReady, isTerminating, num, R, rec, recordEvent } from './objects.js';
import { ensureRevision, pruneRevisions } from './revisions.js';
import type { KubeObject } from './types.js';

const TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** The node a daemon pod is for ('' for the implicit node). */
function nodeOf(pod: KubeObject): string {
  const terms = rec(
    rec(rec(rec(pod.spec).affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution,
  ).nodeSelectorTerms;
  for (const term of Array.isArray(terms) ? terms.map(rec) : [])
    for (const f of Array.isArray(term.matchFields) ? term.matchFields.map(rec) : [])
      if (f.key === 'metadata.name' && Array.isArray(f.values)) return String(f.values[0] ?? '');
  return '';
}

export function reconcileDaemonSet(kit: ControllerKit, namespace: string, name: string): void {
  const { api } = kit;
  const ds = api.store.peek(R.daemonsets, namespace, name);
  if (!ds || isTerminating(ds)) return;
  const spec = rec(ds.spec);
  const template = rec(spec.template);
  // A DaemonSet's revisions carry its annotations (the template generation among them).
  const revision = ensureRevision(api, ds, template, 'controller-revision-hash', ds.metadata.annotations);
  const hash = revision.metadata.labels?.['controller-revision-hash'] ?? '';
  const nodes = api.store.peekAll(R.nodes).map((n) => n.metadata.name ?? '');
  const targets = nodes.length > 0 ? nodes : [''];
  const strategy = rec(spec.updateStrategy);
  const rolling = strategy.type !== 'OnDelete';
  const maxUnavailable = rolling
    ? Math.max(scaledValue(rec(strategy.rollingUpdate).maxUnavailable ?? 1, targets.length, true), 0)
    : 0;
  const maxSurge = rolling ? scaledValue(rec(strategy.rollingUpdate).maxSurge ?? 0, targets.length, true) : 0;
  const minReady = num(spec.minReadySeconds);
  const now = kit.clock.now();
  const generation = ds.metadata.annotations?.['deprecated.daemonset.template.generation'] ?? '1';
  const isNew = (p: KubeObject) => p.metadata.labels?.['controller-revision-hash'] === hash;

  const pods = podsOf(api, ds);
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) byNode.set(nodeOf(p), [...(byNode.get(nodeOf(p)) ?? []), p]);

  // Pods for nodes that are gone.
  for (const [node, list] of byNode)
    if (!targets.includes(node))
      for (const p of list) if (!isTerminating(p)) api.delete(R.pods, namespace, p.metadata.name ?? '');

  const create = (node: string) => {
    createPodFor(api, ds, template, `${name}-`, {
      labels: { 'controller-revision-hash': hash, 'pod-template-generation': generation },
      spec: {
        tolerations: [
          ...(Array.isArray(rec(template.spec).tolerations) ? (rec(template.spec).tolerations as unknown[]) : []),
          ...TOLERATIONS,
        ],
        ...(node
          ? {
              affinity: {
                ...rec(rec(template.spec).affinity),
                nodeAffinity: {
                  requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }],
                  },
                },
              },
            }
          : {}),
      },
    });
    recordEvent(
      api,
      ds,
      'Normal',
      'SuccessfulCreate',
      `Created pod for node ${node || 'kube-sim'}`,
      'daemonset-controller',
    );
  };

  let unavailable = 0;
  for (const node of targets) {
    const live = (byNode.get(node) ?? []).filter((p) => !isTerminating(p));
    if (!live.some((p) => isPodAvailable(p, minReady, now))) unavailable += 1;
  }
  let budget = Math.max(0, maxUnavailable - unavailable);
  let surge = maxSurge;
  for (const node of targets) {
    const list = byNode.get(node) ?? [];
    const live = list.filter((p) => !isTerminating(p));
    if (live.length === 0) {
      if (list.length === 0 || maxSurge > 0) create(node);
      continue;
    }
    const fresh = live.filter(isNew);
    const old = live.filter((p) => !isNew(p));
    if (old.length === 0) {
      for (const extra of fresh.slice(1)) api.delete(R.pods, namespace, extra.metadata.name ?? '');
      continue;
    }
    if (!rolling) continue; // OnDelete: the user deletes old pods
    if (fresh.length > 0) {
      // Surged: drop the old pod once the new one is available.
      if (fresh.some((p) => isPodAvailable(p, minReady, now)))
        for (const p of old) api.delete(R.pods, namespace, p.metadata.name ?? '');
      continue;
    }
    if (maxSurge > 0 && surge > 0) {
      surge -= 1;
      create(node);
      continue;
    }
    const oldAvailable = old.some((p) => isPodAvailable(p, minReady, now));
    if (!oldAvailable || budget > 0) {
      if (oldAvailable) budget -= 1;
      for (const p of old) {
        api.delete(R.pods, namespace, p.metadata.name ?? '');
        recordEvent(
          api,
          ds,
          'Normal',
          'SuccessfulDelete',
          `Deleted pod: ${p.metadata.name ?? ''}`,
          'daemonset-controller',
        );
      }
    }
  }
  if (minReady > 0) kit.enqueueAfter(`DaemonSet/${namespace}/${name}`, minReady * 1000);

  const live = podsOf(api, ds).filter((p) => !isTerminating(p));
  const scheduledNodes = new Set(live.map(nodeOf));
  const desired = targets.length;
  const available = targets.filter((n) => live.some((p) => nodeOf(p) === n && isPodAvailable(p, minReady, now))).length;
  const status: Record<string, unknown> = {
    currentNumberScheduled: targets.filter((n) => scheduledNodes.has(n)).length,
    numberMisscheduled: 0,
    desiredNumberScheduled: desired,
    numberReady: targets.filter((n) => live.some((p) => nodeOf(p) === n && isPodReady(p))).length,
    observedGeneration: ds.metadata.generation ?? 1,
    updatedNumberScheduled: targets.filter((n) => live.some((p) => nodeOf(p) === n && isNew(p))).length,
    numberAvailable: available,
    ...(desired - available > 0 ? { numberUnavailable: desired - available } : {}),
  };
  omitZero(status, ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']);
  const keep = new Set(live.map((p) => `${name}-${p.metadata.labels?.['controller-revision-hash'] ?? ''}`));
  keep.add(revision.metadata.name ?? '');
  pruneRevisions(api, ds, keep);
  const current = api.store.peek(R.daemonsets, namespace, name);
  if (current) save(api, R.daemonsets, current, { ...clone(current), status });
}
