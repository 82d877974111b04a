/**
 * IAM v1 service-account keys, as `@googleapis/iam` calls them: list, get, create (the answer's
 * `privateKeyData` is a key file with a real RSA key, whose public half the token endpoint then
 * accepts), disable, enable, delete, and `testIamPermissions` on the service account. At most ten
 * user-managed keys per service account, as at Google ("Precondition check failed."). A disabled
 * or deleted key gets no token, and its tokens stop working. Deny rules take a permission away.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GcpSim, KeyEntry } from './gcp.js';
import type { Authenticate } from './gcs.js';
import { sendGoogleError } from './google-errors.js';
import { readBody, sendJson } from './http.js';

/** Google's quota: user-managed keys per service account (disabled ones count). */
export const KEYS_PER_SERVICE_ACCOUNT = 10;

/** A key file as IAM's keys.create returns it (decoded `privateKeyData`). */
export function mintServiceAccountKey(
  clientEmail: string,
  projectId: string,
): { privateKeyId: string; privateKey: string; json: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKeyId = randomBytes(20).toString('hex');
  const json = JSON.stringify(
    {
      type: 'service_account',
      project_id: projectId,
      private_key_id: privateKeyId,
      private_key: privateKey,
      client_email: clientEmail,
      client_id: `1${String(randomInt(10_000_000, 99_999_999))}${String(randomInt(10_000_000, 99_999_999))}`,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: 'https://oauth2.googleapis.com/token',
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
      universe_domain: 'googleapis.com',
    },
    null,
    2,
  );
  return { privateKeyId, privateKey, json };
}

const FAR_FUTURE = '9999-12-31T23:59:59Z';

function keyResource(project: string, key: KeyEntry): Record<string, unknown> {
  return {
    name: `projects/${project}/serviceAccounts/${key.clientEmail}/keys/${key.privateKeyId}`,
    validAfterTime: key.validAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    validBeforeTime: FAR_FUTURE,
    keyAlgorithm: 'KEY_ALG_RSA_2048',
    keyOrigin: 'GOOGLE_PROVIDED',
    keyType: 'USER_MANAGED',
    ...(key.disabled ? { disabled: true } : {}),
  };
}

const projectOf = (email: string) => /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ?? '-';

/** Policy Analyzer's permission for key activity. */
export const KEY_ACTIVITY_PERMISSION = 'policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query';

export class IamV1Emulator {
  constructor(
    private readonly sim: GcpSim,
    private readonly authenticate: Authenticate,
  ) {}

  private denied(res: ServerResponse, permission: string, resource: string): void {
    sendGoogleError(res, {
      status: 403,
      message: `Permission '${permission}' denied on resource (or it may not exist).`,
      reason: 'forbidden',
    });
    void resource;
  }

  private notFound(res: ServerResponse, what: string): void {
    sendGoogleError(res, { status: 404, message: `${what} does not exist.`, reason: 'notFound' });
  }

  /**
   * Policy Analyzer's activities:query for `serviceAccountKeyLastAuthentication`, filtered by a
   * key's full resource name: its last authentication, observed up to now.
   */
  async activities(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    await readBody(req);
    const auth = this.authenticate(req, 'iam');
    if (!auth.ok) return sendGoogleError(res, auth.error);
    const m = /^\/v1\/projects\/([^/]+)\/locations\/global\/activityTypes\/([^/]+)\/activities:query$/.exec(
      url.pathname,
    );
    if (!m || m[2] !== 'serviceAccountKeyLastAuthentication')
      return sendGoogleError(res, {
        status: 400,
        message: `Unsupported activity type in ${url.pathname}.`,
        reason: 'badRequest',
      });
    if (this.sim.isDenied(KEY_ACTIVITY_PERMISSION, auth.principal))
      return this.denied(res, KEY_ACTIVITY_PERMISSION, m[1] ?? '');
    const filter = url.searchParams.get('filter') ?? '';
    const name = /activities\.full_resource_name\s*=\s*"([^"]+)"/.exec(filter)?.[1];
    const key = /^\/\/iam\.googleapis\.com\/projects\/[^/]+\/serviceAccounts\/([^/]+)\/keys\/([^/]+)$/.exec(name ?? '');
    const entry = key ? this.sim.serviceAccount(key[1] ?? '').get(key[2] ?? '') : undefined;
    if (!name || !entry?.lastUsed) return sendJson(res, 200, {});
    const now = new Date(this.sim.clock());
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    sendJson(res, 200, {
      activities: [
        {
          fullResourceName: name,
          activityType: 'serviceAccountKeyLastAuthentication',
          observationPeriod: { startTime: dayStart.toISOString(), endTime: now.toISOString() },
          activity: {
            lastAuthenticatedTime: entry.lastUsed.toISOString(),
            serviceAccountKey: { fullResourceName: name, serviceAccountId: `1${key?.[2]?.slice(0, 20) ?? ''}` },
          },
        },
      ],
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req);
    const auth = this.authenticate(req, 'iam');
    if (!auth.ok) return sendGoogleError(res, auth.error);
    const caller = auth.principal;
    const path = decodeURIComponent(url.pathname);
    const m = /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+)(?:\/keys(?:\/([^/:]+))?)?(?::(\w+))?$/.exec(path);
    if (!m) return sendGoogleError(res, { status: 404, message: `Not Found: ${path}`, reason: 'notFound' });
    const [, projectInPath = '-', email = '', keyId, verb] = m;
    const project = projectInPath === '-' ? projectOf(email) : projectInPath;
    const isKeys = path.includes('/keys');
    const permissionFor = (p: string) => (this.sim.isDenied(p, caller) ? p : undefined);
    if (!this.sim.hasServiceAccount(email)) {
      // Google answers a caller without access the same way as a missing account.
      return this.notFound(res, `Service account projects/${project}/serviceAccounts/${email}`);
    }
    const keys = this.sim.serviceAccount(email);

    if (!isKeys && verb === 'testIamPermissions' && req.method === 'POST') {
      let asked: unknown;
      try {
        asked = (JSON.parse(body.toString('utf8') || '{}') as { permissions?: unknown }).permissions;
      } catch {
        asked = [];
      }
      const permissions = (Array.isArray(asked) ? asked : []).filter(
        (p): p is string => typeof p === 'string' && !this.sim.isDenied(p, caller),
      );
      return sendJson(res, 200, permissions.length > 0 ? { permissions } : {});
    }
    if (!isKeys) return sendGoogleError(res, { status: 404, message: `Not Found: ${path}`, reason: 'notFound' });

    if (keyId === undefined) {
      if (req.method === 'GET') {
        const p = permissionFor('iam.serviceAccountKeys.list');
        if (p) return this.denied(res, p, email);
        return sendJson(res, 200, { keys: [...keys.values()].map((k) => keyResource(project, k)) });
      }
      if (req.method === 'POST') {
        const p = permissionFor('iam.serviceAccountKeys.create');
        if (p) return this.denied(res, p, email);
        if (keys.size >= KEYS_PER_SERVICE_ACCOUNT)
          return sendJson(res, 400, {
            error: { code: 400, message: 'Precondition check failed.', status: 'FAILED_PRECONDITION' },
          });
        const made = mintServiceAccountKey(email, project);
        this.sim.allowKey(email, made.privateKeyId, made.privateKey);
        const entry = keys.get(made.privateKeyId) as KeyEntry;
        return sendJson(res, 200, {
          ...keyResource(project, entry),
          privateKeyType: 'TYPE_GOOGLE_CREDENTIALS_FILE',
          privateKeyData: Buffer.from(made.json, 'utf8').toString('base64'),
        });
      }
    }
    const key = keyId !== undefined ? keys.get(keyId) : undefined;
    const keyName = `Service account key projects/${project}/serviceAccounts/${email}/keys/${keyId ?? ''}`;
    if (req.method === 'GET' && verb === undefined) {
      const p = permissionFor('iam.serviceAccountKeys.get');
      if (p) return this.denied(res, p, email);
      return key ? sendJson(res, 200, keyResource(project, key)) : this.notFound(res, keyName);
    }
    if (req.method === 'DELETE' && verb === undefined) {
      const p = permissionFor('iam.serviceAccountKeys.delete');
      if (p) return this.denied(res, p, email);
      if (!key) return this.notFound(res, keyName);
      this.sim.revokeKey(email, key.privateKeyId);
      return sendJson(res, 200, {});
    }
    if (req.method === 'POST' && (verb === 'disable' || verb === 'enable')) {
      const p = permissionFor(`iam.serviceAccountKeys.${verb}`);
      if (p) return this.denied(res, p, email);
      if (!key) return this.notFound(res, keyName);
      this.sim.setKeyDisabled(email, key.privateKeyId, verb === 'disable');
      return sendJson(res, 200, {});
    }
    sendGoogleError(res, { status: 404, message: `Not Found: ${path}`, reason: 'notFound' });
  }
}
