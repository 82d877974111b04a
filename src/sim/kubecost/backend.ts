/**
 * What the simulated Kubecost components call to use a credential: one function per kind of
 * cloud access Kubecost does. The cloud simulator implements it with the official SDKs against
 * emulated data planes; tests may use `memoryBackend`, which only checks keys against a set.
 */

/** A refusal from a cloud, in the provider's words (as Kubecost would log them). */
export class CloudCallError extends Error {
  constructor(
    /** The provider's error code, e.g. InvalidAccessKeyId, SignatureDoesNotMatch, invalid_grant, AuthorizationFailure. */
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The provider codes that mean "this key is not accepted" (reference §6), whatever their HTTP status. */
const AUTH_REFUSAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'AccessDenied',
  'AuthenticationFailed',
  'AuthorizationFailure',
  'InvalidAuthenticationInfo',
  'invalid_grant',
  'invalid_key',
  'InvalidAccessKeyId.NotFound',
]);

/**
 * Whether a failure is a cloud's answer that the key is refused (401, 403, or a refusal code such
 * as `invalid_grant` or `SignatureDoesNotMatch`, or a key that cannot be used at all), as opposed
 * to a transient failure (a reset connection, a time-out, a 5xx, throttling) or another answer.
 */
export function isAuthRefusal(error: unknown): boolean {
  if (!(error instanceof CloudCallError)) return false;
  return error.status === 401 || error.status === 403 || AUTH_REFUSAL_CODES.has(error.code);
}

export interface S3Access {
  readonly bucket: string;
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly prefix?: string;
}
export interface GcsAccess {
  readonly bucket: string;
  readonly serviceAccountJson: string;
  readonly prefix?: string;
}
export interface AzureAccess {
  readonly account: string;
  readonly accountKey: string;
  readonly container: string;
  readonly prefix?: string;
}
export interface AthenaAccess {
  readonly region: string;
  readonly workgroup: string;
  readonly database: string;
  readonly outputLocation: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}
export interface BigQueryAccess {
  readonly projectId: string;
  readonly dataset: string;
  readonly table: string;
  readonly keyJson: string;
}
export interface AlibabaAccess {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly region: string;
}

/** A call to the Cloud Billing pricing API with an API key (the finops agent's CSP pricing key). */
export interface GcpPricingAccess {
  readonly apiKey: string;
}

export type ObjectStoreAccess =
  | { readonly type: 'S3'; readonly access: S3Access }
  | { readonly type: 'GCS'; readonly access: GcsAccess }
  | { readonly type: 'AZURE'; readonly access: AzureAccess };

export interface CloudBackend {
  /** Writes an object (Thanos sidecar blocks, federated ETL files). */
  writeObject(store: ObjectStoreAccess, key: string, body: string): Promise<void>;
  /** Reads an object (store, compact, aggregator); a missing object is not an error. */
  readObject(store: ObjectStoreAccess, key: string): Promise<void>;
  athenaQuery(access: AthenaAccess): Promise<void>;
  bigQuery(access: BigQueryAccess): Promise<void>;
  /** Lists the billing export container of an Azure storage integration. */
  azureBillingList(access: AzureAccess): Promise<void>;
  alibabaBill(access: AlibabaAccess): Promise<void>;
  /**
   * Lists GCP SKU prices with an API key. Optional: a backend without it has no pricing API, and
   * the finops agent then logs that it uses list prices without calling anything.
   */
  gcpPricing?(access: GcpPricingAccess): Promise<void>;
}

/** Which keys are valid, for a backend without data planes. */
export interface MemoryKeys {
  /** AWS key id → secret. */
  readonly aws: Map<string, string>;
  /** GCP private_key_id values accepted. */
  readonly gcp: Set<string>;
  /** Azure account → its valid keys. */
  readonly azure: Map<string, Set<string>>;
  readonly alibaba: Map<string, string>;
  /** GCP API keys accepted by the pricing API; without the set the backend has no pricing API. */
  readonly gcpApiKeys?: Set<string>;
}

function checkAws(keys: MemoryKeys, id: string, secret: string, service: 'S3' | 'Athena'): void {
  const known = keys.aws.get(id);
  if (known === undefined) {
    throw service === 'S3'
      ? new CloudCallError(
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          403,
        )
      : new CloudCallError(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
          400,
        );
  }
  if (known !== secret) {
    throw service === 'S3'
      ? new CloudCallError(
          'SignatureDoesNotMatch',
          'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
          403,
        )
      : new CloudCallError(
          'InvalidSignatureException',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
          400,
        );
  }
}

function checkGcp(keys: MemoryKeys, json: string): void {
  let id: string;
  try {
    id = String((JSON.parse(json) as { private_key_id?: unknown }).private_key_id ?? '');
  } catch {
    throw new CloudCallError('invalid_key', 'the service account key is not JSON');
  }
  if (!keys.gcp.has(id))
    throw new CloudCallError('invalid_grant', 'oauth2: "invalid_grant" "Invalid JWT Signature."', 400);
}

function checkAzure(keys: MemoryKeys, account: string, key: string): void {
  if (!keys.azure.get(account)?.has(key))
    throw new CloudCallError(
      'AuthorizationFailure',
      'Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.',
      403,
    );
}

/** Google's answer to a key it does not know (googleapis error of an invalid API key). */
function checkGcpApiKey(keys: ReadonlySet<string>, apiKey: string): void {
  if (!keys.has(apiKey))
    throw new CloudCallError(
      'API_KEY_INVALID',
      'googleapi: Error 400: API key not valid. Please pass a valid API key., badRequest',
      400,
    );
}

/**
 * Adds the pricing API to a backend, with `apiKeys` as the keys it accepts (the cloud emulators
 * have no API keys: this is the whole emulation of one).
 */
export function withGcpPricing<B extends CloudBackend>(backend: B, apiKeys: Set<string>): B {
  return { ...backend, gcpPricing: (a: GcpPricingAccess) => Promise.resolve(checkGcpApiKey(apiKeys, a.apiKey)) };
}

/** A backend that checks keys against in-memory sets (tests of the rotation engine). */
export function memoryBackend(keys: MemoryKeys): CloudBackend {
  const store = (s: ObjectStoreAccess) => {
    if (s.type === 'S3') checkAws(keys, s.access.accessKeyId, s.access.secretAccessKey, 'S3');
    else if (s.type === 'GCS') checkGcp(keys, s.access.serviceAccountJson);
    else checkAzure(keys, s.access.account, s.access.accountKey);
  };
  return {
    writeObject: (s) => Promise.resolve(store(s)),
    readObject: (s) => Promise.resolve(store(s)),
    athenaQuery: (a) => Promise.resolve(checkAws(keys, a.accessKeyId, a.secretAccessKey, 'Athena')),
    bigQuery: (a) => Promise.resolve(checkGcp(keys, a.keyJson)),
    azureBillingList: (a) => Promise.resolve(checkAzure(keys, a.account, a.accountKey)),
    alibabaBill: (a) =>
      Promise.resolve(
        ((): void => {
          if (keys.alibaba.get(a.accessKeyId) !== a.accessKeySecret)
            throw new CloudCallError('InvalidAccessKeyId.NotFound', 'Specified access key is not found.', 404);
        })(),
      ),
    ...(keys.gcpApiKeys
      ? { gcpPricing: (a: GcpPricingAccess) => Promise.resolve(checkGcpApiKey(keys.gcpApiKeys ?? new Set(), a.apiKey)) }
      : {}),
  };
}
