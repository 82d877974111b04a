/**
 * What a rotation command needs from its flags and environment: the service (with its clock, probe,
 * retries, Lease duration and crash points), the progress stream with the output subscribed, and
 * the stop signal Ctrl-C raises.
 */
import { loadProviderEndpoints, siteProbe } from '../rotation/probe.js';
import type { RotationPlan } from '../rotation/plan.js';
import { ProgressStream } from '../rotation/progress.js';
import { RotationService } from '../rotation/service.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { crashPointsFrom } from './crash-points.js';
import { parseDuration, type RotationFlags } from './flags.js';
import type { CliIo } from './io.js';
import { liveView } from './render/live.js';
import { lineWriter, ndjsonWriter } from './render/progress.js';

export interface CommandContext {
  readonly io: CliIo;
  readonly clock: Clock;
}

/**
 * The service for a rotation command. Environment (tests and the sandbox): KUBECOST_ROTATE_RETRY_BASE_MS
 * shortens the retry back-off (1 s otherwise); KUBECOST_ROTATE_LEASE_SECONDS the Lease duration;
 * KUBECOST_ROTATE_PROVIDER_ENDPOINTS points the direct probe at other endpoints; KUBECOST_ROTATE_PROBE=off
 * turns the probe off unless --provider-endpoints is given; KUBECOST_ROTATE_TEST_CRASH arms the crash matrix.
 */
export function rotationService(ctx: CommandContext, flags: RotationFlags, stop?: AbortSignal): RotationService {
  const { env } = ctx.io;
  // Every flag is checked, whether or not this run uses it, before anything is read or written.
  const probeTimeoutMs =
    flags.probeTimeout !== undefined ? parseDuration(flags.probeTimeout, '--probe-timeout') : undefined;
  const requestTimeoutMs =
    flags.requestTimeout !== undefined ? parseDuration(flags.requestTimeout, '--request-timeout') : undefined;
  const retryBaseMs = Number(env.KUBECOST_ROTATE_RETRY_BASE_MS ?? 1000);
  const leaseSeconds = Number(env.KUBECOST_ROTATE_LEASE_SECONDS ?? 0);
  const endpointsFile = flags.providerEndpoints ?? env.KUBECOST_ROTATE_PROVIDER_ENDPOINTS;
  const probeOff = flags.probe === false || (env.KUBECOST_ROTATE_PROBE === 'off' && !flags.providerEndpoints);
  const probe = probeOff
    ? undefined
    : siteProbe(endpointsFile ? loadProviderEndpoints(endpointsFile) : {}, {
        clock: ctx.clock,
        ...(probeTimeoutMs !== undefined ? { timeoutMs: probeTimeoutMs } : {}),
      });
  return new RotationService({
    clock: ctx.clock,
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    retry: { attempts: 4, baseMs: retryBaseMs > 0 ? retryBaseMs : 1000 },
    ...(leaseSeconds > 0 ? { leaseSeconds } : {}),
    ...(probe ? { probe } : {}),
    hooks: crashPointsFrom(env.KUBECOST_ROTATE_TEST_CRASH),
    ...(stop ? { stop } : {}),
  });
}

/** A progress stream with the output the flags ask for subscribed: NDJSON, the live view on a terminal, or lines. */
export function progressOutput(ctx: CommandContext, flags: RotationFlags, plan?: RotationPlan): ProgressStream {
  const stream = new ProgressStream();
  const { stdout, stderr, env } = ctx.io;
  if (flags.output === 'json') stream.subscribe(ndjsonWriter(stdout, ctx.clock));
  else if (plan && stdout.isTTY) stream.subscribe(liveView(plan, stdout, flags.color !== false && !env.NO_COLOR));
  else stream.subscribe(lineWriter(stdout, stderr, ctx.clock));
  return stream;
}

export { systemClock };
