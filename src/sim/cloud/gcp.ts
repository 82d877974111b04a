/**
 * The emulated Google Cloud data plane on one loopback port: the OAuth 2.0 token endpoint
 * (`POST /token`, JWT-bearer grant, signatures checked against the service-account keys the test
 * allows), Cloud Storage's JSON API (`/storage/v1`, `/upload/storage/v1`) and BigQuery
 * (`/bigquery/v2`), which accept only the access tokens this endpoint issued (or a self-signed
 * JWT of an allowed key, as Google does).
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BigQueryEmulator, type BigQueryTables } from './bigquery.js';
import { numericClaim, parseJwt, stringClaim, verifyRs256, type ParsedJwt } from './gcp-jwt.js';
import { GcsEmulator, type Authenticate, type GcsBuckets } from './gcs.js';
import { IamV1Emulator, KEYS_PER_SERVICE_ACCOUNT, mintServiceAccountKey } from './gcp-iam.js';
import type { GoogleApiError } from './google-errors.js';
import { asyncHandler, LoopbackServer, readBody, sendJson } from './http.js';

/** The token URL Google's libraries put in `aud` (and call by default). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_LIFETIME_S = 3600;
/** How much clock skew the token endpoint tolerates on `iat`/`exp`. */
const SKEW_S = 300;
const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

interface AccessToken {
  readonly clientEmail: string;
  readonly privateKeyId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: number;
}

/** One service-account key of the emulated Google (never the key material). */
export interface GcpKeyRecord {
  readonly clientEmail: string;
  readonly privateKeyId: string;
  /** A disabled key gets no token (and its tokens stop working), as at IAM. */
  readonly disabled: boolean;
  readonly validAfter: Date;
  /** When the key was last used to get a token or call an API. */
  lastUsed?: Date;
}

export interface KeyEntry extends GcpKeyRecord {
  readonly publicKey: KeyObject;
  disabled: boolean;
}

type TokenResult =
  { status: 200; body: object } | { status: 400 | 401; body: { error: string; error_description: string } };

const grantError = (error: string, description: string, status: 400 | 401 = 400): TokenResult => ({
  status,
  body: { error, error_description: description },
});

/** Whether a token's scopes let it call `service`. */
function scopeAllows(scopes: readonly string[], service: 'storage' | 'bigquery' | 'iam'): boolean {
  return scopes.some(
    (s) =>
      s.includes('/auth/cloud-platform') ||
      (service === 'storage'
        ? s.includes('/auth/devstorage.')
        : service === 'bigquery'
          ? s.includes('/auth/bigquery')
          : s.endsWith('/auth/iam')),
  );
}

export class GcpSim {
  private readonly accounts = new Map<string, Map<string, KeyEntry>>();
  private readonly tokens = new Map<string, AccessToken>();
  private readonly buckets: GcsBuckets = new Map();
  private readonly tables: BigQueryTables = new Set();
  private readonly denies: { readonly permission: string; readonly caller?: string }[] = [];
  private server: LoopbackServer | undefined;

  private constructor(
    /** Clock (ms) of last-use times and of the activity data's observation period. */
    readonly clock: () => number,
  ) {}

  static async start(options: { clock?: () => number } = {}): Promise<GcpSim> {
    const sim = new GcpSim(options.clock ?? Date.now);
    const authenticate: Authenticate = (req, service) => sim.authenticate(req, service);
    const gcs = new GcsEmulator(sim.buckets, authenticate, () => sim.url);
    const bigquery = new BigQueryEmulator(sim.tables, authenticate);
    const iamApi = new IamV1Emulator(sim, authenticate);
    sim.server = await LoopbackServer.start(
      asyncHandler(async (req, res) => {
        const url = new URL(req.url ?? '/', sim.url);
        if (url.pathname === '/token') return sim.token(req, res);
        if (/^\/(upload\/|download\/)?storage\/v1\//.test(url.pathname)) return gcs.handle(req, res, url);
        if (url.pathname.startsWith('/bigquery/v2/')) return bigquery.handle(req, res, url);
        if (/^\/v1\/projects\/[^/]+\/locations\/[^/]+\/activityTypes\//.test(url.pathname))
          return iamApi.activities(req, res, url);
        if (url.pathname.startsWith('/v1/projects/')) return iamApi.handle(req, res, url);
        await readBody(req);
        sendJson(res, 404, { error: { code: 404, message: `Not Found: ${url.pathname}`, status: 'NOT_FOUND' } });
      }),
    );
    return sim;
  }

  /** http://127.0.0.1:PORT, the root of every GCP endpoint here. */
  get url(): string {
    return this.server?.url ?? 'http://127.0.0.1:0';
  }

  /** The OAuth 2.0 token endpoint (the stand-in for https://oauth2.googleapis.com/token). */
  get tokenUrl(): string {
    return `${this.url}/token`;
  }

  /**
   * Makes a service-account key valid. `pem` is the key file's PKCS#8 private key or the public
   * key (SPKI); only the public half is kept.
   */
  allowKey(clientEmail: string, privateKeyId: string, pem: string): void {
    const publicKey = createPublicKey(pem);
    if (publicKey.asymmetricKeyType !== 'rsa')
      throw new Error(`cloud-sim: the key ${privateKeyId} of ${clientEmail} is not an RSA key`);
    let keys = this.accounts.get(clientEmail);
    if (!keys) this.accounts.set(clientEmail, (keys = new Map()));
    const previous = keys.get(privateKeyId);
    keys.set(privateKeyId, {
      clientEmail,
      privateKeyId,
      publicKey,
      disabled: false,
      validAfter: previous?.validAfter ?? new Date(),
      ...(previous?.lastUsed ? { lastUsed: previous.lastUsed } : {}),
    });
  }

  /** The service account's keys, created empty if missing (what IAM v1 serves). */
  serviceAccount(clientEmail: string): Map<string, KeyEntry> {
    let keys = this.accounts.get(clientEmail);
    if (!keys) this.accounts.set(clientEmail, (keys = new Map()));
    return keys;
  }

  /** Whether the service account exists. */
  hasServiceAccount(clientEmail: string): boolean {
    return this.accounts.has(clientEmail);
  }

  /** Disables or enables a key (IAM v1 keys.disable / keys.enable); disabling revokes its tokens. */
  setKeyDisabled(clientEmail: string, privateKeyId: string, disabled: boolean): void {
    const key = this.accounts.get(clientEmail)?.get(privateKeyId);
    if (!key) return;
    key.disabled = disabled;
    if (disabled) this.dropTokens(clientEmail, privateKeyId);
  }

  /** Takes `permission` (`iam.serviceAccountKeys.create`) away, from every caller or from one service account. */
  deny(permission: string, caller?: string): void {
    this.denies.push({ permission, ...(caller !== undefined ? { caller } : {}) });
  }

  /** Gives back `permission` (or every permission). */
  allow(permission?: string): void {
    for (let i = this.denies.length - 1; i >= 0; i--)
      if (permission === undefined || this.denies[i]?.permission === permission) this.denies.splice(i, 1);
  }

  isDenied(permission: string, caller: string): boolean {
    return this.denies.some((d) => d.permission === permission && (d.caller === undefined || d.caller === caller));
  }

  /**
   * IAM keys.create without the API (what `sandbox new-key` needs): a new key file for the
   * service account, refused past ten keys as Google refuses it.
   */
  createServiceAccountKey(clientEmail: string, projectId: string): { privateKeyId: string; keyJson: string } {
    if (this.serviceAccount(clientEmail).size >= KEYS_PER_SERVICE_ACCOUNT)
      throw new Error(
        `cloud-sim: FAILED_PRECONDITION: Precondition check failed. (${clientEmail} has ${KEYS_PER_SERVICE_ACCOUNT} keys)`,
      );
    const made = mintServiceAccountKey(clientEmail, projectId);
    this.allowKey(clientEmail, made.privateKeyId, made.privateKey);
    return { privateKeyId: made.privateKeyId, keyJson: made.json };
  }

  /**
   * A service account that may call IAM (every permission unless denied), with a key: the
   * identity kubecost-rotate's GCP provider manages keys as, in tests and the sandbox.
   */
  createAdmin(projectId: string, account = 'kubecost-rotate-admin'): { clientEmail: string; keyJson: string } {
    const clientEmail = `${account}@${projectId}.iam.gserviceaccount.com`;
    const made = mintServiceAccountKey(clientEmail, projectId);
    this.allowKey(clientEmail, made.privateKeyId, made.privateKey);
    return { clientEmail, keyJson: made.json };
  }

  private dropTokens(clientEmail: string, privateKeyId: string): void {
    for (const [token, info] of this.tokens)
      if (info.clientEmail === clientEmail && info.privateKeyId === privateKeyId) this.tokens.delete(token);
  }

  /**
   * Makes a key invalid (deleted or disabled at IAM), and with it every access token it got:
   * stricter than Google, whose tokens may outlive a deleted key by up to an hour. Idempotent.
   */
  revokeKey(clientEmail: string, privateKeyId: string): void {
    this.accounts.get(clientEmail)?.delete(privateKeyId);
    this.dropTokens(clientEmail, privateKeyId);
  }

  /** The valid keys of a service account (ids and last use). */
  listKeys(clientEmail: string): GcpKeyRecord[] {
    return [...(this.accounts.get(clientEmail)?.values() ?? [])].map(
      ({ clientEmail: e, privateKeyId, disabled, validAfter, lastUsed }) => ({
        clientEmail: e,
        privateKeyId,
        disabled,
        validAfter,
        ...(lastUsed ? { lastUsed } : {}),
      }),
    );
  }

  /** Creates a Cloud Storage bucket if it does not exist. Accepts `gs://name` too. */
  ensureBucket(name: string): void {
    const bucket = name.replace(/^gs:\/\//, '').split('/')[0] ?? '';
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket))
      throw new Error(`cloud-sim: ${name} is not a valid bucket name`);
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
  }

  /** The object names in a bucket (for assertions). */
  objectNames(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort();
  }

  /** Creates an (empty) BigQuery table, and with it its dataset. */
  ensureTable(projectId: string, dataset: string, table: string): void {
    this.tables.add(`${projectId}.${dataset}.${table}`);
  }

  private keyFor(jwt: ParsedJwt, clientEmail: string): KeyEntry | undefined {
    const keys = this.accounts.get(clientEmail);
    if (!keys) return undefined;
    // Google's libraries do not always send `kid`; then every key of the account is tried.
    const kid = typeof jwt.header.kid === 'string' ? jwt.header.kid : undefined;
    const candidates = kid !== undefined ? [keys.get(kid)] : [...keys.values()];
    return candidates.find(
      (key): key is KeyEntry => key !== undefined && !key.disabled && verifyRs256(jwt, key.publicKey),
    );
  }

  private exchange(form: URLSearchParams): TokenResult {
    const grantType = form.get('grant_type');
    if (grantType !== JWT_BEARER) return grantError('unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    const assertion = form.get('assertion');
    if (!assertion) return grantError('invalid_request', 'Missing required parameter: assertion');
    const jwt = parseJwt(assertion);
    if (!jwt) return grantError('invalid_grant', 'Invalid JWT Signature.');
    const iss = stringClaim(jwt, 'iss');
    if (!iss || !this.accounts.has(iss)) return grantError('invalid_grant', 'Invalid grant: account not found');
    const key = this.keyFor(jwt, iss);
    if (!key) return grantError('invalid_grant', 'Invalid JWT Signature.');
    const aud = stringClaim(jwt, 'aud');
    if (aud !== GOOGLE_TOKEN_URL && aud !== this.tokenUrl)
      return grantError(
        'invalid_grant',
        `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_URL}`,
      );
    const now = Math.floor(Date.now() / 1000);
    const iat = numericClaim(jwt, 'iat');
    const exp = numericClaim(jwt, 'exp');
    if (
      iat === undefined ||
      exp === undefined ||
      exp <= now - SKEW_S ||
      iat > now + SKEW_S ||
      exp - iat > TOKEN_LIFETIME_S
    )
      return grantError('invalid_grant', SHORT_LIVED);
    const scope = stringClaim(jwt, 'scope');
    if (!scope) return grantError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    key.lastUsed = new Date(this.clock());
    const accessToken = `ya29.sim.${randomBytes(48).toString('base64url')}`;
    this.tokens.set(accessToken, {
      clientEmail: iss,
      privateKeyId: key.privateKeyId,
      scopes: scope.split(/\s+/),
      expiresAt: Date.now() + TOKEN_LIFETIME_S * 1000,
    });
    return { status: 200, body: { access_token: accessToken, expires_in: TOKEN_LIFETIME_S - 1, token_type: 'Bearer' } };
  }

  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    if (req.method !== 'POST')
      return sendJson(res, 405, { error: 'invalid_request', error_description: 'Only POST is allowed' });
    let form: URLSearchParams;
    if (String(req.headers['content-type'] ?? '').includes('json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = {};
      }
      const entries =
        typeof parsed === 'object' && parsed !== null
          ? Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string')
          : [];
      form = new URLSearchParams(entries);
    } else {
      form = new URLSearchParams(body);
    }
    const result = this.exchange(form);
    sendJson(res, result.status, result.body, {
      'Cache-Control': 'no-cache, no-store, max-age=0, must-revalidate',
      Pragma: 'no-cache',
    });
  }

  /** Checks the bearer token of a GCS or BigQuery request. */
  private authenticate(
    req: IncomingMessage,
    service: 'storage' | 'bigquery' | 'iam',
  ): { ok: true; principal: string } | { ok: false; error: GoogleApiError } {
    const authorization = String(req.headers.authorization ?? '');
    const invalid: GoogleApiError =
      service === 'storage'
        ? { status: 401, message: 'Invalid Credentials', reason: 'authError' }
        : {
            status: 401,
            message:
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            reason: 'authError',
          };
    if (!authorization) {
      return {
        ok: false,
        error:
          service === 'storage'
            ? {
                status: 401,
                message:
                  "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. Permission 'storage.objects.get' denied on resource (or it may not exist).",
                reason: 'required',
              }
            : {
                status: 401,
                message:
                  'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
                reason: 'required',
              },
      };
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!bearer) return { ok: false, error: invalid };
    const token = this.tokens.get(bearer);
    if (token) {
      if (token.expiresAt <= Date.now()) {
        this.tokens.delete(bearer);
        return { ok: false, error: invalid };
      }
      if (!scopeAllows(token.scopes, service))
        return {
          ok: false,
          error: {
            status: 403,
            message: 'Request had insufficient authentication scopes.',
            reason: 'insufficientPermissions',
          },
        };
      return { ok: true, principal: token.clientEmail };
    }
    // A self-signed JWT (what google-auth-library sends when no scopes are set) is accepted as
    // Google does: signed by a valid key, named by `kid`, and unexpired.
    const jwt = parseJwt(bearer);
    const iss = jwt ? stringClaim(jwt, 'iss') : undefined;
    if (jwt && iss && typeof jwt.header.kid === 'string') {
      const key = this.keyFor(jwt, iss);
      const exp = numericClaim(jwt, 'exp');
      if (key && exp !== undefined && exp > Date.now() / 1000) {
        key.lastUsed = new Date(this.clock());
        return { ok: true, principal: iss };
      }
    }
    return { ok: false, error: invalid };
  }

  async stop(): Promise<void> {
    this.tokens.clear();
    await this.server?.stop();
  }
}
