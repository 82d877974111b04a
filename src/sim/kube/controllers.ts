/**
 * The controller manager of one simulated cluster: Deployment (ReplicaSets with
 * pod-template-hash, RollingUpdate with maxSurge/maxUnavailable, Recreate, progress deadline),
 * ReplicaSet, StatefulSet (ordered creation and ordered rolling update from the highest ordinal,
 * partition, ControllerRevisions), DaemonSet, Job, CronJob, endpoints and EndpointSlices, and the
 * lifecycle controllers (namespaces, default ServiceAccounts, kube-root-ca.crt, garbage
 * collection). Their status fields follow the real controllers closely enough that kubectl's
 * `rollout status` logic gives the right answers.
 *
 * Controllers are level-triggered: any change enqueues the owning workload, and a reconcile
 * reads the current state and moves it one step on. Writes that change nothing are skipped,
 * so the loop settles. Like the real controller manager, they act a moment after a change (an
 * informer's lag), never within the request that made it: a PATCH answers with the old
 * observedGeneration.
 */
import type { ClusterApi } from './api.js';
import { clone } from './api.js';
import { CronJobs, reconcileJob } from './batch.js';
import { reconcileDaemonSet } from './daemonsets.js';
import { reconcileService } from './endpoints.js';
import { omitZero, type ControllerKit } from './kit.js';
import { Lifecycle } from './lifecycle.js';
import { ensureRevision, pruneRevisions, revisionsOf, templateOf } from './revisions.js';
import { scaledValue } from './scaled.js';
import type { SimClock, SimTimer } from './clock.js';
import {
  arr,
  controllerOf,
  isPodAvailable,
  isPodReady,
  isTerminating,
  num,
  ownedBy,
  ownerReference,
  R,
  rec,
  recordEvent,
  templateHash,
} from './objects.js';
import type { ResourceDef } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import type { StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

type Kind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob' | 'Service' | 'Lifecycle';

/** How long after a change the controllers look at it (the real informers' delivery lag). */
export const INFORMER_LAG_MS = 10;

const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

export { scaledValue } from './scaled.js';

export class Controllers {
  private readonly queue = new Map<string, { kind: Kind; namespace: string; name: string }>();
  private scheduled = false;
  private paused = false;
  private stopped = false;
  private unsubscribe: (() => void) | undefined;
  /** Per Deployment uid: what its progress looked like and when it last moved (progress deadline). */
  private readonly progress = new Map<string, { signature: string; since: number; timer?: SimTimer }>();
  private readonly timers = new Set<SimTimer>();
  private readonly kit: ControllerKit;
  private readonly lifecycle: Lifecycle;
  private readonly cronJobs: CronJobs;

  constructor(
    private readonly api: ClusterApi,
    private readonly clock: SimClock,
  ) {
    this.kit = {
      api,
      clock,
      enqueueAfter: (key, ms) => {
        const [kind = '', namespace = '', ...name] = key.split('/');
        this.enqueueAfter(kind as Kind, namespace, name.join('/'), ms);
      },
    };
    this.lifecycle = new Lifecycle(api, (key) => this.enqueue('Lifecycle', '', key));
    this.cronJobs = new CronJobs(this.kit);
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe((event) => this.onEvent(event));
    this.lifecycle.resync();
    for (const [def, kind] of [
      [R.deployments, 'Deployment'],
      [R.statefulsets, 'StatefulSet'],
      [R.replicasets, 'ReplicaSet'],
      [R.daemonsets, 'DaemonSet'],
      [R.jobs, 'Job'],
      [R.cronjobs, 'CronJob'],
      [R.services, 'Service'],
    ] as const)
      for (const o of this.api.store.peekAll(def))
        this.enqueue(kind, o.metadata.namespace ?? '', o.metadata.name ?? '');
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) t.cancel();
    for (const p of this.progress.values()) p.timer?.cancel();
    this.cronJobs.stop();
  }

  /** Stops reconciling; changes queue up and are processed on resume (a test control). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private onEvent(event: StoreEvent): void {
    const obj = event.object;
    const namespace = obj.metadata.namespace ?? '';
    this.lifecycle.onEvent(event);
    switch (event.def.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'ReplicaSet':
      case 'DaemonSet':
      case 'Job':
      case 'CronJob':
      case 'Service':
        this.enqueue(event.def.kind, namespace, obj.metadata.name ?? '');
        if (event.def.kind === 'ReplicaSet' || event.def.kind === 'Job') this.enqueueOwner(obj);
        break;
      case 'Pod': {
        this.enqueueOwner(obj);
        // A Deployment waits on its pods too (Recreate waits for old pods to be gone).
        const owner = controllerOf(obj);
        const rs = owner?.kind === 'ReplicaSet' ? this.api.store.peek(R.replicasets, namespace, owner.name) : undefined;
        if (rs) this.enqueueOwner(rs);
        for (const svc of this.api.store.peekAll(R.services, namespace)) {
          const selector = rec(rec(svc.spec).selector);
          const selects = (o: KubeObject | undefined) =>
            !!o &&
            Object.keys(selector).length > 0 &&
            Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v);
          if (selects(obj) || selects(event.previous)) this.enqueue('Service', namespace, svc.metadata.name ?? '');
        }
        break;
      }
      case 'Node':
        for (const ds of this.api.store.peekAll(R.daemonsets))
          this.enqueue('DaemonSet', ds.metadata.namespace ?? '', ds.metadata.name ?? '');
        break;
      default:
        break;
    }
  }

  private enqueueOwner(obj: KubeObject): void {
    const owner = controllerOf(obj);
    if (
      owner &&
      (owner.kind === 'ReplicaSet' ||
        owner.kind === 'Deployment' ||
        owner.kind === 'StatefulSet' ||
        owner.kind === 'DaemonSet' ||
        owner.kind === 'Job' ||
        owner.kind === 'CronJob')
    )
      this.enqueue(owner.kind, obj.metadata.namespace ?? '', owner.name);
  }

  enqueue(kind: Kind, namespace: string, name: string): void {
    this.queue.set(`${kind}/${namespace}/${name}`, { kind, namespace, name });
    this.schedule();
  }

  private enqueueAfter(kind: Kind, namespace: string, name: string, ms: number): SimTimer {
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(kind, namespace, name);
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private schedule(): void {
    if (this.scheduled || this.paused || this.stopped) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.drain();
    }, INFORMER_LAG_MS).unref();
  }

  private drain(): void {
    // Bounded passes so that one busy cluster cannot starve the event loop.
    for (let pass = 0; pass < 1000 && this.queue.size > 0 && !this.paused && !this.stopped; pass++) {
      const [key, item] = this.queue.entries().next().value as [
        string,
        { kind: Kind; namespace: string; name: string },
      ];
      this.queue.delete(key);
      try {
        switch (item.kind) {
          case 'Deployment':
            this.reconcileDeployment(item.namespace, item.name);
            break;
          case 'ReplicaSet':
            this.reconcileReplicaSet(item.namespace, item.name);
            break;
          case 'StatefulSet':
            this.reconcileStatefulSet(item.namespace, item.name);
            break;
          case 'DaemonSet':
            reconcileDaemonSet(this.kit, item.namespace, item.name);
            break;
          case 'Job':
            reconcileJob(this.kit, item.namespace, item.name);
            break;
          case 'CronJob':
            this.cronJobs.reconcile(item.namespace, item.name);
            break;
          case 'Service':
            reconcileService(this.kit, item.namespace, item.name);
            break;
          case 'Lifecycle':
            this.lifecycle.reconcile(item.name);
            break;
        }
      } catch (error: unknown) {
        // A controller error is retried later, as the real controllers requeue with backoff.
        if (!this.stopped) this.enqueueAfter(item.kind, item.namespace, item.name, 200);
        if (process.env.KUBE_SIM_DEBUG) console.error(`kube-sim controller ${key}:`, error);
      }
    }
    if (this.queue.size > 0) this.schedule();
  }

  /** Writes `next` unless it equals what is stored (keeps the loop from spinning). */
  private save(def: ResourceDef, current: KubeObject, next: KubeObject): KubeObject {
    if (JSON.stringify(current) === JSON.stringify(next)) return current;
    return this.api.commit(def, next);
  }

  // ---------------------------------------------------------------- ReplicaSet

  private podsOf(owner: KubeObject): KubeObject[] {
    return this.api.store.peekAll(R.pods, owner.metadata.namespace).filter((p) => ownedBy(p, owner));
  }

  /** A ReplicaSet's active pods, as controller.FilterActivePods: not finished (Succeeded, Failed: evicted), not terminating. */
  private activePodsOf(rs: KubeObject): KubeObject[] {
    return this.podsOf(rs).filter((p) => {
      const phase = rec(p.status).phase;
      return !isTerminating(p) && phase !== 'Succeeded' && phase !== 'Failed';
    });
  }

  private reconcileReplicaSet(namespace: string, name: string): void {
    const rs = this.api.store.peek(R.replicasets, namespace, name);
    if (!rs || isTerminating(rs)) return;
    const spec = rec(rs.spec);
    const desired = num(spec.replicas, 1);
    let active = this.activePodsOf(rs);
    const diff = active.length - desired;
    if (diff < 0) {
      for (let i = 0; i < -diff; i++) this.createPodFor(rs, rec(spec.template), `${name}-`);
      recordEvent(this.api, rs, 'Normal', 'SuccessfulCreate', `Created ${-diff} pod(s)`, 'replicaset-controller');
    } else if (diff > 0) {
      // Delete the least useful pods first: not ready before ready, newest before oldest.
      const victims = [...active]
        .sort(
          (a, b) =>
            Number(isPodReady(a)) - Number(isPodReady(b)) ||
            (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
        )
        .slice(0, diff);
      for (const pod of victims) this.api.delete(R.pods, namespace, pod.metadata.name ?? '');
      recordEvent(this.api, rs, 'Normal', 'SuccessfulDelete', `Deleted ${diff} pod(s)`, 'replicaset-controller');
    }
    active = this.activePodsOf(rs);
    const minReady = num(spec.minReadySeconds);
    const now = this.clock.now();
    const matcher = labelSelectorMatcher(spec.selector);
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => matcher(p.metadata.labels)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, minReady, now)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    if (minReady > 0 && status.readyReplicas > status.availableReplicas)
      this.enqueueAfter('ReplicaSet', namespace, name, minReady * 1000);
    const current = this.api.store.peek(R.replicasets, namespace, name);
    if (current)
      this.save(R.replicasets, current, {
        ...clone(current),
        status: omitZero(status, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']),
      });
  }

  private createPodFor(
    owner: KubeObject,
    template: Record<string, unknown>,
    generateName: string,
    extra: { name?: string; labels?: Record<string, string>; hostname?: string; subdomain?: string } = {},
  ): void {
    const meta = rec(template.metadata);
    const labels = { ...(rec(meta.labels) as Record<string, string>), ...(extra.labels ?? {}) };
    const spec = {
      ...clone(rec(template.spec)),
      ...(extra.hostname ? { hostname: extra.hostname } : {}),
      ...(extra.subdomain ? { subdomain: extra.subdomain } : {}),
    };
    this.api.create(R.pods, owner.metadata.namespace, {
      metadata: {
        ...(extra.name ? { name: extra.name } : {}),
        generateName,
        labels,
        ...(meta.annotations ? { annotations: clone(meta.annotations) } : {}),
        ownerReferences: [ownerReference(owner)],
      },
      spec,
    });
  }

  // ---------------------------------------------------------------- Deployment

  private reconcileDeployment(namespace: string, name: string): void {
    const d = this.api.store.peek(R.deployments, namespace, name);
    if (!d || isTerminating(d)) return;
    const spec = rec(d.spec);
    const desired = num(spec.replicas, 1);
    const template = rec(spec.template);
    const hash = templateHash(template);
    const owned = this.api.store.peekAll(R.replicasets, namespace).filter((rs) => ownedBy(rs, d));
    let newRS = owned.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const oldRSs = () =>
      this.api.store
        .peekAll(R.replicasets, namespace)
        .filter((rs) => ownedBy(rs, d) && rs.metadata.labels?.['pod-template-hash'] !== hash);
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION_ANNOTATION] ?? 0)));
    const strategy = rec(spec.strategy);
    const recreate = strategy.type === 'Recreate';

    if (spec.paused !== true) {
      if (!newRS) {
        const noOldPods = owned.every((rs) => num(rec(rs.spec).replicas) === 0) || owned.length === 0;
        const rsName = `${name}-${hash}`;
        const initial = recreate ? 0 : owned.length === 0 || noOldPods ? desired : 0;
        newRS = this.api.create(R.replicasets, namespace, {
          metadata: {
            name: rsName,
            labels: { ...(rec(rec(template.metadata).labels) as Record<string, string>), 'pod-template-hash': hash },
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(desired),
              'deployment.kubernetes.io/max-replicas': String(desired + this.maxSurgeOf(d, desired)),
              [REVISION_ANNOTATION]: String(maxRevision + 1),
            },
            ownerReferences: [ownerReference(d)],
          },
          spec: {
            replicas: initial,
            ...(spec.minReadySeconds !== undefined ? { minReadySeconds: spec.minReadySeconds } : {}),
            selector: {
              ...rec(spec.selector),
              matchLabels: { ...rec(rec(spec.selector).matchLabels), 'pod-template-hash': hash },
            },
            template: {
              ...clone(template),
              metadata: {
                ...clone(rec(template.metadata)),
                labels: {
                  ...(rec(rec(template.metadata).labels) as Record<string, string>),
                  'pod-template-hash': hash,
                },
              },
            },
          },
        });
        if (initial > 0)
          recordEvent(
            this.api,
            d,
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${rsName} from 0 to ${initial}`,
            'deployment-controller',
          );
      } else if (Number(newRS.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) < maxRevision) {
        // Rolling back to an older template makes its ReplicaSet the newest revision again.
        const next = clone(newRS);
        next.metadata.annotations = { ...next.metadata.annotations, [REVISION_ANNOTATION]: String(maxRevision + 1) };
        newRS = this.api.commit(R.replicasets, next);
      }

      if (recreate) this.rolloutRecreate(d, newRS, oldRSs(), desired);
      else this.rolloutRolling(d, newRS, oldRSs(), desired);
      this.cleanupOldReplicaSets(d, oldRSs());
    }
    this.syncDeploymentStatus(namespace, name, hash);
  }

  private scaleReplicaSet(d: KubeObject, rs: KubeObject, replicas: number): KubeObject {
    const current = this.api.store.peek(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs;
    const from = num(rec(current.spec).replicas);
    if (from === replicas) return current;
    const next = clone(current);
    next.spec = { ...rec(next.spec), replicas };
    const desired = num(rec(d.spec).replicas, 1);
    next.metadata.annotations = {
      ...next.metadata.annotations,
      'deployment.kubernetes.io/desired-replicas': String(desired),
      'deployment.kubernetes.io/max-replicas': String(desired + this.maxSurgeOf(d, desired)),
    };
    const saved = this.api.commit(R.replicasets, next);
    recordEvent(
      this.api,
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${replicas > from ? 'up' : 'down'} replica set ${current.metadata.name ?? ''} from ${from} to ${replicas}`,
      'deployment-controller',
    );
    return saved;
  }

  private maxSurgeOf(d: KubeObject, desired: number): number {
    const strategy = rec(rec(d.spec).strategy);
    if (strategy.type === 'Recreate') return 0;
    return scaledValue(rec(strategy.rollingUpdate).maxSurge ?? '25%', desired, true);
  }

  private rolloutRecreate(d: KubeObject, newRS: KubeObject, oldRSs: KubeObject[], desired: number): void {
    let oldActive = false;
    for (const rs of oldRSs) {
      if (num(rec(rs.spec).replicas) > 0) {
        this.scaleReplicaSet(d, rs, 0);
        oldActive = true;
      }
    }
    if (oldActive) return;
    // Recreate waits until every old pod is gone, terminating ones included (finished ones do not run: oldPodsRunning).
    const running = (p: KubeObject) => !['Succeeded', 'Failed'].includes(String(rec(p.status).phase));
    if (oldRSs.some((rs) => this.podsOf(rs).some(running))) return;
    this.scaleReplicaSet(d, newRS, desired);
  }

  private rolloutRolling(d: KubeObject, newRSIn: KubeObject, oldRSsIn: KubeObject[], desired: number): void {
    const rolling = rec(rec(rec(d.spec).strategy).rollingUpdate);
    const maxSurge = scaledValue(rolling.maxSurge ?? '25%', desired, true);
    let maxUnavailable = scaledValue(rolling.maxUnavailable ?? '25%', desired, false);
    if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const replicasOf = (rs: KubeObject) => num(rec(rs.spec).replicas);
    const availableOf = (rs: KubeObject) => num(rec(rs.status).availableReplicas);

    // Scale up the new ReplicaSet within maxSurge.
    let newRS = newRSIn;
    const total = replicasOf(newRS) + oldRSsIn.reduce((s, rs) => s + replicasOf(rs), 0);
    if (replicasOf(newRS) > desired) newRS = this.scaleReplicaSet(d, newRS, desired);
    else if (replicasOf(newRS) < desired) {
      const allowed = desired + maxSurge - total;
      if (allowed > 0) newRS = this.scaleReplicaSet(d, newRS, Math.min(desired, replicasOf(newRS) + allowed));
    }

    // Scale down old ReplicaSets within maxUnavailable (reconcileOldReplicaSets).
    let oldRSs = oldRSsIn.map(
      (rs) => this.api.store.peek(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs,
    );
    const oldCount = oldRSs.reduce((s, rs) => s + replicasOf(rs), 0);
    if (oldCount === 0) return;
    const allCount = replicasOf(newRS) + oldCount;
    const minAvailable = desired - maxUnavailable;
    const newUnavailable = replicasOf(newRS) - availableOf(newRS);
    const maxScaledDown = allCount - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return;

    // First drop old replicas that are not available anyway.
    let cleaned = 0;
    const byAge = (rss: KubeObject[]) =>
      [...rss].sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    for (const rs of byAge(oldRSs)) {
      if (cleaned >= maxScaledDown) break;
      const unhealthy = replicasOf(rs) - availableOf(rs);
      if (unhealthy <= 0) continue;
      const cut = Math.min(maxScaledDown - cleaned, unhealthy);
      this.scaleReplicaSet(d, rs, replicasOf(rs) - cut);
      cleaned += cut;
    }
    oldRSs = oldRSs.map(
      (rs) => this.api.store.peek(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs,
    );

    // Then scale down available old replicas while enough stay available overall.
    const available = availableOf(newRS) + oldRSs.reduce((s, rs) => s + availableOf(rs), 0);
    if (available <= minAvailable) return;
    let budget = available - minAvailable;
    for (const rs of byAge(oldRSs)) {
      if (budget <= 0) break;
      const cut = Math.min(replicasOf(rs), budget);
      if (cut <= 0) continue;
      this.scaleReplicaSet(d, rs, replicasOf(rs) - cut);
      budget -= cut;
    }
  }

  private cleanupOldReplicaSets(d: KubeObject, oldRSs: KubeObject[]): void {
    const limit = num(rec(d.spec).revisionHistoryLimit, 10);
    const idle = oldRSs
      .filter(
        (rs) => num(rec(rs.spec).replicas) === 0 && num(rec(rs.status).replicas) === 0 && this.podsOf(rs).length === 0,
      )
      .sort(
        (a, b) =>
          Number(a.metadata.annotations?.[REVISION_ANNOTATION] ?? 0) -
          Number(b.metadata.annotations?.[REVISION_ANNOTATION] ?? 0),
      );
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit)))
      this.api.delete(R.replicasets, rs.metadata.namespace, rs.metadata.name ?? '');
  }

  private syncDeploymentStatus(namespace: string, name: string, hash: string): void {
    const d = this.api.store.peek(R.deployments, namespace, name);
    if (!d) return;
    const spec = rec(d.spec);
    const desired = num(spec.replicas, 1);
    const all = this.api.store.peekAll(R.replicasets, namespace).filter((rs) => ownedBy(rs, d));
    const newRS = all.find((rs) => rs.metadata.labels?.['pod-template-hash'] === hash);
    const sum = (field: string) => all.reduce((s, rs) => s + num(rec(rs.status)[field]), 0);
    const replicas = sum('replicas');
    const updatedReplicas = newRS ? num(rec(newRS.status).replicas) : 0;
    const readyReplicas = sum('readyReplicas');
    const availableReplicas = sum('availableReplicas');
    const rolling = rec(rec(spec.strategy).rollingUpdate);
    const maxUnavailable =
      rec(spec.strategy).type === 'Recreate' ? 0 : scaledValue(rolling.maxUnavailable ?? '25%', desired, false);
    const now = this.clock.now();
    const nowStamp = this.clock.timestamp(now);
    const previous = rec(d.status);
    const prevConditions = arr(previous.conditions).map(rec);
    const prevCondition = (type: string) => prevConditions.find((c) => c.type === type);

    const conditionOf = (type: string, status: string, reason: string, message: string, progressed: boolean) => {
      const old = prevCondition(type);
      const same = old?.status === status && old?.reason === reason;
      return {
        type,
        status,
        lastUpdateTime: same && !progressed ? old.lastUpdateTime : nowStamp,
        lastTransitionTime: old?.status === status ? old.lastTransitionTime : nowStamp,
        reason,
        message,
      };
    };

    const availableOk = availableReplicas >= desired - maxUnavailable;
    const available = conditionOf(
      'Available',
      availableOk ? 'True' : 'False',
      availableOk ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      availableOk ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      false,
    );

    const rsName = newRS?.metadata.name ?? `${name}-${hash}`;
    const complete = updatedReplicas === desired && replicas === desired && availableReplicas === desired;
    const uid = d.metadata.uid ?? '';
    const signature = JSON.stringify([rsName, replicas, updatedReplicas, readyReplicas, availableReplicas]);
    let track = this.progress.get(uid);
    const moved = !track || track.signature !== signature;
    if (!track || moved) {
      track?.timer?.cancel();
      track = { signature, since: now };
      this.progress.set(uid, track);
    }
    const deadlineMs = num(spec.progressDeadlineSeconds, 600) * 1000;
    let progressing;
    if (spec.paused === true) {
      progressing = conditionOf('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused', false);
    } else if (complete) {
      track.timer?.cancel();
      progressing = conditionOf(
        'Progressing',
        'True',
        'NewReplicaSetAvailable',
        `ReplicaSet "${rsName}" has successfully progressed.`,
        false,
      );
    } else if (!moved && now - track.since >= deadlineMs) {
      progressing = conditionOf(
        'Progressing',
        'False',
        'ProgressDeadlineExceeded',
        `ReplicaSet "${rsName}" has timed out progressing.`,
        false,
      );
    } else {
      progressing = conditionOf(
        'Progressing',
        'True',
        'ReplicaSetUpdated',
        `ReplicaSet "${rsName}" is progressing.`,
        moved,
      );
      if (!track.timer)
        track.timer = this.enqueueAfter('Deployment', namespace, name, Math.max(0, track.since + deadlineMs - now) + 1);
    }

    const status: Record<string, unknown> = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas,
      updatedReplicas,
      readyReplicas,
      availableReplicas,
      ...(desired - availableReplicas > 0 ? { unavailableReplicas: desired - availableReplicas } : {}),
      conditions: [available, progressing],
    };
    const next = clone(d);
    next.status = omitZero(status, [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
    ]);
    if (newRS)
      next.metadata.annotations = {
        ...next.metadata.annotations,
        [REVISION_ANNOTATION]: newRS.metadata.annotations?.[REVISION_ANNOTATION] ?? '1',
      };
    this.save(R.deployments, d, next);
  }

  // ---------------------------------------------------------------- StatefulSet

  private reconcileStatefulSet(namespace: string, name: string): void {
    const sts = this.api.store.peek(R.statefulsets, namespace, name);
    if (!sts || isTerminating(sts)) return;
    const spec = rec(sts.spec);
    const desired = num(spec.replicas, 1);
    const template = rec(spec.template);
    const updateRevision = ensureRevision(this.api, sts, template, 'controller.kubernetes.io/hash').metadata.name ?? '';
    const revisionObjects = revisionsOf(this.api, sts);
    const revisions = new Map(revisionObjects.map((r) => [r.metadata.name ?? '', templateOf(r)]));
    const previousStatus = rec(sts.status);
    const currentRevision =
      typeof previousStatus.currentRevision === 'string' && revisions.has(previousStatus.currentRevision)
        ? previousStatus.currentRevision
        : updateRevision;
    const strategy = rec(spec.updateStrategy);
    const partition = strategy.type === 'RollingUpdate' ? num(rec(strategy.rollingUpdate).partition) : 0;
    const parallel = spec.podManagementPolicy === 'Parallel';
    const pods = this.podsOf(sts);
    const ordinalOf = (pod: KubeObject) => Number((pod.metadata.name ?? '').slice(name.length + 1));
    const byOrdinal = new Map(pods.map((p) => [ordinalOf(p), p]));
    const revisionOf = (pod: KubeObject) => pod.metadata.labels?.['controller-revision-hash'];

    const step = () => {
      // Create missing pods in order; with OrderedReady each waits for its predecessors to be ready.
      for (let i = 0; i < desired; i++) {
        const pod = byOrdinal.get(i);
        if (!pod) {
          const revision = i < partition ? currentRevision : updateRevision;
          const podTemplate = rec(revisions.get(revision) ?? template);
          const podName = `${name}-${i}`;
          this.createPodFor(sts, podTemplate, `${name}-`, {
            name: podName,
            labels: {
              'controller-revision-hash': revision,
              'statefulset.kubernetes.io/pod-name': podName,
              'apps.kubernetes.io/pod-index': String(i),
            },
            hostname: podName,
            ...(typeof spec.serviceName === 'string' ? { subdomain: spec.serviceName } : {}),
          });
          recordEvent(
            this.api,
            sts,
            'Normal',
            'SuccessfulCreate',
            `create Pod ${podName} in StatefulSet ${name} successful`,
            'statefulset-controller',
          );
          if (!parallel) return;
          continue;
        }
        if (!parallel && (isTerminating(pod) || !isPodReady(pod))) return;
      }
      // Scale down from the highest ordinal, one at a time.
      const extra = pods.filter((p) => ordinalOf(p) >= desired).sort((a, b) => ordinalOf(b) - ordinalOf(a));
      if (extra.length > 0) {
        const top = extra[0] as KubeObject;
        if (!isTerminating(top)) this.api.delete(R.pods, namespace, top.metadata.name ?? '');
        return;
      }
      if (strategy.type !== 'RollingUpdate') return; // OnDelete: pods change only when deleted by hand
      // Rolling update: highest ordinal first, one pod at a time, each ready before the next.
      for (let i = desired - 1; i >= partition; i--) {
        const pod = byOrdinal.get(i);
        if (!pod) return;
        if (revisionOf(pod) !== updateRevision) {
          if (!isTerminating(pod)) {
            this.api.delete(R.pods, namespace, pod.metadata.name ?? '');
            recordEvent(
              this.api,
              sts,
              'Normal',
              'SuccessfulDelete',
              `delete Pod ${pod.metadata.name ?? ''} in StatefulSet ${name} successful`,
              'statefulset-controller',
            );
          }
          return;
        }
        if (isTerminating(pod) || !isPodReady(pod)) return;
      }
    };
    step();

    const live = this.podsOf(sts).filter((p) => !isTerminating(p));
    const now = this.clock.now();
    const minReady = num(spec.minReadySeconds);
    const readyReplicas = live.filter(isPodReady).length;
    const updatedReplicas = live.filter((p) => revisionOf(p) === updateRevision).length;
    let nextCurrent = currentRevision;
    let currentReplicas = live.filter((p) => revisionOf(p) === currentRevision).length;
    if (updatedReplicas === desired && readyReplicas === desired && live.length === desired) {
      nextCurrent = updateRevision;
      currentReplicas = updatedReplicas;
    }
    const status = {
      observedGeneration: sts.metadata.generation ?? 1,
      replicas: live.length,
      readyReplicas,
      currentReplicas,
      updatedReplicas,
      availableReplicas: live.filter((p) => isPodAvailable(p, minReady, now)).length,
      currentRevision: nextCurrent,
      updateRevision,
      collisionCount: 0,
    };
    // Keep the revisions in use, and history up to revisionHistoryLimit.
    pruneRevisions(this.api, sts, new Set([updateRevision, nextCurrent, ...live.map((p) => revisionOf(p) ?? '')]));
    const current = this.api.store.peek(R.statefulsets, namespace, name);
    if (current)
      this.save(R.statefulsets, current, {
        ...clone(current),
        status: omitZero(status, [
          'readyReplicas',
          'currentReplicas',
          'updatedReplicas',
          'observedGeneration',
          'collisionCount',
        ]),
      });
  }
}
