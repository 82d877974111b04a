/**
 * The endpoints and EndpointSlice controllers: for every Service with a selector, an Endpoints
 * object of the same name and an EndpointSlice labelled kubernetes.io/service-name, listing the
 * selected pods that have an IP (ready ones as addresses, the others as notReadyAddresses /
 * ready=false), with the Service's ports resolved against each pod's named ports.
 */
import { clone } from './api.js';
import { save, type ControllerKit } from './kit.js';
import { arr, isPodReady, isTerminating, num, ownerReference, R, rec } from './objects.js';
import type { KubeObject } from './types.js';

const MANAGED_BY = 'endpointslice-controller.k8s.io';

function targetPort(port: Record<string, unknown>, pod: KubeObject): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  for (const c of arr(rec(pod.spec).containers).map(rec))
    for (const p of arr(c.ports).map(rec)) if (p.name === target) return num(p.containerPort);
  return undefined;
}

export function reconcileService(kit: ControllerKit, namespace: string, name: string): void {
  const { api } = kit;
  const svc = api.store.peek(R.services, namespace, name);
  const endpointsName = name;
  const slices = api.store
    .peekAll(R.endpointslices, namespace)
    .filter(
      (s) =>
        s.metadata.labels?.['kubernetes.io/service-name'] === name &&
        s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === MANAGED_BY,
    );
  const selector = rec(rec(svc?.spec).selector) as Record<string, string>;
  if (!svc || isTerminating(svc) || Object.keys(selector).length === 0) {
    // No selector: endpoints are the user's to manage. Gone: the garbage collector removes the slices.
    if (!svc && api.store.peek(R.endpoints, namespace, endpointsName)) {
      try {
        api.delete(R.endpoints, namespace, endpointsName);
      } catch {
        // gone already
      }
    }
    return;
  }
  const ports = arr(rec(svc.spec).ports).map(rec);
  const pods = api.store
    .peekAll(R.pods, namespace)
    .filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v))
    .filter((p) => typeof rec(p.status).podIP === 'string' && rec(p.status).podIP !== '')
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const address = (p: KubeObject) => ({
    ip: String(rec(p.status).podIP),
    ...(rec(p.spec).nodeName ? { nodeName: String(rec(p.spec).nodeName) } : {}),
    targetRef: { kind: 'Pod', namespace, name: p.metadata.name, uid: p.metadata.uid },
  });
  const live = pods.filter((p) => !isTerminating(p));
  const ready = live.filter(isPodReady);
  const notReady = live.filter((p) => !isPodReady(p));
  const epPorts = (pod: KubeObject | undefined) =>
    ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: pod ? (targetPort(p, pod) ?? num(p.port)) : num(p.port),
      protocol: p.protocol ?? 'TCP',
    }));
  const subsets =
    live.length > 0
      ? [
          {
            ...(ready.length > 0 ? { addresses: ready.map(address) } : {}),
            ...(notReady.length > 0 ? { notReadyAddresses: notReady.map(address) } : {}),
            ports: epPorts(live[0]),
          },
        ]
      : undefined;
  const labels = { ...(svc.metadata.labels ?? {}), 'endpoints.kubernetes.io/managed-by': 'endpoint-controller' };
  const trigger = { 'endpoints.kubernetes.io/last-change-trigger-time': kit.clock.timestamp() };
  const current = api.store.peek(R.endpoints, namespace, endpointsName);
  const body: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: endpointsName, namespace, labels, annotations: trigger },
    ...(subsets ? { subsets } : {}),
  };
  if (!current) {
    try {
      api.create(R.endpoints, namespace, body);
    } catch {
      // namespace terminating
    }
  } else {
    const next = {
      ...clone(current),
      metadata: { ...clone(current.metadata), labels },
    } as KubeObject;
    if (subsets) next.subsets = subsets;
    else delete next.subsets;
    save(api, R.endpoints, current, next);
  }

  const endpoints = pods.map((p) => ({
    addresses: [String(rec(p.status).podIP)],
    conditions: { ready: !isTerminating(p) && isPodReady(p), serving: isPodReady(p), terminating: isTerminating(p) },
    targetRef: { kind: 'Pod', namespace, name: p.metadata.name, uid: p.metadata.uid },
    ...(rec(p.spec).nodeName ? { nodeName: String(rec(p.spec).nodeName) } : {}),
  }));
  const sliceLabels = {
    ...(svc.metadata.labels ?? {}),
    'kubernetes.io/service-name': name,
    'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
  };
  const slice = slices[0];
  // An empty slice says null for both lists, as the real one (a nil slice).
  const sliceBody = {
    addressType: 'IPv4',
    endpoints: endpoints.length > 0 ? endpoints : null,
    ports:
      pods.length > 0
        ? epPorts(pods[0]).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol }))
        : null,
  };
  if (!slice) {
    try {
      api.create(R.endpointslices, namespace, {
        metadata: {
          generateName: `${name}-`,
          labels: sliceLabels,
          annotations: trigger,
          ownerReferences: [ownerReference(svc)],
        },
        ...sliceBody,
      });
    } catch {
      // namespace terminating
    }
  } else
    save(api, R.endpointslices, slice, {
      ...clone(slice),
      metadata: { ...clone(slice.metadata), labels: sliceLabels },
      ...sliceBody,
    });
}
