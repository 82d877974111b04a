/**
 * What a rotation command needs from its flags and environment: the service (with its clock, probe,
 * retries, Lease duration and crash points), the progress stream with the output subscribed, and
 * the stop signal Ctrl-C raises.
 */
import { readFileSync } from 'node:fs';
import type { ProviderSettings } from '../rotation/issuing.js';
import { kubeconfigExtension } from '../kube/kubeconfig.js';
import {
  ENDPOINTS_EXTENSION,
  loadProviderEndpoints,
  parseProviderEndpoints,
  siteProbe,
  type ProviderEndpoints,
} from '../rotation/probe.js';
import { ConfigError } from '../shared/errors.js';
import { SecretValue } from '../shared/secret-value.js';
import type { RotationPlan } from '../rotation/plan.js';
import { ProgressStream } from '../rotation/progress.js';
import { RotationService } from '../rotation/service.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { crashPointsFrom } from './crash-points.js';
import { parseDuration, selectionOf, type RotationFlags } from './flags.js';
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
  // A sandbox's kubeconfig records its emulated clouds: nothing in the sandbox reaches a public endpoint.
  const recorded = endpointsFile ? undefined : kubeconfigExtension(selectionOf(ctx.io, flags), ENDPOINTS_EXTENSION);
  const configured = endpointsFile
    ? loadProviderEndpoints(endpointsFile)
    : recorded !== undefined
      ? parseProviderEndpoints(recorded, `the kubeconfig's ${ENDPOINTS_EXTENSION} extension`)
      : {};
  const probeOff = flags.probe === false || (env.KUBECOST_ROTATE_PROBE === 'off' && !flags.providerEndpoints);
  const endpoints = probeOff ? undefined : configured;
  const probe = endpoints
    ? siteProbe(endpoints, { clock: ctx.clock, ...(probeTimeoutMs !== undefined ? { timeoutMs: probeTimeoutMs } : {}) })
    : undefined;
  // The pre-write proof retries a key the provider does not know everywhere yet, on the same base as other retries.
  const base = retryBaseMs > 0 ? retryBaseMs : 1000;
  const proof = endpoints
    ? {
        endpoints,
        clock: ctx.clock,
        retry: { attempts: 7, firstDelayMs: base / 2, maxDelayMs: base * 8 },
        ...(probeTimeoutMs !== undefined ? { timeoutMs: probeTimeoutMs * 2 } : {}),
      }
    : undefined;
  return new RotationService({
    clock: ctx.clock,
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    retry: { attempts: 4, baseMs: retryBaseMs > 0 ? retryBaseMs : 1000 },
    ...(leaseSeconds > 0 ? { leaseSeconds } : {}),
    ...(probe ? { probe } : {}),
    ...(proof ? { proof } : {}),
    providers: providerSettings(env, configured, ctx.clock),
    hooks: crashPointsFrom(env.KUBECOST_ROTATE_TEST_CRASH),
    ...(stop ? { stop } : {}),
  });
}

/** A file named by an environment variable, read now (a clear error naming the variable if it cannot be). */
function readEnvFile(name: string, path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error: unknown) {
    throw new ConfigError(`cannot read ${name} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Azure's key manager, from the environment: AZURE_SUBSCRIPTION_ID (and AZURE_RESOURCE_GROUP), a
 * service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (else
 * DefaultAzureCredential), KUBECOST_ROTATE_AZURE_CA_FILE for a private cloud's or an emulator's CA.
 */
function azureSettings(env: CliIo['env']): ProviderSettings['azure'] {
  const subscriptionId = env.AZURE_SUBSCRIPTION_ID;
  if (!subscriptionId) return undefined;
  const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId, AZURE_CLIENT_SECRET: secret } = env;
  const caPem = readEnvFile('KUBECOST_ROTATE_AZURE_CA_FILE', env.KUBECOST_ROTATE_AZURE_CA_FILE);
  return {
    subscriptionId,
    ...(env.AZURE_RESOURCE_GROUP ? { resourceGroup: env.AZURE_RESOURCE_GROUP } : {}),
    ...(tenantId && clientId && secret
      ? { credentials: { tenantId, clientId, clientSecret: new SecretValue(secret) } }
      : {}),
    ...(caPem ? { caPem } : {}),
  };
}

/**
 * The identities that manage keys at the providers, from the environment: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (else the AWS SDK's credential chain), GOOGLE_APPLICATION_CREDENTIALS (else
 * Application Default Credentials), and Azure's (see {@link azureSettings}).
 */
function providerSettings(env: CliIo['env'], endpoints: ProviderEndpoints, clock: Clock): ProviderSettings {
  const awsId = env.AWS_ACCESS_KEY_ID;
  const awsSecret = env.AWS_SECRET_ACCESS_KEY;
  const gcpJson = readEnvFile('GOOGLE_APPLICATION_CREDENTIALS', env.GOOGLE_APPLICATION_CREDENTIALS);
  const azure = azureSettings(env);
  return {
    endpoints,
    clock,
    ...(awsId && awsSecret
      ? { aws: { provider: 'aws', accessKeyId: awsId, secretAccessKey: new SecretValue(awsSecret) } }
      : {}),
    ...(gcpJson ? { gcp: { provider: 'gcp', keyJson: new SecretValue(gcpJson) } } : {}),
    ...(azure ? { azure } : {}),
  };
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
