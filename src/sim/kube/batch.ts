/**
 * The Job and CronJob controllers. A Job runs `parallelism` pods at a time until `completions`
 * succeeded (or backoffLimit failures), with the status fields and conditions of the real
 * controller (active, ready, succeeded, failed, terminating, startTime, completionTime,
 * SuccessCriteriaMet/Complete, FailureTarget/Failed). A CronJob creates a Job from its template at
 * each time of its schedule (on the simulated clock), honours suspend and concurrencyPolicy, and
 * keeps the history limits. Jobs finish only when their pods do: kube-sim's kubelet reports
 * Succeeded/Failed for containers that exit.
 */
import { clone } from './api.js';
import { createPodFor, podsOf, save, type ControllerKit } from './kit.js';
import { arr, isPodReady, isTerminating, num, ownedBy, ownerReference, R, rec, recordEvent } from './objects.js';
import type { KubeObject } from './types.js';

const phaseOf = (p: KubeObject) => String(rec(p.status).phase ?? '');
const JOB_TRACKING = 'batch.kubernetes.io/job-tracking';

/** The Job controller's finalizer comes off a pod once it has been counted (finished) or is going. */
function releasePods(kit: ControllerKit, pods: KubeObject[]): void {
  for (const p of pods) {
    const finalizers = p.metadata.finalizers ?? [];
    if (!finalizers.includes(JOB_TRACKING)) continue;
    if (!isTerminating(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed') continue;
    const next = clone(p);
    const rest = finalizers.filter((f) => f !== JOB_TRACKING);
    if (rest.length > 0) next.metadata.finalizers = rest;
    else delete next.metadata.finalizers;
    const scheduled = typeof rec(next.spec).nodeName === 'string' && rec(next.spec).nodeName !== '';
    if (rest.length === 0 && isTerminating(next) && !scheduled)
      kit.api.store.remove(R.pods, p.metadata.namespace, p.metadata.name ?? '');
    else kit.api.commit(R.pods, next);
  }
}

function condition(type: string, reason: string, message: string, now: string): Record<string, unknown> {
  return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
}

export function reconcileJob(kit: ControllerKit, namespace: string, name: string): void {
  const { api } = kit;
  const job = api.store.peek(R.jobs, namespace, name);
  if (!job || isTerminating(job)) return;
  const spec = rec(job.spec);
  const previous = rec(job.status);
  const conditions = arr(previous.conditions).map(rec);
  const finished = conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  releasePods(kit, podsOf(api, job));
  const pods = podsOf(api, job);
  const succeeded = pods.filter((p) => phaseOf(p) === 'Succeeded').length + num(previous.succeededRemoved);
  const failed = pods.filter((p) => phaseOf(p) === 'Failed').length;
  const active = pods.filter((p) => !isTerminating(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed');
  const terminating = pods.filter(
    (p) => isTerminating(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed',
  ).length;
  const completions = typeof spec.completions === 'number' ? spec.completions : undefined;
  const parallelism = num(spec.parallelism, 1);
  const suspended = spec.suspend === true;
  const now = kit.clock.timestamp();
  const status: Record<string, unknown> = { ...clone(previous) };
  delete status.succeededRemoved;

  if (!finished && !suspended) {
    status.startTime ??= now;
    const complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;
    if (complete) {
      for (const p of active) api.delete(R.pods, namespace, p.metadata.name ?? '');
      status.completionTime = now;
      status.conditions = [
        ...conditions,
        condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now),
        condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', now),
      ];
      recordEvent(api, job, 'Normal', 'Completed', 'Job completed', 'job-controller');
    } else if (failed > num(spec.backoffLimit, 6)) {
      for (const p of active) api.delete(R.pods, namespace, p.metadata.name ?? '');
      status.conditions = [
        ...conditions,
        condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now),
        condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now),
      ];
      recordEvent(
        api,
        job,
        'Warning',
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
        'job-controller',
      );
    } else {
      const wanted = Math.min(parallelism, completions !== undefined ? completions - succeeded : parallelism);
      for (let i = active.length + terminating; i < wanted; i++) {
        const pod = createPodFor(api, job, rec(spec.template), `${name}-`, { finalizers: [JOB_TRACKING] });
        recordEvent(
          api,
          job,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${pod.metadata.name ?? ''}`,
          'job-controller',
        );
      }
    }
  }
  const live = podsOf(api, job).filter(
    (p) => !isTerminating(p) && phaseOf(p) !== 'Succeeded' && phaseOf(p) !== 'Failed',
  );
  status.active = live.length;
  status.ready = live.filter(isPodReady).length;
  status.terminating = terminating;
  status.uncountedTerminatedPods = {};
  if (succeeded > 0) status.succeeded = succeeded;
  else delete status.succeeded;
  if (failed > 0) status.failed = failed;
  else delete status.failed;
  if (status.active === 0) delete status.active;
  const current = api.store.peek(R.jobs, namespace, name);
  if (current) save(api, R.jobs, current, { ...clone(current), status });
  // A CronJob tracks its Jobs.
  const owner = job.metadata.ownerReferences?.find((r) => r.kind === 'CronJob');
  if (owner) kit.enqueueAfter(`CronJob/${namespace}/${owner.name}`, 0);
}

// ---------------------------------------------------------------- cron schedules

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(text: string, min: number, max: number, names: string[] = [], offset = 0): Set<number> {
  const out = new Set<number>();
  const value = (v: string) => {
    const i = names.indexOf(v.toLowerCase());
    return i >= 0 ? i + offset : Number(v);
  };
  for (const part of text.split(',')) {
    const [range = '*', step = '1'] = part.split('/');
    let lo = min;
    let hi = max;
    if (range !== '*' && range !== '?') {
      const [a = '', b] = range.split('-');
      lo = value(a);
      hi = b !== undefined ? value(b) : part.includes('/') ? max : lo;
    }
    for (let v = lo; v <= hi; v += Number(step) || 1) out.add(v);
  }
  return out;
}

/** The first time strictly after `afterMs` that a standard 5-field schedule fires, in UTC. */
export function nextScheduleTime(schedule: string, afterMs: number): number | undefined {
  const text = (MACROS[schedule.trim()] ?? schedule.replace(/^(TZ|CRON_TZ)=\S+\s+/, '')).trim();
  const every = /^@every (\d+)([smh])$/.exec(text);
  if (every)
    return afterMs + Number(every[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[every[2] as 's' | 'm' | 'h'] ?? 1000);
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return undefined;
  const [mi = '*', ho = '*', dm = '*', mo = '*', dw = '*'] = parts;
  const minutes = field(mi, 0, 59);
  const hours = field(ho, 0, 23);
  const doms = field(dm, 1, 31);
  const months = field(mo, 1, 12, MONTHS, 1);
  const dows = new Set([...field(dw, 0, 7, DAYS)].map((d) => d % 7));
  const domStar = dm === '*' || dm === '?';
  const dowStar = dw === '*' || dw === '?';
  const t = new Date(Math.floor(afterMs / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const dayOk =
      domStar || dowStar
        ? doms.has(t.getUTCDate()) && dows.has(t.getUTCDay())
        : doms.has(t.getUTCDate()) || dows.has(t.getUTCDay());
    if (!months.has(t.getUTCMonth() + 1) || !dayOk) {
      t.setUTCHours(24, 0, 0, 0);
      continue;
    }
    if (!hours.has(t.getUTCHours())) {
      t.setUTCMinutes(60, 0, 0);
      continue;
    }
    if (minutes.has(t.getUTCMinutes())) return t.getTime();
    t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
  }
  return undefined;
}

/** Per CronJob uid: the timer for its next run. */
export class CronJobs {
  private readonly timers = new Map<string, { due: number; cancel(): void }>();

  constructor(private readonly kit: ControllerKit) {}

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  reconcile(namespace: string, name: string): void {
    const { api, clock } = this.kit;
    const cj = api.store.peek(R.cronjobs, namespace, name);
    const uid = cj?.metadata.uid ?? '';
    if (!cj || isTerminating(cj)) return;
    const spec = rec(cj.spec);
    const jobs = api.store.peekAll(R.jobs, namespace).filter((j) => ownedBy(j, cj));
    const done = (j: KubeObject, type: string) =>
      arr(rec(j.status).conditions)
        .map(rec)
        .some((c) => c.type === type && c.status === 'True');
    const running = jobs.filter((j) => !done(j, 'Complete') && !done(j, 'Failed'));
    const now = clock.now();
    const status: Record<string, unknown> = { ...clone(rec(cj.status)) };
    const lastSchedule = Date.parse(String(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? ''));
    const next = nextScheduleTime(String(spec.schedule ?? ''), Number.isFinite(lastSchedule) ? lastSchedule : now);
    if (next !== undefined && next <= now && spec.suspend !== true) {
      const policy = String(spec.concurrencyPolicy ?? 'Allow');
      if (policy === 'Forbid' && running.length > 0) {
        // skipped this time
      } else {
        if (policy === 'Replace')
          for (const j of running)
            api.delete(R.jobs, namespace, j.metadata.name ?? '', { propagationPolicy: 'Background' });
        const jobName = `${name}-${Math.floor(next / 60_000)}`;
        const template = rec(spec.jobTemplate);
        if (!api.store.peek(R.jobs, namespace, jobName)) {
          api.create(R.jobs, namespace, {
            metadata: {
              name: jobName,
              labels: { ...(rec(rec(template.metadata).labels) as Record<string, string>) },
              annotations: {
                ...(rec(rec(template.metadata).annotations) as Record<string, string>),
                'batch.kubernetes.io/cronjob-scheduled-timestamp': new Date(next).toISOString().replace('.000Z', 'Z'),
              },
              ownerReferences: [ownerReference(cj)],
            },
            spec: clone(rec(template.spec)),
          });
          recordEvent(api, cj, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`, 'cronjob-controller');
        }
      }
      status.lastScheduleTime = new Date(next).toISOString().replace('.000Z', 'Z');
    }
    const active = api.store
      .peekAll(R.jobs, namespace)
      .filter((j) => ownedBy(j, cj) && !done(j, 'Complete') && !done(j, 'Failed'))
      .map((j) => ({
        kind: 'Job',
        namespace,
        name: j.metadata.name,
        uid: j.metadata.uid,
        apiVersion: 'batch/v1',
        resourceVersion: j.metadata.resourceVersion,
      }));
    if (active.length > 0) status.active = active;
    else delete status.active;
    const succeeded = jobs.filter((j) => done(j, 'Complete'));
    const latest = succeeded
      .map((j) => String(rec(j.status).completionTime ?? ''))
      .sort()
      .pop();
    if (latest) status.lastSuccessfulTime = latest;
    for (const [type, limit] of [
      ['Complete', num(spec.successfulJobsHistoryLimit, 3)],
      ['Failed', num(spec.failedJobsHistoryLimit, 1)],
    ] as const) {
      const old = jobs
        .filter((j) => done(j, type))
        .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      for (const j of old.slice(0, Math.max(0, old.length - limit)))
        api.delete(R.jobs, namespace, j.metadata.name ?? '', { propagationPolicy: 'Background' });
    }
    const current = api.store.peek(R.cronjobs, namespace, name);
    if (current) save(api, R.cronjobs, current, { ...clone(current), status });
    // Wake at the next run.
    const after = Date.parse(String(status.lastScheduleTime ?? cj.metadata.creationTimestamp ?? ''));
    const due = nextScheduleTime(String(spec.schedule ?? ''), Number.isFinite(after) ? after : now);
    const timer = this.timers.get(uid);
    if (due !== undefined && timer?.due !== due) {
      timer?.cancel();
      const t = clock.setTimeout(
        () => {
          this.timers.delete(uid);
          this.kit.enqueueAfter(`CronJob/${namespace}/${name}`, 0);
        },
        Math.max(0, due - now),
      );
      this.timers.set(uid, t);
    }
  }
}
