/**
 * The AWS provider: IAM user access keys, through `@aws-sdk/client-iam` and `client-sts` (loaded
 * on first use). The user is found from the old key with STS GetCallerIdentity (GetAccessKeyInfo
 * only names the account). A user has at most two keys, active or not; a new key is eventually
 * consistent (the proof retries); retirement is UpdateAccessKey Inactive, later DeleteAccessKey;
 * evidence of use is GetAccessKeyLastUsed, which AWS records late and keeps only the latest of.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { ProviderError, providerErrorFrom, kindFromStatus, type ErrorClassifier } from '../errors.js';
import { awsCallerIdentity, proveKey, realClock } from '../prove.js';
import type { SanitizedError } from '../sanitize.js';
import { SecretValue } from '../../shared/secret-value.js';
import type {
  AwsCredential,
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

export interface AwsProviderConfig {
  /** IAM endpoint URL (emulators, private endpoints). Default: AWS's global IAM endpoint. */
  readonly iamEndpoint?: string;
  /** STS endpoint URL. Default: AWS's for the region. */
  readonly stsEndpoint?: string;
  /** Region for STS and the signing scope of IAM. Default `us-east-1`. */
  readonly region?: string;
  /** The identity that manages the keys. Default: the SDK's default credential chain (env, profile, SSO, IMDS...). */
  readonly credentials?: AwsCredential;
  /** How late AWS may record a key's use. Default 4 hours (AWS's last-accessed data). */
  readonly reportingDelayMs?: number;
  readonly clock?: ProviderClock;
}

const HOUR = 3_600_000;

const PERMISSIONS = {
  inspect: ['iam:ListAccessKeys', 'iam:GetAccessKeyLastUsed'],
  issue: ['iam:CreateAccessKey'],
  deactivate: ['iam:UpdateAccessKey'],
  reactivate: ['iam:UpdateAccessKey'],
  delete: ['iam:DeleteAccessKey'],
  evidence: ['iam:GetAccessKeyLastUsed'],
} as const;

export function awsCapabilities(reportingDelayMs = 4 * HOUR): ProviderCapabilities {
  return {
    maxKeysPerPrincipal: 2,
    inactiveKeysCount: true,
    overlap: 'second-key',
    canIssue: true,
    retireSteps: ['deactivate', 'delete'],
    canReactivate: true,
    evidence: {
      kind: 'last-used',
      source: 'iam:GetAccessKeyLastUsed (the latest use only, recorded late)',
      reportingDelayMs,
    },
    permissions: PERMISSIONS,
  };
}

const AWS_KINDS: Readonly<Record<string, ProviderError['kind']>> = {
  AccessDenied: 'permission_missing',
  AccessDeniedException: 'permission_missing',
  UnauthorizedOperation: 'permission_missing',
  LimitExceeded: 'limit_reached',
  LimitExceededException: 'limit_reached',
  NoSuchEntity: 'not_found',
  NoSuchEntityException: 'not_found',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  RequestLimitExceeded: 'throttled',
  InvalidClientTokenId: 'invalid_key',
  SignatureDoesNotMatch: 'invalid_key',
  UnrecognizedClientException: 'invalid_key',
  InvalidAccessKeyId: 'invalid_key',
  ExpiredToken: 'invalid_key',
  ServiceFailure: 'network',
  ServiceUnavailable: 'network',
  InternalFailure: 'network',
};

/** AWS control-plane errors by kind; a denial names its action ("not authorized to perform: iam:CreateAccessKey"). */
export const awsErrors: ErrorClassifier = {
  kind: (error: SanitizedError) => (error.code ? AWS_KINDS[error.code] : undefined) ?? kindFromStatus(error),
  permission: (error: SanitizedError) => /perform:\s*([a-z0-9-]+:[A-Za-z0-9*]+)/.exec(error.message)?.[1],
};

const iso = (date: Date | undefined) => (date ? date.toISOString() : undefined);

/** `arn:aws:iam::123:user/path/name` → its account and user name; undefined for roles, root and others. */
export function parseUserArn(arn: string): { account: string; userName: string } | undefined {
  const m = /^arn:aws[a-z-]*:iam::(\d{12}):user\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  return m ? { account: m[1] as string, userName: m[2] as string } : undefined;
}

export function createAwsProvider(config: AwsProviderConfig = {}): KeyProvider {
  const clock = config.clock ?? realClock;
  const region = config.region ?? 'us-east-1';
  const capabilities = awsCapabilities(config.reportingDelayMs);
  const adminSecrets = config.credentials ? [config.credentials.secretAccessKey.reveal()] : [];
  let iamClient: Promise<IAMClient> | undefined;
  const iam = () =>
    (iamClient ??= import('@aws-sdk/client-iam').then(
      ({ IAMClient }) =>
        new IAMClient({
          region,
          ...(config.iamEndpoint ? { endpoint: config.iamEndpoint } : {}),
          ...(config.credentials
            ? {
                credentials: {
                  accessKeyId: config.credentials.accessKeyId,
                  secretAccessKey: config.credentials.secretAccessKey.reveal(),
                },
              }
            : {}),
          maxAttempts: 3,
        }),
    ));

  const fail = (error: unknown, operation: string, subject?: string, secrets: readonly string[] = []) =>
    providerErrorFrom(error, { provider: 'aws', operation, ...(subject ? { subject } : {}) }, awsErrors, [
      ...adminSecrets,
      ...secrets,
    ]);

  const userOf = (ref: KeyRef | Principal) => ('principal' in ref ? ref.principal.name : ref.name);

  /** The managing identity's ARN (for the policy simulation). */
  async function callerArn(signal: AbortSignal): Promise<string> {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const creds = config.credentials;
    const sts = new STSClient({
      region,
      ...(config.stsEndpoint ? { endpoint: config.stsEndpoint } : {}),
      ...(creds
        ? { credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey.reveal() } }
        : {}),
      maxAttempts: 3,
    });
    try {
      const identity = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal });
      return identity.Arn ?? '';
    } finally {
      sts.destroy();
    }
  }

  async function permissions(principal: Principal, signal: AbortSignal): Promise<PermissionReport> {
    const wanted = [...new Set(Object.values(PERMISSIONS).flat())];
    const how = 'iam:SimulatePrincipalPolicy on the managing identity';
    try {
      const { SimulatePrincipalPolicyCommand } = await import('@aws-sdk/client-iam');
      const arn = await callerArn(signal);
      const result = await (
        await iam()
      ).send(
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: arn,
          ActionNames: wanted,
          ResourceArns: [principal.id],
        }),
        { abortSignal: signal },
      );
      const decisions = new Map((result.EvaluationResults ?? []).map((r) => [r.EvalActionName, r.EvalDecision]));
      const granted = wanted.filter((p) => decisions.get(p) === 'allowed');
      const missing = wanted.filter((p) => decisions.has(p) && decisions.get(p) !== 'allowed');
      return { how, granted, missing, unchecked: wanted.filter((p) => !decisions.has(p)) };
    } catch (error: unknown) {
      signal.throwIfAborted();
      const reason = fail(error, 'SimulatePrincipalPolicy');
      return {
        how: `${how} was not possible (${reason.code ?? reason.kind}); only the read calls made were checked`,
        granted: ['iam:ListAccessKeys'],
        missing: [],
        unchecked: wanted.filter((p) => p !== 'iam:ListAccessKeys'),
      };
    }
  }

  return {
    id: 'aws',
    cloud: 'aws',
    capabilities,

    async identify(credential: ProviderCredential, signal: AbortSignal): Promise<Principal> {
      if (credential.provider !== 'aws')
        throw new TypeError(`the aws provider cannot identify a ${credential.provider} key`);
      const identity = await awsCallerIdentity(
        credential,
        { region, ...(config.stsEndpoint ? { sts: config.stsEndpoint } : {}) },
        signal,
      );
      if (!identity.ok)
        throw new ProviderError(
          {
            provider: 'aws',
            operation: 'identify',
            kind:
              identity.verdict.kind === 'auth'
                ? 'invalid_key'
                : identity.verdict.kind === 'transient'
                  ? 'network'
                  : identity.verdict.kind === 'throttled'
                    ? 'throttled'
                    : 'unknown',
            ...(identity.verdict.code ? { code: identity.verdict.code } : {}),
            hint: 'The key the sites hold must be a valid key of an IAM user: check it with aws sts get-caller-identity.',
          },
          `aws GetCallerIdentity with ${credential.accessKeyId} failed: ${identity.verdict.message}`,
        );
      const arn = identity.arn;
      const user = parseUserArn(arn);
      if (!user)
        throw new ProviderError(
          {
            provider: 'aws',
            operation: 'identify',
            kind: 'not_found',
            hint: 'Only IAM user access keys can be rotated; roles (IRSA) need no rotation.',
          },
          `the key ${credential.accessKeyId} belongs to ${arn}, which is not an IAM user`,
        );
      return { provider: 'aws', id: arn, name: user.userName, account: user.account };
    },

    async inspect(principal: Principal, held: readonly HeldValue[], signal: AbortSignal): Promise<Inspection> {
      const { ListAccessKeysCommand, GetAccessKeyLastUsedCommand } = await import('@aws-sdk/client-iam');
      const client = await iam();
      let keys: KeyInfo[];
      try {
        const listed = await client.send(new ListAccessKeysCommand({ UserName: principal.name }), {
          abortSignal: signal,
        });
        keys = await Promise.all(
          (listed.AccessKeyMetadata ?? []).map(async (meta): Promise<KeyInfo> => {
            const keyId = meta.AccessKeyId ?? '';
            const used = await client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: keyId }), {
              abortSignal: signal,
            });
            const last = used.AccessKeyLastUsed;
            return {
              ref: { principal, keyId },
              status: meta.Status === 'Active' ? 'active' : 'inactive',
              ...(meta.CreateDate ? { createdAt: meta.CreateDate.toISOString() } : {}),
              ...(last?.LastUsedDate
                ? {
                    lastUsed: {
                      at: last.LastUsedDate.toISOString(),
                      ...(last.ServiceName ? { service: last.ServiceName } : {}),
                      ...(last.Region ? { region: last.Region } : {}),
                    },
                  }
                : {}),
            };
          }),
        );
      } catch (error: unknown) {
        throw fail(error, 'ListAccessKeys', `IAM user ${principal.name}`);
      }
      const ids = new Set(keys.map((k) => k.ref.keyId));
      return {
        principal,
        keys,
        holders: held.map((h) => ({
          site: h.site,
          keyId:
            h.credential.provider === 'aws' && ids.has(h.credential.accessKeyId) ? h.credential.accessKeyId : undefined,
        })),
        permissions: await permissions(principal, signal),
        inspectedAt: clock.now().toISOString(),
      };
    },

    async issue(request: IssueRequest, signal: AbortSignal): Promise<IssuedKey> {
      const { CreateAccessKeyCommand } = await import('@aws-sdk/client-iam');
      let created;
      try {
        created = await (
          await iam()
        ).send(new CreateAccessKeyCommand({ UserName: request.principal.name }), { abortSignal: signal });
      } catch (error: unknown) {
        throw fail(error, 'CreateAccessKey', `IAM user ${request.principal.name}`);
      }
      const key = created.AccessKey;
      if (!key?.AccessKeyId || !key.SecretAccessKey)
        throw new ProviderError(
          { provider: 'aws', operation: 'CreateAccessKey', kind: 'unknown' },
          `CreateAccessKey for ${request.principal.name} answered without a key`,
        );
      return {
        ref: { principal: request.principal, keyId: key.AccessKeyId },
        credential: {
          provider: 'aws',
          accessKeyId: key.AccessKeyId,
          secretAccessKey: new SecretValue(key.SecretAccessKey),
        },
        createdAt: (key.CreateDate ?? clock.now()).toISOString(),
      };
    },

    prove(request, signal) {
      return proveKey(request, { region, ...(config.stsEndpoint ? { sts: config.stsEndpoint } : {}) }, clock, signal);
    },

    async deactivate(ref: KeyRef, signal: AbortSignal): Promise<void> {
      const { UpdateAccessKeyCommand } = await import('@aws-sdk/client-iam');
      try {
        await (
          await iam()
        ).send(new UpdateAccessKeyCommand({ UserName: userOf(ref), AccessKeyId: ref.keyId, Status: 'Inactive' }), {
          abortSignal: signal,
        });
      } catch (error: unknown) {
        const e = fail(error, 'UpdateAccessKey', ref.keyId);
        // A key that is gone cannot be used: deactivated as far as anyone can tell.
        if (e.kind !== 'not_found') throw e;
      }
    },

    async reactivate(ref: KeyRef, signal: AbortSignal): Promise<void> {
      const { UpdateAccessKeyCommand } = await import('@aws-sdk/client-iam');
      try {
        await (
          await iam()
        ).send(new UpdateAccessKeyCommand({ UserName: userOf(ref), AccessKeyId: ref.keyId, Status: 'Active' }), {
          abortSignal: signal,
        });
      } catch (error: unknown) {
        throw fail(error, 'UpdateAccessKey', ref.keyId);
      }
    },

    async delete(ref: KeyRef, signal: AbortSignal): Promise<void> {
      const { DeleteAccessKeyCommand } = await import('@aws-sdk/client-iam');
      try {
        await (
          await iam()
        ).send(new DeleteAccessKeyCommand({ UserName: userOf(ref), AccessKeyId: ref.keyId }), { abortSignal: signal });
      } catch (error: unknown) {
        const e = fail(error, 'DeleteAccessKey', ref.keyId);
        if (e.kind !== 'not_found') throw e;
      }
    },

    async evidence(ref: KeyRef, since: Date, signal: AbortSignal): Promise<UsageEvidence> {
      const { GetAccessKeyLastUsedCommand } = await import('@aws-sdk/client-iam');
      let used;
      try {
        used = await (
          await iam()
        ).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: ref.keyId }), { abortSignal: signal });
      } catch (error: unknown) {
        throw fail(error, 'GetAccessKeyLastUsed', ref.keyId);
      }
      const now = clock.now();
      const last = used.AccessKeyLastUsed?.LastUsedDate;
      const service = used.AccessKeyLastUsed?.ServiceName;
      const delay = capabilities.evidence.reportingDelayMs;
      const surelyRecorded = new Date(now.getTime() - delay);
      const window = { from: since.toISOString(), to: (surelyRecorded > since ? surelyRecorded : since).toISOString() };
      const base = {
        ref,
        ...(last ? { lastUsedAt: last.toISOString() } : {}),
        ...(service && service !== 'N/A' ? { lastUsedService: service } : {}),
        window,
        checked: [`iam:GetAccessKeyLastUsed for ${ref.keyId}`],
        notChecked: [
          'uses older than the latest one (AWS keeps only the most recent use)',
          ...(delay > 0 ? [`uses in the last ${Math.round(delay / 60_000)} min (AWS may record them that late)`] : []),
        ],
      };
      const lastText = last
        ? `last used ${iso(last)}${base.lastUsedService ? ` by ${base.lastUsedService}` : ''}`
        : 'never used';
      if (last && last >= since)
        return { ...base, usedSince: 'yes', summary: `${ref.keyId} was used after ${window.from}: ${lastText}` };
      if (surelyRecorded >= since)
        return {
          ...base,
          usedSince: 'no',
          summary: `${ref.keyId} was not used from ${window.from} to ${window.to} (${lastText})`,
        };
      return {
        ...base,
        usedSince: 'unknown',
        summary: `too early to tell whether ${ref.keyId} is still used: AWS may take up to ${Math.round(delay / 60_000)} min to record a use; ask again after ${new Date(since.getTime() + delay).toISOString()} (${lastText})`,
      };
    },
  };
}
