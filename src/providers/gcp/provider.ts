/**
 * The GCP provider: service-account keys through IAM v1 (`@googleapis/iam`, loaded on first
 * use): create (the new key file is the material), disable, enable, delete; at most ten
 * user-managed keys per service account, disabled ones included. The principal is the key file's
 * `client_email`. Evidence of use: Policy Analyzer's `serviceAccountKeyLastAuthentication`
 * activity (the key's last authentication, observed up to the end of its observation period), and
 * the key's status; when the activity cannot be read (API not enabled, no permission), the
 * evidence says so and rests on the status alone.
 */
import type { iam_v1 } from '@googleapis/iam';
import { kindFromStatus, ProviderError, providerErrorFrom, type ErrorClassifier } from '../errors.js';
import { proveKey, realClock } from '../prove.js';
import { secretsOfDocument, type SanitizedError } from '../sanitize.js';
import { SecretValue } from '../../shared/secret-value.js';
import type {
  GcpCredential,
  HeldValue,
  Inspection,
  IssuedKey,
  IssueRequest,
  KeyInfo,
  KeyProvider,
  KeyRef,
  PermissionReport,
  Principal,
  ProviderCapabilities,
  ProviderClock,
  ProviderCredential,
  UsageEvidence,
} from '../types.js';
import { parseServiceAccountKey, serviceAccountClient } from './auth.js';

export interface GcpProviderConfig {
  /** IAM API root (`https://iam.googleapis.com/`); emulators and private endpoints. */
  readonly iamEndpoint?: string;
  /** OAuth 2.0 token URL. Default Google's. */
  readonly tokenUrl?: string;
  /** Policy Analyzer API root. Default `https://policyanalyzer.googleapis.com`. */
  readonly policyAnalyzerEndpoint?: string;
  /** The key file of the identity that manages keys. Default: Application Default Credentials. */
  readonly credentials?: GcpCredential;
  readonly clock?: ProviderClock;
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

const PERMISSIONS = {
  inspect: ['iam.serviceAccountKeys.list'],
  issue: ['iam.serviceAccountKeys.create'],
  deactivate: ['iam.serviceAccountKeys.disable'],
  reactivate: ['iam.serviceAccountKeys.enable'],
  delete: ['iam.serviceAccountKeys.delete'],
  evidence: ['iam.serviceAccountKeys.get', 'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query'],
} as const;

/** Permissions testIamPermissions on a service account can check (the Policy Analyzer one is the project's). */
const SERVICE_ACCOUNT_PERMISSIONS = [...new Set(Object.values(PERMISSIONS).flat())].filter((p) => p.startsWith('iam.'));

export const gcpCapabilities: ProviderCapabilities = {
  maxKeysPerPrincipal: 10,
  inactiveKeysCount: true,
  overlap: 'second-key',
  canIssue: true,
  retireSteps: ['deactivate', 'delete'],
  canReactivate: true,
  evidence: {
    kind: 'last-used',
    source: 'Policy Analyzer serviceAccountKeyLastAuthentication activity (up to the end of its observation period)',
    // The window ends where Google's observation period does, which the answer says.
    reportingDelayMs: 0,
  },
  permissions: PERMISSIONS,
};

const GCP_KINDS: Readonly<Record<string, ProviderError['kind']>> = {
  forbidden: 'permission_missing',
  PERMISSION_DENIED: 'permission_missing',
  insufficientPermissions: 'permission_missing',
  // keys.create past ten keys answers "Precondition check failed."
  FAILED_PRECONDITION: 'limit_reached',
  failedPrecondition: 'limit_reached',
  notFound: 'not_found',
  NOT_FOUND: 'not_found',
  rateLimitExceeded: 'throttled',
  RESOURCE_EXHAUSTED: 'throttled',
  invalid_grant: 'invalid_key',
  invalid_client: 'invalid_key',
  authError: 'invalid_key',
  UNAUTHENTICATED: 'invalid_key',
  backendError: 'network',
  UNAVAILABLE: 'network',
};

export const gcpErrors: ErrorClassifier = {
  kind: (error: SanitizedError) => (error.code ? GCP_KINDS[error.code] : undefined) ?? kindFromStatus(error),
  permission: (error: SanitizedError) => /Permission '([\w.]+)' denied/.exec(error.message)?.[1],
};

/** What google-auth-library's clients share: an authorized request. */
interface AuthorizedRequester {
  request<T>(options: { url: string; signal?: AbortSignal }): Promise<{ data: T }>;
}

interface ActivityAnswer {
  activities?: {
    fullResourceName?: string;
    observationPeriod?: { startTime?: string; endTime?: string };
    activity?: { lastAuthenticatedTime?: string };
  }[];
}

const keyIdOf = (name: string | null | undefined) => (name ?? '').split('/').pop() ?? '';

export function createGcpProvider(config: GcpProviderConfig = {}): KeyProvider {
  const clock = config.clock ?? realClock;
  const adminSecrets = config.credentials ? secretsOfDocument(config.credentials.keyJson.reveal()) : [];
  let authClient: Promise<AuthorizedRequester> | undefined;
  const auth = () =>
    (authClient ??= (async (): Promise<AuthorizedRequester> => {
      if (config.credentials) {
        const key = parseServiceAccountKey(config.credentials.keyJson.reveal());
        if (!key)
          throw new ProviderError(
            { provider: 'gcp', operation: 'inspect', kind: 'invalid_key' },
            'the GCP credentials given to manage keys are not a service-account key file',
          );
        return serviceAccountClient(key, [CLOUD_PLATFORM], config.tokenUrl);
      }
      const { GoogleAuth } = await import('google-auth-library');
      return new GoogleAuth({ scopes: [CLOUD_PLATFORM] });
    })());
  let client: Promise<iam_v1.Iam> | undefined;
  const iam = () =>
    (client ??= (async () => {
      const { iam: makeIam } = await import('@googleapis/iam');
      const authorized = await auth();
      return makeIam({
        version: 'v1',
        // google-auth-library's client; @googleapis/iam bundles its own copy of the types.
        auth: authorized as iam_v1.Options['auth'],
        ...(config.iamEndpoint ? { rootUrl: config.iamEndpoint.replace(/\/*$/, '/') } : {}),
        retry: false,
      });
    })());

  const fail = (error: unknown, operation: string, subject?: string) =>
    providerErrorFrom(error, { provider: 'gcp', operation, ...(subject ? { subject } : {}) }, gcpErrors, adminSecrets);

  /** The key's last authentication, as Policy Analyzer reports it, or why it could not be read. */
  async function lastAuthentication(
    ref: KeyRef,
    signal: AbortSignal,
  ): Promise<{ ok: true; last?: Date; observedTo?: Date } | { ok: false; reason: string }> {
    const project = ref.principal.account ?? '-';
    const resource = `//iam.googleapis.com/projects/${project}/serviceAccounts/${ref.principal.name}/keys/${ref.keyId}`;
    const base = (config.policyAnalyzerEndpoint ?? 'https://policyanalyzer.googleapis.com').replace(/\/+$/, '');
    const url = `${base}/v1/projects/${encodeURIComponent(project)}/locations/global/activityTypes/serviceAccountKeyLastAuthentication/activities:query?filter=${encodeURIComponent(`activities.full_resource_name="${resource}"`)}`;
    try {
      const answer = await (await auth()).request<ActivityAnswer>({ url, signal });
      const activity = (answer.data.activities ?? []).find((a) => a.fullResourceName === resource);
      const last = activity?.activity?.lastAuthenticatedTime;
      const observedTo = activity?.observationPeriod?.endTime;
      return {
        ok: true,
        ...(last ? { last: new Date(last) } : {}),
        ...(observedTo ? { observedTo: new Date(observedTo) } : {}),
      };
    } catch (error: unknown) {
      signal.throwIfAborted();
      const e = fail(error, 'activities.query', ref.keyId);
      return { ok: false, reason: e.permission ? `missing ${e.permission}` : `${e.code ?? e.kind}` };
    }
  }

  const accountName = (p: Principal) => `projects/${p.account ?? '-'}/serviceAccounts/${p.name}`;
  const keyName = (ref: KeyRef) => `${accountName(ref.principal)}/keys/${ref.keyId}`;

  async function permissions(principal: Principal, signal: AbortSignal): Promise<PermissionReport> {
    const wanted = SERVICE_ACCOUNT_PERMISSIONS;
    const elsewhere = [...new Set(Object.values(PERMISSIONS).flat())].filter((p) => !wanted.includes(p));
    const how = 'iam testIamPermissions on the service account';
    try {
      const answer = await (
        await iam()
      ).projects.serviceAccounts.testIamPermissions(
        { resource: accountName(principal), requestBody: { permissions: wanted } },
        { signal },
      );
      const granted = answer.data.permissions ?? [];
      return { how, granted, missing: wanted.filter((p) => !granted.includes(p)), unchecked: elsewhere };
    } catch (error: unknown) {
      signal.throwIfAborted();
      const reason = fail(error, 'testIamPermissions');
      return {
        how: `${how} failed (${reason.code ?? reason.kind})`,
        granted: [],
        missing: [],
        unchecked: [...wanted, ...elsewhere],
      };
    }
  }

  return {
    id: 'gcp',
    cloud: 'gcp',
    capabilities: gcpCapabilities,

    identify(credential: ProviderCredential): Promise<Principal> {
      if (credential.provider !== 'gcp')
        throw new TypeError(`the gcp provider cannot identify a ${credential.provider} key`);
      const key = parseServiceAccountKey(credential.keyJson.reveal());
      if (!key)
        return Promise.reject(
          new ProviderError(
            { provider: 'gcp', operation: 'identify', kind: 'invalid_key' },
            'the key is not a service-account key file (client_email, private_key, private_key_id)',
          ),
        );
      return Promise.resolve({
        provider: 'gcp',
        id: key.clientEmail,
        name: key.clientEmail,
        ...(key.projectId ? { account: key.projectId } : {}),
      });
    },

    async inspect(principal: Principal, held: readonly HeldValue[], signal: AbortSignal): Promise<Inspection> {
      let keys: KeyInfo[];
      try {
        const listed = await (
          await iam()
        ).projects.serviceAccounts.keys.list({ name: accountName(principal), keyTypes: ['USER_MANAGED'] }, { signal });
        keys = (listed.data.keys ?? []).map((key) => ({
          ref: { principal, keyId: keyIdOf(key.name) },
          status: key.disabled ? 'inactive' : 'active',
          ...(key.validAfterTime ? { createdAt: new Date(key.validAfterTime).toISOString() } : {}),
        }));
      } catch (error: unknown) {
        throw fail(error, 'keys.list', principal.name);
      }
      const ids = new Set(keys.map((k) => k.ref.keyId));
      return {
        principal,
        keys,
        holders: held.map((h) => {
          const key =
            h.credential.provider === 'gcp' ? parseServiceAccountKey(h.credential.keyJson.reveal()) : undefined;
          return {
            site: h.site,
            keyId:
              key && key.clientEmail === principal.name && ids.has(key.privateKeyId) ? key.privateKeyId : undefined,
          };
        }),
        permissions: await permissions(principal, signal),
        inspectedAt: clock.now().toISOString(),
      };
    },

    async issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedKey> {
      let created: iam_v1.Schema$ServiceAccountKey;
      try {
        created = (
          await (
            await iam()
          ).projects.serviceAccounts.keys.create(
            {
              name: accountName(request.principal),
              requestBody: { privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE', keyAlgorithm: 'KEY_ALG_RSA_2048' },
            },
            { signal },
          )
        ).data;
      } catch (error: unknown) {
        throw fail(error, 'keys.create', request.principal.name);
      }
      const json = Buffer.from(created.privateKeyData ?? '', 'base64').toString('utf8');
      const key = parseServiceAccountKey(json);
      if (!key)
        throw new ProviderError(
          { provider: 'gcp', operation: 'keys.create', kind: 'unknown' },
          `keys.create for ${request.principal.name} answered without a usable key file`,
        );
      return {
        ref: { principal: request.principal, keyId: keyIdOf(created.name) || key.privateKeyId },
        credential: { provider: 'gcp', keyJson: new SecretValue(json) },
        createdAt: created.validAfterTime ? new Date(created.validAfterTime).toISOString() : clock.now().toISOString(),
      };
    },

    prove(request, signal) {
      return proveKey(request, config.tokenUrl ? { gcpToken: config.tokenUrl } : {}, clock, signal);
    },

    async deactivate(ref: KeyRef, signal: AbortSignal): Promise<void> {
      try {
        await (await iam()).projects.serviceAccounts.keys.disable({ name: keyName(ref), requestBody: {} }, { signal });
      } catch (error: unknown) {
        const e = fail(error, 'keys.disable', ref.keyId);
        if (e.kind !== 'not_found') throw e;
      }
    },

    async reactivate(ref: KeyRef, signal: AbortSignal): Promise<void> {
      try {
        await (await iam()).projects.serviceAccounts.keys.enable({ name: keyName(ref), requestBody: {} }, { signal });
      } catch (error: unknown) {
        throw fail(error, 'keys.enable', ref.keyId);
      }
    },

    async delete(ref: KeyRef, signal: AbortSignal): Promise<void> {
      try {
        await (await iam()).projects.serviceAccounts.keys.delete({ name: keyName(ref) }, { signal });
      } catch (error: unknown) {
        const e = fail(error, 'keys.delete', ref.keyId);
        if (e.kind !== 'not_found') throw e;
      }
    },

    async evidence(ref: KeyRef, since: Date, signal: AbortSignal): Promise<UsageEvidence> {
      let disabled = false;
      let exists = true;
      try {
        disabled = Boolean(
          (await (await iam()).projects.serviceAccounts.keys.get({ name: keyName(ref) }, { signal })).data.disabled,
        );
      } catch (error: unknown) {
        const e = fail(error, 'keys.get', ref.keyId);
        if (e.kind !== 'not_found') throw e;
        exists = false;
      }
      const now = clock.now();
      const status = exists ? (disabled ? 'disabled' : 'enabled') : 'deleted';
      const checked = [`iam keys.get for ${ref.keyId}: ${status}`];
      const notChecked = ['Cloud Audit Logs of the service account'];
      if (!exists || disabled)
        return {
          ref,
          usedSince: 'no',
          window: { from: since.toISOString(), to: now.toISOString() },
          checked,
          notChecked,
          summary: `${ref.keyId} is ${status}: nothing can authenticate with it`,
        };
      const activity = await lastAuthentication(ref, signal);
      if (!activity.ok) {
        notChecked.unshift(`the key's last authentication (Policy Analyzer: ${activity.reason})`);
        return {
          ref,
          usedSince: 'unknown',
          window: { from: since.toISOString(), to: since.toISOString() },
          checked,
          notChecked,
          summary: `${ref.keyId} is enabled and its use could not be read (${activity.reason}): only the sites' own evidence says it is unused`,
        };
      }
      checked.push(`Policy Analyzer serviceAccountKeyLastAuthentication for ${ref.keyId}`);
      const observedTo = activity.observedTo ?? now;
      const window = { from: since.toISOString(), to: (observedTo > since ? observedTo : since).toISOString() };
      const lastText = activity.last
        ? `last authenticated ${activity.last.toISOString()}`
        : 'no authentication recorded';
      const base = {
        ref,
        window,
        checked,
        notChecked,
        ...(activity.last ? { lastUsedAt: activity.last.toISOString() } : {}),
      };
      if (activity.last && activity.last >= since)
        return { ...base, usedSince: 'yes', summary: `${ref.keyId} was used after ${window.from}: ${lastText}` };
      if (observedTo >= since)
        return {
          ...base,
          usedSince: 'no',
          summary: `${ref.keyId} was not used from ${window.from} to ${window.to} (${lastText})`,
        };
      return {
        ...base,
        usedSince: 'unknown',
        summary: `too early to tell whether ${ref.keyId} is still used: Google has observed its use only up to ${observedTo.toISOString()} (${lastText})`,
      };
    },
  };
}
